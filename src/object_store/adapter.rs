//! The store, written once and compiled for each `object_store` major: the including module
//! names the crate `os` and provides `put_result`, `get_result`, `list_result` and the
//! `only_0_14!` macro for what differs between majors.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt as _, TryStreamExt as _};
use time::OffsetDateTime;

use super::os;
use super::{get_result, list_result, put_result};
use crate::credentials::{EnvironmentCredentialsProvider, EnvironmentSource};
use crate::oss::{Client, CompletedPart, StorageClass, WithObjectOptions as _};
use crate::ErrorKind;
use os::path::Path;

/// The name errors give for this store.
const STORE: &str = "OSS";

/// DeleteMultipleObjects requests `delete_stream` runs at once.
const DELETE_CONCURRENCY: usize = 4;

/// A store for one OSS bucket, optionally under a key prefix.
///
/// Cheap to clone (the [`Client`] is shared). Paths are keys relative to the prefix.
#[derive(Debug, Clone)]
pub struct OssStore {
    client: Client,
    bucket: String,
    /// Empty, or the prefix with one trailing `/`.
    prefix: String,
}

impl fmt::Display for OssStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OssStore(oss://{}/{})", self.bucket, self.prefix)
    }
}

impl OssStore {
    /// A store for `bucket` through `client` (so with any credentials provider the client
    /// was built with, such as the refreshing `AssumeRoleCredentialsProvider`).
    ///
    /// # Errors
    ///
    /// An invalid bucket name.
    pub fn new(client: Client, bucket: impl Into<String>) -> crate::error::Result<Self> {
        let bucket = bucket.into();
        crate::oss::validation::bucket(&bucket)?;
        Ok(Self {
            client,
            bucket,
            prefix: String::new(),
        })
    }

    /// The same store with every path under `prefix` (leading and trailing `/` ignored).
    ///
    /// # Errors
    ///
    /// A prefix that is not a valid object_store path (empty segments, `.` or `..`).
    pub fn with_prefix(mut self, prefix: &str) -> crate::error::Result<Self> {
        let trimmed = prefix.trim_matches('/');
        if trimmed.is_empty() {
            self.prefix.clear();
            return Ok(self);
        }
        Path::parse(trimmed)
            .map_err(|e| crate::Error::invalid("prefix", format!("not a valid path: {e}")))?;
        self.prefix = format!("{trimmed}/");
        Ok(self)
    }

    /// A store for `oss://bucket[/prefix]` through `client`.
    ///
    /// # Errors
    ///
    /// A URL that is not `oss://bucket[/prefix]`, an invalid bucket or prefix.
    pub fn from_url_with_client(url: &str, client: Client) -> crate::error::Result<Self> {
        let rest = url.strip_prefix("oss://").ok_or_else(|| {
            crate::Error::invalid("url", "must have the form oss://bucket[/prefix]")
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        Self::new(client, bucket)?.with_prefix(prefix)
    }

    /// A store for `oss://bucket[/prefix]` configured from the official environment
    /// variables: `OSS_REGION` (required unless `OSS_ENDPOINT` names a standard regional
    /// endpoint), `OSS_ENDPOINT` (optional), and credentials from `OSS_ACCESS_KEY_ID`,
    /// `OSS_ACCESS_KEY_SECRET`, `OSS_SESSION_TOKEN` (or their `ALIBABA_CLOUD_*` forms).
    ///
    /// # Errors
    ///
    /// As [`from_url_with_client`](Self::from_url_with_client), and a client that cannot be
    /// built (no region).
    pub fn from_url(url: &str) -> crate::error::Result<Self> {
        Self::from_url_with_env(url, EnvironmentSource::process())
    }

    /// [`from_url`](Self::from_url) reading variables from `env` (a map in tests).
    ///
    /// # Errors
    ///
    /// As [`from_url`](Self::from_url).
    pub fn from_url_with_env(url: &str, env: EnvironmentSource) -> crate::error::Result<Self> {
        let mut builder =
            Client::builder().credentials(EnvironmentCredentialsProvider::with_source(env.clone()));
        if let Some(region) = env.get("OSS_REGION") {
            builder = builder.region(region);
        }
        if let Some(endpoint) = env.get("OSS_ENDPOINT") {
            builder = builder.endpoint(endpoint);
        }
        Self::from_url_with_client(url, builder.build()?)
    }

    /// The client requests go through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The key prefix: empty, or ending with `/`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn key(&self, location: &Path) -> String {
        format!("{}{}", self.prefix, location.as_ref())
    }

    /// The key prefix that lists the "directory" `prefix` (`a/b` → `<prefix>a/b/`).
    fn dir_prefix(&self, prefix: Option<&Path>) -> String {
        match prefix.map(|p| p.as_ref()).filter(|p| !p.is_empty()) {
            Some(p) => format!("{}{p}/", self.prefix),
            None => self.prefix.clone(),
        }
    }
}

/// The path of `key` below `prefix`.
fn path_of(prefix: &str, key: &str) -> os::Result<Path> {
    let rel = key.strip_prefix(prefix).unwrap_or(key);
    Ok(Path::parse(rel)?)
}

fn to_chrono(t: Option<OffsetDateTime>) -> DateTime<Utc> {
    t.and_then(|t| DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond()))
        .unwrap_or_default()
}

fn to_time(t: DateTime<Utc>) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t.timestamp()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Maps an alioss error onto object_store's by its [`ErrorKind`], keeping it (with its hint)
/// as the source.
fn map_error(e: crate::Error, path: &str) -> os::Error {
    let kind = e.kind();
    kind_error(kind, Box::new(e), path)
}

fn kind_error(
    kind: ErrorKind,
    source: Box<dyn std::error::Error + Send + Sync>,
    path: &str,
) -> os::Error {
    let path = path.to_owned();
    match kind {
        ErrorKind::NotFound => os::Error::NotFound { path, source },
        ErrorKind::AlreadyExists => os::Error::AlreadyExists { path, source },
        ErrorKind::PreconditionFailed => os::Error::Precondition { path, source },
        ErrorKind::NotModified => os::Error::NotModified { path, source },
        ErrorKind::AccessDenied => os::Error::PermissionDenied { path, source },
        ErrorKind::CredentialsExpired
        | ErrorKind::CredentialsInvalid
        | ErrorKind::CredentialsUnavailable
        | ErrorKind::SignatureMismatch => os::Error::Unauthenticated { path, source },
        _ => os::Error::Generic {
            store: STORE,
            source,
        },
    }
}

fn generic(message: String) -> os::Error {
    os::Error::Generic {
        store: STORE,
        source: message.into(),
    }
}

fn storage_class(value: &str) -> os::Result<StorageClass> {
    Ok(match value {
        "Standard" | "STANDARD" => StorageClass::Standard,
        "IA" => StorageClass::InfrequentAccess,
        "Archive" => StorageClass::Archive,
        "ColdArchive" => StorageClass::ColdArchive,
        "DeepColdArchive" => StorageClass::DeepColdArchive,
        other => {
            return Err(generic(format!(
                "storage class {other:?} is not one of Standard, IA, Archive, ColdArchive, DeepColdArchive"
            )))
        }
    })
}

/// Applies object_store attributes and tags to a builder with the object option setters.
macro_rules! apply_attributes {
    ($req:expr, $attributes:expr, $tags:expr) => {{
        let mut req = $req;
        for (attribute, value) in $attributes.iter() {
            let v: &str = value.as_ref();
            req = match attribute {
                os::Attribute::ContentType => req.content_type(v),
                os::Attribute::CacheControl => req.cache_control(v),
                os::Attribute::ContentDisposition => req.content_disposition(v),
                os::Attribute::ContentEncoding => req.content_encoding(v),
                os::Attribute::ContentLanguage => req.content_language(v),
                os::Attribute::StorageClass => req.storage_class(storage_class(v)?),
                os::Attribute::Metadata(name) => req.metadata(name.as_ref(), v),
                other => {
                    return Err(os::Error::NotSupported {
                        source: format!("attribute {other:?} on OSS").into(),
                    })
                }
            };
        }
        for (k, v) in url::form_urlencoded::parse($tags.encoded().as_bytes()) {
            req = req.tag(k.into_owned(), v.into_owned());
        }
        req
    }};
}

/// Applies the conditions and the version of object_store `GetOptions` to a GetObject or
/// HeadObject builder (they have the same setters).
macro_rules! apply_read_options {
    ($req:expr, $options:expr) => {{
        let (mut req, options) = ($req, &$options);
        if let Some(v) = &options.if_match {
            req = req.if_match(v.clone());
        }
        if let Some(v) = &options.if_none_match {
            req = req.if_none_match(v.clone());
        }
        if let Some(t) = options.if_modified_since {
            req = req.if_modified_since(to_time(t));
        }
        if let Some(t) = options.if_unmodified_since {
            req = req.if_unmodified_since(to_time(t));
        }
        if let Some(v) = &options.version {
            req = req.version_id(v.clone());
        }
        req
    }};
}

fn attributes_from(
    content_type: Option<String>,
    cache_control: Option<String>,
    content_disposition: Option<String>,
    content_encoding: Option<String>,
    content_language: Option<String>,
    metadata: BTreeMap<String, String>,
) -> os::Attributes {
    let mut out = os::Attributes::new();
    for (attribute, value) in [
        (os::Attribute::ContentType, content_type),
        (os::Attribute::CacheControl, cache_control),
        (os::Attribute::ContentDisposition, content_disposition),
        (os::Attribute::ContentEncoding, content_encoding),
        (os::Attribute::ContentLanguage, content_language),
    ] {
        if let Some(v) = value {
            out.insert(attribute, v.into());
        }
    }
    for (k, v) in metadata {
        out.insert(os::Attribute::Metadata(k.into()), v.into());
    }
    out
}

/// `bytes a-b/total` → (a..b+1, total); `None` unless `a <= b < total`.
fn parse_content_range(v: &str) -> Option<(Range<u64>, u64)> {
    let rest = v.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    let (a, b): (u64, u64) = (a.parse().ok()?, b.parse().ok()?);
    let total: u64 = total.parse().ok()?;
    (a <= b && b < total).then(|| (a..b + 1, total))
}

/// `crc64:size:etag`: what a [`os::multipart::PartId`] carries so completion can check the combined CRC.
fn encode_part(out: &crate::oss::UploadPartOutput) -> String {
    format!(
        "{}:{}:{}",
        out.crc64.map(|c| c.to_string()).unwrap_or_default(),
        out.size,
        out.etag
    )
}

fn decode_part(number: u32, content_id: &str) -> CompletedPart {
    let mut it = content_id.splitn(3, ':');
    match (it.next(), it.next(), it.next()) {
        (Some(crc), Some(size), Some(etag)) => {
            let mut p = CompletedPart::new(number, etag);
            p.crc64 = crc.parse().ok();
            p.size = size.parse().ok();
            p
        }
        _ => CompletedPart::new(number, content_id),
    }
}

impl OssStore {
    fn object_meta(
        &self,
        location: Path,
        size: u64,
        last_modified: Option<OffsetDateTime>,
        e_tag: Option<String>,
        version: Option<String>,
    ) -> os::ObjectMeta {
        os::ObjectMeta {
            location,
            last_modified: to_chrono(last_modified),
            size,
            e_tag,
            version,
        }
    }

    fn summary_meta(&self, o: crate::oss::ObjectSummary) -> os::Result<os::ObjectMeta> {
        let location = path_of(&self.prefix, &o.key)?;
        Ok(self.object_meta(location, o.size, o.last_modified, o.etag, None))
    }

    /// Every object `req` lists, as object_store metadata.
    fn meta_stream(
        &self,
        req: crate::oss::ListObjectsV2Request,
    ) -> BoxStream<'static, os::Result<os::ObjectMeta>> {
        let store = self.clone();
        req.into_stream()
            .map(move |item| {
                let o = item.map_err(|e| map_error(e, ""))?;
                store.summary_meta(o)
            })
            .fuse()
            .boxed()
    }

    /// InitiateMultipartUpload for `key` with object_store attributes and tags; the upload id.
    async fn initiate(
        &self,
        key: &str,
        attributes: &os::Attributes,
        tags: &os::TagSet,
    ) -> os::Result<String> {
        let req = apply_attributes!(
            self.client.initiate_multipart_upload(&self.bucket, key),
            attributes,
            tags
        );
        let out = req.send().await.map_err(|e| map_error(e, key))?;
        Ok(out.upload_id)
    }

    async fn head(&self, location: &Path, options: &os::GetOptions) -> os::Result<os::GetResult> {
        let key = self.key(location);
        let mut req = self.client.head_object(&self.bucket, &key);
        req = apply_read_options!(req, options);
        let h = req.send().await.map_err(|e| map_error(e, &key))?;
        let size = h.content_length;
        let meta = self.object_meta(
            location.clone(),
            size,
            h.last_modified,
            h.etag,
            h.version_id,
        );
        let attributes = attributes_from(
            h.content_type,
            h.cache_control,
            h.content_disposition,
            h.content_encoding,
            h.content_language,
            h.metadata,
        );
        Ok(get_result(
            os::GetResultPayload::Stream(stream::empty().boxed()),
            meta,
            0..size,
            attributes,
        ))
    }
}

#[async_trait]
impl os::ObjectStore for OssStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: os::PutPayload,
        opts: os::PutOptions,
    ) -> os::Result<os::PutResult> {
        let key = self.key(location);
        let mut req = self.client.put_object(&self.bucket, &key);
        match opts.mode {
            os::PutMode::Overwrite => {}
            os::PutMode::Create => req = req.forbid_overwrite(true),
            os::PutMode::Update(_) => {
                return Err(os::Error::NotImplemented {
                    operation:
                        "put_opts with PutMode::Update (OSS has no conditional write on an ETag)"
                            .into(),
                    implementer: "alioss OssStore".into(),
                })
            }
        }
        req = apply_attributes!(req, opts.attributes, opts.tags);
        let out = req
            .body(Bytes::from(payload))
            .send()
            .await
            .map_err(|e| map_error(e, &key))?;
        Ok(put_result(out.etag, out.version_id))
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: os::PutMultipartOptions,
    ) -> os::Result<Box<dyn os::MultipartUpload>> {
        let key = self.key(location);
        let upload_id = self.initiate(&key, &opts.attributes, &opts.tags).await?;
        Ok(Box::new(OssUpload {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            key,
            upload_id,
            next_part: 0,
            parts: Arc::default(),
        }))
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: os::GetOptions,
    ) -> os::Result<os::GetResult> {
        if options.head {
            return self.head(location, &options).await;
        }
        let key = self.key(location);
        let mut req = self
            .client
            .get_object(&self.bucket, &key)
            .standard_range_behavior(true);
        match &options.range {
            Some(os::GetRange::Bounded(r)) => {
                if r.end <= r.start {
                    return Err(generic(format!("range {r:?} is empty or reversed")));
                }
                req = req.range(r.start, r.end - 1);
            }
            Some(os::GetRange::Offset(o)) => req = req.range_from(*o),
            Some(os::GetRange::Suffix(n)) => {
                if *n == 0 {
                    return Err(generic("a suffix range of 0 bytes".into()));
                }
                req = req.range_suffix(*n);
            }
            None => {}
        }
        req = apply_read_options!(req, options);
        let out = req.send().await.map_err(|e| map_error(e, &key))?;
        let len = out.content_length.unwrap_or(0);
        let (range, size) = match out.content_range.as_deref().and_then(parse_content_range) {
            Some((r, total)) => (r, total),
            None => (0..len, len),
        };
        let meta = self.object_meta(
            location.clone(),
            size,
            out.last_modified,
            out.etag.clone(),
            out.version_id.clone(),
        );
        let attributes = attributes_from(
            out.content_type.clone(),
            out.cache_control.clone(),
            out.content_disposition.clone(),
            out.content_encoding.clone(),
            out.content_language.clone(),
            out.metadata.clone(),
        );
        let stream = out
            .into_stream()
            .map_err(move |e| map_error(e, &key))
            .fuse()
            .boxed();
        Ok(get_result(
            os::GetResultPayload::Stream(stream),
            meta,
            range,
            attributes,
        ))
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, os::Result<Path>>,
    ) -> BoxStream<'static, os::Result<Path>> {
        let store = self.clone();
        locations
            .chunks(crate::oss::MAX_DELETE_KEYS)
            .map(move |chunk| {
                let store = store.clone();
                async move {
                    let mut results: Vec<os::Result<Path>> = Vec::with_capacity(chunk.len());
                    let mut paths = Vec::with_capacity(chunk.len());
                    for item in chunk {
                        match item {
                            Ok(p) => paths.push(p),
                            Err(e) => results.push(Err(e)),
                        }
                    }
                    if paths.is_empty() {
                        return results;
                    }
                    let keys: Vec<String> = paths.iter().map(|p| store.key(p)).collect();
                    let sent = store
                        .client
                        .delete_multiple_objects(&store.bucket)
                        .keys(keys)
                        .quiet(true)
                        .send()
                        .await;
                    match sent {
                        Ok(_) => results.extend(paths.into_iter().map(Ok)),
                        Err(e) => {
                            let shared = Arc::new(e);
                            results.extend(
                                paths
                                    .iter()
                                    .map(|p| Err(map_shared(&shared, &store.key(p)))),
                            );
                        }
                    }
                    results
                }
            })
            .buffered(DELETE_CONCURRENCY)
            .flat_map(stream::iter)
            .fuse()
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, os::Result<os::ObjectMeta>> {
        self.meta_stream(
            self.client
                .list_objects_v2(&self.bucket)
                .prefix(self.dir_prefix(prefix)),
        )
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, os::Result<os::ObjectMeta>> {
        self.meta_stream(
            self.client
                .list_objects_v2(&self.bucket)
                .prefix(self.dir_prefix(prefix))
                .start_after(self.key(offset)),
        )
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> os::Result<os::ListResult> {
        let dir = self.dir_prefix(prefix);
        let mut pages = std::pin::pin!(self
            .client
            .list_objects_v2(&self.bucket)
            .prefix(dir.clone())
            .delimiter("/")
            .into_pages());
        let mut objects = Vec::new();
        let mut common_prefixes = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| map_error(e, &dir))?;
            for o in page.objects {
                objects.push(self.summary_meta(o)?);
            }
            for p in page.common_prefixes {
                common_prefixes.push(path_of(&self.prefix, p.trim_end_matches('/'))?);
            }
        }
        Ok(list_result(common_prefixes, objects))
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: os::CopyOptions) -> os::Result<()> {
        let (src, dst) = (self.key(from), self.key(to));
        let mut req = self
            .client
            .copy_object(&self.bucket, &src, &self.bucket, &dst);
        if matches!(options.mode, os::CopyMode::Create) {
            req = req.forbid_overwrite(true);
        }
        req.send().await.map_err(|e| {
            let at = if e.kind() == ErrorKind::AlreadyExists {
                &dst
            } else {
                &src
            };
            map_error(e, at)
        })?;
        Ok(())
    }
}

/// The error of a failed batch, once per key of the batch.
fn map_shared(e: &Arc<crate::Error>, key: &str) -> os::Error {
    kind_error(e.kind(), Box::new(SharedError(e.clone())), key)
}

/// An alioss error shared by every key of a failed DeleteMultipleObjects batch.
#[derive(Debug, Clone)]
struct SharedError(Arc<crate::Error>);

impl fmt::Display for SharedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SharedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.0.as_ref())
    }
}

/// A multipart upload in progress through [`OssStore`]: parts are uploaded as their futures
/// are polled (concurrently when the caller polls several), each checked by CRC-64, and
/// completion checks the object's CRC-64 combined from the parts'.
#[derive(Debug)]
pub struct OssUpload {
    client: Client,
    bucket: String,
    key: String,
    upload_id: String,
    next_part: u32,
    parts: Arc<Mutex<BTreeMap<u32, CompletedPart>>>,
}

impl OssUpload {
    /// The OSS upload id.
    pub fn upload_id(&self) -> &str {
        &self.upload_id
    }
}

/// Completes `upload_id` with `parts`; with no parts, uploads one empty part first (OSS needs
/// at least one).
async fn complete(
    client: &Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
    mut parts: Vec<CompletedPart>,
) -> os::Result<os::PutResult> {
    if parts.is_empty() {
        let out = client
            .upload_part(bucket, key, upload_id, 1)
            .send()
            .await
            .map_err(|e| map_error(e, key))?;
        parts.push(out.into());
    }
    let out = client
        .complete_multipart_upload(bucket, key, upload_id)
        .parts(parts)
        .send()
        .await
        .map_err(|e| map_error(e, key))?;
    Ok(put_result(out.etag, out.version_id))
}

#[async_trait]
impl os::MultipartUpload for OssUpload {
    fn put_part(&mut self, data: os::PutPayload) -> os::UploadPart {
        self.next_part += 1;
        let number = self.next_part;
        let req = self
            .client
            .upload_part(&self.bucket, &self.key, &self.upload_id, number)
            .body(Bytes::from(data));
        let parts = self.parts.clone();
        let key = self.key.clone();
        let fut: BoxFuture<'static, os::Result<()>> = Box::pin(async move {
            let out = req.send().await.map_err(|e| map_error(e, &key))?;
            parts
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(number, out.into());
            Ok(())
        });
        fut
    }

    async fn complete(&mut self) -> os::Result<os::PutResult> {
        let parts: Vec<CompletedPart> = {
            let map = self.parts.lock().unwrap_or_else(|p| p.into_inner());
            if map.len() as u32 != self.next_part {
                return Err(generic(format!(
                    "complete called with {} of {} parts uploaded",
                    map.len(),
                    self.next_part
                )));
            }
            map.values().cloned().collect()
        };
        complete(
            &self.client,
            &self.bucket,
            &self.key,
            &self.upload_id,
            parts,
        )
        .await
    }

    async fn abort(&mut self) -> os::Result<()> {
        self.client
            .abort_multipart_upload(&self.bucket, &self.key, &self.upload_id)
            .await
            .map_err(|e| map_error(e, &self.key))?;
        Ok(())
    }
}

only_0_14! {
    impl OssStore {
        async fn initiate_with_options(
            &self,
            path: &Path,
            opts: os::PutMultipartOptions,
        ) -> os::Result<os::MultipartId> {
            self.initiate(&self.key(path), &opts.attributes, &opts.tags)
                .await
        }
    }
}

#[async_trait]
impl os::multipart::MultipartStore for OssStore {
    async fn create_multipart(&self, path: &Path) -> os::Result<os::MultipartId> {
        let key = self.key(path);
        let out = self
            .client
            .initiate_multipart_upload(&self.bucket, &key)
            .send()
            .await
            .map_err(|e| map_error(e, &key))?;
        Ok(out.upload_id)
    }

    only_0_14! {
        // Written out as `#[async_trait]` would expand it: the attribute does not see into
        // macro calls.
        fn create_multipart_opts<'life0, 'life1, 'async_trait>(
            &'life0 self,
            path: &'life1 Path,
            opts: os::PutMultipartOptions,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = os::Result<os::MultipartId>> + Send + 'async_trait>,
        >
        where
            'life0: 'async_trait,
            'life1: 'async_trait,
            Self: 'async_trait,
        {
            Box::pin(self.initiate_with_options(path, opts))
        }
    }

    async fn put_part(
        &self,
        path: &Path,
        id: &os::MultipartId,
        part_idx: usize,
        data: os::PutPayload,
    ) -> os::Result<os::multipart::PartId> {
        let key = self.key(path);
        let number = u32::try_from(part_idx + 1)
            .map_err(|_| generic(format!("part index {part_idx} is too large")))?;
        let out = self
            .client
            .upload_part(&self.bucket, &key, id, number)
            .body(Bytes::from(data))
            .send()
            .await
            .map_err(|e| map_error(e, &key))?;
        Ok(os::multipart::PartId {
            content_id: encode_part(&out),
        })
    }

    async fn complete_multipart(
        &self,
        path: &Path,
        id: &os::MultipartId,
        parts: Vec<os::multipart::PartId>,
    ) -> os::Result<os::PutResult> {
        let key = self.key(path);
        let parts = parts
            .iter()
            .enumerate()
            .map(|(i, p)| decode_part(i as u32 + 1, &p.content_id))
            .collect();
        complete(&self.client, &self.bucket, &key, id, parts).await
    }

    async fn abort_multipart(&self, path: &Path, id: &os::MultipartId) -> os::Result<()> {
        let key = self.key(path);
        self.client
            .abort_multipart_upload(&self.bucket, &key, id)
            .await
            .map_err(|e| map_error(e, &key))?;
        Ok(())
    }
}

#[async_trait]
impl os::list::PaginatedListStore for OssStore {
    async fn list_paginated(
        &self,
        prefix: Option<&str>,
        opts: os::list::PaginatedListOptions,
    ) -> os::Result<os::list::PaginatedListResult> {
        let full = format!("{}{}", self.prefix, prefix.unwrap_or_default());
        let mut req = self
            .client
            .list_objects_v2(&self.bucket)
            .prefix(full.clone());
        if let Some(d) = &opts.delimiter {
            req = req.delimiter(d.to_string());
        }
        if let Some(offset) = &opts.offset {
            req = req.start_after(format!("{}{offset}", self.prefix));
        }
        if let Some(n) = opts.max_keys {
            req = req.max_keys(n.clamp(1, 1000) as u32);
        }
        if let Some(token) = &opts.page_token {
            req = req.continuation_token(token.clone());
        }
        let page = req.send().await.map_err(|e| map_error(e, &full))?;
        let delimiter = opts.delimiter.as_deref().unwrap_or("/");
        let objects = page
            .objects
            .into_iter()
            .map(|o| self.summary_meta(o))
            .collect::<os::Result<Vec<_>>>()?;
        let common_prefixes = page
            .common_prefixes
            .iter()
            .map(|p| path_of(&self.prefix, p.strip_suffix(delimiter).unwrap_or(p)))
            .collect::<os::Result<Vec<_>>>()?;
        let page_token = if page.is_truncated {
            page.next_continuation_token.filter(|t| !t.is_empty())
        } else {
            None
        };
        Ok(os::list::PaginatedListResult {
            result: list_result(common_prefixes, objects),
            page_token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_parse() {
        assert_eq!(parse_content_range("bytes 2-4/14"), Some((2..5, 14)));
        assert_eq!(parse_content_range("bytes */14"), None);
        // What a server controls never overflows or yields a range outside the object.
        assert_eq!(
            parse_content_range("bytes 0-18446744073709551615/18446744073709551615"),
            None
        );
        assert_eq!(parse_content_range("bytes 5-4/14"), None);
        assert_eq!(parse_content_range("bytes 2-14/14"), None);
    }

    #[test]
    fn part_ids_carry_crc_size_and_etag() {
        let p = decode_part(3, "123:456:\"AB:CD\"");
        assert_eq!(p.part_number, 3);
        assert_eq!(p.crc64, Some(123));
        assert_eq!(p.size, Some(456));
        assert_eq!(p.etag, "\"AB:CD\"");
        let p = decode_part(1, "plain");
        assert_eq!(p.etag, "plain");
    }

    #[test]
    fn service_errors_map_to_object_store_kinds() {
        let svc = |status: u16, code: &str| {
            crate::Error::Service(Box::new(crate::error::ServiceError::new(
                crate::error::ServiceKind::Oss,
                status,
                code,
                "m",
            )))
        };
        assert!(matches!(
            map_error(svc(404, "NoSuchKey"), "k"),
            os::Error::NotFound { .. }
        ));
        assert!(matches!(
            map_error(svc(409, "FileAlreadyExists"), "k"),
            os::Error::AlreadyExists { .. }
        ));
        assert!(matches!(
            map_error(svc(412, "PreconditionFailed"), "k"),
            os::Error::Precondition { .. }
        ));
        assert!(matches!(
            map_error(svc(304, "NotModified"), "k"),
            os::Error::NotModified { .. }
        ));
        assert!(matches!(
            map_error(svc(403, "AccessDenied"), "k"),
            os::Error::PermissionDenied { .. }
        ));
        assert!(matches!(
            map_error(svc(403, "InvalidAccessKeyId"), "k"),
            os::Error::Unauthenticated { .. }
        ));
        assert!(matches!(
            map_error(svc(500, "InternalError"), "k"),
            os::Error::Generic { .. }
        ));
    }
}
