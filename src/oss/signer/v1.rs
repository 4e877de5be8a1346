//! OSS Signature V1 (HMAC-SHA1). Opt-in only: Alibaba Cloud is retiring it.
//!
//! ```text
//! StringToSign = VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedOSSHeaders CanonicalizedResource
//! Authorization: OSS <AccessKeyId>:base64(HMAC-SHA1(secret, StringToSign))
//! ```

use std::fmt;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use time::OffsetDateTime;

use super::{format_http_date, SignableRequest};
use crate::credentials::Credentials;
use crate::error::{Error, Result};

/// Query parameters that are signed sub-resources in V1.
pub const SIGNED_SUBRESOURCES: &[&str] = &[
    "acl",
    "bucketInfo",
    "location",
    "stat",
    "delete",
    "append",
    "tagging",
    "objectMeta",
    "uploads",
    "uploadId",
    "partNumber",
    "security-token",
    "position",
    "response-content-type",
    "response-content-language",
    "response-expires",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "restore",
    "callback",
    "callback-var",
    "versions",
    "versioning",
    "versionId",
    "sequential",
    "continuation-token",
    "regionList",
    "cloudboxes",
    "symlink",
    "resourceGroup",
    "seal",
];

fn is_signed_subresource(name: &str, extra: &[String]) -> bool {
    SIGNED_SUBRESOURCES.contains(&name)
        || name.starts_with("x-oss-")
        || extra.iter().any(|e| e == name)
}

/// `CanonicalizedOSSHeaders`: the `x-oss-*` headers, lower-cased, trimmed, sorted, one
/// `name:value\n` each.
pub fn canonicalized_oss_headers(req: &SignableRequest) -> String {
    let mut h: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .filter(|(k, _)| k.starts_with("x-oss-"))
        .collect();
    h.sort();
    h.into_iter().map(|(k, v)| format!("{k}:{v}\n")).collect()
}

/// `CanonicalizedResource`: `/bucket/key` (raw key) plus the signed sub-resources sorted by name.
/// `extra` names further parameters to sign (e.g. `resourceGroup`).
pub fn canonicalized_resource(req: &SignableRequest, extra: &[String]) -> String {
    let mut out = match (&req.bucket, &req.key) {
        (Some(b), Some(k)) => format!("/{b}/{k}"),
        (Some(b), None) => format!("/{b}/"),
        (None, Some(k)) => format!("/{k}"),
        (None, None) => "/".to_owned(),
    };
    let mut sub: Vec<&(String, String)> = req
        .query
        .iter()
        .filter(|(k, _)| is_signed_subresource(k, extra))
        .collect();
    sub.sort();
    for (i, (k, v)) in sub.into_iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(k);
        if !v.is_empty() {
            out.push('=');
            out.push_str(v);
        }
    }
    out
}

/// The V1 string to sign; `date` is the `Date` header (header mode) or the absolute `Expires`
/// unix time (presign).
pub fn string_to_sign(req: &SignableRequest, date: &str, extra: &[String]) -> String {
    format!(
        "{}\n{}\n{}\n{}\n{}{}",
        req.method.to_ascii_uppercase(),
        req.header("content-md5").unwrap_or("").trim(),
        req.header("content-type").unwrap_or("").trim(),
        date,
        canonicalized_oss_headers(req),
        canonicalized_resource(req, extra)
    )
}

/// base64(HMAC-SHA1(secret, string_to_sign)).
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Signs OSS requests with V1.
#[derive(Clone, Default)]
pub struct V1Signer {
    extra_subresources: Vec<String>,
}

impl fmt::Debug for V1Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V1Signer")
            .field("extra_subresources", &self.extra_subresources)
            .finish()
    }
}

impl V1Signer {
    /// A V1 signer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also signs these query parameters as sub-resources.
    pub fn with_extra_subresources<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.extra_subresources = names.into_iter().map(Into::into).collect();
        self
    }

    /// Signs in header mode: sets `Date`, `x-oss-security-token` and `Authorization`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the request cannot be signed (a
    /// header value that is not valid).
    pub fn sign_headers(
        &self,
        req: &mut SignableRequest,
        creds: &Credentials,
        time: OffsetDateTime,
    ) -> Result<()> {
        let date = format_http_date(time);
        req.set_header("Date", date.clone());
        match creds.security_token() {
            Some(t) => req.set_header("x-oss-security-token", t),
            None => req.remove_header("x-oss-security-token"),
        }
        let sts = string_to_sign(req, &date, &self.extra_subresources);
        let sig = signature(creds.access_key_secret(), &sts);
        req.set_header(
            "Authorization",
            format!("OSS {}:{sig}", creds.access_key_id()),
        );
        Ok(())
    }

    /// Presigns: adds `security-token` (temporary credentials), `Expires` (absolute unix
    /// seconds), `OSSAccessKeyId` and `Signature` to the query.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the expiry is out of range or
    /// the request cannot be signed.
    pub fn presign(
        &self,
        req: &mut SignableRequest,
        creds: &Credentials,
        expires_at: OffsetDateTime,
    ) -> Result<()> {
        let ts = expires_at.unix_timestamp();
        if ts <= 0 {
            return Err(Error::invalid("expires", "must be a time after 1970"));
        }
        if let Some(t) = creds.security_token() {
            req.set_query("security-token", t);
        }
        let sts = string_to_sign(req, &ts.to_string(), &self.extra_subresources);
        let sig = signature(creds.access_key_secret(), &sts);
        req.set_query("Expires", ts.to_string());
        req.set_query("OSSAccessKeyId", creds.access_key_id());
        req.set_query("Signature", sig);
        Ok(())
    }
}

/// Parses `OSS <ak>:<signature>` into `(ak, signature)`.
pub fn parse_authorization(value: &str) -> Option<(String, String)> {
    let rest = value.strip_prefix("OSS ")?;
    let (ak, sig) = rest.rsplit_once(':')?;
    Some((ak.trim().to_owned(), sig.trim().to_owned()))
}
