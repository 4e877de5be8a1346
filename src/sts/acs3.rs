//! The Alibaba Cloud V3 signature (`ACS3-HMAC-SHA256`).
//!
//! Official STS clients sign `AssumeRole` with the RPC HMAC-SHA1 signature
//! ([`crate::sts::signer`]), and [`crate::sts::StsClient`] does too; newer generated SDKs
//! (for example the Python `alibabacloud-sts20150401` package on its defaults) send V3 instead,
//! which the STS gateway also accepts. These pure functions let a server (the emulator) verify
//! such requests, and are checked against the official vectors.
//!
//! ```text
//! CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HashedPayload
//! StringToSign     = "ACS3-HMAC-SHA256" \n hex(sha256(CanonicalRequest))
//! Signature        = hex(HMAC-SHA256(secret, StringToSign))
//! ```

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::encoding::uri_encode;

/// The algorithm name.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// Whether V3 signs header `name` (lower case): `x-acs-*`, `host` and `content-type`.
pub fn is_signed_header(name: &str) -> bool {
    name.starts_with("x-acs-") || name == "host" || name == "content-type"
}

/// The canonical query: names and values RFC 3986 encoded, sorted, `name=value` (an empty
/// value still gets its `=`), joined by `&`.
pub fn canonical_query(query: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (uri_encode(k), uri_encode(v)))
        .collect();
    pairs.sort();
    pairs
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The signed headers a client chooses by default (lower-case `x-acs-*`, `host`,
/// `content-type` names present on the request, sorted, de-duplicated) and the canonical
/// headers block for them (see [`canonical_headers_for`]).
pub fn canonical_headers(headers: &[(String, String)]) -> (Vec<String>, String) {
    let mut names: Vec<String> = headers
        .iter()
        .map(|(k, _)| k.trim().to_ascii_lowercase())
        .filter(|k| is_signed_header(k))
        .collect();
    names.sort();
    names.dedup();
    let block = canonical_headers_for(headers, &names);
    (names, block)
}

/// The canonical headers block for the signed header `names` (lower case, as listed in
/// `SignedHeaders`): one `name:value\n` line per name, values trimmed, repeated headers' values
/// sorted and joined with `,`. A server verifying a request passes the names the client listed.
pub fn canonical_headers_for(headers: &[(String, String)], names: &[String]) -> String {
    let mut block = String::new();
    for name in names {
        let mut values: Vec<&str> = headers
            .iter()
            .filter(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .collect();
        values.sort_unstable();
        block.push_str(name);
        block.push(':');
        block.push_str(&values.join(","));
        block.push('\n');
    }
    block
}

/// The canonical request over the default signed headers (see [`canonical_headers`]).
/// `pathname` empty means `/`; `hashed_payload` is the hex SHA-256 of the body (the
/// `x-acs-content-sha256` header).
pub fn canonical_request(
    method: &str,
    pathname: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    hashed_payload: &str,
) -> String {
    let (names, _) = canonical_headers(headers);
    canonical_request_for(method, pathname, query, headers, &names, hashed_payload)
}

/// The canonical request over the signed header `names` a client listed.
pub fn canonical_request_for(
    method: &str,
    pathname: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    names: &[String],
    hashed_payload: &str,
) -> String {
    let uri = if pathname.is_empty() { "/" } else { pathname };
    format!(
        "{method}\n{uri}\n{}\n{}\n{}\n{hashed_payload}",
        canonical_query(query),
        canonical_headers_for(headers, names),
        names.join(";")
    )
}

/// `ACS3-HMAC-SHA256\n` + hex(sha256(canonical request)).
pub fn string_to_sign(canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    )
}

/// hex(HMAC-SHA256(secret, string_to_sign)).
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A parsed `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…` header.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParsedAuthorization {
    /// The AccessKey id.
    pub access_key_id: String,
    /// The signed header names, as listed.
    pub signed_headers: Vec<String>,
    /// The hex signature.
    pub signature: String,
}

impl fmt::Debug for ParsedAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedAuthorization")
            .field("access_key_id", &self.access_key_id)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &"** redacted **")
            .finish()
    }
}

/// Parses a V3 `Authorization` header.
pub fn parse_authorization(value: &str) -> Option<ParsedAuthorization> {
    let rest = value.strip_prefix(ALGORITHM)?.trim_start();
    let (mut ak, mut names, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "Credential" => ak = Some(v.to_owned()),
            "SignedHeaders" => {
                names = Some(
                    v.split(';')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                )
            }
            "Signature" => sig = Some(v.to_owned()),
            _ => return None,
        }
    }
    Some(ParsedAuthorization {
        access_key_id: ak.filter(|a| !a.is_empty())?,
        signed_headers: names?,
        signature: sig?,
    })
}

/// The `Authorization` header value for a signature.
pub fn authorization(access_key_id: &str, signed_headers: &[String], signature: &str) -> String {
    format!(
        "{ALGORITHM} Credential={access_key_id},SignedHeaders={},Signature={signature}",
        signed_headers.join(";")
    )
}
