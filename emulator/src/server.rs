//! Starting and stopping the emulator, and routing each request to STS, OSS or the admin API.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response};
use time::OffsetDateTime;

use crate::clock::Clock;
use crate::config::{BucketConfig, ConfigError, EmulatorConfig};
use crate::errors::{OssError, StsError};
use crate::faults::{FaultKind, Faults};
use crate::iam::Iam;
use crate::store::Store;

/// The response body type.
pub(crate) type Body = BoxBody<Bytes, io::Error>;

/// A whole body from bytes.
pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// An empty body.
pub(crate) fn empty() -> Body {
    full(Bytes::new())
}

/// Largest request header section accepted (bytes).
pub(crate) const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Shared server state.
pub(crate) struct State {
    pub(crate) config: EmulatorConfig,
    pub(crate) iam: Iam,
    pub(crate) store: Store,
    pub(crate) clock: Clock,
    pub(crate) faults: Faults,
    pub(crate) buckets: HashMap<String, BucketConfig>,
    /// ETags from CRC-64 and size instead of MD5 (see [`EmulatorBuilder::fast_etags`]).
    pub(crate) fast_etags: bool,
}

/// Per-request facts every handler needs.
#[derive(Debug, Clone)]
pub(crate) struct RequestInfo {
    pub(crate) request_id: String,
    pub(crate) now: OffsetDateTime,
    pub(crate) peer: Option<SocketAddr>,
    /// The `Host` the client addressed (shown as `HostId` in errors).
    pub(crate) host: String,
    /// Whether the request came over TLS (`acs:SecureTransport`).
    pub(crate) secure: bool,
}

impl RequestInfo {
    /// The policy-condition facts of this request.
    pub(crate) fn conditions(&self) -> crate::authz::Conditions {
        crate::authz::Conditions::for_request(self.peer.map(|p| p.ip()), self.now, self.secure)
    }
}

/// Why the emulator could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum EmulatorError {
    /// The configuration breaks a rule.
    Config(ConfigError),
    /// Binding the address or opening the data directory failed.
    Io(io::Error),
}

impl fmt::Display for EmulatorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmulatorError::Config(e) => write!(f, "{e}"),
            EmulatorError::Io(e) => write!(f, "emulator I/O error: {e}"),
        }
    }
}

impl std::error::Error for EmulatorError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EmulatorError::Config(e) => Some(e),
            EmulatorError::Io(e) => Some(e),
        }
    }
}

impl From<io::Error> for EmulatorError {
    fn from(e: io::Error) -> Self {
        EmulatorError::Io(e)
    }
}

impl From<ConfigError> for EmulatorError {
    fn from(e: ConfigError) -> Self {
        EmulatorError::Config(e)
    }
}

/// Entry point: `Emulator::start(EmulatorConfig::demo())` or `Emulator::builder()`.
#[derive(Debug)]
pub struct Emulator;

impl Emulator {
    /// Starts an emulator on `127.0.0.1:0` with a memory store.
    pub async fn start(config: EmulatorConfig) -> Result<EmulatorHandle, EmulatorError> {
        Self::builder().config(config).start().await
    }

    /// A builder for the listen address, the configuration and the data directory.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }
}

/// Options for starting an emulator.
#[derive(Debug, Default)]
pub struct EmulatorBuilder {
    config: Option<EmulatorConfig>,
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    fast_etags: bool,
    tls: bool,
    tls_names: Vec<String>,
}

impl EmulatorBuilder {
    /// Serves HTTPS instead of HTTP, with a certificate signed by a CA generated at start-up
    /// ([`EmulatorHandle::ca_pem`]), valid for `localhost`, `*.localhost`, 127.0.0.1, ::1 and
    /// the listen address. Clients trust it by adding the CA, e.g. with alioss's
    /// `HttpOptions::add_root_certificates_pem`.
    pub fn tls(mut self, on: bool) -> Self {
        self.tls = on;
        self
    }

    /// Also makes the TLS certificate valid for `name` (a DNS name, `*.` wildcards allowed, or
    /// an IP address), e.g. `*.oss-cn-hangzhou.aliyuncs.com` for virtual-hosted requests
    /// resolved to the emulator.
    pub fn tls_name(mut self, name: impl Into<String>) -> Self {
        self.tls_names.push(name.into());
        self
    }

    /// The configuration (default: [`EmulatorConfig::demo`]).
    pub fn config(mut self, config: EmulatorConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// The address to listen on (default `127.0.0.1:0`, a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = Some(addr);
        self
    }

    /// Keep objects in this directory (created if missing) instead of memory; they survive a
    /// restart with the same directory.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Derives object and part ETags from CRC-64 and size instead of MD5 (default: off, MD5
    /// as OSS does). MD5 runs at about 0.5 GB/s per core and caps upload benchmarks; with this
    /// on, bodies are only CRC-64'd (and MD5'd when the client sends `Content-MD5`, which is
    /// still verified), so the emulator is not what a benchmark measures. The ETags and the
    /// stored `Content-MD5` are then not MD5 values: leave it off where a client checks them.
    pub fn fast_etags(mut self, on: bool) -> Self {
        self.fast_etags = on;
        self
    }

    /// Binds, starts serving in the background, and returns the handle.
    pub async fn start(self) -> Result<EmulatorHandle, EmulatorError> {
        let config = self.config.unwrap_or_else(EmulatorConfig::demo);
        config.validate()?;
        let bucket_names: Vec<String> = config.buckets.iter().map(|b| b.name.clone()).collect();
        let store = Store::open(self.data_dir.clone(), &bucket_names).await?;
        let addr = self
            .listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let tls = if self.tls {
            Some(crate::tls::generate(addr.ip(), &self.tls_names)?)
        } else {
            None
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let (acceptor, ca_pem) = match tls {
            Some(t) => (Some(t.acceptor), Some(t.ca_pem)),
            None => (None, None),
        };
        let state = Arc::new(State {
            iam: Iam::new(&config),
            buckets: config
                .buckets
                .iter()
                .map(|b| (b.name.clone(), b.clone()))
                .collect(),
            config,
            store,
            clock: Clock::new(),
            faults: Faults::default(),
            fast_etags: self.fast_etags,
        });
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(serve(listener, acceptor, state.clone(), stop_rx));
        Ok(EmulatorHandle {
            endpoint: format!("{scheme}://{addr}"),
            addr,
            ca_pem,
            state,
            stop: stop_tx,
            task: Some(task),
        })
    }
}

/// A running emulator. Dropping it stops the server too; [`shutdown`](Self::shutdown) also
/// waits for it.
pub struct EmulatorHandle {
    endpoint: String,
    addr: SocketAddr,
    ca_pem: Option<String>,
    state: Arc<State>,
    stop: tokio::sync::watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("endpoint", &self.endpoint)
            .field("account_id", &self.state.config.account_id)
            .finish_non_exhaustive()
    }
}

impl EmulatorHandle {
    /// `http://127.0.0.1:PORT` (`https://` with [`EmulatorBuilder::tls`]; no trailing slash);
    /// STS and OSS share it.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// With [`EmulatorBuilder::tls`]: the PEM of the CA that signed the server certificate (the
    /// one certificate a client must trust).
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration the emulator runs with.
    pub fn config(&self) -> &EmulatorConfig {
        &self.state.config
    }

    /// The account id.
    pub fn account_id(&self) -> &str {
        &self.state.config.account_id
    }

    /// Credentials of the account's own (root) AccessKey.
    pub fn root_credentials(&self) -> alioss::Credentials {
        let root = &self.state.config.root;
        alioss::Credentials::new(root.access_key_id.clone(), root.access_key_secret.clone())
            .expect("the configuration was validated: the root key is non-empty")
    }

    /// Credentials of a RAM user, by name.
    pub fn user_credentials(&self, name: &str) -> Option<alioss::Credentials> {
        let u = self.state.config.users.iter().find(|u| u.name == name)?;
        alioss::Credentials::new(u.access_key_id.clone(), u.access_key_secret.clone()).ok()
    }

    /// The ARN of a role, by name.
    pub fn role_arn(&self, name: &str) -> Option<String> {
        let r = self.state.config.roles.iter().find(|r| r.name == name)?;
        Some(self.state.config.role_arn(r))
    }

    /// The server clock (advance it, or skew it).
    pub fn clock(&self) -> &Clock {
        &self.state.clock
    }

    /// The fault list.
    pub fn faults(&self) -> &Faults {
        &self.state.faults
    }

    /// The data directory, when objects are kept on disk.
    pub fn data_dir(&self) -> Option<&std::path::Path> {
        self.state.store.dir()
    }

    /// Stops accepting, closes open connections and waits for the server task.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn serve(
    listener: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    state: Arc<State>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            _ = stop.changed() => break,
            a = listener.accept() => a,
        };
        let (stream, peer) = match accepted {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let stop = stop.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => serve_connection(stream, state, peer, false, stop).await,
                Some(acceptor) => {
                    // A client that never finishes its handshake is not waited for forever,
                    // nor past the server's stop.
                    let mut stopped = stop.clone();
                    let handshake =
                        tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream));
                    let accepted = tokio::select! {
                        _ = stopped.changed() => return,
                        a = handshake => a,
                    };
                    match accepted {
                        Ok(Ok(tls_stream)) => {
                            serve_connection(tls_stream, state, peer, true, stop).await
                        }
                        Ok(Err(e)) => tracing::debug!(error = %e, %peer, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
}

/// How long a TLS client may take to complete its handshake.
const TLS_HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves HTTP/1.1 on one accepted connection (plain or TLS, `secure`) until it closes or the
/// server stops.
async fn serve_connection<S>(
    stream: S,
    state: Arc<State>,
    peer: SocketAddr,
    secure: bool,
    mut stop: tokio::sync::watch::Receiver<bool>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let state = state.clone();
        async move { handle(state, req, peer, secure).await }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .max_buf_size(256 * 1024)
        .keep_alive(true)
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
    tokio::select! {
        _ = conn => {}
        _ = stop.changed() => {}
    }
}

/// Returned by a handler to make hyper close the connection without answering.
#[derive(Debug)]
pub(crate) struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DropConnection {}

/// A new request id: 24 upper-case hex digits, like OSS's.
pub(crate) fn new_request_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..24].to_ascii_uppercase()
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
    peer: SocketAddr,
    secure: bool,
) -> Result<Response<Body>, DropConnection> {
    let info = RequestInfo {
        request_id: new_request_id(),
        now: state.clock.now(),
        peer: Some(peer),
        secure,
        host: req
            .headers()
            .get(hyper::header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("localhost")
            .to_owned(),
    };
    let mut resp = route(&state, req, &info).await?;
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&info.request_id) {
        headers.insert("x-oss-request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&alioss::oss::signer::format_http_date(state.clock.now()))
    {
        headers.insert(hyper::header::DATE, v);
    }
    headers.insert(hyper::header::SERVER, HeaderValue::from_static("AliyunOSS"));
    Ok(resp)
}

/// What an injected fault asks the handler to do instead of (or on top of) serving.
#[derive(Debug)]
pub(crate) enum Injected {
    /// Answer with this status, code and message.
    Fail(u16, String, String),
    /// Serve, but cut the response body after this many bytes and drop the connection.
    Truncate(u64),
}

/// Applies the pending fault for `operation`, if any: `Ok(Some(..))` for the handler to act on,
/// `Err` to drop the connection now (after reading `after_bytes` of the request body),
/// `Ok(None)` to go on (after any delay). With `truncate_response`, a drop fault cuts the
/// response body instead (downloads).
pub(crate) async fn apply_fault(
    state: &State,
    operation: &str,
    body: Option<&mut Incoming>,
    truncate_response: bool,
) -> Result<Option<Injected>, DropConnection> {
    let (delay, action) = state.faults.take(operation);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match action {
        None | Some(FaultKind::Delay(_)) => Ok(None),
        Some(FaultKind::Fail {
            status,
            code,
            message,
        }) => Ok(Some(Injected::Fail(status, code, message))),
        Some(FaultKind::DropConnection { after_bytes }) if truncate_response => {
            Ok(Some(Injected::Truncate(after_bytes)))
        }
        Some(FaultKind::DropConnection { after_bytes }) => {
            if let Some(body) = body {
                crate::body::drain(body, after_bytes).await;
            }
            Err(DropConnection)
        }
    }
}

/// Cuts a response body after `limit` bytes, then fails the stream so the connection drops.
pub(crate) fn truncate_body(body: Body, limit: u64) -> Body {
    use futures_util::StreamExt;
    let stream = http_body_util::BodyStream::new(body);
    let cut = stream
        .scan(0u64, move |sent, frame| {
            let out = if *sent >= limit {
                None
            } else {
                Some(frame.map(|frame| match frame.into_data() {
                    Ok(mut data) => {
                        let room = limit - *sent;
                        if data.len() as u64 > room {
                            data.truncate(room as usize);
                        }
                        *sent += data.len() as u64;
                        hyper::body::Frame::data(data)
                    }
                    Err(other) => other,
                }))
            };
            std::future::ready(out)
        })
        .chain(futures_util::stream::once(async {
            // Let hyper flush what was sent before the connection goes.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "connection dropped by an injected fault",
            ))
        }));
    BodyExt::boxed(http_body_util::StreamBody::new(cut))
}

fn header_bytes(req: &Request<Incoming>) -> usize {
    req.headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum::<usize>()
        + req.uri().to_string().len()
}

/// Which bucket a Host header names in virtual-hosted style, if any.
fn virtual_host_bucket(state: &State, req: &Request<Incoming>) -> Option<String> {
    let host = req.headers().get(hyper::header::HOST)?.to_str().ok()?;
    let host = host.rsplit_once(':').map_or(host, |(h, p)| {
        if p.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    let (first, rest) = host.split_once('.')?;
    if rest.is_empty() || !state.buckets.contains_key(first) {
        return None;
    }
    Some(first.to_owned())
}

async fn route(
    state: &Arc<State>,
    mut req: Request<Incoming>,
    info: &RequestInfo,
) -> Result<Response<Body>, DropConnection> {
    let path = req.uri().path().to_owned();
    let vhost = virtual_host_bucket(state, &req);
    if let (None, Some(rest)) = (&vhost, path.strip_prefix("/_emulator/")) {
        return Ok(crate::admin::handle(state, rest, req).await);
    }
    if header_bytes(&req) > MAX_HEADER_BYTES {
        return Ok(oss_error_response(
            &OssError::new(
                400,
                "InvalidArgument",
                "The request header section is larger than the emulator accepts (64 KiB).",
                "0016-00000101",
            ),
            info,
            req.method() == hyper::Method::HEAD,
        ));
    }
    if vhost.is_none() && path == "/" {
        let raw_query = req.uri().query().unwrap_or("").to_owned();
        let query: Vec<(String, String)> = form_urlencoded::parse(raw_query.as_bytes())
            .into_owned()
            .collect();
        let is_form = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
            });
        let acs_action = req.headers().contains_key("x-acs-action");
        if query.iter().any(|(k, _)| k == "Action")
            || acs_action
            || (req.method() == hyper::Method::POST && is_form)
        {
            let body = match crate::body::read_small(req.body_mut(), 64 * 1024).await {
                Ok(b) => b,
                Err(_) => {
                    return Ok(sts_error_response(
                        &StsError::new(
                            400,
                            "InvalidParameter",
                            "The request body is too large or unreadable.",
                        ),
                        info,
                    ))
                }
            };
            let form: Vec<(String, String)> = if is_form {
                form_urlencoded::parse(&body).into_owned().collect()
            } else {
                Vec::new()
            };
            if acs_action || query.iter().chain(form.iter()).any(|(k, _)| k == "Action") {
                let call = crate::sts::RpcCall {
                    method: req.method().as_str(),
                    headers: req.headers(),
                    query,
                    form,
                    body: &body,
                };
                return crate::sts::handle(state, call, info).await;
            }
        }
    }
    crate::oss::handle(state, req, vhost, info).await
}

/// Renders an OSS error.
pub(crate) fn oss_error_response(err: &OssError, info: &RequestInfo, head: bool) -> Response<Body> {
    let xml = err.to_xml(&info.request_id, &info.host);
    let mut b = Response::builder()
        .status(err.status)
        .header("x-oss-ec", err.ec.as_str());
    for (k, v) in &err.headers {
        b = b.header(*k, v.as_str());
    }
    if head {
        use base64::Engine as _;
        b = b.header(
            "x-oss-err",
            base64::engine::general_purpose::STANDARD.encode(xml.as_bytes()),
        );
        b.body(empty()).unwrap_or_else(|_| Response::new(empty()))
    } else {
        b.header(CONTENT_TYPE, "application/xml")
            .body(full(xml))
            .unwrap_or_else(|_| Response::new(empty()))
    }
}

/// Renders an STS error.
pub(crate) fn sts_error_response(err: &StsError, info: &RequestInfo) -> Response<Body> {
    Response::builder()
        .status(err.status)
        .header(CONTENT_TYPE, "application/json;charset=utf-8")
        .body(full(err.to_json(&info.request_id)))
        .unwrap_or_else(|_| Response::new(empty()))
}

/// A JSON response with status 200.
pub(crate) fn json_response(status: u16, value: &serde_json::Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json;charset=utf-8")
        .body(full(value.to_string()))
        .unwrap_or_else(|_| Response::new(empty()))
}
