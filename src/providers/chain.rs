//! Chains of providers: the first one configured wins.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use super::{
    CliConfigCredentialsProvider, EcsRamRoleCredentialsProvider, OidcCredentialsProvider,
    ProfileFileCredentialsProvider, UrlCredentialsProvider,
};
use crate::credentials::{
    Clock, Credentials, CredentialsError, EnvironmentCredentialsProvider, EnvironmentSource,
    ProvideCredentials, SharedCredentialsProvider,
};
use crate::http::HttpOptions;
use crate::sts::StsClientBuilder;

const CHAIN: &str = "default-chain";

/// Tries providers in order: a provider that answers [`CredentialsError::NotConfigured`] is
/// skipped; the first that answers credentials is remembered and asked directly from then on;
/// any other error stops the chain and is returned as is (it names its provider). Every step is
/// traced (`tracing`, target `alioss::credentials::chain`), never with secrets.
#[derive(Clone, Default)]
pub struct CredentialsProviderChain {
    providers: Vec<(&'static str, SharedCredentialsProvider)>,
    chosen: Arc<OnceLock<usize>>,
}

impl fmt::Debug for CredentialsProviderChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsProviderChain")
            .field(
                "providers",
                &self.providers.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            )
            .field("chosen", &self.chosen.get().map(|i| self.providers[*i].0))
            .finish()
    }
}

impl CredentialsProviderChain {
    /// An empty chain.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `provider` under `name`.
    pub fn with(mut self, name: &'static str, provider: impl ProvideCredentials + 'static) -> Self {
        self.providers.push((name, Arc::new(provider)));
        self
    }

    /// Appends a shared provider under `name`.
    pub fn with_shared(mut self, name: &'static str, provider: SharedCredentialsProvider) -> Self {
        self.providers.push((name, provider));
        self
    }

    /// The names of the providers, in order.
    pub fn provider_names(&self) -> Vec<&'static str> {
        self.providers.iter().map(|(n, _)| *n).collect()
    }

    /// The name of the provider that answered first, once one has.
    pub fn chosen_provider(&self) -> Option<&'static str> {
        self.chosen.get().map(|i| self.providers[*i].0)
    }
}

#[async_trait::async_trait]
impl ProvideCredentials for CredentialsProviderChain {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        if let Some(&i) = self.chosen.get() {
            return self.providers[i].1.provide_credentials().await;
        }
        let mut skipped = Vec::new();
        for (i, (name, provider)) in self.providers.iter().enumerate() {
            tracing::debug!(provider = name, "trying credentials provider");
            match provider.provide_credentials().await {
                Ok(c) => {
                    tracing::debug!(
                        provider = name,
                        access_key_id = c.access_key_id(),
                        "credentials found"
                    );
                    let _ = self.chosen.set(i);
                    return Ok(c);
                }
                Err(e) if e.is_not_configured() => {
                    tracing::debug!(provider = name, reason = %e, "not configured, trying the next provider");
                    skipped.push(e.to_string());
                }
                Err(e) => {
                    tracing::warn!(provider = name, error = %e, "credentials provider failed; stopping the chain");
                    return Err(e);
                }
            }
        }
        Err(CredentialsError::not_configured(
            CHAIN,
            format!(
                "no provider in the chain found credentials: {}",
                skipped.join("; ")
            ),
        ))
    }
}

/// A provider that always answers the same error (a chain member that could not be built).
#[derive(Debug)]
struct Unavailable(CredentialsError);

#[async_trait::async_trait]
impl ProvideCredentials for Unavailable {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        Err(self.0.clone())
    }
}

fn or_unavailable<P: ProvideCredentials + 'static>(
    p: Result<P, CredentialsError>,
) -> SharedCredentialsProvider {
    match p {
        Ok(p) => Arc::new(p),
        Err(e) => Arc::new(Unavailable(e)),
    }
}

/// The official default chain, in the official order:
///
/// 1. `environment` — `OSS_ACCESS_KEY_ID`… / `ALIBABA_CLOUD_ACCESS_KEY_ID`…
///    ([`EnvironmentCredentialsProvider`]);
/// 2. `oidc-role-arn` — `ALIBABA_CLOUD_ROLE_ARN`, `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`,
///    `ALIBABA_CLOUD_OIDC_TOKEN_FILE` ([`OidcCredentialsProvider`]);
/// 3. `cli-profile` — `~/.aliyun/config.json` ([`CliConfigCredentialsProvider`]);
/// 4. `profile-file` — `~/.alibabacloud/credentials` ([`ProfileFileCredentialsProvider`]);
/// 5. `ecs-ram-role` — the ECS metadata service, unless `ALIBABA_CLOUD_ECS_METADATA_DISABLED=true`
///    (an unreachable metadata service counts as "not configured")
///    ([`EcsRamRoleCredentialsProvider`]);
/// 6. `credentials-uri` — `ALIBABA_CLOUD_CREDENTIALS_URI` ([`UrlCredentialsProvider`]).
///
/// "Not configured" moves on; a real failure stops the chain with an error naming the provider.
/// Everything it reads (variables, home directory, endpoints) can be injected for tests.
#[derive(Debug, Clone)]
pub struct DefaultCredentialsChain {
    chain: CredentialsProviderChain,
}

/// Builder for [`DefaultCredentialsChain`].
#[derive(Debug, Clone, Default)]
pub struct DefaultCredentialsChainBuilder {
    env: Option<EnvironmentSource>,
    home_dir: Option<PathBuf>,
    sts: Option<StsClientBuilder>,
    ecs_endpoint: Option<String>,
    clock: Option<Clock>,
    http: Option<HttpOptions>,
}

impl DefaultCredentialsChainBuilder {
    /// The transport of every provider in the chain that calls a service (STS for OIDC and
    /// role profiles, the ECS metadata service, a token-vending URL); see [`HttpOptions`].
    pub fn http_options(mut self, options: HttpOptions) -> Self {
        self.http = Some(options);
        self
    }

    /// Where variables are read from (default: the process environment).
    pub fn env(mut self, env: EnvironmentSource) -> Self {
        self.env = Some(env);
        self
    }

    /// The home directory holding `.aliyun/` and `.alibabacloud/` (default: `HOME`).
    pub fn home_dir(mut self, home: impl Into<PathBuf>) -> Self {
        self.home_dir = Some(home.into());
        self
    }

    /// The template of the STS clients that OIDC and role profiles use (e.g. an emulator's
    /// endpoint); region and VPC variables are applied on top.
    pub fn sts_client_builder(mut self, sts: StsClientBuilder) -> Self {
        self.sts = Some(sts);
        self
    }

    /// The ECS metadata endpoint (default `http://100.100.100.200`).
    pub fn ecs_metadata_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.ecs_endpoint = Some(endpoint.into());
        self
    }

    /// The clock of the refreshing providers in the chain.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Builds the chain. Nothing is read from files or the network until credentials are asked for.
    pub fn build(self) -> DefaultCredentialsChain {
        let env = self.env.unwrap_or_default();
        let sts = self.sts.clone().unwrap_or_default().env(&env);
        let sts = match &self.clock {
            Some(c) => sts.clock(c.clone()),
            None => sts,
        };
        let sts = match &self.http {
            Some(h) => sts.http_options(h.clone()),
            None => sts,
        };

        let oidc = {
            let b = OidcCredentialsProvider::builder().env(&env);
            match sts.clone().build() {
                Ok(client) => or_unavailable(b.sts_client(client).build()),
                // The STS client of the chain's settings cannot be built (a bad proxy URL, an
                // invalid endpoint…): OIDC, when configured, fails with that error rather than
                // reaching STS without those settings.
                Err(e) => match b.build() {
                    Ok(_) => Arc::new(Unavailable(super::document::credentials_error(
                        "oidc-role-arn",
                        e,
                    ))),
                    Err(not_configured) => Arc::new(Unavailable(not_configured)),
                },
            }
        };

        let mut cli = CliConfigCredentialsProvider::builder()
            .env(env.clone())
            .sts_client_builder(sts.clone());
        let mut profile = ProfileFileCredentialsProvider::builder()
            .env(env.clone())
            .sts_client_builder(sts.clone());
        if let Some(h) = &self.home_dir {
            cli = cli.home_dir(h.clone());
            profile = profile.home_dir(h.clone());
        }
        if let Some(e) = &self.ecs_endpoint {
            cli = cli.ecs_metadata_endpoint(e.clone());
            profile = profile.ecs_metadata_endpoint(e.clone());
        }
        if let Some(c) = &self.clock {
            cli = cli.clock(c.clone());
            profile = profile.clock(c.clone());
        }
        if let Some(h) = &self.http {
            cli = cli.http_options(h.clone());
            profile = profile.http_options(h.clone());
        }

        let ecs = or_unavailable(
            EcsRamRoleCredentialsProvider::builder_from_env(&env).and_then(|mut b| {
                b = b.unreachable_is_not_configured(true);
                if let Some(e) = &self.ecs_endpoint {
                    b = b.endpoint(e.clone());
                }
                if let Some(c) = &self.clock {
                    b = b.clock(c.clone());
                }
                if let Some(h) = &self.http {
                    b = b.http_options(h.clone());
                }
                b.build()
                    .map_err(|e| CredentialsError::failed("ecs-ram-role", e.to_string()))
            }),
        );

        let uri = or_unavailable(UrlCredentialsProvider::from_env_with(
            &env,
            self.http.clone().unwrap_or_default(),
        ));

        let chain = CredentialsProviderChain::new()
            .with(
                "environment",
                EnvironmentCredentialsProvider::with_source(env.clone()),
            )
            .with_shared("oidc-role-arn", oidc)
            .with("cli-profile", cli.build())
            .with("profile-file", profile.build())
            .with_shared("ecs-ram-role", ecs)
            .with_shared("credentials-uri", uri);
        DefaultCredentialsChain { chain }
    }
}

impl Default for DefaultCredentialsChain {
    fn default() -> Self {
        Self::new()
    }
}

impl DefaultCredentialsChain {
    /// The chain reading the process environment and the real home directory.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// Starts a builder.
    pub fn builder() -> DefaultCredentialsChainBuilder {
        DefaultCredentialsChainBuilder::default()
    }

    /// The underlying chain (provider names, the chosen provider).
    pub fn chain(&self) -> &CredentialsProviderChain {
        &self.chain
    }
}

#[async_trait::async_trait]
impl ProvideCredentials for DefaultCredentialsChain {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        self.chain.provide_credentials().await
    }
}
