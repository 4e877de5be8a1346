//! The object operations, one module per family, and the options they share.

pub(crate) mod append;
mod conditions;
pub(crate) mod copy;
pub(crate) mod delete_multiple;
pub(crate) mod list;
pub(crate) mod multipart;
pub(crate) mod multipart_upload;
pub(crate) mod object;
mod paging;
pub(crate) mod raw;
pub(crate) mod tagging;
mod url_encoded;

use std::collections::BTreeMap;

use reqwest::header::HeaderMap;
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::oss::signer::{format_http_date, parse_http_date, uri_encode};
pub(crate) use crate::oss::types::{ObjectAcl, ServerSideEncryption, StorageClass};
use crate::oss::validation;

/// The options an object is stored with: content headers, ACL, storage class, user metadata,
/// tags, forbid-overwrite, server-side encryption and a traffic limit.
///
/// One type for every operation that creates an object: PutObject, AppendObject (and the
/// [`Appender`](crate::oss::Appender)), InitiateMultipartUpload, the
/// [`Uploader`](crate::oss::Uploader), and their presigned URLs. Build it with the setters of
/// [`WithObjectOptions`] (the same setters every such operation builder has), and hand a whole
/// set to a builder with [`WithObjectOptions::options`].
///
/// ```
/// use alioss::oss::{ObjectAcl, ObjectOptions, StorageClass, WithObjectOptions as _};
///
/// let archived = ObjectOptions::new()
///     .storage_class(StorageClass::Archive)
///     .acl(ObjectAcl::Private)
///     .metadata("project", "alioss")
///     .tag("team", "data");
/// assert_eq!(archived.get_storage_class(), Some(&StorageClass::Archive));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectOptions {
    pub(crate) content_type: Option<String>,
    pub(crate) cache_control: Option<String>,
    pub(crate) content_disposition: Option<String>,
    pub(crate) content_encoding: Option<String>,
    pub(crate) content_language: Option<String>,
    pub(crate) expires: Option<OffsetDateTime>,
    pub(crate) acl: Option<ObjectAcl>,
    pub(crate) storage_class: Option<StorageClass>,
    pub(crate) metadata: Vec<(String, String)>,
    pub(crate) tagging: Vec<(String, String)>,
    pub(crate) forbid_overwrite: Option<bool>,
    pub(crate) sse: Option<ServerSideEncryption>,
    pub(crate) traffic_limit: Option<u64>,
}

impl ObjectOptions {
    /// No options: the bucket's defaults, Content-Type guessed from the key.
    pub fn new() -> Self {
        Self::default()
    }

    /// The Content-Type, when set.
    pub fn get_content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The ACL, when set.
    pub fn get_acl(&self) -> Option<&ObjectAcl> {
        self.acl.as_ref()
    }

    /// The storage class, when set.
    pub fn get_storage_class(&self) -> Option<&StorageClass> {
        self.storage_class.as_ref()
    }

    /// User metadata (names as given, sent lower-cased as `x-oss-meta-<name>`).
    pub fn get_metadata(&self) -> &[(String, String)] {
        &self.metadata
    }

    /// Tags.
    pub fn get_tags(&self) -> &[(String, String)] {
        &self.tagging
    }

    /// Whether overwriting an existing object is forbidden, when set.
    pub fn get_forbid_overwrite(&self) -> Option<bool> {
        self.forbid_overwrite
    }

    /// Server-side encryption, when set.
    pub fn get_server_side_encryption(&self) -> Option<&ServerSideEncryption> {
        self.sse.as_ref()
    }

    /// Checks every option against OSS's rules (header values, metadata names, tags, traffic
    /// limit range).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the option and the rule it breaks.
    pub fn validate(&self) -> Result<()> {
        for (field, v) in [
            ("content_type", &self.content_type),
            ("cache_control", &self.cache_control),
            ("content_disposition", &self.content_disposition),
            ("content_encoding", &self.content_encoding),
            ("content_language", &self.content_language),
        ] {
            if let Some(v) = v {
                validation::header_value(field, v)?;
            }
        }
        validation::metadata(&self.metadata)?;
        validation::tags(&self.tagging)?;
        match &self.sse {
            Some(ServerSideEncryption::Kms { key_id: Some(id) }) => {
                validation::header_value("server_side_encryption", id)?
            }
            Some(ServerSideEncryption::Other(v)) => {
                validation::header_value("server_side_encryption", v)?
            }
            _ => {}
        }
        if let Some(ObjectAcl::Other(v)) = &self.acl {
            validation::header_value("acl", v)?;
        }
        if let Some(StorageClass::Other(v)) = &self.storage_class {
            validation::header_value("storage_class", v)?;
        }
        if let Some(t) = self.traffic_limit {
            validation::traffic_limit(t)?;
        }
        Ok(())
    }

    /// Removes the Content-Type [`headers`](Self::headers) guessed, when none was set: a
    /// presigned URL signs only what its user was asked to send.
    pub(crate) fn drop_guessed_content_type(&self, headers: &mut Vec<(String, String)>) {
        if self.content_type.is_none() {
            headers.retain(|(k, _)| k != "Content-Type");
        }
    }

    /// The headers, with Content-Type guessed from `key` when not given.
    pub(crate) fn headers(&self, key: &str) -> Vec<(String, String)> {
        let mut h = Vec::new();
        let content_type = self.content_type.clone().unwrap_or_else(|| {
            mime_guess::from_path(key)
                .first_raw()
                .unwrap_or("application/octet-stream")
                .to_owned()
        });
        h.push(("Content-Type".to_owned(), content_type));
        let mut push = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                h.push((k.to_owned(), v));
            }
        };
        push("Cache-Control", self.cache_control.clone());
        push("Content-Disposition", self.content_disposition.clone());
        push("Content-Encoding", self.content_encoding.clone());
        push("Content-Language", self.content_language.clone());
        push("Expires", self.expires.map(format_http_date));
        push(
            "x-oss-object-acl",
            self.acl.as_ref().map(|a| a.as_str().to_owned()),
        );
        push(
            "x-oss-storage-class",
            self.storage_class.as_ref().map(|s| s.as_str().to_owned()),
        );
        push(
            "x-oss-forbid-overwrite",
            self.forbid_overwrite.map(|b| b.to_string()),
        );
        push(
            "x-oss-traffic-limit",
            self.traffic_limit.map(|t| t.to_string()),
        );
        if !self.tagging.is_empty() {
            let tags: Vec<String> = self
                .tagging
                .iter()
                .map(|(k, v)| format!("{}={}", uri_encode(k), uri_encode(v)))
                .collect();
            push("x-oss-tagging", Some(tags.join("&")));
        }
        match &self.sse {
            Some(ServerSideEncryption::Aes256) => {
                push("x-oss-server-side-encryption", Some("AES256".into()))
            }
            Some(ServerSideEncryption::Sm4) => {
                push("x-oss-server-side-encryption", Some("SM4".into()))
            }
            Some(ServerSideEncryption::Kms { key_id }) => {
                push("x-oss-server-side-encryption", Some("KMS".into()));
                push("x-oss-server-side-encryption-key-id", key_id.clone());
            }
            Some(ServerSideEncryption::Other(v)) => {
                push("x-oss-server-side-encryption", Some(v.clone()))
            }
            None => {}
        }
        for (k, v) in &self.metadata {
            h.push((format!("x-oss-meta-{}", k.to_ascii_lowercase()), v.clone()));
        }
        h
    }
}

/// The object-option setters, shared by [`ObjectOptions`] and every builder of an operation
/// that creates an object (PutObject, AppendObject, the Appender, InitiateMultipartUpload, the
/// Uploader). Bring it into scope to call them (`use alioss::oss::WithObjectOptions as _;`, or
/// `use alioss::prelude::*;`).
///
/// Options are checked when the operation is sent or presigned, before any network call.
pub trait WithObjectOptions: Sized {
    /// The options being built.
    fn object_options_mut(&mut self) -> &mut ObjectOptions;

    /// Replaces every option with `options`.
    fn options(mut self, options: ObjectOptions) -> Self {
        *self.object_options_mut() = options;
        self
    }

    /// The Content-Type (default: guessed from the key's extension, else
    /// `application/octet-stream`).
    fn content_type(mut self, v: impl Into<String>) -> Self {
        self.object_options_mut().content_type = Some(v.into());
        self
    }

    /// The Cache-Control header stored with the object.
    fn cache_control(mut self, v: impl Into<String>) -> Self {
        self.object_options_mut().cache_control = Some(v.into());
        self
    }

    /// The Content-Disposition header stored with the object.
    fn content_disposition(mut self, v: impl Into<String>) -> Self {
        self.object_options_mut().content_disposition = Some(v.into());
        self
    }

    /// The Content-Encoding header stored with the object.
    fn content_encoding(mut self, v: impl Into<String>) -> Self {
        self.object_options_mut().content_encoding = Some(v.into());
        self
    }

    /// The Content-Language header stored with the object.
    fn content_language(mut self, v: impl Into<String>) -> Self {
        self.object_options_mut().content_language = Some(v.into());
        self
    }

    /// The Expires header stored with the object.
    fn expires(mut self, at: OffsetDateTime) -> Self {
        self.object_options_mut().expires = Some(at);
        self
    }

    /// The object's ACL.
    fn acl(mut self, acl: ObjectAcl) -> Self {
        self.object_options_mut().acl = Some(acl);
        self
    }

    /// The object's storage class.
    fn storage_class(mut self, class: StorageClass) -> Self {
        self.object_options_mut().storage_class = Some(class);
        self
    }

    /// Adds user metadata `name` (sent as `x-oss-meta-<name>`; letters, digits, `-`, `_`).
    fn metadata(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.object_options_mut()
            .metadata
            .push((name.into(), value.into()));
        self
    }

    /// Adds an object tag (at most 10; key up to 128 and value up to 256 characters).
    fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.object_options_mut()
            .tagging
            .push((key.into(), value.into()));
        self
    }

    /// Refuses to overwrite an existing object of the same name (`x-oss-forbid-overwrite`; the
    /// operation then fails with [`ErrorKind::AlreadyExists`](crate::ErrorKind::AlreadyExists)).
    fn forbid_overwrite(mut self, yes: bool) -> Self {
        self.object_options_mut().forbid_overwrite = Some(yes);
        self
    }

    /// Server-side encryption.
    fn server_side_encryption(mut self, sse: ServerSideEncryption) -> Self {
        self.object_options_mut().sse = Some(sse);
        self
    }

    /// Limits the transfer speed, in bit/s (245760 to 838860800).
    fn traffic_limit(mut self, bits_per_second: u64) -> Self {
        self.object_options_mut().traffic_limit = Some(bits_per_second);
        self
    }
}

impl WithObjectOptions for ObjectOptions {
    fn object_options_mut(&mut self) -> &mut ObjectOptions {
        self
    }
}

/// User metadata from `x-oss-meta-*` response headers, names lower-cased without the prefix.
pub(crate) fn metadata_from(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .filter_map(|(k, v)| {
            let name = k.as_str().strip_prefix("x-oss-meta-")?;
            Some((name.to_owned(), v.to_str().ok()?.to_owned()))
        })
        .collect()
}

/// A header parsed as an integer.
pub(crate) fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// A header parsed as an HTTP date.
pub(crate) fn header_date(headers: &HeaderMap, name: &str) -> Option<OffsetDateTime> {
    parse_http_date(headers.get(name)?.to_str().ok()?)
}

/// An ISO 8601 time from a listing.
pub(crate) fn parse_iso_time(s: Option<&str>) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s?, &time::format_description::well_known::Rfc3339).ok()
}

/// A missing-header response error.
pub(crate) fn missing(what: &str) -> Error {
    Error::Response(format!("the response lacks {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_is_guessed_from_the_extension() {
        let o = ObjectOptions::default();
        let h = o.headers("src/data.csv");
        assert_eq!(h[0], ("Content-Type".into(), "text/csv".into()));
        let h = o.headers("noext");
        assert_eq!(h[0].1, "application/octet-stream");
        let o = ObjectOptions {
            content_type: Some("text/plain".into()),
            ..Default::default()
        };
        assert_eq!(o.headers("a.csv")[0].1, "text/plain");
    }

    #[test]
    fn options_render_as_headers() {
        let o = ObjectOptions {
            acl: Some(ObjectAcl::Private),
            storage_class: Some(StorageClass::InfrequentAccess),
            metadata: vec![("Author".into(), "me".into())],
            tagging: vec![("a b".into(), "1".into()), ("c".into(), "2".into())],
            forbid_overwrite: Some(true),
            sse: Some(ServerSideEncryption::Kms {
                key_id: Some("cmk".into()),
            }),
            traffic_limit: Some(245_760),
            ..Default::default()
        };
        o.validate().unwrap();
        let h = o.headers("k");
        let get = |n: &str| h.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("x-oss-object-acl"), Some("private"));
        assert_eq!(get("x-oss-storage-class"), Some("IA"));
        assert_eq!(get("x-oss-meta-author"), Some("me"));
        assert_eq!(get("x-oss-tagging"), Some("a%20b=1&c=2"));
        assert_eq!(get("x-oss-forbid-overwrite"), Some("true"));
        assert_eq!(get("x-oss-server-side-encryption"), Some("KMS"));
        assert_eq!(get("x-oss-server-side-encryption-key-id"), Some("cmk"));
        assert_eq!(get("x-oss-traffic-limit"), Some("245760"));
    }
}
