//! Tracing spans name the operation, bucket, key, attempt, status and request id, and never
//! carry secrets, tokens, signatures or presigned URLs.

mod oss_support;

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oss_support::{client, MockServer, Reply};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Writes every span name, event and field value into one string.
#[derive(Clone, Default)]
struct Capture {
    out: Arc<Mutex<String>>,
    next: Arc<AtomicU64>,
}

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut out = self.out.lock().unwrap();
        let _ = write!(out, "\nspan {}", span.metadata().name());
        span.record(&mut Fields(&mut out));
        Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut out = self.out.lock().unwrap();
        out.push_str("\nrecord");
        values.record(&mut Fields(&mut out));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut out = self.out.lock().unwrap();
        out.push_str("\nevent");
        event.record(&mut Fields(&mut out));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

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

    let log = capture.out.lock().unwrap().clone();
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
