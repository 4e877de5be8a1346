//! A TCP relay on 127.0.0.1:0 in front of a server that keeps every byte the clients sent, so a
//! test can count and inspect the requests that went through (for clients that send requests
//! without bodies: GET and HEAD). Connections are relayed as they are (keep-alive included).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What each relayed connection's client sent, one buffer per connection.
type SentLog = Arc<Mutex<Vec<Arc<Mutex<Vec<u8>>>>>>;

/// The relay.
pub struct CountingProxy {
    addr: std::net::SocketAddr,
    sent: SentLog,
}

impl CountingProxy {
    /// Starts relaying to `upstream` (`http://host:port`).
    pub async fn start(upstream: &str) -> Self {
        let target = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let sent: SentLog = Arc::default();
        let all = sent.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(&target).await else {
                    continue;
                };
                let log: Arc<Mutex<Vec<u8>>> = Arc::default();
                all.lock().unwrap().push(log.clone());
                tokio::spawn(relay(client, server, log));
            }
        });
        Self { addr, sent }
    }

    /// The endpoint clients use.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The request heads sent so far (method, target and headers, one string each).
    pub fn request_heads(&self) -> Vec<String> {
        let mut out = Vec::new();
        for log in self.sent.lock().unwrap().iter() {
            let bytes = log.lock().unwrap().clone();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            out.extend(
                text.split("\r\n\r\n")
                    .filter(|h| !h.is_empty())
                    .map(str::to_owned),
            );
        }
        out
    }

    /// How many requests with `method` went through.
    pub fn count(&self, method: &str) -> usize {
        let prefix = format!("{method} ");
        self.request_heads()
            .iter()
            .filter(|h| h.starts_with(&prefix))
            .count()
    }
}

async fn relay(client: TcpStream, server: TcpStream, log: Arc<Mutex<Vec<u8>>>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upstream = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            log.lock().unwrap().extend_from_slice(&buf[..n]);
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
    };
    let downstream = async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    };
    tokio::join!(upstream, downstream);
}
