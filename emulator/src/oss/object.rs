//! Object operations: PutObject, GetObject, HeadObject, DeleteObject, AppendObject.

use std::sync::Arc;

use alioss::oss::crc64;
use base64::Engine as _;
use hyper::Response;

use super::{OssRequest, MAX_OBJECT_SIZE};
use crate::body::{ingest, IngestError, Ingested};
use crate::errors::OssError;
use crate::server::{empty, Body, State};
use crate::store::{ObjectMeta, ObjectType, StoredObject, WriteCondition, WriteConflict};

/// Largest total size of `x-oss-meta-*` headers (names and values).
const MAX_USER_META: usize = 8 * 1024;

const STORAGE_CLASSES: &[&str] = &[
    "Standard",
    "IA",
    "Archive",
    "ColdArchive",
    "DeepColdArchive",
];
pub(crate) const ACLS: &[&str] = &["default", "private", "public-read", "public-read-write"];
const STANDARD_HEADERS: &[&str] = &[
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
];

/// Upload options carried by headers (or form fields), validated.
pub(crate) fn upload_options<'a>(
    key: &str,
    get: impl Fn(&str) -> Option<String>,
    names: impl Iterator<Item = &'a str>,
    now: i64,
) -> Result<ObjectMeta, OssError> {
    let mut user_meta = Vec::new();
    let mut meta_size = 0;
    for name in names {
        let lname = name.to_ascii_lowercase();
        if let Some(suffix) = lname.strip_prefix("x-oss-meta-") {
            let v = get(name).unwrap_or_default();
            meta_size += suffix.len() + v.len();
            if !user_meta
                .iter()
                .any(|(k, _): &(String, String)| k == suffix)
            {
                user_meta.push((suffix.to_owned(), v));
            }
        }
    }
    if meta_size > MAX_USER_META {
        return Err(OssError::new(
            400,
            "InvalidArgument",
            "Your metadata headers exceed the maximum allowed metadata size (8 KB).",
            "0016-00000304",
        ));
    }
    user_meta.sort();
    let storage_class = get("x-oss-storage-class").unwrap_or_else(|| "Standard".to_owned());
    if !STORAGE_CLASSES.contains(&storage_class.as_str()) {
        return Err(OssError::invalid_argument(
            "Unsupported storage class.",
            "x-oss-storage-class",
            &storage_class,
        ));
    }
    let acl = get("x-oss-object-acl").unwrap_or_else(|| "default".to_owned());
    if !ACLS.contains(&acl.as_str()) {
        return Err(OssError::invalid_argument(
            "The ACL you provided is not valid.",
            "x-oss-object-acl",
            &acl,
        ));
    }
    let tagging = get("x-oss-tagging");
    if let Some(t) = &tagging {
        let tags: Vec<(String, String)> =
            form_urlencoded::parse(t.as_bytes()).into_owned().collect();
        super::tagging::check_tag_set(&tags)?;
    }
    let content_type = get("content-type")
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let headers = STANDARD_HEADERS
        .iter()
        .filter_map(|h| get(h).map(|v| ((*h).to_owned(), v)))
        .collect();
    Ok(ObjectMeta {
        key: key.to_owned(),
        size: 0,
        etag: String::new(),
        crc64: 0,
        content_type,
        last_modified: now,
        object_type: ObjectType::Normal,
        storage_class,
        acl,
        user_meta,
        tagging,
        headers,
        content_md5: None,
    })
}

pub(crate) fn options_from_headers(req: &OssRequest, now: i64) -> Result<ObjectMeta, OssError> {
    upload_options(
        req.key(),
        |n| req.header(n),
        req.headers.keys().map(|k| k.as_str()),
        now,
    )
}

/// The `Content-MD5` header decoded, if sent.
pub(crate) fn content_md5(req: &OssRequest) -> Result<Option<[u8; 16]>, OssError> {
    let Some(v) = req.header("content-md5") else {
        return Ok(None);
    };
    let invalid = || {
        OssError::new(
            400,
            "InvalidDigest",
            "The Content-MD5 you specified is not valid.",
            "0016-00000401",
        )
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(v.trim())
        .map_err(|_| invalid())?;
    let arr: [u8; 16] = bytes.try_into().map_err(|_| invalid())?;
    Ok(Some(arr))
}

fn bad_digest() -> OssError {
    OssError::new(
        400,
        "BadDigest",
        "The Content-MD5 you specified did not match what we received.",
        "0016-00000402",
    )
}

pub(crate) fn forbid_overwrite(req: &OssRequest) -> bool {
    req.header("x-oss-forbid-overwrite")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// The store's write condition for a request that does (`forbid`) or does not forbid overwrites.
pub(crate) fn overwrite_condition(forbid: bool) -> WriteCondition {
    if forbid {
        WriteCondition::ForbidOverwrite
    } else {
        WriteCondition::None
    }
}

pub(crate) fn file_already_exists() -> OssError {
    OssError::new(
        409,
        "FileAlreadyExists",
        "The object you specified already exists and can not be overwritten.",
        "0026-00000009",
    )
}

/// Receives the request body (up to 5 GiB), verifying `Content-MD5` when sent.
pub(crate) async fn receive_body(
    state: &State,
    req: &mut OssRequest,
) -> Result<Ingested, OssError> {
    let md5 = content_md5(req)?;
    let declared = req
        .header("content-length")
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_OBJECT_SIZE) {
        return Err(OssError::entity_too_large());
    }
    let writer = state
        .store
        .writer()
        .await
        .map_err(|e| OssError::internal(format!("cannot store data: {e}")))?;
    let need_md5 = md5.is_some() || !state.fast_etags;
    let got = ingest(&mut req.body, writer, MAX_OBJECT_SIZE, declared, need_md5)
        .await
        .map_err(ingest_error)?;
    if md5.is_some_and(|m| m != got.md5) {
        return Err(bad_digest());
    }
    Ok(got)
}

pub(crate) fn ingest_error(e: IngestError) -> OssError {
    match e {
        IngestError::TooLarge => OssError::entity_too_large(),
        IngestError::Io(e) => OssError::internal(format!("storage error: {e}")),
        IngestError::Client(e) => OssError::new(
            400,
            "IncompleteBody",
            format!("The request body could not be read completely: {e}"),
            "0016-00000403",
        ),
    }
}

pub(crate) fn etag_of(md5: &[u8; 16]) -> String {
    format!("\"{}\"", hex::encode_upper(md5))
}

fn write_conflict(c: WriteConflict) -> OssError {
    match c {
        WriteConflict::Exists => file_already_exists(),
        WriteConflict::NotAppendable => OssError::new(
            409,
            "ObjectNotAppendable",
            "The object is not appendable.",
            "0026-00000015",
        ),
        WriteConflict::Position(len) => OssError::new(
            409,
            "PositionNotEqualToLength",
            "Position is not equal to file length.",
            "0026-00000016",
        )
        .header("x-oss-next-append-position", len.to_string()),
    }
}

pub(crate) fn conflict_response(c: WriteConflict) -> OssError {
    write_conflict(c)
}

pub(crate) async fn put_object(
    state: &Arc<State>,
    req: &mut OssRequest,
) -> Result<Response<Body>, OssError> {
    let now = state.clock.now().unix_timestamp();
    let template = options_from_headers(req, now)?;
    let forbid = forbid_overwrite(req);
    if forbid && state.store.get(&req.bucket, req.key()).await.is_some() {
        return Err(file_already_exists());
    }
    let got = receive_body(state, req).await?;
    let md5_b64 = base64::engine::general_purpose::STANDARD.encode(got.md5);
    let cond = overwrite_condition(forbid);
    let etag = etag_of(&got.md5);
    let obj = state
        .store
        .write(&req.bucket, req.key(), got.blob, cond, |_, blob| {
            ObjectMeta {
                size: blob.len(),
                etag: etag.clone(),
                crc64: got.crc64,
                content_md5: Some(md5_b64.clone()),
                ..template
            }
        })
        .await
        .map_err(|e| OssError::internal(format!("storage error: {e}")))?
        .map_err(write_conflict)?;
    Ok(Response::builder()
        .status(200)
        .header("etag", &obj.meta.etag)
        .header("content-md5", md5_b64)
        .header("x-oss-hash-crc64ecma", crc64::format(obj.meta.crc64))
        .body(empty())
        .unwrap_or_else(|_| Response::new(empty())))
}

/// Headers describing an object (GET and HEAD).
pub(crate) fn object_headers(
    mut b: hyper::http::response::Builder,
    obj: &StoredObject,
) -> hyper::http::response::Builder {
    let m = &obj.meta;
    b = b
        .header("etag", &m.etag)
        .header(
            "last-modified",
            alioss::oss::signer::format_http_date(
                time::OffsetDateTime::from_unix_timestamp(m.last_modified)
                    .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
            ),
        )
        .header("content-type", &m.content_type)
        .header("accept-ranges", "bytes")
        .header("x-oss-object-type", m.object_type.as_str())
        .header("x-oss-storage-class", &m.storage_class)
        .header("x-oss-hash-crc64ecma", crc64::format(m.crc64));
    if let Some(md5) = &m.content_md5 {
        b = b.header("content-md5", md5);
    }
    if m.object_type == ObjectType::Appendable {
        b = b.header("x-oss-next-append-position", m.size.to_string());
    }
    if let Some(t) = &m.tagging {
        let count = form_urlencoded::parse(t.as_bytes()).count();
        b = b.header("x-oss-tagging-count", count.to_string());
    }
    for (k, v) in &m.user_meta {
        b = b.header(format!("x-oss-meta-{k}"), v);
    }
    for (k, v) in &m.headers {
        b = b.header(k, v);
    }
    b
}

/// Why a conditional request does not proceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unmet {
    /// 304: `If-None-Match` matched or `If-Modified-Since` is not older than the object.
    NotModified,
    /// 412: the named condition does not hold.
    Failed(&'static str),
}

/// 412 PreconditionFailed naming the condition.
pub(crate) fn precondition_failed(condition: &str) -> OssError {
    OssError::new(
        412,
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold.",
        "0026-00000011",
    )
    .with("Condition", condition.to_owned())
}

/// Whether an ETag list (`"a", "b"` or `*`) names `etag`.
fn etag_listed(list: &str, etag: &str) -> bool {
    let bare = etag.trim_matches('"');
    list.split(',').any(|v| {
        let v = v.trim().trim_start_matches("W/");
        v == "*" || v.trim_matches('"') == bare
    })
}

/// Evaluates `If-Match`, `If-Unmodified-Since`, `If-None-Match`, `If-Modified-Since` (each
/// header name prefixed by `prefix`, e.g. `x-oss-copy-source-`) in RFC 7232 order. A date that
/// does not parse is ignored, as HTTP servers do.
pub(crate) fn check_conditions(
    meta: &ObjectMeta,
    get: impl Fn(&str) -> Option<String>,
    prefix: &str,
) -> Result<(), Unmet> {
    let h = |n: &str| get(&format!("{prefix}{n}"));
    let date = |n: &str| h(n).and_then(|v| alioss::oss::signer::parse_http_date(v.trim()));
    let modified = meta.last_modified;
    if let Some(want) = h("if-match") {
        if !etag_listed(&want, &meta.etag) {
            return Err(Unmet::Failed("If-Match"));
        }
    } else if let Some(t) = date("if-unmodified-since") {
        if modified > t.unix_timestamp() {
            return Err(Unmet::Failed("If-Unmodified-Since"));
        }
    }
    if let Some(want) = h("if-none-match") {
        if etag_listed(&want, &meta.etag) {
            return Err(Unmet::NotModified);
        }
    } else if let Some(t) = date("if-modified-since") {
        if modified <= t.unix_timestamp() {
            return Err(Unmet::NotModified);
        }
    }
    Ok(())
}

/// Parses `Range: bytes=a-b` against `size`: `Ok(None)` = whole object, `Err` = unsatisfiable.
fn parse_range(header: Option<&str>, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(h) = header else { return Ok(None) };
    let Some(spec) = h.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    let range = match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ok(None),
        (true, false) => {
            let Ok(n) = b.parse::<u64>() else {
                return Ok(None);
            };
            if n == 0 || size == 0 {
                return Err(());
            }
            (size.saturating_sub(n), size - 1)
        }
        (false, _) => {
            let Ok(start) = a.parse::<u64>() else {
                return Ok(None);
            };
            let end = if b.is_empty() {
                size.saturating_sub(1)
            } else {
                match b.parse::<u64>() {
                    Ok(e) if e >= start => e.min(size.saturating_sub(1)),
                    _ => return Ok(None),
                }
            };
            if start >= size {
                return Err(());
            }
            (start, end)
        }
    };
    Ok(Some(range))
}

pub(crate) async fn get_object(
    state: &Arc<State>,
    req: &OssRequest,
    head: bool,
) -> Result<Response<Body>, OssError> {
    let Some(obj) = state.store.get(&req.bucket, req.key()).await else {
        return Err(OssError::no_such_key(req.key()));
    };
    match check_conditions(&obj.meta, |n| req.header(n), "") {
        Ok(()) => {}
        Err(Unmet::NotModified) => {
            return Ok(object_headers(Response::builder().status(304), &obj)
                .body(empty())
                .unwrap_or_else(|_| Response::new(empty())));
        }
        Err(Unmet::Failed(which)) => return Err(precondition_failed(which)),
    }
    let size = obj.meta.size;
    let standard = req
        .header("x-oss-range-behavior")
        .is_some_and(|v| v.eq_ignore_ascii_case("standard"));
    let range = match parse_range(req.header("range").as_deref(), size) {
        Ok(r) => r,
        Err(()) if standard => {
            return Err(OssError::new(
                416,
                "InvalidRange",
                "The requested range cannot be satisfied.",
                "0026-00000004",
            )
            .with("RangeRequested", req.header("range").unwrap_or_default())
            .with("ActualObjectSize", size.to_string()))
        }
        Err(()) => None,
    };
    let mut b = object_headers(Response::builder(), &obj);
    for (q, h) in [
        ("response-content-type", "content-type"),
        ("response-content-language", "content-language"),
        ("response-expires", "expires"),
        ("response-cache-control", "cache-control"),
        ("response-content-disposition", "content-disposition"),
        ("response-content-encoding", "content-encoding"),
    ] {
        if let Some(v) = req.query_param(q) {
            if let Some(hm) = b.headers_mut() {
                if let Ok(val) = hyper::header::HeaderValue::from_str(v) {
                    hm.insert(h, val);
                }
            }
        }
    }
    let (status, start, end) = match range {
        Some((s, e)) => {
            b = b.header("content-range", format!("bytes {s}-{e}/{size}"));
            (206, s, e + 1)
        }
        None => (200, 0, size),
    };
    b = b
        .status(status)
        .header("content-length", (end - start).to_string());
    let body: Body = if head {
        empty()
    } else {
        use futures_util::TryStreamExt;
        use http_body_util::BodyExt;
        let stream = obj.blob.stream(start, end).map_ok(hyper::body::Frame::data);
        http_body_util::StreamBody::new(stream).boxed()
    };
    Ok(b.body(body).unwrap_or_else(|_| Response::new(empty())))
}

pub(crate) async fn delete_object(
    state: &Arc<State>,
    req: &OssRequest,
) -> Result<Response<Body>, OssError> {
    state
        .store
        .delete(&req.bucket, req.key())
        .await
        .map_err(|e| OssError::internal(format!("storage error: {e}")))?;
    Ok(Response::builder()
        .status(204)
        .body(empty())
        .unwrap_or_else(|_| Response::new(empty())))
}

pub(crate) async fn append_object(
    state: &Arc<State>,
    req: &mut OssRequest,
) -> Result<Response<Body>, OssError> {
    let pos_text = req.query_param("position").unwrap_or_default().to_owned();
    let Ok(position) = pos_text.parse::<u64>() else {
        return Err(OssError::invalid_argument(
            "position must be a non-negative integer.",
            "position",
            &pos_text,
        ));
    };
    let now = state.clock.now().unix_timestamp();
    let template = options_from_headers(req, now)?;
    if let Some(existing) = state.store.get(&req.bucket, req.key()).await {
        if existing.meta.object_type != ObjectType::Appendable {
            return Err(write_conflict(WriteConflict::NotAppendable));
        }
        if existing.meta.size != position {
            return Err(write_conflict(WriteConflict::Position(existing.meta.size)));
        }
    } else if position != 0 {
        return Err(write_conflict(WriteConflict::Position(0)));
    }
    let got = receive_body(state, req).await?;
    if position.saturating_add(got.blob.len()) > MAX_OBJECT_SIZE {
        return Err(OssError::entity_too_large());
    }
    let added_len = got.blob.len();
    let added_crc = got.crc64;
    let result = state
        .store
        .write(
            &req.bucket,
            req.key(),
            got.blob,
            WriteCondition::AppendAt(position),
            |prev, blob| {
                let base = match prev {
                    Some(p) => ObjectMeta {
                        last_modified: now,
                        ..p.meta.clone()
                    },
                    None => ObjectMeta {
                        object_type: ObjectType::Appendable,
                        ..template
                    },
                };
                let crc = match prev {
                    Some(p) => crc64::combine(p.meta.crc64, added_crc, added_len),
                    None => added_crc,
                };
                ObjectMeta {
                    size: blob.len(),
                    crc64: crc,
                    etag: format!("\"{:016X}{:016X}\"", crc, blob.len()),
                    content_md5: None,
                    ..base
                }
            },
        )
        .await
        .map_err(|e| OssError::internal(format!("storage error: {e}")))?;
    let obj = match result {
        Ok(o) => o,
        Err(c) => {
            let mut e = write_conflict(c.clone());
            if let WriteConflict::Position(len) = c {
                e = e.with("CurrentPosition", len.to_string());
            }
            return Err(e);
        }
    };
    Ok(Response::builder()
        .status(200)
        .header("etag", &obj.meta.etag)
        .header("x-oss-next-append-position", obj.meta.size.to_string())
        .header("x-oss-hash-crc64ecma", crc64::format(obj.meta.crc64))
        .body(empty())
        .unwrap_or_else(|_| Response::new(empty())))
}
