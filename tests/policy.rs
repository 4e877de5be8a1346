//! Behaviour of `alioss::policy`: the scenario's policies, grammar refusals, JSON round
//! trips, and an evaluator table (wildcards, case rules, deny precedence, implicit deny, the
//! role ∩ session intersection, every condition operator, missing keys, fail-closed errors).

use alioss::policy::{
    actions, condition_keys, evaluate, evaluate_effective, oss_bucket, oss_object,
    ConditionOperator, DecisionEffect, Effect, Policy, PolicyError, PolicySet, RequestContext,
    Statement, MAX_SESSION_POLICY_LEN,
};
use proptest::prelude::*;

const SCENARIO_ROLE_POLICY: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"],"Resource":["acs:oss:*:*:examplebucket/*"]}]}"#;
const SCENARIO_SESSION_POLICY: &str = r#"{"Version":"1","Statement":[{"Action":["oss:PutObject"],"Resource":["acs:oss:*:*:examplebucket/src/*"],"Effect":"Allow"}]}"#;

fn scenario_role_policy() -> Policy {
    Policy::builder()
        .allow(["oss:PutObject"], [oss_object("examplebucket", "*")])
        .build()
        .expect("valid policy")
}

fn scenario_session_policy() -> Policy {
    Policy::builder()
        .allow(
            [actions::PUT_OBJECT],
            [oss_object("examplebucket", "src/*")],
        )
        .build()
        .expect("valid policy")
}

// ---------------------------------------------------------------------------------------------
// The scenario's policies
// ---------------------------------------------------------------------------------------------

#[test]
fn scenario_role_policy_built_with_the_builder_is_byte_equal_to_the_documented_json() {
    assert_eq!(scenario_role_policy().to_json(), SCENARIO_ROLE_POLICY);
    assert_eq!(
        Policy::from_json(SCENARIO_ROLE_POLICY).unwrap(),
        scenario_role_policy()
    );
}

#[test]
fn scenario_session_policy_built_with_the_builder_parses_equal_to_the_documented_json() {
    let built: serde_json::Value =
        serde_json::from_str(&scenario_session_policy().to_json()).unwrap();
    let documented: serde_json::Value = serde_json::from_str(SCENARIO_SESSION_POLICY).unwrap();
    assert_eq!(built, documented);
    // Our parser reads the documented key order (Action, Resource, Effect) to the same policy.
    assert_eq!(
        Policy::from_json(SCENARIO_SESSION_POLICY).unwrap(),
        scenario_session_policy()
    );
    let json = scenario_session_policy().to_session_policy_json().unwrap();
    assert!((1..=MAX_SESSION_POLICY_LEN).contains(&json.len()));
}

#[test]
fn scenario_upload_outside_src_is_denied_by_the_session_policy_and_says_so() {
    let role = Policy::from_json(SCENARIO_ROLE_POLICY).unwrap();
    let session = Policy::from_json(SCENARIO_SESSION_POLICY).unwrap();
    let ctx = RequestContext::new(
        "oss:PutObject",
        oss_object("examplebucket", "exampletest.txt"),
    );
    let decision = evaluate_effective(std::slice::from_ref(&role), Some(&session), &ctx).unwrap();
    assert_eq!(decision.effect, DecisionEffect::ImplicitDeny);
    assert_eq!(decision.missing_allow, [PolicySet::Session]);
    assert_eq!(
        decision.to_string(),
        "denied: no statement in the session policy allows oss:PutObject on \
         acs:oss:*:*:examplebucket/exampletest.txt (implicit deny); temporary credentials get only \
         what both the role's policies and the session policy allow"
    );

    let ctx = RequestContext::new(
        "oss:PutObject",
        oss_object("examplebucket", "src/exampletest.txt"),
    );
    let decision = evaluate_effective(&[role], Some(&session), &ctx).unwrap();
    assert!(decision.is_allowed());
    let by = decision.decided_by.as_ref().unwrap();
    assert_eq!(
        (by.set, by.policy_index, by.statement_index),
        (PolicySet::Identity, 0, 0)
    );
    assert_eq!(decision.allowed_by.len(), 2);
    assert_eq!(
        decision.to_string(),
        "allowed: oss:PutObject on acs:oss:*:*:examplebucket/src/exampletest.txt is allowed by \
         identity policy #0 Statement[0] and session policy Statement[0]"
    );
}

// ---------------------------------------------------------------------------------------------
// Grammar refusals: each a typed error naming what is wrong
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_effect_is_refused_naming_the_statement_effect() {
    let err = Policy::from_json(
        r#"{"Version":"1","Statement":[{"Effect":"Permit","Action":["oss:PutObject"],"Resource":["*"]}]}"#,
    )
    .unwrap_err();
    assert!(
        matches!(&err, PolicyError::UnknownEffect { found, .. } if found == "\"Permit\""),
        "{err:?}"
    );
    assert_eq!(err.field(), "Statement[0].Effect");
    assert!(err.to_string().contains("\"Allow\" or \"Deny\""), "{err}");

    let lowercase = Policy::from_json(
        r#"{"Version":"1","Statement":[{"Effect":"allow","Action":["oss:PutObject"],"Resource":["*"]}]}"#,
    );
    assert!(matches!(lowercase, Err(PolicyError::UnknownEffect { .. })));
    let missing = Policy::from_json(
        r#"{"Version":"1","Statement":[{"Action":["oss:PutObject"],"Resource":["*"]}]}"#,
    );
    assert!(
        matches!(missing, Err(PolicyError::UnknownEffect { ref found, .. }) if found == "nothing")
    );
}

#[test]
fn empty_action_list_is_refused_by_parser_and_builder() {
    let err = Policy::from_json(
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":[],"Resource":["*"]}]}"#,
    )
    .unwrap_err();
    assert!(matches!(err, PolicyError::EmptyActions { .. }), "{err:?}");
    assert_eq!(err.field(), "Statement[0].Action");

    let err = Policy::builder()
        .allow(["oss:GetObject"], ["*"])
        .allow(Vec::<String>::new(), [oss_bucket("examplebucket")])
        .build()
        .unwrap_err();
    let invalid = err.as_invalid_input().expect("invalid input");
    assert_eq!(invalid.field(), "Statement[1].Action");
    assert_eq!(invalid.rule(), "a statement needs at least one action");

    let err = Policy::builder()
        .allow(["PutObject"], ["*"])
        .build()
        .unwrap_err();
    assert_eq!(
        err.as_invalid_input().unwrap().field(),
        "Statement[0].Action[0]"
    );
}

#[test]
fn malformed_arn_is_refused_naming_the_resource() {
    for bad in [
        "examplebucket/*",
        "arn:aws:s3:::examplebucket/*",
        "acs:oss:*:*",
        "acs:oss:*:*:",
    ] {
        let err = Policy::builder()
            .allow(
                ["oss:PutObject"],
                [oss_object("examplebucket", "*"), bad.to_owned()],
            )
            .build()
            .unwrap_err();
        let invalid = err.as_invalid_input().expect("invalid input");
        assert_eq!(invalid.field(), "Statement[0].Resource[1]", "{bad}");
        assert!(
            invalid
                .rule()
                .contains("acs:<service>:<region>:<account>:<resource>"),
            "{err}"
        );

        let json = format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Deny","Action":"oss:*","Resource":"{bad}"}}]}}"#
        );
        let err = Policy::from_json(&json).unwrap_err();
        assert!(
            matches!(&err, PolicyError::MalformedResource { value, .. } if value == bad),
            "{err:?}"
        );
        assert_eq!(err.field(), "Statement[0].Resource[0]");
    }
    let err = Policy::builder()
        .allow(["oss:PutObject"], Vec::<String>::new())
        .build()
        .unwrap_err();
    assert_eq!(
        err.as_invalid_input().unwrap().field(),
        "Statement[0].Resource"
    );
}

#[test]
fn version_other_than_1_is_refused() {
    for (json, found) in [
        (
            r#"{"Version":"2","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}"#,
            "\"2\"",
        ),
        (
            r#"{"Version":1,"Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}"#,
            "1",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}"#,
            "nothing",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}"#,
            "\"2012-10-17\"",
        ),
    ] {
        let err = Policy::from_json(json).unwrap_err();
        assert!(
            matches!(&err, PolicyError::UnsupportedVersion { found: f, .. } if f == found),
            "{json}: {err:?}"
        );
        assert_eq!(err.field(), "Version");
    }
}

#[test]
fn malformed_json_and_bad_condition_values_are_typed_errors() {
    let err = Policy::from_json("{\"Version\":\"1\",").unwrap_err();
    assert!(matches!(err, PolicyError::MalformedJson { .. }), "{err:?}");
    assert_eq!(err.field(), "Policy");

    let err = Policy::from_json(
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"DateLessThan":{"acs:CurrentTime":"tomorrow"}}}]}"#,
    )
    .unwrap_err();
    assert!(
        matches!(err, PolicyError::InvalidConditionValue { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.field(),
        "Statement[0].Condition.DateLessThan.acs:CurrentTime"
    );

    let err = Statement::builder()
        .effect(Effect::Allow)
        .action("oss:GetObject")
        .resource("*")
        .condition(ConditionOperator::NumericLessThan, "oss:MaxKeys", ["many"])
        .build()
        .unwrap_err();
    assert_eq!(
        err.as_invalid_input().unwrap().field(),
        "Statement.Condition.NumericLessThan.oss:MaxKeys"
    );

    // Converting any PolicyError gives the crate's InvalidInput error with the same field.
    let err: alioss::Error = Policy::from_json("[]").unwrap_err().into();
    assert_eq!(err.as_invalid_input().unwrap().field(), "Policy");
}

#[test]
fn session_policy_over_2048_bytes_is_refused() {
    let mut builder = Policy::builder();
    for i in 0..60 {
        builder = builder.allow(
            ["oss:PutObject"],
            [oss_object("examplebucket", format!("partner-{i}/*"))],
        );
    }
    let policy = builder.build().unwrap();
    assert!(policy.to_json().len() > MAX_SESSION_POLICY_LEN);
    let err = policy.to_session_policy_json().unwrap_err();
    assert!(
        matches!(err, PolicyError::SessionPolicyLength { max: 2048, .. }),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------------------------

#[test]
fn built_policies_round_trip_through_json() {
    let policies = [
        scenario_role_policy(),
        scenario_session_policy(),
        Policy::builder()
            .allow(
                ["oss:GetObject", "oss:ListObjects"],
                [
                    oss_bucket("examplebucket"),
                    oss_object("examplebucket", "*"),
                ],
            )
            .deny([actions::DELETE_OBJECT], ["*"])
            .statement(
                Statement::builder()
                    .sid("OfficeUploadsOverHttps")
                    .effect(Effect::Allow)
                    .actions([actions::PUT_OBJECT, actions::ABORT_MULTIPART_UPLOAD])
                    .resource(oss_object("examplebucket", "src/?/*"))
                    .condition(
                        "IpAddress",
                        condition_keys::SOURCE_IP,
                        ["192.0.2.0/24", "2001:db8::/32"],
                    )
                    .condition("Bool", condition_keys::SECURE_TRANSPORT, [true])
                    .condition(
                        "DateLessThan",
                        condition_keys::CURRENT_TIME,
                        ["2030-01-01T00:00:00Z"],
                    )
                    .condition("StringLike", condition_keys::OSS_PREFIX, ["src/*"])
                    .condition("IpAddress", "acs:SourceVpc", ["10.0.0.0/8"])
                    .condition("NumericLessThanEquals", "oss:MaxKeys", [100])
                    .condition(ConditionOperator::StringEquals, "oss:Delimiter", ["/"])
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap(),
    ];
    for policy in policies {
        let json = policy.to_json();
        let parsed = Policy::from_json(&json).unwrap();
        assert_eq!(parsed, policy, "{json}");
        assert_eq!(parsed.to_json(), json);
    }
}

#[test]
fn statement_keys_are_written_sid_effect_action_resource_condition() {
    let policy = Policy::builder()
        .statement(
            Statement::builder()
                .condition("StringEquals", "oss:Prefix", ["src/"])
                .resource("*")
                .action("oss:ListObjects")
                .effect(Effect::Allow)
                .sid("List")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    assert_eq!(
        policy.to_json(),
        r#"{"Version":"1","Statement":[{"Sid":"List","Effect":"Allow","Action":["oss:ListObjects"],"Resource":["*"],"Condition":{"StringEquals":{"oss:Prefix":["src/"]}}}]}"#
    );
}

proptest! {
    #[test]
    fn any_built_policy_round_trips(
        statements in prop::collection::vec(
            (
                any::<bool>(),
                prop::collection::vec("[a-z]{1,6}:[A-Za-z*?]{1,10}", 1..4),
                prop::collection::vec("[a-z0-9-]{3,10}", 1..3),
                prop::collection::vec("[a-zA-Z0-9/_.*?\"\\\\ é-]{0,12}", 1..3),
                prop::option::of("[A-Za-z0-9]{1,8}"),
            ),
            1..4,
        )
    ) {
        let mut builder = Policy::builder();
        for (allow, actions, buckets, keys, sid) in statements {
            let resources: Vec<String> = buckets
                .iter()
                .zip(keys.iter().cycle())
                .map(|(b, k)| oss_object(b, k.replace(' ', "_")))
                .collect();
            let mut statement = Statement::builder()
                .effect(if allow { Effect::Allow } else { Effect::Deny })
                .actions(actions)
                .resources(resources)
                .condition("StringLike", "oss:Prefix", keys);
            if let Some(sid) = sid {
                statement = statement.sid(sid);
            }
            builder = builder.statement(statement.build().unwrap());
        }
        let policy = builder.build().unwrap();
        let json = policy.to_json();
        prop_assert_eq!(Policy::from_json(&json).unwrap(), policy);
    }
}

// ---------------------------------------------------------------------------------------------
// The evaluator table
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
enum Expect {
    Allow,
    /// Denied explicitly by (set, policy index, statement index).
    Deny(PolicySet, usize, usize),
    /// Denied implicitly; the sets lacking an Allow.
    Implicit(&'static [PolicySet]),
    Error,
}

struct Case {
    name: &'static str,
    identity: Vec<Policy>,
    session: Option<Policy>,
    ctx: RequestContext,
    expect: Expect,
}

fn json(text: &str) -> Policy {
    Policy::from_json(text).unwrap_or_else(|e| panic!("test policy {text}: {e}"))
}

fn allow(actions: &[&str], resources: &[&str]) -> Policy {
    Policy::builder()
        .allow(actions.iter().copied(), resources.iter().copied())
        .build()
        .unwrap()
}

/// Allows `oss:*` on `*` if one condition holds.
fn allow_if(operator: &str, key: &str, values: &str) -> Policy {
    json(&format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{{"{operator}":{{"{key}":{values}}}}}}}]}}"#
    ))
}

fn put(key: &str) -> RequestContext {
    RequestContext::new("oss:PutObject", oss_object("examplebucket", key))
}

fn get(key: &str) -> RequestContext {
    RequestContext::new("oss:GetObject", oss_object("examplebucket", key))
}

const ID: &[PolicySet] = &[PolicySet::Identity];
const SESSION: &[PolicySet] = &[PolicySet::Session];
const BOTH: &[PolicySet] = &[PolicySet::Identity, PolicySet::Session];

fn cases() -> Vec<Case> {
    use Expect::*;
    use PolicySet::{Identity as I, Session as S};
    let role_all = allow(&["oss:*"], &["acs:oss:*:*:examplebucket/*"]);
    let src_only = scenario_session_policy();
    let deny_delete = json(
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"},{"Effect":"Deny","Action":"oss:DeleteObject","Resource":"*"}]}"#,
    );
    let deny_secret = json(
        r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"oss:*","Resource":"acs:oss:*:*:examplebucket/secret/*"}]}"#,
    );
    let ip = "acs:SourceIp";
    let time = "acs:CurrentTime";
    let case = |name, identity: Vec<Policy>, session: Option<Policy>, ctx, expect| Case {
        name,
        identity,
        session,
        ctx,
        expect,
    };
    vec![
        // --- wildcards ---
        case(
            "exact action, resource under bucket/*",
            vec![scenario_role_policy()],
            None,
            put("exampletest.txt"),
            Allow,
        ),
        case(
            "other action than granted",
            vec![scenario_role_policy()],
            None,
            get("exampletest.txt"),
            Implicit(ID),
        ),
        case(
            "bucket/* does not cover another bucket with the same prefix",
            vec![scenario_role_policy()],
            None,
            RequestContext::new("oss:PutObject", oss_object("examplebucket2", "a")),
            Implicit(ID),
        ),
        case(
            "bucket/* does not cover the bucket itself",
            vec![scenario_role_policy()],
            None,
            RequestContext::new("oss:PutObject", oss_bucket("examplebucket")),
            Implicit(ID),
        ),
        case(
            "src/* covers src/a",
            vec![src_only.clone()],
            None,
            put("src/a.csv"),
            Allow,
        ),
        case(
            "src/* covers deeper keys",
            vec![src_only.clone()],
            None,
            put("src/2024/04/a.csv"),
            Allow,
        ),
        case(
            "src/* does not cover srcx/a",
            vec![src_only.clone()],
            None,
            put("srcx/a"),
            Implicit(ID),
        ),
        case(
            "src/* does not cover src without slash",
            vec![src_only.clone()],
            None,
            put("src"),
            Implicit(ID),
        ),
        case(
            "? matches exactly one character",
            vec![allow(
                &["oss:PutObject"],
                &["acs:oss:*:*:examplebucket/log-?.txt"],
            )],
            None,
            put("log-7.txt"),
            Allow,
        ),
        case(
            "? does not match two characters",
            vec![allow(
                &["oss:PutObject"],
                &["acs:oss:*:*:examplebucket/log-?.txt"],
            )],
            None,
            put("log-17.txt"),
            Implicit(ID),
        ),
        case(
            "? does not match nothing",
            vec![allow(
                &["oss:PutObject"],
                &["acs:oss:*:*:examplebucket/log-?.txt"],
            )],
            None,
            put("log-.txt"),
            Implicit(ID),
        ),
        case(
            "action prefix wildcard oss:Get*",
            vec![allow(&["oss:Get*"], &["*"])],
            None,
            RequestContext::new("oss:GetObjectAcl", oss_object("examplebucket", "a")),
            Allow,
        ),
        case(
            "action prefix wildcard does not cover other verbs",
            vec![allow(&["oss:Get*"], &["*"])],
            None,
            put("a"),
            Implicit(ID),
        ),
        case(
            "* action and * resource allow everything",
            vec![allow(&["*"], &["*"])],
            None,
            RequestContext::new("ram:ListUsers", "acs:ram::1234567890123456:user/*"),
            Allow,
        ),
        case(
            "oss:* does not cover another service",
            vec![allow(&["oss:*"], &["*"])],
            None,
            RequestContext::new(
                "sts:AssumeRole",
                "acs:ram::1234567890123456:role/ramosstest",
            ),
            Implicit(ID),
        ),
        // --- case rules ---
        case(
            "action names are case-insensitive (request)",
            vec![scenario_role_policy()],
            None,
            RequestContext::new("OSS:putobject", oss_object("examplebucket", "a")),
            Allow,
        ),
        case(
            "action names are case-insensitive (policy)",
            vec![allow(&["OSS:PUTOBJECT"], &["*"])],
            None,
            put("a"),
            Allow,
        ),
        case(
            "bucket names in resources are case-sensitive",
            vec![scenario_role_policy()],
            None,
            RequestContext::new("oss:PutObject", oss_object("ExampleBucket", "a")),
            Implicit(ID),
        ),
        case(
            "object keys in resources are case-sensitive",
            vec![src_only.clone()],
            None,
            put("SRC/a"),
            Implicit(ID),
        ),
        // --- deny precedence and implicit deny ---
        case(
            "explicit deny beats allow in the same policy",
            vec![deny_delete.clone()],
            None,
            RequestContext::new("oss:DeleteObject", oss_object("examplebucket", "a")),
            Deny(I, 0, 1),
        ),
        case(
            "allow still applies to what the deny does not cover",
            vec![deny_delete.clone()],
            None,
            get("a"),
            Allow,
        ),
        case(
            "deny in a second identity policy beats allow in the first",
            vec![role_all.clone(), deny_secret.clone()],
            None,
            get("secret/plan.txt"),
            Deny(I, 1, 0),
        ),
        case(
            "deny with a resource pattern leaves other keys allowed",
            vec![role_all.clone(), deny_secret.clone()],
            None,
            get("public/a"),
            Allow,
        ),
        case(
            "deny alone allows nothing",
            vec![deny_secret.clone()],
            None,
            get("public/a"),
            Implicit(ID),
        ),
        case(
            "no policies at all is an implicit deny",
            vec![],
            None,
            get("a"),
            Implicit(ID),
        ),
        // --- intersection of role and session policy ---
        case(
            "role oss:* and session PutObject src/*: upload under src",
            vec![role_all.clone()],
            Some(src_only.clone()),
            put("src/a.csv"),
            Allow,
        ),
        case(
            "role oss:* and session PutObject src/*: download under src",
            vec![role_all.clone()],
            Some(src_only.clone()),
            get("src/a.csv"),
            Implicit(SESSION),
        ),
        case(
            "role oss:* and session PutObject src/*: upload elsewhere",
            vec![role_all.clone()],
            Some(src_only.clone()),
            put("dst/a.csv"),
            Implicit(SESSION),
        ),
        case(
            "session allowing more than the role grants nothing extra",
            vec![scenario_role_policy()],
            Some(allow(&["*"], &["*"])),
            get("a"),
            Implicit(ID),
        ),
        case(
            "session allowing more still allows what the role grants",
            vec![scenario_role_policy()],
            Some(allow(&["*"], &["*"])),
            put("a"),
            Allow,
        ),
        case(
            "neither set allows",
            vec![scenario_role_policy()],
            Some(src_only.clone()),
            RequestContext::new("oss:DeleteObject", oss_object("examplebucket", "src/a")),
            Implicit(BOTH),
        ),
        case(
            "explicit deny in the session policy wins",
            vec![role_all.clone()],
            Some(deny_delete.clone()),
            RequestContext::new("oss:DeleteObject", oss_object("examplebucket", "a")),
            Deny(S, 0, 1),
        ),
        case(
            "explicit deny in the role wins over a session allow",
            vec![role_all.clone(), deny_secret.clone()],
            Some(allow(&["oss:*"], &["*"])),
            get("secret/a"),
            Deny(I, 1, 0),
        ),
        case(
            "scenario: role policy and session policy from the documented JSON",
            vec![json(SCENARIO_ROLE_POLICY)],
            Some(json(SCENARIO_SESSION_POLICY)),
            put("exampletest.txt"),
            Implicit(SESSION),
        ),
        // --- string operators ---
        case(
            "StringEquals true",
            vec![allow_if("StringEquals", "oss:Prefix", r#""src/""#)],
            None,
            get("a").with("oss:Prefix", "src/"),
            Allow,
        ),
        case(
            "StringEquals false (case-sensitive)",
            vec![allow_if("StringEquals", "oss:Prefix", r#""src/""#)],
            None,
            get("a").with("oss:Prefix", "SRC/"),
            Implicit(ID),
        ),
        case(
            "StringNotEquals true",
            vec![allow_if(
                "StringNotEquals",
                "oss:Prefix",
                r#"["secret/","private/"]"#,
            )],
            None,
            get("a").with("oss:Prefix", "src/"),
            Allow,
        ),
        case(
            "StringNotEquals false (equals one of the values)",
            vec![allow_if(
                "StringNotEquals",
                "oss:Prefix",
                r#"["secret/","private/"]"#,
            )],
            None,
            get("a").with("oss:Prefix", "private/"),
            Implicit(ID),
        ),
        case(
            "StringEqualsIgnoreCase true",
            vec![allow_if(
                "StringEqualsIgnoreCase",
                "oss:Prefix",
                r#""src/""#,
            )],
            None,
            get("a").with("oss:Prefix", "SRC/"),
            Allow,
        ),
        case(
            "StringEqualsIgnoreCase false",
            vec![allow_if(
                "StringEqualsIgnoreCase",
                "oss:Prefix",
                r#""src/""#,
            )],
            None,
            get("a").with("oss:Prefix", "dst/"),
            Implicit(ID),
        ),
        case(
            "StringNotEqualsIgnoreCase true",
            vec![allow_if(
                "StringNotEqualsIgnoreCase",
                "oss:Prefix",
                r#""secret/""#,
            )],
            None,
            get("a").with("oss:Prefix", "src/"),
            Allow,
        ),
        case(
            "StringNotEqualsIgnoreCase false",
            vec![allow_if(
                "StringNotEqualsIgnoreCase",
                "oss:Prefix",
                r#""secret/""#,
            )],
            None,
            get("a").with("oss:Prefix", "SECRET/"),
            Implicit(ID),
        ),
        case(
            "StringLike true",
            vec![allow_if("StringLike", "oss:Prefix", r#""src/*""#)],
            None,
            get("a").with("oss:Prefix", "src/2024/"),
            Allow,
        ),
        case(
            "StringLike false",
            vec![allow_if("StringLike", "oss:Prefix", r#""src/*""#)],
            None,
            get("a").with("oss:Prefix", "srcx/"),
            Implicit(ID),
        ),
        case(
            "StringLike with ? true",
            vec![allow_if("StringLike", "oss:Delimiter", r#""?""#)],
            None,
            get("a").with("oss:Delimiter", "/"),
            Allow,
        ),
        case(
            "StringNotLike true",
            vec![allow_if("StringNotLike", "oss:Prefix", r#""secret/*""#)],
            None,
            get("a").with("oss:Prefix", "src/"),
            Allow,
        ),
        case(
            "StringNotLike false",
            vec![allow_if("StringNotLike", "oss:Prefix", r#""secret/*""#)],
            None,
            get("a").with("oss:Prefix", "secret/x/"),
            Implicit(ID),
        ),
        // --- numeric operators ---
        case(
            "NumericEquals true",
            vec![allow_if("NumericEquals", "oss:MaxKeys", "100")],
            None,
            get("a").with("oss:MaxKeys", "100"),
            Allow,
        ),
        case(
            "NumericEquals false",
            vec![allow_if("NumericEquals", "oss:MaxKeys", "100")],
            None,
            get("a").with("oss:MaxKeys", "99"),
            Implicit(ID),
        ),
        case(
            "NumericNotEquals true",
            vec![allow_if("NumericNotEquals", "oss:MaxKeys", r#""1000""#)],
            None,
            get("a").with("oss:MaxKeys", "99"),
            Allow,
        ),
        case(
            "NumericNotEquals false",
            vec![allow_if("NumericNotEquals", "oss:MaxKeys", r#""1000""#)],
            None,
            get("a").with("oss:MaxKeys", "1000.0"),
            Implicit(ID),
        ),
        case(
            "NumericLessThan true",
            vec![allow_if("NumericLessThan", "oss:MaxKeys", "100")],
            None,
            get("a").with("oss:MaxKeys", "99"),
            Allow,
        ),
        case(
            "NumericLessThan false at the bound",
            vec![allow_if("NumericLessThan", "oss:MaxKeys", "100")],
            None,
            get("a").with("oss:MaxKeys", "100"),
            Implicit(ID),
        ),
        case(
            "NumericLessThanEquals true at the bound",
            vec![allow_if("NumericLessThanEquals", "oss:MaxKeys", "100")],
            None,
            get("a").with("oss:MaxKeys", "100"),
            Allow,
        ),
        case(
            "NumericLessThanEquals false",
            vec![allow_if("NumericLessThanEquals", "oss:MaxKeys", "100")],
            None,
            get("a").with("oss:MaxKeys", "101"),
            Implicit(ID),
        ),
        case(
            "NumericGreaterThan true",
            vec![allow_if("NumericGreaterThan", "oss:MaxKeys", "10")],
            None,
            get("a").with("oss:MaxKeys", "11"),
            Allow,
        ),
        case(
            "NumericGreaterThan false at the bound",
            vec![allow_if("NumericGreaterThan", "oss:MaxKeys", "10")],
            None,
            get("a").with("oss:MaxKeys", "10"),
            Implicit(ID),
        ),
        case(
            "NumericGreaterThanEquals true at the bound",
            vec![allow_if("NumericGreaterThanEquals", "oss:MaxKeys", "10")],
            None,
            get("a").with("oss:MaxKeys", "10"),
            Allow,
        ),
        case(
            "NumericGreaterThanEquals false",
            vec![allow_if("NumericGreaterThanEquals", "oss:MaxKeys", "10")],
            None,
            get("a").with("oss:MaxKeys", "9.5"),
            Implicit(ID),
        ),
        // --- IP operators ---
        case(
            "IpAddress in CIDR",
            vec![allow_if("IpAddress", ip, r#""192.0.2.0/24""#)],
            None,
            get("a").with(ip, "192.0.2.7"),
            Allow,
        ),
        case(
            "IpAddress outside CIDR",
            vec![allow_if("IpAddress", ip, r#""192.0.2.0/24""#)],
            None,
            get("a").with(ip, "198.51.100.1"),
            Implicit(ID),
        ),
        case(
            "IpAddress single address",
            vec![allow_if("IpAddress", ip, r#""203.0.113.5""#)],
            None,
            get("a").with(ip, "203.0.113.5"),
            Allow,
        ),
        case(
            "IpAddress single address, neighbour",
            vec![allow_if("IpAddress", ip, r#""203.0.113.5""#)],
            None,
            get("a").with(ip, "203.0.113.6"),
            Implicit(ID),
        ),
        case(
            "IpAddress IPv6 CIDR",
            vec![allow_if("IpAddress", ip, r#""2001:db8::/32""#)],
            None,
            get("a").with(ip, "2001:db8:1::9"),
            Allow,
        ),
        case(
            "IpAddress IPv6 outside",
            vec![allow_if("IpAddress", ip, r#""2001:db8::/32""#)],
            None,
            get("a").with(ip, "2001:db9::1"),
            Implicit(ID),
        ),
        case(
            "IpAddress values are ORed",
            vec![allow_if(
                "IpAddress",
                ip,
                r#"["10.0.0.0/8","192.0.2.0/24"]"#,
            )],
            None,
            get("a").with(ip, "192.0.2.200"),
            Allow,
        ),
        case(
            "NotIpAddress outside the block",
            vec![allow_if("NotIpAddress", ip, r#""192.0.2.0/24""#)],
            None,
            get("a").with(ip, "198.51.100.1"),
            Allow,
        ),
        case(
            "NotIpAddress inside the block",
            vec![allow_if("NotIpAddress", ip, r#""192.0.2.0/24""#)],
            None,
            get("a").with(ip, "192.0.2.1"),
            Implicit(ID),
        ),
        case(
            "NotIpAddress inside any of the blocks",
            vec![allow_if(
                "NotIpAddress",
                ip,
                r#"["10.0.0.0/8","192.0.2.0/24"]"#,
            )],
            None,
            get("a").with(ip, "10.1.1.1"),
            Implicit(ID),
        ),
        // --- date operators ---
        case(
            "DateLessThan before",
            vec![allow_if("DateLessThan", time, r#""2024-04-18T11:33:40Z""#)],
            None,
            get("a").with(time, "2024-04-18T11:00:00Z"),
            Allow,
        ),
        case(
            "DateLessThan at the instant",
            vec![allow_if("DateLessThan", time, r#""2024-04-18T11:33:40Z""#)],
            None,
            get("a").with(time, "2024-04-18T11:33:40Z"),
            Implicit(ID),
        ),
        case(
            "DateLessThanEquals at the instant",
            vec![allow_if(
                "DateLessThanEquals",
                time,
                r#""2024-04-18T11:33:40Z""#,
            )],
            None,
            get("a").with(time, "2024-04-18T11:33:40Z"),
            Allow,
        ),
        case(
            "DateLessThanEquals after",
            vec![allow_if(
                "DateLessThanEquals",
                time,
                r#""2024-04-18T11:33:40Z""#,
            )],
            None,
            get("a").with(time, "2024-04-18T11:33:41Z"),
            Implicit(ID),
        ),
        case(
            "DateGreaterThan after (offsets compared as instants)",
            vec![allow_if(
                "DateGreaterThan",
                time,
                r#""2024-04-18T19:33:40+08:00""#,
            )],
            None,
            get("a").with(time, "2024-04-18T11:33:41Z"),
            Allow,
        ),
        case(
            "DateGreaterThan before",
            vec![allow_if(
                "DateGreaterThan",
                time,
                r#""2024-04-18T11:33:40Z""#,
            )],
            None,
            get("a").with(time, "2024-01-01T00:00:00Z"),
            Implicit(ID),
        ),
        case(
            "DateGreaterThanEquals at the instant",
            vec![allow_if(
                "DateGreaterThanEquals",
                time,
                r#""2024-04-18T11:33:40Z""#,
            )],
            None,
            get("a").with(time, "2024-04-18T19:33:40+08:00"),
            Allow,
        ),
        case(
            "DateGreaterThanEquals before",
            vec![allow_if(
                "DateGreaterThanEquals",
                time,
                r#""2024-04-18T11:33:40Z""#,
            )],
            None,
            get("a").with(time, "2024-04-18T11:33:39Z"),
            Implicit(ID),
        ),
        case(
            "DateEquals same instant",
            vec![allow_if("DateEquals", time, r#""2024-04-18T11:33:40Z""#)],
            None,
            get("a").with(time, "2024-04-18T11:33:40Z"),
            Allow,
        ),
        case(
            "DateNotEquals same instant",
            vec![allow_if("DateNotEquals", time, r#""2024-04-18T11:33:40Z""#)],
            None,
            get("a").with(time, "2024-04-18T11:33:40Z"),
            Implicit(ID),
        ),
        // --- Bool ---
        case(
            "Bool true matches true",
            vec![allow_if("Bool", "acs:SecureTransport", r#""true""#)],
            None,
            get("a").with_secure_transport(true),
            Allow,
        ),
        case(
            "Bool true does not match false",
            vec![allow_if("Bool", "acs:SecureTransport", r#""true""#)],
            None,
            get("a").with_secure_transport(false),
            Implicit(ID),
        ),
        case(
            "Bool accepts JSON booleans and any case",
            vec![allow_if("Bool", "acs:SecureTransport", "true")],
            None,
            get("a").with("acs:SecureTransport", "TRUE"),
            Allow,
        ),
        case(
            "Deny unless HTTPS (Bool false) refuses plain HTTP",
            vec![
                role_all.clone(),
                json(
                    r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"oss:*","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":"false"}}}]}"#,
                ),
            ],
            None,
            get("a").with_secure_transport(false),
            Deny(I, 1, 0),
        ),
        // --- combining conditions, key case ---
        case(
            "several keys are ANDed: all hold",
            vec![json(
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"},"Bool":{"acs:SecureTransport":"true"}}}]}"#,
            )],
            None,
            get("a").with(ip, "10.0.0.1").with_secure_transport(true),
            Allow,
        ),
        case(
            "several keys are ANDed: one fails",
            vec![json(
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"},"Bool":{"acs:SecureTransport":"true"}}}]}"#,
            )],
            None,
            get("a").with(ip, "10.0.0.1").with_secure_transport(false),
            Implicit(ID),
        ),
        case(
            "two keys under one operator are ANDed",
            vec![json(
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"StringEquals":{"oss:Prefix":"src/","oss:Delimiter":"/"}}}]}"#,
            )],
            None,
            get("a")
                .with("oss:Prefix", "src/")
                .with("oss:Delimiter", "|"),
            Implicit(ID),
        ),
        case(
            "condition keys are case-insensitive",
            vec![allow_if("IpAddress", "ACS:SOURCEIP", r#""10.0.0.0/8""#)],
            None,
            get("a").with("acs:sourceip", "10.9.9.9"),
            Allow,
        ),
        // --- missing keys ---
        case(
            "missing key: positive operator is false",
            vec![allow_if("StringEquals", "oss:Prefix", r#""src/""#)],
            None,
            get("a"),
            Implicit(ID),
        ),
        case(
            "missing key: negated operator is false too",
            vec![allow_if("StringNotEquals", "oss:Prefix", r#""secret/""#)],
            None,
            get("a"),
            Implicit(ID),
        ),
        case(
            "missing key: NotIpAddress is false",
            vec![allow_if("NotIpAddress", ip, r#""192.0.2.0/24""#)],
            None,
            get("a"),
            Implicit(ID),
        ),
        case(
            "missing key: a conditioned Deny does not apply",
            vec![
                role_all.clone(),
                json(
                    r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"oss:*","Resource":"*","Condition":{"NotIpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}]}"#,
                ),
            ],
            None,
            get("a"),
            Allow,
        ),
        // --- fail closed ---
        case(
            "unknown operator in a matching Allow is an error",
            vec![allow_if("StringEqualsMaybe", "oss:Prefix", r#""src/""#)],
            None,
            get("a").with("oss:Prefix", "src/"),
            Error,
        ),
        case(
            "unknown operator in a matching Deny is an error",
            vec![
                role_all.clone(),
                json(
                    r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"oss:*","Resource":"*","Condition":{"ForAnyValue:StringLike":{"oss:Prefix":"x"}}}]}"#,
                ),
            ],
            None,
            get("a"),
            Error,
        ),
        case(
            "unknown operator in the session policy is an error",
            vec![role_all.clone()],
            Some(allow_if("Frobnicate", "k", r#""v""#)),
            get("a"),
            Error,
        ),
        case(
            "unknown operator is an error even when another condition already fails",
            vec![json(
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"StringEquals":{"oss:Prefix":"no"},"Frobnicate":{"k":"v"}}}]}"#,
            )],
            None,
            get("a").with("oss:Prefix", "src/"),
            Error,
        ),
        case(
            "unknown operator in a statement that does not match is ignored",
            vec![
                scenario_role_policy(),
                json(
                    r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"oss:DeleteObject","Resource":"*","Condition":{"Frobnicate":{"k":"v"}}}]}"#,
                ),
            ],
            None,
            put("a"),
            Allow,
        ),
        case(
            "request IP that is not an address is an error",
            vec![allow_if("IpAddress", ip, r#""10.0.0.0/8""#)],
            None,
            get("a").with(ip, "localhost"),
            Error,
        ),
        case(
            "request time that is not ISO 8601 is an error",
            vec![allow_if("DateLessThan", time, r#""2030-01-01T00:00:00Z""#)],
            None,
            get("a").with(time, "yesterday"),
            Error,
        ),
    ]
}

#[test]
fn evaluator_table() {
    let cases = cases();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let result = evaluate_effective(&case.identity, case.session.as_ref(), &case.ctx);
        let ok = match (&case.expect, &result) {
            (Expect::Allow, Ok(d)) => d.is_allowed() && d.decided_by.is_some(),
            (Expect::Deny(set, policy, statement), Ok(d)) => {
                d.effect == DecisionEffect::ExplicitDeny
                    && !d.is_allowed()
                    && d.decided_by.as_ref().is_some_and(|by| {
                        (by.set, by.policy_index, by.statement_index) == (*set, *policy, *statement)
                    })
            }
            (Expect::Implicit(sets), Ok(d)) => {
                d.effect == DecisionEffect::ImplicitDeny
                    && !d.is_allowed()
                    && d.decided_by.is_none()
                    && d.missing_allow.as_slice() == *sets
            }
            (Expect::Error, Err(_)) => true,
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{}: expected {:?}, got {:?}",
                case.name, case.expect, result
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_known_operator_appears_in_the_table() {
    let table = cases();
    let used: Vec<String> = table
        .iter()
        .flat_map(|c| c.identity.iter().chain(c.session.iter()))
        .flat_map(|p| p.statements().iter())
        .flat_map(|s| s.conditions().iter())
        .map(|c| c.operator().to_string())
        .collect();
    for operator in [
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
        "Bool",
        "IpAddress",
        "NotIpAddress",
    ] {
        assert!(ConditionOperator::from(operator).is_known());
        assert!(used.iter().any(|u| u == operator), "{operator} not covered");
    }
}

#[test]
fn evaluate_is_the_identity_only_form_of_evaluate_effective() {
    let policies = [scenario_role_policy()];
    for ctx in [put("a"), get("a"), put("src/a")] {
        assert_eq!(
            evaluate(&policies, &ctx).unwrap(),
            evaluate_effective(&policies, None, &ctx).unwrap()
        );
    }
}

#[test]
fn unknown_operator_error_names_the_policy_and_the_operator() {
    let policy = allow_if("StringEqualsMaybe", "oss:Prefix", r#""src/""#);
    let err = evaluate(&[policy], &get("a")).unwrap_err();
    assert!(
        matches!(&err, PolicyError::UnknownOperator { operator, .. } if operator == "StringEqualsMaybe"),
        "{err:?}"
    );
    assert_eq!(err.field(), "identity policy #0 Statement[0].Condition");
}
