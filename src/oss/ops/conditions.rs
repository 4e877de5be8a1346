//! The four conditions on an object's ETag and modification time that a read (`If-Match` and
//! the like) or a copy's source (`x-oss-copy-source-if-*`) may carry, and their setters.

use time::OffsetDateTime;

use crate::error::Result;
use crate::oss::request::OssRequest;
use crate::oss::signer::format_http_date;
use crate::oss::validation;

/// The header names of the four conditions, in the order of [`Conditions`]' fields.
pub(crate) type ConditionHeaders = [&'static str; 4];

/// The conditions of GetObject and HeadObject.
pub(crate) const READ_HEADERS: ConditionHeaders = [
    "If-Match",
    "If-None-Match",
    "If-Modified-Since",
    "If-Unmodified-Since",
];

/// The conditions on the source of CopyObject and UploadPartCopy.
pub(crate) const COPY_SOURCE_HEADERS: ConditionHeaders = [
    "x-oss-copy-source-if-match",
    "x-oss-copy-source-if-none-match",
    "x-oss-copy-source-if-modified-since",
    "x-oss-copy-source-if-unmodified-since",
];

/// If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since.
#[derive(Debug, Clone, Default)]
pub(crate) struct Conditions {
    pub(crate) if_match: Option<String>,
    pub(crate) if_none_match: Option<String>,
    pub(crate) if_modified_since: Option<OffsetDateTime>,
    pub(crate) if_unmodified_since: Option<OffsetDateTime>,
}

impl Conditions {
    /// Checks that the ETags can go into a header (the error names `if_match` or
    /// `if_none_match`).
    pub(crate) fn validate(&self) -> Result<()> {
        for (field, v) in [
            ("if_match", &self.if_match),
            ("if_none_match", &self.if_none_match),
        ] {
            if let Some(v) = v {
                validation::header_value(field, v)?;
            }
        }
        Ok(())
    }

    /// `req` with the conditions set as the headers `names` (call [`Conditions::validate`]
    /// first).
    pub(crate) fn apply(&self, mut req: OssRequest, names: &ConditionHeaders) -> OssRequest {
        let [if_match, if_none_match, if_modified_since, if_unmodified_since] = *names;
        if let Some(v) = &self.if_match {
            req = req.header(if_match, v.clone());
        }
        if let Some(v) = &self.if_none_match {
            req = req.header(if_none_match, v.clone());
        }
        if let Some(t) = self.if_modified_since {
            req = req.header(if_modified_since, format_http_date(t));
        }
        if let Some(t) = self.if_unmodified_since {
            req = req.header(if_unmodified_since, format_http_date(t));
        }
        req
    }
}

/// The four setters for a builder holding `conditions: Conditions`, with their doc comments
/// (what the request does, then each condition's failure) given by the caller.
macro_rules! condition_setters {
    ($if_match:literal, $if_none_match:literal, $if_modified_since:literal, $if_unmodified_since:literal $(,)?) => {
        #[doc = $if_match]
        pub fn if_match(mut self, etag: impl Into<String>) -> Self {
            self.conditions.if_match = Some(etag.into());
            self
        }

        #[doc = $if_none_match]
        pub fn if_none_match(mut self, etag: impl Into<String>) -> Self {
            self.conditions.if_none_match = Some(etag.into());
            self
        }

        #[doc = $if_modified_since]
        pub fn if_modified_since(mut self, t: time::OffsetDateTime) -> Self {
            self.conditions.if_modified_since = Some(t);
            self
        }

        #[doc = $if_unmodified_since]
        pub fn if_unmodified_since(mut self, t: time::OffsetDateTime) -> Self {
            self.conditions.if_unmodified_since = Some(t);
            self
        }
    };
}
pub(crate) use condition_setters;
