//! The transport every client and provider of the crate shares, and how to configure it.
//!
//! One [`HttpOptions`] value configures the HTTP client of the OSS [`Client`](crate::oss::Client),
//! the [`StsClient`](crate::sts::StsClient) and every provider that calls a service (AssumeRole
//! and OIDC through their STS client, the ECS metadata service, a token-vending URL, the default
//! chain). Each of their builders takes it through a method named `http_options`:
//!
//! ```no_run
//! # fn run() -> alioss::error::Result<()> {
//! use std::time::Duration;
//! use alioss::http::HttpOptions;
//!
//! let http = HttpOptions::new()
//!     .proxy("http://proxy.corp.example:3128")
//!     .no_proxy("localhost,127.0.0.1,100.100.100.200")
//!     .add_root_certificates_pem(&std::fs::read("corp-ca.pem")?)?
//!     .user_agent_suffix("my-app/1.2")
//!     .connect_timeout(Duration::from_secs(3))
//!     .operation_timeout(Duration::from_secs(120))
//!     .pool_max_idle_per_host(16);
//! let sts = alioss::sts::StsClient::builder()
//!     .region("cn-hangzhou")
//!     .http_options(http.clone())
//!     .build()?;
//! # let _ = sts; Ok(()) }
//! ```
//!
//! Or hand in a [`reqwest::Client`] built your own way with [`HttpOptions::client`]; it is then
//! used as it is, for every request of that client or provider. [`alioss::http::reqwest`](reqwest)
//! is the reqwest alioss is built with.
//!
//! # TLS: which reqwest, which roots
//!
//! alioss uses the reqwest 0.12 line with rustls on the `ring` crypto provider. reqwest 0.13
//! defaults to `aws-lc-rs`, whose build needs cmake (and nasm on Windows); choosing `ring` there
//! means its `rustls-no-provider` feature and installing a provider by hand, and its root-store
//! features are gone in favour of the platform verifier. With 0.12 + ring the default build of
//! alioss needs only a C compiler. The certificates trusted by default are the Mozilla roots
//! bundled by `webpki-roots` (the same everywhere, no system dependency). Two settings change
//! that:
//!
//! - [`add_root_certificates_pem`](HttpOptions::add_root_certificates_pem): trust extra CAs (a
//!   private endpoint's CA, a TLS-inspecting corporate proxy).
//! - the `native-roots` cargo feature adds `HttpOptions::platform_roots`:
//!   trust the operating system's store (read through `rustls-native-certs`).
//!
//! # Proxies
//!
//! Without [`proxy`](HttpOptions::proxy), the standard variables `HTTPS_PROXY`, `HTTP_PROXY`,
//! `ALL_PROXY` and `NO_PROXY` are honoured, as reqwest does; [`no_system_proxy`](
//! HttpOptions::no_system_proxy) turns that off.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use crate::Error;

/// The reqwest this version of alioss is built with, to build a client for
/// [`HttpOptions::client`] without naming a matching version in your own `Cargo.toml`.
pub use reqwest;

/// The user agent every request carries: `alioss/<version>` (plus the suffix set with
/// [`HttpOptions::user_agent_suffix`]).
pub const USER_AGENT: &str = concat!("alioss/", env!("CARGO_PKG_VERSION"));

/// Settings of the HTTP transport, shared by every client and provider (see the
/// [module documentation](self)).
///
/// Every setting left unset keeps the default of the client it is given to (for example the
/// OSS client connects within 10 s and reads within 60 s, the STS client within 5 s and 10 s).
/// Cheap to clone. Its `Debug` never shows a proxy's password.
#[derive(Clone, Default)]
pub struct HttpOptions {
    client: Option<reqwest::Client>,
    proxy: Option<String>,
    proxy_auth: Option<(String, zeroize::Zeroizing<String>)>,
    no_proxy: Option<String>,
    system_proxy: Option<bool>,
    root_certificates: Vec<reqwest::Certificate>,
    webpki_roots: Option<bool>,
    #[cfg(feature = "native-roots")]
    platform_roots: Option<bool>,
    user_agent_suffix: Option<String>,
    pool_max_idle_per_host: Option<usize>,
    pool_idle_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    operation_timeout: Option<Duration>,
    resolve: Vec<(String, SocketAddr)>,
}

impl fmt::Debug for HttpOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("HttpOptions");
        d.field("custom_client", &self.client.is_some())
            .field("proxy", &self.proxy.as_deref().map(redact_userinfo))
            .field(
                "proxy_auth",
                &self.proxy_auth.as_ref().map(|_| "** redacted **"),
            )
            .field("no_proxy", &self.no_proxy)
            .field("system_proxy", &self.system_proxy)
            .field("root_certificates", &self.root_certificates.len())
            .field("webpki_roots", &self.webpki_roots);
        #[cfg(feature = "native-roots")]
        d.field("platform_roots", &self.platform_roots);
        d.field("user_agent_suffix", &self.user_agent_suffix)
            .field("pool_max_idle_per_host", &self.pool_max_idle_per_host)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("operation_timeout", &self.operation_timeout)
            .field("resolve", &self.resolve)
            .finish()
    }
}

/// `scheme://host:port` of a proxy URL, without user name and password.
fn redact_userinfo(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => "** unparsable **".to_owned(),
    }
}

/// What a client falls back to for the settings an [`HttpOptions`] leaves unset.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Defaults {
    pub(crate) connect_timeout: Duration,
    pub(crate) read_timeout: Duration,
}

impl HttpOptions {
    /// Options with every setting unset (each client's defaults apply).
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses `client` for every request, as it is: the other transport settings of these options
    /// (proxy, roots, user agent, pool, connect / read / request timeouts, resolve) and the
    /// per-client timeout setters do not reach it; [`operation_timeout`](Self::operation_timeout),
    /// which alioss enforces itself, still applies. Build it without redirects
    /// (`redirect(Policy::none())`): a redirect would resend signed headers to another host.
    pub fn client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Sends every request (http and https) through the proxy at `url` (`http://host:port`,
    /// `https://…`, or `socks5://…` when reqwest's `socks` feature is on). User name and password
    /// may be written in the URL or given with [`proxy_basic_auth`](Self::proxy_basic_auth).
    /// Checked when the client is built.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
        self
    }

    /// Sends `Proxy-Authorization: Basic …` to the proxy.
    pub fn proxy_basic_auth(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.proxy_auth = Some((username.into(), zeroize::Zeroizing::new(password.into())));
        self
    }

    /// Hosts reached directly, not through the [`proxy`](Self::proxy): a comma-separated list
    /// in `NO_PROXY` syntax (`localhost,.internal.example,10.0.0.0/8`).
    pub fn no_proxy(mut self, hosts: impl Into<String>) -> Self {
        self.no_proxy = Some(hosts.into());
        self
    }

    /// Ignores the `HTTP_PROXY` / `HTTPS_PROXY` / `ALL_PROXY` variables (they are honoured by
    /// default when no [`proxy`](Self::proxy) is set).
    pub fn no_system_proxy(mut self) -> Self {
        self.system_proxy = Some(false);
        self
    }

    /// Also trusts the CA certificates in `pem` (one or more `BEGIN CERTIFICATE` blocks).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming `root_certificates` when `pem` holds no certificate or a
    /// block that does not parse.
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
            Error::invalid(
                "root_certificates",
                format!(
                    "must be PEM CA certificates: {}",
                    error_chain(&e.without_url())
                ),
            )
        })?;
        if certs.is_empty() {
            return Err(Error::invalid(
                "root_certificates",
                "must hold at least one PEM certificate (-----BEGIN CERTIFICATE-----)",
            ));
        }
        self.root_certificates.extend(certs);
        Ok(self)
    }

    /// Whether the bundled Mozilla roots (`webpki-roots`) are trusted (default: yes). Turn off
    /// to trust only the certificates added with
    /// [`add_root_certificates_pem`](Self::add_root_certificates_pem) (and the platform's, if
    /// asked for).
    pub fn webpki_roots(mut self, on: bool) -> Self {
        self.webpki_roots = Some(on);
        self
    }

    /// Whether the operating system's root store is trusted too (default: no). Needs the
    /// `native-roots` feature.
    #[cfg(feature = "native-roots")]
    #[cfg_attr(docsrs, doc(cfg(feature = "native-roots")))]
    pub fn platform_roots(mut self, on: bool) -> Self {
        self.platform_roots = Some(on);
        self
    }

    /// Appended to the user agent: `alioss/<version> <suffix>`.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// At most this many idle connections kept per host (default: no limit).
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.pool_max_idle_per_host = Some(max);
        self
    }

    /// How long an idle connection is kept (default 50 s for OSS, below the server's 60 s;
    /// reqwest's 90 s elsewhere).
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool_idle_timeout = Some(timeout);
        self
    }

    /// How long establishing a connection (TCP and TLS) may take.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// How long a read from the connection may stall.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = Some(timeout);
        self
    }

    /// How long one request may take from start to the end of its body (one attempt; the OSS
    /// client's `operation_timeout` bounds all attempts together). Default: no limit.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// How long one operation of the OSS or STS client may take in total, every attempt, the
    /// waits between them and the reading of the response body included (for GetObject, the
    /// body streamed to the caller); the OSS builder's own `operation_timeout` wins over this
    /// one. Past it the operation fails with a timeout. Default: no limit for OSS, and
    /// [`DEFAULT_STS_OPERATION_TIMEOUT`](crate::sts::DEFAULT_STS_OPERATION_TIMEOUT) (30 s) for
    /// the STS client. Providers that
    /// call a URL or the ECS metadata service make one request per refresh, bounded by
    /// [`request_timeout`](Self::request_timeout).
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = Some(timeout);
        self
    }

    /// Resolves `host` to `addr` instead of asking DNS (private DNS; tests of virtual-hosted
    /// addressing against a local server).
    pub fn resolve(mut self, host: impl Into<String>, addr: SocketAddr) -> Self {
        self.resolve.push((host.into(), addr));
        self
    }

    /// The user agent requests carry.
    pub fn user_agent(&self) -> String {
        match self.user_agent_suffix.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() => format!("{USER_AGENT} {s}"),
            _ => USER_AGENT.to_owned(),
        }
    }

    pub(crate) fn set_connect_timeout(&mut self, timeout: Duration) {
        self.connect_timeout = Some(timeout);
    }

    pub(crate) fn set_read_timeout(&mut self, timeout: Duration) {
        self.read_timeout = Some(timeout);
    }

    pub(crate) fn operation_timeout_value(&self) -> Option<Duration> {
        self.operation_timeout
    }

    pub(crate) fn pool_idle_timeout_unset(&self) -> bool {
        self.pool_idle_timeout.is_none()
    }

    pub(crate) fn push_resolve(&mut self, host: String, addr: SocketAddr) {
        self.resolve.push((host, addr));
    }

    /// The reqwest client these options describe: the one handed in, or a new one with the
    /// crate's user agent, no redirects (a redirect would resend signed headers to another
    /// host), and `defaults` for what is unset.
    pub(crate) fn build_client(&self, defaults: Defaults) -> Result<reqwest::Client, Error> {
        if let Some(c) = &self.client {
            return Ok(c.clone());
        }
        let user_agent = reqwest::header::HeaderValue::from_str(&self.user_agent())
            .map_err(|_| Error::invalid("user_agent_suffix", "must be visible ASCII"))?;
        let mut b = reqwest::Client::builder()
            .user_agent(user_agent)
            .connect_timeout(self.connect_timeout.unwrap_or(defaults.connect_timeout))
            .read_timeout(self.read_timeout.unwrap_or(defaults.read_timeout))
            .redirect(reqwest::redirect::Policy::none());
        if let Some(t) = self.request_timeout {
            b = b.timeout(t);
        }
        if let Some(n) = self.pool_max_idle_per_host {
            b = b.pool_max_idle_per_host(n);
        }
        if let Some(t) = self.pool_idle_timeout {
            b = b.pool_idle_timeout(t);
        }
        if self.system_proxy == Some(false) {
            b = b.no_proxy();
        }
        if let Some(p) = &self.proxy {
            let mut proxy = reqwest::Proxy::all(p.as_str()).map_err(|_| {
                Error::invalid(
                    "proxy",
                    "must be a proxy URL such as http://host:port (user name and password allowed)",
                )
            })?;
            if let Some((user, password)) = &self.proxy_auth {
                proxy = proxy.basic_auth(user, password);
            }
            proxy = proxy.no_proxy(
                self.no_proxy
                    .as_deref()
                    .and_then(reqwest::NoProxy::from_string),
            );
            b = b.proxy(proxy);
        }
        for c in &self.root_certificates {
            b = b.add_root_certificate(c.clone());
        }
        if let Some(on) = self.webpki_roots {
            b = b.tls_built_in_webpki_certs(on);
        }
        #[cfg(feature = "native-roots")]
        {
            b = b.tls_built_in_native_certs(self.platform_roots.unwrap_or(false));
        }
        for (host, addr) in &self.resolve {
            b = b.resolve(host, *addr);
        }
        b.build().map_err(|e| {
            let e = e.without_url();
            Error::Transport {
                message: format!("could not build the HTTP client: {}", error_chain(&e)),
                timeout: false,
                connect: false,
                source: Some(Box::new(e)),
            }
        })
    }
}

/// The message of `e` and its sources (each source once).
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let s_text = s.to_string();
        if !msg.contains(&s_text) {
            msg.push_str(": ");
            msg.push_str(&s_text);
        }
        src = s.source();
    }
    msg
}

/// A transport error from reqwest, with the URL (presigned or not) stripped.
pub(crate) fn transport_error(e: reqwest::Error) -> Error {
    let timeout = e.is_timeout();
    let connect = e.is_connect();
    let e = e.without_url();
    Error::Transport {
        message: error_chain(&e),
        timeout,
        connect,
        source: Some(Box::new(e)),
    }
}

/// Why a bounded body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// The connection failed while reading (already a URL-free transport error).
    Transport(Error),
    /// The body is larger than allowed (by its `Content-Length`, or as it streamed in).
    TooLarge {
        /// What the body is, for the message.
        what: &'static str,
        /// The limit, in bytes.
        limit: usize,
    },
}

impl BodyError {
    /// Whether trying again may help (a transport failure; a too-large body will not shrink).
    pub(crate) fn is_transport(&self) -> bool {
        matches!(self, BodyError::Transport(_))
    }
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::Transport(e) => e.fmt(f),
            BodyError::TooLarge { what, limit } => write!(
                f,
                "{what} is larger than its limit of {limit} bytes (see alioss::limits); refused"
            ),
        }
    }
}

impl From<BodyError> for Error {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::Transport(e) => e,
            too_large => Error::Response(too_large.to_string()),
        }
    }
}

/// Reads `resp`'s body into memory, refusing it past `limit` bytes: at once when its
/// `Content-Length` says so, otherwise as soon as the bytes received pass the limit (the rest
/// is not read).
pub(crate) async fn read_limited(
    mut resp: reqwest::Response,
    limit: usize,
    what: &'static str,
) -> Result<bytes::Bytes, BodyError> {
    let too_large = BodyError::TooLarge { what, limit };
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large);
    }
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| BodyError::Transport(transport_error(e)))?
    {
        if buf.len() + chunk.len() > limit {
            return Err(too_large);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Reads at most `limit` bytes of `resp`'s body (an error body: what fits is enough to report
/// the error). A failure while reading gives what arrived before it.
pub(crate) async fn read_prefix(mut resp: reqwest::Response, limit: usize) -> bytes::Bytes {
    let mut buf = bytes::BytesMut::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let room = limit - buf.len();
        if chunk.len() >= room {
            buf.extend_from_slice(&chunk[..room]);
            break;
        }
        buf.extend_from_slice(&chunk);
    }
    buf.freeze()
}

/// `endpoint` with `https://` in front when it has no scheme. A scheme without a host
/// (`http://`, `https:`, `http:/x`) is refused rather than read as a host named `http`.
pub(crate) fn with_default_scheme(endpoint: &str) -> Result<String, Error> {
    if endpoint.contains("://") {
        return Ok(endpoint.to_owned());
    }
    let lower = endpoint.to_ascii_lowercase();
    if ["http:", "https:"].iter().any(|s| lower.starts_with(s)) {
        return Err(Error::invalid(
            "endpoint",
            "has a scheme but no host: write scheme://host[:port]",
        ));
    }
    Ok(format!("https://{endpoint}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_proxy_credentials() {
        let o = HttpOptions::new()
            .proxy("http://alice:s3cret@proxy.example:3128")
            .proxy_basic_auth("bob", "hunter2");
        let shown = format!("{o:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("proxy.example:3128"), "{shown}");
    }

    #[test]
    fn a_bad_proxy_url_names_the_field() {
        let e = HttpOptions::new()
            .proxy("not a url")
            .build_client(Defaults {
                connect_timeout: Duration::from_secs(1),
                read_timeout: Duration::from_secs(1),
            })
            .unwrap_err();
        assert!(e.to_string().contains("proxy"), "{e}");
    }

    #[test]
    fn pem_without_certificates_is_refused() {
        let e = HttpOptions::new()
            .add_root_certificates_pem(b"no certificate here")
            .unwrap_err();
        assert!(e.to_string().contains("root_certificates"), "{e}");
    }

    #[cfg(feature = "native-roots")]
    #[test]
    fn platform_roots_can_be_trusted_alongside_the_bundled_ones() {
        let defaults = Defaults {
            connect_timeout: Duration::from_secs(1),
            read_timeout: Duration::from_secs(1),
        };
        let o = HttpOptions::new().platform_roots(true);
        assert!(format!("{o:?}").contains("platform_roots: Some(true)"));
        // A machine without a readable store still builds: rustls-native-certs reports what it
        // could load and reqwest keeps the bundled roots.
        o.build_client(defaults).unwrap();
    }

    #[test]
    fn the_suffix_follows_the_crate_agent() {
        assert_eq!(HttpOptions::new().user_agent(), USER_AGENT);
        assert_eq!(
            HttpOptions::new().user_agent_suffix("app/1").user_agent(),
            format!("{USER_AGENT} app/1")
        );
    }
}
