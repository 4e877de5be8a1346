//! The emulator's configuration: the account, its RAM users and roles, and its buckets.
//!
//! A configuration is JSON (see `emulator/config.example.json`); [`EmulatorConfig::demo`] is the
//! built-in one that mirrors the STS scenario, and [`demo`] holds its constants.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::authz::PolicyDocument;

/// Constants of the built-in demo configuration ([`EmulatorConfig::demo`]).
///
/// Every secret here is fake and only meaningful to a local emulator.
pub mod demo {
    /// The demo account id.
    pub const ACCOUNT_ID: &str = "1234567890123456";
    /// The account's own (root) AccessKey id.
    pub const ROOT_KEY_ID: &str = "demo-root-key-id";
    /// The account's own (root) AccessKey secret.
    pub const ROOT_KEY_SECRET: &str = "demo-root-key-secret";
    /// The RAM user that may call `sts:AssumeRole` and nothing else.
    pub const USER_NAME: &str = "uploader";
    /// AccessKey id of [`USER_NAME`].
    pub const USER_KEY_ID: &str = "demo-user-key-id";
    /// AccessKey secret of [`USER_NAME`].
    pub const USER_KEY_SECRET: &str = "demo-user-key-secret";
    /// The RAM user allowed `oss:*` on everything (handy for test set-up).
    pub const ADMIN_NAME: &str = "admin";
    /// AccessKey id of [`ADMIN_NAME`].
    pub const ADMIN_KEY_ID: &str = "demo-admin-key-id";
    /// AccessKey secret of [`ADMIN_NAME`].
    pub const ADMIN_KEY_SECRET: &str = "demo-admin-key-secret";
    /// The upload role of the scenario.
    pub const ROLE_NAME: &str = "RamOssTest";
    /// ARN of [`ROLE_NAME`].
    pub const ROLE_ARN: &str = "acs:ram::1234567890123456:role/ramosstest";
    /// A broader role (read, write, list, delete) with a 12-hour maximum session.
    pub const READER_ROLE_NAME: &str = "RamOssReader";
    /// ARN of [`READER_ROLE_NAME`].
    pub const READER_ROLE_ARN: &str = "acs:ram::1234567890123456:role/ramossreader";
    /// The scenario's bucket.
    pub const BUCKET: &str = "examplebucket";
    /// Region of [`BUCKET`].
    pub const REGION: &str = "cn-hangzhou";
    /// A second bucket, in another region (for wrong-endpoint tests).
    pub const OTHER_BUCKET: &str = "otherbucket";
    /// Region of [`OTHER_BUCKET`].
    pub const OTHER_REGION: &str = "cn-shanghai";
    /// The role policy of [`ROLE_NAME`], exactly as in the scenario.
    pub const ROLE_POLICY: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"],"Resource":["acs:oss:*:*:examplebucket/*"]}]}"#;
    /// The system policy `AliyunSTSAssumeRoleAccess`.
    pub const ASSUME_ROLE_POLICY: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;
    /// The policy of [`ADMIN_NAME`].
    pub const ADMIN_POLICY: &str =
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}"#;
    /// The role policy of [`READER_ROLE_NAME`].
    pub const READER_ROLE_POLICY: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetObject","oss:PutObject","oss:ListObjects","oss:DeleteObject","oss:AbortMultipartUpload","oss:ListParts"],"Resource":["acs:oss:*:*:examplebucket/*","acs:oss:*:*:examplebucket"]}]}"#;
    /// Origins the demo bucket's CORS rule allows: pages served from this machine on any
    /// port (the `sts_server` example's upload page, a local dev server).
    pub const PAGE_ORIGINS: [&str; 2] = ["http://localhost:*", "http://127.0.0.1:*"];

    /// The CORS rule of [`BUCKET`]: what a browser page using the official SDK `ali-oss` or a
    /// PostObject form needs (methods GET, PUT, POST, DELETE, HEAD; any request header; ETag,
    /// request id and CRC-64 exposed) for the origins in [`PAGE_ORIGINS`].
    pub fn page_cors_rule() -> super::CorsRule {
        super::CorsRule {
            allowed_origins: PAGE_ORIGINS.iter().map(|o| (*o).to_owned()).collect(),
            allowed_methods: ["GET", "PUT", "POST", "DELETE", "HEAD"]
                .iter()
                .map(|m| (*m).to_owned())
                .collect(),
            allowed_headers: vec!["*".to_owned()],
            expose_headers: [
                "ETag",
                "x-oss-request-id",
                "x-oss-hash-crc64ecma",
                "x-oss-version-id",
                "x-oss-next-append-position",
            ]
            .iter()
            .map(|h| (*h).to_owned())
            .collect(),
            max_age_seconds: Some(600),
        }
    }
}

/// An AccessKey pair (id and secret). `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKeyConfig {
    /// The AccessKey id.
    pub access_key_id: String,
    /// The AccessKey secret.
    pub access_key_secret: String,
}

impl fmt::Debug for AccessKeyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKeyConfig")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"** redacted **")
            .finish()
    }
}

/// A RAM user: a name, a permanent AccessKey and the policies attached to it.
/// `Debug` never shows the secret.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct UserConfig {
    /// The user name (unique in the account).
    pub name: String,
    /// The user's AccessKey id.
    pub access_key_id: String,
    /// The user's AccessKey secret.
    pub access_key_secret: String,
    /// Attached policies (RAM policy documents, as JSON objects or as strings).
    #[serde(default)]
    pub policies: Vec<PolicyDocument>,
}

impl fmt::Debug for UserConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserConfig")
            .field("name", &self.name)
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"** redacted **")
            .field("policies", &self.policies)
            .finish()
    }
}

/// A RAM role that users may assume with STS `AssumeRole`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoleConfig {
    /// The role name, e.g. `RamOssTest`.
    pub name: String,
    /// The ARN; defaults to `acs:ram::<account>:role/<lower-case name>`.
    #[serde(default)]
    pub arn: Option<String>,
    /// Maximum session duration in seconds (3600 to 43200; default 3600).
    #[serde(default = "default_max_session")]
    pub max_session_duration: u64,
    /// Policies attached to the role.
    #[serde(default)]
    pub policies: Vec<PolicyDocument>,
    /// Names of the RAM users allowed by the role's trust policy to assume it.
    #[serde(default)]
    pub trusted_users: Vec<String>,
}

fn default_max_session() -> u64 {
    3600
}

/// How anonymous requests may use a bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum BucketAcl {
    /// Only authenticated, authorised callers (the default).
    #[default]
    Private,
    /// Anyone may read objects.
    PublicRead,
    /// Anyone may read and write objects.
    PublicReadWrite,
}

/// A bucket: its name, its region and its owner account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketConfig {
    /// Bucket name: 3–63 characters of `a-z 0-9 -`, not starting or ending with `-`.
    pub name: String,
    /// Region id, e.g. `cn-hangzhou`.
    pub region: String,
    /// Owner account id; defaults to the configuration's account.
    #[serde(default)]
    pub owner: Option<String>,
    /// The bucket ACL (default `private`).
    #[serde(default)]
    pub acl: BucketAcl,
    /// CORS rules (default none: cross-origin browser requests are refused, as in OSS).
    #[serde(default)]
    pub cors: Vec<CorsRule>,
}

/// A bucket CORS rule, as in OSS's `PutBucketCors`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsRule {
    /// Origins allowed (`*` alone, or with one `*` wildcard, e.g. `http://*.example.com`).
    pub allowed_origins: Vec<String>,
    /// Methods allowed (`GET`, `PUT`, `POST`, `DELETE`, `HEAD`).
    pub allowed_methods: Vec<String>,
    /// Request headers a preflight may ask for (`*` wildcards, case-insensitive).
    #[serde(default)]
    pub allowed_headers: Vec<String>,
    /// Response headers the browser may read (e.g. `ETag`, `x-oss-request-id`).
    #[serde(default)]
    pub expose_headers: Vec<String>,
    /// How long a browser may cache a preflight answer.
    #[serde(default)]
    pub max_age_seconds: Option<u64>,
}

/// The whole emulator configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmulatorConfig {
    /// The account id (16 digits in the cloud; any non-empty string of digits here).
    pub account_id: String,
    /// The account's own (root) AccessKey.
    pub root: AccessKeyConfig,
    /// RAM users.
    #[serde(default)]
    pub users: Vec<UserConfig>,
    /// RAM roles.
    #[serde(default)]
    pub roles: Vec<RoleConfig>,
    /// Buckets.
    #[serde(default)]
    pub buckets: Vec<BucketConfig>,
}

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The offending field, e.g. `roles[0].max_session_duration`.
    pub field: String,
    /// The rule it breaks.
    pub rule: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid emulator configuration: {} {}",
            self.field, self.rule
        )
    }
}

impl std::error::Error for ConfigError {}

fn cfg_err(field: impl Into<String>, rule: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.into(),
        rule: rule.into(),
    }
}

impl EmulatorConfig {
    /// The built-in demo configuration (see [`demo`] and `emulator/README.md`).
    pub fn demo() -> Self {
        let policy = |s: &str| PolicyDocument::from_json_str(s).expect("demo policies are valid");
        Self {
            account_id: demo::ACCOUNT_ID.to_owned(),
            root: AccessKeyConfig {
                access_key_id: demo::ROOT_KEY_ID.to_owned(),
                access_key_secret: demo::ROOT_KEY_SECRET.to_owned(),
            },
            users: vec![
                UserConfig {
                    name: demo::USER_NAME.to_owned(),
                    access_key_id: demo::USER_KEY_ID.to_owned(),
                    access_key_secret: demo::USER_KEY_SECRET.to_owned(),
                    policies: vec![policy(demo::ASSUME_ROLE_POLICY)],
                },
                UserConfig {
                    name: demo::ADMIN_NAME.to_owned(),
                    access_key_id: demo::ADMIN_KEY_ID.to_owned(),
                    access_key_secret: demo::ADMIN_KEY_SECRET.to_owned(),
                    policies: vec![policy(demo::ADMIN_POLICY), policy(demo::ASSUME_ROLE_POLICY)],
                },
            ],
            roles: vec![
                RoleConfig {
                    name: demo::ROLE_NAME.to_owned(),
                    arn: Some(demo::ROLE_ARN.to_owned()),
                    max_session_duration: 3600,
                    policies: vec![policy(demo::ROLE_POLICY)],
                    trusted_users: vec![demo::USER_NAME.to_owned(), demo::ADMIN_NAME.to_owned()],
                },
                RoleConfig {
                    name: demo::READER_ROLE_NAME.to_owned(),
                    arn: Some(demo::READER_ROLE_ARN.to_owned()),
                    max_session_duration: 43200,
                    policies: vec![policy(demo::READER_ROLE_POLICY)],
                    trusted_users: vec![demo::USER_NAME.to_owned(), demo::ADMIN_NAME.to_owned()],
                },
            ],
            buckets: vec![
                BucketConfig {
                    name: demo::BUCKET.to_owned(),
                    region: demo::REGION.to_owned(),
                    owner: None,
                    acl: BucketAcl::Private,
                    cors: vec![demo::page_cors_rule()],
                },
                BucketConfig {
                    name: demo::OTHER_BUCKET.to_owned(),
                    region: demo::OTHER_REGION.to_owned(),
                    owner: None,
                    acl: BucketAcl::Private,
                    cors: Vec::new(),
                },
            ],
        }
    }

    /// Parses a JSON configuration and validates it.
    pub fn from_json(json: &str) -> Result<Self, ConfigError> {
        let cfg: Self = serde_json::from_str(json).map_err(|e| cfg_err("config", e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// The ARN of a role (configured, or derived from the account and the role name).
    pub fn role_arn(&self, role: &RoleConfig) -> String {
        role.arn.clone().unwrap_or_else(|| {
            format!(
                "acs:ram::{}:role/{}",
                self.account_id,
                role.name.to_ascii_lowercase()
            )
        })
    }

    /// Checks every rule; called by [`from_json`](Self::from_json) and when the emulator starts.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.account_id.is_empty() || !self.account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(cfg_err(
                "account_id",
                "must be a non-empty string of digits",
            ));
        }
        if self.root.access_key_id.trim().is_empty()
            || self.root.access_key_secret.trim().is_empty()
        {
            return Err(cfg_err(
                "root",
                "needs a non-empty access_key_id and access_key_secret",
            ));
        }
        let mut key_ids = vec![self.root.access_key_id.as_str()];
        for (i, u) in self.users.iter().enumerate() {
            if u.name.is_empty() {
                return Err(cfg_err(format!("users[{i}].name"), "must not be empty"));
            }
            if u.access_key_id.trim().is_empty() || u.access_key_secret.trim().is_empty() {
                return Err(cfg_err(
                    format!("users[{i}]"),
                    "needs a non-empty access_key_id and access_key_secret",
                ));
            }
            if u.access_key_id.starts_with("STS.") {
                return Err(cfg_err(
                    format!("users[{i}].access_key_id"),
                    "must not start with STS. (reserved for temporary keys)",
                ));
            }
            if key_ids.contains(&u.access_key_id.as_str()) {
                return Err(cfg_err(
                    format!("users[{i}].access_key_id"),
                    "must be unique",
                ));
            }
            key_ids.push(&u.access_key_id);
            if self.users[..i].iter().any(|o| o.name == u.name) {
                return Err(cfg_err(format!("users[{i}].name"), "must be unique"));
            }
        }
        for (i, r) in self.roles.iter().enumerate() {
            if r.name.is_empty() {
                return Err(cfg_err(format!("roles[{i}].name"), "must not be empty"));
            }
            if !(3600..=43200).contains(&r.max_session_duration) {
                return Err(cfg_err(
                    format!("roles[{i}].max_session_duration"),
                    "must be 3600 to 43200 seconds",
                ));
            }
            for t in &r.trusted_users {
                if !self.users.iter().any(|u| &u.name == t) {
                    return Err(cfg_err(
                        format!("roles[{i}].trusted_users"),
                        format!("names unknown user {t:?}"),
                    ));
                }
            }
            let arn = self.role_arn(r);
            if crate::sts::parse_role_arn(&arn).is_none() {
                return Err(cfg_err(
                    format!("roles[{i}].arn"),
                    "must look like acs:ram::<account>:role/<name>",
                ));
            }
        }
        for (i, b) in self.buckets.iter().enumerate() {
            if !is_valid_bucket_name(&b.name) {
                return Err(cfg_err(
                    format!("buckets[{i}].name"),
                    "must be 3-63 characters of a-z, 0-9 and '-', not starting or ending with '-'",
                ));
            }
            if b.region.is_empty()
                || !b
                    .region
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
            {
                return Err(cfg_err(
                    format!("buckets[{i}].region"),
                    "must be a region id such as cn-hangzhou",
                ));
            }
            if self.buckets[..i].iter().any(|o| o.name == b.name) {
                return Err(cfg_err(format!("buckets[{i}].name"), "must be unique"));
            }
        }
        Ok(())
    }
}

/// OSS bucket naming rule.
pub(crate) fn is_valid_bucket_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_config_is_valid_and_round_trips_through_json_except_secrets() {
        let cfg = EmulatorConfig::demo();
        cfg.validate().unwrap();
        assert_eq!(cfg.role_arn(&cfg.roles[0]), demo::ROLE_ARN);
        assert!(!format!("{:?}", cfg.root).contains(demo::ROOT_KEY_SECRET));
    }

    #[test]
    fn debug_output_never_shows_a_secret() {
        let text = format!("{:?}", EmulatorConfig::demo());
        for secret in [
            demo::ROOT_KEY_SECRET,
            demo::USER_KEY_SECRET,
            demo::ADMIN_KEY_SECRET,
        ] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.contains(demo::USER_KEY_ID));
    }

    #[test]
    fn role_duration_out_of_range_is_refused() {
        let mut cfg = EmulatorConfig::demo();
        cfg.roles[0].max_session_duration = 100;
        assert_eq!(
            cfg.validate().unwrap_err().field,
            "roles[0].max_session_duration"
        );
    }

    #[test]
    fn example_config_file_parses() {
        let text = include_str!("../config.example.json");
        let cfg = EmulatorConfig::from_json(text).unwrap();
        assert_eq!(cfg.account_id, demo::ACCOUNT_ID);
        // Its bucket allows the same browser pages as the demo configuration's.
        assert_eq!(cfg.buckets[0].cors, vec![demo::page_cors_rule()]);
    }
}
