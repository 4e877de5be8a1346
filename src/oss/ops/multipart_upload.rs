//! A multipart upload as a handle: [`Client::multipart_upload`] starts one, and the
//! [`MultipartUpload`] it returns carries the bucket, the key and the upload id, so that its
//! parts, its completion and its abortion name nothing again.

use reqwest::Method;

use super::multipart::{
    upload_id_rule, CompleteMultipartUploadRequest, CompletedPart, InitiateMultipartUploadRequest,
    ListPartsRequest, UploadPartRequest,
};
use crate::error::Result;
use crate::oss::body::Body;
use crate::oss::client::Client;
use crate::oss::request::OssRequest;
use crate::oss::validation;

impl Client {
    /// Starts building a multipart upload of `key` (InitiateMultipartUpload): set the object's
    /// options on the builder, then [`initiate`](InitiateMultipartUploadRequest::initiate) it.
    ///
    /// ```no_run
    /// # async fn run(client: alioss::oss::Client) -> alioss::error::Result<()> {
    /// use alioss::oss::{StorageClass, WithObjectOptions as _};
    ///
    /// let upload = client
    ///     .multipart_upload("examplebucket", "src/big.bin")
    ///     .storage_class(StorageClass::Standard)
    ///     .initiate()
    ///     .await?;
    /// let first = upload.upload_part(1, vec![1u8; 100 * 1024]).send().await?;
    /// let last = upload.upload_part(2, &b"tail"[..]).send().await?;
    /// let done = upload.complete([first, last]).send().await?;
    /// println!("ETag {:?}", done.etag);
    /// # Ok(()) }
    /// ```
    pub fn multipart_upload(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
    ) -> InitiateMultipartUploadRequest {
        self.initiate_multipart_upload(bucket, key)
    }

    /// The handle of an upload started earlier (found with
    /// [`list_multipart_uploads`](Client::list_multipart_uploads), or kept from an earlier run).
    /// No request is sent.
    ///
    /// # Errors
    ///
    /// An invalid-input error naming `bucket`, `key` or `upload_id` when one breaks its rule.
    pub fn existing_multipart_upload(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
        upload_id: impl Into<String>,
    ) -> Result<MultipartUpload> {
        let upload = MultipartUpload {
            client: self.clone(),
            bucket: bucket.into(),
            key: key.into(),
            upload_id: upload_id.into(),
            request_id: None,
        };
        validation::bucket_and_key(&upload.bucket, &upload.key)?;
        upload_id_rule(&upload.upload_id)?;
        Ok(upload)
    }
}

/// A multipart upload in progress: bucket, key and upload id, and the operations on it.
///
/// Cheap to clone; parts may be uploaded from several tasks at once.
#[derive(Debug, Clone)]
pub struct MultipartUpload {
    client: Client,
    bucket: String,
    key: String,
    upload_id: String,
    request_id: Option<String>,
}

impl MultipartUpload {
    pub(super) fn started(
        client: Client,
        bucket: String,
        key: String,
        upload_id: String,
        request_id: Option<String>,
    ) -> Self {
        Self {
            client,
            bucket,
            key,
            upload_id,
            request_id,
        }
    }

    /// The client the upload's requests go through.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The object key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The upload id OSS assigned.
    pub fn upload_id(&self) -> &str {
        &self.upload_id
    }

    /// The request id of the InitiateMultipartUpload that started it (`None` for a handle from
    /// [`Client::existing_multipart_upload`]).
    pub fn initiate_request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// Uploads part `part_number` (1–10000) with `body` (UploadPart). Parts other than the
    /// last must be at least 100 KiB.
    pub fn upload_part(&self, part_number: u32, body: impl Into<Body>) -> UploadPartRequest {
        self.client
            .upload_part(&self.bucket, &self.key, &self.upload_id, part_number)
            .body(body)
    }

    /// Completes the upload with these parts, in any order (CompleteMultipartUpload). Pass the
    /// [`UploadPartOutput`](crate::oss::UploadPartOutput)s (or [`CompletedPart`]s, or the
    /// [`PartInfo`](crate::oss::PartInfo)s of [`list_parts`](Self::list_parts)): with their
    /// CRC-64s the whole object is checked end to end.
    pub fn complete<I, P>(&self, parts: I) -> CompleteMultipartUploadRequest
    where
        I: IntoIterator<Item = P>,
        P: Into<CompletedPart>,
    {
        self.client
            .complete_multipart_upload(&self.bucket, &self.key, &self.upload_id)
            .parts(parts)
    }

    /// Completes the upload with every part OSS holds (`x-oss-complete-all: yes`).
    pub fn complete_all(&self) -> CompleteMultipartUploadRequest {
        self.client
            .complete_multipart_upload(&self.bucket, &self.key, &self.upload_id)
            .complete_all()
    }

    /// Aborts the upload and discards its parts (AbortMultipartUpload).
    pub fn abort(&self) -> AbortMultipartUploadRequest {
        AbortMultipartUploadRequest {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            key: self.key.clone(),
            upload_id: self.upload_id.clone(),
        }
    }

    /// Lists the parts uploaded so far (ListParts), one page at a time or as a stream.
    pub fn list_parts(&self) -> ListPartsRequest {
        self.client
            .list_parts(&self.bucket, &self.key, &self.upload_id)
    }
}

/// An AbortMultipartUpload request, from [`MultipartUpload::abort`].
#[derive(Debug, Clone)]
pub struct AbortMultipartUploadRequest {
    client: Client,
    bucket: String,
    key: String,
    upload_id: String,
}

impl AbortMultipartUploadRequest {
    /// Aborts the upload.
    ///
    /// # Errors
    ///
    /// An invalid-input error for a bad bucket, key or upload id (before any request); the
    /// service's error otherwise (`NoSuchUpload` once the upload is completed or aborted).
    pub async fn send(self) -> Result<AbortMultipartUploadOutput> {
        validation::bucket_and_key(&self.bucket, &self.key)?;
        upload_id_rule(&self.upload_id)?;
        let req = OssRequest::new(
            "AbortMultipartUpload",
            Method::DELETE,
            &self.bucket,
            Some(&self.key),
        )
        .query("uploadId", self.upload_id);
        let sent = self.client.send(req).await?;
        Ok(AbortMultipartUploadOutput {
            request_id: sent.request_id(),
        })
    }
}

/// What AbortMultipartUpload answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AbortMultipartUploadOutput {
    /// The request id.
    pub request_id: Option<String>,
}
