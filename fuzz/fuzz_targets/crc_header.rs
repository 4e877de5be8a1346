//! The `x-oss-hash-crc64ecma` parser accepts exactly the decimal forms of a u64.
#![no_main]

use alioss::oss::crc64;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    let expected = (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse::<u64>().ok())
        .flatten();
    assert_eq!(crc64::parse(s), expected);
});
