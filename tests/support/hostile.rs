//! A deliberately unfriendly HTTP/1.1 server on 127.0.0.1:0: every connection reads one
//! request (head and `Content-Length` body) and then plays a script of raw writes, pauses,
//! closes and hangs — so a test can answer with a body shorter than its `Content-Length`, a
//! trickle of one byte at a time, a stall, or anything else a broken proxy might send.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One step of an answer.
#[derive(Debug, Clone)]
pub enum Step {
    /// Write these bytes.
    Send(Vec<u8>),
    /// Write these bytes one at a time, pausing between them.
    Trickle(Vec<u8>, Duration),
    /// Keep the connection open without writing, for this long.
    Pause(Duration),
}

/// A whole answer: the steps, after which the connection is closed.
pub type Script = Vec<Step>;

/// Head of a response with `status`, the given headers and a `Content-Length` (which may lie).
pub fn head(status: u16, headers: &[(&str, &str)], content_length: Option<usize>) -> Vec<u8> {
    let mut h = format!("HTTP/1.1 {status} Whatever\r\nConnection: close\r\n");
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(n) = content_length {
        h.push_str(&format!("Content-Length: {n}\r\n"));
    }
    h.push_str("\r\n");
    h.into_bytes()
}

/// A complete response: head with the true length, then the body.
pub fn respond(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Script {
    let mut bytes = head(status, headers, Some(body.len()));
    bytes.extend_from_slice(body);
    vec![Step::Send(bytes)]
}

/// A request head as received (request line and headers).
#[derive(Debug, Clone)]
pub struct Seen {
    pub head: String,
}

impl Seen {
    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }
}

/// The server: answers request `i` with `script(i)`.
pub struct HostileServer {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl HostileServer {
    pub async fn start(script: impl Fn(usize) -> Script + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(script);
        let log = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let script = script.clone();
                let log = log.clone();
                tokio::spawn(async move {
                    let _ = serve(sock, &*script, &log).await;
                });
            }
        });
        Self { addr, seen }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn serve(
    mut sock: TcpStream,
    script: &(dyn Fn(usize) -> Script + Send + Sync),
    log: &Mutex<Vec<Seen>>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 1 << 20 {
            return Ok(());
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let seen = Seen { head };
    let body_len: usize = seen
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut have = buf.len() - head_end;
    while have < body_len {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        have += n;
    }
    let index = {
        let mut l = log.lock().unwrap();
        l.push(seen);
        l.len() - 1
    };
    for step in script(index) {
        match step {
            Step::Send(bytes) => sock.write_all(&bytes).await?,
            Step::Trickle(bytes, gap) => {
                for b in bytes {
                    sock.write_all(&[b]).await?;
                    sock.flush().await?;
                    tokio::time::sleep(gap).await;
                }
            }
            Step::Pause(d) => tokio::time::sleep(d).await,
        }
    }
    sock.flush().await?;
    let _ = sock.shutdown().await;
    Ok(())
}
