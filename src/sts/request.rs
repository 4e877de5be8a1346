//! `AssumeRole` and `AssumeRoleWithOIDC` requests, validated before any network call.

use std::fmt;
use std::time::Duration;

use crate::Error;

/// The shortest session STS grants, in seconds.
pub const MIN_DURATION_SECONDS: u64 = 900;
/// The longest session STS can grant (a role's maximum session duration is at most this), in seconds.
pub const MAX_DURATION_SECONDS: u64 = 43_200;
/// The session duration used when none is given, in seconds (also the default maximum of a role).
pub const DEFAULT_DURATION_SECONDS: u64 = 3_600;
/// The longest session policy STS accepts, in characters.
pub const MAX_POLICY_CHARS: usize = 2_048;

/// A validated `AssumeRole` request: which role, under which session name, for how long, and
/// optionally narrowed by a session policy.
///
/// Built with [`AssumeRoleRequest::builder`]; every rule is checked by
/// [`AssumeRoleRequestBuilder::build`], so a request that exists is one STS's parameter checks
/// accept (whether the caller may assume the role is for STS to say).
///
/// ```
/// use std::time::Duration;
/// use alioss::sts::AssumeRoleRequest;
///
/// use alioss::policy::{oss_object, Policy};
///
/// let policy = Policy::builder()
///     .allow(["oss:PutObject"], [oss_object("examplebucket", "src/*")])
///     .build()
///     .unwrap();
/// let request = AssumeRoleRequest::builder()
///     .role_arn("acs:ram::1234567890123456:role/ramosstest")
///     .role_session_name("supplier-42")
///     .duration(Duration::from_secs(900))
///     .policy(&policy)
///     .build()
///     .unwrap();
/// assert_eq!(request.duration_seconds(), 900);
/// assert!(request.policy().unwrap().contains("examplebucket/src/*"));
///
/// let err = AssumeRoleRequest::builder()
///     .role_arn("acs:ram::1234567890123456:role/ramosstest")
///     .role_session_name("x")
///     .build()
///     .unwrap_err();
/// assert_eq!(err.as_invalid_input().unwrap().field(), "RoleSessionName");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AssumeRoleRequest {
    role_arn: String,
    role_session_name: String,
    duration_seconds: u64,
    policy: Option<String>,
    external_id: Option<String>,
}

impl fmt::Debug for AssumeRoleRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssumeRoleRequest")
            .field("role_arn", &self.role_arn)
            .field("role_session_name", &self.role_session_name)
            .field("duration_seconds", &self.duration_seconds)
            .field("policy", &self.policy)
            .field(
                "external_id",
                &self.external_id.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

impl AsRef<AssumeRoleRequest> for AssumeRoleRequest {
    fn as_ref(&self) -> &AssumeRoleRequest {
        self
    }
}

impl AssumeRoleRequest {
    /// Starts a builder.
    pub fn builder() -> AssumeRoleRequestBuilder {
        AssumeRoleRequestBuilder::default()
    }

    /// The role's ARN, `acs:ram::<account-id>:role/<role-name>`.
    pub fn role_arn(&self) -> &str {
        &self.role_arn
    }

    /// The session name that tells these credentials apart from others of the same role.
    pub fn role_session_name(&self) -> &str {
        &self.role_session_name
    }

    /// How long the credentials last, in seconds.
    pub fn duration_seconds(&self) -> u64 {
        self.duration_seconds
    }

    /// The session policy JSON, if the role's rights are narrowed.
    pub fn policy(&self) -> Option<&str> {
        self.policy.as_deref()
    }

    /// The external id, if the role's trust policy asks for one.
    pub fn external_id(&self) -> Option<&str> {
        self.external_id.as_deref()
    }

    /// The action parameters (`RoleArn`, `RoleSessionName`, `DurationSeconds`, `Policy`,
    /// `ExternalId`), in that order.
    pub(crate) fn action_params(&self) -> Vec<(String, String)> {
        let mut p = vec![
            ("RoleArn".to_owned(), self.role_arn.clone()),
            ("RoleSessionName".to_owned(), self.role_session_name.clone()),
            (
                "DurationSeconds".to_owned(),
                self.duration_seconds.to_string(),
            ),
        ];
        if let Some(policy) = &self.policy {
            p.push(("Policy".to_owned(), policy.clone()));
        }
        if let Some(id) = &self.external_id {
            p.push(("ExternalId".to_owned(), id.clone()));
        }
        p
    }
}

/// Builder for [`AssumeRoleRequest`]; see there.
#[derive(Debug, Clone, Default)]
pub struct AssumeRoleRequestBuilder {
    role_arn: Option<String>,
    role_session_name: Option<String>,
    duration: Option<Duration>,
    policy: Option<String>,
    external_id: Option<String>,
}

impl AssumeRoleRequestBuilder {
    /// The role to assume, `acs:ram::<account-id>:role/<role-name>` (required).
    pub fn role_arn(mut self, arn: impl Into<String>) -> Self {
        self.role_arn = Some(arn.into());
        self
    }

    /// A label for this session: 2–64 characters of `A-Z a-z 0-9 . @ _ -` (required).
    pub fn role_session_name(mut self, name: impl Into<String>) -> Self {
        self.role_session_name = Some(name.into());
        self
    }

    /// How long the credentials last: whole seconds, 900–43200 and at most the role's maximum
    /// session duration (3600 unless raised on the role). Defaults to 3600 s.
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = Some(duration);
        self
    }

    /// [`duration`](Self::duration) in seconds.
    pub fn duration_seconds(mut self, seconds: u64) -> Self {
        self.duration = Some(Duration::from_secs(seconds));
        self
    }

    /// Narrows the role's rights with a session policy built with [`crate::policy`]
    /// (owned or borrowed); its compact JSON must be 1–2048 characters.
    pub fn policy(mut self, policy: impl std::borrow::Borrow<crate::policy::Policy>) -> Self {
        self.policy = Some(policy.borrow().to_json());
        self
    }

    /// Narrows the role's rights with a session policy given as JSON (1–2048 characters).
    /// [`build`](Self::build) parses it with [`Policy::from_json`](crate::policy::Policy::from_json)
    /// and refuses unknown condition operators, as STS and the emulator do.
    pub fn policy_json(mut self, json: impl Into<String>) -> Self {
        self.policy = Some(json.into());
        self
    }

    /// The external id the role's trust policy requires (2–1224 characters of
    /// `A-Z a-z 0-9 _ + = , . @ : / -`).
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into());
        self
    }

    /// Checks every rule and builds the request; the error names the field and the rule broken.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the parameter and the rule: RoleArn, RoleSessionName
    /// (2–64 characters of `A-Z a-z 0-9 . @ _ -`), DurationSeconds (900–43200), the session
    /// policy (grammar and length).
    pub fn build(self) -> Result<AssumeRoleRequest, Error> {
        let role_arn = validate_role_arn("RoleArn", self.role_arn)?;
        let role_session_name = validate_session_name(self.role_session_name)?;
        let duration_seconds = validate_duration(self.duration)?;
        let policy = self.policy.map(validate_policy).transpose()?;
        let external_id = self.external_id.map(validate_external_id).transpose()?;
        Ok(AssumeRoleRequest {
            role_arn,
            role_session_name,
            duration_seconds,
            policy,
            external_id,
        })
    }
}

/// A validated `AssumeRoleWithOIDC` request: trade an OIDC token (e.g. a Kubernetes service
/// account token) for credentials of a role. The call is not signed: the token is the proof.
#[derive(Clone, PartialEq, Eq)]
pub struct AssumeRoleWithOidcRequest {
    role_arn: String,
    oidc_provider_arn: String,
    oidc_token: zeroize::Zeroizing<String>,
    role_session_name: String,
    duration_seconds: u64,
    policy: Option<String>,
}

impl fmt::Debug for AssumeRoleWithOidcRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssumeRoleWithOidcRequest")
            .field("role_arn", &self.role_arn)
            .field("oidc_provider_arn", &self.oidc_provider_arn)
            .field("oidc_token", &"** redacted **")
            .field("role_session_name", &self.role_session_name)
            .field("duration_seconds", &self.duration_seconds)
            .field("policy", &self.policy)
            .finish()
    }
}

impl AsRef<AssumeRoleWithOidcRequest> for AssumeRoleWithOidcRequest {
    fn as_ref(&self) -> &AssumeRoleWithOidcRequest {
        self
    }
}

impl AssumeRoleWithOidcRequest {
    /// Starts a builder.
    pub fn builder() -> AssumeRoleWithOidcRequestBuilder {
        AssumeRoleWithOidcRequestBuilder::default()
    }

    /// The role's ARN.
    pub fn role_arn(&self) -> &str {
        &self.role_arn
    }

    /// The OIDC identity provider's ARN, `acs:ram::<account-id>:oidc-provider/<name>`.
    pub fn oidc_provider_arn(&self) -> &str {
        &self.oidc_provider_arn
    }

    /// The session name.
    pub fn role_session_name(&self) -> &str {
        &self.role_session_name
    }

    /// How long the credentials last, in seconds.
    pub fn duration_seconds(&self) -> u64 {
        self.duration_seconds
    }

    pub(crate) fn action_params(&self) -> Vec<(String, String)> {
        let mut p = vec![
            ("RoleArn".to_owned(), self.role_arn.clone()),
            ("OIDCProviderArn".to_owned(), self.oidc_provider_arn.clone()),
            ("OIDCToken".to_owned(), self.oidc_token.to_string()),
            ("RoleSessionName".to_owned(), self.role_session_name.clone()),
            (
                "DurationSeconds".to_owned(),
                self.duration_seconds.to_string(),
            ),
        ];
        if let Some(policy) = &self.policy {
            p.push(("Policy".to_owned(), policy.clone()));
        }
        p
    }

    pub(crate) fn oidc_token(&self) -> &str {
        &self.oidc_token
    }
}

/// Builder for [`AssumeRoleWithOidcRequest`]. Its `Debug` redacts the token.
#[derive(Clone, Default)]
pub struct AssumeRoleWithOidcRequestBuilder {
    role_arn: Option<String>,
    oidc_provider_arn: Option<String>,
    oidc_token: Option<zeroize::Zeroizing<String>>,
    role_session_name: Option<String>,
    duration: Option<Duration>,
    policy: Option<String>,
}

impl fmt::Debug for AssumeRoleWithOidcRequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssumeRoleWithOidcRequestBuilder")
            .field("role_arn", &self.role_arn)
            .field("oidc_provider_arn", &self.oidc_provider_arn)
            .field("oidc_token", &"** redacted **")
            .field("role_session_name", &self.role_session_name)
            .finish_non_exhaustive()
    }
}

impl AssumeRoleWithOidcRequestBuilder {
    /// The role to assume (required).
    pub fn role_arn(mut self, arn: impl Into<String>) -> Self {
        self.role_arn = Some(arn.into());
        self
    }

    /// The OIDC provider's ARN (required).
    pub fn oidc_provider_arn(mut self, arn: impl Into<String>) -> Self {
        self.oidc_provider_arn = Some(arn.into());
        self
    }

    /// The OIDC token (required; never printed).
    pub fn oidc_token(mut self, token: impl Into<String>) -> Self {
        self.oidc_token = Some(zeroize::Zeroizing::new(token.into()));
        self
    }

    /// The session name (required; same rules as for `AssumeRole`).
    pub fn role_session_name(mut self, name: impl Into<String>) -> Self {
        self.role_session_name = Some(name.into());
        self
    }

    /// The session duration (900–43200 s, default 3600 s).
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = Some(duration);
        self
    }

    /// A session policy as JSON (1–2048 characters), checked in `build` with the crate's own
    /// policy parser (unknown condition operators refused).
    pub fn policy_json(mut self, json: impl Into<String>) -> Self {
        self.policy = Some(json.into());
        self
    }

    /// Checks every rule and builds the request.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the parameter and the rule (RoleArn, OIDC provider ARN,
    /// token, session name, duration, policy).
    pub fn build(self) -> Result<AssumeRoleWithOidcRequest, Error> {
        let role_arn = validate_role_arn("RoleArn", self.role_arn)?;
        let oidc_provider_arn = validate_oidc_provider_arn(self.oidc_provider_arn)?;
        let oidc_token = match self.oidc_token {
            Some(t) if !t.trim().is_empty() => t,
            _ => {
                return Err(Error::invalid(
                    "OIDCToken",
                    "is required and must not be empty",
                ))
            }
        };
        let role_session_name = validate_session_name(self.role_session_name)?;
        let duration_seconds = validate_duration(self.duration)?;
        let policy = self.policy.map(validate_policy).transpose()?;
        Ok(AssumeRoleWithOidcRequest {
            role_arn,
            oidc_provider_arn,
            oidc_token,
            role_session_name,
            duration_seconds,
            policy,
        })
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '_' | '-')
}

/// `acs:ram::<digits>:<kind>/<name>` → Ok(()) or the rule broken.
fn check_ram_arn(arn: &str, kind: &str) -> Result<(), String> {
    let shape = format!("must look like acs:ram::<account-id>:{kind}/<name>");
    let rest = arn
        .strip_prefix("acs:ram::")
        .ok_or_else(|| format!("{shape} (it must start with \"acs:ram::\")"))?;
    let (account, rest) = rest
        .split_once(':')
        .ok_or_else(|| format!("{shape} (no ':' after the account id)"))?;
    if account.is_empty() || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{shape}: the account id must be digits only"));
    }
    let name = rest
        .strip_prefix(kind)
        .and_then(|r| r.strip_prefix('/'))
        .ok_or_else(|| format!("{shape}: expected \"{kind}/\" after the account id"))?;
    if name.is_empty() || name.len() > 64 || !name.chars().all(is_name_char) {
        return Err(format!(
            "{shape}: the {kind} name must be 1-64 characters of A-Z a-z 0-9 . @ _ -"
        ));
    }
    Ok(())
}

/// A required RAM ARN of `kind` in `field`; `shape` is how it looks, for the "required" error.
fn validate_ram_arn(
    field: &'static str,
    arn: Option<String>,
    kind: &str,
    shape: &str,
) -> Result<String, Error> {
    let arn = arn
        .filter(|a| !a.trim().is_empty())
        .ok_or_else(|| Error::invalid(field, format!("is required ({shape})")))?;
    check_ram_arn(&arn, kind).map_err(|rule| Error::invalid(field, rule))?;
    Ok(arn)
}

pub(crate) fn validate_role_arn(field: &'static str, arn: Option<String>) -> Result<String, Error> {
    validate_ram_arn(field, arn, "role", "acs:ram::<account-id>:role/<role-name>")
}

fn validate_oidc_provider_arn(arn: Option<String>) -> Result<String, Error> {
    validate_ram_arn(
        "OIDCProviderArn",
        arn,
        "oidc-provider",
        "acs:ram::<account-id>:oidc-provider/<name>",
    )
}

pub(crate) fn validate_session_name(name: Option<String>) -> Result<String, Error> {
    const FIELD: &str = "RoleSessionName";
    let name = name.ok_or_else(|| {
        Error::invalid(
            FIELD,
            "is required (2-64 characters of A-Z a-z 0-9 . @ _ -)",
        )
    })?;
    let len = name.chars().count();
    if !(2..=64).contains(&len) {
        return Err(Error::invalid(
            FIELD,
            format!("must be 2-64 characters long, got {len}"),
        ));
    }
    if let Some(bad) = name.chars().find(|c| !is_name_char(*c)) {
        return Err(Error::invalid(
            FIELD,
            format!("may only contain A-Z a-z 0-9 . @ _ -, found {bad:?}"),
        ));
    }
    Ok(name)
}

pub(crate) fn validate_duration(duration: Option<Duration>) -> Result<u64, Error> {
    const FIELD: &str = "DurationSeconds";
    let Some(d) = duration else {
        return Ok(DEFAULT_DURATION_SECONDS);
    };
    if d.subsec_nanos() != 0 {
        return Err(Error::invalid(FIELD, "must be a whole number of seconds"));
    }
    let s = d.as_secs();
    if !(MIN_DURATION_SECONDS..=MAX_DURATION_SECONDS).contains(&s) {
        return Err(Error::invalid(
            FIELD,
            format!(
                "must be between {MIN_DURATION_SECONDS} and {MAX_DURATION_SECONDS} seconds \
                 (and at most the role's maximum session duration, 3600 by default), got {s}"
            ),
        ));
    }
    Ok(s)
}

pub(crate) fn validate_policy(json: String) -> Result<String, Error> {
    const FIELD: &str = "Policy";
    let len = json.chars().count();
    if len == 0 {
        return Err(Error::invalid(
            FIELD,
            "must not be empty (1-2048 characters)",
        ));
    }
    if len > MAX_POLICY_CHARS {
        return Err(Error::invalid(
            FIELD,
            format!("must be at most {MAX_POLICY_CHARS} characters, got {len}"),
        ));
    }
    // The crate's own parser, strictly (unknown condition operators refused): the grammar STS
    // and the emulator enforce, checked before the network.
    let policy = crate::policy::Policy::from_json(&json)
        .map_err(|e| Error::invalid(FIELD, e.to_string()))?;
    policy
        .check_known_operators()
        .map_err(|e| Error::invalid(FIELD, e.to_string()))?;
    Ok(json)
}

fn validate_external_id(id: String) -> Result<String, Error> {
    const FIELD: &str = "ExternalId";
    let len = id.chars().count();
    if !(2..=1224).contains(&len) {
        return Err(Error::invalid(
            FIELD,
            format!("must be 2-1224 characters long, got {len}"),
        ));
    }
    if let Some(bad) = id.chars().find(|c| {
        !(c.is_ascii_alphanumeric()
            || matches!(c, '_' | '+' | '=' | ',' | '.' | '@' | ':' | '/' | '-'))
    }) {
        return Err(Error::invalid(
            FIELD,
            format!("may only contain A-Z a-z 0-9 _ + = , . @ : / -, found {bad:?}"),
        ));
    }
    Ok(id)
}
