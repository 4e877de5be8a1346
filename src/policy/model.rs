//! The policy document model — [`Policy`], [`Statement`], [`Effect`] — its builders, and the
//! grammar rules every built or parsed document is checked against.

use std::fmt;

use super::conditions::{Condition, ConditionOperator, ConditionValue};
use super::error::PolicyError;
use super::MAX_SESSION_POLICY_LEN;

/// The only policy-language version RAM and STS accept.
pub const POLICY_VERSION: &str = "1";

/// A RAM policy document: `Version` `"1"` and one or more statements.
///
/// Build one with [`Policy::builder`] or parse one with [`Policy::from_json`]; both check the
/// grammar, so a `Policy` value is always well formed (apart from condition operators this crate
/// does not know, which a parsed document may carry; see
/// [`ConditionOperator::Unknown`]).
///
/// ```
/// use alioss::policy::{oss_object, Policy};
///
/// let policy = Policy::builder()
///     .allow(["oss:PutObject"], [oss_object("examplebucket", "*")])
///     .build()
///     .unwrap();
/// assert_eq!(
///     policy.to_json(),
///     r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"],"Resource":["acs:oss:*:*:examplebucket/*"]}]}"#
/// );
/// assert_eq!(Policy::from_json(&policy.to_json()).unwrap(), policy);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub(crate) version: String,
    pub(crate) statements: Vec<Statement>,
}

impl Policy {
    /// A builder for a policy document.
    pub fn builder() -> PolicyBuilder {
        PolicyBuilder::default()
    }

    /// The document's version (always `"1"`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The statements, in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// The compact JSON, checked for use as an STS session policy: between 1 and
    /// [`MAX_SESSION_POLICY_LEN`] bytes.
    pub fn to_session_policy_json(&self) -> Result<String, PolicyError> {
        let json = self.to_json();
        check_session_policy_len(&json)?;
        Ok(json)
    }

    /// Refuses condition operators this crate does not know ([`ConditionOperator::Unknown`]),
    /// which [`Policy::from_json`] keeps. Use it where a document must be fully understood
    /// before it is accepted (e.g. a server checking a session policy's grammar the way STS
    /// does); the error names the condition block and the operator.
    pub fn check_known_operators(&self) -> Result<(), PolicyError> {
        for (index, statement) in self.statements.iter().enumerate() {
            if let Some(condition) = statement
                .conditions
                .iter()
                .find(|c| !c.operator().is_known())
            {
                return Err(PolicyError::UnknownOperator {
                    field: format!("Statement[{index}].Condition"),
                    operator: condition.operator().as_str().to_owned(),
                });
            }
        }
        Ok(())
    }

    /// Checks a policy document assembled by hand: version, statements and every statement's
    /// grammar. `strict` also refuses unknown condition operators.
    pub(crate) fn validate(&self, strict: bool) -> Result<(), PolicyError> {
        if self.version != POLICY_VERSION {
            return Err(PolicyError::UnsupportedVersion {
                field: "Version".into(),
                found: serde_json::Value::String(self.version.clone()).to_string(),
            });
        }
        if self.statements.is_empty() {
            return Err(PolicyError::grammar(
                "Statement",
                "a policy needs at least one statement",
            ));
        }
        for (index, statement) in self.statements.iter().enumerate() {
            statement.validate(&format!("Statement[{index}]"), strict)?;
        }
        Ok(())
    }
}

/// Checks that a session policy's JSON is 1 to [`MAX_SESSION_POLICY_LEN`] bytes long (STS counts
/// characters; bytes are never fewer, so a policy that passes here is never too long for STS).
pub fn check_session_policy_len(json: &str) -> Result<(), PolicyError> {
    if json.is_empty() || json.len() > MAX_SESSION_POLICY_LEN {
        return Err(PolicyError::SessionPolicyLength {
            field: "Policy".into(),
            len: json.len(),
            max: MAX_SESSION_POLICY_LEN,
        });
    }
    Ok(())
}

impl std::str::FromStr for Policy {
    type Err = PolicyError;

    /// Parses and checks a policy document, as [`Policy::from_json`].
    fn from_str(json: &str) -> Result<Self, Self::Err> {
        Policy::from_json(json)
    }
}

impl fmt::Display for Policy {
    /// The compact JSON, as [`Policy::to_json`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

/// Whether a statement grants or refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Grants the actions on the resources.
    Allow,
    /// Refuses them; an explicit deny overrides any allow.
    Deny,
}

impl Effect {
    /// `Allow` or `Deny`, as written in a policy document.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }

    /// Reads `Allow` or `Deny` (exact spelling, as RAM requires).
    pub fn parse(s: &str) -> Option<Effect> {
        match s {
            "Allow" => Some(Effect::Allow),
            "Deny" => Some(Effect::Deny),
            _ => None,
        }
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One statement: an effect on actions and resources, under optional conditions.
///
/// All conditions must hold (AND); the values of one condition are alternatives (OR).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub(crate) sid: Option<String>,
    pub(crate) effect: Effect,
    pub(crate) actions: Vec<String>,
    pub(crate) resources: Vec<String>,
    pub(crate) conditions: Vec<Condition>,
}

impl Statement {
    /// A builder for one statement.
    pub fn builder() -> StatementBuilder {
        StatementBuilder::default()
    }

    /// The statement id (`Sid`), if any.
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    /// Allow or Deny.
    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// The action patterns (`oss:PutObject`, `oss:Get*`, `*`); matched case-insensitively.
    pub fn actions(&self) -> &[String] {
        &self.actions
    }

    /// The resource patterns (`acs:oss:*:*:examplebucket/src/*`, `*`); matched case-sensitively.
    pub fn resources(&self) -> &[String] {
        &self.resources
    }

    /// The conditions, grouped by operator in the order the operators first appear.
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    pub(crate) fn validate(&self, field: &str, strict: bool) -> Result<(), PolicyError> {
        if let Some(sid) = &self.sid {
            if sid.is_empty() || sid.chars().any(char::is_control) {
                return Err(PolicyError::grammar(
                    format!("{field}.Sid"),
                    "Sid must be a non-empty string without control characters",
                ));
            }
        }
        if self.actions.is_empty() {
            return Err(PolicyError::EmptyActions {
                field: format!("{field}.Action"),
            });
        }
        for (index, action) in self.actions.iter().enumerate() {
            if !is_valid_action(action) {
                return Err(PolicyError::MalformedAction {
                    field: format!("{field}.Action[{index}]"),
                    value: action.clone(),
                });
            }
        }
        if self.resources.is_empty() {
            return Err(PolicyError::EmptyResources {
                field: format!("{field}.Resource"),
            });
        }
        for (index, resource) in self.resources.iter().enumerate() {
            if let Err(reason) = check_resource(resource) {
                return Err(PolicyError::MalformedResource {
                    field: format!("{field}.Resource[{index}]"),
                    value: resource.clone(),
                    reason: reason.into(),
                });
            }
        }
        let condition_field = format!("{field}.Condition");
        for (index, condition) in self.conditions.iter().enumerate() {
            condition.validate(&condition_field, strict)?;
            let duplicate = self.conditions[..index].iter().any(|earlier| {
                earlier.operator() == condition.operator()
                    && earlier.key().eq_ignore_ascii_case(condition.key())
            });
            if duplicate {
                return Err(PolicyError::grammar(
                    format!("{condition_field}.{}.{}", condition.operator(), condition.key()),
                    "a condition key appears twice under the same operator; list all its values once (they are ORed)",
                ));
            }
        }
        Ok(())
    }
}

/// Groups conditions by operator, keeping the order in which operators first appear (the order
/// the JSON writes them, so that build → JSON → parse gives an equal statement).
pub(crate) fn group_by_operator(conditions: Vec<Condition>) -> Vec<Condition> {
    let mut operators: Vec<ConditionOperator> = Vec::new();
    for condition in &conditions {
        if !operators.contains(condition.operator()) {
            operators.push(condition.operator().clone());
        }
    }
    let mut grouped = Vec::with_capacity(conditions.len());
    let mut rest = conditions;
    for operator in operators {
        let (same, other): (Vec<_>, Vec<_>) =
            rest.into_iter().partition(|c| c.operator() == &operator);
        grouped.extend(same);
        rest = other;
    }
    grouped
}

fn is_valid_action(action: &str) -> bool {
    if action == "*" {
        return true;
    }
    let Some((service, name)) = action.split_once(':') else {
        return false;
    };
    let service_ok = !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*');
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '*' | '?'));
    service_ok && name_ok
}

/// `*`, or `acs:<service>:<region>:<account>:<resource>` where service is non-empty, region and
/// account may be empty or `*`, and the resource part is non-empty.
fn check_resource(resource: &str) -> Result<(), &'static str> {
    if resource == "*" {
        return Ok(());
    }
    if resource
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err("spaces and control characters are not allowed");
    }
    let mut parts = resource.splitn(5, ':');
    if parts.next() != Some("acs") {
        return Err("it must start with \"acs:\"");
    }
    let (Some(service), Some(region), Some(account), Some(rest)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("it must have five ':'-separated parts");
    };
    let segment_ok = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*' || c == '?')
    };
    if service.is_empty() || !segment_ok(service) {
        return Err("the service part must be non-empty letters, digits or '-'");
    }
    if !segment_ok(region) {
        return Err("the region part may only hold letters, digits, '-' or wildcards");
    }
    if !segment_ok(account) {
        return Err("the account part may only hold letters, digits, '-' or wildcards");
    }
    if rest.is_empty() {
        return Err("the resource part after the account must not be empty");
    }
    Ok(())
}

/// Builds a [`Statement`]; checked at [`build`](StatementBuilder::build).
///
/// ```
/// use alioss::policy::{oss_object, ConditionOperator, Effect, Statement};
///
/// let statement = Statement::builder()
///     .sid("UploadFromOffice")
///     .effect(Effect::Allow)
///     .action("oss:PutObject")
///     .resource(oss_object("examplebucket", "src/*"))
///     .condition(ConditionOperator::IpAddress, "acs:SourceIp", ["192.0.2.0/24"])
///     .build()
///     .unwrap();
/// assert_eq!(statement.sid(), Some("UploadFromOffice"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct StatementBuilder {
    sid: Option<String>,
    effect: Option<Effect>,
    actions: Vec<String>,
    resources: Vec<String>,
    conditions: Vec<Condition>,
}

impl StatementBuilder {
    /// Sets the statement id.
    pub fn sid(mut self, sid: impl Into<String>) -> Self {
        self.sid = Some(sid.into());
        self
    }

    /// Sets the effect (required).
    pub fn effect(mut self, effect: Effect) -> Self {
        self.effect = Some(effect);
        self
    }

    /// Adds one action pattern.
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.actions.push(action.into());
        self
    }

    /// Adds action patterns.
    pub fn actions(mut self, actions: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.actions.extend(actions.into_iter().map(Into::into));
        self
    }

    /// Adds one resource pattern.
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resources.push(resource.into());
        self
    }

    /// Adds resource patterns.
    pub fn resources(mut self, resources: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.resources.extend(resources.into_iter().map(Into::into));
        self
    }

    /// Adds a condition: `operator` (a [`ConditionOperator`] or its name) on `key` with
    /// `values` (alternatives). Each key may appear once per operator.
    pub fn condition(
        mut self,
        operator: impl Into<ConditionOperator>,
        key: impl Into<String>,
        values: impl IntoIterator<Item = impl Into<ConditionValue>>,
    ) -> Self {
        self.conditions.push(Condition::new(operator, key, values));
        self
    }

    /// Checks the statement: effect set, at least one well-formed action and resource, known
    /// condition operators with readable values.
    pub fn build(self) -> Result<Statement, crate::Error> {
        Ok(self.build_checked("Statement")?)
    }

    fn build_checked(self, field: &str) -> Result<Statement, PolicyError> {
        let effect = self.effect.ok_or_else(|| PolicyError::UnknownEffect {
            field: format!("{field}.Effect"),
            found: "nothing".into(),
        })?;
        let statement = Statement {
            sid: self.sid,
            effect,
            actions: self.actions,
            resources: self.resources,
            conditions: group_by_operator(self.conditions),
        };
        statement.validate(field, true)?;
        Ok(statement)
    }
}

/// Builds a [`Policy`]; checked at [`build`](PolicyBuilder::build).
#[derive(Debug, Clone, Default)]
pub struct PolicyBuilder {
    statements: Vec<StatementBuilder>,
}

impl PolicyBuilder {
    /// Adds a statement allowing `actions` on `resources`.
    pub fn allow(
        self,
        actions: impl IntoIterator<Item = impl Into<String>>,
        resources: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.push(Effect::Allow, actions, resources)
    }

    /// Adds a statement denying `actions` on `resources`.
    pub fn deny(
        self,
        actions: impl IntoIterator<Item = impl Into<String>>,
        resources: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.push(Effect::Deny, actions, resources)
    }

    /// Adds a statement made with [`Statement::builder`] (for conditions and `Sid`).
    pub fn statement(mut self, statement: Statement) -> Self {
        self.statements.push(StatementBuilder {
            sid: statement.sid,
            effect: Some(statement.effect),
            actions: statement.actions,
            resources: statement.resources,
            conditions: statement.conditions,
        });
        self
    }

    fn push(
        mut self,
        effect: Effect,
        actions: impl IntoIterator<Item = impl Into<String>>,
        resources: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.statements.push(
            StatementBuilder::default()
                .effect(effect)
                .actions(actions)
                .resources(resources),
        );
        self
    }

    /// Checks every statement (errors name the element, e.g. `Statement[1].Resource[0]`, and
    /// the rule) and returns the policy.
    pub fn build(self) -> Result<Policy, crate::Error> {
        if self.statements.is_empty() {
            return Err(
                PolicyError::grammar("Statement", "a policy needs at least one statement").into(),
            );
        }
        let mut statements = Vec::with_capacity(self.statements.len());
        for (index, builder) in self.statements.into_iter().enumerate() {
            statements.push(builder.build_checked(&format!("Statement[{index}]"))?);
        }
        Ok(Policy {
            version: POLICY_VERSION.to_owned(),
            statements,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_follow_service_colon_name() {
        for ok in [
            "*",
            "oss:PutObject",
            "oss:*",
            "oss:Get*",
            "sts:AssumeRole",
            "oss:Put?bject",
        ] {
            assert!(is_valid_action(ok), "{ok}");
        }
        for bad in [
            "",
            "PutObject",
            "oss:",
            ":PutObject",
            "oss:Put Object",
            "oss PutObject",
        ] {
            assert!(!is_valid_action(bad), "{bad:?}");
        }
    }

    #[test]
    fn resources_are_star_or_five_part_arns() {
        for ok in [
            "*",
            "acs:oss:*:*:examplebucket",
            "acs:oss:*:*:examplebucket/src/*",
            "acs:oss:cn-hangzhou:1234567890123456:examplebucket/a:b",
            "acs:ram::1234567890123456:role/ramosstest",
        ] {
            assert!(check_resource(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "examplebucket/*",
            "arn:aws:s3:::examplebucket/*",
            "acs:oss:*:*",
            "acs:oss:*:*:",
            "acs::*:*:examplebucket",
            "acs:oss:*:*:example bucket",
            "acs:o.ss:*:*:b",
        ] {
            assert!(check_resource(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn conditions_are_grouped_by_first_operator_appearance() {
        let statement = Statement::builder()
            .effect(Effect::Allow)
            .action("oss:GetObject")
            .resource("*")
            .condition("StringLike", "oss:Prefix", ["a/*"])
            .condition("IpAddress", "acs:SourceIp", ["10.0.0.0/8"])
            .condition("StringLike", "oss:Delimiter", ["/"])
            .build()
            .unwrap();
        let order: Vec<_> = statement
            .conditions()
            .iter()
            .map(|c| (c.operator().as_str(), c.key()))
            .collect();
        assert_eq!(
            order,
            [
                ("StringLike", "oss:Prefix"),
                ("StringLike", "oss:Delimiter"),
                ("IpAddress", "acs:SourceIp")
            ]
        );
    }

    #[test]
    fn builder_refuses_what_the_grammar_refuses() {
        let err = Statement::builder()
            .action("oss:PutObject")
            .resource("*")
            .build()
            .unwrap_err();
        assert_eq!(err.as_invalid_input().unwrap().field(), "Statement.Effect");

        let err = Statement::builder()
            .effect(Effect::Allow)
            .action("oss:PutObject")
            .resource("*")
            .condition("StringEqualz", "k", ["v"])
            .build()
            .unwrap_err();
        assert_eq!(
            err.as_invalid_input().unwrap().field(),
            "Statement.Condition"
        );
        assert!(err.to_string().contains("StringEqualz"));

        let err = Statement::builder()
            .effect(Effect::Allow)
            .action("oss:PutObject")
            .resource("*")
            .condition("StringEquals", "oss:Prefix", ["a"])
            .condition("StringEquals", "OSS:prefix", ["b"])
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("appears twice"), "{err}");

        let err = Policy::builder().build().unwrap_err();
        assert_eq!(err.as_invalid_input().unwrap().field(), "Statement");
    }

    #[test]
    fn session_policy_length_is_checked() {
        assert!(check_session_policy_len("").is_err());
        assert!(check_session_policy_len(&"x".repeat(MAX_SESSION_POLICY_LEN)).is_ok());
        let err = check_session_policy_len(&"x".repeat(MAX_SESSION_POLICY_LEN + 1)).unwrap_err();
        assert_eq!(err.field(), "Policy");
        assert!(err.rule().contains("2048"), "{err}");
    }
}
