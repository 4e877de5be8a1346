//! The raw operation call: an OSS API alioss has no builder for (PutObjectTagging,
//! GetBucketInfo), sent through the same signing, retries and error parsing as every built-in
//! operation, against an in-test server that checks the V4 signature itself.

mod support;

use std::time::Duration;

use alioss::oss::signer::{parse_query, v4, SignableRequest};
use alioss::oss::{Method, RetryPolicy};
use alioss::ErrorKind;
use support::oss::{builder, sts_credentials, MockServer, Recorded, Reply};

/// Recomputes the V4 signature of a recorded request with the test credentials, from the
/// server's side: what the request carries is all it uses.
fn signature_is_valid(r: &Recorded, bucket: &str, key: Option<&str>) -> bool {
    let Some(auth) = r.header("authorization") else {
        return false;
    };
    let Some(date) = r.header("x-oss-date") else {
        return false;
    };
    let mut req = SignableRequest::new(r.method.clone(), Some(bucket), key);
    req.query = parse_query(r.query());
    req.headers = r
        .headers
        .iter()
        .filter(|(k, _)| v4::is_default_signed_header(&k.to_ascii_lowercase()))
        .cloned()
        .collect();
    let canonical = v4::canonical_request(&req, &[]);
    let scope = v4::scope(&date[..8], "cn-hangzhou", "oss");
    let sts = v4::string_to_sign(date, &scope, &canonical);
    let creds = sts_credentials();
    let key = v4::signing_key(creds.access_key_secret(), &date[..8], "cn-hangzhou", "oss");
    let sig = v4::signature(&key, &sts);
    auth.starts_with("OSS4-HMAC-SHA256 Credential=STS.test-key-id/")
        && auth.ends_with(&format!("Signature={sig}"))
}

#[tokio::test]
async fn put_object_tagging_is_signed_and_retried() {
    let server = MockServer::start(|_, i| {
        if i == 0 {
            Reply::error(503, "ServiceUnavailable", "try again")
        } else {
            Reply::ok().header("x-oss-request-id", "req-tagging")
        }
    })
    .await;
    let oss = builder(&server.endpoint()).build().unwrap();
    let body = "<Tagging><TagSet><Tag><Key>team</Key><Value>data</Value></Tag></TagSet></Tagging>";
    let out = oss
        .operation("PutObjectTagging", Method::PUT)
        .bucket("examplebucket")
        .key("src/a b.txt")
        .query("tagging", "")
        .header("Content-Type", "application/xml")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 200);
    assert_eq!(out.request_id(), Some("req-tagging"));
    assert_eq!(server.count(), 2, "the 503 was retried once");
    for i in 0..2 {
        let r = server.request(i);
        assert_eq!(r.method, "PUT");
        assert_eq!(r.path(), "/examplebucket/src/a%20b.txt");
        assert_eq!(r.query(), "tagging");
        assert_eq!(r.body, body.as_bytes());
        assert_eq!(r.header("x-oss-security-token"), Some("test-token"));
        assert!(
            signature_is_valid(&r, "examplebucket", Some("src/a b.txt")),
            "{r:?}"
        );
    }
}

#[tokio::test]
async fn get_bucket_info_reads_the_body_and_errors_are_typed() {
    let xml = "<BucketInfo><Bucket><Name>examplebucket</Name></Bucket></BucketInfo>";
    let server = MockServer::start(move |r, _| {
        if r.query() == "bucketInfo" {
            Reply::ok().body(xml)
        } else {
            Reply::error(404, "NoSuchBucket", "no such bucket")
        }
    })
    .await;
    let oss = builder(&server.endpoint()).build().unwrap();
    let out = oss
        .operation("GetBucketInfo", Method::GET)
        .bucket("examplebucket")
        .query("bucketInfo", "")
        .send()
        .await
        .unwrap();
    assert_eq!(&out.bytes().await.unwrap()[..], xml.as_bytes());
    let r = server.request(0);
    assert_eq!(r.path(), "/examplebucket/");
    assert!(signature_is_valid(&r, "examplebucket", None));

    let e = oss
        .operation("GetBucketCors", Method::GET)
        .bucket("examplebucket")
        .query("cors", "")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(e.code(), Some("NoSuchBucket"));
    assert_eq!(server.count(), 2, "a 404 is not retried");
}

#[tokio::test]
async fn raw_requests_are_validated_before_the_network_and_can_be_presigned() {
    let oss = builder("http://127.0.0.1:9")
        .retry_policy(RetryPolicy::no_retries())
        .build()
        .unwrap();
    let e = oss
        .operation("X", Method::GET)
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.as_invalid_input().unwrap().field(), "key");
    let e = oss
        .operation("X", Method::GET)
        .bucket("examplebucket")
        .header("bad header", "v")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.as_invalid_input().unwrap().field(), "header");
    let e = oss
        .operation("X", Method::GET)
        .bucket("examplebucket")
        .header("x-oss-meta-a", "line\r\nbreak")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let url = oss
        .operation("GetObjectTagging", Method::GET)
        .bucket("examplebucket")
        .key("k")
        .query("tagging", "")
        .presign(Duration::from_secs(60))
        .await
        .unwrap();
    assert!(url.url().contains("?tagging&") || url.url().contains("&tagging"));
    assert!(url.url().contains("x-oss-signature="));
}

#[tokio::test]
async fn raw_bodies_read_whole_are_bounded_and_streams_are_not() {
    let big = vec![b'x'; alioss::limits::MAX_XML_BODY + 1];
    let server = MockServer::start(move |_, _| Reply::ok().body(big.clone())).await;
    let oss = builder(&server.endpoint()).build().unwrap();
    let op = || {
        oss.operation("GetObject", Method::GET)
            .bucket("examplebucket")
            .key("big")
    };
    let e = op().send().await.unwrap().bytes().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");
    let mut stream = op().send().await.unwrap().into_stream();
    let mut total = 0;
    while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
        total += chunk.unwrap().len();
    }
    assert_eq!(total, alioss::limits::MAX_XML_BODY + 1);
}
