//! The OSS [`Client`] and its [`ClientBuilder`].

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use crate::credentials::{Clock, ProvideCredentials, SharedCredentialsProvider};
use crate::error::{Error, Result};
use crate::http::HttpOptions;
use crate::oss::endpoint::{
    region_endpoint, region_from_host, AddressingStyle, Endpoint, EndpointType,
};
use crate::oss::signer::{V1Signer, V4Signer};
use crate::retry::RetryPolicy;

pub use crate::http::USER_AGENT;

/// Which OSS signature requests carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SignatureVersion {
    /// `OSS4-HMAC-SHA256` (the default; needs the region).
    #[default]
    V4,
    /// HMAC-SHA1 (legacy; Alibaba Cloud is retiring it).
    V1,
}

#[derive(Debug)]
pub(crate) enum RequestSigner {
    V4(V4Signer),
    V1(V1Signer),
}

/// An OSS client: cheap to clone (clones share one connection pool, the credentials provider
/// and the learnt clock offset), `Send + Sync`.
///
/// ```no_run
/// # async fn run() -> alioss::error::Result<()> {
/// use alioss::credentials::{Credentials, StaticCredentialsProvider};
/// use alioss::oss;
/// use alioss::prelude::*;
///
/// let creds = Credentials::new("test-key-id", "test-secret")?;
/// let client = oss::Client::builder()
///     .region("cn-hangzhou")
///     .credentials(StaticCredentialsProvider::new(creds))
///     .build()?;
/// let put = client
///     .put_object("examplebucket", "src/data.csv")
///     .body(oss::Body::from_path("data.csv").await?)
///     .storage_class(oss::StorageClass::Standard)
///     .send()
///     .await?;
/// println!("stored {:?} (crc64 {:?})", put.etag, put.crc64);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<ClientInner>,
}

pub(crate) struct ClientInner {
    pub(crate) http: reqwest::Client,
    pub(crate) endpoint: Endpoint,
    pub(crate) region: Option<String>,
    pub(crate) credentials: SharedCredentialsProvider,
    pub(crate) signer: RequestSigner,
    /// Whether the `host` header is signed (listed in the additional signed headers).
    pub(crate) sign_host: bool,
    pub(crate) retry: RetryPolicy,
    pub(crate) operation_timeout: Option<Duration>,
    pub(crate) download_min_throughput: Option<MinThroughput>,
    pub(crate) crc_check: bool,
    pub(crate) clock: Clock,
    /// Server time minus local time, in milliseconds, learnt from `RequestTimeTooSkewed`.
    pub(crate) clock_offset_ms: AtomicI64,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Client")
            .field("endpoint", &i.endpoint.base())
            .field("addressing", &i.endpoint.style())
            .field("region", &i.region)
            .field("credentials", &"** provider **")
            .field("signer", &i.signer)
            .field("retry", &i.retry)
            .field("crc_check", &i.crc_check)
            .field(
                "clock_offset_ms",
                &i.clock_offset_ms.load(Ordering::Relaxed),
            )
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts a builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The region requests are signed for, if known.
    pub fn region(&self) -> Option<&str> {
        self.inner.region.as_deref()
    }

    /// `scheme://host[:port]` of the endpoint.
    pub fn endpoint(&self) -> String {
        self.inner.endpoint.base()
    }

    /// The addressing style in force (path-style for IP-address endpoints).
    pub fn addressing_style(&self) -> AddressingStyle {
        self.inner.endpoint.style()
    }

    /// Whether uploads are checked with CRC-64.
    pub fn crc_check(&self) -> bool {
        self.inner.crc_check
    }

    /// The clock offset learnt from the server (server time − local time).
    pub fn clock_offset(&self) -> time::Duration {
        time::Duration::milliseconds(self.inner.clock_offset_ms.load(Ordering::Relaxed))
    }

    /// The time requests are signed with: the clock's time corrected by the learnt offset.
    pub fn signing_time(&self) -> OffsetDateTime {
        self.inner.clock.now() + self.clock_offset()
    }

    /// Learns the offset from a server time.
    pub(crate) fn learn_server_time(&self, server: OffsetDateTime) {
        let offset = server - self.inner.clock.now();
        let ms = i64::try_from(offset.whole_milliseconds()).unwrap_or(0);
        self.inner.clock_offset_ms.store(ms, Ordering::Relaxed);
    }

    /// The URL of a bucket (for form uploads) or an object.
    pub(crate) fn url(
        &self,
        bucket: Option<&str>,
        key: Option<&str>,
        query: &[(String, String)],
    ) -> String {
        self.inner.endpoint.url(bucket, key, query)
    }
}

/// Builds a [`Client`].
///
/// Defaults: endpoint from the region (public, https), virtual-hosted addressing, signature V4,
/// [`RetryPolicy::standard`], connect timeout 10 s, read timeout 60 s, no operation timeout,
/// CRC-64 checking on, the system clock, user agent [`USER_AGENT`].
pub struct ClientBuilder {
    region: Option<String>,
    endpoint: Option<String>,
    endpoint_type: EndpointType,
    addressing: AddressingStyle,
    credentials: Option<SharedCredentialsProvider>,
    signature_version: SignatureVersion,
    retry: RetryPolicy,
    http: HttpOptions,
    operation_timeout: Option<Duration>,
    download_min_throughput: Option<MinThroughput>,
    crc_check: bool,
    clock: Clock,
    additional_signed_headers: Vec<String>,
    cloudbox_id: Option<String>,
}

/// The slowest a download body may arrive: at least `bytes` in every `window` (checked as
/// chunks arrive; a full stall is caught by the read timeout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MinThroughput {
    pub(crate) bytes: u64,
    pub(crate) window: Duration,
}

/// The default minimum download throughput: 1 KiB in every 30 s window.
const DEFAULT_MIN_THROUGHPUT: MinThroughput = MinThroughput {
    bytes: 1024,
    window: Duration::from_secs(30),
};

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("endpoint_type", &self.endpoint_type)
            .field("addressing", &self.addressing)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "** provider **"),
            )
            .field("signature_version", &self.signature_version)
            .field("retry", &self.retry)
            .field("http", &self.http)
            .field("additional_signed_headers", &self.additional_signed_headers)
            .field("cloudbox_id", &self.cloudbox_id)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            region: None,
            endpoint: None,
            endpoint_type: EndpointType::Public,
            addressing: AddressingStyle::VirtualHosted,
            credentials: None,
            signature_version: SignatureVersion::V4,
            retry: RetryPolicy::standard(),
            http: HttpOptions::default(),
            operation_timeout: None,
            download_min_throughput: Some(DEFAULT_MIN_THROUGHPUT),
            crc_check: true,
            clock: Clock::system(),
            additional_signed_headers: Vec::new(),
            cloudbox_id: None,
        }
    }
}

impl ClientBuilder {
    /// The region (`cn-hangzhou`); the endpoint is derived from it unless given.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// An explicit endpoint: `host`, `https://host`, or `http://127.0.0.1:9000` (http only when
    /// written out).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Uses the region's internal (VPC) endpoint when `yes`, the public one otherwise; the
    /// same as [`endpoint_type`](Self::endpoint_type) with [`EndpointType::Internal`] or
    /// [`EndpointType::Public`]. Named as on the STS client.
    pub fn internal(mut self, yes: bool) -> Self {
        if !yes {
            self.endpoint_type = EndpointType::Public;
            return self;
        }
        self.endpoint_type = EndpointType::Internal;
        self
    }

    /// Chooses the endpoint type explicitly.
    pub fn endpoint_type(mut self, kind: EndpointType) -> Self {
        self.endpoint_type = kind;
        self
    }

    /// How buckets are addressed: virtual-hosted (`bucket.endpoint/key`, the default),
    /// path-style (`endpoint/bucket/key`; always used for an IP-address endpoint) or CNAME (the
    /// endpoint is a custom domain bound to the bucket).
    pub fn addressing_style(mut self, style: AddressingStyle) -> Self {
        self.addressing = style;
        self
    }

    /// The credentials provider; asked again before every attempt, so refreshing providers work.
    pub fn credentials(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.credentials = Some(Arc::new(provider));
        self
    }

    /// The credentials provider, shared with other clients (no extra indirection).
    pub fn shared_credentials(mut self, provider: SharedCredentialsProvider) -> Self {
        self.credentials = Some(provider);
        self
    }

    /// V4 (default) or V1 signatures.
    pub fn signature_version(mut self, version: SignatureVersion) -> Self {
        self.signature_version = version;
        self
    }

    /// The retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The transport: proxy, root certificates, user agent, pool, timeouts, or a
    /// `reqwest::Client` of your own (see [`HttpOptions`]). Replaces the transport settings made
    /// before it (including [`connect_timeout`](Self::connect_timeout),
    /// [`read_timeout`](Self::read_timeout) and [`resolve`](Self::resolve)).
    pub fn http_options(mut self, options: HttpOptions) -> Self {
        self.http = options;
        self
    }

    /// Also signs these headers (V4 only; e.g. `host`), when a request carries them: the
    /// server then refuses a request whose value of one of them was changed on the way. The
    /// `host` header is added to every request for signing when it is listed.
    pub fn additional_signed_headers<I, S>(mut self, headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.additional_signed_headers = headers.into_iter().map(Into::into).collect();
        self
    }

    /// Signs for OSS on CloudBox `box_id` (e.g. `cb-f8z7yvzgwfkl9q0h`): V4 with product
    /// `oss-cloudbox` and the CloudBox id in place of the region. The endpoint must be given.
    pub fn cloudbox_id(mut self, box_id: impl Into<String>) -> Self {
        self.cloudbox_id = Some(box_id.into());
        self
    }

    /// How long establishing a connection may take (default 10 s); same as
    /// [`HttpOptions::connect_timeout`].
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.http.set_connect_timeout(d);
        self
    }

    /// How long a read from the connection may stall.
    pub fn read_timeout(mut self, d: Duration) -> Self {
        self.http.set_read_timeout(d);
        self
    }

    /// How long an operation may take in total: retries included, and up to the last byte
    /// of its response body — for GetObject, of the body streamed to the caller (so set it
    /// generously for large downloads, or rely on
    /// [`download_min_throughput`](Self::download_min_throughput)). Past it the operation
    /// fails with a timeout [`Error::Transport`](crate::Error::Transport). Default: none.
    pub fn operation_timeout(mut self, d: Duration) -> Self {
        self.operation_timeout = Some(d);
        self
    }

    /// The slowest a download body may arrive: at least `bytes` in every `window`, or the
    /// stream ends with a timeout [`Error::Transport`](crate::Error::Transport) — a server
    /// that trickles (one byte a second) is not waited for forever, which the
    /// [`read_timeout`](Self::read_timeout) (a full stall) alone would do. Default: 1 KiB in
    /// every 30 s. `bytes` of 0 turns the check off.
    pub fn download_min_throughput(mut self, bytes: u64, window: Duration) -> Self {
        self.download_min_throughput =
            (bytes > 0 && !window.is_zero()).then_some(MinThroughput { bytes, window });
        self
    }

    /// Whether uploads and downloads are checked end to end with CRC-64 (default: on).
    ///
    /// The check uses the `x-oss-hash-crc64ecma` response header. When a response has **no**
    /// such header (an S3-compatible server, an object stored before OSS kept CRCs), nothing
    /// is compared and the operation succeeds. A header that is **present but malformed**
    /// (empty, signed, text, more than a `u64`) fails the operation with
    /// [`Error::Response`](crate::Error::Response): a broken checksum never turns the check
    /// off. With the check off the header is not looked at.
    pub fn crc_check(mut self, on: bool) -> Self {
        self.crc_check = on;
        self
    }

    /// The clock requests are signed with (tests inject their own, e.g. a
    /// [`ManualClock`](crate::credentials::ManualClock)); the offset learnt from
    /// `RequestTimeTooSkewed` is added to it.
    pub fn clock(mut self, clock: impl Into<Clock>) -> Self {
        self.clock = clock.into();
        self
    }

    /// Resolves `host` to `addr` instead of asking DNS (private DNS, tests of virtual-hosted
    /// addressing against a local server).
    pub fn resolve(mut self, host: impl Into<String>, addr: SocketAddr) -> Self {
        self.http.push_resolve(host.into(), addr);
        self
    }

    /// Builds the client: checks the configuration and creates the connection pool.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the setting that is missing or invalid (credentials,
    /// region, endpoint, signing options), or a transport error when the HTTP client cannot be
    /// built.
    pub fn build(self) -> Result<Client> {
        let credentials = self.credentials.ok_or_else(|| {
            Error::invalid(
                "credentials",
                "a credentials provider is required (see alioss::credentials)",
            )
        })?;
        if let Some(r) = &self.region {
            let r = r.strip_prefix("oss-").unwrap_or(r);
            if r.is_empty()
                || !r
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(Error::invalid(
                    "region",
                    "must contain only lower-case letters, digits and '-' (e.g. cn-hangzhou)",
                ));
            }
        }
        let endpoint = match (&self.endpoint, &self.region) {
            (Some(e), _) => Endpoint::parse(e, self.addressing)?,
            (None, Some(r)) => {
                Endpoint::parse(&region_endpoint(r, self.endpoint_type), self.addressing)?
            }
            (None, None) => {
                return Err(Error::invalid(
                    "region",
                    "a region or an endpoint is required",
                ))
            }
        };
        let region = self
            .region
            .map(|r| r.strip_prefix("oss-").map(str::to_owned).unwrap_or(r))
            .or_else(|| region_from_host(endpoint.authority()));
        let signer =
            match (self.signature_version, &self.cloudbox_id) {
                (SignatureVersion::V4, Some(box_id)) => {
                    if self.endpoint.is_none() {
                        return Err(Error::invalid(
                            "endpoint",
                            "is required with a CloudBox id (the CloudBox's own endpoint)",
                        ));
                    }
                    RequestSigner::V4(
                        V4Signer::cloudbox(box_id)?
                            .with_additional_headers(self.additional_signed_headers.clone()),
                    )
                }
                (SignatureVersion::V1, Some(_)) => return Err(Error::invalid(
                    "cloudbox_id",
                    "needs signature V4 (CloudBox requests are signed with product oss-cloudbox)",
                )),
                (SignatureVersion::V4, None) => {
                    let region = region.as_deref().ok_or_else(|| {
                        Error::invalid(
                            "region",
                            "is required for signature V4 when the endpoint does not name it",
                        )
                    })?;
                    RequestSigner::V4(
                        V4Signer::new(region)?
                            .with_additional_headers(self.additional_signed_headers.clone()),
                    )
                }
                (SignatureVersion::V1, None) if !self.additional_signed_headers.is_empty() => {
                    return Err(Error::invalid(
                        "additional_signed_headers",
                        "needs signature V4 (V1 signs a fixed set of headers)",
                    ))
                }
                (SignatureVersion::V1, None) => RequestSigner::V1(V1Signer::new()),
            };
        if let Some(bad) = self
            .additional_signed_headers
            .iter()
            .find(|h| h.is_empty() || !h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        {
            return Err(Error::invalid(
                "additional_signed_headers",
                format!("{bad:?} is not a header name (letters, digits and '-')"),
            ));
        }
        let sign_host = self
            .additional_signed_headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case("host"));
        let operation_timeout = self.http.operation_timeout_value();
        let mut http_options = self.http;
        if http_options.pool_idle_timeout_unset() {
            // Below the 60 s after which OSS closes idle connections.
            http_options = http_options.pool_idle_timeout(Duration::from_secs(50));
        }
        let http = http_options.build_client(crate::http::Defaults {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
        })?;
        Ok(Client {
            inner: Arc::new(ClientInner {
                http,
                endpoint,
                region,
                credentials,
                signer,
                sign_host,
                retry: self.retry,
                operation_timeout: self.operation_timeout.or(operation_timeout),
                download_min_throughput: self.download_min_throughput,
                crc_check: self.crc_check,
                clock: self.clock,
                clock_offset_ms: AtomicI64::new(0),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::{Credentials, StaticCredentialsProvider};

    fn provider() -> StaticCredentialsProvider {
        StaticCredentialsProvider::new(
            Credentials::builder()
                .access_key_id("STS.test-id")
                .access_key_secret("test-secret")
                .security_token("test-token")
                .build()
                .unwrap(),
        )
    }

    #[test]
    fn region_derives_the_endpoint() {
        let c = Client::builder()
            .region("cn-hangzhou")
            .credentials(provider())
            .build()
            .unwrap();
        assert_eq!(c.endpoint(), "https://oss-cn-hangzhou.aliyuncs.com");
        assert_eq!(c.addressing_style(), AddressingStyle::VirtualHosted);
        let c = Client::builder()
            .region("cn-hangzhou")
            .internal(true)
            .credentials(provider())
            .build()
            .unwrap();
        assert_eq!(
            c.endpoint(),
            "https://oss-cn-hangzhou-internal.aliyuncs.com"
        );
        let c = Client::builder()
            .region("cn-hangzhou")
            .endpoint_type(EndpointType::DualStack)
            .credentials(provider())
            .build()
            .unwrap();
        assert_eq!(c.endpoint(), "https://cn-hangzhou.oss.aliyuncs.com");
        let c = Client::builder()
            .region("cn-hangzhou")
            .endpoint_type(EndpointType::Accelerate)
            .credentials(provider())
            .build()
            .unwrap();
        assert_eq!(c.endpoint(), "https://oss-accelerate.aliyuncs.com");
    }

    #[test]
    fn region_comes_from_a_standard_endpoint() {
        let c = Client::builder()
            .endpoint("oss-cn-shanghai.aliyuncs.com")
            .credentials(provider())
            .build()
            .unwrap();
        assert_eq!(c.region(), Some("cn-shanghai"));
        let e = Client::builder()
            .endpoint("http://127.0.0.1:9")
            .credentials(provider())
            .build()
            .unwrap_err();
        assert_eq!(e.as_invalid_input().unwrap().field(), "region");
        let v1 = Client::builder()
            .endpoint("http://127.0.0.1:9")
            .signature_version(SignatureVersion::V1)
            .credentials(provider())
            .build()
            .unwrap();
        assert_eq!(v1.addressing_style(), AddressingStyle::PathStyle);
    }

    #[test]
    fn debug_never_shows_secrets() {
        let c = Client::builder()
            .region("cn-hangzhou")
            .credentials(provider())
            .build()
            .unwrap();
        let d = format!("{c:?} {:?}", Client::builder().credentials(provider()));
        assert!(!d.contains("test-secret"));
        assert!(!d.contains("test-token"));
    }

    #[test]
    fn client_is_send_sync_clone() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        check::<Client>();
    }

    #[test]
    fn missing_credentials_are_refused() {
        let e = Client::builder().region("cn-hangzhou").build().unwrap_err();
        assert_eq!(e.as_invalid_input().unwrap().field(), "credentials");
    }
}
