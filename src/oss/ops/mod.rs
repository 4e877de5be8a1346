//! The object operations, one module per family, and the options they share.

pub(crate) mod append;
pub(crate) mod copy;
pub(crate) mod delete_multiple;
pub(crate) mod list;
pub(crate) mod multipart;
pub(crate) mod object;
mod paging;
pub(crate) mod tagging;

use std::collections::BTreeMap;

use reqwest::header::HeaderMap;
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::oss::signer::{format_http_date, parse_http_date, uri_encode};
use crate::oss::validation;

/// An object's storage class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StorageClass {
    /// Standard.
    Standard,
    /// Infrequent access.
    InfrequentAccess,
    /// Archive.
    Archive,
    /// Cold archive.
    ColdArchive,
    /// Deep cold archive.
    DeepColdArchive,
}

impl StorageClass {
    /// The value OSS uses.
    pub fn as_str(&self) -> &'static str {
        match self {
            StorageClass::Standard => "Standard",
            StorageClass::InfrequentAccess => "IA",
            StorageClass::Archive => "Archive",
            StorageClass::ColdArchive => "ColdArchive",
            StorageClass::DeepColdArchive => "DeepColdArchive",
        }
    }
}

/// An object's access control list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectAcl {
    /// The bucket's ACL applies.
    Default,
    /// Only the owner and authorised users.
    Private,
    /// Anyone may read.
    PublicRead,
    /// Anyone may read and write.
    PublicReadWrite,
}

impl ObjectAcl {
    /// The value OSS uses.
    pub fn as_str(&self) -> &'static str {
        match self {
            ObjectAcl::Default => "default",
            ObjectAcl::Private => "private",
            ObjectAcl::PublicRead => "public-read",
            ObjectAcl::PublicReadWrite => "public-read-write",
        }
    }
}

/// Server-side encryption of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerSideEncryption {
    /// OSS-managed keys, AES-256.
    Aes256,
    /// OSS-managed keys, SM4.
    Sm4,
    /// KMS, with the default or the given customer master key id.
    Kms {
        /// The CMK id; `None` for the default key.
        key_id: Option<String>,
    },
}

/// Options shared by PutObject, AppendObject and InitiateMultipartUpload.
#[derive(Debug, Clone, Default)]
pub(crate) struct ObjectOptions {
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
    /// Checks every option.
    pub(crate) fn validate(&self) -> Result<()> {
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
        for (k, v) in &self.tagging {
            validation::tag(k, v)?;
        }
        if let Some(ServerSideEncryption::Kms { key_id: Some(id) }) = &self.sse {
            validation::header_value("server_side_encryption", id)?;
        }
        if let Some(t) = self.traffic_limit {
            validation::traffic_limit(t)?;
        }
        Ok(())
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
        push("x-oss-object-acl", self.acl.map(|a| a.as_str().to_owned()));
        push(
            "x-oss-storage-class",
            self.storage_class.map(|s| s.as_str().to_owned()),
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
            None => {}
        }
        for (k, v) in &self.metadata {
            h.push((format!("x-oss-meta-{}", k.to_ascii_lowercase()), v.clone()));
        }
        h
    }
}

/// Setter methods for builders holding `opts: ObjectOptions`.
macro_rules! object_option_setters {
    () => {
        /// The Content-Type (default: guessed from the key's extension, else
        /// `application/octet-stream`).
        pub fn content_type(mut self, v: impl Into<String>) -> Self {
            self.opts.content_type = Some(v.into());
            self
        }

        /// The Cache-Control header stored with the object.
        pub fn cache_control(mut self, v: impl Into<String>) -> Self {
            self.opts.cache_control = Some(v.into());
            self
        }

        /// The Content-Disposition header stored with the object.
        pub fn content_disposition(mut self, v: impl Into<String>) -> Self {
            self.opts.content_disposition = Some(v.into());
            self
        }

        /// The Content-Encoding header stored with the object.
        pub fn content_encoding(mut self, v: impl Into<String>) -> Self {
            self.opts.content_encoding = Some(v.into());
            self
        }

        /// The Content-Language header stored with the object.
        pub fn content_language(mut self, v: impl Into<String>) -> Self {
            self.opts.content_language = Some(v.into());
            self
        }

        /// The Expires header stored with the object.
        pub fn expires(mut self, at: time::OffsetDateTime) -> Self {
            self.opts.expires = Some(at);
            self
        }

        /// The object's ACL.
        pub fn acl(mut self, acl: $crate::oss::ObjectAcl) -> Self {
            self.opts.acl = Some(acl);
            self
        }

        /// The object's storage class.
        pub fn storage_class(mut self, class: $crate::oss::StorageClass) -> Self {
            self.opts.storage_class = Some(class);
            self
        }

        /// Adds user metadata `name` (sent as `x-oss-meta-<name>`; letters, digits, `-`, `_`).
        pub fn metadata(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
            self.opts.metadata.push((name.into(), value.into()));
            self
        }

        /// Adds an object tag.
        pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
            self.opts.tagging.push((key.into(), value.into()));
            self
        }

        /// Refuses to overwrite an existing object of the same name.
        pub fn forbid_overwrite(mut self, yes: bool) -> Self {
            self.opts.forbid_overwrite = Some(yes);
            self
        }

        /// Server-side encryption.
        pub fn server_side_encryption(mut self, sse: $crate::oss::ServerSideEncryption) -> Self {
            self.opts.sse = Some(sse);
            self
        }

        /// Limits the transfer speed, in bit/s (245760 to 838860800).
        pub fn traffic_limit(mut self, bits_per_second: u64) -> Self {
            self.opts.traffic_limit = Some(bits_per_second);
            self
        }
    };
}
pub(crate) use object_option_setters;

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

/// Decodes a key from a listing sent with `encoding-type=url`.
pub(crate) fn decode_key(key: String, encoding: Option<&str>) -> String {
    if encoding == Some("url") {
        crate::oss::signer::uri_decode(&key.replace('+', "%20"))
    } else {
        key
    }
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
