//! PutObject, GetObject, HeadObject, DeleteObject.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::StreamExt;
use reqwest::Method;
use time::OffsetDateTime;
use tokio::io::AsyncWriteExt;

use super::conditions::{condition_setters, Conditions, READ_HEADERS};
use super::{header_date, header_u64, metadata_from, ObjectOptions, WithObjectOptions};
use crate::error::{Error, Result};
use crate::http::transport_error;
use crate::oss::body::Body;
use crate::oss::client::Client;
use crate::oss::client::MinThroughput;
use crate::oss::crc64::{self, Crc64};
use crate::oss::presign::PresignedUrl;
use crate::oss::request::{header, operation_timed_out, ExpectedCrc, OssRequest};
use crate::oss::stream::{BoxStream, ObjectReader};
use crate::oss::types::{ObjectType, ServerSideEncryption, StorageClass};
use crate::oss::validation;

impl Client {
    /// Uploads an object in one request (PutObject).
    pub fn put_object(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
    ) -> PutObjectRequest {
        PutObjectRequest {
            client: self.clone(),
            bucket: bucket.into(),
            key: key.into(),
            body: Body::empty(),
            content_md5: false,
            opts: ObjectOptions::default(),
        }
    }

    /// Downloads an object (GetObject).
    pub fn get_object(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
    ) -> GetObjectRequest {
        GetObjectRequest {
            client: self.clone(),
            bucket: bucket.into(),
            key: key.into(),
            range: None,
            suffix: None,
            standard_range: false,
            conditions: Conditions::default(),
            version_id: None,
        }
    }

    /// Reads an object's metadata (HeadObject).
    pub fn head_object(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
    ) -> HeadObjectRequest {
        HeadObjectRequest {
            client: self.clone(),
            bucket: bucket.into(),
            key: key.into(),
            conditions: Conditions::default(),
            version_id: None,
        }
    }

    /// Deletes an object (DeleteObject). Deleting a missing object succeeds.
    pub fn delete_object(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
    ) -> DeleteObjectRequest {
        DeleteObjectRequest {
            client: self.clone(),
            bucket: bucket.into(),
            key: key.into(),
            version_id: None,
        }
    }
}

/// A PutObject request; send it with [`PutObjectRequest::send`].
#[derive(Debug)]
pub struct PutObjectRequest {
    client: Client,
    bucket: String,
    key: String,
    body: Body,
    content_md5: bool,
    opts: ObjectOptions,
}

impl PutObjectRequest {
    /// The object's content.
    pub fn body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// Also sends a Content-MD5 (computed here; a file is read once more). Off by default:
    /// CRC-64 already checks the upload end to end.
    pub fn content_md5(mut self, yes: bool) -> Self {
        self.content_md5 = yes;
        self
    }

    /// The request, checked, without its body.
    fn request(&self) -> Result<OssRequest> {
        validation::bucket_and_key(&self.bucket, &self.key)?;
        self.opts.validate()?;
        let mut req = OssRequest::new("PutObject", Method::PUT, &self.bucket, Some(&self.key));
        req.headers = self.opts.headers(&self.key);
        Ok(req)
    }

    /// A URL that lets its holder upload the object (PUT, with the object options as signed headers) without credentials until it expires
    /// (1 s to 7 days); see [`PresignedUrl`]. Nothing is sent.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the request or the lifetime is invalid; a credentials
    /// error when the client's provider fails.
    pub async fn presign(self, expires_in: Duration) -> Result<PresignedUrl> {
        let mut req = self.request()?;
        self.opts.drop_guessed_content_type(&mut req.headers);
        self.client.presign_request(req, expires_in).await
    }

    /// Uploads.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] before any request for a bad bucket, key or option; service,
    /// transport and credentials errors; [`Error::Integrity`] when the CRC-64 OSS computed
    /// differs from the body's.
    pub async fn send(self) -> Result<PutObjectOutput> {
        let mut req = self.request()?;
        if self.content_md5 {
            req.headers
                .push(("Content-MD5".into(), self.body.content_md5().await?));
        }
        req.body = self.body;
        req.expected_crc = ExpectedCrc::OfBody;
        let sent = self.client.send(req).await?;
        Ok(PutObjectOutput {
            etag: sent.header("etag"),
            crc64: sent.crc64(),
            version_id: sent.header("x-oss-version-id"),
            content_md5: sent.header("content-md5"),
            request_id: sent.request_id(),
        })
    }
}

impl WithObjectOptions for PutObjectRequest {
    fn object_options_mut(&mut self) -> &mut ObjectOptions {
        &mut self.opts
    }
}

/// What PutObject answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PutObjectOutput {
    /// The object's ETag (with its quotes, as OSS sends it).
    pub etag: Option<String>,
    /// The object's CRC-64 as the server computed it.
    pub crc64: Option<u64>,
    /// The version id, on versioned buckets.
    pub version_id: Option<String>,
    /// The MD5 the server computed (base64).
    pub content_md5: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
}

/// A GetObject request.
#[derive(Debug)]
pub struct GetObjectRequest {
    client: Client,
    bucket: String,
    key: String,
    range: Option<(u64, Option<u64>)>,
    suffix: Option<u64>,
    standard_range: bool,
    conditions: Conditions,
    version_id: Option<String>,
}

/// The setters of a read's conditions (GetObject, HeadObject).
macro_rules! read_condition_setters {
    () => {
        condition_setters!(
            "Reads only if the object's ETag is this one (or `*`); else the error has status 412 (`PreconditionFailed`).",
            "Reads only if the object's ETag is not this one; else the error has status 304 (not modified).",
            "Reads only if the object changed after `t`; else the error has status 304.",
            "Reads only if the object did not change after `t`; else the error has status 412.",
        );
    };
}

impl GetObjectRequest {
    read_condition_setters!();

    /// Only the last `n` bytes (a suffix range, `bytes=-n`).
    pub fn range_suffix(mut self, n: u64) -> Self {
        self.suffix = Some(n);
        self.range = None;
        self
    }

    /// Asks for standard HTTP range behaviour (`x-oss-range-behavior: standard`): a range
    /// starting past the end is refused with 416 `InvalidRange` instead of answered with the
    /// whole object.
    pub fn standard_range_behavior(mut self, yes: bool) -> Self {
        self.standard_range = yes;
        self
    }

    /// Only bytes `first..=last` (inclusive, as HTTP ranges are).
    pub fn range(mut self, first: u64, last: u64) -> Self {
        self.suffix = None;
        self.range = Some((first, Some(last)));
        self
    }

    /// Only the bytes from `first` to the end.
    pub fn range_from(mut self, first: u64) -> Self {
        self.suffix = None;
        self.range = Some((first, None));
        self
    }

    /// A specific version.
    pub fn version_id(mut self, id: impl Into<String>) -> Self {
        self.version_id = Some(id.into());
        self
    }

    /// The request, checked.
    fn request(&self) -> Result<OssRequest> {
        validation::bucket_and_key(&self.bucket, &self.key)?;
        if let Some((first, Some(last))) = self.range {
            if last < first {
                return Err(Error::invalid(
                    "range",
                    "the last byte must not precede the first",
                ));
            }
        }
        let mut req = OssRequest::new("GetObject", Method::GET, &self.bucket, Some(&self.key));
        if let Some((first, last)) = self.range {
            let value = match last {
                Some(l) => format!("bytes={first}-{l}"),
                None => format!("bytes={first}-"),
            };
            req = req.header("Range", value);
        }
        if let Some(n) = self.suffix {
            if n == 0 {
                return Err(Error::invalid("range_suffix", "must be at least 1 byte"));
            }
            req = req.header("Range", format!("bytes=-{n}"));
        }
        if self.standard_range {
            req = req.header("x-oss-range-behavior", "standard");
        }
        self.conditions.validate()?;
        req = self.conditions.apply(req, &READ_HEADERS);
        if let Some(v) = &self.version_id {
            req = req.query("versionId", v.clone());
        }
        Ok(req)
    }

    /// A URL that lets its holder download the object (a range is not part of the URL: its user sends `Range` itself) without credentials until it expires
    /// (1 s to 7 days); see [`PresignedUrl`]. Nothing is sent.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the request or the lifetime is invalid; a credentials
    /// error when the client's provider fails.
    pub async fn presign(self, expires_in: Duration) -> Result<PresignedUrl> {
        let req = self.request()?;
        self.client.presign_request(req, expires_in).await
    }

    /// Sends the request; the body is streamed from [`GetObjectOutput`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] before any request; service (e.g.
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound)), transport and credentials errors.
    pub async fn send(self) -> Result<GetObjectOutput> {
        let req = self.request()?;
        let sent = self.client.send(req).await?;
        let h = sent.headers();
        let partial = sent.response.status().as_u16() == 206;
        let crc64 = sent.crc64();
        Ok(GetObjectOutput {
            content_length: header_u64(h, "content-length"),
            content_type: header(h, "content-type"),
            content_range: header(h, "content-range"),
            cache_control: header(h, "cache-control"),
            content_disposition: header(h, "content-disposition"),
            content_encoding: header(h, "content-encoding"),
            content_language: header(h, "content-language"),
            etag: header(h, "etag"),
            last_modified: header_date(h, "last-modified"),
            version_id: header(h, "x-oss-version-id"),
            request_id: sent.request_id(),
            metadata: metadata_from(h),
            object_type: header(h, "x-oss-object-type").map(|v| ObjectType::from(v.as_str())),
            storage_class: header(h, "x-oss-storage-class").map(|v| StorageClass::from(v.as_str())),
            server_side_encryption: server_side_encryption(h),
            crc64,
            check_crc: (self.client.crc_check() && !partial)
                .then_some(crc64)
                .flatten(),
            limits: BodyLimits {
                deadline: sent.deadline,
                timeout: sent.timeout,
                min_throughput: self.client.inner.download_min_throughput,
            },
            response: sent.response,
        })
    }
}

/// What GetObject answered: metadata now, the body as a stream.
#[non_exhaustive]
pub struct GetObjectOutput {
    /// The length of the body.
    pub content_length: Option<u64>,
    /// The object's Content-Type.
    pub content_type: Option<String>,
    /// `bytes first-last/total` for a ranged read.
    pub content_range: Option<String>,
    /// The stored Cache-Control.
    pub cache_control: Option<String>,
    /// The stored Content-Disposition.
    pub content_disposition: Option<String>,
    /// The stored Content-Encoding.
    pub content_encoding: Option<String>,
    /// The stored Content-Language.
    pub content_language: Option<String>,
    /// The ETag.
    pub etag: Option<String>,
    /// When the object was last modified.
    pub last_modified: Option<OffsetDateTime>,
    /// The version id.
    pub version_id: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
    /// User metadata (names lower-case, without `x-oss-meta-`).
    pub metadata: BTreeMap<String, String>,
    /// How the object was written.
    pub object_type: Option<ObjectType>,
    /// The storage class.
    pub storage_class: Option<StorageClass>,
    /// The server-side encryption in force.
    pub server_side_encryption: Option<ServerSideEncryption>,
    /// The whole object's CRC-64 as the server reports it.
    pub crc64: Option<u64>,
    check_crc: Option<u64>,
    limits: BodyLimits,
    response: reqwest::Response,
}

/// How long a download body may take: the operation's deadline and the minimum throughput.
#[derive(Debug, Clone, Copy)]
struct BodyLimits {
    deadline: Option<tokio::time::Instant>,
    timeout: Option<std::time::Duration>,
    min_throughput: Option<MinThroughput>,
}

/// Reading state of a download body: the bytes and start of the current throughput window.
struct Pace {
    window_start: tokio::time::Instant,
    window_bytes: u64,
}

impl Pace {
    /// Counts `n` bytes that just arrived; an error when the window that ended saw fewer than
    /// the minimum.
    fn arrived(&mut self, n: usize, min: Option<MinThroughput>) -> Result<()> {
        self.window_bytes += n as u64;
        let Some(min) = min else { return Ok(()) };
        let now = tokio::time::Instant::now();
        if now.duration_since(self.window_start) >= min.window {
            if self.window_bytes < min.bytes {
                return Err(Error::transport(
                    format!(
                        "the download is slower than its minimum throughput: {} bytes in {:?} \
                         (at least {} required; see ClientBuilder::download_min_throughput)",
                        self.window_bytes,
                        now.duration_since(self.window_start),
                        min.bytes
                    ),
                    true,
                    false,
                ));
            }
            self.window_start = now;
            self.window_bytes = 0;
        }
        Ok(())
    }
}

impl std::fmt::Debug for GetObjectOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GetObjectOutput")
            .field("content_length", &self.content_length)
            .field("content_type", &self.content_type)
            .field("content_range", &self.content_range)
            .field("cache_control", &self.cache_control)
            .field("content_disposition", &self.content_disposition)
            .field("content_encoding", &self.content_encoding)
            .field("content_language", &self.content_language)
            .field("etag", &self.etag)
            .field("last_modified", &self.last_modified)
            .field("version_id", &self.version_id)
            .field("request_id", &self.request_id)
            .field("metadata", &self.metadata)
            .field("object_type", &self.object_type)
            .field("storage_class", &self.storage_class)
            .field("server_side_encryption", &self.server_side_encryption)
            .field("crc64", &self.crc64)
            .finish_non_exhaustive()
    }
}

impl GetObjectOutput {
    /// The body as a stream of chunks (boxed: `Unpin`, `Send`, `'static`). A whole-object read
    /// is checked against the server's CRC-64 when the stream ends (an [`Error::Integrity`] as
    /// last item on mismatch, computed from the bytes received).
    pub fn into_stream(self) -> BoxStream<Bytes> {
        let expected = self.check_crc;
        let limits = self.limits;
        let inner = self.response.bytes_stream();
        let pace = Pace {
            window_start: tokio::time::Instant::now(),
            window_bytes: 0,
        };
        Box::pin(futures_util::stream::unfold(
            (Box::pin(inner), Crc64::new(), false, pace),
            move |(mut inner, mut crc, done, mut pace)| async move {
                if done {
                    return None;
                }
                let next = match limits.deadline {
                    None => inner.next().await,
                    Some(at) => match tokio::time::timeout_at(at, inner.next()).await {
                        Ok(next) => next,
                        Err(_) => {
                            let e = operation_timed_out(limits.timeout);
                            return Some((Err(e), (inner, crc, true, pace)));
                        }
                    },
                };
                if let Some(Ok(chunk)) = &next {
                    if let Err(e) = pace.arrived(chunk.len(), limits.min_throughput) {
                        return Some((Err(e), (inner, crc, true, pace)));
                    }
                }
                match next {
                    Some(Ok(chunk)) => {
                        crc.update(&chunk);
                        Some((Ok(chunk), (inner, crc, false, pace)))
                    }
                    Some(Err(e)) => Some((Err(transport_error(e)), (inner, crc, true, pace))),
                    None => match expected {
                        Some(server) if crc.value() != server => Some((
                            Err(Error::Integrity {
                                algorithm: "crc64ecma",
                                client: crc64::format(crc.value()),
                                server: crc64::format(server),
                                computed_from: "the bytes received",
                            }),
                            (inner, crc, true, pace),
                        )),
                        _ => None,
                    },
                }
            },
        ))
    }

    /// The body as an [`AsyncRead`](tokio::io::AsyncRead) (and `AsyncBufRead`), CRC-checked
    /// like [`into_stream`](Self::into_stream): a mismatch is an
    /// [`InvalidData`](std::io::ErrorKind::InvalidData) error whose inner error is the
    /// [`Error::Integrity`].
    pub fn into_async_read(self) -> ObjectReader {
        ObjectReader::new(self.into_stream())
    }

    /// The whole body in memory (CRC-checked for whole-object reads).
    ///
    /// # Errors
    ///
    /// A transport error when the body does not arrive whole; [`Error::Integrity`] when its
    /// CRC-64, computed from the bytes received, differs from the object's.
    pub async fn bytes(self) -> Result<Bytes> {
        let mut out = bytes::BytesMut::new();
        let mut s = self.into_stream();
        while let Some(chunk) = s.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out.freeze())
    }

    /// Streams the body into the file at `path` and returns the bytes written. The body goes
    /// into a temporary file beside `path` first, which replaces `path` (atomically, by a
    /// rename) only once the whole body arrived — and, for a whole-object read, its CRC-64
    /// matched the server's. On any failure the temporary file is removed and `path` is left
    /// as it was.
    ///
    /// # Errors
    /// [`Error::Integrity`] on a CRC mismatch, a transport error if the body is cut short,
    /// [`Error::Io`] if the file cannot be written or renamed.
    pub async fn write_to_file(self, path: impl AsRef<Path>) -> Result<u64> {
        let path = path.as_ref();
        let temp = crate::oss::downloader::temp_path_beside(path, true)?;
        let written = match self.write_to(&temp).await {
            Ok(n) => n,
            Err(e) => {
                let _ = tokio::fs::remove_file(&temp).await;
                return Err(e);
            }
        };
        if let Err(e) = tokio::fs::rename(&temp, path).await {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(e.into());
        }
        Ok(written)
    }

    async fn write_to(self, temp: &Path) -> Result<u64> {
        let file = tokio::fs::File::create(temp).await?;
        let mut out = tokio::io::BufWriter::with_capacity(1024 * 1024, file);
        let mut written = 0u64;
        let mut s = self.into_stream();
        while let Some(chunk) = s.next().await {
            let chunk = chunk?;
            out.write_all(&chunk).await?;
            written += chunk.len() as u64;
        }
        out.flush().await?;
        Ok(written)
    }
}

/// A HeadObject request.
#[derive(Debug)]
pub struct HeadObjectRequest {
    client: Client,
    bucket: String,
    key: String,
    conditions: Conditions,
    version_id: Option<String>,
}

impl HeadObjectRequest {
    read_condition_setters!();

    /// A specific version.
    pub fn version_id(mut self, id: impl Into<String>) -> Self {
        self.version_id = Some(id.into());
        self
    }

    /// The request, checked.
    fn request(&self) -> Result<OssRequest> {
        validation::bucket_and_key(&self.bucket, &self.key)?;
        let mut req = OssRequest::new("HeadObject", Method::HEAD, &self.bucket, Some(&self.key));
        self.conditions.validate()?;
        req = self.conditions.apply(req, &READ_HEADERS);
        if let Some(v) = &self.version_id {
            req = req.query("versionId", v.clone());
        }
        Ok(req)
    }

    /// A URL that lets its holder read the object's metadata (HEAD) without credentials until it expires
    /// (1 s to 7 days); see [`PresignedUrl`]. Nothing is sent.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the request or the lifetime is invalid; a credentials
    /// error when the client's provider fails.
    pub async fn presign(self, expires_in: Duration) -> Result<PresignedUrl> {
        let req = self.request()?;
        self.client.presign_request(req, expires_in).await
    }

    /// Sends the request.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] before any request; service, transport and credentials errors.
    pub async fn send(self) -> Result<HeadObjectOutput> {
        let req = self.request()?;
        let sent = self.client.send(req).await?;
        let h = sent.headers();
        Ok(HeadObjectOutput {
            content_length: header_u64(h, "content-length").unwrap_or(0),
            content_type: header(h, "content-type"),
            etag: header(h, "etag"),
            last_modified: header_date(h, "last-modified"),
            crc64: sent.crc64(),
            object_type: header(h, "x-oss-object-type").map(|v| ObjectType::from(v.as_str())),
            storage_class: header(h, "x-oss-storage-class").map(|v| StorageClass::from(v.as_str())),
            cache_control: header(h, "cache-control"),
            content_disposition: header(h, "content-disposition"),
            content_encoding: header(h, "content-encoding"),
            content_language: header(h, "content-language"),
            expires: header(h, "expires"),
            tagging_count: header_u64(h, "x-oss-tagging-count"),
            server_side_encryption: server_side_encryption(h),
            next_append_position: header_u64(h, "x-oss-next-append-position"),
            version_id: header(h, "x-oss-version-id"),
            metadata: metadata_from(h),
            request_id: sent.request_id(),
        })
    }
}

/// What HeadObject answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HeadObjectOutput {
    /// The object's size.
    pub content_length: u64,
    /// The object's Content-Type.
    pub content_type: Option<String>,
    /// The ETag.
    pub etag: Option<String>,
    /// When the object was last modified.
    pub last_modified: Option<OffsetDateTime>,
    /// The object's CRC-64.
    pub crc64: Option<u64>,
    /// How the object was written (`Normal`, `Appendable`, `Multipart`, `Symlink`, …).
    pub object_type: Option<ObjectType>,
    /// The storage class.
    pub storage_class: Option<StorageClass>,
    /// The stored Cache-Control.
    pub cache_control: Option<String>,
    /// The stored Content-Disposition.
    pub content_disposition: Option<String>,
    /// The stored Content-Encoding.
    pub content_encoding: Option<String>,
    /// The stored Content-Language.
    pub content_language: Option<String>,
    /// The stored Expires header, as sent.
    pub expires: Option<String>,
    /// How many tags the object has.
    pub tagging_count: Option<u64>,
    /// The server-side encryption in force (with the KMS key id when there is one).
    pub server_side_encryption: Option<ServerSideEncryption>,
    /// For appendable objects, where the next append starts.
    pub next_append_position: Option<u64>,
    /// The version id.
    pub version_id: Option<String>,
    /// User metadata (names lower-case, without `x-oss-meta-`).
    pub metadata: BTreeMap<String, String>,
    /// The request id.
    pub request_id: Option<String>,
}

/// The server-side encryption named by a response's headers.
fn server_side_encryption(h: &reqwest::header::HeaderMap) -> Option<ServerSideEncryption> {
    let algorithm = header(h, "x-oss-server-side-encryption")?;
    Some(ServerSideEncryption::from_headers(
        &algorithm,
        header(h, "x-oss-server-side-encryption-key-id"),
    ))
}

/// A DeleteObject request.
#[derive(Debug)]
pub struct DeleteObjectRequest {
    client: Client,
    bucket: String,
    key: String,
    version_id: Option<String>,
}

impl DeleteObjectRequest {
    /// A specific version.
    pub fn version_id(mut self, id: impl Into<String>) -> Self {
        self.version_id = Some(id.into());
        self
    }

    /// The request, checked.
    fn request(&self) -> Result<OssRequest> {
        validation::bucket_and_key(&self.bucket, &self.key)?;
        let mut req = OssRequest::new(
            "DeleteObject",
            Method::DELETE,
            &self.bucket,
            Some(&self.key),
        );
        if let Some(v) = &self.version_id {
            req = req.query("versionId", v.clone());
        }
        Ok(req)
    }

    /// A URL that lets its holder delete the object without credentials until it expires
    /// (1 s to 7 days); see [`PresignedUrl`]. Nothing is sent.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the request or the lifetime is invalid; a credentials
    /// error when the client's provider fails.
    pub async fn presign(self, expires_in: Duration) -> Result<PresignedUrl> {
        let req = self.request()?;
        self.client.presign_request(req, expires_in).await
    }

    /// Sends the request.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] before any request; service, transport and credentials errors.
    pub async fn send(self) -> Result<DeleteObjectOutput> {
        let req = self.request()?;
        let sent = self.client.send(req).await?;
        Ok(DeleteObjectOutput {
            version_id: sent.header("x-oss-version-id"),
            delete_marker: sent.header("x-oss-delete-marker").as_deref() == Some("true"),
            request_id: sent.request_id(),
        })
    }
}

/// What DeleteObject answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeleteObjectOutput {
    /// The version id deleted or created (delete marker).
    pub version_id: Option<String>,
    /// Whether a delete marker was created.
    pub delete_marker: bool,
    /// The request id.
    pub request_id: Option<String>,
}
