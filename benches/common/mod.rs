//! Helpers shared by the benchmarks (`download`, `upload`, `object_store`, `load`): the
//! emulator and its admin client, environment knobs, scratch directories, pseudo-random data,
//! medians and MB/s, and the growth of this process's peak resident set. Each bench includes it
//! with `#[path = "common/mod.rs"] mod common;` and uses what it needs.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use alioss::credentials::StaticCredentialsProvider;
use alioss::oss::Client;
use alioss_emulator::{Emulator, EmulatorConfig, EmulatorHandle};

/// The demo configuration's bucket.
pub const BUCKET: &str = "examplebucket";

/// The environment variable `name` as a number, else `default`.
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `(VmHWM, VmRSS)` of this process in KiB.
pub fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Resets the peak-RSS counter (Linux ≥ 4.0: writing 5 to clear_refs resets VmHWM to VmRSS).
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The growth of this process's peak resident set since [`PeakRss::start`].
pub struct PeakRss {
    baseline: u64,
}

impl PeakRss {
    /// Resets the peak where the kernel allows (the baseline is then the current RSS, else the
    /// peak so far).
    pub fn start() -> Self {
        let resettable = reset_peak();
        let (hwm_before, rss_before) = memory_kib();
        let baseline = if resettable { rss_before } else { hwm_before };
        Self { baseline }
    }

    /// KiB the peak grew by since [`PeakRss::start`].
    pub fn growth_kib(&self) -> u64 {
        let (hwm_after, _) = memory_kib();
        hwm_after.saturating_sub(self.baseline)
    }
}

/// A temporary directory: under `$env_var` if set, else `/dev/shm` (tmpfs: no disk speed or
/// free-space noise), else the system's temp directory.
pub fn scratch_dir(env_var: &str) -> tempfile::TempDir {
    let base = std::env::var_os(env_var)
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from("/dev/shm")).filter(|p| p.is_dir()));
    match base {
        Some(b) => tempfile::tempdir_in(b),
        None => tempfile::tempdir(),
    }
    .expect("temp dir")
}

/// The median of `v` (the upper one of an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// 10^6 bytes per second.
pub fn mb_per_s(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / 1e6
}

/// Pseudo-random bytes (xorshift), so nothing compresses or dedups; successive
/// [`XorShift::fill`] calls on buffers of multiples of 8 bytes continue one stream.
pub struct XorShift(u64);

impl XorShift {
    /// The stream every bench uses.
    pub fn new() -> Self {
        Self(0x9E37_79B9_7F4A_7C15)
    }

    /// Fills `buf` with the next bytes of the stream.
    pub fn fill(&mut self, buf: &mut [u8]) {
        let mut x = self.0;
        for chunk in buf.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
        }
        self.0 = x;
    }
}

/// `size` pseudo-random bytes.
pub fn content(size: usize) -> Vec<u8> {
    let mut out = vec![0u8; size];
    XorShift::new().fill(&mut out);
    out
}

/// An emulator on 127.0.0.1:0 with the demo configuration, its objects in memory.
pub async fn start_emulator(fast_etags: bool) -> EmulatorHandle {
    Emulator::builder()
        .config(EmulatorConfig::demo())
        .fast_etags(fast_etags)
        .start()
        .await
        .expect("emulator")
}

/// An OSS client in cn-hangzhou of `endpoint` with `creds`.
pub fn client(endpoint: &str, creds: alioss::Credentials) -> Client {
    Client::builder()
        .region("cn-hangzhou")
        .endpoint(endpoint)
        .credentials(StaticCredentialsProvider::new(creds))
        .build()
        .expect("client")
}

/// A client of the emulator with the demo user `admin`'s keys.
pub fn admin(emu: &EmulatorHandle) -> Client {
    client(
        emu.endpoint(),
        emu.user_credentials("admin").expect("demo user"),
    )
}

/// An emulator serving from a child process (this bench binary run again with `child_var` set,
/// which calls [`serve_child`]): the server's work and memory are not in this process, as with
/// a real service, and its CPU time competes with this process's as curl's does. Stopped when
/// dropped.
pub struct ChildEmulator {
    child: Child,
    /// Its `http://127.0.0.1:port`.
    pub endpoint: String,
    /// The demo user `admin`'s keys.
    pub admin: alioss::Credentials,
}

impl ChildEmulator {
    /// Starts the child and waits for its endpoint.
    pub fn spawn(child_var: &str) -> Self {
        let mut child = Command::new(std::env::current_exe().expect("bench binary"))
            .env(child_var, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the emulator child");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("child stdout"))
            .read_line(&mut first)
            .expect("the child's endpoint line");
        let fields: Vec<&str> = first.split_whitespace().collect();
        assert_eq!(fields.len(), 3, "unexpected child line {first:?}");
        Self {
            child,
            endpoint: fields[0].to_owned(),
            admin: alioss::Credentials::new(fields[1], fields[2]).expect("admin keys"),
        }
    }

    /// A client of the child emulator with the admin's keys.
    pub fn client(&self) -> Client {
        client(&self.endpoint, self.admin.clone())
    }
}

impl Drop for ChildEmulator {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// The child side of [`ChildEmulator`]: an emulator with CRC-64 ETags (`--fast-etags`), its
/// objects in `data_dir` or in memory; prints its endpoint and the admin's keys, then serves
/// until its stdin closes.
pub fn serve_child(data_dir: Option<&Path>) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let mut builder = Emulator::builder()
            .config(EmulatorConfig::demo())
            .fast_etags(true);
        if let Some(dir) = data_dir {
            builder = builder.data_dir(dir);
        }
        let emu = builder.start().await.expect("emulator");
        let admin = emu.user_credentials("admin").expect("demo user");
        println!(
            "{} {} {}",
            emu.endpoint(),
            admin.access_key_id(),
            admin.access_key_secret()
        );
        std::io::stdout().flush().expect("stdout");
        tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
        })
        .await
        .expect("stdin watcher");
        emu.shutdown().await;
    });
}
