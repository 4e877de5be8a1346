//! Credentials from the Alibaba Cloud CLI's configuration, `~/.aliyun/config.json`.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;
use tokio::sync::OnceCell;

use super::profile::{
    access_key_credentials, profile_context_setters, ProfileContext, RoleProfile, PROFILE_VAR,
};
use crate::credentials::{
    Credentials, CredentialsError, ProvideCredentials, SharedCredentialsProvider,
    StaticCredentialsProvider,
};

const PROVIDER: &str = "cli-profile";
const FILE_VAR: &str = "ALIBABA_CLOUD_CONFIG_FILE";
const DISABLED_VAR: &str = "ALIBABA_CLOUD_CLI_PROFILE_DISABLED";

#[derive(Deserialize)]
struct ConfigFile {
    #[serde(default)]
    current: Option<String>,
    #[serde(default)]
    profiles: Vec<CliProfile>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CliProfile {
    name: String,
    mode: String,
    access_key_id: String,
    access_key_secret: String,
    sts_token: String,
    ram_role_arn: String,
    ram_session_name: String,
    expired_seconds: u64,
    sts_region: String,
    enable_vpc: bool,
    ram_role_name: String,
    policy: String,
    external_id: String,
}

fn non_empty(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Credentials from a profile of the Alibaba Cloud CLI's `config.json` (at
/// `ALIBABA_CLOUD_CONFIG_FILE`, else `<home>/.aliyun/config.json`).
///
/// The profile is the one given, else `ALIBABA_CLOUD_PROFILE`, else the file's `current`.
/// Supported modes: `AK` (`access_key_id`, `access_key_secret`), `StsToken` (plus `sts_token`),
/// `RamRoleArn` (plus `ram_role_arn`, `ram_session_name`, `expired_seconds`, `sts_region`,
/// `enable_vpc`, `policy`, `external_id`: AssumeRole, refreshed) and `EcsRamRole`
/// (`ram_role_name`). Disabled ("not configured") by `ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true`.
/// No file or no such profile is "not configured"; an unsupported mode or missing field is a
/// failure. The file is read once, on first use.
pub struct CliConfigCredentialsProvider {
    path: Option<PathBuf>,
    profile: Option<String>,
    ctx: ProfileContext,
    resolved: OnceCell<Result<SharedCredentialsProvider, CredentialsError>>,
}

impl fmt::Debug for CliConfigCredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CliConfigCredentialsProvider")
            .field("path", &self.path)
            .field("profile", &self.profile)
            .field("resolved", &self.resolved.get())
            .finish_non_exhaustive()
    }
}

/// Builder for [`CliConfigCredentialsProvider`].
#[derive(Debug, Clone, Default)]
pub struct CliConfigCredentialsProviderBuilder {
    path: Option<PathBuf>,
    profile: Option<String>,
    ctx: ProfileContext,
}

impl CliConfigCredentialsProviderBuilder {
    /// The file to read.
    pub fn path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// The profile to use.
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }

    profile_context_setters!(
        "The template for STS clients of `RamRoleArn` profiles.",
        "The ECS metadata endpoint for `EcsRamRole` profiles."
    );

    /// Builds the provider (the file is read on first use).
    pub fn build(self) -> CliConfigCredentialsProvider {
        CliConfigCredentialsProvider {
            path: self.path,
            profile: self.profile,
            ctx: self.ctx,
            resolved: OnceCell::new(),
        }
    }
}

impl CliConfigCredentialsProvider {
    /// Starts a builder.
    pub fn builder() -> CliConfigCredentialsProviderBuilder {
        CliConfigCredentialsProviderBuilder::default()
    }

    async fn resolve(&self) -> Result<SharedCredentialsProvider, CredentialsError> {
        if self
            .ctx
            .env
            .get(DISABLED_VAR)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            return Err(CredentialsError::not_configured(
                PROVIDER,
                format!("disabled by {DISABLED_VAR}=true"),
            ));
        }
        let (path, text) = self
            .ctx
            .read_profile_file(
                PROVIDER,
                self.path.as_ref(),
                FILE_VAR,
                &[".aliyun", "config.json"],
                "CLI config file",
            )
            .await?;
        let config: ConfigFile = serde_json::from_str(&text).map_err(|e| {
            CredentialsError::failed(
                PROVIDER,
                format!("{} is not a valid CLI config: {e}", path.display()),
            )
        })?;
        let name = self
            .profile
            .clone()
            .or_else(|| self.ctx.env.get(PROFILE_VAR))
            .or(config.current)
            .unwrap_or_else(|| "default".to_owned());
        let p = config
            .profiles
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| {
                CredentialsError::not_configured(
                    PROVIDER,
                    format!("{} has no profile {name:?}", path.display()),
                )
            })?;
        let where_ = format!("profile {name:?} of {}", path.display());
        let need = |v: &str, k: &str| {
            non_empty(v)
                .ok_or_else(|| CredentialsError::failed(PROVIDER, format!("{where_} lacks {k}")))
        };
        tracing::debug!(profile = %name, mode = %p.mode, path = %path.display(), "CLI profile found");
        let access_key = |token: Option<String>| {
            access_key_credentials(
                PROVIDER,
                &where_,
                need(&p.access_key_id, "access_key_id")?,
                need(&p.access_key_secret, "access_key_secret")?,
                token,
            )
        };
        match p.mode.as_str() {
            "AK" => Ok(Arc::new(StaticCredentialsProvider::new(access_key(None)?))),
            "StsToken" => {
                let token = need(&p.sts_token, "sts_token")?;
                Ok(Arc::new(StaticCredentialsProvider::new(access_key(Some(
                    token,
                ))?)))
            }
            "RamRoleArn" => self.ctx.role_provider(
                PROVIDER,
                RoleProfile {
                    source: access_key(non_empty(&p.sts_token))?,
                    role_arn: need(&p.ram_role_arn, "ram_role_arn")?,
                    session_name: non_empty(&p.ram_session_name),
                    duration_seconds: Some(p.expired_seconds).filter(|s| *s > 0),
                    policy: non_empty(&p.policy),
                    external_id: non_empty(&p.external_id),
                    sts_region: non_empty(&p.sts_region),
                    vpc: p.enable_vpc,
                },
            ),
            "EcsRamRole" => self.ctx.ecs_provider(PROVIDER, non_empty(&p.ram_role_name)),
            other => Err(CredentialsError::failed(
                PROVIDER,
                format!(
                    "{where_} has mode {other:?}; supported: AK, StsToken, RamRoleArn, EcsRamRole"
                ),
            )),
        }
    }
}

#[async_trait::async_trait]
impl ProvideCredentials for CliConfigCredentialsProvider {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        let provider = self.resolved.get_or_init(|| self.resolve()).await.clone()?;
        provider.provide_credentials().await
    }
}
