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

/// Bodies at least this long (by `Content-Length`, or of unknown length) are hashed on a
/// blocking thread while they are received, so MD5 does not cap the upload rate.
const PIPELINE_THRESHOLD: u64 = 1024 * 1024;

/// Streams `body` into `writer`, computing MD5 (unless `md5` is false) and CRC-64 as it goes.
/// `expected_len` is the declared `Content-Length`, if any. Without MD5, `Ingested::md5` holds
/// the CRC-64 and the length instead (big-endian), a stand-in digest for ETags.
pub(crate) async fn ingest(
    body: &mut Incoming,
    writer: BlobWriter,
    limit: u64,
    expected_len: Option<u64>,
    md5: bool,
) -> Result<Ingested, IngestError> {
    if !md5 {
        return ingest_crc_only(body, writer, limit).await;
    }
    let mut writer = writer;
    let pipelined = expected_len.is_none_or(|n| n >= PIPELINE_THRESHOLD);
    let mut inline = (!pipelined).then(|| (md5::Md5::new(), Crc64::new()));
    let (tx, hasher) = if pipelined {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(64);
        let hasher = tokio::task::spawn_blocking(move || {
            let mut md5 = md5::Md5::new();
            let mut crc = Crc64::new();
            while let Some(chunk) = rx.blocking_recv() {
                md5.update(&chunk);
                crc.update(&chunk);
            }
            (<[u8; 16]>::from(md5.finalize()), crc.value())
        });
        (Some(tx), Some(hasher))
    } else {
        (None, None)
    };
    let mut total: u64 = 0;
    let failure = loop {
        let frame = match body.frame().await {
            None => break None,
            Some(Ok(f)) => f,
            Some(Err(e)) => break Some(IngestError::Client(e)),
        };
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        total += chunk.len() as u64;
        if total > limit {
            break Some(IngestError::TooLarge);
        }
        if let Some((md5, crc)) = &mut inline {
            md5.update(&chunk);
            crc.update(&chunk);
        }
        if let Some(tx) = &tx {
            if tx.send(chunk.clone()).await.is_err() {
                break Some(IngestError::Io(std::io::Error::other(
                    "hashing thread stopped",
                )));
            }
        }
        if let Err(e) = writer.write(chunk).await {
            break Some(IngestError::Io(e));
        }
    };
    drop(tx);
    let hashes = match hasher {
        Some(h) => h.await.ok(),
        None => inline.map(|(md5, crc)| (md5.finalize().into(), crc.value())),
    };
    if let Some(e) = failure {
        writer.discard().await;
        return Err(e);
    }
    let Some((md5, crc64)) = hashes else {
        writer.discard().await;
        return Err(IngestError::Io(std::io::Error::other("hashing failed")));
    };
    let blob = writer.finish().await.map_err(IngestError::Io)?;
    Ok(Ingested { blob, md5, crc64 })
}

/// [`ingest`] without MD5: CRC-64 runs inline (it is ~30 times faster than MD5).
async fn ingest_crc_only(
    body: &mut Incoming,
    mut writer: BlobWriter,
    limit: u64,
) -> Result<Ingested, IngestError> {
    let mut crc = Crc64::new();
    let failure = loop {
        let frame = match body.frame().await {
            None => break None,
            Some(Ok(f)) => f,
            Some(Err(e)) => break Some(IngestError::Client(e)),
        };
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        if crc.len() + chunk.len() as u64 > limit {
            break Some(IngestError::TooLarge);
        }
        crc.update(&chunk);
        if let Err(e) = writer.write(chunk).await {
            break Some(IngestError::Io(e));
        }
    };
    if let Some(e) = failure {
        writer.discard().await;
        return Err(e);
    }
    let mut digest = [0u8; 16];
    digest[..8].copy_from_slice(&crc.value().to_be_bytes());
    digest[8..].copy_from_slice(&crc.len().to_be_bytes());
    let blob = writer.finish().await.map_err(IngestError::Io)?;
    Ok(Ingested {
        blob,
        md5: digest,
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
