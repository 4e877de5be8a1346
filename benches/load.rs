//! Load with memory bounds (issue 11): N concurrent multipart uploads of a 32 MiB file through
//! one `Uploader` (one client), 4 parts in flight each, into an emulator running in a **child
//! process** (so the stored objects and the server's buffers are not in this process's RSS).
//! Run with `cargo bench --bench load` (release).
//!
//! Prints, for 1, 5 and 20 concurrent uploads, the wall time, the aggregate MB/s and the growth
//! of this process's peak resident set (VmHWM, reset before each round) next to the bound the
//! settings give: `uploads × parallelism × read chunk` (a file part is streamed from disk in
//! 512 KiB chunks, never held whole), and the naive `uploads × parallelism × part size` an
//! implementation that buffered whole parts would need.
//!
//! Environment: `LOAD_BENCH_MIB` (default 32) the file size, `LOAD_BENCH_UPLOADS` (default 20)
//! the largest round, `LOAD_BENCH_DIR` where the file and the emulator's store go (default
//! `/dev/shm` when present).

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use alioss::oss::Uploader;

#[path = "common/mod.rs"]
mod common;

use common::{env_u64, memory_kib, reset_peak, serve_child, ChildEmulator, BUCKET};

const MIB: u64 = 1024 * 1024;
const PART: u64 = 8 * MIB;
const PARALLELISM: usize = 4;
/// The chunk a file part is read in (see `Body::from_file_range`).
const READ_CHUNK: u64 = 512 * 1024;

fn work_dir() -> PathBuf {
    std::env::var_os("LOAD_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let shm = PathBuf::from("/dev/shm");
            if shm.is_dir() {
                shm
            } else {
                std::env::temp_dir()
            }
        })
}

fn main() {
    if std::env::var_os("LOAD_BENCH_CHILD").is_some() {
        let store = tempfile::tempdir_in(work_dir()).unwrap();
        serve_child(Some(store.path()));
        return;
    }
    let server = ChildEmulator::spawn("LOAD_BENCH_CHILD");

    let size = env_u64("LOAD_BENCH_MIB", 32) * MIB;
    let max_uploads = env_u64("LOAD_BENCH_UPLOADS", 20) as usize;
    let dir = tempfile::tempdir_in(work_dir()).unwrap();
    let file = dir.path().join("load.bin");
    {
        let mut f = std::fs::File::create(&file).unwrap();
        let chunk: Vec<u8> = (0..MIB as usize).map(|i| (i * 31 % 251) as u8).collect();
        for _ in 0..size / MIB {
            f.write_all(&chunk).unwrap();
        }
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = server.client();
    let uploader = Uploader::builder(client)
        .part_size(PART)
        .parallelism(PARALLELISM)
        .build()
        .unwrap();
    println!(
        "load: {} MiB file, parts of {} MiB, {} in flight per upload, one client",
        size / MIB,
        PART / MIB,
        PARALLELISM
    );
    let mut rounds = vec![1, 5, max_uploads];
    rounds.dedup();
    for uploads in rounds {
        let reset = reset_peak();
        let (_, before) = memory_kib();
        let started = Instant::now();
        let results = rt.block_on(async {
            let tasks: Vec<_> = (0..uploads)
                .map(|i| {
                    let up = uploader.clone();
                    let file = file.clone();
                    tokio::spawn(async move {
                        up.upload_file(BUCKET, format!("load/{i}.bin"), file)
                            .send()
                            .await
                    })
                })
                .collect();
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await.unwrap());
            }
            out
        });
        let elapsed = started.elapsed();
        let failed = results.iter().filter(|r| r.is_err()).count();
        if let Some(Err(e)) = results.iter().find(|r| r.is_err()) {
            println!("  first failure: {e}");
        }
        let (peak, _) = memory_kib();
        let growth_mib = peak.saturating_sub(before) as f64 / 1024.0;
        let streamed_bound = (uploads as u64 * PARALLELISM as u64 * READ_CHUNK) as f64 / MIB as f64;
        let buffered = (uploads as u64 * PARALLELISM as u64 * PART) as f64 / MIB as f64;
        println!(
            "{uploads:>3} concurrent uploads: {} completed, {failed} failed, {:.2} s, {:.0} MB/s; \
             peak RSS {:.1} MiB (growth {:.1} MiB{}); uploads x parallelism x read chunk = \
             {:.1} MiB, x part size = {:.0} MiB",
            uploads - failed,
            elapsed.as_secs_f64(),
            (uploads as u64 * size) as f64 / 1e6 / elapsed.as_secs_f64(),
            peak as f64 / 1024.0,
            growth_mib,
            if reset { "" } else { ", peak not reset" },
            streamed_bound,
            buffered
        );
    }
    drop(server);
}
