//! Object storage: in memory (default) or in a directory that survives restarts.
//!
//! Object data lives in *blobs*: lists of segments, each either a list of in-memory chunks or a
//! file under `<data-dir>/data/` named by a random id (never by the object key, so no key can
//! name a path). Metadata lives in `<data-dir>/meta/<bucket>/<sha256(key)>.json`. Writers stream
//! into a fresh segment, then swap the whole object in under the index lock, so concurrent
//! writers to one key leave exactly one complete object.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// A file holding part of an object's data; removed when the last reference goes away, unless
/// the store is shutting down (then it stays for the next start).
#[derive(Debug)]
pub(crate) struct FileSegment {
    path: PathBuf,
    name: String,
    len: u64,
    keep: Arc<AtomicBool>,
}

impl Drop for FileSegment {
    fn drop(&mut self) {
        if !self.keep.load(Ordering::SeqCst) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// One piece of an object's data.
#[derive(Debug, Clone)]
pub(crate) enum Segment {
    Memory(Arc<Vec<Bytes>>, u64),
    File(Arc<FileSegment>),
}

impl Segment {
    fn len(&self) -> u64 {
        match self {
            Segment::Memory(_, l) => *l,
            Segment::File(f) => f.len,
        }
    }
}

/// An object's data: segments in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Blob {
    segments: Vec<Segment>,
    len: u64,
}

impl Blob {
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// This blob followed by `other` (no data is copied).
    pub(crate) fn concat(&self, other: &Blob) -> Blob {
        let mut segments = self.segments.clone();
        segments.extend(other.segments.iter().cloned());
        Blob {
            segments,
            len: self.len + other.len,
        }
    }

    /// Streams bytes `start..end` of the blob.
    pub(crate) fn stream(
        &self,
        start: u64,
        end: u64,
    ) -> impl futures_util::Stream<Item = io::Result<Bytes>> + Send + 'static {
        struct State {
            segments: Vec<Segment>,
            idx: usize,
            pos: u64,
            end: u64,
            seg_start: u64,
            chunk_idx: usize,
            chunk_start: u64,
            file: Option<tokio::fs::File>,
        }
        let state = State {
            segments: self.segments.clone(),
            idx: 0,
            pos: start,
            end: end.min(self.len),
            seg_start: 0,
            chunk_idx: 0,
            chunk_start: 0,
            file: None,
        };
        futures_util::stream::unfold(state, |mut st| async move {
            loop {
                if st.pos >= st.end || st.idx >= st.segments.len() {
                    return None;
                }
                let seg = st.segments[st.idx].clone();
                let seg_end = st.seg_start + seg.len();
                if st.pos >= seg_end {
                    st.idx += 1;
                    st.seg_start = seg_end;
                    st.chunk_idx = 0;
                    st.chunk_start = 0;
                    st.file = None;
                    continue;
                }
                let stop = st.end.min(seg_end);
                match &seg {
                    Segment::Memory(chunks, _) => {
                        let Some(chunk) = chunks.get(st.chunk_idx) else {
                            st.pos = seg_end;
                            continue;
                        };
                        let c_start = st.seg_start + st.chunk_start;
                        let c_end = c_start + chunk.len() as u64;
                        if st.pos >= c_end {
                            st.chunk_idx += 1;
                            st.chunk_start += chunk.len() as u64;
                            continue;
                        }
                        let from = (st.pos - c_start) as usize;
                        let to = (stop.min(c_end) - c_start) as usize;
                        st.pos = c_start + to as u64;
                        return Some((Ok(chunk.slice(from..to)), st));
                    }
                    Segment::File(f) => {
                        if st.file.is_none() {
                            let opened = async {
                                let mut file = tokio::fs::File::open(&f.path).await?;
                                file.seek(io::SeekFrom::Start(st.pos - st.seg_start))
                                    .await?;
                                Ok::<_, io::Error>(file)
                            }
                            .await;
                            match opened {
                                Ok(file) => st.file = Some(file),
                                Err(e) => {
                                    st.pos = st.end;
                                    return Some((Err(e), st));
                                }
                            }
                        }
                        let want = (stop - st.pos).min(256 * 1024) as usize;
                        let mut buf = vec![0u8; want];
                        let file = st.file.as_mut()?;
                        match file.read(&mut buf).await {
                            Ok(0) => {
                                st.pos = st.end;
                                return Some((
                                    Err(io::Error::new(
                                        io::ErrorKind::UnexpectedEof,
                                        "object data file is shorter than its metadata",
                                    )),
                                    st,
                                ));
                            }
                            Ok(n) => {
                                buf.truncate(n);
                                st.pos += n as u64;
                                return Some((Ok(Bytes::from(buf)), st));
                            }
                            Err(e) => {
                                st.pos = st.end;
                                return Some((Err(e), st));
                            }
                        }
                    }
                }
            }
        })
    }
}

/// Where a new segment is being written.
pub(crate) enum BlobWriter {
    Memory(Vec<Bytes>, u64),
    File {
        file: tokio::io::BufWriter<tokio::fs::File>,
        path: PathBuf,
        name: String,
        len: u64,
        keep: Arc<AtomicBool>,
    },
}

impl BlobWriter {
    pub(crate) async fn write(&mut self, chunk: Bytes) -> io::Result<()> {
        match self {
            BlobWriter::Memory(chunks, len) => {
                *len += chunk.len() as u64;
                if !chunk.is_empty() {
                    chunks.push(chunk);
                }
                Ok(())
            }
            BlobWriter::File { file, len, .. } => {
                *len += chunk.len() as u64;
                file.write_all(&chunk).await
            }
        }
    }

    pub(crate) async fn finish(self) -> io::Result<Blob> {
        match self {
            BlobWriter::Memory(chunks, len) => Ok(Blob {
                segments: if len == 0 {
                    Vec::new()
                } else {
                    vec![Segment::Memory(Arc::new(chunks), len)]
                },
                len,
            }),
            BlobWriter::File {
                mut file,
                path,
                name,
                len,
                keep,
            } => {
                file.flush().await?;
                let seg = Arc::new(FileSegment {
                    path,
                    name,
                    len,
                    keep,
                });
                Ok(Blob {
                    segments: if len == 0 {
                        Vec::new()
                    } else {
                        vec![Segment::File(seg)]
                    },
                    len,
                })
            }
        }
    }

    /// Throws the partial data away.
    pub(crate) async fn discard(self) {
        if let BlobWriter::File { file, path, .. } = self {
            drop(file);
            let _ = tokio::fs::remove_file(&path).await;
        }
    }
}

/// How an object was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ObjectType {
    Normal,
    Appendable,
    Multipart,
}

impl ObjectType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ObjectType::Normal => "Normal",
            ObjectType::Appendable => "Appendable",
            ObjectType::Multipart => "Multipart",
        }
    }
}

/// Everything stored about an object besides its data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ObjectMeta {
    pub(crate) key: String,
    pub(crate) size: u64,
    pub(crate) etag: String,
    pub(crate) crc64: u64,
    pub(crate) content_type: String,
    pub(crate) last_modified: i64,
    pub(crate) object_type: ObjectType,
    pub(crate) storage_class: String,
    pub(crate) acl: String,
    pub(crate) user_meta: Vec<(String, String)>,
    pub(crate) tagging: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) content_md5: Option<String>,
}

/// An object: metadata and data.
#[derive(Debug)]
pub(crate) struct StoredObject {
    pub(crate) meta: ObjectMeta,
    pub(crate) blob: Blob,
}

#[derive(Serialize, Deserialize)]
struct PersistedObject {
    meta: ObjectMeta,
    segments: Vec<(String, u64)>,
}

/// A multipart upload in progress.
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    pub(crate) upload_id: String,
    pub(crate) bucket: String,
    pub(crate) key: String,
    pub(crate) initiated: i64,
    pub(crate) template: ObjectMeta,
    pub(crate) parts: BTreeMap<u32, Part>,
}

/// An uploaded part.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    pub(crate) etag: String,
    pub(crate) md5: [u8; 16],
    pub(crate) crc64: u64,
    pub(crate) last_modified: i64,
    pub(crate) blob: Blob,
}

/// Why a conditional write did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WriteConflict {
    /// `x-oss-forbid-overwrite: true` and the key exists.
    Exists,
    /// An append whose position is not the object's length (carries the length).
    Position(u64),
    /// An append to an object that is not appendable.
    NotAppendable,
}

/// What must hold for a write to go through.
#[derive(Debug, Clone, Copy)]
pub(crate) enum WriteCondition {
    None,
    ForbidOverwrite,
    AppendAt(u64),
}

type Index = HashMap<String, BTreeMap<String, Arc<StoredObject>>>;

/// The object store.
pub(crate) struct Store {
    dir: Option<PathBuf>,
    keep: Arc<AtomicBool>,
    index: tokio::sync::Mutex<Index>,
    pub(crate) uploads: Mutex<HashMap<String, Upload>>,
}

impl Drop for Store {
    fn drop(&mut self) {
        // Files of live objects must outlive the process; dropping the index must not remove them.
        if self.dir.is_some() {
            self.keep.store(true, Ordering::SeqCst);
        }
    }
}

fn key_hash(key: &str) -> String {
    hex::encode(sha2::Sha256::digest(key.as_bytes()))
}

impl Store {
    /// Opens the store; with a directory, loads the objects persisted there.
    pub(crate) async fn open(dir: Option<PathBuf>, buckets: &[String]) -> io::Result<Self> {
        let keep = Arc::new(AtomicBool::new(false));
        let mut index: Index = buckets
            .iter()
            .map(|b| (b.clone(), BTreeMap::new()))
            .collect();
        if let Some(dir) = &dir {
            tokio::fs::create_dir_all(dir.join("data")).await?;
            tokio::fs::create_dir_all(dir.join("tmp")).await?;
            let mut referenced = std::collections::HashSet::new();
            for b in buckets {
                let meta_dir = dir.join("meta").join(b);
                tokio::fs::create_dir_all(&meta_dir).await?;
                let mut rd = tokio::fs::read_dir(&meta_dir).await?;
                while let Some(entry) = rd.next_entry().await? {
                    let path = entry.path();
                    if path.extension().and_then(|e| e.to_str()) != Some("json") {
                        let _ = tokio::fs::remove_file(&path).await;
                        continue;
                    }
                    let Ok(text) = tokio::fs::read(&path).await else {
                        continue;
                    };
                    let Ok(p) = serde_json::from_slice::<PersistedObject>(&text) else {
                        tracing::warn!(path = %path.display(), "skipping unreadable object metadata");
                        continue;
                    };
                    let mut segments = Vec::new();
                    let mut len = 0;
                    for (name, seg_len) in &p.segments {
                        if !is_safe_file_name(name) {
                            continue;
                        }
                        referenced.insert(name.clone());
                        len += seg_len;
                        segments.push(Segment::File(Arc::new(FileSegment {
                            path: dir.join("data").join(name),
                            name: name.clone(),
                            len: *seg_len,
                            keep: keep.clone(),
                        })));
                    }
                    let obj = StoredObject {
                        blob: Blob { segments, len },
                        meta: p.meta,
                    };
                    if let Some(m) = index.get_mut(b) {
                        m.insert(obj.meta.key.clone(), Arc::new(obj));
                    }
                }
            }
            // Data files no object refers to (aborted uploads, crashed writes) are garbage.
            let mut rd = tokio::fs::read_dir(dir.join("data")).await?;
            while let Some(entry) = rd.next_entry().await? {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !referenced.contains(&name) {
                    let _ = tokio::fs::remove_file(entry.path()).await;
                }
            }
            let mut rd = tokio::fs::read_dir(dir.join("tmp")).await?;
            while let Some(entry) = rd.next_entry().await? {
                let _ = tokio::fs::remove_file(entry.path()).await;
            }
        }
        Ok(Self {
            dir,
            keep,
            index: tokio::sync::Mutex::new(index),
            uploads: Mutex::new(HashMap::new()),
        })
    }

    /// A writer for a new segment.
    pub(crate) async fn writer(&self) -> io::Result<BlobWriter> {
        match &self.dir {
            None => Ok(BlobWriter::Memory(Vec::new(), 0)),
            Some(dir) => {
                let name = format!("{}.data", uuid::Uuid::new_v4().simple());
                let path = dir.join("data").join(&name);
                let file = tokio::fs::File::create(&path).await?;
                Ok(BlobWriter::File {
                    file: tokio::io::BufWriter::with_capacity(256 * 1024, file),
                    path,
                    name,
                    len: 0,
                    keep: self.keep.clone(),
                })
            }
        }
    }

    pub(crate) async fn get(&self, bucket: &str, key: &str) -> Option<Arc<StoredObject>> {
        self.index.lock().await.get(bucket)?.get(key).cloned()
    }

    async fn persist(&self, bucket: &str, obj: &StoredObject) -> io::Result<()> {
        let Some(dir) = &self.dir else { return Ok(()) };
        let segments = obj
            .blob
            .segments
            .iter()
            .filter_map(|s| match s {
                Segment::File(f) => Some((f.name.clone(), f.len)),
                Segment::Memory(..) => None,
            })
            .collect();
        let body = serde_json::to_vec(&PersistedObject {
            meta: obj.meta.clone(),
            segments,
        })
        .map_err(io::Error::other)?;
        let final_path = dir
            .join("meta")
            .join(bucket)
            .join(format!("{}.json", key_hash(&obj.meta.key)));
        let tmp = dir
            .join("tmp")
            .join(format!("{}.json", uuid::Uuid::new_v4().simple()));
        let mut f = tokio::fs::File::create(&tmp).await?;
        f.write_all(&body).await?;
        f.flush().await?;
        drop(f);
        tokio::fs::rename(&tmp, &final_path).await
    }

    /// Stores an object if `cond` holds; the data of an append is `existing ++ blob`.
    /// `make` builds the metadata from the previous object (if any) and the resulting blob.
    pub(crate) async fn write<F>(
        &self,
        bucket: &str,
        key: &str,
        blob: Blob,
        cond: WriteCondition,
        make: F,
    ) -> io::Result<Result<Arc<StoredObject>, WriteConflict>>
    where
        F: FnOnce(Option<&StoredObject>, &Blob) -> ObjectMeta,
    {
        let mut index = self.index.lock().await;
        let Some(objects) = index.get_mut(bucket) else {
            return Err(io::Error::new(io::ErrorKind::NotFound, "no such bucket"));
        };
        let existing = objects.get(key).cloned();
        let data = match (cond, &existing) {
            (WriteCondition::ForbidOverwrite, Some(_)) => return Ok(Err(WriteConflict::Exists)),
            (WriteCondition::AppendAt(pos), Some(e)) => {
                if e.meta.object_type != ObjectType::Appendable {
                    return Ok(Err(WriteConflict::NotAppendable));
                }
                if e.meta.size != pos {
                    return Ok(Err(WriteConflict::Position(e.meta.size)));
                }
                e.blob.concat(&blob)
            }
            (WriteCondition::AppendAt(pos), None) => {
                if pos != 0 {
                    return Ok(Err(WriteConflict::Position(0)));
                }
                blob
            }
            _ => blob,
        };
        let meta = make(existing.as_deref(), &data);
        let obj = Arc::new(StoredObject { meta, blob: data });
        self.persist(bucket, &obj).await?;
        objects.insert(key.to_owned(), obj.clone());
        Ok(Ok(obj))
    }

    /// Changes an existing object's metadata in place (its data stays); `None` when the object
    /// does not exist.
    pub(crate) async fn update_meta(
        &self,
        bucket: &str,
        key: &str,
        change: impl FnOnce(&mut ObjectMeta),
    ) -> io::Result<Option<Arc<StoredObject>>> {
        let mut index = self.index.lock().await;
        let Some(objects) = index.get_mut(bucket) else {
            return Ok(None);
        };
        let Some(existing) = objects.get(key) else {
            return Ok(None);
        };
        let mut meta = existing.meta.clone();
        change(&mut meta);
        let obj = Arc::new(StoredObject {
            meta,
            blob: existing.blob.clone(),
        });
        self.persist(bucket, &obj).await?;
        objects.insert(key.to_owned(), obj.clone());
        Ok(Some(obj))
    }

    /// Removes an object; true when it existed.
    pub(crate) async fn delete(&self, bucket: &str, key: &str) -> io::Result<bool> {
        let mut index = self.index.lock().await;
        let Some(objects) = index.get_mut(bucket) else {
            return Ok(false);
        };
        let existed = objects.remove(key).is_some();
        if existed {
            if let Some(dir) = &self.dir {
                let path = dir
                    .join("meta")
                    .join(bucket)
                    .join(format!("{}.json", key_hash(key)));
                let _ = tokio::fs::remove_file(path).await;
            }
        }
        Ok(existed)
    }

    /// Runs `f` over the bucket's sorted key → object map.
    pub(crate) async fn with_bucket<R>(
        &self,
        bucket: &str,
        f: impl FnOnce(&BTreeMap<String, Arc<StoredObject>>) -> R,
    ) -> Option<R> {
        let index = self.index.lock().await;
        index.get(bucket).map(f)
    }

    /// The data directory, if any.
    pub(crate) fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }
}

fn is_safe_file_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
        && !name.starts_with('.')
}
