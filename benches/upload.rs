//! Upload throughput against the in-process emulator, side by side: `curl -T` to a presigned
//! PUT URL, alioss `put_object` with `Body::from_path`, and the `Uploader` (multipart, 6 MiB
//! parts) with 3 and with 8 parts in flight. Run with `cargo bench --bench upload` (release).
//!
//! It prints, per method, the median MB/s (10^6 bytes/s) of the rounds and the growth of the
//! process's peak resident set (VmHWM, reset before each method where the kernel allows), and
//! the ratios alioss/curl. Sections:
//! 1. memory check — an emulator with a directory store, so no object is kept in memory and
//!    the RSS growth is the client's plus the emulator's streaming buffers;
//! 2. throughput — the emulator's memory store (the stored object counts in the RSS there;
//!    it is deleted after each round);
//! 3. where the time goes — the same uploads into a server that discards the body (the HTTP
//!    ceiling of this machine), variants of the client's body, a server that only computes MD5
//!    and CRC-64 of the body as the emulator's handler does, and those hashes' speed on one core.
//!
//! Environment: `UPLOAD_BENCH_MIB` (default 256) sets the file size, `UPLOAD_BENCH_ROUNDS`
//! (default 3) the rounds, `UPLOAD_BENCH_DIR` where the file goes (default `/dev/shm`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use alioss::oss::{Body, Client, Uploader};
use alioss_emulator::{Emulator, EmulatorConfig};

#[path = "common/mod.rs"]
mod common;

use common::{admin, client, env_u64, mb_per_s, median, start_emulator, PeakRss, XorShift, BUCKET};

const CURL: &str = "/usr/bin/curl";

fn write_file(path: &Path, size: u64) {
    let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut block = vec![0u8; 1 << 20];
    let mut random = XorShift::new();
    let mut left = size;
    while left > 0 {
        random.fill(&mut block);
        let n = left.min(block.len() as u64) as usize;
        f.write_all(&block[..n]).unwrap();
        left -= n as u64;
    }
    f.flush().unwrap();
}

struct Method {
    name: String,
    speeds: Vec<f64>,
    peak_growth_kib: u64,
}

async fn run_method<F, Fut>(
    name: impl Into<String>,
    rounds: u64,
    size: u64,
    admin: Option<&Client>,
    key: &str,
    mut once: F,
) -> Method
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let name = name.into();
    let mut speeds = Vec::new();
    let peak = PeakRss::start();
    for _ in 0..rounds {
        let started = Instant::now();
        if let Err(e) = once().await {
            eprintln!("{name}: failed: {e}");
            break;
        }
        speeds.push(mb_per_s(size, started.elapsed()));
        if let Some(admin) = admin {
            let head = admin.head_object(BUCKET, key).send().await;
            match head {
                Ok(h) if h.content_length == size => {}
                other => eprintln!("{name}: object not stored as expected: {other:?}"),
            }
            let _ = admin.delete_object(BUCKET, key).send().await;
        }
    }
    Method {
        name,
        speeds,
        peak_growth_kib: peak.growth_kib(),
    }
}

/// curl uploads `file` to `url` (sending the headers the URL was signed with).
async fn curl_put_url(url: &str, headers: &[(String, String)], file: &Path) -> Result<(), String> {
    let mut cmd = tokio::process::Command::new(CURL);
    cmd.arg("-sS")
        .arg("-f")
        .arg("-o")
        .arg("/dev/null")
        .arg("-T")
        .arg(file);
    for (name, value) in headers {
        cmd.arg("-H").arg(format!("{name}: {value}"));
    }
    // The presigned URL goes to curl's argv only; it is never printed.
    cmd.arg(url);
    let out = cmd.output().await.map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "curl exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

async fn curl_put(oss: &Client, file: &Path, key: &str) -> Result<(), String> {
    let url = oss
        .presign_put(BUCKET, key, Duration::from_secs(600))
        .await
        .map_err(|e| e.to_string())?;
    curl_put_url(url.url(), url.signed_headers(), file).await
}

async fn put_from_path(oss: &Client, file: &Path, key: &str) -> Result<(), String> {
    let body = Body::from_path(file).await.map_err(|e| e.to_string())?;
    oss.put_object(BUCKET, key)
        .body(body)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn upload_multipart(uploader: &Uploader, file: &Path, key: &str) -> Result<(), String> {
    uploader
        .upload_file(BUCKET, key, file)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// A server that reads and discards every request body and answers 200 with an ETag (and the
/// XML InitiateMultipartUpload / CompleteMultipartUpload need): the ceiling of HTTP over
/// loopback on this machine, without any emulator work.
///
/// With `hash`, it also computes MD5 and CRC-64 of every body frame by frame, as the emulator's
/// handler does — the emulator's per-byte work without the rest of the emulator.
async fn start_sink(hash: bool) -> String {
    use axum::http::{header, Method, StatusCode};
    use axum::response::{IntoResponse, Response};
    use http_body_util::BodyExt as _;

    async fn drain(body: &mut axum::body::Body, hash: bool) {
        use md5::Digest as _;
        let mut md5 = md5::Md5::new();
        let mut crc = alioss::oss::crc64::Crc64::new();
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { break };
            if let (true, Some(data)) = (hash, frame.data_ref()) {
                md5.update(data);
                crc.update(data);
            }
        }
        std::hint::black_box((md5.finalize(), crc.value()));
    }

    async fn discard(req: axum::extract::Request) -> Response {
        let (parts, mut body) = req.into_parts();
        drain(&mut body, false).await;
        respond(&parts)
    }

    async fn hashing(req: axum::extract::Request) -> Response {
        let (parts, mut body) = req.into_parts();
        drain(&mut body, true).await;
        respond(&parts)
    }

    fn respond(parts: &axum::http::request::Parts) -> Response {
        let query = parts.uri.query().unwrap_or("");
        let xml = if parts.method == Method::POST && query.contains("uploads") {
            Some(
                "<InitiateMultipartUploadResult><Bucket>examplebucket</Bucket><Key>k</Key>\
                 <UploadId>sink-upload</UploadId></InitiateMultipartUploadResult>",
            )
        } else if parts.method == Method::POST && query.contains("uploadId") {
            Some("<CompleteMultipartUploadResult><ETag>\"sink\"</ETag></CompleteMultipartUploadResult>")
        } else {
            None
        };
        match xml {
            Some(x) => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/xml")],
                x,
            )
                .into_response(),
            None => (StatusCode::OK, [(header::ETAG, "\"sink\"")]).into_response(),
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind sink");
    let addr = listener.local_addr().expect("sink address");
    let app = if hash {
        axum::Router::new().fallback(hashing)
    } else {
        axum::Router::new().fallback(discard)
    };
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// A body streaming `file` in `chunk`-byte blocks read with plain `std::fs` on the blocking pool
/// (one hop per block), to compare with `Body::from_path`'s 64 KiB `tokio::fs` reads.
fn big_chunk_body(file: &Path, len: u64, chunk: usize) -> Body {
    let path = file.to_path_buf();
    let stream = futures_util::stream::try_unfold(
        (None::<std::fs::File>, path),
        move |(f, path)| async move {
            let (f, block) = tokio::task::spawn_blocking(move || {
                use std::io::Read as _;
                let mut f = match f {
                    Some(f) => f,
                    None => std::fs::File::open(&path)?,
                };
                let mut buf = vec![0u8; chunk];
                let mut n = 0;
                while n < chunk {
                    let m = f.read(&mut buf[n..])?;
                    if m == 0 {
                        break;
                    }
                    n += m;
                }
                buf.truncate(n);
                Ok::<_, std::io::Error>((f, buf))
            })
            .await
            .map_err(std::io::Error::other)??;
            if block.is_empty() {
                return Ok(None);
            }
            Ok(Some((bytes::Bytes::from(block), (Some(f), PathBuf::new()))))
        },
    );
    Body::from_stream(len, stream)
}

/// GB/s of `f` over `data`.
fn gb_per_s(data: &[u8], f: impl Fn(&[u8])) -> f64 {
    f(data);
    (0..3)
        .map(|_| {
            let started = Instant::now();
            f(data);
            data.len() as f64 / started.elapsed().as_secs_f64() / 1e9
        })
        .fold(0.0, f64::max)
}

fn print_table(title: &str, results: &[Method]) {
    println!();
    println!("{title}");
    println!(
        "{:<48} {:>11} {:>22} {:>16}",
        "method", "median MB/s", "rounds MB/s", "peak RSS growth"
    );
    for m in results {
        let rounds: Vec<String> = m.speeds.iter().map(|s| format!("{s:.0}")).collect();
        let med = if m.speeds.is_empty() {
            "failed".to_owned()
        } else {
            format!("{:.0}", median(m.speeds.clone()))
        };
        println!(
            "{:<48} {:>11} {:>22} {:>12} MiB",
            m.name,
            med,
            rounds.join(" / "),
            m.peak_growth_kib >> 10
        );
    }
}

fn median_of(results: &[Method], name_start: &str) -> Option<f64> {
    results
        .iter()
        .find(|m| m.name.starts_with(name_start) && !m.speeds.is_empty())
        .map(|m| median(m.speeds.clone()))
}

/// An uploader of `oss` with the default part size and `parallelism` parts in flight.
fn uploader_for(oss: &Client, parallelism: usize) -> Uploader {
    Uploader::builder(oss.clone())
        .parallelism(parallelism)
        .build()
        .expect("uploader")
}

/// Uploads `path` `rounds` times into the sink server at `sink` with curl -T (when `curl`),
/// alioss put_object and the alioss Uploader(3), under keys starting with `prefix`; `server`
/// names the server in the table. The sink stores nothing, so no object is checked. Returns the
/// measurements and the client used, for further measurements on its connections.
async fn sink_methods(
    sink: &str,
    server: &str,
    prefix: &str,
    curl: bool,
    path: &Path,
    rounds: u64,
    size: u64,
) -> (Client, Vec<Method>) {
    // The sink checks no signature.
    let to_sink = client(
        sink,
        alioss::Credentials::new("test-key-id", "test-secret").expect("creds"),
    );
    let mut results = Vec::new();
    if curl {
        let url = format!("{sink}/{BUCKET}/{prefix}/curl");
        results.push(
            run_method(
                format!("curl -T → {server}"),
                rounds,
                size,
                None,
                "",
                || curl_put_url(&url, &[], path),
            )
            .await,
        );
    }
    let put_key = format!("{prefix}/put");
    results.push(
        run_method(
            format!("alioss put_object → {server}"),
            rounds,
            size,
            None,
            "",
            || put_from_path(&to_sink, path, &put_key),
        )
        .await,
    );
    let up3 = uploader_for(&to_sink, 3);
    let up3_key = format!("{prefix}/up3");
    results.push(
        run_method(
            format!("alioss Uploader(3) → {server}"),
            rounds,
            size,
            None,
            "",
            || upload_multipart(&up3, path, &up3_key),
        )
        .await,
    );
    (to_sink, results)
}

async fn bench() {
    let size = env_u64("UPLOAD_BENCH_MIB", 256) * 1024 * 1024;
    let rounds = env_u64("UPLOAD_BENCH_ROUNDS", 3).max(1);
    let dir = common::scratch_dir("UPLOAD_BENCH_DIR");
    let path = dir.path().join("upload-bench.bin");
    write_file(&path, size);
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "upload bench: {} MiB file, {rounds} rounds, {cpus} CPUs, load average {}",
        size >> 20,
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let curl = Path::new(CURL).exists();
    if !curl {
        println!("{CURL} is missing: skipping the curl comparisons");
    }
    // 1. Memory first, while the heap is fresh: an emulator with a directory store keeps no
    //    object in memory, so the growth of the peak RSS is the client's (plus the emulator's
    //    streaming buffers).
    {
        let store = common::scratch_dir("UPLOAD_BENCH_DIR");
        let emu = Emulator::builder()
            .config(EmulatorConfig::demo())
            .data_dir(store.path())
            .start()
            .await
            .expect("emulator");
        let oss = admin(&emu);
        let up8 = uploader_for(&oss, 8);
        let results = vec![
            run_method(
                "alioss put_object (from_path)",
                1,
                size,
                Some(&oss),
                "m/put",
                || put_from_path(&oss, &path, "m/put"),
            )
            .await,
            run_method(
                "alioss Uploader, 6 MiB parts, 8 in flight",
                1,
                size,
                Some(&oss),
                "m/up8",
                || upload_multipart(&up8, &path, "m/up8"),
            )
            .await,
        ];
        print_table(
            "memory check: emulator with a directory store (objects on disk), 1 round",
            &results,
        );
        emu.shutdown().await;
    }

    // 2. Throughput against the emulator's memory store: first with MD5 ETags as OSS computes
    //    them (MD5, ~0.5 GB/s on one core, caps every client), then with `fast_etags`, where the
    //    emulator only CRCs bodies and so is not what the benchmark measures.
    for fast_etags in [false, true] {
        let emu = start_emulator(fast_etags).await;
        let oss = admin(&emu);
        let mut results = Vec::new();
        if curl {
            results.push(
                run_method(
                    "curl -T (presigned PUT)",
                    rounds,
                    size,
                    Some(&oss),
                    "b/curl",
                    || curl_put(&oss, &path, "b/curl"),
                )
                .await,
            );
        }
        results.push(
            run_method(
                "alioss put_object (from_path)",
                rounds,
                size,
                Some(&oss),
                "b/put",
                || put_from_path(&oss, &path, "b/put"),
            )
            .await,
        );
        let up3 = uploader_for(&oss, 3);
        results.push(
            run_method(
                "alioss Uploader, 6 MiB parts, 3 in flight",
                rounds,
                size,
                Some(&oss),
                "b/up3",
                || upload_multipart(&up3, &path, "b/up3"),
            )
            .await,
        );
        let up8 = uploader_for(&oss, 8);
        results.push(
            run_method(
                "alioss Uploader, 6 MiB parts, 8 in flight",
                rounds,
                size,
                Some(&oss),
                "b/up8",
                || upload_multipart(&up8, &path, "b/up8"),
            )
            .await,
        );
        print_table(
            &format!(
                "throughput: emulator in-process, memory store, {} (the stored object counts in the RSS)",
                if fast_etags { "ETags from CRC-64 (--fast-etags: no MD5)" } else { "MD5 ETags (as OSS)" }
            ),
            &results,
        );
        if let (Some(c), Some(p)) = (
            median_of(&results, "curl"),
            median_of(&results, "alioss put"),
        ) {
            println!("ratio alioss put_object / curl: {:.2}", p / c);
        }
        if let (Some(c), Some(u)) = (
            median_of(&results, "curl"),
            median_of(&results, "alioss Uploader, 6 MiB parts, 3"),
        ) {
            println!("ratio alioss Uploader(3) / curl: {:.2}", u / c);
        }
        emu.shutdown().await;
    }

    // 3. Where the time goes: the same uploads into a server that only discards the body, and
    //    the per-byte work the emulator's handler does (MD5 + CRC-64 of every body).
    let sink = start_sink(false).await;
    let (to_sink, mut baseline) =
        sink_methods(&sink, "discard server", "s", curl, &path, rounds, size).await;
    let data = std::fs::read(&path).expect("read file");
    let in_memory = bytes::Bytes::from(data.clone());
    baseline.push(
        run_method(
            "alioss put_object, Bytes in memory → discard",
            rounds,
            size,
            None,
            "",
            || async {
                to_sink
                    .put_object(BUCKET, "s/bytes")
                    .body(in_memory.clone())
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            },
        )
        .await,
    );
    drop(in_memory);
    baseline.push(
        run_method(
            "alioss put_object, 1 MiB std::fs blocks → discard",
            rounds,
            size,
            None,
            "",
            || async {
                to_sink
                    .put_object(BUCKET, "s/blocks")
                    .body(big_chunk_body(&path, size, 1 << 20))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            },
        )
        .await,
    );
    print_table(
        "baseline: a server that discards the body (no emulator)",
        &baseline,
    );

    let hashing_sink = start_sink(true).await;
    let (_, hashed) = sink_methods(
        &hashing_sink,
        "MD5+CRC server",
        "h",
        curl,
        &path,
        rounds,
        size,
    )
    .await;
    print_table(
        "a server that only hashes the body (MD5 + CRC-64, as the emulator does)",
        &hashed,
    );

    let sample = &data[..data.len().min(64 << 20)];
    let md5 = gb_per_s(sample, |d| {
        use md5::Digest as _;
        std::hint::black_box(md5::Md5::digest(d));
    });
    let crc = gb_per_s(sample, |d| {
        std::hint::black_box(alioss::oss::crc64::checksum(d));
    });
    println!();
    println!(
        "per-byte work on one core (best of 3): MD5 {md5:.2} GB/s, CRC-64 {crc:.2} GB/s \
         (the emulator computes both for every body; the client only CRC-64)"
    );
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average at the end: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(bench());
}
