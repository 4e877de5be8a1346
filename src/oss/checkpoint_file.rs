//! The file format the Uploader's and the Downloader's checkpoints share: a JSON envelope
//! (magic, version, SHA-256 of the data) written atomically (temporary file, then rename),
//! refused when too large, of another kind or version, or tampered with.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A checkpoint is a few kilobytes; anything larger than this is not one.
pub(crate) const MAX_CHECKPOINT_BYTES: u64 = 64 * 1024;

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
    fn checksum<T: Serialize>(&self, data: &T) -> Result<String> {
        let bytes = serde_json::to_vec(data)
            .map_err(|e| Error::Response(format!("cannot encode the {}: {e}", self.what)))?;
        Ok(hex::encode(Sha256::digest(&bytes)))
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

    /// Writes the checkpoint atomically: a temporary file next to it, then a rename.
    pub(crate) async fn save<T: Serialize>(&self, path: &Path, data: &T) -> Result<()> {
        let env = Envelope {
            magic: self.magic.to_owned(),
            version: self.version,
            checksum: self.checksum(data)?,
            data,
        };
        let bytes = serde_json::to_vec_pretty(&env)
            .map_err(|e| Error::Response(format!("cannot encode the {}: {e}", self.what)))?;
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
