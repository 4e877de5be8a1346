//! Token-vending URL, ECS RAM role, OIDC and closure providers against in-test servers.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alioss::credentials::{
    provide_credentials_fn, Credentials, CredentialsError, EnvironmentSource, ManualClock,
    ProvideCredentials,
};
use alioss::providers::{
    EcsRamRoleCredentialsProvider, OidcCredentialsProvider, UrlCredentialsProvider,
};
use alioss::sts::StsClient;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::Router;
use support::sts::{serve, MockSts, ROLE_ARN};
use time::OffsetDateTime;

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
}

fn exp(t: OffsetDateTime) -> String {
    alioss::sts::signer::format_timestamp(t)
}

/// A token-vending service: answers `body_for(n)` to the n-th GET and records the
/// Authorization header.
async fn vending(
    status: u16,
    body_for: impl Fn(usize) -> String + Send + Sync + 'static,
) -> (String, Arc<AtomicUsize>, Arc<Mutex<Vec<Option<String>>>>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let auth = Arc::new(Mutex::new(Vec::new()));
    let (h, a) = (hits.clone(), auth.clone());
    let body_for = Arc::new(body_for);
    let router = Router::new().route(
        "/sts",
        axum::routing::get(move |headers: HeaderMap| {
            let (h, a, body_for) = (h.clone(), a.clone(), body_for.clone());
            async move {
                let n = h.fetch_add(1, Ordering::SeqCst) + 1;
                a.lock().unwrap().push(
                    headers
                        .get("authorization")
                        .map(|v| v.to_str().unwrap().to_owned()),
                );
                (StatusCode::from_u16(status).unwrap(), body_for(n))
            }
        }),
    );
    (serve(router).await, hits, auth)
}

#[tokio::test]
async fn url_provider_reads_the_token_vending_document_with_a_bearer_token() {
    let (ep, hits, auth) = vending(200, move |n| {
        format!(
            r#"{{"AccessKeyId":"STS.vended-{n}","AccessKeySecret":"vended-secret","SecurityToken":"vended-token","Expiration":"{}"}}"#,
            exp(t0() + Duration::from_secs(3600 * n as u64))
        )
    })
    .await;
    let clock = ManualClock::new(t0());
    let p = UrlCredentialsProvider::builder(format!("{ep}/sts?client=partner"))
        .bearer_token("vending-bearer")
        .clock(clock.clock())
        .build()
        .unwrap();
    let c = p.provide_credentials().await.unwrap();
    assert_eq!(c.access_key_id(), "STS.vended-1");
    assert_eq!(c.security_token(), Some("vended-token"));
    assert_eq!(c.provider_name(), "credentials-uri");
    p.provide_credentials().await.unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 1, "cached");
    assert_eq!(
        auth.lock().unwrap()[0].as_deref(),
        Some("Bearer vending-bearer")
    );
    let d = format!("{p:?}");
    assert!(
        !d.contains("vending-bearer")
            && !d.contains("client=partner")
            && !d.contains("vended-secret"),
        "{d}"
    );
    // Expired: fetched again.
    clock.advance(Duration::from_secs(3601));
    assert_eq!(
        p.provide_credentials().await.unwrap().access_key_id(),
        "STS.vended-2"
    );
}

#[tokio::test]
async fn url_provider_accepts_the_ecs_shape_and_reports_failures() {
    let (ep, _, _) = vending(200, |_| {
        format!(
            r#"{{"Code":"Success","AccessKeyId":"STS.ecs-shape","AccessKeySecret":"s","SecurityToken":"t","Expiration":"{}","LastUpdated":"x"}}"#,
            exp(OffsetDateTime::now_utc() + Duration::from_secs(3600))
        )
    })
    .await;
    let env = EnvironmentSource::from_map([("ALIBABA_CLOUD_CREDENTIALS_URI", format!("{ep}/sts"))]);
    let p = UrlCredentialsProvider::from_env(&env).unwrap();
    assert_eq!(
        p.provide_credentials().await.unwrap().access_key_id(),
        "STS.ecs-shape"
    );

    let none = UrlCredentialsProvider::from_env(&EnvironmentSource::from_map(Vec::<(
        String,
        String,
    )>::new()));
    assert!(none.unwrap_err().is_not_configured());

    let (ep, _, _) = vending(400, |_| "role not assumable".to_owned()).await;
    let p = UrlCredentialsProvider::builder(format!("{ep}/sts"))
        .build()
        .unwrap();
    let e = p.provide_credentials().await.unwrap_err();
    assert!(!e.is_not_configured());
    let msg = e.to_string();
    assert!(
        msg.contains("credentials-uri")
            && msg.contains("400")
            && msg.contains("role not assumable"),
        "{msg}"
    );

    // A service that cannot be reached: the transport error is kept as the source.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/sts", closed.local_addr().unwrap());
    drop(closed);
    let e = UrlCredentialsProvider::builder(dead)
        .build()
        .unwrap()
        .provide_credentials()
        .await
        .unwrap_err();
    let source = std::error::Error::source(&e).expect("the transport error as the source");
    let transport = source
        .downcast_ref::<alioss::Error>()
        .expect("an alioss error");
    assert_eq!(
        transport.kind(),
        alioss::ErrorKind::Transport,
        "{transport}"
    );

    let (ep, _, _) = vending(200, |_| {
        r#"{"Code":"Failed","Message":"no credentials"}"#.to_owned()
    })
    .await;
    let p = UrlCredentialsProvider::builder(format!("{ep}/sts"))
        .build()
        .unwrap();
    assert!(p
        .provide_credentials()
        .await
        .unwrap_err()
        .to_string()
        .contains("Failed"));

    assert_eq!(
        UrlCredentialsProvider::builder("not a url")
            .build()
            .unwrap_err()
            .as_invalid_input()
            .unwrap()
            .field(),
        "credentials_uri"
    );
}

/// An ECS metadata service: IMDSv2 token, role discovery, role credentials.
async fn metadata_service(token_works: bool) -> (String, Arc<Mutex<Vec<String>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    let router = Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap| {
        let l = l.clone();
        async move {
            let token = headers
                .get("x-aliyun-ecs-metadata-token")
                .map(|v| v.to_str().unwrap().to_owned());
            l.lock().unwrap().push(format!("{method} {} token={token:?}", uri.path()));
            match (method.as_str(), uri.path()) {
                ("PUT", "/latest/api/token") => {
                    if !token_works {
                        return (StatusCode::FORBIDDEN, String::new()).into_response();
                    }
                    assert_eq!(headers["x-aliyun-ecs-metadata-token-ttl-seconds"], "21600");
                    (StatusCode::OK, "imds-session-token".to_owned()).into_response()
                }
                ("GET", "/latest/meta-data/ram/security-credentials/") => {
                    (StatusCode::OK, "EcsRole\n".to_owned()).into_response()
                }
                ("GET", "/latest/meta-data/ram/security-credentials/EcsRole") => (
                    StatusCode::OK,
                    format!(
                        r#"{{"Code":"Success","AccessKeyId":"STS.ecs","AccessKeySecret":"ecs-secret","SecurityToken":"ecs-token","Expiration":"{}","LastUpdated":"2020-01-01T00:00:00Z"}}"#,
                        exp(OffsetDateTime::now_utc() + Duration::from_secs(21600))
                    ),
                )
                    .into_response(),
                _ => (StatusCode::NOT_FOUND, String::new()).into_response(),
            }
        }
    });
    (serve(router).await, log)
}

#[tokio::test]
async fn ecs_provider_uses_the_imdsv2_token_and_discovers_the_role() {
    let (ep, log) = metadata_service(true).await;
    let p = EcsRamRoleCredentialsProvider::builder()
        .endpoint(&ep)
        .build()
        .unwrap();
    let c = p.provide_credentials().await.unwrap();
    assert_eq!(c.access_key_id(), "STS.ecs");
    assert_eq!(c.provider_name(), "ecs-ram-role");
    let log = log.lock().unwrap().clone();
    assert_eq!(
        log,
        vec![
            "PUT /latest/api/token token=None".to_owned(),
            "GET /latest/meta-data/ram/security-credentials/ token=Some(\"imds-session-token\")".to_owned(),
            "GET /latest/meta-data/ram/security-credentials/EcsRole token=Some(\"imds-session-token\")".to_owned(),
        ]
    );
}

#[tokio::test]
async fn ecs_provider_falls_back_to_imdsv1_unless_disabled_and_env_can_disable_it() {
    let (ep, log) = metadata_service(false).await;
    let p = EcsRamRoleCredentialsProvider::builder()
        .endpoint(&ep)
        .role_name("EcsRole")
        .build()
        .unwrap();
    assert_eq!(
        p.provide_credentials().await.unwrap().access_key_id(),
        "STS.ecs"
    );
    assert!(log
        .lock()
        .unwrap()
        .last()
        .unwrap()
        .ends_with("EcsRole token=None"));

    let env = EnvironmentSource::from_map([
        ("ALIBABA_CLOUD_IMDSV1_DISABLED", "true"),
        ("ALIBABA_CLOUD_ECS_METADATA", "EcsRole"),
    ]);
    let p = EcsRamRoleCredentialsProvider::builder_from_env(&env)
        .unwrap()
        .endpoint(&ep)
        .build()
        .unwrap();
    let e = p.provide_credentials().await.unwrap_err();
    assert!(e.to_string().contains("IMDSv1 is disabled"), "{e}");

    let env = EnvironmentSource::from_map([("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")]);
    assert!(EcsRamRoleCredentialsProvider::builder_from_env(&env)
        .unwrap_err()
        .is_not_configured());
}

#[tokio::test]
async fn ecs_provider_unreachable_is_not_configured_only_when_asked() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ep = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let p = EcsRamRoleCredentialsProvider::builder()
        .endpoint(&ep)
        .build()
        .unwrap();
    assert!(!p
        .provide_credentials()
        .await
        .unwrap_err()
        .is_not_configured());
    let p = EcsRamRoleCredentialsProvider::builder()
        .endpoint(&ep)
        .unreachable_is_not_configured(true)
        .build()
        .unwrap();
    assert!(p
        .provide_credentials()
        .await
        .unwrap_err()
        .is_not_configured());
}

#[tokio::test]
async fn oidc_provider_reads_the_token_file_for_each_fetch() {
    let sts = MockSts::start().await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "oidc-token-1\n").unwrap();
    let env = EnvironmentSource::from_map([
        ("ALIBABA_CLOUD_ROLE_ARN", ROLE_ARN.to_owned()),
        (
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
            "acs:ram::1234567890123456:oidc-provider/ack".to_owned(),
        ),
        (
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
            token_file.display().to_string(),
        ),
        ("ALIBABA_CLOUD_ROLE_SESSION_NAME", "pod-session".to_owned()),
    ]);
    let clock = ManualClock::new(t0());
    let client = StsClient::builder()
        .endpoint(&sts.endpoint)
        .clock(clock.clock())
        .build()
        .unwrap();
    let p = OidcCredentialsProvider::builder()
        .sts_client(client)
        .env(&env)
        .build()
        .unwrap();
    let c = p.provide_credentials().await.unwrap();
    assert_eq!(c.access_key_id(), "STS.issued-1");
    std::fs::write(&token_file, "oidc-token-2").unwrap();
    clock.advance(Duration::from_secs(3601));
    assert_eq!(
        p.provide_credentials().await.unwrap().access_key_id(),
        "STS.issued-2"
    );
    let seen = sts.seen();
    assert_eq!(seen[0].form["OIDCToken"], "oidc-token-1");
    assert_eq!(seen[1].form["OIDCToken"], "oidc-token-2");
    assert_eq!(seen[0].form["RoleSessionName"], "pod-session");
    assert_eq!(seen[0].query["Action"], "AssumeRoleWithOIDC");

    let none = OidcCredentialsProvider::from_env(&EnvironmentSource::from_map(Vec::<(
        String,
        String,
    )>::new()));
    assert!(none.unwrap_err().is_not_configured());
    let half = OidcCredentialsProvider::from_env(&EnvironmentSource::from_map([(
        "ALIBABA_CLOUD_ROLE_ARN",
        ROLE_ARN,
    )]));
    let e = half.unwrap_err();
    assert!(!e.is_not_configured());
    assert!(
        e.to_string().contains("ALIBABA_CLOUD_OIDC_TOKEN_FILE"),
        "{e}"
    );
}

#[tokio::test]
async fn closure_provider_is_called_every_time() {
    let n = Arc::new(AtomicUsize::new(0));
    let n2 = n.clone();
    let p = provide_credentials_fn(move || {
        let i = n2.fetch_add(1, Ordering::SeqCst);
        async move {
            Credentials::new(format!("closure-{i}"), "closure-secret")
                .map_err(|e| CredentialsError::failed("closure", e.to_string()))
        }
    });
    assert_eq!(
        p.provide_credentials().await.unwrap().access_key_id(),
        "closure-0"
    );
    assert_eq!(
        p.provide_credentials().await.unwrap().access_key_id(),
        "closure-1"
    );
}
