//! Credentials from a token-vending HTTP service (`ALIBABA_CLOUD_CREDENTIALS_URI`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use zeroize::Zeroizing;

use super::document::{credentials_error, http_refusal, parse_credentials_document};
use crate::credentials::{
    Clock, Credentials, CredentialsError, EnvironmentSource, ProvideCredentials,
};
use crate::credentials::{FetchCredentials, RefreshingCredentialsProvider};
use crate::http::HttpOptions;
use crate::Error;

const PROVIDER: &str = "credentials-uri";
/// The variable naming the token-vending URL.
pub const CREDENTIALS_URI_VAR: &str = "ALIBABA_CLOUD_CREDENTIALS_URI";

/// Credentials fetched with `GET <url>` from a token-vending service, the pattern of the
/// scenario's sample servers: the answer is
/// `{"AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}` (an ECS-style
/// `{"Code": "Success", …}` answer is accepted too). An optional bearer token is sent as
/// `Authorization: Bearer …`. Cached and refreshed ahead of `Expiration` by a
/// [`RefreshingCredentialsProvider`].
#[derive(Clone)]
pub struct UrlCredentialsProvider {
    url_without_query: String,
    cache: RefreshingCredentialsProvider,
}

impl fmt::Debug for UrlCredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The query string may carry a token: only scheme, host and path are shown.
        f.debug_struct("UrlCredentialsProvider")
            .field("url", &self.url_without_query)
            .field("cache", &self.cache)
            .finish()
    }
}

/// Builder for [`UrlCredentialsProvider`]; its `Debug` never shows the bearer token.
pub struct UrlCredentialsProviderBuilder {
    url: String,
    bearer: Option<Zeroizing<String>>,
    http: HttpOptions,
    clock: Clock,
}

impl fmt::Debug for UrlCredentialsProviderBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UrlCredentialsProviderBuilder")
            .field("bearer", &self.bearer.as_ref().map(|_| "** redacted **"))
            .finish_non_exhaustive()
    }
}

struct UrlFetcher {
    http: reqwest::Client,
    url: url::Url,
    bearer: Option<Zeroizing<String>>,
}

#[async_trait::async_trait]
impl FetchCredentials for UrlFetcher {
    async fn fetch_credentials(&self) -> Result<Credentials, CredentialsError> {
        let mut req = self
            .http
            .get(self.url.clone())
            .header("Accept", "application/json");
        if let Some(b) = &self.bearer {
            req = req.bearer_auth(b.as_str());
        }
        let resp = req
            .send()
            .await
            .map_err(|e| credentials_error(PROVIDER, crate::http::transport_error(e)))?;
        let status = resp.status();
        let limit = crate::limits::MAX_CREDENTIALS_BODY;
        let body = if status.is_success() {
            crate::http::read_limited(resp, limit, "the token-vending service's answer")
                .await
                .map_err(|e| credentials_error(PROVIDER, e.into()))?
        } else {
            crate::http::read_prefix(resp, crate::limits::MAX_ERROR_BODY).await
        };
        if !status.is_success() {
            return Err(http_refusal(
                PROVIDER,
                "the token-vending service",
                status.as_u16(),
                "",
                &body,
            ));
        }
        parse_credentials_document(PROVIDER, &body)
    }
}

impl UrlCredentialsProviderBuilder {
    /// Sends `Authorization: Bearer <token>` with every request.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.bearer = Some(Zeroizing::new(token.into()));
        self
    }

    /// The transport: proxy, root certificates, user agent, pool, timeouts, or a
    /// `reqwest::Client` of your own (see [`HttpOptions`]). Replaces the transport settings made
    /// before it (including [`connect_timeout`](Self::connect_timeout) and
    /// [`read_timeout`](Self::read_timeout)).
    pub fn http_options(mut self, options: HttpOptions) -> Self {
        self.http = options;
        self
    }

    /// How long to wait for a connection (default 5 s); same as
    /// [`HttpOptions::connect_timeout`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.http.set_connect_timeout(timeout);
        self
    }

    /// How long to wait for each read (default 10 s); same as [`HttpOptions::read_timeout`].
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.http.set_read_timeout(timeout);
        self
    }

    /// The clock that decides expiry (default: the system clock).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Checks the URL (http or https) and builds the provider.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) naming `url` (not an http(s) URL) or
    /// another invalid setting.
    pub fn build(self) -> Result<UrlCredentialsProvider, Error> {
        let url = url::Url::parse(self.url.trim())
            .map_err(|e| Error::invalid("credentials_uri", format!("must be a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(Error::invalid(
                "credentials_uri",
                "must be an http or https URL with a host",
            ));
        }
        // What Debug shows: no query, fragment or user info (any of them may hold a token).
        let mut shown = url.clone();
        shown.set_query(None);
        shown.set_fragment(None);
        let _ = shown.set_password(None);
        let _ = shown.set_username("");
        let http = self.http.build_client(crate::http::Defaults {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(10),
        })?;
        let cache = RefreshingCredentialsProvider::builder_shared(Arc::new(UrlFetcher {
            http,
            url,
            bearer: self.bearer,
        }))
        .name(PROVIDER)
        .clock(self.clock)
        .build();
        Ok(UrlCredentialsProvider {
            url_without_query: shown.to_string(),
            cache,
        })
    }
}

impl UrlCredentialsProvider {
    /// Starts a builder for `url`.
    pub fn builder(url: impl Into<String>) -> UrlCredentialsProviderBuilder {
        UrlCredentialsProviderBuilder {
            url: url.into(),
            bearer: None,
            http: HttpOptions::default(),
            clock: Clock::system(),
        }
    }

    /// The provider named by `ALIBABA_CLOUD_CREDENTIALS_URI` in `env`;
    /// [`CredentialsError::NotConfigured`] when it is not set.
    ///
    /// # Errors
    ///
    /// [`CredentialsError::NotConfigured`](crate::credentials::CredentialsError::NotConfigured)
    /// when the variable is not set; `ProviderFailed` when it is not a URL.
    pub fn from_env(env: &EnvironmentSource) -> Result<Self, CredentialsError> {
        Self::from_env_with(env, HttpOptions::default())
    }

    pub(crate) fn from_env_with(
        env: &EnvironmentSource,
        http: HttpOptions,
    ) -> Result<Self, CredentialsError> {
        let uri = env.get(CREDENTIALS_URI_VAR).ok_or_else(|| {
            CredentialsError::not_configured(PROVIDER, format!("{CREDENTIALS_URI_VAR} is not set"))
        })?;
        Self::builder(uri)
            .http_options(http)
            .build()
            .map_err(|e| CredentialsError::failed(PROVIDER, format!("{CREDENTIALS_URI_VAR}: {e}")))
    }

    /// The cache behind this provider.
    pub fn cache(&self) -> &RefreshingCredentialsProvider {
        &self.cache
    }
}

#[async_trait::async_trait]
impl ProvideCredentials for UrlCredentialsProvider {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        self.cache.provide_credentials().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_user_info_query_or_fragment() {
        let p = UrlCredentialsProvider::builder(
            "https://tok-user:tok-pass@vending.example/sts?token=tok-query#tok-frag",
        )
        .bearer_token("tok-bearer")
        .build()
        .unwrap();
        let shown = format!("{p:?}");
        assert!(shown.contains("vending.example/sts"), "{shown}");
        assert!(!shown.contains("tok-"), "{shown}");
    }
}
