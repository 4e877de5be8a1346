//! Credentials of a RAM role, from STS `AssumeRole`, refreshed ahead of expiry.

use std::fmt;
use std::time::Duration;

use super::document::credentials_error;
use crate::credentials::{Clock, Credentials, CredentialsError, ProvideCredentials};
use crate::credentials::{FetchCredentials, RefreshingCredentialsProvider};
use crate::sts::{AssumeRoleRequest, StsClient, ASSUME_ROLE_PROVIDER};

/// Temporary credentials of a role: calls [`StsClient::assume_role`] with a request template and
/// caches the answer in a [`RefreshingCredentialsProvider`] (refresh 5 minutes or 20 % of the
/// lifetime before expiry, single flight, valid credentials served during a refresh).
///
/// ```no_run
/// # fn demo() -> Result<(), alioss::Error> {
/// use alioss::credentials::{EnvironmentCredentialsProvider};
/// use alioss::providers::{AssumeRoleCredentialsProvider};
/// use alioss::sts::{AssumeRoleRequest, StsClient};
///
/// let sts = StsClient::builder()
///     .region("cn-hangzhou")
///     .credentials(EnvironmentCredentialsProvider::new())
///     .build()?;
/// let request = AssumeRoleRequest::builder()
///     .role_arn("acs:ram::1234567890123456:role/ramosstest")
///     .role_session_name("supplier-42")
///     .build()?;
/// let provider = AssumeRoleCredentialsProvider::new(sts, request);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AssumeRoleCredentialsProvider {
    role_arn: String,
    cache: RefreshingCredentialsProvider,
}

impl fmt::Debug for AssumeRoleCredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssumeRoleCredentialsProvider")
            .field("role_arn", &self.role_arn)
            .field("cache", &self.cache)
            .finish()
    }
}

struct AssumeRoleFetcher {
    sts: StsClient,
    request: AssumeRoleRequest,
}

#[async_trait::async_trait]
impl FetchCredentials for AssumeRoleFetcher {
    async fn fetch_credentials(&self) -> Result<Credentials, CredentialsError> {
        self.sts
            .assume_role(&self.request)
            .await
            .map(|out| out.credentials)
            .map_err(|e| credentials_error(ASSUME_ROLE_PROVIDER, e))
    }
}

/// Builder for [`AssumeRoleCredentialsProvider`].
#[derive(Debug)]
pub struct AssumeRoleCredentialsProviderBuilder {
    sts: StsClient,
    request: AssumeRoleRequest,
    clock: Option<Clock>,
    window: Option<Duration>,
    fraction: Option<f64>,
}

impl AssumeRoleCredentialsProviderBuilder {
    /// The clock that decides expiry (default: the STS client's clock).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// See [`RefreshingCredentialsProviderBuilder::refresh_window`](crate::credentials::RefreshingCredentialsProviderBuilder::refresh_window).
    pub fn refresh_window(mut self, window: Duration) -> Self {
        self.window = Some(window);
        self
    }

    /// See [`RefreshingCredentialsProviderBuilder::refresh_lifetime_fraction`](crate::credentials::RefreshingCredentialsProviderBuilder::refresh_lifetime_fraction).
    pub fn refresh_lifetime_fraction(mut self, fraction: f64) -> Self {
        self.fraction = Some(fraction);
        self
    }

    /// Builds the provider (STS is first called when credentials are first asked for).
    pub fn build(self) -> AssumeRoleCredentialsProvider {
        let clock = self.clock.unwrap_or_else(|| self.sts.clock().clone());
        let role_arn = self.request.role_arn().to_owned();
        let mut b = RefreshingCredentialsProvider::builder(AssumeRoleFetcher {
            sts: self.sts,
            request: self.request,
        })
        .name(ASSUME_ROLE_PROVIDER)
        .clock(clock);
        if let Some(w) = self.window {
            b = b.refresh_window(w);
        }
        if let Some(f) = self.fraction {
            b = b.refresh_lifetime_fraction(f);
        }
        AssumeRoleCredentialsProvider {
            role_arn,
            cache: b.build(),
        }
    }
}

impl AssumeRoleCredentialsProvider {
    /// A provider assuming `request`'s role through `sts`, with the default refresh settings.
    pub fn new(sts: StsClient, request: AssumeRoleRequest) -> Self {
        Self::builder(sts, request).build()
    }

    /// Starts a builder.
    pub fn builder(
        sts: StsClient,
        request: AssumeRoleRequest,
    ) -> AssumeRoleCredentialsProviderBuilder {
        AssumeRoleCredentialsProviderBuilder {
            sts,
            request,
            clock: None,
            window: None,
            fraction: None,
        }
    }

    /// The cache behind this provider.
    pub fn cache(&self) -> &RefreshingCredentialsProvider {
        &self.cache
    }
}

#[async_trait::async_trait]
impl ProvideCredentials for AssumeRoleCredentialsProvider {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        self.cache.provide_credentials().await
    }
}
