//! Presigned URLs: a URL that lets whoever holds it perform one operation until it expires,
//! without credentials of their own.
//!
//! V4 by default (`x-oss-signature`, `x-oss-expires` ≤ 7 days); V1 when the client signs V1.
//! Headers set on the request before signing (Content-Type, `x-oss-*`) are part of the
//! signature: the URL's user must send exactly them, and [`PresignedUrl::signed_headers`] lists
//! them. The URL itself is a bearer secret: its `Debug` is redacted and it is never logged.

use std::fmt;
use std::time::Duration;

use reqwest::Method;
use time::OffsetDateTime;

use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::oss::client::{Client, RequestSigner};
use crate::oss::signer::SignableRequest;
use crate::oss::validation;

/// The operations a URL can be presigned for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PresignOperation {
    /// GET the object.
    GetObject,
    /// PUT the object.
    PutObject,
    /// HEAD the object.
    HeadObject,
    /// DELETE the object.
    DeleteObject,
    /// POST `?uploads`.
    InitiateMultipartUpload,
    /// PUT `?partNumber&uploadId`.
    UploadPart {
        /// The upload id.
        upload_id: String,
        /// The part number (1–10000).
        part_number: u32,
    },
    /// POST `?uploadId` (the body lists the parts).
    CompleteMultipartUpload {
        /// The upload id.
        upload_id: String,
    },
    /// DELETE `?uploadId`.
    AbortMultipartUpload {
        /// The upload id.
        upload_id: String,
    },
    /// POST `?append&position=N`.
    AppendObject {
        /// Where the appended bytes go (the object's current length).
        position: u64,
    },
    /// GET `?uploadId` (the parts uploaded so far).
    ListParts {
        /// The upload id.
        upload_id: String,
    },
}

impl PresignOperation {
    fn method(&self) -> Method {
        match self {
            PresignOperation::GetObject | PresignOperation::ListParts { .. } => Method::GET,
            PresignOperation::PutObject | PresignOperation::UploadPart { .. } => Method::PUT,
            PresignOperation::HeadObject => Method::HEAD,
            PresignOperation::DeleteObject | PresignOperation::AbortMultipartUpload { .. } => {
                Method::DELETE
            }
            PresignOperation::InitiateMultipartUpload
            | PresignOperation::CompleteMultipartUpload { .. }
            | PresignOperation::AppendObject { .. } => Method::POST,
        }
    }

    fn query(&self) -> Result<Vec<(String, String)>> {
        Ok(match self {
            PresignOperation::InitiateMultipartUpload => vec![("uploads".into(), String::new())],
            PresignOperation::UploadPart {
                upload_id,
                part_number,
            } => {
                validation::part_number(*part_number)?;
                vec![
                    ("partNumber".into(), part_number.to_string()),
                    ("uploadId".into(), upload_id.clone()),
                ]
            }
            PresignOperation::CompleteMultipartUpload { upload_id }
            | PresignOperation::AbortMultipartUpload { upload_id }
            | PresignOperation::ListParts { upload_id } => {
                vec![("uploadId".into(), upload_id.clone())]
            }
            PresignOperation::AppendObject { position } => vec![
                ("append".into(), String::new()),
                ("position".into(), position.to_string()),
            ],
            _ => Vec::new(),
        })
    }
}

/// A presigned URL, the method to use it with, and the headers its user must send.
#[derive(Clone, PartialEq, Eq)]
pub struct PresignedUrl {
    method: Method,
    url: String,
    signed_headers: Vec<(String, String)>,
    expiration: OffsetDateTime,
}

impl fmt::Debug for PresignedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PresignedUrl")
            .field("method", &self.method)
            .field("url", &"** redacted **")
            .field("signed_headers", &self.signed_headers)
            .field("expiration", &self.expiration)
            .finish()
    }
}

impl PresignedUrl {
    /// The URL. A bearer secret: do not log it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The HTTP method the URL was signed for.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// Headers (lower-case names) that were signed and must be sent with the URL.
    pub fn signed_headers(&self) -> &[(String, String)] {
        &self.signed_headers
    }

    /// When the URL stops working.
    pub fn expiration(&self) -> OffsetDateTime {
        self.expiration
    }
}

impl Client {
    /// Presigns `operation` on `bucket`/`key`; set the lifetime and signed headers on the
    /// returned builder.
    pub fn presign(
        &self,
        operation: PresignOperation,
        bucket: impl Into<String>,
        key: impl Into<String>,
    ) -> PresignRequest {
        PresignRequest {
            client: self.clone(),
            operation,
            bucket: bucket.into(),
            key: key.into(),
            expires_in: Duration::from_secs(900),
            headers: Vec::new(),
            query: Vec::new(),
        }
    }

    /// A URL to download `bucket`/`key` for `expires_in` (1 s to 7 days).
    pub async fn presign_get(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
        expires_in: Duration,
    ) -> Result<PresignedUrl> {
        self.presign(PresignOperation::GetObject, bucket, key)
            .expires_in(expires_in)
            .send()
            .await
    }

    /// A URL to upload `bucket`/`key` with PUT for `expires_in` (1 s to 7 days).
    pub async fn presign_put(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
        expires_in: Duration,
    ) -> Result<PresignedUrl> {
        self.presign(PresignOperation::PutObject, bucket, key)
            .expires_in(expires_in)
            .send()
            .await
    }

    /// A URL to read `bucket`/`key`'s metadata with HEAD for `expires_in`.
    pub async fn presign_head(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
        expires_in: Duration,
    ) -> Result<PresignedUrl> {
        self.presign(PresignOperation::HeadObject, bucket, key)
            .expires_in(expires_in)
            .send()
            .await
    }
}

/// Builds a [`PresignedUrl`].
#[derive(Debug)]
pub struct PresignRequest {
    client: Client,
    operation: PresignOperation,
    bucket: String,
    key: String,
    expires_in: Duration,
    headers: Vec<(String, String)>,
    query: Vec<(String, String)>,
}

impl PresignRequest {
    /// How long the URL works: 1 s to 7 days (default 15 minutes).
    pub fn expires_in(mut self, d: Duration) -> Self {
        self.expires_in = d;
        self
    }

    /// Signs a Content-Type: the URL's user must send it.
    pub fn content_type(self, v: impl Into<String>) -> Self {
        self.header("Content-Type", v)
    }

    /// Signs a header (`x-oss-*`, Content-Type, Content-MD5): the URL's user must send it.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds a query parameter (e.g. `response-content-disposition`, `versionId`).
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Signs the URL with credentials from the client's provider. Sends nothing.
    pub async fn send(self) -> Result<PresignedUrl> {
        let creds = self.client.inner.credentials.provide_credentials().await?;
        self.sign_with(&creds)
    }

    /// Signs the URL with `creds`, synchronously (for callers that already hold credentials).
    pub fn sign_with(self, creds: &Credentials) -> Result<PresignedUrl> {
        validation::bucket_and_key(&self.bucket, &self.key)?;
        validation::presign_expiry(self.expires_in)?;
        for (name, value) in &self.headers {
            validation::header_value("header", value)?;
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return Err(Error::invalid(
                    "header",
                    "names must be letters, digits and '-'",
                ));
            }
        }
        let method = self.operation.method();
        let mut req = SignableRequest::new(method.as_str(), Some(&self.bucket), Some(&self.key));
        req.query = self.operation.query()?;
        req.query.extend(self.query.iter().cloned());
        req.headers = self.headers.clone();
        let now = self.client.signing_time();
        let (signed_headers, expiration) = match &self.client.inner.signer {
            RequestSigner::V4(s) => {
                let p = s.presign(&mut req, creds, now, self.expires_in)?;
                (p.signed_headers, p.expiration)
            }
            RequestSigner::V1(s) => {
                let expiration = now + self.expires_in;
                s.presign(&mut req, creds, expiration)?;
                let mut signed: Vec<(String, String)> = req
                    .headers
                    .iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_owned()))
                    .filter(|(k, _)| {
                        k.starts_with("x-oss-") || k == "content-type" || k == "content-md5"
                    })
                    .collect();
                signed.sort();
                (signed, expiration)
            }
        };
        let url = self
            .client
            .url(Some(&self.bucket), Some(&self.key), &req.query);
        Ok(PresignedUrl {
            method,
            url,
            signed_headers,
            expiration,
        })
    }
}
