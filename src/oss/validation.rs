//! Input rules checked before any request is sent. Every refusal is an
//! [`crate::Error::InvalidInput`] naming the field and the rule.

use std::time::Duration;

use crate::error::{Error, Result};

/// The highest part number of a multipart upload.
pub const MAX_PART_NUMBER: u32 = 10_000;
/// The smallest size of a part that is not the last one: 100 KiB.
pub const MIN_PART_SIZE: u64 = 100 * 1024;
/// The largest size of a part: 5 GiB.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// The longest a presigned URL may live: 7 days.
pub const MAX_PRESIGN_EXPIRY: Duration = Duration::from_secs(7 * 24 * 3600);
/// The lowest traffic limit OSS accepts, in bit/s (30 KiB/s).
pub const MIN_TRAFFIC_LIMIT: u64 = 245_760;
/// The highest traffic limit OSS accepts, in bit/s (100 MiB/s).
pub const MAX_TRAFFIC_LIMIT: u64 = 838_860_800;
/// The most bytes user metadata (names and values) may take.
pub const MAX_METADATA_BYTES: usize = 8 * 1024;

/// Bucket names: 3–63 characters of `[a-z0-9-]`, not starting or ending with `-`.
pub(crate) fn bucket(name: &str) -> Result<()> {
    let len = name.len();
    if !(3..=63).contains(&len) {
        return Err(Error::invalid(
            "bucket",
            format!("must be 3 to 63 characters long (got {len})"),
        ));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(Error::invalid(
            "bucket",
            "must contain only lower-case letters, digits and '-'",
        ));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err(Error::invalid("bucket", "must not start or end with '-'"));
    }
    Ok(())
}

/// Object keys: 1–1023 bytes of UTF-8, not starting with `/` or `\`.
pub(crate) fn object_key(key: &str) -> Result<()> {
    let len = key.len();
    if !(1..=1023).contains(&len) {
        return Err(Error::invalid(
            "key",
            format!("must be 1 to 1023 bytes long (got {len})"),
        ));
    }
    if key.starts_with('/') || key.starts_with('\\') {
        return Err(Error::invalid("key", "must not start with '/' or '\\'"));
    }
    if key == "." || key == ".." {
        return Err(Error::invalid("key", "must not be '.' or '..'"));
    }
    Ok(())
}

/// Both a bucket and a key.
pub(crate) fn bucket_and_key(bucket_name: &str, key: &str) -> Result<()> {
    bucket(bucket_name)?;
    object_key(key)
}

/// Part numbers: 1–10000.
pub(crate) fn part_number(n: u32) -> Result<()> {
    if !(1..=MAX_PART_NUMBER).contains(&n) {
        return Err(Error::invalid(
            "part_number",
            format!("must be 1 to {MAX_PART_NUMBER} (got {n})"),
        ));
    }
    Ok(())
}

/// A part's size: at most 5 GiB.
pub(crate) fn part_size(size: u64) -> Result<()> {
    if size > MAX_PART_SIZE {
        return Err(Error::invalid(
            "part_size",
            format!("a part must be at most {MAX_PART_SIZE} bytes (5 GiB) (got {size})"),
        ));
    }
    Ok(())
}

/// A part that is followed by another: at least 100 KiB.
pub(crate) fn non_last_part_size(number: u32, size: u64) -> Result<()> {
    if size < MIN_PART_SIZE {
        return Err(Error::invalid(
            "part_size",
            format!(
                "every part but the last must be at least {MIN_PART_SIZE} bytes (100 KiB); \
                 part {number} has {size}"
            ),
        ));
    }
    Ok(())
}

/// User metadata names: non-empty, letters, digits, `-` and `_`.
pub(crate) fn metadata_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid("metadata name", "must not be empty"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::invalid(
            "metadata name",
            "must contain only ASCII letters, digits, '-' and '_'",
        ));
    }
    Ok(())
}

/// User metadata values: printable ASCII (HTTP header values), no line breaks.
pub(crate) fn metadata_value(value: &str) -> Result<()> {
    if !value
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
    {
        return Err(Error::invalid(
            "metadata value",
            "must be printable ASCII without line breaks (encode other text, e.g. as base64)",
        ));
    }
    Ok(())
}

/// All user metadata: names and values valid, at most 8 KiB in total.
pub(crate) fn metadata(entries: &[(String, String)]) -> Result<()> {
    let mut total = 0;
    for (k, v) in entries {
        metadata_name(k)?;
        metadata_value(v)?;
        total += k.len() + v.len();
    }
    if total > MAX_METADATA_BYTES {
        return Err(Error::invalid(
            "metadata",
            format!("names and values must total at most {MAX_METADATA_BYTES} bytes (got {total})"),
        ));
    }
    Ok(())
}

/// Presigned URL lifetime: 1 second to 7 days.
pub(crate) fn presign_expiry(d: Duration) -> Result<()> {
    if d < Duration::from_secs(1) || d > MAX_PRESIGN_EXPIRY {
        return Err(Error::invalid(
            "expires",
            "a presigned URL must expire after 1 to 604800 seconds (7 days)",
        ));
    }
    Ok(())
}

/// Traffic limit: 245760–838860800 bit/s.
pub(crate) fn traffic_limit(bits_per_second: u64) -> Result<()> {
    if !(MIN_TRAFFIC_LIMIT..=MAX_TRAFFIC_LIMIT).contains(&bits_per_second) {
        return Err(Error::invalid(
            "traffic_limit",
            format!(
                "must be {MIN_TRAFFIC_LIMIT} to {MAX_TRAFFIC_LIMIT} bit/s (got {bits_per_second})"
            ),
        ));
    }
    Ok(())
}

/// A value sent in an HTTP header (content type, cache control, …): no control characters.
pub(crate) fn header_value(field: &'static str, value: &str) -> Result<()> {
    if value.bytes().any(|b| b < 0x20 && b != b'\t' || b == 0x7f) {
        return Err(Error::invalid(
            field,
            "must not contain control characters or line breaks",
        ));
    }
    Ok(())
}

/// Tag keys and values: key 1–128 bytes, value at most 256 bytes.
/// The most tags an object may have (as OSS and the emulator enforce).
pub(crate) const MAX_TAGS: usize = 10;

/// A whole tag set: at most [`MAX_TAGS`] tags, no key twice, each tag valid.
pub(crate) fn tags(tags: &[(String, String)]) -> Result<()> {
    if tags.len() > MAX_TAGS {
        return Err(Error::invalid(
            "tagging",
            format!("at most {MAX_TAGS} tags per object (got {})", tags.len()),
        ));
    }
    for (i, (k, v)) in tags.iter().enumerate() {
        tag(k, v)?;
        if tags[..i].iter().any(|(earlier, _)| earlier == k) {
            return Err(Error::invalid(
                "tagging",
                format!("tag key {k:?} is given twice"),
            ));
        }
    }
    Ok(())
}

pub(crate) fn tag(key: &str, value: &str) -> Result<()> {
    if key.is_empty() || key.len() > 128 {
        return Err(Error::invalid(
            "tagging",
            "tag keys must be 1 to 128 bytes long",
        ));
    }
    if value.len() > 256 {
        return Err(Error::invalid(
            "tagging",
            "tag values must be at most 256 bytes long",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(r: Result<()>) -> String {
        r.unwrap_err()
            .as_invalid_input()
            .unwrap()
            .field()
            .to_owned()
    }

    #[test]
    fn bucket_names() {
        for ok in ["abc", "example-bucket", "a1b2c3", &"a".repeat(63)] {
            bucket(ok).unwrap();
        }
        for bad in [
            "ab",
            &"a".repeat(64),
            "Example",
            "under_score",
            "-abc",
            "abc-",
            "dot.ted",
            "",
        ] {
            assert_eq!(field(bucket(bad)), "bucket", "{bad}");
        }
    }

    #[test]
    fn object_keys() {
        object_key("a").unwrap();
        object_key("src/data.csv").unwrap();
        object_key(&"k".repeat(1023)).unwrap();
        object_key("中文/文件.txt").unwrap();
        for bad in ["", "/abs", "\\win", ".", "..", &"k".repeat(1024)] {
            assert_eq!(field(object_key(bad)), "key");
        }
        // 1023 bytes measured in UTF-8, not characters.
        assert_eq!(field(object_key(&"é".repeat(512))), "key");
    }

    #[test]
    fn part_numbers_and_sizes() {
        part_number(1).unwrap();
        part_number(10_000).unwrap();
        assert_eq!(field(part_number(0)), "part_number");
        assert_eq!(field(part_number(10_001)), "part_number");
        part_size(MAX_PART_SIZE).unwrap();
        assert_eq!(field(part_size(MAX_PART_SIZE + 1)), "part_size");
        non_last_part_size(1, MIN_PART_SIZE).unwrap();
        assert_eq!(field(non_last_part_size(1, MIN_PART_SIZE - 1)), "part_size");
    }

    #[test]
    fn metadata_rules() {
        metadata(&[("author".into(), "me".into())]).unwrap();
        assert_eq!(field(metadata_name("")), "metadata name");
        assert_eq!(field(metadata_name("with space")), "metadata name");
        assert_eq!(field(metadata_name("colon:")), "metadata name");
        assert_eq!(field(metadata_value("line\nbreak")), "metadata value");
        let big = vec![("k".to_owned(), "v".repeat(9000))];
        assert_eq!(field(metadata(&big)), "metadata");
    }

    #[test]
    fn presign_expiry_rules() {
        presign_expiry(Duration::from_secs(1)).unwrap();
        presign_expiry(MAX_PRESIGN_EXPIRY).unwrap();
        assert_eq!(field(presign_expiry(Duration::ZERO)), "expires");
        assert_eq!(
            field(presign_expiry(MAX_PRESIGN_EXPIRY + Duration::from_secs(1))),
            "expires"
        );
    }

    #[test]
    fn traffic_limit_rules() {
        traffic_limit(MIN_TRAFFIC_LIMIT).unwrap();
        assert_eq!(field(traffic_limit(1)), "traffic_limit");
    }
}
