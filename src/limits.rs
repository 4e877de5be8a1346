//! Size limits on what the SDK reads into memory, so that a hostile or broken server (or a
//! proxy in between) cannot make it allocate without bound. A body past its limit is refused
//! with [`Error::Response`](crate::Error::Response) (error bodies are cut instead: the error is
//! still reported, from what fits); text from a server kept in an error is truncated.
//!
//! Object data is never subject to these limits: a download streams
//! ([`GetObjectOutput::into_stream`](crate::oss::GetObjectOutput::into_stream),
//! [`write_to_file`](crate::oss::GetObjectOutput::write_to_file)) and only
//! [`bytes`](crate::oss::GetObjectOutput::bytes), which the caller asks for, collects it.

/// The most bytes of an error response's body that are read (64 KiB); the rest is not read.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// The largest XML result of an OSS operation that is read (16 MiB): a ListObjectsV2 page of
/// 1000 keys of 1 KiB each is about 1.5 MiB.
pub const MAX_XML_BODY: usize = 16 * 1024 * 1024;

/// The largest answer of STS, of a credentials URL, of the ECS metadata service, and the
/// largest OIDC token file, that is read (64 KiB; real answers are about 2 KiB).
pub const MAX_CREDENTIALS_BODY: usize = 64 * 1024;

/// The longest server message (in characters) kept in an error; longer ones are cut and end
/// with `…`.
pub const MAX_ERROR_MESSAGE_CHARS: usize = 1024;

/// The longest other server-provided field (code, request id, host id, …) kept in an error,
/// in characters.
pub const MAX_ERROR_FIELD_CHARS: usize = 256;

/// `s` cut to `max` characters, ending with `…` when cut.
pub(crate) fn clip(s: String, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s,
        Some((at, _)) => {
            let mut cut = s;
            cut.truncate(at);
            cut.push('…');
            cut
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_cuts_on_character_boundaries() {
        assert_eq!(clip("héllo".into(), 10), "héllo");
        assert_eq!(clip("héllo".into(), 2), "hé…");
        assert_eq!(clip(String::new(), 0), "");
        assert_eq!(clip("ab".into(), 0), "…");
    }
}
