//! StsClient::assume_role against an in-test STS that verifies the RPC signature.

mod support;

use std::sync::Arc;
use std::time::Duration;

use alioss::credentials::{Credentials, ManualClock, ProvideCredentials};
use alioss::providers::AssumeRoleCredentialsProvider;
use alioss::sts::{
    AssumeRoleRequest, AssumeRoleWithOidcRequest, NonceGenerator, RetryPolicy, StsClient,
};
use alioss::Error;
use support::credentials::wait_for_refresh;
use support::sts::{
    user_credentials, user_credentials_with_token, MockSts, ROLE_ARN, USER_KEY_SECRET,
};
use time::OffsetDateTime;

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
}

fn request() -> AssumeRoleRequest {
    AssumeRoleRequest::builder()
        .role_arn(ROLE_ARN)
        .role_session_name("supplier-42")
        .duration(Duration::from_secs(900))
        .policy_json(r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"],"Resource":["acs:oss:*:*:examplebucket/src/*"]}]}"#)
        .build()
        .unwrap()
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::standard()
        .with_max_attempts(3)
        .with_base_delay(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(2))
}

#[tokio::test]
async fn assume_role_is_a_signed_post_with_auth_in_query_and_action_in_body() {
    let sts = MockSts::start().await;
    let clock = ManualClock::new(t0());
    let client = StsClient::builder()
        .endpoint(&sts.endpoint)
        .credentials(user_credentials())
        .clock(clock.clock())
        .nonce_generator(NonceGenerator::from_fn(|| "fixed-nonce-1".to_owned()))
        .build()
        .unwrap();
    let out = client.assume_role(request()).await.unwrap();

    assert_eq!(out.request_id, "REQ-1");
    assert_eq!(out.credentials.access_key_id(), "STS.issued-1");
    assert_eq!(out.credentials.security_token(), Some("issued-token-1"));
    assert_eq!(out.credentials.provider_name(), "sts-assume-role");
    assert_eq!(
        out.credentials.expiration(),
        Some(t0() + Duration::from_secs(900))
    );
    assert_eq!(out.assumed_role_user.arn, format!("{ROLE_ARN}/supplier-42"));
    assert_eq!(
        out.assumed_role_user.assumed_role_id,
        "300000000000:supplier-42"
    );

    let seen = sts.seen();
    assert_eq!(seen.len(), 1);
    let s = &seen[0];
    assert_eq!(s.method, "POST");
    assert_eq!(
        s.signature_ok,
        Some(true),
        "the server's own check of the RPC signature"
    );
    for (k, v) in [
        ("Action", "AssumeRole"),
        ("Version", "2015-04-01"),
        ("Format", "JSON"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", "fixed-nonce-1"),
        ("AccessKeyId", "test-user-key-id"),
        ("Timestamp", "2027-01-15T08:00:00Z"),
    ] {
        assert_eq!(s.query.get(k).map(String::as_str), Some(v), "query {k}");
    }
    assert!(
        !s.query.contains_key("SecurityToken"),
        "long-term source: no SecurityToken"
    );
    assert!(!s.query.contains_key("RoleArn"));
    assert_eq!(s.form.get("RoleArn").map(String::as_str), Some(ROLE_ARN));
    assert_eq!(
        s.form.get("RoleSessionName").map(String::as_str),
        Some("supplier-42")
    );
    assert_eq!(
        s.form.get("DurationSeconds").map(String::as_str),
        Some("900")
    );
    assert!(s
        .form
        .get("Policy")
        .unwrap()
        .contains("examplebucket/src/*"));
    assert_eq!(
        s.headers.get("content-type").unwrap(),
        "application/x-www-form-urlencoded"
    );
    // The expected signature, recomputed from the recorded parameters with the signer.
    let q: Vec<(String, String)> = s
        .query
        .iter()
        .filter(|(k, _)| *k != "Signature")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let f: Vec<(String, String)> = s.form.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    assert_eq!(
        &alioss::sts::signer::sign("POST", &q, &f, USER_KEY_SECRET),
        s.query.get("Signature").unwrap()
    );
}

#[tokio::test]
async fn temporary_source_credentials_send_their_security_token_and_nonces_differ() {
    let sts = MockSts::start().await;
    let source = user_credentials_with_token("source-token");
    let client = StsClient::builder()
        .endpoint(&sts.endpoint)
        .credentials(source)
        .build()
        .unwrap();
    client.assume_role(&request()).await.unwrap();
    client.assume_role(&request()).await.unwrap();
    let seen = sts.seen();
    assert_eq!(
        seen[0].query.get("SecurityToken").map(String::as_str),
        Some("source-token")
    );
    assert_eq!(seen[0].signature_ok, Some(true));
    assert_ne!(
        seen[0].query.get("SignatureNonce"),
        seen[1].query.get("SignatureNonce")
    );
}

#[tokio::test]
async fn wrong_secret_is_refused_by_the_server_with_a_hint() {
    let sts = MockSts::start().await;
    let client = StsClient::builder()
        .endpoint(&sts.endpoint)
        .credentials(Credentials::new(support::sts::USER_KEY_ID, "wrong-secret").unwrap())
        .build()
        .unwrap();
    let err = client.assume_role(request()).await.unwrap_err();
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
    assert!(err
        .as_service()
        .unwrap()
        .hint
        .as_deref()
        .unwrap()
        .contains("secret"));
    assert_eq!(sts.hits(), 1, "4xx is not retried");
}

struct KnownError {
    status: u16,
    code: &'static str,
    message: &'static str,
    hint_contains: &'static str,
}

#[tokio::test]
async fn each_known_sts_error_is_mapped_with_its_hint() {
    let cases = [
        KnownError {
            status: 403,
            code: "NoPermission",
            message: "You are not authorized to do this action. You should be authorized by RAM.",
            hint_contains: "AliyunSTSAssumeRoleAccess",
        },
        KnownError {
            status: 400,
            code: "InvalidParameter.DurationSeconds",
            message: "The Min/Max value of DurationSeconds is 15min/1hr.",
            hint_contains: "3600",
        },
        KnownError {
            status: 400,
            code: "InvalidSecurityToken.Expired",
            message: "Specified SecurityToken is expired.",
            hint_contains: "expired",
        },
        KnownError {
            status: 400,
            code: "InvalidSecurityToken.MismatchWithAccessKey",
            message: "The security token you provided is invalid.",
            hint_contains: "not the one STS returned",
        },
        KnownError {
            status: 404,
            code: "InvalidAccessKeyId.NotFound",
            message: "Specified access key is not found.",
            hint_contains: "expired",
        },
        KnownError {
            status: 400,
            code: "InvalidParameter.PolicyGrammar",
            message: "The parameter Policy has not passed grammar check.",
            hint_contains: "Version",
        },
        KnownError {
            status: 404,
            code: "EntityNotExist.Role",
            message: "The role not exists: acs:ram::1234567890123456:role/nosuch.",
            hint_contains: "role",
        },
        KnownError {
            status: 400,
            code: "MissingSecurityToken",
            message: "SecurityToken is mandatory for this action.",
            hint_contains: "SecurityToken",
        },
        KnownError {
            status: 429,
            code: "Throttling.User",
            message: "Request was denied due to user flow control.",
            hint_contains: "100 calls per second",
        },
    ];
    for case in &cases {
        let sts = MockSts::start().await;
        let throttled = case.code.starts_with("Throttling");
        for _ in 0..if throttled { 3 } else { 1 } {
            sts.script(
                case.status,
                serde_json::json!({
                    "RequestId": "REQ-ERR", "HostId": "sts.aliyuncs.com", "Code": case.code,
                    "Message": case.message, "Recommend": "https://api.aliyun.com/troubleshoot?q=x"
                })
                .to_string(),
            );
        }
        let client = StsClient::builder()
            .endpoint(&sts.endpoint)
            .credentials(user_credentials())
            .retry_policy(fast_retries())
            .build()
            .unwrap();
        let err = client.assume_role(request()).await.unwrap_err();
        let se = err
            .as_service()
            .unwrap_or_else(|| panic!("{}: {err:?}", case.code));
        assert_eq!(se.code, case.code);
        assert_eq!(se.status, case.status);
        assert_eq!(se.message, case.message);
        assert_eq!(se.request_id.as_deref(), Some("REQ-ERR"));
        assert_eq!(se.host_id.as_deref(), Some("sts.aliyuncs.com"));
        assert_eq!(
            se.recommend.as_deref(),
            Some("https://api.aliyun.com/troubleshoot?q=x")
        );
        let hint = se
            .hint
            .as_deref()
            .unwrap_or_else(|| panic!("{} has no hint", case.code));
        assert!(hint.contains(case.hint_contains), "{}: {hint}", case.code);
        assert!(
            err.to_string().contains("Hint:"),
            "Display reads like the remedy"
        );
        assert_eq!(
            sts.hits(),
            if throttled { 3 } else { 1 },
            "{}: only throttling retried",
            case.code
        );
    }
}

#[tokio::test]
async fn server_errors_and_throttling_are_retried_then_succeed() {
    let sts = MockSts::start().await;
    sts.script(503, r#"{"Code":"ServiceUnavailable","Message":"busy"}"#);
    sts.script(400, r#"{"Code":"Throttling.Api","Message":"slow down"}"#);
    let client = StsClient::builder()
        .endpoint(&sts.endpoint)
        .credentials(user_credentials())
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let out = client.assume_role(request()).await.unwrap();
    assert_eq!(out.credentials.access_key_id(), "STS.issued-1");
    assert_eq!(sts.hits(), 3);
    // Each attempt is signed afresh.
    let nonces: std::collections::HashSet<_> = sts
        .seen()
        .iter()
        .map(|s| s.query["SignatureNonce"].clone())
        .collect();
    assert_eq!(nonces.len(), 3);
    assert!(sts.seen().iter().all(|s| s.signature_ok == Some(true)));
}

#[tokio::test]
async fn non_json_error_bodies_do_not_panic_and_never_leak_signature_or_token() {
    let sts = MockSts::start().await;
    sts.script(502, "<html><body>502 Bad Gateway</body></html>");
    sts.script(502, "");
    let client = StsClient::builder()
        .endpoint(&sts.endpoint)
        .credentials(user_credentials())
        .retry_policy(
            RetryPolicy::standard()
                .with_max_attempts(2)
                .with_base_delay(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let err = client.assume_role(request()).await.unwrap_err();
    assert_eq!(err.code(), Some("HTTP502"));
    assert_eq!(sts.hits(), 2);

    // A server that echoes the signature and the token back: both are scrubbed.
    let sts = MockSts::start().await;
    let source = user_credentials_with_token("echoed-source-token");
    let client = StsClient::builder()
        .endpoint(&sts.endpoint)
        .credentials(source)
        .build()
        .unwrap();
    // The token is known in advance and echoed by the script; the signature is checked below.
    sts.script(400, r#"{"Code":"InvalidSecurityToken.Malformed","Message":"token echoed-source-token is malformed"}"#);
    let err = client.assume_role(request()).await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("echoed-source-token"), "{text}");
    assert!(!text.contains(USER_KEY_SECRET));
    let sig = sts.seen()[0].query["Signature"].clone();
    assert!(!text.contains(&sig));
}

#[tokio::test]
async fn transport_errors_name_no_url_and_are_retried() {
    // A port that was just free: connection refused.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let source = Credentials::builder()
        .access_key_id("test-id")
        .access_key_secret("test-secret")
        .security_token("transport-test-token")
        .build()
        .unwrap();
    let client = StsClient::builder()
        .endpoint(format!("http://{addr}"))
        .credentials(source)
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let err = client.assume_role(request()).await.unwrap_err();
    match &err {
        Error::Transport { connect, .. } => assert!(*connect, "{err:?}"),
        other => panic!("expected a transport error, got {other:?}"),
    }
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains("Signature")
            && !text.contains("transport-test-token")
            && !text.contains("AccessKeyId"),
        "{text}"
    );
}

#[tokio::test]
async fn assume_role_with_oidc_is_unsigned_and_carries_the_token_in_the_body() {
    let sts = MockSts::start().await;
    let client = StsClient::builder()
        .endpoint(&sts.endpoint)
        .build()
        .unwrap();
    let req = AssumeRoleWithOidcRequest::builder()
        .role_arn(ROLE_ARN)
        .oidc_provider_arn("acs:ram::1234567890123456:oidc-provider/ack-rrsa")
        .oidc_token("oidc-token-value")
        .role_session_name("pod-1")
        .build()
        .unwrap();
    assert!(!format!("{req:?}").contains("oidc-token-value"));
    let out = client.assume_role_with_oidc(&req).await.unwrap();
    assert_eq!(out.credentials.provider_name(), "sts-assume-role-with-oidc");
    let s = &sts.seen()[0];
    assert_eq!(s.query["Action"], "AssumeRoleWithOIDC");
    assert!(!s.query.contains_key("Signature") && !s.query.contains_key("AccessKeyId"));
    assert_eq!(s.form["OIDCToken"], "oidc-token-value");
    assert_eq!(
        s.form["OIDCProviderArn"],
        "acs:ram::1234567890123456:oidc-provider/ack-rrsa"
    );
}

#[tokio::test]
async fn assume_role_provider_caches_and_refreshes_ahead_of_expiry() {
    let sts = MockSts::start().await;
    let clock = ManualClock::new(t0());
    let client = StsClient::builder()
        .endpoint(&sts.endpoint)
        .credentials(user_credentials())
        .clock(clock.clock())
        .build()
        .unwrap();
    let provider = Arc::new(AssumeRoleCredentialsProvider::new(client, request()));
    let first = provider.provide_credentials().await.unwrap();
    assert_eq!(first.access_key_id(), "STS.issued-1");
    for _ in 0..10 {
        assert_eq!(
            provider
                .provide_credentials()
                .await
                .unwrap()
                .access_key_id(),
            "STS.issued-1"
        );
    }
    assert_eq!(sts.hits(), 1);
    // 900 s credentials: refresh 180 s (20 %) before expiry.
    assert_eq!(
        provider.cache().refresh_at(),
        Some(t0() + Duration::from_secs(720))
    );
    clock.advance(Duration::from_secs(721));
    assert_eq!(
        provider
            .provide_credentials()
            .await
            .unwrap()
            .access_key_id(),
        "STS.issued-1"
    );
    wait_for_refresh(provider.cache()).await;
    assert_eq!(
        provider
            .provide_credentials()
            .await
            .unwrap()
            .access_key_id(),
        "STS.issued-2"
    );
    assert_eq!(sts.hits(), 2);
    assert!(!format!("{provider:?}").contains("issued-secret"));
}

#[tokio::test]
async fn a_client_without_credentials_refuses_assume_role_before_the_network() {
    let sts = MockSts::start().await;
    let client = StsClient::builder()
        .endpoint(&sts.endpoint)
        .build()
        .unwrap();
    let err = client.assume_role(request()).await.unwrap_err();
    assert_eq!(err.as_invalid_input().unwrap().field(), "credentials");
    assert_eq!(sts.hits(), 0);
}
