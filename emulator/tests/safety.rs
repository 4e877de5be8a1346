//! Safety: keys never escape the data directory, limits are enforced, concurrent writers leave
//! one complete object, and the directory store survives a restart.

mod common;

use alioss_emulator::{demo, Emulator, EmulatorConfig};
use common::*;

fn all_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(all_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn directory_store_survives_restart_and_keeps_keys_inside() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let keys = [
        "../../etc/passwd",
        "/abs",
        "a\u{0}b",
        "normal/key.txt",
        "..",
        "C:\\windows",
    ];
    {
        let emu = Emulator::builder()
            .config(EmulatorConfig::demo())
            .data_dir(&data)
            .start()
            .await
            .unwrap();
        let root = emu.root_credentials();
        for k in keys {
            let path = format!(
                "/{}/{}",
                demo::BUCKET,
                alioss::oss::signer::uri_encode_path(k)
            );
            let (status, _, body) = raw_v4(&emu, &root, OssReq::put(k, k.as_bytes()), &path).await;
            if k.starts_with('/') {
                assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
            } else {
                assert_eq!(status, 200, "{k}: {}", String::from_utf8_lossy(&body));
            }
        }
        // Appendable and multipart objects persist too.
        let app = OssReq::new("POST", demo::BUCKET, Some("log"))
            .query("append", "")
            .query("position", "0")
            .body(b"abc");
        assert_eq!(send_v4(&emu, &root, app).await.status(), 200);
        emu.shutdown().await;
    }
    // Nothing was written outside the data directory, and no file is named after a key.
    assert!(!tmp.path().join("etc").exists());
    for f in all_files(tmp.path()) {
        assert!(f.starts_with(&data), "{f:?}");
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.'),
            "{name}"
        );
    }
    let emu = Emulator::builder()
        .config(EmulatorConfig::demo())
        .data_dir(&data)
        .start()
        .await
        .unwrap();
    let root = emu.root_credentials();
    for k in keys.iter().filter(|k| !k.starts_with('/')) {
        let path = format!(
            "/{}/{}",
            demo::BUCKET,
            alioss::oss::signer::uri_encode_path(k)
        );
        let (status, _, body) = raw_v4(&emu, &root, OssReq::get(k), &path).await;
        assert_eq!((status, body.as_slice()), (200, k.as_bytes()), "{k}");
    }
    let app = OssReq::new("POST", demo::BUCKET, Some("log"))
        .query("append", "")
        .query("position", "3")
        .body(b"def");
    assert_eq!(send_v4(&emu, &root, app).await.status(), 200);
    let resp = send_v4(&emu, &root, OssReq::get("log")).await;
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"abcdef");
    // Deleting removes the data too.
    let before = all_files(&data).len();
    send_v4(
        &emu,
        &root,
        OssReq::new("DELETE", demo::BUCKET, Some("normal/key.txt")),
    )
    .await;
    assert!(all_files(&data).len() < before);
    emu.shutdown().await;
}

#[tokio::test]
async fn concurrent_writers_leave_one_complete_object() {
    for dir in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let mut b = Emulator::builder().config(EmulatorConfig::demo());
        if dir {
            b = b.data_dir(tmp.path());
        }
        let emu = b.start().await.unwrap();
        let root = emu.root_credentials();
        let mut tasks = Vec::new();
        for i in 0..8u8 {
            let body = vec![i; 256 * 1024];
            let req = OssReq::put("contended", &body);
            let endpoint = emu.endpoint().to_owned();
            let mut s = alioss::oss::signer::SignableRequest::new(
                "PUT",
                Some(demo::BUCKET),
                Some("contended"),
            );
            alioss::oss::signer::V4Signer::new(demo::REGION)
                .unwrap()
                .sign_headers(&mut s, &root, emu.clock().now())
                .unwrap();
            tasks.push(tokio::spawn(async move {
                send_raw(&endpoint, "PUT", &req, &[], &s.headers, body)
                    .await
                    .status()
                    .as_u16()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), 200);
        }
        let got = send_v4(&emu, &root, OssReq::get("contended"))
            .await
            .bytes()
            .await
            .unwrap();
        assert_eq!(got.len(), 256 * 1024);
        assert!(
            got.iter().all(|b| *b == got[0]),
            "mixed content (dir store: {dir})"
        );
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn oversized_headers_and_bodies_are_refused() {
    let emu = start().await;
    let root = emu.root_credentials();
    let huge = "h".repeat(70 * 1024);
    let resp = client()
        .put(format!("{}/{}/big", emu.endpoint(), demo::BUCKET))
        .header("x-filler", huge)
        .body("x")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_client_error(), "{}", resp.status());
    // A declared Content-Length over 5 GiB is refused before any byte is read.
    let mut r = alioss::oss::signer::SignableRequest::new("PUT", Some(demo::BUCKET), Some("big"));
    alioss::oss::signer::V4Signer::new(demo::REGION)
        .unwrap()
        .sign_headers(&mut r, &root, emu.clock().now())
        .unwrap();
    let mut headers = r.headers.clone();
    headers.push(("content-length".into(), "5368709121".into()));
    let mut s = tokio::net::TcpStream::connect(emu.addr()).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut head = format!(
        "PUT /{}/big HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n",
        demo::BUCKET,
        emu.addr()
    );
    for (k, v) in &headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("EntityTooLarge"), "{text}");
}

#[tokio::test]
async fn config_files_are_validated() {
    let bad = r#"{"account_id":"x","root":{"access_key_id":"a","access_key_secret":"b"}}"#;
    assert_eq!(
        EmulatorConfig::from_json(bad).unwrap_err().field,
        "account_id"
    );
    let bad_policy = r#"{"account_id":"1","root":{"access_key_id":"a","access_key_secret":"b"},"users":[{"name":"u","access_key_id":"k","access_key_secret":"s","policies":[{"Version":"2"}]}]}"#;
    assert!(EmulatorConfig::from_json(bad_policy).is_err());
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.json"))
        .unwrap();
    let cfg = EmulatorConfig::from_json(&text).unwrap();
    let emu = Emulator::start(cfg).await.unwrap();
    assert_eq!(emu.role_arn("RamOssTest").unwrap(), demo::ROLE_ARN);
    assert!(emu.user_credentials("nobody").is_none());
    let line = alioss_emulator::ready_line(&emu);
    assert!(line.starts_with("ALIOSS_EMULATOR_READY {"));
    let v: serde_json::Value =
        serde_json::from_str(line.trim_start_matches("ALIOSS_EMULATOR_READY ")).unwrap();
    assert_eq!(v["endpoint"], emu.endpoint());
    assert_eq!(v["users"]["uploader"]["access_key_id"], demo::USER_KEY_ID);
    assert!(!format!("{emu:?}").contains(demo::ROOT_KEY_SECRET));
}

#[tokio::test]
async fn directory_store_serves_ranges_across_multipart_segments() {
    let tmp = tempfile::tempdir().unwrap();
    let emu = Emulator::builder()
        .data_dir(tmp.path())
        .start()
        .await
        .unwrap();
    let root = emu.root_credentials();
    let resp = send_v4(
        &emu,
        &root,
        OssReq::new("POST", demo::BUCKET, Some("mp")).query("uploads", ""),
    )
    .await;
    let id = xml_field(&resp.text().await.unwrap(), "UploadId").unwrap();
    let p1: Vec<u8> = (0..100 * 1024).map(|i| (i % 251) as u8).collect();
    let p2: Vec<u8> = (0..5000).map(|i| (i % 13) as u8).collect();
    for (n, p) in [(1, &p1), (2, &p2)] {
        let r = OssReq::new("PUT", demo::BUCKET, Some("mp"))
            .query("partNumber", &n.to_string())
            .query("uploadId", &id)
            .body(p);
        assert_eq!(send_v4(&emu, &root, r).await.status(), 200);
    }
    let r = OssReq::new("POST", demo::BUCKET, Some("mp"))
        .query("uploadId", &id)
        .header("x-oss-complete-all", "yes");
    assert_eq!(send_v4(&emu, &root, r).await.status(), 200);
    let mut all = p1.clone();
    all.extend_from_slice(&p2);
    emu.shutdown().await;
    let emu = Emulator::builder()
        .data_dir(tmp.path())
        .start()
        .await
        .unwrap();
    let resp = send_v4(
        &emu,
        &root,
        OssReq::get("mp").header("range", "bytes=102000-102999"),
    )
    .await;
    assert_eq!(resp.status(), 206);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), &all[102000..103000]);
    let resp = send_v4(&emu, &root, OssReq::get("mp")).await;
    assert_eq!(
        resp.headers()["x-oss-hash-crc64ecma"],
        alioss::oss::crc64::checksum(&all).to_string().as_str()
    );
    assert_eq!(resp.bytes().await.unwrap().as_ref(), all.as_slice());
}
