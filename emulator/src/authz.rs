//! Authorisation: RAM policy documents and the decision "may this caller do this action on this
//! resource". The emulator keeps one narrow seam here so that the policy language itself lives
//! in `alioss::policy`.

use std::fmt;

use alioss::policy::{condition_keys, evaluate_effective, Policy, RequestContext};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A RAM policy document, kept as compact JSON text.
///
/// In a configuration file it may be written either as a JSON object or as a string holding
/// JSON.
#[derive(Clone, PartialEq, Eq)]
pub struct PolicyDocument {
    json: String,
}

impl fmt::Debug for PolicyDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.json)
    }
}

impl PolicyDocument {
    /// Parses and checks a policy document.
    pub fn from_json_str(json: &str) -> Result<Self, String> {
        compile(json)?;
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        Ok(Self {
            json: value.to_string(),
        })
    }

    /// The document as compact JSON.
    pub fn as_json(&self) -> &str {
        &self.json
    }
}

impl Serialize for PolicyDocument {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let value: serde_json::Value =
            serde_json::from_str(&self.json).map_err(serde::ser::Error::custom)?;
        value.serialize(s)
    }
}

impl<'de> Deserialize<'de> for PolicyDocument {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        let text = match value {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        PolicyDocument::from_json_str(&text).map_err(serde::de::Error::custom)
    }
}

/// A policy ready for evaluation (parsed by `alioss::policy`).
#[derive(Debug, Clone)]
pub(crate) struct CompiledPolicy(Policy);

/// The facts a request carries for policy conditions (`acs:SourceIp`, `acs:CurrentTime`,
/// `acs:SecureTransport`, `oss:Prefix`, …).
#[derive(Debug, Clone, Default)]
pub(crate) struct Conditions {
    pub(crate) pairs: Vec<(String, String)>,
}

impl Conditions {
    /// The facts every request has: caller address, server time, whether it came over TLS.
    pub(crate) fn for_request(
        source_ip: Option<std::net::IpAddr>,
        now: time::OffsetDateTime,
        secure: bool,
    ) -> Self {
        let mut pairs = vec![
            (
                condition_keys::CURRENT_TIME.to_owned(),
                now.format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            ),
            (
                condition_keys::SECURE_TRANSPORT.to_owned(),
                secure.to_string(),
            ),
        ];
        if let Some(ip) = source_ip {
            pairs.push((condition_keys::SOURCE_IP.to_owned(), ip.to_string()));
        }
        Self { pairs }
    }

    /// Adds a fact.
    pub(crate) fn with(mut self, key: &str, value: &str) -> Self {
        self.pairs.push((key.to_owned(), value.to_owned()));
        self
    }
}

/// Parses a policy document strictly (as STS checks a session policy's grammar).
pub(crate) fn compile(json: &str) -> Result<CompiledPolicy, String> {
    let policy = Policy::from_json(json).map_err(|e| e.to_string())?;
    policy.check_known_operators().map_err(|e| e.to_string())?;
    Ok(CompiledPolicy(policy))
}

/// Whether the identity policies (and, for STS sessions, the session policy) allow the action:
/// an explicit deny anywhere wins, and with a session policy both sides must allow. An
/// evaluation error counts as a deny.
pub(crate) fn is_allowed(
    identity: &[CompiledPolicy],
    session: Option<&CompiledPolicy>,
    action: &str,
    resource: &str,
    conditions: &Conditions,
) -> bool {
    let mut ctx = RequestContext::new(action, resource);
    for (k, v) in &conditions.pairs {
        ctx = ctx.with(k.as_str(), v.as_str());
    }
    let ids: Vec<Policy> = identity.iter().map(|p| p.0.clone()).collect();
    match evaluate_effective(&ids, session.map(|s| &s.0), &ctx) {
        Ok(decision) => {
            tracing::debug!(%decision, "policy decision");
            decision.is_allowed()
        }
        Err(e) => {
            tracing::debug!(error = %e, "policy evaluation failed; denying");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deny_overrides_allow_and_session_narrows() {
        let role = compile(r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"},{"Effect":"Deny","Action":"oss:DeleteObject","Resource":"*"}]}"#).unwrap();
        let c = Conditions::default();
        assert!(is_allowed(
            std::slice::from_ref(&role),
            None,
            "oss:PutObject",
            "acs:oss:r:1:b/k",
            &c
        ));
        assert!(!is_allowed(
            std::slice::from_ref(&role),
            None,
            "oss:DeleteObject",
            "acs:oss:r:1:b/k",
            &c
        ));
        let session = compile(r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:PutObject","Resource":"acs:oss:*:*:b/src/*"}]}"#).unwrap();
        assert!(is_allowed(
            std::slice::from_ref(&role),
            Some(&session),
            "oss:PutObject",
            "acs:oss:r:1:b/src/x",
            &c
        ));
        assert!(!is_allowed(
            std::slice::from_ref(&role),
            Some(&session),
            "oss:PutObject",
            "acs:oss:r:1:b/other",
            &c
        ));
        assert!(!is_allowed(
            std::slice::from_ref(&role),
            Some(&session),
            "oss:GetObject",
            "acs:oss:r:1:b/src/x",
            &c
        ));
    }
}

#[cfg(test)]
mod condition_tests {
    use super::*;

    #[test]
    fn conditions_on_source_ip_are_evaluated() {
        let p = compile(r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"127.0.0.0/8"}}}]}"#).unwrap();
        let local = Conditions::for_request(
            Some("127.0.0.1".parse().unwrap()),
            time::OffsetDateTime::now_utc(),
            false,
        );
        let remote = Conditions::for_request(
            Some("10.1.1.1".parse().unwrap()),
            time::OffsetDateTime::now_utc(),
            false,
        );
        assert!(is_allowed(
            std::slice::from_ref(&p),
            None,
            "oss:GetObject",
            "acs:oss:r:1:b/k",
            &local
        ));
        assert!(!is_allowed(
            std::slice::from_ref(&p),
            None,
            "oss:GetObject",
            "acs:oss:r:1:b/k",
            &remote
        ));
    }

    #[test]
    fn unknown_operators_are_refused() {
        assert!(compile(r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Resource":"*","Condition":{"MadeUp":{"acs:SourceIp":"x"}}}]}"#).is_err());
    }
}
