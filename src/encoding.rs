//! URI and query encoding shared by the OSS and STS signers (RFC 3986: unreserved characters
//! kept, everything else `%XX`).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

/// Characters percent-encoded in query names and values: everything but `A-Z a-z 0-9 - . _ ~`.
pub(crate) const QUERY_ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Characters percent-encoded in a path: as [`QUERY_ENCODE_SET`] but `/` is kept.
pub(crate) const PATH_ENCODE_SET: &AsciiSet = &QUERY_ENCODE_SET.remove(b'/');

/// Percent-encodes `s` as RFC 3986 (unreserved characters kept, space as `%20`).
pub fn uri_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, QUERY_ENCODE_SET).to_string()
}

/// Percent-encodes a path, keeping `/`.
pub fn uri_encode_path(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, PATH_ENCODE_SET).to_string()
}

/// Decodes a percent-encoded string (invalid UTF-8 is replaced, `+` is left as is).
pub fn uri_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Splits an encoded query string (`a=1&b&c=%20`) into decoded `(name, value)` pairs.
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (uri_decode(k), uri_decode(v)),
            None => (uri_decode(p), String::new()),
        })
        .collect()
}

/// Renders decoded `(name, value)` pairs as an encoded query string, in the given order, with
/// `name=value` (or `name` alone for an empty value).
pub fn encode_query(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&uri_encode(k));
        if !v.is_empty() {
            out.push('=');
            out.push_str(&uri_encode(v));
        }
    }
    out
}

/// Parses an RFC 1123 HTTP date.
pub fn parse_http_date(s: &str) -> Option<time::OffsetDateTime> {
    let fmt = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(s.trim(), &fmt)
        .ok()
        .map(|p| p.assume_utc())
}
