//! The policy module's error: what is wrong with a policy document, a statement, a condition or
//! a request context, always naming where (`Statement[0].Effect`, …) and the rule broken.

/// A policy was refused (grammar, JSON, values) or could not be evaluated.
///
/// Every variant names the element at fault ([`PolicyError::field`], e.g. `Statement[1].Action`)
/// and the rule it broke ([`PolicyError::rule`]). Callers that evaluate policies must treat any
/// error as a deny (fail closed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The text is not JSON, or a JSON object repeats a key.
    #[error("invalid {field}: not valid JSON: {reason}")]
    MalformedJson {
        /// Always `Policy`, or the path of the object with a repeated key.
        field: String,
        /// What the JSON parser said.
        reason: String,
    },
    /// The document does not follow the policy grammar (missing or unknown element, wrong
    /// JSON type, empty statement list, …).
    #[error("invalid {field}: {rule}")]
    Grammar {
        /// The element at fault.
        field: String,
        /// The rule it broke.
        rule: String,
    },
    /// `Version` is missing or is not `"1"`.
    #[error("invalid {field}: Version must be \"1\", found {found}")]
    UnsupportedVersion {
        /// Always `Version`.
        field: String,
        /// What was found (JSON text, or `nothing`).
        found: String,
    },
    /// `Effect` is neither `Allow` nor `Deny`.
    #[error("invalid {field}: Effect must be \"Allow\" or \"Deny\", found {found}")]
    UnknownEffect {
        /// The statement's `Effect` element, e.g. `Statement[0].Effect`.
        field: String,
        /// What was found (JSON text, or `nothing`).
        found: String,
    },
    /// A statement lists no action.
    #[error("invalid {field}: a statement needs at least one action")]
    EmptyActions {
        /// The statement's `Action` element.
        field: String,
    },
    /// A statement lists no resource.
    #[error("invalid {field}: a statement needs at least one resource")]
    EmptyResources {
        /// The statement's `Resource` element.
        field: String,
    },
    /// An action is not `*` or `<service>:<action>`.
    #[error("invalid {field}: {value:?} is not an action; expected \"*\" or \"<service>:<action>\" (letters, digits, '-', '_', '.', '*', '?')")]
    MalformedAction {
        /// The element, e.g. `Statement[0].Action[1]`.
        field: String,
        /// The refused value.
        value: String,
    },
    /// A resource is not `*` or an `acs:<service>:<region>:<account>:<resource>` ARN.
    #[error("invalid {field}: {value:?} is not \"*\" or an ARN \"acs:<service>:<region>:<account>:<resource>\" ({reason})")]
    MalformedResource {
        /// The element, e.g. `Statement[0].Resource[0]`.
        field: String,
        /// The refused value.
        value: String,
        /// Which part of the ARN rule it broke.
        reason: String,
    },
    /// A condition operator this crate does not know. Built statements refuse it; parsed
    /// documents keep it, and the evaluator fails closed with this error when it meets one.
    #[error("invalid {field}: unknown condition operator {operator:?}")]
    UnknownOperator {
        /// The statement's `Condition` element.
        field: String,
        /// The operator as written.
        operator: String,
    },
    /// A condition value cannot be read for its operator (not an IP/CIDR, a number, an ISO 8601
    /// time, a boolean, …), or a condition has no value.
    #[error("invalid {field}: {value} cannot be used with {operator}: {rule}")]
    InvalidConditionValue {
        /// The element, e.g. `Statement[0].Condition.IpAddress.acs:SourceIp`.
        field: String,
        /// The operator.
        operator: String,
        /// The refused value (JSON text).
        value: String,
        /// The rule it broke.
        rule: String,
    },
    /// A request-context value cannot be compared by a condition's operator (e.g. an
    /// `acs:SourceIp` that is not an IP address).
    #[error("invalid {field}: {value:?} cannot be compared with {operator}: {rule}")]
    InvalidContextValue {
        /// `RequestContext.<key>`.
        field: String,
        /// The operator of the condition that read it.
        operator: String,
        /// The refused value.
        value: String,
        /// The rule it broke.
        rule: String,
    },
    /// A session policy's JSON is empty or longer than
    /// [`MAX_SESSION_POLICY_LEN`](super::MAX_SESSION_POLICY_LEN).
    #[error("invalid {field}: a session policy must be 1-{max} bytes of JSON, this one is {len}")]
    SessionPolicyLength {
        /// Always `Policy`.
        field: String,
        /// The JSON's length in bytes.
        len: usize,
        /// The maximum.
        max: usize,
    },
}

impl PolicyError {
    /// The element at fault, e.g. `Version`, `Statement[0].Effect`,
    /// `Statement[2].Condition.IpAddress.acs:SourceIp`, `RequestContext.acs:sourceip`.
    pub fn field(&self) -> &str {
        match self {
            PolicyError::MalformedJson { field, .. }
            | PolicyError::Grammar { field, .. }
            | PolicyError::UnsupportedVersion { field, .. }
            | PolicyError::UnknownEffect { field, .. }
            | PolicyError::EmptyActions { field }
            | PolicyError::EmptyResources { field }
            | PolicyError::MalformedAction { field, .. }
            | PolicyError::MalformedResource { field, .. }
            | PolicyError::UnknownOperator { field, .. }
            | PolicyError::InvalidConditionValue { field, .. }
            | PolicyError::InvalidContextValue { field, .. }
            | PolicyError::SessionPolicyLength { field, .. } => field,
        }
    }

    /// The rule that was broken (the message without the `invalid <field>: ` prefix).
    pub fn rule(&self) -> String {
        let message = self.to_string();
        let prefix = format!("invalid {}: ", self.field());
        match message.strip_prefix(&prefix) {
            Some(rule) => rule.to_owned(),
            None => message,
        }
    }

    pub(crate) fn grammar(field: impl Into<String>, rule: impl Into<String>) -> Self {
        PolicyError::Grammar {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

impl From<PolicyError> for crate::Error {
    /// A policy error is invalid input: it names the element and the rule.
    fn from(e: PolicyError) -> Self {
        crate::Error::invalid(e.field().to_owned(), e.rule())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_is_the_message_without_the_field_prefix() {
        let e = PolicyError::EmptyActions {
            field: "Statement[0].Action".into(),
        };
        assert_eq!(e.field(), "Statement[0].Action");
        assert_eq!(e.rule(), "a statement needs at least one action");
        assert_eq!(
            e.to_string(),
            "invalid Statement[0].Action: a statement needs at least one action"
        );
    }

    #[test]
    fn converts_into_the_crate_invalid_input_error() {
        let e: crate::Error = PolicyError::UnknownEffect {
            field: "Statement[1].Effect".into(),
            found: "\"Permit\"".into(),
        }
        .into();
        let invalid = e.as_invalid_input().expect("invalid input");
        assert_eq!(invalid.field(), "Statement[1].Effect");
        assert!(invalid.rule().contains("\"Allow\" or \"Deny\""));
        assert!(invalid.rule().contains("Permit"));
    }
}
