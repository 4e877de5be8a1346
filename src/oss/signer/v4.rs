//! OSS Signature V4 (`OSS4-HMAC-SHA256`).
//!
//! ```text
//! CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n
//!                    AdditionalHeaders \n HashedPayload
//! StringToSign     = "OSS4-HMAC-SHA256" \n x-oss-date \n Scope \n hex(sha256(CanonicalRequest))
//! Scope            = yyyyMMdd/region/product/aliyun_v4_request
//! SigningKey       = HMAC chain over ("aliyun_v4" + secret, date, region, product, "aliyun_v4_request")
//! ```

use std::borrow::Cow;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::{format_http_date, format_iso8601_basic, uri_encode, SignableRequest};
use crate::credentials::Credentials;
use crate::error::{Error, Result};

/// Headers header-mode signing sets (and replaces when a request is signed again).
const SIGNER_HEADERS: [&str; 5] = [
    "x-oss-date",
    "date",
    "x-oss-content-sha256",
    "x-oss-security-token",
    "authorization",
];

/// The algorithm name.
pub const ALGORITHM: &str = "OSS4-HMAC-SHA256";
/// The payload hash OSS accepts for streamed bodies.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// The product signed for OSS.
pub const PRODUCT_OSS: &str = "oss";
/// The product signed for OSS on CloudBox.
pub const PRODUCT_CLOUDBOX: &str = "oss-cloudbox";
/// The longest a presigned V4 URL may live: 7 days.
pub const MAX_PRESIGN_EXPIRES: Duration = Duration::from_secs(604_800);

type HmacSha256 = Hmac<Sha256>;

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Whether OSS signs header `name` (lower case) by default.
pub fn is_default_signed_header(name: &str) -> bool {
    name.starts_with("x-oss-") || name == "content-type" || name == "content-md5"
}

/// [`is_default_signed_header`] without lower-casing `name` first.
fn is_default_signed_header_any_case(name: &str) -> bool {
    name.get(..6)
        .is_some_and(|p| p.eq_ignore_ascii_case("x-oss-"))
        || name.eq_ignore_ascii_case("content-type")
        || name.eq_ignore_ascii_case("content-md5")
}

/// The canonical URI: `/bucket/key` percent-encoded with `/` kept (`/bucket/` without a key, `/`
/// without a bucket).
pub fn canonical_uri(bucket: Option<&str>, key: Option<&str>) -> String {
    let mut out =
        String::with_capacity(2 + bucket.map_or(0, str::len) + key.map_or(0, |k| k.len() * 3));
    write_canonical_uri(&mut out, bucket, key);
    out
}

fn write_canonical_uri<S: Sink>(out: &mut S, bucket: Option<&str>, key: Option<&str>) {
    out.put("/");
    if let Some(b) = bucket {
        for piece in percent_encoding::utf8_percent_encode(b, super::PATH_ENCODE_SET) {
            out.put(piece);
        }
        out.put("/");
    }
    if let Some(k) = key {
        for piece in percent_encoding::utf8_percent_encode(k, super::PATH_ENCODE_SET) {
            out.put(piece);
        }
    }
}

/// The resource path the OSS Vectors product signs in place of `/bucket/key` (before
/// percent-encoding): `/acs:ossvector:<region>:<account>:<bucket>/<key>`; without a bucket the
/// account is left out (`/acs:ossvector:<region>::/`).
pub fn ossvector_resource_path(
    region: &str,
    account_id: &str,
    bucket: Option<&str>,
    key: Option<&str>,
) -> String {
    match bucket {
        None => format!("/acs:ossvector:{region}::/"),
        Some(b) => format!(
            "/acs:ossvector:{region}:{account_id}:{b}/{}",
            key.unwrap_or_default()
        ),
    }
}

/// The canonical query: every parameter, RFC 3986 encoded, sorted by encoded name (then value),
/// `name=value` or the bare name for an empty value, joined by `&`.
pub fn canonical_query(query: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (uri_encode(k), uri_encode(v)))
        .collect();
    pairs.sort();
    let mut out = String::with_capacity(pairs.iter().map(|(k, v)| k.len() + v.len() + 2).sum());
    for (k, v) in &pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(k);
        if !v.is_empty() {
            out.push('=');
            out.push_str(v);
        }
    }
    out
}

/// The additional headers that will really be signed: lower-cased, without the ones signed by
/// default, without those absent (or empty) on the request, de-duplicated and sorted.
pub fn effective_additional_headers(req: &SignableRequest, configured: &[String]) -> Vec<String> {
    let mut out: Vec<String> = configured
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty() && !is_default_signed_header(h))
        .filter(|h| req.header(h).is_some_and(|v| !v.trim().is_empty()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The canonical headers block (each line `name:value\n`), for the default-signed headers plus
/// `additional` (already filtered by [`effective_additional_headers`]).
pub fn canonical_headers(req: &SignableRequest, additional: &[String]) -> String {
    let mut out = String::with_capacity(256);
    write_canonical_headers(&mut out, req, additional);
    out
}

/// Where canonical text goes: a `String` (to show or test it) or straight into a SHA-256
/// (to sign without building it).
trait Sink {
    fn put(&mut self, s: &str);
}

impl Sink for String {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
}

impl Sink for Sha256 {
    fn put(&mut self, s: &str) {
        self.update(s.as_bytes());
    }
}

fn write_canonical_headers<S: Sink>(out: &mut S, req: &SignableRequest, additional: &[String]) {
    let mut headers: Vec<(Cow<'_, str>, &str)> = req
        .headers
        .iter()
        .map(|(name, value)| (name.trim(), value.trim()))
        .filter(|(name, _)| {
            is_default_signed_header_any_case(name)
                || additional.iter().any(|a| a.eq_ignore_ascii_case(name))
        })
        .map(|(name, value)| {
            let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(name.to_ascii_lowercase())
            } else {
                Cow::Borrowed(name)
            };
            (name, value)
        })
        .collect();
    // Stable sort keeps repeated headers in request order; their values are joined with ','.
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    let mut previous: Option<&str> = None;
    for (name, value) in &headers {
        if previous == Some(name.as_ref()) {
            out.put(",");
        } else {
            if previous.is_some() {
                out.put("\n");
            }
            out.put(name);
            out.put(":");
        }
        out.put(value);
        previous = Some(name.as_ref());
    }
    if previous.is_some() {
        out.put("\n");
    }
}

/// The full canonical request. `additional` must already be filtered by
/// [`effective_additional_headers`]; the query must not contain `x-oss-signature`.
pub fn canonical_request(req: &SignableRequest, additional: &[String]) -> String {
    let mut out = String::with_capacity(512);
    write_canonical_request(&mut out, req, additional);
    out
}

fn write_canonical_request<S: Sink>(out: &mut S, req: &SignableRequest, additional: &[String]) {
    let payload = req
        .header("x-oss-content-sha256")
        .unwrap_or(UNSIGNED_PAYLOAD);
    if req.method.bytes().any(|b| b.is_ascii_lowercase()) {
        out.put(&req.method.to_ascii_uppercase());
    } else {
        out.put(&req.method);
    }
    out.put("\n");
    write_canonical_uri(out, req.bucket.as_deref(), req.key.as_deref());
    out.put("\n");
    if !req.query.is_empty() {
        out.put(&canonical_query(&req.query));
    }
    out.put("\n");
    write_canonical_headers(out, req, additional);
    out.put("\n");
    for (i, h) in additional.iter().enumerate() {
        if i > 0 {
            out.put(";");
        }
        out.put(h);
    }
    out.put("\n");
    out.put(payload);
}

/// hex(sha256(canonical request)), hashed as it is written, without building the text.
fn hashed_canonical_request(req: &SignableRequest, additional: &[String]) -> [u8; 64] {
    let mut hasher = Sha256::new();
    write_canonical_request(&mut hasher, req, additional);
    let mut hex_hash = [0u8; 64];
    // A 32-byte digest always fits 64 hex digits.
    let _ = hex::encode_to_slice(hasher.finalize(), &mut hex_hash);
    hex_hash
}

/// `yyyyMMdd/region/product/aliyun_v4_request`.
pub fn scope(date: &str, region: &str, product: &str) -> String {
    let mut out = String::with_capacity(date.len() + region.len() + product.len() + 20);
    for part in [date, "/", region, "/", product, "/aliyun_v4_request"] {
        out.push_str(part);
    }
    out
}

/// Lower-case hex of a 32-byte digest, without the per-character iterator of `hex::encode`.
fn hex32(bytes: &[u8]) -> String {
    let mut buf = [0u8; 64];
    // A 32-byte digest always fits 64 hex digits; anything else is a programming error that
    // yields an empty string rather than a panic.
    if hex::encode_to_slice(bytes, &mut buf).is_err() {
        return String::new();
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// The string to sign for a canonical request.
pub fn string_to_sign(datetime: &str, scope: &str, canonical_request: &str) -> String {
    let mut hex_hash = [0u8; 64];
    let digest = Sha256::digest(canonical_request.as_bytes());
    // A 32-byte digest always fits 64 hex digits.
    let _ = hex::encode_to_slice(digest, &mut hex_hash);
    let mut out = String::with_capacity(ALGORITHM.len() + datetime.len() + scope.len() + 67);
    out.push_str(ALGORITHM);
    out.push('\n');
    out.push_str(datetime);
    out.push('\n');
    out.push_str(scope);
    out.push('\n');
    out.push_str(std::str::from_utf8(&hex_hash).unwrap_or_default());
    out
}

/// Derives the signing key for `secret` on `date` (`yyyyMMdd`) in `region` for `product`.
pub fn signing_key(secret: &str, date: &str, region: &str, product: &str) -> [u8; 32] {
    let mut seed = Zeroizing::new(String::with_capacity(9 + secret.len()));
    seed.push_str("aliyun_v4");
    seed.push_str(secret);
    let k_date = hmac_sha256(seed.as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_product = hmac_sha256(&k_region, product.as_bytes());
    hmac_sha256(&k_product, b"aliyun_v4_request")
}

/// Lower-case hex HMAC-SHA256 of the string to sign.
pub fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    hex32(&hmac_sha256(signing_key, string_to_sign.as_bytes()))
}

struct CachedKey {
    access_key_id: String,
    secret: Zeroizing<String>,
    date: String,
    /// HMAC-SHA256 keyed with the derived signing key; cloning it skips re-keying.
    keyed: HmacSha256,
}

/// What a presigned V4 request carries.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PresignedRequest {
    /// The query parameters to add to the URL (including `x-oss-signature`), decoded.
    pub query: Vec<(String, String)>,
    /// Headers that were signed and that whoever uses the URL must send, lower-case names.
    pub signed_headers: Vec<(String, String)>,
    /// When the URL stops working.
    pub expiration: OffsetDateTime,
}

impl fmt::Debug for PresignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PresignedRequest")
            .field("query", &"** redacted **")
            .field("signed_headers", &self.signed_headers)
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// Signs OSS requests with V4. Cheap to share; caches the derived signing key per
/// (credentials, date).
pub struct V4Signer {
    region: String,
    product: String,
    additional_headers: Vec<String>,
    cache: Mutex<Option<Box<CachedKey>>>,
}

impl fmt::Debug for V4Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V4Signer")
            .field("region", &self.region)
            .field("product", &self.product)
            .field("additional_headers", &self.additional_headers)
            .finish_non_exhaustive()
    }
}

impl Clone for V4Signer {
    fn clone(&self) -> Self {
        Self {
            region: self.region.clone(),
            product: self.product.clone(),
            additional_headers: self.additional_headers.clone(),
            cache: Mutex::new(None),
        }
    }
}

fn validate_region(region: &str) -> Result<()> {
    if region.is_empty() {
        return Err(Error::invalid(
            "region",
            "is required for signature V4 (e.g. cn-hangzhou)",
        ));
    }
    if !region
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(Error::invalid(
            "region",
            "must contain only lower-case letters, digits and '-'",
        ));
    }
    Ok(())
}

impl V4Signer {
    /// A signer for OSS in `region` (e.g. `cn-hangzhou`; a leading `oss-` is stripped).
    pub fn new(region: &str) -> Result<Self> {
        let region = region.strip_prefix("oss-").unwrap_or(region);
        validate_region(region)?;
        Ok(Self {
            region: region.to_owned(),
            product: PRODUCT_OSS.to_owned(),
            additional_headers: Vec::new(),
            cache: Mutex::new(None),
        })
    }

    /// A signer for OSS on CloudBox `box_id` (e.g. `cb-123`): product `oss-cloudbox`.
    pub fn cloudbox(box_id: &str) -> Result<Self> {
        if box_id.is_empty() {
            return Err(Error::invalid("cloudbox_id", "must not be empty"));
        }
        validate_region(box_id).map_err(|_| {
            Error::invalid(
                "cloudbox_id",
                "must contain only lower-case letters, digits and '-'",
            )
        })?;
        Ok(Self {
            region: box_id.to_owned(),
            product: PRODUCT_CLOUDBOX.to_owned(),
            additional_headers: Vec::new(),
            cache: Mutex::new(None),
        })
    }

    /// Also signs these headers when a request carries them (e.g. `host`).
    pub fn with_additional_headers<I, S>(mut self, headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.additional_headers = headers.into_iter().map(Into::into).collect();
        self
    }

    /// The region (or CloudBox id) signed.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The product signed (`oss` or `oss-cloudbox`).
    pub fn product(&self) -> &str {
        &self.product
    }

    /// An HMAC keyed with the signing key for (`creds`, `date`), derived only when the
    /// credentials or the date changed since the last call.
    fn keyed_mac(&self, creds: &Credentials, date: &str) -> HmacSha256 {
        let mut guard = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            Some(c)
                if c.date == date
                    && c.access_key_id == creds.access_key_id()
                    && c.secret.as_str() == creds.access_key_secret() =>
            {
                c.keyed.clone()
            }
            _ => {
                let key = Zeroizing::new(signing_key(
                    creds.access_key_secret(),
                    date,
                    &self.region,
                    &self.product,
                ));
                let keyed = HmacSha256::new_from_slice(key.as_ref()).expect("HMAC takes any key");
                *guard = Some(Box::new(CachedKey {
                    access_key_id: creds.access_key_id().to_owned(),
                    secret: Zeroizing::new(creds.access_key_secret().to_owned()),
                    date: date.to_owned(),
                    keyed: keyed.clone(),
                }));
                keyed
            }
        }
    }

    /// Signs `string_to_sign` with the key for (`creds`, `date`).
    fn sign_string(&self, creds: &Credentials, date: &str, string_to_sign: &str) -> String {
        let mut mac = self.keyed_mac(creds, date);
        mac.update(string_to_sign.as_bytes());
        hex32(&mac.finalize().into_bytes())
    }

    /// Signs `req` in header mode at `time`: sets `x-oss-date`, `Date`,
    /// `x-oss-content-sha256: UNSIGNED-PAYLOAD`, `x-oss-security-token` (temporary credentials)
    /// and `Authorization`.
    pub fn sign_headers(
        &self,
        req: &mut SignableRequest,
        creds: &Credentials,
        time: OffsetDateTime,
    ) -> Result<()> {
        let datetime = format_iso8601_basic(time);
        let date = &datetime[..8];
        // Drop what an earlier signing (a retry) set, in one pass, then add the fresh values.
        req.headers
            .retain(|(k, _)| !SIGNER_HEADERS.iter().any(|h| k.eq_ignore_ascii_case(h)));
        req.headers
            .push(("x-oss-date".to_owned(), datetime.clone()));
        req.headers
            .push(("Date".to_owned(), format_http_date(time)));
        req.headers.push((
            "x-oss-content-sha256".to_owned(),
            UNSIGNED_PAYLOAD.to_owned(),
        ));
        if let Some(t) = creds.security_token() {
            req.headers
                .push(("x-oss-security-token".to_owned(), t.to_owned()));
        }
        let additional = effective_additional_headers(req, &self.additional_headers);
        // The same stages as `canonical_request` / `string_to_sign` / `signature`, streamed
        // into the hashes instead of built as strings (the vectors check both paths agree).
        let hashed = hashed_canonical_request(req, &additional);
        let mut auth = String::with_capacity(192);
        auth.push_str(ALGORITHM);
        auth.push_str(" Credential=");
        auth.push_str(creds.access_key_id());
        auth.push('/');
        let scope_start = auth.len();
        for part in [
            date,
            "/",
            &self.region,
            "/",
            &self.product,
            "/aliyun_v4_request",
        ] {
            auth.push_str(part);
        }
        let scope = &auth[scope_start..];
        let mut mac = self.keyed_mac(creds, date);
        for part in [ALGORITHM, "\n", &datetime, "\n", scope, "\n"] {
            mac.update(part.as_bytes());
        }
        mac.update(&hashed);
        let mut sig = [0u8; 64];
        // A 32-byte MAC always fits 64 hex digits.
        let _ = hex::encode_to_slice(mac.finalize().into_bytes(), &mut sig);
        if !additional.is_empty() {
            auth.push_str(",AdditionalHeaders=");
            auth.push_str(&additional.join(";"));
        }
        auth.push_str(",Signature=");
        auth.push_str(std::str::from_utf8(&sig).unwrap_or_default());
        req.headers.push(("Authorization".to_owned(), auth));
        Ok(())
    }

    /// Presigns `req` at `time` for `expires` (1 s to 7 days): adds the `x-oss-*` query
    /// parameters and `x-oss-signature` to `req.query`, and returns them with the headers the
    /// URL's user must send.
    pub fn presign(
        &self,
        req: &mut SignableRequest,
        creds: &Credentials,
        time: OffsetDateTime,
        expires: Duration,
    ) -> Result<PresignedRequest> {
        if expires.is_zero() || expires > MAX_PRESIGN_EXPIRES {
            return Err(Error::invalid(
                "expires",
                "a presigned V4 URL must expire after 1 to 604800 seconds (7 days)",
            ));
        }
        let secs = expires.as_secs().max(1);
        let datetime = format_iso8601_basic(time);
        let date = &datetime[..8];
        let scope = scope(date, &self.region, &self.product);
        let additional = effective_additional_headers(req, &self.additional_headers);
        req.query.retain(|(k, _)| k != "x-oss-signature");
        if let Some(t) = creds.security_token() {
            req.set_query("x-oss-security-token", t);
        }
        req.set_query("x-oss-signature-version", ALGORITHM);
        req.set_query("x-oss-date", datetime.clone());
        req.set_query("x-oss-expires", secs.to_string());
        req.set_query(
            "x-oss-credential",
            format!("{}/{scope}", creds.access_key_id()),
        );
        if !additional.is_empty() {
            req.set_query("x-oss-additional-headers", additional.join(";"));
        }
        let sts = string_to_sign(&datetime, &scope, &canonical_request(req, &additional));
        let sig = self.sign_string(creds, date, &sts);
        req.set_query("x-oss-signature", sig);

        let mut signed_headers: Vec<(String, String)> = req
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_owned()))
            .filter(|(k, _)| is_default_signed_header(k) || additional.contains(k))
            .collect();
        signed_headers.sort();
        let auth_params = [
            "x-oss-security-token",
            "x-oss-signature-version",
            "x-oss-date",
            "x-oss-expires",
            "x-oss-credential",
            "x-oss-additional-headers",
            "x-oss-signature",
        ];
        Ok(PresignedRequest {
            query: req
                .query
                .iter()
                .filter(|(k, _)| auth_params.contains(&k.as_str()))
                .cloned()
                .collect(),
            signed_headers,
            expiration: time + Duration::from_secs(secs),
        })
    }
}

/// A parsed V4 `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParsedAuthorization {
    /// The AccessKey id.
    pub access_key_id: String,
    /// `yyyyMMdd` from the scope.
    pub date: String,
    /// Region from the scope.
    pub region: String,
    /// Product from the scope.
    pub product: String,
    /// Additional headers listed.
    pub additional_headers: Vec<String>,
    /// The hex signature.
    pub signature: String,
}

impl fmt::Debug for ParsedAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedAuthorization")
            .field("access_key_id", &self.access_key_id)
            .field("date", &self.date)
            .field("region", &self.region)
            .field("product", &self.product)
            .field("additional_headers", &self.additional_headers)
            .field("signature", &"** redacted **")
            .finish()
    }
}

/// Parses a credential string `AK/yyyyMMdd/region/product/aliyun_v4_request`
/// into `(ak, date, region, product)`.
pub fn parse_credential_scope(cred: &str) -> Option<(String, String, String, String)> {
    let mut parts = cred.rsplitn(5, '/');
    let terminator = parts.next()?;
    let product = parts.next()?;
    let region = parts.next()?;
    let date = parts.next()?;
    let ak = parts.next()?;
    if terminator != "aliyun_v4_request" || date.len() != 8 || ak.is_empty() {
        return None;
    }
    Some((ak.into(), date.into(), region.into(), product.into()))
}

/// Parses `OSS4-HMAC-SHA256 Credential=…[,AdditionalHeaders=…],Signature=…`.
pub fn parse_authorization(value: &str) -> Option<ParsedAuthorization> {
    let rest = value.strip_prefix(ALGORITHM)?.trim_start();
    let mut credential = None;
    let mut additional = Vec::new();
    let mut sig = None;
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "Credential" => credential = Some(v),
            "AdditionalHeaders" => {
                additional = v
                    .split(';')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            }
            "Signature" => sig = Some(v),
            _ => return None,
        }
    }
    let (access_key_id, date, region, product) = parse_credential_scope(credential?)?;
    Some(ParsedAuthorization {
        access_key_id,
        date,
        region,
        product,
        additional_headers: additional,
        signature: sig?.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials::new("ak", "sk").unwrap()
    }

    #[test]
    fn region_required() {
        let e = V4Signer::new("").unwrap_err();
        assert_eq!(e.as_invalid_input().unwrap().field(), "region");
    }

    #[test]
    fn presign_expiry_bounds() {
        let s = V4Signer::new("cn-hangzhou").unwrap();
        let t = OffsetDateTime::from_unix_timestamp(1702781677).unwrap();
        for bad in [Duration::ZERO, Duration::from_secs(604_801)] {
            let mut r = SignableRequest::new("GET", Some("b"), Some("k"));
            let e = s.presign(&mut r, &creds(), t, bad).unwrap_err();
            assert_eq!(e.as_invalid_input().unwrap().field(), "expires");
        }
        let mut r = SignableRequest::new("GET", Some("b"), Some("k"));
        s.presign(&mut r, &creds(), t, MAX_PRESIGN_EXPIRES).unwrap();
    }

    #[test]
    fn cached_key_equals_fresh_key_and_changes_with_secret() {
        let s = V4Signer::new("cn-hangzhou").unwrap();
        let t = OffsetDateTime::from_unix_timestamp(1702743657).unwrap();
        let mut a = SignableRequest::new("PUT", Some("b"), Some("k"));
        s.sign_headers(&mut a, &creds(), t).unwrap();
        let mut b = SignableRequest::new("PUT", Some("b"), Some("k"));
        s.sign_headers(&mut b, &creds(), t).unwrap();
        assert_eq!(a.header("authorization"), b.header("authorization"));
        let mut c = SignableRequest::new("PUT", Some("b"), Some("k"));
        s.sign_headers(&mut c, &Credentials::new("ak", "other").unwrap(), t)
            .unwrap();
        assert_ne!(a.header("authorization"), c.header("authorization"));
    }

    #[test]
    fn debug_of_a_signer_that_cached_a_key_shows_no_secret() {
        let s = V4Signer::new("cn-hangzhou").unwrap();
        let c = Credentials::builder()
            .access_key_id("ak")
            .access_key_secret("cached-secret-value")
            .security_token("cached-token-value")
            .build()
            .unwrap();
        let t = OffsetDateTime::from_unix_timestamp(1702743657).unwrap();
        let mut r = SignableRequest::new("GET", Some("b"), Some("k"));
        let out = s.presign(&mut r, &c, t, Duration::from_secs(60)).unwrap();
        let d = format!("{s:?} {out:?}");
        assert!(!d.contains("cached-secret-value"));
        assert!(!d.contains("cached-token-value"));
        assert!(!d.contains(r.query_param("x-oss-signature").unwrap()));
    }

    #[test]
    fn authorization_parses_back() {
        let p = parse_authorization(
            "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=abc;zabc,Signature=00ff",
        )
        .unwrap();
        assert_eq!(p.access_key_id, "ak");
        assert_eq!(p.region, "cn-hangzhou");
        assert_eq!(p.additional_headers, vec!["abc", "zabc"]);
        assert_eq!(p.signature, "00ff");
        assert!(!format!("{p:?}").contains("00ff"));
        assert!(parse_authorization("OSS ak:sig").is_none());
    }
}
