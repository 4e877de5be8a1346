//! Crash and resume (issue 11): a child process uploads a file with a checkpoint and is killed
//! with SIGKILL part-way through (it freezes in its progress callback after a given part, so
//! the kill lands at a known point: that part stored, the checkpoint not yet updated); a new
//! process resumes. Between the runs the file may be modified in place with its size and
//! modification time kept. With and without ListParts rights, the result must always be the
//! current file byte for byte (or an error with nothing committed). A download killed the same
//! way resumes from its checkpoint and ends with the object byte for byte.
//!
//! This test binary has its own `main` (`harness = false`): run with `ALIOSS_CRASH_CHILD=1` it
//! is the uploading child, otherwise it runs the scenarios and prints
//! `crash-resume cases: N passed, M failed`.

mod support;

use std::io::{BufRead, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use alioss::credentials::{Credentials, StaticCredentialsProvider};
use alioss::oss::{crc64, Client, Downloader, RetryPolicy, Uploader};
use alioss_emulator::EmulatorHandle;
use support::emulator::{admin, assume_role, get_bytes, start, BUCKET};

const PART: u64 = 100 * 1024;
const KIB: usize = 1024;

fn main() {
    if std::env::var_os("ALIOSS_CRASH_CHILD").is_some() {
        child();
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let failed = rt.block_on(scenarios());
    std::process::exit(i32::from(failed > 0));
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is required in the child"))
}

/// The child: uploads `FILE` to `KEY` with a checkpoint in `CKPT`, printing `progress N` after
/// each part; after part `FREEZE_AFTER` (if set) it stops dead, waiting to be killed.
fn child() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let freeze_after: u32 = std::env::var("FREEZE_AFTER")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let creds = Credentials::builder()
        .access_key_id(env("KEY_ID"))
        .access_key_secret(env("KEY_SECRET"))
        .maybe_security_token(std::env::var("TOKEN").ok())
        .build()
        .unwrap();
    let client = Client::builder()
        .region("cn-hangzhou")
        .endpoint(env("ENDPOINT"))
        .credentials(StaticCredentialsProvider::new(creds))
        .retry_policy(
            RetryPolicy::standard()
                .with_base_delay(Duration::from_millis(5))
                .with_max_backoff(Duration::from_millis(50)),
        )
        .build()
        .unwrap();
    if std::env::var_os("DEST").is_some() {
        let downloader = Downloader::builder(client)
            .range_size(PART)
            .parallelism(1)
            .checkpoint_dir(env("CKPT"))
            .on_progress(move |p| {
                println!("progress {}", p.ranges_done);
                std::io::stdout().flush().unwrap();
                if p.ranges_done == u64::from(freeze_after) {
                    // Frozen mid-download: the parent kills this process with SIGKILL.
                    std::thread::sleep(Duration::from_secs(600));
                }
            })
            .build()
            .unwrap();
        let result = rt.block_on(
            downloader
                .download_file(BUCKET, env("KEY"), env("DEST"))
                .send(),
        );
        match result {
            Ok(out) => println!(
                "done resumed={} fetched={} crc={:?}",
                out.resumed(),
                out.ranges_fetched,
                out.crc64
            ),
            Err(e) => println!("error {e}"),
        }
        return;
    }
    let uploader = Uploader::builder(client)
        .part_size(PART)
        .parallelism(1)
        .checkpoint_dir(env("CKPT"))
        .on_progress(move |p| {
            println!("progress {}", p.parts_done);
            std::io::stdout().flush().unwrap();
            if p.parts_done == freeze_after {
                // Frozen mid-upload: the parent kills this process with SIGKILL.
                std::thread::sleep(Duration::from_secs(600));
            }
        })
        .build()
        .unwrap();
    let result = rt.block_on(uploader.upload_file(BUCKET, env("KEY"), env("FILE")).send());
    match result {
        Ok(out) => println!(
            "done resumed={} uploaded={} crc={:?}",
            out.resumed(),
            out.parts_uploaded,
            out.crc64
        ),
        Err(e) => println!("error {e}"),
    }
}

/// Credentials handed to a child.
#[derive(Clone)]
struct ChildCreds {
    id: String,
    secret: String,
    token: Option<String>,
}

impl ChildCreds {
    fn of(c: &Credentials) -> Self {
        Self {
            id: c.access_key_id().to_owned(),
            secret: c.access_key_secret().to_owned(),
            token: c.security_token().map(str::to_owned),
        }
    }
}

/// Runs a child; with `freeze_after` it is killed (SIGKILL) once it reports that many parts.
/// Returns the child's stdout lines.
fn run_child(
    endpoint: &str,
    creds: &ChildCreds,
    file: &Path,
    key: &str,
    ckpt: &Path,
    freeze_after: Option<u32>,
    dest: Option<&Path>,
) -> Vec<String> {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.env("ALIOSS_CRASH_CHILD", "1")
        .env("ENDPOINT", endpoint)
        .env("KEY_ID", &creds.id)
        .env("KEY_SECRET", &creds.secret)
        .env("FILE", file)
        .env("KEY", key)
        .env("CKPT", ckpt)
        .env_remove("TOKEN")
        .env_remove("DEST")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(t) = &creds.token {
        cmd.env("TOKEN", t);
    }
    if let Some(n) = freeze_after {
        cmd.env("FREEZE_AFTER", n.to_string());
    }
    if let Some(d) = dest {
        cmd.env("DEST", d);
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let frozen = freeze_after.is_some_and(|n| line == format!("progress {n}"));
        lines.push(line);
        if frozen {
            child.kill().unwrap(); // SIGKILL on Unix
            break;
        }
    }
    let status = child.wait().unwrap();
    if freeze_after.is_some() {
        use std::os::unix::process::ExitStatusExt as _;
        assert_eq!(status.signal(), Some(9), "the child was killed by SIGKILL");
    }
    lines
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(37).wrapping_add(seed) ^ (i >> 10) as u8)
        .collect()
}

/// Rewrites `path` with `data`, putting its modification time back (`rsync -t`, `cp -p`).
fn rewrite_keeping_mtime(path: &Path, data: &[u8]) {
    let mtime = std::fs::metadata(path).unwrap().modified().unwrap();
    std::fs::write(path, data).unwrap();
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
}

const SRC_ONLY: &str = r#"{"Version":"1","Statement":[{"Action":["oss:PutObject"],"Resource":["acs:oss:*:*:examplebucket/src/*"],"Effect":"Allow"}]}"#;

async fn partner(emu: &EmulatorHandle) -> ChildCreds {
    let creds = assume_role(emu, "RamOssTest", "partner-crash", Some(SRC_ONLY), 900).await;
    ChildCreds::of(&creds)
}

/// One scenario: upload, SIGKILL after `freeze_after` parts, maybe modify the file in place,
/// resume in a new process; the object must then be the current file.
async fn scenario(
    emu: &EmulatorHandle,
    creds: ChildCreds,
    key: &'static str,
    modify: bool,
) -> Result<(), String> {
    let first = pattern(1000 * KIB + 123, key.len() as u8);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data.bin");
    std::fs::write(&file, &first).unwrap();
    let ckpt = dir.path().join("ckpt");
    let endpoint = emu.endpoint().to_owned();
    let (e, c, f, k) = (endpoint.clone(), creds.clone(), file.clone(), ckpt.clone());
    let killed = tokio::task::spawn_blocking(move || run_child(&e, &c, &f, key, &k, Some(4), None))
        .await
        .unwrap();
    if killed.last().map(String::as_str) != Some("progress 4") {
        return Err(format!("the child did not freeze at part 4: {killed:?}"));
    }
    let current = if modify {
        let mut second = first.clone();
        second[50 * KIB] ^= 0xff; // part 1
        second[250 * KIB] ^= 0x0f; // part 3
        rewrite_keeping_mtime(&file, &second);
        second
    } else {
        first
    };
    let (e, c, f, k) = (endpoint, creds, file, ckpt.clone());
    let resumed = tokio::task::spawn_blocking(move || run_child(&e, &c, &f, key, &k, None, None))
        .await
        .unwrap();
    let last = resumed.last().cloned().unwrap_or_default();
    if !last.starts_with("done resumed=true") {
        return Err(format!("the new process did not resume: {resumed:?}"));
    }
    if !last.contains(&format!("crc=Some({})", crc64::checksum(&current))) {
        return Err(format!("unexpected CRC: {last}"));
    }
    let stored = get_bytes(&admin(emu), key).await;
    if stored != current {
        return Err(format!(
            "the object is not the current file ({} bytes stored)",
            stored.len()
        ));
    }
    if std::fs::read_dir(&ckpt).map(|d| d.count()).unwrap_or(0) != 0 {
        return Err("the checkpoint was not removed".into());
    }
    Ok(())
}

/// A download killed with SIGKILL after 4 ranges, resumed in a new process: the file is the
/// object byte for byte and only the missing ranges are fetched again.
async fn download_scenario(emu: &EmulatorHandle, creds: ChildCreds) -> Result<(), String> {
    let key = "src/crash-download.bin";
    let data = pattern(1000 * KIB + 77, 9);
    admin(emu)
        .put_object(BUCKET, key)
        .body(data.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out.bin");
    let ckpt = dir.path().join("ckpt");
    let endpoint = emu.endpoint().to_owned();
    let (e, c, d, k) = (endpoint.clone(), creds.clone(), dest.clone(), ckpt.clone());
    let killed = tokio::task::spawn_blocking(move || {
        run_child(&e, &c, Path::new("-"), key, &k, Some(4), Some(&d))
    })
    .await
    .unwrap();
    if killed.last().map(String::as_str) != Some("progress 4") {
        return Err(format!("the child did not freeze at range 4: {killed:?}"));
    }
    if dest.exists() {
        return Err("a partial download is at the destination".into());
    }
    let (e, d, k) = (endpoint, dest.clone(), ckpt);
    let resumed = tokio::task::spawn_blocking(move || {
        run_child(&e, &creds, Path::new("-"), key, &k, None, Some(&d))
    })
    .await
    .unwrap();
    let last = resumed.last().cloned().unwrap_or_default();
    if !last.starts_with("done resumed=true") {
        return Err(format!("the new process did not resume: {resumed:?}"));
    }
    if last.contains("fetched=10 ") || last.contains("fetched=11 ") {
        return Err(format!("every range was fetched again: {last}"));
    }
    if std::fs::read(&dest).map_err(|e| e.to_string())? != data {
        return Err("the downloaded file is not the object".into());
    }
    Ok(())
}

async fn scenarios() -> usize {
    let emu = start().await;
    let admin_creds = ChildCreds::of(&emu.user_credentials("admin").unwrap());
    let partner_creds = partner(&emu).await;
    let cases: Vec<(&str, ChildCreds, &'static str, bool)> = vec![
        (
            "SIGKILL, resume with ListParts",
            admin_creds.clone(),
            "src/crash-admin.bin",
            false,
        ),
        (
            "SIGKILL, resume without ListParts",
            partner_creds.clone(),
            "src/crash-partner.bin",
            false,
        ),
        (
            "SIGKILL, file changed in place, with ListParts",
            admin_creds,
            "src/crash-admin-changed.bin",
            true,
        ),
        (
            "SIGKILL, file changed in place, without ListParts",
            partner_creds,
            "src/crash-partner-changed.bin",
            true,
        ),
    ];
    let mut passed = 0;
    let mut failed = 0;
    for (name, creds, key, modify) in cases {
        match scenario(&emu, creds, key, modify).await {
            Ok(()) => {
                passed += 1;
                println!("ok     {name}");
            }
            Err(why) => {
                failed += 1;
                println!("FAILED {name}: {why}");
            }
        }
    }
    let download_creds = ChildCreds::of(&emu.user_credentials("admin").unwrap());
    match download_scenario(&emu, download_creds).await {
        Ok(()) => {
            passed += 1;
            println!("ok     SIGKILL mid-download, resume in a new process");
        }
        Err(why) => {
            failed += 1;
            println!("FAILED SIGKILL mid-download, resume in a new process: {why}");
        }
    }
    println!("crash-resume cases: {passed} passed, {failed} failed");
    emu.shutdown().await;
    failed
}
