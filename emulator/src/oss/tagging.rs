//! Object tagging (`?tagging`: Put, Get, Delete) and object ACL (`?acl`: Put, Get).

use std::sync::Arc;

use hyper::Response;

use super::records::{read_records, Records};
use super::{xml_response, OssRequest};
use crate::errors::{push_elem, OssError};
use crate::server::{empty, Body, State};
use crate::store::ObjectMeta;

/// Most tags an object may carry.
const MAX_TAGS: usize = 10;

/// OSS's rules for a tag set, from `x-oss-tagging` or a `<Tagging>` body: at most 10 tags
/// (checked first, so a huge set costs nothing more), unique keys of 1 to 128 characters,
/// values of at most 256.
pub(crate) fn check_tag_set(tags: &[(String, String)]) -> Result<(), OssError> {
    if tags.len() > MAX_TAGS {
        return Err(invalid_tag());
    }
    let mut keys = std::collections::HashSet::new();
    let bad = tags.iter().any(|(k, v)| {
        !keys.insert(k.as_str())
            || k.is_empty()
            || k.chars().count() > 128
            || v.chars().count() > 256
    });
    if bad {
        return Err(invalid_tag());
    }
    Ok(())
}

fn invalid_tag() -> OssError {
    OssError::new(
        400,
        "InvalidTag",
        "The tag provided was not a valid tag: at most 10 tags, unique keys of 1-128 and values of 0-256 characters.",
        "0048-00000001",
    )
}

/// `<Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>` → pairs.
fn parse_tagging(xml: &[u8]) -> Result<Vec<(String, String)>, OssError> {
    // `<Value/>` is an empty value; a tag without a key is malformed.
    let doc = read_records(xml, "Tagging", "Tag", &["Value"])?;
    let tags = doc
        .records
        .iter()
        .map(|r| {
            let key = Records::field(r, "Key")?.to_owned();
            Some((
                key,
                Records::field(r, "Value").unwrap_or_default().to_owned(),
            ))
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(OssError::malformed_xml)?;
    check_tag_set(&tags)?;
    Ok(tags)
}

async fn existing(
    state: &State,
    req: &OssRequest,
) -> Result<Arc<crate::store::StoredObject>, OssError> {
    state
        .store
        .get(&req.bucket, req.key())
        .await
        .ok_or_else(|| OssError::no_such_key(req.key()))
}

async fn update(
    state: &State,
    req: &OssRequest,
    change: impl FnOnce(&mut ObjectMeta),
) -> Result<(), OssError> {
    state
        .store
        .update_meta(&req.bucket, req.key(), change)
        .await
        .map_err(|e| OssError::internal(format!("storage error: {e}")))?
        .map(|_| ())
        .ok_or_else(|| OssError::no_such_key(req.key()))
}

fn no_content() -> Response<Body> {
    Response::builder()
        .status(200)
        .body(empty())
        .unwrap_or_else(|_| Response::new(empty()))
}

/// PutObjectTagging: replaces the object's tags.
pub(crate) async fn put_tagging(
    state: &Arc<State>,
    req: &mut OssRequest,
) -> Result<Response<Body>, OssError> {
    let body = crate::body::read_small(&mut req.body, 64 * 1024)
        .await
        .map_err(super::object::ingest_error)?;
    let tags = parse_tagging(&body)?;
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(tags.iter())
        .finish();
    update(state, req, |m| {
        m.tagging = (!tags.is_empty()).then_some(encoded);
    })
    .await?;
    Ok(no_content())
}

/// GetObjectTagging.
pub(crate) async fn get_tagging(
    state: &Arc<State>,
    req: &OssRequest,
) -> Result<Response<Body>, OssError> {
    let obj = existing(state, req).await?;
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Tagging>\n<TagSet>\n");
    if let Some(t) = &obj.meta.tagging {
        for (k, v) in form_urlencoded::parse(t.as_bytes()) {
            xml.push_str("  <Tag>\n");
            push_elem(&mut xml, "Key", &k);
            push_elem(&mut xml, "Value", &v);
            xml.push_str("  </Tag>\n");
        }
    }
    xml.push_str("</TagSet>\n</Tagging>\n");
    Ok(xml_response(xml))
}

/// DeleteObjectTagging.
pub(crate) async fn delete_tagging(
    state: &Arc<State>,
    req: &OssRequest,
) -> Result<Response<Body>, OssError> {
    update(state, req, |m| m.tagging = None).await?;
    Ok(Response::builder()
        .status(204)
        .body(empty())
        .unwrap_or_else(|_| Response::new(empty())))
}

/// PutObjectACL: `x-oss-object-acl` names the new ACL.
pub(crate) async fn put_acl(
    state: &Arc<State>,
    req: &OssRequest,
) -> Result<Response<Body>, OssError> {
    let acl = req.header("x-oss-object-acl").unwrap_or_default();
    if !super::object::ACLS.contains(&acl.as_str()) {
        return Err(OssError::invalid_argument(
            "The ACL you provided is not valid.",
            "x-oss-object-acl",
            &acl,
        ));
    }
    update(state, req, |m| m.acl = acl).await?;
    Ok(no_content())
}

/// GetObjectACL.
pub(crate) async fn get_acl(
    state: &Arc<State>,
    req: &OssRequest,
) -> Result<Response<Body>, OssError> {
    let obj = existing(state, req).await?;
    let owner = state
        .buckets
        .get(&req.bucket)
        .and_then(|b| b.owner.clone())
        .unwrap_or_else(|| state.config.account_id.clone());
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<AccessControlPolicy>\n<Owner>\n",
    );
    push_elem(&mut xml, "ID", &owner);
    push_elem(&mut xml, "DisplayName", &owner);
    xml.push_str("</Owner>\n<AccessControlList>\n");
    push_elem(&mut xml, "Grant", &obj.meta.acl);
    xml.push_str("</AccessControlList>\n</AccessControlPolicy>\n");
    Ok(xml_response(xml))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_sets_are_checked_as_oss_does() {
        let set = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert!(check_tag_set(&set(&[("a", "1"), ("b", "")])).is_ok());
        assert!(check_tag_set(&set(&[("a", "1"), ("a", "2")])).is_err());
        assert!(check_tag_set(&set(&[("", "1")])).is_err());
        let k129 = "k".repeat(129);
        assert!(check_tag_set(&set(&[(&k129, "1")])).is_err());
        // A body with a key twice is refused like the header.
        let xml = b"<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>a</Key><Value>2</Value></Tag></TagSet></Tagging>";
        assert_eq!(parse_tagging(xml).unwrap_err().code, "InvalidTag");
        // A huge set is refused by its length, before any other work.
        let many: Vec<(String, String)> = (0..100_000)
            .map(|i| (format!("k{i}"), String::new()))
            .collect();
        assert!(check_tag_set(&many).is_err());
    }

    #[test]
    fn tagging_xml_parses_and_is_checked() {
        let tags = parse_tagging(
            b"<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value/></Tag></TagSet></Tagging>",
        )
        .unwrap();
        assert_eq!(
            tags,
            [("a".into(), "1".into()), ("b".into(), String::new())]
        );
        let mut many = String::from("<Tagging><TagSet>");
        for i in 0..11 {
            many.push_str(&format!("<Tag><Key>k{i}</Key><Value>v</Value></Tag>"));
        }
        many.push_str("</TagSet></Tagging>");
        assert_eq!(
            parse_tagging(many.as_bytes()).unwrap_err().code,
            "InvalidTag"
        );
        assert_eq!(parse_tagging(b"<Nope/>").unwrap_err().code, "MalformedXML");
        // A tag needs a key with text; `<Key/>` is no key.
        let keyless = b"<Tagging><TagSet><Tag><Key/><Value>1</Value></Tag></TagSet></Tagging>";
        assert_eq!(parse_tagging(keyless).unwrap_err().code, "MalformedXML");
    }
}
