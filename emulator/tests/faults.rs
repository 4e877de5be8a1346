//! Fault injection and clock control, through the handle and the admin endpoint.

mod common;

use std::time::{Duration, Instant};

use alioss_emulator::{demo, Fault};
use common::*;

#[tokio::test]
async fn fail_next_n_then_recover() {
    let emu = start().await;
    let root = emu.root_credentials();
    emu.faults().push(
        Fault::fail_next(2)
            .operation("PutObject")
            .status(503)
            .code("ServiceUnavailable"),
    );
    // Other operations are untouched.
    assert_eq!(
        send_v4(&emu, &root, OssReq::get("none")).await.status(),
        404
    );
    for _ in 0..2 {
        let (s, code, _) = error_code(send_v4(&emu, &root, OssReq::put("f", b"x")).await).await;
        assert_eq!((s, code.as_str()), (503, "ServiceUnavailable"));
    }
    assert_eq!(
        send_v4(&emu, &root, OssReq::put("f", b"x")).await.status(),
        200
    );
}

#[tokio::test]
async fn assume_role_faults_answer_json() {
    let emu = start().await;
    emu.faults().push(
        Fault::fail_next(1)
            .operation("AssumeRole")
            .status(500)
            .code("InternalError"),
    );
    let (status, body) = assume_role(&emu, &uploader(&emu), demo::ROLE_ARN, &[]).await;
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (500, "InternalError")
    );
    let (status, _) = assume_role(&emu, &uploader(&emu), demo::ROLE_ARN, &[]).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn dropped_connection_leaves_no_object() {
    let emu = start().await;
    let root = emu.root_credentials();
    emu.faults()
        .push(Fault::drop_connection_after(1024).operation("PutObject"));
    let mut r =
        alioss::oss::signer::SignableRequest::new("PUT", Some(demo::BUCKET), Some("dropped"));
    alioss::oss::signer::V4Signer::new(demo::REGION)
        .unwrap()
        .sign_headers(&mut r, &root, emu.clock().now())
        .unwrap();
    let req = OssReq::put("dropped", &[0u8; 64 * 1024]);
    let err = client()
        .put(req.url(emu.endpoint(), &[]))
        .headers(
            r.headers
                .iter()
                .map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap()))
                .collect(),
        )
        .body(vec![0u8; 64 * 1024])
        .send()
        .await;
    assert!(err.is_err(), "the connection should have been dropped");
    assert_eq!(
        send_v4(&emu, &root, OssReq::get("dropped")).await.status(),
        404
    );
    assert_eq!(
        send_v4(&emu, &root, OssReq::put("dropped", b"ok"))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn delay_slows_matching_requests_until_cleared() {
    let emu = start().await;
    let root = emu.root_credentials();
    emu.faults()
        .push(Fault::delay(Duration::from_millis(300)).operation("GetObject"));
    let t = Instant::now();
    send_v4(&emu, &root, OssReq::get("x")).await;
    assert!(t.elapsed() >= Duration::from_millis(300));
    emu.faults().clear();
    assert!(emu.faults().is_empty());
}

#[tokio::test]
async fn admin_endpoint_controls_clock_and_faults() {
    let emu = start().await;
    let c = client();
    let base = format!("{}/_emulator", emu.endpoint());
    let r = c.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), r#"{"ok":true}"#);
    let r = c
        .post(format!("{base}/clock/advance"))
        .body(r#"{"seconds":3600}"#)
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["offset_seconds"], 3600);
    assert!(alioss::sts::signer::parse_timestamp(v["now"].as_str().unwrap()).is_some());
    assert_eq!(emu.clock().offset_secs(), 3600);
    c.post(format!("{base}/clock/offset"))
        .body(r#"{"seconds":-30}"#)
        .send()
        .await
        .unwrap();
    let r = c.get(format!("{base}/clock")).send().await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["offset_seconds"], -30);

    let r = c
        .post(format!("{base}/faults"))
        .body(r#"{"kind":"fail","count":1,"operation":"GetObject","status":500,"code":"InternalError"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    emu.clock().set_offset_secs(0);
    let (s, code, _) =
        error_code(send_v4(&emu, &emu.root_credentials(), OssReq::get("x")).await).await;
    assert_eq!((s, code.as_str()), (500, "InternalError"));
    c.post(format!("{base}/faults"))
        .body(r#"{"kind":"delay","millis":5,"operation":"GetObject"}"#)
        .send()
        .await
        .unwrap();
    c.post(format!("{base}/faults"))
        .body(r#"{"kind":"drop","after_bytes":10,"operation":"PutObject"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(emu.faults().len(), 2);
    c.delete(format!("{base}/faults")).send().await.unwrap();
    assert!(emu.faults().is_empty());
    let r = c
        .post(format!("{base}/faults"))
        .body(r#"{"kind":"explode"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn drop_on_get_object_truncates_the_download() {
    let emu = start().await;
    let root = emu.root_credentials();
    let data = vec![9u8; 300 * 1024];
    send_v4(&emu, &root, OssReq::put("dl", &data)).await;
    emu.faults()
        .push(Fault::drop_connection_after(1000).operation("GetObject"));
    let resp = send_v4(&emu, &root, OssReq::get("dl")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-length"], "307200");
    assert!(resp.bytes().await.is_err(), "the body should have been cut");
    let resp = send_v4(&emu, &root, OssReq::get("dl")).await;
    assert_eq!(resp.bytes().await.unwrap().len(), data.len());
}
