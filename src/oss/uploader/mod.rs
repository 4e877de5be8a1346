//! The [`Uploader`]: concurrent, CRC-checked, resumable uploads of files and buffers.

mod builder;
mod checkpoint;
pub(crate) mod plan;
mod resume;
mod run;
mod source;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::Stream;

use crate::oss::client::Client;
use crate::oss::ops::ObjectOptions;

pub use builder::UploaderBuilder;
pub use run::UploadRequest;
use source::{Source, StreamReader};

/// The default part size: 6 MiB (as the official SDKs).
pub const DEFAULT_PART_SIZE: u64 = 6 * 1024 * 1024;
/// The default number of parts in flight: 3 (as the official SDKs).
pub const DEFAULT_PARALLELISM: usize = 3;

type ProgressFn = dyn Fn(&UploadProgress) + Send + Sync;

/// Uploads files and buffers to OSS: one PutObject below the part size, otherwise a multipart
/// upload with a bounded number of parts in flight, checked end to end with CRC-64, and — with a
/// checkpoint directory — resumable after a failure or a crash. Cheap to clone.
///
/// Build it from a [`Client`] with [`Uploader::new`] (defaults) or [`Uploader::builder`].
///
/// Defaults are those of the official SDKs: parts of [`DEFAULT_PART_SIZE`] (6 MiB),
/// [`DEFAULT_PARALLELISM`] (3) parts in flight, a failed upload is aborted, no checkpoint.
///
/// ```no_run
/// # async fn run(client: alioss::oss::Client) -> alioss::error::Result<()> {
/// use alioss::oss::Uploader;
///
/// let uploader = Uploader::builder(client)
///     .part_size(8 * 1024 * 1024)
///     .parallelism(4)
///     .checkpoint_dir("/var/tmp/alioss-checkpoints")
///     .on_progress(|p| println!("{}/{} bytes", p.bytes_done, p.total_bytes))
///     .build()?;
/// let out = uploader
///     .upload_file("examplebucket", "src/data.csv", "data.csv")
///     .send()
///     .await?;
/// println!("{:?} in {} parts, resumed: {}", out.etag, out.parts, out.resumed());
/// # Ok(()) }
/// ```
///
/// # Memory
/// A file is never read into memory: every part is a [`Body::from_file_range`](crate::oss::Body::from_file_range), streamed from
/// disk in small chunks and reopened for each retry. At most `parallelism` parts are in flight.
/// [`Uploader::upload_bytes`] sends slices of the caller's buffer without copying it;
/// [`Uploader::upload_stream`] buffers at most `parallelism` parts.
///
/// # Failures
/// When a part fails (after the client's retries), no further part is started, the parts in
/// flight are cancelled and the error is returned. Without a checkpoint the upload is then
/// aborted, unless [`UploaderBuilder::leave_parts_on_error`] is set. Aborting needs
/// `oss:AbortMultipartUpload`, which `oss:PutObject`-only credentials lack: the abort is then
/// refused, reported with `tracing` (warn), and the parts stay until a lifecycle rule removes
/// them — the upload's own error is what the call returns. The end-to-end check compares the
/// CRC-64 combined from the parts with the one CompleteMultipartUpload answers (when the
/// client's CRC checking is on); a mismatch is an [`Error::Integrity`](crate::Error::Integrity).
///
/// # Resuming
/// With [`UploaderBuilder::checkpoint_dir`], a file upload writes a small JSON checkpoint (see
/// below) right after InitiateMultipartUpload and again after every completed part, always
/// atomically (temporary file + rename). Parts are then left in place on failure (as if
/// [`UploaderBuilder::leave_parts_on_error`] were set). The next upload of the same file to the
/// same bucket and key finds the checkpoint and, when it still describes the file (same path,
/// size, modification time and part size), resumes:
///
/// 1. ListParts tells which parts landed; each is accepted only if its size matches and its
///    bytes are proven equal to the local file range: by the listed CRC-64, or — when the
///    listing has none — by the checkpoint's record of the same ETag and a CRC-64 equal to the
///    range re-read now. The others are uploaded again.
/// 2. If ListParts is **refused** (`AccessDenied`: temporary credentials allowing only
///    `oss:PutObject`, as in the partner scenario, do not grant `oss:ListParts`), every part
///    the checkpoint records is re-read from the file and kept only if its CRC-64 is still the
///    recorded one (a file changed in place with its size and modification time kept, as
///    `rsync -t` or `cp -p` do, is caught here); the others are uploaded again. The upload is
///    completed with the explicit list of ETags, so the server refuses to commit a part that
///    is not the one uploaded. [`UploadOutput::resume`] says which way was taken.
/// 3. If the upload no longer exists (`NoSuchUpload`: aborted or expired), it starts over.
///
/// A checkpoint that is unreadable, tampered with (its checksum does not match) or describes
/// another version of the file is ignored and replaced ([`ResumeStatus::StartedOver`]); for a
/// stale one the old upload is aborted, best effort. The checkpoint is deleted once the upload
/// completes. A checkpoint that cannot be written is reported with `tracing` (warn) and the
/// upload goes on. Two uploads of the same file to the same object must not run at the same
/// time with the same checkpoint directory.
///
/// # Nothing unverified is committed
/// CompleteMultipartUpload is sent only when every planned part is stored with the CRC-64 of
/// the local bytes it came from (computed while sending, or by re-reading the file on a
/// resume), and a file still has the size and modification time it had when the upload
/// started; otherwise the call fails before committing anything (the upload stays
/// resumable). The object's CRC-64 answered by the server is then compared with the one
/// combined from those parts.
///
/// The checkpoint holds: a magic string and format version, the file's absolute path, size and
/// modification time, the part size, bucket, key, upload id, each completed part's number,
/// size, ETag and CRC-64 of its local bytes, and a SHA-256 of that content. It holds no
/// credentials. (A checkpoint of format version 1, without part CRCs, is ignored.)
#[derive(Clone)]
pub struct Uploader {
    client: Client,
    config: Arc<Config>,
}

struct Config {
    part_size: u64,
    parallelism: usize,
    leave_parts_on_error: bool,
    checkpoint_dir: Option<PathBuf>,
    progress: Option<Arc<ProgressFn>>,
}

impl fmt::Debug for Uploader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        f.debug_struct("Uploader")
            .field("client", &self.client)
            .field("part_size", &c.part_size)
            .field("parallelism", &c.parallelism)
            .field("leave_parts_on_error", &c.leave_parts_on_error)
            .field("checkpoint_dir", &c.checkpoint_dir)
            .field("progress", &c.progress.as_ref().map(|_| "callback"))
            .finish()
    }
}

impl Uploader {
    /// An uploader with the defaults: 6 MiB parts, 3 in flight, abort on failure, no checkpoint.
    pub fn new(client: Client) -> Self {
        Self {
            client,
            config: Arc::new(Config {
                part_size: DEFAULT_PART_SIZE,
                parallelism: DEFAULT_PARALLELISM,
                leave_parts_on_error: false,
                checkpoint_dir: None,
                progress: None,
            }),
        }
    }

    /// Starts a builder with the defaults of [`Uploader::new`].
    pub fn builder(client: Client) -> UploaderBuilder {
        UploaderBuilder {
            client,
            part_size: DEFAULT_PART_SIZE,
            parallelism: DEFAULT_PARALLELISM,
            leave_parts_on_error: false,
            checkpoint_dir: None,
            progress: None,
        }
    }

    /// The configured part size (it grows for files that would need more than 10000 parts).
    pub fn part_size(&self) -> u64 {
        self.config.part_size
    }

    /// How many parts are in flight at most.
    pub fn parallelism(&self) -> usize {
        self.config.parallelism
    }

    /// Whether a failed upload keeps its parts (always, in effect, with a checkpoint).
    pub fn leave_parts_on_error(&self) -> bool {
        self.config.leave_parts_on_error
    }

    /// Where checkpoints are kept, if uploads are resumable.
    pub fn checkpoint_dir(&self) -> Option<&Path> {
        self.config.checkpoint_dir.as_deref()
    }

    /// Uploads the file at `path` to `bucket`/`key` (resumable with a checkpoint directory).
    pub fn upload_file(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
        path: impl Into<PathBuf>,
    ) -> UploadRequest {
        self.request(bucket.into(), key.into(), Source::File(path.into()))
    }

    /// Uploads bytes in memory to `bucket`/`key` (parts are slices of `data`, not copies; not
    /// resumable across runs: the checkpoint directory is not used).
    pub fn upload_bytes(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
        data: impl Into<Bytes>,
    ) -> UploadRequest {
        self.request(bucket.into(), key.into(), Source::Bytes(data.into()))
    }

    /// Uploads an async stream that yields exactly `len` bytes to `bucket`/`key`. Below the part
    /// size it is one PutObject that cannot be retried (the stream is read once); otherwise
    /// parts are read from the stream in order into memory — at most `parallelism` parts at a
    /// time, so memory stays within `parallelism × part size` — and each part can be retried.
    /// Not resumable across runs. Yielding more or fewer than `len` bytes fails the upload.
    pub fn upload_stream<S>(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
        len: u64,
        stream: S,
    ) -> UploadRequest
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    {
        let reader = StreamReader {
            stream: Some(Box::pin(stream)),
            len,
            consumed: 0,
            leftover: Bytes::new(),
        };
        self.request(
            bucket.into(),
            key.into(),
            Source::Stream(tokio::sync::Mutex::new(reader)),
        )
    }

    fn request(&self, bucket: String, key: String, source: Source) -> UploadRequest {
        UploadRequest {
            uploader: self.clone(),
            bucket,
            key,
            source,
            opts: ObjectOptions::default(),
        }
    }
}

/// Progress of an upload, as passed to [`UploaderBuilder::on_progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadProgress {
    /// Bytes stored so far (parts completed, including those of an earlier run when resuming).
    pub bytes_done: u64,
    /// The size of the whole upload.
    pub total_bytes: u64,
    /// Parts completed so far (1 of 1 for a single PutObject).
    pub parts_done: u32,
    /// Parts in all.
    pub parts_total: u32,
}

/// Whether and how an upload used a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResumeStatus {
    /// No checkpoint directory, a buffer upload, or a single PutObject.
    NotResumable,
    /// Resumable, but there was no checkpoint: a new upload.
    NoCheckpoint,
    /// An earlier upload was continued.
    Resumed {
        /// Parts of the earlier run that were kept.
        parts_reused: u32,
        /// `true` when ListParts confirmed every kept part (size and CRC-64); `false` when
        /// ListParts was refused (`AccessDenied`) and the checkpoint's record was used instead:
        /// each recorded part was re-read from the file and kept only if its CRC-64 still
        /// matched, and the completion named every part by its ETag.
        verified_by_list_parts: bool,
    },
    /// A checkpoint was found but not used: a new upload was started.
    StartedOver {
        /// Why the checkpoint was not used.
        reason: StartOverReason,
    },
}

/// Why a checkpoint was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartOverReason {
    /// The file is not a valid checkpoint (unreadable, wrong magic or version, checksum
    /// mismatch).
    InvalidCheckpoint {
        /// What was wrong.
        detail: String,
    },
    /// The checkpoint describes another version of the file (size, modification time) or
    /// another part size.
    StaleCheckpoint,
    /// The multipart upload it names no longer exists (aborted or expired: `NoSuchUpload`).
    UploadGone,
}

/// What an upload produced.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadOutput {
    /// The object's ETag.
    pub etag: Option<String>,
    /// The object's CRC-64 (the server's; checked against the client's when CRC checking is on).
    pub crc64: Option<u64>,
    /// The version id, on versioned buckets.
    pub version_id: Option<String>,
    /// The request id of the PutObject or CompleteMultipartUpload.
    pub request_id: Option<String>,
    /// The object's size.
    pub size: u64,
    /// The part size used (0 for a single PutObject).
    pub part_size: u64,
    /// The number of parts of the object (0 for a single PutObject).
    pub parts: u32,
    /// How many parts this call uploaded (fewer than `parts` when resumed).
    pub parts_uploaded: u32,
    /// The multipart upload id (`None` for a single PutObject).
    pub upload_id: Option<String>,
    /// Whether a checkpoint was used.
    pub resume: ResumeStatus,
}

impl UploadOutput {
    /// Whether an earlier upload was continued.
    pub fn resumed(&self) -> bool {
        matches!(self.resume, ResumeStatus::Resumed { .. })
    }

    /// Whether the object was uploaded in parts.
    pub fn is_multipart(&self) -> bool {
        self.upload_id.is_some()
    }
}
