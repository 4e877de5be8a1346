//! Browser form upload (PostObject) policy signatures.
//!
//! The policy is a JSON document `{"expiration": …, "conditions": […]}`; the form carries it
//! base64-encoded, and the signature is computed over that base64 string.

use std::fmt;

use base64::Engine as _;

use super::v4;

/// A signed PostObject policy: the form fields that carry it.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PostPolicySignature {
    /// The base64-encoded policy (form field `policy`).
    pub policy: String,
    /// The hex signature (form field `x-oss-signature`).
    pub signature: String,
}

impl fmt::Debug for PostPolicySignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostPolicySignature")
            .field("policy", &self.policy)
            .field("signature", &"** redacted **")
            .finish()
    }
}

/// base64 of the policy JSON.
pub fn encode_policy(policy_json: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(policy_json.as_bytes())
}

/// The V4 form signature: hex(HMAC-SHA256(signing key, base64 policy)).
pub fn v4_signature(
    secret: &str,
    date: &str,
    region: &str,
    product: &str,
    policy_b64: &str,
) -> String {
    v4::signature(&v4::signing_key(secret, date, region, product), policy_b64)
}

/// The V1 form signature: base64(HMAC-SHA1(secret, base64 policy)).
pub fn v1_signature(secret: &str, policy_b64: &str) -> String {
    super::v1::signature(secret, policy_b64)
}
