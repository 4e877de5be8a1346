//! A tiny in-test STS on 127.0.0.1:0 that checks the RPC signature with alioss's own signer,
//! records every request, and answers scripted responses. Also a generic one-route server.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use alioss::sts::signer;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;

pub const USER_KEY_ID: &str = "test-user-key-id";
pub const USER_KEY_SECRET: &str = "test-user-key-secret";

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub query: BTreeMap<String, String>,
    pub form: BTreeMap<String, String>,
    pub headers: HeaderMap,
    pub signature_ok: Option<bool>,
}

#[derive(Default)]
pub struct StsState {
    pub seen: Mutex<Vec<Seen>>,
    pub scripted: Mutex<VecDeque<(u16, String)>>,
    pub keys: Mutex<HashMap<String, String>>,
    pub issued: AtomicUsize,
}

#[derive(Clone)]
pub struct MockSts {
    pub endpoint: String,
    pub state: Arc<StsState>,
}

fn parse_pairs(s: &str) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(s.as_bytes())
        .into_owned()
        .collect()
}

pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

impl MockSts {
    pub async fn start() -> Self {
        let state = Arc::new(StsState::default());
        state
            .keys
            .lock()
            .unwrap()
            .insert(USER_KEY_ID.to_owned(), USER_KEY_SECRET.to_owned());
        let st = state.clone();
        let router = Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let st = st.clone();
                async move { handle(&st, method, uri, headers, body) }
            },
        );
        let endpoint = serve(router).await;
        Self { endpoint, state }
    }

    /// The next answers, in order, before falling back to issuing credentials.
    pub fn script(&self, status: u16, body: impl Into<String>) {
        self.state
            .scripted
            .lock()
            .unwrap()
            .push_back((status, body.into()));
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    pub fn hits(&self) -> usize {
        self.state.seen.lock().unwrap().len()
    }
}

fn handle(st: &StsState, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let query = parse_pairs(uri.query().unwrap_or(""));
    let form = parse_pairs(std::str::from_utf8(&body).unwrap_or(""));
    let signature_ok = query.get("Signature").map(|sig| {
        let secret = st
            .keys
            .lock()
            .unwrap()
            .get(query.get("AccessKeyId").map(String::as_str).unwrap_or(""))
            .cloned()
            .unwrap_or_default();
        let q: Vec<(String, String)> = query
            .iter()
            .filter(|(k, _)| *k != "Signature")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let f: Vec<(String, String)> = form.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        signer::sign(method.as_str(), &q, &f, &secret) == *sig
    });
    st.seen.lock().unwrap().push(Seen {
        method: method.to_string(),
        query: query.clone(),
        form: form.clone(),
        headers,
        signature_ok,
    });
    if let Some((status, body)) = st.scripted.lock().unwrap().pop_front() {
        return (StatusCode::from_u16(status).unwrap(), body).into_response();
    }
    if signature_ok == Some(false) {
        return (
            StatusCode::BAD_REQUEST,
            r#"{"RequestId":"R-SIG","HostId":"sts.test","Code":"SignatureDoesNotMatch","Message":"signature mismatch"}"#,
        )
            .into_response();
    }
    let duration: i64 = form
        .get("DurationSeconds")
        .and_then(|d| d.parse().ok())
        .unwrap_or(3600);
    let now = query
        .get("Timestamp")
        .and_then(|t| signer::parse_timestamp(t))
        .unwrap_or_else(time::OffsetDateTime::now_utc);
    let n = st.issued.fetch_add(1, Ordering::SeqCst) + 1;
    let session = form.get("RoleSessionName").cloned().unwrap_or_default();
    let role = form.get("RoleArn").cloned().unwrap_or_default();
    let body = serde_json::json!({
        "RequestId": format!("REQ-{n}"),
        "AssumedRoleUser": {"Arn": format!("{role}/{session}"), "AssumedRoleId": format!("300000000000:{session}")},
        "Credentials": {
            "AccessKeyId": format!("STS.issued-{n}"),
            "AccessKeySecret": format!("issued-secret-{n}"),
            "SecurityToken": format!("issued-token-{n}"),
            "Expiration": signer::format_timestamp(now + time::Duration::seconds(duration)),
        }
    });
    (StatusCode::OK, body.to_string()).into_response()
}

pub fn user_credentials() -> alioss::Credentials {
    alioss::Credentials::new(USER_KEY_ID, USER_KEY_SECRET).unwrap()
}

/// The RAM user's keys as temporary credentials, with `security_token`.
pub fn user_credentials_with_token(security_token: &str) -> alioss::Credentials {
    alioss::Credentials::builder()
        .access_key_id(USER_KEY_ID)
        .access_key_secret(USER_KEY_SECRET)
        .security_token(security_token)
        .build()
        .unwrap()
}

pub const ROLE_ARN: &str = "acs:ram::1234567890123456:role/ramosstest";
