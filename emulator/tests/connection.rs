//! Refused requests leave the connection usable: the emulator reads and discards the body it
//! did not need, as real OSS does, so a client that reuses its connection is not cut off.

mod common;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads one HTTP/1.1 response (headers + Content-Length body) from `stream`.
async fn read_response(stream: &mut TcpStream) -> (u16, String) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = stream.read(&mut chunk).await.unwrap();
                assert!(n > 0, "connection closed in the middle of a response");
                buf.extend_from_slice(&chunk[..n]);
            }
            let status = head[9..12].parse().unwrap();
            return (status, head);
        }
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed before a response: {buf:?}");
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[tokio::test]
async fn a_refused_upload_leaves_the_connection_reusable() {
    let emu = common::start().await;
    let mut stream = TcpStream::connect(emu.addr()).await.unwrap();
    let body = vec![b'x'; 200_000];
    for round in 0..3 {
        // A PUT with a bogus signature: refused before its body is needed.
        let head = format!(
            "PUT /examplebucket/refused-{round} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n\
             Authorization: OSS4-HMAC-SHA256 Credential=demo-user-key-id/20990101/cn-hangzhou/oss/aliyun_v4_request,Signature=00\r\n\
             x-oss-date: 20990101T000000Z\r\n\r\n",
            emu.addr(),
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(&body).await.unwrap();
        let (status, head) = read_response(&mut stream).await;
        assert_eq!(status, 403, "{head}");
        assert!(
            !head.to_ascii_lowercase().contains("connection: close"),
            "a small refused body is drained, not a reason to close: {head}"
        );
        // The same connection serves the next request.
        let next = format!(
            "GET /_emulator/health HTTP/1.1\r\nHost: {}\r\n\r\n",
            emu.addr()
        );
        stream.write_all(next.as_bytes()).await.unwrap();
        let (status, _) = read_response(&mut stream).await;
        assert_eq!(status, 200);
    }
    emu.shutdown().await;
}
