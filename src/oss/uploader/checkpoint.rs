//! The resumable-upload checkpoint: a small JSON file naming the local file (path, size,
//! modification time), the part size, the destination and the upload id, plus every part known
//! to have landed with its size, ETag and the CRC-64 of the local bytes it was uploaded from
//! (so a resume can prove, by re-reading the file, that the part still matches). It carries a magic string, a format version and a SHA-256 of its
//! content; it is replaced atomically (written to a temporary file, then renamed).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::oss::checkpoint_file::{self, Format};

/// The checkpoint's file format.
const FORMAT: Format = Format {
    magic: MAGIC,
    version: VERSION,
    what: "upload checkpoint",
};
const MAGIC: &str = "alioss.upload-checkpoint";
/// Version 2 records each part's CRC-64 and ETag (version 1 only listed part numbers; such a
/// checkpoint is ignored and the upload starts over).
const VERSION: u32 = 2;
/// The longest ETag a checkpoint may record.
const MAX_ETAG_LEN: usize = 256;

/// What the checkpoint records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CheckpointData {
    pub(crate) file_path: String,
    pub(crate) file_size: u64,
    pub(crate) file_mtime_secs: i64,
    pub(crate) file_mtime_nanos: u32,
    pub(crate) part_size: u64,
    pub(crate) bucket: String,
    pub(crate) key: String,
    pub(crate) upload_id: String,
    /// The parts that completed, by increasing part number.
    pub(crate) parts: Vec<RecordedPart>,
}

/// A part the checkpoint vouches for: what was uploaded, and the CRC-64 of the local bytes it
/// was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RecordedPart {
    pub(crate) number: u32,
    pub(crate) size: u64,
    pub(crate) crc64: u64,
    pub(crate) etag: String,
}

/// The identity of the upload a checkpoint must match to be resumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UploadIdentity {
    pub(crate) file_path: String,
    pub(crate) file_size: u64,
    pub(crate) file_mtime_secs: i64,
    pub(crate) file_mtime_nanos: u32,
    pub(crate) part_size: u64,
    pub(crate) bucket: String,
    pub(crate) key: String,
}

impl UploadIdentity {
    pub(crate) fn new(
        file_path: &Path,
        file_size: u64,
        mtime: Option<SystemTime>,
        part_size: u64,
        bucket: &str,
        key: &str,
    ) -> Self {
        let (secs, nanos) = match mtime {
            Some(t) => match t.duration_since(UNIX_EPOCH) {
                Ok(d) => (
                    i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                    d.subsec_nanos(),
                ),
                Err(e) => (
                    -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
                    e.duration().subsec_nanos(),
                ),
            },
            None => (0, 0),
        };
        Self {
            file_path: file_path.to_string_lossy().into_owned(),
            file_size,
            file_mtime_secs: secs,
            file_mtime_nanos: nanos,
            part_size,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        }
    }

    /// Whether `data` was written for this very upload (same file, size, mtime, part size,
    /// bucket and key).
    pub(crate) fn matches(&self, data: &CheckpointData) -> bool {
        self.file_path == data.file_path
            && self.file_size == data.file_size
            && self.file_mtime_secs == data.file_mtime_secs
            && self.file_mtime_nanos == data.file_mtime_nanos
            && self.part_size == data.part_size
            && self.bucket == data.bucket
            && self.key == data.key
    }

    pub(crate) fn checkpoint(&self, upload_id: &str, parts: Vec<RecordedPart>) -> CheckpointData {
        CheckpointData {
            file_path: self.file_path.clone(),
            file_size: self.file_size,
            file_mtime_secs: self.file_mtime_secs,
            file_mtime_nanos: self.file_mtime_nanos,
            part_size: self.part_size,
            bucket: self.bucket.clone(),
            key: self.key.clone(),
            upload_id: upload_id.to_owned(),
            parts,
        }
    }

    /// The checkpoint's file name in `dir`: a digest of the file path, bucket and key, so each
    /// (file, object) pair has its own checkpoint.
    pub(crate) fn checkpoint_path(&self, dir: &Path) -> PathBuf {
        let mut h = Sha256::new();
        for part in [&self.file_path, &self.bucket, &self.key] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        let digest = hex::encode(h.finalize());
        dir.join(format!("{}.alioss-upload.json", &digest[..32]))
    }
}

/// What reading a checkpoint found.
pub(crate) type Loaded = checkpoint_file::Loaded<CheckpointData>;

/// Reads the checkpoint at `path`; a missing file is [`Loaded::Missing`], anything unreadable
/// or tampered with is [`Loaded::Invalid`].
pub(crate) async fn load(path: &Path) -> Loaded {
    match FORMAT.load::<CheckpointData>(path).await {
        Loaded::Valid(data) if data.upload_id.is_empty() => Loaded::Invalid("no upload id".into()),
        Loaded::Valid(data) => match check_parts(&data.parts) {
            Ok(()) => Loaded::Valid(data),
            Err(why) => Loaded::Invalid(format!("malformed part list: {why}")),
        },
        other => other,
    }
}

/// Writes the checkpoint atomically: a temporary file next to it, then a rename.
pub(crate) async fn save(path: &Path, data: &CheckpointData) -> Result<()> {
    FORMAT.save(path, data).await
}

/// Removes the checkpoint (a missing one is fine).
pub(crate) async fn remove(path: &Path) -> Result<()> {
    checkpoint_file::remove_if_present(path).await
}

/// Part numbers 1–10000, strictly increasing, each with an ETag of sane length.
fn check_parts(parts: &[RecordedPart]) -> std::result::Result<(), &'static str> {
    let mut previous = 0u32;
    for p in parts {
        if p.number <= previous || p.number > crate::oss::validation::MAX_PART_NUMBER {
            return Err("part numbers must increase within 1-10000");
        }
        if p.etag.is_empty() || p.etag.len() > MAX_ETAG_LEN {
            return Err("every part needs an ETag of at most 256 bytes");
        }
        previous = p.number;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> UploadIdentity {
        UploadIdentity::new(
            Path::new("/data/file.bin"),
            1_000_000,
            Some(UNIX_EPOCH + std::time::Duration::new(1_700_000_000, 42)),
            102_400,
            "examplebucket",
            "src/file.bin",
        )
    }

    fn part(number: u32) -> RecordedPart {
        RecordedPart {
            number,
            size: 102_400,
            crc64: u64::from(number) * 0x1234_5678_9abc,
            etag: format!("\"ETAG{number}\""),
        }
    }

    #[test]
    fn part_lists_must_increase_and_carry_etags() {
        assert!(check_parts(&[part(1), part(2), part(7)]).is_ok());
        assert!(check_parts(&[]).is_ok());
        assert!(check_parts(&[part(2), part(1)]).is_err());
        assert!(check_parts(&[part(1), part(1)]).is_err());
        assert!(check_parts(&[part(0)]).is_err());
        assert!(check_parts(&[part(10_001)]).is_err());
        let mut no_etag = part(3);
        no_etag.etag.clear();
        assert!(check_parts(&[no_etag]).is_err());
    }

    #[tokio::test]
    async fn saved_checkpoints_load_and_tampered_ones_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let id = identity();
        let path = id.checkpoint_path(dir.path());
        assert!(matches!(load(&path).await, Loaded::Missing));
        let data = id.checkpoint("UPLOAD-1", vec![part(1), part(2), part(5)]);
        save(&path, &data).await.unwrap();
        match load(&path).await {
            Loaded::Valid(d) => {
                assert_eq!(d, data);
                assert!(id.matches(&d));
            }
            other => panic!("{other:?}"),
        }
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("UPLOAD-1", "UPLOAD-2")).unwrap();
        assert!(matches!(load(&path).await, Loaded::Invalid(r) if r.contains("checksum")));
        std::fs::write(&path, b"{not json").unwrap();
        assert!(matches!(load(&path).await, Loaded::Invalid(_)));
        remove(&path).await.unwrap();
        remove(&path).await.unwrap();
    }

    #[test]
    fn a_changed_file_or_part_size_does_not_match() {
        let id = identity();
        let data = id.checkpoint("U", Vec::new());
        let mut other = id.clone();
        other.file_mtime_nanos += 1;
        assert!(!other.matches(&data));
        let mut other = id.clone();
        other.part_size *= 2;
        assert!(!other.matches(&data));
        let mut other = id;
        other.key.push('x');
        assert!(!other.matches(&data));
    }
}
