//! The resumable-download checkpoint: a small JSON file naming the object (bucket, key, ETag,
//! size, CRC-64), the destination and its temporary file, the range size and the ranges already
//! written. It carries a magic string, a format version and a SHA-256 of its content, and is
//! replaced atomically (a temporary file, then a rename).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::oss::checkpoint_file::{self, Format};

/// The checkpoint's file format.
const FORMAT: Format = Format {
    magic: MAGIC,
    version: VERSION,
    what: "download checkpoint",
};
const MAGIC: &str = "alioss.download-checkpoint";
const VERSION: u32 = 1;

/// What the checkpoint records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CheckpointData {
    pub(crate) bucket: String,
    pub(crate) key: String,
    pub(crate) destination: String,
    pub(crate) temp_file: String,
    pub(crate) etag: Option<String>,
    pub(crate) size: u64,
    pub(crate) crc64: Option<u64>,
    pub(crate) range_size: u64,
    /// Indices of the ranges written, as runs: `0-3,7`.
    pub(crate) ranges_done: String,
}

impl CheckpointData {
    /// The ranges written (`None` when the list is malformed or names a range past the end).
    pub(crate) fn done(&self) -> Option<BTreeSet<u64>> {
        let set = parse_runs(&self.ranges_done)?;
        let count = range_count(self.size, self.range_size);
        set.iter().all(|&i| i < count).then_some(set)
    }
}

/// How many ranges of `range_size` bytes an object of `size` bytes has.
pub(crate) fn range_count(size: u64, range_size: u64) -> u64 {
    if range_size == 0 {
        0
    } else {
        size.div_ceil(range_size)
    }
}

/// The checkpoint's file name in `dir`: a digest of the bucket, key and destination, so each
/// (object, destination) pair has its own checkpoint.
pub(crate) fn checkpoint_path(dir: &Path, bucket: &str, key: &str, destination: &Path) -> PathBuf {
    let mut h = Sha256::new();
    for part in [bucket.as_bytes(), key.as_bytes()] {
        h.update(part);
        h.update([0u8]);
    }
    h.update(destination.to_string_lossy().as_bytes());
    let digest = hex::encode(h.finalize());
    dir.join(format!("{}.alioss-download.json", &digest[..32]))
}

/// What reading a checkpoint found.
pub(crate) type Loaded = checkpoint_file::Loaded<CheckpointData>;

/// Reads the checkpoint at `path`; a missing file is [`Loaded::Missing`], anything unreadable
/// or tampered with is [`Loaded::Invalid`].
pub(crate) async fn load(path: &Path) -> Loaded {
    match FORMAT.load::<CheckpointData>(path).await {
        Loaded::Valid(data) if data.done().is_none() => {
            Loaded::Invalid("malformed range list".into())
        }
        other => other,
    }
}

/// Writes the checkpoint atomically: a temporary file next to it, then a rename.
pub(crate) async fn save(path: &Path, data: &CheckpointData) -> Result<()> {
    FORMAT.save(path, data).await
}

pub(crate) use checkpoint_file::remove_if_present;

/// `{0,1,2,3,7}` → `0-3,7`.
pub(crate) fn format_runs(set: &BTreeSet<u64>) -> String {
    let mut out = String::new();
    let mut iter = set.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == end.checked_add(1).as_ref() {
            end += 1;
            iter.next();
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}-{end}"));
        }
    }
    out
}

/// The inverse of [`format_runs`]; `None` when malformed.
pub(crate) fn parse_runs(s: &str) -> Option<BTreeSet<u64>> {
    let mut out = BTreeSet::new();
    if s.is_empty() {
        return Some(out);
    }
    for item in s.split(',') {
        let (a, b) = match item.split_once('-') {
            Some((a, b)) => (a.parse::<u64>().ok()?, b.parse::<u64>().ok()?),
            None => {
                let n = item.parse::<u64>().ok()?;
                (n, n)
            }
        };
        if b < a || b - a > 1_000_000 {
            return None;
        }
        out.extend(a..=b);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> CheckpointData {
        CheckpointData {
            bucket: "examplebucket".into(),
            key: "src/file.bin".into(),
            destination: "/data/file.bin".into(),
            temp_file: "/data/.file.bin.alioss-download".into(),
            etag: Some("\"ABC\"".into()),
            size: 1_000_000,
            crc64: Some(42),
            range_size: 100_000,
            ranges_done: "0-3,7".into(),
        }
    }

    #[test]
    fn runs_round_trip() {
        let set: BTreeSet<u64> = [0, 1, 2, 3, 7, 9, 10].into_iter().collect();
        assert_eq!(format_runs(&set), "0-3,7,9-10");
        assert_eq!(parse_runs("0-3,7,9-10"), Some(set));
        assert_eq!(parse_runs(""), Some(BTreeSet::new()));
        for bad in ["4-1", "a", "1-", "1,,2", "0-99999999"] {
            assert_eq!(parse_runs(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_range_past_the_end_is_not_accepted() {
        let mut d = data();
        assert_eq!(d.done().map(|s| s.len()), Some(5));
        d.ranges_done = "10".into();
        assert_eq!(d.done(), None);
    }

    #[tokio::test]
    async fn saved_checkpoints_load_and_tampered_ones_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = checkpoint_path(dir.path(), "b", "k", Path::new("/d"));
        assert!(matches!(load(&path).await, Loaded::Missing));
        save(&path, &data()).await.unwrap();
        match load(&path).await {
            Loaded::Valid(d) => assert_eq!(d, data()),
            other => panic!("{other:?}"),
        }
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("0-3,7", "0-9")).unwrap();
        assert!(matches!(load(&path).await, Loaded::Invalid(r) if r.contains("checksum")));
        std::fs::write(&path, b"{not json").unwrap();
        assert!(matches!(load(&path).await, Loaded::Invalid(_)));
        remove_if_present(&path).await.unwrap();
        remove_if_present(&path).await.unwrap();
    }
}
