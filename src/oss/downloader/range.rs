//! One range of a download: a ranged GetObject (bound to the object's ETag with `If-Match`)
//! streamed into the temporary file at the range's offset. A connection dropped mid-stream is
//! resumed from the first byte not yet received, so nothing already written is fetched twice.

use std::io::SeekFrom;
use std::path::Path;

use futures_util::StreamExt;
use tokio::io::{AsyncSeekExt, AsyncWriteExt, BufWriter};

use crate::error::{Error, Result};
use crate::oss::client::Client;
use crate::oss::crc64::Crc64;

/// How much of a range is buffered before it is written to disk (less for smaller ranges).
pub(crate) const WRITE_BUFFER: usize = 1024 * 1024;
/// Progress is reported at least every this many bytes of a range.
const PROGRESS_STEP: u64 = 256 * 1024;

/// Which bytes to fetch and where they go.
pub(crate) struct RangeJob<'a> {
    pub(crate) client: &'a Client,
    pub(crate) bucket: &'a str,
    pub(crate) key: &'a str,
    pub(crate) etag: Option<&'a str>,
    pub(crate) temp: &'a Path,
    /// The range's index (for messages).
    pub(crate) index: u64,
    /// First byte of the range in the object (and the file).
    pub(crate) offset: u64,
    /// The range's length (at least 1).
    pub(crate) len: u64,
    /// How many times a dropped stream is resumed before the range fails.
    pub(crate) resumes: u32,
}

/// What fetching a range did.
pub(crate) struct RangeDone {
    pub(crate) index: u64,
    pub(crate) crc: u64,
    /// How many extra GETs a dropped stream needed.
    pub(crate) resumed: u32,
}

impl RangeJob<'_> {
    /// Fetches the range; `on_bytes(n)` is told of received bytes now and then.
    pub(crate) async fn run(&self, on_bytes: &(dyn Fn(u64) + Send + Sync)) -> Result<RangeDone> {
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .open(self.temp)
            .await?;
        let capacity = usize::try_from(self.len)
            .unwrap_or(WRITE_BUFFER)
            .clamp(1, WRITE_BUFFER);
        let mut out = BufWriter::with_capacity(capacity, file);
        let mut crc = Crc64::new();
        let mut received = 0u64;
        let mut resumed = 0u32;
        loop {
            match self
                .stream_from(received, &mut out, &mut crc, on_bytes)
                .await
            {
                Ok(()) => break,
                Err((e, got)) => {
                    received += got;
                    let retryable = matches!(e, Error::Transport { .. });
                    if !retryable || resumed >= self.resumes || received >= self.len {
                        // Keep what was received: written bytes are not recorded as a finished
                        // range, so they are fetched again by a later run anyway.
                        let _ = out.flush().await;
                        return Err(e);
                    }
                    resumed += 1;
                    tracing::debug!(
                        range = self.index,
                        received,
                        len = self.len,
                        "download range interrupted; resuming it"
                    );
                }
            }
        }
        out.flush().await?;
        Ok(RangeDone {
            index: self.index,
            crc: crc.value(),
            resumed,
        })
    }

    /// One GET of the bytes from `offset + from` to the end of the range. On failure, returns
    /// the error and how many bytes this attempt wrote (they count as received).
    async fn stream_from(
        &self,
        from: u64,
        out: &mut BufWriter<tokio::fs::File>,
        crc: &mut Crc64,
        on_bytes: &(dyn Fn(u64) + Send + Sync),
    ) -> std::result::Result<(), (Error, u64)> {
        let first = self.offset + from;
        let last = self.offset + self.len - 1;
        let want = self.len - from;
        let mut req = self
            .client
            .get_object(self.bucket, self.key)
            .range(first, last);
        if let Some(etag) = self.etag {
            req = req.if_match(etag);
        }
        let got = req.send().await.map_err(|e| (e, 0))?;
        if let Some(cr) = &got.content_range {
            if !cr.starts_with(&format!("bytes {first}-{last}/")) {
                return Err((
                    Error::Response(format!(
                        "asked for bytes {first}-{last}, the server sent {cr}"
                    )),
                    0,
                ));
            }
        }
        if got.content_length.is_some_and(|l| l != want) {
            return Err((
                Error::Response(format!(
                    "asked for {want} bytes of range {}, the server sent {:?}",
                    self.index, got.content_length
                )),
                0,
            ));
        }
        out.flush().await.map_err(|e| (e.into(), 0))?;
        out.get_mut()
            .seek(SeekFrom::Start(first))
            .await
            .map_err(|e| (e.into(), 0))?;
        let mut body = std::pin::pin!(got.into_stream());
        let mut written = 0u64;
        let mut unreported = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    on_bytes(unreported);
                    return Err((e, written));
                }
            };
            let n = chunk.len() as u64;
            if written + n > want {
                return Err((
                    Error::Response(format!(
                        "range {} is longer than the {want} bytes asked for",
                        self.index
                    )),
                    written,
                ));
            }
            out.write_all(&chunk)
                .await
                .map_err(|e| (e.into(), written))?;
            crc.update(&chunk);
            written += n;
            unreported += n;
            if unreported >= PROGRESS_STEP {
                on_bytes(unreported);
                unreported = 0;
            }
        }
        on_bytes(unreported);
        if written < want {
            return Err((
                Error::transport(
                    format!("range {} ended after {written} of {want} bytes", self.index),
                    false,
                    false,
                ),
                written,
            ));
        }
        Ok(())
    }
}
