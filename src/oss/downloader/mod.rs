//! The [`Downloader`]: concurrent, CRC-checked, atomic and resumable downloads into files.

mod checkpoint;
mod range;
mod temp;

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::stream::{self, StreamExt};
use tracing::Instrument as _;

use crate::error::{Error, Result};
use crate::oss::client::Client;
use crate::oss::crc64;
use crate::oss::validation;
use crate::oss::validation::{MAX_PART_NUMBER, MAX_PART_SIZE};

use checkpoint::{range_count, CheckpointData, Loaded};
use range::{RangeDone, RangeJob};

pub(crate) use temp::temp_path_beside;

/// The default range size: 8 MiB.
pub const DEFAULT_RANGE_SIZE: u64 = 8 * 1024 * 1024;
/// The default number of ranges in flight: 4.
pub const DEFAULT_RANGES_IN_FLIGHT: usize = 4;
/// The smallest range size accepted: 4 KiB.
pub const MIN_RANGE_SIZE: u64 = 4 * 1024;
/// How many times, by default, a range whose connection drops mid-stream is resumed.
pub const DEFAULT_RANGE_RESUMES: u32 = 3;

type ProgressFn = dyn Fn(&DownloadProgress) + Send + Sync;

/// Downloads objects into files: ranged GETs in parallel into a temporary file beside the
/// destination, renamed into place only once the whole object's CRC-64 (combined from the
/// ranges) matches the one OSS reports, and — with a checkpoint directory — resumable after a
/// failure or a crash. The Uploader's twin. Cheap to clone.
///
/// ```no_run
/// # async fn run(client: alioss::oss::Client) -> alioss::error::Result<()> {
/// use alioss::oss::Downloader;
///
/// let downloader = Downloader::builder(client)
///     .range_size(8 * 1024 * 1024)
///     .parallelism(4)
///     .checkpoint_dir("/var/tmp/alioss-checkpoints")
///     .on_progress(|p| println!("{}/{} bytes", p.bytes_done, p.total_bytes))
///     .build()?;
/// let out = downloader
///     .download_file("examplebucket", "src/data.csv", "data.csv")
///     .send()
///     .await?;
/// println!("{} bytes, CRC-64 {:?}, resumed: {}", out.size, out.crc64, out.resumed());
/// # Ok(()) }
/// ```
///
/// # How
/// HeadObject gives the object's size, ETag and CRC-64. The object is cut into ranges of
/// [`DownloaderBuilder::range_size`]; at most [`DownloaderBuilder::parallelism`] ranged
/// GetObjects are in flight, each carrying `If-Match: <ETag>`, so an object replaced during the
/// download fails it (`PreconditionFailed`) instead of mixing two versions. Each range is
/// written at its offset in a temporary file `.<name>.<…>.alioss-download` in the destination's
/// folder. When every range is in, the CRC-64s of the ranges are combined and compared with the
/// object's; only then is the temporary file renamed over the destination (atomic on one file
/// system). On a mismatch the temporary file is removed and an [`Error::Integrity`] returned:
/// the destination is never left holding a partial or corrupt file. An object stored without
/// a CRC-64 (some objects uploaded before OSS computed them), or a client with `crc_check(false)`,
/// has nothing to compare with: such a download is still atomic and bound to the ETag, but
/// not checked end to end.
///
/// # Memory
/// Each range in flight buffers at most 1 MiB (less for smaller ranges) before writing it, so
/// memory stays within `parallelism × min(range size, 1 MiB)` whatever the object's size.
///
/// # Failures
/// A connection dropped in the middle of a range is resumed with a GET of the range's missing
/// bytes only (up to [`DownloaderBuilder::range_resumes`] times per range); other errors have
/// already been retried by the client's [`RetryPolicy`](crate::RetryPolicy). When a range
/// fails for good, no further range starts, the ones in flight are cancelled and the error is
/// returned. Without a checkpoint the temporary file is then removed.
///
/// # Resuming
/// With [`DownloaderBuilder::checkpoint_dir`], the download keeps its temporary file under a
/// fixed name and writes a small JSON checkpoint when it starts and after every range (always
/// atomically: temporary file + rename). The next download of the same object to the same
/// destination finds it and, when the object's ETag, size and CRC-64 are unchanged and the
/// temporary file is still there, fetches only the missing ranges; the CRC-64 of the ranges
/// kept is recomputed from the temporary file, so the final check covers them too. A checkpoint
/// that is unreadable or tampered with, or written for another version of the object, is
/// ignored and the download starts over ([`DownloadResumeStatus::StartedOver`]). The checkpoint
/// is deleted once the download completes. Two downloads to the same destination must not run
/// at the same time. Writes are not synced to disk: a checkpoint survives a killed process, not
/// a power cut of the machine.
///
/// The checkpoint holds: a magic string and format version, bucket, key, destination and
/// temporary file paths, the object's ETag, size and CRC-64, the range size, the indices of the
/// ranges written (as runs, `0-3,7`) and a SHA-256 of that content. It holds no credentials.
#[derive(Clone)]
pub struct Downloader {
    client: Client,
    config: Arc<Config>,
}

struct Config {
    range_size: u64,
    parallelism: usize,
    range_resumes: u32,
    checkpoint_dir: Option<PathBuf>,
    progress: Option<Arc<ProgressFn>>,
}

impl fmt::Debug for Downloader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        f.debug_struct("Downloader")
            .field("client", &self.client)
            .field("range_size", &c.range_size)
            .field("parallelism", &c.parallelism)
            .field("range_resumes", &c.range_resumes)
            .field("checkpoint_dir", &c.checkpoint_dir)
            .field("progress", &c.progress.as_ref().map(|_| "callback"))
            .finish()
    }
}

impl Downloader {
    /// A downloader with the defaults: 8 MiB ranges, 4 in flight, no checkpoint.
    pub fn new(client: Client) -> Self {
        Self {
            client,
            config: Arc::new(Config {
                range_size: DEFAULT_RANGE_SIZE,
                parallelism: DEFAULT_RANGES_IN_FLIGHT,
                range_resumes: DEFAULT_RANGE_RESUMES,
                checkpoint_dir: None,
                progress: None,
            }),
        }
    }

    /// Starts a builder with the defaults of [`Downloader::new`].
    pub fn builder(client: Client) -> DownloaderBuilder {
        DownloaderBuilder {
            client,
            range_size: DEFAULT_RANGE_SIZE,
            parallelism: DEFAULT_RANGES_IN_FLIGHT,
            range_resumes: DEFAULT_RANGE_RESUMES,
            checkpoint_dir: None,
            progress: None,
        }
    }

    /// The range size.
    pub fn range_size(&self) -> u64 {
        self.config.range_size
    }

    /// How many ranges are in flight at most.
    pub fn parallelism(&self) -> usize {
        self.config.parallelism
    }

    /// Where checkpoints are kept, if downloads are resumable.
    pub fn checkpoint_dir(&self) -> Option<&Path> {
        self.config.checkpoint_dir.as_deref()
    }

    /// Downloads `bucket`/`key` into the file at `destination` (replaced atomically when the
    /// download is complete and checked).
    pub fn download_file(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
        destination: impl Into<PathBuf>,
    ) -> DownloadRequest {
        DownloadRequest {
            downloader: self.clone(),
            bucket: bucket.into(),
            key: key.into(),
            destination: destination.into(),
        }
    }
}

/// Builds a [`Downloader`]; [`DownloaderBuilder::build`] checks every option.
pub struct DownloaderBuilder {
    client: Client,
    range_size: u64,
    parallelism: usize,
    range_resumes: u32,
    checkpoint_dir: Option<PathBuf>,
    progress: Option<Arc<ProgressFn>>,
}

impl fmt::Debug for DownloaderBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DownloaderBuilder")
            .field("range_size", &self.range_size)
            .field("parallelism", &self.parallelism)
            .field("range_resumes", &self.range_resumes)
            .field("checkpoint_dir", &self.checkpoint_dir)
            .finish_non_exhaustive()
    }
}

impl DownloaderBuilder {
    /// The size of each ranged GET in bytes, at least [`MIN_RANGE_SIZE`] (default 8 MiB).
    pub fn range_size(mut self, bytes: u64) -> Self {
        self.range_size = bytes;
        self
    }

    /// How many ranges are fetched at the same time, at least 1 (default 4).
    pub fn parallelism(mut self, ranges_in_flight: usize) -> Self {
        self.parallelism = ranges_in_flight;
        self
    }

    /// How many times a range whose connection drops mid-stream is resumed (default 3; 0
    /// fails the download at the first drop).
    pub fn range_resumes(mut self, times: u32) -> Self {
        self.range_resumes = times;
        self
    }

    /// Makes downloads resumable, with checkpoints kept in `dir` (created when missing).
    pub fn checkpoint_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.checkpoint_dir = Some(dir.into());
        self
    }

    /// Calls `f` as bytes arrive (at least every 256 KiB of a range) and after every range that
    /// completes; on a resumed download the counts start with the ranges already written.
    /// `ranges_done` counts a range only once it is recorded in the checkpoint. `f` runs on the
    /// downloading task: keep it short.
    pub fn on_progress(mut self, f: impl Fn(&DownloadProgress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Checks the options and builds the downloader.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the option: a range size below [`MIN_RANGE_SIZE`], a
    /// parallelism of 0, an empty checkpoint directory.
    pub fn build(self) -> Result<Downloader> {
        if self.range_size < MIN_RANGE_SIZE {
            return Err(Error::invalid(
                "range_size",
                format!(
                    "must be at least {MIN_RANGE_SIZE} (4 KiB) bytes (got {})",
                    self.range_size
                ),
            ));
        }
        if self.parallelism == 0 {
            return Err(Error::invalid(
                "parallelism",
                "must be at least 1 range in flight (got 0)",
            ));
        }
        if self
            .checkpoint_dir
            .as_ref()
            .is_some_and(|d| d.as_os_str().is_empty())
        {
            return Err(Error::invalid("checkpoint_dir", "must not be empty"));
        }
        Ok(Downloader {
            client: self.client,
            config: Arc::new(Config {
                range_size: self.range_size,
                parallelism: self.parallelism,
                range_resumes: self.range_resumes,
                checkpoint_dir: self.checkpoint_dir,
                progress: self.progress,
            }),
        })
    }
}

/// Progress of a download, as passed to [`DownloaderBuilder::on_progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadProgress {
    /// Bytes received so far (including the ranges of an earlier run when resuming).
    pub bytes_done: u64,
    /// The object's size.
    pub total_bytes: u64,
    /// Ranges written and recorded so far.
    pub ranges_done: u64,
    /// Ranges in all.
    pub ranges_total: u64,
}

/// Whether and how a download used a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DownloadResumeStatus {
    /// No checkpoint directory.
    NotResumable,
    /// Resumable, but there was no checkpoint: a new download.
    NoCheckpoint,
    /// An earlier download was continued.
    Resumed {
        /// Ranges of the earlier run that were kept.
        ranges_reused: u64,
    },
    /// A checkpoint was found but not used: the download started over.
    StartedOver {
        /// Why the checkpoint was not used.
        reason: DownloadStartOverReason,
    },
}

/// Why a download checkpoint was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DownloadStartOverReason {
    /// The file is not a valid checkpoint (unreadable, wrong magic or version, checksum
    /// mismatch).
    InvalidCheckpoint {
        /// What was wrong.
        detail: String,
    },
    /// The object changed since (ETag, size or CRC-64 differ).
    ObjectChanged,
    /// The checkpoint was written for another range size, or its temporary file is gone or
    /// has the wrong size.
    StaleCheckpoint,
}

/// What a download produced.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadOutput {
    /// The object's size (the bytes now in the destination file).
    pub size: u64,
    /// The object's ETag.
    pub etag: Option<String>,
    /// The object's CRC-64 (the server's, checked against the data when it sends one).
    pub crc64: Option<u64>,
    /// The request id of the HeadObject.
    pub request_id: Option<String>,
    /// The range size used.
    pub range_size: u64,
    /// How many ranges the object has.
    pub ranges: u64,
    /// How many ranges this call fetched (fewer than `ranges` when resumed).
    pub ranges_fetched: u64,
    /// How many extra GETs dropped connections needed.
    pub range_resumes: u64,
    /// Whether a checkpoint was used.
    pub resume: DownloadResumeStatus,
}

impl DownloadOutput {
    /// Whether an earlier download was continued.
    pub fn resumed(&self) -> bool {
        matches!(self.resume, DownloadResumeStatus::Resumed { .. })
    }
}

/// One download; send it with [`DownloadRequest::send`].
#[derive(Debug)]
pub struct DownloadRequest {
    downloader: Downloader,
    bucket: String,
    key: String,
    destination: PathBuf,
}

/// The object as HeadObject described it.
struct ObjectInfo {
    etag: Option<String>,
    size: u64,
    crc64: Option<u64>,
    request_id: Option<String>,
}

/// Where the download stands: ranges done and their CRC-64s, for the checkpoint and the end.
struct Ledger {
    done: BTreeSet<u64>,
    crcs: Vec<Option<u64>>,
}

impl DownloadRequest {
    /// Downloads.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad bucket, key or destination (before any request); the
    /// service's error (for example `NoSuchKey`, `AccessDenied`, `PreconditionFailed` when the
    /// object changes during the download); [`Error::Integrity`] when the combined CRC-64 does
    /// not match the object's; [`Error::Io`] when the temporary file cannot be written or
    /// renamed.
    pub async fn send(self) -> Result<DownloadOutput> {
        validation::bucket_and_key(&self.bucket, &self.key)?;
        let destination = absolute_destination(&self.destination).await?;
        let span = tracing::info_span!(
            "download",
            bucket = %self.bucket,
            key = %self.key,
            range_size = self.downloader.config.range_size,
        );
        self.run(destination).instrument(span).await
    }

    async fn run(self, destination: PathBuf) -> Result<DownloadOutput> {
        let cfg = &self.downloader.config;
        let client = &self.downloader.client;
        let head = client.head_object(&self.bucket, &self.key).send().await?;
        // No object is larger than 10,000 parts of 5 GiB: a size past that is not believed
        // (the range bookkeeping and the temporary file are sized from it).
        let largest = u64::from(MAX_PART_NUMBER) * MAX_PART_SIZE;
        if head.content_length > largest {
            return Err(Error::Response(format!(
                "HeadObject reported {} bytes, more than an OSS object can hold ({largest})",
                head.content_length
            )));
        }
        let object = ObjectInfo {
            etag: head.etag,
            size: head.content_length,
            crc64: head.crc64,
            request_id: head.request_id,
        };
        let range_size = cfg.range_size;
        let total = range_count(object.size, range_size);

        let checkpoint_path = match &cfg.checkpoint_dir {
            Some(dir) => {
                tokio::fs::create_dir_all(dir).await?;
                Some(checkpoint::checkpoint_path(
                    dir,
                    &self.bucket,
                    &self.key,
                    &destination,
                ))
            }
            None => None,
        };
        let temp = temp_path_beside(&destination, checkpoint_path.is_none())?;

        // What an earlier run left, if it still describes this object.
        let (resume, kept) = match &checkpoint_path {
            None => (DownloadResumeStatus::NotResumable, BTreeSet::new()),
            Some(cp) => self.reusable(cp, &destination, &object).await,
        };
        if !matches!(resume, DownloadResumeStatus::Resumed { .. }) {
            let file = tokio::fs::File::create(&temp).await?;
            file.set_len(object.size).await?;
        }

        let ledger = Mutex::new(Ledger {
            done: kept.clone(),
            crcs: vec![None; usize::try_from(total).unwrap_or(0)],
        });
        let record = |ledger: &Ledger| CheckpointData {
            bucket: self.bucket.clone(),
            key: self.key.clone(),
            destination: destination.to_string_lossy().into_owned(),
            temp_file: temp.to_string_lossy().into_owned(),
            etag: object.etag.clone(),
            size: object.size,
            crc64: object.crc64,
            range_size,
            ranges_done: checkpoint::format_runs(&ledger.done),
        };
        if let Some(cp) = &checkpoint_path {
            let data = record(&lock(&ledger));
            save_checkpoint(cp, &data).await;
        }

        let kept_bytes: u64 = kept
            .iter()
            .map(|&i| range_len(i, range_size, object.size))
            .sum();
        let bytes_done = AtomicU64::new(kept_bytes);
        let report = |ranges_done: u64| {
            if let Some(f) = &cfg.progress {
                f(&DownloadProgress {
                    bytes_done: bytes_done.load(Ordering::Relaxed),
                    total_bytes: object.size,
                    ranges_done,
                    ranges_total: total,
                });
            }
        };
        report(kept.len() as u64);

        let on_bytes = |n: u64| {
            if n > 0 {
                bytes_done.fetch_add(n, Ordering::Relaxed);
                let ranges_done = lock(&ledger).done.len() as u64;
                report(ranges_done);
            }
        };
        let missing: Vec<u64> = (0..total).filter(|i| !kept.contains(i)).collect();
        let ranges_fetched = missing.len() as u64;
        let mut range_resumes = 0u64;
        let checkpoint_lock = tokio::sync::Mutex::new(());
        let result: Result<()> = async {
            let mut running = stream::iter(missing.iter().copied())
                .map(|index| {
                    let job = RangeJob {
                        client,
                        bucket: &self.bucket,
                        key: &self.key,
                        etag: object.etag.as_deref(),
                        temp: &temp,
                        index,
                        offset: index * range_size,
                        len: range_len(index, range_size, object.size),
                        resumes: cfg.range_resumes,
                    };
                    let on_bytes = &on_bytes;
                    async move { job.run(on_bytes).await }
                })
                .buffer_unordered(cfg.parallelism);
            while let Some(done) = running.next().await {
                let RangeDone {
                    index,
                    crc,
                    resumed,
                } = done?;
                range_resumes += u64::from(resumed);
                let (data, count) = {
                    let mut l = lock(&ledger);
                    l.done.insert(index);
                    if let Some(slot) = usize::try_from(index).ok().and_then(|i| l.crcs.get_mut(i))
                    {
                        *slot = Some(crc);
                    }
                    (record(&l), l.done.len() as u64)
                };
                if let Some(cp) = &checkpoint_path {
                    let _guard = checkpoint_lock.lock().await;
                    save_checkpoint(cp, &data).await;
                }
                report(count);
            }
            Ok(())
        }
        .await;
        if let Err(e) = result {
            if checkpoint_path.is_none() {
                let _ = checkpoint::remove_if_present(&temp).await;
            }
            return Err(e);
        }

        // The whole object's CRC-64, when there is one to compare with; the ranges kept from
        // an earlier run are read back from the file for it.
        if let (Some(server), true) = (object.crc64, client.crc_check()) {
            let crcs = lock(&ledger).crcs.clone();
            let mut whole = crc64::checksum(&[]);
            for index in 0..total {
                let len = range_len(index, range_size, object.size);
                let crc = match crcs.get(usize::try_from(index).unwrap_or(usize::MAX)) {
                    Some(Some(c)) => *c,
                    _ => temp::crc_of_file_range(&temp, index * range_size, len).await?,
                };
                whole = crc64::combine(whole, crc, len);
            }
            if whole != server {
                let _ = checkpoint::remove_if_present(&temp).await;
                if let Some(cp) = &checkpoint_path {
                    let _ = checkpoint::remove_if_present(cp).await;
                }
                return Err(Error::Integrity {
                    algorithm: "crc64ecma",
                    client: crc64::format(whole),
                    server: crc64::format(server),
                    computed_from: "the bytes received (the ranges' checksums combined)",
                });
            }
        }
        if let Err(e) = tokio::fs::rename(&temp, &destination).await {
            if checkpoint_path.is_none() {
                let _ = checkpoint::remove_if_present(&temp).await;
            }
            return Err(e.into());
        }
        if let Some(cp) = &checkpoint_path {
            if let Err(e) = checkpoint::remove_if_present(cp).await {
                tracing::warn!(error = %e, "could not remove the download checkpoint");
            }
        }
        Ok(DownloadOutput {
            size: object.size,
            etag: object.etag,
            crc64: object.crc64,
            request_id: object.request_id,
            range_size,
            ranges: total,
            ranges_fetched,
            range_resumes,
            resume,
        })
    }

    /// The ranges an earlier run wrote, when its checkpoint still describes this object and
    /// its temporary file is intact.
    async fn reusable(
        &self,
        cp: &Path,
        destination: &Path,
        object: &ObjectInfo,
    ) -> (DownloadResumeStatus, BTreeSet<u64>) {
        let started_over = |reason| DownloadResumeStatus::StartedOver { reason };
        let data = match checkpoint::load(cp).await {
            Loaded::Missing => return (DownloadResumeStatus::NoCheckpoint, BTreeSet::new()),
            Loaded::Invalid(detail) => {
                tracing::warn!(%detail, "ignoring an invalid download checkpoint");
                return (
                    started_over(DownloadStartOverReason::InvalidCheckpoint { detail }),
                    BTreeSet::new(),
                );
            }
            Loaded::Valid(d) => d,
        };
        if data.bucket != self.bucket
            || data.key != self.key
            || data.destination != destination.to_string_lossy()
        {
            return (
                started_over(DownloadStartOverReason::InvalidCheckpoint {
                    detail: "written for another object or destination".into(),
                }),
                BTreeSet::new(),
            );
        }
        if data.etag != object.etag || data.size != object.size || data.crc64 != object.crc64 {
            return (
                started_over(DownloadStartOverReason::ObjectChanged),
                BTreeSet::new(),
            );
        }
        let temp_ok = data.range_size == self.downloader.config.range_size
            && tokio::fs::metadata(&data.temp_file)
                .await
                .is_ok_and(|m| m.is_file() && m.len() == object.size);
        if !temp_ok {
            return (
                started_over(DownloadStartOverReason::StaleCheckpoint),
                BTreeSet::new(),
            );
        }
        let done = data.done().unwrap_or_default();
        (
            DownloadResumeStatus::Resumed {
                ranges_reused: done.len() as u64,
            },
            done,
        )
    }
}

/// The length of range `index`.
fn range_len(index: u64, range_size: u64, size: u64) -> u64 {
    let start = index.saturating_mul(range_size);
    size.saturating_sub(start).min(range_size)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn save_checkpoint(path: &Path, data: &CheckpointData) {
    if let Err(e) = checkpoint::save(path, data).await {
        tracing::warn!(error = %e, "could not write the download checkpoint; going on without");
    }
}

/// The destination as an absolute path; refuses an empty path, one without a file name, or an
/// existing directory.
async fn absolute_destination(path: &Path) -> Result<PathBuf> {
    if path.as_os_str().is_empty() {
        return Err(Error::invalid("destination", "must not be empty"));
    }
    if path.file_name().is_none() {
        return Err(Error::invalid("destination", "must name a file"));
    }
    if tokio::fs::metadata(path).await.is_ok_and(|m| m.is_dir()) {
        return Err(Error::invalid(
            "destination",
            "is a directory; name the file to write",
        ));
    }
    Ok(std::path::absolute(path)?)
}
