//! Object operations signed with alioss's V4 and V1 signers.

mod common;

use alioss_emulator::demo;
use common::*;

#[tokio::test]
async fn put_then_get_with_v4_round_trips_with_etag_and_crc() {
    let emu = start().await;
    let root = emu.root_credentials();
    let body = b"hello, oss".to_vec();
    let resp = send_v4(
        &emu,
        &root,
        OssReq::put("dir/hello.txt", &body)
            .header("content-type", "text/plain")
            .header("x-oss-meta-owner", "me"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let crc = alioss::oss::crc64::checksum(&body).to_string();
    assert_eq!(resp.headers()["x-oss-hash-crc64ecma"], crc.as_str());
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag.len(), 34);
    assert!(resp.headers().contains_key("x-oss-request-id"));
    assert!(resp.headers().contains_key("date"));

    let resp = send_v4(&emu, &root, OssReq::get("dir/hello.txt")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["etag"], etag.as_str());
    assert_eq!(resp.headers()["content-type"], "text/plain");
    assert_eq!(resp.headers()["x-oss-meta-owner"], "me");
    assert_eq!(resp.headers()["x-oss-hash-crc64ecma"], crc.as_str());
    assert_eq!(resp.bytes().await.unwrap().as_ref(), body.as_slice());
}

#[tokio::test]
async fn missing_key_is_no_such_key_and_unknown_bucket_is_no_such_bucket() {
    let emu = start().await;
    let root = emu.root_credentials();
    let (status, code, _) = error_code(send_v4(&emu, &root, OssReq::get("nope")).await).await;
    assert_eq!((status, code.as_str()), (404, "NoSuchKey"));
    let (status, code, _) =
        error_code(send_v4(&emu, &root, OssReq::new("GET", "nosuchbucket", Some("k"))).await).await;
    assert_eq!((status, code.as_str()), (404, "NoSuchBucket"));
}

#[tokio::test]
async fn session_credentials_can_put_within_the_role_policy() {
    let emu = start().await;
    let s = session(&emu, demo::ROLE_ARN, None).await;
    let resp = send_v4(
        &emu,
        &s,
        OssReq::put("exampletest.txt", b"x")
            .header("x-oss-object-acl", "private")
            .header("x-oss-storage-class", "Standard"),
    )
    .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    // The role only grants PutObject.
    let (status, code, text) =
        error_code(send_v4(&emu, &s, OssReq::get("exampletest.txt")).await).await;
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert_eq!(
        xml_field(&text, "Message").unwrap(),
        "Access denied by authorizer's policy."
    );
    assert_eq!(xml_field(&text, "EC").unwrap(), "0003-00000301");
}

#[tokio::test]
async fn head_returns_metadata_and_errors_in_x_oss_err() {
    let emu = start().await;
    let root = emu.root_credentials();
    let resp = send_v4(
        &emu,
        &root,
        OssReq::put("h.bin", &[7u8; 10])
            .header("x-oss-tagging", "a=1&b=2")
            .header("x-oss-storage-class", "IA"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let resp = send_v4(
        &emu,
        &root,
        OssReq::new("HEAD", demo::BUCKET, Some("h.bin")),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-length"], "10");
    assert_eq!(resp.headers()["x-oss-object-type"], "Normal");
    assert_eq!(resp.headers()["x-oss-storage-class"], "IA");
    assert_eq!(resp.headers()["x-oss-tagging-count"], "2");
    let resp = send_v4(
        &emu,
        &root,
        OssReq::new("HEAD", demo::BUCKET, Some("missing")),
    )
    .await;
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.headers()["x-oss-ec"], "0026-00000001");
    use base64::Engine as _;
    let xml = base64::engine::general_purpose::STANDARD
        .decode(resp.headers()["x-oss-err"].as_bytes())
        .unwrap();
    assert_eq!(
        xml_field(&String::from_utf8(xml).unwrap(), "Code").unwrap(),
        "NoSuchKey"
    );
}

#[tokio::test]
async fn range_reads_return_206_with_content_range() {
    let emu = start().await;
    let root = emu.root_credentials();
    let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    send_v4(&emu, &root, OssReq::put("r.bin", &data)).await;
    let resp = send_v4(
        &emu,
        &root,
        OssReq::get("r.bin").header("range", "bytes=10-19"),
    )
    .await;
    assert_eq!(resp.status(), 206);
    assert_eq!(resp.headers()["content-range"], "bytes 10-19/1000");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), &data[10..20]);
    let resp = send_v4(
        &emu,
        &root,
        OssReq::get("r.bin").header("range", "bytes=-5"),
    )
    .await;
    assert_eq!(resp.bytes().await.unwrap().as_ref(), &data[995..]);
    let resp = send_v4(
        &emu,
        &root,
        OssReq::get("r.bin").header("range", "bytes=990-"),
    )
    .await;
    assert_eq!(resp.bytes().await.unwrap().as_ref(), &data[990..]);
    // Out of range: whole object (legacy behaviour) or 416 with x-oss-range-behavior: standard.
    let resp = send_v4(
        &emu,
        &root,
        OssReq::get("r.bin").header("range", "bytes=2000-3000"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let resp = send_v4(
        &emu,
        &root,
        OssReq::get("r.bin")
            .header("range", "bytes=2000-3000")
            .header("x-oss-range-behavior", "standard"),
    )
    .await;
    assert_eq!(error_code(resp).await.1, "InvalidRange");
}

#[tokio::test]
async fn delete_removes_and_is_idempotent() {
    let emu = start().await;
    let root = emu.root_credentials();
    send_v4(&emu, &root, OssReq::put("d", b"x")).await;
    let resp = send_v4(&emu, &root, OssReq::new("DELETE", demo::BUCKET, Some("d"))).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(send_v4(&emu, &root, OssReq::get("d")).await.status(), 404);
    let resp = send_v4(&emu, &root, OssReq::new("DELETE", demo::BUCKET, Some("d"))).await;
    assert_eq!(resp.status(), 204);
}

#[tokio::test]
async fn forbid_overwrite_refuses_an_existing_key() {
    let emu = start().await;
    let root = emu.root_credentials();
    let r = OssReq::put("once", b"1").header("x-oss-forbid-overwrite", "true");
    assert_eq!(send_v4(&emu, &root, r.clone()).await.status(), 200);
    let (status, code, _) = error_code(send_v4(&emu, &root, r).await).await;
    assert_eq!((status, code.as_str()), (409, "FileAlreadyExists"));
    assert_eq!(
        send_v4(
            &emu,
            &root,
            OssReq::put("once", b"2").header("x-oss-forbid-overwrite", "false")
        )
        .await
        .status(),
        200
    );
}

#[tokio::test]
async fn content_md5_is_verified() {
    use base64::Engine as _;
    use md5::Digest as _;
    let emu = start().await;
    let root = emu.root_credentials();
    let good = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(b"abc"));
    let resp = send_v4(
        &emu,
        &root,
        OssReq::put("m", b"abc").header("content-md5", &good),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-md5"], good.as_str());
    let (s, code, _) = error_code(
        send_v4(
            &emu,
            &root,
            OssReq::put("m", b"abd").header("content-md5", &good),
        )
        .await,
    )
    .await;
    assert_eq!((s, code.as_str()), (400, "BadDigest"));
    let (s, code, _) = error_code(
        send_v4(
            &emu,
            &root,
            OssReq::put("m", b"abc").header("content-md5", "not-base64!"),
        )
        .await,
    )
    .await;
    assert_eq!((s, code.as_str()), (400, "InvalidDigest"));
    // The failed upload did not replace the object.
    let resp = send_v4(&emu, &root, OssReq::get("m")).await;
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"abc");
}

#[tokio::test]
async fn invalid_acl_storage_class_and_tags_are_refused() {
    let emu = start().await;
    let root = emu.root_credentials();
    let cases = [
        ("x-oss-object-acl", "everyone"),
        ("x-oss-storage-class", "Glacier"),
    ];
    for (h, v) in cases {
        let (s, code, _) =
            error_code(send_v4(&emu, &root, OssReq::put("k", b"x").header(h, v)).await).await;
        assert_eq!((s, code.as_str()), (400, "InvalidArgument"), "{h}");
    }
    let many: Vec<String> = (0..11).map(|i| format!("k{i}=v")).collect();
    let (s, code, _) = error_code(
        send_v4(
            &emu,
            &root,
            OssReq::put("k", b"x").header("x-oss-tagging", &many.join("&")),
        )
        .await,
    )
    .await;
    assert_eq!((s, code.as_str()), (400, "InvalidTag"));
    let big = "v".repeat(9000);
    let (s, _, _) = error_code(
        send_v4(
            &emu,
            &root,
            OssReq::put("k", b"x").header("x-oss-meta-big", &big),
        )
        .await,
    )
    .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn append_object_checks_position_and_type() {
    let emu = start().await;
    let root = emu.root_credentials();
    let app = |pos: &str, body: &[u8]| {
        OssReq::new("POST", demo::BUCKET, Some("log.txt"))
            .query("append", "")
            .query("position", pos)
            .body(body)
    };
    let resp = send_v4(&emu, &root, app("0", b"hello ")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-oss-next-append-position"], "6");
    let resp = send_v4(&emu, &root, app("6", b"world")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-oss-next-append-position"], "11");
    let crc = alioss::oss::crc64::checksum(b"hello world").to_string();
    assert_eq!(resp.headers()["x-oss-hash-crc64ecma"], crc.as_str());
    let resp = send_v4(&emu, &root, app("3", b"x")).await;
    assert_eq!(resp.status(), 409);
    assert_eq!(resp.headers()["x-oss-next-append-position"], "11");
    assert_eq!(error_code(resp).await.1, "PositionNotEqualToLength");
    let resp = send_v4(
        &emu,
        &root,
        OssReq::new("HEAD", demo::BUCKET, Some("log.txt")),
    )
    .await;
    assert_eq!(resp.headers()["x-oss-object-type"], "Appendable");
    assert_eq!(resp.headers()["x-oss-next-append-position"], "11");
    assert_eq!(resp.headers()["x-oss-hash-crc64ecma"], crc.as_str());
    let resp = send_v4(&emu, &root, OssReq::get("log.txt")).await;
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"hello world");

    send_v4(&emu, &root, OssReq::put("plain", b"abc")).await;
    let r = OssReq::new("POST", demo::BUCKET, Some("plain"))
        .query("append", "")
        .query("position", "3")
        .body(b"d");
    let (s, code, _) = error_code(send_v4(&emu, &root, r).await).await;
    assert_eq!((s, code.as_str()), (409, "ObjectNotAppendable"));
}

#[tokio::test]
async fn virtual_hosted_addressing_works() {
    let emu = start().await;
    let root = emu.root_credentials();
    send_v4(&emu, &root, OssReq::put("vh.txt", b"vhost")).await;
    let mut s =
        alioss::oss::signer::SignableRequest::new("GET", Some(demo::BUCKET), Some("vh.txt"));
    alioss::oss::signer::V4Signer::new(demo::REGION)
        .unwrap()
        .sign_headers(&mut s, &root, emu.clock().now())
        .unwrap();
    let mut b = client().get(format!("{}/vh.txt", emu.endpoint())).header(
        "host",
        format!("{}.oss-cn-hangzhou.aliyuncs.com", demo::BUCKET),
    );
    for (k, v) in &s.headers {
        b = b.header(k, v);
    }
    let resp = b.send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"vhost");
}

#[tokio::test]
async fn keys_with_special_characters_round_trip() {
    let emu = start().await;
    let root = emu.root_credentials();
    for key in ["a b/c+d.txt", "中文/ключ", "x?y#z&w=1", "a%2Fb"] {
        let resp = send_v4(&emu, &root, OssReq::put(key, key.as_bytes())).await;
        assert_eq!(resp.status(), 200, "{key}: {}", resp.text().await.unwrap());
        let resp = send_v4(&emu, &root, OssReq::get(key)).await;
        assert_eq!(resp.status(), 200, "{key}");
        assert_eq!(resp.bytes().await.unwrap().as_ref(), key.as_bytes());
    }
    let (s, code, _) =
        error_code(send_v4(&emu, &root, OssReq::put(&"k".repeat(1024), b"x")).await).await;
    assert_eq!((s, code.as_str()), (400, "InvalidObjectName"));
    // A key with dot segments, sent verbatim, is just a key.
    let key = "../../etc/passwd";
    let path = format!("/{}/{key}", demo::BUCKET);
    let (status, _, _) = raw_v4(&emu, &root, OssReq::put(key, b"not a passwd"), &path).await;
    assert_eq!(status, 200);
    let (status, _, body) = raw_v4(&emu, &root, OssReq::get(key), &path).await;
    assert_eq!((status, body.as_slice()), (200, b"not a passwd".as_slice()));
}

#[tokio::test]
async fn get_object_meta_and_unsupported_sub_resources() {
    let emu = start().await;
    let root = emu.root_credentials();
    send_v4(&emu, &root, OssReq::put("meta", b"12345")).await;
    let resp = send_v4(
        &emu,
        &root,
        OssReq::new("HEAD", demo::BUCKET, Some("meta")).query("objectMeta", ""),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-length"], "5");
    let resp = send_v4(
        &emu,
        &root,
        OssReq::new("GET", demo::BUCKET, None).query("location", ""),
    )
    .await;
    assert_eq!(error_code(resp).await.0, 501);
    let resp = send_v4(
        &emu,
        &root,
        OssReq::new("PUT", demo::BUCKET, Some("meta")).query("symlink", ""),
    )
    .await;
    assert_eq!(error_code(resp).await.1, "NotImplemented");
}

#[tokio::test]
async fn fast_etags_skip_md5_but_keep_crc_and_content_md5_checks() {
    use base64::Engine as _;
    use md5::Digest as _;
    let emu = alioss_emulator::Emulator::builder()
        .fast_etags(true)
        .start()
        .await
        .unwrap();
    let root = emu.root_credentials();
    let body = vec![7u8; 300_000];
    let resp = send_v4(&emu, &root, OssReq::put("fast", &body)).await;
    assert_eq!(resp.status(), 200);
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    let md5_etag = format!("\"{}\"", hex::encode_upper(md5::Md5::digest(&body)));
    assert_ne!(etag, md5_etag, "the ETag is not an MD5 in fast mode");
    assert_eq!(
        resp.headers()["x-oss-hash-crc64ecma"].to_str().unwrap(),
        alioss::oss::crc64::checksum(&body).to_string()
    );
    // Content-MD5, when sent, is still verified.
    let good = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(b"abc"));
    let (s, code, _) = error_code(
        send_v4(
            &emu,
            &root,
            OssReq::put("fast", b"abd").header("content-md5", &good),
        )
        .await,
    )
    .await;
    assert_eq!((s, code.as_str()), (400, "BadDigest"));
    let resp = send_v4(&emu, &root, OssReq::get("fast")).await;
    assert_eq!(resp.bytes().await.unwrap().len(), body.len());
    emu.shutdown().await;
}
