//! The run loop: a single PutObject, or a multipart upload with parts in flight, completed
//! and checked end to end.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::SystemTime;

use futures_util::stream::{self, StreamExt};
use tracing::Instrument as _;

use crate::error::{Error, Result};
use crate::oss::body::Body;
use crate::oss::client::Client;
use crate::oss::crc64;
use crate::oss::ops::multipart::CompletedPart;
use crate::oss::ops::{ObjectOptions, WithObjectOptions};
use crate::oss::validation;

use super::checkpoint::{self, UploadIdentity};
use super::plan::{effective_part_size, plan_parts, PartSpec};
use super::resume::{DonePart, Resume};
use super::source::Source;
use super::{Config, ResumeStatus, StartOverReason, UploadOutput, UploadProgress, Uploader};

/// An upload request; start it with [`UploadRequest::send`]. Object options (content type,
/// metadata, ACL, …) apply to the PutObject or the InitiateMultipartUpload.
#[derive(Debug)]
pub struct UploadRequest {
    pub(super) uploader: Uploader,
    pub(super) bucket: String,
    pub(super) key: String,
    pub(super) source: Source,
    pub(super) opts: ObjectOptions,
}

/// Everything one multipart run needs.
pub(super) struct Job<'a> {
    pub(super) client: &'a Client,
    pub(super) config: &'a Config,
    pub(super) bucket: &'a str,
    pub(super) key: &'a str,
    pub(super) source: &'a Source,
    pub(super) opts: &'a ObjectOptions,
    pub(super) size: u64,
    pub(super) part_size: u64,
    pub(super) plan: Vec<PartSpec>,
    pub(super) checkpoint: Option<(PathBuf, UploadIdentity)>,
    /// A file source's path and modification time when the upload started.
    pub(super) file_stamp: Option<(PathBuf, Option<SystemTime>)>,
}

impl WithObjectOptions for UploadRequest {
    fn object_options_mut(&mut self) -> &mut ObjectOptions {
        &mut self.opts
    }
}

impl UploadRequest {
    /// Uploads. Options and inputs are checked before any request; the local file's size and
    /// modification time are read here.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] before any request (bucket, key, options, a path that is not a
    /// file); [`Error::Io`] reading the source; service, transport and credentials errors of
    /// the parts; [`Error::Integrity`] when a part or the object's CRC-64 differs from the
    /// source's. With a checkpoint, a failed upload can be resumed.
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
            file_stamp: file.map(|(p, mtime)| (p.clone(), mtime)),
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

pub(super) fn is_no_such_upload(e: &Error) -> bool {
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

    pub(super) async fn abort_quietly(&self, upload_id: &str) {
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
        let (upload_id, mut done) = match resume {
            Some(r) => (r.upload_id, r.done),
            None => {
                let mut req = self.client.initiate_multipart_upload(self.bucket, self.key);
                req = req.options(self.opts.clone());
                let id = req.send().await?.upload_id;
                (id, BTreeMap::new())
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
        // Nothing is committed that was not verified against the source: every planned part
        // is there, each with the CRC-64 of the local bytes it was sent from (or re-read from
        // on a resume), and the file is still the one the upload started from.
        let expected_crc = match self.verify_before_commit(&done).await {
            Ok(crc) => crc,
            Err(e) => {
                // Nothing to resume without a checkpoint: the parts are aborted, as on any
                // other failure.
                if !self.keeps_parts() {
                    self.abort_quietly(&upload_id).await;
                }
                return Err(e);
            }
        };
        let req = self
            .client
            .complete_multipart_upload(self.bucket, self.key, &upload_id)
            .parts(done.iter().map(|(n, p)| CompletedPart {
                part_number: *n,
                etag: p.etag.clone(),
                crc64: Some(p.crc64),
                size: Some(p.size),
            }));
        let mut req = req;
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
            if let Some(server) = out.crc64 {
                if expected_crc != server {
                    return Err(Error::Integrity {
                        algorithm: "crc64ecma",
                        client: crc64::format(expected_crc),
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
            crc64: out.crc64.or(Some(expected_crc)),
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
        let crc64 = out.crc64.ok_or_else(|| {
            Error::Response(format!(
                "the CRC-64 of part {} is unknown: it cannot be verified",
                spec.number
            ))
        })?;
        Ok((
            spec.number,
            DonePart {
                etag: out.etag,
                crc64,
                size: spec.len,
            },
        ))
    }

    /// Checks, before CompleteMultipartUpload, that `done` covers the plan exactly with parts
    /// of the planned sizes, and that a file still has the size and modification time it had
    /// when the upload started. Returns the CRC-64 the object must have: that of the source
    /// bytes as read.
    async fn verify_before_commit(&self, done: &BTreeMap<u32, DonePart>) -> Result<u64> {
        let covers = done.len() == self.plan.len()
            && self
                .plan
                .iter()
                .all(|spec| done.get(&spec.number).is_some_and(|p| p.size == spec.len));
        if !covers {
            return Err(Error::Response(
                "the uploaded parts do not cover the source exactly; nothing was committed".into(),
            ));
        }
        if let Some((path, stamp)) = &self.file_stamp {
            let meta = tokio::fs::metadata(path).await?;
            if meta.len() != self.size || meta.modified().ok() != *stamp {
                return Err(Error::Io(std::io::Error::other(
                    "the file changed during the upload (size or modification time); \
                     nothing was committed and the upload can be resumed",
                )));
            }
        }
        Ok(done
            .values()
            .fold(0u64, |acc, p| crc64::combine(acc, p.crc64, p.size)))
    }
}
