//! Condition operators (`StringEquals`, `IpAddress`, `DateLessThan`, …), condition values, and
//! how one condition is judged against the values a request carries.

use std::cmp::Ordering;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::OffsetDateTime;

use super::error::PolicyError;
use super::wildcard;

/// A condition operator of the RAM policy language.
///
/// Operator names are matched exactly as RAM spells them. A name this crate does not know is kept
/// as [`ConditionOperator::Unknown`] when a document is parsed (so the document can still be
/// carried to STS, which judges it); the evaluator fails closed on it with
/// [`PolicyError::UnknownOperator`], and [`StatementBuilder`](super::StatementBuilder) refuses it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConditionOperator {
    /// Exact, case-sensitive string equality.
    StringEquals,
    /// Not [`StringEquals`](Self::StringEquals) to any of the values.
    StringNotEquals,
    /// String equality ignoring case.
    StringEqualsIgnoreCase,
    /// Not [`StringEqualsIgnoreCase`](Self::StringEqualsIgnoreCase) to any of the values.
    StringNotEqualsIgnoreCase,
    /// Case-sensitive match against a pattern with `*` and `?` wildcards.
    StringLike,
    /// Not [`StringLike`](Self::StringLike) any of the patterns.
    StringNotLike,
    /// Numeric equality.
    NumericEquals,
    /// Numeric inequality with every value.
    NumericNotEquals,
    /// The request's number is less than the value.
    NumericLessThan,
    /// The request's number is less than or equal to the value.
    NumericLessThanEquals,
    /// The request's number is greater than the value.
    NumericGreaterThan,
    /// The request's number is greater than or equal to the value.
    NumericGreaterThanEquals,
    /// The request's time equals the value (ISO 8601).
    DateEquals,
    /// The request's time differs from every value.
    DateNotEquals,
    /// The request's time is before the value.
    DateLessThan,
    /// The request's time is before or at the value.
    DateLessThanEquals,
    /// The request's time is after the value.
    DateGreaterThan,
    /// The request's time is at or after the value.
    DateGreaterThanEquals,
    /// Boolean equality (`true` / `false`, any case).
    Bool,
    /// The request's IP address is in one of the CIDR blocks or equals one of the addresses.
    IpAddress,
    /// The request's IP address is in none of the CIDR blocks / addresses.
    NotIpAddress,
    /// An operator name this crate does not know (kept as written).
    Unknown(String),
}

/// How the values of an operator are read and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    StringExact,
    StringIgnoreCase,
    StringLike,
    Numeric(Comparison),
    Date(Comparison),
    Bool,
    Ip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Comparison {
    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Comparison::Equal => ordering == Ordering::Equal,
            Comparison::Less => ordering == Ordering::Less,
            Comparison::LessOrEqual => ordering != Ordering::Greater,
            Comparison::Greater => ordering == Ordering::Greater,
            Comparison::GreaterOrEqual => ordering != Ordering::Less,
        }
    }
}

const KNOWN: [ConditionOperator; 21] = [
    ConditionOperator::StringEquals,
    ConditionOperator::StringNotEquals,
    ConditionOperator::StringEqualsIgnoreCase,
    ConditionOperator::StringNotEqualsIgnoreCase,
    ConditionOperator::StringLike,
    ConditionOperator::StringNotLike,
    ConditionOperator::NumericEquals,
    ConditionOperator::NumericNotEquals,
    ConditionOperator::NumericLessThan,
    ConditionOperator::NumericLessThanEquals,
    ConditionOperator::NumericGreaterThan,
    ConditionOperator::NumericGreaterThanEquals,
    ConditionOperator::DateEquals,
    ConditionOperator::DateNotEquals,
    ConditionOperator::DateLessThan,
    ConditionOperator::DateLessThanEquals,
    ConditionOperator::DateGreaterThan,
    ConditionOperator::DateGreaterThanEquals,
    ConditionOperator::Bool,
    ConditionOperator::IpAddress,
    ConditionOperator::NotIpAddress,
];

impl ConditionOperator {
    /// The operator's name as written in a policy document.
    pub fn as_str(&self) -> &str {
        match self {
            ConditionOperator::StringEquals => "StringEquals",
            ConditionOperator::StringNotEquals => "StringNotEquals",
            ConditionOperator::StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            ConditionOperator::StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            ConditionOperator::StringLike => "StringLike",
            ConditionOperator::StringNotLike => "StringNotLike",
            ConditionOperator::NumericEquals => "NumericEquals",
            ConditionOperator::NumericNotEquals => "NumericNotEquals",
            ConditionOperator::NumericLessThan => "NumericLessThan",
            ConditionOperator::NumericLessThanEquals => "NumericLessThanEquals",
            ConditionOperator::NumericGreaterThan => "NumericGreaterThan",
            ConditionOperator::NumericGreaterThanEquals => "NumericGreaterThanEquals",
            ConditionOperator::DateEquals => "DateEquals",
            ConditionOperator::DateNotEquals => "DateNotEquals",
            ConditionOperator::DateLessThan => "DateLessThan",
            ConditionOperator::DateLessThanEquals => "DateLessThanEquals",
            ConditionOperator::DateGreaterThan => "DateGreaterThan",
            ConditionOperator::DateGreaterThanEquals => "DateGreaterThanEquals",
            ConditionOperator::Bool => "Bool",
            ConditionOperator::IpAddress => "IpAddress",
            ConditionOperator::NotIpAddress => "NotIpAddress",
            ConditionOperator::Unknown(name) => name,
        }
    }

    /// Whether this crate knows (and evaluates) the operator.
    pub fn is_known(&self) -> bool {
        !matches!(self, ConditionOperator::Unknown(_))
    }

    /// Whether the operator is the negation of another one (`StringNotEquals`, `NotIpAddress`, …):
    /// it holds when the request's value matches **none** of the condition's values.
    pub fn is_negated(&self) -> bool {
        matches!(
            self,
            ConditionOperator::StringNotEquals
                | ConditionOperator::StringNotEqualsIgnoreCase
                | ConditionOperator::StringNotLike
                | ConditionOperator::NumericNotEquals
                | ConditionOperator::DateNotEquals
                | ConditionOperator::NotIpAddress
        )
    }

    fn family(&self) -> Option<Family> {
        use ConditionOperator as Op;
        Some(match self {
            Op::StringEquals | Op::StringNotEquals => Family::StringExact,
            Op::StringEqualsIgnoreCase | Op::StringNotEqualsIgnoreCase => Family::StringIgnoreCase,
            Op::StringLike | Op::StringNotLike => Family::StringLike,
            Op::NumericEquals | Op::NumericNotEquals => Family::Numeric(Comparison::Equal),
            Op::NumericLessThan => Family::Numeric(Comparison::Less),
            Op::NumericLessThanEquals => Family::Numeric(Comparison::LessOrEqual),
            Op::NumericGreaterThan => Family::Numeric(Comparison::Greater),
            Op::NumericGreaterThanEquals => Family::Numeric(Comparison::GreaterOrEqual),
            Op::DateEquals | Op::DateNotEquals => Family::Date(Comparison::Equal),
            Op::DateLessThan => Family::Date(Comparison::Less),
            Op::DateLessThanEquals => Family::Date(Comparison::LessOrEqual),
            Op::DateGreaterThan => Family::Date(Comparison::Greater),
            Op::DateGreaterThanEquals => Family::Date(Comparison::GreaterOrEqual),
            Op::Bool => Family::Bool,
            Op::IpAddress | Op::NotIpAddress => Family::Ip,
            Op::Unknown(_) => return None,
        })
    }
}

impl From<&str> for ConditionOperator {
    /// Reads an operator name; names this crate does not know become
    /// [`ConditionOperator::Unknown`].
    fn from(name: &str) -> Self {
        KNOWN
            .iter()
            .find(|op| op.as_str() == name)
            .cloned()
            .unwrap_or_else(|| ConditionOperator::Unknown(name.to_owned()))
    }
}

impl From<String> for ConditionOperator {
    fn from(name: String) -> Self {
        ConditionOperator::from(name.as_str())
    }
}

impl fmt::Display for ConditionOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One value of a condition, as a JSON scalar (policies write most values as strings, but
/// numbers and booleans are accepted and kept as written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionValue {
    /// A JSON string.
    String(String),
    /// A JSON number.
    Number(serde_json::Number),
    /// A JSON boolean.
    Bool(bool),
}

impl ConditionValue {
    /// The value as text (numbers and booleans in their JSON spelling).
    pub fn as_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            ConditionValue::String(s) => std::borrow::Cow::Borrowed(s),
            ConditionValue::Number(n) => std::borrow::Cow::Owned(n.to_string()),
            ConditionValue::Bool(b) => {
                std::borrow::Cow::Borrowed(if *b { "true" } else { "false" })
            }
        }
    }

    /// The value as JSON text (strings quoted), for error messages.
    pub(crate) fn to_json_text(&self) -> String {
        match self {
            ConditionValue::String(s) => serde_json::Value::String(s.clone()).to_string(),
            other => other.as_text().into_owned(),
        }
    }
}

impl fmt::Display for ConditionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_text())
    }
}

impl From<&str> for ConditionValue {
    fn from(s: &str) -> Self {
        ConditionValue::String(s.to_owned())
    }
}

impl From<String> for ConditionValue {
    fn from(s: String) -> Self {
        ConditionValue::String(s)
    }
}

impl From<&String> for ConditionValue {
    fn from(s: &String) -> Self {
        ConditionValue::String(s.clone())
    }
}

impl From<bool> for ConditionValue {
    fn from(b: bool) -> Self {
        ConditionValue::Bool(b)
    }
}

impl From<i64> for ConditionValue {
    fn from(n: i64) -> Self {
        ConditionValue::Number(n.into())
    }
}

impl From<u64> for ConditionValue {
    fn from(n: u64) -> Self {
        ConditionValue::Number(n.into())
    }
}

impl From<i32> for ConditionValue {
    fn from(n: i32) -> Self {
        ConditionValue::Number(n.into())
    }
}

impl From<u32> for ConditionValue {
    fn from(n: u32) -> Self {
        ConditionValue::Number(n.into())
    }
}

/// One condition: an operator applied to one condition key with one or more values.
///
/// The values are alternatives (OR) for positive operators; a negated operator holds when the
/// request's value matches none of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    operator: ConditionOperator,
    key: String,
    values: Vec<ConditionValue>,
}

impl Condition {
    /// A condition; not checked until it is part of a built or parsed statement.
    pub fn new(
        operator: impl Into<ConditionOperator>,
        key: impl Into<String>,
        values: impl IntoIterator<Item = impl Into<ConditionValue>>,
    ) -> Self {
        Self {
            operator: operator.into(),
            key: key.into(),
            values: values.into_iter().map(Into::into).collect(),
        }
    }

    /// The operator.
    pub fn operator(&self) -> &ConditionOperator {
        &self.operator
    }

    /// The condition key as written (compared case-insensitively), e.g. `acs:SourceIp`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The values.
    pub fn values(&self) -> &[ConditionValue] {
        &self.values
    }

    /// Checks the key and the values against the operator. `field` is the path of the condition
    /// block (e.g. `Statement[0].Condition`). Unknown operators are refused only if `strict`.
    pub(crate) fn validate(&self, field: &str, strict: bool) -> Result<(), PolicyError> {
        let path = format!("{field}.{}", self.operator);
        if self.operator.as_str().is_empty() {
            return Err(PolicyError::grammar(
                field,
                "a condition operator name must not be empty",
            ));
        }
        let family = self.operator.family();
        if family.is_none() && strict {
            return Err(PolicyError::UnknownOperator {
                field: field.to_owned(),
                operator: self.operator.as_str().to_owned(),
            });
        }
        if self.key.is_empty()
            || self
                .key
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(PolicyError::grammar(
                path,
                format!(
                    "condition key {:?} must be non-empty without spaces",
                    self.key
                ),
            ));
        }
        let path = format!("{path}.{}", self.key);
        if self.values.is_empty() {
            return Err(PolicyError::InvalidConditionValue {
                field: path,
                operator: self.operator.to_string(),
                value: "[]".into(),
                rule: "a condition needs at least one value".into(),
            });
        }
        let Some(family) = family else {
            return Ok(());
        };
        for value in &self.values {
            if let Err(rule) = PolicyValue::read(family, value) {
                return Err(PolicyError::InvalidConditionValue {
                    field: path,
                    operator: self.operator.to_string(),
                    value: value.to_json_text(),
                    rule,
                });
            }
        }
        Ok(())
    }

    /// Judges the condition against the request's values for its key.
    ///
    /// * No value for the key (absent from the context): `false`, for negated operators too.
    /// * Positive operators: `true` if any request value matches any condition value.
    /// * Negated operators: `true` if no request value matches any condition value.
    /// * Unknown operator: [`PolicyError::UnknownOperator`] (fail closed).
    pub(crate) fn holds(
        &self,
        field: &str,
        request: Option<&[String]>,
    ) -> Result<bool, PolicyError> {
        let family = self
            .operator
            .family()
            .ok_or_else(|| PolicyError::UnknownOperator {
                field: field.to_owned(),
                operator: self.operator.as_str().to_owned(),
            })?;
        let request = match request {
            Some(values) if !values.is_empty() => values,
            _ => return Ok(false),
        };
        let mut policy_values = Vec::with_capacity(self.values.len());
        for value in &self.values {
            let parsed = PolicyValue::read(family, value).map_err(|rule| {
                PolicyError::InvalidConditionValue {
                    field: format!("{field}.{}.{}", self.operator, self.key),
                    operator: self.operator.to_string(),
                    value: value.to_json_text(),
                    rule,
                }
            })?;
            policy_values.push(parsed);
        }
        let mut any_match = false;
        for raw in request {
            let request_value = RequestValue::read(family, raw).map_err(|rule| {
                PolicyError::InvalidContextValue {
                    field: format!("RequestContext.{}", self.key),
                    operator: self.operator.to_string(),
                    value: raw.clone(),
                    rule,
                }
            })?;
            if policy_values
                .iter()
                .any(|policy| request_value.matches(family, policy))
            {
                any_match = true;
                break;
            }
        }
        Ok(any_match != self.operator.is_negated())
    }
}

/// A condition value read for its operator family.
#[derive(Debug)]
enum PolicyValue {
    Text(String),
    Number(f64),
    Time(OffsetDateTime),
    Bool(bool),
    Net(IpNet),
}

impl PolicyValue {
    fn read(family: Family, value: &ConditionValue) -> Result<Self, String> {
        let text = value.as_text();
        Ok(match family {
            Family::StringExact | Family::StringLike => PolicyValue::Text(text.into_owned()),
            Family::StringIgnoreCase => PolicyValue::Text(text.to_lowercase()),
            Family::Numeric(_) => PolicyValue::Number(parse_number(&text)?),
            Family::Date(_) => PolicyValue::Time(parse_time(&text)?),
            Family::Bool => PolicyValue::Bool(parse_bool(&text)?),
            Family::Ip => PolicyValue::Net(parse_net(&text)?),
        })
    }
}

/// A request-context value read for an operator family.
#[derive(Debug)]
enum RequestValue<'a> {
    Text(std::borrow::Cow<'a, str>),
    Number(f64),
    Time(OffsetDateTime),
    Bool(bool),
    Ip(IpAddr),
}

impl<'a> RequestValue<'a> {
    fn read(family: Family, raw: &'a str) -> Result<Self, String> {
        Ok(match family {
            Family::StringExact | Family::StringLike => {
                RequestValue::Text(std::borrow::Cow::Borrowed(raw))
            }
            Family::StringIgnoreCase => {
                RequestValue::Text(std::borrow::Cow::Owned(raw.to_lowercase()))
            }
            Family::Numeric(_) => RequestValue::Number(parse_number(raw)?),
            Family::Date(_) => RequestValue::Time(parse_time(raw)?),
            Family::Bool => RequestValue::Bool(parse_bool(raw)?),
            Family::Ip => RequestValue::Ip(
                IpAddr::from_str(raw.trim())
                    .map_err(|_| "expected an IPv4 or IPv6 address".to_owned())?
                    .to_canonical(),
            ),
        })
    }

    fn matches(&self, family: Family, policy: &PolicyValue) -> bool {
        match (self, policy) {
            (RequestValue::Text(request), PolicyValue::Text(policy)) => match family {
                Family::StringLike => wildcard::matches(policy, request),
                _ => request.as_ref() == policy.as_str(),
            },
            (RequestValue::Number(request), PolicyValue::Number(policy)) => match family {
                Family::Numeric(cmp) => request
                    .partial_cmp(policy)
                    .is_some_and(|ordering| cmp.holds(ordering)),
                _ => false,
            },
            (RequestValue::Time(request), PolicyValue::Time(policy)) => match family {
                Family::Date(cmp) => cmp.holds(request.cmp(policy)),
                _ => false,
            },
            (RequestValue::Bool(request), PolicyValue::Bool(policy)) => request == policy,
            (RequestValue::Ip(request), PolicyValue::Net(net)) => net.contains(request),
            _ => false,
        }
    }
}

fn parse_number(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .ok_or_else(|| "expected a finite number".to_owned())
}

/// ISO 8601 / RFC 3339 date-times with an offset (`2024-04-18T11:33:40Z`,
/// `2019-08-12T17:00:00+08:00`), or whole seconds since the Unix epoch.
pub(crate) fn parse_time(text: &str) -> Result<OffsetDateTime, String> {
    let text = text.trim();
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(t);
    }
    if let Ok(t) = OffsetDateTime::parse(text, &Iso8601::DEFAULT) {
        return Ok(t);
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        if let Some(t) = text
            .parse::<i64>()
            .ok()
            .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
        {
            return Ok(t);
        }
    }
    Err("expected an ISO 8601 date-time with an offset, e.g. 2024-04-18T11:33:40Z".to_owned())
}

fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("expected true or false".to_owned()),
    }
}

fn parse_net(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    if let Ok(net) = IpNet::from_str(text) {
        return Ok(net);
    }
    IpAddr::from_str(text)
        .map(|ip| IpNet::from(ip.to_canonical()))
        .map_err(|_| "expected an IPv4/IPv6 address or CIDR block, e.g. 10.0.0.0/8".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(
        op: &str,
        key: &str,
        values: &[&str],
        request: Option<&[&str]>,
    ) -> Result<bool, PolicyError> {
        let condition = Condition::new(op, key, values.iter().copied());
        let request: Option<Vec<String>> =
            request.map(|r| r.iter().map(|s| s.to_string()).collect());
        condition.holds("Statement[0].Condition", request.as_deref())
    }

    #[test]
    fn operator_names_round_trip() {
        for op in KNOWN {
            assert_eq!(ConditionOperator::from(op.as_str()), op);
        }
        assert_eq!(
            ConditionOperator::from("StringEqualz"),
            ConditionOperator::Unknown("StringEqualz".into())
        );
        // Names are exact: a different case is not the same operator.
        assert!(!ConditionOperator::from("stringequals").is_known());
    }

    #[test]
    fn ipv4_mapped_ipv6_request_address_matches_ipv4_block() {
        assert!(holds(
            "IpAddress",
            "acs:SourceIp",
            &["10.0.0.0/8"],
            Some(&["::ffff:10.1.2.3"])
        )
        .unwrap());
        assert!(!holds(
            "IpAddress",
            "acs:SourceIp",
            &["10.0.0.0/8"],
            Some(&["2001:db8::1"])
        )
        .unwrap());
        assert!(holds(
            "IpAddress",
            "acs:SourceIp",
            &["2001:db8::/32"],
            Some(&["2001:db8::1"])
        )
        .unwrap());
    }

    #[test]
    fn several_request_values_any_matches() {
        assert!(holds("StringEquals", "k", &["b"], Some(&["a", "b"])).unwrap());
        assert!(!holds("StringNotEquals", "k", &["b"], Some(&["a", "b"])).unwrap());
    }

    #[test]
    fn bad_request_value_is_an_error_not_a_match() {
        let err = holds(
            "IpAddress",
            "acs:SourceIp",
            &["10.0.0.0/8"],
            Some(&["not-an-ip"]),
        )
        .unwrap_err();
        assert!(
            matches!(err, PolicyError::InvalidContextValue { .. }),
            "{err}"
        );
        assert_eq!(err.field(), "RequestContext.acs:SourceIp");
    }

    #[test]
    fn validation_names_operator_key_and_value() {
        let err = Condition::new("IpAddress", "acs:SourceIp", ["10.0.0.300"])
            .validate("Statement[0].Condition", true)
            .unwrap_err();
        assert_eq!(err.field(), "Statement[0].Condition.IpAddress.acs:SourceIp");
        assert!(err.rule().contains("10.0.0.300"), "{err}");
        let err = Condition::new("Frobnicate", "k", ["v"])
            .validate("Statement[0].Condition", true)
            .unwrap_err();
        assert!(matches!(err, PolicyError::UnknownOperator { .. }));
        Condition::new("Frobnicate", "k", ["v"])
            .validate("Statement[0].Condition", false)
            .expect("lenient validation keeps unknown operators");
        let err = Condition::new("StringEquals", "k", Vec::<String>::new())
            .validate("Statement[0].Condition", true)
            .unwrap_err();
        assert!(err.rule().contains("at least one value"), "{err}");
    }

    #[test]
    fn times_parse_in_several_spellings() {
        let a = parse_time("2024-04-18T11:33:40Z").unwrap();
        let b = parse_time("2024-04-18T19:33:40+08:00").unwrap();
        let c = parse_time("1713440020").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert!(parse_time("2024-04-18 11:33:40").is_err());
    }
}
