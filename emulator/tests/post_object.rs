//! PostObject: V4 and V1 form signatures, policy conditions and expiry.

mod common;

use std::time::Duration;

use alioss::oss::signer::post::{encode_policy, v1_signature, v4_signature};
use alioss::Credentials;
use alioss_emulator::{demo, EmulatorHandle};
use common::*;

fn form(fields: &[(&str, &str)], file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----alioss-test-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"up.txt\"\r\nContent-Type: text/plain\r\n\r\n").as_bytes());
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn policy(emu: &EmulatorHandle, valid_for: i64, conditions: &str) -> String {
    let exp = emu.clock().now() + time::Duration::seconds(valid_for);
    let exp = exp
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    encode_policy(&format!(
        r#"{{"expiration":"{exp}","conditions":[{conditions}]}}"#
    ))
}

async fn post(
    emu: &EmulatorHandle,
    bucket: &str,
    fields: &[(&str, &str)],
    file: &[u8],
) -> reqwest::Response {
    let (ct, body) = form(fields, file);
    client()
        .post(format!("{}/{bucket}", emu.endpoint()))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn post_v4(
    emu: &EmulatorHandle,
    c: &Credentials,
    key: &str,
    conditions: &str,
    valid_for: i64,
    file: &[u8],
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let now = emu.clock().now();
    let datetime = alioss::oss::signer::format_iso8601_basic(now);
    let date = &datetime[..8];
    let cred = format!(
        "{}/{date}/{}/oss/aliyun_v4_request",
        c.access_key_id(),
        demo::REGION
    );
    let p = policy(emu, valid_for, conditions);
    let sig = v4_signature(c.access_key_secret(), date, demo::REGION, "oss", &p);
    let mut fields = vec![
        ("key", key),
        ("policy", p.as_str()),
        ("x-oss-signature-version", "OSS4-HMAC-SHA256"),
        ("x-oss-credential", cred.as_str()),
        ("x-oss-date", datetime.as_str()),
        ("x-oss-signature", sig.as_str()),
    ];
    let token;
    if let Some(t) = c.security_token() {
        token = t.to_owned();
        fields.push(("x-oss-security-token", token.as_str()));
    }
    fields.extend_from_slice(extra);
    post(emu, demo::BUCKET, &fields, file).await
}

#[tokio::test]
async fn v4_form_upload_stores_the_object() {
    let emu = start().await;
    let c = emu.root_credentials();
    let conds = r#"{"bucket":"examplebucket"},["starts-with","$key","src/"],["content-length-range",1,100]"#;
    let resp = post_v4(
        &emu,
        &c,
        "src/${filename}",
        conds,
        600,
        b"form data",
        &[
            ("x-oss-meta-from", "form"),
            ("success_action_status", "201"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 201);
    assert_eq!(
        resp.headers()["x-oss-hash-crc64ecma"],
        alioss::oss::crc64::checksum(b"form data")
            .to_string()
            .as_str()
    );
    let xml = resp.text().await.unwrap();
    assert_eq!(xml_field(&xml, "Key").unwrap(), "src/up.txt");
    let resp = send_v4(&emu, &c, OssReq::get("src/up.txt")).await;
    assert_eq!(resp.headers()["x-oss-meta-from"], "form");
    assert_eq!(resp.headers()["content-type"], "text/plain");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"form data");
}

#[tokio::test]
async fn form_conditions_and_expiry_are_enforced() {
    let emu = start().await;
    let c = emu.root_credentials();
    let conds = r#"["starts-with","$key","src/"],["content-length-range",1,5],["eq","$x-oss-meta-tag","t1"]"#;
    // A form for `key` under `conds`, valid for `valid_for` seconds, with x-oss-meta-tag `tag`.
    let with_tag = async |key: &str, valid_for: i64, file: &[u8], tag: &str| {
        post_v4(
            &emu,
            &c,
            key,
            conds,
            valid_for,
            file,
            &[("x-oss-meta-tag", tag)],
        )
        .await
    };
    let (s, code, _) = error_code(with_tag("other/a", 600, b"abc", "t1").await).await;
    assert_eq!((s, code.as_str()), (403, "AccessDenied"));
    let (s, code, _) = error_code(with_tag("src/a", 600, b"too long", "t1").await).await;
    assert_eq!((s, code.as_str()), (400, "EntityTooLarge"));
    let (_, code, _) = error_code(with_tag("src/a", 600, b"abc", "t2").await).await;
    assert_eq!(code, "AccessDenied");
    let (s, code, body) = error_code(with_tag("src/a", -1, b"abc", "t1").await).await;
    assert_eq!((s, code.as_str()), (403, "AccessDenied"));
    assert!(xml_field(&body, "Message")
        .unwrap()
        .contains("Policy expired"));
    assert_eq!(with_tag("src/a", 600, b"abc", "t1").await.status(), 204);
    let (_, code, _) = error_code(
        post_v4(
            &emu,
            &c,
            "src/x",
            r#"{"bucket":"otherbucket"}"#,
            600,
            b"abc",
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(code, "AccessDenied");
}

#[tokio::test]
async fn form_signatures_and_tokens_are_checked() {
    let emu = start().await;
    let bad = Credentials::new(demo::ROOT_KEY_ID, "wrong-secret").unwrap();
    let (s, code, _) = error_code(post_v4(&emu, &bad, "k", "", 600, b"x", &[]).await).await;
    assert_eq!((s, code.as_str()), (403, "SignatureDoesNotMatch"));
    // STS credentials: allowed by the role, token required.
    let sess = session(&emu, demo::ROLE_ARN, None).await;
    assert_eq!(
        post_v4(&emu, &sess, "sts-form", "", 600, b"x", &[])
            .await
            .status(),
        204
    );
    let no_token = Credentials::new(sess.access_key_id(), sess.access_key_secret()).unwrap();
    assert_eq!(
        error_code(post_v4(&emu, &no_token, "sts-form", "", 600, b"x", &[]).await)
            .await
            .1,
        "InvalidAccessKeyId"
    );
    // Anonymous form upload to a private bucket.
    let (s, code, _) = error_code(post(&emu, demo::BUCKET, &[("key", "anon")], b"x").await).await;
    assert_eq!((s, code.as_str()), (403, "AccessDenied"));
    emu.clock().advance(Duration::from_secs(901));
    assert_eq!(
        error_code(post_v4(&emu, &sess, "sts-form", "", 600, b"x", &[]).await)
            .await
            .1,
        "SecurityTokenExpired"
    );
}

#[tokio::test]
async fn v1_form_signature_is_accepted() {
    let emu = start().await;
    let c = emu.root_credentials();
    let p = policy(&emu, 600, r#"["content-length-range",0,10]"#);
    let sig = v1_signature(c.access_key_secret(), &p);
    let fields = [
        ("key", "v1form"),
        ("OSSAccessKeyId", c.access_key_id()),
        ("policy", p.as_str()),
        ("Signature", sig.as_str()),
    ];
    assert_eq!(post(&emu, demo::BUCKET, &fields, b"v1").await.status(), 204);
    let resp = send_v4(&emu, &c, OssReq::get("v1form")).await;
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"v1");
}

#[tokio::test]
async fn cors_rules_answer_preflights_and_decorate_responses() {
    let mut cfg = alioss_emulator::EmulatorConfig::demo();
    cfg.buckets[0].cors.push(alioss_emulator::CorsRule {
        allowed_origins: vec!["http://*.example.com".into()],
        allowed_methods: vec!["POST".into(), "PUT".into(), "GET".into()],
        allowed_headers: vec!["*".into()],
        expose_headers: vec!["ETag".into(), "x-oss-request-id".into()],
        max_age_seconds: Some(600),
    });
    let emu = alioss_emulator::Emulator::start(cfg).await.unwrap();
    let url = format!("{}/{}/", emu.endpoint(), demo::BUCKET);
    let resp = client()
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "http://shop.example.com")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type, x-oss-meta-a",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "http://shop.example.com"
    );
    assert_eq!(resp.headers()["access-control-max-age"], "600");
    let resp = client()
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "http://evil.test")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(resp).await.0, 403);
    // A form upload from the allowed origin carries the CORS headers (even when refused).
    let (ct, body) = form(&[("key", "anon")], b"x");
    let resp = client()
        .post(&url)
        .header("origin", "http://shop.example.com")
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(
        resp.headers()["access-control-expose-headers"],
        "ETag, x-oss-request-id"
    );
    // No rules, no CORS: the demo's other bucket.
    let resp = client()
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/{}/k", emu.endpoint(), demo::OTHER_BUCKET),
        )
        .header("origin", "http://shop.example.com")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}

#[tokio::test]
async fn demo_bucket_lets_a_local_page_upload_and_read_the_upload_headers() {
    let emu = start().await;
    let page = "http://127.0.0.1:8123";
    // The preflight ali-oss's browser build causes before a signed V4 PUT.
    let preflight = |origin: &str, method: &str| {
        client()
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/{}/src/page.bin", emu.endpoint(), demo::BUCKET),
            )
            .header("origin", origin)
            .header("access-control-request-method", method)
            .header(
                "access-control-request-headers",
                "authorization,content-type,x-oss-content-sha256,x-oss-date,x-oss-security-token",
            )
            .send()
    };
    let resp = preflight(page, "PUT").await.unwrap();
    assert_eq!(resp.status(), 200);
    let h = resp.headers();
    assert_eq!(h["access-control-allow-origin"], page);
    assert_eq!(
        h["access-control-allow-methods"],
        "GET, PUT, POST, DELETE, HEAD"
    );
    assert_eq!(
        h["access-control-allow-headers"],
        "authorization, content-type, x-oss-content-sha256, x-oss-date, x-oss-security-token"
    );
    assert_eq!(h["access-control-max-age"], "600");
    // Other origins and methods outside the rule are refused as OSS refuses them.
    for (origin, method) in [("http://evil.test", "PUT"), (page, "PATCH")] {
        let (status, code, _) = error_code(preflight(origin, method).await.unwrap()).await;
        assert_eq!(
            (status, code.as_str()),
            (403, "AccessForbidden"),
            "{origin} {method}"
        );
    }
    // The signed upload itself carries the headers that let the page read ETag and CRC-64.
    let resp = send_v4(
        &emu,
        &admin(&emu),
        OssReq::put("src/page.bin", b"page bytes").header("origin", page),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let h = resp.headers();
    assert_eq!(h["access-control-allow-origin"], page);
    let exposed = h["access-control-expose-headers"].to_str().unwrap();
    for name in ["ETag", "x-oss-request-id", "x-oss-hash-crc64ecma"] {
        assert!(exposed.split(", ").any(|e| e == name), "{exposed}");
        assert!(h.contains_key(name), "{name} missing");
    }
    // Without an Origin (not a browser) nothing CORS-related is added.
    let resp = send_v4(&emu, &admin(&emu), OssReq::get("src/page.bin")).await;
    assert!(!resp.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn success_action_status_picks_200_201_or_the_default_204() {
    let emu = start().await;
    let c = emu.root_credentials();
    let conds = r#"{"bucket":"examplebucket"},["starts-with","$key","src/"]"#;
    for (asked, status, xml) in [
        (Some("200"), 200, false),
        (Some("201"), 201, true),
        (Some("204"), 204, false),
        (None, 204, false),
        // Anything else falls back to 204, as OSS does.
        (Some("302"), 204, false),
    ] {
        let extra: Vec<(&str, &str)> = asked
            .map(|s| ("success_action_status", s))
            .into_iter()
            .collect();
        let resp = post_v4(&emu, &c, "src/status.txt", conds, 600, b"status", &extra).await;
        assert_eq!(resp.status(), status, "asked {asked:?}");
        assert!(resp.headers().contains_key("etag"));
        let body = resp.text().await.unwrap();
        assert_eq!(
            body.contains("<PostResponse>"),
            xml,
            "asked {asked:?}: {body}"
        );
    }
}
