//! RAM policies: a typed builder for session policies, JSON (de)serialisation with grammar
//! checks, and an evaluator.
//!
//! The scenario's session policy — uploads only under `src/` — and a check, before uploading,
//! of what the resulting temporary credentials may do:
//!
//! ```
//! use alioss::policy::{evaluate_effective, oss_object, Policy, RequestContext};
//!
//! // The role's policy (attached in RAM) and the narrowing session policy (sent to AssumeRole).
//! let role = Policy::from_json(
//!     r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"],"Resource":["acs:oss:*:*:examplebucket/*"]}]}"#,
//! )?;
//! let session = Policy::builder()
//!     .allow(["oss:PutObject"], [oss_object("examplebucket", "src/*")])
//!     .build()?;
//! assert!(session.to_session_policy_json()?.len() <= alioss::policy::MAX_SESSION_POLICY_LEN);
//!
//! let upload = RequestContext::new("oss:PutObject", oss_object("examplebucket", "src/data.csv"));
//! assert!(evaluate_effective(&[role.clone()], Some(&session), &upload)?.is_allowed());
//!
//! let elsewhere = RequestContext::new("oss:PutObject", oss_object("examplebucket", "data.csv"));
//! let decision = evaluate_effective(&[role], Some(&session), &elsewhere)?;
//! assert!(!decision.is_allowed());
//! println!("{decision}"); // denied: no statement in the session policy allows oss:PutObject on …
//! # Ok::<(), alioss::Error>(())
//! ```
//!
//! # Evaluation rules ([`evaluate`], [`evaluate_effective`])
//!
//! * A statement applies when one of its actions matches the request's action (`*` and `?`
//!   wildcards, case-insensitive), one of its resources matches the request's resource
//!   (wildcards, case-sensitive), and all of its conditions hold.
//! * An applicable `Deny` wins over any `Allow` (explicit deny). Without an applicable `Allow`
//!   the request is denied implicitly.
//! * With a session policy ([`evaluate_effective`]), a request is allowed only if the identity
//!   (role) policies **and** the session policy both allow it: the session policy narrows, it
//!   never adds rights. An explicit deny in either set wins.
//! * Conditions: all operators (AND) and all keys must hold; the values of one key are
//!   alternatives (OR). A negated operator (`StringNotEquals`, `NotIpAddress`, …) holds when the
//!   request's value matches none of the values. Condition keys are case-insensitive.
//! * **A condition whose key the request context lacks is false**, for negated operators too.
//!   So an `Allow` conditioned on a missing key does not apply (fail closed), and neither does a
//!   `Deny` conditioned on one; write a `Deny` with a positive operator on a key the server always
//!   sets (as `acs:SecureTransport` and `acs:SourceIp` are) when it must always be judged.
//! * A condition operator this crate does not know, or a request-context value an operator cannot
//!   read (an `acs:SourceIp` that is not an address), makes the evaluation fail with a
//!   [`PolicyError`] — callers must treat an error as a deny. Statements whose action or resource
//!   does not match are not inspected, so they cannot cause such errors.
//! * Policy variables (`${…}`) are not expanded; they match literally.

mod conditions;
mod error;
mod evaluator;
mod json;
mod model;
mod wildcard;

pub use conditions::{Condition, ConditionOperator, ConditionValue};
pub use error::PolicyError;
pub use evaluator::{
    evaluate, evaluate_effective, Decision, DecisionEffect, PolicySet, RequestContext, StatementRef,
};
pub use model::{
    check_session_policy_len, Effect, Policy, PolicyBuilder, Statement, StatementBuilder,
    POLICY_VERSION,
};

/// The longest session policy STS accepts, in characters of JSON (checked here in bytes, which
/// are never fewer).
pub const MAX_SESSION_POLICY_LEN: usize = 2048;

/// The ARN of an OSS bucket in policies: `acs:oss:*:*:<bucket>` (any region, any account).
///
/// ```
/// assert_eq!(alioss::policy::oss_bucket("examplebucket"), "acs:oss:*:*:examplebucket");
/// ```
pub fn oss_bucket(bucket: impl AsRef<str>) -> String {
    format!("acs:oss:*:*:{}", bucket.as_ref())
}

/// The ARN of objects in an OSS bucket: `acs:oss:*:*:<bucket>/<key_pattern>`; the pattern may
/// use `*` and `?` (`src/*` is every object under `src/`).
///
/// ```
/// assert_eq!(
///     alioss::policy::oss_object("examplebucket", "src/*"),
///     "acs:oss:*:*:examplebucket/src/*"
/// );
/// ```
pub fn oss_object(bucket: impl AsRef<str>, key_pattern: impl AsRef<str>) -> String {
    format!("acs:oss:*:*:{}/{}", bucket.as_ref(), key_pattern.as_ref())
}

/// OSS action names for policies (matched case-insensitively).
pub mod actions {
    /// Every OSS action.
    pub const ALL: &str = "oss:*";
    /// Uploads: simple, form (PostObject), append, multipart and resumable uploads.
    pub const PUT_OBJECT: &str = "oss:PutObject";
    /// Downloads and `HeadObject`.
    pub const GET_OBJECT: &str = "oss:GetObject";
    /// Deletes an object.
    pub const DELETE_OBJECT: &str = "oss:DeleteObject";
    /// Lists objects in a bucket (`GetBucket` / `ListObjects(V2)`).
    pub const LIST_OBJECTS: &str = "oss:ListObjects";
    /// Lists the parts of a multipart upload.
    pub const LIST_PARTS: &str = "oss:ListParts";
    /// Aborts a multipart upload.
    pub const ABORT_MULTIPART_UPLOAD: &str = "oss:AbortMultipartUpload";
    /// Lists a bucket's in-progress multipart uploads.
    pub const LIST_MULTIPART_UPLOADS: &str = "oss:ListMultipartUploads";
    /// Reads an object's ACL.
    pub const GET_OBJECT_ACL: &str = "oss:GetObjectAcl";
    /// Sets an object's ACL.
    pub const PUT_OBJECT_ACL: &str = "oss:PutObjectAcl";
}

/// Well-known condition keys (matched case-insensitively).
pub mod condition_keys {
    /// The caller's IP address.
    pub const SOURCE_IP: &str = "acs:SourceIp";
    /// The time of the request (ISO 8601).
    pub const CURRENT_TIME: &str = "acs:CurrentTime";
    /// Whether the request came over HTTPS (`true` / `false`).
    pub const SECURE_TRANSPORT: &str = "acs:SecureTransport";
    /// The VPC the request came from.
    pub const SOURCE_VPC: &str = "acs:SourceVpc";
    /// The `prefix` of a `ListObjects` request.
    pub const OSS_PREFIX: &str = "oss:Prefix";
    /// The `delimiter` of a `ListObjects` request.
    pub const OSS_DELIMITER: &str = "oss:Delimiter";
}
