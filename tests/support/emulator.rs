//! The local emulator (`alioss-emulator`) for integration tests: starting it with the demo
//! configuration, and OSS and STS clients pointed at it.

use std::time::Duration;

use alioss::credentials::{Clock, Credentials, StaticCredentialsProvider};
use alioss::oss::{Body, Client, PutObjectOutput, RetryPolicy};
use alioss::sts::{AssumeRoleRequest, StsClient};
use alioss_emulator::{Emulator, EmulatorConfig, EmulatorHandle};

/// The demo configuration's bucket.
pub const BUCKET: &str = "examplebucket";

/// An emulator on 127.0.0.1:0 with the demo configuration.
pub async fn start() -> EmulatorHandle {
    Emulator::start(EmulatorConfig::demo()).await.unwrap()
}

/// Standard retries with short delays (5 ms base, 50 ms at most).
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::standard()
        .with_base_delay(Duration::from_millis(5))
        .with_max_backoff(Duration::from_millis(50))
}

/// An OSS client of the emulator in cn-hangzhou with `creds` and `retry`.
pub fn client_with(emu: &EmulatorHandle, creds: Credentials, retry: RetryPolicy) -> Client {
    Client::builder()
        .region("cn-hangzhou")
        .endpoint(emu.endpoint())
        .credentials(StaticCredentialsProvider::new(creds))
        .retry_policy(retry)
        .build()
        .unwrap()
}

/// An OSS client of the emulator with the RAM user `admin`'s keys and fast retries.
pub fn admin(emu: &EmulatorHandle) -> Client {
    client_with(emu, emu.user_credentials("admin").unwrap(), fast_retries())
}

/// An STS client of the emulator with the RAM user `uploader`'s keys, on the emulator's clock.
pub fn sts_client(emu: &EmulatorHandle) -> StsClient {
    let server_clock = emu.clock().clone();
    StsClient::builder()
        .endpoint(emu.endpoint())
        .credentials(StaticCredentialsProvider::new(
            emu.user_credentials("uploader").unwrap(),
        ))
        .clock(Clock::from_fn(move || server_clock.now()))
        .build()
        .unwrap()
}

/// Temporary credentials from AssumeRole on the demo role `role` (through [`sts_client`]),
/// for `secs` seconds, with `policy` as the session policy if given.
pub async fn assume_role(
    emu: &EmulatorHandle,
    role: &str,
    session_name: &str,
    policy: Option<&str>,
    secs: u64,
) -> Credentials {
    let mut b = AssumeRoleRequest::builder()
        .role_arn(emu.role_arn(role).unwrap())
        .role_session_name(session_name)
        .duration_seconds(secs);
    if let Some(p) = policy {
        b = b.policy_json(p);
    }
    sts_client(emu)
        .assume_role(b.build().unwrap())
        .await
        .unwrap()
        .credentials
}

/// Writes `body` to object `key` in [`BUCKET`] with `oss` (a plain PutObject that must succeed).
pub async fn put_body(oss: &Client, key: &str, body: impl Into<Body>) -> PutObjectOutput {
    oss.put_object(BUCKET, key).body(body).send().await.unwrap()
}

/// The bytes of object `key` in [`BUCKET`], read with `oss`.
pub async fn get_bytes(oss: &Client, key: &str) -> Vec<u8> {
    get_bytes_in(oss, BUCKET, key).await
}

/// The bytes of object `key` in `bucket`, read with `oss`.
pub async fn get_bytes_in(oss: &Client, bucket: &str, key: &str) -> Vec<u8> {
    oss.get_object(bucket, key)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec()
}
