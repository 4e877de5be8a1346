//! The configurable transport: every client and provider goes through `HttpOptions` — an HTTP
//! proxy on 127.0.0.1 that records what it forwards (plain forwarding and CONNECT), an HTTPS
//! emulator trusted through its CA (and refused without it), a `reqwest::Client` handed in,
//! the user-agent suffix, additional signed headers and CloudBox signing.

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alioss::credentials::{EnvironmentSource, ProvideCredentials, StaticCredentialsProvider};
use alioss::http::{HttpOptions, USER_AGENT};
use alioss::oss;
use alioss::providers::{
    DefaultCredentialsChain, EcsRamRoleCredentialsProvider, OidcCredentialsProvider,
    UrlCredentialsProvider,
};
use alioss::sts::{AssumeRoleRequest, StsClient, StsClientBuilder};
use alioss::ErrorKind;
use alioss_emulator::{demo, Emulator, EmulatorConfig, EmulatorHandle};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use support::emulator::{fast_retries, BUCKET};
use support::oss::{MockServer, Reply};

// ---------------------------------------------------------------------------------------------
// An HTTP proxy on 127.0.0.1 that records every request it is asked to forward.

/// One request the proxy received: `GET http://host/path` or `CONNECT host:port`.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An answer the proxy gives itself instead of forwarding (for hosts that do not exist).
type Canned = dyn Fn(&Seen) -> Option<(u16, String)> + Send + Sync;

struct Proxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

#[derive(Clone, Default)]
struct ProxyBehaviour {
    /// Rewrites the Host header of forwarded requests (a tampering middlebox).
    tamper_host: Option<String>,
    canned: Option<Arc<Canned>>,
}

impl Proxy {
    async fn start(behaviour: ProxyBehaviour) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let log = log.clone();
                let behaviour = behaviour.clone();
                tokio::spawn(async move {
                    let _ = proxy_connection(sock, log, behaviour).await;
                });
            }
        });
        Proxy { addr, seen }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn proxy_connection(
    mut client: TcpStream,
    log: Arc<Mutex<Vec<Seen>>>,
    behaviour: ProxyBehaviour,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 8192];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = client.read(&mut tmp).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&tmp[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let rest = buf[head_end + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_owned();
    let target = first.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let seen = Seen {
        method: method.clone(),
        target: target.clone(),
        headers: headers.clone(),
    };
    log.lock().unwrap().push(seen.clone());

    if let Some((status, body)) = behaviour.canned.as_ref().and_then(|c| c(&seen)) {
        let out = format!(
            "HTTP/1.1 {status} Canned\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        client.write_all(out.as_bytes()).await?;
        return client.shutdown().await;
    }
    let bad_gateway = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

    if method == "CONNECT" {
        // Only local targets are ever connected to: nothing leaves 127.0.0.1.
        if !target.starts_with("127.0.0.1:") {
            client.write_all(bad_gateway.as_bytes()).await?;
            return client.shutdown().await;
        }
        let mut upstream = TcpStream::connect(&target).await?;
        client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await?;
        upstream.write_all(&rest).await?;
        tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
        return Ok(());
    }

    let url = match url::Url::parse(&target) {
        Ok(u) if u.host_str() == Some("127.0.0.1") => u,
        _ => {
            client.write_all(bad_gateway.as_bytes()).await?;
            return client.shutdown().await;
        }
    };
    let port = url.port_or_known_default().unwrap_or(80);
    let mut upstream = TcpStream::connect(("127.0.0.1", port)).await?;
    let mut path = url.path().to_owned();
    if let Some(q) = url.query() {
        path.push('?');
        path.push_str(q);
    }
    let mut out = format!("{method} {path} HTTP/1.1\r\n");
    for (k, v) in &headers {
        let lower = k.to_ascii_lowercase();
        if lower.starts_with("proxy-") || lower == "connection" {
            continue;
        }
        if lower == "host" {
            if let Some(h) = &behaviour.tamper_host {
                out.push_str(&format!("Host: {h}\r\n"));
                continue;
            }
        }
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    // One request per proxied connection, so that every request is seen here.
    out.push_str("Connection: close\r\n\r\n");
    upstream.write_all(out.as_bytes()).await?;
    upstream.write_all(&rest).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Helpers.

async fn emulator(tls: bool) -> EmulatorHandle {
    Emulator::builder()
        .config(EmulatorConfig::demo())
        .tls(tls)
        .start()
        .await
        .unwrap()
}

/// An OSS client builder for the emulator, signing as its admin.
fn admin_builder(emu: &EmulatorHandle) -> oss::ClientBuilder {
    oss::Client::builder()
        .region(demo::REGION)
        .endpoint(emu.endpoint())
        .credentials(StaticCredentialsProvider::new(
            emu.user_credentials("admin").unwrap(),
        ))
}

/// Made-up credentials, for servers that do not check signatures.
fn test_credentials() -> StaticCredentialsProvider {
    StaticCredentialsProvider::new(alioss::Credentials::new("id", "secret").unwrap())
}

/// An OSS client builder for a mock server at `endpoint`.
fn mock_builder(endpoint: &str) -> oss::ClientBuilder {
    oss::Client::builder()
        .region(demo::REGION)
        .endpoint(endpoint)
        .credentials(test_credentials())
}

/// An STS client builder for a mock server at `endpoint`.
fn mock_sts_builder(endpoint: &str) -> StsClientBuilder {
    StsClient::builder()
        .endpoint(endpoint)
        .credentials(alioss::Credentials::new("id", "secret").unwrap())
}

/// Puts `x` as `key`.
async fn put_x(client: &oss::Client, key: &str) -> alioss::Result<()> {
    client
        .put_object(BUCKET, key)
        .body(oss::Body::from("x"))
        .send()
        .await
        .map(|_| ())
}

fn oss_client(emu: &EmulatorHandle, http: HttpOptions) -> oss::Client {
    admin_builder(emu)
        .retry_policy(fast_retries())
        .http_options(http)
        .build()
        .unwrap()
}

fn sts_client(emu: &EmulatorHandle, http: HttpOptions) -> StsClient {
    let clock = emu.clock().clone();
    StsClient::builder()
        .endpoint(emu.endpoint())
        .credentials(StaticCredentialsProvider::new(
            emu.user_credentials("uploader").unwrap(),
        ))
        .clock(alioss::credentials::Clock::from_fn(move || clock.now()))
        .retry_policy(fast_retries())
        .http_options(http)
        .build()
        .unwrap()
}

fn assume_role_request() -> AssumeRoleRequest {
    AssumeRoleRequest::builder()
        .role_arn(demo::ROLE_ARN)
        .role_session_name("transport-test")
        .duration(Duration::from_secs(900))
        .build()
        .unwrap()
}

async fn put_and_get(client: &oss::Client, key: &str, body: &'static str) {
    client
        .put_object(BUCKET, key)
        .body(oss::Body::from(body))
        .send()
        .await
        .unwrap();
    let got = support::emulator::get_bytes(client, key).await;
    assert_eq!(got, body.as_bytes());
}

fn credentials_document() -> String {
    r#"{"Code":"Success","AccessKeyId":"STS.vended-id","AccessKeySecret":"vended-secret","SecurityToken":"vended-token","Expiration":"2999-01-01T00:00:00Z"}"#
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// Proxies.

#[tokio::test]
async fn oss_requests_go_through_the_configured_proxy() {
    let emu = emulator(false).await;
    let proxy = Proxy::start(ProxyBehaviour::default()).await;
    let client = oss_client(
        &emu,
        HttpOptions::new()
            .proxy(proxy.url())
            .proxy_basic_auth("proxy-user", "proxy-pass"),
    );
    put_and_get(&client, "via-proxy.txt", "through the proxy").await;

    let seen = proxy.seen();
    let expected = format!("{}/{BUCKET}/via-proxy.txt", emu.endpoint());
    let methods: Vec<&str> = seen
        .iter()
        .filter(|s| s.target == expected)
        .map(|s| s.method.as_str())
        .collect();
    assert_eq!(methods, ["PUT", "GET"], "{seen:?}");
    // user:pass in base64
    assert_eq!(
        seen[0].header("proxy-authorization"),
        Some("Basic cHJveHktdXNlcjpwcm94eS1wYXNz")
    );
}

#[tokio::test]
async fn hosts_listed_in_no_proxy_are_reached_directly() {
    let emu = emulator(false).await;
    let proxy = Proxy::start(ProxyBehaviour::default()).await;
    let client = oss_client(
        &emu,
        HttpOptions::new()
            .proxy(proxy.url())
            .no_proxy("localhost,127.0.0.1"),
    );
    put_and_get(&client, "direct.txt", "not through the proxy").await;
    assert!(proxy.seen().is_empty(), "{:?}", proxy.seen());
}

#[tokio::test]
async fn sts_assume_role_goes_through_the_proxy() {
    let emu = emulator(false).await;
    let proxy = Proxy::start(ProxyBehaviour::default()).await;
    let sts = sts_client(&emu, HttpOptions::new().proxy(proxy.url()));
    let out = sts.assume_role(&assume_role_request()).await.unwrap();
    assert!(out.credentials.access_key_id().starts_with("STS."));
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].target.starts_with(&format!("{}/", emu.endpoint())),
        "{seen:?}"
    );
}

fn canned_services() -> Arc<Canned> {
    Arc::new(|s: &Seen| {
        let url = url::Url::parse(&s.target).ok()?;
        match (url.host_str()?, s.method.as_str(), url.path()) {
            ("vending.test", "GET", "/credentials") => Some((200, credentials_document())),
            ("ecs.test", "PUT", "/latest/api/token") => Some((200, "metadata-token".to_owned())),
            ("ecs.test", "GET", "/latest/meta-data/ram/security-credentials/EcsRole") => {
                Some((200, credentials_document()))
            }
            _ => None,
        }
    })
}

#[tokio::test]
async fn the_url_and_ecs_providers_go_through_the_proxy() {
    let proxy = Proxy::start(ProxyBehaviour {
        canned: Some(canned_services()),
        ..Default::default()
    })
    .await;
    let http = HttpOptions::new().proxy(proxy.url());

    let url = UrlCredentialsProvider::builder("http://vending.test/credentials")
        .http_options(http.clone())
        .build()
        .unwrap();
    let creds = url.provide_credentials().await.unwrap();
    assert_eq!(creds.access_key_id(), "STS.vended-id");

    let ecs = EcsRamRoleCredentialsProvider::builder()
        .endpoint("http://ecs.test")
        .role_name("EcsRole")
        .http_options(http)
        .build()
        .unwrap();
    let creds = ecs.provide_credentials().await.unwrap();
    assert_eq!(creds.security_token(), Some("vended-token"));

    let targets: Vec<String> = proxy
        .seen()
        .iter()
        .map(|s| format!("{} {}", s.method, s.target))
        .collect();
    assert_eq!(
        targets,
        [
            "GET http://vending.test/credentials",
            "PUT http://ecs.test/latest/api/token",
            "GET http://ecs.test/latest/meta-data/ram/security-credentials/EcsRole",
        ]
    );
}

#[tokio::test]
async fn the_default_chain_hands_its_transport_to_the_providers_it_builds() {
    let proxy = Proxy::start(ProxyBehaviour {
        canned: Some(canned_services()),
        ..Default::default()
    })
    .await;
    let home = tempfile::tempdir().unwrap();
    let chain = DefaultCredentialsChain::builder()
        .env(EnvironmentSource::from_map([
            (
                "ALIBABA_CLOUD_CREDENTIALS_URI",
                "http://vending.test/credentials",
            ),
            ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"),
        ]))
        .home_dir(home.path())
        .http_options(HttpOptions::new().proxy(proxy.url()))
        .build();
    let creds = chain.provide_credentials().await.unwrap();
    assert_eq!(creds.access_key_id(), "STS.vended-id");
    assert_eq!(chain.chain().chosen_provider(), Some("credentials-uri"));
    assert_eq!(proxy.seen().len(), 1, "{:?}", proxy.seen());
}

#[tokio::test]
async fn the_chain_never_sends_an_oidc_token_without_its_sts_settings() {
    // The chain's STS settings cannot make a client (an endpoint that is only a scheme): OIDC
    // fails with that error instead of calling the public STS endpoint without them.
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "header.payload.signature").unwrap();
    let chain = DefaultCredentialsChain::builder()
        .env(EnvironmentSource::from_map([
            ("ALIBABA_CLOUD_ROLE_ARN", demo::ROLE_ARN.to_owned()),
            (
                "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
                "acs:ram::1234567890123456:oidc-provider/test".to_owned(),
            ),
            ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", token.display().to_string()),
            ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true".to_owned()),
        ]))
        .home_dir(dir.path())
        .sts_client_builder(StsClient::builder().endpoint("http://"))
        .build();
    let e = chain.provide_credentials().await.unwrap_err();
    assert!(!e.is_not_configured(), "{e}");
    assert!(e.to_string().contains("oidc-role-arn"), "{e}");
    let cause = std::error::Error::source(&e)
        .map(|s| s.to_string())
        .unwrap_or_default();
    assert!(cause.contains("endpoint"), "{e} / {cause}");
}

#[tokio::test]
async fn the_oidc_provider_builds_its_sts_client_with_the_transport() {
    // The default STS endpoint is https://sts.aliyuncs.com: the proxy is asked to CONNECT to
    // it and refuses, so nothing leaves this machine.
    let proxy = Proxy::start(ProxyBehaviour::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "header.payload.signature").unwrap();
    let oidc = OidcCredentialsProvider::builder()
        .role_arn(demo::ROLE_ARN)
        .oidc_provider_arn("acs:ram::1234567890123456:oidc-provider/test")
        .token_file(&token)
        .http_options(
            HttpOptions::new()
                .proxy(proxy.url())
                .connect_timeout(Duration::from_secs(5)),
        )
        .build()
        .unwrap();
    assert!(oidc.provide_credentials().await.is_err());
    let seen = proxy.seen();
    assert!(!seen.is_empty());
    assert!(
        seen.iter()
            .all(|s| s.method == "CONNECT" && s.target == "sts.aliyuncs.com:443"),
        "{seen:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// TLS.

#[tokio::test]
async fn an_https_emulator_is_reached_with_its_ca_added() {
    let emu = emulator(true).await;
    assert!(emu.endpoint().starts_with("https://127.0.0.1:"));
    let ca = emu.ca_pem().unwrap().as_bytes().to_vec();
    let http = HttpOptions::new().add_root_certificates_pem(&ca).unwrap();
    put_and_get(&oss_client(&emu, http.clone()), "tls.txt", "over TLS").await;
    let out = sts_client(&emu, http)
        .assume_role(&assume_role_request())
        .await
        .unwrap();
    assert!(out.credentials.access_key_id().starts_with("STS."));
}

#[tokio::test]
async fn a_session_policy_on_secure_transport_tells_https_from_http() {
    // Only over TLS: the emulator sets acs:SecureTransport as OSS does.
    let policy = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:PutObject","Resource":"acs:oss:*:*:examplebucket/*","Condition":{"Bool":{"acs:SecureTransport":"true"}}}]}"#;
    for tls in [true, false] {
        let emu = emulator(tls).await;
        let http = match emu.ca_pem() {
            Some(ca) => HttpOptions::new()
                .add_root_certificates_pem(ca.as_bytes())
                .unwrap(),
            None => HttpOptions::new(),
        };
        let request = AssumeRoleRequest::builder()
            .role_arn(demo::ROLE_ARN)
            .role_session_name("secure-transport")
            .duration(Duration::from_secs(900))
            .policy_json(policy)
            .build()
            .unwrap();
        let creds = sts_client(&emu, http.clone())
            .assume_role(&request)
            .await
            .unwrap()
            .credentials;
        let oss = oss::Client::builder()
            .region(demo::REGION)
            .endpoint(emu.endpoint())
            .credentials(StaticCredentialsProvider::new(creds))
            .retry_policy(fast_retries())
            .http_options(http)
            .build()
            .unwrap();
        let result = put_x(&oss, "src/secure.txt").await;
        if tls {
            result.unwrap();
        } else {
            assert_eq!(result.unwrap_err().kind(), ErrorKind::AccessDenied);
        }
    }
}

#[tokio::test]
async fn an_https_emulator_is_refused_without_its_ca() {
    let emu = emulator(true).await;
    let client = admin_builder(&emu)
        .retry_policy(oss::RetryPolicy::no_retries())
        .build()
        .unwrap();
    let err = put_x(&client, "refused.txt").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err:?}");
    assert!(err.to_string().contains("certificate"), "{err}");
    // The cause is kept: reqwest's error (without the URL) is the source.
    let source = std::error::Error::source(&err).expect("a transport error keeps its cause");
    assert!(source.is::<reqwest::Error>(), "{source:?}");
    // Another CA does not help either.
    let other = emulator(true).await;
    let client = oss_client(
        &emu,
        HttpOptions::new()
            .add_root_certificates_pem(other.ca_pem().unwrap().as_bytes())
            .unwrap(),
    );
    let err = client
        .head_object(BUCKET, "refused.txt")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err:?}");
}

#[tokio::test]
async fn https_goes_through_the_proxy_with_connect() {
    let emu = emulator(true).await;
    let proxy = Proxy::start(ProxyBehaviour::default()).await;
    let http = HttpOptions::new()
        .proxy(proxy.url())
        .add_root_certificates_pem(emu.ca_pem().unwrap().as_bytes())
        .unwrap();
    put_and_get(&oss_client(&emu, http), "connect.txt", "tunnelled").await;
    let authority = emu.endpoint().trim_start_matches("https://").to_owned();
    let seen = proxy.seen();
    assert!(!seen.is_empty());
    assert!(
        seen.iter()
            .all(|s| s.method == "CONNECT" && s.target == authority),
        "{seen:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The client handed in; the user agent.

#[tokio::test]
async fn a_handed_in_reqwest_client_is_the_one_used() {
    let server = MockServer::start(|_, _| Reply::ok()).await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-test-client", "mine".parse().unwrap());
    let mine = reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let http = HttpOptions::new()
        .client(mine)
        // Ignored: the handed-in client is used as it is.
        .user_agent_suffix("ignored/1");
    let client = mock_builder(&server.endpoint())
        .http_options(http.clone())
        .build()
        .unwrap();
    put_x(&client, "k").await.unwrap();
    let sts = mock_sts_builder(&server.endpoint())
        .retry_policy(oss::RetryPolicy::no_retries())
        .http_options(http)
        .build()
        .unwrap();
    // The mock answers an empty 200, which is no AssumeRole answer; the request is what counts.
    let _ = sts.assume_role(&assume_role_request()).await;
    assert_eq!(server.count(), 2);
    for i in 0..2 {
        let r = server.request(i);
        assert_eq!(r.header("x-test-client"), Some("mine"), "{r:?}");
        assert!(
            !r.header("user-agent").unwrap_or("").contains("ignored/1"),
            "{r:?}"
        );
    }
}

#[tokio::test]
async fn the_user_agent_carries_the_suffix() {
    let server = MockServer::start(|_, _| Reply::ok()).await;
    let client = mock_builder(&server.endpoint())
        .http_options(HttpOptions::new().user_agent_suffix("partner-sync/2.1"))
        .build()
        .unwrap();
    put_x(&client, "k").await.unwrap();
    assert_eq!(
        server.request(0).header("user-agent"),
        Some(format!("{USER_AGENT} partner-sync/2.1").as_str())
    );
}

// ---------------------------------------------------------------------------------------------
// Additional signed headers and CloudBox reach the client builder.

fn signing_host_client(emu: &EmulatorHandle, proxy: &Proxy, sign_host: bool) -> oss::Client {
    let mut b = admin_builder(emu)
        .retry_policy(oss::RetryPolicy::no_retries())
        .http_options(HttpOptions::new().proxy(proxy.url()));
    if sign_host {
        b = b.additional_signed_headers(["host"]);
    }
    b.build().unwrap()
}

#[tokio::test]
async fn additional_signed_headers_are_accepted_by_the_emulator() {
    let emu = emulator(false).await;
    let proxy = Proxy::start(ProxyBehaviour::default()).await;
    let client = signing_host_client(&emu, &proxy, true);
    put_and_get(&client, "signed-host.txt", "host is signed").await;
    let auth = proxy.seen()[0]
        .header("authorization")
        .unwrap_or_default()
        .to_owned();
    assert!(auth.contains("AdditionalHeaders=host"), "{auth}");
}

#[tokio::test]
async fn a_tampered_signed_header_is_refused() {
    let emu = emulator(false).await;
    // The proxy rewrites Host to another name of the same server.
    let tampered = format!("localhost:{}", emu.addr().port());
    let proxy = Proxy::start(ProxyBehaviour {
        tamper_host: Some(tampered),
        ..Default::default()
    })
    .await;

    // Unsigned, the rewrite goes unnoticed...
    put_x(&signing_host_client(&emu, &proxy, false), "tampered.txt")
        .await
        .unwrap();
    // ...signed, the server refuses it.
    let err = put_x(&signing_host_client(&emu, &proxy, true), "tampered.txt")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignatureMismatch, "{err:?}");
    let service = err.as_service().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(service.status, 403);
}

#[tokio::test]
async fn a_bad_additional_header_name_fails_at_build() {
    let err = oss::Client::builder()
        .region(demo::REGION)
        .credentials(test_credentials())
        .additional_signed_headers(["host", "bad header"])
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("additional_signed_headers"),
        "{err}"
    );
    let err = oss::Client::builder()
        .region(demo::REGION)
        .credentials(test_credentials())
        .signature_version(oss::SignatureVersion::V1)
        .additional_signed_headers(["host"])
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("V4"), "{err}");
}

#[tokio::test]
async fn cloudbox_requests_are_signed_for_oss_cloudbox() {
    let server = MockServer::start(|_, _| Reply::ok()).await;
    let client = oss::Client::builder()
        .endpoint(server.endpoint())
        .cloudbox_id("cb-f8z7yvzgwfkl9q0h")
        .credentials(test_credentials())
        .build()
        .unwrap();
    put_x(&client, "k").await.unwrap();
    let auth = server
        .request(0)
        .header("authorization")
        .unwrap()
        .to_owned();
    assert!(
        auth.contains("/cb-f8z7yvzgwfkl9q0h/oss-cloudbox/aliyun_v4_request"),
        "{auth}"
    );
    // Without an endpoint there is nothing to derive it from.
    let err = oss::Client::builder()
        .cloudbox_id("cb-f8z7yvzgwfkl9q0h")
        .credentials(test_credentials())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("endpoint"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Timeouts from the options.

#[tokio::test]
async fn the_operation_timeout_of_the_options_bounds_oss_and_sts_calls() {
    // The server never answers; every attempt would wait for it.
    let server = MockServer::start(|_, _| Reply::Hang).await;
    let http = HttpOptions::new().operation_timeout(Duration::from_millis(300));
    let client = mock_builder(&server.endpoint())
        .http_options(http.clone())
        .build()
        .unwrap();
    let err = client.head_object(BUCKET, "k").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");

    let sts = mock_sts_builder(&server.endpoint())
        .http_options(http)
        .build()
        .unwrap();
    let err = sts.assume_role(&assume_role_request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert!(err.to_string().contains("AssumeRole"), "{err}");
}
