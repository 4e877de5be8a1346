//! AppendObject, and the [`Appender`] that keeps track of the next position and the running
//! CRC-64 across appends.

use reqwest::Method;

use super::{ObjectOptions, WithObjectOptions};
use crate::error::{Error, Result};
use crate::oss::body::Body;
use crate::oss::client::Client;
use crate::oss::crc64;
use crate::oss::ops::header_u64;
use crate::oss::request::{ExpectedCrc, Failed, OssRequest};
use crate::oss::validation;

/// The largest appendable object: 5 GiB.
pub const MAX_APPENDABLE_SIZE: u64 = 5 * 1024 * 1024 * 1024;

impl Client {
    /// Appends to an appendable object at `position` (AppendObject). Position 0 creates it.
    pub fn append_object(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
        position: u64,
    ) -> AppendObjectRequest {
        AppendObjectRequest {
            client: self.clone(),
            bucket: bucket.into(),
            key: key.into(),
            position,
            previous_crc: (position == 0).then_some(0),
            body: Body::empty(),
            opts: ObjectOptions::default(),
        }
    }

    /// An [`Appender`] for `bucket`/`key`: reads the object's current length and CRC-64
    /// (HeadObject), or starts a new object when there is none. Fails if the object exists and
    /// is not appendable.
    pub async fn appender(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
    ) -> Result<Appender> {
        let (bucket, key) = (bucket.into(), key.into());
        validation::bucket_and_key(&bucket, &key)?;
        let (position, crc) = match self.head_object(&bucket, &key).send().await {
            Ok(head) => {
                if head.object_type != Some(crate::oss::ObjectType::Appendable) {
                    return Err(Error::invalid(
                        "key",
                        format!(
                            "the object exists and is not appendable (type {})",
                            head.object_type.as_ref().map_or("unknown", |t| t.as_str())
                        ),
                    ));
                }
                (head.content_length, head.crc64)
            }
            Err(e) if e.status() == Some(404) => (0, Some(0)),
            Err(e) => return Err(e),
        };
        Ok(Appender {
            client: self.clone(),
            bucket,
            key,
            position,
            crc,
            uncertain: false,
            opts: ObjectOptions::default(),
        })
    }

    /// An [`Appender`] that starts at `position` with the object's CRC-64 `crc` (0 and
    /// `Some(0)` for a new object), without asking HeadObject first: for credentials that may
    /// upload but not read (HeadObject needs `oss:GetObject`). Recovery after an ambiguous
    /// failure still asks HeadObject.
    pub fn appender_at(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
        position: u64,
        crc: Option<u64>,
    ) -> Result<Appender> {
        let (bucket, key) = (bucket.into(), key.into());
        validation::bucket_and_key(&bucket, &key)?;
        Ok(Appender {
            client: self.clone(),
            bucket,
            key,
            position,
            crc: if position == 0 { Some(0) } else { crc },
            uncertain: false,
            opts: ObjectOptions::default(),
        })
    }
}

/// An AppendObject request.
#[derive(Debug)]
pub struct AppendObjectRequest {
    client: Client,
    bucket: String,
    key: String,
    position: u64,
    previous_crc: Option<u64>,
    body: Body,
    opts: ObjectOptions,
}

impl AppendObjectRequest {
    /// The bytes to append.
    pub fn body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// The CRC-64 of the object before this append; with it the response's CRC is checked
    /// (known to be 0 at position 0).
    pub fn previous_crc64(mut self, crc: u64) -> Self {
        self.previous_crc = Some(crc);
        self
    }

    fn into_request(self) -> Result<(Client, OssRequest)> {
        validation::bucket_and_key(&self.bucket, &self.key)?;
        self.opts.validate()?;
        if self.position.saturating_add(self.body.len()) > MAX_APPENDABLE_SIZE {
            return Err(Error::invalid(
                "position",
                "an appendable object must stay within 5 GiB",
            ));
        }
        let mut req = OssRequest::new("AppendObject", Method::POST, &self.bucket, Some(&self.key))
            .query("append", "")
            .query("position", self.position.to_string());
        // Object options only take effect on the first append; OSS ignores them later.
        if self.position == 0 {
            req.headers = self.opts.headers(&self.key);
        } else {
            req.headers = self
                .opts
                .headers(&self.key)
                .into_iter()
                .filter(|(k, _)| k == "x-oss-traffic-limit" || k == "Content-Type")
                .collect();
        }
        req.expected_crc = match self.previous_crc {
            Some(prev) => ExpectedCrc::AppendedTo(prev),
            None => ExpectedCrc::None,
        };
        req.body = self.body;
        Ok((self.client, req))
    }

    /// A URL that lets its holder append at this position (POST `?append&position=N`, the
    /// object options as signed headers) without credentials until it expires (1 s to 7
    /// days). Nothing is sent.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the request or the lifetime is invalid; a credentials
    /// error when the client's provider fails.
    pub async fn presign(
        self,
        expires_in: std::time::Duration,
    ) -> Result<crate::oss::PresignedUrl> {
        let opts = self.opts.clone();
        let (client, mut req) = self.into_request()?;
        opts.drop_guessed_content_type(&mut req.headers);
        client.presign_request(req, expires_in).await
    }

    /// Appends.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] before any request; a service error
    /// ([`ErrorKind::Conflict`](crate::ErrorKind::Conflict) for a position other than the
    /// object's length); transport and credentials errors; [`Error::Integrity`] when the
    /// object's CRC-64 is not the previous CRC combined with the body's.
    pub async fn send(self) -> Result<AppendObjectOutput> {
        let (client, req) = self.into_request()?;
        let sent = client.send(req).await?;
        Ok(AppendObjectOutput {
            next_position: header_u64(sent.headers(), "x-oss-next-append-position")
                .ok_or_else(|| super::missing("x-oss-next-append-position"))?,
            crc64: sent.crc64(),
            version_id: sent.header("x-oss-version-id"),
            request_id: sent.request_id(),
            recovered: false,
        })
    }
}

/// What AppendObject answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppendObjectOutput {
    /// Where the next append starts (the object's length).
    pub next_position: u64,
    /// The whole object's CRC-64 after this append.
    pub crc64: Option<u64>,
    /// The version id.
    pub version_id: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
    /// Whether an ambiguous failure was resolved by HeadObject (the append had landed before
    /// its response was lost); then `request_id` is HeadObject's.
    pub recovered: bool,
}

/// Appends to one object in sequence, tracking the next position and the running CRC-64.
///
/// When an append fails ambiguously (the connection dropped, a 5xx: the data may or may not
/// have been stored) and the retry is refused with `PositionNotEqualToLength`, the appender asks
/// HeadObject: if the object is exactly `position + bytes just sent` long, the earlier attempt
/// landed and the append counts as done (the algorithm of the official v2 SDKs). Data is never
/// appended twice. The same check runs when the caller retries an append whose call failed.
#[derive(Debug)]
pub struct Appender {
    client: Client,
    bucket: String,
    key: String,
    position: u64,
    crc: Option<u64>,
    uncertain: bool,
    opts: ObjectOptions,
}

impl Appender {
    /// Where the next append starts.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The CRC-64 of the object so far, when known.
    pub fn crc64(&self) -> Option<u64> {
        self.crc
    }

    /// The key appended to.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Appends `body`.
    pub async fn append(&mut self, body: impl Into<Body>) -> Result<AppendObjectOutput> {
        let body = body.into();
        let len = body.len();
        let mut request = self
            .client
            .append_object(&self.bucket, &self.key, self.position)
            .body(body);
        request.opts = self.opts.clone();
        request.previous_crc = self.crc;
        let (client, req) = request.into_request()?;
        let body_crc_hint = req.body.len();
        let sent_body_crc = req.sent_body_crc.clone();
        let previous_crc = self.crc;
        match client.send_counted(req).await {
            Ok(sent) => {
                let next = header_u64(sent.headers(), "x-oss-next-append-position")
                    .unwrap_or(self.position + len);
                let body_crc = sent.body_crc;
                self.crc = match (sent.crc64(), self.crc, body_crc) {
                    (Some(server), _, _) => Some(server),
                    (None, Some(prev), Some(b)) => Some(crc64::combine(prev, b, body_crc_hint)),
                    _ => None,
                };
                self.position = next;
                self.uncertain = false;
                Ok(AppendObjectOutput {
                    next_position: next,
                    crc64: self.crc,
                    version_id: sent.header("x-oss-version-id"),
                    request_id: sent.request_id(),
                    recovered: false,
                })
            }
            Err(Failed { error, attempts }) => {
                let position_mismatch =
                    error.code() == Some(crate::error::codes::POSITION_NOT_EQUAL_TO_LENGTH);
                if position_mismatch && (attempts > 1 || self.uncertain) {
                    let head = self
                        .client
                        .head_object(&self.bucket, &self.key)
                        .send()
                        .await?;
                    if head.content_length == self.position + len {
                        let body_crc = *sent_body_crc.lock().unwrap_or_else(|p| p.into_inner());
                        if let (Some(prev), Some(body), Some(server), true) =
                            (previous_crc, body_crc, head.crc64, self.client.crc_check())
                        {
                            let expected = crc64::combine(prev, body, len);
                            if expected != server {
                                self.uncertain = false;
                                return Err(Error::Integrity {
                                    algorithm: "crc64ecma",
                                    client: crc64::format(expected),
                                    server: crc64::format(server),
                                    computed_from: "the previous checksum and the bytes sent",
                                });
                            }
                        }
                        tracing::info!(
                            position = self.position,
                            len,
                            "an earlier attempt of this append had landed; not appending again"
                        );
                        self.position = head.content_length;
                        self.crc = head.crc64;
                        self.uncertain = false;
                        return Ok(AppendObjectOutput {
                            next_position: self.position,
                            crc64: self.crc,
                            version_id: head.version_id,
                            request_id: head.request_id,
                            recovered: true,
                        });
                    }
                }
                if error.is_retryable() {
                    self.uncertain = true;
                }
                Err(error)
            }
        }
    }
}

impl WithObjectOptions for AppendObjectRequest {
    fn object_options_mut(&mut self) -> &mut ObjectOptions {
        &mut self.opts
    }
}

/// The options apply when the appender creates the object (its first append, at position 0);
/// later appends send only the traffic limit.
impl WithObjectOptions for Appender {
    fn object_options_mut(&mut self) -> &mut ObjectOptions {
        &mut self.opts
    }
}
