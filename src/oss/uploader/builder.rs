//! [`UploaderBuilder`]: the options of an [`Uploader`], checked once in `build`.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::oss::client::Client;
use crate::oss::validation::{MAX_PART_SIZE, MIN_PART_SIZE};

use super::{Config, ProgressFn, UploadProgress, Uploader};

/// Builds an [`Uploader`]; [`UploaderBuilder::build`] checks every option.
pub struct UploaderBuilder {
    pub(super) client: Client,
    pub(super) part_size: u64,
    pub(super) parallelism: usize,
    pub(super) leave_parts_on_error: bool,
    pub(super) checkpoint_dir: Option<PathBuf>,
    pub(super) progress: Option<Arc<ProgressFn>>,
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
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming `part_size` or `parallelism` when out of range.
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
