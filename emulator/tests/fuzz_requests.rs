//! Fuzzing the emulator's request parsing on the stable toolchain (issue 11): raw HTTP requests
//! with arbitrary targets, query strings, headers (V4 and V1 authorization shapes, security
//! tokens, tagging, ranges) and PostObject multipart forms are sent over TCP; the emulator must
//! answer every one with an HTTP response (never drop the connection, which is what a panicking
//! handler does) and still serve a normal request afterwards. Prints
//! `fuzz emulator requests: N cases run` (`ALIOSS_FUZZ_CASES`, default 1000).

use std::time::Duration;

use alioss_emulator::{Emulator, EmulatorConfig};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn cases() -> u32 {
    std::env::var("ALIOSS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(1000, |n: u32| n.min(2000))
}

fn target() -> impl Strategy<Value = String> {
    let path = prop_oneof![
        Just("/".to_owned()),
        Just("/examplebucket".to_owned()),
        Just("/examplebucket/".to_owned()),
        Just("/examplebucket/src/a.txt".to_owned()),
        Just("/examplebucket/%2e%2e/%2e%2e/etc/passwd".to_owned()),
        Just("/examplebucket/a%ZZb".to_owned()),
        Just("/%00/%ff".to_owned()),
        "/[a-z%0-9./]{0,30}",
    ];
    let param = prop_oneof![
        Just("uploads".to_owned()),
        Just("uploadId=".to_owned()),
        Just("partNumber=0".to_owned()),
        Just("partNumber=99999999999".to_owned()),
        Just("list-type=2".to_owned()),
        Just("max-keys=-1".to_owned()),
        Just("encoding-type=url".to_owned()),
        Just("continuation-token=%zz".to_owned()),
        Just("append&position=x".to_owned()),
        Just("x-oss-signature-version=OSS4-HMAC-SHA256".to_owned()),
        Just("x-oss-credential=a%2Fb%2Fc".to_owned()),
        Just("x-oss-expires=99999999999999".to_owned()),
        Just("OSSAccessKeyId=x&Expires=1&Signature=y".to_owned()),
        "[a-zA-Z%=&+0-9-]{0,20}",
    ];
    (path, proptest::collection::vec(param, 0..4)).prop_map(|(p, q)| {
        if q.is_empty() {
            p
        } else {
            format!("{p}?{}", q.join("&"))
        }
    })
}

fn header() -> impl Strategy<Value = (String, String)> {
    let name = prop_oneof![
        Just("Authorization"),
        Just("x-oss-date"),
        Just("x-oss-content-sha256"),
        Just("x-oss-security-token"),
        Just("x-oss-tagging"),
        Just("x-oss-object-acl"),
        Just("x-oss-forbid-overwrite"),
        Just("x-oss-complete-all"),
        Just("Range"),
        Just("Content-MD5"),
        Just("Content-Type"),
        Just("x-oss-meta-a"),
        Just("Date"),
    ];
    let value = prop_oneof![
        Just("OSS4-HMAC-SHA256 Credential=LTAI/20260101/cn-hangzhou/oss/aliyun_v4_request,Signature=00".to_owned()),
        Just("OSS4-HMAC-SHA256 Credential=,,,Signature".to_owned()),
        Just("OSS a:b".to_owned()),
        Just("OSS :".to_owned()),
        Just("bytes=5-1".to_owned()),
        Just("bytes=-0".to_owned()),
        Just("multipart/form-data; boundary=XyZ".to_owned()),
        Just("multipart/form-data; boundary=".to_owned()),
        Just("20260101T000000Z".to_owned()),
        Just("a=1&a=2&%zz".to_owned()),
        "[ -~]{0,40}",
    ];
    (name, value).prop_map(|(n, v)| (n.to_owned(), v))
}

fn form_body() -> impl Strategy<Value = Vec<u8>> {
    let part = prop_oneof![
        Just("--XyZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nsrc/${filename}\r\n".to_owned()),
        Just("--XyZ\r\nContent-Disposition: form-data; name=\"policy\"\r\n\r\neyJleHBpcmF0aW9uIjoiMjA5OS0wMS0wMVQwMDowMDowMFoiLCJjb25kaXRpb25zIjpbXX0=\r\n".to_owned()),
        Just("--XyZ\r\nContent-Disposition: form-data; name=\"x-oss-signature\"\r\n\r\n00\r\n".to_owned()),
        Just("--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n".to_owned()),
        Just("--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../x\"\r\n\r\n".to_owned()),
        Just("--XyZ\r\nContent-Disposition: form-data\r\n\r\n".to_owned()),
        Just("--XyZ--\r\n".to_owned()),
        Just("--XyZ".to_owned()),
        "[ -~\r\n]{0,40}",
    ];
    proptest::collection::vec(part, 0..6).prop_map(|v| v.concat().into_bytes())
}

fn request() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![
            Just("GET"),
            Just("PUT"),
            Just("POST"),
            Just("HEAD"),
            Just("DELETE"),
            Just("OPTIONS"),
            Just("PATCH")
        ],
        target(),
        proptest::collection::vec(header(), 0..6),
        prop_oneof![form_body(), proptest::collection::vec(any::<u8>(), 0..64)],
    )
        .prop_map(|(method, target, headers, body)| {
            let mut r =
                format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
            for (n, v) in headers {
                r.push_str(&format!("{n}: {v}\r\n"));
            }
            r.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
            let mut bytes = r.into_bytes();
            bytes.extend_from_slice(&body);
            bytes
        })
}

/// Sends `raw` and reads the answer; `None` when the connection ended without an HTTP answer.
async fn exchange(addr: std::net::SocketAddr, raw: &[u8]) -> Option<String> {
    let mut sock = tokio::net::TcpStream::connect(addr).await.ok()?;
    sock.write_all(raw).await.ok()?;
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), sock.read_to_end(&mut out)).await;
    if read.is_err() {
        return Some("timeout".into());
    }
    let text = String::from_utf8_lossy(&out).into_owned();
    text.starts_with("HTTP/1.1 ").then_some(text)
}

#[test]
fn the_emulator_answers_every_malformed_request() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let emu = rt
        .block_on(Emulator::start(EmulatorConfig::demo()))
        .unwrap();
    let addr = emu.addr();
    let n = cases();
    let mut runner = TestRunner::new(Config {
        cases: n,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&request(), |raw| {
            let answer = rt.block_on(exchange(addr, &raw));
            prop_assert!(
                answer.as_deref().is_some_and(|a| a != "timeout"),
                "no HTTP answer to {:?}",
                String::from_utf8_lossy(&raw)
            );
            Ok(())
        })
        .unwrap();
    // Still alive and serving.
    let ok = rt
        .block_on(exchange(
            addr,
            b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        ))
        .expect("the emulator still answers");
    assert!(ok.starts_with("HTTP/1.1 "));
    println!("fuzz emulator requests: {n} cases run");
    rt.block_on(emu.shutdown());
}
