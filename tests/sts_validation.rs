//! Every AssumeRole / AssumeRoleWithOIDC / StsClient rule is refused before the network.
//!
//! The requests are built and (where building succeeds for the client) sent to an in-test STS
//! whose hit counter must stay at zero.

mod support;

use std::time::Duration;

use alioss::sts::{
    AssumeRoleRequest, AssumeRoleRequestBuilder, AssumeRoleWithOidcRequest, StsClient,
};
use support::sts::{MockSts, ROLE_ARN};

fn valid() -> AssumeRoleRequestBuilder {
    AssumeRoleRequest::builder()
        .role_arn(ROLE_ARN)
        .role_session_name("supplier-42")
}

type Case = (
    &'static str,
    Box<dyn Fn() -> AssumeRoleRequestBuilder>,
    &'static str,
    &'static str,
);

fn assume_role_cases() -> Vec<Case> {
    let long_policy = format!(
        r#"{{"Version":"1","Statement":[],"Pad":"{}"}}"#,
        "x".repeat(2100)
    );
    vec![
        (
            "RoleArn missing",
            Box::new(|| AssumeRoleRequest::builder().role_session_name("ab")),
            "RoleArn",
            "required",
        ),
        (
            "RoleArn wrong prefix",
            Box::new(|| valid().role_arn("arn:aws:iam::123:role/x")),
            "RoleArn",
            "acs:ram::",
        ),
        (
            "RoleArn account not digits",
            Box::new(|| valid().role_arn("acs:ram::12ab:role/x")),
            "RoleArn",
            "digits",
        ),
        (
            "RoleArn not a role",
            Box::new(|| valid().role_arn("acs:ram::123:user/x")),
            "RoleArn",
            "role/",
        ),
        (
            "RoleArn bad role name",
            Box::new(|| valid().role_arn("acs:ram::123:role/has space")),
            "RoleArn",
            "role name",
        ),
        (
            "RoleSessionName missing",
            Box::new(|| AssumeRoleRequest::builder().role_arn(ROLE_ARN)),
            "RoleSessionName",
            "required",
        ),
        (
            "RoleSessionName too short",
            Box::new(|| valid().role_session_name("a")),
            "RoleSessionName",
            "2-64",
        ),
        (
            "RoleSessionName too long",
            Box::new(|| valid().role_session_name("a".repeat(65))),
            "RoleSessionName",
            "2-64",
        ),
        (
            "RoleSessionName bad character",
            Box::new(|| valid().role_session_name("sup plier")),
            "RoleSessionName",
            "A-Z a-z 0-9 . @ _ -",
        ),
        (
            "DurationSeconds below 900",
            Box::new(|| valid().duration(Duration::from_secs(899))),
            "DurationSeconds",
            "between 900 and 43200",
        ),
        (
            "DurationSeconds above 43200",
            Box::new(|| valid().duration_seconds(43_201)),
            "DurationSeconds",
            "between 900 and 43200",
        ),
        (
            "DurationSeconds fractional",
            Box::new(|| valid().duration(Duration::from_millis(900_500))),
            "DurationSeconds",
            "whole number",
        ),
        (
            "Policy empty",
            Box::new(|| valid().policy_json("")),
            "Policy",
            "1-2048",
        ),
        (
            "Policy too long",
            Box::new(move || valid().policy_json(long_policy.clone())),
            "Policy",
            "2048",
        ),
        (
            "Policy not JSON",
            Box::new(|| valid().policy_json("{\"Version\":")),
            "Policy",
            "valid JSON",
        ),
        (
            "Policy not an object",
            Box::new(|| valid().policy_json("[1]")),
            "Policy",
            "object",
        ),
        (
            "ExternalId too short",
            Box::new(|| valid().external_id("a")),
            "ExternalId",
            "2-1224",
        ),
        (
            "ExternalId too long",
            Box::new(|| valid().external_id("a".repeat(1225))),
            "ExternalId",
            "2-1224",
        ),
        (
            "ExternalId bad character",
            Box::new(|| valid().external_id("abc def")),
            "ExternalId",
            "A-Z a-z 0-9 _ + = , . @ : / -",
        ),
    ]
}

#[tokio::test]
async fn every_assume_role_rule_is_refused_before_the_network() {
    let sts = MockSts::start().await;
    let cases = assume_role_cases();
    assert_eq!(cases.len(), 19, "19 AssumeRole parameter rules");
    for (name, build, field, rule) in &cases {
        let err = build().build().unwrap_err();
        let invalid = err
            .as_invalid_input()
            .unwrap_or_else(|| panic!("{name}: {err:?}"));
        assert_eq!(invalid.field(), *field, "{name}");
        assert!(invalid.rule().contains(rule), "{name}: {}", invalid.rule());
        assert!(
            err.to_string().contains(field),
            "{name}: the message names the field"
        );
    }
    assert_eq!(sts.hits(), 0, "nothing reached the server");
}

#[test]
fn boundaries_are_accepted() {
    for secs in [900, 3600, 43_200] {
        assert_eq!(
            valid()
                .duration_seconds(secs)
                .build()
                .unwrap()
                .duration_seconds(),
            secs
        );
    }
    assert_eq!(
        valid().build().unwrap().duration_seconds(),
        3600,
        "default duration"
    );
    valid().role_session_name("ab").build().unwrap();
    valid().role_session_name("a".repeat(64)).build().unwrap();
    valid().role_session_name("a.b@c_d-e").build().unwrap();
    valid().external_id("ab").build().unwrap();
    valid().external_id("a".repeat(1224)).build().unwrap();
    valid().external_id("a_b+c=d,e.f@g:h/i-j").build().unwrap();
    let policy = format!(
        r#"{{"Version":"1","Statement":[{{"Sid":"{}","Effect":"Allow","Action":["oss:*"],"Resource":["*"]}}]}}"#,
        "x".repeat(2048 - 93)
    );
    assert_eq!(policy.len(), 2048);
    valid().policy_json(policy).build().unwrap();
}

#[tokio::test]
async fn every_oidc_and_client_rule_is_refused_before_the_network() {
    let sts = MockSts::start().await;
    let oidc = || {
        AssumeRoleWithOidcRequest::builder()
            .role_arn(ROLE_ARN)
            .oidc_provider_arn("acs:ram::1234567890123456:oidc-provider/ack")
            .oidc_token("a-token")
            .role_session_name("pod-1")
    };
    oidc().build().unwrap();
    let oidc_cases = [
        (oidc().oidc_provider_arn(""), "OIDCProviderArn"),
        (
            oidc().oidc_provider_arn("acs:ram::1:role/x"),
            "OIDCProviderArn",
        ),
        (oidc().oidc_token(" "), "OIDCToken"),
        (oidc().role_arn("x"), "RoleArn"),
        (oidc().role_session_name("x"), "RoleSessionName"),
        (oidc().duration(Duration::from_secs(60)), "DurationSeconds"),
        (oidc().policy_json("nope"), "Policy"),
    ];
    for (b, field) in oidc_cases {
        let err = b.build().unwrap_err();
        assert_eq!(err.as_invalid_input().unwrap().field(), field);
    }
    let client_cases = [
        (StsClient::builder().region("CN HANGZHOU"), "region"),
        (StsClient::builder().internal(true), "region"),
        (StsClient::builder().endpoint("ftp://127.0.0.1"), "endpoint"),
        (
            StsClient::builder().endpoint("http://127.0.0.1:1/?x=1"),
            "endpoint",
        ),
        (StsClient::builder().endpoint("   "), "endpoint"),
    ];
    for (b, field) in client_cases {
        let err = b.build().unwrap_err();
        assert_eq!(err.as_invalid_input().unwrap().field(), field);
    }
    assert_eq!(sts.hits(), 0);
}

#[test]
fn endpoints_follow_region_and_vpc_and_http_only_when_explicit() {
    assert_eq!(
        StsClient::builder().build().unwrap().endpoint(),
        "https://sts.aliyuncs.com/"
    );
    assert_eq!(
        StsClient::builder()
            .region("cn-hangzhou")
            .build()
            .unwrap()
            .endpoint(),
        "https://sts.cn-hangzhou.aliyuncs.com/"
    );
    assert_eq!(
        StsClient::builder()
            .region("cn-hangzhou")
            .internal(true)
            .build()
            .unwrap()
            .endpoint(),
        "https://sts-vpc.cn-hangzhou.aliyuncs.com/"
    );
    assert_eq!(
        StsClient::builder()
            .endpoint("http://127.0.0.1:9000")
            .build()
            .unwrap()
            .endpoint(),
        "http://127.0.0.1:9000/"
    );
    let env = alioss::credentials::EnvironmentSource::from_map([
        ("ALIBABA_CLOUD_STS_REGION", "cn-shanghai"),
        ("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "true"),
    ]);
    assert_eq!(
        StsClient::builder().env(&env).build().unwrap().endpoint(),
        "https://sts-vpc.cn-shanghai.aliyuncs.com/"
    );
}

#[test]
fn debug_output_redacts_secrets_tokens_and_external_ids() {
    let req = valid().external_id("external-id-value").build().unwrap();
    let d = format!("{req:?}");
    assert!(
        d.contains(ROLE_ARN) && !d.contains("external-id-value"),
        "{d}"
    );
    let oidc = AssumeRoleWithOidcRequest::builder().oidc_token("oidc-secret-token");
    assert!(!format!("{oidc:?}").contains("oidc-secret-token"));
    let client = StsClient::builder()
        .credentials(alioss::Credentials::new("test-id", "debug-secret-value").unwrap())
        .build()
        .unwrap();
    let d = format!("{client:?}");
    assert!(
        d.contains("test-id") && !d.contains("debug-secret-value"),
        "{d}"
    );
}

#[test]
fn a_policy_from_the_builder_is_sent_as_its_json() {
    use alioss::policy::{oss_object, Policy};
    let policy = Policy::builder()
        .allow(["oss:PutObject"], [oss_object("examplebucket", "src/*")])
        .build()
        .unwrap();
    let req = valid().policy(&policy).build().unwrap();
    assert_eq!(req.policy(), Some(policy.to_json().as_str()));
    let req = valid().policy(policy.clone()).build().unwrap();
    assert_eq!(Policy::from_json(req.policy().unwrap()).unwrap(), policy);
    // A policy whose JSON is over 2048 characters is refused like raw JSON.
    let big = Policy::builder()
        .allow(
            ["oss:PutObject"],
            (0..100).map(|i| oss_object("examplebucket", format!("partner-{i:04}/uploads/*"))),
        )
        .build()
        .unwrap();
    let err = valid().policy(big).build().unwrap_err();
    assert_eq!(err.as_invalid_input().unwrap().field(), "Policy");
}
