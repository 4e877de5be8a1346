//! Decoding the fields of answers sent with `encoding-type=url`.
//!
//! OSS percent-encodes keys, prefixes, markers and continuation tokens (space as `%20`, `+` as
//! `%2B`, control characters as `%0A` and so on). Decoding is plain percent-decoding, as the
//! official Python SDK's `unquote`: a literal `+` stays a `+`, it is not a space.

use crate::error::{Error, Result};

/// How an answer's fields are to be decoded, from its `<EncodingType>`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decoder {
    url: bool,
}

impl Decoder {
    /// The decoder for an answer whose `<EncodingType>` is `encoding_type` (`url`, any case,
    /// means percent-encoded; anything else means verbatim).
    pub(crate) fn new(encoding_type: Option<&str>) -> Self {
        Self {
            url: encoding_type.is_some_and(|e| e.trim().eq_ignore_ascii_case("url")),
        }
    }

    /// Decodes `value` of answer field `field`.
    ///
    /// # Errors
    ///
    /// [`Error::Response`] when the decoded bytes are not UTF-8.
    pub(crate) fn decode(&self, field: &str, value: String) -> Result<String> {
        if !self.url {
            return Ok(value);
        }
        percent_encoding::percent_decode_str(&value)
            .decode_utf8()
            .map(|v| v.into_owned())
            .map_err(|_| {
                Error::Response(format!(
                    "the answer's {field} is not UTF-8 once URL-decoded (encoding-type=url)"
                ))
            })
    }

    /// Decodes an optional field.
    pub(crate) fn decode_opt(&self, field: &str, value: Option<String>) -> Result<Option<String>> {
        value.map(|v| self.decode(field, v)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::oss::signer::uri_encode;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Whatever a key holds (control characters, `+`, `%`, spaces, any Unicode), encoding
        /// it as OSS (and the emulator) does and decoding it here gives it back.
        #[test]
        fn any_key_survives_encoding_as_oss_does(key in any::<String>()) {
            let dec = Decoder::new(Some("url"));
            prop_assert_eq!(dec.decode("Key", uri_encode(&key)).unwrap(), key);
        }
    }

    #[test]
    fn plus_is_literal_and_percent_sequences_decode() {
        let d = Decoder::new(Some("url"));
        assert_eq!(d.decode("Key", "a+b%20c%2Bd".into()).unwrap(), "a+b c+d");
        assert_eq!(d.decode("Key", "x%0A%01y".into()).unwrap(), "x\n\u{1}y");
        assert_eq!(d.decode("Key", "%E4%BD%A0".into()).unwrap(), "你");
        assert!(d.decode("Key", "%FF".into()).is_err());
    }

    #[test]
    fn encoding_type_is_case_insensitive_and_absent_means_verbatim() {
        assert_eq!(
            Decoder::new(Some("URL"))
                .decode("Key", "a%20b".into())
                .unwrap(),
            "a b"
        );
        assert_eq!(
            Decoder::new(None).decode("Key", "a%20b".into()).unwrap(),
            "a%20b"
        );
    }
}
