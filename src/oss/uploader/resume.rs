//! Resuming: what a checkpoint vouches for and how much of its upload can be kept.

use std::collections::BTreeMap;

use futures_util::stream::TryStreamExt;

use crate::error::Result;
use crate::oss::ops::multipart::PartInfo;

use super::checkpoint::{self, Loaded, RecordedPart};
use super::plan::PartSpec;
use super::run::{is_no_such_upload, Job};
use super::{ResumeStatus, StartOverReason};

/// A part known to be stored: its ETag and the CRC-64 of the local bytes it holds (computed
/// while they were sent, or by re-reading the source on a resume).
#[derive(Debug, Clone)]
pub(super) struct DonePart {
    pub(super) etag: String,
    pub(super) crc64: u64,
    pub(super) size: u64,
}

/// An upload to continue.
#[derive(Debug)]
pub(super) struct Resume {
    pub(super) upload_id: String,
    pub(super) done: BTreeMap<u32, DonePart>,
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
        let recorded: BTreeMap<u32, &RecordedPart> =
            data.parts.iter().map(|p| (p.number, p)).collect();
        let mut done = BTreeMap::new();
        let verified = match listed {
            Ok(parts) => {
                // A listed part is kept when its size matches the plan and its bytes are
                // proven equal to the local range: by the listed CRC-64 or, when the listing
                // has none, by the checkpoint's record of the same ETag.
                for p in parts {
                    let Some(spec) = by_number.get(&p.part_number) else {
                        continue;
                    };
                    if p.size != spec.len {
                        continue;
                    }
                    let local = self.source.range_crc(spec.offset, spec.len).await?;
                    let proven = match p.crc64 {
                        Some(c) => c == local,
                        None => recorded
                            .get(&p.part_number)
                            .is_some_and(|r| r.crc64 == local && same_etag(&r.etag, &p.etag)),
                    };
                    if !proven {
                        tracing::info!(
                            part = p.part_number,
                            "a stored part differs from the file; re-uploading it"
                        );
                        continue;
                    }
                    done.insert(
                        p.part_number,
                        DonePart {
                            etag: p.etag,
                            crc64: local,
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
                // Without ListParts the checkpoint is all there is: each part it records is
                // re-read from the file and kept only if its CRC-64 is still the recorded one;
                // the completion then names every part by its ETag, so the server refuses to
                // commit a part that is not the one uploaded.
                tracing::warn!(
                    error = %e,
                    "ListParts was refused; checking the checkpoint's parts against the file"
                );
                for r in &data.parts {
                    let Some(spec) = by_number.get(&r.number) else {
                        continue;
                    };
                    if r.size != spec.len {
                        continue;
                    }
                    let local = self.source.range_crc(spec.offset, spec.len).await?;
                    if local != r.crc64 {
                        tracing::info!(
                            part = r.number,
                            "the file changed since the part was uploaded; re-uploading it"
                        );
                        continue;
                    }
                    done.insert(
                        r.number,
                        DonePart {
                            etag: r.etag.clone(),
                            crc64: local,
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
            }),
            status,
        ))
    }

    pub(super) async fn save_checkpoint(&self, upload_id: &str, done: &BTreeMap<u32, DonePart>) {
        let Some((path, identity)) = &self.checkpoint else {
            return;
        };
        let parts = done
            .iter()
            .map(|(n, p)| RecordedPart {
                number: *n,
                size: p.size,
                crc64: p.crc64,
                etag: p.etag.clone(),
            })
            .collect();
        if let Err(e) = checkpoint::save(path, &identity.checkpoint(upload_id, parts)).await {
            tracing::warn!(error = %e, "could not write the upload checkpoint");
        }
    }
}

/// ETags compared as OSS does: without quotes, case-insensitively.
fn same_etag(a: &str, b: &str) -> bool {
    a.trim_matches('"')
        .eq_ignore_ascii_case(b.trim_matches('"'))
}
