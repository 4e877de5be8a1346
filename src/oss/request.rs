//! Sending one operation: sign, send, classify, retry.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::Method;
use tracing::Instrument as _;

use crate::error::{Error, Result};
use crate::http::transport_error;
use crate::oss::body::Body;
use crate::oss::client::{Client, RequestSigner};
use crate::oss::crc64::{self, Crc64};
use crate::oss::error_response;
use crate::oss::signer::SignableRequest;

/// What CRC-64 the response's `x-oss-hash-crc64ecma` must equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExpectedCrc {
    /// No check.
    None,
    /// The CRC of the body sent (PutObject, UploadPart).
    OfBody,
    /// The CRC of an object whose previous content had this CRC, followed by the body
    /// (AppendObject).
    AppendedTo(u64),
    /// A CRC known beforehand (CompleteMultipartUpload: the combined part CRCs).
    Known(u64),
}

impl ExpectedCrc {
    /// What the client's value is computed from, for the integrity error.
    fn computed_from(&self) -> &'static str {
        match self {
            ExpectedCrc::None | ExpectedCrc::OfBody => "the bytes sent",
            ExpectedCrc::AppendedTo(_) => "the previous checksum and the bytes sent",
            ExpectedCrc::Known(_) => "the parts' checksums combined",
        }
    }
}

/// One OSS operation, before signing.
#[derive(Debug)]
pub(crate) struct OssRequest {
    pub(crate) operation: std::borrow::Cow<'static, str>,
    pub(crate) method: Method,
    pub(crate) bucket: Option<String>,
    pub(crate) key: Option<String>,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Body,
    pub(crate) expected_crc: ExpectedCrc,
    /// The CRC-64 of the body as last sent whole by any attempt (kept past failures).
    pub(crate) sent_body_crc: Arc<Mutex<Option<u64>>>,
}

impl OssRequest {
    pub(crate) fn new(
        operation: &'static str,
        method: Method,
        bucket: &str,
        key: Option<&str>,
    ) -> Self {
        Self {
            operation: operation.into(),
            method,
            bucket: Some(bucket.to_owned()),
            key: key.map(str::to_owned),
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::empty(),
            expected_crc: ExpectedCrc::None,
            sent_body_crc: Arc::default(),
        }
    }

    pub(crate) fn query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.query.push((name.to_owned(), value.into()));
        self
    }

    pub(crate) fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// A successful response, headers read, body not yet.
#[derive(Debug)]
pub(crate) struct Sent {
    pub(crate) response: reqwest::Response,
    /// CRC-64 of the body sent by the successful attempt.
    pub(crate) body_crc: Option<u64>,
    /// When the operation's timeout runs out: reading the body must end by then.
    pub(crate) deadline: Option<tokio::time::Instant>,
    /// The operation's timeout, for the message when the deadline passes.
    pub(crate) timeout: Option<std::time::Duration>,
}

impl Sent {
    pub(crate) fn headers(&self) -> &HeaderMap {
        self.response.headers()
    }

    pub(crate) fn header(&self, name: &str) -> Option<String> {
        header(self.response.headers(), name)
    }

    pub(crate) fn request_id(&self) -> Option<String> {
        self.header("x-oss-request-id")
    }

    /// The response's CRC-64. A malformed value is `None` here: with CRC checking on,
    /// [`checked_crc64`] already refused it when the response arrived.
    pub(crate) fn crc64(&self) -> Option<u64> {
        self.header(CRC64_HEADER).and_then(|v| crc64::parse(&v))
    }

    /// The body of an XML result, refused past [`MAX_XML_BODY`](crate::limits::MAX_XML_BODY),
    /// read within the operation's deadline.
    pub(crate) async fn bytes(self) -> Result<Bytes> {
        let read =
            crate::http::read_limited(self.response, crate::limits::MAX_XML_BODY, "the XML result");
        match self.deadline {
            None => Ok(read.await?),
            Some(at) => match tokio::time::timeout_at(at, read).await {
                Ok(r) => Ok(r?),
                Err(_) => Err(operation_timed_out(self.timeout)),
            },
        }
    }

    pub(crate) async fn text(self) -> Result<String> {
        let b = self.bytes().await?;
        String::from_utf8(b.to_vec())
            .map_err(|_| Error::Response("the response body is not UTF-8".into()))
    }
}

/// The header OSS puts the object's (or part's) CRC-64 in.
pub(crate) const CRC64_HEADER: &str = "x-oss-hash-crc64ecma";

/// The CRC-64 in `headers`: `None` when absent, an error when present but not a decimal `u64`
/// (empty, negative, too large, text or not even ASCII) — a malformed checksum never switches
/// the integrity check off.
pub(crate) fn checked_crc64(headers: &HeaderMap) -> Result<Option<u64>> {
    let Some(value) = headers.get(CRC64_HEADER) else {
        return Ok(None);
    };
    match value.to_str().ok().and_then(crc64::parse) {
        Some(v) => Ok(Some(v)),
        None => {
            let shown = String::from_utf8_lossy(value.as_bytes());
            let shown: String = shown.chars().take(40).collect();
            Err(Error::Response(format!(
                "malformed {CRC64_HEADER} header {shown:?}: not a decimal unsigned 64-bit \
                 CRC; the response cannot be verified"
            )))
        }
    }
}

/// The error of an operation whose timeout ran out (while reading its body).
pub(crate) fn operation_timed_out(limit: Option<std::time::Duration>) -> Error {
    Error::transport(
        format!(
            "operation timed out after {:?} (reading the response body)",
            limit.unwrap_or_default()
        ),
        true,
        false,
    )
}

/// A failed operation and how many attempts it made.
#[derive(Debug)]
pub(crate) struct Failed {
    pub(crate) error: Error,
    pub(crate) attempts: u32,
}

pub(crate) fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

impl Client {
    /// Sends `req`, retrying as the policy allows.
    pub(crate) async fn send(&self, req: OssRequest) -> Result<Sent> {
        self.send_counted(req).await.map_err(|f| f.error)
    }

    /// Sends `req`; on failure also says how many attempts were made.
    pub(crate) async fn send_counted(&self, req: OssRequest) -> Result<Sent, Failed> {
        let span = tracing::info_span!(
            "oss.operation",
            operation = req.operation.as_ref(),
            bucket = req.bucket.as_deref().unwrap_or(""),
            key = req.key.as_deref().unwrap_or(""),
        );
        let attempts = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let limit = self.inner.operation_timeout;
        let deadline = limit.map(|d| tokio::time::Instant::now() + d);
        let run = async {
            // The deadline also bounds the body the caller reads afterwards.
            let mut sent = self.retry_loop(&req, attempts.clone()).await?;
            sent.deadline = deadline;
            sent.timeout = limit;
            Ok(sent)
        }
        .instrument(span);
        match self.inner.operation_timeout {
            Some(limit) => match tokio::time::timeout(limit, run).await {
                Ok(r) => r,
                Err(_) => Err(Failed {
                    error: Error::transport(
                        format!("operation timed out after {limit:?}"),
                        true,
                        false,
                    ),
                    attempts: attempts.load(std::sync::atomic::Ordering::Relaxed),
                }),
            },
            None => run.await,
        }
    }

    async fn retry_loop(
        &self,
        req: &OssRequest,
        counter: Arc<std::sync::atomic::AtomicU32>,
    ) -> Result<Sent, Failed> {
        let policy = &self.inner.retry;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            counter.store(attempt, std::sync::atomic::Ordering::Relaxed);
            let span = tracing::info_span!(
                "oss.attempt",
                attempt,
                status = tracing::field::Empty,
                request_id = tracing::field::Empty,
            );
            let result = self.attempt(req).instrument(span.clone()).await;
            let error = match result {
                Ok(sent) => {
                    span.record("status", sent.response.status().as_u16());
                    if let Some(id) = sent.request_id() {
                        span.record("request_id", id.as_str());
                    }
                    return Ok(sent);
                }
                Err(e) => e,
            };
            if let Some(s) = error.as_service() {
                span.record("status", s.status);
                if let Some(id) = &s.request_id {
                    span.record("request_id", id.as_str());
                }
            }
            let skew = error
                .as_service()
                .filter(|s| s.kind() == crate::ErrorKind::RequestTimeSkewed)
                .map(|s| s.server_time);
            let retry = error.is_retryable()
                && attempt < policy.max_attempts()
                && req.body.is_replayable()
                && skew != Some(None);
            span.in_scope(|| {
                tracing::debug!(error = %error, retry, "attempt failed");
            });
            if !retry {
                return Err(Failed {
                    error,
                    attempts: attempt,
                });
            }
            match skew {
                Some(Some(server_time)) => {
                    self.learn_server_time(server_time);
                    tracing::info!(
                        offset_ms = self.clock_offset().whole_milliseconds() as i64,
                        "corrected the clock offset from the server's time"
                    );
                }
                _ => tokio::time::sleep(policy.backoff(attempt)).await,
            }
        }
    }

    async fn attempt(&self, req: &OssRequest) -> Result<Sent> {
        let creds = self.inner.credentials.provide_credentials().await?;
        let time = self.signing_time();
        let mut signable = SignableRequest::new(
            req.method.as_str(),
            req.bucket.as_deref(),
            req.key.as_deref(),
        );
        signable.query = req.query.clone();
        signable.headers = req.headers.clone();
        if self.inner.sign_host {
            // Signed only when the request carries it, so it is set here as the URL names it.
            let url = self.url(req.bucket.as_deref(), req.key.as_deref(), &req.query);
            if let Some(host) = url::Url::parse(&url).ok().and_then(|u| {
                u.host_str().map(|h| match u.port() {
                    Some(p) => format!("{h}:{p}"),
                    None => h.to_owned(),
                })
            }) {
                signable.set_header("host", host);
            }
        }
        match &self.inner.signer {
            RequestSigner::V4(s) => s.sign_headers(&mut signable, &creds, time)?,
            RequestSigner::V1(s) => s.sign_headers(&mut signable, &creds, time)?,
        }
        let url = self.url(req.bucket.as_deref(), req.key.as_deref(), &signable.query);
        let mut builder = self.inner.http.request(req.method.clone(), url);
        for (name, value) in &signable.headers {
            let value = reqwest::header::HeaderValue::from_str(value).map_err(|_| {
                Error::invalid(
                    "header",
                    format!("the value of {name} is not a valid HTTP header value"),
                )
            })?;
            builder = builder.header(name.as_str(), value);
        }
        let crc = Arc::new(Mutex::new(Crc64::new()));
        let len = req.body.len();
        if len > 0 || req.method == Method::PUT || req.method == Method::POST {
            builder = builder.header(reqwest::header::CONTENT_LENGTH, len);
        }
        if len > 0 {
            builder = builder.body(req.body.for_attempt(crc.clone())?);
        }
        let sent = builder.send().await;
        {
            let c = crc.lock().unwrap_or_else(|p| p.into_inner());
            if c.len() == len {
                *req.sent_body_crc.lock().unwrap_or_else(|p| p.into_inner()) = Some(c.value());
            }
        }
        let response = sent.map_err(transport_error)?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            let headers = response.headers().clone();
            let body = crate::http::read_prefix(response, crate::limits::MAX_ERROR_BODY).await;
            let e = error_response::parse(status, &headers, &body, Some(creds.access_key_id()));
            return Err(e.into());
        }
        let body_crc = {
            let c = crc.lock().unwrap_or_else(|p| p.into_inner());
            (c.len() == len).then(|| c.value())
        };
        let sent = Sent {
            response,
            body_crc,
            deadline: None,
            timeout: None,
        };
        if self.inner.crc_check {
            let expected = match req.expected_crc {
                ExpectedCrc::None => None,
                ExpectedCrc::OfBody => body_crc,
                ExpectedCrc::AppendedTo(prev) => body_crc.map(|b| crc64::combine(prev, b, len)),
                ExpectedCrc::Known(v) => Some(v),
            };
            let server = checked_crc64(sent.headers())?;
            if let (Some(client), Some(server)) = (expected, server) {
                if client != server {
                    return Err(Error::Integrity {
                        algorithm: "crc64ecma",
                        client: crc64::format(client),
                        server: crc64::format(server),
                        computed_from: req.expected_crc.computed_from(),
                    });
                }
            }
        }
        Ok(sent)
    }
}
