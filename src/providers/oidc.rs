//! Credentials from an OIDC token (e.g. a Kubernetes service account's, RRSA), through STS
//! `AssumeRoleWithOIDC`.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::document::credentials_error;
use crate::credentials::{
    Clock, Credentials, CredentialsError, EnvironmentSource, ProvideCredentials,
};
use crate::credentials::{FetchCredentials, RefreshingCredentialsProvider};
use crate::http::HttpOptions;
use crate::sts::{
    AssumeRoleWithOidcRequest, AssumeRoleWithOidcRequestBuilder, StsClient, StsClientBuilder,
    OIDC_PROVIDER,
};

const PROVIDER: &str = "oidc-role-arn";
const ROLE_ARN_VAR: &str = "ALIBABA_CLOUD_ROLE_ARN";
const PROVIDER_ARN_VAR: &str = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN";
const TOKEN_FILE_VAR: &str = "ALIBABA_CLOUD_OIDC_TOKEN_FILE";
const SESSION_NAME_VAR: &str = "ALIBABA_CLOUD_ROLE_SESSION_NAME";

/// Temporary credentials of a role, obtained by trading the OIDC token read from a file for
/// them (`AssumeRoleWithOIDC`, unsigned). The token file is read again for every refresh
/// (Kubernetes rotates it). Cached by a [`RefreshingCredentialsProvider`].
#[derive(Clone)]
pub struct OidcCredentialsProvider {
    role_arn: String,
    token_file: PathBuf,
    cache: RefreshingCredentialsProvider,
}

impl fmt::Debug for OidcCredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcCredentialsProvider")
            .field("role_arn", &self.role_arn)
            .field("token_file", &self.token_file)
            .field("cache", &self.cache)
            .finish()
    }
}

/// Builder for [`OidcCredentialsProvider`].
#[derive(Debug, Clone, Default)]
pub struct OidcCredentialsProviderBuilder {
    role_arn: Option<String>,
    oidc_provider_arn: Option<String>,
    token_file: Option<PathBuf>,
    role_session_name: Option<String>,
    duration: Option<Duration>,
    policy: Option<String>,
    sts: Option<StsClient>,
    sts_template: Option<StsClientBuilder>,
    http: Option<HttpOptions>,
    clock: Option<Clock>,
}

/// Reads the token file, refusing one past
/// [`MAX_CREDENTIALS_BODY`](crate::limits::MAX_CREDENTIALS_BODY) bytes.
async fn read_token_file(path: &std::path::Path) -> std::io::Result<String> {
    use tokio::io::AsyncReadExt as _;
    let limit = crate::limits::MAX_CREDENTIALS_BODY;
    let file = tokio::fs::File::open(path).await?;
    let mut buf = Vec::new();
    file.take(limit as u64 + 1).read_to_end(&mut buf).await?;
    if buf.len() > limit {
        return Err(std::io::Error::other(format!(
            "larger than its limit of {limit} bytes (see alioss::limits)"
        )));
    }
    String::from_utf8(buf).map_err(|_| std::io::Error::other("not UTF-8"))
}

struct OidcFetcher {
    sts: StsClient,
    /// Everything but the token, which is read anew for every request.
    template: AssumeRoleWithOidcRequestBuilder,
    token_file: PathBuf,
}

#[async_trait::async_trait]
impl FetchCredentials for OidcFetcher {
    async fn fetch_credentials(&self) -> Result<Credentials, CredentialsError> {
        let token = read_token_file(&self.token_file).await.map_err(|e| {
            CredentialsError::failed(
                PROVIDER,
                format!(
                    "cannot read the OIDC token file {}: {e}",
                    self.token_file.display()
                ),
            )
        })?;
        let request = self
            .template
            .clone()
            .oidc_token(token.trim().to_owned())
            .build()
            .map_err(|e| CredentialsError::failed(PROVIDER, e.to_string()))?;
        self.sts
            .assume_role_with_oidc(&request)
            .await
            .map(|out| out.credentials)
            .map_err(|e| credentials_error(OIDC_PROVIDER, e))
    }
}

impl OidcCredentialsProviderBuilder {
    /// The role to assume.
    pub fn role_arn(mut self, arn: impl Into<String>) -> Self {
        self.role_arn = Some(arn.into());
        self
    }

    /// The OIDC provider's ARN.
    pub fn oidc_provider_arn(mut self, arn: impl Into<String>) -> Self {
        self.oidc_provider_arn = Some(arn.into());
        self
    }

    /// The file holding the OIDC token.
    pub fn token_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.token_file = Some(path.into());
        self
    }

    /// The session name (default `alioss-oidc-<unix time>`).
    pub fn role_session_name(mut self, name: impl Into<String>) -> Self {
        self.role_session_name = Some(name.into());
        self
    }

    /// The session duration (default 3600 s).
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = Some(duration);
        self
    }

    /// A session policy as JSON.
    pub fn policy_json(mut self, json: impl Into<String>) -> Self {
        self.policy = Some(json.into());
        self
    }

    /// The STS client to call (default: built from the environment given to
    /// [`env`](Self::env), else the global endpoint).
    pub fn sts_client(mut self, sts: StsClient) -> Self {
        self.sts = Some(sts);
        self
    }

    /// The transport of the STS client this provider builds when none is given with
    /// [`sts_client`](Self::sts_client) (see [`HttpOptions`]).
    pub fn http_options(mut self, options: HttpOptions) -> Self {
        self.http = Some(options);
        self
    }

    /// The clock that decides expiry (default: the STS client's).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Fills what is not set yet from `ALIBABA_CLOUD_ROLE_ARN`, `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`,
    /// `ALIBABA_CLOUD_OIDC_TOKEN_FILE`, `ALIBABA_CLOUD_ROLE_SESSION_NAME` and (for the STS
    /// endpoint) `ALIBABA_CLOUD_STS_REGION` / `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED`.
    pub fn env(mut self, env: &EnvironmentSource) -> Self {
        self.role_arn = self.role_arn.or_else(|| env.get(ROLE_ARN_VAR));
        self.oidc_provider_arn = self.oidc_provider_arn.or_else(|| env.get(PROVIDER_ARN_VAR));
        self.token_file = self
            .token_file
            .or_else(|| env.get(TOKEN_FILE_VAR).map(PathBuf::from));
        self.role_session_name = self.role_session_name.or_else(|| env.get(SESSION_NAME_VAR));
        if self.sts_template.is_none() {
            self.sts_template = Some(StsClient::builder().env(env));
        }
        self
    }

    /// Builds the provider. [`CredentialsError::NotConfigured`] when none of role ARN, provider
    /// ARN and token file is set; a failure naming what is missing or wrong otherwise.
    ///
    /// # Errors
    ///
    /// [`CredentialsError`](crate::credentials::CredentialsError) naming the setting that is
    /// missing or invalid.
    pub fn build(self) -> Result<OidcCredentialsProvider, CredentialsError> {
        let (role_arn, oidc_provider_arn, token_file) =
            match (self.role_arn, self.oidc_provider_arn, self.token_file) {
                (None, None, None) => {
                    return Err(CredentialsError::not_configured(
                        PROVIDER,
                        format!(
                            "{ROLE_ARN_VAR}, {PROVIDER_ARN_VAR} and {TOKEN_FILE_VAR} are not set"
                        ),
                    ))
                }
                (Some(r), Some(p), Some(t)) => (r, p, t),
                (r, p, t) => {
                    let missing: Vec<&str> = [
                        (r.is_none(), ROLE_ARN_VAR),
                        (p.is_none(), PROVIDER_ARN_VAR),
                        (t.is_none(), TOKEN_FILE_VAR),
                    ]
                    .into_iter()
                    .filter_map(|(m, n)| m.then_some(n))
                    .collect();
                    return Err(CredentialsError::failed(
                        PROVIDER,
                        format!("OIDC is half configured: {} not set", missing.join(", ")),
                    ));
                }
            };
        let role_session_name = self.role_session_name.unwrap_or_else(|| {
            format!(
                "alioss-oidc-{}",
                time::OffsetDateTime::now_utc().unix_timestamp()
            )
        });
        let mut template = AssumeRoleWithOidcRequest::builder()
            .role_arn(role_arn.clone())
            .oidc_provider_arn(oidc_provider_arn)
            .role_session_name(role_session_name);
        if let Some(d) = self.duration {
            template = template.duration(d);
        }
        if let Some(p) = self.policy {
            template = template.policy_json(p);
        }
        // Every rule but the token's is checked now, with a stand-in token.
        template
            .clone()
            .oidc_token("stand-in")
            .build()
            .map_err(|e| CredentialsError::failed(PROVIDER, e.to_string()))?;
        let sts = match self.sts {
            Some(s) => s,
            None => {
                let mut b = self.sts_template.unwrap_or_default();
                if let Some(http) = self.http {
                    b = b.http_options(http);
                }
                b.build()
                    .map_err(|e| CredentialsError::failed(PROVIDER, e.to_string()))?
            }
        };
        let clock = self.clock.unwrap_or_else(|| sts.clock().clone());
        let cache = RefreshingCredentialsProvider::builder_shared(Arc::new(OidcFetcher {
            sts,
            template,
            token_file: token_file.clone(),
        }))
        .name(PROVIDER)
        .clock(clock)
        .build();
        Ok(OidcCredentialsProvider {
            role_arn,
            token_file,
            cache,
        })
    }
}

impl OidcCredentialsProvider {
    /// Starts a builder.
    pub fn builder() -> OidcCredentialsProviderBuilder {
        OidcCredentialsProviderBuilder::default()
    }

    /// The provider configured by the environment; see [`OidcCredentialsProviderBuilder::env`].
    ///
    /// # Errors
    ///
    /// [`CredentialsError::NotConfigured`](crate::credentials::CredentialsError::NotConfigured)
    /// when the OIDC variables are absent; `ProviderFailed` when they are invalid.
    pub fn from_env(env: &EnvironmentSource) -> Result<Self, CredentialsError> {
        Self::builder().env(env).build()
    }
}

#[async_trait::async_trait]
impl ProvideCredentials for OidcCredentialsProvider {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        self.cache.provide_credentials().await
    }
}
