//! Credentials from profile files: `~/.alibabacloud/credentials` (INI) and, in
//! [`super::cli_config`], the Alibaba Cloud CLI's `~/.aliyun/config.json`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::OnceCell;

use super::{AssumeRoleCredentialsProvider, EcsRamRoleCredentialsProvider};
use crate::credentials::{
    Clock, Credentials, CredentialsError, EnvironmentSource, ProvideCredentials,
    SharedCredentialsProvider, StaticCredentialsProvider,
};
use crate::sts::{AssumeRoleRequest, StsClientBuilder};

const PROVIDER: &str = "profile-file";
const FILE_VAR: &str = "ALIBABA_CLOUD_CREDENTIALS_FILE";
pub(crate) const PROFILE_VAR: &str = "ALIBABA_CLOUD_PROFILE";

/// What profile-based providers share: where to look, and how to build the providers a profile
/// names (an STS client template for role profiles, the ECS metadata endpoint, the clock).
#[derive(Clone, Debug)]
pub(crate) struct ProfileContext {
    pub(crate) env: EnvironmentSource,
    pub(crate) home_dir: Option<PathBuf>,
    pub(crate) sts: Option<StsClientBuilder>,
    pub(crate) ecs_endpoint: Option<String>,
    pub(crate) clock: Option<Clock>,
    pub(crate) http: Option<crate::http::HttpOptions>,
}

impl Default for ProfileContext {
    fn default() -> Self {
        Self {
            env: EnvironmentSource::process(),
            home_dir: None,
            sts: None,
            ecs_endpoint: None,
            clock: None,
            http: None,
        }
    }
}

/// The setters of a profile provider's builder (a struct with `ctx: ProfileContext`) that
/// fill its [`ProfileContext`]; the arguments document the STS template and the ECS endpoint.
macro_rules! profile_context_setters {
    ($sts_doc:literal, $ecs_doc:literal) => {
        /// Where variables are read from (default: the process environment).
        pub fn env(mut self, env: $crate::credentials::EnvironmentSource) -> Self {
            self.ctx.env = env;
            self
        }

        /// The home directory (default: `HOME`, else `USERPROFILE`).
        pub fn home_dir(mut self, home: impl Into<std::path::PathBuf>) -> Self {
            self.ctx.home_dir = Some(home.into());
            self
        }

        #[doc = $sts_doc]
        pub fn sts_client_builder(mut self, sts: $crate::sts::StsClientBuilder) -> Self {
            self.ctx.sts = Some(sts);
            self
        }

        #[doc = $ecs_doc]
        pub fn ecs_metadata_endpoint(mut self, endpoint: impl Into<String>) -> Self {
            self.ctx.ecs_endpoint = Some(endpoint.into());
            self
        }

        /// The clock of the refreshing providers a profile creates.
        pub fn clock(mut self, clock: $crate::credentials::Clock) -> Self {
            self.ctx.clock = Some(clock);
            self
        }

        /// The transport of the STS clients and ECS providers a profile creates (see
        /// [`HttpOptions`]($crate::http::HttpOptions)); replaces the one of the STS template.
        pub fn http_options(mut self, options: $crate::http::HttpOptions) -> Self {
            self.ctx.http = Some(options);
            self
        }
    };
}
pub(crate) use profile_context_setters;

/// The parameters of a "RAM role ARN" profile.
pub(crate) struct RoleProfile {
    pub(crate) source: Credentials,
    pub(crate) role_arn: String,
    pub(crate) session_name: Option<String>,
    pub(crate) duration_seconds: Option<u64>,
    pub(crate) policy: Option<String>,
    pub(crate) external_id: Option<String>,
    pub(crate) sts_region: Option<String>,
    pub(crate) vpc: bool,
}

impl ProfileContext {
    pub(crate) fn home(&self) -> Option<PathBuf> {
        self.home_dir
            .clone()
            .or_else(|| self.env.get("HOME").map(PathBuf::from))
            .or_else(|| self.env.get("USERPROFILE").map(PathBuf::from))
    }

    /// Finds and reads a profile file: `explicit` (a builder's path), else the path in
    /// `file_var`, else `<home>/<default_path>`. A missing file is "not configured" at the
    /// default location and a failure when named explicitly; `what` names the file in that
    /// failure. Answers the path and the text.
    pub(crate) async fn read_profile_file(
        &self,
        provider: &'static str,
        explicit: Option<&PathBuf>,
        file_var: &str,
        default_path: &[&str],
        what: &str,
    ) -> Result<(PathBuf, String), CredentialsError> {
        let (path, explicit) = match (explicit, self.env.get(file_var)) {
            (Some(p), _) => (p.clone(), true),
            (None, Some(p)) => (PathBuf::from(p), true),
            (None, None) => {
                let home = self.home().ok_or_else(|| {
                    CredentialsError::not_configured(
                        provider,
                        "no home directory (HOME is not set)",
                    )
                })?;
                (default_path.iter().fold(home, |p, c| p.join(c)), false)
            }
        };
        match read_optional(provider, &path).await? {
            Some(text) => Ok((path, text)),
            None if explicit => Err(CredentialsError::failed(
                provider,
                format!("the {what} {} does not exist", path.display()),
            )),
            None => Err(CredentialsError::not_configured(
                provider,
                format!("{} does not exist", path.display()),
            )),
        }
    }

    pub(crate) fn role_provider(
        &self,
        provider: &'static str,
        p: RoleProfile,
    ) -> Result<SharedCredentialsProvider, CredentialsError> {
        let fail = |e: crate::Error| CredentialsError::failed(provider, e.to_string());
        let mut request = AssumeRoleRequest::builder()
            .role_arn(p.role_arn)
            .role_session_name(p.session_name.unwrap_or_else(|| {
                format!(
                    "alioss-{}",
                    time::OffsetDateTime::now_utc().unix_timestamp()
                )
            }));
        if let Some(d) = p.duration_seconds {
            request = request.duration_seconds(d);
        }
        if let Some(policy) = p.policy {
            request = request.policy_json(policy);
        }
        if let Some(id) = p.external_id {
            request = request.external_id(id);
        }
        let request = request.build().map_err(fail)?;
        let mut sts = self.sts.clone().unwrap_or_default().env(&self.env);
        if let Some(region) = p.sts_region {
            sts = sts.region(region);
        }
        if p.vpc {
            sts = sts.internal(true);
        }
        if let Some(clock) = &self.clock {
            sts = sts.clock(clock.clone());
        }
        if let Some(http) = &self.http {
            sts = sts.http_options(http.clone());
        }
        let sts = sts.credentials(p.source).build().map_err(fail)?;
        Ok(Arc::new(AssumeRoleCredentialsProvider::new(sts, request)))
    }

    pub(crate) fn ecs_provider(
        &self,
        provider: &'static str,
        role_name: Option<String>,
    ) -> Result<SharedCredentialsProvider, CredentialsError> {
        let mut b = EcsRamRoleCredentialsProvider::builder();
        if let Some(r) = role_name {
            b = b.role_name(r);
        }
        if let Some(e) = &self.ecs_endpoint {
            b = b.endpoint(e.clone());
        }
        if let Some(c) = &self.clock {
            b = b.clock(c.clone());
        }
        if let Some(http) = &self.http {
            b = b.http_options(http.clone());
        }
        let p = b
            .build()
            .map_err(|e| CredentialsError::failed(provider, e.to_string()))?;
        Ok(Arc::new(p))
    }
}

/// The AccessKey (and optional security token) of profile `where_`.
pub(crate) fn access_key_credentials(
    provider: &'static str,
    where_: &str,
    access_key_id: String,
    access_key_secret: String,
    security_token: Option<String>,
) -> Result<Credentials, CredentialsError> {
    Credentials::builder()
        .access_key_id(access_key_id)
        .access_key_secret(access_key_secret)
        .maybe_security_token(security_token)
        .provider_name(provider)
        .build()
        .map_err(|e| CredentialsError::failed(provider, format!("{where_}: {e}")))
}

/// Reads `path`: Ok(None) when it does not exist.
pub(crate) async fn read_optional(
    provider: &'static str,
    path: &Path,
) -> Result<Option<String>, CredentialsError> {
    match tokio::fs::read_to_string(path).await {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CredentialsError::failed(
            provider,
            format!("cannot read {}: {e}", path.display()),
        )),
    }
}

/// Credentials from the INI file `~/.alibabacloud/credentials` (or `ALIBABA_CLOUD_CREDENTIALS_FILE`).
///
/// The profile (section) is the one given, else `ALIBABA_CLOUD_PROFILE`, else `default`. Its
/// `type` is one of:
///
/// * `access_key`: `access_key_id`, `access_key_secret`;
/// * `ram_role_arn`: those plus `role_arn`, optional `role_session_name`, `policy`,
///   `duration_seconds`, `external_id`, `sts_region` (AssumeRole, refreshed);
/// * `ecs_ram_role`: optional `role_name` (ECS metadata service).
///
/// No file (at the default location) or no such profile is "not configured"; a file named
/// explicitly that does not exist, a profile with an unknown type or missing keys is a failure.
/// The file is read once, on first use.
///
/// ```ini
/// [default]
/// type = access_key
/// access_key_id = example-id
/// access_key_secret = example-secret
/// ```
pub struct ProfileFileCredentialsProvider {
    path: Option<PathBuf>,
    profile: Option<String>,
    ctx: ProfileContext,
    resolved: OnceCell<Result<SharedCredentialsProvider, CredentialsError>>,
}

impl fmt::Debug for ProfileFileCredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfileFileCredentialsProvider")
            .field("path", &self.path)
            .field("profile", &self.profile)
            .field("resolved", &self.resolved.get())
            .finish_non_exhaustive()
    }
}

/// Builder for [`ProfileFileCredentialsProvider`].
#[derive(Debug, Clone, Default)]
pub struct ProfileFileCredentialsProviderBuilder {
    path: Option<PathBuf>,
    profile: Option<String>,
    ctx: ProfileContext,
}

impl ProfileFileCredentialsProviderBuilder {
    /// The file to read (default: `ALIBABA_CLOUD_CREDENTIALS_FILE`, else
    /// `<home>/.alibabacloud/credentials`).
    pub fn path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// The profile to use (default: `ALIBABA_CLOUD_PROFILE`, else `default`).
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }

    profile_context_setters!(
        "The template for STS clients of `ram_role_arn` profiles (e.g. an emulator endpoint).",
        "The ECS metadata endpoint for `ecs_ram_role` profiles."
    );

    /// Builds the provider (the file is read on first use).
    pub fn build(self) -> ProfileFileCredentialsProvider {
        ProfileFileCredentialsProvider {
            path: self.path,
            profile: self.profile,
            ctx: self.ctx,
            resolved: OnceCell::new(),
        }
    }
}

impl ProfileFileCredentialsProvider {
    /// Starts a builder.
    pub fn builder() -> ProfileFileCredentialsProviderBuilder {
        ProfileFileCredentialsProviderBuilder::default()
    }

    async fn resolve(&self) -> Result<SharedCredentialsProvider, CredentialsError> {
        let (path, text) = self
            .ctx
            .read_profile_file(
                PROVIDER,
                self.path.as_ref(),
                FILE_VAR,
                &[".alibabacloud", "credentials"],
                "credentials file",
            )
            .await?;
        let ini = ini::Ini::load_from_str(&text).map_err(|e| {
            CredentialsError::failed(
                PROVIDER,
                format!("{} is not a valid INI file: {e}", path.display()),
            )
        })?;
        let profile = self
            .profile
            .clone()
            .or_else(|| self.ctx.env.get(PROFILE_VAR))
            .unwrap_or_else(|| "default".to_owned());
        let section = ini.section(Some(profile.as_str())).ok_or_else(|| {
            CredentialsError::not_configured(
                PROVIDER,
                format!("{} has no profile [{profile}]", path.display()),
            )
        })?;
        let where_ = format!("profile [{profile}] of {}", path.display());
        let get = |k: &str| {
            section
                .get(k)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let need = |k: &str| {
            get(k).ok_or_else(|| CredentialsError::failed(PROVIDER, format!("{where_} lacks {k}")))
        };
        if get("enable").is_some_and(|v| v.eq_ignore_ascii_case("false")) {
            return Err(CredentialsError::not_configured(
                PROVIDER,
                format!("{where_} has enable = false"),
            ));
        }
        let kind = need("type")?;
        let access_key = || {
            access_key_credentials(
                PROVIDER,
                &where_,
                need("access_key_id")?,
                need("access_key_secret")?,
                None,
            )
        };
        tracing::debug!(profile = %profile, kind = %kind, path = %path.display(), "profile found");
        match kind.as_str() {
            "access_key" => Ok(Arc::new(StaticCredentialsProvider::new(access_key()?))),
            "ram_role_arn" => {
                let duration_seconds = match get("duration_seconds") {
                    Some(d) => Some(d.parse::<u64>().map_err(|_| {
                        CredentialsError::failed(PROVIDER, format!("{where_}: duration_seconds must be a number of seconds"))
                    })?),
                    None => None,
                };
                self.ctx.role_provider(
                    PROVIDER,
                    RoleProfile {
                        source: access_key()?,
                        role_arn: need("role_arn")?,
                        session_name: get("role_session_name"),
                        duration_seconds,
                        policy: get("policy"),
                        external_id: get("external_id"),
                        sts_region: get("sts_region"),
                        vpc: get("enable_vpc").is_some_and(|v| v.eq_ignore_ascii_case("true")),
                    },
                )
            }
            "ecs_ram_role" => self.ctx.ecs_provider(PROVIDER, get("role_name")),
            other => Err(CredentialsError::failed(
                PROVIDER,
                format!("{where_} has type {other:?}; supported: access_key, ram_role_arn, ecs_ram_role"),
            )),
        }
    }
}

#[async_trait::async_trait]
impl ProvideCredentials for ProfileFileCredentialsProvider {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        let provider = self.resolved.get_or_init(|| self.resolve()).await.clone()?;
        provider.provide_credentials().await
    }
}
