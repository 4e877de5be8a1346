//! AssumeRole against the local emulator: the credentials it returns work for OSS within the
//! session policy, and stop working once they expire (the emulator's clock is moved, nothing
//! sleeps).

use std::sync::Arc;
use std::time::Duration;

use alioss::credentials::{Clock, ProvideCredentials, StaticCredentialsProvider};
use alioss::oss::{self, RetryPolicy};
use alioss::policy::{oss_object, Policy};
use alioss::providers::AssumeRoleCredentialsProvider;
use alioss::sts::{AssumeRoleRequest, StsClient};
use alioss_emulator::{demo, Emulator, EmulatorConfig, EmulatorHandle, Fault};

/// The emulator's clock, for the STS client, the credentials cache and the OSS client alike.
fn emulator_clock(emu: &EmulatorHandle) -> Clock {
    let c = emu.clock().clone();
    Clock::from_fn(move || c.now())
}

fn sts_client(emu: &EmulatorHandle, user: &str) -> StsClient {
    StsClient::builder()
        .endpoint(emu.endpoint())
        .credentials(emu.user_credentials(user).unwrap())
        .clock(emulator_clock(emu))
        .retry_policy(
            RetryPolicy::standard()
                .with_base_delay(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(5)),
        )
        .build()
        .unwrap()
}

fn upload_request(duration: Duration) -> AssumeRoleRequest {
    let policy = Policy::builder()
        .allow(["oss:PutObject"], [oss_object(demo::BUCKET, "src/*")])
        .build()
        .unwrap();
    AssumeRoleRequest::builder()
        .role_arn(demo::ROLE_ARN)
        .role_session_name("supplier-42")
        .duration(duration)
        .policy(policy)
        .build()
        .unwrap()
}

fn oss_client(
    emu: &EmulatorHandle,
    creds: impl alioss::ProvideCredentials + 'static,
) -> oss::Client {
    oss::Client::builder()
        .region(demo::REGION)
        .endpoint(emu.endpoint())
        .credentials(creds)
        .clock(emulator_clock(emu))
        .retry_policy(RetryPolicy::no_retries())
        .build()
        .unwrap()
}

#[tokio::test]
async fn assumed_role_credentials_work_within_the_session_policy_and_expire() {
    let emu = Emulator::start(EmulatorConfig::demo()).await.unwrap();
    let sts = sts_client(&emu, demo::USER_NAME);
    let out = sts
        .assume_role(upload_request(Duration::from_secs(900)))
        .await
        .unwrap();
    let creds = out.credentials.clone();
    assert!(creds.access_key_id().starts_with("STS."), "{creds:?}");
    assert!(creds.security_token().is_some());
    let expires_in = creds.expiration().unwrap() - emu.clock().now();
    assert!(
        (895..=900).contains(&expires_in.whole_seconds()),
        "{expires_in}"
    );
    assert!(
        out.assumed_role_user.arn.ends_with("supplier-42"),
        "{:?}",
        out.assumed_role_user
    );
    assert!(!out.request_id.is_empty());

    let oss = oss_client(&emu, StaticCredentialsProvider::new(creds));
    oss.put_object(demo::BUCKET, "src/data.csv")
        .body("a,b\n1,2\n")
        .send()
        .await
        .unwrap();
    // The session policy narrows the role: outside src/ is refused, and so is reading.
    let e = oss
        .put_object(demo::BUCKET, "other/data.csv")
        .body("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("AccessDenied"), "{e}");
    let e = oss
        .get_object(demo::BUCKET, "src/data.csv")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("AccessDenied"), "{e}");

    // After Expiration the same credentials stop working.
    emu.clock().advance(Duration::from_secs(901));
    let e = oss
        .put_object(demo::BUCKET, "src/late.csv")
        .body("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.as_service().map(|s| s.status), Some(403), "{e}");
    emu.shutdown().await;
}

#[tokio::test]
async fn the_refreshing_provider_keeps_uploads_working_across_expiry() {
    let emu = Emulator::start(EmulatorConfig::demo()).await.unwrap();
    let provider = Arc::new(AssumeRoleCredentialsProvider::new(
        sts_client(&emu, demo::USER_NAME),
        upload_request(Duration::from_secs(900)),
    ));
    let oss = oss_client(&emu, provider.clone());
    oss.put_object(demo::BUCKET, "src/1.csv")
        .body("1")
        .send()
        .await
        .unwrap();
    let first = provider.provide_credentials().await.unwrap();
    // Past the first credentials' expiry: the provider fetches new ones, uploads go on.
    emu.clock().advance(Duration::from_secs(901));
    oss.put_object(demo::BUCKET, "src/2.csv")
        .body("2")
        .send()
        .await
        .unwrap();
    let second = provider.provide_credentials().await.unwrap();
    assert_ne!(first.access_key_id(), second.access_key_id());
    emu.shutdown().await;
}

#[tokio::test]
async fn the_emulator_refuses_the_scenarios_known_mistakes_with_hints() {
    let emu = Emulator::start(EmulatorConfig::demo()).await.unwrap();
    // The root account's AccessKey.
    let root = StsClient::builder()
        .endpoint(emu.endpoint())
        .credentials(emu.root_credentials())
        .clock(emulator_clock(&emu))
        .build()
        .unwrap();
    let e = root
        .assume_role(upload_request(Duration::from_secs(900)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("NoPermission"), "{e}");
    assert!(e.to_string().contains("AliyunSTSAssumeRoleAccess"), "{e}");

    // Longer than the role's maximum (3600 s for RamOssTest) but within 900..43200.
    let sts = sts_client(&emu, demo::USER_NAME);
    let e = sts
        .assume_role(upload_request(Duration::from_secs(7200)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidParameter.DurationSeconds"), "{e}");
    assert!(e
        .as_service()
        .unwrap()
        .hint
        .as_deref()
        .unwrap()
        .contains("maximum"));

    // Injected server errors are retried.
    emu.faults().push(
        Fault::fail_next(2)
            .operation("AssumeRole")
            .status(503)
            .code("ServiceUnavailable"),
    );
    sts.assume_role(upload_request(Duration::from_secs(900)))
        .await
        .unwrap();
    emu.faults().push(
        Fault::fail_next(3)
            .operation("AssumeRole")
            .status(503)
            .code("ServiceUnavailable"),
    );
    let e = sts
        .assume_role(upload_request(Duration::from_secs(900)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ServiceUnavailable"), "{e}");
    emu.shutdown().await;
}
