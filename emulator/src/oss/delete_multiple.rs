//! DeleteMultipleObjects: `POST /?delete` with an XML list of up to 1000 keys.

use std::sync::Arc;

use base64::Engine as _;
use hyper::Response;
use md5::Digest as _;

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
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut keys = Vec::new();
    let mut quiet = false;
    let mut path: Vec<String> = Vec::new();
    let mut key: Option<String> = None;
    let mut buf = Vec::new();
    let mut saw_root = false;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if path.is_empty() {
                    if name != "Delete" {
                        return Err(OssError::malformed_xml());
                    }
                    saw_root = true;
                }
                if name == "Object" {
                    key = None;
                }
                path.push(name);
            }
            // `<Key/>`: an empty key, refused later.
            Ok(Event::Empty(e)) if e.name().as_ref() == b"Key" => key = Some(String::new()),
            // The guard pops every closing element; `</Object>` ends a key.
            Ok(Event::End(_)) if path.pop().as_deref() == Some("Object") => match key.take() {
                Some(k) => keys.push(k),
                None => return Err(OssError::malformed_xml()),
            },
            Ok(Event::Text(t)) => {
                let text = t.unescape().map_err(|_| OssError::malformed_xml())?;
                match path.last().map(String::as_str) {
                    Some("Key") => key = Some(key.unwrap_or_default() + &text),
                    Some("Quiet") => quiet = text.trim().eq_ignore_ascii_case("true"),
                    _ => {}
                }
            }
            Ok(Event::Eof) => break,
            Err(_) => return Err(OssError::malformed_xml()),
            _ => {}
        }
        buf.clear();
    }
    if !path.is_empty() || !saw_root || keys.is_empty() || keys.len() > MAX_KEYS {
        return Err(OssError::malformed_xml());
    }
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
