//! What an upload reads from: a file, a buffer or a stream.

use std::fmt;
use std::path::PathBuf;
use std::pin::Pin;

use bytes::Bytes;
use futures_util::stream::{Stream, StreamExt};

use crate::error::{Error, Result};
use crate::oss::body::Body;
use crate::oss::crc64;

use super::plan::PartSpec;

type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

pub(super) enum Source {
    File(PathBuf),
    Bytes(Bytes),
    Stream(tokio::sync::Mutex<StreamReader>),
}

/// A stream read part by part, in order.
pub(super) struct StreamReader {
    pub(super) stream: Option<ByteStream>,
    pub(super) len: u64,
    pub(super) consumed: u64,
    pub(super) leftover: Bytes,
}

impl StreamReader {
    /// The next `len` bytes, which must start at `offset` (parts are read in order).
    async fn read_part(&mut self, offset: u64, len: u64) -> Result<Bytes> {
        let too_short = |got: u64, declared: u64| {
            Error::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("the stream ended after {got} of its declared {declared} bytes"),
            ))
        };
        if offset != self.consumed {
            return Err(Error::Response(format!(
                "stream parts must be read in order (at {}, asked for {offset})",
                self.consumed
            )));
        }
        let stream = self
            .stream
            .as_mut()
            .ok_or_else(|| Error::invalid("body", "the stream was already consumed"))?;
        let want = usize::try_from(len).map_err(|_| Error::invalid("part_size", "too large"))?;
        let mut buf = bytes::BytesMut::with_capacity(want);
        while buf.len() < want {
            let chunk = if self.leftover.is_empty() {
                match stream.next().await {
                    Some(chunk) => chunk?,
                    None => return Err(too_short(self.consumed + buf.len() as u64, self.len)),
                }
            } else {
                std::mem::take(&mut self.leftover)
            };
            let take = chunk.len().min(want - buf.len());
            buf.extend_from_slice(&chunk[..take]);
            self.leftover = chunk.slice(take..);
        }
        self.consumed += len;
        if self.consumed == self.len {
            let extra = if self.leftover.is_empty() {
                loop {
                    match stream.next().await {
                        Some(chunk) if chunk.as_ref().is_ok_and(|c| c.is_empty()) => continue,
                        Some(chunk) => break chunk.map(|c| c.len())?,
                        None => break 0,
                    }
                }
            } else {
                self.leftover.len()
            };
            if extra > 0 {
                return Err(Error::Io(std::io::Error::other(format!(
                    "the stream yielded more than its declared {} bytes",
                    self.len
                ))));
            }
            self.stream = None;
        }
        Ok(buf.freeze())
    }
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(p) => f.debug_tuple("File").field(p).finish(),
            Source::Bytes(b) => f.debug_tuple("Bytes").field(&b.len()).finish(),
            Source::Stream(_) => f.debug_tuple("Stream").finish(),
        }
    }
}

impl Source {
    /// The body of part `spec`. A stream is read in order, so it hands out its next part
    /// whatever `spec` asked for (every part is asked for once, in whichever order the uploads
    /// start).
    pub(super) async fn part(&self, spec: PartSpec, part_size: u64) -> Result<(PartSpec, Body)> {
        let body = match self {
            Source::File(p) => Body::from_file_range(p, spec.offset, spec.len).await?,
            Source::Bytes(b) => Body::from_bytes(b.slice(byte_range(spec.offset, spec.len)?)),
            Source::Stream(r) => {
                let mut reader = r.lock().await;
                let offset = reader.consumed;
                let spec = PartSpec {
                    number: u32::try_from(offset / part_size + 1).unwrap_or(u32::MAX),
                    offset,
                    len: part_size.min(reader.len.saturating_sub(offset)),
                };
                let bytes = reader.read_part(spec.offset, spec.len).await?;
                return Ok((spec, Body::from_bytes(bytes)));
            }
        };
        Ok((spec, body))
    }

    /// The CRC-64 of `len` bytes from `offset`, read locally.
    pub(super) async fn range_crc(&self, offset: u64, len: u64) -> Result<u64> {
        match self {
            Source::Bytes(b) => Ok(crc64::checksum(&b[byte_range(offset, len)?])),
            Source::Stream(_) => Err(Error::Response(
                "a stream cannot be read again to resume an upload".into(),
            )),
            Source::File(p) => {
                crc64::of_file_range(p, offset, len, "the file became shorter during the upload")
                    .await
            }
        }
    }
}

fn byte_range(offset: u64, len: u64) -> Result<std::ops::Range<usize>> {
    let start = usize::try_from(offset).map_err(|_| Error::invalid("body", "too large"))?;
    let len = usize::try_from(len).map_err(|_| Error::invalid("body", "too large"))?;
    Ok(start..start + len)
}
