//! `Error::kind()`: every kind a program branches on, produced the way it happens — by the
//! emulator enforcing signatures, tokens, expiry and policies, by injected faults, by an in-test
//! server, or by bad input — and the causes kept behind `source()`.

mod support;

use std::error::Error as _;
use std::time::Duration;

use alioss::credentials::Credentials;
use alioss::error::codes;
use alioss::oss::WithObjectOptions as _;
use alioss::oss::{Body, Client, RetryPolicy};
use alioss::providers::AssumeRoleCredentialsProvider;
use alioss::sts::AssumeRoleRequest;
use alioss::{Error, ErrorKind};
use alioss_emulator::EmulatorHandle;
use alioss_emulator::Fault;
use support::emulator::{admin, assume_role, client_with, fast_retries, start, sts_client, BUCKET};
use support::oss::{MockServer, Reply};

fn no_retries(emu: &EmulatorHandle, creds: Credentials) -> Client {
    client_with(emu, creds, RetryPolicy::no_retries())
}

async fn put(client: &Client, key: &str) -> Result<(), Error> {
    client
        .put_object(BUCKET, key)
        .body("x")
        .send()
        .await
        .map(drop)
}

/// Credentials from AssumeRole on `RamOssTest` for `secs` seconds under `policy`.
async fn sts_credentials(emu: &EmulatorHandle, policy: Option<&str>, secs: u64) -> Credentials {
    assume_role(emu, "RamOssTest", "kinds", policy, secs).await
}

#[tokio::test]
async fn not_found_access_denied_and_already_exists() {
    let emu = start().await;
    let oss = admin(&emu);
    let e = oss.get_object(BUCKET, "missing").send().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(e.code(), Some(codes::NO_SUCH_KEY));
    // HEAD answers carry no body: the kind still comes through.
    let e = oss.head_object(BUCKET, "missing").send().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);

    put(&oss, "src/exists").await.unwrap();
    let e = oss
        .put_object(BUCKET, "src/exists")
        .body("y")
        .forbid_overwrite(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    assert_eq!(e.code(), Some(codes::FILE_ALREADY_EXISTS));

    let only_src = r#"{"Version":"1","Statement":[{"Action":["oss:PutObject"],"Resource":["acs:oss:*:*:examplebucket/src/*"],"Effect":"Allow"}]}"#;
    let partner = no_retries(&emu, sts_credentials(&emu, Some(only_src), 900).await);
    put(&partner, "src/ok").await.unwrap();
    let e = put(&partner, "other/denied").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AccessDenied);
    assert!(e.hint().is_some(), "{e}");
}

#[tokio::test]
async fn credentials_expired_and_invalid() {
    let emu = start().await;
    let creds = sts_credentials(&emu, None, 900).await;
    let partner = no_retries(&emu, creds.clone());
    put(&partner, "src/a").await.unwrap();
    emu.clock().advance(Duration::from_secs(3600));
    let e = put(&partner, "src/b").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CredentialsExpired, "{e}");

    let unknown = Credentials::new("no-such-key-id", "whatever-secret").unwrap();
    let e = put(&no_retries(&emu, unknown), "src/c").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CredentialsInvalid, "{e}");

    let forged = Credentials::builder()
        .access_key_id(creds.access_key_id())
        .access_key_secret(creds.access_key_secret())
        .security_token("not-the-token-sts-issued")
        .build()
        .unwrap();
    emu.clock().set_offset_secs(0);
    let e = put(&no_retries(&emu, forged), "src/d").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CredentialsInvalid, "{e}");
}

#[tokio::test]
async fn signature_mismatch_and_skew() {
    let emu = start().await;
    let good = emu.user_credentials("admin").unwrap();
    let wrong = Credentials::new(good.access_key_id(), "a-wrong-secret").unwrap();
    let e = put(&no_retries(&emu, wrong), "k").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SignatureMismatch);
    assert_eq!(e.code(), Some(codes::SIGNATURE_DOES_NOT_MATCH));

    emu.clock().set_offset_secs(3600);
    let e = put(&no_retries(&emu, good.clone()), "k").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RequestTimeSkewed);
    assert!(e.is_retryable());
    // With retries the client learns the server's clock and succeeds.
    put(&client_with(&emu, good, fast_retries()), "k")
        .await
        .unwrap();
}

#[tokio::test]
async fn throttled_server_error_and_precondition_from_the_service() {
    let emu = start().await;
    let oss = client_with(
        &emu,
        emu.user_credentials("admin").unwrap(),
        RetryPolicy::no_retries(),
    );
    for (status, code, kind) in [
        (429, "Throttling.User", ErrorKind::Throttled),
        (503, "ServiceUnavailable", ErrorKind::ServerError),
        (412, "PreconditionFailed", ErrorKind::PreconditionFailed),
        (409, "PositionNotEqualToLength", ErrorKind::Conflict),
        (400, "InvalidArgument", ErrorKind::InvalidInput),
        (400, "InvalidDigest", ErrorKind::Integrity),
    ] {
        emu.faults().push(
            Fault::fail_next(1)
                .operation("PutObject")
                .status(status)
                .code(code),
        );
        let e = put(&oss, "k").await.unwrap_err();
        assert_eq!(e.kind(), kind, "{status} {code}");
        assert_eq!(e.status(), Some(status));
    }
}

#[tokio::test]
async fn not_modified_comes_from_the_status() {
    let server = MockServer::start(|_, _| Reply::status(304)).await;
    let e = support::oss::client(&server.endpoint())
        .get_object(BUCKET, "k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotModified);
}

#[tokio::test]
async fn invalid_input_transport_timeout_io() {
    let oss = support::oss::client("http://127.0.0.1:9");
    let e = oss.put_object("Bad_Bucket", "k").send().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);

    // A port nothing listens on: a connection failure, with reqwest's error as the source.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let e = support::oss::builder(&closed)
        .retry_policy(RetryPolicy::no_retries())
        .build()
        .unwrap()
        .get_object(BUCKET, "k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    let source = e.source().expect("the transport error keeps its cause");
    assert!(source.downcast_ref::<reqwest::Error>().is_some());
    assert!(!format!("{e} {e:?}").contains("/examplebucket/k"));

    let hang = MockServer::start(|_, _| Reply::Hang).await;
    let e = support::oss::builder(&hang.endpoint())
        .retry_policy(RetryPolicy::no_retries())
        .read_timeout(Duration::from_millis(200))
        .build()
        .unwrap()
        .get_object(BUCKET, "k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");

    let e = Body::from_path("/nonexistent/alioss/file")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
}

#[tokio::test]
async fn integrity_when_the_server_stores_another_crc() {
    let server =
        MockServer::start(|_, _| Reply::ok().header("x-oss-hash-crc64ecma", "12345")).await;
    let e = support::oss::builder(&server.endpoint())
        .retry_policy(RetryPolicy::no_retries())
        .build()
        .unwrap()
        .put_object(BUCKET, "k")
        .body("data")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity);
}

#[tokio::test]
async fn a_refused_assume_role_is_reachable_through_source() {
    let emu = start().await;
    let request = AssumeRoleRequest::builder()
        .role_arn("acs:ram::1234567890123456:role/no-such-role")
        .role_session_name("kinds")
        .duration_seconds(900)
        .build()
        .unwrap();
    let provider = AssumeRoleCredentialsProvider::new(sts_client(&emu), request);
    let oss = Client::builder()
        .region("cn-hangzhou")
        .endpoint(emu.endpoint())
        .credentials(provider)
        .retry_policy(RetryPolicy::no_retries())
        .build()
        .unwrap();
    let e = put(&oss, "src/x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CredentialsUnavailable, "{e}");
    // Walk the chain: the STS ServiceError is there, with its code, request id and hint.
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    let mut found = None;
    while let Some(err) = cur {
        if let Some(Error::Service(s)) = err.downcast_ref::<Error>() {
            found = Some(s.clone());
            break;
        }
        cur = err.source();
    }
    let sts = found.expect("the STS error is in the source chain");
    assert_eq!(sts.service, alioss::error::ServiceKind::Sts);
    assert!(sts.code.starts_with("EntityNotExist"), "{}", sts.code);
    assert!(sts.request_id.is_some());
    assert!(sts.hint.is_some());
    match &e {
        Error::Credentials(c) => {
            assert_eq!(
                c.service_error().map(|s| s.code.as_str()),
                Some(sts.code.as_str())
            )
        }
        other => panic!("not a credentials error: {other:?}"),
    }
}
