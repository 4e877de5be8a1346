//! Authorisation: RAM policy documents and the decision "may this caller do this action on this
//! resource". The emulator keeps one narrow seam here so that the policy language itself lives
//! in `alioss::sts::policy`.

use std::fmt;

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

/// A policy ready for evaluation.
#[derive(Debug, Clone)]
pub(crate) struct CompiledPolicy {
    statements: Vec<Statement>,
}

#[derive(Debug, Clone)]
struct Statement {
    allow: bool,
    actions: Vec<String>,
    not_actions: Vec<String>,
    resources: Vec<String>,
}

/// The extra facts a request carries, for policy conditions.
#[derive(Debug, Clone, Default)]
pub(crate) struct Conditions {
    pub(crate) pairs: Vec<(String, String)>,
}

fn string_list(v: Option<&serde_json::Value>, field: &str) -> Result<Vec<String>, String> {
    match v {
        None => Ok(Vec::new()),
        Some(serde_json::Value::String(s)) => Ok(vec![s.clone()]),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{field} must hold strings"))
            })
            .collect(),
        Some(_) => Err(format!("{field} must be a string or an array of strings")),
    }
}

/// Parses a policy document into its evaluable form.
pub(crate) fn compile(json: &str) -> Result<CompiledPolicy, String> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("not valid JSON: {e}"))?;
    let obj = value.as_object().ok_or("a policy must be a JSON object")?;
    match obj.get("Version").and_then(|v| v.as_str()) {
        Some("1") => {}
        _ => return Err("Version must be \"1\"".into()),
    }
    let stmts = match obj.get("Statement") {
        Some(serde_json::Value::Array(a)) => a.clone(),
        Some(o @ serde_json::Value::Object(_)) => vec![o.clone()],
        _ => return Err("Statement must be an array of statements".into()),
    };
    let mut statements = Vec::new();
    for s in &stmts {
        let s = s.as_object().ok_or("each Statement must be an object")?;
        let allow = match s.get("Effect").and_then(|v| v.as_str()) {
            Some("Allow") => true,
            Some("Deny") => false,
            _ => return Err("Effect must be Allow or Deny".into()),
        };
        let actions = string_list(s.get("Action"), "Action")?;
        let not_actions = string_list(s.get("NotAction"), "NotAction")?;
        if actions.is_empty() == not_actions.is_empty() {
            return Err("a Statement needs exactly one of Action and NotAction".into());
        }
        let resources = string_list(s.get("Resource"), "Resource")?;
        if resources.is_empty() {
            return Err("a Statement needs a Resource".into());
        }
        statements.push(Statement {
            allow,
            actions,
            not_actions,
            resources,
        });
    }
    Ok(CompiledPolicy { statements })
}

fn wildcard_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = if ignore_case {
        (
            pattern.to_lowercase().chars().collect(),
            text.to_lowercase().chars().collect(),
        )
    } else {
        (pattern.chars().collect(), text.chars().collect())
    };
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None, 0usize);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Allow,
    Deny,
    NoMatch,
}

fn verdict(policies: &[&CompiledPolicy], action: &str, resource: &str) -> Verdict {
    let mut allowed = false;
    for p in policies {
        for s in &p.statements {
            let action_hit = if s.actions.is_empty() {
                !s.not_actions
                    .iter()
                    .any(|a| wildcard_match(a, action, true))
            } else {
                s.actions.iter().any(|a| wildcard_match(a, action, true))
            };
            if !action_hit
                || !s
                    .resources
                    .iter()
                    .any(|r| wildcard_match(r, resource, false))
            {
                continue;
            }
            if !s.allow {
                return Verdict::Deny;
            }
            allowed = true;
        }
    }
    if allowed {
        Verdict::Allow
    } else {
        Verdict::NoMatch
    }
}

/// Whether the identity policies (and, for STS sessions, the session policy) allow the action.
/// An explicit deny anywhere wins; with a session policy both sides must allow.
pub(crate) fn is_allowed(
    identity: &[CompiledPolicy],
    session: Option<&CompiledPolicy>,
    action: &str,
    resource: &str,
    _conditions: &Conditions,
) -> bool {
    let ids: Vec<&CompiledPolicy> = identity.iter().collect();
    let id = verdict(&ids, action, resource);
    match session {
        None => id == Verdict::Allow,
        Some(s) => id == Verdict::Allow && verdict(&[s], action, resource) == Verdict::Allow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_like_ram() {
        assert!(wildcard_match(
            "acs:oss:*:*:examplebucket/*",
            "acs:oss:cn-hangzhou:1:examplebucket/a/b",
            false
        ));
        assert!(!wildcard_match(
            "acs:oss:*:*:examplebucket/*",
            "acs:oss:cn-hangzhou:1:examplebucket",
            false
        ));
        assert!(wildcard_match("oss:*", "oss:PutObject", true));
        assert!(wildcard_match("OSS:putobject", "oss:PutObject", true));
        assert!(wildcard_match("a?c", "abc", false));
    }

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
