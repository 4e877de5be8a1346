//! Request bodies.
//!
//! A [`Body`] is one of:
//! * bytes in memory ([`Bytes`], `Vec<u8>`, `String`, `&'static str`) — replayable;
//! * a file, or a range of one, streamed from disk in 64 KiB chunks, never read whole into
//!   memory — replayable (the file is reopened for every attempt);
//! * an async stream of known length — **not replayable**: a request with such a body is sent
//!   once and never retried.

use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use futures_util::stream::{self, Stream, StreamExt};
use md5::{Digest, Md5};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::error::{Error, Result};
use crate::oss::crc64::Crc64;

const CHUNK: usize = 512 * 1024;

type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// The body of an upload.
pub struct Body {
    inner: Inner,
}

enum Inner {
    Bytes(Bytes),
    File {
        path: PathBuf,
        offset: u64,
        len: u64,
    },
    Stream {
        len: u64,
        stream: Mutex<Option<ByteStream>>,
    },
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Bytes(b) => f.debug_struct("Body").field("bytes", &b.len()).finish(),
            Inner::File { path, offset, len } => f
                .debug_struct("Body")
                .field("path", path)
                .field("offset", offset)
                .field("len", len)
                .finish(),
            Inner::Stream { len, .. } => f.debug_struct("Body").field("stream_len", len).finish(),
        }
    }
}

impl Default for Body {
    fn default() -> Self {
        Self::empty()
    }
}

impl Body {
    /// No bytes.
    pub fn empty() -> Self {
        Self::from_bytes(Bytes::new())
    }

    /// Bytes in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        Self {
            inner: Inner::Bytes(bytes.into()),
        }
    }

    /// The whole file at `path`, streamed from disk (its length is read now).
    ///
    /// # Errors
    ///
    /// [`Error::Io`](crate::Error::Io) when the file cannot be opened or its size read.
    pub async fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let meta = tokio::fs::metadata(&path).await?;
        if !meta.is_file() {
            return Err(Error::invalid("body", "the path is not a regular file"));
        }
        Ok(Self {
            inner: Inner::File {
                path,
                offset: 0,
                len: meta.len(),
            },
        })
    }

    /// `len` bytes of the file at `path` from `offset` (a multipart part), streamed from disk.
    ///
    /// # Errors
    ///
    /// [`Error::Io`](crate::Error::Io) when the file cannot be opened;
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) when the range reaches past its end.
    pub async fn from_file_range(path: impl AsRef<Path>, offset: u64, len: u64) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let meta = tokio::fs::metadata(&path).await?;
        if !meta.is_file() {
            return Err(Error::invalid("body", "the path is not a regular file"));
        }
        if offset.checked_add(len).is_none_or(|end| end > meta.len()) {
            return Err(Error::invalid(
                "body",
                format!(
                    "range {offset}+{len} goes past the end of the file ({} bytes)",
                    meta.len()
                ),
            ));
        }
        Ok(Self {
            inner: Inner::File { path, offset, len },
        })
    }

    /// An async stream that yields exactly `len` bytes.
    ///
    /// Such a body can be sent only once: a request with it is **never retried**, and it cannot
    /// carry a Content-MD5. Yielding more or fewer than `len` bytes fails the request.
    pub fn from_stream<S>(len: u64, stream: S) -> Self
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    {
        Self {
            inner: Inner::Stream {
                len,
                stream: Mutex::new(Some(Box::pin(stream))),
            },
        }
    }

    /// The body's length in bytes.
    pub fn len(&self) -> u64 {
        match &self.inner {
            Inner::Bytes(b) => b.len() as u64,
            Inner::File { len, .. } | Inner::Stream { len, .. } => *len,
        }
    }

    /// Whether the body has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the body can be sent again (for a retry): bytes and files can, streams cannot.
    pub fn is_replayable(&self) -> bool {
        !matches!(self.inner, Inner::Stream { .. })
    }

    /// base64 of the body's MD5 (reads a file once more; refused for streams).
    pub(crate) async fn content_md5(&self) -> Result<String> {
        let mut md5 = Md5::new();
        match &self.inner {
            Inner::Bytes(b) => md5.update(b),
            Inner::File { .. } => {
                let mut s = self.file_stream()?;
                while let Some(chunk) = s.next().await {
                    md5.update(&chunk?);
                }
            }
            Inner::Stream { .. } => {
                return Err(Error::invalid(
                    "content_md5",
                    "needs a body that can be read twice (bytes or a file), not a stream",
                ))
            }
        }
        Ok(base64::engine::general_purpose::STANDARD.encode(md5.finalize()))
    }

    fn file_stream(&self) -> Result<ByteStream> {
        let Inner::File { path, offset, len } = &self.inner else {
            return Err(Error::Response("not a file body".into()));
        };
        let (path, offset, len) = (path.clone(), *offset, *len);
        let opened = stream::once(async move {
            let mut file = tokio::fs::File::open(&path).await?;
            file.seek(std::io::SeekFrom::Start(offset)).await?;
            Ok::<_, std::io::Error>(file.take(len))
        });
        let chunks = opened
            .map(|r| match r {
                Ok(reader) => stream::try_unfold(reader, |mut reader| async move {
                    let mut buf = BytesMut::with_capacity(CHUNK);
                    let n = reader.read_buf(&mut buf).await?;
                    if n == 0 {
                        Ok(None)
                    } else {
                        Ok(Some((buf.freeze(), reader)))
                    }
                })
                .boxed(),
                Err(e) => stream::once(async move { Err(e) }).boxed(),
            })
            .flatten();
        Ok(Box::pin(chunks))
    }

    /// The body for one attempt, with its CRC-64 computed as it streams into `crc`. Fails if a
    /// stream body was already sent.
    pub(crate) fn for_attempt(&self, crc: Arc<Mutex<Crc64>>) -> Result<reqwest::Body> {
        let len = self.len();
        let source: ByteStream = match &self.inner {
            Inner::Bytes(b) => {
                let mut c = crc.lock().unwrap_or_else(|p| p.into_inner());
                *c = Crc64::new();
                c.update(b);
                return Ok(reqwest::Body::from(b.clone()));
            }
            Inner::File { .. } => self.file_stream()?,
            Inner::Stream { stream, .. } => stream
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take()
                .ok_or_else(|| {
                    Error::invalid(
                        "body",
                        "a stream body can be sent only once and was already sent",
                    )
                })?,
        };
        *crc.lock().unwrap_or_else(|p| p.into_inner()) = Crc64::new();
        let counted = stream::try_unfold(
            (source, 0u64, crc),
            move |(mut source, seen, crc)| async move {
                match source.next().await {
                    Some(Ok(chunk)) => {
                        let seen = seen + chunk.len() as u64;
                        if seen > len {
                            return Err(std::io::Error::other(format!(
                                "the body yielded more than its declared {len} bytes"
                            )));
                        }
                        crc.lock().unwrap_or_else(|p| p.into_inner()).update(&chunk);
                        Ok(Some((chunk, (source, seen, crc))))
                    }
                    Some(Err(e)) => Err(e),
                    None if seen != len => Err(std::io::Error::other(format!(
                        "the body ended after {seen} of its declared {len} bytes"
                    ))),
                    None => Ok(None),
                }
            },
        );
        Ok(reqwest::Body::wrap_stream(counted))
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Self::from_bytes(b)
    }
}

impl From<Vec<u8>> for Body {
    fn from(b: Vec<u8>) -> Self {
        Self::from_bytes(b)
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Self::from_bytes(s)
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Self::from_bytes(s)
    }
}

impl From<&'static [u8]> for Body {
    fn from(s: &'static [u8]) -> Self {
        Self::from_bytes(s)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;
    use crate::oss::crc64;

    async fn drain(body: reqwest::Body) -> Vec<u8> {
        use http_body_util::BodyExt as _;
        body.collect().await.unwrap().to_bytes().to_vec()
    }

    #[tokio::test]
    async fn file_bodies_replay_and_stream_the_range() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        f.write_all(&data).unwrap();
        let body = Body::from_file_range(f.path(), 1000, 150_000)
            .await
            .unwrap();
        assert!(body.is_replayable());
        for _ in 0..2 {
            let crc = Arc::new(Mutex::new(Crc64::new()));
            let sent = drain(body.for_attempt(crc.clone()).unwrap()).await;
            assert_eq!(sent, &data[1000..151_000]);
            assert_eq!(crc.lock().unwrap().value(), crc64::checksum(&sent));
        }
        assert!(Body::from_file_range(f.path(), 100_000, 100_001)
            .await
            .is_err());
    }

    #[tokio::test]
    async fn stream_bodies_are_sent_once() {
        let chunks = vec![
            Ok(Bytes::from_static(b"hello ")),
            Ok(Bytes::from_static(b"world")),
        ];
        let body = Body::from_stream(11, stream::iter(chunks));
        assert!(!body.is_replayable());
        let crc = Arc::new(Mutex::new(Crc64::new()));
        assert_eq!(
            drain(body.for_attempt(crc.clone()).unwrap()).await,
            b"hello world"
        );
        assert_eq!(crc.lock().unwrap().value(), crc64::checksum(b"hello world"));
        let again = body.for_attempt(crc).unwrap_err();
        assert_eq!(again.as_invalid_input().unwrap().field(), "body");
    }

    #[tokio::test]
    async fn md5_of_bytes_and_refusal_for_streams() {
        let b = Body::from("");
        assert_eq!(b.content_md5().await.unwrap(), "1B2M2Y8AsgTpgAmY7PhCfg==");
        let s = Body::from_stream(0, stream::empty());
        assert!(s.content_md5().await.is_err());
    }
}
