//! CopyObject and UploadPartCopy: server-side copies named by `x-oss-copy-source`.

use std::sync::Arc;

use alioss::oss::crc64::{self, Crc64};
use futures_util::StreamExt as _;
use hyper::Response;
use md5::Digest as _;

use super::multipart::{find_upload, store_part};
use super::object::{
    check_conditions, file_already_exists, forbid_overwrite, options_from_headers,
    overwrite_condition, precondition_failed, Unmet,
};
use super::{iso_millis, xml_response, OssRequest};
use crate::errors::{push_elem, OssError};
use crate::server::{Body, State};
use crate::store::{ObjectMeta, ObjectType, Part, StoredObject, WriteConflict};

/// The object named by `x-oss-copy-source: /<bucket>/<percent-encoded key>[?versionId=v]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CopySource {
    pub(crate) bucket: String,
    pub(crate) key: String,
}

/// Parses the `x-oss-copy-source` header of `req`.
pub(crate) fn copy_source(req: &OssRequest) -> Result<CopySource, OssError> {
    let raw = req.header("x-oss-copy-source").unwrap_or_default();
    let invalid = || {
        OssError::invalid_argument(
            "Copy Source must mention the source bucket and key: /sourcebucket/sourcekey.",
            "x-oss-copy-source",
            &raw,
        )
    };
    let path = raw.split_once('?').map_or(raw.as_str(), |(p, _)| p);
    let path = path.strip_prefix('/').unwrap_or(path);
    let (bucket, key) = path.split_once('/').ok_or_else(invalid)?;
    let key = alioss::oss::signer::uri_decode(key);
    if bucket.is_empty() || key.is_empty() {
        return Err(invalid());
    }
    super::check_key(&key)?;
    Ok(CopySource {
        bucket: alioss::oss::signer::uri_decode(bucket),
        key,
    })
}

/// The source object, after its `x-oss-copy-source-if-*` conditions.
async fn read_source(
    state: &State,
    req: &OssRequest,
    src: &CopySource,
) -> Result<Arc<StoredObject>, OssError> {
    if !state.buckets.contains_key(&src.bucket) {
        return Err(OssError::no_such_bucket(&src.bucket));
    }
    let obj = state
        .store
        .get(&src.bucket, &src.key)
        .await
        .ok_or_else(|| OssError::no_such_key(&src.key))?;
    match check_conditions(&obj.meta, |n| req.header(n), "x-oss-copy-source-") {
        Ok(()) => Ok(obj),
        // OSS answers an unmet copy-source-if-none-match / if-modified-since with 304.
        Err(Unmet::NotModified) => Err(OssError::new(
            304,
            "NotModified",
            "The source object was not modified.",
            "0026-00000012",
        )),
        Err(Unmet::Failed(which)) => Err(precondition_failed(&format!(
            "x-oss-copy-source-{}",
            which.to_ascii_lowercase()
        ))),
    }
}

fn directive(req: &OssRequest, name: &'static str) -> Result<bool, OssError> {
    match req.header(name) {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("copy") => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("replace") => Ok(true),
        Some(v) => Err(OssError::invalid_argument(
            "The directive must be COPY or REPLACE.",
            name,
            &v,
        )),
    }
}

/// CopyObject: `PUT /dest` with `x-oss-copy-source`.
pub(crate) async fn copy_object(
    state: &Arc<State>,
    req: &OssRequest,
) -> Result<Response<Body>, OssError> {
    let src = copy_source(req)?;
    let replace_meta = directive(req, "x-oss-metadata-directive")?;
    let replace_tags = directive(req, "x-oss-tagging-directive")?;
    let now = state.clock.now().unix_timestamp();
    let requested = options_from_headers(req, now)?;
    let source = read_source(state, req, &src).await?;
    let forbid = forbid_overwrite(req);
    if forbid && state.store.get(&req.bucket, req.key()).await.is_some() {
        return Err(file_already_exists());
    }
    let s = &source.meta;
    let mut meta = if replace_meta {
        ObjectMeta {
            storage_class: req.header("x-oss-storage-class").map_or_else(
                || s.storage_class.clone(),
                |_| requested.storage_class.clone(),
            ),
            tagging: s.tagging.clone(),
            ..requested.clone()
        }
    } else {
        ObjectMeta {
            key: req.key().to_owned(),
            acl: requested.acl.clone(),
            storage_class: req.header("x-oss-storage-class").map_or_else(
                || s.storage_class.clone(),
                |_| requested.storage_class.clone(),
            ),
            ..s.clone()
        }
    };
    if replace_tags {
        meta.tagging = requested.tagging.clone();
    }
    meta.size = s.size;
    meta.etag = s.etag.clone();
    meta.crc64 = s.crc64;
    meta.content_md5 = s.content_md5.clone();
    meta.last_modified = now;
    meta.object_type = match s.object_type {
        ObjectType::Appendable => ObjectType::Normal,
        t => t,
    };
    let result = state
        .store
        .write(
            &req.bucket,
            req.key(),
            source.blob.clone(),
            overwrite_condition(forbid),
            |_, _| meta,
        )
        .await
        .map_err(|e| OssError::internal(format!("storage error: {e}")))?;
    let obj = match result {
        Ok(o) => o,
        Err(WriteConflict::Exists) => return Err(file_already_exists()),
        Err(other) => return Err(super::object::conflict_response(other)),
    };
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyObjectResult>\n");
    push_elem(&mut xml, "ETag", &obj.meta.etag);
    push_elem(
        &mut xml,
        "LastModified",
        &iso_millis(obj.meta.last_modified),
    );
    xml.push_str("</CopyObjectResult>\n");
    let mut resp = xml_response(xml);
    if let Ok(v) = crc64::format(obj.meta.crc64).parse() {
        resp.headers_mut().insert("x-oss-hash-crc64ecma", v);
    }
    Ok(resp)
}

/// `bytes=a-b` of `x-oss-copy-source-range` against `size`; `None` copies the whole object.
fn copy_range(req: &OssRequest, size: u64) -> Result<(u64, u64), OssError> {
    let Some(raw) = req.header("x-oss-copy-source-range") else {
        return Ok((0, size));
    };
    let invalid = || {
        OssError::new(
            416,
            "InvalidRange",
            "The requested range is not satisfiable.",
            "0026-00000004",
        )
        .with("RangeRequested", raw.clone())
        .with("ActualObjectSize", size.to_string())
    };
    let spec = raw.trim().strip_prefix("bytes=").ok_or_else(invalid)?;
    let (a, b) = spec.split_once('-').ok_or_else(invalid)?;
    let first: u64 = a.trim().parse().map_err(|_| invalid())?;
    let last: u64 = if b.trim().is_empty() {
        size.checked_sub(1).ok_or_else(invalid)?
    } else {
        b.trim().parse().map_err(|_| invalid())?
    };
    if first > last || last >= size {
        return Err(invalid());
    }
    Ok((first, last + 1))
}

/// UploadPartCopy: `PUT /dest?partNumber&uploadId` with `x-oss-copy-source` (and a range).
pub(crate) async fn upload_part_copy(
    state: &Arc<State>,
    req: &OssRequest,
) -> Result<Response<Body>, OssError> {
    let pn_text = req.query_param("partNumber").unwrap_or_default().to_owned();
    let part_number = match pn_text.parse::<u32>() {
        Ok(n) if (1..=super::multipart::MAX_PART_NUMBER).contains(&n) => n,
        _ => {
            return Err(OssError::invalid_argument(
                "Part number must be an integer between 1 and 10000, inclusive.",
                "partNumber",
                &pn_text,
            ))
        }
    };
    let src = copy_source(req)?;
    let upload = find_upload(state, req)?;
    let source = read_source(state, req, &src).await?;
    let (start, end) = copy_range(req, source.meta.size)?;
    let mut writer = state
        .store
        .writer()
        .await
        .map_err(|e| OssError::internal(format!("cannot store data: {e}")))?;
    let mut md5 = md5::Md5::new();
    let mut crc = Crc64::new();
    let mut stream = std::pin::pin!(source.blob.stream(start, end));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| OssError::internal(format!("storage error: {e}")))?;
        md5.update(&chunk);
        crc.update(&chunk);
        writer
            .write(chunk)
            .await
            .map_err(|e| OssError::internal(format!("storage error: {e}")))?;
    }
    let blob = writer
        .finish()
        .await
        .map_err(|e| OssError::internal(format!("storage error: {e}")))?;
    let digest: [u8; 16] = md5.finalize().into();
    let etag = super::object::etag_of(&digest);
    let now = state.clock.now().unix_timestamp();
    let part = Part {
        etag: etag.clone(),
        md5: digest,
        crc64: crc.value(),
        last_modified: now,
        blob,
    };
    store_part(state, &upload.upload_id, part_number, part)?;
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyPartResult>\n");
    push_elem(&mut xml, "LastModified", &iso_millis(now));
    push_elem(&mut xml, "ETag", &etag);
    xml.push_str("</CopyPartResult>\n");
    let mut resp = xml_response(xml);
    if let Ok(v) = crc64::format(crc.value()).parse() {
        resp.headers_mut().insert("x-oss-hash-crc64ecma", v);
    }
    Ok(resp)
}
