//! Multipart uploads: initiate, parts, complete (list and complete-all), abort, listings.

mod common;

use alioss::Credentials;
use alioss_emulator::{demo, EmulatorHandle};
use common::*;

const KIB: usize = 1024;

async fn initiate(emu: &EmulatorHandle, c: &Credentials, key: &str) -> String {
    let resp = send_v4(
        emu,
        c,
        OssReq::new("POST", demo::BUCKET, Some(key))
            .query("uploads", "")
            .header("content-type", "text/csv"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.unwrap();
    xml_field(&body, "UploadId").unwrap()
}

async fn upload_part(
    emu: &EmulatorHandle,
    c: &Credentials,
    key: &str,
    id: &str,
    n: u32,
    data: &[u8],
) -> (String, String) {
    let r = OssReq::new("PUT", demo::BUCKET, Some(key))
        .query("partNumber", &n.to_string())
        .query("uploadId", id)
        .body(data);
    let resp = send_v4(emu, c, r).await;
    assert_eq!(resp.status(), 200);
    (
        resp.headers()["etag"].to_str().unwrap().to_owned(),
        resp.headers()["x-oss-hash-crc64ecma"]
            .to_str()
            .unwrap()
            .to_owned(),
    )
}

fn complete_xml(parts: &[(u32, &str)]) -> Vec<u8> {
    let mut x = String::from("<CompleteMultipartUpload>");
    for (n, e) in parts {
        x.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>{}</ETag></Part>",
            e.replace('"', "&quot;")
        ));
    }
    x.push_str("</CompleteMultipartUpload>");
    x.into_bytes()
}

fn complete_req(key: &str, id: &str, body: Vec<u8>) -> OssReq {
    OssReq::new("POST", demo::BUCKET, Some(key))
        .query("uploadId", id)
        .body(&body)
}

#[tokio::test]
async fn multipart_upload_completes_with_combined_crc_and_object_type() {
    let emu = start().await;
    let c = emu.root_credentials();
    let p1 = vec![1u8; 100 * KIB];
    let p2 = vec![2u8; 100 * KIB];
    let p3 = b"tail".to_vec();
    let id = initiate(&emu, &c, "big.csv").await;
    let (e1, crc1) = upload_part(&emu, &c, "big.csv", &id, 1, &p1).await;
    assert_eq!(crc1, alioss::oss::crc64::checksum(&p1).to_string());
    let (e2, _) = upload_part(&emu, &c, "big.csv", &id, 2, &p2).await;
    let (e4, _) = upload_part(&emu, &c, "big.csv", &id, 4, &p3).await;

    // ListParts shows them.
    let resp = send_v4(
        &emu,
        &c,
        OssReq::new("GET", demo::BUCKET, Some("big.csv")).query("uploadId", &id),
    )
    .await;
    let xml = resp.text().await.unwrap();
    assert_eq!(xml.matches("<Part>").count(), 3);
    assert!(xml.contains("<PartNumber>4</PartNumber>"));
    let resp = send_v4(
        &emu,
        &c,
        OssReq::new("GET", demo::BUCKET, Some("big.csv"))
            .query("uploadId", &id)
            .query("max-parts", "2"),
    )
    .await;
    let xml = resp.text().await.unwrap();
    assert_eq!(xml_field(&xml, "IsTruncated").unwrap(), "true");
    assert_eq!(xml_field(&xml, "NextPartNumberMarker").unwrap(), "2");

    let resp = send_v4(
        &emu,
        &c,
        complete_req(
            "big.csv",
            &id,
            complete_xml(&[(1, &e1), (2, &e2), (4, &e4)]),
        ),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let mut all = p1.clone();
    all.extend_from_slice(&p2);
    all.extend_from_slice(&p3);
    let crc = alioss::oss::crc64::checksum(&all).to_string();
    assert_eq!(resp.headers()["x-oss-hash-crc64ecma"], crc.as_str());
    let xml = resp.text().await.unwrap();
    assert!(xml_field(&xml, "ETag").unwrap().ends_with("-3\""));

    let resp = send_v4(&emu, &c, OssReq::get("big.csv")).await;
    assert_eq!(resp.headers()["x-oss-object-type"], "Multipart");
    assert_eq!(resp.headers()["content-type"], "text/csv");
    assert_eq!(resp.headers()["x-oss-hash-crc64ecma"], crc.as_str());
    assert_eq!(resp.bytes().await.unwrap().as_ref(), all.as_slice());
    let resp = send_v4(
        &emu,
        &c,
        OssReq::get("big.csv").header("range", "bytes=102395-102405"),
    )
    .await;
    assert_eq!(resp.bytes().await.unwrap().as_ref(), &all[102395..102406]);

    // The upload is gone.
    let resp = send_v4(
        &emu,
        &c,
        OssReq::new("GET", demo::BUCKET, Some("big.csv")).query("uploadId", &id),
    )
    .await;
    assert_eq!(error_code(resp).await.1, "NoSuchUpload");
}

#[tokio::test]
async fn complete_all_uses_every_uploaded_part() {
    let emu = start().await;
    let c = emu.root_credentials();
    let id = initiate(&emu, &c, "all").await;
    upload_part(&emu, &c, "all", &id, 2, &[b'b'; 100 * KIB]).await;
    upload_part(&emu, &c, "all", &id, 1, &[b'a'; 100 * KIB]).await;
    upload_part(&emu, &c, "all", &id, 3, b"c").await;
    let r = complete_req("all", &id, Vec::new()).header("x-oss-complete-all", "yes");
    assert_eq!(send_v4(&emu, &c, r).await.status(), 200);
    let got = send_v4(&emu, &c, OssReq::get("all"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(got.len(), 200 * KIB + 1);
    assert_eq!(got[0], b'a');
    assert_eq!(got[100 * KIB], b'b');
    // complete-all with a body is refused.
    let id = initiate(&emu, &c, "all2").await;
    let (e, _) = upload_part(&emu, &c, "all2", &id, 1, b"x").await;
    let r = complete_req("all2", &id, complete_xml(&[(1, &e)])).header("x-oss-complete-all", "yes");
    assert_eq!(
        error_code(send_v4(&emu, &c, r).await).await.1,
        "InvalidArgument"
    );
}

#[tokio::test]
async fn complete_refuses_small_parts_bad_order_and_unknown_parts() {
    let emu = start().await;
    let c = emu.root_credentials();
    let id = initiate(&emu, &c, "bad").await;
    let (e1, _) = upload_part(&emu, &c, "bad", &id, 1, &[0u8; 1000]).await;
    let (e2, _) = upload_part(&emu, &c, "bad", &id, 2, &[0u8; 1000]).await;
    let (s, code, _) = error_code(
        send_v4(
            &emu,
            &c,
            complete_req("bad", &id, complete_xml(&[(1, &e1), (2, &e2)])),
        )
        .await,
    )
    .await;
    assert_eq!((s, code.as_str()), (400, "EntityTooSmall"));
    let (s, code, _) = error_code(
        send_v4(
            &emu,
            &c,
            complete_req("bad", &id, complete_xml(&[(2, &e2), (1, &e1)])),
        )
        .await,
    )
    .await;
    assert_eq!((s, code.as_str()), (400, "InvalidPartOrder"));
    let (s, code, _) = error_code(
        send_v4(
            &emu,
            &c,
            complete_req("bad", &id, complete_xml(&[(1, &e1), (3, &e2)])),
        )
        .await,
    )
    .await;
    assert_eq!((s, code.as_str()), (400, "InvalidPart"));
    let (s, code, _) = error_code(
        send_v4(
            &emu,
            &c,
            complete_req("bad", &id, complete_xml(&[(1, "\"0000\"")])),
        )
        .await,
    )
    .await;
    assert_eq!((s, code.as_str()), (400, "InvalidPart"));
    let (s, code, _) =
        error_code(send_v4(&emu, &c, complete_req("bad", &id, b"<not xml".to_vec())).await).await;
    assert_eq!((s, code.as_str()), (400, "MalformedXML"));
    // A single small part is fine (it is the last).
    assert_eq!(
        send_v4(
            &emu,
            &c,
            complete_req("bad", &id, complete_xml(&[(2, &e2)]))
        )
        .await
        .status(),
        200
    );
    let r = OssReq::new("PUT", demo::BUCKET, Some("bad"))
        .query("partNumber", "10001")
        .query("uploadId", &id)
        .body(b"x");
    assert_eq!(
        error_code(send_v4(&emu, &c, r).await).await.1,
        "InvalidArgument"
    );
}

#[tokio::test]
async fn abort_and_list_multipart_uploads() {
    let emu = start().await;
    let c = emu.root_credentials();
    let a = initiate(&emu, &c, "dir/a").await;
    let _b = initiate(&emu, &c, "dir/b").await;
    let _c = initiate(&emu, &c, "top").await;
    let resp = send_v4(
        &emu,
        &c,
        OssReq::new("GET", demo::BUCKET, None).query("uploads", ""),
    )
    .await;
    let xml = resp.text().await.unwrap();
    assert_eq!(xml.matches("<Upload>").count(), 3, "{xml}");
    let resp = send_v4(
        &emu,
        &c,
        OssReq::new("GET", demo::BUCKET, None)
            .query("uploads", "")
            .query("delimiter", "/"),
    )
    .await;
    let xml = resp.text().await.unwrap();
    assert_eq!(xml.matches("<Upload>").count(), 1);
    assert!(xml.contains("<Prefix>dir/</Prefix>"));
    let resp = send_v4(
        &emu,
        &c,
        OssReq::new("GET", demo::BUCKET, None)
            .query("uploads", "")
            .query("prefix", "dir/")
            .query("max-uploads", "1"),
    )
    .await;
    let xml = resp.text().await.unwrap();
    assert_eq!(xml_field(&xml, "IsTruncated").unwrap(), "true");
    let resp = send_v4(
        &emu,
        &c,
        OssReq::new("DELETE", demo::BUCKET, Some("dir/a")).query("uploadId", &a),
    )
    .await;
    assert_eq!(resp.status(), 204);
    let resp = send_v4(
        &emu,
        &c,
        OssReq::new("DELETE", demo::BUCKET, Some("dir/a")).query("uploadId", &a),
    )
    .await;
    assert_eq!(error_code(resp).await.1, "NoSuchUpload");
    let r = OssReq::new("PUT", demo::BUCKET, Some("dir/a"))
        .query("partNumber", "1")
        .query("uploadId", &a)
        .body(b"x");
    assert_eq!(
        error_code(send_v4(&emu, &c, r).await).await.1,
        "NoSuchUpload"
    );
}

#[tokio::test]
async fn the_upload_role_can_do_multipart_but_not_list_or_abort() {
    let emu = start().await;
    let s = session(&emu, demo::ROLE_ARN, None).await;
    let id = initiate(&emu, &s, "sts-mp").await;
    let (e, _) = upload_part(&emu, &s, "sts-mp", &id, 1, b"part").await;
    assert_eq!(
        send_v4(
            &emu,
            &s,
            complete_req("sts-mp", &id, complete_xml(&[(1, &e)]))
        )
        .await
        .status(),
        200
    );
    let id = initiate(&emu, &s, "sts-mp2").await;
    let r = OssReq::new("DELETE", demo::BUCKET, Some("sts-mp2")).query("uploadId", &id);
    assert_eq!(
        error_code(send_v4(&emu, &s, r).await).await.1,
        "AccessDenied"
    );
    let r = OssReq::new("GET", demo::BUCKET, Some("sts-mp2")).query("uploadId", &id);
    assert_eq!(
        error_code(send_v4(&emu, &s, r).await).await.1,
        "AccessDenied"
    );
    let reader = session(&emu, demo::READER_ROLE_ARN, None).await;
    let r = OssReq::new("DELETE", demo::BUCKET, Some("sts-mp2")).query("uploadId", &id);
    assert_eq!(send_v4(&emu, &reader, r).await.status(), 204);
}

#[tokio::test]
async fn forbid_overwrite_applies_to_multipart_too() {
    let emu = start().await;
    let c = emu.root_credentials();
    send_v4(&emu, &c, OssReq::put("taken", b"x")).await;
    let r = OssReq::new("POST", demo::BUCKET, Some("taken"))
        .query("uploads", "")
        .header("x-oss-forbid-overwrite", "true");
    let (s, code, _) = error_code(send_v4(&emu, &c, r).await).await;
    assert_eq!((s, code.as_str()), (409, "FileAlreadyExists"));
    let id = initiate(&emu, &c, "race").await;
    let (e, _) = upload_part(&emu, &c, "race", &id, 1, b"p").await;
    send_v4(&emu, &c, OssReq::put("race", b"first")).await;
    let r = complete_req("race", &id, complete_xml(&[(1, &e)]))
        .header("x-oss-forbid-overwrite", "true");
    let (s, code, _) = error_code(send_v4(&emu, &c, r).await).await;
    assert_eq!((s, code.as_str()), (409, "FileAlreadyExists"));
}

#[tokio::test]
async fn multipart_answers_encode_the_key_when_asked() {
    let emu = start().await;
    let root = emu.root_credentials();
    let key = "enc/a+b c\u{1}";
    let resp = send_v4(
        &emu,
        &root,
        OssReq::new("POST", demo::BUCKET, Some(key))
            .query("uploads", "")
            .query("encoding-type", "url"),
    )
    .await;
    let body = resp.text().await.unwrap();
    assert_eq!(xml_field(&body, "Key").unwrap(), "enc%2Fa%2Bb%20c%01");
    assert_eq!(xml_field(&body, "EncodingType").unwrap(), "url");
    let id = xml_field(&body, "UploadId").unwrap();
    let (etag, _) = upload_part(&emu, &root, key, &id, 1, b"data").await;
    let list = OssReq::new("GET", demo::BUCKET, Some(key))
        .query("uploadId", &id)
        .query("encoding-type", "url");
    let body = send_v4(&emu, &root, list).await.text().await.unwrap();
    assert_eq!(xml_field(&body, "Key").unwrap(), "enc%2Fa%2Bb%20c%01");
    let done = complete_req(key, &id, complete_xml(&[(1, &etag)])).query("encoding-type", "url");
    let body = send_v4(&emu, &root, done).await.text().await.unwrap();
    assert_eq!(xml_field(&body, "Key").unwrap(), "enc%2Fa%2Bb%20c%01");
    assert_eq!(xml_field(&body, "EncodingType").unwrap(), "url");
}
