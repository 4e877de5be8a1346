//! Form fields for a browser upload (PostObject): a signed policy that limits where, how big and
//! until when a browser may upload, without giving it credentials.
//!
//! The policy's conditions: the bucket, the key (exact, or a prefix with `starts-with`), a
//! `content-length-range`, and the signature fields themselves; for temporary credentials the
//! security token travels as a field (`x-oss-security-token`) and is part of the policy. The
//! browser posts `multipart/form-data` to [`PostObjectForm::url`] with every field of
//! [`PostObjectForm::fields`] followed by the `file` field, last.

use std::fmt;
use std::time::Duration;

use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::oss::client::{Client, RequestSigner};
use crate::oss::signer::{format_iso8601_basic, post};
use crate::oss::validation;

/// The fields and URL of a browser form upload.
#[derive(Clone, PartialEq, Eq)]
pub struct PostObjectForm {
    url: String,
    fields: Vec<(String, String)>,
    policy_json: String,
    expiration: OffsetDateTime,
}

impl fmt::Debug for PostObjectForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted: Vec<(&str, &str)> = self
            .fields
            .iter()
            .map(|(k, v)| {
                let secret = matches!(
                    k.as_str(),
                    "x-oss-signature" | "Signature" | "x-oss-security-token"
                );
                (
                    k.as_str(),
                    if secret { "** redacted **" } else { v.as_str() },
                )
            })
            .collect();
        f.debug_struct("PostObjectForm")
            .field("url", &self.url)
            .field("fields", &redacted)
            .field("expiration", &self.expiration)
            .finish()
    }
}

impl PostObjectForm {
    /// Where the form is posted (the bucket's URL).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The form fields, in order; the `file` field goes after them.
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }

    /// The policy document (JSON) the fields carry base64-encoded.
    pub fn policy_json(&self) -> &str {
        &self.policy_json
    }

    /// When the policy expires.
    pub fn expiration(&self) -> OffsetDateTime {
        self.expiration
    }
}

impl Client {
    /// Starts the form fields of a browser upload into `bucket`.
    pub fn post_object_form(&self, bucket: impl Into<String>) -> PostObjectFormRequest {
        PostObjectFormRequest {
            client: self.clone(),
            bucket: bucket.into(),
            key: None,
            key_prefix: None,
            content_length_range: None,
            content_type: None,
            success_action_status: None,
            expires_in: Duration::from_secs(3600),
        }
    }
}

/// Builds a [`PostObjectForm`].
#[derive(Debug)]
pub struct PostObjectFormRequest {
    client: Client,
    bucket: String,
    key: Option<String>,
    key_prefix: Option<String>,
    content_length_range: Option<(u64, u64)>,
    content_type: Option<String>,
    success_action_status: Option<u16>,
    expires_in: Duration,
}

impl PostObjectFormRequest {
    /// The exact key (sent as the `key` field and required by the policy).
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Allows any key starting with `prefix` (the browser sets the `key` field).
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = Some(prefix.into());
        self
    }

    /// Allows files of `min..=max` bytes only.
    pub fn content_length_range(mut self, min: u64, max: u64) -> Self {
        self.content_length_range = Some((min, max));
        self
    }

    /// Fixes the Content-Type field (and requires it in the policy).
    pub fn content_type(mut self, v: impl Into<String>) -> Self {
        self.content_type = Some(v.into());
        self
    }

    /// The HTTP status OSS answers a successful upload with (200, 201 or 204).
    pub fn success_action_status(mut self, status: u16) -> Self {
        self.success_action_status = Some(status);
        self
    }

    /// How long the policy is valid: 1 s to 7 days (default 1 hour).
    pub fn expires_in(mut self, d: Duration) -> Self {
        self.expires_in = d;
        self
    }

    /// Signs the policy and returns the form. Needs credentials but sends nothing.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a bad bucket, key, size range or lifetime; a credentials
    /// error when the provider fails. Nothing is sent.
    pub async fn sign(self) -> Result<PostObjectForm> {
        validation::bucket(&self.bucket)?;
        validation::presign_expiry(self.expires_in)?;
        if let Some(k) = &self.key {
            validation::object_key(k)?;
            if let Some(p) = &self.key_prefix {
                if !k.starts_with(p.as_str()) {
                    return Err(Error::invalid("key", "must start with the key prefix"));
                }
            }
        }
        if let Some((min, max)) = self.content_length_range {
            if min > max {
                return Err(Error::invalid(
                    "content_length_range",
                    "the minimum must not exceed the maximum",
                ));
            }
        }
        if let Some(s) = self.success_action_status {
            if ![200, 201, 204].contains(&s) {
                return Err(Error::invalid(
                    "success_action_status",
                    "must be 200, 201 or 204",
                ));
            }
        }
        let creds = self.client.inner.credentials.provide_credentials().await?;
        let now = self.client.signing_time();
        let expiration = now + self.expires_in;
        let exp_fmt =
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].000Z");
        let expiration_str = expiration
            .to_offset(time::UtcOffset::UTC)
            .format(&exp_fmt)
            .map_err(|e| Error::Response(format!("could not format the expiration: {e}")))?;

        let mut conditions: Vec<Value> = vec![json!({ "bucket": self.bucket })];
        let mut fields: Vec<(String, String)> = Vec::new();
        if let Some(k) = &self.key {
            fields.push(("key".into(), k.clone()));
        }
        match (&self.key, &self.key_prefix) {
            (_, Some(p)) => conditions.push(json!(["starts-with", "$key", p])),
            (Some(k), None) => conditions.push(json!({ "key": k })),
            (None, None) => {}
        }
        if let Some((min, max)) = self.content_length_range {
            conditions.push(json!(["content-length-range", min, max]));
        }
        if let Some(ct) = &self.content_type {
            conditions.push(json!({ "Content-Type": ct }));
            fields.push(("Content-Type".into(), ct.clone()));
        }
        if let Some(s) = self.success_action_status {
            conditions.push(json!({ "success_action_status": s.to_string() }));
            fields.push(("success_action_status".into(), s.to_string()));
        }
        let token = creds.security_token().map(str::to_owned);
        match &self.client.inner.signer {
            RequestSigner::V4(signer) => {
                let datetime = format_iso8601_basic(now);
                let credential = format!(
                    "{}/{}/{}/{}/aliyun_v4_request",
                    creds.access_key_id(),
                    &datetime[..8],
                    signer.region(),
                    signer.product()
                );
                conditions.push(json!({ "x-oss-signature-version": "OSS4-HMAC-SHA256" }));
                conditions.push(json!({ "x-oss-credential": credential }));
                conditions.push(json!({ "x-oss-date": datetime }));
                if let Some(t) = &token {
                    conditions.push(json!({ "x-oss-security-token": t }));
                }
                let policy_json =
                    json!({ "expiration": expiration_str, "conditions": conditions }).to_string();
                let policy = post::encode_policy(&policy_json);
                let signature = post::v4_signature(
                    creds.access_key_secret(),
                    &datetime[..8],
                    signer.region(),
                    signer.product(),
                    &policy,
                );
                fields.push(("policy".into(), policy));
                fields.push(("x-oss-signature-version".into(), "OSS4-HMAC-SHA256".into()));
                fields.push(("x-oss-credential".into(), credential));
                fields.push(("x-oss-date".into(), datetime));
                if let Some(t) = token {
                    fields.push(("x-oss-security-token".into(), t));
                }
                fields.push(("x-oss-signature".into(), signature));
                Ok(PostObjectForm {
                    url: self.client.url(Some(&self.bucket), None, &[]),
                    fields,
                    policy_json,
                    expiration,
                })
            }
            RequestSigner::V1(_) => {
                if let Some(t) = &token {
                    conditions.push(json!({ "x-oss-security-token": t }));
                }
                let policy_json =
                    json!({ "expiration": expiration_str, "conditions": conditions }).to_string();
                let policy = post::encode_policy(&policy_json);
                let signature = post::v1_signature(creds.access_key_secret(), &policy);
                fields.push(("OSSAccessKeyId".into(), creds.access_key_id().to_owned()));
                fields.push(("policy".into(), policy));
                if let Some(t) = token {
                    fields.push(("x-oss-security-token".into(), t));
                }
                fields.push(("Signature".into(), signature));
                Ok(PostObjectForm {
                    url: self.client.url(Some(&self.bucket), None, &[]),
                    fields,
                    policy_json,
                    expiration,
                })
            }
        }
    }
}
