//! The organisation's token-vending service and the partner's upload page.
//!
//! `GET /sts` answers short-lived, narrowed credentials for the partner, so the organisation's
//! own AccessKey never leaves its server. `GET /` serves a web page (the static files in
//! `examples/web/`) from which a person uploads straight to OSS, in one of two ways:
//!
//! 1. **The scenario's way**: the page fetches `/sts` and the official browser SDK `ali-oss`
//!    uploads with those temporary credentials (V4 signatures, `refreshSTSToken` wired to
//!    `/sts`), with a simple `put` or a `multipartUpload` with a progress bar.
//! 2. **No credentials in the browser at all**: the page asks `GET /post-policy?name=…&type=…`
//!    for a PostObject form (key `src/<name>`, a policy allowing only keys under `src/`, a
//!    `content-length-range` up to the size limit, the content type, a 10-minute expiry, a V4
//!    form signature made with alioss's [`alioss::oss::Client::post_object_form`]) and posts the
//!    file directly to OSS.
//!
//! The service holds the AccessKey of a RAM user that may only call `AssumeRole`. Every
//! `GET /sts` calls STS `AssumeRole` for the role, narrowed by a session policy that allows
//! `oss:PutObject` under `<bucket>/src/` only, and answers, as the scenario's sample servers do,
//!
//! ```text
//! {"AccessKeyId":"STS.…","AccessKeySecret":"…","SecurityToken":"…","Expiration":"2024-04-18T11:33:40Z"}
//! ```
//!
//! with `Access-Control-Allow-Origin: *` and `Access-Control-Allow-Method: GET` (so a browser
//! page may call it), or HTTP 400 with the error message when STS refuses. The partner points
//! [`alioss::providers::UrlCredentialsProvider`] at the URL and gets credentials that are
//! fetched again before they expire (see the `upload` example). STS accepts about 100 calls a
//! second per account: put a cache in front (an `AssumeRoleCredentialsProvider`) if many
//! partners call at once. PostObject forms are signed with such a cached provider.
//!
//! # Running it
//!
//! The page against an in-process STS + OSS emulator, needing no cloud account (serves until
//! Ctrl-C; open the printed `http://127.0.0.1:<port>/` in a browser):
//!
//! ```text
//! (cd examples/web && npm ci)          # once: the ali-oss browser bundle the page loads
//! cargo run --example sts_server -- --emulator
//! ```
//!
//! Demo mode: the emulator in-process, and a self-test — fetches one set of credentials from
//! its own `/sts` with the crate's URL credentials provider, checks the CORS headers and the
//! HTTP 400 error path, uploads one object with the credentials and one through a
//! `/post-policy` form, and exits 0:
//!
//! ```text
//! cargo run --example sts_server -- --demo
//! ```
//!
//! Against Alibaba Cloud (serves until Ctrl-C):
//!
//! ```text
//! ACCESS_KEY_ID=<RAM user id> ACCESS_KEY_SECRET=<its secret> \
//! RAM_ROLE_ARN=acs:ram::<account>:role/ramosstest STS_REGION=cn-hangzhou OSS_BUCKET=<bucket> \
//! cargo run --example sts_server -- 127.0.0.1:8000
//! ```
//!
//! The bucket needs a CORS rule for the page's origin (methods GET, PUT, POST, HEAD; headers
//! `*`; exposed `ETag`, `x-oss-request-id`, `x-oss-hash-crc64ecma`); the emulator's demo
//! bucket has one for `http://127.0.0.1:*` and `http://localhost:*`.
//!
//! The headless-browser test of the page (installs Debian's `chromium` and the npm packages
//! when missing): `bash examples/web/run-browser-test.sh`.
//!
//! Configuration (environment): `ACCESS_KEY_ID` / `ACCESS_KEY_SECRET` (or the
//! `ALIBABA_CLOUD_ACCESS_KEY_*` / `OSS_ACCESS_KEY_*` variables), `RAM_ROLE_ARN`, optionally
//! `STS_ENDPOINT` or `STS_REGION`, `OSS_BUCKET` (default `examplebucket`), `OSS_REGION`
//! (default `STS_REGION`, else `cn-hangzhou`) or `OSS_ENDPOINT`, `UPLOAD_MAX_BYTES` (the form
//! uploads' size limit, default 100 MiB), `WEB_ROOT` (default `examples/web`), and the listen
//! address `STS_SERVER_ADDR` (or the first argument; default `127.0.0.1:0`, a free port; the
//! bound address is printed). Without credentials and a role ARN it runs the demo.
//!
//! Anyone who can reach `/sts` gets upload credentials, so the service listens on a loopback
//! address unless `STS_SERVER_TOKEN` (16 characters or more) is set: then `/sts` and
//! `/post-policy` answer only requests carrying `Authorization: Bearer <token>` (the page reads
//! the token from its URL's fragment, `http://host:port/#token=…`), and a non-loopback address
//! is accepted. Without a token a non-loopback address is refused.
//!
//! Nothing here prints a secret, a security token or a form signature; only key ids, keys and
//! expirations.

use std::collections::HashMap;
use std::error::Error;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use alioss::credentials::{
    Credentials, EnvironmentCredentialsProvider, ProvideCredentials, StaticCredentialsProvider,
};
use alioss::oss;
use alioss::policy::{actions, oss_object, Policy};
use alioss::providers::{AssumeRoleCredentialsProvider, UrlCredentialsProvider};
use alioss::sts::{AssumeRoleRequest, StsClient};
use alioss_emulator::{demo, Emulator, EmulatorConfig, EmulatorHandle, Fault};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

/// What every step returns on failure.
type BoxError = Box<dyn Error + Send + Sync>;

/// The session name the vended credentials carry (tells sessions apart in audit logs).
const SESSION_NAME: &str = "supplier-42";
/// How long vended credentials live: STS's minimum.
const DURATION: Duration = Duration::from_secs(900);
/// The partner's prefix: the session policy and the PostObject policy allow keys under it only.
pub const PREFIX: &str = "src/";
/// How long a PostObject form stays valid.
const FORM_LIFETIME: Duration = Duration::from_secs(600);
/// The form uploads' default size limit (`UPLOAD_MAX_BYTES`).
const DEFAULT_MAX_BYTES: u64 = 100 * 1024 * 1024;
/// The shortest access token accepted (`STS_SERVER_TOKEN`).
const MIN_TOKEN_LEN: usize = 16;
/// Where `npm ci` in the web root puts the official SDK's browser bundle.
const SDK_BUNDLE: &str = "node_modules/ali-oss/dist/aliyun-oss-sdk.min.js";

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(e) = run(args).await {
        eprintln!("sts_server failed: {e}");
        std::process::exit(1);
    }
}

/// What to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `--demo`: the emulator in-process, a self-test, exit.
    SelfTest,
    /// `--emulator`: the emulator in-process, serve the page until Ctrl-C.
    Emulator,
    /// Against Alibaba Cloud, from the environment (the demo when nothing is configured).
    Cloud,
}

/// The command line and the environment the server needs in every mode.
struct Options {
    mode: Mode,
    listen: SocketAddr,
    token: Option<String>,
    web_root: PathBuf,
    max_bytes: u64,
}

impl Options {
    fn parse(args: &[String], var: impl Fn(&str) -> Option<String>) -> Result<Self, BoxError> {
        let mut mode = Mode::Cloud;
        for flag in args.iter().filter(|a| a.starts_with("--")) {
            mode = match flag.as_str() {
                "--demo" => Mode::SelfTest,
                "--emulator" => Mode::Emulator,
                other => {
                    return Err(
                        format!("unknown option {other:?} (expected --demo or --emulator)").into(),
                    )
                }
            };
        }
        let listen = listen_address(args, var("STS_SERVER_ADDR"))?;
        let token = var("STS_SERVER_TOKEN");
        check_listen(listen, token.as_deref())?;
        let max_bytes = match var("UPLOAD_MAX_BYTES") {
            None => DEFAULT_MAX_BYTES,
            Some(v) => v
                .parse()
                .map_err(|_| format!("UPLOAD_MAX_BYTES {v:?} is not a number of bytes"))?,
        };
        let web_root = var("WEB_ROOT")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/web"));
        Ok(Self {
            mode,
            listen,
            token,
            web_root,
            max_bytes,
        })
    }
}

/// Runs the service: the self-testing demo with `--demo` (or when nothing is configured),
/// the page against the in-process emulator with `--emulator`, otherwise serves against
/// Alibaba Cloud until Ctrl-C.
pub async fn run(args: Vec<String>) -> Result<(), BoxError> {
    run_with(args, |name| {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    })
    .await
}

/// [`run`] with the environment variables the server reads (`STS_SERVER_ADDR`,
/// `STS_SERVER_TOKEN`, `UPLOAD_MAX_BYTES`, `WEB_ROOT`) looked up through `var`.
pub async fn run_with(
    args: Vec<String>,
    var: impl Fn(&str) -> Option<String>,
) -> Result<(), BoxError> {
    let options = Options::parse(&args, var)?;
    match options.mode {
        Mode::SelfTest => demo_self_test(options).await,
        Mode::Emulator => serve_emulator(options).await,
        Mode::Cloud => match Config::from_env()? {
            Some(config) => serve_until_ctrl_c(config, options).await,
            None => {
                println!(
                    "no ACCESS_KEY_ID / ACCESS_KEY_SECRET / RAM_ROLE_ARN configured: running the demo"
                );
                demo_self_test(options).await
            }
        },
    }
}

/// The listen address: the first argument that is not a flag, else `STS_SERVER_ADDR`, else
/// `127.0.0.1:0`.
fn listen_address(args: &[String], from_env: Option<String>) -> Result<SocketAddr, BoxError> {
    let text = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .cloned()
        .or(from_env)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    text.parse()
        .map_err(|e| format!("listen address {text:?} is not ip:port: {e}").into())
}

/// A loopback address is always accepted; any other needs an access token, since whoever
/// reaches `/sts` gets upload credentials.
///
/// # Errors
///
/// A non-loopback address without a token, or a token shorter than 16 characters.
pub fn check_listen(listen: SocketAddr, token: Option<&str>) -> Result<(), BoxError> {
    match token {
        Some(t) if t.chars().count() < MIN_TOKEN_LEN => {
            Err(format!("STS_SERVER_TOKEN must be at least {MIN_TOKEN_LEN} characters").into())
        }
        None if !listen.ip().is_loopback() => Err(format!(
            "refusing to listen on {listen}: it is reachable from other hosts and no access \
             token is set; set STS_SERVER_TOKEN (at least {MIN_TOKEN_LEN} characters) so that \
             only callers presenting it get credentials, or listen on 127.0.0.1"
        )
        .into()),
        _ => Ok(()),
    }
}

/// The service's configuration against Alibaba Cloud.
struct Config {
    caller: Credentials,
    role_arn: String,
    endpoint: Option<String>,
    region: Option<String>,
    bucket: String,
    oss_region: String,
    oss_endpoint: Option<String>,
}

impl Config {
    /// `None` when nothing is configured (then the demo runs); an error when the configuration
    /// is incomplete.
    fn from_env() -> Result<Option<Self>, BoxError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let Some(role_arn) = var("RAM_ROLE_ARN") else {
            if var("ACCESS_KEY_ID").is_some() {
                return Err(
                    "ACCESS_KEY_ID is set but RAM_ROLE_ARN is not: name the role to assume".into(),
                );
            }
            return Ok(None);
        };
        let caller = match (var("ACCESS_KEY_ID"), var("ACCESS_KEY_SECRET")) {
            (Some(id), Some(secret)) => Credentials::new(id, secret)?,
            (Some(_), None) => {
                return Err("ACCESS_KEY_ID is set but ACCESS_KEY_SECRET is not".into())
            }
            _ => EnvironmentCredentialsProvider::new()
                .credentials()
                .map_err(|e| {
                    format!("RAM_ROLE_ARN is set but no RAM user AccessKey was found: {e}")
                })?,
        };
        let region = var("STS_REGION");
        Ok(Some(Self {
            caller,
            role_arn,
            endpoint: var("STS_ENDPOINT"),
            oss_region: var("OSS_REGION")
                .or_else(|| region.clone())
                .unwrap_or_else(|| demo::REGION.to_owned()),
            region,
            bucket: var("OSS_BUCKET").unwrap_or_else(|| demo::BUCKET.to_owned()),
            oss_endpoint: var("OSS_ENDPOINT"),
        }))
    }
}

/// The `AssumeRole` request the service sends: the role, narrowed to uploads under `src/`.
fn narrowed_request(role_arn: &str, bucket: &str) -> Result<AssumeRoleRequest, BoxError> {
    let session_policy = Policy::builder()
        .allow(
            [actions::PUT_OBJECT],
            [oss_object(bucket, format!("{PREFIX}*"))],
        )
        .build()?;
    println!(
        "session policy: {}",
        session_policy.to_session_policy_json()?
    );
    Ok(AssumeRoleRequest::builder()
        .role_arn(role_arn)
        .role_session_name(SESSION_NAME)
        .duration(DURATION)
        .policy(&session_policy)
        .build()?)
}

/// What the handlers share.
struct Service {
    /// STS with the RAM user's AccessKey, for `/sts`.
    sts: StsClient,
    /// The narrowed `AssumeRole` request.
    request: AssumeRoleRequest,
    /// Signs PostObject forms with cached narrowed credentials.
    forms: oss::Client,
    /// The bucket the page uploads to.
    bucket: String,
    /// The form uploads' size limit.
    max_bytes: u64,
    /// The access token `/sts` and `/post-policy` require, if any.
    token: Option<String>,
    /// The folder of `index.html`, `app.js`, `style.css` and `node_modules/`.
    web_root: PathBuf,
    /// Emulator mode only: a client that may read the bucket, behind `/emulator/object`.
    inspector: Option<oss::Client>,
}

impl Service {
    fn new(
        sts: StsClient,
        request: AssumeRoleRequest,
        forms: oss::ClientBuilder,
        bucket: &str,
        options: &Options,
    ) -> Result<Self, BoxError> {
        let provider = AssumeRoleCredentialsProvider::new(sts.clone(), request.clone());
        Ok(Self {
            sts,
            request,
            forms: forms.credentials(provider).build()?,
            bucket: bucket.to_owned(),
            max_bytes: options.max_bytes,
            token: options.token.clone(),
            web_root: options.web_root.clone(),
            inspector: None,
        })
    }

    /// Whether a request may have credentials or a form.
    fn admits(&self, headers: &HeaderMap) -> bool {
        token_admits(self.token.as_deref(), headers)
    }
}

/// Whether a request may have credentials or a form: always when the service has no token,
/// else only with `Authorization: Bearer <token>`.
pub fn token_admits(token: Option<&str>, headers: &HeaderMap) -> bool {
    let Some(token) = token else {
        return true;
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Compared without an early exit, so timing does not reveal a matching prefix.
    presented.len() == token.len()
        && presented
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The router: the page, its configuration, `GET /sts` and `GET /post-policy`.
fn router(service: Arc<Service>) -> Router {
    let mut router = Router::new()
        .route(
            "/",
            get(|s: State<Arc<Service>>| static_file(s, "index.html")),
        )
        .route(
            "/index.html",
            get(|s: State<Arc<Service>>| static_file(s, "index.html")),
        )
        .route(
            "/app.js",
            get(|s: State<Arc<Service>>| static_file(s, "app.js")),
        )
        .route(
            "/style.css",
            get(|s: State<Arc<Service>>| static_file(s, "style.css")),
        )
        .route(
            "/vendor/aliyun-oss-sdk.min.js",
            get(|s: State<Arc<Service>>| static_file(s, SDK_BUNDLE)),
        )
        .route("/config", get(page_config))
        .route("/sts", get(vend_credentials))
        .route("/post-policy", get(post_policy));
    if service.inspector.is_some() {
        router = router.route("/emulator/object", get(inspect_object));
    }
    router.with_state(service)
}

/// One of the page's files (a fixed list: no path from the request reaches the file system).
async fn static_file(State(service): State<Arc<Service>>, name: &'static str) -> Response {
    let content_type = match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        _ => "application/octet-stream",
    };
    match tokio::fs::read(service.web_root.join(name)).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => {
            let hint = if name == SDK_BUNDLE {
                format!(
                    "; run `npm ci` in {} to install the ali-oss browser bundle",
                    service.web_root.display()
                )
            } else {
                String::new()
            };
            (StatusCode::NOT_FOUND, format!("{name}: {e}{hint}\n")).into_response()
        }
    }
}

/// `GET /config`: what the page needs to reach the bucket (nothing secret).
async fn page_config(State(service): State<Arc<Service>>) -> Response {
    let path_style = service.forms.addressing_style() == oss::AddressingStyle::PathStyle;
    let body = serde_json::json!({
        "bucket": service.bucket,
        "region": service.forms.region().unwrap_or(demo::REGION),
        "endpoint": service.forms.endpoint(),
        "pathStyle": path_style,
        "prefix": PREFIX,
        "maxBytes": service.max_bytes,
        "tokenRequired": service.token.is_some(),
    });
    json_response(StatusCode::OK, &body)
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        "this service needs its access token: Authorization: Bearer <token>\n",
    )
        .into_response()
}

/// `GET /sts`: one `AssumeRole` call, answered as the scenario's sample servers answer.
async fn vend_credentials(State(service): State<Arc<Service>>, headers: HeaderMap) -> Response {
    let mut response = if !service.admits(&headers) {
        unauthorized()
    } else {
        match service.sts.assume_role(&service.request).await {
            Ok(out) => {
                let c = &out.credentials;
                println!(
                    "GET /sts: vended key id {} ({})",
                    c.access_key_id(),
                    expiration_text(c)
                );
                let body = serde_json::json!({
                    "AccessKeyId": c.access_key_id(),
                    "AccessKeySecret": c.access_key_secret(),
                    "SecurityToken": c.security_token().unwrap_or_default(),
                    "Expiration": expiration_text(c),
                });
                json_response(StatusCode::OK, &body)
            }
            Err(e) => {
                println!("GET /sts: AssumeRole failed: {e}");
                (
                    StatusCode::BAD_REQUEST,
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    e.to_string(),
                )
                    .into_response()
            }
        }
    };
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    // The header name the scenario's sample sends (sic).
    headers.insert(
        "access-control-allow-method",
        HeaderValue::from_static("GET"),
    );
    response
}

/// Checks the `name` of `/post-policy`: one path segment of 1–255 bytes, no control
/// characters, not `.` or `..`. The object key is `src/<name>`.
///
/// # Errors
///
/// The rule the name breaks.
pub fn check_upload_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 255 {
        return Err("name must be 1 to 255 bytes".into());
    }
    if name.contains(['/', '\\']) {
        return Err("name must not contain '/' or '\\' (uploads stay directly under src/)".into());
    }
    if name == "." || name == ".." {
        return Err("name must not be '.' or '..'".into());
    }
    if name.chars().any(char::is_control) {
        return Err("name must not contain control characters".into());
    }
    Ok(())
}

/// The content type of a form upload: the page's `type` when it looks like `type/subtype`,
/// else guessed from the name.
fn upload_content_type(name: &str, asked: Option<&str>) -> String {
    let plausible = |t: &str| {
        t.len() <= 100
            && t.split_once('/').is_some_and(|(a, b)| {
                !a.is_empty()
                    && !b.is_empty()
                    && t.bytes()
                        .all(|c| c.is_ascii_alphanumeric() || b"/.+-_".contains(&c))
            })
    };
    match asked.filter(|t| plausible(t)) {
        Some(t) => t.to_owned(),
        None => mime_guess::from_path(name)
            .first_raw()
            .unwrap_or("application/octet-stream")
            .to_owned(),
    }
}

/// `GET /post-policy?name=…&type=…`: a PostObject form for `src/<name>`.
async fn post_policy(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !service.admits(&headers) {
        return unauthorized();
    }
    let name = query.get("name").map(String::as_str).unwrap_or_default();
    if let Err(rule) = check_upload_name(name) {
        return json_response(
            StatusCode::BAD_REQUEST,
            &serde_json::json!({ "field": "name", "error": rule }),
        );
    }
    let key = format!("{PREFIX}{name}");
    let content_type = upload_content_type(name, query.get("type").map(String::as_str));
    let form = service
        .forms
        .post_object_form(service.bucket.as_str())
        .key(key.as_str())
        .key_prefix(PREFIX)
        .content_length_range(0, service.max_bytes)
        .content_type(content_type.as_str())
        .success_action_status(200)
        .expires_in(FORM_LIFETIME)
        .sign()
        .await;
    match form {
        Ok(form) => {
            let expiration = alioss::sts::signer::format_timestamp(form.expiration());
            println!(
                "GET /post-policy: form for {key} ({content_type}, up to {} bytes, expires {expiration})",
                service.max_bytes
            );
            let fields: Vec<serde_json::Value> = form
                .fields()
                .iter()
                .map(|(k, v)| serde_json::json!({ "name": k, "value": v }))
                .collect();
            json_response(
                StatusCode::OK,
                &serde_json::json!({
                    "url": form.url(),
                    "key": key,
                    "contentType": content_type,
                    "maxBytes": service.max_bytes,
                    "expiration": expiration,
                    "fields": fields,
                }),
            )
        }
        Err(e) => {
            println!("GET /post-policy: {e}");
            json_response(
                StatusCode::BAD_GATEWAY,
                &serde_json::json!({ "error": e.to_string() }),
            )
        }
    }
}

/// `GET /emulator/object?key=…` (emulator mode only): the object's bytes as stored, with its
/// CRC-64 and ETag, so a test can check what the page uploaded.
async fn inspect_object(
    State(service): State<Arc<Service>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(client) = &service.inspector else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let key = query.get("key").cloned().unwrap_or_default();
    let got = match client.get_object(service.bucket.as_str(), key).send().await {
        Ok(got) => got,
        Err(e) => return (StatusCode::NOT_FOUND, e.to_string()).into_response(),
    };
    let crc = got.crc64.map(|c| c.to_string()).unwrap_or_default();
    let etag = got.etag.clone().unwrap_or_default();
    match got.bytes().await {
        Ok(bytes) => (
            [("x-oss-hash-crc64ecma", crc), ("etag", etag)],
            bytes.to_vec(),
        )
            .into_response(),
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

/// `yyyy-MM-ddTHH:mm:ssZ`, the STS format.
fn expiration_text(c: &Credentials) -> String {
    c.expiration()
        .map(alioss::sts::signer::format_timestamp)
        .unwrap_or_default()
}

/// Binds and prints the address.
async fn bind(listen: SocketAddr) -> Result<(TcpListener, SocketAddr), BoxError> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    println!("token-vending service listening on http://{addr}/sts");
    println!("upload page: http://{addr}/");
    if !addr.ip().is_loopback() {
        println!(
            "{addr} is reachable from other hosts: /sts and /post-policy require the access token"
        );
    }
    Ok((listener, addr))
}

/// Production mode: serves until Ctrl-C.
async fn serve_until_ctrl_c(config: Config, options: Options) -> Result<(), BoxError> {
    let mut sts = StsClient::builder().credentials(StaticCredentialsProvider::new(config.caller));
    if let Some(endpoint) = config.endpoint {
        sts = sts.endpoint(endpoint);
    } else if let Some(region) = config.region {
        sts = sts.region(region);
    }
    let sts = sts.build()?;
    println!("STS endpoint {}, role {}", sts.endpoint(), config.role_arn);
    let request = narrowed_request(&config.role_arn, &config.bucket)?;
    let mut forms = oss::Client::builder().region(config.oss_region);
    if let Some(endpoint) = config.oss_endpoint {
        forms = forms.endpoint(endpoint);
    }
    let service = Service::new(sts, request, forms, &config.bucket, &options)?;
    let (listener, _) = bind(options.listen).await?;
    axum::serve(listener, router(Arc::new(service)))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            println!("Ctrl-C: stopping");
        })
        .await?;
    Ok(())
}

/// The service against an in-process emulator: STS with the demo RAM user, OSS at the
/// emulator's address (path-style), and `/emulator/object` reading with the demo admin.
fn emulator_service(emu: &EmulatorHandle, options: &Options) -> Result<Service, BoxError> {
    let caller = emu
        .user_credentials(demo::USER_NAME)
        .ok_or("the demo configuration has no RAM user `uploader`")?;
    let role_arn = emu
        .role_arn(demo::ROLE_NAME)
        .ok_or("the demo configuration has no role `RamOssTest`")?;
    let admin = emu
        .user_credentials(demo::ADMIN_NAME)
        .ok_or("the demo configuration has no RAM user `admin`")?;
    let sts = StsClient::builder()
        .endpoint(emu.endpoint())
        .credentials(StaticCredentialsProvider::new(caller))
        .build()?;
    let request = narrowed_request(&role_arn, demo::BUCKET)?;
    let oss_builder = || {
        oss::Client::builder()
            .region(demo::REGION)
            .endpoint(emu.endpoint())
            .addressing_style(oss::AddressingStyle::PathStyle)
    };
    let mut service = Service::new(sts, request, oss_builder(), demo::BUCKET, options)?;
    service.inspector = Some(
        oss_builder()
            .credentials(StaticCredentialsProvider::new(admin))
            .build()?,
    );
    Ok(service)
}

/// `--emulator`: the page against the in-process emulator, until Ctrl-C.
async fn serve_emulator(options: Options) -> Result<(), BoxError> {
    let emu = Emulator::start(EmulatorConfig::demo()).await?;
    println!("emulator (STS + OSS) listening on {}", emu.endpoint());
    let outcome = async {
        let service = emulator_service(&emu, &options)?;
        let (listener, addr) = bind(options.listen).await?;
        // One line for scripts (the browser test reads it).
        println!(
            "STS_SERVER_READY {}",
            serde_json::json!({ "page": format!("http://{addr}/"), "emulator": emu.endpoint() })
        );
        axum::serve(listener, router(Arc::new(service)))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
                println!("Ctrl-C: stopping");
            })
            .await?;
        Ok::<(), BoxError>(())
    }
    .await;
    emu.shutdown().await;
    outcome
}

/// Demo mode: the emulator in-process, the service on `listen`, and a self-test.
async fn demo_self_test(options: Options) -> Result<(), BoxError> {
    let emu = Emulator::start(EmulatorConfig::demo()).await?;
    println!("emulator (STS + OSS) listening on {}", emu.endpoint());
    let outcome = demo_with(&emu, &options).await;
    emu.shutdown().await;
    outcome?;
    println!("sts_server self-test: ok");
    Ok(())
}

async fn demo_with(emu: &EmulatorHandle, options: &Options) -> Result<(), BoxError> {
    let service = emulator_service(emu, options)?;
    let (listener, addr) = bind(options.listen).await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, router(Arc::new(service)))
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    let base = format!("http://{addr}");
    let outcome = self_test(emu, &base).await;
    let _ = stop.send(());
    server.await??;
    outcome
}

async fn self_test(emu: &EmulatorHandle, base: &str) -> Result<(), BoxError> {
    let url = format!("{base}/sts");
    let url = url.as_str();
    // 1. The answer a browser sees: JSON with the four fields, and the CORS headers.
    let response = reqwest::get(url).await?;
    let status = response.status();
    let origin = header_text(&response, "access-control-allow-origin");
    let method = header_text(&response, "access-control-allow-method");
    println!("self-test: plain GET /sts: HTTP {status}, Access-Control-Allow-Origin {origin:?}, Access-Control-Allow-Method {method:?}");
    if !status.is_success() || origin != "*" || method != "GET" {
        return Err(format!("unexpected answer: HTTP {status}, CORS {origin:?} {method:?}").into());
    }
    let doc: serde_json::Value = serde_json::from_slice(&response.bytes().await?)?;
    for field in [
        "AccessKeyId",
        "AccessKeySecret",
        "SecurityToken",
        "Expiration",
    ] {
        if doc
            .get(field)
            .and_then(|v| v.as_str())
            .is_none_or(str::is_empty)
        {
            return Err(format!("the answer lacks {field}").into());
        }
    }

    // 2. When STS refuses, the service answers HTTP 400 with the error message.
    emu.faults().push(
        Fault::fail_next(1)
            .operation("AssumeRole")
            .status(403)
            .code("NoPermission")
            .message("You are not authorized to do this action. You should be authorized by RAM."),
    );
    let refused = reqwest::get(url).await?;
    let status = refused.status();
    let message = refused.text().await?;
    println!("self-test: GET /sts while STS refuses: HTTP {status}: {message}");
    if status != reqwest::StatusCode::BAD_REQUEST || !message.contains("NoPermission") {
        return Err(format!("expected HTTP 400 naming NoPermission, got HTTP {status}").into());
    }

    // 3. The partner's side: the crate's URL credentials provider, then an upload.
    let provider = UrlCredentialsProvider::builder(url).build()?;
    let creds = provider.provide_credentials().await?;
    println!(
        "self-test: URL credentials provider got key id {} ({})",
        creds.access_key_id(),
        expiration_text(&creds)
    );
    let client = oss::Client::builder()
        .region(demo::REGION)
        .endpoint(emu.endpoint())
        .addressing_style(oss::AddressingStyle::PathStyle)
        .credentials(provider)
        .build()?;
    let data = "uploaded with vended credentials\n";
    let put = client
        .put_object(demo::BUCKET, "src/sts-server-self-test.txt")
        .body(data)
        .send()
        .await?;
    println!(
        "self-test: PutObject src/sts-server-self-test.txt: etag {}, crc64 {}",
        put.etag.as_deref().unwrap_or("-"),
        put.crc64.map_or_else(|| "-".to_owned(), |c| c.to_string())
    );
    if put.crc64 != Some(oss::crc64::checksum(data.as_bytes())) {
        return Err("the server's CRC-64 does not match the data".into());
    }

    // 4. The page is served, and a /post-policy form uploads without credentials.
    let page = reqwest::get(format!("{base}/")).await?;
    let status = page.status();
    let html = page.text().await?;
    println!("self-test: GET /: HTTP {status}, {} bytes", html.len());
    if !status.is_success() || !html.contains("app.js") {
        return Err(format!("the page is not served: HTTP {status}").into());
    }
    let form: serde_json::Value = serde_json::from_slice(
        &reqwest::get(format!(
            "{base}/post-policy?name=form-self-test.txt&type=text/plain"
        ))
        .await?
        .error_for_status()?
        .bytes()
        .await?,
    )?;
    let mut multipart = reqwest::multipart::Form::new();
    for field in form["fields"].as_array().ok_or("the form has no fields")? {
        let (Some(name), Some(value)) = (field["name"].as_str(), field["value"].as_str()) else {
            return Err("a form field lacks its name or value".into());
        };
        multipart = multipart.text(name.to_owned(), value.to_owned());
    }
    let data = "uploaded with a PostObject form\n";
    multipart = multipart.part(
        "file",
        reqwest::multipart::Part::text(data).file_name("form-self-test.txt"),
    );
    let posted = reqwest::Client::new()
        .post(form["url"].as_str().ok_or("the form has no url")?)
        .multipart(multipart)
        .send()
        .await?;
    let status = posted.status();
    let crc = header_text(&posted, "x-oss-hash-crc64ecma");
    println!(
        "self-test: PostObject {}: HTTP {status}, crc64 {crc}",
        form["key"]
    );
    if status != reqwest::StatusCode::OK || crc != oss::crc64::checksum(data.as_bytes()).to_string()
    {
        return Err(format!("the form upload answered HTTP {status}, crc64 {crc:?}").into());
    }
    let bad = reqwest::get(format!("{base}/post-policy?name=..%2Fescape.txt")).await?;
    if bad.status() != reqwest::StatusCode::BAD_REQUEST {
        return Err(format!("a name with '/' got HTTP {}", bad.status()).into());
    }
    Ok(())
}

fn header_text(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
