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
