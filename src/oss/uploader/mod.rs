//! The [`Uploader`]: concurrent, CRC-checked, resumable uploads of files and buffers.

mod checkpoint;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{self, Stream, StreamExt, TryStreamExt};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tracing::Instrument as _;

use crate::error::{Error, Result};
use crate::oss::body::Body;
use crate::oss::client::Client;
use crate::oss::crc64::{self, Crc64};
use crate::oss::ops::multipart::{CompletedPart, PartInfo};
use crate::oss::ops::{ObjectOptions, WithObjectOptions};
use crate::oss::validation::{self, MAX_PART_NUMBER, MAX_PART_SIZE, MIN_PART_SIZE};

use checkpoint::{Loaded, UploadIdentity};

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
/// A file is never read into memory: every part is a [`Body::from_file_range`], streamed from
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
/// client's CRC checking is on); a mismatch is an [`Error::Integrity`].
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
///    CRC-64 (when listed) equals that of the local file range; the others are uploaded again.
/// 2. If ListParts is **refused** (`AccessDenied`: temporary credentials allowing only
///    `oss:PutObject`, as in the partner scenario, do not grant `oss:ListParts`), the part
///    numbers the checkpoint records as completed are trusted, the missing ones uploaded, and
///    the upload is completed with `x-oss-complete-all`; the object's CRC-64 is then checked
///    against the whole local file. [`UploadOutput::resume`] says which way was taken.
/// 3. If the upload no longer exists (`NoSuchUpload`: aborted or expired), it starts over.
///
/// A checkpoint that is unreadable, tampered with (its checksum does not match) or describes
/// another version of the file is ignored and replaced ([`ResumeStatus::StartedOver`]); for a
/// stale one the old upload is aborted, best effort. The checkpoint is deleted once the upload
/// completes. A checkpoint that cannot be written is reported with `tracing` (warn) and the
/// upload goes on. Two uploads of the same file to the same object must not run at the same
/// time with the same checkpoint directory.
///
/// The checkpoint holds: a magic string and format version, the file's absolute path, size and
/// modification time, the part size, bucket, key, upload id, the completed part numbers (as
/// ranges, `1-4,7`) and a SHA-256 of that content. It holds no credentials.
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

/// Builds an [`Uploader`]; [`UploaderBuilder::build`] checks every option.
pub struct UploaderBuilder {
    client: Client,
    part_size: u64,
    parallelism: usize,
    leave_parts_on_error: bool,
    checkpoint_dir: Option<PathBuf>,
    progress: Option<Arc<ProgressFn>>,
}

impl fmt::Debug for UploaderBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploaderBuilder")
            .field("part_size", &self.part_size)
            .field("parallelism", &self.parallelism)
            .field("leave_parts_on_error", &self.leave_parts_on_error)
            .field("checkpoint_dir", &self.checkpoint_dir)
            .finish_non_exhaustive()
    }
}

impl UploaderBuilder {
    /// The part size in bytes: 100 KiB to 5 GiB (default 6 MiB). Files at least this large are
    /// uploaded in parts; for a file that would need more than 10000 parts the size grows by
    /// multiples of this value.
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.part_size = bytes;
        self
    }

    /// How many parts are uploaded at the same time, at least 1 (default 3). 1 uploads the
    /// parts in order.
    pub fn parallelism(mut self, parts_in_flight: usize) -> Self {
        self.parallelism = parts_in_flight;
        self
    }

    /// Keeps the uploaded parts when an upload fails instead of aborting it (default: abort).
    /// With a checkpoint directory parts are always kept, so the upload can resume.
    pub fn leave_parts_on_error(mut self, yes: bool) -> Self {
        self.leave_parts_on_error = yes;
        self
    }

    /// Makes file uploads resumable, with checkpoints kept in `dir` (created when missing).
    pub fn checkpoint_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.checkpoint_dir = Some(dir.into());
        self
    }

    /// Calls `f` after every part that completes (and once after a single PutObject) with the
    /// bytes and parts done so far. On a resumed upload the counts start with the parts that
    /// had already landed. `f` runs on the uploading task: keep it short (send into a channel
    /// for anything slow).
    pub fn on_progress(mut self, f: impl Fn(&UploadProgress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Checks the options and builds the uploader.
    pub fn build(self) -> Result<Uploader> {
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&self.part_size) {
            return Err(Error::invalid(
                "part_size",
                format!(
                    "must be {MIN_PART_SIZE} (100 KiB) to {MAX_PART_SIZE} (5 GiB) bytes (got {})",
                    self.part_size
                ),
            ));
        }
        if self.parallelism == 0 {
            return Err(Error::invalid(
                "parallelism",
                "must be at least 1 part in flight (got 0)",
            ));
        }
        if self
            .checkpoint_dir
            .as_ref()
            .is_some_and(|d| d.as_os_str().is_empty())
        {
            return Err(Error::invalid("checkpoint_dir", "must not be empty"));
        }
        Ok(Uploader {
            client: self.client,
            config: Arc::new(Config {
                part_size: self.part_size,
                parallelism: self.parallelism,
                leave_parts_on_error: self.leave_parts_on_error,
                checkpoint_dir: self.checkpoint_dir,
                progress: self.progress,
            }),
        })
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
        /// ListParts was refused (`AccessDenied`) and the checkpoint's record was trusted instead (the
        /// object's CRC-64 is then checked against the whole file).
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

type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

enum Source {
    File(PathBuf),
    Bytes(Bytes),
    Stream(tokio::sync::Mutex<StreamReader>),
}

/// A stream read part by part, in order.
struct StreamReader {
    stream: Option<ByteStream>,
    len: u64,
    consumed: u64,
    leftover: Bytes,
}

impl StreamReader {
    /// The next `len` bytes, which must start at `offset` (parts are read in order).
    async fn read_part(&mut self, offset: u64, len: u64) -> Result<Bytes> {
        let too_short = |got: u64, declared: u64| {
            Error::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("the stream ended after {got} of its declared {declared} bytes"),
            ))
        };
        if offset != self.consumed {
            return Err(Error::Response(format!(
                "stream parts must be read in order (at {}, asked for {offset})",
                self.consumed
            )));
        }
        let stream = self
            .stream
            .as_mut()
            .ok_or_else(|| Error::invalid("body", "the stream was already consumed"))?;
        let want = usize::try_from(len).map_err(|_| Error::invalid("part_size", "too large"))?;
        let mut buf = bytes::BytesMut::with_capacity(want);
        while buf.len() < want {
            let chunk = if self.leftover.is_empty() {
                match stream.next().await {
                    Some(chunk) => chunk?,
                    None => return Err(too_short(self.consumed + buf.len() as u64, self.len)),
                }
            } else {
                std::mem::take(&mut self.leftover)
            };
            let take = chunk.len().min(want - buf.len());
            buf.extend_from_slice(&chunk[..take]);
            self.leftover = chunk.slice(take..);
        }
        self.consumed += len;
        if self.consumed == self.len {
            let extra = if self.leftover.is_empty() {
                loop {
                    match stream.next().await {
                        Some(chunk) if chunk.as_ref().is_ok_and(|c| c.is_empty()) => continue,
                        Some(chunk) => break chunk.map(|c| c.len())?,
                        None => break 0,
                    }
                }
            } else {
                self.leftover.len()
            };
            if extra > 0 {
                return Err(Error::Io(std::io::Error::other(format!(
                    "the stream yielded more than its declared {} bytes",
                    self.len
                ))));
            }
            self.stream = None;
        }
        Ok(buf.freeze())
    }
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(p) => f.debug_tuple("File").field(p).finish(),
            Source::Bytes(b) => f.debug_tuple("Bytes").field(&b.len()).finish(),
            Source::Stream(_) => f.debug_tuple("Stream").finish(),
        }
    }
}

impl Source {
    /// The body of part `spec`. A stream is read in order, so it hands out its next part
    /// whatever `spec` asked for (every part is asked for once, in whichever order the uploads
    /// start).
    async fn part(&self, spec: PartSpec, part_size: u64) -> Result<(PartSpec, Body)> {
        let body = match self {
            Source::File(p) => Body::from_file_range(p, spec.offset, spec.len).await?,
            Source::Bytes(b) => Body::from_bytes(b.slice(byte_range(spec.offset, spec.len)?)),
            Source::Stream(r) => {
                let mut reader = r.lock().await;
                let offset = reader.consumed;
                let spec = PartSpec {
                    number: u32::try_from(offset / part_size + 1).unwrap_or(u32::MAX),
                    offset,
                    len: part_size.min(reader.len.saturating_sub(offset)),
                };
                let bytes = reader.read_part(spec.offset, spec.len).await?;
                return Ok((spec, Body::from_bytes(bytes)));
            }
        };
        Ok((spec, body))
    }

    /// The CRC-64 of `len` bytes from `offset`, read locally.
    async fn range_crc(&self, offset: u64, len: u64) -> Result<u64> {
        match self {
            Source::Bytes(b) => Ok(crc64::checksum(&b[byte_range(offset, len)?])),
            Source::Stream(_) => Err(Error::Response(
                "a stream cannot be read again to resume an upload".into(),
            )),
            Source::File(p) => {
                let mut file = tokio::fs::File::open(p).await?;
                file.seek(std::io::SeekFrom::Start(offset)).await?;
                let mut reader = file.take(len);
                let mut crc = Crc64::new();
                let mut buf = vec![0u8; 256 * 1024];
                loop {
                    let n = reader.read(&mut buf).await?;
                    if n == 0 {
                        break;
                    }
                    crc.update(&buf[..n]);
                }
                if crc.len() != len {
                    return Err(Error::Io(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the file became shorter during the upload",
                    )));
                }
                Ok(crc.value())
            }
        }
    }
}

fn byte_range(offset: u64, len: u64) -> Result<std::ops::Range<usize>> {
    let start = usize::try_from(offset).map_err(|_| Error::invalid("body", "too large"))?;
    let len = usize::try_from(len).map_err(|_| Error::invalid("body", "too large"))?;
    Ok(start..start + len)
}

/// The part size actually used for `size` bytes: the configured one, grown by multiples of it
/// until at most 10000 parts are needed.
pub(crate) fn effective_part_size(configured: u64, size: u64) -> Result<u64> {
    let max_parts = u64::from(MAX_PART_NUMBER);
    if size.div_ceil(configured) <= max_parts {
        return Ok(configured);
    }
    let needed = size.div_ceil(max_parts);
    if needed > MAX_PART_SIZE {
        return Err(Error::invalid(
            "body",
            format!(
                "{size} bytes do not fit in {MAX_PART_NUMBER} parts of at most {MAX_PART_SIZE} bytes"
            ),
        ));
    }
    Ok((needed.div_ceil(configured) * configured).min(MAX_PART_SIZE))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PartSpec {
    number: u32,
    offset: u64,
    len: u64,
}

fn plan_parts(size: u64, part_size: u64) -> Vec<PartSpec> {
    let count = size.div_ceil(part_size);
    (0..count)
        .map(|i| {
            let offset = i * part_size;
            PartSpec {
                number: u32::try_from(i + 1).unwrap_or(u32::MAX),
                offset,
                len: part_size.min(size - offset),
            }
        })
        .collect()
}

/// A part known to be stored: its ETag (unknown when only the checkpoint vouches for it) and
/// its CRC-64 as computed locally or by the server.
#[derive(Debug, Clone)]
struct DonePart {
    etag: Option<String>,
    crc64: Option<u64>,
    size: u64,
}

/// An upload to continue.
#[derive(Debug)]
struct Resume {
    upload_id: String,
    done: BTreeMap<u32, DonePart>,
    verified_by_list_parts: bool,
}

/// An upload request; start it with [`UploadRequest::send`]. Object options (content type,
/// metadata, ACL, …) apply to the PutObject or the InitiateMultipartUpload.
#[derive(Debug)]
pub struct UploadRequest {
    uploader: Uploader,
    bucket: String,
    key: String,
    source: Source,
    opts: ObjectOptions,
}

/// Everything one multipart run needs.
struct Job<'a> {
    client: &'a Client,
    config: &'a Config,
    bucket: &'a str,
    key: &'a str,
    source: &'a Source,
    opts: &'a ObjectOptions,
    size: u64,
    part_size: u64,
    plan: Vec<PartSpec>,
    checkpoint: Option<(PathBuf, UploadIdentity)>,
}

impl WithObjectOptions for UploadRequest {
    fn object_options_mut(&mut self) -> &mut ObjectOptions {
        &mut self.opts
    }
}

impl UploadRequest {
    /// Uploads. Options and inputs are checked before any request; the local file's size and
    /// modification time are read here.
    pub async fn send(self) -> Result<UploadOutput> {
        validation::bucket_and_key(&self.bucket, &self.key)?;
        self.opts.validate()?;
        let config = &*self.uploader.config;
        let client = &self.uploader.client;
        let (size, file) = match &self.source {
            Source::File(p) => {
                let meta = tokio::fs::metadata(p).await?;
                if !meta.is_file() {
                    return Err(Error::invalid("path", "is not a regular file"));
                }
                (meta.len(), Some((p, meta.modified().ok())))
            }
            Source::Bytes(b) => (b.len() as u64, None),
            Source::Stream(r) => (r.lock().await.len, None),
        };
        let part_size = effective_part_size(config.part_size, size)?;
        let span = tracing::info_span!(
            "oss.upload",
            bucket = %self.bucket,
            key = %self.key,
            size,
            part_size,
            parallelism = config.parallelism,
        );
        if size < config.part_size {
            return self.put_object(size).instrument(span).await;
        }
        let checkpoint = match (&config.checkpoint_dir, file) {
            (Some(dir), Some((path, mtime))) => {
                tokio::fs::create_dir_all(dir).await?;
                let abs = tokio::fs::canonicalize(path).await?;
                let id = UploadIdentity::new(&abs, size, mtime, part_size, &self.bucket, &self.key);
                Some((id.checkpoint_path(dir), id))
            }
            _ => None,
        };
        let job = Job {
            client,
            config,
            bucket: &self.bucket,
            key: &self.key,
            source: &self.source,
            opts: &self.opts,
            size,
            part_size,
            plan: plan_parts(size, part_size),
            checkpoint,
        };
        job.run().instrument(span).await
    }

    async fn put_object(&self, size: u64) -> Result<UploadOutput> {
        let body =
            match &self.source {
                Source::File(p) => Body::from_path(p).await?,
                Source::Bytes(b) => Body::from_bytes(b.clone()),
                Source::Stream(r) => {
                    let stream =
                        r.lock().await.stream.take().ok_or_else(|| {
                            Error::invalid("body", "the stream was already consumed")
                        })?;
                    Body::from_stream(size, stream)
                }
            };
        let mut req = self
            .uploader
            .client
            .put_object(&self.bucket, &self.key)
            .body(body);
        req = req.options(self.opts.clone());
        if let Some(t) = self.opts.traffic_limit {
            req = req.traffic_limit(t);
        }
        let out = req.send().await?;
        if let Some(f) = &self.uploader.config.progress {
            f(&UploadProgress {
                bytes_done: size,
                total_bytes: size,
                parts_done: 1,
                parts_total: 1,
            });
        }
        Ok(UploadOutput {
            etag: out.etag,
            crc64: out.crc64,
            version_id: out.version_id,
            request_id: out.request_id,
            size,
            part_size: 0,
            parts: 0,
            parts_uploaded: 0,
            upload_id: None,
            resume: ResumeStatus::NotResumable,
        })
    }
}

fn is_no_such_upload(e: &Error) -> bool {
    e.code() == Some("NoSuchUpload")
}

impl Job<'_> {
    async fn run(&self) -> Result<UploadOutput> {
        let (mut resume, mut status) = self.find_resumable().await?;
        loop {
            let resumed = resume.is_some();
            match self.upload(resume.take(), status.clone()).await {
                Err(e) if resumed && is_no_such_upload(&e) => {
                    tracing::info!("the checkpoint's upload no longer exists; starting over");
                    status = ResumeStatus::StartedOver {
                        reason: StartOverReason::UploadGone,
                    };
                }
                r => return r,
            }
        }
    }

    /// Reads the checkpoint, if any, and finds out what of its upload can be kept.
    async fn find_resumable(&self) -> Result<(Option<Resume>, ResumeStatus)> {
        let Some((path, identity)) = &self.checkpoint else {
            return Ok((None, ResumeStatus::NotResumable));
        };
        let data = match checkpoint::load(path).await {
            Loaded::Missing => return Ok((None, ResumeStatus::NoCheckpoint)),
            Loaded::Invalid(detail) => {
                tracing::warn!(%detail, "ignoring an invalid upload checkpoint");
                return Ok((
                    None,
                    ResumeStatus::StartedOver {
                        reason: StartOverReason::InvalidCheckpoint { detail },
                    },
                ));
            }
            Loaded::Valid(data) => data,
        };
        if !identity.matches(&data) {
            tracing::info!("the upload checkpoint describes another version of the file");
            if data.bucket == self.bucket && data.key == self.key {
                self.abort_quietly(&data.upload_id).await;
            }
            return Ok((
                None,
                ResumeStatus::StartedOver {
                    reason: StartOverReason::StaleCheckpoint,
                },
            ));
        }
        let listed: Result<Vec<PartInfo>> = self
            .client
            .list_parts(self.bucket, self.key, &data.upload_id)
            .into_stream()
            .try_collect()
            .await;
        let by_number: BTreeMap<u32, PartSpec> = self.plan.iter().map(|p| (p.number, *p)).collect();
        let mut done = BTreeMap::new();
        let verified = match listed {
            Ok(parts) => {
                for p in parts {
                    let Some(spec) = by_number.get(&p.part_number) else {
                        continue;
                    };
                    if p.size != spec.len {
                        continue;
                    }
                    let local = self.source.range_crc(spec.offset, spec.len).await?;
                    if p.crc64.is_some_and(|c| c != local) {
                        tracing::info!(
                            part = p.part_number,
                            "a stored part differs; re-uploading it"
                        );
                        continue;
                    }
                    done.insert(
                        p.part_number,
                        DonePart {
                            etag: Some(p.etag),
                            crc64: Some(local),
                            size: spec.len,
                        },
                    );
                }
                true
            }
            Err(e) if is_no_such_upload(&e) => {
                return Ok((
                    None,
                    ResumeStatus::StartedOver {
                        reason: StartOverReason::UploadGone,
                    },
                ))
            }
            Err(e) if e.code() == Some("AccessDenied") => {
                tracing::warn!(
                    error = %e,
                    "ListParts was refused; trusting the parts the checkpoint records"
                );
                let numbers = checkpoint::parse_ranges(&data.completed_parts).unwrap_or_default();
                for n in numbers {
                    let Some(spec) = by_number.get(&n) else {
                        continue;
                    };
                    let local = self.source.range_crc(spec.offset, spec.len).await?;
                    done.insert(
                        n,
                        DonePart {
                            etag: None,
                            crc64: Some(local),
                            size: spec.len,
                        },
                    );
                }
                false
            }
            Err(e) => return Err(e),
        };
        let status = ResumeStatus::Resumed {
            parts_reused: u32::try_from(done.len()).unwrap_or(u32::MAX),
            verified_by_list_parts: verified,
        };
        Ok((
            Some(Resume {
                upload_id: data.upload_id,
                done,
                verified_by_list_parts: verified,
            }),
            status,
        ))
    }

    async fn save_checkpoint(&self, upload_id: &str, done: &BTreeMap<u32, DonePart>) {
        let Some((path, identity)) = &self.checkpoint else {
            return;
        };
        let numbers: BTreeSet<u32> = done.keys().copied().collect();
        if let Err(e) = checkpoint::save(path, &identity.checkpoint(upload_id, &numbers)).await {
            tracing::warn!(error = %e, "could not write the upload checkpoint");
        }
    }

    async fn abort_quietly(&self, upload_id: &str) {
        if let Err(e) = self
            .client
            .abort_multipart_upload(self.bucket, self.key, upload_id)
            .await
        {
            tracing::warn!(error = %e, "could not abort the multipart upload; its parts remain");
        }
    }

    fn keeps_parts(&self) -> bool {
        self.config.leave_parts_on_error || self.checkpoint.is_some()
    }

    async fn upload(&self, resume: Option<Resume>, status: ResumeStatus) -> Result<UploadOutput> {
        let (upload_id, mut done, complete_all) = match resume {
            Some(r) => (r.upload_id, r.done, !r.verified_by_list_parts),
            None => {
                let mut req = self.client.initiate_multipart_upload(self.bucket, self.key);
                req = req.options(self.opts.clone());
                let id = req.send().await?.upload_id;
                (id, BTreeMap::new(), false)
            }
        };
        self.save_checkpoint(&upload_id, &done).await;
        let parts_total = u32::try_from(self.plan.len()).unwrap_or(u32::MAX);
        let mut bytes_done: u64 = done.values().map(|p| p.size).sum();
        let todo: Vec<PartSpec> = self
            .plan
            .iter()
            .filter(|p| !done.contains_key(&p.number))
            .copied()
            .collect();
        let mut uploaded = 0u32;
        let mut failure = None;
        {
            let upload_id = upload_id.as_str();
            let mut parts = stream::iter(todo)
                .map(|spec| self.upload_part(upload_id, spec))
                .buffer_unordered(self.config.parallelism);
            while let Some(result) = parts.next().await {
                match result {
                    Ok((number, part)) => {
                        bytes_done += part.size;
                        uploaded += 1;
                        done.insert(number, part);
                        if let Some(f) = &self.config.progress {
                            f(&UploadProgress {
                                bytes_done,
                                total_bytes: self.size,
                                parts_done: u32::try_from(done.len()).unwrap_or(u32::MAX),
                                parts_total,
                            });
                        }
                        self.save_checkpoint(upload_id, &done).await;
                    }
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
        }
        if let Some(e) = failure {
            if !self.keeps_parts() {
                self.abort_quietly(&upload_id).await;
            }
            return Err(e);
        }
        let expected_crc = done.values().try_fold(0u64, |acc, p| {
            p.crc64.map(|c| crc64::combine(acc, c, p.size))
        });
        let mut req = self
            .client
            .complete_multipart_upload(self.bucket, self.key, &upload_id);
        if complete_all || done.values().any(|p| p.etag.is_none()) {
            req = req.complete_all();
        } else {
            req = req.parts(done.iter().map(|(n, p)| CompletedPart {
                part_number: *n,
                etag: p.etag.clone().unwrap_or_default(),
                crc64: p.crc64,
                size: Some(p.size),
            }));
        }
        if let Some(f) = self.opts.forbid_overwrite {
            req = req.forbid_overwrite(f);
        }
        let out = match req.send().await {
            Ok(o) => o,
            Err(e) => {
                if !self.keeps_parts() && !is_no_such_upload(&e) {
                    self.abort_quietly(&upload_id).await;
                }
                return Err(e);
            }
        };
        if self.client.crc_check() {
            if let (Some(client), Some(server)) = (expected_crc, out.crc64) {
                if client != server {
                    return Err(Error::Integrity {
                        algorithm: "crc64ecma",
                        client: crc64::format(client),
                        server: crc64::format(server),
                        computed_from: "the parts' checksums combined",
                    });
                }
            }
        }
        if let Some((path, _)) = &self.checkpoint {
            if let Err(e) = checkpoint::remove(path).await {
                tracing::warn!(error = %e, "could not remove the upload checkpoint");
            }
        }
        Ok(UploadOutput {
            etag: out.etag,
            crc64: out.crc64.or(expected_crc),
            version_id: out.version_id,
            request_id: out.request_id,
            size: self.size,
            part_size: self.part_size,
            parts: parts_total,
            parts_uploaded: uploaded,
            upload_id: Some(upload_id),
            resume: status,
        })
    }

    async fn upload_part(&self, upload_id: &str, spec: PartSpec) -> Result<(u32, DonePart)> {
        let (spec, body) = self.source.part(spec, self.part_size).await?;
        let mut req = self
            .client
            .upload_part(self.bucket, self.key, upload_id, spec.number)
            .body(body);
        if let Some(t) = self.opts.traffic_limit {
            req = req.traffic_limit(t);
        }
        let out = req.send().await?;
        Ok((
            spec.number,
            DonePart {
                etag: Some(out.etag),
                crc64: out.crc64,
                size: spec.len,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn part_size_grows_to_stay_within_10000_parts() {
        assert_eq!(
            effective_part_size(DEFAULT_PART_SIZE, 10 * MIB).unwrap(),
            DEFAULT_PART_SIZE
        );
        let exactly = 10_000 * DEFAULT_PART_SIZE;
        assert_eq!(
            effective_part_size(DEFAULT_PART_SIZE, exactly).unwrap(),
            DEFAULT_PART_SIZE
        );
        let grown = effective_part_size(DEFAULT_PART_SIZE, exactly + 1).unwrap();
        assert_eq!(grown, 2 * DEFAULT_PART_SIZE);
        let huge = 40 * 1024 * 1024 * MIB; // 40 TiB
        let p = effective_part_size(DEFAULT_PART_SIZE, huge).unwrap();
        assert!(
            huge.div_ceil(p) <= 10_000 && p <= MAX_PART_SIZE && p.is_multiple_of(DEFAULT_PART_SIZE)
        );
        let too_big = 10_000 * MAX_PART_SIZE + 1;
        let e = effective_part_size(DEFAULT_PART_SIZE, too_big).unwrap_err();
        assert_eq!(e.as_invalid_input().unwrap().field(), "body");
    }

    #[test]
    fn the_plan_covers_the_file_exactly() {
        let plan = plan_parts(1_000_001, 250_000);
        assert_eq!(plan.len(), 5);
        assert_eq!(
            plan[4],
            PartSpec {
                number: 5,
                offset: 1_000_000,
                len: 1
            }
        );
        assert_eq!(plan.iter().map(|p| p.len).sum::<u64>(), 1_000_001);
        assert!(plan_parts(0, 250_000).is_empty());
    }
}
