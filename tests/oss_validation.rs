//! Bad input is refused before any request, with a typed error naming the field.

mod support;

use std::time::Duration;

use alioss::oss::WithObjectOptions as _;
use alioss::oss::{Body, CompletedPart};
use alioss::Error;
use futures_util::stream;
use support::oss::{client, MockServer, Reply};

fn field(e: Error) -> String {
    e.as_invalid_input()
        .unwrap_or_else(|| panic!("expected invalid input, got {e}"))
        .field()
        .to_owned()
}

async fn counting_server() -> MockServer {
    MockServer::start(|_, _| Reply::ok()).await
}

#[tokio::test]
async fn bad_bucket_names_are_refused_before_any_request() {
    let server = counting_server().await;
    let oss = client(&server.endpoint());
    for bad in [
        "ab",
        "Upper",
        "-lead",
        "trail-",
        "under_score",
        &"a".repeat(64),
    ] {
        let e = oss.put_object(bad, "k").body("x").send().await.unwrap_err();
        assert_eq!(field(e), "bucket", "{bad}");
        let e = oss.get_object(bad, "k").send().await.unwrap_err();
        assert_eq!(field(e), "bucket");
        let e = oss.list_objects_v2(bad).send().await.unwrap_err();
        assert_eq!(field(e), "bucket");
        let e = oss.post_object_form(bad).sign().await.unwrap_err();
        assert_eq!(field(e), "bucket");
    }
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn bad_keys_are_refused_before_any_request() {
    let server = counting_server().await;
    let oss = client(&server.endpoint());
    let long = "k".repeat(1024);
    for bad in ["", "/abs", "\\win", long.as_str()] {
        let e = oss
            .put_object("examplebucket", bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!(field(e), "key", "{bad:?}");
        let e = oss
            .head_object("examplebucket", bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!(field(e), "key");
        let e = oss
            .delete_object("examplebucket", bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!(field(e), "key");
        let e = oss
            .append_object("examplebucket", bad, 0)
            .send()
            .await
            .unwrap_err();
        assert_eq!(field(e), "key");
        let e = oss
            .multipart_upload("examplebucket", bad)
            .initiate()
            .await
            .unwrap_err();
        assert_eq!(field(e), "key");
        let e = oss
            .presign_get("examplebucket", bad, Duration::from_secs(60))
            .await
            .unwrap_err();
        assert_eq!(field(e), "key");
    }
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn bad_part_numbers_and_sizes_are_refused_before_any_request() {
    let server = counting_server().await;
    let oss = client(&server.endpoint());
    let upload = oss
        .existing_multipart_upload("examplebucket", "k", "upload-1")
        .unwrap();
    for n in [0, 10_001] {
        let e = upload.upload_part(n, "x").send().await.unwrap_err();
        assert_eq!(field(e), "part_number");
        let e = upload
            .upload_part(n, Body::empty())
            .presign(Duration::from_secs(60))
            .await
            .unwrap_err();
        assert_eq!(field(e), "part_number");
    }
    // A part larger than 5 GiB: a stream that declares 6 GiB is refused before it is read.
    let huge = Body::from_stream(6 * 1024 * 1024 * 1024, stream::empty());
    let e = upload.upload_part(1, huge).send().await.unwrap_err();
    assert_eq!(field(e), "part_size");
    // A part that is not the last must be at least 100 KiB.
    let small = CompletedPart::new(1, "\"a\"").with_size(1024);
    let last = CompletedPart::new(2, "\"b\"").with_size(10);
    let e = upload
        .complete([small.clone(), last.clone()])
        .send()
        .await
        .unwrap_err();
    assert_eq!(field(e), "part_size");
    let e = upload
        .complete([CompletedPart::new(0, "\"a\"")])
        .send()
        .await
        .unwrap_err();
    assert_eq!(field(e), "part_number");
    let e = upload
        .complete([last.clone(), last])
        .send()
        .await
        .unwrap_err();
    assert_eq!(field(e), "parts");
    let e = upload
        .complete(Vec::<CompletedPart>::new())
        .send()
        .await
        .unwrap_err();
    assert_eq!(field(e), "parts");
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn bad_presign_expiry_is_refused() {
    let server = counting_server().await;
    let oss = client(&server.endpoint());
    for d in [Duration::ZERO, Duration::from_secs(7 * 24 * 3600 + 1)] {
        let e = oss.presign_get("examplebucket", "k", d).await.unwrap_err();
        assert_eq!(field(e), "expires");
        let e = oss
            .post_object_form("examplebucket")
            .expires_in(d)
            .sign()
            .await
            .unwrap_err();
        assert_eq!(field(e), "expires");
    }
    oss.presign_get("examplebucket", "k", Duration::from_secs(7 * 24 * 3600))
        .await
        .unwrap();
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn bad_metadata_and_options_are_refused_before_any_request() {
    let server = counting_server().await;
    let oss = client(&server.endpoint());
    for bad in ["", "has space", "colon:", "ünï"] {
        let e = oss
            .put_object("examplebucket", "k")
            .metadata(bad, "v")
            .send()
            .await
            .unwrap_err();
        assert_eq!(field(e), "metadata name", "{bad:?}");
    }
    let e = oss
        .put_object("examplebucket", "k")
        .metadata("ok", "line\r\nInjected: yes")
        .send()
        .await
        .unwrap_err();
    assert_eq!(field(e), "metadata value");
    let e = oss
        .put_object("examplebucket", "k")
        .traffic_limit(100)
        .send()
        .await
        .unwrap_err();
    assert_eq!(field(e), "traffic_limit");
    let e = oss
        .put_object("examplebucket", "k")
        .content_type("text/plain\r\nx: y")
        .send()
        .await
        .unwrap_err();
    assert_eq!(field(e), "content_type");
    let e = oss
        .get_object("examplebucket", "k")
        .range(10, 5)
        .send()
        .await
        .unwrap_err();
    assert_eq!(field(e), "range");
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn nothing_listens_is_a_transport_error_not_a_panic() {
    // Bind and drop to get a port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let oss = client(&format!("http://127.0.0.1:{port}"));
    let e = oss
        .head_object("examplebucket", "k")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Transport { connect: true, .. }), "{e:?}");
    assert!(
        !e.to_string().contains("127.0.0.1"),
        "errors carry no URL: {e}"
    );
}
