//! The partner's uploader: credentials from the organisation's token-vending URL, one file
//! uploaded into `examplebucket/src/`, and an end-to-end CRC-64 check.
//!
//! The partner never sees the organisation's AccessKey. It asks the token-vending service (the
//! `sts_server` example) for temporary credentials with
//! [`alioss::providers::UrlCredentialsProvider`], which fetches them again before they expire,
//! and uploads: files of 512 KiB and more with the crate's [`alioss::oss::Uploader`] (a
//! multipart upload of 256 KiB parts streamed from disk, four at a time, resumable with
//! `--checkpoint-dir`), smaller files with one PutObject streamed from disk
//! (`Body::from_path`). It prints the ETag and the CRC-64 OSS computed, checks the CRC-64
//! against the one computed locally, then reads the object back and checks it again.
//!
//! # Running it
//!
//! With no arguments it needs no cloud account: it generates a 1 MiB file, starts the STS + OSS
//! emulator and a token-vending endpoint in-process, uploads, and reads the object back with the
//! emulator's `admin` user (the vended credentials may only upload):
//!
//! ```text
//! cargo run --example upload
//! cargo run --example upload -- path/to/file.csv
//! ```
//!
//! Against a running token-vending service (for example `sts_server` configured for Alibaba
//! Cloud) and the bucket's region:
//!
//! ```text
//! cargo run --example upload -- data.csv --vending-url http://127.0.0.1:8000/sts \
//!     --region cn-hangzhou --bucket examplebucket
//! ```
//!
//! Options: `--vending-url URL` (or `ALIBABA_CLOUD_CREDENTIALS_URI`), `--region`
//! (default `cn-hangzhou`), `--endpoint` (default: the region's public endpoint), `--bucket`
//! (default `examplebucket`), `--key` (default `src/<file name>`), `--checkpoint-dir DIR`
//! (makes a multipart upload resumable: run the same command again after a failure). With a
//! vending URL the object is read back only if credentials allowed to read it are in the
//! environment (`OSS_ACCESS_KEY_ID`, `OSS_ACCESS_KEY_SECRET`); otherwise the CRC-64 OSS
//! reported for the upload is the check.
//!
//! Exits non-zero if anything fails or a checksum differs. Nothing here prints a secret or a
//! security token; only key ids and expirations.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use alioss::credentials::{
    EnvironmentCredentialsProvider, ProvideCredentials, StaticCredentialsProvider,
};
use alioss::oss::{self, crc64::Crc64, Body, Uploader};
use alioss::policy::{actions, oss_object, Policy};
use alioss::providers::{UrlCredentialsProvider, CREDENTIALS_URI_VAR};
use alioss::sts::{AssumeRoleRequest, StsClient};
use alioss_emulator::{demo, Emulator, EmulatorConfig, EmulatorHandle};
use futures_util::stream::StreamExt as _;
use tokio::io::AsyncReadExt as _;

/// What every step returns on failure.
type BoxError = Box<dyn Error + Send + Sync>;

/// Files at least this large are uploaded in parts.
const MULTIPART_THRESHOLD: u64 = 512 * 1024;
/// The size of every part but the last (OSS requires at least 100 KiB); the uploader makes
/// parts bigger when a file would need more than 10,000.
const PART_SIZE: u64 = 256 * 1024;
/// How many parts are uploaded at once.
const PARTS_IN_FLIGHT: usize = 4;
/// The size of the file generated when none is given.
const GENERATED_SIZE: usize = 1024 * 1024;

#[tokio::main]
async fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // The variable the crate's credentials chain reads, honoured unless --vending-url is given.
    if let Some(url) = std::env::var(CREDENTIALS_URI_VAR)
        .ok()
        .filter(|v| !v.is_empty())
    {
        if !args.iter().any(|a| a == "--vending-url") {
            args.extend(["--vending-url".to_owned(), url]);
        }
    }
    if let Err(e) = run(args).await {
        eprintln!("upload failed: {e}");
        std::process::exit(1);
    }
}

/// The command line.
#[derive(Debug, Default)]
struct Options {
    file: Option<PathBuf>,
    vending_url: Option<String>,
    region: Option<String>,
    endpoint: Option<String>,
    bucket: Option<String>,
    key: Option<String>,
    checkpoint_dir: Option<PathBuf>,
}

impl Options {
    fn parse(args: Vec<String>) -> Result<Self, BoxError> {
        let mut o = Options::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let mut value = |name: &str| {
                args.next()
                    .ok_or_else(|| BoxError::from(format!("{name} needs a value")))
            };
            match arg.as_str() {
                "--vending-url" => o.vending_url = Some(value("--vending-url")?),
                "--region" => o.region = Some(value("--region")?),
                "--endpoint" => o.endpoint = Some(value("--endpoint")?),
                "--bucket" => o.bucket = Some(value("--bucket")?),
                "--key" => o.key = Some(value("--key")?),
                "--checkpoint-dir" => {
                    o.checkpoint_dir = Some(PathBuf::from(value("--checkpoint-dir")?))
                }
                flag if flag.starts_with("--") => {
                    return Err(format!("unknown option {flag}").into())
                }
                _ if o.file.is_none() => o.file = Some(PathBuf::from(arg)),
                _ => return Err(format!("unexpected argument {arg:?}").into()),
            }
        }
        Ok(o)
    }
}

/// Uploads the file named in `args` (or a generated one) and checks it; see the module docs.
pub async fn run(args: Vec<String>) -> Result<(), BoxError> {
    let options = Options::parse(args)?;

    // The file: the one given, or 1 MiB of random bytes in a temporary file.
    let generated;
    let path = match &options.file {
        Some(p) => p.clone(),
        None => {
            generated = tempfile::Builder::new()
                .prefix("alioss-upload-")
                .suffix(".bin")
                .tempfile()?;
            let data: Vec<u8> = std::iter::repeat_with(|| fastrand::u8(..))
                .take(GENERATED_SIZE)
                .collect();
            tokio::fs::write(generated.path(), &data).await?;
            println!("generated a {} KiB file to upload", GENERATED_SIZE / 1024);
            generated.path().to_path_buf()
        }
    };
    let bucket = options
        .bucket
        .clone()
        .unwrap_or_else(|| demo::BUCKET.to_owned());
    let key = match &options.key {
        Some(k) => k.clone(),
        None if options.file.is_none() => "src/upload-demo.bin".to_owned(),
        None => {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or("the file name is not valid UTF-8: give --key")?;
            format!("src/{name}")
        }
    };

    match options.vending_url.clone() {
        Some(url) => {
            let region = options
                .region
                .clone()
                .unwrap_or_else(|| demo::REGION.to_owned());
            let mut builder = oss::Client::builder()
                .region(&region)
                .credentials(UrlCredentialsProvider::builder(&url).build()?);
            if let Some(e) = &options.endpoint {
                builder = builder.endpoint(e);
            }
            let client = builder.build()?;
            let local_crc = upload(
                &client,
                &path,
                &bucket,
                &key,
                options.checkpoint_dir.as_deref(),
            )
            .await?;
            match EnvironmentCredentialsProvider::new().credentials() {
                Ok(reader) => {
                    let mut builder = oss::Client::builder()
                        .region(&region)
                        .credentials(StaticCredentialsProvider::new(reader));
                    if let Some(e) = &options.endpoint {
                        builder = builder.endpoint(e);
                    }
                    read_back(&builder.build()?, &bucket, &key, local_crc).await?;
                }
                Err(e) if e.is_not_configured() => println!(
                    "no reading credentials in the environment: the CRC-64 OSS reported for the upload was the check"
                ),
                Err(e) => return Err(e.into()),
            }
        }
        None => {
            let emu = Emulator::start(EmulatorConfig::demo()).await?;
            println!("emulator (STS + OSS) listening on {}", emu.endpoint());
            let outcome = upload_to_emulator(
                &emu,
                &path,
                &bucket,
                &key,
                options.checkpoint_dir.as_deref(),
            )
            .await;
            emu.shutdown().await;
            outcome?;
        }
    }
    println!("upload: ok");
    Ok(())
}

/// The local run: a token-vending endpoint in-process, the upload, a read-back as `admin`.
async fn upload_to_emulator(
    emu: &EmulatorHandle,
    path: &Path,
    bucket: &str,
    key: &str,
    checkpoint_dir: Option<&Path>,
) -> Result<(), BoxError> {
    let (url, stop_vending) = start_vending_endpoint(emu, bucket).await?;
    let outcome = async {
        let provider = UrlCredentialsProvider::builder(&url).build()?;
        let creds = provider.provide_credentials().await?;
        println!(
            "credentials from {url}: key id {}, expires {}",
            creds.access_key_id(),
            creds
                .expiration()
                .map(alioss::sts::signer::format_timestamp)
                .unwrap_or_default()
        );
        let client = oss::Client::builder()
            .region(demo::REGION)
            .endpoint(emu.endpoint())
            .addressing_style(oss::AddressingStyle::PathStyle)
            .credentials(provider)
            .build()?;
        let local_crc = upload(&client, path, bucket, key, checkpoint_dir).await?;

        let admin = emu
            .user_credentials(demo::ADMIN_NAME)
            .ok_or("the demo configuration has no RAM user `admin`")?;
        let reader = oss::Client::builder()
            .region(demo::REGION)
            .endpoint(emu.endpoint())
            .addressing_style(oss::AddressingStyle::PathStyle)
            .credentials(StaticCredentialsProvider::new(admin))
            .build()?;
        read_back(&reader, bucket, key, local_crc).await
    }
    .await;
    let _ = stop_vending.send(());
    outcome
}

/// A minimal token-vending endpoint (see the `sts_server` example for the full one): `GET /sts`
/// answers credentials of `RamOssTest` narrowed to uploads under `src/`. Returns its URL and a
/// sender that stops it.
async fn start_vending_endpoint(
    emu: &EmulatorHandle,
    bucket: &str,
) -> Result<(String, tokio::sync::oneshot::Sender<()>), BoxError> {
    let caller = emu
        .user_credentials(demo::USER_NAME)
        .ok_or("the demo configuration has no RAM user `uploader`")?;
    let role_arn = emu
        .role_arn(demo::ROLE_NAME)
        .ok_or("the demo configuration has no role `RamOssTest`")?;
    let sts = StsClient::builder()
        .endpoint(emu.endpoint())
        .credentials(StaticCredentialsProvider::new(caller))
        .build()?;
    let policy = Policy::builder()
        .allow([actions::PUT_OBJECT], [oss_object(bucket, "src/*")])
        .build()?;
    let request = AssumeRoleRequest::builder()
        .role_arn(role_arn)
        .role_session_name("supplier-42")
        .duration(Duration::from_secs(900))
        .policy(&policy)
        .build()?;
    let vending = Arc::new((sts, request));
    let app = axum::Router::new().route(
        "/sts",
        axum::routing::get(move || {
            let vending = vending.clone();
            async move {
                use axum::http::StatusCode;
                match vending.0.assume_role(&vending.1).await {
                    Ok(out) => {
                        let c = out.credentials;
                        let body = serde_json::json!({
                            "AccessKeyId": c.access_key_id(),
                            "AccessKeySecret": c.access_key_secret(),
                            "SecurityToken": c.security_token().unwrap_or_default(),
                            "Expiration": c.expiration().map(alioss::sts::signer::format_timestamp),
                        });
                        (StatusCode::OK, body.to_string())
                    }
                    Err(e) => (StatusCode::BAD_REQUEST, e.to_string()),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/sts", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
        if let Err(e) = served {
            eprintln!("token-vending endpoint stopped: {e}");
        }
    });
    println!("token-vending endpoint listening on {url}");
    Ok((url, stop))
}

/// The CRC-64 of a file, streamed.
async fn file_crc64(path: &Path) -> Result<u64, BoxError> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut crc = Crc64::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            return Ok(crc.value());
        }
        crc.update(&buf[..n]);
    }
}

/// Uploads `path` to `bucket`/`key` and checks the CRC-64 OSS reports; returns the local CRC-64.
async fn upload(
    client: &oss::Client,
    path: &Path,
    bucket: &str,
    key: &str,
    checkpoint_dir: Option<&Path>,
) -> Result<u64, BoxError> {
    let size = tokio::fs::metadata(path).await?.len();
    let local_crc = file_crc64(path).await?;
    let started = Instant::now();
    let (etag, server_crc) = if size >= MULTIPART_THRESHOLD {
        multipart_upload(client, path, bucket, key, checkpoint_dir).await?
    } else {
        let put = client
            .put_object(bucket, key)
            .body(Body::from_path(path).await?)
            .send()
            .await?;
        println!("PutObject {key}: {size} bytes streamed from disk");
        (put.etag, put.crc64)
    };
    println!(
        "uploaded {bucket}/{key} in {} ms: etag {}, crc64 {} (local {local_crc})",
        started.elapsed().as_millis(),
        etag.as_deref().unwrap_or("-"),
        server_crc.map_or_else(|| "-".to_owned(), |c| c.to_string()),
    );
    if server_crc != Some(local_crc) {
        return Err(format!(
            "OSS reported CRC-64 {server_crc:?} for the upload, the file's is {local_crc}"
        )
        .into());
    }
    Ok(local_crc)
}

/// A multipart upload with the crate's [`Uploader`]: parts streamed from disk,
/// [`PARTS_IN_FLIGHT`] at a time, progress printed, CRC-64 checked end to end, aborted on
/// failure — or, with a checkpoint directory, left in place to resume on the next run.
async fn multipart_upload(
    client: &oss::Client,
    path: &Path,
    bucket: &str,
    key: &str,
    checkpoint_dir: Option<&Path>,
) -> Result<(Option<String>, Option<u64>), BoxError> {
    let mut builder = Uploader::builder(client.clone())
        .part_size(PART_SIZE)
        .parallelism(PARTS_IN_FLIGHT)
        .on_progress(|p| {
            println!(
                "  part {}/{} done: {}/{} bytes",
                p.parts_done, p.parts_total, p.bytes_done, p.total_bytes
            )
        });
    if let Some(dir) = checkpoint_dir {
        builder = builder.checkpoint_dir(dir);
    }
    let out = builder
        .build()?
        .upload_file(bucket, key, path)
        .send()
        .await?;
    println!(
        "multipart upload of {key}: {} parts of {} bytes, {} uploaded by this run{}",
        out.parts,
        out.part_size,
        out.parts_uploaded,
        if out.resumed() {
            " (resumed from a checkpoint)"
        } else {
            ""
        }
    );
    Ok((out.etag, out.crc64))
}

/// Downloads `bucket`/`key` and checks its CRC-64, as computed here and as OSS reports it.
async fn read_back(
    reader: &oss::Client,
    bucket: &str,
    key: &str,
    expected: u64,
) -> Result<(), BoxError> {
    let object = reader.get_object(bucket, key).send().await?;
    let reported = object.crc64;
    let mut body = object.into_stream();
    let (mut crc, mut len) = (Crc64::new(), 0u64);
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        len += chunk.len() as u64;
        crc.update(&chunk);
    }
    println!(
        "GetObject {key}: {len} bytes, crc64 {} (reported {})",
        crc.value(),
        reported.map_or_else(|| "-".to_owned(), |c| c.to_string())
    );
    if crc.value() != expected || reported.is_some_and(|r| r != expected) {
        return Err(format!(
            "the object read back does not match: CRC-64 {}",
            crc.value()
        )
        .into());
    }
    Ok(())
}
