//! Reading request bodies: streamed into a blob while MD5 and CRC-64 are computed, with a size
//! limit and the "drop the connection after K bytes" fault.

use alioss::oss::crc64::Crc64;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use md5::Digest as _;

use crate::store::{Blob, BlobWriter};

/// A body that has been received completely.
#[derive(Debug)]
pub(crate) struct Ingested {
    pub(crate) blob: Blob,
    pub(crate) md5: [u8; 16],
    pub(crate) crc64: u64,
}

/// Why a body could not be received.
#[derive(Debug)]
pub(crate) enum IngestError {
    TooLarge,
    Io(std::io::Error),
    Client(hyper::Error),
}

/// Streams `body` into `writer`, hashing as it goes.
pub(crate) async fn ingest(
    body: &mut Incoming,
    mut writer: BlobWriter,
    limit: u64,
) -> Result<Ingested, IngestError> {
    let mut md5 = md5::Md5::new();
    let mut crc = Crc64::new();
    let mut total: u64 = 0;
    loop {
        let frame = match body.frame().await {
            None => break,
            Some(Ok(f)) => f,
            Some(Err(e)) => {
                writer.discard().await;
                return Err(IngestError::Client(e));
            }
        };
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        total += chunk.len() as u64;
        if total > limit {
            writer.discard().await;
            return Err(IngestError::TooLarge);
        }
        md5.update(&chunk);
        crc.update(&chunk);
        if let Err(e) = writer.write(chunk).await {
            writer.discard().await;
            return Err(IngestError::Io(e));
        }
    }
    let blob = writer.finish().await.map_err(IngestError::Io)?;
    Ok(Ingested {
        blob,
        md5: md5.finalize().into(),
        crc64: crc.value(),
    })
}

/// Reads a small body completely into memory (XML documents, forms), up to `limit` bytes.
pub(crate) async fn read_small(body: &mut Incoming, limit: usize) -> Result<Bytes, IngestError> {
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(IngestError::Client)?;
        if let Ok(chunk) = frame.into_data() {
            if out.len() + chunk.len() > limit {
                return Err(IngestError::TooLarge);
            }
            out.extend_from_slice(&chunk);
        }
    }
    Ok(Bytes::from(out))
}

/// Reads up to `after_bytes` of the body (for the drop-connection fault).
pub(crate) async fn drain(body: &mut Incoming, after_bytes: u64) {
    let mut total = 0u64;
    while total < after_bytes {
        match body.frame().await {
            Some(Ok(f)) => {
                if let Ok(d) = f.into_data() {
                    total += d.len() as u64;
                }
            }
            _ => break,
        }
    }
}
