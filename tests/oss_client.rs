//! The OSS client against a small in-test server: wire format, CRC-64 checks, retries, clock
//! skew, errors and hints, addressing, the appender's recovery, pagination.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alioss::credentials::{Credentials, CredentialsError, ManualClock, ProvideCredentials};
use alioss::oss::WithObjectOptions as _;
use alioss::oss::{self, crc64, signer, Body, CompletedPart, ObjectAcl, StorageClass};
use alioss::Error;
use base64::Engine as _;
use futures_util::{stream, StreamExt, TryStreamExt};
use support::oss::{builder, client, MockServer, Reply};
use time::OffsetDateTime;

fn crc_of(body: &[u8]) -> String {
    crc64::checksum(body).to_string()
}

#[tokio::test]
async fn put_object_sends_the_options_and_reads_the_output() {
    let server = MockServer::start(|r, _| {
        Reply::ok()
            .header("ETag", "\"ETAG1\"")
            .header("x-oss-hash-crc64ecma", crc_of(&r.body))
            .header("x-oss-version-id", "v1")
            .header("x-oss-request-id", "RID-PUT")
    })
    .await;
    let oss = client(&server.endpoint());
    let out = oss
        .put_object("examplebucket", "src/data.csv")
        .body("a,b\n1,2\n")
        .acl(ObjectAcl::Private)
        .storage_class(StorageClass::Standard)
        .metadata("author", "partner-42")
        .tag("project", "demo")
        .cache_control("no-cache")
        .content_disposition("attachment")
        .content_encoding("identity")
        .expires(OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap())
        .forbid_overwrite(true)
        .server_side_encryption(oss::ServerSideEncryption::Aes256)
        .traffic_limit(819_200)
        .content_md5(true)
        .send()
        .await
        .unwrap();
    assert_eq!(out.etag.as_deref(), Some("\"ETAG1\""));
    assert_eq!(out.crc64, Some(crc64::checksum(b"a,b\n1,2\n")));
    assert_eq!(out.version_id.as_deref(), Some("v1"));
    assert_eq!(out.request_id.as_deref(), Some("RID-PUT"));

    let r = server.request(0);
    assert_eq!(r.method, "PUT");
    assert_eq!(r.path(), "/examplebucket/src/data.csv");
    assert_eq!(r.body, b"a,b\n1,2\n");
    assert_eq!(r.header("content-type"), Some("text/csv"));
    assert_eq!(r.header("x-oss-object-acl"), Some("private"));
    assert_eq!(r.header("x-oss-storage-class"), Some("Standard"));
    assert_eq!(r.header("x-oss-meta-author"), Some("partner-42"));
    assert_eq!(r.header("x-oss-tagging"), Some("project=demo"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_eq!(r.header("content-disposition"), Some("attachment"));
    assert_eq!(r.header("expires"), Some("Sun, 17 Mar 2030 17:46:40 GMT"));
    assert_eq!(r.header("x-oss-forbid-overwrite"), Some("true"));
    assert_eq!(r.header("x-oss-server-side-encryption"), Some("AES256"));
    assert_eq!(r.header("x-oss-traffic-limit"), Some("819200"));
    use md5::Digest as _;
    let md5 = md5::Md5::digest(b"a,b\n1,2\n");
    assert_eq!(
        r.header("content-md5"),
        Some(
            base64::engine::general_purpose::STANDARD
                .encode(md5)
                .as_str()
        )
    );
    assert_eq!(r.header("x-oss-security-token"), Some("test-token"));
    assert_eq!(r.header("x-oss-content-sha256"), Some("UNSIGNED-PAYLOAD"));
    assert!(r.header("user-agent").unwrap().starts_with("alioss/"));
    let auth = r.header("authorization").unwrap();
    assert!(
        auth.starts_with("OSS4-HMAC-SHA256 Credential=STS.test-key-id/"),
        "{auth}"
    );
    assert!(auth.contains("/cn-hangzhou/oss/aliyun_v4_request"));
}

#[tokio::test]
async fn v1_signing_is_available() {
    let server = MockServer::start(|_, _| Reply::ok()).await;
    let oss = builder(&server.endpoint())
        .signature_version(oss::SignatureVersion::V1)
        .build()
        .unwrap();
    oss.delete_object("examplebucket", "k")
        .send()
        .await
        .unwrap();
    let auth = server
        .request(0)
        .header("authorization")
        .unwrap()
        .to_owned();
    assert!(auth.starts_with("OSS STS.test-key-id:"), "{auth}");
}

#[tokio::test]
async fn a_crc_mismatch_is_retried_then_reported_as_an_integrity_error() {
    let server =
        MockServer::start(|_, _| Reply::ok().header("x-oss-hash-crc64ecma", "12345")).await;
    let oss = client(&server.endpoint());
    let e = oss
        .put_object("examplebucket", "k")
        .body("payload")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Integrity { .. }), "{e:?}");
    assert!(e.is_retryable());
    assert_eq!(server.count(), 3, "three attempts by default");

    // Turned off, the same answer is accepted.
    let off = builder(&server.endpoint())
        .crc_check(false)
        .build()
        .unwrap();
    off.put_object("examplebucket", "k")
        .body("payload")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_missing_crc_header_is_not_an_error() {
    let server = MockServer::start(|_, _| Reply::ok().header("ETag", "\"e\"")).await;
    let oss = client(&server.endpoint());
    let out = oss
        .put_object("examplebucket", "k")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(out.crc64, None);
    assert_eq!(server.count(), 1);
}

/// A provider that counts how often it is asked.
#[derive(Debug, Default)]
struct CountingProvider {
    calls: AtomicUsize,
}

#[async_trait::async_trait]
impl ProvideCredentials for CountingProvider {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(Credentials::builder()
            .access_key_id(format!("STS.key-{n}"))
            .access_key_secret("test-secret")
            .security_token("test-token")
            .build()
            .unwrap())
    }
}

#[tokio::test]
async fn a_503_burst_is_retried_and_every_attempt_is_signed_with_fresh_credentials() {
    let server = MockServer::start(|r, i| {
        if i < 2 {
            Reply::error(503, "ServiceUnavailable", "busy")
        } else {
            Reply::ok().header("x-oss-hash-crc64ecma", crc_of(&r.body))
        }
    })
    .await;
    let provider = Arc::new(CountingProvider::default());
    let oss = builder(&server.endpoint())
        .shared_credentials(provider.clone())
        .build()
        .unwrap();
    let data = vec![42u8; 300_000];
    let out = oss
        .put_object("examplebucket", "big.bin")
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(out.crc64, Some(crc64::checksum(&data)));
    assert_eq!(server.count(), 3);
    assert_eq!(provider.calls.load(Ordering::SeqCst), 3);
    for i in 0..3 {
        let r = server.request(i);
        assert_eq!(r.body, data, "the body is replayed whole");
        assert!(r
            .header("authorization")
            .unwrap()
            .contains(&format!("Credential=STS.key-{i}/")));
    }
}

#[tokio::test]
async fn file_bodies_are_replayed_after_a_dropped_connection() {
    let server = MockServer::start(|r, i| {
        if i == 0 {
            Reply::Drop
        } else {
            Reply::ok().header("x-oss-hash-crc64ecma", crc_of(&r.body))
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.bin");
    let data: Vec<u8> = (0..500_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    let oss = client(&server.endpoint());
    let out = oss
        .put_object("examplebucket", "data.bin")
        .body(Body::from_path(&path).await.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(out.crc64, Some(crc64::checksum(&data)));
    assert_eq!(server.count(), 2);
    assert_eq!(server.request(1).body, data);
}

#[tokio::test]
async fn stream_bodies_are_never_retried() {
    let server = MockServer::start(|_, _| Reply::error(503, "ServiceUnavailable", "busy")).await;
    let oss = client(&server.endpoint());
    let body = Body::from_stream(
        5,
        stream::iter(vec![Ok(bytes::Bytes::from_static(b"hello"))]),
    );
    let e = oss
        .put_object("examplebucket", "k")
        .body(body)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn client_errors_are_not_retried_and_carry_what_the_service_said() {
    let server = MockServer::start(|_, _| {
        Reply::error(
            403,
            "InvalidAccessKeyId",
            "The OSS Access Key Id you provided does not exist in our records.",
        )
    })
    .await;
    let oss = client(&server.endpoint());
    let e = oss
        .put_object("examplebucket", "k")
        .body("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(server.count(), 1);
    let s = e.as_service().unwrap();
    assert_eq!(s.code, "InvalidAccessKeyId");
    assert_eq!(s.status, 403);
    assert_eq!(s.request_id.as_deref(), Some("REQ-1"));
    assert_eq!(s.host_id.as_deref(), Some("host"));
    assert_eq!(s.ec.as_deref(), Some("0000-00000000"));
    assert!(
        e.hint().unwrap().contains("expired"),
        "STS key → refresh hint"
    );
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains("test-secret") && !shown.contains("test-token"));
}

#[tokio::test]
async fn head_errors_are_decoded_from_x_oss_err() {
    let xml =
        "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist.</Message>\
        <RequestId>R-HEAD</RequestId><EC>0015-00000101</EC></Error>";
    let b64 = base64::engine::general_purpose::STANDARD.encode(xml);
    let server = MockServer::start(move |_, _| {
        Reply::status(404)
            .header("x-oss-err", b64.clone())
            .header("x-oss-request-id", "R-HEAD")
    })
    .await;
    let oss = client(&server.endpoint());
    let e = oss
        .head_object("nosuchbucket", "k")
        .send()
        .await
        .unwrap_err();
    let s = e.as_service().unwrap();
    assert_eq!(s.code, "NoSuchBucket");
    assert_eq!(s.ec.as_deref(), Some("0015-00000101"));
    assert!(e.hint().unwrap().contains("does not exist"));
}

#[tokio::test]
async fn wrong_endpoint_errors_name_the_right_endpoint() {
    let server = MockServer::start(|_, _| {
        Reply::status(403).body(
            "<Error><Code>AccessDenied</Code><Message>The bucket you are attempting to access must be \
             addressed using the specified endpoint. Please send all future requests to this endpoint.</Message>\
             <RequestId>R</RequestId><Endpoint>oss-cn-shanghai.aliyuncs.com</Endpoint></Error>",
        )
    })
    .await;
    let oss = client(&server.endpoint());
    let e = oss.get_object("otherbucket", "k").send().await.unwrap_err();
    assert_eq!(
        e.as_service().unwrap().endpoint.as_deref(),
        Some("oss-cn-shanghai.aliyuncs.com")
    );
    assert!(e.to_string().contains("oss-cn-shanghai.aliyuncs.com"));
}

fn skewed_server(skew: time::Duration) -> impl Fn(&support::oss::Recorded, usize) -> Reply {
    move |r, _| {
        let server_now = OffsetDateTime::now_utc() + skew;
        let sent = r
            .header("x-oss-date")
            .and_then(signer::parse_iso8601_basic)
            .unwrap();
        if (sent - server_now).abs() > time::Duration::minutes(15) {
            Reply::error(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
            )
            .header("Date", signer::format_http_date(server_now))
        } else {
            Reply::ok().header("x-oss-hash-crc64ecma", crc_of(&r.body))
        }
    }
}

#[tokio::test]
async fn a_twenty_minute_clock_skew_is_corrected_and_remembered() {
    let server = MockServer::start(skewed_server(time::Duration::minutes(20))).await;
    let oss = client(&server.endpoint());
    oss.put_object("examplebucket", "k")
        .body("data")
        .send()
        .await
        .unwrap();
    assert_eq!(server.count(), 2, "one refusal, one corrected retry");
    let offset = oss.clock_offset();
    assert!(
        (offset - time::Duration::minutes(20)).abs() < time::Duration::seconds(5),
        "{offset}"
    );
    // Later requests (and clones) sign with the corrected time straight away.
    oss.clone()
        .put_object("examplebucket", "k2")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn requests_are_signed_with_the_injected_clock() {
    let server = MockServer::start(|_, _| Reply::ok()).await;
    let t = OffsetDateTime::from_unix_timestamp(1_702_743_657).unwrap();
    let oss = builder(&server.endpoint())
        .clock(ManualClock::new(t))
        .build()
        .unwrap();
    oss.delete_object("examplebucket", "k")
        .send()
        .await
        .unwrap();
    let r = server.request(0);
    assert_eq!(r.header("x-oss-date"), Some("20231216T162057Z"));
    assert_eq!(r.method, "DELETE");
}

#[tokio::test]
async fn virtual_hosted_requests_put_the_bucket_in_host() {
    let server = MockServer::start(|_, _| Reply::ok()).await;
    let port = server.addr.port();
    let oss = builder(&format!("http://localhost:{port}"))
        .resolve("examplebucket.localhost", server.addr)
        .build()
        .unwrap();
    assert_eq!(oss.addressing_style(), oss::AddressingStyle::VirtualHosted);
    oss.put_object("examplebucket", "src/a b.txt")
        .body("x")
        .send()
        .await
        .unwrap();
    let r = server.request(0);
    assert_eq!(
        r.header("host"),
        Some(format!("examplebucket.localhost:{port}").as_str())
    );
    assert_eq!(r.path(), "/src/a%20b.txt");
}

#[tokio::test]
async fn get_object_streams_ranges_and_checks_whole_object_crc() {
    let data = b"0123456789".to_vec();
    let d2 = data.clone();
    let server = MockServer::start(move |r, _| {
        if let Some(range) = r.header("range") {
            assert_eq!(range, "bytes=2-4");
            Reply::status(206)
                .header("Content-Range", "bytes 2-4/10")
                .header("x-oss-hash-crc64ecma", crc_of(&d2))
                .body(&d2[2..5])
        } else if r.path().ends_with("/bad") {
            Reply::ok()
                .header("x-oss-hash-crc64ecma", "1")
                .body(d2.clone())
        } else {
            Reply::ok()
                .header("x-oss-hash-crc64ecma", crc_of(&d2))
                .header("x-oss-meta-author", "me")
                .header("Content-Type", "text/plain")
                .body(d2.clone())
        }
    })
    .await;
    let oss = client(&server.endpoint());
    let whole = oss.get_object("examplebucket", "k").send().await.unwrap();
    assert_eq!(whole.metadata.get("author").map(String::as_str), Some("me"));
    assert_eq!(whole.content_type.as_deref(), Some("text/plain"));
    assert_eq!(&whole.bytes().await.unwrap()[..], &data[..]);
    let part = oss
        .get_object("examplebucket", "k")
        .range(2, 4)
        .send()
        .await
        .unwrap();
    assert_eq!(part.content_range.as_deref(), Some("bytes 2-4/10"));
    assert_eq!(&part.bytes().await.unwrap()[..], b"234");
    let bad = oss.get_object("examplebucket", "bad").send().await.unwrap();
    assert!(matches!(bad.bytes().await, Err(Error::Integrity { .. })));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out");
    let n = oss
        .get_object("examplebucket", "k")
        .send()
        .await
        .unwrap()
        .write_to_file(&path)
        .await
        .unwrap();
    assert_eq!(n, 10);
    assert_eq!(std::fs::read(&path).unwrap(), data);
}

/// An appendable object on the server, and a switch to drop the connection after storing.
#[derive(Default)]
struct AppendState {
    object: Vec<u8>,
    drop_next_after_storing: bool,
    appends_stored: usize,
}

fn append_server(
    state: Arc<Mutex<AppendState>>,
) -> impl Fn(&support::oss::Recorded, usize) -> Reply {
    move |r, _| {
        let mut s = state.lock().unwrap();
        match r.method.as_str() {
            "HEAD" if s.object.is_empty() => Reply::status(404),
            "HEAD" => Reply::ok()
                .header("Content-Length", s.object.len().to_string())
                .header("x-oss-object-type", "Appendable")
                .header("x-oss-hash-crc64ecma", crc_of(&s.object)),
            "POST" => {
                let position: usize = r
                    .query()
                    .split('&')
                    .find_map(|p| p.strip_prefix("position="))
                    .unwrap()
                    .parse()
                    .unwrap();
                if position != s.object.len() {
                    return Reply::error(
                        409,
                        "PositionNotEqualToLength",
                        "Position is not equal to file length",
                    )
                    .header("x-oss-next-append-position", s.object.len().to_string());
                }
                s.object.extend_from_slice(&r.body);
                s.appends_stored += 1;
                if std::mem::take(&mut s.drop_next_after_storing) {
                    return Reply::Drop;
                }
                Reply::ok()
                    .header("x-oss-next-append-position", s.object.len().to_string())
                    .header("x-oss-hash-crc64ecma", crc_of(&s.object))
            }
            _ => Reply::status(400),
        }
    }
}

#[tokio::test]
async fn the_appender_never_appends_twice_after_an_ambiguous_failure() {
    let state = Arc::new(Mutex::new(AppendState::default()));
    let server = MockServer::start(append_server(state.clone())).await;
    let oss = client(&server.endpoint());
    let mut appender = oss.appender("examplebucket", "log.txt").await.unwrap();
    assert_eq!(appender.position(), 0);
    let first = appender.append("hello ").await.unwrap();
    assert_eq!(first.next_position, 6);
    assert!(!first.recovered);

    // The next append lands, but its response is lost; the retry is refused with
    // PositionNotEqualToLength; HeadObject shows the data is there.
    state.lock().unwrap().drop_next_after_storing = true;
    let second = appender.append("world").await.unwrap();
    assert!(second.recovered);
    assert_eq!(second.next_position, 11);
    assert_eq!(appender.crc64(), Some(crc64::checksum(b"hello world")));

    let third = appender.append("!").await.unwrap();
    assert_eq!(third.next_position, 12);
    let s = state.lock().unwrap();
    assert_eq!(s.object, b"hello world!");
    assert_eq!(s.appends_stored, 3);
}

#[tokio::test]
async fn a_position_mismatch_without_an_earlier_failure_is_an_error() {
    let state = Arc::new(Mutex::new(AppendState {
        object: b"someone else wrote this".to_vec(),
        ..Default::default()
    }));
    let server = MockServer::start(append_server(state.clone())).await;
    let oss = client(&server.endpoint());
    let e = oss
        .append_object("examplebucket", "log.txt", 0)
        .body("mine")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("PositionNotEqualToLength"));
    // The appender starts where the object ends and carries its CRC on.
    let mut appender = oss.appender("examplebucket", "log.txt").await.unwrap();
    assert_eq!(appender.position(), 23);
    appender.append("!").await.unwrap();
    assert_eq!(state.lock().unwrap().object, b"someone else wrote this!");
}

#[tokio::test]
async fn multipart_upload_combines_part_crcs_and_checks_the_result() {
    type Parts = Arc<Mutex<Vec<(u32, Vec<u8>)>>>;
    let parts: Parts = Arc::default();
    let p2 = parts.clone();
    let server = MockServer::start(move |r, _| {
        let q = r.query().to_owned();
        match r.method.as_str() {
            "POST" if q.split('&').any(|p| p.trim_end_matches('=') == "uploads") => Reply::ok()
                .body(
                    "<InitiateMultipartUploadResult><Bucket>examplebucket</Bucket><Key>big</Key>\
                 <UploadId>UP1</UploadId></InitiateMultipartUploadResult>",
                ),
            "PUT" => {
                let n: u32 = q
                    .split('&')
                    .find_map(|p| p.strip_prefix("partNumber="))
                    .unwrap()
                    .parse()
                    .unwrap();
                p2.lock().unwrap().push((n, r.body.clone()));
                Reply::ok()
                    .header("ETag", format!("\"P{n}\""))
                    .header("x-oss-hash-crc64ecma", crc_of(&r.body))
            }
            "POST" => {
                let body = String::from_utf8(r.body.clone()).unwrap();
                assert!(body.contains("<PartNumber>1</PartNumber>"), "{body}");
                let mut ps = p2.lock().unwrap().clone();
                ps.sort_by_key(|p| p.0);
                let whole: Vec<u8> = ps.into_iter().flat_map(|p| p.1).collect();
                Reply::ok()
                    .header("x-oss-hash-crc64ecma", crc_of(&whole))
                    .body(
                    "<CompleteMultipartUploadResult><Bucket>examplebucket</Bucket><Key>big</Key>\
                           <ETag>\"WHOLE-2\"</ETag></CompleteMultipartUploadResult>",
                )
            }
            "DELETE" => Reply::status(204),
            _ => Reply::status(400),
        }
    })
    .await;
    let oss = client(&server.endpoint());
    let up = oss
        .multipart_upload("examplebucket", "big")
        .initiate()
        .await
        .unwrap();
    assert_eq!(up.upload_id(), "UP1");
    assert_eq!((up.bucket(), up.key()), ("examplebucket", "big"));
    let a = vec![1u8; 120 * 1024];
    let b = vec![2u8; 10];
    let p1 = up.upload_part(1, a.clone()).send().await.unwrap();
    let p2 = up.upload_part(2, b.clone()).send().await.unwrap();
    assert_eq!(p1.crc64, Some(crc64::checksum(&a)));
    let done = up.complete([&p2, &p1]).send().await.unwrap();
    assert_eq!(done.etag.as_deref(), Some("\"WHOLE-2\""));
    assert_eq!(done.crc64, Some(crc64::checksum(&[a, b].concat())));
    // A wrong part CRC makes the combined check fail.
    let mut wrong: CompletedPart = (&p1).into();
    wrong.crc64 = Some(1);
    let e = up.complete([wrong, (&p2).into()]).send().await.unwrap_err();
    assert!(matches!(e, Error::Integrity { .. }));
    let aborted = up.abort().send().await.unwrap();
    assert_eq!(aborted.request_id, None);
    let last = server.request(server.count() - 1);
    assert_eq!(last.method, "DELETE");
    assert_eq!(last.query(), "uploadId=UP1");
}

#[tokio::test]
async fn list_objects_v2_follows_continuation_tokens_as_a_stream() {
    let server = MockServer::start(|r, _| {
        let q = r.query();
        assert!(q.contains("list-type=2"));
        if q.contains("continuation-token=T2") {
            Reply::ok().body(
                "<ListBucketResult><Name>examplebucket</Name><IsTruncated>false</IsTruncated>\
                 <EncodingType>url</EncodingType>\
                 <Contents><Key>src/c%20d</Key><Size>3</Size></Contents></ListBucketResult>",
            )
        } else {
            Reply::ok().body(
                "<ListBucketResult><Name>examplebucket</Name><IsTruncated>true</IsTruncated>\
                 <NextContinuationToken>T2</NextContinuationToken>\
                 <Contents><Key>src/a</Key><Size>1</Size></Contents>\
                 <Contents><Key>src/b</Key><Size>2</Size></Contents></ListBucketResult>",
            )
        }
    })
    .await;
    let oss = client(&server.endpoint());
    let all: Vec<_> = oss
        .list_objects_v2("examplebucket")
        .prefix("src/")
        .max_keys(2)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    let keys: Vec<_> = all.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["src/a", "src/b", "src/c d"]);
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn presigned_urls_and_forms_hide_their_secrets_in_debug() {
    let oss = client("http://127.0.0.1:9");
    let url = oss
        .put_object("examplebucket", "src/a.txt")
        .content_type("text/plain")
        .presign(Duration::from_secs(600))
        .await
        .unwrap();
    assert!(url
        .url()
        .starts_with("http://127.0.0.1:9/examplebucket/src/a.txt?"));
    assert!(url.url().contains("x-oss-signature="));
    assert!(url.url().contains("x-oss-security-token=test-token"));
    assert!(url.url().contains("x-oss-expires=600"));
    assert_eq!(
        url.signed_headers(),
        [("content-type".to_owned(), "text/plain".to_owned())]
    );
    let dbg = format!("{url:?}");
    assert!(
        !dbg.contains("x-oss-signature") && !dbg.contains("test-token"),
        "{dbg}"
    );

    let form = oss
        .post_object_form("examplebucket")
        .key_prefix("src/")
        .key("src/upload.txt")
        .content_length_range(1, 1024)
        .sign()
        .await
        .unwrap();
    let names: Vec<_> = form.fields().iter().map(|(k, _)| k.as_str()).collect();
    for n in [
        "key",
        "policy",
        "x-oss-signature-version",
        "x-oss-credential",
        "x-oss-date",
        "x-oss-security-token",
        "x-oss-signature",
    ] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    assert!(form
        .policy_json()
        .contains("[\"starts-with\",\"$key\",\"src/\"]"));
    assert!(form
        .policy_json()
        .contains("[\"content-length-range\",1,1024]"));
    let dbg = format!("{form:?}");
    assert!(!dbg.contains("test-token"), "{dbg}");
    let sig = &form
        .fields()
        .iter()
        .find(|(k, _)| k == "x-oss-signature")
        .unwrap()
        .1;
    assert!(!dbg.contains(sig.as_str()));
    // Every operation builder presigns what it would send.
    let get = oss
        .get_object("examplebucket", "src/a.txt")
        .presign(Duration::from_secs(60))
        .await
        .unwrap();
    assert!(get.url().contains("x-oss-credential=STS.test-key-id"));
    assert_eq!(get.method(), &reqwest::Method::GET);
    assert!(!format!("{get:?}").contains("x-oss-signature"));
}

#[tokio::test]
async fn operation_timeout_bounds_the_whole_operation() {
    let server = MockServer::start(|_, _| Reply::error(503, "ServiceUnavailable", "busy")).await;
    let oss = builder(&server.endpoint())
        .retry_policy(
            oss::RetryPolicy::standard()
                .with_max_attempts(100)
                .with_base_delay(Duration::from_millis(50)),
        )
        .operation_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let e = oss
        .head_object("examplebucket", "k")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Transport { timeout: true, .. }), "{e:?}");
    assert!(server.count() < 100);
    let _ = stream::iter(Vec::<u8>::new()).next().await;
}

#[tokio::test]
async fn a_stalled_response_times_out_and_is_retried() {
    let server = MockServer::start(|_, i| if i == 0 { Reply::Hang } else { Reply::ok() }).await;
    let oss = builder(&server.endpoint())
        .read_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    oss.delete_object("examplebucket", "k")
        .send()
        .await
        .unwrap();
    assert_eq!(server.count(), 2);

    let always = MockServer::start(|_, _| Reply::Hang).await;
    let oss = builder(&always.endpoint())
        .read_timeout(Duration::from_millis(100))
        .retry_policy(
            oss::RetryPolicy::standard()
                .with_max_attempts(2)
                .with_base_delay(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let e = oss
        .delete_object("examplebucket", "k")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Transport { timeout: true, .. }), "{e:?}");
    assert_eq!(always.count(), 2);
}

#[tokio::test]
async fn throttling_and_request_timeouts_are_retried() {
    let server = MockServer::start(|_, i| match i {
        0 => Reply::error(429, "Throttling", "slow down"),
        1 => Reply::error(408, "RequestTimeout", "too slow"),
        _ => Reply::ok(),
    })
    .await;
    let oss = client(&server.endpoint());
    oss.delete_object("examplebucket", "k")
        .send()
        .await
        .unwrap();
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn cname_requests_name_only_the_key() {
    let server = MockServer::start(|_, _| Reply::ok()).await;
    let port = server.addr.port();
    let oss = builder(&format!("http://localhost:{port}"))
        .addressing_style(oss::AddressingStyle::Cname)
        .build()
        .unwrap();
    assert_eq!(oss.addressing_style(), oss::AddressingStyle::Cname);
    oss.delete_object("examplebucket", "src/a.txt")
        .send()
        .await
        .unwrap();
    let r = server.request(0);
    assert_eq!(r.header("host"), Some(format!("localhost:{port}").as_str()));
    assert_eq!(r.path(), "/src/a.txt");
    // The signature still covers the bucket (V4 canonical URI is /bucket/key).
    assert!(r.header("authorization").is_some());
}

#[tokio::test]
async fn path_style_on_request_for_a_host_name_endpoint() {
    let server = MockServer::start(|_, _| Reply::ok()).await;
    let port = server.addr.port();
    let oss = builder(&format!("http://localhost:{port}"))
        .addressing_style(oss::AddressingStyle::PathStyle)
        .build()
        .unwrap();
    oss.delete_object("examplebucket", "src/a.txt")
        .send()
        .await
        .unwrap();
    let r = server.request(0);
    assert_eq!(r.header("host"), Some(format!("localhost:{port}").as_str()));
    assert_eq!(r.path(), "/examplebucket/src/a.txt");
}
