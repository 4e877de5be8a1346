//! Credentials of the RAM role attached to an ECS instance, from its metadata service.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::document::{credentials_error, excerpt, http_refusal, parse_credentials_document};
use crate::credentials::{
    Clock, Credentials, CredentialsError, EnvironmentSource, ProvideCredentials,
};
use crate::credentials::{FetchCredentials, RefreshingCredentialsProvider};
use crate::http::HttpOptions;
use crate::Error;

const PROVIDER: &str = "ecs-ram-role";
/// The ECS metadata service.
pub const DEFAULT_METADATA_ENDPOINT: &str = "http://100.100.100.200";
const TOKEN_PATH: &str = "/latest/api/token";
const CREDENTIALS_PATH: &str = "/latest/meta-data/ram/security-credentials/";
const TOKEN_TTL_HEADER: &str = "X-aliyun-ecs-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "X-aliyun-ecs-metadata-token";

/// Credentials of the instance's RAM role from the ECS metadata service.
///
/// Each fetch first asks for an IMDSv2 session token (`PUT /latest/api/token` with
/// `X-aliyun-ecs-metadata-token-ttl-seconds: 21600`) and sends it as
/// `X-aliyun-ecs-metadata-token`; if that fails it falls back to IMDSv1 unless told not to.
/// The role name is configured or discovered (`GET …/security-credentials/`). The metadata
/// endpoint is configurable (tests use loopback). Cached by a [`RefreshingCredentialsProvider`].
#[derive(Clone)]
pub struct EcsRamRoleCredentialsProvider {
    role_name: Option<String>,
    cache: RefreshingCredentialsProvider,
}

impl fmt::Debug for EcsRamRoleCredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EcsRamRoleCredentialsProvider")
            .field("role_name", &self.role_name)
            .field("cache", &self.cache)
            .finish()
    }
}

/// Builder for [`EcsRamRoleCredentialsProvider`].
#[derive(Debug, Clone)]
pub struct EcsRamRoleCredentialsProviderBuilder {
    role_name: Option<String>,
    endpoint: String,
    imdsv1_fallback: bool,
    http: HttpOptions,
    unreachable_is_not_configured: bool,
    clock: Clock,
}

struct EcsFetcher {
    http: reqwest::Client,
    endpoint: url::Url,
    role_name: Option<String>,
    imdsv1_fallback: bool,
    unreachable_is_not_configured: bool,
}

impl EcsFetcher {
    fn url(&self, path: &str) -> Result<url::Url, CredentialsError> {
        self.endpoint
            .join(path)
            .map_err(|e| CredentialsError::failed(PROVIDER, format!("bad metadata URL: {e}")))
    }

    fn transport(&self, e: reqwest::Error) -> CredentialsError {
        let connect = e.is_connect() || e.is_timeout();
        let e = crate::http::transport_error(e);
        if connect && self.unreachable_is_not_configured {
            CredentialsError::not_configured(
                PROVIDER,
                format!("the ECS metadata service is not reachable (not running on ECS?): {e}"),
            )
        } else {
            credentials_error(PROVIDER, e)
        }
    }

    async fn session_token(&self) -> Result<Option<String>, CredentialsError> {
        let outcome = self
            .http
            .put(self.url(TOKEN_PATH)?)
            .header(TOKEN_TTL_HEADER, "21600")
            .send()
            .await;
        let failure = match outcome {
            Ok(resp) if resp.status().is_success() => {
                match crate::http::read_limited(
                    resp,
                    crate::limits::MAX_CREDENTIALS_BODY,
                    "the metadata service's token",
                )
                .await
                {
                    Ok(t) => {
                        let t = String::from_utf8_lossy(&t);
                        if t.trim().is_empty() {
                            "the metadata service answered an empty token".to_owned()
                        } else {
                            return Ok(Some(t.trim().to_owned()));
                        }
                    }
                    Err(e) => e.to_string(),
                }
            }
            Ok(resp) => format!(
                "the metadata service answered HTTP {} to the token request",
                resp.status().as_u16()
            ),
            Err(e) => {
                let err = self.transport(e);
                if err.is_not_configured() {
                    return Err(err);
                }
                err.to_string()
            }
        };
        if self.imdsv1_fallback {
            tracing::debug!(reason = %failure, "no IMDSv2 token, falling back to IMDSv1");
            Ok(None)
        } else {
            Err(CredentialsError::failed_retryable(
                PROVIDER,
                format!("could not get an IMDSv2 token and IMDSv1 is disabled: {failure}"),
            ))
        }
    }

    async fn get(
        &self,
        path: &str,
        token: Option<&str>,
    ) -> Result<(u16, bytes::Bytes), CredentialsError> {
        let mut req = self.http.get(self.url(path)?);
        if let Some(t) = token {
            req = req.header(TOKEN_HEADER, t);
        }
        let resp = req.send().await.map_err(|e| self.transport(e))?;
        let status = resp.status().as_u16();
        let body = if (200..300).contains(&status) {
            crate::http::read_limited(
                resp,
                crate::limits::MAX_CREDENTIALS_BODY,
                "the metadata service's answer",
            )
            .await
            .map_err(|e| credentials_error(PROVIDER, e.into()))?
        } else {
            crate::http::read_prefix(resp, crate::limits::MAX_ERROR_BODY).await
        };
        Ok((status, body))
    }
}

#[async_trait::async_trait]
impl FetchCredentials for EcsFetcher {
    async fn fetch_credentials(&self) -> Result<Credentials, CredentialsError> {
        let token = self.session_token().await?;
        let role = match &self.role_name {
            Some(r) => r.clone(),
            None => {
                let (status, body) = self.get(CREDENTIALS_PATH, token.as_deref()).await?;
                let text = String::from_utf8_lossy(&body);
                let role = text.lines().next().unwrap_or("").trim().to_owned();
                if status != 200 || role.is_empty() {
                    return Err(CredentialsError::failed(
                        PROVIDER,
                        format!(
                            "no RAM role is attached to this instance (HTTP {status}: {})",
                            excerpt(&body)
                        ),
                    ));
                }
                role
            }
        };
        let path = format!("{CREDENTIALS_PATH}{role}");
        let (status, body) = self.get(&path, token.as_deref()).await?;
        if status != 200 {
            return Err(http_refusal(
                PROVIDER,
                "the metadata service",
                status,
                &format!(" for role {role}"),
                &body,
            ));
        }
        parse_credentials_document(PROVIDER, &body)
    }
}

impl EcsRamRoleCredentialsProviderBuilder {
    /// The role's name (default: discovered from the metadata service).
    pub fn role_name(mut self, name: impl Into<String>) -> Self {
        self.role_name = Some(name.into()).filter(|n: &String| !n.is_empty());
        self
    }

    /// The metadata service (default `http://100.100.100.200`).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// Whether to go on without an IMDSv2 token when none can be had (default true).
    pub fn imdsv1_fallback(mut self, allowed: bool) -> Self {
        self.imdsv1_fallback = allowed;
        self
    }

    /// Connect and read timeout of each metadata request (default 1 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.http.set_connect_timeout(timeout);
        self.http.set_read_timeout(timeout);
        self
    }

    /// The transport (see [`HttpOptions`]). Replaces the transport settings made before it
    /// (including [`timeout`](Self::timeout)). The metadata service is a link-local address:
    /// when a proxy is set, list `100.100.100.200` in its
    /// [`no_proxy`](HttpOptions::no_proxy) hosts.
    pub fn http_options(mut self, options: HttpOptions) -> Self {
        self.http = options;
        self
    }

    /// Whether an unreachable metadata service means "not on ECS" (not configured, so a chain
    /// moves on) rather than a failure. Default false; the default chain sets it.
    pub fn unreachable_is_not_configured(mut self, yes: bool) -> Self {
        self.unreachable_is_not_configured = yes;
        self
    }

    /// The clock that decides expiry.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the provider.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) naming the setting that is invalid
    /// (role name, metadata endpoint).
    pub fn build(self) -> Result<EcsRamRoleCredentialsProvider, Error> {
        let endpoint = url::Url::parse(&self.endpoint)
            .map_err(|e| Error::invalid("metadata_endpoint", format!("must be a URL: {e}")))?;
        if !matches!(endpoint.scheme(), "http" | "https") {
            return Err(Error::invalid(
                "metadata_endpoint",
                "must be an http or https URL",
            ));
        }
        let http = self.http.build_client(crate::http::Defaults {
            connect_timeout: Duration::from_secs(1),
            read_timeout: Duration::from_secs(1),
        })?;
        let cache = RefreshingCredentialsProvider::builder_shared(Arc::new(EcsFetcher {
            http,
            endpoint,
            role_name: self.role_name.clone(),
            imdsv1_fallback: self.imdsv1_fallback,
            unreachable_is_not_configured: self.unreachable_is_not_configured,
        }))
        .name(PROVIDER)
        .clock(self.clock)
        .build();
        Ok(EcsRamRoleCredentialsProvider {
            role_name: self.role_name,
            cache,
        })
    }
}

impl EcsRamRoleCredentialsProvider {
    /// Starts a builder.
    pub fn builder() -> EcsRamRoleCredentialsProviderBuilder {
        EcsRamRoleCredentialsProviderBuilder {
            role_name: None,
            endpoint: DEFAULT_METADATA_ENDPOINT.to_owned(),
            imdsv1_fallback: true,
            http: HttpOptions::default(),
            unreachable_is_not_configured: false,
            clock: Clock::system(),
        }
    }

    /// A builder configured from `env`: [`CredentialsError::NotConfigured`] when
    /// `ALIBABA_CLOUD_ECS_METADATA_DISABLED=true`; role name from `ALIBABA_CLOUD_ECS_METADATA`;
    /// no IMDSv1 fallback when `ALIBABA_CLOUD_IMDSV1_DISABLED=true`.
    ///
    /// # Errors
    ///
    /// [`CredentialsError::NotConfigured`](crate::credentials::CredentialsError::NotConfigured)
    /// when the variables name no ECS role; `ProviderFailed` when they are invalid.
    pub fn builder_from_env(
        env: &EnvironmentSource,
    ) -> Result<EcsRamRoleCredentialsProviderBuilder, CredentialsError> {
        let is_true = |name: &str| {
            env.get(name)
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        };
        if is_true("ALIBABA_CLOUD_ECS_METADATA_DISABLED") {
            return Err(CredentialsError::not_configured(
                PROVIDER,
                "disabled by ALIBABA_CLOUD_ECS_METADATA_DISABLED=true",
            ));
        }
        let mut b = Self::builder().imdsv1_fallback(!is_true("ALIBABA_CLOUD_IMDSV1_DISABLED"));
        if let Some(role) = env.get("ALIBABA_CLOUD_ECS_METADATA") {
            b = b.role_name(role);
        }
        Ok(b)
    }

    /// The cache behind this provider.
    pub fn cache(&self) -> &RefreshingCredentialsProvider {
        &self.cache
    }
}

#[async_trait::async_trait]
impl ProvideCredentials for EcsRamRoleCredentialsProvider {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        self.cache.provide_credentials().await
    }
}
