//! OSS as an `object_store::ObjectStore`, the way DataFusion, Polars, delta-rs or Lance take
//! storage: the organisation's server narrows a RAM role to one prefix with a session policy,
//! the data tool gets a store whose STS credentials renew themselves, and everything after that
//! goes through the `ObjectStore` trait only.
//!
//! Runs against an embedded emulator (no network, no cloud account):
//!
//! ```text
//! cargo run --example object_store --features object-store-0-14
//! ```
//!
//! With DataFusion the store is registered once, then tables are read by URL:
//!
//! ```text
//! ctx.register_object_store(&Url::parse("oss://examplebucket")?, store);
//! ctx.register_csv("sales", "oss://examplebucket/lake/sales/", CsvReadOptions::new()).await?;
//! ```

use std::sync::Arc;

use alioss::credentials::{Clock, StaticCredentialsProvider};
use alioss::object_store::v0_14::OssStore;
use alioss::oss;
use alioss::providers::AssumeRoleCredentialsProvider;
use alioss::sts::{AssumeRoleRequest, StsClient};
use alioss_emulator::{demo, Emulator, EmulatorConfig, EmulatorHandle};
use futures_util::TryStreamExt as _;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt as _, PutPayload, WriteMultipart};
use object_store_0_14 as object_store;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The session policy: read, write, list and delete under `lake/` only.
const LAKE_POLICY: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetObject","oss:PutObject","oss:DeleteObject","oss:AbortMultipartUpload","oss:ListParts"],"Resource":["acs:oss:*:*:examplebucket/lake/*"]},{"Effect":"Allow","Action":["oss:ListObjects"],"Resource":["acs:oss:*:*:examplebucket"],"Condition":{"StringLike":{"oss:Prefix":["lake/*"]}}}]}"#;

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("object_store example failed: {e}");
        std::process::exit(1);
    }
}

/// Starts the emulator, runs the example against it, stops it.
pub async fn run() -> Result<(), BoxError> {
    let emu = Emulator::start(EmulatorConfig::demo()).await?;
    let outcome = with_emulator(&emu).await;
    emu.shutdown().await;
    outcome
}

/// A store on `examplebucket/lake/` with self-refreshing STS credentials.
fn lake_store(emu: &EmulatorHandle) -> Result<Arc<dyn ObjectStore>, BoxError> {
    let clock = emu.clock().clone();
    let emulator_time = Clock::from_fn(move || clock.now());
    // The organisation's server: its RAM user's keys, AssumeRole with the session policy.
    let sts = StsClient::builder()
        .endpoint(emu.endpoint())
        .credentials(StaticCredentialsProvider::new(alioss::Credentials::new(
            demo::USER_KEY_ID,
            demo::USER_KEY_SECRET,
        )?))
        .clock(emulator_time.clone())
        .build()?;
    let request = AssumeRoleRequest::builder()
        .role_arn(demo::READER_ROLE_ARN)
        .role_session_name("analytics-job")
        .duration_seconds(900)
        .policy_json(LAKE_POLICY)
        .build()?;
    let provider = AssumeRoleCredentialsProvider::builder(sts, request)
        .clock(emulator_time)
        .build();
    let client = oss::Client::builder()
        .region(demo::REGION)
        .endpoint(emu.endpoint())
        .credentials(provider)
        .build()?;
    Ok(Arc::new(
        OssStore::new(client, demo::BUCKET)?.with_prefix("lake")?,
    ))
}

async fn with_emulator(emu: &EmulatorHandle) -> Result<(), BoxError> {
    let store = lake_store(emu)?;
    println!("store: {store}");

    // Write: small files with one PUT, a large one as a multipart upload (parts in parallel).
    for (day, rows) in [("2026-11-29", 3), ("2026-11-30", 5)] {
        let mut csv = String::from("id,amount\n");
        for i in 0..rows {
            csv.push_str(&format!("{i},{}\n", i * 10));
        }
        let path = Path::from(format!("sales/day={day}/part-0.csv"));
        store.put(&path, PutPayload::from(csv)).await?;
    }
    let big = Path::from("events/big.bin");
    let upload = store.put_multipart(&big).await?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, 256 * 1024);
    for block in 0..8u8 {
        writer.write(&vec![block; 128 * 1024]);
    }
    writer.finish().await?;

    // List, like a query engine discovering a table's partitions and files.
    let listing = store
        .list_with_delimiter(Some(&Path::from("sales")))
        .await?;
    let partitions: Vec<String> = listing
        .common_prefixes
        .iter()
        .map(ToString::to_string)
        .collect();
    println!("partitions: {partitions:?}");
    let files: Vec<_> = store.list(None).try_collect().await?;
    for f in &files {
        println!("  {} ({} bytes)", f.location, f.size);
    }
    if files.len() != 3 || partitions.len() != 2 {
        return Err(format!("expected 3 files in 2 partitions, got {files:?}").into());
    }

    // Read: a whole file, and a range of the big one (as a Parquet reader reads a footer).
    let day = store
        .get(&Path::from("sales/day=2026-11-30/part-0.csv"))
        .await?
        .bytes()
        .await?;
    println!(
        "sales/day=2026-11-30: {} rows",
        day.split(|b| *b == b'\n').count() - 2
    );
    let tail = store.get_range(&big, 1024 * 1024 - 4..1024 * 1024).await?;
    if tail.as_ref() != [7u8; 4] {
        return Err("the tail of the multipart object is wrong".into());
    }

    println!("object_store example: wrote, listed and read through the ObjectStore trait");
    Ok(())
}
