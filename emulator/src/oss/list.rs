//! ListObjects (V1, `marker`) and ListObjectsV2 (`continuation-token`, `start-after`).

use std::ops::Bound;
use std::sync::Arc;

use base64::Engine as _;
use hyper::Response;

use super::{iso_millis, maybe_encode, xml_response, OssRequest};
use crate::errors::{push_elem, OssError};
use crate::server::{Body, State};

/// One listed entry: an object (key, size, etag, mtime, type, class) or a common prefix.
enum Entry {
    Object {
        key: String,
        size: u64,
        etag: String,
        last_modified: i64,
        object_type: &'static str,
        storage_class: String,
    },
    Prefix(String),
}

/// Continuation tokens are opaque to clients: standard base64 (with `+`, `/` and `=`, as OSS's
/// own tokens) of the last key returned. Under `encoding-type=url` they are URL-encoded in the
/// answer like every other field, so a client must decode them before sending them back.
fn encode_token(last: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(last.as_bytes())
}

fn decode_token(token: &str) -> Result<String, OssError> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    STANDARD
        .decode(token)
        .or_else(|_| URL_SAFE_NO_PAD.decode(token))
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            OssError::invalid_argument(
                "The continuation token provided is incorrect.",
                "continuation-token",
                token,
            )
        })
}

pub(crate) async fn list_objects(
    state: &Arc<State>,
    req: &OssRequest,
    v2: bool,
) -> Result<Response<Body>, OssError> {
    let max_keys = match req.query_param("max-keys") {
        None | Some("") => 100,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if n <= 1000 => n,
            _ => {
                return Err(OssError::invalid_argument(
                    "max-keys must be an integer from 0 to 1000.",
                    "max-keys",
                    v,
                ))
            }
        },
    };
    let url = super::url_encoding_param(req)?;
    let prefix = req.query_param("prefix").unwrap_or_default().to_owned();
    let delimiter = req.query_param("delimiter").unwrap_or_default().to_owned();
    let start_after = req
        .query_param("start-after")
        .unwrap_or_default()
        .to_owned();
    let marker = req.query_param("marker").unwrap_or_default().to_owned();
    let token = req
        .query_param("continuation-token")
        .unwrap_or_default()
        .to_owned();
    let after = if v2 {
        if token.is_empty() {
            start_after.clone()
        } else {
            decode_token(&token)?
        }
    } else {
        marker.clone()
    };
    let fetch_owner = req.query_param("fetch-owner") == Some("true") || !v2;
    let (entries, truncated) = state
        .store
        .with_bucket(&req.bucket, |objects| {
            let lower = if after.as_str() > prefix.as_str() {
                Bound::Excluded(after.clone())
            } else {
                Bound::Included(prefix.clone())
            };
            let mut entries: Vec<Entry> = Vec::new();
            let mut truncated = false;
            let mut last_prefix: Option<String> = None;
            for (key, obj) in objects.range((lower, Bound::Unbounded)) {
                if !key.starts_with(&prefix) {
                    if key.as_str() > prefix.as_str() {
                        break;
                    }
                    continue;
                }
                if key.as_str() <= after.as_str() {
                    continue;
                }
                let common = if delimiter.is_empty() {
                    None
                } else {
                    key[prefix.len()..]
                        .find(&delimiter)
                        .map(|pos| key[..prefix.len() + pos + delimiter.len()].to_owned())
                };
                if let Some(cp) = &common {
                    if last_prefix.as_deref() == Some(cp.as_str()) {
                        continue;
                    }
                    // A common prefix at or before the resume point was already returned.
                    if after.starts_with(cp.as_str()) {
                        continue;
                    }
                }
                if entries.len() == max_keys {
                    // With max-keys=0 nothing is listed and there is no next page to ask for.
                    truncated = max_keys > 0;
                    break;
                }
                match common {
                    Some(cp) => {
                        last_prefix = Some(cp.clone());
                        entries.push(Entry::Prefix(cp));
                    }
                    None => entries.push(Entry::Object {
                        key: key.clone(),
                        size: obj.meta.size,
                        etag: obj.meta.etag.clone(),
                        last_modified: obj.meta.last_modified,
                        object_type: obj.meta.object_type.as_str(),
                        storage_class: obj.meta.storage_class.clone(),
                    }),
                }
            }
            (entries, truncated)
        })
        .await
        .ok_or_else(|| OssError::no_such_bucket(&req.bucket))?;

    let last_name = entries.last().map(|e| match e {
        Entry::Object { key, .. } => key.clone(),
        // Resuming after "a/" + the highest possible suffix skips the whole prefix.
        Entry::Prefix(p) => format!("{p}\u{10FFFF}"),
    });
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult>\n");
    push_elem(&mut xml, "Name", &req.bucket);
    push_elem(&mut xml, "Prefix", &maybe_encode(&prefix, url));
    if v2 {
        if !start_after.is_empty() {
            push_elem(&mut xml, "StartAfter", &maybe_encode(&start_after, url));
        }
        if !token.is_empty() {
            push_elem(&mut xml, "ContinuationToken", &maybe_encode(&token, url));
        }
    } else {
        push_elem(&mut xml, "Marker", &maybe_encode(&marker, url));
    }
    push_elem(&mut xml, "MaxKeys", &max_keys.to_string());
    push_elem(&mut xml, "Delimiter", &maybe_encode(&delimiter, url));
    if url {
        push_elem(&mut xml, "EncodingType", "url");
    }
    push_elem(
        &mut xml,
        "IsTruncated",
        if truncated { "true" } else { "false" },
    );
    if truncated {
        if let Some(last) = &last_name {
            if v2 {
                push_elem(
                    &mut xml,
                    "NextContinuationToken",
                    &maybe_encode(&encode_token(last), url),
                );
            } else {
                let shown = last.trim_end_matches('\u{10FFFF}');
                push_elem(&mut xml, "NextMarker", &maybe_encode(shown, url));
            }
        }
    }
    if v2 {
        push_elem(&mut xml, "KeyCount", &entries.len().to_string());
    }
    let owner = state
        .buckets
        .get(&req.bucket)
        .and_then(|b| b.owner.clone())
        .unwrap_or_else(|| state.config.account_id.clone());
    for e in &entries {
        if let Entry::Object {
            key,
            size,
            etag,
            last_modified,
            object_type,
            storage_class,
        } = e
        {
            xml.push_str("  <Contents>\n");
            push_elem(&mut xml, "Key", &maybe_encode(key, url));
            push_elem(&mut xml, "LastModified", &iso_millis(*last_modified));
            push_elem(&mut xml, "ETag", etag);
            push_elem(&mut xml, "Type", object_type);
            push_elem(&mut xml, "Size", &size.to_string());
            push_elem(&mut xml, "StorageClass", storage_class);
            if fetch_owner {
                xml.push_str("  <Owner>\n");
                push_elem(&mut xml, "ID", &owner);
                push_elem(&mut xml, "DisplayName", &owner);
                xml.push_str("  </Owner>\n");
            }
            xml.push_str("  </Contents>\n");
        }
    }
    for e in &entries {
        if let Entry::Prefix(p) = e {
            xml.push_str("  <CommonPrefixes>\n");
            push_elem(&mut xml, "Prefix", &maybe_encode(p, url));
            xml.push_str("  </CommonPrefixes>\n");
        }
    }
    xml.push_str("</ListBucketResult>\n");
    Ok(xml_response(xml))
}
