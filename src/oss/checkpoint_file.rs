//! The file format the Uploader's and the Downloader's checkpoints share: a JSON envelope
//! (magic, version, SHA-256 of the data) written atomically (temporary file, then rename),
//! refused when too large, of another kind or version, or tampered with.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The largest checkpoint file read or written. An upload's checkpoint records every part (about
/// 130 bytes each), so one of 10,000 parts, the most OSS allows, is about 1.3 MB; anything larger
/// than this is not a checkpoint.
pub(crate) const MAX_CHECKPOINT_BYTES: u64 = 8 * 1024 * 1024;

/// Which checkpoint a file holds: its magic string, format version, and what it is called in
/// messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Format {
    pub(crate) magic: &'static str,
    pub(crate) version: u32,
    pub(crate) what: &'static str,
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    magic: String,
    version: u32,
    checksum: String,
    data: T,
}

/// What reading a checkpoint found.
#[derive(Debug)]
pub(crate) enum Loaded<T> {
    /// No checkpoint file.
    Missing,
    /// A file that is not a valid checkpoint (why).
    Invalid(String),
    /// A valid checkpoint.
    Valid(T),
}

impl Format {
    fn encode<T: Serialize + ?Sized>(&self, data: &T) -> Result<Vec<u8>> {
        serde_json::to_vec(data)
            .map_err(|e| Error::Response(format!("cannot encode the {}: {e}", self.what)))
    }

    fn checksum<T: Serialize>(&self, data: &T) -> Result<String> {
        Ok(hex::encode(Sha256::digest(self.encode(data)?)))
    }

    /// Reads the checkpoint at `path`; a missing file is [`Loaded::Missing`], anything
    /// unreadable, too large, of another format or tampered with is [`Loaded::Invalid`].
    pub(crate) async fn load<T: Serialize + DeserializeOwned>(&self, path: &Path) -> Loaded<T> {
        match tokio::fs::metadata(path).await {
            Ok(m) if m.len() > MAX_CHECKPOINT_BYTES => {
                return Loaded::Invalid("too large to be a checkpoint".into())
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::Missing,
            Err(e) => return Loaded::Invalid(format!("unreadable: {e}")),
        }
        let bytes = match tokio::fs::read(path).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::Missing,
            Err(e) => return Loaded::Invalid(format!("unreadable: {e}")),
        };
        if bytes.len() as u64 > MAX_CHECKPOINT_BYTES {
            return Loaded::Invalid("too large to be a checkpoint".into());
        }
        let env: Envelope<T> = match serde_json::from_slice(&bytes) {
            Ok(e) => e,
            Err(e) => return Loaded::Invalid(format!("not a checkpoint: {e}")),
        };
        if env.magic != self.magic {
            return Loaded::Invalid("wrong magic".into());
        }
        if env.version != self.version {
            return Loaded::Invalid(format!("unsupported version {}", env.version));
        }
        match self.checksum(&env.data) {
            Ok(c) if c == env.checksum => Loaded::Valid(env.data),
            _ => Loaded::Invalid("checksum mismatch".into()),
        }
    }

    /// Writes the checkpoint atomically: a temporary file next to it, then a rename. The data
    /// is encoded once: the envelope embeds the very bytes its checksum covers.
    pub(crate) async fn save<T: Serialize>(&self, path: &Path, data: &T) -> Result<()> {
        let data = self.encode(data)?;
        let checksum = hex::encode(Sha256::digest(&data));
        let mut bytes = Vec::with_capacity(data.len() + 160);
        bytes.extend_from_slice(b"{\"magic\":");
        bytes.extend(self.encode(self.magic)?);
        bytes.extend(
            format!(
                ",\"version\":{},\"checksum\":\"{checksum}\",\"data\":",
                self.version
            )
            .bytes(),
        );
        bytes.extend(data);
        bytes.push(b'}');
        if bytes.len() as u64 > MAX_CHECKPOINT_BYTES {
            return Err(Error::Response(format!(
                "the {} would be {} bytes, over the {MAX_CHECKPOINT_BYTES}-byte limit",
                self.what,
                bytes.len()
            )));
        }
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        tokio::fs::write(&tmp, &bytes).await?;
        tokio::fs::rename(&tmp, path).await?;
        Ok(())
    }
}

/// Removes a file that may not exist.
pub(crate) async fn remove_if_present(path: &Path) -> Result<()> {
    match tokio::fs::remove_file(path).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Part {
        number: u32,
        size: u64,
        crc64: u64,
        etag: String,
    }

    const FORMAT: Format = Format {
        magic: "alioss-test-checkpoint",
        version: 3,
        what: "test checkpoint",
    };

    #[tokio::test]
    async fn a_checkpoint_of_ten_thousand_parts_saves_and_loads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        let parts: Vec<Part> = (1..=10_000)
            .map(|n| Part {
                number: n,
                size: 5 * 1024 * 1024 * 1024,
                crc64: u64::MAX - u64::from(n),
                etag: format!("\"{:032X}\"", u128::from(n) * 0x9E37_79B9_7F4A_7C15),
            })
            .collect();
        FORMAT.save(&path, &parts).await.unwrap();
        match FORMAT.load::<Vec<Part>>(&path).await {
            Loaded::Valid(back) => assert_eq!(back, parts),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_changed_byte_or_another_format_is_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        FORMAT.save(&path, &vec![1u32, 2, 3]).await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("[1,2,3]", "[1,2,4]")).unwrap();
        assert!(matches!(
            FORMAT.load::<Vec<u32>>(&path).await,
            Loaded::Invalid(_)
        ));
        FORMAT.save(&path, &vec![1u32]).await.unwrap();
        let other = Format {
            version: 4,
            ..FORMAT
        };
        assert!(matches!(
            other.load::<Vec<u32>>(&path).await,
            Loaded::Invalid(_)
        ));
        assert!(matches!(FORMAT.load::<Vec<u32>>(&path).await, Loaded::Valid(v) if v == [1]));
    }
}
