//! The raw operation call: any OSS API, including those alioss has no builder for, through
//! the same endpoint resolution, signing, retries, clock-skew correction, error parsing and
//! tracing as the built-in operations (which are written on the same
//! [`Client`] send path).

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};

use crate::error::{Error, Result};
use crate::http::transport_error;
use crate::oss::body::Body;
use crate::oss::client::Client;
use crate::oss::presign::PresignedUrl;
use crate::oss::request::{ExpectedCrc, OssRequest, Sent};
use crate::oss::validation;

impl Client {
    /// Starts a request for any OSS operation, named `name` (for tracing and errors) and sent
    /// with `method`; set the bucket, key, query, headers and body on the builder.
    ///
    /// Use it for APIs alioss has no builder for. The request is signed (V4 or V1, as the
    /// client), retried by the client's policy when its body can be replayed, corrected for
    /// clock skew, and a failure answer becomes a typed [`Error`] with its
    /// [`kind`](Error::kind), exactly as for the built-in operations.
    ///
    /// ```no_run
    /// # async fn run(client: alioss::oss::Client) -> alioss::error::Result<()> {
    /// use alioss::oss::Method;
    ///
    /// // PutSymlink, which has no builder of its own.
    /// let out = client
    ///     .operation("PutSymlink", Method::PUT)
    ///     .bucket("examplebucket")
    ///     .key("src/latest.csv")
    ///     .query("symlink", "")
    ///     .header("x-oss-symlink-target", "src/data.csv")
    ///     .send()
    ///     .await?;
    /// assert!(out.status().is_success());
    /// # Ok(()) }
    /// ```
    pub fn operation(
        &self,
        name: impl Into<Cow<'static, str>>,
        method: Method,
    ) -> OperationRequest {
        OperationRequest {
            client: self.clone(),
            name: name.into(),
            method,
            bucket: None,
            key: None,
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::empty(),
            check_crc64: false,
        }
    }
}

/// A request for any OSS operation; see [`Client::operation`].
#[derive(Debug)]
pub struct OperationRequest {
    client: Client,
    name: Cow<'static, str>,
    method: Method,
    bucket: Option<String>,
    key: Option<String>,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Body,
    check_crc64: bool,
}

impl OperationRequest {
    /// The bucket (none for service-level operations such as ListBuckets).
    pub fn bucket(mut self, bucket: impl Into<String>) -> Self {
        self.bucket = Some(bucket.into());
        self
    }

    /// The object key (needs a bucket).
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Adds a query parameter, unencoded (`("tagging", "")` sends `?tagging`). Every query
    /// parameter is signed (V4).
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Adds a header. `x-oss-*`, Content-Type and Content-MD5 are signed.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The body (bytes and files can be retried; a one-shot stream cannot).
    pub fn body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// Checks the answer's `x-oss-hash-crc64ecma` against the CRC-64 of the body sent (for
    /// operations that store the body as an object). Off by default.
    pub fn check_crc64(mut self, yes: bool) -> Self {
        self.check_crc64 = yes;
        self
    }

    fn request(self) -> Result<(Client, OssRequest)> {
        match (&self.bucket, &self.key) {
            (Some(b), Some(k)) => validation::bucket_and_key(b, k)?,
            (Some(b), None) => validation::bucket(b)?,
            (None, Some(_)) => return Err(Error::invalid("key", "a key needs a bucket")),
            (None, None) => {}
        }
        if self.name.is_empty() {
            return Err(Error::invalid("operation", "must be named"));
        }
        for (name, value) in &self.headers {
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(Error::invalid(
                    "header",
                    format!("{name:?} is not a header name (letters, digits, '-', '_')"),
                ));
            }
            validation::header_value("header", value)?;
        }
        let req = OssRequest {
            operation: self.name,
            method: self.method,
            bucket: self.bucket,
            key: self.key,
            query: self.query,
            headers: self.headers,
            body: self.body,
            expected_crc: if self.check_crc64 {
                ExpectedCrc::OfBody
            } else {
                ExpectedCrc::None
            },
            sent_body_crc: Arc::default(),
        };
        Ok((self.client, req))
    }

    /// Sends the request, retrying as the client's policy allows.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] before any request for a bad bucket, key or header; a service
    /// error for any non-2xx answer (parsed from its XML, JSON or `x-oss-err` body, with hint);
    /// transport and credentials errors; [`Error::Integrity`] with
    /// [`check_crc64`](Self::check_crc64) on a CRC mismatch.
    pub async fn send(self) -> Result<OperationOutput> {
        let (client, req) = self.request()?;
        let sent = client.send(req).await?;
        Ok(OperationOutput::from(sent))
    }

    /// A URL that lets its holder make this request without credentials until it expires
    /// (1 s to 7 days). The body is not part of it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the request or the lifetime is invalid; a credentials
    /// error when the client's provider fails.
    pub async fn presign(self, expires_in: Duration) -> Result<PresignedUrl> {
        let (client, req) = self.request()?;
        client.presign_request(req, expires_in).await
    }
}

/// A successful answer to a raw operation: status and headers now, the body when asked.
#[derive(Debug)]
pub struct OperationOutput {
    status: StatusCode,
    headers: HeaderMap,
    sent: Sent,
}

impl From<Sent> for OperationOutput {
    fn from(sent: Sent) -> Self {
        Self {
            status: sent.response.status(),
            headers: sent.response.headers().clone(),
            sent,
        }
    }
}

impl OperationOutput {
    /// The HTTP status (2xx: failures are errors).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// One response header, when present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// The request id (`x-oss-request-id`).
    pub fn request_id(&self) -> Option<&str> {
        self.header("x-oss-request-id")
    }

    /// The whole body, for answers of a bounded size (XML and JSON results): read within the
    /// client's operation timeout and refused past
    /// [`MAX_XML_BODY`](crate::limits::MAX_XML_BODY). Stream object data with
    /// [`into_stream`](Self::into_stream) instead.
    ///
    /// # Errors
    ///
    /// A transport error when the body does not arrive whole, a timeout when the operation's
    /// deadline passes, [`Error::Response`] when the body is larger than the limit.
    pub async fn bytes(self) -> Result<Bytes> {
        self.sent.bytes().await
    }

    /// The body as a stream of chunks (`Unpin`), of any size.
    pub fn into_stream(self) -> BoxStream<'static, Result<Bytes>> {
        self.sent
            .response
            .bytes_stream()
            .map_err(transport_error)
            .boxed()
    }
}
