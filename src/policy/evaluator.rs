//! The evaluator: does a set of policies allow an action on a resource in a request's context,
//! and which statement decided?
//!
//! The rules are in the [module documentation](super).

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::error::PolicyError;
use super::model::{Effect, Policy, Statement};
use super::{condition_keys, wildcard};

/// What a request does, to what, and the condition keys it carries (`acs:SourceIp`,
/// `acs:CurrentTime`, `acs:SecureTransport`, `oss:Prefix`, …).
///
/// ```
/// use alioss::policy::{oss_object, RequestContext};
///
/// let ctx = RequestContext::new("oss:PutObject", oss_object("examplebucket", "src/a.csv"))
///     .with("acs:SourceIp", "10.0.0.1")
///     .with("acs:SecureTransport", "true");
/// assert_eq!(ctx.values("ACS:SOURCEIP"), Some(&["10.0.0.1".to_owned()][..]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    action: String,
    resource: String,
    /// Keys lowercased (keys are case-insensitive); each may carry several values.
    keys: BTreeMap<String, (String, Vec<String>)>,
}

impl RequestContext {
    /// A request for `action` (e.g. `oss:PutObject`) on `resource` (e.g.
    /// `acs:oss:*:*:examplebucket/src/a.csv`, see [`oss_object`](super::oss_object)).
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        Self {
            action: action.into(),
            resource: resource.into(),
            keys: BTreeMap::new(),
        }
    }

    /// Adds a value for a condition key (keys are case-insensitive; calling again with the same
    /// key adds another value).
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        self.keys
            .entry(key.to_ascii_lowercase())
            .or_insert_with(|| (key, Vec::new()))
            .1
            .push(value.into());
        self
    }

    /// Sets `acs:SourceIp`.
    pub fn with_source_ip(self, ip: IpAddr) -> Self {
        self.with(condition_keys::SOURCE_IP, ip.to_string())
    }

    /// Sets `acs:CurrentTime` (written as RFC 3339 in UTC).
    pub fn with_current_time(self, now: OffsetDateTime) -> Self {
        let text = now
            .to_offset(time::UtcOffset::UTC)
            .format(&Rfc3339)
            .unwrap_or_else(|_| now.unix_timestamp().to_string());
        self.with(condition_keys::CURRENT_TIME, text)
    }

    /// Sets `acs:SecureTransport` (whether the request came over HTTPS).
    pub fn with_secure_transport(self, secure: bool) -> Self {
        self.with(condition_keys::SECURE_TRANSPORT, secure.to_string())
    }

    /// The action.
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The resource.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The values of a condition key (case-insensitive), if the request carries it.
    pub fn values(&self, key: &str) -> Option<&[String]> {
        self.keys
            .get(&key.to_ascii_lowercase())
            .map(|(_, values)| values.as_slice())
    }
}

/// Which set of policies a statement belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PolicySet {
    /// The identity's own policies (for STS credentials: the role's policies).
    Identity,
    /// The session policy passed to `AssumeRole`.
    Session,
}

impl fmt::Display for PolicySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PolicySet::Identity => "identity policies",
            PolicySet::Session => "session policy",
        })
    }
}

/// Points at one statement: its set, the policy's index in that set, the statement's index in
/// the policy, and its `Sid`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct StatementRef {
    /// Identity or session.
    pub set: PolicySet,
    /// Index of the policy in the set (always 0 for the session policy).
    pub policy_index: usize,
    /// Index of the statement in the policy.
    pub statement_index: usize,
    /// The statement's `Sid`, if it has one.
    pub sid: Option<String>,
}

impl fmt::Display for StatementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.set {
            PolicySet::Identity => write!(
                f,
                "identity policy #{} Statement[{}]",
                self.policy_index, self.statement_index
            )?,
            PolicySet::Session => write!(f, "session policy Statement[{}]", self.statement_index)?,
        }
        if let Some(sid) = &self.sid {
            write!(f, " (Sid {sid:?})")?;
        }
        Ok(())
    }
}

/// The outcome of an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecisionEffect {
    /// Every required set allows, and nothing denies.
    Allow,
    /// An applicable `Deny` statement refused the request.
    ExplicitDeny,
    /// No applicable `Allow` (in at least one required set).
    ImplicitDeny,
}

/// The answer of [`evaluate`] / [`evaluate_effective`], with the reason. Its `Display` explains
/// the decision in a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Decision {
    /// Allowed, explicitly denied, or implicitly denied.
    pub effect: DecisionEffect,
    /// The statement that decided: the `Deny` for an explicit deny; for an allow, the first
    /// identity `Allow` that applied; `None` for an implicit deny.
    pub decided_by: Option<StatementRef>,
    /// Every `Allow` statement that applied, identity first, then session.
    pub allowed_by: Vec<StatementRef>,
    /// For an implicit deny, the set(s) with no applicable `Allow`.
    pub missing_allow: Vec<PolicySet>,
    /// The request's action.
    pub action: String,
    /// The request's resource.
    pub resource: String,
}

impl Decision {
    /// Whether the request is allowed.
    pub fn is_allowed(&self) -> bool {
        self.effect == DecisionEffect::Allow
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (action, resource) = (&self.action, &self.resource);
        match self.effect {
            DecisionEffect::Allow => {
                write!(f, "allowed: {action} on {resource} is allowed by ")?;
                let mut refs = Vec::new();
                if let Some(first) = self
                    .allowed_by
                    .iter()
                    .find(|r| r.set == PolicySet::Identity)
                {
                    refs.push(first.to_string());
                }
                if let Some(first) = self.allowed_by.iter().find(|r| r.set == PolicySet::Session) {
                    refs.push(first.to_string());
                }
                f.write_str(&refs.join(" and "))
            }
            DecisionEffect::ExplicitDeny => {
                write!(f, "denied: {action} on {resource} is explicitly denied")?;
                if let Some(by) = &self.decided_by {
                    write!(f, " by {by}")?;
                }
                f.write_str("; an explicit Deny overrides every Allow")
            }
            DecisionEffect::ImplicitDeny => {
                write!(f, "denied: no statement in the ")?;
                let sets: Vec<String> = self.missing_allow.iter().map(|s| s.to_string()).collect();
                f.write_str(&sets.join(" or the "))?;
                write!(f, " allows {action} on {resource} (implicit deny)")?;
                if self.missing_allow == [PolicySet::Session] {
                    f.write_str("; temporary credentials get only what both the role's policies and the session policy allow")?;
                }
                Ok(())
            }
        }
    }
}

/// Evaluates `policies` (one identity's policies) for the request: explicit deny, allow, or
/// implicit deny. An error (unknown condition operator, unreadable context value) must be
/// treated as a deny.
///
/// # Errors
///
/// [`PolicyError`] when a policy uses a condition operator the evaluator does not know
/// (evaluation fails closed).
pub fn evaluate(policies: &[Policy], ctx: &RequestContext) -> Result<Decision, PolicyError> {
    evaluate_effective(policies, None, ctx)
}

/// Evaluates STS credentials: allowed only if the identity (role) policies allow **and**, when
/// present, the session policy allows; an explicit deny in either set wins. Errors must be
/// treated as a deny.
///
/// ```
/// use alioss::policy::{evaluate_effective, oss_object, DecisionEffect, Policy, RequestContext};
///
/// let role = Policy::builder().allow(["oss:*"], [oss_object("examplebucket", "*")]).build().unwrap();
/// let session = Policy::builder()
///     .allow(["oss:PutObject"], [oss_object("examplebucket", "src/*")])
///     .build()
///     .unwrap();
/// let ctx = RequestContext::new("oss:PutObject", oss_object("examplebucket", "dst/a.csv"));
/// let decision = evaluate_effective(&[role], Some(&session), &ctx).unwrap();
/// assert_eq!(decision.effect, DecisionEffect::ImplicitDeny);
/// assert!(decision.to_string().contains("session policy"));
/// ```
///
/// # Errors
///
/// [`PolicyError`] as [`evaluate`].
pub fn evaluate_effective(
    identity: &[Policy],
    session: Option<&Policy>,
    ctx: &RequestContext,
) -> Result<Decision, PolicyError> {
    let identity_outcome = scan(PolicySet::Identity, identity, ctx)?;
    let session_outcome = match session {
        Some(policy) => Some(scan(PolicySet::Session, std::slice::from_ref(policy), ctx)?),
        None => None,
    };
    let mut decision = Decision {
        effect: DecisionEffect::ImplicitDeny,
        decided_by: None,
        allowed_by: Vec::new(),
        missing_allow: Vec::new(),
        action: ctx.action.clone(),
        resource: ctx.resource.clone(),
    };
    let deny = identity_outcome
        .deny
        .clone()
        .or_else(|| session_outcome.as_ref().and_then(|s| s.deny.clone()));
    decision
        .allowed_by
        .extend(identity_outcome.allows.iter().cloned());
    if let Some(session) = &session_outcome {
        decision.allowed_by.extend(session.allows.iter().cloned());
    }
    if let Some(deny) = deny {
        decision.effect = DecisionEffect::ExplicitDeny;
        decision.decided_by = Some(deny);
        return Ok(decision);
    }
    if identity_outcome.allows.is_empty() {
        decision.missing_allow.push(PolicySet::Identity);
    }
    if session_outcome
        .as_ref()
        .is_some_and(|s| s.allows.is_empty())
    {
        decision.missing_allow.push(PolicySet::Session);
    }
    if decision.missing_allow.is_empty() {
        decision.effect = DecisionEffect::Allow;
        decision.decided_by = identity_outcome.allows.first().cloned();
    }
    Ok(decision)
}

/// The applicable statements of one set: the first `Deny`, and every `Allow`.
struct SetOutcome {
    deny: Option<StatementRef>,
    allows: Vec<StatementRef>,
}

fn scan(
    set: PolicySet,
    policies: &[Policy],
    ctx: &RequestContext,
) -> Result<SetOutcome, PolicyError> {
    let mut outcome = SetOutcome {
        deny: None,
        allows: Vec::new(),
    };
    for (policy_index, policy) in policies.iter().enumerate() {
        for (statement_index, statement) in policy.statements().iter().enumerate() {
            let field = match set {
                PolicySet::Identity => {
                    format!(
                        "identity policy #{policy_index} Statement[{statement_index}].Condition"
                    )
                }
                PolicySet::Session => {
                    format!("session policy Statement[{statement_index}].Condition")
                }
            };
            if !applies(statement, ctx, &field)? {
                continue;
            }
            let reference = StatementRef {
                set,
                policy_index,
                statement_index,
                sid: statement.sid().map(str::to_owned),
            };
            match statement.effect() {
                Effect::Deny => {
                    if outcome.deny.is_none() {
                        outcome.deny = Some(reference);
                    }
                }
                Effect::Allow => outcome.allows.push(reference),
            }
        }
    }
    Ok(outcome)
}

fn applies(statement: &Statement, ctx: &RequestContext, field: &str) -> Result<bool, PolicyError> {
    let action_matches = statement
        .actions()
        .iter()
        .any(|pattern| wildcard::matches_ignore_case(pattern, &ctx.action));
    if !action_matches {
        return Ok(false);
    }
    let resource_matches = statement
        .resources()
        .iter()
        .any(|pattern| wildcard::matches(pattern, &ctx.resource));
    if !resource_matches {
        return Ok(false);
    }
    // Judge every condition (even after one fails) so an unknown operator always fails closed.
    let mut all_hold = true;
    for condition in statement.conditions() {
        if !condition.holds(field, ctx.values(condition.key()))? {
            all_hold = false;
        }
    }
    Ok(all_hold)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::oss_object;

    #[test]
    fn context_keys_are_case_insensitive_and_accumulate() {
        let ctx = RequestContext::new("oss:ListObjects", oss_object("b", ""))
            .with("oss:Prefix", "a/")
            .with("OSS:PREFIX", "b/");
        assert_eq!(ctx.values("oss:prefix").unwrap(), ["a/", "b/"]);
        assert!(ctx.values("oss:Delimiter").is_none());
    }

    #[test]
    fn typed_context_helpers_write_the_standard_keys() {
        let now = OffsetDateTime::from_unix_timestamp(1_713_440_020).unwrap();
        let ctx = RequestContext::new("oss:GetObject", "*")
            .with_current_time(now)
            .with_source_ip("192.0.2.7".parse().unwrap())
            .with_secure_transport(true);
        assert_eq!(
            ctx.values("acs:CurrentTime").unwrap(),
            ["2024-04-18T11:33:40Z"]
        );
        assert_eq!(ctx.values("acs:SourceIp").unwrap(), ["192.0.2.7"]);
        assert_eq!(ctx.values("acs:SecureTransport").unwrap(), ["true"]);
    }

    #[test]
    fn decision_explains_itself() {
        let role = Policy::builder()
            .allow(["oss:*"], [oss_object("examplebucket", "*")])
            .statement(
                Statement::builder()
                    .sid("NoDeletes")
                    .effect(Effect::Deny)
                    .action("oss:DeleteObject")
                    .resource("*")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let ctx = RequestContext::new("oss:DeleteObject", oss_object("examplebucket", "a"));
        let decision = evaluate(std::slice::from_ref(&role), &ctx).unwrap();
        assert_eq!(
            decision.to_string(),
            "denied: oss:DeleteObject on acs:oss:*:*:examplebucket/a is explicitly denied by identity policy #0 Statement[1] (Sid \"NoDeletes\"); an explicit Deny overrides every Allow"
        );
        let ctx = RequestContext::new("oss:GetObject", oss_object("examplebucket", "a"));
        let decision = evaluate(std::slice::from_ref(&role), &ctx).unwrap();
        assert_eq!(
            decision.to_string(),
            "allowed: oss:GetObject on acs:oss:*:*:examplebucket/a is allowed by identity policy #0 Statement[0]"
        );
        let decision = evaluate(&[], &ctx).unwrap();
        assert_eq!(
            decision.to_string(),
            "denied: no statement in the identity policies allows oss:GetObject on acs:oss:*:*:examplebucket/a (implicit deny)"
        );
    }
}
