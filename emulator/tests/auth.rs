//! OSS authentication and authorisation: every refusal, with requests signed by alioss.

mod common;

use std::time::Duration;

use alioss::Credentials;
use alioss_emulator::demo;
use common::*;

#[tokio::test]
async fn v1_header_signing_is_accepted() {
    let emu = start().await;
    let root = emu.root_credentials();
    let resp = send_v1(
        &emu,
        &root,
        OssReq::put("v1.txt", b"v1")
            .header("content-type", "text/plain")
            .header("x-oss-meta-a", "b"),
    )
    .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let resp = send_v1(&emu, &root, OssReq::get("v1.txt")).await;
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"v1");
    let s = session(&emu, demo::READER_ROLE_ARN, None).await;
    let resp = send_v1(&emu, &s, OssReq::get("v1.txt")).await;
    assert_eq!(resp.status(), 200);
    let bad = Credentials::new(demo::ROOT_KEY_ID, "wrong-secret").unwrap();
    let (s, code, body) = error_code(send_v1(&emu, &bad, OssReq::get("v1.txt")).await).await;
    assert_eq!((s, code.as_str()), (403, "SignatureDoesNotMatch"));
    assert!(xml_field(&body, "StringToSign")
        .unwrap()
        .starts_with("GET\n"));
}

#[tokio::test]
async fn v4_presigned_get_and_put_work_until_they_expire() {
    let emu = start().await;
    let root = emu.root_credentials();
    let put = OssReq::put("pre.txt", b"").header("content-type", "text/plain");
    let (url, headers) = presign_v4(&emu, &root, &put, Duration::from_secs(600));
    let mut b = client().put(&url).body("presigned body");
    for (k, v) in &headers {
        b = b.header(k, v);
    }
    let resp = b.send().await.unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());

    let (url, _) = presign_v4(
        &emu,
        &root,
        &OssReq::get("pre.txt"),
        Duration::from_secs(600),
    );
    let resp = client().get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"presigned body");

    emu.clock().advance(Duration::from_secs(601));
    let (s, code, body) = error_code(client().get(&url).send().await.unwrap()).await;
    assert_eq!((s, code.as_str()), (403, "AccessDenied"));
    assert_eq!(xml_field(&body, "Message").unwrap(), "Request has expired.");
    assert!(xml_field(&body, "ServerTime").is_some());
}

#[tokio::test]
async fn v4_presigned_url_with_a_tampered_query_fails() {
    let emu = start().await;
    let root = emu.root_credentials();
    send_v4(&emu, &root, OssReq::put("p", b"x")).await;
    let (url, _) = presign_v4(&emu, &root, &OssReq::get("p"), Duration::from_secs(60));
    let tampered = url.replace("/p?", "/q?");
    let (s, code, body) = error_code(client().get(&tampered).send().await.unwrap()).await;
    assert_eq!((s, code.as_str()), (403, "SignatureDoesNotMatch"));
    assert!(xml_field(&body, "CanonicalRequest")
        .unwrap()
        .contains("/examplebucket/q"));
}

#[tokio::test]
async fn v4_presigned_with_sts_credentials_carries_the_token() {
    let emu = start().await;
    let s = session(&emu, demo::READER_ROLE_ARN, None).await;
    let (url, _) = presign_v4(
        &emu,
        &s,
        &OssReq::put("sts-pre", b""),
        Duration::from_secs(60),
    );
    assert!(url.contains("x-oss-security-token="));
    assert_eq!(
        client().put(&url).body("z").send().await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn v1_presigned_urls_work_and_expire() {
    let emu = start().await;
    let root = emu.root_credentials();
    send_v4(&emu, &root, OssReq::put("v1p", b"data")).await;
    let url = presign_v1(&emu, &root, &OssReq::get("v1p"), Duration::from_secs(60));
    let resp = client().get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let s = session(&emu, demo::READER_ROLE_ARN, None).await;
    let url_sts = presign_v1(&emu, &s, &OssReq::get("v1p"), Duration::from_secs(60));
    assert_eq!(client().get(&url_sts).send().await.unwrap().status(), 200);
    emu.clock().advance(Duration::from_secs(61));
    let (s, code, _) = error_code(client().get(&url).send().await.unwrap()).await;
    assert_eq!((s, code.as_str()), (403, "AccessDenied"));
}

#[tokio::test]
async fn wrong_secret_gives_signature_does_not_match_with_string_to_sign() {
    let emu = start().await;
    let bad = Credentials::new(demo::ROOT_KEY_ID, "wrong-secret").unwrap();
    let (s, code, body) = error_code(send_v4(&emu, &bad, OssReq::put("k", b"x")).await).await;
    assert_eq!((s, code.as_str()), (403, "SignatureDoesNotMatch"));
    assert_eq!(xml_field(&body, "EC").unwrap(), "0002-00000040");
    let sts = xml_field(&body, "StringToSign").unwrap();
    assert!(sts.starts_with("OSS4-HMAC-SHA256\n"), "{sts}");
    // The string to sign the server shows is the one the client computed.
    let mut req = alioss::oss::signer::SignableRequest::new("PUT", Some(demo::BUCKET), Some("k"));
    req.set_header("x-oss-date", sts.lines().nth(1).unwrap());
    req.set_header("x-oss-content-sha256", "UNSIGNED-PAYLOAD");
    let canon = alioss::oss::signer::v4::canonical_request(&req, &[]);
    assert!(sts.ends_with(
        &alioss::oss::signer::v4::string_to_sign(
            sts.lines().nth(1).unwrap(),
            sts.lines().nth(2).unwrap(),
            &canon
        )
        .lines()
        .last()
        .unwrap()
        .to_owned()
    ));
}

#[tokio::test]
async fn unknown_access_key_is_invalid_access_key_id() {
    let emu = start().await;
    let fake = Credentials::new("no-such-key", "test-secret").unwrap();
    let (s, code, body) = error_code(send_v4(&emu, &fake, OssReq::get("k")).await).await;
    assert_eq!((s, code.as_str()), (403, "InvalidAccessKeyId"));
    assert_eq!(
        xml_field(&body, "Message").unwrap(),
        "The OSS Access Key Id you provided does not exist in our records."
    );
}

#[tokio::test]
async fn clock_skew_over_15_minutes_is_refused_with_server_time() {
    let emu = start().await;
    let root = emu.root_credentials();
    let mut s = OssReq::put("skew", b"x");
    // Sign 16 minutes in the past.
    let mut sreq =
        alioss::oss::signer::SignableRequest::new("PUT", Some(demo::BUCKET), Some("skew"));
    alioss::oss::signer::V4Signer::new(demo::REGION)
        .unwrap()
        .sign_headers(
            &mut sreq,
            &root,
            emu.clock().now() - time::Duration::minutes(16),
        )
        .unwrap();
    s.headers = sreq.headers.clone();
    let resp = send_raw(emu.endpoint(), "PUT", &s, &[], &sreq.headers, b"x".to_vec()).await;
    let date = resp.headers()["date"].to_str().unwrap().to_owned();
    let (st, code, body) = error_code(resp).await;
    assert_eq!((st, code.as_str()), (403, "RequestTimeTooSkewed"));
    assert!(xml_field(&body, "ServerTime").is_some());
    let server = alioss::oss::signer::parse_http_date(&date).unwrap();
    assert!((server - emu.clock().now()).abs() < time::Duration::seconds(5));

    // Skewing the server clock has the same effect; 14 minutes is fine.
    emu.clock().set_offset_secs(14 * 60);
    let ok = {
        let mut r =
            alioss::oss::signer::SignableRequest::new("PUT", Some(demo::BUCKET), Some("skew"));
        alioss::oss::signer::V4Signer::new(demo::REGION)
            .unwrap()
            .sign_headers(&mut r, &root, time::OffsetDateTime::now_utc())
            .unwrap();
        send_raw(emu.endpoint(), "PUT", &s, &[], &r.headers, b"x".to_vec()).await
    };
    assert_eq!(ok.status(), 200);
    emu.clock().set_offset_secs(16 * 60);
    let mut r = alioss::oss::signer::SignableRequest::new("PUT", Some(demo::BUCKET), Some("skew"));
    alioss::oss::signer::V4Signer::new(demo::REGION)
        .unwrap()
        .sign_headers(&mut r, &root, time::OffsetDateTime::now_utc())
        .unwrap();
    let resp = send_raw(emu.endpoint(), "PUT", &s, &[], &r.headers, b"x".to_vec()).await;
    assert_eq!(error_code(resp).await.1, "RequestTimeTooSkewed");
}

#[tokio::test]
async fn sts_keys_need_their_security_token() {
    let emu = start().await;
    let s = session(&emu, demo::ROLE_ARN, None).await;
    let no_token = Credentials::new(s.access_key_id(), s.access_key_secret()).unwrap();
    let (st, code, _) = error_code(send_v4(&emu, &no_token, OssReq::put("t", b"x")).await).await;
    assert_eq!((st, code.as_str()), (403, "InvalidAccessKeyId"));

    let tampered = Credentials::builder()
        .access_key_id(s.access_key_id())
        .access_key_secret(s.access_key_secret())
        .security_token(format!("{}x", s.security_token().unwrap()))
        .build()
        .unwrap();
    let (st, code, body) = error_code(send_v4(&emu, &tampered, OssReq::put("t", b"x")).await).await;
    assert_eq!((st, code.as_str()), (403, "InvalidSecurityToken"));
    assert_eq!(
        xml_field(&body, "Message").unwrap(),
        "The security token you provided is invalid."
    );

    // Another session's token does not fit this key either.
    let other = session(&emu, demo::ROLE_ARN, None).await;
    let mixed = Credentials::builder()
        .access_key_id(s.access_key_id())
        .access_key_secret(s.access_key_secret())
        .security_token(other.security_token().unwrap())
        .build()
        .unwrap();
    assert_eq!(
        error_code(send_v4(&emu, &mixed, OssReq::put("t", b"x")).await)
            .await
            .1,
        "InvalidSecurityToken"
    );
}

#[tokio::test]
async fn expired_sts_credentials_are_refused_after_advancing_the_clock() {
    let emu = start().await;
    let s = session(&emu, demo::ROLE_ARN, None).await; // 900 s
    assert_eq!(
        send_v4(&emu, &s, OssReq::put("e", b"x")).await.status(),
        200
    );
    emu.clock().advance(Duration::from_secs(901));
    let (st, code, body) = error_code(send_v4(&emu, &s, OssReq::put("e", b"x")).await).await;
    assert_eq!((st, code.as_str()), (403, "SecurityTokenExpired"));
    assert_eq!(
        xml_field(&body, "Message").unwrap(),
        "The security token you provided has expired."
    );
    assert_eq!(xml_field(&body, "EC").unwrap(), "0002-00000007");
}

#[tokio::test]
async fn anonymous_requests_are_refused() {
    let emu = start().await;
    let resp = client()
        .get(format!("{}/{}/k", emu.endpoint(), demo::BUCKET))
        .send()
        .await
        .unwrap();
    let (st, code, body) = error_code(resp).await;
    assert_eq!((st, code.as_str()), (403, "AccessDenied"));
    assert_eq!(
        xml_field(&body, "Message").unwrap(),
        "Anonymous access is forbidden for this operation."
    );
}

#[tokio::test]
async fn public_read_objects_can_be_read_anonymously() {
    let emu = start().await;
    let root = emu.root_credentials();
    send_v4(
        &emu,
        &root,
        OssReq::put("pub", b"open").header("x-oss-object-acl", "public-read"),
    )
    .await;
    let resp = client()
        .get(format!("{}/{}/pub", emu.endpoint(), demo::BUCKET))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = client()
        .put(format!("{}/{}/pub", emu.endpoint(), demo::BUCKET))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}

#[tokio::test]
async fn bucket_addressed_with_the_wrong_region_names_the_endpoint() {
    let emu = start().await;
    let root = emu.root_credentials();
    let resp = send_v4_region(
        &emu,
        &root,
        "cn-hangzhou",
        OssReq::new("GET", demo::OTHER_BUCKET, Some("k")),
    )
    .await;
    let (st, code, body) = error_code(resp).await;
    assert_eq!((st, code.as_str()), (403, "AccessDenied"));
    assert!(xml_field(&body, "Message").unwrap().starts_with(
        "The bucket you are attempting to access must be addressed using the specified endpoint."
    ));
    assert_eq!(
        xml_field(&body, "Endpoint").unwrap(),
        "oss-cn-shanghai.aliyuncs.com"
    );
    let resp = send_v4_region(&emu, &root, "cn-shanghai", OssReq::put("k", b"x").clone()).await;
    assert_eq!(resp.status(), 403);
    let mut ok = OssReq::put("k", b"x");
    ok.bucket = demo::OTHER_BUCKET.into();
    assert_eq!(
        send_v4_region(&emu, &root, "cn-shanghai", ok)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn session_policy_narrows_the_role() {
    let emu = start().await;
    let policy = r#"{"Version":"1","Statement":[{"Action":["oss:PutObject"],"Resource":["acs:oss:*:*:examplebucket/src/*"],"Effect":"Allow"}]}"#;
    let s = session(&emu, demo::ROLE_ARN, Some(policy)).await;
    assert_eq!(
        send_v4(&emu, &s, OssReq::put("src/data.csv", b"a,b"))
            .await
            .status(),
        200
    );
    let (st, code, body) =
        error_code(send_v4(&emu, &s, OssReq::put("other/data.csv", b"a,b")).await).await;
    assert_eq!((st, code.as_str()), (403, "AccessDenied"));
    assert_eq!(xml_field(&body, "EC").unwrap(), "0003-00000301");
    // A session policy cannot widen the role: GetObject is not in RamOssTest.
    let wide =
        r#"{"Version":"1","Statement":[{"Action":"oss:*","Resource":"*","Effect":"Allow"}]}"#;
    let s = session(&emu, demo::ROLE_ARN, Some(wide)).await;
    assert_eq!(
        error_code(send_v4(&emu, &s, OssReq::get("src/data.csv")).await)
            .await
            .1,
        "AccessDenied"
    );
    // The role is bucket-scoped.
    let mut other = OssReq::put("k", b"x");
    other.bucket = demo::OTHER_BUCKET.into();
    assert_eq!(
        send_v4_region(&emu, &s, demo::OTHER_REGION, other)
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn ram_users_are_limited_by_their_policies_and_deny_wins() {
    let mut cfg = alioss_emulator::EmulatorConfig::demo();
    cfg.users[1].policies.push(
        alioss_emulator::PolicyDocument::from_json_str(
            r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"oss:DeleteObject","Resource":"acs:oss:*:*:examplebucket/keep/*"}]}"#,
        )
        .unwrap(),
    );
    let emu = alioss_emulator::Emulator::start(cfg).await.unwrap();
    let admin = admin(&emu);
    assert_eq!(
        send_v4(&emu, &admin, OssReq::put("keep/a", b"x"))
            .await
            .status(),
        200
    );
    assert_eq!(
        send_v4(
            &emu,
            &admin,
            OssReq::new("DELETE", demo::BUCKET, Some("keep/a"))
        )
        .await
        .status(),
        403
    );
    assert_eq!(
        send_v4(
            &emu,
            &admin,
            OssReq::new("DELETE", demo::BUCKET, Some("other"))
        )
        .await
        .status(),
        204
    );
    // The uploader has no OSS rights of its own.
    let (st, code, _) =
        error_code(send_v4(&emu, &uploader(&emu), OssReq::put("k", b"x")).await).await;
    assert_eq!((st, code.as_str()), (403, "AccessDenied"));
}

#[tokio::test]
async fn additional_signed_headers_are_verified() {
    let emu = start().await;
    let root = emu.root_credentials();
    let req = OssReq::put("ah", b"x").header("x-custom", "abc");
    let mut s = alioss::oss::signer::SignableRequest::new("PUT", Some(demo::BUCKET), Some("ah"));
    s.headers = req.headers.clone();
    alioss::oss::signer::V4Signer::new(demo::REGION)
        .unwrap()
        .with_additional_headers(["x-custom"])
        .sign_headers(&mut s, &root, emu.clock().now())
        .unwrap();
    assert!(s
        .header("authorization")
        .unwrap()
        .contains("AdditionalHeaders=x-custom"));
    let resp = send_raw(emu.endpoint(), "PUT", &req, &[], &s.headers, b"x".to_vec()).await;
    assert_eq!(resp.status(), 200);
    let mut changed = s.headers.clone();
    for (k, v) in changed.iter_mut() {
        if k == "x-custom" {
            *v = "abd".into();
        }
    }
    let resp = send_raw(emu.endpoint(), "PUT", &req, &[], &changed, b"x".to_vec()).await;
    assert_eq!(error_code(resp).await.1, "SignatureDoesNotMatch");
}

#[tokio::test]
async fn a_refused_large_upload_still_gets_its_error_response() {
    let emu = start().await;
    let bad = Credentials::new(demo::ROOT_KEY_ID, "wrong-secret").unwrap();
    let body = vec![1u8; 8 * 1024 * 1024];
    for _ in 0..3 {
        let (s, code, _) = error_code(send_v4(&emu, &bad, OssReq::put("big", &body)).await).await;
        assert_eq!((s, code.as_str()), (403, "SignatureDoesNotMatch"));
    }
}

#[tokio::test]
async fn v1_signs_sub_resources_of_append_and_multipart() {
    let emu = start().await;
    let root = emu.root_credentials();
    let r = OssReq::new("POST", demo::BUCKET, Some("v1app"))
        .query("append", "")
        .query("position", "0")
        .body(b"ab");
    assert_eq!(send_v1(&emu, &root, r).await.status(), 200);
    let r = OssReq::new("POST", demo::BUCKET, Some("v1mp")).query("uploads", "");
    let resp = send_v1(&emu, &root, r).await;
    assert_eq!(resp.status(), 200);
    let id = xml_field(&resp.text().await.unwrap(), "UploadId").unwrap();
    let r = OssReq::new("PUT", demo::BUCKET, Some("v1mp"))
        .query("partNumber", "1")
        .query("uploadId", &id)
        .body(b"p");
    assert_eq!(send_v1(&emu, &root, r).await.status(), 200);
    let r = OssReq::new("GET", demo::BUCKET, None)
        .query("list-type", "2")
        .query("prefix", "v1 a+b");
    assert_eq!(send_v1(&emu, &root, r).await.status(), 200);
    let r = OssReq::new("GET", demo::BUCKET, None)
        .query("list-type", "2")
        .query("prefix", "v1 a+b");
    assert_eq!(send_v4(&emu, &root, r).await.status(), 200);
}

#[tokio::test]
async fn presigned_urls_with_additional_headers_and_bad_expiry() {
    let emu = start().await;
    let root = emu.root_credentials();
    let mut s =
        alioss::oss::signer::SignableRequest::new("PUT", Some(demo::BUCKET), Some("ah-pre"));
    s.set_header("x-custom", "v1");
    alioss::oss::signer::V4Signer::new(demo::REGION)
        .unwrap()
        .with_additional_headers(["x-custom"])
        .presign(&mut s, &root, emu.clock().now(), Duration::from_secs(60))
        .unwrap();
    let req = OssReq::put("ah-pre", b"");
    let url = req.url(emu.endpoint(), &s.query);
    assert!(url.contains("x-oss-additional-headers=x-custom"));
    let ok = client()
        .put(&url)
        .header("x-custom", "v1")
        .body("a")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let bad = client()
        .put(&url)
        .header("x-custom", "v2")
        .body("a")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(bad).await.1, "SignatureDoesNotMatch");
    let long = url.replace("x-oss-expires=60", "x-oss-expires=604801");
    let (st, code, _) = error_code(
        client()
            .put(&long)
            .header("x-custom", "v1")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, code.as_str()), (400, "InvalidArgument"));
}

#[tokio::test]
async fn error_bodies_never_echo_the_security_token() {
    let emu = start().await;
    let s = session(&emu, demo::READER_ROLE_ARN, None).await;
    let token = s.security_token().unwrap().to_owned();
    let wrong = Credentials::builder()
        .access_key_id(s.access_key_id())
        .access_key_secret("wrong-secret")
        .security_token(&token)
        .build()
        .unwrap();
    for resp in [
        send_v4(&emu, &wrong, OssReq::get("k")).await,
        send_v1(&emu, &wrong, OssReq::get("k")).await,
        client()
            .get(presign_v4(&emu, &wrong, &OssReq::get("k"), Duration::from_secs(60)).0)
            .send()
            .await
            .unwrap(),
    ] {
        let (_, code, body) = error_code(resp).await;
        assert_eq!(code, "SignatureDoesNotMatch");
        assert!(!body.contains(&token), "token echoed: {body}");
        assert!(!body.contains(&alioss::oss::signer::uri_encode(&token)));
    }
    let (status, body) = assume_role(&emu, &wrong, demo::ROLE_ARN, &[]).await;
    assert_eq!(status, 400);
    let text = body.to_string();
    assert!(!text.contains(&alioss::sts::signer::percent_encode(
        &alioss::sts::signer::percent_encode(&token)
    )));
    assert!(!text.contains(&token));
}
