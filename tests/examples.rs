//! The three examples, run in-process (no nested `cargo run`): each example's `run` must
//! succeed against its own in-process emulator, as `cargo run --example NAME` does.

#[allow(dead_code)]
#[path = "../examples/quickstart.rs"]
mod quickstart;

#[allow(dead_code)]
#[path = "../examples/sts_server.rs"]
mod sts_server;

#[allow(dead_code)]
#[path = "../examples/upload.rs"]
mod upload;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_plays_the_whole_scenario() {
    if let Err(e) = quickstart::run().await {
        panic!("quickstart failed: {e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sts_server_demo_vends_credentials_that_upload() {
    if let Err(e) = sts_server::run(vec!["--demo".to_owned()]).await {
        panic!("sts_server --demo failed: {e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sts_server_refuses_a_non_loopback_address_without_an_access_token() {
    let err = sts_server::run_with(vec!["--emulator".into(), "0.0.0.0:0".into()], |_| None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("STS_SERVER_TOKEN"), "{err}");
    let public: std::net::SocketAddr = "0.0.0.0:8000".parse().unwrap();
    assert!(sts_server::check_listen(public, None).is_err());
    let short = sts_server::check_listen(public, Some("short")).unwrap_err();
    assert!(short.to_string().contains("at least 16"), "{short}");
    assert!(sts_server::check_listen(public, Some("0123456789abcdef")).is_ok());
    for loopback in ["127.0.0.1:0", "[::1]:0"] {
        assert!(sts_server::check_listen(loopback.parse().unwrap(), None).is_ok());
    }
    let bad = sts_server::run_with(vec!["--emulator".into()], |name| {
        (name == "UPLOAD_MAX_BYTES").then(|| "ten".to_owned())
    })
    .await
    .unwrap_err();
    assert!(bad.to_string().contains("UPLOAD_MAX_BYTES"), "{bad}");
}

#[test]
fn sts_server_admits_only_the_exact_bearer_token_when_it_has_one() {
    use axum::http::{header, HeaderMap, HeaderValue};
    let with = |value: &'static str| {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
        h
    };
    let token = Some("0123456789abcdef");
    assert!(sts_server::token_admits(None, &HeaderMap::new()));
    assert!(sts_server::token_admits(
        token,
        &with("Bearer 0123456789abcdef")
    ));
    assert!(!sts_server::token_admits(token, &HeaderMap::new()));
    assert!(!sts_server::token_admits(
        token,
        &with("Bearer 0123456789abcde")
    ));
    assert!(!sts_server::token_admits(
        token,
        &with("Bearer 0123456789abcdeF")
    ));
    assert!(!sts_server::token_admits(token, &with("0123456789abcdef")));
}

#[test]
fn sts_server_upload_names_stay_one_segment_under_the_prefix() {
    assert!(sts_server::check_upload_name("report 2024.csv").is_ok());
    for bad in ["", ".", "..", "../x", "a/b", "a\\b", "tab\there"] {
        assert!(sts_server::check_upload_name(bad).is_err(), "{bad:?}");
    }
    assert!(sts_server::check_upload_name(&"n".repeat(256)).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_sends_a_generated_file_in_parts_and_reads_it_back() {
    if let Err(e) = upload::run(Vec::new()).await {
        panic!("upload failed: {e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_sends_a_small_file_with_one_put_and_reads_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.csv");
    std::fs::write(&path, "sku,quantity\nA-100,12\n").unwrap();
    let args = vec![path.to_string_lossy().into_owned()];
    if let Err(e) = upload::run(args).await {
        panic!("upload of a small file failed: {e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_refuses_an_unknown_option() {
    let err = upload::run(vec!["--colour".to_owned()]).await.unwrap_err();
    assert!(err.to_string().contains("--colour"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_sends_a_file_with_a_short_last_part_with_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalogue.bin");
    let data: Vec<u8> = (0..700 * 1024u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&path, data).unwrap();
    let args = vec![
        path.to_string_lossy().into_owned(),
        "--key".to_owned(),
        "src/nested/catalogue.bin".to_owned(),
        "--checkpoint-dir".to_owned(),
        dir.path()
            .join("checkpoints")
            .to_string_lossy()
            .into_owned(),
    ];
    if let Err(e) = upload::run(args).await {
        panic!("upload of a 700 KiB file failed: {e}");
    }
}
