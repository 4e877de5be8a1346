//! A tiny HTTP/1.1 server on 127.0.0.1:0 for OSS client tests: records every request and
//! answers from a handler. Each connection serves one request (`Connection: close`).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use alioss::credentials::{Credentials, StaticCredentialsProvider};
use alioss::oss::{Client, ClientBuilder, RetryPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    pub fn query(&self) -> &str {
        self.target.split_once('?').map(|(_, q)| q).unwrap_or("")
    }
}

/// What the server answers.
#[derive(Debug, Clone)]
pub enum Reply {
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Close the connection without answering.
    Drop,
    /// Keep the connection open without answering (for timeouts), closing it after 10 s.
    Hang,
}

impl Reply {
    pub fn ok() -> Self {
        Self::status(200)
    }

    pub fn status(status: u16) -> Self {
        Reply::Respond {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        if let Reply::Respond { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.into()));
        }
        self
    }

    pub fn body(mut self, b: impl Into<Vec<u8>>) -> Self {
        if let Reply::Respond { body, .. } = &mut self {
            *body = b.into();
        }
        self
    }

    pub fn error(status: u16, code: &str, message: &str) -> Self {
        Reply::status(status)
            .header("content-type", "application/xml")
            .header("x-oss-request-id", "REQ-1")
            .body(format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code>\
                 <Message>{message}</Message><RequestId>REQ-1</RequestId>\
                 <HostId>host</HostId><EC>0000-00000000</EC></Error>"
            ))
    }
}

type Handler = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

/// The server handle.
pub struct MockServer {
    pub addr: SocketAddr,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
}

impl MockServer {
    /// Starts a server answering with `handler(request, index)`.
    pub async fn start(
        handler: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let reqs = requests.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let handler = handler.clone();
                let reqs = reqs.clone();
                tokio::spawn(async move {
                    let Some(req) = read_request(&mut sock).await else {
                        return;
                    };
                    let index = {
                        let mut r = reqs.lock().unwrap();
                        r.push(req.clone());
                        r.len() - 1
                    };
                    match handler(&req, index) {
                        Reply::Drop => drop(sock),
                        Reply::Hang => {
                            tokio::time::sleep(std::time::Duration::from_secs(10)).await;
                            drop(sock)
                        }
                        Reply::Respond {
                            status,
                            headers,
                            body,
                        } => {
                            let mut out = format!("HTTP/1.1 {status} X\r\n");
                            let mut has_date = false;
                            for (k, v) in &headers {
                                has_date |= k.eq_ignore_ascii_case("date");
                                out.push_str(&format!("{k}: {v}\r\n"));
                            }
                            if !has_date {
                                out.push_str(&format!(
                                    "Date: {}\r\n",
                                    alioss::oss::signer::format_http_date(
                                        time::OffsetDateTime::now_utc()
                                    )
                                ));
                            }
                            if req.method != "HEAD"
                                || !headers
                                    .iter()
                                    .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                            {
                                out.push_str(&format!("Content-Length: {}\r\n", body.len()));
                            }
                            out.push_str("Connection: close\r\n\r\n");
                            let _ = sock.write_all(out.as_bytes()).await;
                            if req.method != "HEAD" {
                                let _ = sock.write_all(&body).await;
                            }
                            let _ = sock.shutdown().await;
                        }
                    }
                });
            }
        });
        Self { addr, requests }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    pub fn request(&self, i: usize) -> Recorded {
        self.requests.lock().unwrap()[i].clone()
    }
}

async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 8192];
    let header_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = sock.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[header_end + 4..].to_vec();
    while body.len() < len {
        let n = sock.read(&mut tmp).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&tmp[..n]);
    }
    Some(Recorded {
        method,
        target,
        headers,
        body,
    })
}

pub fn sts_credentials() -> Credentials {
    Credentials::builder()
        .access_key_id("STS.test-key-id")
        .access_key_secret("test-secret")
        .security_token("test-token")
        .build()
        .unwrap()
}

/// A builder for a client of `endpoint` in cn-hangzhou with fast retries.
pub fn builder(endpoint: &str) -> ClientBuilder {
    Client::builder()
        .region("cn-hangzhou")
        .endpoint(endpoint)
        .credentials(StaticCredentialsProvider::new(sts_credentials()))
        .retry_policy(
            RetryPolicy::standard()
                .with_base_delay(std::time::Duration::from_millis(1))
                .with_max_backoff(std::time::Duration::from_millis(5)),
        )
}

pub fn client(endpoint: &str) -> Client {
    builder(endpoint).build().unwrap()
}
