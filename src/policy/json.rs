//! Policy documents as JSON: compact serialisation in the order STS samples use (`Version`,
//! `Statement`; `Sid`, `Effect`, `Action`, `Resource`, `Condition`) and a parser that checks the
//! grammar and refuses repeated keys.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, SerializeStruct, Serializer};

use super::conditions::{Condition, ConditionOperator, ConditionValue};
use super::error::PolicyError;
use super::model::{Effect, Policy, Statement};

impl Policy {
    /// Parses a policy document and checks its grammar: `Version` must be `"1"`; `Statement`
    /// an array (or a single object) of statements with `Effect` `Allow`/`Deny`, a non-empty
    /// `Action` and `Resource` (a string or an array of strings), optional `Sid` and `Condition`;
    /// no other element, no repeated key. Condition operators this crate does not know are kept
    /// (see [`ConditionOperator::Unknown`]; [`Policy::check_known_operators`] refuses them);
    /// values of known operators are checked.
    pub fn from_json(json: &str) -> Result<Policy, PolicyError> {
        let document: Json =
            serde_json::from_str(json).map_err(|e| PolicyError::MalformedJson {
                field: "Policy".into(),
                reason: e.to_string(),
            })?;
        policy_from_json(document)
    }

    /// The compact JSON STS accepts, e.g.
    /// `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"],"Resource":["acs:oss:*:*:examplebucket/*"]}]}`.
    /// `Action`, `Resource` and condition values are always written as arrays.
    pub fn to_json(&self) -> String {
        // Serialising strings, numbers and booleans into a String has no failure path.
        serde_json::to_string(self).expect("a policy always serialises to JSON")
    }
}

impl Serialize for Policy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut document = serializer.serialize_struct("Policy", 2)?;
        document.serialize_field("Version", &self.version)?;
        document.serialize_field("Statement", &self.statements)?;
        document.end()
    }
}

impl<'de> Deserialize<'de> for Policy {
    /// Parses and checks a policy document, as [`Policy::from_json`].
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let document = Json::deserialize(deserializer)?;
        policy_from_json(document).map_err(de::Error::custom)
    }
}

impl Serialize for Statement {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = 3 + usize::from(self.sid.is_some()) + usize::from(!self.conditions.is_empty());
        let mut statement = serializer.serialize_struct("Statement", fields)?;
        if let Some(sid) = &self.sid {
            statement.serialize_field("Sid", sid)?;
        } else {
            statement.skip_field("Sid")?;
        }
        statement.serialize_field("Effect", self.effect.as_str())?;
        statement.serialize_field("Action", &self.actions)?;
        statement.serialize_field("Resource", &self.resources)?;
        if self.conditions.is_empty() {
            statement.skip_field("Condition")?;
        } else {
            statement.serialize_field("Condition", &ConditionBlock(&self.conditions))?;
        }
        statement.end()
    }
}

/// `{"<operator>": {"<key>": [values]}}`, operators in first-appearance order.
struct ConditionBlock<'a>(&'a [Condition]);

impl Serialize for ConditionBlock<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut operators: Vec<&ConditionOperator> = Vec::new();
        for condition in self.0 {
            if !operators.contains(&condition.operator()) {
                operators.push(condition.operator());
            }
        }
        let mut map = serializer.serialize_map(Some(operators.len()))?;
        for operator in operators {
            let keys: Vec<&Condition> =
                self.0.iter().filter(|c| c.operator() == operator).collect();
            map.serialize_entry(operator.as_str(), &KeyBlock(&keys))?;
        }
        map.end()
    }
}

struct KeyBlock<'a>(&'a [&'a Condition]);

impl Serialize for KeyBlock<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for condition in self.0 {
            map.serialize_entry(condition.key(), &Values(condition.values()))?;
        }
        map.end()
    }
}

struct Values<'a>(&'a [ConditionValue]);

impl Serialize for Values<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for value in self.0 {
            match value {
                ConditionValue::String(s) => seq.serialize_element(s)?,
                ConditionValue::Number(n) => seq.serialize_element(n)?,
                ConditionValue::Bool(b) => seq.serialize_element(b)?,
            }
        }
        seq.end()
    }
}

/// A JSON value whose objects keep their keys in document order, repeats included, so the
/// parser can refuse a repeated key instead of silently keeping the last one.
#[derive(Debug, Clone)]
enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }

    /// Short JSON-ish text for error messages.
    fn describe(&self) -> String {
        match self {
            Json::String(s) => serde_json::Value::String(s.clone()).to_string(),
            Json::Number(n) => n.to_string(),
            Json::Bool(b) => b.to_string(),
            other => other.type_name().to_owned(),
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| E::custom("a number must be finite"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Json>()? {
            entries.push((key, value));
        }
        Ok(Json::Object(entries))
    }
}

/// Takes an object's entries, refusing repeated keys (exact spelling, or any case if
/// `ignore_case`).
fn object(value: Json, field: &str, ignore_case: bool) -> Result<Vec<(String, Json)>, PolicyError> {
    let Json::Object(entries) = value else {
        return Err(PolicyError::grammar(
            field,
            format!("expected an object, found {}", value.type_name()),
        ));
    };
    for (index, (key, _)) in entries.iter().enumerate() {
        let repeated = entries[..index].iter().any(|(earlier, _)| {
            if ignore_case {
                earlier.eq_ignore_ascii_case(key)
            } else {
                earlier == key
            }
        });
        if repeated {
            return Err(PolicyError::MalformedJson {
                field: field.to_owned(),
                reason: format!("key {key:?} appears more than once"),
            });
        }
    }
    Ok(entries)
}

fn policy_from_json(document: Json) -> Result<Policy, PolicyError> {
    let mut version = None;
    let mut statements = None;
    for (key, value) in object(document, "Policy", false)? {
        match key.as_str() {
            "Version" => version = Some(value),
            "Statement" => statements = Some(value),
            other => {
                return Err(PolicyError::grammar(
                    "Policy",
                    format!("unknown element {other:?}; a policy has Version and Statement"),
                ))
            }
        }
    }
    let version = match version {
        Some(Json::String(v)) if v == super::model::POLICY_VERSION => v,
        Some(other) => {
            return Err(PolicyError::UnsupportedVersion {
                field: "Version".into(),
                found: other.describe(),
            })
        }
        None => {
            return Err(PolicyError::UnsupportedVersion {
                field: "Version".into(),
                found: "nothing".into(),
            })
        }
    };
    let statements = match statements {
        Some(Json::Array(items)) => items,
        Some(single @ Json::Object(_)) => vec![single],
        Some(other) => {
            return Err(PolicyError::grammar(
                "Statement",
                format!(
                    "expected an array of statements, found {}",
                    other.type_name()
                ),
            ))
        }
        None => return Err(PolicyError::grammar("Statement", "Statement is required")),
    };
    let statements = statements
        .into_iter()
        .enumerate()
        .map(|(index, item)| statement_from_json(item, &format!("Statement[{index}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let policy = Policy {
        version,
        statements,
    };
    policy.validate(false)?;
    Ok(policy)
}

fn statement_from_json(value: Json, field: &str) -> Result<Statement, PolicyError> {
    let mut sid = None;
    let mut effect = None;
    let mut actions = None;
    let mut resources = None;
    let mut conditions = Vec::new();
    for (key, value) in object(value, field, false)? {
        match key.as_str() {
            "Sid" => match value {
                Json::String(s) => sid = Some(s),
                other => {
                    return Err(PolicyError::grammar(
                        format!("{field}.Sid"),
                        format!("expected a string, found {}", other.type_name()),
                    ))
                }
            },
            "Effect" => {
                let parsed = match &value {
                    Json::String(s) => Effect::parse(s),
                    _ => None,
                };
                effect = Some(parsed.ok_or_else(|| PolicyError::UnknownEffect {
                    field: format!("{field}.Effect"),
                    found: value.describe(),
                })?);
            }
            "Action" => actions = Some(strings(value, &format!("{field}.Action"))?),
            "Resource" => resources = Some(strings(value, &format!("{field}.Resource"))?),
            "Condition" => conditions = conditions_from_json(value, &format!("{field}.Condition"))?,
            other => {
                return Err(PolicyError::grammar(
                    field,
                    format!(
                        "unsupported element {other:?}; a statement has Sid, Effect, Action, Resource and Condition"
                    ),
                ))
            }
        }
    }
    let effect = effect.ok_or_else(|| PolicyError::UnknownEffect {
        field: format!("{field}.Effect"),
        found: "nothing".into(),
    })?;
    let actions = actions.ok_or_else(|| PolicyError::EmptyActions {
        field: format!("{field}.Action"),
    })?;
    let resources = resources.ok_or_else(|| PolicyError::EmptyResources {
        field: format!("{field}.Resource"),
    })?;
    Ok(Statement {
        sid,
        effect,
        actions,
        resources,
        conditions,
    })
}

/// A string or an array of strings.
fn strings(value: Json, field: &str) -> Result<Vec<String>, PolicyError> {
    let items = match value {
        Json::String(s) => return Ok(vec![s]),
        Json::Array(items) => items,
        other => {
            return Err(PolicyError::grammar(
                field,
                format!(
                    "expected a string or an array of strings, found {}",
                    other.type_name()
                ),
            ))
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| match item {
            Json::String(s) => Ok(s),
            other => Err(PolicyError::grammar(
                format!("{field}[{index}]"),
                format!("expected a string, found {}", other.type_name()),
            )),
        })
        .collect()
}

fn conditions_from_json(value: Json, field: &str) -> Result<Vec<Condition>, PolicyError> {
    let mut conditions = Vec::new();
    for (operator, keys) in object(value, field, false)? {
        let block_field = format!("{field}.{operator}");
        for (key, values) in object(keys, &block_field, true)? {
            let value_field = format!("{block_field}.{key}");
            let values = match values {
                Json::Array(items) => items,
                scalar => vec![scalar],
            };
            let values = values
                .into_iter()
                .map(|item| match item {
                    Json::String(s) => Ok(ConditionValue::String(s)),
                    Json::Number(n) => Ok(ConditionValue::Number(n)),
                    Json::Bool(b) => Ok(ConditionValue::Bool(b)),
                    other => Err(PolicyError::InvalidConditionValue {
                        field: value_field.clone(),
                        operator: operator.clone(),
                        value: other.type_name().to_owned(),
                        rule: "condition values are strings, numbers or booleans".into(),
                    }),
                })
                .collect::<Result<Vec<_>, _>>()?;
            conditions.push(Condition::new(operator.as_str(), key, values));
        }
    }
    Ok(conditions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_are_refused() {
        let err = Policy::from_json(
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Effect":"Deny","Action":"oss:*","Resource":"*"}]}"#,
        )
        .unwrap_err();
        assert_eq!(err.field(), "Statement[0]");
        assert!(
            err.rule().contains("\"Effect\" appears more than once"),
            "{err}"
        );

        let err = Policy::from_json(
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*",
                "Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8","ACS:sourceip":"0.0.0.0/0"}}}]}"#,
        )
        .unwrap_err();
        assert_eq!(err.field(), "Statement[0].Condition.IpAddress");
    }

    #[test]
    fn scalars_and_single_statement_object_are_accepted() {
        let policy = Policy::from_json(
            r#"{"Version":"1","Statement":{"Effect":"Deny","Action":"oss:DeleteObject","Resource":"*",
                "Condition":{"Bool":{"acs:SecureTransport":false},"NumericLessThan":{"oss:MaxKeys":100}}}}"#,
        )
        .unwrap();
        let statement = &policy.statements()[0];
        assert_eq!(statement.effect(), Effect::Deny);
        assert_eq!(statement.actions(), ["oss:DeleteObject"]);
        assert_eq!(
            statement.conditions()[0].values(),
            [ConditionValue::Bool(false)]
        );
        assert_eq!(
            policy.to_json(),
            r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":["oss:DeleteObject"],"Resource":["*"],"Condition":{"Bool":{"acs:SecureTransport":[false]},"NumericLessThan":{"oss:MaxKeys":[100]}}}]}"#
        );
    }

    #[test]
    fn wrong_json_types_name_the_element() {
        let cases = [
            (r#"[]"#, "Policy"),
            (r#"{"Version":"1"}"#, "Statement"),
            (r#"{"Version":"1","Statement":"x"}"#, "Statement"),
            (r#"{"Version":"1","Statement":[]}"#, "Statement"),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":[1],"Resource":"*"}]}"#,
                "Statement[0].Action[0]",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":{}}]}"#,
                "Statement[0].Resource",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*"}]}"#,
                "Statement[0].Resource",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Principal":"*"}]}"#,
                "Statement[0]",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"Bool":{"k":null}}}]}"#,
                "Statement[0].Condition.Bool.k",
            ),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"Bool":{"k":["maybe"]}}}]}"#,
                "Statement[0].Condition.Bool.k",
            ),
            (
                r#"{"Version":"1","Statement":[{"Sid":7,"Effect":"Allow","Action":"oss:*","Resource":"*"}]}"#,
                "Statement[0].Sid",
            ),
            (r#"{"Version":"1","Extra":1,"Statement":[]}"#, "Policy"),
            (r#"{"Version":1,"Statement":[]}"#, "Version"),
            (
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}"#,
                "Policy",
            ),
        ];
        for (json, field) in cases {
            let err = Policy::from_json(json).unwrap_err();
            assert_eq!(err.field(), field, "{json}: {err}");
        }
    }

    #[test]
    fn unknown_operators_are_kept_when_parsing() {
        let json = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetObject"],"Resource":["*"],"Condition":{"ForAnyValue:StringEquals":{"acs:Tag":["a"]}}}]}"#;
        let policy = Policy::from_json(json).unwrap();
        assert_eq!(
            policy.statements()[0].conditions()[0].operator(),
            &ConditionOperator::Unknown("ForAnyValue:StringEquals".into())
        );
        assert_eq!(policy.to_json(), json);
        let err = policy.check_known_operators().unwrap_err();
        assert_eq!(err.field(), "Statement[0].Condition");
        assert!(
            matches!(err, PolicyError::UnknownOperator { ref operator, .. } if operator == "ForAnyValue:StringEquals")
        );
        let known: Policy = json.replace("ForAnyValue:", "").parse().unwrap();
        known.check_known_operators().unwrap();
    }

    #[test]
    fn serde_impls_agree_with_from_json_and_to_json() {
        let json = r#"{"Version":"1","Statement":[{"Sid":"A","Effect":"Allow","Action":["oss:*"],"Resource":["*"]}]}"#;
        let policy: Policy = serde_json::from_str(json).unwrap();
        assert_eq!(policy, Policy::from_json(json).unwrap());
        assert_eq!(serde_json::to_string(&policy).unwrap(), json);
        assert!(serde_json::from_str::<Policy>(r#"{"Version":"2","Statement":[]}"#).is_err());
    }
}
