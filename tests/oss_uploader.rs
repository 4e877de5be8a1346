//! The Uploader against the local emulator: single PutObject below the part size, concurrent
//! multipart above it, STS credentials limited to PutObject, resuming from a checkpoint after an
//! injected failure (with and without ListParts rights), stale and invalid checkpoints, aborting
//! a failed upload, and options refused before any request.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use alioss::credentials::{Credentials, StaticCredentialsProvider};
use alioss::oss::WithObjectOptions as _;
use alioss::oss::{
    crc64, Client, ResumeStatus, RetryPolicy, StartOverReason, UploadOutput, UploadProgress,
    Uploader, UploaderBuilder,
};
use alioss::Error;
use alioss_emulator::{EmulatorHandle, Fault};
use futures_util::TryStreamExt;

mod support;

use support::emulator::{admin, assume_role, client_with, fast_retries, get_bytes, start, BUCKET};

const KIB: usize = 1024;
/// The smallest part size OSS allows, so small files still make many parts.
const PART: u64 = 100 * 1024;

/// The admin's client without retries, so an injected failure ends the upload.
fn admin_without_retries(emu: &EmulatorHandle) -> Client {
    client_with(
        emu,
        emu.user_credentials("admin").unwrap(),
        RetryPolicy::no_retries(),
    )
}

/// A client of an endpoint where nothing listens: a request would fail with a transport error.
fn offline_client() -> Client {
    Client::builder()
        .region("cn-hangzhou")
        .endpoint("http://127.0.0.1:9")
        .credentials(StaticCredentialsProvider::new(
            Credentials::new("test-key-id", "test-secret").unwrap(),
        ))
        .build()
        .unwrap()
}

/// Uploads `file` as `key` with `client`, in parts of [`PART`], keeping a checkpoint in `dir`.
async fn upload_with_checkpoint(
    client: Client,
    dir: &Path,
    file: &Path,
    key: &str,
) -> UploadOutput {
    Uploader::builder(client)
        .part_size(PART)
        .checkpoint_dir(dir)
        .build()
        .unwrap()
        .upload_file(BUCKET, key, file)
        .send()
        .await
        .unwrap()
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 11) as u8)
        .collect()
}

fn write_file(data: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(data).unwrap();
    f.flush().unwrap();
    f
}

async fn object_bytes(emu: &EmulatorHandle, key: &str) -> Vec<u8> {
    get_bytes(&admin(emu), key).await
}

/// The unfinished multipart uploads of `key`, as the admin sees them.
async fn open_uploads(emu: &EmulatorHandle, key: &str) -> Vec<String> {
    let uploads: Vec<_> = admin(emu)
        .list_multipart_uploads(BUCKET)
        .prefix(key)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    uploads
        .into_iter()
        .filter(|u| u.key == key)
        .map(|u| u.upload_id)
        .collect()
}

/// How many parts of `upload_id` are stored, as the admin sees them.
async fn stored_parts(emu: &EmulatorHandle, key: &str, upload_id: &str) -> usize {
    let parts: Vec<_> = admin(emu)
        .existing_multipart_upload(BUCKET, key, upload_id)
        .unwrap()
        .list_parts()
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    parts.len()
}

/// Counts the UploadPart requests the emulator serves from now on (up to `n`), server side:
/// every request uses up one application of each matching delay fault, so after `k` requests
/// the zero-length delays allowed 1, 2, …, k times are gone and `n - k` remain.
fn count_upload_parts(emu: &EmulatorHandle, n: u32) -> impl Fn() -> usize {
    for times in 1..=n {
        emu.faults().push(
            Fault::delay(Duration::ZERO)
                .operation("UploadPart")
                .times(times),
        );
    }
    let faults = emu.faults().clone();
    move || n as usize - faults.len()
}

/// Progress events recorded by an uploader.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<UploadProgress>>>);

impl Recorder {
    fn attach(&self, b: UploaderBuilder) -> UploaderBuilder {
        let events = self.0.clone();
        b.on_progress(move |p| events.lock().unwrap().push(*p))
    }

    fn events(&self) -> Vec<UploadProgress> {
        self.0.lock().unwrap().clone()
    }
}

fn only_file_in(dir: &Path) -> Option<PathBuf> {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(files.len() <= 1, "one checkpoint at most: {files:?}");
    files.into_iter().next()
}

fn assert_intact(out: &UploadOutput, data: &[u8]) {
    assert_eq!(out.size, data.len() as u64);
    assert_eq!(out.crc64, Some(crc64::checksum(data)));
    assert!(out.etag.is_some());
    assert!(out.request_id.is_some());
}

#[tokio::test]
async fn a_file_below_the_part_size_is_one_put_object() {
    let emu = start().await;
    let data = pattern(60 * KIB, 1);
    let file = write_file(&data);
    let counted = count_upload_parts(&emu, 10);
    let recorder = Recorder::default();
    let uploader = recorder
        .attach(Uploader::builder(admin(&emu)).part_size(PART))
        .build()
        .unwrap();
    let out = uploader
        .upload_file(BUCKET, "src/small.bin", file.path())
        .content_type("application/x-test")
        .metadata("origin", "uploader-test")
        .send()
        .await
        .unwrap();
    assert_intact(&out, &data);
    assert!(!out.is_multipart());
    assert_eq!((out.parts, out.parts_uploaded), (0, 0));
    assert_eq!(out.resume, ResumeStatus::NotResumable);
    assert_eq!(counted(), 0, "no UploadPart for a small file");
    let events = recorder.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].bytes_done, data.len() as u64);
    assert_eq!(object_bytes(&emu, "src/small.bin").await, data);
    let head = admin(&emu)
        .head_object(BUCKET, "src/small.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type.as_deref(), Some("application/x-test"));
    assert_eq!(
        head.metadata.get("origin").map(String::as_str),
        Some("uploader-test")
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_large_file_is_uploaded_in_parts_three_at_a_time() {
    let emu = start().await;
    let data = pattern(2 * 1024 * KIB + 123, 2);
    let file = write_file(&data);
    // Every UploadPart takes at least 40 ms: 21 parts, at most 3 in flight, need ≥ 7 rounds.
    let delay = Duration::from_millis(40);
    emu.faults()
        .push(Fault::delay(delay).operation("UploadPart"));
    let recorder = Recorder::default();
    let uploader = recorder
        .attach(
            Uploader::builder(admin(&emu))
                .part_size(PART)
                .parallelism(3),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    let out = uploader
        .upload_file(BUCKET, "src/large.bin", file.path())
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    emu.faults().clear();
    assert_intact(&out, &data);
    assert!(out.is_multipart());
    assert_eq!(out.part_size, PART);
    assert_eq!((out.parts, out.parts_uploaded), (21, 21));
    assert!(
        elapsed >= delay * 7,
        "21 delayed parts with 3 in flight cannot finish in {elapsed:?}"
    );
    let events = recorder.events();
    assert_eq!(events.len(), 21);
    assert!(events.windows(2).all(|w| w[0].bytes_done < w[1].bytes_done));
    let last = events.last().unwrap();
    assert_eq!(
        (
            last.bytes_done,
            last.total_bytes,
            last.parts_done,
            last.parts_total
        ),
        (data.len() as u64, data.len() as u64, 21, 21)
    );
    let got = admin(&emu)
        .get_object(BUCKET, "src/large.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(got.crc64, Some(crc64::checksum(&data)));
    assert_eq!(&got.bytes().await.unwrap()[..], &data[..]);
    assert!(open_uploads(&emu, "src/large.bin").await.is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn bytes_in_memory_are_uploaded_in_parts_too() {
    let emu = start().await;
    let data = pattern(350 * KIB, 3);
    let uploader = Uploader::builder(admin(&emu))
        .part_size(PART)
        .parallelism(2)
        .build()
        .unwrap();
    let out = uploader
        .upload_bytes(BUCKET, "src/buffer.bin", data.clone())
        .send()
        .await
        .unwrap();
    assert_intact(&out, &data);
    assert_eq!(out.parts, 4);
    assert_eq!(object_bytes(&emu, "src/buffer.bin").await, data);
    emu.shutdown().await;
}

const SRC_ONLY: &str = r#"{"Version":"1","Statement":[{"Action":["oss:PutObject"],"Resource":["acs:oss:*:*:examplebucket/src/*"],"Effect":"Allow"}]}"#;

/// Temporary credentials of role RamOssTest narrowed to PutObject on `examplebucket/src/*`.
async fn partner_credentials(emu: &EmulatorHandle) -> Credentials {
    assume_role(emu, "RamOssTest", "partner-42", Some(SRC_ONLY), 900).await
}

#[tokio::test]
async fn sts_credentials_limited_to_put_object_upload_in_parts_into_src() {
    let emu = start().await;
    let creds = partner_credentials(&emu).await;
    assert!(creds.access_key_id().starts_with("STS."));
    let partner = client_with(&emu, creds, fast_retries());
    let data = pattern(450 * KIB, 4);
    let file = write_file(&data);
    let uploader = Uploader::builder(partner).part_size(PART).build().unwrap();
    let out = uploader
        .upload_file(BUCKET, "src/partner.bin", file.path())
        .send()
        .await
        .unwrap();
    assert_intact(&out, &data);
    assert_eq!(out.parts, 5);
    assert_eq!(object_bytes(&emu, "src/partner.bin").await, data);

    // Outside src/ the session policy denies it, before any part is sent.
    let e = uploader
        .upload_file(BUCKET, "other/partner.bin", file.path())
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("AccessDenied"));
    emu.shutdown().await;
}

/// Runs an upload with a checkpoint that fails with a 500 on the UploadPart that follows the
/// `after`-th completed part (the client does not retry). Returns the error's status and the
/// number of parts the checkpoint records.
async fn interrupted_upload(
    emu: &EmulatorHandle,
    client: Client,
    dir: &Path,
    file: &Path,
    key: &str,
    after: usize,
) -> u32 {
    let faults = emu.faults().clone();
    let completed = Arc::new(AtomicU32::new(0));
    let seen = completed.clone();
    let uploader = Uploader::builder(client)
        .part_size(PART)
        .parallelism(1)
        .checkpoint_dir(dir)
        .on_progress(move |p| {
            seen.store(p.parts_done, Ordering::SeqCst);
            if p.parts_done as usize == after {
                faults.push(
                    Fault::fail_next(1)
                        .operation("UploadPart")
                        .status(500)
                        .code("InternalError"),
                );
            }
        })
        .build()
        .unwrap();
    let e = uploader
        .upload_file(BUCKET, key, file)
        .send()
        .await
        .unwrap_err();
    assert_injected_failure(&e);
    completed.load(Ordering::SeqCst)
}

/// The injected 500 — or, when the emulator answers it before reading the part's body and
/// closes the connection while the client is still sending, the resulting broken pipe.
fn assert_injected_failure(e: &Error) {
    assert!(
        e.code() == Some("InternalError") || matches!(e, Error::Transport { .. }),
        "{e}"
    );
}

#[tokio::test]
async fn an_interrupted_upload_resumes_with_only_the_missing_parts() {
    let emu = start().await;
    let key = "src/resume.bin";
    let data = pattern(1536 * KIB + 7, 5);
    let file = write_file(&data);
    let dir = tempfile::tempdir().unwrap();
    let no_retries = admin_without_retries(&emu);
    let recorded = interrupted_upload(&emu, no_retries, dir.path(), file.path(), key, 6).await;
    assert_eq!(recorded, 6);

    // The failed run left its upload and parts in place, and a checkpoint naming them.
    let uploads = open_uploads(&emu, key).await;
    assert_eq!(uploads.len(), 1);
    let landed = stored_parts(&emu, key, &uploads[0]).await;
    assert_eq!(landed, 6);
    let cp = only_file_in(dir.path()).expect("a checkpoint after the failure");
    let text = std::fs::read_to_string(&cp).unwrap();
    assert!(text.contains(&uploads[0]) && text.contains("\"number\":6"));
    assert!(!text.contains("\"number\":7") && text.contains("\"crc64\""));
    assert!(!text.contains("demo-admin-key-secret"));

    let counted = count_upload_parts(&emu, 100);
    let recorder = Recorder::default();
    let uploader = recorder
        .attach(
            Uploader::builder(admin(&emu))
                .part_size(PART)
                .parallelism(3)
                .checkpoint_dir(dir.path()),
        )
        .build()
        .unwrap();
    let out = uploader
        .upload_file(BUCKET, key, file.path())
        .send()
        .await
        .unwrap();
    assert_intact(&out, &data);
    assert!(out.resumed());
    assert_eq!(out.resume, resumed(6, true));
    assert_eq!(out.upload_id.as_deref(), Some(uploads[0].as_str()));
    assert_eq!((out.parts, out.parts_uploaded), (16, 10));
    assert_eq!(counted(), 10, "only the 10 missing parts were sent");
    let events = recorder.events();
    assert_eq!(events.len(), 10);
    assert_eq!(events[0].parts_done, 7, "progress counts the reused parts");
    assert_eq!(object_bytes(&emu, key).await, data);
    assert!(only_file_in(dir.path()).is_none(), "checkpoint removed");
    assert!(open_uploads(&emu, key).await.is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn without_list_parts_rights_a_resume_trusts_the_checkpoint_and_completes_all() {
    let emu = start().await;
    let key = "src/partner-resume.bin";
    let data = pattern(1200 * KIB, 6);
    let file = write_file(&data);
    let dir = tempfile::tempdir().unwrap();
    let creds = partner_credentials(&emu).await;

    let partner_once = client_with(&emu, creds.clone(), RetryPolicy::no_retries());
    let recorded = interrupted_upload(&emu, partner_once, dir.path(), file.path(), key, 4).await;
    assert_eq!(recorded, 4);
    // The partner may not abort (no oss:AbortMultipartUpload): the checkpoint keeps it anyway.
    assert_eq!(open_uploads(&emu, key).await.len(), 1);

    // ListParts is refused for these credentials.
    let denied = client_with(&emu, creds.clone(), fast_retries())
        .existing_multipart_upload(BUCKET, key, open_uploads(&emu, key).await[0].clone())
        .unwrap()
        .list_parts()
        .send()
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Some("AccessDenied"));

    let counted = count_upload_parts(&emu, 100);
    let partner = client_with(&emu, creds, fast_retries());
    let out = upload_with_checkpoint(partner, dir.path(), file.path(), key).await;
    assert_intact(&out, &data);
    assert_eq!(out.resume, resumed(4, false));
    assert_eq!((out.parts, out.parts_uploaded), (12, 8));
    assert_eq!(counted(), 8);
    assert_eq!(object_bytes(&emu, key).await, data);
    assert!(only_file_in(dir.path()).is_none());
    emu.shutdown().await;
}

/// Sets the modification time of the file at `path`.
fn set_mtime(path: &Path, mtime: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
}

/// Rewrites `path` with `data` and puts its modification time back (as `rsync -t` or `cp -p`).
fn rewrite_keeping_mtime(path: &Path, data: &[u8]) {
    let mtime = std::fs::metadata(path).unwrap().modified().unwrap();
    std::fs::write(path, data).unwrap();
    set_mtime(path, mtime);
    assert_eq!(std::fs::metadata(path).unwrap().modified().unwrap(), mtime);
}

/// Stores `data` as `key` with the admin's client (an earlier version an upload replaces).
async fn put_as_admin(emu: &EmulatorHandle, key: &str, data: &[u8]) {
    admin(emu)
        .put_object(BUCKET, key)
        .body(data.to_vec())
        .send()
        .await
        .unwrap();
}

/// What a resumed upload reports.
fn resumed(parts_reused: u32, verified_by_list_parts: bool) -> ResumeStatus {
    ResumeStatus::Resumed {
        parts_reused,
        verified_by_list_parts,
    }
}

#[tokio::test]
async fn without_list_parts_rights_a_file_changed_in_place_never_commits_a_mixed_object() {
    let emu = start().await;
    let key = "src/changed-in-place.bin";
    // The object holds an earlier version, which must survive anything but a correct upload.
    let earlier = pattern(1000 * KIB, 20);
    put_as_admin(&emu, key, &earlier).await;
    let first = pattern(1000 * KIB, 21);
    let file = write_file(&first);
    let dir = tempfile::tempdir().unwrap();
    let creds = partner_credentials(&emu).await;
    let partner_once = client_with(&emu, creds.clone(), RetryPolicy::no_retries());
    let recorded = interrupted_upload(&emu, partner_once, dir.path(), file.path(), key, 4).await;
    assert_eq!(recorded, 4);

    // Parts 2 and 3 change in place: same size, same modification time, so the checkpoint
    // still describes the file; only the bytes tell.
    let mut second = first.clone();
    second[150 * KIB] ^= 0xff;
    second[250 * KIB] ^= 0x0f;
    rewrite_keeping_mtime(file.path(), &second);

    let counted = count_upload_parts(&emu, 100);
    let partner = client_with(&emu, creds, fast_retries());
    let out = upload_with_checkpoint(partner, dir.path(), file.path(), key).await;
    assert_intact(&out, &second);
    assert_eq!(out.resume, resumed(2, false));
    assert_eq!((out.parts, out.parts_uploaded), (10, 8));
    assert_eq!(counted(), 8, "parts 2 and 3 again, and the 6 missing parts");
    assert_eq!(object_bytes(&emu, key).await, second);
    assert!(only_file_in(dir.path()).is_none());
    emu.shutdown().await;
}

/// Uploads a file that is rewritten after part 2 (other bytes in part 1, new mtime) over an
/// object holding `earlier`, with or without a checkpoint folder; answers the error.
async fn upload_modified_during(emu: &EmulatorHandle, key: &str, checkpoint: bool) -> Error {
    let data = pattern(700 * KIB, 23);
    let file = write_file(&data);
    let path = file.path().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let touched = Arc::new(AtomicU32::new(0));
    let seen = touched.clone();
    let mut builder = Uploader::builder(admin(emu))
        .part_size(PART)
        .parallelism(1)
        .on_progress(move |p| {
            if p.parts_done == 2 && seen.fetch_add(1, Ordering::SeqCst) == 0 {
                let mut changed = std::fs::read(&path).unwrap();
                changed[10] ^= 0xff;
                std::fs::write(&path, &changed).unwrap();
                set_mtime(&path, SystemTime::now() + Duration::from_secs(120));
            }
        });
    if checkpoint {
        builder = builder.checkpoint_dir(dir.path());
    }
    let e = builder
        .build()
        .unwrap()
        .upload_file(BUCKET, key, file.path())
        .send()
        .await
        .unwrap_err();
    assert_eq!(touched.load(Ordering::SeqCst), 1);
    e
}

#[tokio::test]
async fn a_file_modified_during_the_upload_is_not_committed() {
    let emu = start().await;
    for (key, checkpoint) in [
        ("src/modified-during.bin", true),
        ("src/modified-during-no-cp.bin", false),
    ] {
        let earlier = pattern(300 * KIB, 22);
        put_as_admin(&emu, key, &earlier).await;
        let e = upload_modified_during(&emu, key, checkpoint).await;
        assert!(e.to_string().contains("changed during the upload"), "{e}");
        assert_eq!(
            object_bytes(&emu, key).await,
            earlier,
            "nothing was committed"
        );
        // Without a checkpoint there is nothing to resume: the upload is aborted.
        assert_eq!(open_uploads(&emu, key).await.len(), usize::from(checkpoint));
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn a_checkpoint_for_a_modified_file_is_ignored_and_the_upload_starts_over() {
    let emu = start().await;
    let key = "src/stale.bin";
    let data = pattern(800 * KIB, 7);
    let file = write_file(&data);
    let dir = tempfile::tempdir().unwrap();
    let no_retries = admin_without_retries(&emu);
    interrupted_upload(&emu, no_retries, dir.path(), file.path(), key, 3).await;
    let old = open_uploads(&emu, key).await;
    assert_eq!(old.len(), 1);

    // The file changes (same size, other bytes, another modification time).
    let changed = pattern(800 * KIB, 8);
    std::fs::write(file.path(), &changed).unwrap();
    set_mtime(file.path(), SystemTime::now() + Duration::from_secs(60));

    let out = upload_with_checkpoint(admin(&emu), dir.path(), file.path(), key).await;
    assert_intact(&out, &changed);
    assert_eq!(
        out.resume,
        ResumeStatus::StartedOver {
            reason: StartOverReason::StaleCheckpoint
        }
    );
    assert_eq!((out.parts, out.parts_uploaded), (8, 8));
    assert_ne!(out.upload_id.as_deref(), Some(old[0].as_str()));
    assert_eq!(object_bytes(&emu, key).await, changed);
    assert!(
        open_uploads(&emu, key).await.is_empty(),
        "the stale upload was aborted"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_tampered_checkpoint_is_ignored_and_replaced() {
    let emu = start().await;
    let key = "src/tampered.bin";
    let data = pattern(500 * KIB, 9);
    let file = write_file(&data);
    let dir = tempfile::tempdir().unwrap();
    let no_retries = admin_without_retries(&emu);
    interrupted_upload(&emu, no_retries, dir.path(), file.path(), key, 2).await;
    let cp = only_file_in(dir.path()).unwrap();
    let text = std::fs::read_to_string(&cp).unwrap();
    let tampered = text.replace("\"number\":2", "\"number\":5");
    assert_ne!(tampered, text);
    std::fs::write(&cp, tampered).unwrap();

    let out = upload_with_checkpoint(admin(&emu), dir.path(), file.path(), key).await;
    assert_intact(&out, &data);
    match &out.resume {
        ResumeStatus::StartedOver {
            reason: StartOverReason::InvalidCheckpoint { detail },
        } => assert!(detail.contains("checksum"), "{detail}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(out.parts_uploaded, 5);
    assert_eq!(object_bytes(&emu, key).await, data);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_checkpoint_whose_upload_was_aborted_starts_over() {
    let emu = start().await;
    let key = "src/gone.bin";
    let data = pattern(400 * KIB, 10);
    let file = write_file(&data);
    let dir = tempfile::tempdir().unwrap();
    let no_retries = admin_without_retries(&emu);
    interrupted_upload(&emu, no_retries, dir.path(), file.path(), key, 1).await;
    for id in open_uploads(&emu, key).await {
        admin(&emu)
            .existing_multipart_upload(BUCKET, key, id)
            .unwrap()
            .abort()
            .send()
            .await
            .unwrap();
    }
    let out = upload_with_checkpoint(admin(&emu), dir.path(), file.path(), key).await;
    assert_intact(&out, &data);
    assert_eq!(
        out.resume,
        ResumeStatus::StartedOver {
            reason: StartOverReason::UploadGone
        }
    );
    assert_eq!(out.parts_uploaded, 4);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_failed_upload_without_checkpoint_is_aborted_unless_parts_are_left() {
    let emu = start().await;
    let data = pattern(600 * KIB, 11);
    let file = write_file(&data);
    let no_retries = || admin_without_retries(&emu);
    for (key, leave) in [("src/aborted.bin", false), ("src/left.bin", true)] {
        emu.faults().push(
            Fault::fail_next(1)
                .operation("UploadPart")
                .status(500)
                .code("InternalError"),
        );
        let uploader = Uploader::builder(no_retries())
            .part_size(PART)
            .leave_parts_on_error(leave)
            .build()
            .unwrap();
        let e = uploader
            .upload_file(BUCKET, key, file.path())
            .send()
            .await
            .unwrap_err();
        assert_injected_failure(&e);
        assert_eq!(
            open_uploads(&emu, key).await.len(),
            usize::from(leave),
            "{key}"
        );
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn retried_parts_keep_the_object_intact() {
    let emu = start().await;
    let data = pattern(700 * KIB, 12);
    let file = write_file(&data);
    emu.faults()
        .push(Fault::fail_next(2).operation("UploadPart").status(503));
    emu.faults()
        .push(Fault::drop_connection_after(10_000).operation("UploadPart"));
    let uploader = Uploader::builder(admin(&emu))
        .part_size(PART)
        .build()
        .unwrap();
    let out = uploader
        .upload_file(BUCKET, "src/retried.bin", file.path())
        .send()
        .await
        .unwrap();
    assert_intact(&out, &data);
    assert_eq!(object_bytes(&emu, "src/retried.bin").await, data);
    emu.shutdown().await;
}

#[tokio::test]
async fn invalid_options_are_refused_before_any_request() {
    // Nothing listens on this endpoint: a request would fail with a transport error.
    let client = offline_client();
    for (builder, field) in [
        (
            Uploader::builder(client.clone()).part_size(PART - 1),
            "part_size",
        ),
        (
            Uploader::builder(client.clone()).part_size(5 * 1024 * 1024 * 1024 + 1),
            "part_size",
        ),
        (
            Uploader::builder(client.clone()).parallelism(0),
            "parallelism",
        ),
        (
            Uploader::builder(client.clone()).checkpoint_dir(""),
            "checkpoint_dir",
        ),
    ] {
        let e = builder.build().unwrap_err();
        assert_eq!(e.as_invalid_input().unwrap().field(), field, "{e}");
    }
    let edge = Uploader::builder(client.clone())
        .part_size(PART)
        .parallelism(1)
        .build()
        .unwrap();
    assert_eq!((edge.part_size(), edge.parallelism()), (PART, 1));

    let uploader = Uploader::new(client);
    assert_eq!(uploader.part_size(), 6 * 1024 * 1024);
    assert_eq!(uploader.parallelism(), 3);
    let file = write_file(b"x");
    let cases = [
        (
            uploader.upload_file("Bad_Bucket", "k", file.path()),
            "bucket",
        ),
        (uploader.upload_file(BUCKET, "/abs", file.path()), "key"),
        (
            uploader
                .upload_file(BUCKET, "k", file.path())
                .metadata("bad name", "v"),
            "metadata name",
        ),
        (uploader.upload_bytes(BUCKET, "", vec![1u8]), "key"),
    ];
    for (req, field) in cases {
        let e = req.send().await.unwrap_err();
        assert_eq!(
            e.as_invalid_input().map(|i| i.field().to_owned()),
            Some(field.to_owned()),
            "{e}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let e = uploader
        .upload_file(BUCKET, "k", dir.path())
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.as_invalid_input().unwrap().field(), "path");
}

#[tokio::test]
async fn debug_output_holds_no_secrets() {
    let emu = start().await;
    let creds = partner_credentials(&emu).await;
    let secret = creds.access_key_secret().to_owned();
    let token = creds.security_token().unwrap().to_owned();
    let uploader = Uploader::builder(client_with(&emu, creds, fast_retries()))
        .checkpoint_dir("/tmp/checkpoints")
        .on_progress(|_| {})
        .build()
        .unwrap();
    let request = uploader.upload_bytes(BUCKET, "src/k", vec![0u8; 10]);
    for text in [format!("{uploader:?}"), format!("{request:?}")] {
        assert!(!text.contains(&secret), "{text}");
        assert!(!text.contains(&token), "{text}");
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn stored_parts_whose_crc_differs_from_the_file_are_uploaded_again() {
    let emu = start().await;
    let key = "src/crc-differs.bin";
    let first = pattern(700 * KIB, 13);
    let file = write_file(&first);
    let dir = tempfile::tempdir().unwrap();
    let no_retries = admin_without_retries(&emu);
    interrupted_upload(&emu, no_retries, dir.path(), file.path(), key, 3).await;

    // Same size and modification time, so the checkpoint still matches, but part 2 changed.
    let mut second = first.clone();
    second[150 * KIB] ^= 0xff;
    rewrite_keeping_mtime(file.path(), &second);

    let counted = count_upload_parts(&emu, 50);
    let out = upload_with_checkpoint(admin(&emu), dir.path(), file.path(), key).await;
    assert_intact(&out, &second);
    assert_eq!(out.resume, resumed(2, true));
    assert_eq!((out.parts, out.parts_uploaded), (7, 5));
    assert_eq!(counted(), 5, "part 2 and the 4 missing parts");
    assert_eq!(object_bytes(&emu, key).await, second);
    emu.shutdown().await;
}

#[test]
fn uploads_can_be_spawned_and_the_uploader_shared() {
    fn assert_send<T: Send>(_: &T) {}
    fn assert_send_sync_clone<T: Send + Sync + Clone>() {}
    assert_send_sync_clone::<Uploader>();
    let upload = Uploader::new(offline_client())
        .upload_file(BUCKET, "src/k", "/nonexistent")
        .send();
    assert_send(&upload);
}

fn chunked(
    data: &[u8],
    chunk: usize,
) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static {
    let chunks: Vec<std::io::Result<bytes::Bytes>> = data
        .chunks(chunk)
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    futures_util::stream::iter(chunks)
}

#[tokio::test]
async fn a_stream_is_uploaded_in_parts_read_in_order_and_retried() {
    let emu = start().await;
    let data = pattern(350 * KIB + 5, 14);
    // One part fails once and is sent again from the buffered part.
    emu.faults()
        .push(Fault::fail_next(1).operation("UploadPart").status(503));
    let uploader = Uploader::builder(admin(&emu))
        .part_size(PART)
        .parallelism(2)
        .build()
        .unwrap();
    let out = uploader
        .upload_stream(
            BUCKET,
            "src/stream.bin",
            data.len() as u64,
            chunked(&data, 7_001),
        )
        .send()
        .await
        .unwrap();
    assert_intact(&out, &data);
    assert_eq!(out.parts, 4);
    assert_eq!(object_bytes(&emu, "src/stream.bin").await, data);

    let small = pattern(10 * KIB, 15);
    let out = uploader
        .upload_stream(
            BUCKET,
            "src/small-stream.bin",
            small.len() as u64,
            chunked(&small, 999),
        )
        .send()
        .await
        .unwrap();
    assert!(!out.is_multipart());
    assert_eq!(object_bytes(&emu, "src/small-stream.bin").await, small);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_stream_of_another_length_than_declared_fails_and_is_aborted() {
    let emu = start().await;
    let data = pattern(300 * KIB, 16);
    let uploader = Uploader::builder(admin(&emu))
        .part_size(PART)
        .build()
        .unwrap();
    for (declared, key) in [
        (data.len() as u64 + 1, "src/short-stream.bin"),
        (data.len() as u64 - 1, "src/long-stream.bin"),
    ] {
        let e = uploader
            .upload_stream(BUCKET, key, declared, chunked(&data, 4096))
            .send()
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Io(_)), "{e}");
        assert!(e.to_string().contains("declared"), "{e}");
        assert!(open_uploads(&emu, key).await.is_empty(), "{key}");
    }
    emu.shutdown().await;
}
