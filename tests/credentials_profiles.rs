//! Profile files (INI and CLI config.json) and the default chain, with temp files and injected
//! variables: the process environment is never read or changed.

mod support;

use std::path::Path;
use std::time::Duration;

use alioss::credentials::{CredentialsError, EnvironmentSource, ProvideCredentials};
use alioss::providers::{
    CliConfigCredentialsProvider, DefaultCredentialsChain, ProfileFileCredentialsProvider,
};
use alioss::sts::StsClient;
use axum::Router;
use support::sts::{serve, MockSts, ROLE_ARN, USER_KEY_ID};

fn env(vars: &[(&str, &str)]) -> EnvironmentSource {
    EnvironmentSource::from_map(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

fn write(home: &Path, rel: &str, text: &str) {
    let p = home.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const INI: &str = "
[default]
type = access_key
access_key_id = ini-default-id
access_key_secret = ini-default-secret

[partner]
type = access_key
access_key_id = ini-partner-id
access_key_secret = ini-partner-secret

[role]
type = ram_role_arn
access_key_id = test-user-key-id
access_key_secret = test-user-key-secret
role_arn = acs:ram::1234567890123456:role/ramosstest
role_session_name = ini-session
duration_seconds = 900

[weird]
type = bearer

[half]
type = access_key
access_key_id = only-id
";

fn ini_provider(
    home: &Path,
    vars: &[(&str, &str)],
) -> alioss::providers::ProfileFileCredentialsProviderBuilder {
    ProfileFileCredentialsProvider::builder()
        .home_dir(home)
        .env(env(vars))
}

#[tokio::test]
async fn ini_profiles_by_name_and_type() {
    let home = tempfile::tempdir().unwrap();
    write(home.path(), ".alibabacloud/credentials", INI);
    let c = ini_provider(home.path(), &[])
        .build()
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(c.access_key_id(), "ini-default-id");
    assert_eq!(c.provider_name(), "profile-file");
    let c = ini_provider(home.path(), &[("ALIBABA_CLOUD_PROFILE", "partner")])
        .build()
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(c.access_key_id(), "ini-partner-id");

    let sts = MockSts::start().await;
    let p = ini_provider(home.path(), &[])
        .profile("role")
        .sts_client_builder(StsClient::builder().endpoint(&sts.endpoint))
        .build();
    let c = p.provide_credentials().await.unwrap();
    assert_eq!(c.access_key_id(), "STS.issued-1");
    let seen = &sts.seen()[0];
    assert_eq!(seen.signature_ok, Some(true));
    assert_eq!(seen.query["AccessKeyId"], USER_KEY_ID);
    assert_eq!(seen.form["RoleArn"], ROLE_ARN);
    assert_eq!(seen.form["RoleSessionName"], "ini-session");
    assert_eq!(seen.form["DurationSeconds"], "900");

    let e = ini_provider(home.path(), &[])
        .profile("weird")
        .build()
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(
        !e.is_not_configured() && e.to_string().contains("bearer"),
        "{e}"
    );
    let e = ini_provider(home.path(), &[])
        .profile("half")
        .build()
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(
        !e.is_not_configured() && e.to_string().contains("access_key_secret"),
        "{e}"
    );
    assert!(!format!("{e} {e:?}").contains("ini-default-secret"));
    let e = ini_provider(home.path(), &[])
        .profile("absent")
        .build()
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(e.is_not_configured(), "{e}");
}

#[tokio::test]
async fn ini_file_location_default_missing_is_not_configured_but_named_missing_is_a_failure() {
    let home = tempfile::tempdir().unwrap();
    let e = ini_provider(home.path(), &[])
        .build()
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(e.is_not_configured(), "{e}");
    let e = ini_provider(
        home.path(),
        &[(
            "ALIBABA_CLOUD_CREDENTIALS_FILE",
            "/nonexistent/alioss/credentials",
        )],
    )
    .build()
    .provide_credentials()
    .await
    .unwrap_err();
    assert!(!e.is_not_configured(), "{e}");
    assert!(e.to_string().contains("/nonexistent/alioss/credentials"));

    let elsewhere = home.path().join("creds.ini");
    std::fs::write(&elsewhere, INI).unwrap();
    let c = ini_provider(
        home.path(),
        &[(
            "ALIBABA_CLOUD_CREDENTIALS_FILE",
            elsewhere.to_str().unwrap(),
        )],
    )
    .build()
    .provide_credentials()
    .await
    .unwrap();
    assert_eq!(c.access_key_id(), "ini-default-id");
}

const CLI: &str = r#"{
  "current": "ak",
  "profiles": [
    {"name": "ak", "mode": "AK", "access_key_id": "cli-ak-id", "access_key_secret": "cli-ak-secret", "region_id": "cn-hangzhou"},
    {"name": "sts", "mode": "StsToken", "access_key_id": "STS.cli", "access_key_secret": "cli-sts-secret", "sts_token": "cli-sts-token"},
    {"name": "role", "mode": "RamRoleArn", "access_key_id": "test-user-key-id", "access_key_secret": "test-user-key-secret",
     "ram_role_arn": "acs:ram::1234567890123456:role/ramosstest", "ram_session_name": "cli-session", "expired_seconds": 1200},
    {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "EcsRole"},
    {"name": "sso", "mode": "CloudSSO"},
    {"name": "broken", "mode": "StsToken", "access_key_id": "STS.x", "access_key_secret": "y"}
  ]
}"#;

fn cli_provider(
    home: &Path,
    vars: &[(&str, &str)],
) -> alioss::providers::CliConfigCredentialsProviderBuilder {
    CliConfigCredentialsProvider::builder()
        .home_dir(home)
        .env(env(vars))
}

#[tokio::test]
async fn cli_config_modes() {
    let home = tempfile::tempdir().unwrap();
    write(home.path(), ".aliyun/config.json", CLI);
    let c = cli_provider(home.path(), &[])
        .build()
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(c.access_key_id(), "cli-ak-id", "the file's current profile");
    assert_eq!(c.provider_name(), "cli-profile");
    let c = cli_provider(home.path(), &[("ALIBABA_CLOUD_PROFILE", "sts")])
        .build()
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(c.security_token(), Some("cli-sts-token"));

    let sts = MockSts::start().await;
    let c = cli_provider(home.path(), &[])
        .profile("role")
        .sts_client_builder(StsClient::builder().endpoint(&sts.endpoint))
        .build()
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(c.access_key_id(), "STS.issued-1");
    let seen = &sts.seen()[0];
    assert_eq!(seen.signature_ok, Some(true));
    assert_eq!(seen.form["RoleSessionName"], "cli-session");
    assert_eq!(seen.form["DurationSeconds"], "1200");

    // EcsRamRole: goes to the (here unreachable) metadata endpoint; a failure, not "not configured".
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let e = cli_provider(home.path(), &[])
        .profile("ecs")
        .ecs_metadata_endpoint(&dead)
        .build()
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(
        !e.is_not_configured() && e.to_string().contains("ecs-ram-role"),
        "{e}"
    );

    let e = cli_provider(home.path(), &[])
        .profile("sso")
        .build()
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("CloudSSO"), "{e}");
    let e = cli_provider(home.path(), &[])
        .profile("broken")
        .build()
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("sts_token"), "{e}");
    let e = cli_provider(
        home.path(),
        &[("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")],
    )
    .build()
    .provide_credentials()
    .await
    .unwrap_err();
    assert!(e.is_not_configured());

    let empty = tempfile::tempdir().unwrap();
    assert!(cli_provider(empty.path(), &[])
        .build()
        .provide_credentials()
        .await
        .unwrap_err()
        .is_not_configured());
    let e = cli_provider(
        empty.path(),
        &[("ALIBABA_CLOUD_CONFIG_FILE", "/nonexistent/config.json")],
    )
    .build()
    .provide_credentials()
    .await
    .unwrap_err();
    assert!(!e.is_not_configured());
    write(empty.path(), ".aliyun/config.json", "{ not json");
    let e = cli_provider(empty.path(), &[])
        .build()
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(
        !e.is_not_configured() && e.to_string().contains("not a valid CLI config"),
        "{e}"
    );
}

fn chain(home: &Path, vars: &[(&str, &str)]) -> DefaultCredentialsChain {
    let mut all: Vec<(&str, &str)> = vec![("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")];
    all.extend_from_slice(vars);
    DefaultCredentialsChain::builder()
        .env(env(&all))
        .home_dir(home)
        .build()
}

#[tokio::test]
async fn chain_follows_the_official_order() {
    let home = tempfile::tempdir().unwrap();
    write(home.path(), ".aliyun/config.json", CLI);
    write(home.path(), ".alibabacloud/credentials", INI);
    let c = chain(
        home.path(),
        &[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret"),
        ],
    );
    assert_eq!(
        c.chain().provider_names(),
        [
            "environment",
            "oidc-role-arn",
            "cli-profile",
            "profile-file",
            "ecs-ram-role",
            "credentials-uri"
        ]
    );
    assert_eq!(
        c.provide_credentials().await.unwrap().access_key_id(),
        "env-id"
    );
    assert_eq!(c.chain().chosen_provider(), Some("environment"));

    let c = chain(home.path(), &[]);
    assert_eq!(
        c.provide_credentials().await.unwrap().access_key_id(),
        "cli-ak-id"
    );
    assert_eq!(c.chain().chosen_provider(), Some("cli-profile"));

    let c = chain(
        home.path(),
        &[("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")],
    );
    assert_eq!(
        c.provide_credentials().await.unwrap().access_key_id(),
        "ini-default-id"
    );
    assert_eq!(c.chain().chosen_provider(), Some("profile-file"));
}

#[tokio::test]
async fn chain_stops_at_a_real_failure_naming_the_provider() {
    let home = tempfile::tempdir().unwrap();
    write(home.path(), ".aliyun/config.json", CLI);
    write(home.path(), ".alibabacloud/credentials", INI);
    let c = chain(home.path(), &[("ALIBABA_CLOUD_PROFILE", "broken")]);
    let e = c.provide_credentials().await.unwrap_err();
    assert!(
        matches!(
            e,
            CredentialsError::ProviderFailed {
                provider: "cli-profile",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("cli-profile"));

    // Half an environment pair is a failure of the first provider.
    let c = chain(home.path(), &[("ALIBABA_CLOUD_ACCESS_KEY_ID", "only-id")]);
    let e = c.provide_credentials().await.unwrap_err();
    assert!(
        matches!(
            e,
            CredentialsError::ProviderFailed {
                provider: "environment",
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn chain_with_nothing_configured_says_what_it_looked_for() {
    let home = tempfile::tempdir().unwrap();
    let e = chain(home.path(), &[])
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(e.is_not_configured());
    let msg = e.to_string();
    for what in [
        "OSS_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
        "config.json",
        ".alibabacloud",
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED",
        "ALIBABA_CLOUD_CREDENTIALS_URI",
    ] {
        assert!(msg.contains(what), "{what} missing from: {msg}");
    }
}

#[tokio::test]
async fn chain_reaches_oidc_and_the_credentials_uri_and_skips_an_absent_metadata_service() {
    let home = tempfile::tempdir().unwrap();
    let sts = MockSts::start().await;
    let token_file = home.path().join("oidc-token");
    std::fs::write(&token_file, "chain-oidc-token").unwrap();
    let c = DefaultCredentialsChain::builder()
        .env(env(&[
            ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"),
            ("ALIBABA_CLOUD_ROLE_ARN", ROLE_ARN),
            (
                "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
                "acs:ram::1234567890123456:oidc-provider/ack",
            ),
            (
                "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
                token_file.to_str().unwrap(),
            ),
        ]))
        .home_dir(home.path())
        .sts_client_builder(StsClient::builder().endpoint(&sts.endpoint))
        .build();
    assert_eq!(
        c.provide_credentials().await.unwrap().access_key_id(),
        "STS.issued-1"
    );
    assert_eq!(c.chain().chosen_provider(), Some("oidc-role-arn"));
    assert_eq!(sts.seen()[0].form["OIDCToken"], "chain-oidc-token");

    // ECS enabled but unreachable: "not configured", the chain moves on to the URI.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let exp = alioss::sts::signer::format_timestamp(
        time::OffsetDateTime::now_utc() + Duration::from_secs(3600),
    );
    let router = Router::new().route(
        "/creds",
        axum::routing::get(move || {
            let exp = exp.clone();
            async move {
                format!(r#"{{"AccessKeyId":"STS.uri","AccessKeySecret":"uri-secret","SecurityToken":"uri-token","Expiration":"{exp}"}}"#)
            }
        }),
    );
    let uri = format!("{}/creds", serve(router).await);
    let c = DefaultCredentialsChain::builder()
        .env(env(&[("ALIBABA_CLOUD_CREDENTIALS_URI", uri.as_str())]))
        .home_dir(home.path())
        .ecs_metadata_endpoint(&dead)
        .build();
    assert_eq!(
        c.provide_credentials().await.unwrap().access_key_id(),
        "STS.uri"
    );
    assert_eq!(c.chain().chosen_provider(), Some("credentials-uri"));
}

#[tokio::test]
async fn debug_of_profile_providers_and_chain_redacts_secrets() {
    let home = tempfile::tempdir().unwrap();
    write(home.path(), ".aliyun/config.json", CLI);
    write(home.path(), ".alibabacloud/credentials", INI);
    let cli = cli_provider(home.path(), &[("ALIBABA_CLOUD_PROFILE", "sts")]).build();
    cli.provide_credentials().await.unwrap();
    let ini = ini_provider(home.path(), &[]).build();
    ini.provide_credentials().await.unwrap();
    let c = chain(home.path(), &[]);
    c.provide_credentials().await.unwrap();
    let d = format!("{cli:?} {ini:?} {c:?}");
    for secret in [
        "cli-sts-secret",
        "cli-sts-token",
        "ini-default-secret",
        "cli-ak-secret",
    ] {
        assert!(!d.contains(secret), "{secret} in {d}");
    }
    assert!(d.contains("STS.cli") && d.contains("ini-default-id"), "{d}");
    let b = alioss::providers::UrlCredentialsProvider::builder("http://127.0.0.1:1/sts")
        .bearer_token("bearer-secret");
    assert!(!format!("{b:?}").contains("bearer-secret"));
}
