//! The STS RPC signature (HMAC-SHA1, `SignatureVersion=1.0`), as every official STS client sends.
//!
//! ```text
//! Canonicalized = join("&", sorted(percentEncode(name) "=" percentEncode(value)))   // query + form body
//! StringToSign  = METHOD "&" percentEncode("/") "&" percentEncode(Canonicalized)
//! Signature     = base64(HMAC-SHA1(secret + "&", StringToSign))
//! ```

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use time::OffsetDateTime;

use crate::credentials::Credentials;
use crate::encoding::uri_encode;

/// RFC 3986 percent-encoding (`A-Z a-z 0-9 - _ . ~` kept, space as `%20`, `*` as `%2A`).
pub fn percent_encode(s: &str) -> String {
    uri_encode(s)
}

/// The canonicalized parameter string: every parameter but `Signature`, encoded and sorted.
pub fn canonicalized_query<'a, I>(params: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut pairs: Vec<(String, String)> = params
        .into_iter()
        .filter(|(k, _)| *k != "Signature")
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    pairs.sort();
    pairs
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// `METHOD&%2F&percentEncode(canonicalized)`.
pub fn string_to_sign(method: &str, canonicalized: &str) -> String {
    format!(
        "{method}&{}&{}",
        percent_encode("/"),
        percent_encode(canonicalized)
    )
}

/// base64(HMAC-SHA1(`secret + "&"`, string_to_sign)).
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    let mut key = zeroize::Zeroizing::new(String::with_capacity(secret.len() + 1));
    key.push_str(secret);
    key.push('&');
    let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// `yyyy-MM-ddTHH:mm:ssZ` in UTC, the STS `Timestamp` format.
pub fn format_timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Parses `yyyy-MM-ddTHH:mm:ssZ`.
pub fn parse_timestamp(s: &str) -> Option<OffsetDateTime> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::PrimitiveDateTime::parse(s, &fmt)
        .ok()
        .map(|p| p.assume_utc())
}

/// The common RPC parameters for `action` signed by `creds` (without `Signature`):
/// `Action, Version, Format=JSON, Timestamp, SignatureMethod, SignatureVersion, SignatureNonce,
/// AccessKeyId` and `SecurityToken` when the caller's own credentials are temporary.
pub fn common_params(
    action: &str,
    version: &str,
    creds: &Credentials,
    nonce: &str,
    time: OffsetDateTime,
) -> Vec<(String, String)> {
    let mut p = vec![
        ("Action".to_owned(), action.to_owned()),
        ("Version".to_owned(), version.to_owned()),
        ("Format".to_owned(), "JSON".to_owned()),
        ("Timestamp".to_owned(), format_timestamp(time)),
        ("SignatureMethod".to_owned(), "HMAC-SHA1".to_owned()),
        ("SignatureVersion".to_owned(), "1.0".to_owned()),
        ("SignatureNonce".to_owned(), nonce.to_owned()),
        ("AccessKeyId".to_owned(), creds.access_key_id().to_owned()),
    ];
    if let Some(t) = creds.security_token() {
        p.push(("SecurityToken".to_owned(), t.to_owned()));
    }
    p
}

/// Signs the union of `query` and `body` parameters for `method` and returns the signature.
pub fn sign(
    method: &str,
    query: &[(String, String)],
    body: &[(String, String)],
    secret: &str,
) -> String {
    let canon = canonicalized_query(
        query
            .iter()
            .chain(body.iter())
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    signature(secret, &string_to_sign(method, &canon))
}
