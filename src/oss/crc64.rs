//! CRC-64/XZ, the checksum OSS sends in `x-oss-hash-crc64ecma` (reflected ECMA-182 polynomial,
//! initial value and final XOR all ones). Backed by `crc-fast` (SIMD).
//!
//! ```
//! use alioss::oss::crc64;
//! assert_eq!(crc64::checksum(b"123456789"), 0x995D_C9BB_DF19_39FA);
//! let whole = crc64::checksum(b"hello world");
//! let combined = crc64::combine(crc64::checksum(b"hello "), crc64::checksum(b"world"), 5);
//! assert_eq!(whole, combined);
//! ```

use std::fmt;

use crc_fast::{CrcAlgorithm, Digest};

const ALGORITHM: CrcAlgorithm = CrcAlgorithm::Crc64Xz;

/// CRC-64/XZ of `data`.
pub fn checksum(data: &[u8]) -> u64 {
    crc_fast::checksum(ALGORITHM, data)
}

/// The CRC of `A ‖ B` from `crc(A)`, `crc(B)` and `len(B)`.
pub fn combine(crc_a: u64, crc_b: u64, len_b: u64) -> u64 {
    crc_fast::checksum_combine(ALGORITHM, crc_a, crc_b, len_b)
}

/// Formats a CRC as OSS sends it (unsigned decimal).
pub fn format(crc: u64) -> String {
    crc.to_string()
}

/// Parses the decimal string OSS sends: ASCII digits only (no sign, no spaces, not empty) of a
/// value that fits in a `u64`; anything else is `None`.
pub fn parse(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A streaming CRC-64/XZ.
#[derive(Clone)]
pub struct Crc64 {
    digest: Digest,
    len: u64,
}

impl fmt::Debug for Crc64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Crc64")
            .field("value", &self.value())
            .field("len", &self.len)
            .finish()
    }
}

impl Default for Crc64 {
    fn default() -> Self {
        Self::new()
    }
}

impl Crc64 {
    /// A CRC over no bytes yet.
    pub fn new() -> Self {
        Self {
            digest: Digest::new(ALGORITHM),
            len: 0,
        }
    }

    /// Adds `data`.
    pub fn update(&mut self, data: &[u8]) {
        self.digest.update(data);
        self.len += data.len() as u64;
    }

    /// The CRC of everything added so far.
    pub fn value(&self) -> u64 {
        self.digest.finalize()
    }

    /// How many bytes were added.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The CRC-64 of `len` bytes of the file at `path` from `offset`; a file that ends before
/// them is an [`UnexpectedEof`](std::io::ErrorKind::UnexpectedEof) error saying `short`.
pub(crate) async fn of_file_range(
    path: &std::path::Path,
    offset: u64,
    len: u64,
    short: &'static str,
) -> crate::error::Result<u64> {
    use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
    let mut file = tokio::fs::File::open(path).await?;
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
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, short).into());
    }
    Ok(crc.value())
}
