//! The general object operations against the local emulator: CopyObject (same and cross
//! bucket, metadata copy/replace, forbid-overwrite, source conditions, multipart copy),
//! UploadPartCopy, DeleteMultipleObjects and `delete_objects`, conditional GET/HEAD and ranges,
//! ListObjectsV2 `start-after`, object tagging and ACL, and the refusals.

use std::time::Duration;

use alioss::oss::{crc64, Client, ObjectAcl, WithObjectOptions as _};
use alioss_emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use base64::Engine as _;
use futures_util::TryStreamExt;
use md5::Digest as _;

mod support;

use support::emulator::{
    admin, assume_role, client_with, fast_retries, get_bytes, get_bytes_in, put_body, start, BUCKET,
};

/// A second bucket in the demo bucket's region (OSS copies within a region).
const OTHER_BUCKET: &str = "copytarget";

/// The demo emulator plus [`OTHER_BUCKET`].
async fn start_two_buckets() -> EmulatorHandle {
    let mut cfg = EmulatorConfig::demo();
    let mut second = cfg.buckets[0].clone();
    second.name = OTHER_BUCKET.to_owned();
    cfg.buckets.push(second);
    Emulator::start(cfg).await.unwrap()
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(29).wrapping_add(seed))
        .collect()
}

/// The error `$request` answers when sent (it must fail).
macro_rules! refused {
    ($request:expr) => {
        $request.send().await.unwrap_err()
    };
}

/// Every object under `prefix` in [`BUCKET`] (all pages).
async fn list_all(oss: &Client, prefix: &str) -> Vec<alioss::oss::ObjectSummary> {
    oss.list_objects_v2(BUCKET)
        .prefix(prefix)
        .into_stream()
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test]
async fn copy_object_keeps_or_replaces_metadata_in_and_across_buckets() {
    let emu = start_two_buckets().await;
    let oss = admin(&emu);
    let data = pattern(5000, 1);
    oss.put_object(BUCKET, "copy/src.csv")
        .body(data.clone())
        .metadata("author", "alice")
        .tag("team", "data")
        .send()
        .await
        .unwrap();
    let out = oss
        .copy_object(BUCKET, "copy/src.csv", BUCKET, "copy/same.csv")
        .send()
        .await
        .unwrap();
    assert_eq!(out.crc64, Some(crc64::checksum(&data)));
    assert_eq!(out.parts, None);
    let head = oss
        .head_object(BUCKET, "copy/same.csv")
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.metadata.get("author").map(String::as_str),
        Some("alice")
    );
    assert_eq!(head.content_type.as_deref(), Some("text/csv"));
    assert_eq!(head.tagging_count, Some(1));

    oss.copy_object(BUCKET, "copy/src.csv", OTHER_BUCKET, "copied/replaced.bin")
        .replace_metadata(true)
        .content_type("application/x-test")
        .metadata("author", "bob")
        .replace_tagging(true)
        .send()
        .await
        .unwrap();
    let head = oss
        .head_object(OTHER_BUCKET, "copied/replaced.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.metadata.get("author").map(String::as_str), Some("bob"));
    assert_eq!(head.content_type.as_deref(), Some("application/x-test"));
    assert_eq!(head.tagging_count, None);
    let copied = get_bytes_in(&oss, OTHER_BUCKET, "copied/replaced.bin").await;
    assert_eq!(copied, data);
}

#[tokio::test]
async fn copy_from_a_key_the_credentials_cannot_read_is_access_denied() {
    let emu = start().await;
    put_body(&admin(&emu), "private/secret.txt", "secret").await;
    // RamOssTest may only PutObject: it may write the target but not read the source.
    let creds = assume_role(&emu, "RamOssTest", "objects-test", None, 3600).await;
    let oss = client_with(&emu, creds, fast_retries());
    let err = refused!(oss
        .copy_object(BUCKET, "private/secret.txt", BUCKET, "src/stolen.txt")
        .multipart_threshold(None));
    assert_eq!(err.code(), Some("AccessDenied"), "{err}");
    assert!(err.hint().is_some(), "{err}");
    let missing = refused!(admin(&emu).head_object(BUCKET, "src/stolen.txt"));
    assert_eq!(missing.status(), Some(404));
}

#[tokio::test]
async fn copy_with_forbid_overwrite_refuses_an_existing_target() {
    let emu = start().await;
    let oss = admin(&emu);
    put_body(&oss, "fo/a", "a").await;
    put_body(&oss, "fo/b", "b").await;
    let err = refused!(oss
        .copy_object(BUCKET, "fo/a", BUCKET, "fo/b")
        .forbid_overwrite(true));
    assert_eq!(err.code(), Some("FileAlreadyExists"), "{err}");
    assert_eq!(get_bytes(&oss, "fo/b").await, b"b");
    oss.copy_object(BUCKET, "fo/a", BUCKET, "fo/c")
        .forbid_overwrite(true)
        .send()
        .await
        .unwrap();
    assert_eq!(get_bytes(&oss, "fo/c").await, b"a");
    let err = refused!(oss
        .copy_object(BUCKET, "fo/missing", BUCKET, "fo/d")
        .multipart_threshold(None));
    assert_eq!(err.code(), Some("NoSuchKey"), "{err}");
}

#[tokio::test]
async fn copy_source_conditions_answer_412_and_304() {
    let emu = start().await;
    let oss = admin(&emu);
    let put = put_body(&oss, "cond/src", "x").await;
    let etag = put.etag.unwrap();
    let err = refused!(oss
        .copy_object(BUCKET, "cond/src", BUCKET, "cond/dst")
        .if_match("\"0000\""));
    assert_eq!(err.status(), Some(412), "{err}");
    let err = refused!(oss
        .copy_object(BUCKET, "cond/src", BUCKET, "cond/dst")
        .if_none_match(etag.clone()));
    assert_eq!(err.status(), Some(304), "{err}");
    let past = emu.clock().now() - Duration::from_secs(3600);
    let err = refused!(oss
        .copy_object(BUCKET, "cond/src", BUCKET, "cond/dst")
        .if_unmodified_since(past));
    assert_eq!(err.status(), Some(412), "{err}");
    oss.copy_object(BUCKET, "cond/src", BUCKET, "cond/dst")
        .if_match(etag)
        .if_modified_since(past)
        .send()
        .await
        .unwrap();
    assert_eq!(get_bytes(&oss, "cond/dst").await, b"x");
}

#[tokio::test]
async fn sources_over_the_threshold_are_copied_part_by_part_with_crc_checked() {
    let emu = start_two_buckets().await;
    let oss = admin(&emu);
    let data = pattern(350 * 1024, 7);
    let expires = time::macros::datetime!(2030-01-02 03:04:05 UTC);
    oss.put_object(BUCKET, "big/src.bin")
        .body(data.clone())
        .metadata("kind", "big")
        .content_language("de-CH")
        .expires(expires)
        .send()
        .await
        .unwrap();
    let out = oss
        .copy_object(BUCKET, "big/src.bin", OTHER_BUCKET, "big/dst.bin")
        .multipart_threshold(Some(300 * 1024))
        .part_size(100 * 1024)
        .send()
        .await
        .unwrap();
    assert_eq!(out.parts, Some(4));
    assert_eq!(out.crc64, Some(crc64::checksum(&data)));
    let head = oss
        .head_object(OTHER_BUCKET, "big/dst.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.object_type, Some(alioss::oss::ObjectType::Multipart));
    assert_eq!(head.metadata.get("kind").map(String::as_str), Some("big"));
    // What a single CopyObject keeps, the part-by-part copy keeps too.
    assert_eq!(head.content_language.as_deref(), Some("de-CH"));
    assert_eq!(
        head.expires.as_deref(),
        Some("Wed, 02 Jan 2030 03:04:05 GMT")
    );
    let got = get_bytes_in(&oss, OTHER_BUCKET, "big/dst.bin").await;
    assert_eq!(got, data);
    // Part sizes OSS would refuse never reach the network (a 0 used to divide by zero).
    for bad in [0, 100 * 1024 - 1, 5 * 1024 * 1024 * 1024 + 1] {
        let e = refused!(oss
            .copy_object(BUCKET, "big/src.bin", OTHER_BUCKET, "big/dst2.bin")
            .multipart_threshold(Some(300 * 1024))
            .part_size(bad));
        assert_eq!(e.as_invalid_input().unwrap().field(), "part_size", "{bad}");
    }
}

#[tokio::test]
async fn upload_part_copy_copies_a_range_into_a_part() {
    let emu = start().await;
    let oss = admin(&emu);
    let data = pattern(300 * 1024, 3);
    put_body(&oss, "upc/src", data.clone()).await;
    let up = oss
        .multipart_upload(BUCKET, "upc/dst")
        .initiate()
        .await
        .unwrap();
    let p1 = up
        .upload_part_copy(1, BUCKET, "upc/src")
        .range(0, 199 * 1024 - 1)
        .send()
        .await
        .unwrap();
    assert_eq!(p1.crc64, Some(crc64::checksum(&data[..199 * 1024])));
    let p2 = up
        .upload_part_copy(2, BUCKET, "upc/src")
        .range(199 * 1024, 300 * 1024 - 1)
        .send()
        .await
        .unwrap();
    let err = refused!(up
        .upload_part_copy(3, BUCKET, "upc/src")
        .range(0, 400 * 1024));
    assert_eq!(err.code(), Some("InvalidRange"), "{err}");
    let err = refused!(up.upload_part_copy(0, BUCKET, "upc/src"));
    assert!(err.as_invalid_input().is_some(), "{err}");
    up.complete([
        alioss::oss::CompletedPart::new(1, p1.etag),
        alioss::oss::CompletedPart::new(2, p2.etag),
    ])
    .send()
    .await
    .unwrap();
    assert_eq!(get_bytes(&oss, "upc/dst").await, data);
}

#[tokio::test]
async fn delete_multiple_objects_in_verbose_and_quiet_modes_with_odd_keys() {
    let emu = start().await;
    let oss = admin(&emu);
    let keys = ["dm/a b", "dm/x&y<z>", "dm/ünï", "dm/plain"];
    for k in keys {
        put_body(&oss, k, "1").await;
    }
    let out = oss
        .delete_multiple_objects(BUCKET)
        .keys(keys[..3].iter().copied())
        .key("dm/never-existed")
        .send()
        .await
        .unwrap();
    let mut deleted = out.deleted.clone();
    deleted.sort();
    let mut want: Vec<String> = keys[..3].iter().map(|k| k.to_string()).collect();
    want.push("dm/never-existed".into());
    want.sort();
    assert_eq!(deleted, want);
    let quiet = oss
        .delete_multiple_objects(BUCKET)
        .key("dm/plain")
        .quiet(true)
        .send()
        .await
        .unwrap();
    assert!(quiet.deleted.is_empty());
    let left = list_all(&oss, "dm/").await;
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn delete_multiple_objects_sends_keys_as_they_are_never_url_encoded() {
    let emu = start().await;
    let oss = admin(&emu);
    // A literal `%2F` names another object than a `/`; `=` and control characters are kept.
    let gone = ["dm2/year=2024/a%2Fb", "dm2/ctl\u{1}x", "dm2/100%"];
    let kept = ["dm2/year=2024/a/b", "dm2/ctl%01x"];
    for k in gone.iter().chain(&kept) {
        put_body(&oss, k, "1").await;
    }
    let out = oss
        .delete_multiple_objects(BUCKET)
        .keys(gone)
        .send()
        .await
        .unwrap();
    let mut deleted = out.deleted.clone();
    deleted.sort();
    let mut want: Vec<String> = gone.iter().map(|k| k.to_string()).collect();
    want.sort();
    assert_eq!(deleted, want);
    let mut left: Vec<String> = list_all(&oss, "dm2/")
        .await
        .into_iter()
        .map(|o| o.key)
        .collect();
    left.sort();
    assert_eq!(left, ["dm2/ctl%01x", "dm2/year=2024/a/b"]);
}

#[tokio::test]
async fn delete_objects_batches_any_number_of_keys_and_1001_in_one_request_is_refused() {
    let emu = start().await;
    let oss = admin(&emu);
    let keys: Vec<String> = (0..2100).map(|i| format!("many/{i:05}")).collect();
    let err = refused!(oss
        .delete_multiple_objects(BUCKET)
        .keys(keys[..1001].iter().cloned()));
    assert_eq!(err.as_invalid_input().unwrap().field(), "keys");
    for k in keys.iter().step_by(100) {
        put_body(&oss, k, "x").await;
    }
    let batches: Vec<Vec<String>> = oss
        .delete_objects(BUCKET, keys.clone(), 2)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        batches.iter().map(Vec::len).collect::<Vec<_>>(),
        [1000, 1000, 100]
    );
    let left = list_all(&oss, "many/").await;
    assert!(left.is_empty());
}

/// A raw DeleteMultipleObjects request (no SDK validation) to see the emulator's own refusals.
async fn raw_delete(emu: &EmulatorHandle, body: String, md5: bool) -> (u16, String) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/{BUCKET}/?delete", emu.endpoint()))
        .body(body.clone());
    if md5 {
        let digest = md5::Md5::digest(body.as_bytes());
        req = req.header(
            "Content-MD5",
            base64::engine::general_purpose::STANDARD.encode(digest),
        );
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn the_emulator_refuses_1001_keys_and_a_missing_content_md5() {
    let emu = start().await;
    let mut body = String::from("<Delete>");
    for i in 0..1001 {
        body.push_str(&format!("<Object><Key>k{i}</Key></Object>"));
    }
    body.push_str("</Delete>");
    let (status, text) = raw_delete(&emu, body, true).await;
    assert_eq!(status, 400);
    assert!(text.contains("<Code>MalformedXML</Code>"), "{text}");
    let small = "<Delete><Object><Key>k</Key></Object></Delete>".to_owned();
    let (status, text) = raw_delete(&emu, small.clone(), false).await;
    assert_eq!(status, 400);
    assert!(text.contains("<Code>InvalidDigest</Code>"), "{text}");
    // Well-formed and signed by nobody: refused as anonymous.
    let (status, text) = raw_delete(&emu, small, true).await;
    assert_eq!(status, 403, "{text}");
}

#[tokio::test]
async fn conditional_get_and_head_answer_304_and_412() {
    let emu = start().await;
    let oss = admin(&emu);
    let put = put_body(&oss, "c/obj", "hello").await;
    let etag = put.etag.unwrap();
    let now = emu.clock().now();
    let past = now - Duration::from_secs(3600);
    let future = now + Duration::from_secs(3600);

    let ok = oss
        .get_object(BUCKET, "c/obj")
        .if_match(etag.clone())
        .if_modified_since(past)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.bytes().await.unwrap().as_ref(), b"hello");
    for (err, status) in [
        (
            refused!(oss.get_object(BUCKET, "c/obj").if_match("\"nope\"")),
            412,
        ),
        (
            refused!(oss.get_object(BUCKET, "c/obj").if_none_match(etag.clone())),
            304,
        ),
        (
            refused!(oss.get_object(BUCKET, "c/obj").if_modified_since(future)),
            304,
        ),
        (
            refused!(oss.get_object(BUCKET, "c/obj").if_unmodified_since(past)),
            412,
        ),
        (
            refused!(oss.head_object(BUCKET, "c/obj").if_none_match("*")),
            304,
        ),
        (
            refused!(oss.head_object(BUCKET, "c/obj").if_match("\"nope\"")),
            412,
        ),
    ] {
        assert_eq!(err.status(), Some(status), "{err}");
    }
    let head = oss
        .head_object(BUCKET, "c/obj")
        .if_unmodified_since(future)
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length, 5);
}

#[tokio::test]
async fn suffix_and_open_ranges_and_standard_range_behaviour() {
    let emu = start().await;
    let oss = admin(&emu);
    put_body(&oss, "r/obj", "0123456789").await;
    let read = |r: alioss::oss::GetObjectRequest| async move {
        r.send().await.unwrap().bytes().await.unwrap().to_vec()
    };
    assert_eq!(
        read(oss.get_object(BUCKET, "r/obj").range_suffix(3)).await,
        b"789"
    );
    assert_eq!(
        read(oss.get_object(BUCKET, "r/obj").range_from(7)).await,
        b"789"
    );
    assert_eq!(
        read(oss.get_object(BUCKET, "r/obj").range(2, 4)).await,
        b"234"
    );
    // Past the end: OSS answers the whole object unless standard behaviour is asked for.
    assert_eq!(
        read(oss.get_object(BUCKET, "r/obj").range_from(20)).await,
        b"0123456789"
    );
    let err = refused!(oss
        .get_object(BUCKET, "r/obj")
        .range_from(20)
        .standard_range_behavior(true));
    assert_eq!(err.status(), Some(416), "{err}");
    let err = refused!(oss.get_object(BUCKET, "r/obj").range_suffix(0));
    assert_eq!(err.as_invalid_input().unwrap().field(), "range_suffix");
}

#[tokio::test]
async fn list_objects_v2_starts_after_a_key() {
    let emu = start().await;
    let oss = admin(&emu);
    for k in ["sa/a", "sa/b", "sa/c", "sa/d"] {
        put_body(&oss, k, "x").await;
    }
    let page = oss
        .list_objects_v2(BUCKET)
        .prefix("sa/")
        .start_after("sa/b")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = page.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["sa/c", "sa/d"]);
}

#[tokio::test]
async fn object_tagging_put_get_delete_and_refusals() {
    let emu = start().await;
    let oss = admin(&emu);
    oss.put_object(BUCKET, "t/obj")
        .body("x")
        .tag("a", "1")
        .send()
        .await
        .unwrap();
    let tags = oss
        .get_object_tagging(BUCKET, "t/obj")
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags, [("a".to_owned(), "1".to_owned())]);
    oss.put_object_tagging(BUCKET, "t/obj")
        .tag("k&y", "v<1>")
        .tag("empty", "")
        .send()
        .await
        .unwrap();
    let mut tags = oss
        .get_object_tagging(BUCKET, "t/obj")
        .send()
        .await
        .unwrap()
        .tags;
    tags.sort();
    assert_eq!(
        tags,
        [
            ("empty".to_owned(), String::new()),
            ("k&y".to_owned(), "v<1>".to_owned())
        ]
    );
    let head = oss.head_object(BUCKET, "t/obj").send().await.unwrap();
    assert_eq!(head.tagging_count, Some(2));
    oss.delete_object_tagging(BUCKET, "t/obj")
        .send()
        .await
        .unwrap();
    assert!(oss
        .get_object_tagging(BUCKET, "t/obj")
        .send()
        .await
        .unwrap()
        .tags
        .is_empty());
    let mut too_many = oss.put_object_tagging(BUCKET, "t/obj");
    for i in 0..11 {
        too_many = too_many.tag(format!("k{i}"), "v");
    }
    assert_eq!(
        too_many
            .send()
            .await
            .unwrap_err()
            .as_invalid_input()
            .unwrap()
            .field(),
        "tagging"
    );
    // A key given twice is refused as PutObject's `x-oss-tagging` is.
    let twice = refused!(oss
        .put_object_tagging(BUCKET, "t/obj")
        .tag("a", "1")
        .tag("a", "2"));
    assert_eq!(twice.as_invalid_input().unwrap().field(), "tagging");
    let err = refused!(oss.get_object_tagging(BUCKET, "t/missing"));
    assert_eq!(err.code(), Some("NoSuchKey"));
    // RamOssReader has no oss:PutObjectTagging.
    let reader = client_with(
        &emu,
        assume_role(&emu, "RamOssReader", "objects-test", None, 3600).await,
        fast_retries(),
    );
    let err = reader
        .put_object_tagging(BUCKET, "t/obj")
        .tag("a", "b")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
}

#[tokio::test]
async fn object_acl_put_and_get() {
    let emu = start().await;
    let oss = admin(&emu);
    put_body(&oss, "acl/obj", "x").await;
    let acl = oss.get_object_acl(BUCKET, "acl/obj").send().await.unwrap();
    assert_eq!(acl.acl, Some(ObjectAcl::Default));
    oss.put_object_acl(BUCKET, "acl/obj", ObjectAcl::PublicRead)
        .await
        .unwrap();
    let acl = oss.get_object_acl(BUCKET, "acl/obj").send().await.unwrap();
    assert_eq!(acl.acl, Some(ObjectAcl::PublicRead));
    assert_eq!(acl.grant, "public-read");
    // Now anyone may read it.
    let anon = reqwest::get(format!("{}/{BUCKET}/acl/obj", emu.endpoint()))
        .await
        .unwrap();
    assert_eq!(anon.status().as_u16(), 200);
    let err = oss
        .put_object_acl(BUCKET, "acl/missing", ObjectAcl::Private)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NoSuchKey"));
}
