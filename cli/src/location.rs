//! `oss://bucket/key` URLs and local paths.

use alioss::Error;

/// One side of a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    /// `oss://bucket/key` (the key may be empty or end with `/`).
    Oss { bucket: String, key: String },
    /// A local path.
    Local(std::path::PathBuf),
}

impl Location {
    pub(crate) fn parse(s: &str) -> Result<Self, Error> {
        match s.strip_prefix("oss://") {
            Some(rest) => {
                let (bucket, key) = parse_oss(rest, s)?;
                Ok(Location::Oss { bucket, key })
            }
            None if s.is_empty() => Err(Error::invalid("path", "must not be empty")),
            None => Ok(Location::Local(s.into())),
        }
    }
}

/// `oss://bucket[/key]` → (bucket, key); the key may be empty.
pub(crate) fn parse_url(s: &str) -> Result<(String, String), Error> {
    let rest = s.strip_prefix("oss://").ok_or_else(|| {
        Error::invalid(
            "url",
            format!("must look like oss://bucket/key (got {s:?})"),
        )
    })?;
    parse_oss(rest, s)
}

fn parse_oss(rest: &str, whole: &str) -> Result<(String, String), Error> {
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(Error::invalid(
            "url",
            format!("names no bucket (got {whole:?}; expected oss://bucket/key)"),
        ));
    }
    Ok((bucket.to_owned(), key.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oss_urls_and_paths_are_told_apart() {
        assert_eq!(
            Location::parse("oss://b/a/b.txt").unwrap(),
            Location::Oss {
                bucket: "b".into(),
                key: "a/b.txt".into()
            }
        );
        assert_eq!(parse_url("oss://b").unwrap(), ("b".into(), "".into()));
        assert!(matches!(
            Location::parse("./x").unwrap(),
            Location::Local(_)
        ));
        assert!(parse_url("oss:///k").is_err());
        assert!(parse_url("s3://b/k").is_err());
    }
}
