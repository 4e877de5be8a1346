//! PostObject: browser form uploads (`multipart/form-data`) authorised by a signed policy.

use std::sync::Arc;

use alioss::oss::crc64;
use alioss::oss::signer::{post as post_signer, v4};
use base64::Engine as _;
use bytes::Bytes;
use hyper::Response;
use md5::Digest as _;

use super::object::{file_already_exists, overwrite_condition, upload_options};
use super::{authorize, check_key, Op, OssRequest};
use crate::errors::{push_elem, OssError};
use crate::iam::{KeyOwner, Principal};
use crate::server::{empty, full, Body, RequestInfo, State};
use crate::store::{ObjectMeta, WriteConflict};

/// Largest form body accepted (the form is held in memory).
const MAX_FORM_BYTES: usize = 1024 * 1024 * 1024;

/// A form field: name, value, and the file name for the file field.
struct Field {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    value: Bytes,
}

fn bad_form(message: &str) -> OssError {
    OssError::new(400, "InvalidArgument", message, "0016-00000701")
}

fn boundary(content_type: &str) -> Option<String> {
    let lower = content_type.to_ascii_lowercase();
    if !lower.starts_with("multipart/form-data") {
        return None;
    }
    content_type.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        if k.trim().eq_ignore_ascii_case("boundary") {
            Some(v.trim().trim_matches('"').to_owned())
        } else {
            None
        }
    })
}

fn disposition_param(header: &str, name: &str) -> Option<String> {
    header.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        if k.trim().eq_ignore_ascii_case(name) {
            Some(v.trim().trim_matches('"').to_owned())
        } else {
            None
        }
    })
}

/// Splits a multipart/form-data body into fields (no copy of the values).
fn parse_form(body: &Bytes, boundary: &str) -> Result<Vec<Field>, OssError> {
    let delim = format!("--{boundary}");
    let finder = memchr::memmem::Finder::new(delim.as_bytes());
    let positions: Vec<usize> = finder.find_iter(body).collect();
    if positions.len() < 2 {
        return Err(bad_form(
            "The body is not multipart/form-data with the declared boundary.",
        ));
    }
    let mut fields = Vec::new();
    for w in positions.windows(2) {
        let mut start = w[0] + delim.len();
        if body[start..].starts_with(b"--") {
            break;
        }
        if body[start..].starts_with(b"\r\n") {
            start += 2;
        }
        // The part ends with CRLF before the next delimiter.
        let mut end = w[1];
        if end >= 2 && &body[end - 2..end] == b"\r\n" {
            end -= 2;
        }
        if end < start {
            return Err(bad_form("A form part is malformed."));
        }
        let part = body.slice(start..end);
        let Some(split) = memchr::memmem::find(&part, b"\r\n\r\n") else {
            return Err(bad_form("A form part has no header section."));
        };
        let head = String::from_utf8_lossy(&part[..split]).into_owned();
        let value = part.slice(split + 4..);
        let mut name = None;
        let mut filename = None;
        let mut content_type = None;
        for line in head.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            if k.trim().eq_ignore_ascii_case("content-disposition") {
                name = disposition_param(v, "name");
                filename = disposition_param(v, "filename");
            } else if k.trim().eq_ignore_ascii_case("content-type") {
                content_type = Some(v.trim().to_owned());
            }
        }
        let Some(name) = name else {
            return Err(bad_form("A form part has no name."));
        };
        fields.push(Field {
            name,
            filename,
            content_type,
            value,
        });
    }
    Ok(fields)
}

fn policy_failed(detail: &str) -> OssError {
    OssError::new(
        403,
        "AccessDenied",
        format!("Invalid according to Policy: {detail}"),
        "0002-00000714",
    )
}

/// Checks the decoded policy document against the form and file size.
/// The policy field of a signed form and the owner of its access key `ak`, whose security token
/// (if any) the form must carry.
fn signed_form_owner(
    state: &State,
    field: &dyn Fn(&str) -> Option<String>,
    ak: &str,
    info: &RequestInfo,
) -> Result<(String, KeyOwner), OssError> {
    let Some(policy) = field("policy") else {
        return Err(bad_form("A signed form needs a policy field."));
    };
    let owner = state
        .iam
        .lookup_key(ak)
        .ok_or_else(|| OssError::invalid_access_key_id(ak))?;
    super::auth::check_token(&owner, field("x-oss-security-token").as_deref(), ak, info)?;
    Ok((policy, owner))
}

/// The refusal of a form whose signature is not the one computed over `policy`; `ec` tells the
/// V4 form (0002-00000703) from the V1 form (0002-00000704).
fn form_signature_mismatch(ec: &str, policy: &str) -> OssError {
    OssError::new(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        ec,
    )
    .with("StringToSign", policy.to_owned())
}

/// Decodes the base64 `policy` field and checks the form against it (see [`check_policy`]).
fn check_encoded_policy(
    policy: &str,
    field: &dyn Fn(&str) -> Option<String>,
    bucket: &str,
    file_len: u64,
    now: time::OffsetDateTime,
) -> Result<(), OssError> {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(policy.trim())
        .map_err(|_| bad_form("The policy is not base64."))?;
    check_policy(&decoded, field, bucket, file_len, now)
}

fn check_policy(
    policy_json: &[u8],
    field: &dyn Fn(&str) -> Option<String>,
    bucket: &str,
    file_len: u64,
    now: time::OffsetDateTime,
) -> Result<(), OssError> {
    let v: serde_json::Value = serde_json::from_slice(policy_json)
        .map_err(|_| bad_form("The policy is not valid JSON."))?;
    let exp = v
        .get("expiration")
        .and_then(|e| e.as_str())
        .ok_or_else(|| bad_form("The policy has no expiration."))?;
    let exp_t = time::OffsetDateTime::parse(exp, &time::format_description::well_known::Rfc3339)
        .map_err(|_| bad_form("The policy expiration is not an ISO 8601 time."))?;
    if now > exp_t {
        return Err(policy_failed("Policy expired."));
    }
    let conditions = v
        .get("conditions")
        .and_then(|c| c.as_array())
        .ok_or_else(|| bad_form("The policy has no conditions array."))?;
    let value_of = |name: &str| -> String {
        let n = name.trim_start_matches('$').to_ascii_lowercase();
        if n == "bucket" {
            return bucket.to_owned();
        }
        field(&n).unwrap_or_default()
    };
    for c in conditions {
        let failed = || policy_failed(&format!("Policy Condition failed: {c}"));
        match c {
            serde_json::Value::Object(map) => {
                for (k, want) in map {
                    if Some(value_of(k).as_str()) != want.as_str() {
                        return Err(failed());
                    }
                }
            }
            serde_json::Value::Array(items) => {
                let op = items.first().and_then(|o| o.as_str()).unwrap_or_default();
                match op.to_ascii_lowercase().as_str() {
                    "eq" | "starts-with" => {
                        let name = items.get(1).and_then(|o| o.as_str()).unwrap_or_default();
                        let want = items.get(2).and_then(|o| o.as_str()).unwrap_or_default();
                        let got = value_of(name);
                        let ok = if op.eq_ignore_ascii_case("eq") {
                            got == want
                        } else {
                            got.starts_with(want)
                        };
                        if !ok {
                            return Err(failed());
                        }
                    }
                    "content-length-range" => {
                        let min = items.get(1).and_then(|o| o.as_u64()).unwrap_or(0);
                        let max = items.get(2).and_then(|o| o.as_u64()).unwrap_or(u64::MAX);
                        if file_len < min {
                            return Err(OssError::new(
                                400,
                                "EntityTooSmall",
                                "Your proposed upload is smaller than the minimum allowed size.",
                                "0002-00000716",
                            ));
                        }
                        if file_len > max {
                            return Err(OssError::new(
                                400,
                                "EntityTooLarge",
                                "Your proposed upload exceeds the maximum allowed size.",
                                "0002-00000717",
                            ));
                        }
                    }
                    "in" | "not-in" => {
                        let name = items.get(1).and_then(|o| o.as_str()).unwrap_or_default();
                        let list = items
                            .get(2)
                            .and_then(|o| o.as_array())
                            .cloned()
                            .unwrap_or_default();
                        let got = value_of(name);
                        let hit = list.iter().any(|x| x.as_str() == Some(got.as_str()));
                        if hit != op.eq_ignore_ascii_case("in") {
                            return Err(failed());
                        }
                    }
                    _ => return Err(bad_form("The policy has an unknown condition.")),
                }
            }
            _ => return Err(bad_form("The policy has a malformed condition.")),
        }
    }
    Ok(())
}

pub(crate) async fn post_object(
    state: &Arc<State>,
    req: &mut OssRequest,
    region: &str,
    info: &RequestInfo,
) -> Result<Response<Body>, OssError> {
    let Some(boundary) = req.header("content-type").as_deref().and_then(boundary) else {
        return Err(bad_form("PostObject needs a multipart/form-data body."));
    };
    let body = crate::body::read_small(&mut req.body, MAX_FORM_BYTES)
        .await
        .map_err(super::object::ingest_error)?;
    let fields = parse_form(&body, &boundary)?;
    let Some(file_idx) = fields
        .iter()
        .position(|f| f.name.eq_ignore_ascii_case("file"))
    else {
        return Err(bad_form("The form has no file field."));
    };
    if file_idx != fields.len() - 1 {
        return Err(bad_form(
            "The file field must be the last field of the form.",
        ));
    }
    let file = &fields[file_idx];
    let text_fields: Vec<(String, String)> = fields[..file_idx]
        .iter()
        .map(|f| {
            (
                f.name.to_ascii_lowercase(),
                String::from_utf8_lossy(&f.value).into_owned(),
            )
        })
        .collect();
    let field = |n: &str| -> Option<String> {
        let n = n.to_ascii_lowercase();
        text_fields
            .iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| v.clone())
    };
    let Some(raw_key) = field("key") else {
        return Err(bad_form("The form has no key field."));
    };
    let key = raw_key.replace("${filename}", file.filename.as_deref().unwrap_or_default());
    check_key(&key)?;

    // Authentication: V4 form, V1 form, or anonymous.
    let principal: Option<Principal> = if let Some(sig) = field("x-oss-signature") {
        if field("x-oss-signature-version").as_deref() != Some(v4::ALGORITHM) {
            return Err(bad_form(
                "x-oss-signature-version must be OSS4-HMAC-SHA256.",
            ));
        }
        let cred = field("x-oss-credential").unwrap_or_default();
        let Some((ak, date, cred_region, product)) = v4::parse_credential_scope(&cred) else {
            return Err(bad_form("x-oss-credential is invalid."));
        };
        if cred_region != region {
            return Err(OssError::new(
                403,
                "AccessDenied",
                "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.",
                "0003-00001403",
            )
            .with("Bucket", req.bucket.clone())
            .with("Endpoint", format!("oss-{region}.aliyuncs.com")));
        }
        let (policy, owner) = signed_form_owner(state, &field, &ak, info)?;
        if let Some(t) =
            field("x-oss-date").and_then(|d| alioss::oss::signer::parse_iso8601_basic(&d))
        {
            if t - info.now > super::auth::MAX_SKEW {
                return Err(OssError::new(
                    403,
                    "RequestTimeTooSkewed",
                    "The difference between the request time and the current time is too large.",
                    "0002-00000504",
                ));
            }
        }
        let expected = post_signer::v4_signature(
            owner.secret(&state.iam),
            &date,
            &cred_region,
            &product,
            &policy,
        );
        if expected != sig {
            return Err(form_signature_mismatch("0002-00000703", &policy));
        }
        check_encoded_policy(
            &policy,
            &field,
            &req.bucket,
            file.value.len() as u64,
            info.now,
        )?;
        Some(owner.principal())
    } else if let (Some(ak), Some(sig)) = (field("ossaccesskeyid"), field("signature")) {
        let (policy, owner) = signed_form_owner(state, &field, &ak, info)?;
        if post_signer::v1_signature(owner.secret(&state.iam), &policy) != sig {
            return Err(form_signature_mismatch("0002-00000704", &policy));
        }
        check_encoded_policy(
            &policy,
            &field,
            &req.bucket,
            file.value.len() as u64,
            info.now,
        )?;
        Some(owner.principal())
    } else {
        None
    };
    authorize(
        state,
        principal.as_ref(),
        Op::PostObject,
        &req.bucket,
        Some(&key),
        &info.conditions(),
    )
    .await?;

    let now = state.clock.now().unix_timestamp();
    let mut template = upload_options(
        &key,
        field,
        text_fields.iter().map(|(k, _)| k.as_str()),
        now,
    )?;
    if field("content-type").is_none() {
        if let Some(ct) = &file.content_type {
            template.content_type = ct.clone();
        }
    }
    if let Some(md5) = field("content-md5") {
        let want = base64::engine::general_purpose::STANDARD
            .decode(md5.trim())
            .ok();
        let got = md5::Md5::digest(&file.value);
        if want.as_deref() != Some(got.as_slice()) {
            return Err(OssError::new(
                400,
                "BadDigest",
                "The Content-MD5 you specified did not match what we received.",
                "0016-00000402",
            ));
        }
    }
    let forbid = field("x-oss-forbid-overwrite").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let mut writer = state
        .store
        .writer()
        .await
        .map_err(|e| OssError::internal(format!("cannot store data: {e}")))?;
    if let Err(e) = writer.write(file.value.clone()).await {
        writer.discard().await;
        return Err(OssError::internal(format!("storage error: {e}")));
    }
    let blob = writer
        .finish()
        .await
        .map_err(|e| OssError::internal(format!("storage error: {e}")))?;
    let md5_raw: [u8; 16] = md5::Md5::digest(&file.value).into();
    let crc = crc64::checksum(&file.value);
    let etag = format!("\"{}\"", hex::encode_upper(md5_raw));
    let md5_b64 = base64::engine::general_purpose::STANDARD.encode(md5_raw);
    let result = state
        .store
        .write(
            &req.bucket,
            &key,
            blob,
            overwrite_condition(forbid),
            |_, blob| ObjectMeta {
                size: blob.len(),
                etag: etag.clone(),
                crc64: crc,
                content_md5: Some(md5_b64.clone()),
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
    let status: u16 = match field("success_action_status").as_deref() {
        Some("200") => 200,
        Some("201") => 201,
        _ => 204,
    };
    let b = Response::builder()
        .status(status)
        .header("etag", &etag)
        .header("x-oss-hash-crc64ecma", crc64::format(crc));
    let resp = if status == 201 {
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PostResponse>\n");
        push_elem(&mut xml, "Bucket", &req.bucket);
        push_elem(
            &mut xml,
            "Location",
            &format!(
                "http://{}/{}/{}",
                req.host,
                req.bucket,
                alioss::oss::signer::uri_encode_path(&key)
            ),
        );
        push_elem(&mut xml, "Key", &key);
        push_elem(&mut xml, "ETag", &etag);
        xml.push_str("</PostResponse>\n");
        b.header("content-type", "application/xml").body(full(xml))
    } else {
        b.body(empty())
    };
    Ok(resp.unwrap_or_else(|_| Response::new(empty())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_parts_split_on_the_boundary() {
        let body = Bytes::from_static(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nsrc/a.txt\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\nworld\r\n--XyZ--\r\n",
        );
        let f = parse_form(&body, "XyZ").unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].name, "key");
        assert_eq!(&f[0].value[..], b"src/a.txt");
        assert_eq!(f[1].filename.as_deref(), Some("a.txt"));
        assert_eq!(&f[1].value[..], b"hello\r\nworld");
    }
}
