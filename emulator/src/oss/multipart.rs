//! Multipart uploads: initiate, upload part, complete (explicit list or `x-oss-complete-all`),
//! abort, list parts, list uploads.

use std::collections::BTreeMap;
use std::sync::Arc;

use alioss::oss::crc64;
use hyper::Response;
use md5::Digest as _;

use super::object::{
    file_already_exists, forbid_overwrite, options_from_headers, overwrite_condition, receive_body,
};
use super::{iso_millis, maybe_encode, xml_response, OssRequest};
use crate::errors::{push_elem, OssError};
use crate::server::{empty, Body, RequestInfo, State};
use crate::store::{Blob, ObjectMeta, ObjectType, Part, Upload, WriteConflict};

/// Smallest part size accepted for every part but the last.
pub(crate) const MIN_PART_SIZE: u64 = 100 * 1024;
/// Highest part number.
pub(crate) const MAX_PART_NUMBER: u32 = 10_000;

/// Records `part` as part `part_number` of the upload `upload_id` (replacing an earlier one).
pub(crate) fn store_part(
    state: &State,
    upload_id: &str,
    part_number: u32,
    part: Part,
) -> Result<(), OssError> {
    let mut uploads = state
        .store
        .uploads
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    match uploads.get_mut(upload_id) {
        Some(u) => {
            u.parts.insert(part_number, part);
            Ok(())
        }
        None => Err(OssError::no_such_upload(upload_id)),
    }
}

fn url_encoding(req: &OssRequest) -> bool {
    req.query_param("encoding-type") == Some("url")
}

fn xml_head(root: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root}>\n")
}

pub(crate) async fn initiate(
    state: &Arc<State>,
    req: &OssRequest,
    _info: &RequestInfo,
) -> Result<Response<Body>, OssError> {
    let now = state.clock.now().unix_timestamp();
    let template = options_from_headers(req, now)?;
    if forbid_overwrite(req) && state.store.get(&req.bucket, req.key()).await.is_some() {
        return Err(file_already_exists());
    }
    let upload_id = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .to_ascii_uppercase();
    let upload = Upload {
        upload_id: upload_id.clone(),
        bucket: req.bucket.clone(),
        key: req.key().to_owned(),
        initiated: now,
        template,
        parts: BTreeMap::new(),
    };
    state
        .store
        .uploads
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(upload_id.clone(), upload);
    let url = url_encoding(req);
    let mut xml = xml_head("InitiateMultipartUploadResult");
    push_elem(&mut xml, "Bucket", &req.bucket);
    push_elem(&mut xml, "Key", &maybe_encode(req.key(), url));
    push_elem(&mut xml, "UploadId", &upload_id);
    if url {
        push_elem(&mut xml, "EncodingType", "url");
    }
    xml.push_str("</InitiateMultipartUploadResult>\n");
    Ok(xml_response(xml))
}

/// The upload named by `uploadId`, which must belong to this bucket and key.
pub(crate) fn find_upload(state: &State, req: &OssRequest) -> Result<Upload, OssError> {
    let id = req.query_param("uploadId").unwrap_or_default();
    let uploads = state
        .store
        .uploads
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    match uploads.get(id) {
        Some(u) if u.bucket == req.bucket && u.key == req.key() => Ok(u.clone()),
        _ => Err(OssError::no_such_upload(id)),
    }
}

pub(crate) async fn upload_part(
    state: &Arc<State>,
    req: &mut OssRequest,
    _info: &RequestInfo,
) -> Result<Response<Body>, OssError> {
    let pn_text = req.query_param("partNumber").unwrap_or_default().to_owned();
    let part_number = match pn_text.parse::<u32>() {
        Ok(n) if (1..=MAX_PART_NUMBER).contains(&n) => n,
        _ => {
            return Err(OssError::invalid_argument(
                "Part number must be an integer between 1 and 10000, inclusive.",
                "partNumber",
                &pn_text,
            ))
        }
    };
    let upload = find_upload(state, req)?;
    let got = receive_body(state, req).await?;
    let etag = format!("\"{}\"", hex::encode_upper(got.md5));
    let part = Part {
        etag: etag.clone(),
        md5: got.md5,
        crc64: got.crc64,
        last_modified: state.clock.now().unix_timestamp(),
        blob: got.blob,
    };
    store_part(state, &upload.upload_id, part_number, part)?;
    Ok(Response::builder()
        .status(200)
        .header("etag", etag)
        .header("x-oss-hash-crc64ecma", crc64::format(got.crc64))
        .body(empty())
        .unwrap_or_else(|_| Response::new(empty())))
}

/// Parses `<CompleteMultipartUpload><Part><PartNumber/><ETag/></Part>…`.
fn parse_complete_body(xml: &[u8]) -> Result<Vec<(u32, String)>, OssError> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut parts = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut number: Option<u32> = None;
    let mut etag: Option<String> = None;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if name == "Part" {
                    number = None;
                    etag = None;
                }
                path.push(name);
            }
            Ok(Event::End(_)) if path.pop().as_deref() == Some("Part") => {
                match (number.take(), etag.take()) {
                    (Some(n), Some(e)) => parts.push((n, e)),
                    _ => return Err(OssError::malformed_xml()),
                }
            }
            Ok(Event::Text(t)) => {
                let text = t.unescape().map_err(|_| OssError::malformed_xml())?;
                match path.last().map(String::as_str) {
                    Some("PartNumber") => {
                        number = Some(text.trim().parse().map_err(|_| OssError::malformed_xml())?)
                    }
                    Some("ETag") => etag = Some(text.trim().to_owned()),
                    _ => {}
                }
            }
            Ok(Event::Eof) => break,
            Err(_) => return Err(OssError::malformed_xml()),
            _ => {}
        }
        buf.clear();
    }
    if !path.is_empty() || parts.is_empty() {
        return Err(OssError::malformed_xml());
    }
    Ok(parts)
}

fn normalise_etag(e: &str) -> String {
    e.trim()
        .trim_matches('"')
        .replace("&quot;", "")
        .replace("&#34;", "")
        .to_ascii_uppercase()
}

pub(crate) async fn complete(
    state: &Arc<State>,
    req: &mut OssRequest,
    _info: &RequestInfo,
) -> Result<Response<Body>, OssError> {
    let upload = find_upload(state, req)?;
    let body = crate::body::read_small(&mut req.body, 4 * 1024 * 1024)
        .await
        .map_err(super::object::ingest_error)?;
    let complete_all = req
        .header("x-oss-complete-all")
        .is_some_and(|v| v.eq_ignore_ascii_case("yes"));
    let chosen: Vec<(u32, Part)> = if complete_all {
        if !body.is_empty() {
            return Err(OssError::invalid_argument(
                "Should not specify both the complete-all header and a part list in the body.",
                "x-oss-complete-all",
                "yes",
            ));
        }
        if upload.parts.is_empty() {
            return Err(OssError::invalid_argument(
                "The upload has no parts to complete.",
                "x-oss-complete-all",
                "yes",
            ));
        }
        upload.parts.iter().map(|(n, p)| (*n, p.clone())).collect()
    } else {
        let listed = parse_complete_body(&body)?;
        if listed.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(OssError::new(
                400,
                "InvalidPartOrder",
                "The list of parts was not in ascending order. Parts list must be specified in order by part number.",
                "0042-00000209",
            ));
        }
        let mut chosen = Vec::with_capacity(listed.len());
        for (n, etag) in &listed {
            match upload.parts.get(n) {
                Some(p) if normalise_etag(&p.etag) == normalise_etag(etag) => {
                    chosen.push((*n, p.clone()))
                }
                _ => {
                    return Err(OssError::new(
                        400,
                        "InvalidPart",
                        "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.",
                        "0042-00000208",
                    )
                    .with("PartNumber", n.to_string())
                    .with("ETag", etag.clone()))
                }
            }
        }
        chosen
    };
    let last = chosen.len() - 1;
    for (i, (n, p)) in chosen.iter().enumerate() {
        if i != last && p.blob.len() < MIN_PART_SIZE {
            return Err(OssError::new(
                400,
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed size.",
                "0042-00000207",
            )
            .with("PartNumber", n.to_string())
            .with("MinSizeAllowed", MIN_PART_SIZE.to_string())
            .with("ProposedSize", p.blob.len().to_string()));
        }
    }
    let mut blob = Blob::default();
    let mut crc = 0u64;
    let mut md5s = md5::Md5::new();
    for (i, (_, p)) in chosen.iter().enumerate() {
        crc = if i == 0 {
            p.crc64
        } else {
            crc64::combine(crc, p.crc64, p.blob.len())
        };
        md5s.update(p.md5);
        blob = blob.concat(&p.blob);
    }
    let etag = format!(
        "\"{}-{}\"",
        hex::encode_upper(md5s.finalize()),
        chosen.len()
    );
    let forbid = forbid_overwrite(req);
    let mut template = upload.template.clone();
    if let Some(acl) = req.header("x-oss-object-acl") {
        template.acl = acl;
    }
    let now = state.clock.now().unix_timestamp();
    let result = state
        .store
        .write(
            &req.bucket,
            req.key(),
            blob,
            overwrite_condition(forbid),
            |_, blob| ObjectMeta {
                size: blob.len(),
                etag: etag.clone(),
                crc64: crc,
                object_type: ObjectType::Multipart,
                last_modified: now,
                content_md5: None,
                ..template
            },
        )
        .await
        .map_err(|e| OssError::internal(format!("storage error: {e}")))?;
    match result {
        Ok(_) => {}
        Err(WriteConflict::Exists) => return Err(file_already_exists()),
        Err(other) => return Err(super::object::conflict_response(other)),
    }
    state
        .store
        .uploads
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&upload.upload_id);
    let url = url_encoding(req);
    let mut xml = xml_head("CompleteMultipartUploadResult");
    if url {
        push_elem(&mut xml, "EncodingType", "url");
    }
    push_elem(
        &mut xml,
        "Location",
        &format!(
            "http://{}/{}/{}",
            req.host,
            req.bucket,
            alioss::oss::signer::uri_encode_path(req.key())
        ),
    );
    push_elem(&mut xml, "Bucket", &req.bucket);
    push_elem(&mut xml, "Key", &maybe_encode(req.key(), url));
    push_elem(&mut xml, "ETag", &etag);
    xml.push_str("</CompleteMultipartUploadResult>\n");
    let mut resp = xml_response(xml);
    if let Ok(v) = hyper::header::HeaderValue::from_str(&crc64::format(crc)) {
        resp.headers_mut().insert("x-oss-hash-crc64ecma", v);
    }
    if let Ok(v) = hyper::header::HeaderValue::from_str(&etag) {
        resp.headers_mut().insert("etag", v);
    }
    Ok(resp)
}

pub(crate) async fn abort(
    state: &Arc<State>,
    req: &OssRequest,
) -> Result<Response<Body>, OssError> {
    let upload = find_upload(state, req)?;
    state
        .store
        .uploads
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&upload.upload_id);
    Ok(Response::builder()
        .status(204)
        .body(empty())
        .unwrap_or_else(|_| Response::new(empty())))
}

fn parse_limit(req: &OssRequest, name: &str, default: usize) -> Result<usize, OssError> {
    match req.query_param(name) {
        None | Some("") => Ok(default),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => Ok(n),
            _ => Err(OssError::invalid_argument(
                format!("{name} must be an integer from 1 to 1000."),
                name,
                v,
            )),
        },
    }
}

pub(crate) async fn list_parts(
    state: &Arc<State>,
    req: &OssRequest,
) -> Result<Response<Body>, OssError> {
    let upload = find_upload(state, req)?;
    let max = parse_limit(req, "max-parts", 1000)?;
    let marker: u32 = req
        .query_param("part-number-marker")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let url = url_encoding(req);
    let selected: Vec<(&u32, &Part)> = upload
        .parts
        .range(marker.saturating_add(1)..)
        .take(max + 1)
        .collect();
    let truncated = selected.len() > max;
    let shown = &selected[..selected.len().min(max)];
    let mut xml = xml_head("ListPartsResult");
    if url {
        push_elem(&mut xml, "EncodingType", "url");
    }
    push_elem(&mut xml, "Bucket", &req.bucket);
    push_elem(&mut xml, "Key", &maybe_encode(req.key(), url));
    push_elem(&mut xml, "UploadId", &upload.upload_id);
    push_elem(&mut xml, "StorageClass", &upload.template.storage_class);
    push_elem(&mut xml, "PartNumberMarker", &marker.to_string());
    let next = shown.last().map(|(n, _)| **n).unwrap_or(marker);
    push_elem(&mut xml, "NextPartNumberMarker", &next.to_string());
    push_elem(&mut xml, "MaxParts", &max.to_string());
    push_elem(
        &mut xml,
        "IsTruncated",
        if truncated { "true" } else { "false" },
    );
    for (n, p) in shown {
        xml.push_str("  <Part>\n");
        push_elem(&mut xml, "PartNumber", &n.to_string());
        push_elem(&mut xml, "LastModified", &iso_millis(p.last_modified));
        push_elem(&mut xml, "ETag", &p.etag);
        push_elem(&mut xml, "HashCrc64ecma", &p.crc64.to_string());
        push_elem(&mut xml, "Size", &p.blob.len().to_string());
        xml.push_str("  </Part>\n");
    }
    xml.push_str("</ListPartsResult>\n");
    Ok(xml_response(xml))
}

pub(crate) async fn list_uploads(
    state: &Arc<State>,
    req: &OssRequest,
) -> Result<Response<Body>, OssError> {
    let max = parse_limit(req, "max-uploads", 1000)?;
    let prefix = req.query_param("prefix").unwrap_or_default().to_owned();
    let delimiter = req.query_param("delimiter").unwrap_or_default().to_owned();
    let key_marker = req.query_param("key-marker").unwrap_or_default().to_owned();
    let id_marker = req
        .query_param("upload-id-marker")
        .unwrap_or_default()
        .to_owned();
    let url = url_encoding(req);
    let mut uploads: Vec<(String, String, i64, String)> = state
        .store
        .uploads
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .values()
        .filter(|u| u.bucket == req.bucket && u.key.starts_with(&prefix))
        .map(|u| {
            (
                u.key.clone(),
                u.upload_id.clone(),
                u.initiated,
                u.template.storage_class.clone(),
            )
        })
        .collect();
    uploads.sort();
    let after_marker = |k: &str, id: &str| {
        if key_marker.is_empty() {
            return true;
        }
        if id_marker.is_empty() {
            k > key_marker.as_str()
        } else {
            k > key_marker.as_str() || (k == key_marker && id > id_marker.as_str())
        }
    };
    let mut entries: Vec<Result<(String, String, i64, String), String>> = Vec::new();
    let mut truncated = false;
    for u in uploads.into_iter().filter(|u| after_marker(&u.0, &u.1)) {
        if !delimiter.is_empty() {
            if let Some(pos) = u.0[prefix.len()..].find(&delimiter) {
                let cp = u.0[..prefix.len() + pos + delimiter.len()].to_owned();
                if entries.iter().any(|e| e.as_ref().err() == Some(&cp)) {
                    continue;
                }
                if entries.len() == max {
                    truncated = true;
                    break;
                }
                entries.push(Err(cp));
                continue;
            }
        }
        if entries.len() == max {
            truncated = true;
            break;
        }
        entries.push(Ok(u));
    }
    let mut xml = xml_head("ListMultipartUploadsResult");
    if url {
        push_elem(&mut xml, "EncodingType", "url");
    }
    push_elem(&mut xml, "Bucket", &req.bucket);
    push_elem(&mut xml, "KeyMarker", &maybe_encode(&key_marker, url));
    push_elem(&mut xml, "UploadIdMarker", &id_marker);
    let (next_key, next_id) = match entries.last() {
        Some(Ok(u)) => (u.0.clone(), u.1.clone()),
        Some(Err(cp)) => (cp.clone(), String::new()),
        None => (String::new(), String::new()),
    };
    push_elem(&mut xml, "NextKeyMarker", &maybe_encode(&next_key, url));
    push_elem(&mut xml, "NextUploadIdMarker", &next_id);
    push_elem(&mut xml, "Delimiter", &maybe_encode(&delimiter, url));
    push_elem(&mut xml, "Prefix", &maybe_encode(&prefix, url));
    push_elem(&mut xml, "MaxUploads", &max.to_string());
    push_elem(
        &mut xml,
        "IsTruncated",
        if truncated { "true" } else { "false" },
    );
    for e in &entries {
        match e {
            Ok((key, id, initiated, class)) => {
                xml.push_str("  <Upload>\n");
                push_elem(&mut xml, "Key", &maybe_encode(key, url));
                push_elem(&mut xml, "UploadId", id);
                push_elem(&mut xml, "StorageClass", class);
                push_elem(&mut xml, "Initiated", &iso_millis(*initiated));
                xml.push_str("  </Upload>\n");
            }
            Err(cp) => {
                xml.push_str("  <CommonPrefixes>\n");
                push_elem(&mut xml, "Prefix", &maybe_encode(cp, url));
                xml.push_str("  </CommonPrefixes>\n");
            }
        }
    }
    xml.push_str("</ListMultipartUploadsResult>\n");
    Ok(xml_response(xml))
}
