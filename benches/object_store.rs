//! Put and get of a large object through the `object_store::ObjectStore` trait (0.14) on
//! alioss, side by side with `curl` on presigned URLs, against an emulator in a child process
//! (as for curl, the server's CPU time and memory are not the client's) with `fast_etags` (the
//! emulator CRCs bodies instead of also hashing MD5, so it is not what is measured).
//!
//! Run with `cargo bench --bench object_store --features object-store-0-14`. It prints the
//! median MB/s (10^6 bytes/s) of the rounds per method and the ratios alioss/curl.
//!
//! Methods: `curl -T` (presigned PUT) and `curl -o /dev/null` (presigned GET); `put` (one
//! PutObject of the whole payload), `put_multipart` (WriteMultipart, 16 MiB parts, 8 in flight)
//! and `get` (streamed and counted, CRC-64 checked).
//!
//! Environment: `OBJECT_STORE_BENCH_MIB` (default 256), `OBJECT_STORE_BENCH_ROUNDS` (default 3).

use std::path::Path as FsPath;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alioss::object_store::v0_14::OssStore;
use alioss::oss::Client;
use bytes::Bytes;
use futures_util::StreamExt as _;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt as _, PutPayload, WriteMultipart};
use object_store_0_14 as object_store;

#[path = "common/mod.rs"]
mod common;

use common::{env_u64, mb_per_s, median, serve_child, ChildEmulator, BUCKET};

const CURL: &str = "/usr/bin/curl";

/// Runs curl with `args` then the URL (the URL goes to argv only; it is never printed).
async fn curl(args: &[&std::ffi::OsStr], headers: &[(String, String)], url: &str) {
    let mut cmd = tokio::process::Command::new(CURL);
    cmd.arg("-sS").arg("-f").args(args);
    for (name, value) in headers {
        cmd.arg("-H").arg(format!("{name}: {value}"));
    }
    cmd.arg(url);
    let out = cmd.output().await.expect("curl runs");
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

async fn curl_put(client: &Client, file: &FsPath, key: &str) {
    let url = client
        .presign_put(BUCKET, key, Duration::from_secs(600))
        .await
        .expect("presign");
    let args = [
        "-o".as_ref(),
        "/dev/null".as_ref(),
        "-T".as_ref(),
        file.as_os_str(),
    ];
    curl(&args, url.signed_headers(), url.url()).await;
}

async fn curl_get(client: &Client, key: &str) {
    let url = client
        .presign_get(BUCKET, key, Duration::from_secs(600))
        .await
        .expect("presign");
    curl(&["-o".as_ref(), "/dev/null".as_ref()], &[], url.url()).await;
}

async fn store_get(store: &dyn ObjectStore, path: &Path, size: u64) {
    let mut stream = store.get(path).await.expect("get").into_stream();
    let mut n = 0u64;
    while let Some(chunk) = stream.next().await {
        n += chunk.expect("chunk").len() as u64;
    }
    assert_eq!(n, size);
}

async fn store_put_multipart(store: &dyn ObjectStore, path: &Path, data: &Bytes) {
    let upload = store.put_multipart(path).await.expect("create");
    let mut writer = WriteMultipart::new_with_chunk_size(upload, 16 * 1024 * 1024);
    for chunk in data.chunks(4 * 1024 * 1024) {
        writer.wait_for_capacity(8).await.expect("part");
        writer.put(data.slice_ref(chunk));
    }
    writer.finish().await.expect("complete");
}

fn main() {
    if std::env::var_os("OBJECT_STORE_BENCH_CHILD").is_some() {
        serve_child(None);
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let mib = env_u64("OBJECT_STORE_BENCH_MIB", 256);
    let rounds = env_u64("OBJECT_STORE_BENCH_ROUNDS", 3).max(1);
    let size = mib * 1024 * 1024;
    let emu = ChildEmulator::spawn("OBJECT_STORE_BENCH_CHILD");
    let client = emu.client();
    let store: Arc<dyn ObjectStore> =
        Arc::new(OssStore::new(client.clone(), BUCKET).expect("store"));

    let data: Bytes = (0..size)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<u8>>()
        .into();
    let dir = tempfile::tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .expect("temp dir");
    let file = dir.path().join("payload.bin");
    std::fs::write(&file, &data).expect("write payload");
    let path = Path::from("bench/object.bin");
    let key = "bench/object.bin";

    let mut results: Vec<(&str, Vec<f64>)> = Vec::new();
    let mut record = |name: &'static str, d: Duration| {
        let speed = mb_per_s(size, d);
        match results.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => v.push(speed),
            None => results.push((name, vec![speed])),
        }
    };
    for _ in 0..rounds {
        let t = Instant::now();
        curl_put(&client, &file, key).await;
        record("curl -T (presigned PUT)", t.elapsed());

        let t = Instant::now();
        curl_get(&client, key).await;
        record("curl GET (presigned)", t.elapsed());

        let t = Instant::now();
        store
            .put(&path, PutPayload::from_bytes(data.clone()))
            .await
            .expect("put");
        record("ObjectStore::put", t.elapsed());

        let t = Instant::now();
        store_get(store.as_ref(), &path, size).await;
        record("ObjectStore::get (streamed)", t.elapsed());

        let t = Instant::now();
        store_put_multipart(store.as_ref(), &path, &data).await;
        record("ObjectStore::put_multipart (16 MiB x 8)", t.elapsed());
    }
    drop(emu);

    println!("\n{mib} MiB through object_store 0.14 on alioss vs curl, emulator with fast ETags, {rounds} rounds (median MB/s):");
    let med = |name: &str| {
        results
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| median(v.clone()))
            .unwrap_or(f64::NAN)
    };
    for (name, v) in &results {
        println!("  {name:<42} {:>8.1}", median(v.clone()));
    }
    let put_curl = med("curl -T (presigned PUT)");
    let get_curl = med("curl GET (presigned)");
    println!(
        "  ratio put / curl -T:            {:.2}",
        med("ObjectStore::put") / put_curl
    );
    println!(
        "  ratio put_multipart / curl -T:  {:.2}",
        med("ObjectStore::put_multipart (16 MiB x 8)") / put_curl
    );
    println!(
        "  ratio get / curl GET:           {:.2}",
        med("ObjectStore::get (streamed)") / get_curl
    );
}
