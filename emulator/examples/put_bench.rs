//! Throughput of a large PutObject into the emulator's memory store, signed with alioss's V4
//! signer and sent with reqwest from the same process.
//!
//! `cargo run --release -p alioss-emulator --example put_bench [-- SIZE_MIB]` (default 256).

use std::time::Instant;

use alioss::oss::signer::{SignableRequest, V4Signer};
use alioss_emulator::{demo, Emulator, EmulatorConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mib: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(256);
    let emu = Emulator::start(EmulatorConfig::demo()).await?;
    let creds = emu.root_credentials();
    let body = bytes::Bytes::from(vec![0x5au8; mib * 1024 * 1024]);
    let client = reqwest::Client::new();
    for round in 1..=3 {
        let key = format!("bench/{round}");
        let mut req = SignableRequest::new("PUT", Some(demo::BUCKET), Some(&key));
        V4Signer::new(demo::REGION)?.sign_headers(&mut req, &creds, emu.clock().now())?;
        let mut b = client.put(format!("{}/{}/{key}", emu.endpoint(), demo::BUCKET));
        for (k, v) in &req.headers {
            b = b.header(k, v);
        }
        let start = Instant::now();
        let resp = b.body(body.clone()).send().await?;
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(resp.status(), 200, "{}", resp.text().await?);
        println!(
            "round {round}: PutObject {mib} MiB in {secs:.3} s = {:.0} MB/s",
            (mib * 1024 * 1024) as f64 / secs / 1e6
        );
    }
    emu.shutdown().await;
    Ok(())
}
