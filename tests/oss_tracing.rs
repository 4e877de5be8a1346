//! Tracing spans name the operation, bucket, key, attempt, status and request id, and never
//! carry secrets, tokens, signatures or presigned URLs.

mod support;

use std::time::Duration;

use support::oss::{client, MockServer, Reply};
use support::trace::Capture;

#[tokio::test]
async fn spans_describe_attempts_and_never_carry_secrets() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let server = MockServer::start(|_, i| {
        if i == 0 {
            Reply::error(503, "ServiceUnavailable", "busy")
        } else {
            Reply::ok().header("x-oss-request-id", "RID-OK")
        }
    })
    .await;
    let oss = client(&server.endpoint());
    oss.put_object("examplebucket", "src/traced.txt")
        .body("x")
        .send()
        .await
        .unwrap();
    let url = oss
        .presign_get("examplebucket", "src/traced.txt", Duration::from_secs(60))
        .await
        .unwrap();
    let signature = url
        .url()
        .split("x-oss-signature=")
        .nth(1)
        .unwrap()
        .to_owned();

    let log = capture.output();
    assert!(log.contains("span oss.operation"), "{log}");
    assert!(log.contains("operation=\"PutObject\""), "{log}");
    assert!(log.contains("bucket=\"examplebucket\""));
    assert!(log.contains("key=\"src/traced.txt\""));
    assert!(log.contains("attempt=1") && log.contains("attempt=2"));
    assert!(log.contains("status=503") && log.contains("status=200"));
    assert!(log.contains("request_id=\"RID-OK\""));
    for secret in [
        "test-secret",
        "test-token",
        signature.as_str(),
        "Signature=",
    ] {
        assert!(!log.contains(secret), "{secret} leaked into tracing: {log}");
    }
}
