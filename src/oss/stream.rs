//! The streams and readers handed to users: boxed, so they are `Unpin` and have a name.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::stream::{Stream, StreamExt};
use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};
use tokio_util::io::StreamReader;

use crate::error::{Error, Result};

/// A boxed stream of results: `Send`, `Unpin` and `'static`, so it can be stored in a struct,
/// polled with `.next()` without pinning, and moved between tasks.
pub type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T>> + Send + 'static>>;

/// A download as [`AsyncRead`] (and [`AsyncBufRead`]), from
/// [`GetObjectOutput::into_async_read`](crate::oss::GetObjectOutput::into_async_read).
///
/// Read errors are [`io::Error`]s whose inner error is the [`alioss::Error`](crate::Error)
/// (reach it with `get_ref()` and `downcast_ref`); a CRC-64 mismatch found at the end of a
/// whole-object read is of kind [`io::ErrorKind::InvalidData`].
pub struct ObjectReader {
    inner: StreamReader<Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>, Bytes>,
}

impl std::fmt::Debug for ObjectReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectReader").finish_non_exhaustive()
    }
}

impl ObjectReader {
    pub(crate) fn new(stream: BoxStream<Bytes>) -> Self {
        let io_stream = stream.map(|item| item.map_err(into_io_error));
        Self {
            inner: StreamReader::new(Box::pin(io_stream)),
        }
    }
}

fn into_io_error(e: Error) -> io::Error {
    match e {
        Error::Io(io) => io,
        e @ Error::Integrity { .. } => io::Error::new(io::ErrorKind::InvalidData, e),
        e => io::Error::other(e),
    }
}

impl AsyncRead for ObjectReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncBufRead for ObjectReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        Pin::new(&mut self.get_mut().inner).poll_fill_buf(cx)
    }

    fn consume(mut self: Pin<&mut Self>, amt: usize) {
        Pin::new(&mut self.inner).consume(amt)
    }
}
