//! STS AssumeRole: signature, timestamp, nonce, caller and parameter checks.

mod common;

use alioss_emulator::demo;
use common::*;

#[tokio::test]
async fn assume_role_issues_sts_credentials_in_the_real_json_shape() {
    let emu = start().await;
    let (status, body) = assume_role(
        &emu,
        &uploader(&emu),
        demo::ROLE_ARN,
        &[("DurationSeconds", "3600")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let c = &body["Credentials"];
    assert!(c["AccessKeyId"].as_str().unwrap().starts_with("STS."));
    assert!(!c["AccessKeySecret"].as_str().unwrap().is_empty());
    assert!(!c["SecurityToken"].as_str().unwrap().is_empty());
    let exp = c["Expiration"].as_str().unwrap();
    let parsed = alioss::sts::signer::parse_timestamp(exp).expect("yyyy-MM-ddTHH:mm:ssZ");
    let delta = parsed - emu.clock().now();
    assert!(
        delta > time::Duration::seconds(3590) && delta <= time::Duration::seconds(3600),
        "{delta}"
    );
    assert!(body["RequestId"].as_str().is_some());
    assert_eq!(
        body["AssumedRoleUser"]["Arn"].as_str().unwrap(),
        "acs:ram::1234567890123456:role/ramosstest/test-session"
    );
    assert!(body["AssumedRoleUser"]["AssumedRoleId"]
        .as_str()
        .unwrap()
        .ends_with(":test-session"));
}

#[tokio::test]
async fn get_with_everything_in_the_query_works_too() {
    let emu = start().await;
    let creds = uploader(&emu);
    let params = fresh_params(
        &emu,
        &creds,
        &[("RoleArn", demo::ROLE_ARN), ("RoleSessionName", "s1")],
    );
    let resp = sts_send(&emu, creds.access_key_secret(), "GET", params).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn post_with_auth_in_query_and_action_params_in_body_works() {
    let emu = start().await;
    let creds = uploader(&emu);
    let query = alioss::sts::signer::common_params(
        "AssumeRole",
        "2015-04-01",
        &creds,
        &nonce(),
        emu.clock().now(),
    );
    let body = vec![
        ("RoleArn".to_string(), demo::ROLE_ARN.to_string()),
        ("RoleSessionName".to_string(), "split".to_string()),
        ("DurationSeconds".to_string(), "900".to_string()),
    ];
    let sig = alioss::sts::signer::sign("POST", &query, &body, creds.access_key_secret());
    let mut q = query.clone();
    q.push(("Signature".into(), sig));
    let resp = client()
        .post(format!("{}/?{}", emu.endpoint(), form_encode(&q)))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_encode(&body))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
}

/// AssumeRole as `caller` (no extra parameters), refused with `status` and `code`.
async fn assume_role_refused(
    emu: &alioss_emulator::EmulatorHandle,
    caller: &alioss::Credentials,
    role_arn: &str,
    status: u16,
    code: &str,
) {
    let (s, body) = assume_role(emu, caller, role_arn, &[]).await;
    assert_eq!((s, body["Code"].as_str().unwrap()), (status, code));
}

async fn expect_error(
    emu: &alioss_emulator::EmulatorHandle,
    resp: reqwest::Response,
    status: u16,
    code: &str,
) -> serde_json::Value {
    let _ = emu;
    assert_eq!(resp.status().as_u16(), status);
    let v: serde_json::Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(v["Code"], code, "{v}");
    for k in ["RequestId", "HostId", "Message", "Recommend"] {
        assert!(v[k].is_string(), "{k} missing in {v}");
    }
    v
}

#[tokio::test]
async fn root_access_key_is_refused_with_no_permission() {
    let emu = start().await;
    let (status, body) = assume_role(&emu, &emu.root_credentials(), demo::ROLE_ARN, &[]).await;
    assert_eq!(status, 403);
    assert_eq!(body["Code"], "NoPermission");
    assert_eq!(
        body["Message"],
        "You are not authorized to do this action. You should be authorized by RAM."
    );
}

#[tokio::test]
async fn user_without_assume_role_permission_is_refused() {
    let mut cfg = alioss_emulator::EmulatorConfig::demo();
    cfg.users[0].policies.clear();
    let emu = alioss_emulator::Emulator::start(cfg).await.unwrap();
    assume_role_refused(&emu, &uploader(&emu), demo::ROLE_ARN, 403, "NoPermission").await;
}

#[tokio::test]
async fn wrong_secret_is_signature_does_not_match_with_server_string_to_sign() {
    let emu = start().await;
    let creds = uploader(&emu);
    let params = fresh_params(
        &emu,
        &creds,
        &[("RoleArn", demo::ROLE_ARN), ("RoleSessionName", "s1")],
    );
    let resp = sts_send(&emu, "wrong-secret", "POST", params).await;
    let v = expect_error(&emu, resp, 400, "SignatureDoesNotMatch").await;
    assert!(v["Message"].as_str().unwrap().contains("POST&%2F&"));
}

#[tokio::test]
async fn unknown_access_key_is_not_found() {
    let emu = start().await;
    let fake = alioss::Credentials::new("no-such-key", "test-secret").unwrap();
    assume_role_refused(
        &emu,
        &fake,
        demo::ROLE_ARN,
        404,
        "InvalidAccessKeyId.NotFound",
    )
    .await;
}

#[tokio::test]
async fn repeated_nonce_is_refused() {
    let emu = start().await;
    let creds = uploader(&emu);
    let n = nonce();
    let extra = [("RoleArn", demo::ROLE_ARN), ("RoleSessionName", "s1")];
    let p = sts_params(&creds, emu.clock().now(), &n, &extra);
    assert_eq!(
        sts_send(&emu, creds.access_key_secret(), "POST", p.clone())
            .await
            .status(),
        200
    );
    let resp = sts_send(&emu, creds.access_key_secret(), "POST", p).await;
    expect_error(&emu, resp, 400, "SignatureNonceUsed").await;
}

#[tokio::test]
async fn stale_or_malformed_timestamps_are_refused() {
    let emu = start().await;
    let creds = uploader(&emu);
    let extra = [("RoleArn", demo::ROLE_ARN), ("RoleSessionName", "s1")];
    let old = emu.clock().now() - time::Duration::minutes(20);
    let p = sts_params(&creds, old, &nonce(), &extra);
    let resp = sts_send(&emu, creds.access_key_secret(), "POST", p).await;
    expect_error(&emu, resp, 400, "InvalidTimeStamp.Expired").await;

    let mut p = fresh_params(&emu, &creds, &extra);
    for (k, v) in p.iter_mut() {
        if k == "Timestamp" {
            *v = v.replace('T', " T");
        }
    }
    let resp = sts_send(&emu, creds.access_key_secret(), "POST", p).await;
    expect_error(&emu, resp, 400, "InvalidTimeStamp.Format").await;
}

#[tokio::test]
async fn duration_outside_the_role_range_names_the_range() {
    let emu = start().await;
    for d in ["899", "3601"] {
        let (status, body) = assume_role(
            &emu,
            &uploader(&emu),
            demo::ROLE_ARN,
            &[("DurationSeconds", d)],
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(body["Code"], "InvalidParameter.DurationSeconds");
        assert_eq!(
            body["Message"],
            "The Min/Max value of DurationSeconds is 15min/1hr"
        );
    }
    let (status, body) = assume_role(
        &emu,
        &uploader(&emu),
        demo::READER_ROLE_ARN,
        &[("DurationSeconds", "43201")],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["Message"],
        "The Min/Max value of DurationSeconds is 15min/12hr"
    );
    let (status, _) = assume_role(
        &emu,
        &uploader(&emu),
        demo::READER_ROLE_ARN,
        &[("DurationSeconds", "43200")],
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn bad_session_names_role_arns_and_policies_are_refused() {
    let emu = start().await;
    let u = uploader(&emu);
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, u16);
    let cases: Vec<Case> = vec![
        (
            vec![("RoleSessionName", "a")],
            "InvalidParameter.RoleSessionName",
            400,
        ),
        (
            vec![("RoleSessionName", "has space")],
            "InvalidParameter.RoleSessionName",
            400,
        ),
        (
            vec![("Policy", "{not json")],
            "InvalidParameter.PolicyGrammar",
            400,
        ),
        (
            vec![(
                "Policy",
                r#"{"Version":"1","Statement":[{"Effect":"Maybe","Action":"oss:*","Resource":"*"}]}"#,
            )],
            "InvalidParameter.PolicyGrammar",
            400,
        ),
    ];
    for (extra, code, status) in cases {
        let (s, body) = assume_role(&emu, &u, demo::ROLE_ARN, &extra).await;
        assert_eq!(
            (s, body["Code"].as_str().unwrap()),
            (status, code),
            "{extra:?}"
        );
    }
    let long = format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"oss:PutObject","Resource":"acs:oss:*:*:examplebucket/{}"}}]}}"#,
        "a".repeat(2100)
    );
    let (s, body) = assume_role(&emu, &u, demo::ROLE_ARN, &[("Policy", &long)]).await;
    assert_eq!(s, 400);
    assert!(body["Code"]
        .as_str()
        .unwrap()
        .starts_with("InvalidParameter.Policy"));

    assume_role_refused(&emu, &u, "not-an-arn", 400, "InvalidParameter.RoleArn").await;
    assume_role_refused(
        &emu,
        &u,
        "acs:ram::1234567890123456:role/nosuchrole",
        404,
        "EntityNotExist.Role",
    )
    .await;
}

#[tokio::test]
async fn sts_credentials_calling_sts_need_their_token() {
    let emu = start().await;
    let s = session(&emu, demo::ROLE_ARN, None).await;
    let no_token = alioss::Credentials::new(s.access_key_id(), s.access_key_secret()).unwrap();
    assume_role_refused(&emu, &no_token, demo::ROLE_ARN, 400, "MissingSecurityToken").await;
}

#[tokio::test]
async fn missing_parameters_are_named() {
    let emu = start().await;
    let creds = uploader(&emu);
    let p = fresh_params(&emu, &creds, &[("RoleSessionName", "s1")]);
    let resp = sts_send(&emu, creds.access_key_secret(), "POST", p).await;
    let v = expect_error(&emu, resp, 400, "MissingRoleArn").await;
    assert!(v["Message"].as_str().unwrap().contains("RoleArn"));
}

/// Signs an AssumeRole call the way the generated SDKs do by default (ACS3-HMAC-SHA256, params
/// in the query, empty body).
async fn acs3_assume_role(
    emu: &alioss_emulator::EmulatorHandle,
    ak: &str,
    secret: &str,
    nonce: &str,
) -> reqwest::Response {
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};
    let enc = alioss::sts::signer::percent_encode;
    let mut query = [
        ("DurationSeconds".to_string(), "900".to_string()),
        ("RoleArn".to_string(), demo::ROLE_ARN.to_string()),
        ("RoleSessionName".to_string(), "acs3".to_string()),
    ];
    query.sort();
    let canonical_query = query
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let host = emu.addr().to_string();
    let date = alioss::sts::signer::format_timestamp(emu.clock().now());
    let payload = hex::encode(Sha256::digest(b""));
    let mut headers = [
        ("host".to_string(), host.clone()),
        ("x-acs-action".to_string(), "AssumeRole".to_string()),
        ("x-acs-content-sha256".to_string(), payload.clone()),
        ("x-acs-date".to_string(), date),
        ("x-acs-signature-nonce".to_string(), nonce.to_string()),
        ("x-acs-version".to_string(), "2015-04-01".to_string()),
    ];
    headers.sort();
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed = headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical = format!("POST\n/\n{canonical_query}\n{canonical_headers}\n{signed}\n{payload}");
    let sts = format!(
        "ACS3-HMAC-SHA256\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(sts.as_bytes());
    let sig = hex::encode(mac.finalize().into_bytes());
    let mut b = client().post(format!("{}/?{canonical_query}", emu.endpoint()));
    for (k, v) in &headers {
        if k != "host" {
            b = b.header(k, v);
        }
    }
    b.header(
        "authorization",
        format!("ACS3-HMAC-SHA256 Credential={ak},SignedHeaders={signed},Signature={sig}"),
    )
    .send()
    .await
    .unwrap()
}

#[tokio::test]
async fn acs3_signed_assume_role_is_accepted_and_checked() {
    let emu = start().await;
    let resp = acs3_assume_role(&emu, demo::USER_KEY_ID, demo::USER_KEY_SECRET, "acs3-n1").await;
    let status = resp.status();
    let body: serde_json::Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body["Credentials"]["AccessKeyId"]
        .as_str()
        .unwrap()
        .starts_with("STS."));
    let resp = acs3_assume_role(&emu, demo::USER_KEY_ID, demo::USER_KEY_SECRET, "acs3-n1").await;
    expect_error(&emu, resp, 400, "SignatureNonceUsed").await;
    let resp = acs3_assume_role(&emu, demo::USER_KEY_ID, "wrong-secret", "acs3-n2").await;
    expect_error(&emu, resp, 400, "SignatureDoesNotMatch").await;
    let resp = acs3_assume_role(&emu, demo::ROOT_KEY_ID, demo::ROOT_KEY_SECRET, "acs3-n3").await;
    expect_error(&emu, resp, 403, "NoPermission").await;
}

#[tokio::test]
async fn get_caller_identity_names_the_signer() {
    let emu = start().await;
    for (creds, kind, arn_part) in [
        (emu.root_credentials(), "Account", ":root".to_string()),
        (uploader(&emu), "RAMUser", ":user/uploader".to_string()),
    ] {
        let mut p = alioss::sts::signer::common_params(
            "GetCallerIdentity",
            "2015-04-01",
            &creds,
            &nonce(),
            emu.clock().now(),
        );
        p.sort();
        let resp = sts_send(&emu, creds.access_key_secret(), "GET", p).await;
        let v: serde_json::Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
        assert_eq!(v["IdentityType"], kind, "{v}");
        assert!(v["Arn"].as_str().unwrap().ends_with(&arn_part));
        assert_eq!(v["AccountId"], demo::ACCOUNT_ID);
    }
    let s = session(&emu, demo::ROLE_ARN, None).await;
    let p = alioss::sts::signer::common_params(
        "GetCallerIdentity",
        "2015-04-01",
        &s,
        &nonce(),
        emu.clock().now(),
    );
    let resp = sts_send(&emu, s.access_key_secret(), "POST", p).await;
    let v: serde_json::Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(v["IdentityType"], "AssumedRoleUser");
    assert_eq!(
        v["Arn"],
        "acs:ram::1234567890123456:assumed-role/ramosstest/test-session"
    );
}

#[tokio::test]
async fn the_role_trust_list_is_enforced() {
    let mut cfg = alioss_emulator::EmulatorConfig::demo();
    cfg.roles[0].trusted_users = vec![demo::ADMIN_NAME.to_string()];
    let emu = alioss_emulator::Emulator::start(cfg).await.unwrap();
    assume_role_refused(&emu, &uploader(&emu), demo::ROLE_ARN, 403, "NoPermission").await;
    let (status, _) = assume_role(&emu, &admin(&emu), demo::ROLE_ARN, &[]).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn sts_credentials_with_a_wrong_or_expired_token_are_refused_by_sts() {
    let emu = start().await;
    let s = session(&emu, demo::ROLE_ARN, None).await;
    let other = session(&emu, demo::ROLE_ARN, None).await;
    let mixed = alioss::Credentials::builder()
        .access_key_id(s.access_key_id())
        .access_key_secret(s.access_key_secret())
        .security_token(other.security_token().unwrap())
        .build()
        .unwrap();
    assume_role_refused(
        &emu,
        &mixed,
        demo::ROLE_ARN,
        400,
        "InvalidSecurityToken.MismatchWithAccessKey",
    )
    .await;
    emu.clock().advance(std::time::Duration::from_secs(901));
    assume_role_refused(
        &emu,
        &s,
        demo::ROLE_ARN,
        400,
        "InvalidSecurityToken.Expired",
    )
    .await;
    // Valid, unexpired STS credentials still may not chain into a role.
    let fresh = session(&emu, demo::ROLE_ARN, None).await;
    assume_role_refused(&emu, &fresh, demo::ROLE_ARN, 403, "NoPermission").await;
}

#[tokio::test]
async fn unknown_actions_are_not_found() {
    let emu = start().await;
    let creds = uploader(&emu);
    let p = alioss::sts::signer::common_params(
        "AssumeRoleWithSAML",
        "2015-04-01",
        &creds,
        &nonce(),
        emu.clock().now(),
    );
    let resp = sts_send(&emu, creds.access_key_secret(), "POST", p).await;
    expect_error(&emu, resp, 404, "InvalidAction.NotFound").await;
}
