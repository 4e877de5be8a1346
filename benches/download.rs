//! Download throughput against an emulator in a child process (`--fast-etags`, memory store),
//! so that, as for curl, the server's CPU time and memory are not the client's; side by side: `curl -o` of a presigned GET URL (one stream), alioss `get_object(..).write_to_file`
//! (one stream, CRC-64 checked, atomic rename) and the `Downloader` (ranged GETs, 4 in flight,
//! CRC-64 combined, atomic rename). Run with `cargo bench --bench download` (release).
//!
//! Prints per method the median MB/s (10^6 bytes/s) of the rounds, the growth of this process's
//! peak resident set (VmHWM, reset before each method where the kernel allows; curl runs in its
//! own process, so its own memory is not in the figure), and the ratios alioss/curl.
//!
//! Environment: `DOWNLOAD_BENCH_MIB` (default 256) sets the object size,
//! `DOWNLOAD_BENCH_ROUNDS` (default 5) the rounds, `DOWNLOAD_BENCH_DIR` where files are written
//! (default `/dev/shm`, so disk speed is not what is measured).

use std::path::Path;
use std::time::{Duration, Instant};

use alioss::oss::Downloader;

#[path = "common/mod.rs"]
mod common;

use common::{
    content, env_u64, mb_per_s, median, scratch_dir, serve_child, ChildEmulator, PeakRss, BUCKET,
};

const KEY: &str = "bench/download.bin";
const CURL: &str = "curl";

struct Method {
    name: &'static str,
    median_mb_s: f64,
    peak_growth_mib: f64,
}

async fn measure<F, Fut>(
    name: &'static str,
    rounds: u64,
    size: u64,
    dest: &Path,
    mut once: F,
) -> Method
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let peak = PeakRss::start();
    let mut speeds = Vec::new();
    for round in 0..rounds {
        let _ = std::fs::remove_file(dest);
        let started = Instant::now();
        if let Err(e) = once().await {
            panic!("{name}, round {round}: {e}");
        }
        let elapsed = started.elapsed();
        let got = std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0);
        assert_eq!(got, size, "{name} wrote {got} of {size} bytes");
        speeds.push(mb_per_s(size, elapsed));
    }
    let m = Method {
        name,
        median_mb_s: median(speeds.clone()),
        peak_growth_mib: peak.growth_kib() as f64 / 1024.0,
    };
    println!(
        "{:<44} median {:>8.1} MB/s   rounds {:?}   peak RSS growth {:>6.1} MiB",
        m.name,
        m.median_mb_s,
        speeds.iter().map(|s| s.round() as u64).collect::<Vec<_>>(),
        m.peak_growth_mib
    );
    m
}

async fn curl_get(url: &str, dest: &Path) -> Result<(), String> {
    let out = tokio::process::Command::new(CURL)
        .arg("-sS")
        .arg("-f")
        .arg("-o")
        .arg(dest)
        // The presigned URL goes to curl's argv only; it is never printed.
        .arg(url)
        .output()
        .await
        .map_err(|e| format!("cannot run curl: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "curl exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn main() {
    if std::env::var_os("DOWNLOAD_BENCH_CHILD").is_some() {
        serve_child(None);
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let size = env_u64("DOWNLOAD_BENCH_MIB", 256) * 1024 * 1024;
    let rounds = env_u64("DOWNLOAD_BENCH_ROUNDS", 5).max(1);
    let emu = ChildEmulator::spawn("DOWNLOAD_BENCH_CHILD");
    let client = emu.client();
    let body = content(size as usize);
    client
        .put_object(BUCKET, KEY)
        .body(body)
        .send()
        .await
        .expect("upload the object");
    let dir = scratch_dir("DOWNLOAD_BENCH_DIR");
    let dest = dir.path().join("download.bin");
    println!(
        "download of {} MiB from an emulator in a child process, {rounds} rounds, into {}",
        size >> 20,
        dir.path().display()
    );

    let url = client
        .presign_get(BUCKET, KEY, Duration::from_secs(3600))
        .await
        .expect("presign");
    let curl = measure(
        "curl -o (presigned GET, one stream)",
        rounds,
        size,
        &dest,
        || curl_get(url.url(), &dest),
    )
    .await;

    let single = measure(
        "alioss get_object().write_to_file (one stream)",
        rounds,
        size,
        &dest,
        || async {
            client
                .get_object(BUCKET, KEY)
                .send()
                .await
                .map_err(|e| e.to_string())?
                .write_to_file(&dest)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        },
    )
    .await;

    let downloader = Downloader::builder(client.clone())
        .parallelism(4)
        .build()
        .expect("downloader");
    let ranged = measure(
        "alioss Downloader (8 MiB ranges, 4 in flight)",
        rounds,
        size,
        &dest,
        || async {
            downloader
                .download_file(BUCKET, KEY, &dest)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        },
    )
    .await;

    println!();
    for m in [&single, &ranged] {
        println!(
            "{:<44} {:.2}x curl (peak RSS growth {:.1} MiB)",
            m.name,
            m.median_mb_s / curl.median_mb_s,
            m.peak_growth_mib
        );
    }
    drop(emu);
}
