//! The organisation's token-vending service: `GET /sts` answers short-lived, narrowed
//! credentials for the partner, so the organisation's own AccessKey never leaves its server.
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
//! [`alioss::credentials::UrlCredentialsProvider`] at the URL and gets credentials that are
//! fetched again before they expire (see the `upload` example). STS accepts about 100 calls a
//! second per account: put a cache in front (an `AssumeRoleCredentialsProvider`) if many
//! partners call at once.
//!
//! # Running it
//!
//! Demo mode, needing no cloud account: starts the STS + OSS emulator in-process, serves, and
//! tests itself — fetches one set of credentials from its own `/sts` with the crate's URL
//! credentials provider, checks the CORS headers and the HTTP 400 error path, uploads one
//! object with the credentials, and exits 0:
//!
//! ```text
//! cargo run --example sts_server -- --demo
//! ```
//!
//! Against Alibaba Cloud (serves until Ctrl-C):
//!
//! ```text
//! ACCESS_KEY_ID=<RAM user id> ACCESS_KEY_SECRET=<its secret> \
//! RAM_ROLE_ARN=acs:ram::<account>:role/ramosstest STS_REGION=cn-hangzhou \
//! cargo run --example sts_server -- 127.0.0.1:8000
//! ```
//!
//! Configuration (environment): `ACCESS_KEY_ID` / `ACCESS_KEY_SECRET` (or the
//! `ALIBABA_CLOUD_ACCESS_KEY_*` / `OSS_ACCESS_KEY_*` variables), `RAM_ROLE_ARN`, optionally
//! `STS_ENDPOINT` or `STS_REGION`, `OSS_BUCKET` (default `examplebucket`), and the listen
//! address `STS_SERVER_ADDR` (or the first argument; default `127.0.0.1:0`, a free port; the
//! bound address is printed). Without credentials and a role ARN it runs the demo. Listen on
//! loopback only unless the service authenticates its callers: anyone who can reach `/sts` gets
//! upload credentials.
//!
//! Nothing here prints a secret or a security token; only key ids and expirations.

use std::error::Error;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use alioss::credentials::{
    Credentials, EnvironmentCredentialsProvider, ProvideCredentials, StaticCredentialsProvider,
    UrlCredentialsProvider,
};
use alioss::oss;
use alioss::sts::policy::{actions, oss_object, Policy};
use alioss::sts::{AssumeRoleRequest, StsClient};
use alioss_emulator::{demo, Emulator, EmulatorConfig, EmulatorHandle, Fault};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
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

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(e) = run(args).await {
        eprintln!("sts_server failed: {e}");
        std::process::exit(1);
    }
}

/// Runs the service: the self-testing demo with `--demo` (or when nothing is configured),
/// otherwise serves until Ctrl-C.
pub async fn run(args: Vec<String>) -> Result<(), BoxError> {
    let demo_flag = args.iter().any(|a| a == "--demo");
    let listen = listen_address(&args)?;
    if demo_flag {
        return demo_self_test(listen).await;
    }
    match Config::from_env()? {
        Some(config) => serve_until_ctrl_c(config, listen).await,
        None => {
            println!(
                "no ACCESS_KEY_ID / ACCESS_KEY_SECRET / RAM_ROLE_ARN configured: running the demo"
            );
            demo_self_test(listen).await
        }
    }
}

/// The listen address: the first argument that is not a flag, else `STS_SERVER_ADDR`, else
/// `127.0.0.1:0`.
fn listen_address(args: &[String]) -> Result<SocketAddr, BoxError> {
    let text = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .cloned()
        .or_else(|| std::env::var("STS_SERVER_ADDR").ok())
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    text.parse()
        .map_err(|e| format!("listen address {text:?} is not ip:port: {e}").into())
}

/// The service's configuration against Alibaba Cloud.
struct Config {
    caller: Credentials,
    role_arn: String,
    endpoint: Option<String>,
    region: Option<String>,
    bucket: String,
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
        Ok(Some(Self {
            caller,
            role_arn,
            endpoint: var("STS_ENDPOINT"),
            region: var("STS_REGION"),
            bucket: var("OSS_BUCKET").unwrap_or_else(|| demo::BUCKET.to_owned()),
        }))
    }
}

/// What the handler needs: the STS client (with the RAM user's AccessKey) and the narrowed
/// request.
struct Vending {
    sts: StsClient,
    request: AssumeRoleRequest,
}

/// The `AssumeRole` request the service sends: the role, narrowed to uploads under `src/`.
fn narrowed_request(role_arn: &str, bucket: &str) -> Result<AssumeRoleRequest, BoxError> {
    let session_policy = Policy::builder()
        .allow([actions::PUT_OBJECT], [oss_object(bucket, "src/*")])
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

/// The router: `GET /sts`.
fn router(vending: Arc<Vending>) -> Router {
    Router::new()
        .route("/sts", get(vend_credentials))
        .with_state(vending)
}

/// `GET /sts`: one `AssumeRole` call, answered as the scenario's sample servers answer.
async fn vend_credentials(State(vending): State<Arc<Vending>>) -> Response {
    let mut response = match vending.sts.assume_role(&vending.request).await {
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
            (
                [(header::CONTENT_TYPE, "application/json")],
                body.to_string(),
            )
                .into_response()
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

/// `yyyy-MM-ddTHH:mm:ssZ`, the STS format.
fn expiration_text(c: &Credentials) -> String {
    c.expiration()
        .map(alioss::sts::signer::format_timestamp)
        .unwrap_or_default()
}

/// Binds, prints the address, and warns about non-loopback addresses.
async fn bind(listen: SocketAddr) -> Result<(TcpListener, SocketAddr), BoxError> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    println!("token-vending service listening on http://{addr}/sts");
    if !addr.ip().is_loopback() {
        println!(
            "warning: {addr} is reachable from other hosts; authenticate callers before vending credentials"
        );
    }
    Ok((listener, addr))
}

/// Production mode: serves until Ctrl-C.
async fn serve_until_ctrl_c(config: Config, listen: SocketAddr) -> Result<(), BoxError> {
    let mut sts = StsClient::builder().credentials(StaticCredentialsProvider::new(config.caller));
    if let Some(endpoint) = config.endpoint {
        sts = sts.endpoint(endpoint);
    } else if let Some(region) = config.region {
        sts = sts.region(region);
    }
    let sts = sts.build()?;
    println!("STS endpoint {}, role {}", sts.endpoint(), config.role_arn);
    let request = narrowed_request(&config.role_arn, &config.bucket)?;
    let (listener, _) = bind(listen).await?;
    axum::serve(listener, router(Arc::new(Vending { sts, request })))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            println!("Ctrl-C: stopping");
        })
        .await?;
    Ok(())
}

/// Demo mode: the emulator in-process, the service on `listen`, and a self-test.
async fn demo_self_test(listen: SocketAddr) -> Result<(), BoxError> {
    let emu = Emulator::start(EmulatorConfig::demo()).await?;
    println!("emulator (STS + OSS) listening on {}", emu.endpoint());
    let outcome = demo_with(&emu, listen).await;
    emu.shutdown().await;
    outcome?;
    println!("sts_server self-test: ok");
    Ok(())
}

async fn demo_with(emu: &EmulatorHandle, listen: SocketAddr) -> Result<(), BoxError> {
    let caller = emu
        .user_credentials(demo::USER_NAME)
        .ok_or("the demo configuration has no RAM user `uploader`")?;
    let role_arn = emu
        .role_arn(demo::ROLE_NAME)
        .ok_or("the demo configuration has no role `RamOssTest`")?;
    let sts = StsClient::builder()
        .endpoint(emu.endpoint())
        .credentials(StaticCredentialsProvider::new(caller))
        .build()?;
    let request = narrowed_request(&role_arn, demo::BUCKET)?;

    let (listener, addr) = bind(listen).await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, router(Arc::new(Vending { sts, request })))
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    let url = format!("http://{addr}/sts");
    let outcome = self_test(emu, &url).await;
    let _ = stop.send(());
    server.await??;
    outcome
}

async fn self_test(emu: &EmulatorHandle, url: &str) -> Result<(), BoxError> {
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
        .path_style(true)
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
