//! Issue 11 ("bad days"): one test per defect, each failing on the code before its fix.
//! Defect 1 (a resume committing a mixed object) is in `oss_uploader.rs`
//! (`without_list_parts_rights_a_file_changed_in_place_never_commits_a_mixed_object`).

mod support;

use std::time::{Duration, Instant};

use alioss::credentials::{Credentials, StaticCredentialsProvider};
use alioss::oss::{Client, WithObjectOptions};
use alioss::sts::{AssumeRoleRequest, StsClient, StsClientBuilder};
use alioss::Error;
use support::hostile::{head, respond, HostileServer, Step};
use support::oss::{builder, client, MockServer, Reply};
use support::sts::{user_credentials, MockSts, ROLE_ARN};

/// Checksum values that are present but not a decimal `u64`.
const MALFORMED_CRCS: [&str; 7] = ["", "-1", "18446744073709551616", "abc", "+5", "0x10", "1.5"];

/// An StsClient builder for `endpoint`, signing with the mock's user credentials.
fn sts_builder(endpoint: &str) -> StsClientBuilder {
    StsClient::builder()
        .endpoint(endpoint)
        .credentials(user_credentials())
}

/// The AssumeRole request of the credential-vending tests.
fn vending_request() -> AssumeRoleRequest {
    AssumeRoleRequest::builder()
        .role_arn(ROLE_ARN)
        .role_session_name("vending")
        .build()
        .unwrap()
}

/// The error of a GetObject, from its headers or from reading its whole body.
async fn get_error(oss: &Client, key: &str) -> Error {
    match oss.get_object("examplebucket", key).send().await {
        Err(e) => e,
        Ok(out) => out.bytes().await.unwrap_err(),
    }
}

/// `e` is a timeout that came well before the trickled answer could end (3 s).
fn assert_timed_out_soon(e: &Error, started: Instant) {
    assert!(matches!(e, Error::Transport { timeout: true, .. }), "{e:?}");
    assert!(
        started.elapsed() < Duration::from_millis(3000),
        "{:?}",
        started.elapsed()
    );
}

fn assert_malformed_crc(e: &Error, value: &str) {
    match e {
        Error::Response(m) => assert!(m.contains("x-oss-hash-crc64ecma"), "{value:?}: {m}"),
        other => panic!("{value:?}: expected a malformed-checksum error, got {other:?}"),
    }
}

// Defect 2: a malformed x-oss-hash-crc64ecma switched the integrity check off.
#[tokio::test]
async fn a_malformed_crc_header_is_an_error_on_upload_and_download() {
    for value in MALFORMED_CRCS {
        let v = value.to_owned();
        let server = MockServer::start(move |_, _| {
            Reply::ok()
                .header("ETag", "\"e\"")
                .header("x-oss-hash-crc64ecma", v.clone())
                .body("payload")
        })
        .await;
        let oss = client(&server.endpoint());
        let e = oss
            .put_object("examplebucket", "k")
            .body("payload")
            .send()
            .await
            .unwrap_err();
        assert_malformed_crc(&e, value);
        let e = get_error(&oss, "k").await;
        assert_malformed_crc(&e, value);
    }
}

#[tokio::test]
async fn an_absent_crc_header_stays_allowed_on_download() {
    let server = MockServer::start(|_, _| Reply::ok().body("payload")).await;
    let out = client(&server.endpoint())
        .get_object("examplebucket", "k")
        .send()
        .await
        .unwrap();
    assert_eq!(&out.bytes().await.unwrap()[..], b"payload");
}

// Defect 5: StsClient handed out credentials that had already expired.
#[tokio::test]
async fn sts_client_refuses_credentials_that_have_already_expired() {
    let sts = MockSts::start().await;
    sts.script(
        200,
        r#"{"RequestId":"REQ-EXPIRED","AssumedRoleUser":{"Arn":"acs:ram::1:role/r/s","AssumedRoleId":"9:s"},"Credentials":{"AccessKeyId":"STS.old","AccessKeySecret":"test-secret-old","SecurityToken":"test-token-old","Expiration":"2020-01-01T00:00:00Z"}}"#,
    );
    let client = sts_builder(&sts.endpoint).build().unwrap();
    let request = vending_request();
    let e = client.assume_role(&request).await.unwrap_err();
    let m = e.to_string();
    assert!(matches!(e, Error::Response(_)), "{e:?}");
    assert!(m.contains("already expired"), "{m}");
    assert!(m.contains("2020-01-01T00:00:00Z"), "{m}");
    // The server's time (its Date header) is named, not just the client's.
    assert!(m.contains("server time 20"), "{m}");
    assert!(
        !m.contains("test-secret-old") && !m.contains("test-token-old"),
        "{m}"
    );
    assert_eq!(
        sts.hits(),
        1,
        "not retried: the same answer would come back"
    );
}

// Defect 6: bad input that still reached the network.
#[tokio::test]
async fn an_endpoint_that_is_only_a_scheme_is_refused_by_the_builders() {
    for endpoint in ["http://", "https://", "http:", "https:"] {
        let e = Client::builder()
            .region("cn-hangzhou")
            .endpoint(endpoint)
            .credentials(StaticCredentialsProvider::new(
                Credentials::new("test-key-id", "test-secret").unwrap(),
            ))
            .build()
            .unwrap_err();
        assert_eq!(
            e.as_invalid_input().map(|i| i.field()),
            Some("endpoint"),
            "{endpoint}: {e}"
        );
        let e = StsClient::builder().endpoint(endpoint).build().unwrap_err();
        assert_eq!(
            e.as_invalid_input().map(|i| i.field()),
            Some("endpoint"),
            "{endpoint}: {e}"
        );
    }
}

#[tokio::test]
async fn more_than_ten_tags_or_a_repeated_tag_key_never_reach_the_network() {
    let server = MockServer::start(|_, _| Reply::ok()).await;
    let oss = client(&server.endpoint());
    let mut put = oss.put_object("examplebucket", "k").body("x");
    for i in 0..11 {
        put = put.tag(format!("k{i}"), "v");
    }
    let e = put.send().await.unwrap_err();
    assert_eq!(e.as_invalid_input().map(|i| i.field()), Some("tagging"));
    assert!(e.to_string().contains("at most 10"), "{e}");
    let e = oss
        .put_object("examplebucket", "k")
        .body("x")
        .tag("a", "1")
        .tag("a", "2")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.as_invalid_input().map(|i| i.field()), Some("tagging"));
    assert_eq!(server.count(), 0);
    // Ten distinct tags are fine.
    let mut put = oss.put_object("examplebucket", "k").body("x");
    for i in 0..10 {
        put = put.tag(format!("k{i}"), "v");
    }
    put.send().await.unwrap();
    assert_eq!(server.count(), 1);
}

#[test]
fn session_policies_the_crate_would_reject_are_refused_by_the_request_builder() {
    for (policy, rule) in [
        (
            r#"{"Version":"1","Statement":[]}"#,
            "at least one statement",
        ),
        (
            r#"{"Version":"1","Statement":[{"Effect":"Maybe","Action":["oss:*"],"Resource":["*"]}]}"#,
            "Effect",
        ),
        (
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:*"],"Resource":["*"],"Condition":{"StringLooksLike":{"acs:SourceIp":["x"]}}}]}"#,
            "StringLooksLike",
        ),
        (
            r#"{"Version":"2","Statement":[{"Effect":"Allow","Action":["oss:*"],"Resource":["*"]}]}"#,
            "Version",
        ),
    ] {
        let e = AssumeRoleRequest::builder()
            .role_arn(ROLE_ARN)
            .role_session_name("session-1")
            .policy_json(policy)
            .build()
            .unwrap_err();
        let invalid = e.as_invalid_input().expect("an invalid-input error");
        assert_eq!(invalid.field(), "Policy", "{policy}");
        assert!(
            invalid.rule().contains(rule),
            "{policy}: {}",
            invalid.rule()
        );
    }
}

#[test]
fn an_empty_security_token_is_refused() {
    for token in ["", "   "] {
        let e = Credentials::builder()
            .access_key_id("STS.id")
            .access_key_secret("secret")
            .security_token(token)
            .build()
            .unwrap_err();
        assert_eq!(
            e.as_invalid_input().map(|i| i.field()),
            Some("security_token")
        );
    }
    // "Maybe" a token treats empty as none, as documented.
    let c = Credentials::builder()
        .access_key_id("id")
        .access_key_secret("secret")
        .maybe_security_token(Some(""))
        .build()
        .unwrap();
    assert_eq!(c.security_token(), None);
}

// Defect 3: response bodies were unbounded, and whole server messages ended up in `Display`.
#[tokio::test]
async fn error_messages_are_truncated_and_huge_error_bodies_are_cut() {
    let long_message = "m".repeat(20_000);
    let parsed_body = format!(
        "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>{long_message}</Message><RequestId>R1</RequestId></Error>"
    );
    let huge_body = format!(
        "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>{}</Message></Error>",
        "x".repeat(10 * 1024 * 1024)
    );
    let server = HostileServer::start(move |i| {
        let body = if i == 0 { &parsed_body } else { &huge_body };
        respond(403, &[("Content-Type", "application/xml")], body.as_bytes())
    })
    .await;
    let oss = client(&server.endpoint());
    let e = delete_error(&oss, "k").await;
    let service = e.as_service().expect("a service error");
    assert_eq!(service.code, "AccessDenied");
    assert!(
        service.message.chars().count() <= 1025,
        "{}",
        service.message.len()
    );
    assert!(service.message.ends_with('…'));
    assert!(e.to_string().len() < 4096, "{}", e.to_string().len());

    let started = Instant::now();
    let e = delete_error(&oss, "k").await;
    assert_eq!(e.status(), Some(403));
    assert!(e.to_string().len() < 4096, "{}", e.to_string().len());
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// The error of a DeleteObject (a body-less request whose error answer has a body).
async fn delete_error(oss: &Client, key: &str) -> Error {
    oss.delete_object("examplebucket", key)
        .send()
        .await
        .unwrap_err()
}

#[tokio::test]
async fn an_xml_result_past_its_limit_is_refused() {
    // A Content-Length of 100 MB: refused before a byte of it is read.
    let server = HostileServer::start(|_| {
        let mut bytes = head(
            200,
            &[("Content-Type", "application/xml")],
            Some(100_000_000),
        );
        bytes.extend_from_slice(b"<?xml version=\"1.0\"?><ListBucketResult>");
        vec![Step::Send(bytes)]
    })
    .await;
    let e = client(&server.endpoint())
        .list_objects_v2("examplebucket")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Response(_)), "{e:?}");
    assert!(e.to_string().contains("limit"), "{e}");
}

#[tokio::test]
async fn an_sts_answer_past_its_limit_is_refused() {
    let sts = MockSts::start().await;
    let padding = "p".repeat(200_000);
    sts.script(
        200,
        format!(
            r#"{{"RequestId":"REQ-BIG","Padding":"{padding}","AssumedRoleUser":{{"Arn":"acs:ram::1:role/r/s","AssumedRoleId":"9:s"}},"Credentials":{{"AccessKeyId":"STS.big","AccessKeySecret":"test-secret-big","SecurityToken":"test-token-big","Expiration":"2099-01-01T00:00:00Z"}}}}"#
        ),
    );
    let client = sts_builder(&sts.endpoint).build().unwrap();
    let request = vending_request();
    let e = client.assume_role(&request).await.unwrap_err();
    assert!(matches!(e, Error::Response(_)), "{e:?}");
    assert!(e.to_string().contains("limit"), "{e}");
}

// Defect 4: deadlines did not cover bodies.

/// A server that answers 200 with `body`, one byte every 20 ms (a few seconds in all).
async fn trickling(
    body: &'static [u8],
    headers: &'static [(&'static str, &'static str)],
) -> HostileServer {
    HostileServer::start(move |_| {
        vec![
            Step::Send(head(200, headers, Some(body.len()))),
            Step::Trickle(body.to_vec(), Duration::from_millis(20)),
        ]
    })
    .await
}

const OBJECT: &[u8] = &[b'o'; 200];

#[tokio::test]
async fn the_operation_timeout_bounds_a_get_object_body() {
    let server = trickling(OBJECT, &[]).await;
    let oss = builder(&server.endpoint())
        .operation_timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = get_error(&oss, "k").await;
    assert_timed_out_soon(&e, started);
}

#[tokio::test]
async fn the_operation_timeout_bounds_a_listing_body() {
    const LISTING: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>examplebucket</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>";
    let server = trickling(LISTING, &[("Content-Type", "application/xml")]).await;
    let oss = builder(&server.endpoint())
        .operation_timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = oss
        .list_objects_v2("examplebucket")
        .send()
        .await
        .unwrap_err();
    assert_timed_out_soon(&e, started);
}

#[tokio::test]
async fn a_download_slower_than_its_minimum_throughput_fails() {
    let server = trickling(OBJECT, &[]).await;
    let oss = builder(&server.endpoint())
        .download_min_throughput(100, Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let out = oss.get_object("examplebucket", "k").send().await.unwrap();
    let e = out.bytes().await.unwrap_err();
    assert_timed_out_soon(&e, started);
    assert!(e.to_string().contains("minimum throughput"), "{e}");
}

#[tokio::test]
async fn the_sts_client_has_an_overall_deadline() {
    const ANSWER: &[u8] = br#"{"RequestId":"R","AssumedRoleUser":{"Arn":"acs:ram::1:role/r/s","AssumedRoleId":"9:s"},"Credentials":{"AccessKeyId":"STS.x","AccessKeySecret":"test-secret-x","SecurityToken":"test-token-x","Expiration":"2099-01-01T00:00:00Z"}}"#;
    let server = trickling(ANSWER, &[("Content-Type", "application/json")]).await;
    let client = sts_builder(&server.endpoint())
        .operation_timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let request = vending_request();
    let started = Instant::now();
    let e = client.assume_role(&request).await.unwrap_err();
    assert_timed_out_soon(&e, started);
}
