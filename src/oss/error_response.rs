//! Turning an OSS error response into a [`ServiceError`]: the XML body, the base64 `x-oss-err`
//! header that HEAD answers carry instead of a body, or a JSON body.

use base64::Engine as _;
use reqwest::header::HeaderMap;

use crate::error::{oss_hint, ServiceError, ServiceKind};
use crate::oss::ops::parse_iso_time;
use crate::oss::signer::parse_http_date;
use crate::oss::xml::{from_xml, ErrorXml};

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn from_json(body: &[u8]) -> Option<ErrorXml> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let e = v.get("Error").unwrap_or(&v);
    let s = |k: &str| e.get(k).and_then(|x| x.as_str()).map(str::to_owned);
    let code = s("Code")?;
    Some(ErrorXml {
        code: Some(code),
        message: s("Message"),
        request_id: s("RequestId"),
        host_id: s("HostId"),
        ec: s("EC"),
        recommend_doc: s("RecommendDoc").or_else(|| s("Recommend")),
        endpoint: s("Endpoint"),
        string_to_sign: None,
        server_time: s("ServerTime"),
    })
}

fn from_xml_bytes(body: &[u8]) -> Option<ErrorXml> {
    let text = std::str::from_utf8(body).ok()?;
    let parsed: ErrorXml = from_xml(text).ok()?;
    parsed.code.is_some().then_some(parsed)
}

/// Builds the service error for a failed response. `access_key_id` (not a secret) tells
/// temporary credentials apart for the hint.
pub(crate) fn parse(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    access_key_id: Option<&str>,
) -> ServiceError {
    let json = header(headers, "content-type").is_some_and(|c| c.contains("json"));
    let mut parsed = if json {
        from_json(body).or_else(|| from_xml_bytes(body))
    } else {
        from_xml_bytes(body).or_else(|| from_json(body))
    };
    if parsed.is_none() {
        parsed = header(headers, "x-oss-err").and_then(|b64| {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()?;
            from_xml_bytes(&raw)
        });
    }
    let parsed_ok = parsed.is_some();
    let p = parsed.unwrap_or_default();
    let code = p.code.unwrap_or_else(|| "BadErrorResponse".to_owned());
    let message = p.message.unwrap_or_else(|| {
        if parsed_ok {
            String::new()
        } else {
            format!("HTTP {status} without a readable error body")
        }
    });
    let mut e = ServiceError::new(ServiceKind::Oss, status, code, message);
    e.request_id = p.request_id.or_else(|| header(headers, "x-oss-request-id"));
    e.host_id = p.host_id;
    e.ec = p.ec.or_else(|| header(headers, "x-oss-ec"));
    e.recommend = p.recommend_doc;
    e.endpoint = p.endpoint;
    e.string_to_sign = p.string_to_sign;
    e.server_time = header(headers, "date")
        .and_then(|d| parse_http_date(&d))
        .or_else(|| parse_iso_time(p.server_time.as_deref()));
    e.clip_fields();
    e.hint = oss_hint(&e, access_key_id);
    e
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn xml_body_with_hint() {
        let body = b"<Error><Code>AccessDenied</Code><Message>Access denied by authorizer's policy.</Message>\
            <RequestId>RID</RequestId><HostId>examplebucket.oss</HostId><EC>0003-00000301</EC></Error>";
        let mut h = HeaderMap::new();
        h.insert(
            "date",
            HeaderValue::from_static("Sat, 16 Dec 2023 16:20:57 GMT"),
        );
        let e = parse(403, &h, body, Some("STS.x"));
        assert_eq!(e.code, "AccessDenied");
        assert_eq!(e.request_id.as_deref(), Some("RID"));
        assert_eq!(e.ec.as_deref(), Some("0003-00000301"));
        assert_eq!(e.server_time.unwrap().unix_timestamp(), 1702743657);
        assert!(e.hint.as_deref().unwrap().contains("session policy"));
        assert!(e.to_string().contains("Hint:"));
    }

    #[test]
    fn head_errors_decode_x_oss_err() {
        let xml =
            "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>\
            <RequestId>R2</RequestId><EC>0026-00000001</EC></Error>";
        let mut h = HeaderMap::new();
        let b64 = base64::engine::general_purpose::STANDARD.encode(xml);
        h.insert("x-oss-err", HeaderValue::from_str(&b64).unwrap());
        let e = parse(404, &h, b"", None);
        assert_eq!(e.code, "NoSuchKey");
        assert_eq!(e.ec.as_deref(), Some("0026-00000001"));
        assert_eq!(e.request_id.as_deref(), Some("R2"));
    }

    #[test]
    fn json_bodies_and_unreadable_bodies() {
        let mut h = HeaderMap::new();
        h.insert("content-type", HeaderValue::from_static("application/json"));
        h.insert("x-oss-request-id", HeaderValue::from_static("R3"));
        let e = parse(
            400,
            &h,
            br#"{"Error":{"Code":"InvalidArgument","Message":"bad"}}"#,
            None,
        );
        assert_eq!(e.code, "InvalidArgument");
        assert_eq!(e.request_id.as_deref(), Some("R3"));
        let e = parse(502, &HeaderMap::new(), b"<html>gateway</html>", None);
        assert_eq!(e.code, "BadErrorResponse");
        assert_eq!(e.status, 502);
    }

    #[test]
    fn skew_errors_carry_server_time_from_the_body() {
        let body = b"<Error><Code>RequestTimeTooSkewed</Code><Message>skewed</Message>\
            <ServerTime>2023-12-16T16:20:57.000Z</ServerTime></Error>";
        let e = parse(403, &HeaderMap::new(), body, None);
        assert_eq!(e.server_time.unwrap().unix_timestamp(), 1702743657);
    }
}
