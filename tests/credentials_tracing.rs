//! Everything the credentials and STS code traces, at every level, is free of secrets, security
//! tokens and signatures.

mod support;

use std::time::Duration;

use alioss::credentials::{EnvironmentSource, ManualClock, ProvideCredentials};
use alioss::providers::{AssumeRoleCredentialsProvider, DefaultCredentialsChain};
use alioss::sts::{AssumeRoleRequest, RetryPolicy, StsClient};
use support::credentials::wait_for_refresh;
use support::sts::{user_credentials_with_token, MockSts, ROLE_ARN, USER_KEY_SECRET};
use support::trace::Capture;

#[tokio::test(flavor = "current_thread")]
async fn traces_carry_no_secrets_tokens_or_signatures() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());

    let sts = MockSts::start().await;
    // A retried error, then success, through the refreshing AssumeRole provider.
    sts.script(503, r#"{"Code":"ServiceUnavailable","Message":"busy"}"#);
    let source = user_credentials_with_token("traced-source-token");
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let client = StsClient::builder()
        .endpoint(&sts.endpoint)
        .credentials(source)
        .clock(clock.clock())
        .retry_policy(
            RetryPolicy::standard()
                .with_max_attempts(3)
                .with_base_delay(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let request = AssumeRoleRequest::builder()
        .role_arn(ROLE_ARN)
        .role_session_name("traced")
        .build()
        .unwrap();
    let provider = AssumeRoleCredentialsProvider::new(client, request);
    let c = provider.provide_credentials().await.unwrap();
    // A failing background refresh (traced as a warning).
    sts.script(403, r#"{"Code":"NoPermission","Message":"nope"}"#);
    clock.advance(Duration::from_secs(3500));
    provider.provide_credentials().await.unwrap();
    wait_for_refresh(provider.cache()).await;
    // The chain, with environment credentials.
    let chain = DefaultCredentialsChain::builder()
        .env(EnvironmentSource::from_map([
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "chain-id"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "chain-secret-value"),
            ("ALIBABA_CLOUD_SECURITY_TOKEN", "chain-token-value"),
        ]))
        .build();
    chain.provide_credentials().await.unwrap();

    let out = capture.output();
    assert!(
        out.contains("sts.assume_role") && out.contains("credentials.refresh"),
        "{out}"
    );
    assert!(
        out.contains("retrying") && out.contains("refresh failed"),
        "{out}"
    );
    let signatures: Vec<String> = sts
        .seen()
        .iter()
        .filter_map(|s| s.query.get("Signature").cloned())
        .collect();
    assert_eq!(signatures.len(), 3);
    let mut forbidden = vec![
        USER_KEY_SECRET.to_owned(),
        "traced-source-token".to_owned(),
        c.access_key_secret().to_owned(),
        c.security_token().unwrap().to_owned(),
        "chain-secret-value".to_owned(),
        "chain-token-value".to_owned(),
    ];
    forbidden.extend(signatures);
    for secret in forbidden {
        assert!(
            !out.contains(&secret),
            "{secret} appeared in traces:\n{out}"
        );
    }
}
