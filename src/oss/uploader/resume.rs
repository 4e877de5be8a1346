//! Resuming: what a checkpoint vouches for and how much of its upload can be kept.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::stream::TryStreamExt;

use crate::error::Result;
use crate::oss::ops::multipart::PartInfo;

use super::checkpoint::{self, Loaded};
use super::plan::PartSpec;
use super::run::{is_no_such_upload, Job};
use super::{ResumeStatus, StartOverReason};

/// A part known to be stored: its ETag (unknown when only the checkpoint vouches for it) and
/// its CRC-64 as computed locally or by the server.
#[derive(Debug, Clone)]
pub(super) struct DonePart {
    pub(super) etag: Option<String>,
    pub(super) crc64: Option<u64>,
    pub(super) size: u64,
}

/// An upload to continue.
#[derive(Debug)]
pub(super) struct Resume {
    pub(super) upload_id: String,
    pub(super) done: BTreeMap<u32, DonePart>,
    pub(super) verified_by_list_parts: bool,
}

impl Job<'_> {
    /// Reads the checkpoint, if any, and finds out what of its upload can be kept.
    pub(super) async fn find_resumable(&self) -> Result<(Option<Resume>, ResumeStatus)> {
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

    pub(super) async fn save_checkpoint(&self, upload_id: &str, done: &BTreeMap<u32, DonePart>) {
        let Some((path, identity)) = &self.checkpoint else {
            return;
        };
        let numbers: BTreeSet<u32> = done.keys().copied().collect();
        if let Err(e) = checkpoint::save(path, &identity.checkpoint(upload_id, &numbers)).await {
            tracing::warn!(error = %e, "could not write the upload checkpoint");
        }
    }
}
