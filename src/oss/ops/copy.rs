//! CopyObject and UploadPartCopy, and the multipart copy used for large sources.

use futures_util::stream::{StreamExt as _, TryStreamExt as _};
use reqwest::Method;
use time::OffsetDateTime;

use super::conditions::{condition_setters, Conditions, COPY_SOURCE_HEADERS};
use super::multipart::CompletedPart;
use super::multipart_upload::MultipartUpload;
use super::{parse_iso_time, ObjectOptions, WithObjectOptions};
use crate::error::{Error, Result};
use crate::oss::client::Client;
use crate::oss::request::OssRequest;
use crate::oss::signer::uri_encode_path;
use crate::oss::uploader::plan::{effective_part_size, plan_parts};
use crate::oss::validation;
use crate::oss::xml::read_answer;

/// Sources larger than this are copied part by part (a single CopyObject copies up to 1 GiB).
pub const DEFAULT_COPY_MULTIPART_THRESHOLD: u64 = 1024 * 1024 * 1024;
/// The part size of a multipart copy unless set otherwise.
pub const DEFAULT_COPY_PART_SIZE: u64 = 64 * 1024 * 1024;
/// How many UploadPartCopy requests a multipart copy runs at once.
const COPY_PARALLELISM: usize = 4;

impl Client {
    /// Copies `source_bucket/source_key` to `bucket/key` on the server (CopyObject; for sources
    /// over [`DEFAULT_COPY_MULTIPART_THRESHOLD`], a multipart copy with UploadPartCopy).
    pub fn copy_object(
        &self,
        source_bucket: impl Into<String>,
        source_key: impl Into<String>,
        bucket: impl Into<String>,
        key: impl Into<String>,
    ) -> CopyObjectRequest {
        CopyObjectRequest {
            client: self.clone(),
            source_bucket: source_bucket.into(),
            source_key: source_key.into(),
            bucket: bucket.into(),
            key: key.into(),
            conditions: Conditions::default(),
            replace_metadata: false,
            replace_tagging: false,
            opts: ObjectOptions::default(),
            multipart_threshold: Some(DEFAULT_COPY_MULTIPART_THRESHOLD),
            part_size: DEFAULT_COPY_PART_SIZE,
            source_version_id: None,
        }
    }

    /// Copies a byte range of an existing object into part `part_number` of a multipart
    /// upload (UploadPartCopy); public as [`MultipartUpload::upload_part_copy`].
    pub(crate) fn upload_part_copy(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
        upload_id: impl Into<String>,
        part_number: u32,
        source_bucket: impl Into<String>,
        source_key: impl Into<String>,
    ) -> UploadPartCopyRequest {
        UploadPartCopyRequest {
            client: self.clone(),
            bucket: bucket.into(),
            key: key.into(),
            upload_id: upload_id.into(),
            part_number,
            source_bucket: source_bucket.into(),
            source_key: source_key.into(),
            range: None,
            conditions: Conditions::default(),
            source_version_id: None,
        }
    }
}

impl MultipartUpload {
    /// Copies (a byte range of) an existing object into part `part_number` of this upload
    /// (UploadPartCopy), on the server: no data passes through the client.
    pub fn upload_part_copy(
        &self,
        part_number: u32,
        source_bucket: impl Into<String>,
        source_key: impl Into<String>,
    ) -> UploadPartCopyRequest {
        self.client().upload_part_copy(
            self.bucket(),
            self.key(),
            self.upload_id(),
            part_number,
            source_bucket,
            source_key,
        )
    }
}

/// The setters of the conditions on a copy's source (`x-oss-copy-source-if-*`).
macro_rules! source_condition_setters {
    () => {
        condition_setters!(
            "Copies only if the source's ETag is this one (else 412, `PreconditionFailed`).",
            "Copies only if the source's ETag is not this one (else 304, `NotModified`).",
            "Copies only if the source changed after `t` (else 304, `NotModified`).",
            "Copies only if the source did not change after `t` (else 412, `PreconditionFailed`).",
        );
    };
}

/// `/bucket/escaped-key[?versionId=…]`, the value of `x-oss-copy-source`.
fn copy_source(bucket: &str, key: &str, version_id: Option<&str>) -> String {
    match version_id {
        Some(v) => format!(
            "/{bucket}/{}?versionId={}",
            uri_encode_path(key),
            crate::encoding::uri_encode(v)
        ),
        None => format!("/{bucket}/{}", uri_encode_path(key)),
    }
}

/// A version id given to copy from: not empty.
fn check_version_id(version_id: Option<&str>) -> Result<()> {
    if version_id.is_some_and(str::is_empty) {
        return Err(Error::invalid("source_version_id", "must not be empty"));
    }
    Ok(())
}

/// `<CopyObjectResult>` / `<CopyPartResult>`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct CopyResultXml {
    #[serde(rename = "ETag")]
    etag: Option<String>,
    last_modified: Option<String>,
}

/// A CopyObject request; send it with [`CopyObjectRequest::send`].
#[derive(Debug)]
pub struct CopyObjectRequest {
    client: Client,
    source_bucket: String,
    source_key: String,
    bucket: String,
    key: String,
    conditions: Conditions,
    replace_metadata: bool,
    replace_tagging: bool,
    opts: ObjectOptions,
    multipart_threshold: Option<u64>,
    part_size: u64,
    source_version_id: Option<String>,
}

impl CopyObjectRequest {
    source_condition_setters!();

    /// Copies this version of the source (on a bucket with versioning) instead of its
    /// current one.
    pub fn source_version_id(mut self, id: impl Into<String>) -> Self {
        self.source_version_id = Some(id.into());
        self
    }

    /// Gives the copy the metadata set on this request (Content-Type, Cache-Control, user
    /// metadata, …: `x-oss-metadata-directive: REPLACE`) instead of the source's (the default).
    pub fn replace_metadata(mut self, yes: bool) -> Self {
        self.replace_metadata = yes;
        self
    }

    /// Gives the copy the tags set on this request (`x-oss-tagging-directive: Replace`)
    /// instead of the source's (the default).
    pub fn replace_tagging(mut self, yes: bool) -> Self {
        self.replace_tagging = yes;
        self
    }

    /// Sources larger than this many bytes are copied with UploadPartCopy (default 1 GiB,
    /// the most one CopyObject copies); `None` always sends one CopyObject and saves the
    /// HeadObject that finds the source's size.
    pub fn multipart_threshold(mut self, bytes: Option<u64>) -> Self {
        self.multipart_threshold = bytes;
        self
    }

    /// The part size of a multipart copy (100 KiB to 5 GiB; default 64 MiB).
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.part_size = bytes;
        self
    }

    fn validate(&self) -> Result<()> {
        validation::bucket_and_key(&self.source_bucket, &self.source_key)?;
        validation::bucket_and_key(&self.bucket, &self.key)?;
        self.opts.validate()?;
        self.conditions.validate()?;
        check_version_id(self.source_version_id.as_deref())?;
        validation::part_size(self.part_size)?;
        validation::non_last_part_size(1, self.part_size)?;
        if self.multipart_threshold == Some(0) {
            return Err(Error::invalid(
                "multipart_threshold",
                "must be at least 1 byte (or None)",
            ));
        }
        Ok(())
    }

    /// Copies.
    ///
    /// # Errors
    ///
    /// Invalid input before any request; the service's refusals (`NoSuchKey` for a missing
    /// source, `AccessDenied` when the source cannot be read or the target written,
    /// `FileAlreadyExists` with [`forbid_overwrite`](Self::forbid_overwrite), 412/304 for unmet
    /// source conditions); an integrity error when a multipart copy's combined CRC-64 differs
    /// from the source's.
    pub async fn send(self) -> Result<CopyObjectOutput> {
        self.validate()?;
        if let Some(threshold) = self.multipart_threshold {
            let mut head = self
                .client
                .head_object(&self.source_bucket, &self.source_key);
            if let Some(v) = &self.source_version_id {
                head = head.version_id(v.clone());
            }
            let head = head.send().await?;
            if head.content_length > threshold {
                return self.multipart(head).await;
            }
        }
        let mut req = OssRequest::new("CopyObject", Method::PUT, &self.bucket, Some(&self.key));
        req.headers = self.opts.headers(&self.key);
        if !self.replace_metadata {
            // The source's Content-Type stays unless the metadata is replaced.
            req.headers.retain(|(k, _)| k != "Content-Type");
        }
        req = req.header(
            "x-oss-copy-source",
            copy_source(
                &self.source_bucket,
                &self.source_key,
                self.source_version_id.as_deref(),
            ),
        );
        if self.replace_metadata {
            req = req.header("x-oss-metadata-directive", "REPLACE");
        }
        if self.replace_tagging {
            req = req.header("x-oss-tagging-directive", "Replace");
        }
        req = self.conditions.apply(req, &COPY_SOURCE_HEADERS);
        let sent = self.client.send(req).await?;
        let request_id = sent.request_id();
        let crc64 = sent.crc64();
        let version_id = sent.header("x-oss-version-id");
        let r: CopyResultXml = read_answer(sent, "CopyObjectResult").await?;
        Ok(CopyObjectOutput {
            etag: r.etag,
            last_modified: parse_iso_time(r.last_modified.as_deref()),
            crc64,
            version_id,
            parts: None,
            request_id,
        })
    }

    async fn multipart(self, head: super::object::HeadObjectOutput) -> Result<CopyObjectOutput> {
        let mut opts = self.opts.clone();
        if !self.replace_metadata {
            opts.content_type = head.content_type.clone();
            opts.cache_control = head.cache_control.clone();
            opts.content_disposition = head.content_disposition.clone();
            opts.content_encoding = head.content_encoding.clone();
            opts.content_language = head.content_language.clone();
            opts.expires = head
                .expires
                .as_deref()
                .and_then(crate::encoding::parse_http_date);
            opts.metadata = head.metadata.clone().into_iter().collect();
        }
        if !self.replace_tagging && head.tagging_count.unwrap_or(0) > 0 {
            let mut tagging = self
                .client
                .get_object_tagging(&self.source_bucket, &self.source_key);
            if let Some(v) = &self.source_version_id {
                tagging = tagging.version_id(v.clone());
            }
            let tags = tagging.send().await?;
            opts.tagging = tags.tags;
        }
        let forbid = opts.forbid_overwrite;
        let upload = self
            .client
            .initiate_multipart_upload(&self.bucket, &self.key)
            .options(opts)
            .send()
            .await?;
        // Every part copies the version HeadObject saw: a concurrent overwrite fails the copy.
        let mut conditions = self.conditions.clone();
        if conditions.if_match.is_none() {
            conditions.if_match = head.etag.clone();
        }
        let size = head.content_length;
        // Grown, as the Uploader's, so that the copy fits in 10000 parts.
        let plan = plan_parts(size, effective_part_size(self.part_size, size)?);
        let client = &self.client;
        let (bucket, key, id) = (&self.bucket, &self.key, &upload.upload_id);
        let (sb, sk) = (&self.source_bucket, &self.source_key);
        let copied: Result<Vec<CompletedPart>> = futures_util::stream::iter(plan)
            .map(|spec| {
                let (first, last) = (spec.offset, spec.offset + spec.len - 1);
                let mut r = client.upload_part_copy(bucket, key, id, spec.number, sb, sk);
                r.range = Some((first, last));
                r.conditions = conditions.clone();
                r.source_version_id = self.source_version_id.clone();
                async move {
                    let out = r.send().await?;
                    let mut part = CompletedPart::new(out.part_number, out.etag);
                    part.crc64 = out.crc64;
                    part.size = Some(spec.len);
                    Ok(part)
                }
            })
            .buffer_unordered(COPY_PARALLELISM)
            .try_collect()
            .await;
        let parts = match copied {
            Ok(p) => p,
            Err(e) => {
                let _ = client.abort_multipart_upload(bucket, key, id).await;
                return Err(e);
            }
        };
        let part_count = parts.len();
        let done = client
            .complete_multipart_upload(bucket, key, id)
            .parts(parts)
            .forbid_overwrite(forbid.unwrap_or(false))
            .send()
            .await;
        let done = match done {
            Ok(d) => d,
            Err(e) => {
                let _ = client.abort_multipart_upload(bucket, key, id).await;
                return Err(e);
            }
        };
        if let (Some(a), Some(b)) = (head.crc64, done.crc64) {
            if a != b {
                return Err(Error::Integrity {
                    algorithm: "crc64ecma",
                    client: crate::oss::crc64::format(a),
                    server: crate::oss::crc64::format(b),
                    computed_from: "the source object's checksum",
                });
            }
        }
        Ok(CopyObjectOutput {
            etag: done.etag,
            last_modified: None,
            crc64: done.crc64,
            version_id: done.version_id,
            parts: Some(part_count),
            request_id: done.request_id,
        })
    }
}

impl WithObjectOptions for CopyObjectRequest {
    fn object_options_mut(&mut self) -> &mut ObjectOptions {
        &mut self.opts
    }
}

/// What CopyObject (or a multipart copy) answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopyObjectOutput {
    /// The new object's ETag.
    pub etag: Option<String>,
    /// When the copy was made (CopyObject only).
    pub last_modified: Option<OffsetDateTime>,
    /// The new object's CRC-64.
    pub crc64: Option<u64>,
    /// The version id, on versioned buckets.
    pub version_id: Option<String>,
    /// How many parts a multipart copy used; `None` for a single CopyObject.
    pub parts: Option<usize>,
    /// The request id (of CompleteMultipartUpload for a multipart copy).
    pub request_id: Option<String>,
}

/// An UploadPartCopy request.
#[derive(Debug)]
pub struct UploadPartCopyRequest {
    client: Client,
    bucket: String,
    key: String,
    upload_id: String,
    part_number: u32,
    source_bucket: String,
    source_key: String,
    range: Option<(u64, u64)>,
    conditions: Conditions,
    source_version_id: Option<String>,
}

impl UploadPartCopyRequest {
    source_condition_setters!();

    /// Copies from this version of the source (on a bucket with versioning) instead of its
    /// current one.
    pub fn source_version_id(mut self, id: impl Into<String>) -> Self {
        self.source_version_id = Some(id.into());
        self
    }

    /// Copies only bytes `first..=last` of the source (default: all of it).
    pub fn range(mut self, first: u64, last: u64) -> Self {
        self.range = Some((first, last));
        self
    }

    /// Copies the part.
    ///
    /// # Errors
    ///
    /// Invalid input before any request (part number 1–10000, an empty or reversed range);
    /// the service's refusals (`NoSuchUpload`, `NoSuchKey`, `AccessDenied`, `InvalidRange`).
    pub async fn send(self) -> Result<UploadPartCopyOutput> {
        validation::bucket_and_key(&self.bucket, &self.key)?;
        validation::bucket_and_key(&self.source_bucket, &self.source_key)?;
        validation::part_number(self.part_number)?;
        self.conditions.validate()?;
        check_version_id(self.source_version_id.as_deref())?;
        if self.upload_id.is_empty() {
            return Err(Error::invalid("upload_id", "must not be empty"));
        }
        if let Some((first, last)) = self.range {
            if last < first {
                return Err(Error::invalid(
                    "range",
                    "the last byte must not precede the first",
                ));
            }
        }
        let mut req = OssRequest::new("UploadPartCopy", Method::PUT, &self.bucket, Some(&self.key))
            .query("partNumber", self.part_number.to_string())
            .query("uploadId", self.upload_id.clone())
            .header(
                "x-oss-copy-source",
                copy_source(
                    &self.source_bucket,
                    &self.source_key,
                    self.source_version_id.as_deref(),
                ),
            );
        if let Some((first, last)) = self.range {
            req = req.header("x-oss-copy-source-range", format!("bytes={first}-{last}"));
        }
        req = self.conditions.apply(req, &COPY_SOURCE_HEADERS);
        let sent = self.client.send(req).await?;
        let request_id = sent.request_id();
        let crc64 = sent.crc64();
        let r: CopyResultXml = read_answer(sent, "CopyPartResult").await?;
        Ok(UploadPartCopyOutput {
            part_number: self.part_number,
            etag: r.etag.ok_or_else(|| super::missing("an ETag"))?,
            crc64,
            last_modified: parse_iso_time(r.last_modified.as_deref()),
            request_id,
        })
    }
}

/// What UploadPartCopy answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadPartCopyOutput {
    /// The part number.
    pub part_number: u32,
    /// The part's ETag (pass it to CompleteMultipartUpload).
    pub etag: String,
    /// The part's CRC-64, when the server reports it.
    pub crc64: Option<u64>,
    /// When the part was copied.
    pub last_modified: Option<OffsetDateTime>,
    /// The request id.
    pub request_id: Option<String>,
}
