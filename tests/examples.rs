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
async fn upload_sends_a_file_with_a_short_last_part() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalogue.bin");
    let data: Vec<u8> = (0..700 * 1024u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&path, data).unwrap();
    let args = vec![
        path.to_string_lossy().into_owned(),
        "--key".to_owned(),
        "src/nested/catalogue.bin".to_owned(),
    ];
    if let Err(e) = upload::run(args).await {
        panic!("upload of a 700 KiB file failed: {e}");
    }
}
