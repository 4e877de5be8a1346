//! OSS request signers: V4 (`OSS4-HMAC-SHA256`, the default) and V1 (HMAC-SHA1, opt-in), plus
//! the browser form-upload (PostObject) policy signature.
//!
//! Signers are pure functions of a [`SignableRequest`], the [`Credentials`] and the time: no I/O
//! and no clock of their own. Every stage (canonical request, string-to-sign, signature) is a
//! public function so it can be checked against the official SDKs' test vectors, and so a server
//! (the emulator) can verify what a client sent.
//!
//! [`Credentials`]: crate::credentials::Credentials

use time::OffsetDateTime;

pub mod post;
pub mod v1;
pub mod v4;

pub use post::PostPolicySignature;
pub use v1::V1Signer;
pub use v4::{PresignedRequest, V4Signer};

pub(crate) use crate::encoding::PATH_ENCODE_SET;
pub use crate::encoding::{
    encode_query, parse_http_date, parse_query, uri_decode, uri_encode, uri_encode_path,
};

/// The parts of an HTTP request a signer reads, and where it writes what it adds.
///
/// The query holds decoded `(name, value)` pairs; the key is the decoded object key. Header
/// names are compared case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignableRequest {
    /// HTTP method, upper case.
    pub method: String,
    /// The bucket, if the request addresses one.
    pub bucket: Option<String>,
    /// The decoded object key, if the request addresses an object.
    pub key: Option<String>,
    /// Decoded query parameters.
    pub query: Vec<(String, String)>,
    /// Headers as `(name, value)`.
    pub headers: Vec<(String, String)>,
}

impl SignableRequest {
    /// A request with `method` on `bucket`/`key` and nothing else.
    pub fn new(method: impl Into<String>, bucket: Option<&str>, key: Option<&str>) -> Self {
        Self {
            method: method.into(),
            bucket: bucket.map(str::to_owned),
            key: key.map(str::to_owned),
            query: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Sets header `name`, replacing any value it had.
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.into()));
    }

    /// Removes header `name`.
    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }

    /// The value of query parameter `name`.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets query parameter `name`, replacing any value it had.
    pub fn set_query(&mut self, name: &str, value: impl Into<String>) {
        self.query.retain(|(k, _)| k != name);
        self.query.push((name.to_owned(), value.into()));
    }
}

/// `yyyyMMdd'T'HHmmss'Z'` in UTC.
pub fn format_iso8601_basic(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let mut out = String::with_capacity(16);
    push_digits(&mut out, t.year().max(0) as u32, 4);
    push_digits(&mut out, t.month() as u32, 2);
    push_digits(&mut out, u32::from(t.day()), 2);
    out.push('T');
    push_digits(&mut out, u32::from(t.hour()), 2);
    push_digits(&mut out, u32::from(t.minute()), 2);
    push_digits(&mut out, u32::from(t.second()), 2);
    out.push('Z');
    out
}

/// Appends the last `width` decimal digits of `value`, zero-padded.
fn push_digits(out: &mut String, value: u32, width: u32) {
    for i in (0..width).rev() {
        let digit = (value / 10u32.pow(i)) % 10;
        out.push(char::from(b'0' + digit as u8));
    }
}

/// Parses `yyyyMMdd'T'HHmmss'Z'`.
pub fn parse_iso8601_basic(s: &str) -> Option<OffsetDateTime> {
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(s, &fmt)
        .ok()
        .map(|p| p.assume_utc())
}

/// RFC 1123 date in GMT (`Sat, 16 Dec 2023 16:20:57 GMT`), as HTTP `Date` headers carry.
pub fn format_http_date(t: OffsetDateTime) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = t.to_offset(time::UtcOffset::UTC);
    let mut out = String::with_capacity(29);
    out.push_str(DAYS[t.weekday().number_days_from_monday() as usize]);
    out.push_str(", ");
    push_digits(&mut out, u32::from(t.day()), 2);
    out.push(' ');
    out.push_str(MONTHS[t.month() as usize - 1]);
    out.push(' ');
    push_digits(&mut out, t.year().max(0) as u32, 4);
    out.push(' ');
    push_digits(&mut out, u32::from(t.hour()), 2);
    out.push(':');
    push_digits(&mut out, u32::from(t.minute()), 2);
    out.push(':');
    push_digits(&mut out, u32::from(t.second()), 2);
    out.push_str(" GMT");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let t = OffsetDateTime::from_unix_timestamp(1702743657).unwrap();
        assert_eq!(format_iso8601_basic(t), "20231216T162057Z");
        assert_eq!(format_http_date(t), "Sat, 16 Dec 2023 16:20:57 GMT");
        assert_eq!(parse_iso8601_basic("20231216T162057Z"), Some(t));
        assert_eq!(parse_http_date("Sat, 16 Dec 2023 16:20:57 GMT"), Some(t));
    }

    #[test]
    fn query_parse_and_encode() {
        let q = parse_query("a=1&b&c=%20x&%2Bd=");
        assert_eq!(
            q,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "".into()),
                ("c".into(), " x".into()),
                ("+d".into(), "".into())
            ]
        );
        assert_eq!(encode_query(&q), "a=1&b&c=%20x&%2Bd");
    }
}
