//! Object Storage Service: the [`Client`], its operations, signers and CRC-64.
//!
//! ```no_run
//! # async fn run() -> alioss::error::Result<()> {
//! use std::time::Duration;
//! use alioss::credentials::{Credentials, StaticCredentialsProvider};
//! use alioss::oss;
//!
//! let creds = Credentials::new("test-key-id", "test-secret")?;
//! let client = oss::Client::builder()
//!     .region("cn-hangzhou")
//!     .credentials(StaticCredentialsProvider::new(creds))
//!     .build()?;
//! client.put_object("examplebucket", "src/hello.txt").body("hello").send().await?;
//! let data = client.get_object("examplebucket", "src/hello.txt").send().await?.bytes().await?;
//! assert_eq!(&data[..], b"hello");
//! let url = client.presign_get("examplebucket", "src/hello.txt", Duration::from_secs(600)).await?;
//! # let _ = url;
//! # Ok(()) }
//! ```

mod body;
mod checkpoint_file;
mod client;
pub mod crc64;
mod downloader;
pub(crate) mod endpoint;
pub(crate) mod error_response;
mod ops;
mod post_object;
mod presign;
mod request;
pub mod signer;
mod stream;
mod types;
mod uploader;
pub mod validation;
pub(crate) mod xml;

pub use crate::retry::RetryPolicy;
pub use body::Body;
pub use client::{Client, ClientBuilder, SignatureVersion, USER_AGENT};
pub use downloader::{
    DownloadOutput, DownloadProgress, DownloadRequest, DownloadResumeStatus,
    DownloadStartOverReason, Downloader, DownloaderBuilder, DEFAULT_RANGES_IN_FLIGHT,
    DEFAULT_RANGE_RESUMES, DEFAULT_RANGE_SIZE, MIN_RANGE_SIZE,
};
pub use endpoint::{region_endpoint, AddressingStyle, EndpointType};
pub use ops::append::{AppendObjectOutput, AppendObjectRequest, Appender, MAX_APPENDABLE_SIZE};
pub use ops::copy::{
    CopyObjectOutput, CopyObjectRequest, UploadPartCopyOutput, UploadPartCopyRequest,
    DEFAULT_COPY_MULTIPART_THRESHOLD, DEFAULT_COPY_PART_SIZE,
};
pub use ops::delete_multiple::{
    DeleteMultipleObjectsOutput, DeleteMultipleObjectsRequest, MAX_DELETE_KEYS,
};
pub use ops::list::{ListObjectsV2Output, ListObjectsV2Request, ObjectSummary};
pub use ops::multipart::{
    CompleteMultipartUploadOutput, CompleteMultipartUploadRequest, CompletedPart,
    InitiateMultipartUploadRequest, ListMultipartUploadsOutput, ListMultipartUploadsRequest,
    ListPartsOutput, ListPartsRequest, MultipartUploadInfo, PartInfo, UploadPartOutput,
    UploadPartRequest,
};
pub use ops::multipart_upload::{
    AbortMultipartUploadOutput, AbortMultipartUploadRequest, MultipartUpload,
};
pub use ops::object::{
    DeleteObjectOutput, DeleteObjectRequest, GetObjectOutput, GetObjectRequest, HeadObjectOutput,
    HeadObjectRequest, PutObjectOutput, PutObjectRequest,
};
pub use ops::raw::{OperationOutput, OperationRequest};
pub use ops::tagging::{
    DeleteObjectTaggingOutput, GetObjectAclOutput, GetObjectTaggingOutput,
    ObjectSubresourceRequest, PutObjectTaggingRequest, MAX_OBJECT_TAGS,
};
pub use ops::{ObjectOptions, WithObjectOptions};
pub use post_object::{PostObjectForm, PostObjectFormRequest};
pub use presign::PresignedUrl;
pub use reqwest::header::HeaderMap;
pub use reqwest::{Method, StatusCode};
pub use stream::{BoxStream, ObjectReader};
pub use types::{ObjectAcl, ObjectType, ServerSideEncryption, StorageClass};
pub use uploader::{
    ResumeStatus, StartOverReason, UploadOutput, UploadProgress, UploadRequest, Uploader,
    UploaderBuilder, DEFAULT_PARALLELISM, DEFAULT_PART_SIZE,
};
