//! CopyObject, UploadPartCopy, DeleteMultipleObjects, conditional GET/HEAD, tagging and ACL as
//! the emulator answers them on the wire (signed V4 requests, no SDK validation in between).

mod common;
use alioss_emulator::demo;
use base64::Engine as _;
use common::*;
use md5::Digest as _;

async fn put(emu: &alioss_emulator::EmulatorHandle, key: &str, body: &[u8]) -> String {
    let resp = send_v4(
        emu,
        &emu.root_credentials(),
        OssReq::new("PUT", demo::BUCKET, Some(key)).body(body),
    )
    .await;
    assert_eq!(resp.status(), 200);
    resp.headers()["etag"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn copy_object_answers_xml_and_keeps_the_etag_and_crc() {
    let emu = start().await;
    let root = emu.root_credentials();
    let etag = put(&emu, "c/src key.txt", b"hello copy").await;
    let resp = send_v4(
        &emu,
        &root,
        OssReq::new("PUT", demo::BUCKET, Some("c/dst.txt"))
            .header("x-oss-copy-source", "/examplebucket/c/src%20key.txt"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let crc = resp.headers()["x-oss-hash-crc64ecma"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = resp.text().await.unwrap();
    assert_eq!(xml_field(&body, "ETag").as_deref(), Some(etag.as_str()));
    assert!(xml_field(&body, "LastModified").is_some(), "{body}");
    assert_eq!(
        crc,
        alioss::oss::crc64::format(alioss::oss::crc64::checksum(b"hello copy"))
    );
}

#[tokio::test]
async fn copy_refusals_name_the_problem() {
    let emu = start().await;
    let root = emu.root_credentials();
    put(&emu, "c/src", b"x").await;
    for (source, code) in [
        ("no-slash", "InvalidArgument"),
        ("/nosuchbucket1/c/src", "NoSuchBucket"),
        ("/examplebucket/c/missing", "NoSuchKey"),
    ] {
        let resp = send_v4(
            &emu,
            &root,
            OssReq::new("PUT", demo::BUCKET, Some("c/dst")).header("x-oss-copy-source", source),
        )
        .await;
        assert_eq!(error_code(resp).await.1, code, "{source}");
    }
    let resp = send_v4(
        &emu,
        &root,
        OssReq::new("PUT", demo::BUCKET, Some("c/dst"))
            .header("x-oss-copy-source", "/examplebucket/c/src")
            .header("x-oss-metadata-directive", "MERGE"),
    )
    .await;
    assert_eq!(error_code(resp).await.1, "InvalidArgument");
    let resp = send_v4(
        &emu,
        &root,
        OssReq::new("PUT", demo::BUCKET, Some("c/dst"))
            .query("partNumber", "1")
            .query("uploadId", "NOPE")
            .header("x-oss-copy-source", "/examplebucket/c/src"),
    )
    .await;
    assert_eq!(error_code(resp).await.1, "NoSuchUpload");
}

#[tokio::test]
async fn a_session_without_get_object_cannot_copy_and_one_without_delete_cannot_multi_delete() {
    let emu = start().await;
    put(&emu, "c/src", b"x").await;
    // RamOssTest allows only oss:PutObject.
    let writer = session(&emu, demo::ROLE_ARN, None).await;
    let resp = send_v4(
        &emu,
        &writer,
        OssReq::new("PUT", demo::BUCKET, Some("c/dst"))
            .header("x-oss-copy-source", "/examplebucket/c/src"),
    )
    .await;
    assert_eq!(error_code(resp).await.1, "AccessDenied");
    let xml = b"<Delete><Object><Key>c/src</Key></Object></Delete>";
    let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(xml));
    let resp = send_v4(
        &emu,
        &writer,
        OssReq::new("POST", demo::BUCKET, None)
            .query("delete", "")
            .header("content-md5", &md5)
            .body(xml),
    )
    .await;
    assert_eq!(error_code(resp).await.1, "AccessDenied");
    // Nothing was deleted.
    let resp = send_v4(
        &emu,
        &emu.root_credentials(),
        OssReq::new("HEAD", demo::BUCKET, Some("c/src")),
    )
    .await;
    assert_eq!(resp.status(), 200);
    // A wrong Content-MD5 is BadDigest.
    let resp = send_v4(
        &emu,
        &emu.root_credentials(),
        OssReq::new("POST", demo::BUCKET, None)
            .query("delete", "")
            .header("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")
            .body(xml),
    )
    .await;
    assert_eq!(error_code(resp).await.1, "BadDigest");
}

#[tokio::test]
async fn head_answers_304_and_412_and_acl_needs_a_valid_value() {
    let emu = start().await;
    let root = emu.root_credentials();
    let etag = put(&emu, "h/obj", b"x").await;
    let resp = send_v4(
        &emu,
        &root,
        OssReq::new("HEAD", demo::BUCKET, Some("h/obj")).header("if-none-match", &etag),
    )
    .await;
    assert_eq!(resp.status(), 304);
    let resp = send_v4(
        &emu,
        &root,
        OssReq::new("HEAD", demo::BUCKET, Some("h/obj")).header("if-match", "\"other\""),
    )
    .await;
    assert_eq!(resp.status(), 412);
    let resp = send_v4(
        &emu,
        &root,
        OssReq::new("PUT", demo::BUCKET, Some("h/obj")).query("acl", ""),
    )
    .await;
    assert_eq!(error_code(resp).await.1, "InvalidArgument");
    let resp = send_v4(
        &emu,
        &root,
        OssReq::new("GET", demo::BUCKET, None).query("tagging", ""),
    )
    .await;
    assert_eq!(error_code(resp).await.1, "NotImplemented");
}
