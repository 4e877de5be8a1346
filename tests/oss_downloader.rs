//! The Downloader against the local emulator: objects from 0 B to many ranges, a connection
//! dropped mid-range, a process killed with SIGKILL that resumes from its checkpoint, an object
//! changed between runs, a CRC-64 mismatch, and `GetObjectOutput::write_to_file`'s atomicity.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use alioss::oss::{
    crc64, Client, DownloadResumeStatus, DownloadStartOverReason, Downloader, RetryPolicy,
};
use alioss::Error;
use alioss_emulator::{EmulatorHandle, Fault};

mod support;

use support::emulator::{admin, client_with, fast_retries, start, BUCKET};
use support::oss::{MockServer, Reply};
use support::proxy::CountingProxy;

const KIB: u64 = 1024;

/// `len` bytes that differ from one offset to the next (and between `seed`s).
fn data(len: u64, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| ((i * 7 + u64::from(seed) * 13) % 251) as u8)
        .collect()
}

async fn put(client: &Client, key: &str, body: Vec<u8>) {
    client
        .put_object(BUCKET, key)
        .body(body)
        .send()
        .await
        .unwrap();
}

/// The admin's client of `endpoint` (the emulator, or a relay in front of it).
fn admin_at(emu: &EmulatorHandle, endpoint: &str, retry: RetryPolicy) -> Client {
    Client::builder()
        .region("cn-hangzhou")
        .endpoint(endpoint)
        .credentials(alioss::credentials::StaticCredentialsProvider::new(
            emu.user_credentials("admin").unwrap(),
        ))
        .retry_policy(retry)
        .build()
        .unwrap()
}

/// Every file in `dir` (names), sorted.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_from_empty_to_many_ranges_arrive_byte_identical() {
    let emu = start().await;
    let oss = admin(&emu);
    let dir = tempfile::tempdir().unwrap();
    let range = 16 * KIB;
    // (size, expected ranges)
    let cases = [
        (0, 0),
        (1, 1),
        (range - 1, 1),
        (range, 1),
        (range + 1, 2),
        (100 * KIB + 3, 7),
        (1024 * KIB + 5, 65),
    ];
    let downloader = Downloader::builder(oss.clone())
        .range_size(range)
        .parallelism(4)
        .build()
        .unwrap();
    for (i, (size, ranges)) in cases.into_iter().enumerate() {
        let key = format!("downloads/size-{size}");
        let body = data(size, i as u8);
        put(&oss, &key, body.clone()).await;
        let dest = dir.path().join(format!("out-{size}.bin"));
        let out = downloader
            .download_file(BUCKET, &key, &dest)
            .send()
            .await
            .unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), body, "size {size}");
        assert_eq!(out.size, size);
        assert_eq!(out.ranges, ranges, "size {size}");
        assert_eq!(out.ranges_fetched, ranges);
        assert_eq!(out.crc64, Some(crc64::checksum(&body)));
        assert_eq!(out.resume, DownloadResumeStatus::NotResumable);
    }
    // Only the destinations are left: no temporary files.
    assert!(
        files_in(dir.path()).iter().all(|n| n.starts_with("out-")),
        "{:?}",
        files_in(dir.path())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_destination_is_replaced_only_by_the_complete_object() {
    let emu = start().await;
    let oss = admin(&emu);
    let dir = tempfile::tempdir().unwrap();
    let body = data(300 * KIB, 3);
    put(&oss, "downloads/replace.bin", body.clone()).await;
    let dest = dir.path().join("replace.bin");
    std::fs::write(&dest, b"old content").unwrap();
    let downloader = Downloader::builder(client_with(
        &emu,
        emu.user_credentials("admin").unwrap(),
        RetryPolicy::no_retries(),
    ))
    .range_size(64 * KIB)
    .build()
    .unwrap();
    emu.faults()
        .push(Fault::fail_next(1).operation("GetObject").status(500));
    let err = downloader
        .download_file(BUCKET, "downloads/replace.bin", &dest)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500), "{err}");
    assert_eq!(std::fs::read(&dest).unwrap(), b"old content");
    assert_eq!(files_in(dir.path()), vec!["replace.bin".to_owned()]);

    downloader
        .download_file(BUCKET, "downloads/replace.bin", &dest)
        .send()
        .await
        .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_mid_range_resumes_that_range_from_the_missing_bytes() {
    let emu = start().await;
    let oss = admin(&emu);
    let body = data(1024 * KIB, 5);
    put(&oss, "downloads/dropped.bin", body.clone()).await;
    let proxy = CountingProxy::start(emu.endpoint()).await;
    let client = admin_at(&emu, &proxy.endpoint(), fast_retries());
    let range = 256 * KIB;
    let downloader = Downloader::builder(client)
        .range_size(range)
        .parallelism(1)
        .build()
        .unwrap();
    // The first GET (range 0) is cut after 100000 bytes of its body.
    emu.faults()
        .push(Fault::drop_connection_after(100_000).operation("GetObject"));
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("dropped.bin");
    let out = downloader
        .download_file(BUCKET, "downloads/dropped.bin", &dest)
        .send()
        .await
        .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), body);
    assert_eq!(out.range_resumes, 1);
    assert_eq!(proxy.count("GET"), 5, "4 ranges and one resumption");
    let heads = proxy.request_heads();
    let resumed: Vec<&String> = heads
        .iter()
        .filter(|h| {
            h.to_ascii_lowercase()
                .contains(&format!("range: bytes=100000-{}", range - 1))
        })
        .collect();
    assert_eq!(
        resumed.len(),
        1,
        "the resumption asks for the missing bytes only"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_that_keeps_dropping_fails_the_download_and_leaves_nothing_behind() {
    let emu = start().await;
    let oss = admin(&emu);
    put(&oss, "downloads/flaky.bin", data(200 * KIB, 6)).await;
    let downloader = Downloader::builder(oss)
        .range_size(64 * KIB)
        .range_resumes(1)
        .parallelism(1)
        .build()
        .unwrap();
    emu.faults().push(
        Fault::drop_connection_after(1000)
            .operation("GetObject")
            .times(2),
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("flaky.bin");
    let err = downloader
        .download_file(BUCKET, "downloads/flaky.bin", &dest)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(files_in(dir.path()).is_empty());
}

const CHILD_ENV: &str = "ALIOSS_DOWNLOAD_TEST_CHILD";
const KILL_TEST: &str =
    "a_download_killed_with_sigkill_resumes_and_fetches_only_the_missing_ranges";
const KILL_RANGE: u64 = 64 * KIB;
const KILL_RANGES: u64 = 16;
const KILL_AFTER: u64 = 3;

/// This test runs twice: as the test (the parent), and — with [`CHILD_ENV`] set — as the
/// process the parent kills. The child downloads with a checkpoint, one range at a time, and
/// after the third range is recorded says so and stops making progress until it is killed.
#[test]
fn a_download_killed_with_sigkill_resumes_and_fetches_only_the_missing_ranges() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        return killed_child(&spec);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(kill_parent());
}

fn killed_child(spec: &str) {
    let spec: serde_json::Value = serde_json::from_str(spec).unwrap();
    let field = |k: &str| spec[k].as_str().unwrap().to_owned();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = Client::builder()
            .region("cn-hangzhou")
            .endpoint(field("endpoint"))
            .credentials(alioss::credentials::StaticCredentialsProvider::new(
                alioss::Credentials::new(field("key_id"), field("secret")).unwrap(),
            ))
            .build()
            .unwrap();
        let downloader = Downloader::builder(client)
            .range_size(KILL_RANGE)
            .parallelism(1)
            .checkpoint_dir(field("checkpoints"))
            .on_progress(|p| {
                if p.ranges_done == KILL_AFTER {
                    println!("RANGES_RECORDED {}", p.ranges_done);
                    let _ = std::io::Write::flush(&mut std::io::stdout());
                    // Wait here (making no progress) for the parent's SIGKILL.
                    loop {
                        std::thread::park();
                    }
                }
            })
            .build()
            .unwrap();
        let _ = downloader
            .download_file(BUCKET, field("key"), field("dest"))
            .send()
            .await;
        panic!("the child was meant to be killed before finishing");
    });
}

async fn kill_parent() {
    let emu = start().await;
    let oss = admin(&emu);
    let body = data(KILL_RANGE * KILL_RANGES, 9);
    put(&oss, "downloads/killed.bin", body.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let checkpoints = dir.path().join("checkpoints");
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let dest = out_dir.join("killed.bin");
    let creds = emu.user_credentials("admin").unwrap();
    let spec = serde_json::json!({
        "endpoint": emu.endpoint(),
        "key_id": creds.access_key_id(),
        "secret": alioss_emulator::demo::ADMIN_KEY_SECRET,
        "checkpoints": checkpoints,
        "key": "downloads/killed.bin",
        "dest": dest,
    });
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([KILL_TEST, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, spec.to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let reader = std::io::BufReader::new(stdout);
        for line in reader.lines() {
            // The harness may print `test NAME ... ` on the same line first.
            let line = line.unwrap();
            if let Some(at) = line.find("RANGES_RECORDED") {
                return line[at..].to_owned();
            }
        }
        String::new()
    })
    .await
    .unwrap();
    assert_eq!(line, format!("RANGES_RECORDED {KILL_AFTER}"));
    child.kill().unwrap(); // SIGKILL on Unix
    let status = child.wait().unwrap();
    assert!(!status.success());

    // Killed: no destination yet, a checkpoint and the temporary file are left.
    assert!(!dest.exists());
    assert_eq!(
        files_in(&checkpoints).len(),
        1,
        "{:?}",
        files_in(&checkpoints)
    );
    assert_eq!(
        files_in(&out_dir),
        vec![".killed.bin.alioss-download".to_owned()]
    );

    let proxy = CountingProxy::start(emu.endpoint()).await;
    let downloader = Downloader::builder(admin_at(&emu, &proxy.endpoint(), fast_retries()))
        .range_size(KILL_RANGE)
        .parallelism(2)
        .checkpoint_dir(&checkpoints)
        .build()
        .unwrap();
    let out = downloader
        .download_file(BUCKET, "downloads/killed.bin", &dest)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.resume,
        DownloadResumeStatus::Resumed {
            ranges_reused: KILL_AFTER
        }
    );
    assert_eq!(out.ranges_fetched, KILL_RANGES - KILL_AFTER);
    assert_eq!(
        proxy.count("GET") as u64,
        KILL_RANGES - KILL_AFTER,
        "only the missing ranges are fetched"
    );
    assert_eq!(std::fs::read(&dest).unwrap(), body);
    assert!(files_in(&checkpoints).is_empty());
    assert_eq!(files_in(&out_dir), vec!["killed.bin".to_owned()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_changed_between_runs_is_downloaded_again_from_the_start() {
    let emu = start().await;
    let oss = admin(&emu);
    let range = 16 * KIB;
    put(&oss, "downloads/changing.bin", data(8 * range, 1)).await;
    let dir = tempfile::tempdir().unwrap();
    let checkpoints = dir.path().join("cp");
    let dest = dir.path().join("changing.bin");

    // First run: fails after two ranges (injected 500s, no retries).
    let faults = emu.faults().clone();
    let pushed = Arc::new(AtomicBool::new(false));
    let flag = pushed.clone();
    let failing = Downloader::builder(client_with(
        &emu,
        emu.user_credentials("admin").unwrap(),
        RetryPolicy::no_retries(),
    ))
    .range_size(range)
    .parallelism(1)
    .checkpoint_dir(&checkpoints)
    .on_progress(move |p| {
        if p.ranges_done == 2 && !flag.swap(true, Ordering::SeqCst) {
            faults.push(Fault::fail_next(1).operation("GetObject").status(500));
        }
    })
    .build()
    .unwrap();
    let err = failing
        .download_file(BUCKET, "downloads/changing.bin", &dest)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500), "{err}");
    assert!(pushed.load(Ordering::SeqCst));
    assert!(!dest.exists());

    // The object is replaced; the next run notices and fetches everything.
    let new_body = data(8 * range + 10, 2);
    put(&oss, "downloads/changing.bin", new_body.clone()).await;
    let proxy = CountingProxy::start(emu.endpoint()).await;
    let out = Downloader::builder(admin_at(&emu, &proxy.endpoint(), fast_retries()))
        .range_size(range)
        .checkpoint_dir(&checkpoints)
        .build()
        .unwrap()
        .download_file(BUCKET, "downloads/changing.bin", &dest)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.resume,
        DownloadResumeStatus::StartedOver {
            reason: DownloadStartOverReason::ObjectChanged
        }
    );
    assert_eq!(proxy.count("GET"), 9);
    assert_eq!(std::fs::read(&dest).unwrap(), new_body);
    assert_eq!(files_in(dir.path()), vec!["changing.bin", "cp"]);
}

/// A server whose object is `body` but which reports the CRC-64 of something else.
async fn lying_server(body: Vec<u8>) -> MockServer {
    let wrong_crc = crc64::checksum(b"something else");
    MockServer::start(move |req, _| {
        let common = |r: Reply| {
            r.header("ETag", "\"ETAG-1\"")
                .header("x-oss-hash-crc64ecma", wrong_crc.to_string())
                .header("x-oss-request-id", "REQ-1")
        };
        match req.method.as_str() {
            "HEAD" => common(Reply::ok()).header("Content-Length", body.len().to_string()),
            "GET" => match req.header("range") {
                Some(r) => {
                    let (a, b) = r
                        .trim_start_matches("bytes=")
                        .split_once('-')
                        .map(|(a, b)| (a.parse::<usize>().unwrap(), b.parse::<usize>().unwrap()))
                        .unwrap();
                    common(Reply::status(206))
                        .header("Content-Range", format!("bytes {a}-{b}/{}", body.len()))
                        .body(body[a..=b].to_vec())
                }
                None => common(Reply::ok()).body(body.clone()),
            },
            _ => Reply::error(400, "InvalidRequest", "unexpected"),
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_size_no_object_can_have_is_refused_before_anything_is_written() {
    // 60 TiB: more than 10,000 parts of 5 GiB.
    let server = MockServer::start(|req, _| match req.method.as_str() {
        "HEAD" => Reply::ok()
            .header("ETag", "\"HUGE\"")
            .header("Content-Length", (60u64 << 40).to_string()),
        _ => Reply::error(400, "InvalidRequest", "unexpected"),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let err = Downloader::builder(support::oss::client(&server.endpoint()))
        .build()
        .unwrap()
        .download_file(BUCKET, "huge.bin", dir.path().join("huge.bin"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), alioss::ErrorKind::InvalidResponse, "{err}");
    assert!(files_in(dir.path()).is_empty());
    assert_eq!(server.count(), 1, "only the HEAD");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crc_mismatch_leaves_no_file_at_the_destination() {
    let server = lying_server(data(40 * KIB, 4)).await;
    let client = support::oss::client(&server.endpoint());
    let dir = tempfile::tempdir().unwrap();
    let checkpoints = dir.path().join("cp");
    let dest = dir.path().join("corrupt.bin");
    let err = Downloader::builder(client.clone())
        .range_size(16 * KIB)
        .checkpoint_dir(&checkpoints)
        .build()
        .unwrap()
        .download_file(BUCKET, "corrupt.bin", &dest)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Integrity { .. }), "{err:?}");
    assert_eq!(files_in(dir.path()), vec!["cp"], "no destination, no temp");
    assert!(files_in(&checkpoints).is_empty());
    assert!(server.count() >= 4, "HEAD and three ranges were sent");

    // GetObject into a file: the old content stays, no temporary file is left.
    std::fs::write(&dest, b"previous").unwrap();
    let err = client
        .get_object(BUCKET, "corrupt.bin")
        .send()
        .await
        .unwrap()
        .write_to_file(&dest)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Integrity { .. }), "{err:?}");
    assert_eq!(std::fs::read(&dest).unwrap(), b"previous");
    assert_eq!(files_in(dir.path()), vec!["corrupt.bin", "cp"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_to_file_replaces_the_destination_with_the_whole_object() {
    let emu = start().await;
    let oss = admin(&emu);
    let body = data(3 * 1024 * KIB + 17, 8);
    put(&oss, "downloads/whole.bin", body.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("whole.bin");
    std::fs::write(&dest, b"old").unwrap();
    let n = oss
        .get_object(BUCKET, "downloads/whole.bin")
        .send()
        .await
        .unwrap()
        .write_to_file(&dest)
        .await
        .unwrap();
    assert_eq!(n, body.len() as u64);
    assert_eq!(std::fs::read(&dest).unwrap(), body);
    assert_eq!(files_in(dir.path()), vec!["whole.bin"]);
}

#[tokio::test]
async fn bad_options_and_destinations_are_refused_before_any_request() {
    let server = MockServer::start(|_, _| Reply::error(500, "InternalError", "no")).await;
    let client = support::oss::client(&server.endpoint());
    let field = |r: alioss::error::Result<Downloader>| {
        r.unwrap_err()
            .as_invalid_input()
            .map(|e| e.field().to_owned())
    };
    assert_eq!(
        field(Downloader::builder(client.clone()).range_size(100).build()),
        Some("range_size".into())
    );
    assert_eq!(
        field(Downloader::builder(client.clone()).parallelism(0).build()),
        Some("parallelism".into())
    );
    assert_eq!(
        field(
            Downloader::builder(client.clone())
                .checkpoint_dir("")
                .build()
        ),
        Some("checkpoint_dir".into())
    );
    let dir = tempfile::tempdir().unwrap();
    let d = Downloader::new(client);
    let cases: [(&str, PathBuf, &str); 3] = [
        ("", dir.path().join("x"), "key"),
        ("key", dir.path().to_owned(), "destination"),
        ("key", PathBuf::new(), "destination"),
    ];
    for (key, dest, expected) in cases {
        let err = d
            .download_file(BUCKET, key, &dest)
            .send()
            .await
            .unwrap_err();
        let got = err.as_invalid_input().map(|e| e.field().to_owned());
        assert_eq!(got.as_deref(), Some(expected), "{err}");
    }
    assert_eq!(server.count(), 0, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_range_is_bound_to_the_etag_so_a_replaced_object_fails_the_download() {
    // The object is replaced between HeadObject and the first range: OSS answers 412.
    let server = MockServer::start(|req, _| match req.method.as_str() {
        "HEAD" => Reply::ok()
            .header("ETag", "\"ETAG-OLD\"")
            .header("Content-Length", "50000")
            .header("x-oss-request-id", "REQ-1"),
        _ => Reply::error(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold.",
        ),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("replaced.bin");
    let err = Downloader::builder(support::oss::client(&server.endpoint()))
        .range_size(16 * KIB)
        .parallelism(1)
        .build()
        .unwrap()
        .download_file(BUCKET, "replaced.bin", &dest)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("PreconditionFailed"), "{err}");
    let get = server.request(1);
    assert_eq!(get.method, "GET");
    assert_eq!(get.header("if-match"), Some("\"ETAG-OLD\""));
    assert_eq!(get.header("range"), Some("bytes=0-16383"));
    assert_eq!(server.count(), 2, "no further range after the refusal");
    assert!(files_in(dir.path()).is_empty());
}
