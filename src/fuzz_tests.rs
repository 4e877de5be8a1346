//! Fuzzing on the stable toolchain (issue 11): property tests that feed arbitrary and
//! structure-aware inputs to every parser of untrusted data — the XML response parsers, the
//! OSS error decoder, the STS answer and credentials-document parsers, the RAM policy parser and
//! evaluator, the V4/V1 canonicalisation and the CRC header parser — and require that none of
//! them panics (each returns a value or a typed error). Each test runs a bounded number of
//! cases (`ALIOSS_FUZZ_CASES`, default 1000) and prints `fuzz <target>: N cases run`.
//! `fuzz/` holds cargo-fuzz targets over the same entry points for longer nightly runs.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::oss::xml::{self, from_xml};

/// Cases per target: `ALIOSS_FUZZ_CASES` or 1000.
fn cases() -> u32 {
    std::env::var("ALIOSS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

/// Runs `test` over `strategy` for [`cases`] cases and prints the count.
fn fuzz<S: Strategy>(target: &str, strategy: S, test: impl Fn(S::Value)) {
    let n = cases();
    let mut runner = TestRunner::new(Config {
        cases: n,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&strategy, |v| {
            test(v);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("fuzz {target}: {e}"));
    println!("fuzz {target}: {n} cases run");
}

/// XML-ish text: fragments of OSS result documents, shuffled, cut and mixed with noise.
fn xmlish() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("<?xml version=\"1.0\" encoding=\"UTF-8\"?>".to_owned()),
        Just("<ListBucketResult>".to_owned()),
        Just("</ListBucketResult>".to_owned()),
        Just("<ListPartsResult>".to_owned()),
        Just("</ListPartsResult>".to_owned()),
        Just("<ListMultipartUploadsResult>".to_owned()),
        Just("<InitiateMultipartUploadResult>".to_owned()),
        Just("<CompleteMultipartUploadResult>".to_owned()),
        Just("<Error>".to_owned()),
        Just("</Error>".to_owned()),
        Just("<Contents><Key>k</Key><Size>12</Size></Contents>".to_owned()),
        Just("<Part><PartNumber>1</PartNumber><ETag>\"e\"</ETag><Size>5</Size><HashCrc64ecma>x</HashCrc64ecma></Part>".to_owned()),
        Just("<CommonPrefixes/>".to_owned()),
        Just("<IsTruncated>true</IsTruncated>".to_owned()),
        Just("<KeyCount>-1</KeyCount>".to_owned()),
        Just("<Size>99999999999999999999999</Size>".to_owned()),
        Just("<EncodingType>url</EncodingType>".to_owned()),
        Just("<Key>%ZZ%</Key>".to_owned()),
        Just("<![CDATA[x]]>".to_owned()),
        Just("<!DOCTYPE x [<!ENTITY a \"aaaa\">]>".to_owned()),
        Just("&a;&amp;&#0;&#xFFFFFF;".to_owned()),
        "\\PC{0,16}",
        "<[A-Za-z]{1,12}>",
        "</[A-Za-z]{1,12}>",
    ];
    proptest::collection::vec(pieces, 0..24).prop_map(|v| v.concat())
}

/// Any of the XML result types; none may panic.
fn parse_all_xml(text: &str) {
    let _ = from_xml::<xml::ListBucketResult>(text);
    let _ = from_xml::<xml::ListPartsResult>(text);
    let _ = from_xml::<xml::ListMultipartUploadsResult>(text);
    let _ = from_xml::<xml::InitiateMultipartUploadResult>(text);
    let _ = from_xml::<xml::CompleteMultipartUploadResult>(text);
    let _ = from_xml::<xml::ErrorXml>(text);
}

#[test]
fn fuzz_xml_response_parsers() {
    fuzz(
        "xml response parsers",
        prop_oneof![xmlish(), "\\PC{0,200}"],
        |t| parse_all_xml(&t),
    );
}

#[test]
fn fuzz_oss_error_decoder() {
    fuzz(
        "oss error decoder",
        (
            any::<u16>(),
            prop_oneof![
                xmlish().prop_map(String::into_bytes),
                proptest::collection::vec(any::<u8>(), 0..300)
            ],
            proptest::option::of("[A-Za-z0-9+/=]{0,80}"),
            proptest::option::of("\\PC{0,40}"),
        ),
        |(status, body, err_header, date)| {
            let mut headers = reqwest::header::HeaderMap::new();
            if let Some(v) = err_header.and_then(|v| v.parse().ok()) {
                headers.insert("x-oss-err", v);
            }
            if let Some(v) = date.and_then(|v| v.parse().ok()) {
                headers.insert("date", v);
            }
            let e = crate::oss::error_response::parse(status, &headers, &body, Some("STS.x"));
            assert!(e.message.chars().count() <= crate::limits::MAX_ERROR_MESSAGE_CHARS + 1);
            let _ = e.to_string();
        },
    );
}

/// JSON-ish text built from the fields STS and credentials services answer.
fn jsonish() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        Just("\"STS.x\"".to_owned()),
        Just("\"2099-01-01T00:00:00Z\"".to_owned()),
        Just("\"2020-01-01T00:00:00Z\"".to_owned()),
        Just("\"\"".to_owned()),
        Just("null".to_owned()),
        Just("1e999".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        "\"\\PC{0,12}\"",
        "-?[0-9]{1,25}",
    ];
    let key = prop_oneof![
        Just("AccessKeyId"),
        Just("AccessKeySecret"),
        Just("SecurityToken"),
        Just("Expiration"),
        Just("Code"),
        Just("Message"),
        Just("RequestId"),
        Just("Credentials"),
        Just("AssumedRoleUser"),
        Just("Arn"),
    ];
    let field = (key, value).prop_map(|(k, v)| format!("\"{k}\":{v}"));
    (
        proptest::collection::vec(field.clone(), 0..8),
        proptest::collection::vec(field, 0..6),
        any::<bool>(),
    )
        .prop_map(|(outer, inner, nest)| {
            let inner = format!("{{{}}}", inner.join(","));
            let mut outer = outer;
            if nest {
                outer.push(format!("\"Credentials\":{inner}"));
            }
            format!("{{{}}}", outer.join(","))
        })
}

#[test]
fn fuzz_sts_and_credentials_json_parsers() {
    fuzz(
        "sts and credentials json parsers",
        prop_oneof![
            jsonish().prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>(), 0..200)
        ],
        |body| {
            let _ = crate::sts::client::parse_assume_role(&body, "fuzz");
            let _ = crate::providers::document::parse_credentials_document("fuzz", &body);
            let e = crate::sts::error::service_error(400, &body, &["secret-value"]);
            assert!(!e.to_string().contains("secret-value"));
        },
    );
}

/// Policy-shaped JSON: known and unknown elements, effects, operators and values.
fn policyish() -> impl Strategy<Value = String> {
    let action = prop_oneof![
        Just("\"oss:*\""),
        Just("\"oss:PutObject\""),
        Just("\"oss:Get*\""),
        Just("\"*\""),
        Just("\"sts:?\""),
        Just("\"\""),
        Just("1"),
    ];
    let resource = prop_oneof![
        Just("\"*\""),
        Just("\"acs:oss:*:*:examplebucket/src/*\""),
        Just("\"acs:oss:*:*:*\""),
        Just("\"acs:oss\""),
        Just("\"\""),
    ];
    let effect = prop_oneof![
        Just("\"Allow\""),
        Just("\"Deny\""),
        Just("\"Maybe\""),
        Just("null")
    ];
    let operator = prop_oneof![
        Just("StringEquals"),
        Just("StringLike"),
        Just("IpAddress"),
        Just("NotIpAddress"),
        Just("DateLessThan"),
        Just("NumericLessThan"),
        Just("Bool"),
        Just("StringLooksLike"),
        Just("ForAnyValue:StringEquals"),
    ];
    let cond_value = prop_oneof![
        Just("[\"10.0.0.0/8\"]"),
        Just("[\"2099-01-01T00:00:00Z\"]"),
        Just("[\"abc*\"]"),
        Just("[100]"),
        Just("[true]"),
        Just("\"x\""),
        Just("[]"),
    ];
    let cond_key = prop_oneof![
        Just("acs:SourceIp"),
        Just("acs:CurrentTime"),
        Just("oss:Prefix"),
        Just("oss:MaxKeys"),
        Just("acs:SecureTransport"),
        Just("x"),
    ];
    let condition = (operator, cond_key, cond_value)
        .prop_map(|(o, k, v)| format!(",\"Condition\":{{\"{o}\":{{\"{k}\":{v}}}}}"));
    let statement = (
        effect,
        proptest::collection::vec(action, 0..3),
        proptest::collection::vec(resource, 0..3),
        proptest::option::of(condition),
    )
        .prop_map(|(e, a, r, c)| {
            format!(
                "{{\"Effect\":{e},\"Action\":[{}],\"Resource\":[{}]{}}}",
                a.join(","),
                r.join(","),
                c.unwrap_or_default()
            )
        });
    (
        prop_oneof![Just("\"1\""), Just("\"2\""), Just("1")],
        proptest::collection::vec(statement, 0..4),
    )
        .prop_map(|(v, s)| format!("{{\"Version\":{v},\"Statement\":[{}]}}", s.join(",")))
}

#[test]
fn fuzz_ram_policy_parser_and_evaluator() {
    use crate::policy::{evaluate, evaluate_effective, Policy, RequestContext};
    fuzz(
        "ram policy parser and evaluator",
        (
            prop_oneof![policyish(), "\\PC{0,120}"],
            policyish(),
            prop_oneof![
                Just("oss:PutObject".to_owned()),
                Just("oss:GetObject".to_owned()),
                "\\PC{0,12}"
            ],
            prop_oneof![
                Just("acs:oss:*:*:examplebucket/src/a".to_owned()),
                "\\PC{0,20}"
            ],
            "\\PC{0,16}",
        ),
        |(a, b, action, resource, ip)| {
            let pa = Policy::from_json(&a);
            let pb = Policy::from_json(&b);
            let ctx = RequestContext::new(action, resource)
                .with("acs:SourceIp", ip)
                .with("oss:MaxKeys", "50");
            if let Ok(p) = &pa {
                let _ = p.check_known_operators();
                // A parsed policy re-serialises to JSON that parses to the same policy.
                let again = Policy::from_json(&p.to_json()).expect("round trip");
                assert_eq!(&again, p);
                let _ = evaluate(std::slice::from_ref(p), &ctx);
                if let Ok(q) = &pb {
                    let _ = evaluate_effective(std::slice::from_ref(p), Some(q), &ctx);
                }
            }
        },
    );
}

#[test]
fn fuzz_v4_and_v1_canonicalisation() {
    use crate::oss::signer::{v1, v4, SignableRequest, V1Signer, V4Signer};
    let creds = crate::Credentials::builder()
        .access_key_id("STS.fuzz")
        .access_key_secret("fuzz-secret")
        .security_token("fuzz-token")
        .build()
        .unwrap();
    let v4s = V4Signer::new("cn-hangzhou").unwrap();
    let v1s = V1Signer::new();
    fuzz(
        "v4 and v1 canonicalisation",
        (
            "[A-Z]{0,7}|\\PC{0,4}",
            proptest::option::of("\\PC{0,20}"),
            proptest::option::of("\\PC{0,40}"),
            proptest::collection::vec(("\\PC{0,12}", "\\PC{0,12}"), 0..6),
            proptest::collection::vec(("[ -~]{0,16}", "\\PC{0,16}"), 0..6),
            0i64..4_000_000_000,
        ),
        |(method, bucket, key, query, headers, secs)| {
            let mut req = SignableRequest::new(method, bucket.as_deref(), key.as_deref());
            req.query = query;
            req.headers = headers;
            let _ = v4::canonical_request(&req, &[]);
            let _ = v4::canonical_query(&req.query);
            let _ = v1::string_to_sign(&req, "Thu, 01 Jan 2026 00:00:00 GMT", &[]);
            let t = time::OffsetDateTime::from_unix_timestamp(secs).unwrap();
            let mut a = req.clone();
            if v4s.sign_headers(&mut a, &creds, t).is_ok() {
                let auth = a
                    .headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                    .map(|(_, v)| v.clone())
                    .expect("a signed request has Authorization");
                assert!(v4::parse_authorization(&auth).is_some(), "{auth}");
            }
            let mut b = req;
            let _ = v1s.sign_headers(&mut b, &creds, t);
        },
    );
}

#[test]
fn fuzz_crc_header_parser() {
    fuzz(
        "crc header parser",
        prop_oneof![
            "[0-9]{0,25}",
            "\\PC{0,25}",
            any::<u64>().prop_map(|v| v.to_string())
        ],
        |s| {
            let parsed = crate::oss::crc64::parse(&s);
            // Accepted exactly when it is the decimal form of a u64 (leading zeros allowed).
            let expected = (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u64>().ok())
                .flatten();
            assert_eq!(parsed, expected, "{s:?}");
        },
    );
}
