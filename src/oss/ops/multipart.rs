//! Multipart upload: InitiateMultipartUpload, UploadPart, CompleteMultipartUpload,
//! AbortMultipartUpload, ListParts, ListMultipartUploads.

use crate::oss::stream::BoxStream;
use reqwest::Method;
use time::OffsetDateTime;

use super::url_encoded::Decoder;
use super::{paging, parse_iso_time, ObjectOptions, WithObjectOptions};
use crate::error::{Error, Result};
use crate::oss::body::Body;
use crate::oss::client::Client;
use crate::oss::crc64;
use crate::oss::ops::multipart_upload::MultipartUpload;
use crate::oss::presign::PresignedUrl;
use crate::oss::request::{ExpectedCrc, OssRequest};
use crate::oss::validation;
use crate::oss::xml::{self, to_xml};

impl Client {
    /// Starts a multipart upload (InitiateMultipartUpload); public as
    /// [`Client::multipart_upload`].
    pub(crate) fn initiate_multipart_upload(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
    ) -> InitiateMultipartUploadRequest {
        InitiateMultipartUploadRequest {
            client: self.clone(),
            bucket: bucket.into(),
            key: key.into(),
            opts: ObjectOptions::default(),
        }
    }

    /// Uploads part `part_number` (1–10000) of an upload (UploadPart); public as
    /// [`MultipartUpload::upload_part`](crate::oss::MultipartUpload::upload_part).
    pub(crate) fn upload_part(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
        upload_id: impl Into<String>,
        part_number: u32,
    ) -> UploadPartRequest {
        UploadPartRequest {
            client: self.clone(),
            bucket: bucket.into(),
            key: key.into(),
            upload_id: upload_id.into(),
            part_number,
            body: Body::empty(),
            traffic_limit: None,
        }
    }

    /// Completes an upload (CompleteMultipartUpload): with explicit parts, or with
    /// [`CompleteMultipartUploadRequest::complete_all`]; public as
    /// [`MultipartUpload::complete`](crate::oss::MultipartUpload::complete).
    pub(crate) fn complete_multipart_upload(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
        upload_id: impl Into<String>,
    ) -> CompleteMultipartUploadRequest {
        CompleteMultipartUploadRequest {
            client: self.clone(),
            bucket: bucket.into(),
            key: key.into(),
            upload_id: upload_id.into(),
            parts: Vec::new(),
            complete_all: false,
            forbid_overwrite: None,
        }
    }

    /// Aborts an upload and discards its parts (AbortMultipartUpload); public as
    /// [`MultipartUpload::abort`](crate::oss::MultipartUpload::abort).
    pub(crate) async fn abort_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<Option<String>> {
        let out = self
            .existing_multipart_upload(bucket, key, upload_id)?
            .abort()
            .send()
            .await?;
        Ok(out.request_id)
    }

    /// Lists the parts of an upload (ListParts), one page at a time; public as
    /// [`MultipartUpload::list_parts`](crate::oss::MultipartUpload::list_parts).
    pub(crate) fn list_parts(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
        upload_id: impl Into<String>,
    ) -> ListPartsRequest {
        ListPartsRequest {
            client: self.clone(),
            bucket: bucket.into(),
            key: key.into(),
            upload_id: upload_id.into(),
            max_parts: None,
            part_number_marker: None,
        }
    }

    /// Lists the bucket's unfinished uploads (ListMultipartUploads), paginated.
    pub fn list_multipart_uploads(&self, bucket: impl Into<String>) -> ListMultipartUploadsRequest {
        ListMultipartUploadsRequest {
            client: self.clone(),
            bucket: bucket.into(),
            prefix: None,
            delimiter: None,
            max_uploads: None,
            key_marker: None,
            upload_id_marker: None,
        }
    }
}

pub(super) fn upload_id_rule(id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::invalid("upload_id", "must not be empty"));
    }
    validation::header_value("upload_id", id)
}

/// An InitiateMultipartUpload request, from [`Client::multipart_upload`]; start it with
/// [`initiate`](InitiateMultipartUploadRequest::initiate).
#[derive(Debug)]
pub struct InitiateMultipartUploadRequest {
    client: Client,
    bucket: String,
    key: String,
    opts: ObjectOptions,
}

impl WithObjectOptions for InitiateMultipartUploadRequest {
    fn object_options_mut(&mut self) -> &mut ObjectOptions {
        &mut self.opts
    }
}

impl InitiateMultipartUploadRequest {
    /// Starts the upload and returns its handle.
    ///
    /// # Errors
    ///
    /// An invalid-input error for a bad bucket, key or option (before any request); the
    /// service's error if it refuses; a response error if the answer names no upload id, or
    /// names another key than the one asked for.
    pub async fn initiate(self) -> Result<MultipartUpload> {
        let client = self.client.clone();
        let (bucket, key) = (self.bucket.clone(), self.key.clone());
        let out = self.send().await?;
        if !out.key.is_empty() && out.key != key {
            return Err(Error::Response(format!(
                "InitiateMultipartUpload answered for key {:?}, not the key asked for",
                out.key
            )));
        }
        Ok(MultipartUpload::started(
            client,
            bucket,
            key,
            out.upload_id,
            out.request_id,
        ))
    }

    /// Starts the upload (the uploader's path; users call [`initiate`](Self::initiate)).
    pub(crate) async fn send(self) -> Result<InitiateMultipartUploadOutput> {
        validation::bucket_and_key(&self.bucket, &self.key)?;
        self.opts.validate()?;
        let mut req = OssRequest::new(
            "InitiateMultipartUpload",
            Method::POST,
            &self.bucket,
            Some(&self.key),
        )
        .query("uploads", "")
        .query("encoding-type", "url");
        req.headers = self.opts.headers(&self.key);
        let sent = self.client.send(req).await?;
        let request_id = sent.request_id();
        let r: xml::InitiateMultipartUploadResult =
            xml::read_answer(sent, "InitiateMultipartUploadResult").await?;
        if r.upload_id.is_empty() {
            return Err(super::missing("an UploadId"));
        }
        let dec = Decoder::new(r.encoding_type.as_deref());
        Ok(InitiateMultipartUploadOutput {
            bucket: r.bucket,
            key: dec.decode("Key", r.key)?,
            upload_id: r.upload_id,
            request_id,
        })
    }
}

/// What InitiateMultipartUpload answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InitiateMultipartUploadOutput {
    /// The bucket.
    pub(crate) bucket: String,
    /// The key (decoded).
    pub(crate) key: String,
    /// The upload id every later call names.
    pub(crate) upload_id: String,
    /// The request id.
    pub(crate) request_id: Option<String>,
}

/// An UploadPart request, from [`MultipartUpload::upload_part`].
#[derive(Debug)]
pub struct UploadPartRequest {
    client: Client,
    bucket: String,
    key: String,
    upload_id: String,
    part_number: u32,
    body: Body,
    traffic_limit: Option<u64>,
}

impl UploadPartRequest {
    /// The part's bytes (at most 5 GiB; at least 100 KiB unless it is the last part).
    pub fn body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// Limits the transfer speed, in bit/s.
    pub fn traffic_limit(mut self, bits_per_second: u64) -> Self {
        self.traffic_limit = Some(bits_per_second);
        self
    }

    /// The request, checked, without its body.
    fn request(&self) -> Result<OssRequest> {
        validation::bucket_and_key(&self.bucket, &self.key)?;
        upload_id_rule(&self.upload_id)?;
        validation::part_number(self.part_number)?;
        if let Some(t) = self.traffic_limit {
            validation::traffic_limit(t)?;
        }
        let mut req = OssRequest::new("UploadPart", Method::PUT, &self.bucket, Some(&self.key))
            .query("partNumber", self.part_number.to_string())
            .query("uploadId", self.upload_id.clone());
        if let Some(t) = self.traffic_limit {
            req = req.header("x-oss-traffic-limit", t.to_string());
        }
        Ok(req)
    }

    /// A URL that lets its holder upload this part (PUT `?partNumber&uploadId`) without credentials until it expires (1 s to 7
    /// days). Nothing is sent.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the request or the lifetime is invalid; a credentials
    /// error when the client's provider fails.
    pub async fn presign(self, expires_in: std::time::Duration) -> Result<PresignedUrl> {
        let req = self.request()?;
        self.client.presign_request(req, expires_in).await
    }

    /// Uploads the part.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] before any request (part number, part size, upload id); service,
    /// transport and credentials errors; [`Error::Integrity`] on a CRC-64 mismatch.
    pub async fn send(self) -> Result<UploadPartOutput> {
        let mut req = self.request()?;
        validation::part_size(self.body.len())?;
        let size = self.body.len();
        req.body = self.body;
        req.expected_crc = ExpectedCrc::OfBody;
        let sent = self.client.send(req).await?;
        Ok(UploadPartOutput {
            part_number: self.part_number,
            etag: sent
                .header("etag")
                .ok_or_else(|| super::missing("an ETag"))?,
            // The CRC-64 of the bytes sent, computed here (equal to the server's when the
            // client checks CRCs); the server's only when the body could not be hashed.
            crc64: sent.body_crc.or_else(|| sent.crc64()),
            size,
            request_id: sent.request_id(),
        })
    }
}

/// What UploadPart answered; also what Complete needs ([`CompletedPart`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadPartOutput {
    /// The part number.
    pub part_number: u32,
    /// The part's ETag.
    pub etag: String,
    /// The part's CRC-64.
    pub crc64: Option<u64>,
    /// The part's size.
    pub size: u64,
    /// The request id.
    pub request_id: Option<String>,
}

/// A part named in CompleteMultipartUpload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompletedPart {
    /// The part number.
    pub part_number: u32,
    /// The ETag UploadPart returned.
    pub etag: String,
    /// The CRC-64 of the part's bytes as sent, if known (needed, with `size`, for the
    /// end-to-end check).
    pub crc64: Option<u64>,
    /// The part's size, if known.
    pub size: Option<u64>,
}

impl CompletedPart {
    /// A part with its number and ETag only (no end-to-end CRC check then).
    pub fn new(part_number: u32, etag: impl Into<String>) -> Self {
        Self {
            part_number,
            etag: etag.into(),
            crc64: None,
            size: None,
        }
    }

    /// The part's CRC-64 and size, which enable the end-to-end check of the whole object.
    pub fn with_crc64(mut self, crc64: u64, size: u64) -> Self {
        self.crc64 = Some(crc64);
        self.size = Some(size);
        self
    }

    /// The part's size alone (checked against the minimum part size before sending).
    pub fn with_size(mut self, size: u64) -> Self {
        self.size = Some(size);
        self
    }
}

impl From<UploadPartOutput> for CompletedPart {
    fn from(p: UploadPartOutput) -> Self {
        Self {
            part_number: p.part_number,
            etag: p.etag,
            crc64: p.crc64,
            size: Some(p.size),
        }
    }
}

impl From<&UploadPartOutput> for CompletedPart {
    fn from(p: &UploadPartOutput) -> Self {
        p.clone().into()
    }
}

/// A CompleteMultipartUpload request.
#[derive(Debug)]
pub struct CompleteMultipartUploadRequest {
    client: Client,
    bucket: String,
    key: String,
    upload_id: String,
    parts: Vec<CompletedPart>,
    complete_all: bool,
    forbid_overwrite: Option<bool>,
}

impl CompleteMultipartUploadRequest {
    /// The parts, in any order (sorted by number before sending).
    pub fn parts<I, P>(mut self, parts: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<CompletedPart>,
    {
        self.parts = parts.into_iter().map(Into::into).collect();
        self
    }

    /// Lets OSS complete with every uploaded part (`x-oss-complete-all: yes`, empty body).
    pub fn complete_all(mut self) -> Self {
        self.complete_all = true;
        self
    }

    /// Refuses to overwrite an existing object.
    pub fn forbid_overwrite(mut self, yes: bool) -> Self {
        self.forbid_overwrite = Some(yes);
        self
    }

    /// The CRC-64 of the whole object combined from its parts', when every part's CRC and size
    /// is known.
    fn combined_crc(parts: &[CompletedPart]) -> Option<u64> {
        let mut crc = 0u64;
        for p in parts {
            crc = crc64::combine(crc, p.crc64?, p.size?);
        }
        Some(crc)
    }

    /// Completes the upload (asked with `encoding-type=url`; the answered key comes back
    /// decoded).
    ///
    /// # Errors
    ///
    /// An invalid-input error for a bad bucket, key, upload id or part list, before any request;
    /// the service's error (also as an `<Error>` document with a 2xx status); transport and
    /// credentials errors; [`Error::Integrity`] when the object's CRC-64 differs from the parts'
    /// combined; [`Error::Response`] for an answer that is not a
    /// `<CompleteMultipartUploadResult>`.
    pub async fn send(mut self) -> Result<CompleteMultipartUploadOutput> {
        validation::bucket_and_key(&self.bucket, &self.key)?;
        upload_id_rule(&self.upload_id)?;
        if self.complete_all && !self.parts.is_empty() {
            return Err(Error::invalid(
                "parts",
                "complete-all takes no explicit parts",
            ));
        }
        if !self.complete_all && self.parts.is_empty() {
            return Err(Error::invalid(
                "parts",
                "name at least one part, or use complete_all()",
            ));
        }
        self.parts.sort_by_key(|p| p.part_number);
        for (i, p) in self.parts.iter().enumerate() {
            validation::part_number(p.part_number)?;
            if i > 0 && self.parts[i - 1].part_number == p.part_number {
                return Err(Error::invalid(
                    "parts",
                    format!("part {} is named twice", p.part_number),
                ));
            }
        }
        for (i, p) in self.parts.iter().enumerate() {
            if let Some(size) = p.size {
                validation::part_size(size)?;
                if i + 1 < self.parts.len() {
                    validation::non_last_part_size(p.part_number, size)?;
                }
            }
        }
        let mut req = OssRequest::new(
            "CompleteMultipartUpload",
            Method::POST,
            &self.bucket,
            Some(&self.key),
        )
        .query("uploadId", self.upload_id.clone())
        .query("encoding-type", "url");
        if let Some(f) = self.forbid_overwrite {
            req = req.header("x-oss-forbid-overwrite", f.to_string());
        }
        if self.complete_all {
            req = req.header("x-oss-complete-all", "yes");
        } else {
            let body = to_xml(&xml::CompleteMultipartUpload {
                parts: self
                    .parts
                    .iter()
                    .map(|p| xml::CompletePart {
                        part_number: p.part_number,
                        etag: p.etag.clone(),
                    })
                    .collect(),
            })?;
            req = req.header("Content-Type", "application/xml");
            req.body = Body::from(body);
            if let Some(crc) = Self::combined_crc(&self.parts) {
                req.expected_crc = ExpectedCrc::Known(crc);
            }
        }
        let sent = self.client.send(req).await?;
        let crc64 = sent.crc64();
        let version_id = sent.header("x-oss-version-id");
        let request_id = sent.request_id();
        let status = sent.response.status().as_u16();
        let headers = sent.headers().clone();
        let text = sent.text().await?;
        let r: xml::CompleteMultipartUploadResult = if text.trim().is_empty() {
            Default::default()
        } else {
            xml::parse_answer(status, &headers, &text, "CompleteMultipartUploadResult")?
        };
        let dec = Decoder::new(r.encoding_type.as_deref());
        Ok(CompleteMultipartUploadOutput {
            etag: r.etag,
            location: r.location,
            bucket: r.bucket,
            key: dec.decode_opt("Key", r.key)?,
            crc64,
            version_id,
            request_id,
        })
    }
}

/// What CompleteMultipartUpload answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompleteMultipartUploadOutput {
    /// The object's ETag.
    pub etag: Option<String>,
    /// The object's URL.
    pub location: Option<String>,
    /// The bucket, as the server named it.
    pub bucket: Option<String>,
    /// The key, as the server named it (decoded).
    pub key: Option<String>,
    /// The object's CRC-64.
    pub crc64: Option<u64>,
    /// The version id.
    pub version_id: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
}

/// A ListParts request.
#[derive(Debug, Clone)]
pub struct ListPartsRequest {
    client: Client,
    bucket: String,
    key: String,
    upload_id: String,
    max_parts: Option<u32>,
    part_number_marker: Option<u32>,
}

impl ListPartsRequest {
    /// At most this many parts per page (1–1000).
    pub fn max_parts(mut self, n: u32) -> Self {
        self.max_parts = Some(n);
        self
    }

    /// Parts after this number.
    pub fn part_number_marker(mut self, n: u32) -> Self {
        self.part_number_marker = Some(n);
        self
    }

    /// The request, checked.
    fn request(&self) -> Result<OssRequest> {
        validation::bucket_and_key(&self.bucket, &self.key)?;
        upload_id_rule(&self.upload_id)?;
        paging::check_page_size("max_parts", self.max_parts)?;
        let mut req = OssRequest::new("ListParts", Method::GET, &self.bucket, Some(&self.key))
            .query("uploadId", self.upload_id.clone())
            .query("encoding-type", "url");
        if let Some(n) = self.max_parts {
            req = req.query("max-parts", n.to_string());
        }
        if let Some(n) = self.part_number_marker {
            req = req.query("part-number-marker", n.to_string());
        }
        Ok(req)
    }

    /// A URL that lets its holder list the upload's parts (GET `?uploadId`) without credentials until it expires (1 s to 7
    /// days). Nothing is sent.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the request or the lifetime is invalid; a credentials
    /// error when the client's provider fails.
    pub async fn presign(self, expires_in: std::time::Duration) -> Result<PresignedUrl> {
        let req = self.request()?;
        self.client.presign_request(req, expires_in).await
    }

    /// Fetches one page.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] before any request; service (e.g.
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an unknown upload), transport and
    /// credentials errors; [`Error::Response`] for an answer that is not a ListParts result, or
    /// that is marked truncated without a `NextPartNumberMarker`.
    pub async fn send(self) -> Result<ListPartsOutput> {
        let req = self.request()?;
        let sent = self.client.send(req).await?;
        let request_id = sent.request_id();
        let r: xml::ListPartsResult = xml::read_answer(sent, "ListPartsResult").await?;
        if r.is_truncated && r.next_part_number_marker.is_none() {
            return Err(paging::truncated_without("NextPartNumberMarker"));
        }
        let dec = Decoder::new(r.encoding_type.as_deref());
        let mut parts = Vec::with_capacity(r.parts.len());
        for p in r.parts {
            let crc64 = match p.hash_crc64ecma.as_deref() {
                None => None,
                Some(s) => Some(crc64::parse(s).ok_or_else(|| {
                    let shown: String = s.chars().take(40).collect();
                    Error::Response(format!(
                        "ListParts: malformed HashCrc64ecma {shown:?} for part {}: not a \
                         decimal unsigned 64-bit CRC",
                        p.part_number
                    ))
                })?),
            };
            parts.push(PartInfo {
                part_number: p.part_number,
                etag: p.etag,
                size: p.size,
                crc64,
                last_modified: parse_iso_time(p.last_modified.as_deref()),
            });
        }
        Ok(ListPartsOutput {
            bucket: r.bucket,
            key: dec.decode("Key", r.key)?,
            upload_id: r.upload_id,
            parts,
            is_truncated: r.is_truncated,
            next_part_number_marker: r.next_part_number_marker,
            request_id,
        })
    }

    /// Every page, as a stream of parts.
    pub fn into_stream(self) -> BoxStream<PartInfo> {
        let pages = paging::pages(self, Self::send, |req, page: &ListPartsOutput| {
            match (page.is_truncated, page.next_part_number_marker) {
                (true, Some(m)) => Some(req.part_number_marker(m)),
                _ => None,
            }
        });
        paging::items(pages, |p| p.parts)
    }
}

/// One page of ListParts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListPartsOutput {
    /// The bucket, as the server named it.
    pub bucket: String,
    /// The key, as the server named it (decoded).
    pub key: String,
    /// The upload id.
    pub upload_id: String,
    /// The parts on this page.
    pub parts: Vec<PartInfo>,
    /// Whether more pages follow.
    pub is_truncated: bool,
    /// The marker for the next page.
    pub next_part_number_marker: Option<u32>,
    /// The request id.
    pub request_id: Option<String>,
}

/// An uploaded part.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PartInfo {
    /// The part number.
    pub part_number: u32,
    /// The ETag.
    pub etag: String,
    /// The size.
    pub size: u64,
    /// The CRC-64.
    pub crc64: Option<u64>,
    /// When it was uploaded.
    pub last_modified: Option<OffsetDateTime>,
}

impl From<&PartInfo> for CompletedPart {
    fn from(p: &PartInfo) -> Self {
        Self {
            part_number: p.part_number,
            etag: p.etag.clone(),
            crc64: p.crc64,
            size: Some(p.size),
        }
    }
}

/// A ListMultipartUploads request.
#[derive(Debug, Clone)]
pub struct ListMultipartUploadsRequest {
    client: Client,
    bucket: String,
    prefix: Option<String>,
    delimiter: Option<String>,
    max_uploads: Option<u32>,
    key_marker: Option<String>,
    upload_id_marker: Option<String>,
}

impl ListMultipartUploadsRequest {
    /// Only keys starting with `prefix`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Groups keys by this delimiter.
    pub fn delimiter(mut self, d: impl Into<String>) -> Self {
        self.delimiter = Some(d.into());
        self
    }

    /// At most this many uploads per page (1–1000).
    pub fn max_uploads(mut self, n: u32) -> Self {
        self.max_uploads = Some(n);
        self
    }

    /// Continue after this key (and upload id).
    pub fn key_marker(mut self, key: impl Into<String>, upload_id: Option<String>) -> Self {
        self.key_marker = Some(key.into());
        self.upload_id_marker = upload_id;
        self
    }

    /// Fetches one page.
    ///
    /// # Errors
    ///
    /// An invalid-input error for a bad bucket or page size, before any request; service,
    /// transport and credentials errors; [`Error::Response`] for an answer that is not a
    /// `<ListMultipartUploadsResult>` or that is marked truncated without a `NextKeyMarker`.
    pub async fn send(self) -> Result<ListMultipartUploadsOutput> {
        validation::bucket(&self.bucket)?;
        paging::check_page_size("max_uploads", self.max_uploads)?;
        let mut req = paging::optional_queries(
            OssRequest::new("ListMultipartUploads", Method::GET, &self.bucket, None)
                .query("uploads", "")
                .query("encoding-type", "url"),
            [
                ("prefix", &self.prefix),
                ("delimiter", &self.delimiter),
                ("key-marker", &self.key_marker),
                ("upload-id-marker", &self.upload_id_marker),
            ],
        );
        if let Some(n) = self.max_uploads {
            req = req.query("max-uploads", n.to_string());
        }
        let sent = self.client.send(req).await?;
        let request_id = sent.request_id();
        let r: xml::ListMultipartUploadsResult =
            xml::read_answer(sent, "ListMultipartUploadsResult").await?;
        let dec = Decoder::new(r.encoding_type.as_deref());
        let next_key_marker = dec
            .decode_opt("NextKeyMarker", r.next_key_marker)?
            .filter(|k| !k.is_empty());
        if r.is_truncated && next_key_marker.is_none() {
            return Err(paging::truncated_without("NextKeyMarker"));
        }
        Ok(ListMultipartUploadsOutput {
            uploads: r
                .uploads
                .into_iter()
                .map(|u| {
                    Ok(MultipartUploadInfo {
                        key: dec.decode("Upload/Key", u.key)?,
                        upload_id: u.upload_id,
                        initiated: parse_iso_time(u.initiated.as_deref()),
                    })
                })
                .collect::<Result<Vec<_>>>()?,
            common_prefixes: paging::decode_prefixes(r.common_prefixes, dec)?,
            is_truncated: r.is_truncated,
            next_key_marker,
            next_upload_id_marker: r.next_upload_id_marker,
            request_id,
        })
    }

    /// Every page, as a stream of uploads.
    pub fn into_stream(self) -> BoxStream<MultipartUploadInfo> {
        let pages = paging::pages(
            self,
            Self::send,
            |req, page: &ListMultipartUploadsOutput| match (
                page.is_truncated,
                page.next_key_marker.clone(),
            ) {
                (true, Some(k)) if !k.is_empty() => {
                    Some(req.key_marker(k, page.next_upload_id_marker.clone()))
                }
                _ => None,
            },
        );
        paging::items(pages, |p| p.uploads)
    }
}

/// One page of ListMultipartUploads.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListMultipartUploadsOutput {
    /// The uploads on this page.
    pub uploads: Vec<MultipartUploadInfo>,
    /// Grouped key prefixes (with a delimiter).
    pub common_prefixes: Vec<String>,
    /// Whether more pages follow.
    pub is_truncated: bool,
    /// The key marker for the next page.
    pub next_key_marker: Option<String>,
    /// The upload-id marker for the next page.
    pub next_upload_id_marker: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
}

/// An unfinished multipart upload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MultipartUploadInfo {
    /// The key.
    pub key: String,
    /// The upload id.
    pub upload_id: String,
    /// When it was started.
    pub initiated: Option<OffsetDateTime>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_crc_of_parts_equals_the_whole() {
        let a = vec![7u8; 150_000];
        let b = b"tail".to_vec();
        let parts = vec![
            CompletedPart {
                part_number: 1,
                etag: "e1".into(),
                crc64: Some(crc64::checksum(&a)),
                size: Some(a.len() as u64),
            },
            CompletedPart {
                part_number: 2,
                etag: "e2".into(),
                crc64: Some(crc64::checksum(&b)),
                size: Some(4),
            },
        ];
        let whole = [a, b].concat();
        assert_eq!(
            CompleteMultipartUploadRequest::combined_crc(&parts),
            Some(crc64::checksum(&whole))
        );
        let unknown = vec![CompletedPart::new(1, "e")];
        assert_eq!(CompleteMultipartUploadRequest::combined_crc(&unknown), None);
    }
}
