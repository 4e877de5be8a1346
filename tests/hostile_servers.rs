//! Hostile servers (issue 11): an in-test server on 127.0.0.1:0 answers the OSS client, the STS
//! client and the credentials providers with truncated, non-XML, wrong-root and huge XML;
//! bodies shorter than their `Content-Length`; malformed checksum headers; trickled and stalled
//! bodies; redirects to another host; STS / ECS / URL answers missing fields, expired,
//! unparseable or huge. Every case must end in a typed error within its deadline — never a
//! panic, a hang, a silent success, or a secret in the error. The test runs the whole table and
//! prints `hostile cases: N passed, M failed`.

mod support;

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use alioss::credentials::{Credentials, ProvideCredentials, StaticCredentialsProvider};
use alioss::oss::{Client, RetryPolicy};
use alioss::providers::{EcsRamRoleCredentialsProvider, UrlCredentialsProvider};
use alioss::sts::{AssumeRoleRequest, StsClient};
use alioss::Error;
use support::hostile::{head, respond, HostileServer, Script, Step};

const SECRET: &str = "hostile-test-secret-value";
const TOKEN: &str = "hostile-test-security-token";
/// How long any single case may take, whatever the server does.
const CASE_DEADLINE: Duration = Duration::from_secs(8);

type CaseFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

fn credentials() -> Credentials {
    Credentials::builder()
        .access_key_id("STS.hostile-key-id")
        .access_key_secret(SECRET)
        .security_token(TOKEN)
        .build()
        .unwrap()
}

/// Two attempts, a millisecond apart: a retry happens but does not stretch a case.
fn quick_retries() -> RetryPolicy {
    RetryPolicy::standard()
        .with_max_attempts(2)
        .with_base_delay(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(2))
}

fn oss_client(endpoint: &str) -> Client {
    Client::builder()
        .region("cn-hangzhou")
        .endpoint(endpoint)
        .credentials(StaticCredentialsProvider::new(credentials()))
        .retry_policy(quick_retries())
        .read_timeout(Duration::from_millis(500))
        .operation_timeout(Duration::from_millis(1500))
        .download_min_throughput(64, Duration::from_millis(300))
        .build()
        .unwrap()
}

fn sts_client(endpoint: &str) -> StsClient {
    StsClient::builder()
        .endpoint(endpoint)
        .credentials(StaticCredentialsProvider::new(credentials()))
        .retry_policy(quick_retries())
        .read_timeout(Duration::from_millis(500))
        .operation_timeout(Duration::from_millis(1500))
        .build()
        .unwrap()
}

fn assume_role_request() -> AssumeRoleRequest {
    AssumeRoleRequest::builder()
        .role_arn("acs:ram::1234567890123456:role/hostile")
        .role_session_name("hostile-1")
        .build()
        .unwrap()
}

/// The error must not carry a secret, the token or a signature.
fn no_leak(text: &str) -> Result<(), String> {
    for s in [SECRET, TOKEN, "Signature=", "x-oss-signature"] {
        if text.contains(s) {
            return Err(format!("the error leaks {s:?}: {text}"));
        }
    }
    Ok(())
}

/// `result` must be an error accepted by `expected`, without leaks.
fn expect_err<T: std::fmt::Debug>(
    result: Result<T, Error>,
    expected: impl Fn(&Error) -> bool,
) -> Result<(), String> {
    match result {
        Ok(v) => Err(format!("silent success: {v:?}")),
        Err(e) => {
            no_leak(&format!("{e} {e:?}"))?;
            if expected(&e) {
                Ok(())
            } else {
                Err(format!("unexpected error kind: {e:?}"))
            }
        }
    }
}

fn is_response(e: &Error) -> bool {
    matches!(e, Error::Response(_))
}

fn is_timeout(e: &Error) -> bool {
    matches!(e, Error::Transport { timeout: true, .. })
}

fn is_transport(e: &Error) -> bool {
    matches!(e, Error::Transport { .. })
}

fn is_transport_or_response(e: &Error) -> bool {
    is_transport(e) || is_response(e)
}

fn xml(body: &str) -> Script {
    respond(200, &[("Content-Type", "application/xml")], body.as_bytes())
}

fn json(status: u16, body: &str) -> Script {
    respond(
        status,
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
}

/// Headers, then `body` one byte every 50 ms.
fn trickle(headers: &[(&str, &str)], body: &[u8]) -> Script {
    vec![
        Step::Send(head(200, headers, Some(body.len()))),
        Step::Trickle(body.to_vec(), Duration::from_millis(50)),
    ]
}

/// Headers announcing `len` bytes, `sent` of them, then a stall of 10 s.
fn stall(headers: &[(&str, &str)], len: usize, sent: &[u8]) -> Script {
    let mut script = short(headers, len, sent);
    script.push(Step::Pause(Duration::from_secs(10)));
    script
}

/// Headers announcing `len` bytes, then `sent` and a closed connection.
fn short(headers: &[(&str, &str)], len: usize, sent: &[u8]) -> Script {
    let mut bytes = head(200, headers, Some(len));
    bytes.extend_from_slice(sent);
    vec![Step::Send(bytes)]
}

const LISTING: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>examplebucket</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys><KeyCount>1</KeyCount><IsTruncated>false</IsTruncated><Contents><Key>a</Key><Size>1</Size></Contents></ListBucketResult>";

/// A server playing `script` for every request, and `call` against its endpoint: the call's
/// result must be an error accepted by `expected`, without leaks.
fn client_case<T, F>(
    script: impl Fn() -> Script + Send + Sync + 'static,
    expected: fn(&Error) -> bool,
    call: impl FnOnce(String) -> F + Send + 'static,
) -> CaseFuture
where
    T: std::fmt::Debug,
    F: Future<Output = Result<T, Error>> + Send,
{
    Box::pin(async move {
        let server = HostileServer::start(move |_| script()).await;
        expect_err(call(server.endpoint()).await, expected)
    })
}

/// A ListObjectsV2 against a server playing `script` for every request.
fn list_case(
    script: impl Fn() -> Script + Send + Sync + 'static,
    expected: fn(&Error) -> bool,
) -> CaseFuture {
    client_case(script, expected, |endpoint| async move {
        oss_client(&endpoint)
            .list_objects_v2("examplebucket")
            .send()
            .await
    })
}

/// A GetObject (headers and the whole body) against `script`.
fn get_case(
    script: impl Fn() -> Script + Send + Sync + 'static,
    expected: fn(&Error) -> bool,
) -> CaseFuture {
    client_case(script, expected, |endpoint| async move {
        match oss_client(&endpoint)
            .get_object("examplebucket", "k")
            .send()
            .await
        {
            Ok(out) => out.bytes().await,
            Err(e) => Err(e),
        }
    })
}

/// A PutObject against `script`.
fn put_case(
    script: impl Fn() -> Script + Send + Sync + 'static,
    expected: fn(&Error) -> bool,
) -> CaseFuture {
    client_case(script, expected, |endpoint| async move {
        oss_client(&endpoint)
            .put_object("examplebucket", "k")
            .body("payload")
            .send()
            .await
    })
}

/// An AssumeRole against `script`.
fn sts_case(
    script: impl Fn() -> Script + Send + Sync + 'static,
    expected: fn(&Error) -> bool,
) -> CaseFuture {
    client_case(script, expected, |endpoint| async move {
        sts_client(&endpoint)
            .assume_role(assume_role_request())
            .await
    })
}

/// A credentials provider's first answer must be an error, without leaks.
async fn expect_provider_err(provider: &dyn ProvideCredentials) -> Result<(), String> {
    match provider.provide_credentials().await {
        Ok(c) => Err(format!("silent success: {c:?}")),
        Err(e) => no_leak(&format!("{e} {e:?}")),
    }
}

/// The URL credentials provider against `script`.
fn url_case(script: impl Fn() -> Script + Send + Sync + 'static) -> CaseFuture {
    Box::pin(async move {
        let server = HostileServer::start(move |_| script()).await;
        let provider = UrlCredentialsProvider::builder(format!("{}/creds", server.endpoint()))
            .read_timeout(Duration::from_millis(500))
            .build()
            .map_err(|e| e.to_string())?;
        expect_provider_err(&provider).await
    })
}

/// The ECS metadata provider: a token, then `script` for the credentials.
fn ecs_case(script: impl Fn() -> Script + Send + Sync + 'static) -> CaseFuture {
    Box::pin(async move {
        let server = HostileServer::start(move |i| {
            if i == 0 {
                respond(200, &[], b"metadata-token")
            } else {
                script()
            }
        })
        .await;
        let provider = EcsRamRoleCredentialsProvider::builder()
            .endpoint(server.endpoint())
            .role_name("hostile-role")
            .timeout(Duration::from_millis(500))
            .build()
            .map_err(|e| e.to_string())?;
        expect_provider_err(&provider).await
    })
}

/// A redirect to a second server: the client must not follow it (no request there, nothing
/// signed sent to another host) and must fail.
fn redirect_case(sts: bool) -> CaseFuture {
    Box::pin(async move {
        let elsewhere = HostileServer::start(|_| xml(LISTING)).await;
        let location = format!("{}/stolen", elsewhere.endpoint());
        let server = HostileServer::start(move |_| {
            let mut bytes = head(302, &[("Location", &location)], Some(0));
            bytes.extend_from_slice(b"");
            vec![Step::Send(bytes)]
        })
        .await;
        let r = if sts {
            sts_client(&server.endpoint())
                .assume_role(assume_role_request())
                .await
                .map(|_| ())
        } else {
            oss_client(&server.endpoint())
                .list_objects_v2("examplebucket")
                .send()
                .await
                .map(|_| ())
        };
        expect_err(r, |_| true)?;
        if elsewhere.count() > 0 {
            return Err(format!(
                "the redirect was followed: {:?}",
                elsewhere.requests()
            ));
        }
        Ok(())
    })
}

fn sts_answer(expiration: &str) -> String {
    format!(
        r#"{{"RequestId":"R","AssumedRoleUser":{{"Arn":"acs:ram::1:role/r/s","AssumedRoleId":"9:s"}},"Credentials":{{"AccessKeyId":"STS.issued","AccessKeySecret":"issued-secret","SecurityToken":"issued-token","Expiration":"{expiration}"}}}}"#
    )
}

fn cases() -> Vec<(&'static str, CaseFuture)> {
    let xml_h: &'static [(&str, &str)] = &[("Content-Type", "application/xml")];
    let json_h: &'static [(&str, &str)] = &[("Content-Type", "application/json")];
    vec![
        // XML results.
        (
            "list: truncated XML",
            list_case(
                || xml("<?xml version=\"1.0\"?><ListBucketResult><Name>exa"),
                is_response,
            ),
        ),
        (
            "list: not XML",
            list_case(|| xml("hello, I am a captive portal"), is_response),
        ),
        (
            "list: HTML",
            list_case(
                || {
                    respond(
                        200,
                        &[("Content-Type", "text/html")],
                        b"<html><body>proxy</body></html>",
                    )
                },
                is_response,
            ),
        ),
        (
            "list: wrong root element",
            list_case(
                || xml("<?xml version=\"1.0\"?><Something><Name>x</Name></Something>"),
                is_response,
            ),
        ),
        (
            "list: an <Error> document with 200",
            list_case(
                || {
                    xml("<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>no</Message></Error>")
                },
                |e| is_response(e) || e.as_service().is_some(),
            ),
        ),
        (
            "list: 100 MB Content-Length",
            list_case(
                move || {
                    short(
                        xml_h,
                        100_000_000,
                        b"<?xml version=\"1.0\"?><ListBucketResult>",
                    )
                },
                is_transport_or_response,
            ),
        ),
        (
            "list: body shorter than Content-Length",
            list_case(
                move || short(xml_h, LISTING.len() + 100, LISTING.as_bytes()),
                is_transport_or_response,
            ),
        ),
        (
            "list: trickled body",
            list_case(move || trickle(xml_h, LISTING.as_bytes()), is_timeout),
        ),
        (
            "list: stalled body",
            list_case(
                move || stall(xml_h, LISTING.len(), &LISTING.as_bytes()[..40]),
                is_timeout,
            ),
        ),
        (
            "list: stalled headers",
            list_case(|| vec![Step::Pause(Duration::from_secs(10))], is_timeout),
        ),
        (
            "list: connection closed at once",
            list_case(Vec::new, is_transport),
        ),
        (
            "list: garbage instead of HTTP",
            list_case(
                || vec![Step::Send(b"SSH-2.0-OpenSSH_9.6\r\n".to_vec())],
                is_transport,
            ),
        ),
        (
            "list: 500 with a 10 MB error body",
            list_case(
                || respond(500, &[], &vec![b'x'; 10 * 1024 * 1024]),
                |e| e.status() == Some(500),
            ),
        ),
        (
            "list: 403 with a 20 KB message",
            list_case(
                || {
                    respond(
                        403,
                        &[("Content-Type", "application/xml")],
                        format!(
                            "<Error><Code>AccessDenied</Code><Message>{}</Message></Error>",
                            "m".repeat(20_000)
                        )
                        .as_bytes(),
                    )
                },
                |e| {
                    e.as_service()
                        .is_some_and(|s| s.message.chars().count() <= 1025)
                },
            ),
        ),
        // Objects and checksums.
        (
            "get: body shorter than Content-Length",
            get_case(|| short(&[], 1000, b"only a few bytes"), is_transport),
        ),
        (
            "get: trickled body",
            get_case(|| trickle(&[], &[b'o'; 400]), is_timeout),
        ),
        (
            "get: stalled body",
            get_case(|| stall(&[], 1000, b"a start"), is_timeout),
        ),
        (
            "get: empty checksum header",
            get_case(
                || respond(200, &[("x-oss-hash-crc64ecma", "")], b"data"),
                is_response,
            ),
        ),
        (
            "get: negative checksum header",
            get_case(
                || respond(200, &[("x-oss-hash-crc64ecma", "-1")], b"data"),
                is_response,
            ),
        ),
        (
            "get: text checksum header",
            get_case(
                || respond(200, &[("x-oss-hash-crc64ecma", "abc")], b"data"),
                is_response,
            ),
        ),
        (
            "get: checksum too large",
            get_case(
                || {
                    respond(
                        200,
                        &[("x-oss-hash-crc64ecma", "99999999999999999999")],
                        b"data",
                    )
                },
                is_response,
            ),
        ),
        (
            "get: wrong checksum",
            get_case(
                || respond(200, &[("x-oss-hash-crc64ecma", "12345")], b"data"),
                |e| matches!(e, Error::Integrity { .. }),
            ),
        ),
        (
            "put: malformed checksum header",
            put_case(
                || {
                    respond(
                        200,
                        &[("ETag", "\"e\""), ("x-oss-hash-crc64ecma", "0x1F")],
                        b"",
                    )
                },
                is_response,
            ),
        ),
        (
            "put: wrong checksum",
            put_case(
                || {
                    respond(
                        200,
                        &[("ETag", "\"e\""), ("x-oss-hash-crc64ecma", "1")],
                        b"",
                    )
                },
                |e| matches!(e, Error::Integrity { .. }),
            ),
        ),
        (
            "put: stalled answer",
            put_case(|| vec![Step::Pause(Duration::from_secs(10))], is_timeout),
        ),
        // Redirects.
        ("oss: 302 to another host", redirect_case(false)),
        ("sts: 302 to another host", redirect_case(true)),
        // STS answers.
        (
            "sts: no Credentials",
            sts_case(|| json(200, r#"{"RequestId":"R"}"#), is_response),
        ),
        (
            "sts: no SecurityToken",
            sts_case(
                || {
                    json(
                        200,
                        r#"{"Credentials":{"AccessKeyId":"STS.x","AccessKeySecret":"s","Expiration":"2099-01-01T00:00:00Z"}}"#,
                    )
                },
                is_response,
            ),
        ),
        (
            "sts: empty SecurityToken",
            sts_case(
                || {
                    json(
                        200,
                        r#"{"Credentials":{"AccessKeyId":"STS.x","AccessKeySecret":"s","SecurityToken":"","Expiration":"2099-01-01T00:00:00Z"}}"#,
                    )
                },
                is_response,
            ),
        ),
        (
            "sts: expired",
            sts_case(
                || json(200, &sts_answer("2020-01-01T00:00:00Z")),
                is_response,
            ),
        ),
        (
            "sts: unparseable Expiration",
            sts_case(|| json(200, &sts_answer("tomorrow")), is_response),
        ),
        (
            "sts: not JSON",
            sts_case(|| json(200, "<html>login</html>"), is_response),
        ),
        (
            "sts: huge answer",
            sts_case(
                move || short(json_h, 50_000_000, b"{\"RequestId\":\""),
                is_transport_or_response,
            ),
        ),
        (
            "sts: huge error",
            sts_case(
                || {
                    json(
                        400,
                        &format!(
                            r#"{{"Code":"InvalidParameter","Message":"{}"}}"#,
                            "m".repeat(1_000_000)
                        ),
                    )
                },
                |e| e.as_service().is_some() || is_response(e),
            ),
        ),
        (
            "sts: trickled answer",
            sts_case(
                move || trickle(json_h, sts_answer("2099-01-01T00:00:00Z").as_bytes()),
                is_timeout,
            ),
        ),
        (
            "sts: stalled answer",
            sts_case(|| vec![Step::Pause(Duration::from_secs(10))], is_timeout),
        ),
        // Credentials providers.
        (
            "url: missing fields",
            url_case(|| json(200, r#"{"AccessKeyId":"STS.x"}"#)),
        ),
        (
            "url: expired",
            url_case(|| {
                json(
                    200,
                    r#"{"AccessKeyId":"STS.x","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2020-01-01T00:00:00Z"}"#,
                )
            }),
        ),
        ("url: unparseable", url_case(|| json(200, "{{{{"))),
        (
            "url: huge",
            url_case(move || short(json_h, 50_000_000, b"{")),
        ),
        (
            "url: stalled",
            url_case(|| vec![Step::Pause(Duration::from_secs(10))]),
        ),
        (
            "ecs: missing fields",
            ecs_case(|| json(200, r#"{"Code":"Success","AccessKeyId":"STS.x"}"#)),
        ),
        (
            "ecs: failure code",
            ecs_case(|| json(200, r#"{"Code":"Failed","Message":"no role"}"#)),
        ),
        (
            "ecs: expired",
            ecs_case(|| {
                json(
                    200,
                    r#"{"Code":"Success","AccessKeyId":"STS.x","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2020-01-01T00:00:00Z"}"#,
                )
            }),
        ),
        (
            "ecs: huge",
            ecs_case(move || short(json_h, 50_000_000, b"{")),
        ),
    ]
}

#[tokio::test]
async fn hostile_servers_get_typed_errors_within_their_deadline() {
    let mut passed = 0;
    let mut failures = Vec::new();
    for (name, case) in cases() {
        let started = Instant::now();
        let outcome = match tokio::time::timeout(CASE_DEADLINE, tokio::spawn(case)).await {
            Err(_) => Err(format!("no answer within {CASE_DEADLINE:?} (a hang)")),
            Ok(Err(join)) => Err(format!("panicked: {join}")),
            Ok(Ok(r)) => r,
        };
        match outcome {
            Ok(()) => passed += 1,
            Err(why) => failures.push(format!("{name}: {why} (after {:?})", started.elapsed())),
        }
    }
    for f in &failures {
        println!("FAILED {f}");
    }
    println!("hostile cases: {passed} passed, {} failed", failures.len());
    assert!(failures.is_empty(), "{failures:#?}");
}
