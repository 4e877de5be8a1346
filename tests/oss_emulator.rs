//! The OSS client against the local emulator: every operation and option, STS credentials from
//! AssumeRole, denial and expiry, presigned URLs and form uploads used by plain reqwest, retries
//! against injected faults, and both addressing styles.

use std::time::Duration;

use alioss::credentials::{Credentials, StaticCredentialsProvider};
use alioss::oss::WithObjectOptions as _;
use alioss::oss::{self, crc64, Body, Client, CompletedPart, ObjectAcl, StorageClass};
use alioss::providers::AssumeRoleCredentialsProvider;
use alioss::sts::AssumeRoleRequest;
use alioss::Error;
use alioss_emulator::{EmulatorHandle, Fault};
use futures_util::TryStreamExt;

mod support;

use support::emulator::{admin, client_with, fast_retries, get_bytes, start, sts_client, BUCKET};

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn role_request(
    emu: &EmulatorHandle,
    role: &str,
    policy: Option<&str>,
    secs: u64,
) -> AssumeRoleRequest {
    let mut b = AssumeRoleRequest::builder()
        .role_arn(emu.role_arn(role).unwrap())
        .role_session_name("partner-42")
        .duration_seconds(secs);
    if let Some(p) = policy {
        b = b.policy_json(p);
    }
    b.build().unwrap()
}

/// AssumeRole as the organisation's server would (the RAM user `uploader`'s own keys), through
/// the crate's STS client; returns the temporary credentials.
async fn assume_role(
    emu: &EmulatorHandle,
    role: &str,
    policy: Option<&str>,
    secs: u64,
) -> Credentials {
    sts_client(emu)
        .assume_role(role_request(emu, role, policy, secs))
        .await
        .unwrap()
        .credentials
}

const SRC_ONLY: &str = r#"{"Version":"1","Statement":[{"Action":["oss:PutObject"],"Resource":["acs:oss:*:*:examplebucket/src/*"],"Effect":"Allow"}]}"#;

async fn exercise_object_operations(oss: &Client, prefix: &str) {
    let key = format!("{prefix}data.csv");
    let data = b"id,name\n1,alpha\n2,beta\n".to_vec();
    let put = oss
        .put_object(BUCKET, &key)
        .body(data.clone())
        .acl(ObjectAcl::Private)
        .storage_class(StorageClass::Standard)
        .metadata("author", "partner-42")
        .cache_control("no-cache")
        .content_disposition("attachment; filename=data.csv")
        .content_md5(true)
        .send()
        .await
        .unwrap();
    assert_eq!(put.crc64, Some(crc64::checksum(&data)));
    assert!(put.etag.is_some());
    assert!(put.request_id.is_some());

    let head = oss.head_object(BUCKET, &key).send().await.unwrap();
    assert_eq!(head.content_length, data.len() as u64);
    assert_eq!(head.content_type.as_deref(), Some("text/csv"));
    assert_eq!(
        head.metadata.get("author").map(String::as_str),
        Some("partner-42")
    );
    assert_eq!(head.crc64, Some(crc64::checksum(&data)));

    let got = get_bytes(oss, &key).await;
    assert_eq!(&got[..], &data[..]);
    let part = oss
        .get_object(BUCKET, &key)
        .range(3, 6)
        .send()
        .await
        .unwrap();
    assert_eq!(&part.bytes().await.unwrap()[..], &data[3..=6]);

    for i in 0..3 {
        oss.put_object(BUCKET, format!("{prefix}list/{i}.txt"))
            .body(format!("n{i}"))
            .send()
            .await
            .unwrap();
    }
    let listed: Vec<_> = oss
        .list_objects_v2(BUCKET)
        .prefix(format!("{prefix}list/"))
        .max_keys(2)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    let keys: Vec<_> = listed.iter().map(|o| o.key.clone()).collect();
    assert_eq!(
        keys,
        (0..3)
            .map(|i| format!("{prefix}list/{i}.txt"))
            .collect::<Vec<_>>()
    );

    oss.delete_object(BUCKET, &key).send().await.unwrap();
    let e = oss.head_object(BUCKET, &key).send().await.unwrap_err();
    assert_eq!(e.status(), Some(404));
    assert_eq!(
        e.code(),
        Some("NoSuchKey"),
        "HEAD error decoded from x-oss-err: {e}"
    );
}

#[tokio::test]
async fn object_operations_work_path_style_on_127_0_0_1() {
    let emu = start().await;
    let oss = admin(&emu);
    assert_eq!(oss.addressing_style(), oss::AddressingStyle::PathStyle);
    exercise_object_operations(&oss, "path/").await;
}

#[tokio::test]
async fn object_operations_work_virtual_hosted_with_the_bucket_in_host() {
    let emu = start().await;
    let port = emu.addr().port();
    let oss = Client::builder()
        .region("cn-hangzhou")
        .endpoint(format!("http://localhost:{port}"))
        .resolve("examplebucket.localhost", emu.addr())
        .credentials(StaticCredentialsProvider::new(
            emu.user_credentials("admin").unwrap(),
        ))
        .build()
        .unwrap();
    assert_eq!(oss.addressing_style(), oss::AddressingStyle::VirtualHosted);
    exercise_object_operations(&oss, "vhost/").await;
}

#[tokio::test]
async fn put_object_options_are_stored_and_forbid_overwrite_is_honoured() {
    let emu = start().await;
    let oss = admin(&emu);
    let expires = time::OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap();
    oss.put_object(BUCKET, "opts/page.html")
        .body("<p>hi</p>")
        .storage_class(StorageClass::InfrequentAccess)
        .acl(ObjectAcl::PublicRead)
        .cache_control("max-age=60")
        .content_disposition("inline")
        .content_encoding("identity")
        .expires(expires)
        .tag("team", "partner")
        .tag("tier", "gold")
        .traffic_limit(8 * 1024 * 1024)
        .forbid_overwrite(true)
        .send()
        .await
        .unwrap();
    let head = oss
        .head_object(BUCKET, "opts/page.html")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type.as_deref(), Some("text/html"));
    assert_eq!(head.storage_class, Some(StorageClass::InfrequentAccess));
    assert_eq!(head.object_type, Some(oss::ObjectType::Normal));
    assert_eq!(head.cache_control.as_deref(), Some("max-age=60"));
    assert_eq!(head.content_disposition.as_deref(), Some("inline"));
    assert_eq!(head.content_encoding.as_deref(), Some("identity"));
    assert_eq!(
        head.expires.as_deref(),
        Some("Sun, 17 Mar 2030 17:46:40 GMT")
    );
    assert_eq!(head.tagging_count, Some(2));
    let e = oss
        .put_object(BUCKET, "opts/page.html")
        .body("again")
        .forbid_overwrite(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("FileAlreadyExists"));
    // An explicit Content-Type wins over the guess.
    oss.put_object(BUCKET, "opts/data.csv")
        .body("x")
        .content_type("application/vnd.custom")
        .send()
        .await
        .unwrap();
    let head = oss
        .head_object(BUCKET, "opts/data.csv")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type.as_deref(), Some("application/vnd.custom"));
    // Server-side encryption is sent (the emulator accepts and ignores it).
    oss.put_object(BUCKET, "opts/sse.bin")
        .body("x")
        .server_side_encryption(oss::ServerSideEncryption::Aes256)
        .send()
        .await
        .unwrap();
    // Deleting a missing object succeeds; a deleted object is gone for GET too.
    oss.delete_object(BUCKET, "opts/never-existed")
        .send()
        .await
        .unwrap();
    oss.delete_object(BUCKET, "opts/sse.bin")
        .send()
        .await
        .unwrap();
    let e = oss
        .get_object(BUCKET, "opts/sse.bin")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("NoSuchKey"));
}

#[tokio::test]
async fn keys_with_special_characters_round_trip() {
    let emu = start().await;
    let oss = admin(&emu);
    for key in [
        "odd/a b+c%d?e#f.txt",
        "odd/中文/文件.txt",
        "odd/a/../b",
        "odd/./x",
        "odd//double",
    ] {
        oss.put_object(BUCKET, key)
            .body(key.to_owned())
            .send()
            .await
            .unwrap();
        let got = get_bytes(&oss, key).await;
        assert_eq!(&got[..], key.as_bytes(), "{key}");
    }
    let listed: Vec<_> = oss
        .list_objects_v2(BUCKET)
        .prefix("odd/")
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 5);
}

#[tokio::test]
async fn v1_signatures_are_accepted() {
    let emu = start().await;
    let oss = Client::builder()
        .endpoint(emu.endpoint())
        .signature_version(oss::SignatureVersion::V1)
        .credentials(StaticCredentialsProvider::new(
            emu.user_credentials("admin").unwrap(),
        ))
        .build()
        .unwrap();
    oss.put_object(BUCKET, "v1/a.txt")
        .body("v1")
        .send()
        .await
        .unwrap();
    let got = get_bytes(&oss, "v1/a.txt").await;
    assert_eq!(&got[..], b"v1");
}

#[tokio::test]
async fn appends_track_position_and_crc_and_survive_a_dropped_connection() {
    let emu = start().await;
    let oss = admin(&emu);
    let mut appender = oss.appender(BUCKET, "logs/app.log").await.unwrap();
    let a = pattern(50_000, 1);
    let b = pattern(70_000, 2);
    appender.append(a.clone()).await.unwrap();
    assert_eq!(appender.position(), a.len() as u64);
    emu.faults()
        .push(Fault::drop_connection_after(10_000).operation("AppendObject"));
    let out = appender.append(b.clone()).await.unwrap();
    assert_eq!(out.next_position, (a.len() + b.len()) as u64);
    let whole = [a, b].concat();
    assert_eq!(appender.crc64(), Some(crc64::checksum(&whole)));
    let got = get_bytes(&oss, "logs/app.log").await;
    assert_eq!(&got[..], &whole[..], "appended exactly once");
    // A fresh appender picks up where the object ends.
    let again = oss.appender(BUCKET, "logs/app.log").await.unwrap();
    assert_eq!(again.position(), whole.len() as u64);
    assert_eq!(again.crc64(), Some(crc64::checksum(&whole)));
    // Raw AppendObject at the wrong position is refused.
    let e = oss
        .append_object(BUCKET, "logs/app.log", 1)
        .body("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("PositionNotEqualToLength"));
}

#[tokio::test]
async fn multipart_upload_with_explicit_parts_and_combined_crc() {
    let emu = start().await;
    let oss = admin(&emu);
    let key = "mp/big.bin";
    let up = oss
        .multipart_upload(BUCKET, key)
        .metadata("kind", "multipart")
        .initiate()
        .await
        .unwrap();
    let p1 = pattern(150 * 1024, 3);
    let p2 = pattern(120 * 1024, 4);
    let p3 = pattern(1000, 5);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("all.bin");
    std::fs::write(&file, [p1.clone(), p2.clone(), p3.clone()].concat()).unwrap();
    let mut parts = Vec::new();
    let mut offset = 0u64;
    // The first try of part 1 loses its connection after 60 KiB and Complete first meets a 500:
    // both are retried (the part re-read from its file range) and the CRCs still match.
    emu.faults()
        .push(Fault::drop_connection_after(60 * 1024).operation("UploadPart"));
    emu.faults().push(
        Fault::fail_next(1)
            .operation("CompleteMultipartUpload")
            .status(500)
            .code("InternalError"),
    );
    for (n, p) in [&p1, &p2, &p3].into_iter().enumerate() {
        let body = Body::from_file_range(&file, offset, p.len() as u64)
            .await
            .unwrap();
        offset += p.len() as u64;
        let out = up.upload_part(n as u32 + 1, body).send().await.unwrap();
        assert_eq!(out.crc64, Some(crc64::checksum(p)));
        parts.push(out);
    }
    let listed = up.list_parts().send().await.unwrap();
    assert_eq!(listed.parts.len(), 3);
    assert_eq!(listed.parts[1].size, p2.len() as u64);
    let all: Vec<_> = up
        .list_parts()
        .max_parts(1)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    let uploads: Vec<_> = oss
        .list_multipart_uploads(BUCKET)
        .prefix("mp/")
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert!(uploads
        .iter()
        .any(|u| u.upload_id == up.upload_id() && u.key == key));

    let done = up.complete(parts.iter().rev()).send().await.unwrap();
    let whole = [p1, p2, p3].concat();
    assert_eq!(done.crc64, Some(crc64::checksum(&whole)));
    let got = get_bytes(&oss, key).await;
    assert_eq!(got.len(), whole.len());
    assert!(got[..] == whole[..]);
    let head = oss.head_object(BUCKET, key).send().await.unwrap();
    assert_eq!(
        head.metadata.get("kind").map(String::as_str),
        Some("multipart")
    );
}

#[tokio::test]
async fn multipart_complete_all_and_abort() {
    let emu = start().await;
    let oss = admin(&emu);
    let up = oss
        .multipart_upload(BUCKET, "mp/all.bin")
        .initiate()
        .await
        .unwrap();
    let p1 = pattern(100 * 1024, 6);
    let p2 = pattern(10, 7);
    up.upload_part(1, p1.clone()).send().await.unwrap();
    up.upload_part(2, p2.clone()).send().await.unwrap();
    let done = up.complete_all().send().await.unwrap();
    assert_eq!(done.crc64, Some(crc64::checksum(&[p1, p2].concat())));

    let up = oss
        .multipart_upload(BUCKET, "mp/aborted.bin")
        .initiate()
        .await
        .unwrap();
    up.upload_part(1, "x").send().await.unwrap();
    up.abort().send().await.unwrap();
    let left = oss.list_multipart_uploads(BUCKET).send().await.unwrap();
    assert!(left.uploads.iter().all(|u| u.upload_id != up.upload_id()));
    let e = up
        .complete([CompletedPart::new(1, "\"x\"")])
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("NoSuchUpload"));
}

#[tokio::test]
async fn listings_paginate_and_group_by_delimiter() {
    let emu = start().await;
    let oss = admin(&emu);
    for key in [
        "tree/a.txt",
        "tree/b/1.txt",
        "tree/b/2.txt",
        "tree/c/1.txt",
        "tree/d e+f.txt",
    ] {
        oss.put_object(BUCKET, key).body("x").send().await.unwrap();
    }
    let page = oss
        .list_objects_v2(BUCKET)
        .prefix("tree/")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = page.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(
        keys,
        ["tree/a.txt", "tree/d e+f.txt"],
        "keys are URL-decoded"
    );
    assert_eq!(page.common_prefixes, ["tree/b/", "tree/c/"]);
    let pages: Vec<_> = oss
        .list_objects_v2(BUCKET)
        .prefix("tree/")
        .max_keys(2)
        .into_pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    assert_eq!(pages.iter().map(|p| p.objects.len()).sum::<usize>(), 5);

    let mut ids = Vec::new();
    for key in ["up/1", "up/2", "up/3"] {
        ids.push(
            oss.multipart_upload(BUCKET, key)
                .initiate()
                .await
                .unwrap()
                .upload_id()
                .to_owned(),
        );
    }
    let first = oss
        .list_multipart_uploads(BUCKET)
        .prefix("up/")
        .max_uploads(2)
        .send()
        .await
        .unwrap();
    assert_eq!(first.uploads.len(), 2);
    assert!(first.is_truncated);
    let all: Vec<_> = oss
        .list_multipart_uploads(BUCKET)
        .prefix("up/")
        .max_uploads(1)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    let mut listed: Vec<_> = all.iter().map(|u| u.upload_id.clone()).collect();
    listed.sort();
    ids.sort();
    assert_eq!(listed, ids);
}

#[tokio::test]
async fn sts_credentials_upload_within_the_session_policy_and_are_denied_outside_it() {
    let emu = start().await;
    let creds = assume_role(&emu, "RamOssTest", Some(SRC_ONLY), 3600).await;
    assert!(creds.access_key_id().starts_with("STS."));
    let partner = client_with(&emu, creds, fast_retries());
    let put = partner
        .put_object(BUCKET, "src/data.csv")
        .body("a,b\n")
        .send()
        .await
        .unwrap();
    assert!(put.crc64.is_some());
    // Multipart and append are uploads too (oss:PutObject).
    let mut appender = partner
        .appender_at(BUCKET, "src/append.log", 0, None)
        .unwrap();
    appender.append("line one\n").await.unwrap();
    appender.append("line two\n").await.unwrap();
    assert_eq!(appender.position(), 18);
    let up = partner
        .multipart_upload(BUCKET, "src/multi.bin")
        .initiate()
        .await
        .unwrap();
    let part = up.upload_part(1, "only part").send().await.unwrap();
    up.complete([part]).send().await.unwrap();

    let e = partner
        .put_object(BUCKET, "other/data.csv")
        .body("a,b\n")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("AccessDenied"));
    assert!(e.hint().unwrap().contains("session policy"), "{e}");
    let e = partner
        .get_object(BUCKET, "src/data.csv")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        Some("AccessDenied"),
        "the role grants uploads only"
    );
    // Never a secret in what errors show.
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains("demo-user-key-secret"));
}

#[tokio::test]
async fn expired_sts_credentials_stop_working_with_a_refresh_hint() {
    let emu = start().await;
    let creds = assume_role(&emu, "RamOssTest", None, 900).await;
    let partner = client_with(&emu, creds, fast_retries());
    partner
        .put_object(BUCKET, "t/1")
        .body("x")
        .send()
        .await
        .unwrap();
    emu.clock().advance(Duration::from_secs(901));
    let e = partner
        .put_object(BUCKET, "t/2")
        .body("x")
        .send()
        .await
        .unwrap_err();
    let code = e.code().unwrap().to_owned();
    assert!(
        code == "SecurityTokenExpired" || code == "InvalidAccessKeyId",
        "{e}"
    );
    let hint = e.hint().unwrap();
    assert!(hint.contains("expired"), "{hint}");
}

#[tokio::test]
async fn a_refreshing_assume_role_provider_keeps_uploads_working_past_expiry() {
    let emu = start().await;
    let server_clock = emu.clock().clone();
    let provider = AssumeRoleCredentialsProvider::builder(
        sts_client(&emu),
        role_request(&emu, "RamOssTest", Some(SRC_ONLY), 900),
    )
    .clock(alioss::credentials::Clock::from_fn(move || {
        server_clock.now()
    }))
    .build();
    let partner = Client::builder()
        .region("cn-hangzhou")
        .endpoint(emu.endpoint())
        .credentials(provider)
        .clock(alioss::credentials::Clock::from_fn({
            let c = emu.clock().clone();
            move || c.now()
        }))
        .build()
        .unwrap();
    partner
        .put_object(BUCKET, "src/before.txt")
        .body("1")
        .send()
        .await
        .unwrap();
    // Past the first credentials' expiry: the provider fetches new ones before signing.
    emu.clock().advance(Duration::from_secs(1000));
    partner
        .put_object(BUCKET, "src/after.txt")
        .body("2")
        .send()
        .await
        .unwrap();
    let admin = admin(&emu);
    for key in ["src/before.txt", "src/after.txt"] {
        admin.head_object(BUCKET, key).send().await.unwrap();
    }
}

#[tokio::test]
async fn presigned_urls_work_from_plain_reqwest() {
    let emu = start().await;
    let oss = admin(&emu);
    let http = reqwest::Client::new();

    let put = oss
        .put_object(BUCKET, "shared/report.txt")
        .content_type("text/plain")
        .presign(Duration::from_secs(600))
        .await
        .unwrap();
    let mut req = http.put(put.url()).body("presigned body");
    for (k, v) in put.signed_headers() {
        req = req.header(k, v);
    }
    let resp = req.send().await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());

    let get = oss
        .presign_get(BUCKET, "shared/report.txt", Duration::from_secs(600))
        .await
        .unwrap();
    let resp = http.get(get.url()).send().await.unwrap();
    assert!(resp.status().is_success());
    assert_eq!(resp.text().await.unwrap(), "presigned body");
    let head = oss
        .presign_head(BUCKET, "shared/report.txt", Duration::from_secs(60))
        .await
        .unwrap();
    assert!(http
        .head(head.url())
        .send()
        .await
        .unwrap()
        .status()
        .is_success());

    // STS credentials presign too (the token travels in the URL).
    let creds = assume_role(&emu, "RamOssTest", Some(SRC_ONLY), 3600).await;
    let partner = client_with(&emu, creds, fast_retries());
    let url = partner
        .presign_put(BUCKET, "src/presigned.bin", Duration::from_secs(300))
        .await
        .unwrap();
    let resp = http
        .put(url.url())
        .body(vec![1u8, 2, 3])
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());

    // After it expires, the URL is refused.
    emu.clock().advance(Duration::from_secs(301));
    let resp = http.put(url.url()).body(vec![1u8]).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 403);
}

#[tokio::test]
async fn presigned_multipart_urls_work_from_plain_reqwest() {
    let emu = start().await;
    let oss = admin(&emu);
    let http = reqwest::Client::new();
    let up = oss
        .multipart_upload(BUCKET, "mp/presigned.bin")
        .initiate()
        .await
        .unwrap();
    let url = up
        .upload_part(1, Body::empty())
        .presign(Duration::from_secs(600))
        .await
        .unwrap();
    let resp = http.put(url.url()).body("part one").send().await.unwrap();
    assert!(resp.status().is_success());
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    let list = up
        .list_parts()
        .presign(Duration::from_secs(900))
        .await
        .unwrap();
    let xml = http
        .get(list.url())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(xml.contains("<PartNumber>1</PartNumber>"), "{xml}");
    let done = up
        .complete([CompletedPart::new(1, etag)])
        .send()
        .await
        .unwrap();
    assert_eq!(done.crc64, Some(crc64::checksum(b"part one")));
}

/// Posts `form` with `file` as plain multipart/form-data, as a browser would.
async fn post_form(
    http: &reqwest::Client,
    form: &oss::PostObjectForm,
    file: &[u8],
) -> reqwest::Response {
    let (ct, body) = multipart_form(form.fields(), file);
    http.post(form.url())
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap()
}

fn multipart_form(fields: &[(String, String)], file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----alioss-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload.txt\"\r\n\
             Content-Type: text/plain\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn post_object_form_fields_are_accepted_from_plain_reqwest() {
    let emu = start().await;
    let creds = assume_role(&emu, "RamOssTest", Some(SRC_ONLY), 3600).await;
    let partner = client_with(&emu, creds, fast_retries());
    let form = partner
        .post_object_form(BUCKET)
        .key_prefix("src/")
        .key("src/form-upload.txt")
        .content_length_range(1, 1024)
        .expires_in(Duration::from_secs(600))
        .sign()
        .await
        .unwrap();
    assert!(form
        .fields()
        .iter()
        .any(|(k, _)| k == "x-oss-security-token"));
    let http = reqwest::Client::new();
    let resp = post_form(&http, &form, b"uploaded by a browser").await;
    let status = resp.status();
    assert!(
        status.is_success(),
        "{status}: {}",
        resp.text().await.unwrap()
    );
    let got = get_bytes(&admin(&emu), "src/form-upload.txt").await;
    assert_eq!(&got[..], b"uploaded by a browser");

    // Too large for the policy's content-length-range: refused.
    let resp = post_form(&http, &form, &vec![b'x'; 2000]).await;
    assert!(resp.status().is_client_error());
}

#[tokio::test]
async fn a_503_burst_is_retried_and_the_object_is_intact() {
    let emu = start().await;
    let oss = admin(&emu);
    emu.faults().push(
        Fault::fail_next(2)
            .operation("PutObject")
            .status(503)
            .code("ServiceUnavailable"),
    );
    let data = pattern(200_000, 9);
    let put = oss
        .put_object(BUCKET, "faults/503.bin")
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(put.crc64, Some(crc64::checksum(&data)));
    let got = get_bytes(&oss, "faults/503.bin").await;
    assert!(got[..] == data[..]);
}

#[tokio::test]
async fn a_dropped_connection_is_retried_and_the_object_is_intact() {
    let emu = start().await;
    let oss = admin(&emu);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload.bin");
    let data = pattern(400_000, 11);
    std::fs::write(&path, &data).unwrap();
    emu.faults()
        .push(Fault::drop_connection_after(64 * 1024).operation("PutObject"));
    oss.put_object(BUCKET, "faults/drop.bin")
        .body(Body::from_path(&path).await.unwrap())
        .send()
        .await
        .unwrap();
    let head = oss
        .head_object(BUCKET, "faults/drop.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length, data.len() as u64);
    assert_eq!(head.crc64, Some(crc64::checksum(&data)));
}

#[tokio::test]
async fn a_twenty_minute_clock_skew_is_corrected_and_the_object_is_intact() {
    let emu = start().await;
    emu.clock().set_offset_secs(20 * 60);
    let oss = admin(&emu);
    let data = pattern(10_000, 13);
    oss.put_object(BUCKET, "faults/skew.bin")
        .body(data.clone())
        .send()
        .await
        .unwrap();
    let offset = oss.clock_offset().whole_seconds();
    assert!((offset - 1200).abs() <= 5, "learnt offset {offset}");
    let got = get_bytes(&oss, "faults/skew.bin").await;
    assert!(got[..] == data[..]);
}

#[tokio::test]
async fn a_bucket_in_another_region_names_its_endpoint() {
    let emu = start().await;
    let oss = admin(&emu);
    let e = oss
        .put_object("otherbucket", "k")
        .body("x")
        .send()
        .await
        .unwrap_err();
    let s = e.as_service().unwrap();
    assert_eq!(
        s.endpoint.as_deref(),
        Some("oss-cn-shanghai.aliyuncs.com"),
        "{e}"
    );
    assert!(e.hint().unwrap().contains("oss-cn-shanghai.aliyuncs.com"));
}

#[tokio::test]
async fn requests_without_credentials_for_the_bucket_are_refused_with_hints() {
    let emu = start().await;
    let wrong = client_with(
        &emu,
        Credentials::new("demo-user-key-id", "not-the-secret").unwrap(),
        fast_retries(),
    );
    let e = wrong
        .put_object(BUCKET, "k")
        .body("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("SignatureDoesNotMatch"));
    assert!(e.hint().is_some());
    assert!(!format!("{e:?}").contains("not-the-secret"));
    let e = admin(&emu)
        .put_object("nosuchbucket", "k")
        .body("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("NoSuchBucket"));
    assert!(matches!(e, Error::Service(_)));
}

fn v1_client(emu: &EmulatorHandle, creds: Credentials) -> Client {
    Client::builder()
        .endpoint(emu.endpoint())
        .signature_version(oss::SignatureVersion::V1)
        .credentials(StaticCredentialsProvider::new(creds))
        .retry_policy(fast_retries())
        .build()
        .unwrap()
}

#[tokio::test]
async fn v1_presigned_urls_and_forms_work_from_plain_reqwest() {
    let emu = start().await;
    let creds = assume_role(&emu, "RamOssReader", None, 3600).await;
    let oss = v1_client(&emu, creds);
    let http = reqwest::Client::new();
    let put = oss
        .presign_put(BUCKET, "v1/presigned.txt", Duration::from_secs(300))
        .await
        .unwrap();
    assert!(put.url().contains("OSSAccessKeyId=STS."));
    assert!(put.url().contains("security-token="));
    let resp = http.put(put.url()).body("v1 body").send().await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    let get = oss
        .presign_get(BUCKET, "v1/presigned.txt", Duration::from_secs(300))
        .await
        .unwrap();
    assert_eq!(
        http.get(get.url())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "v1 body"
    );

    let form = oss
        .post_object_form(BUCKET)
        .key("v1/form.txt")
        .content_length_range(0, 100)
        .sign()
        .await
        .unwrap();
    assert!(form.fields().iter().any(|(k, _)| k == "Signature"));
    let resp = post_form(&http, &form, b"v1 form").await;
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    let got = get_bytes(&oss, "v1/form.txt").await;
    assert_eq!(&got[..], b"v1 form");
}

#[tokio::test]
async fn a_ram_user_without_oss_rights_is_told_the_policy_lacks_the_action() {
    let emu = start().await;
    let uploader = client_with(
        &emu,
        emu.user_credentials("uploader").unwrap(),
        fast_retries(),
    );
    let e = uploader
        .put_object(BUCKET, "src/x")
        .body("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("AccessDenied"));
    assert!(e.hint().unwrap().contains("policy"), "{e}");
    // The reader role may read and list but not initiate uploads outside its grant.
    let reader = client_with(
        &emu,
        assume_role(&emu, "RamOssReader", None, 3600).await,
        fast_retries(),
    );
    reader
        .put_object(BUCKET, "r/x")
        .body("x")
        .send()
        .await
        .unwrap();
    reader.get_object(BUCKET, "r/x").send().await.unwrap();
    let parts = reader
        .list_objects_v2(BUCKET)
        .prefix("r/")
        .send()
        .await
        .unwrap();
    assert_eq!(parts.objects.len(), 1);
}

#[tokio::test]
async fn presigned_appends_work_from_plain_reqwest() {
    let emu = start().await;
    let oss = admin(&emu);
    let http = reqwest::Client::new();
    for (position, chunk) in [(0u64, "abc"), (3, "defg")] {
        let url = oss
            .append_object(BUCKET, "logs/presigned.log", position)
            .presign(Duration::from_secs(900))
            .await
            .unwrap();
        let resp = http.post(url.url()).body(chunk).send().await.unwrap();
        assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    }
    let got = get_bytes(&oss, "logs/presigned.log").await;
    assert_eq!(&got[..], b"abcdefg");
}
