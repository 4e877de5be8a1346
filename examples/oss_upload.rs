//! Upload a file to OSS every way the scenario names (simple, append, multipart) and share it
//! with a presigned URL.
//!
//! Credentials come from the environment (`OSS_ACCESS_KEY_ID`, `OSS_ACCESS_KEY_SECRET`, and
//! `OSS_SESSION_TOKEN` for temporary STS credentials). Against the local emulator:
//!
//! ```text
//! cargo run -p alioss-emulator -- --listen 127.0.0.1:9000 &
//! OSS_ACCESS_KEY_ID=demo-admin-key-id OSS_ACCESS_KEY_SECRET=demo-admin-key-secret \
//!   cargo run --example oss_upload -- http://127.0.0.1:9000 examplebucket Cargo.toml
//! ```

use std::time::Duration;

use alioss::credentials::EnvironmentCredentialsProvider;
use alioss::oss::WithObjectOptions as _;
use alioss::oss::{self, Body, StorageClass};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(endpoint), Some(bucket), Some(path)) = (args.next(), args.next(), args.next()) else {
        eprintln!("usage: oss_upload <endpoint> <bucket> <file>");
        std::process::exit(2);
    };
    let region = std::env::var("OSS_REGION").unwrap_or_else(|_| "cn-hangzhou".to_owned());
    let client = oss::Client::builder()
        .region(region)
        .endpoint(endpoint)
        .credentials(EnvironmentCredentialsProvider::new())
        .build()?;
    let name = std::path::Path::new(&path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("upload.bin")
        .to_owned();

    // Simple upload, streamed from disk; CRC-64 checked end to end.
    let key = format!("src/{name}");
    let put = client
        .put_object(&bucket, &key)
        .body(Body::from_path(&path).await?)
        .storage_class(StorageClass::Standard)
        .metadata("uploaded-by", "oss-upload-example")
        .send()
        .await?;
    println!("put {key}: etag {:?}, crc64 {:?}", put.etag, put.crc64);

    // Append upload: the appender tracks the position and the running CRC.
    let mut appender = client.appender(&bucket, format!("src/{name}.log")).await?;
    appender.append("first line\n").await?;
    appender.append("second line\n").await?;
    println!("appended, next position {}", appender.position());

    // Multipart upload in 100 KiB parts, each streamed from its range of the file.
    let size = tokio::fs::metadata(&path).await?.len();
    let part_size = 100 * 1024;
    let mp_key = format!("src/{name}.multipart");
    let upload = client.multipart_upload(&bucket, &mp_key).initiate().await?;
    let mut parts = Vec::new();
    let mut offset = 0;
    let mut number = 1;
    while offset < size || number == 1 {
        let len = part_size.min(size - offset);
        let body = Body::from_file_range(&path, offset, len).await?;
        parts.push(upload.upload_part(number, body).send().await?);
        offset += len;
        number += 1;
    }
    let done = upload.complete(&parts).send().await?;
    println!(
        "multipart {mp_key}: {} parts, crc64 {:?}",
        parts.len(),
        done.crc64
    );

    // Share for ten minutes (the URL is a bearer secret: print it only to whom it is for).
    let url = client
        .presign_get(&bucket, &key, Duration::from_secs(600))
        .await?;
    println!("download for 10 minutes: {}", url.url());
    Ok(())
}
