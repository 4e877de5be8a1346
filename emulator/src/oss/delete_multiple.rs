//! DeleteMultipleObjects: `POST /?delete` with an XML list of up to 1000 keys.

use std::sync::Arc;

use base64::Engine as _;
use hyper::Response;
use md5::Digest as _;

use super::records::{read_records, Records};
use super::{maybe_encode, xml_response, OssRequest};
use crate::authz::Conditions;
use crate::errors::{push_elem, OssError};
use crate::iam::Principal;
use crate::server::{Body, State};

/// Most keys one request may name.
pub(crate) const MAX_KEYS: usize = 1000;

/// `<Delete><Quiet/><Object><Key/></Object>…</Delete>` → (quiet, keys). Keys are XML text
/// (control characters as character references), never URL-encoded: `encoding-type=url` only
/// asks for encoded keys in the answer.
fn parse_delete_body(xml: &[u8]) -> Result<(bool, Vec<String>), OssError> {
    // `<Key/>` is an empty key, refused later; an `<Object>` without a key is malformed.
    let doc = read_records(xml, "Delete", "Object", &["Key"])?;
    let keys = doc
        .records
        .iter()
        .map(|r| Records::field(r, "Key").map(str::to_owned))
        .collect::<Option<Vec<String>>>()
        .ok_or_else(OssError::malformed_xml)?;
    if keys.is_empty() || keys.len() > MAX_KEYS {
        return Err(OssError::malformed_xml());
    }
    let quiet =
        Records::field(&doc.fields, "Quiet").is_some_and(|q| q.trim().eq_ignore_ascii_case("true"));
    Ok((quiet, keys))
}

/// Deletes the listed keys. Each key needs `oss:DeleteObject`; if any is denied, nothing is
/// deleted and the request is refused.
pub(crate) async fn delete_multiple(
    state: &Arc<State>,
    req: &mut OssRequest,
    principal: Option<&Principal>,
    conditions: &Conditions,
) -> Result<Response<Body>, OssError> {
    let url = super::url_encoding_param(req)?;
    let Some(md5) = super::object::content_md5(req)? else {
        return Err(OssError::new(
            400,
            "InvalidDigest",
            "DeleteMultipleObjects requires a Content-MD5 header.",
            "0016-00000401",
        )
        .with("ArgumentName", "Content-MD5"));
    };
    let body = crate::body::read_small(&mut req.body, 2 * 1024 * 1024)
        .await
        .map_err(super::object::ingest_error)?;
    let got: [u8; 16] = md5::Md5::digest(&body).into();
    if got != md5 {
        return Err(OssError::new(
            400,
            "BadDigest",
            "The Content-MD5 you specified did not match what we received.",
            "0016-00000402",
        )
        .with(
            "CalculatedDigest",
            base64::engine::general_purpose::STANDARD.encode(got),
        ));
    }
    let (quiet, keys) = parse_delete_body(&body)?;
    for k in &keys {
        super::check_key(k)?;
        super::authorize(
            state,
            principal,
            super::Op::DeleteObject,
            &req.bucket,
            Some(k),
            conditions,
        )
        .await?;
    }
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult>\n");
    if url {
        push_elem(&mut xml, "EncodingType", "url");
    }
    for k in &keys {
        state
            .store
            .delete(&req.bucket, k)
            .await
            .map_err(|e| OssError::internal(format!("storage error: {e}")))?;
        if !quiet {
            xml.push_str("  <Deleted>\n");
            push_elem(&mut xml, "Key", &maybe_encode(k, url));
            xml.push_str("  </Deleted>\n");
        }
    }
    xml.push_str("</DeleteResult>\n");
    Ok(xml_response(xml))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_lists_keys_and_quiet() {
        let xml = b"<Delete><Quiet>true</Quiet><Object><Key>a&amp;b</Key></Object><Object><Key>c%2Fd=1</Key></Object><Object><Key>x&#x1;y</Key></Object></Delete>";
        let (quiet, keys) = parse_delete_body(xml).unwrap();
        assert!(quiet);
        // Taken literally: a `%2F` in the body is part of the key, not an encoded slash.
        assert_eq!(keys, ["a&b", "c%2Fd=1", "x\u{1}y"]);
    }

    #[test]
    fn an_object_needs_a_key_and_an_empty_key_element_is_an_empty_key() {
        let parse = |xml: &str| parse_delete_body(xml.as_bytes());
        assert_eq!(
            parse("<Delete><Object><Key/></Object></Delete>").unwrap().1,
            [""]
        );
        for bad in [
            "<Delete><Object></Object></Delete>",
            "<Delete><Object><Key></Key></Object></Delete>",
            "<Other><Object><Key>k</Key></Object></Other>",
            "<Delete><Object><Key>k</Key></Object>",
            "<Delete/>",
        ] {
            assert_eq!(parse(bad).unwrap_err().code, "MalformedXML", "{bad}");
        }
        let (quiet, _) =
            parse("<Delete><Quiet> TRUE </Quiet><Object><Key>k</Key></Object></Delete>").unwrap();
        assert!(quiet);
    }

    #[test]
    fn more_than_1000_keys_are_malformed() {
        let mut xml = String::from("<Delete>");
        for i in 0..1001 {
            xml.push_str(&format!("<Object><Key>k{i}</Key></Object>"));
        }
        xml.push_str("</Delete>");
        let err = parse_delete_body(xml.as_bytes()).unwrap_err();
        assert_eq!(err.code, "MalformedXML");
        assert!(parse_delete_body(b"<Delete></Delete>").is_err());
    }
}
