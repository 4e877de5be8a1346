//! Endpoints and addressing.
//!
//! A region maps to a host name (`oss-<region>.aliyuncs.com` and its internal, dual-stack and
//! accelerated variants). A bucket is addressed virtual-hosted by default
//! (`https://bucket.host/key`), path-style on request and always for an IP-address endpoint
//! (`http://127.0.0.1:9000/bucket/key`, how a local emulator is reached), or through a CNAME
//! (`https://cname.example/key`, the host already names the bucket).

use crate::error::{Error, Result};
use crate::oss::signer::{encode_query, uri_encode, uri_encode_path};

/// How a bucket appears in request URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AddressingStyle {
    /// `https://bucket.endpoint/key` (the default).
    #[default]
    VirtualHosted,
    /// `https://endpoint/bucket/key` (always used for IP-address endpoints).
    PathStyle,
    /// `https://endpoint/key`: the endpoint is a custom domain bound to the bucket.
    Cname,
}

/// Which of a region's endpoints to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum EndpointType {
    /// `oss-<region>.aliyuncs.com` (the default).
    #[default]
    Public,
    /// `oss-<region>-internal.aliyuncs.com`, reachable from inside the region's VPCs.
    Internal,
    /// `<region>.oss.aliyuncs.com`, IPv4 and IPv6.
    DualStack,
    /// `oss-accelerate.aliyuncs.com`, transfer acceleration.
    Accelerate,
    /// `oss-accelerate-overseas.aliyuncs.com`, transfer acceleration outside mainland China.
    AccelerateOverseas,
}

/// The host name of `region`'s endpoint of type `kind` (a leading `oss-` on the region is
/// ignored).
///
/// ```
/// use alioss::oss::{region_endpoint, EndpointType};
/// assert_eq!(region_endpoint("cn-hangzhou", EndpointType::Public), "oss-cn-hangzhou.aliyuncs.com");
/// assert_eq!(region_endpoint("cn-hangzhou", EndpointType::Internal), "oss-cn-hangzhou-internal.aliyuncs.com");
/// assert_eq!(region_endpoint("cn-hangzhou", EndpointType::DualStack), "cn-hangzhou.oss.aliyuncs.com");
/// ```
pub fn region_endpoint(region: &str, kind: EndpointType) -> String {
    let region = region.strip_prefix("oss-").unwrap_or(region);
    match kind {
        EndpointType::Public => format!("oss-{region}.aliyuncs.com"),
        EndpointType::Internal => format!("oss-{region}-internal.aliyuncs.com"),
        EndpointType::DualStack => format!("{region}.oss.aliyuncs.com"),
        EndpointType::Accelerate => "oss-accelerate.aliyuncs.com".to_owned(),
        EndpointType::AccelerateOverseas => "oss-accelerate-overseas.aliyuncs.com".to_owned(),
    }
}

/// The region named by a standard endpoint host (`oss-cn-hangzhou.aliyuncs.com`,
/// `oss-cn-hangzhou-internal.aliyuncs.com`, `cn-hangzhou.oss.aliyuncs.com`).
pub(crate) fn region_from_host(host: &str) -> Option<String> {
    let host = host.split(':').next().unwrap_or(host);
    if let Some(rest) = host.strip_suffix(".oss.aliyuncs.com") {
        return (!rest.is_empty() && !rest.contains('.')).then(|| rest.to_owned());
    }
    let first = host.strip_suffix(".aliyuncs.com")?;
    let region = first.strip_prefix("oss-")?;
    let region = region.strip_suffix("-internal").unwrap_or(region);
    if region.is_empty() || region.contains('.') || region.starts_with("accelerate") {
        return None;
    }
    Some(region.to_owned())
}

/// Percent-encodes a key for the URL path, keeping `/`; when the key has a `.` or `..`
/// segment, which URL parsers would resolve away, the `/` are encoded too (`%2F`, which OSS
/// decodes back), so the key `a/../b` stays that key.
fn encode_key_path(key: &str) -> String {
    if key.split('/').any(|seg| seg == "." || seg == "..") {
        uri_encode(key)
    } else {
        uri_encode_path(key)
    }
}

/// A resolved endpoint: scheme, authority and addressing style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    scheme: String,
    authority: String,
    style: AddressingStyle,
}

impl Endpoint {
    /// Parses `endpoint` (`host`, `host:port`, `https://host`, `http://127.0.0.1:9000`). No
    /// scheme means https. An IP-address host forces path-style addressing.
    pub(crate) fn parse(endpoint: &str, requested: AddressingStyle) -> Result<Self> {
        let trimmed = endpoint.trim();
        if trimmed.is_empty() {
            return Err(Error::invalid("endpoint", "must not be empty"));
        }
        let with_scheme = crate::http::with_default_scheme(trimmed)?;
        let url = url::Url::parse(&with_scheme)
            .map_err(|e| Error::invalid("endpoint", format!("is not a valid URL ({e})")))?;
        let scheme = url.scheme().to_owned();
        if scheme != "http" && scheme != "https" {
            return Err(Error::invalid("endpoint", "scheme must be http or https"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::invalid(
                "endpoint",
                "must not contain user information",
            ));
        }
        if url.path() != "/" && !url.path().is_empty() || url.query().is_some() {
            return Err(Error::invalid(
                "endpoint",
                "must be a scheme and a host (and port) only, without a path or query",
            ));
        }
        let host = url
            .host()
            .ok_or_else(|| Error::invalid("endpoint", "must name a host"))?;
        let is_ip = matches!(host, url::Host::Ipv4(_) | url::Host::Ipv6(_));
        let mut authority = url.host_str().unwrap_or_default().to_owned();
        if let Some(port) = url.port() {
            authority.push_str(&format!(":{port}"));
        }
        let style = if is_ip {
            AddressingStyle::PathStyle
        } else {
            requested
        };
        Ok(Self {
            scheme,
            authority,
            style,
        })
    }

    /// `scheme://authority` of the endpoint.
    pub(crate) fn base(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }

    /// The host (and port) requests go to.
    pub(crate) fn authority(&self) -> &str {
        &self.authority
    }

    /// The addressing style in force.
    pub(crate) fn style(&self) -> AddressingStyle {
        self.style
    }

    /// The URL of `bucket`/`key` with `query` (decoded pairs).
    pub(crate) fn url(
        &self,
        bucket: Option<&str>,
        key: Option<&str>,
        query: &[(String, String)],
    ) -> String {
        let key_path = key.map(encode_key_path).unwrap_or_default();
        let (authority, path) = match (self.style, bucket) {
            (_, None) => (self.authority.clone(), format!("/{key_path}")),
            (AddressingStyle::VirtualHosted, Some(b)) => {
                (format!("{b}.{}", self.authority), format!("/{key_path}"))
            }
            (AddressingStyle::PathStyle, Some(b)) => {
                (self.authority.clone(), format!("/{b}/{key_path}"))
            }
            (AddressingStyle::Cname, Some(_)) => (self.authority.clone(), format!("/{key_path}")),
        };
        let mut url = format!("{}://{authority}{path}", self.scheme);
        if !query.is_empty() {
            url.push('?');
            url.push_str(&encode_query(query));
        }
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_endpoints() {
        assert_eq!(
            region_endpoint("oss-cn-shanghai", EndpointType::Public),
            "oss-cn-shanghai.aliyuncs.com"
        );
        assert_eq!(
            region_endpoint("cn-hangzhou", EndpointType::Accelerate),
            "oss-accelerate.aliyuncs.com"
        );
        assert_eq!(
            region_endpoint("cn-hangzhou", EndpointType::AccelerateOverseas),
            "oss-accelerate-overseas.aliyuncs.com"
        );
    }

    #[test]
    fn region_from_standard_hosts() {
        assert_eq!(
            region_from_host("oss-cn-hangzhou.aliyuncs.com").as_deref(),
            Some("cn-hangzhou")
        );
        assert_eq!(
            region_from_host("oss-cn-hangzhou-internal.aliyuncs.com").as_deref(),
            Some("cn-hangzhou")
        );
        assert_eq!(
            region_from_host("cn-beijing.oss.aliyuncs.com").as_deref(),
            Some("cn-beijing")
        );
        assert_eq!(region_from_host("oss-accelerate.aliyuncs.com"), None);
        assert_eq!(region_from_host("127.0.0.1:9000"), None);
    }

    #[test]
    fn virtual_hosted_is_the_default_with_https() {
        let ep =
            Endpoint::parse("oss-cn-hangzhou.aliyuncs.com", AddressingStyle::default()).unwrap();
        assert_eq!(
            ep.url(Some("examplebucket"), Some("src/data.csv"), &[]),
            "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/src/data.csv"
        );
        assert_eq!(
            ep.url(
                Some("examplebucket"),
                None,
                &[("list-type".into(), "2".into())]
            ),
            "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/?list-type=2"
        );
    }

    #[test]
    fn ip_endpoints_force_path_style_and_keep_http() {
        let ep = Endpoint::parse("http://127.0.0.1:9000/", AddressingStyle::VirtualHosted).unwrap();
        assert_eq!(ep.style(), AddressingStyle::PathStyle);
        assert_eq!(
            ep.url(
                Some("b1c"),
                Some("key+ 123/test.data"),
                &[
                    ("append".into(), String::new()),
                    ("position".into(), "0".into())
                ]
            ),
            "http://127.0.0.1:9000/b1c/key%2B%20123/test.data?append&position=0"
        );
        assert_eq!(ep.url(Some("b1c"), None, &[]), "http://127.0.0.1:9000/b1c/");
        let v6 = Endpoint::parse("http://[::1]:9000", AddressingStyle::VirtualHosted).unwrap();
        assert_eq!(v6.style(), AddressingStyle::PathStyle);
    }

    #[test]
    fn dot_segments_in_keys_survive_url_parsing() {
        let ep = Endpoint::parse("http://127.0.0.1:9000", AddressingStyle::PathStyle).unwrap();
        let url = ep.url(Some("bkt"), Some("a/../b/./c.d"), &[]);
        assert_eq!(url, "http://127.0.0.1:9000/bkt/a%2F..%2Fb%2F.%2Fc.d");
        let parsed = url::Url::parse(&url).unwrap();
        assert_eq!(parsed.path(), "/bkt/a%2F..%2Fb%2F.%2Fc.d");
    }

    #[test]
    fn path_style_on_request_and_cname() {
        let ep = Endpoint::parse("https://oss.example.com", AddressingStyle::PathStyle).unwrap();
        assert_eq!(
            ep.url(Some("bkt"), Some("k"), &[]),
            "https://oss.example.com/bkt/k"
        );
        let cname = Endpoint::parse("static.example.com", AddressingStyle::Cname).unwrap();
        assert_eq!(
            cname.url(Some("bkt"), Some("a b"), &[]),
            "https://static.example.com/a%20b"
        );
    }

    #[test]
    fn bad_endpoints_are_refused() {
        for bad in [
            "",
            "ftp://x",
            "https://x/path",
            "https://u:p@x",
            "https://x?q=1",
            "http://",
            "https://",
            "http:",
            "https:",
            "http:/x",
            "HTTP://",
            " http:// ",
        ] {
            let e = Endpoint::parse(bad, AddressingStyle::default()).unwrap_err();
            assert_eq!(e.as_invalid_input().unwrap().field(), "endpoint", "{bad}");
        }
    }
}
