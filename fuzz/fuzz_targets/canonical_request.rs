//! V4 and V1 canonicalisation of arbitrary requests never panics.
#![no_main]

use alioss::oss::signer::{v1, v4, SignableRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (String, Option<String>, Option<String>, Vec<(String, String)>, Vec<(String, String)>)| {
    let (method, bucket, key, query, headers) = input;
    let mut req = SignableRequest::new(method, bucket.as_deref(), key.as_deref());
    req.query = query;
    req.headers = headers;
    let _ = v4::canonical_request(&req, &[]);
    let _ = v1::string_to_sign(&req, "Thu, 01 Jan 2026 00:00:00 GMT", &[]);
});
