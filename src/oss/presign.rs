//! Presigned URLs: a URL that lets whoever holds it perform one operation until it expires,
//! without credentials of their own.
//!
//! Every operation builder that can be presigned has a `presign(expires_in)` method beside
//! `send()`: the URL signs exactly what `send()` would send (method, query, object options as
//! headers), minus the body. V4 by default (`x-oss-signature`, `x-oss-expires` ≤ 7 days); V1 when
//! the client signs V1. Headers that are signed (Content-Type, `x-oss-*`) must be sent by the
//! URL's user exactly as [`PresignedUrl::signed_headers`] lists them. The URL itself is a bearer
//! secret: its `Debug` is redacted and it is never logged.

use std::fmt;
use std::time::Duration;

use reqwest::Method;
use time::OffsetDateTime;

use crate::credentials::Credentials;
use crate::error::Result;
use crate::oss::client::{Client, RequestSigner};
use crate::oss::request::OssRequest;
use crate::oss::signer::SignableRequest;
use crate::oss::validation;

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
    /// Presigns `req` for `expires_in` with credentials from the client's provider.
    pub(crate) async fn presign_request(
        &self,
        req: OssRequest,
        expires_in: Duration,
    ) -> Result<PresignedUrl> {
        validation::presign_expiry(expires_in)?;
        let creds = self.inner.credentials.provide_credentials().await?;
        self.presign_with(&req, &creds, expires_in)
    }

    fn presign_with(
        &self,
        op: &OssRequest,
        creds: &Credentials,
        expires_in: Duration,
    ) -> Result<PresignedUrl> {
        let method = op.method.clone();
        let mut req =
            SignableRequest::new(method.as_str(), op.bucket.as_deref(), op.key.as_deref());
        req.query = op.query.clone();
        req.headers = op.headers.clone();
        let now = self.signing_time();
        let (signed_headers, expiration) = match &self.inner.signer {
            RequestSigner::V4(s) => {
                let p = s.presign(&mut req, creds, now, expires_in)?;
                (p.signed_headers, p.expiration)
            }
            RequestSigner::V1(s) => {
                let expiration = now + expires_in;
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
        let url = self.url(op.bucket.as_deref(), op.key.as_deref(), &req.query);
        Ok(PresignedUrl {
            method,
            url,
            signed_headers,
            expiration,
        })
    }

    /// A URL to download `bucket`/`key` for `expires_in` (1 s to 7 days); the same as
    /// `client.get_object(bucket, key).presign(expires_in)`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for a bad bucket, key or lifetime;
    /// a credentials error when the provider fails. Nothing is sent.
    pub async fn presign_get(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
        expires_in: Duration,
    ) -> Result<PresignedUrl> {
        self.get_object(bucket, key).presign(expires_in).await
    }

    /// A URL to upload `bucket`/`key` with PUT for `expires_in` (1 s to 7 days); the same as
    /// `client.put_object(bucket, key).presign(expires_in)`. Object options go on
    /// [`put_object`](Client::put_object)'s builder.
    ///
    /// # Errors
    ///
    /// As [`Client::presign_get`].
    pub async fn presign_put(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
        expires_in: Duration,
    ) -> Result<PresignedUrl> {
        self.put_object(bucket, key).presign(expires_in).await
    }

    /// A URL to read `bucket`/`key`'s metadata with HEAD for `expires_in`.
    ///
    /// # Errors
    ///
    /// As [`Client::presign_get`].
    pub async fn presign_head(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
        expires_in: Duration,
    ) -> Result<PresignedUrl> {
        self.head_object(bucket, key).presign(expires_in).await
    }
}
