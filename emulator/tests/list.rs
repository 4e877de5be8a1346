//! ListObjectsV2 and ListObjects.

mod common;

use alioss_emulator::demo;
use common::*;

fn keys(xml: &str) -> Vec<String> {
    xml.split("<Contents>")
        .skip(1)
        .map(|c| xml_field(c, "Key").unwrap())
        .collect()
}

fn prefixes(xml: &str) -> Vec<String> {
    xml.split("<CommonPrefixes>")
        .skip(1)
        .map(|c| xml_field(c, "Prefix").unwrap())
        .collect()
}

async fn list(emu: &alioss_emulator::EmulatorHandle, q: &[(&str, &str)]) -> String {
    let mut r = OssReq::new("GET", demo::BUCKET, None).query("list-type", "2");
    for (k, v) in q {
        r = r.query(k, v);
    }
    let resp = send_v4(emu, &emu.root_credentials(), r).await;
    assert_eq!(resp.status(), 200);
    resp.text().await.unwrap()
}

#[tokio::test]
async fn list_v2_with_prefix_delimiter_and_pagination() {
    let emu = start().await;
    let root = emu.root_credentials();
    for k in ["a.txt", "b/1", "b/2", "c/x/1", "c/y", "d", "e f"] {
        send_v4(&emu, &root, OssReq::put(k, b"x")).await;
    }
    let xml = list(&emu, &[]).await;
    assert_eq!(
        keys(&xml),
        ["a.txt", "b/1", "b/2", "c/x/1", "c/y", "d", "e f"]
    );
    assert_eq!(xml_field(&xml, "KeyCount").unwrap(), "7");

    let xml = list(&emu, &[("delimiter", "/")]).await;
    assert_eq!(keys(&xml), ["a.txt", "d", "e f"]);
    assert_eq!(prefixes(&xml), ["b/", "c/"]);

    let xml = list(&emu, &[("prefix", "c/"), ("delimiter", "/")]).await;
    assert_eq!(keys(&xml), ["c/y"]);
    assert_eq!(prefixes(&xml), ["c/x/"]);

    // Pages of two with continuation tokens see everything once.
    let mut seen = Vec::new();
    let mut token = None::<String>;
    loop {
        let mut q = vec![("max-keys", "2"), ("delimiter", "/")];
        if let Some(t) = &token {
            q.push(("continuation-token", t));
        }
        let xml = list(&emu, &q).await;
        seen.extend(keys(&xml));
        seen.extend(prefixes(&xml));
        if xml_field(&xml, "IsTruncated").unwrap() == "false" {
            break;
        }
        token = Some(xml_field(&xml, "NextContinuationToken").unwrap());
    }
    seen.sort();
    assert_eq!(seen, ["a.txt", "b/", "c/", "d", "e f"]);

    let xml = list(&emu, &[("start-after", "b/2")]).await;
    assert_eq!(keys(&xml), ["c/x/1", "c/y", "d", "e f"]);

    let xml = list(&emu, &[("encoding-type", "url"), ("prefix", "e ")]).await;
    assert_eq!(keys(&xml), ["e%20f"]);
    assert_eq!(xml_field(&xml, "EncodingType").unwrap(), "url");

    let r = OssReq::new("GET", demo::BUCKET, None)
        .query("list-type", "2")
        .query("max-keys", "5000");
    assert_eq!(
        error_code(send_v4(&emu, &root, r).await).await.1,
        "InvalidArgument"
    );
}

#[tokio::test]
async fn list_v1_uses_markers() {
    let emu = start().await;
    let root = emu.root_credentials();
    for k in ["1", "2", "3"] {
        send_v4(&emu, &root, OssReq::put(k, b"x")).await;
    }
    let resp = send_v4(
        &emu,
        &root,
        OssReq::new("GET", demo::BUCKET, None).query("max-keys", "2"),
    )
    .await;
    let xml = resp.text().await.unwrap();
    assert_eq!(keys(&xml), ["1", "2"]);
    assert_eq!(xml_field(&xml, "NextMarker").unwrap(), "2");
    let resp = send_v4(
        &emu,
        &root,
        OssReq::new("GET", demo::BUCKET, None).query("marker", "2"),
    )
    .await;
    assert_eq!(keys(&resp.text().await.unwrap()), ["3"]);
}

#[tokio::test]
async fn listing_needs_list_objects_permission() {
    let emu = start().await;
    let s = session(&emu, demo::ROLE_ARN, None).await;
    let r = OssReq::new("GET", demo::BUCKET, None).query("list-type", "2");
    assert_eq!(
        error_code(send_v4(&emu, &s, r.clone()).await).await.1,
        "AccessDenied"
    );
    let reader = session(&emu, demo::READER_ROLE_ARN, None).await;
    assert_eq!(send_v4(&emu, &reader, r).await.status(), 200);
}

#[tokio::test]
async fn url_encoding_covers_keys_and_continuation_tokens_which_must_come_back_decoded() {
    let emu = start().await;
    let root = emu.root_credentials();
    // base64("tok/???") = "dG9rLz8/Pw==": a token with '/' and '='.
    for k in ["tok/???", "tok/a+b\u{1}"] {
        send_v4(&emu, &root, OssReq::put(k, b"x")).await;
    }
    let xml = list(
        &emu,
        &[
            ("encoding-type", "url"),
            ("prefix", "tok/"),
            ("max-keys", "1"),
        ],
    )
    .await;
    assert_eq!(keys(&xml), ["tok%2F%3F%3F%3F"]);
    let encoded = xml_field(&xml, "NextContinuationToken").unwrap();
    assert_eq!(encoded, "dG9rLz8%2FPw%3D%3D");
    // The token sent back still encoded is refused; decoded, it continues the listing.
    let r = OssReq::new("GET", demo::BUCKET, None)
        .query("list-type", "2")
        .query("continuation-token", &encoded);
    assert_eq!(
        error_code(send_v4(&emu, &root, r).await).await.1,
        "InvalidArgument"
    );
    let decoded = alioss::oss::signer::uri_decode(&encoded);
    let xml = list(
        &emu,
        &[
            ("encoding-type", "url"),
            ("prefix", "tok/"),
            ("continuation-token", &decoded),
        ],
    )
    .await;
    assert_eq!(keys(&xml), ["tok%2Fa%2Bb%01"]);
    assert_eq!(xml_field(&xml, "ContinuationToken").unwrap(), encoded);
    // Without encoding-type the token is sent verbatim.
    let xml = list(&emu, &[("prefix", "tok/"), ("max-keys", "1")]).await;
    assert_eq!(
        xml_field(&xml, "NextContinuationToken").unwrap(),
        "dG9rLz8/Pw=="
    );
}
