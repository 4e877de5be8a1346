//! Helpers shared by the emulator's integration tests: requests signed by alioss's own signers.
#![allow(dead_code)]

use std::time::Duration;

use alioss::oss::signer::{encode_query, uri_encode_path, SignableRequest, V1Signer, V4Signer};
use alioss::Credentials;
use alioss_emulator::{demo, Emulator, EmulatorConfig, EmulatorHandle};

pub async fn start() -> EmulatorHandle {
    Emulator::start(EmulatorConfig::demo())
        .await
        .expect("emulator starts")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// An OSS request before signing.
#[derive(Clone, Debug)]
pub struct OssReq {
    pub method: String,
    pub bucket: String,
    pub key: Option<String>,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl OssReq {
    pub fn new(method: &str, bucket: &str, key: Option<&str>) -> Self {
        Self {
            method: method.into(),
            bucket: bucket.into(),
            key: key.map(Into::into),
            query: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
    pub fn put(key: &str, body: &[u8]) -> Self {
        Self::new("PUT", demo::BUCKET, Some(key)).body(body)
    }
    pub fn get(key: &str) -> Self {
        Self::new("GET", demo::BUCKET, Some(key))
    }
    pub fn query(mut self, k: &str, v: &str) -> Self {
        self.query.push((k.into(), v.into()));
        self
    }
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn body(mut self, b: &[u8]) -> Self {
        self.body = b.to_vec();
        self
    }
    pub fn signable(&self) -> SignableRequest {
        let mut s = SignableRequest::new(&self.method, Some(&self.bucket), self.key.as_deref());
        s.query = self.query.clone();
        s.headers = self.headers.clone();
        s
    }
    pub fn url(&self, endpoint: &str, query: &[(String, String)]) -> String {
        let path = match &self.key {
            Some(k) => format!("/{}/{}", self.bucket, k),
            None => format!("/{}/", self.bucket),
        };
        // Dot segments are percent-encoded so that the HTTP client does not resolve them.
        let encoded: Vec<String> = uri_encode_path(&path)
            .split('/')
            .map(|seg| match seg {
                "." => "%2E".to_owned(),
                ".." => "%2E%2E".to_owned(),
                s => s.to_owned(),
            })
            .collect();
        let mut url = format!("{endpoint}{}", encoded.join("/"));
        if !query.is_empty() {
            url.push('?');
            url.push_str(&encode_query(query));
        }
        url
    }
}

pub async fn send_raw(
    endpoint: &str,
    method: &str,
    url_query_req: &OssReq,
    query: &[(String, String)],
    headers: &[(String, String)],
    body: Vec<u8>,
) -> reqwest::Response {
    let url = url_query_req.url(endpoint, query);
    let mut b = client().request(method.parse().unwrap(), url);
    for (k, v) in headers {
        b = b.header(k, v);
    }
    b.body(body).send().await.expect("request sent")
}

/// Sends `req` with the query and headers of its signed form `s`.
async fn send_signed(emu: &EmulatorHandle, req: &OssReq, s: &SignableRequest) -> reqwest::Response {
    send_raw(
        emu.endpoint(),
        &req.method,
        req,
        &s.query,
        &s.headers,
        req.body.clone(),
    )
    .await
}

/// Signs with V4 (header) at the emulator's clock and sends.
pub async fn send_v4(emu: &EmulatorHandle, creds: &Credentials, req: OssReq) -> reqwest::Response {
    send_v4_region(emu, creds, demo::REGION, req).await
}

pub async fn send_v4_region(
    emu: &EmulatorHandle,
    creds: &Credentials,
    region: &str,
    req: OssReq,
) -> reqwest::Response {
    let mut s = req.signable();
    V4Signer::new(region)
        .unwrap()
        .sign_headers(&mut s, creds, emu.clock().now())
        .unwrap();
    send_signed(emu, &req, &s).await
}

/// Presigns with V4 and returns the URL plus the headers that must be sent.
pub fn presign_v4(
    emu: &EmulatorHandle,
    creds: &Credentials,
    req: &OssReq,
    expires: Duration,
) -> (String, Vec<(String, String)>) {
    let mut s = req.signable();
    V4Signer::new(demo::REGION)
        .unwrap()
        .presign(&mut s, creds, emu.clock().now(), expires)
        .unwrap();
    (req.url(emu.endpoint(), &s.query), req.headers.clone())
}

pub async fn send_v1(emu: &EmulatorHandle, creds: &Credentials, req: OssReq) -> reqwest::Response {
    let mut s = req.signable();
    V1Signer::new()
        .sign_headers(&mut s, creds, emu.clock().now())
        .unwrap();
    send_signed(emu, &req, &s).await
}

pub fn presign_v1(
    emu: &EmulatorHandle,
    creds: &Credentials,
    req: &OssReq,
    expires: Duration,
) -> String {
    let mut s = req.signable();
    V1Signer::new()
        .presign(&mut s, creds, emu.clock().now() + expires)
        .unwrap();
    req.url(emu.endpoint(), &s.query)
}

pub fn admin(emu: &EmulatorHandle) -> Credentials {
    emu.user_credentials(demo::ADMIN_NAME).unwrap()
}

pub fn uploader(emu: &EmulatorHandle) -> Credentials {
    emu.user_credentials(demo::USER_NAME).unwrap()
}

/// The `<Code>` of an XML error body.
pub fn xml_field(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&close)? + start;
    Some(
        body[start..end]
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'"),
    )
}

pub async fn error_code(resp: reqwest::Response) -> (u16, String, String) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, xml_field(&text, "Code").unwrap_or_default(), text)
}

// ---- STS ----

pub struct StsCall {
    pub method: &'static str,
    pub params: Vec<(String, String)>,
    pub in_body: bool,
}

pub fn sts_params(
    creds: &Credentials,
    time: time::OffsetDateTime,
    nonce: &str,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut p = alioss::sts::signer::common_params("AssumeRole", "2015-04-01", creds, nonce, time);
    for (k, v) in extra {
        p.push(((*k).into(), (*v).into()));
    }
    p
}

/// AssumeRole parameters for `creds` at the emulator's clock with a fresh nonce, plus `extra`.
pub fn fresh_params(
    emu: &EmulatorHandle,
    creds: &Credentials,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    sts_params(creds, emu.clock().now(), &nonce(), extra)
}

/// Signs and sends an RPC request (GET: everything in the query; POST: everything in the body).
pub async fn sts_send(
    emu: &EmulatorHandle,
    secret: &str,
    method: &str,
    mut params: Vec<(String, String)>,
) -> reqwest::Response {
    let sig = alioss::sts::signer::sign(method, &params, &[], secret);
    params.push(("Signature".into(), sig));
    let c = client();
    if method == "GET" {
        let q = form_encode(&params);
        c.get(format!("{}/?{q}", emu.endpoint()))
            .send()
            .await
            .unwrap()
    } else {
        c.post(format!("{}/", emu.endpoint()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_encode(&params))
            .send()
            .await
            .unwrap()
    }
}

pub fn form_encode(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                alioss::sts::signer::percent_encode(k),
                alioss::sts::signer::percent_encode(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

pub fn nonce() -> String {
    uuid_like()
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "nonce-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ) + &format!("-{:?}", std::time::SystemTime::now())
}

/// AssumeRole as `caller`; returns the JSON body and status.
pub async fn assume_role(
    emu: &EmulatorHandle,
    caller: &Credentials,
    role_arn: &str,
    extra: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let mut all: Vec<(&str, &str)> =
        vec![("RoleArn", role_arn), ("RoleSessionName", "test-session")];
    for (k, v) in extra {
        all.retain(|(n, _)| n != k);
        all.push((k, v));
    }
    let params = fresh_params(emu, caller, &all);
    let resp = sts_send(emu, caller.access_key_secret(), "POST", params).await;
    let status = resp.status().as_u16();
    let body: serde_json::Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    (status, body)
}

/// Temporary credentials for a role, with an optional session policy.
pub async fn session(emu: &EmulatorHandle, role_arn: &str, policy: Option<&str>) -> Credentials {
    let mut extra = vec![("DurationSeconds", "900")];
    if let Some(p) = policy {
        extra.push(("Policy", p));
    }
    let (status, body) = assume_role(emu, &uploader(emu), role_arn, &extra).await;
    assert_eq!(status, 200, "{body}");
    let c = &body["Credentials"];
    Credentials::builder()
        .access_key_id(c["AccessKeyId"].as_str().unwrap())
        .access_key_secret(c["AccessKeySecret"].as_str().unwrap())
        .security_token(c["SecurityToken"].as_str().unwrap())
        .build()
        .unwrap()
}

/// Sends a request over a raw TCP connection (for paths an HTTP client would normalise) and
/// returns (status, headers, body).
pub async fn raw_http(
    emu: &EmulatorHandle,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(emu.addr()).await.unwrap();
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncontent-length: {}\r\n",
        emu.addr(),
        body.len()
    );
    for (k, v) in headers {
        if k.eq_ignore_ascii_case("host") || k.eq_ignore_ascii_case("content-length") {
            continue;
        }
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&out[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let hs = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, hs, out[split + 4..].to_vec())
}

/// Signs `req` with V4 and sends it raw, with the key path verbatim (`/bucket/<key as given>`).
pub async fn raw_v4(
    emu: &EmulatorHandle,
    creds: &Credentials,
    req: OssReq,
    raw_path: &str,
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = req.signable();
    V4Signer::new(demo::REGION)
        .unwrap()
        .sign_headers(&mut s, creds, emu.clock().now())
        .unwrap();
    let mut target = raw_path.to_owned();
    if !s.query.is_empty() {
        target.push('?');
        target.push_str(&encode_query(&s.query));
    }
    raw_http(emu, &req.method, &target, &s.headers, &req.body).await
}
