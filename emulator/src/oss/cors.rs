//! Bucket CORS: preflight (`OPTIONS`) answers and `Access-Control-*` headers on responses.

use hyper::header::{HeaderMap, HeaderValue};
use hyper::Response;

use crate::config::{BucketConfig, CorsRule};
use crate::errors::OssError;
use crate::server::{empty, Body};

/// `*` matches any run of characters; case-insensitive when asked.
fn matches(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let (p, v) = if ignore_case {
        (pattern.to_ascii_lowercase(), value.to_ascii_lowercase())
    } else {
        (pattern.to_owned(), value.to_owned())
    };
    match p.split_once('*') {
        None => p == v,
        Some((head, tail)) => {
            v.len() >= head.len() + tail.len() && v.starts_with(head) && v.ends_with(tail)
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The first rule allowing `origin` with `method` (and, for a preflight, every requested header).
fn find_rule<'a>(
    bucket: &'a BucketConfig,
    origin: &str,
    method: &str,
    requested_headers: &[String],
) -> Option<&'a CorsRule> {
    bucket.cors.iter().find(|r| {
        r.allowed_origins.iter().any(|o| matches(o, origin, false))
            && r.allowed_methods
                .iter()
                .any(|m| m.eq_ignore_ascii_case(method))
            && requested_headers
                .iter()
                .all(|h| r.allowed_headers.iter().any(|a| matches(a, h, true)))
    })
}

fn allow_origin(rule: &CorsRule, origin: &str) -> String {
    if rule.allowed_origins.iter().any(|o| o == "*") {
        "*".to_owned()
    } else {
        origin.to_owned()
    }
}

/// Answers a preflight request.
pub(crate) fn preflight(
    bucket: &BucketConfig,
    headers: &HeaderMap,
) -> Result<Response<Body>, OssError> {
    let refused = || {
        OssError::new(
            403,
            "AccessForbidden",
            "CORSResponse: this CORS request is not allowed by the bucket's CORS rules (origin, method or headers).",
            "0003-00000001",
        )
    };
    let (Some(origin), Some(method)) = (
        header(headers, "origin"),
        header(headers, "access-control-request-method"),
    ) else {
        return Err(refused());
    };
    let requested: Vec<String> = header(headers, "access-control-request-headers")
        .unwrap_or_default()
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    let rule = find_rule(bucket, origin, method, &requested).ok_or_else(refused)?;
    let mut b = Response::builder()
        .status(200)
        .header("access-control-allow-origin", allow_origin(rule, origin))
        .header(
            "access-control-allow-methods",
            rule.allowed_methods.join(", "),
        )
        .header(
            "vary",
            "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        );
    if !requested.is_empty() {
        b = b.header("access-control-allow-headers", requested.join(", "));
    }
    if !rule.expose_headers.is_empty() {
        b = b.header(
            "access-control-expose-headers",
            rule.expose_headers.join(", "),
        );
    }
    if let Some(age) = rule.max_age_seconds {
        b = b.header("access-control-max-age", age.to_string());
    }
    Ok(b.body(empty()).unwrap_or_else(|_| Response::new(empty())))
}

/// Adds `Access-Control-*` headers to a response to a cross-origin request a rule allows.
pub(crate) fn decorate(
    bucket: &BucketConfig,
    origin: Option<&str>,
    method: &str,
    resp: &mut Response<Body>,
) {
    let Some(origin) = origin else { return };
    let Some(rule) = find_rule(bucket, origin, method, &[]) else {
        return;
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&allow_origin(rule, origin)) {
        h.insert("access-control-allow-origin", v);
    }
    if !rule.expose_headers.is_empty() {
        if let Ok(v) = HeaderValue::from_str(&rule.expose_headers.join(", ")) {
            h.insert("access-control-expose-headers", v);
        }
    }
    h.insert("vary", HeaderValue::from_static("Origin"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_wildcards() {
        assert!(matches("*", "http://a.b", false));
        assert!(matches(
            "http://*.example.com",
            "http://x.example.com",
            false
        ));
        assert!(!matches(
            "http://*.example.com",
            "http://example.org",
            false
        ));
        assert!(matches("x-oss-*", "X-OSS-META-A", true));
    }
}
