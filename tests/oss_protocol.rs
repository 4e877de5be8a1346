//! Protocol details of OSS answers (issue 8 §4): `encoding-type=url` decoded exactly as OSS
//! encodes, the root element of every XML answer checked, interleaved and empty list elements,
//! truncated listings that name no way on, and what a download's CRC error says. Each rule is
//! checked against an in-test server answering crafted XML and, where the emulator can show
//! it, against the emulator.

mod support;

use alioss::oss::{self, signer, ObjectType, ServerSideEncryption, StorageClass};
use alioss::Error;
use alioss_emulator::Fault;
use futures_util::{StreamExt, TryStreamExt};
use support::emulator::{admin, start, BUCKET};
use support::oss::{client, MockServer, Reply};
use tokio::io::AsyncReadExt;

fn xml(body: &str) -> Reply {
    Reply::ok()
        .header("content-type", "application/xml")
        .header("x-oss-request-id", "REQ-P")
        .body(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}"
        ))
}

/// The decoded value of query parameter `name` in `query`, if present.
fn query_param(query: &str, name: &str) -> Option<String> {
    signer::parse_query(query)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn response_error(e: &Error) -> &str {
    match e {
        Error::Response(m) => m,
        other => panic!("expected a response error, got {other:?}"),
    }
}

/// The error of a ListObjectsV2 of `examplebucket`.
async fn list_error(oss: &oss::Client) -> Error {
    oss.list_objects_v2("examplebucket")
        .send()
        .await
        .unwrap_err()
}

/// `e` is a response error whose message names `what`.
fn assert_response_names(e: &Error, what: &str) {
    assert!(response_error(e).contains(what), "{e}");
}

// ---------------------------------------------------------------------------------------------
// encoding-type=url
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn list_v2_decodes_every_url_encoded_field_and_a_plus_stays_a_plus() {
    let server = MockServer::start(|r, i| {
        if i == 0 {
            xml(
                "<ListBucketResult><Name>examplebucket</Name><Prefix>dir%2F</Prefix>\
                 <StartAfter>dir%2Fa%20b</StartAfter><MaxKeys>2</MaxKeys>\
                 <Delimiter>%2F</Delimiter><EncodingType>url</EncodingType>\
                 <IsTruncated>true</IsTruncated>\
                 <NextContinuationToken>Ch%2B%2Fx%3D%3D</NextContinuationToken>\
                 <KeyCount>3</KeyCount>\
                 <Contents><Key>dir%2Fa+b%20c.txt</Key><Size>1</Size></Contents>\
                 <Contents><Key>dir%2Fline%0Abreak%01%E4%BD%A0</Key><Size>2</Size></Contents>\
                 <CommonPrefixes><Prefix>dir%2Fsub%2B%2F</Prefix></CommonPrefixes>\
                 </ListBucketResult>",
            )
        } else {
            // The token must come back decoded once and encoded once: exactly "Ch+/x==".
            if query_param(r.query(), "continuation-token").as_deref() != Some("Ch+/x==") {
                return Reply::error(400, "InvalidArgument", "bad token");
            }
            xml(
                "<ListBucketResult><Name>examplebucket</Name><Prefix>dir%2F</Prefix>\
                 <ContinuationToken>Ch%2B%2Fx%3D%3D</ContinuationToken>\
                 <EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>\
                 <Contents><Key>dir%2Fz+</Key><Size>3</Size></Contents>\
                 </ListBucketResult>",
            )
        }
    })
    .await;
    let oss = client(&server.endpoint());
    let pages: Vec<_> = oss
        .list_objects_v2("examplebucket")
        .prefix("dir/")
        .delimiter("/")
        .start_after("dir/a b")
        .max_keys(2)
        .into_pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    let first = &pages[0];
    let keys: Vec<_> = first.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["dir/a+b c.txt", "dir/line\nbreak\u{1}你"]);
    assert_eq!(first.common_prefixes, ["dir/sub+/"]);
    assert_eq!(first.prefix.as_deref(), Some("dir/"));
    assert_eq!(first.delimiter.as_deref(), Some("/"));
    assert_eq!(first.start_after.as_deref(), Some("dir/a b"));
    assert_eq!(first.next_continuation_token.as_deref(), Some("Ch+/x=="));
    assert_eq!(first.key_count, Some(3));
    let second = &pages[1];
    assert_eq!(second.continuation_token.as_deref(), Some("Ch+/x=="));
    assert_eq!(second.objects[0].key, "dir/z+");
    // Every request asked for URL encoding; the first carried the parameters verbatim.
    let q = server.request(0).query().to_owned();
    assert_eq!(query_param(&q, "encoding-type").as_deref(), Some("url"));
    assert_eq!(query_param(&q, "start-after").as_deref(), Some("dir/a b"));
    assert!(server
        .request(1)
        .query()
        .contains("continuation-token=Ch%2B%2Fx%3D%3D"));
}

#[tokio::test]
async fn a_field_that_is_not_utf8_once_decoded_is_a_response_error() {
    let server = MockServer::start(|_, _| {
        xml(
            "<ListBucketResult><Name>examplebucket</Name><EncodingType>url</EncodingType>\
             <IsTruncated>false</IsTruncated><Contents><Key>bad%FF</Key><Size>1</Size></Contents>\
             </ListBucketResult>",
        )
    })
    .await;
    let e = list_error(&client(&server.endpoint())).await;
    assert_response_names(&e, "Contents/Key");
}

#[tokio::test]
async fn multipart_operations_ask_for_url_encoding_and_decode_the_key_they_answer() {
    let key = "mp/a+b c\u{1}\n.bin";
    let encoded = signer::uri_encode(key);
    let answer_key = encoded.clone();
    let server = MockServer::start(move |r, _| {
        let q = r.query();
        if query_param(q, "encoding-type").as_deref() != Some("url") {
            return Reply::error(400, "MissingEncoding", "encoding-type=url expected");
        }
        let k = &answer_key;
        match (r.method.as_str(), query_param(q, "uploadId")) {
            ("POST", None) => xml(&format!(
                "<InitiateMultipartUploadResult><Bucket>examplebucket</Bucket><Key>{k}</Key>\
                 <UploadId>UP-9</UploadId><EncodingType>url</EncodingType>\
                 </InitiateMultipartUploadResult>"
            )),
            ("GET", Some(_)) => xml(&format!(
                "<ListPartsResult><Bucket>examplebucket</Bucket><Key>{k}</Key>\
                 <UploadId>UP-9</UploadId><EncodingType>url</EncodingType>\
                 <IsTruncated>false</IsTruncated>\
                 <Part><PartNumber>1</PartNumber><ETag>\"E1\"</ETag><Size>4</Size></Part>\
                 </ListPartsResult>"
            )),
            ("POST", Some(_)) => xml(&format!(
                "<CompleteMultipartUploadResult><EncodingType>url</EncodingType>\
                 <Location>http://examplebucket.oss/{k}</Location><Bucket>examplebucket</Bucket>\
                 <Key>{k}</Key><ETag>\"WHOLE\"</ETag></CompleteMultipartUploadResult>"
            )),
            _ => Reply::status(400),
        }
    })
    .await;
    let oss = client(&server.endpoint());
    let upload = oss
        .multipart_upload("examplebucket", key)
        .initiate()
        .await
        .unwrap();
    assert_eq!(upload.key(), key);
    assert_eq!(upload.upload_id(), "UP-9");
    let parts = upload.list_parts().send().await.unwrap();
    assert_eq!(parts.key, key);
    assert_eq!(parts.upload_id, "UP-9");
    let done = upload.complete(&parts.parts).send().await.unwrap();
    assert_eq!(done.key.as_deref(), Some(key));
    assert_eq!(done.etag.as_deref(), Some("\"WHOLE\""));
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn delete_multiple_objects_sends_raw_keys_and_decodes_the_answer() {
    // As the official SDKs: the request body carries each key XML-escaped (control characters
    // as character references), not URL-encoded; `encoding-type=url` applies to the answer.
    let keys = ["year=2024/a%2Fb", "x&y", "ctl\u{1}z"];
    let server = MockServer::start(|r, _| {
        let body = String::from_utf8_lossy(&r.body);
        let want = "<Key>year=2024/a%2Fb</Key></Object><Object><Key>x&amp;y</Key></Object>\
                    <Object><Key>ctl&#x1;z</Key>";
        if query_param(r.query(), "encoding-type").as_deref() != Some("url") || !body.contains(want)
        {
            return Reply::error(400, "MalformedXML", "unexpected body");
        }
        xml("<DeleteResult><EncodingType>url</EncodingType>\
             <Deleted><Key>year%3D2024%2Fa%252Fb</Key></Deleted>\
             <Deleted><Key>x%26y</Key></Deleted><Deleted><Key>ctl%01z</Key></Deleted>\
             </DeleteResult>")
    })
    .await;
    let oss = client(&server.endpoint());
    let out = oss
        .delete_multiple_objects("examplebucket")
        .keys(keys)
        .send()
        .await
        .unwrap();
    assert_eq!(out.deleted, keys);
}

#[tokio::test]
async fn a_copy_from_a_version_names_it_in_every_request() {
    // HeadObject, GetObjectTagging and every UploadPartCopy read the version asked for.
    let server = MockServer::start(|r, _| {
        let q = r.query();
        let version = query_param(q, "versionId");
        match r.method.as_str() {
            "HEAD" if version.as_deref() == Some("v+1") => Reply::ok()
                .header("content-length", "300000")
                .header("etag", "\"SRC\"")
                .header("x-oss-tagging-count", "1"),
            "GET" if version.as_deref() == Some("v+1") => {
                xml("<Tagging><TagSet><Tag><Key>t</Key><Value>1</Value></Tag></TagSet></Tagging>")
            }
            "POST" if query_param(q, "uploads").is_some() => xml(
                "<InitiateMultipartUploadResult><Bucket>examplebucket</Bucket><Key>dst</Key>\
                 <UploadId>UP</UploadId></InitiateMultipartUploadResult>",
            ),
            "PUT"
                if r.header("x-oss-copy-source")
                    == Some("/examplebucket/src%2Bkey?versionId=v%2B1") =>
            {
                xml("<CopyPartResult><ETag>\"P\"</ETag></CopyPartResult>")
            }
            "POST" => xml(
                "<CompleteMultipartUploadResult><Bucket>examplebucket</Bucket><Key>dst</Key>\
                 <ETag>\"WHOLE\"</ETag></CompleteMultipartUploadResult>",
            ),
            _ => Reply::error(400, "Unexpected", "unexpected request"),
        }
    })
    .await;
    let oss = client(&server.endpoint());
    let out = oss
        .copy_object("examplebucket", "src+key", "examplebucket", "dst")
        .source_version_id("v+1")
        .multipart_threshold(Some(200_000))
        .part_size(100 * 1024)
        .send()
        .await
        .unwrap();
    assert_eq!(out.parts, Some(3));
    // HEAD, tagging, initiate, three part copies, complete.
    assert_eq!(server.count(), 7);
    let e = oss
        .copy_object("examplebucket", "src", "examplebucket", "dst")
        .source_version_id("")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.as_invalid_input().unwrap().field(), "source_version_id");
}

#[tokio::test]
async fn an_initiate_answer_for_another_key_is_refused() {
    // "a b" encoded as a form would be ("a+b"): decoded as OSS encodes, that is another key.
    let server = MockServer::start(|_, _| {
        xml(
            "<InitiateMultipartUploadResult><Bucket>examplebucket</Bucket><Key>a+b</Key>\
             <UploadId>U</UploadId><EncodingType>url</EncodingType>\
             </InitiateMultipartUploadResult>",
        )
    })
    .await;
    let e = client(&server.endpoint())
        .multipart_upload("examplebucket", "a b")
        .initiate()
        .await
        .unwrap_err();
    assert_response_names(&e, "a+b");
}

// ---------------------------------------------------------------------------------------------
// Root elements, interleaving, empty elements, truncation
// ---------------------------------------------------------------------------------------------

const ERROR_DOC: &str = "<Error><Code>AccessDenied</Code><Message>denied by a proxy</Message>\
    <RequestId>REQ-E</RequestId><HostId>h</HostId></Error>";

#[tokio::test]
async fn an_error_document_answered_with_200_is_never_a_success() {
    let server = MockServer::start(|_, _| xml(ERROR_DOC)).await;
    let oss = client(&server.endpoint());
    let upload = oss
        .existing_multipart_upload("examplebucket", "k", "U")
        .unwrap();
    let errors = [
        oss.list_objects_v2("examplebucket")
            .send()
            .await
            .unwrap_err(),
        oss.list_multipart_uploads("examplebucket")
            .send()
            .await
            .unwrap_err(),
        upload.list_parts().send().await.unwrap_err(),
        oss.multipart_upload("examplebucket", "k")
            .initiate()
            .await
            .unwrap_err(),
        upload
            .complete([oss::CompletedPart::new(1, "\"E\"")])
            .send()
            .await
            .unwrap_err(),
        oss.copy_object("examplebucket", "a", "examplebucket", "b")
            .multipart_threshold(None)
            .send()
            .await
            .unwrap_err(),
        upload
            .upload_part_copy(2, "examplebucket", "a")
            .send()
            .await
            .unwrap_err(),
        oss.delete_multiple_objects("examplebucket")
            .key("a")
            .send()
            .await
            .unwrap_err(),
        oss.get_object_tagging("examplebucket", "a")
            .send()
            .await
            .unwrap_err(),
        oss.get_object_acl("examplebucket", "a")
            .send()
            .await
            .unwrap_err(),
    ];
    for e in errors {
        assert_eq!(e.code(), Some("AccessDenied"), "{e:?}");
        assert_eq!(
            e.as_service().and_then(|s| s.request_id.as_deref()),
            Some("REQ-E")
        );
    }
}

#[tokio::test]
async fn an_answer_with_another_root_element_is_a_response_error() {
    let server = MockServer::start(|_, i| match i {
        0 => xml(
            "<ListPartsResult><Bucket>b</Bucket><IsTruncated>false</IsTruncated></ListPartsResult>",
        ),
        _ => Reply::ok().body("not xml at all"),
    })
    .await;
    let oss = client(&server.endpoint());
    let e = list_error(&oss).await;
    let m = response_error(&e);
    assert!(
        m.contains("<ListBucketResult>") && m.contains("<ListPartsResult>"),
        "{m}"
    );
    let e = list_error(&oss).await;
    assert_response_names(&e, "no XML element");
}

#[tokio::test]
async fn interleaved_elements_parse_and_an_empty_common_prefixes_names_no_prefix() {
    let server = MockServer::start(|_, _| {
        xml(
            "<ListBucketResult><Name>examplebucket</Name><IsTruncated>false</IsTruncated>\
             <Contents><Key>a</Key><Size>1</Size><Type>Appendable</Type>\
             <StorageClass>Quantum</StorageClass></Contents>\
             <CommonPrefixes><Prefix>p1/</Prefix></CommonPrefixes>\
             <Contents><Key>b+c</Key><Size>2</Size><Type>Symlink</Type></Contents>\
             <CommonPrefixes/>\
             <CommonPrefixes><Prefix></Prefix></CommonPrefixes>\
             <KeyCount>4</KeyCount>\
             <CommonPrefixes><Prefix>p2/</Prefix></CommonPrefixes>\
             <Contents><Key>d</Key><Size>3</Size><StorageClass>IA</StorageClass></Contents>\
             </ListBucketResult>",
        )
    })
    .await;
    let page = client(&server.endpoint())
        .list_objects_v2("examplebucket")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = page.objects.iter().map(|o| o.key.as_str()).collect();
    // No EncodingType in the answer: keys are verbatim, `+` included.
    assert_eq!(keys, ["a", "b+c", "d"]);
    assert_eq!(page.common_prefixes, ["p1/", "p2/"]);
    assert_eq!(page.key_count, Some(4));
    assert_eq!(page.objects[0].object_type, Some(ObjectType::Appendable));
    assert_eq!(
        page.objects[0].storage_class,
        Some(StorageClass::Other("Quantum".into()))
    );
    assert_eq!(page.objects[1].object_type, Some(ObjectType::Symlink));
    assert_eq!(
        page.objects[2].storage_class,
        Some(StorageClass::InfrequentAccess)
    );
}

#[tokio::test]
async fn a_listing_marked_truncated_without_a_way_on_is_an_error_not_an_end() {
    let server = MockServer::start(|r, _| {
        let q = r.query();
        if q.contains("list-type=2") && q.contains("max-keys=7") {
            // An empty token is no token.
            xml(
                "<ListBucketResult><Name>examplebucket</Name><IsTruncated>true</IsTruncated>\
                 <NextContinuationToken></NextContinuationToken>\
                 <Contents><Key>a</Key><Size>1</Size></Contents></ListBucketResult>",
            )
        } else if q.contains("list-type=2") {
            xml(
                "<ListBucketResult><Name>examplebucket</Name><IsTruncated>true</IsTruncated>\
                 <Contents><Key>a</Key><Size>1</Size></Contents></ListBucketResult>",
            )
        } else if q.contains("uploadId=") {
            xml(
                "<ListPartsResult><Bucket>examplebucket</Bucket><Key>k</Key><UploadId>U</UploadId>\
                 <IsTruncated>true</IsTruncated>\
                 <Part><PartNumber>1</PartNumber><ETag>\"E\"</ETag><Size>1</Size></Part>\
                 </ListPartsResult>",
            )
        } else {
            xml("<ListMultipartUploadsResult><Bucket>examplebucket</Bucket>\
                 <IsTruncated>true</IsTruncated>\
                 <Upload><Key>k</Key><UploadId>U</UploadId></Upload>\
                 </ListMultipartUploadsResult>")
        }
    })
    .await;
    let oss = client(&server.endpoint());
    let e = list_error(&oss).await;
    assert_response_names(&e, "NextContinuationToken");
    let e = oss
        .list_objects_v2("examplebucket")
        .max_keys(7)
        .send()
        .await
        .unwrap_err();
    assert_response_names(&e, "NextContinuationToken");
    // As a stream, the listing ends with the error instead of stopping quietly.
    let items: Vec<_> = oss
        .list_objects_v2("examplebucket")
        .into_stream()
        .collect()
        .await;
    assert_eq!(items.len(), 1);
    assert!(items[0].is_err());
    let upload = oss
        .existing_multipart_upload("examplebucket", "k", "U")
        .unwrap();
    let e = upload.list_parts().send().await.unwrap_err();
    assert_response_names(&e, "NextPartNumberMarker");
    let e = oss
        .list_multipart_uploads("examplebucket")
        .send()
        .await
        .unwrap_err();
    assert_response_names(&e, "NextKeyMarker");
}

// ---------------------------------------------------------------------------------------------
// Downloads: CRC error wording, Unpin streams, AsyncRead, typed headers
// ---------------------------------------------------------------------------------------------

fn download_server(crc: u64) -> impl Fn(&support::oss::Recorded, usize) -> Reply {
    move |r, _| match r.method.as_str() {
        "PUT" => Reply::ok()
            .header("ETag", "\"E\"")
            .header("x-oss-hash-crc64ecma", "1"),
        _ => Reply::ok()
            .header("content-type", "text/plain")
            .header("x-oss-hash-crc64ecma", crc.to_string())
            .header("x-oss-object-type", "Multipart")
            .header("x-oss-storage-class", "ColdArchive")
            .header("x-oss-server-side-encryption", "KMS")
            .header("x-oss-server-side-encryption-key-id", "cmk-7")
            .body("hello, world"),
    }
}

#[tokio::test]
async fn a_download_crc_error_says_the_client_computed_it_from_the_bytes_received() {
    let server = MockServer::start(download_server(12345)).await;
    let oss = client(&server.endpoint());
    let e = oss
        .get_object("examplebucket", "k")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap_err();
    let shown = e.to_string();
    assert!(matches!(e, Error::Integrity { .. }), "{e:?}");
    assert!(
        shown.contains("computed from the bytes received"),
        "{shown}"
    );
    assert!(shown.contains("12345"), "{shown}");
    assert!(!shown.contains("sent by the client"), "{shown}");
    // The same check through AsyncRead: InvalidData, with the integrity error inside.
    let mut reader = oss
        .get_object("examplebucket", "k")
        .send()
        .await
        .unwrap()
        .into_async_read();
    let mut buf = Vec::new();
    let io = reader.read_to_end(&mut buf).await.unwrap_err();
    assert_eq!(io.kind(), std::io::ErrorKind::InvalidData);
    let inner = io.get_ref().and_then(|e| e.downcast_ref::<Error>());
    assert!(matches!(inner, Some(Error::Integrity { .. })), "{io:?}");
    // An upload's CRC error says the value came from the bytes sent.
    let e = oss
        .put_object("examplebucket", "k")
        .body("data")
        .send()
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("computed from the bytes sent"),
        "{e}"
    );
}

fn assert_unpin_send_static<T: Unpin + Send + 'static>(_: &T) {}

#[tokio::test]
async fn downloads_are_unpin_streams_and_async_readers_with_typed_metadata() {
    let body = b"hello, world";
    let server = MockServer::start(download_server(alioss::oss::crc64::checksum(body))).await;
    let oss = client(&server.endpoint());
    let out = oss.get_object("examplebucket", "k").send().await.unwrap();
    assert_eq!(out.object_type, Some(ObjectType::Multipart));
    assert_eq!(out.storage_class, Some(StorageClass::ColdArchive));
    assert_eq!(
        out.server_side_encryption,
        Some(ServerSideEncryption::Kms {
            key_id: Some("cmk-7".into())
        })
    );
    let mut stream = out.into_stream();
    assert_unpin_send_static(&stream);
    let mut got = Vec::new();
    // `.next()` needs no pinning.
    while let Some(chunk) = stream.next().await {
        got.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(got, body);

    let mut reader = oss
        .get_object("examplebucket", "k")
        .send()
        .await
        .unwrap()
        .into_async_read();
    assert_unpin_send_static(&reader);
    let mut text = String::new();
    reader.read_to_string(&mut text).await.unwrap();
    assert_eq!(text.as_bytes(), body);

    let head = oss.head_object("examplebucket", "k").send().await.unwrap();
    assert_eq!(head.object_type, Some(ObjectType::Multipart));
    assert_eq!(head.storage_class, Some(StorageClass::ColdArchive));
    assert_eq!(
        head.server_side_encryption
            .as_ref()
            .and_then(|s| s.kms_key_id()),
        Some("cmk-7")
    );
    let pages = oss.list_objects_v2("examplebucket").into_pages();
    assert_unpin_send_static(&pages);
}

// ---------------------------------------------------------------------------------------------
// Against the emulator
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn keys_with_control_characters_round_trip_through_multipart_and_listings() {
    let emu = start().await;
    let oss = admin(&emu);
    let key = "ctl/a+b c\u{1}\u{7f}\nend%2B.bin";
    let upload = oss.multipart_upload(BUCKET, key).initiate().await.unwrap();
    assert_eq!(upload.key(), key);
    let part = upload.upload_part(1, "only part").send().await.unwrap();
    let open = oss
        .list_multipart_uploads(BUCKET)
        .prefix("ctl/")
        .send()
        .await
        .unwrap();
    assert_eq!(open.uploads.len(), 1);
    assert_eq!(open.uploads[0].key, key);
    let parts = upload.list_parts().send().await.unwrap();
    assert_eq!(parts.key, key);
    assert_eq!(parts.parts.len(), 1);
    let done = upload.complete([part]).send().await.unwrap();
    assert_eq!(done.key.as_deref(), Some(key));
    let listed = oss
        .list_objects_v2(BUCKET)
        .prefix("ctl/")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = listed.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, [key]);
    assert_eq!(listed.objects[0].object_type, Some(ObjectType::Multipart));
    let head = oss.head_object(BUCKET, key).send().await.unwrap();
    assert_eq!(head.content_length, 9);
    // Aborting through the handle: the upload is gone afterwards.
    let other = oss
        .multipart_upload(BUCKET, "ctl/aborted")
        .initiate()
        .await
        .unwrap();
    other.abort().send().await.unwrap();
    let e = other.list_parts().send().await.unwrap_err();
    assert_eq!(e.code(), Some("NoSuchUpload"));
}

#[tokio::test]
async fn an_emulator_error_document_sent_with_200_is_the_service_error_it_describes() {
    let emu = start().await;
    let oss = admin(&emu);
    let upload = oss
        .multipart_upload(BUCKET, "root/check.bin")
        .initiate()
        .await
        .unwrap();
    for op in [
        "ListObjectsV2",
        "ListParts",
        "ListMultipartUploads",
        "InitiateMultipartUpload",
    ] {
        emu.faults().push(
            Fault::fail_next(1)
                .operation(op)
                .status(200)
                .code("AccessDenied"),
        );
    }
    let errors = [
        oss.list_objects_v2(BUCKET).send().await.unwrap_err(),
        upload.list_parts().send().await.unwrap_err(),
        oss.list_multipart_uploads(BUCKET).send().await.unwrap_err(),
        oss.multipart_upload(BUCKET, "root/other.bin")
            .initiate()
            .await
            .unwrap_err(),
    ];
    for e in errors {
        assert_eq!(e.code(), Some("AccessDenied"), "{e:?}");
    }
    assert!(emu.faults().is_empty());
    // The faults are spent: the same calls succeed now.
    upload.list_parts().send().await.unwrap();
    oss.list_objects_v2(BUCKET).send().await.unwrap();
}

#[tokio::test]
async fn continuation_tokens_that_need_encoding_are_decoded_before_they_go_back() {
    let emu = start().await;
    let oss = admin(&emu);
    let keys = ["tok/???", "tok/a+b c", "tok/~~~"];
    for k in keys {
        oss.put_object(BUCKET, k).body("x").send().await.unwrap();
    }
    let pages: Vec<_> = oss
        .list_objects_v2(BUCKET)
        .prefix("tok/")
        .max_keys(1)
        .into_pages()
        .try_collect()
        .await
        .unwrap();
    let listed: Vec<_> = pages
        .iter()
        .flat_map(|p| p.objects.iter().map(|o| o.key.as_str()))
        .collect();
    assert_eq!(listed, keys);
    // The emulator's tokens are standard base64 of a key: these contain '/', '+' or '='.
    let tokens: Vec<_> = pages
        .iter()
        .filter_map(|p| p.next_continuation_token.clone())
        .collect();
    assert_eq!(tokens.len(), 2);
    assert!(
        tokens.iter().any(|t| t.contains('/') || t.contains('+')),
        "{tokens:?}"
    );
    assert_eq!(pages[1].continuation_token.as_ref(), Some(&tokens[0]));
}

#[tokio::test]
async fn a_value_the_crate_does_not_know_is_sent_verbatim_and_checked_like_any_header() {
    use alioss::oss::{ObjectAcl, WithObjectOptions as _};
    let server = MockServer::start(|_, _| Reply::ok().header("ETag", "\"E\"")).await;
    let oss = client(&server.endpoint());
    oss.put_object("examplebucket", "k")
        .body("x")
        .storage_class("FutureClass".parse().unwrap())
        .acl(ObjectAcl::from("bucket-owner-read"))
        .server_side_encryption(ServerSideEncryption::from("AES512"))
        .send()
        .await
        .unwrap();
    let sent = server.request(0);
    assert_eq!(sent.header("x-oss-storage-class"), Some("FutureClass"));
    assert_eq!(sent.header("x-oss-object-acl"), Some("bucket-owner-read"));
    assert_eq!(sent.header("x-oss-server-side-encryption"), Some("AES512"));
    let e = oss
        .put_object("examplebucket", "k")
        .storage_class(StorageClass::Other("Bad\nClass".into()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        e.as_invalid_input().map(|i| i.field()),
        Some("storage_class")
    );
    assert_eq!(server.count(), 1);
}
