//! Credentials and the providers that produce them.
//!
//! [`Credentials`] hold an AccessKey id, its secret, and for temporary (STS) credentials a
//! security token and an expiration. The secret and the token are zeroized on drop, clones share
//! one allocation, and `Debug` never prints them.
//!
//! Every source of credentials implements [`ProvideCredentials`]. A provider that finds nothing
//! to work with (no variables set, no file) answers [`CredentialsError::NotConfigured`], so a
//! chain moves on to its next provider; any other error stops the chain.
//!
//! Providers:
//!
//! * [`StaticCredentialsProvider`], [`EnvironmentCredentialsProvider`], and closures
//!   ([`provide_credentials_fn`]);
//! * [`RefreshingCredentialsProvider`]: a cache over any [`FetchCredentials`] that refreshes
//!   ahead of expiry, one fetch at a time, without blocking callers whose credentials are
//!   still valid; on top of it [`AssumeRoleCredentialsProvider`] (STS `AssumeRole`),
//!   [`UrlCredentialsProvider`] (a token-vending service), [`EcsRamRoleCredentialsProvider`]
//!   and [`OidcCredentialsProvider`];
//! * profile files: [`ProfileFileCredentialsProvider`] (`~/.alibabacloud/credentials`) and
//!   [`CliConfigCredentialsProvider`] (`~/.aliyun/config.json`);
//! * [`DefaultCredentialsChain`], the official lookup order, and [`CredentialsProviderChain`].
//!
//! Time is injectable ([`Clock`], [`ManualClock`]), and so are variables
//! ([`EnvironmentSource`]) and paths, so tests never touch the process environment.
//!
//! ## Writing your own provider
//!
//! Implement [`ProvideCredentials`] with the [`async_trait`](macro@async_trait) attribute this module re-exports:
//! your crate needs no `async-trait` dependency of its own. Answer
//! [`CredentialsError::NotConfigured`] when your source is absent (a chain then tries the next
//! provider) and [`CredentialsError::failed`] (with [`CredentialsError::with_source`] to keep
//! the cause) when it is there but fails. For credentials that expire, wrap a
//! [`FetchCredentials`] in a [`RefreshingCredentialsProvider`] instead of caching yourself; for
//! a one-off, [`provide_credentials_fn`] takes a closure.
//!
//! ```
//! use alioss::credentials::{async_trait, Credentials, CredentialsError, ProvideCredentials};
//!
//! /// Credentials kept in a vault of one's own.
//! #[derive(Debug)]
//! struct VaultProvider {
//!     path: String,
//! }
//!
//! #[async_trait]
//! impl ProvideCredentials for VaultProvider {
//!     async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
//!         if self.path.is_empty() {
//!             return Err(CredentialsError::not_configured("vault", "no vault path"));
//!         }
//!         // … read the vault at self.path …
//!         Credentials::new("vault-key-id", "vault-secret")
//!             .map_err(|e| CredentialsError::failed("vault", "bad entry").with_source(e))
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let creds = VaultProvider { path: "kv/oss".into() }.provide_credentials().await.unwrap();
//! assert_eq!(creds.access_key_id(), "vault-key-id");
//! # }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use zeroize::Zeroizing;

pub use async_trait::async_trait;

mod assume_role;
mod chain;
mod cli_config;
mod clock;
mod document;
mod ecs;
mod environment;
mod oidc;
mod profile;
mod refreshing;
mod url;

pub use assume_role::{AssumeRoleCredentialsProvider, AssumeRoleCredentialsProviderBuilder};
pub use chain::{
    CredentialsProviderChain, DefaultCredentialsChain, DefaultCredentialsChainBuilder,
};
pub use cli_config::{CliConfigCredentialsProvider, CliConfigCredentialsProviderBuilder};
pub use clock::{Clock, ManualClock};
pub use ecs::{
    EcsRamRoleCredentialsProvider, EcsRamRoleCredentialsProviderBuilder, DEFAULT_METADATA_ENDPOINT,
};
pub use environment::{EnvironmentCredentialsProvider, EnvironmentSource};
pub use oidc::{OidcCredentialsProvider, OidcCredentialsProviderBuilder};
pub use profile::{ProfileFileCredentialsProvider, ProfileFileCredentialsProviderBuilder};
pub use refreshing::{
    provide_credentials_fn, FetchCredentials, ProvideCredentialsFn, RefreshingCredentialsProvider,
    RefreshingCredentialsProviderBuilder, DEFAULT_FETCH_TIMEOUT, DEFAULT_REFRESH_LIFETIME_FRACTION,
    DEFAULT_REFRESH_WINDOW, DEFAULT_RETRY_BASE, DEFAULT_RETRY_MAX,
};
pub use url::{UrlCredentialsProvider, UrlCredentialsProviderBuilder, CREDENTIALS_URI_VAR};

/// An AccessKey pair, optionally temporary (security token + expiration).
///
/// Cheap to clone: clones share one allocation.
#[derive(Clone)]
pub struct Credentials {
    inner: Arc<Inner>,
}

struct Inner {
    access_key_id: String,
    access_key_secret: Zeroizing<String>,
    security_token: Option<Zeroizing<String>>,
    expiration: Option<OffsetDateTime>,
    provider_name: &'static str,
}

impl Credentials {
    /// Starts a builder.
    pub fn builder() -> CredentialsBuilder {
        CredentialsBuilder::default()
    }

    /// Long-term credentials from an id and a secret.
    ///
    /// Fails when either is empty.
    pub fn new(
        access_key_id: impl Into<String>,
        access_key_secret: impl Into<String>,
    ) -> Result<Self, crate::Error> {
        Self::builder()
            .access_key_id(access_key_id)
            .access_key_secret(access_key_secret)
            .build()
    }

    /// The AccessKey id (not a secret; temporary ids start with `STS.`).
    pub fn access_key_id(&self) -> &str {
        &self.inner.access_key_id
    }

    /// The AccessKey secret. Handle with care: never log it.
    pub fn access_key_secret(&self) -> &str {
        &self.inner.access_key_secret
    }

    /// The security token of temporary credentials. Handle with care: never log it.
    pub fn security_token(&self) -> Option<&str> {
        self.inner.security_token.as_deref().map(String::as_str)
    }

    /// When the credentials stop working, if they are temporary.
    pub fn expiration(&self) -> Option<OffsetDateTime> {
        self.inner.expiration
    }

    /// The name of the provider that produced these credentials.
    pub fn provider_name(&self) -> &'static str {
        self.inner.provider_name
    }

    /// Whether the credentials have expired at `now` (never, without an expiration).
    pub fn is_expired_at(&self, now: OffsetDateTime) -> bool {
        matches!(self.inner.expiration, Some(exp) if now >= exp)
    }

    /// Whether the credentials expire within `window` of `now` (or already have).
    pub fn expires_within(&self, now: OffsetDateTime, window: Duration) -> bool {
        match self.inner.expiration {
            Some(exp) => now + window >= exp,
            None => false,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Credentials");
        d.field("access_key_id", &self.inner.access_key_id)
            .field("access_key_secret", &"** redacted **");
        if self.inner.security_token.is_some() {
            d.field("security_token", &"** redacted **");
        }
        d.field("expiration", &self.inner.expiration)
            .field("provider_name", &self.inner.provider_name)
            .finish()
    }
}

/// Builder for [`Credentials`]. Deliberately not `Debug`-derived: it holds secrets.
#[derive(Default)]
pub struct CredentialsBuilder {
    access_key_id: Option<String>,
    access_key_secret: Option<Zeroizing<String>>,
    security_token: Option<Zeroizing<String>>,
    expiration: Option<OffsetDateTime>,
    provider_name: Option<&'static str>,
}

impl fmt::Debug for CredentialsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsBuilder")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"** redacted **")
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

impl CredentialsBuilder {
    /// Sets the AccessKey id.
    pub fn access_key_id(mut self, id: impl Into<String>) -> Self {
        self.access_key_id = Some(id.into());
        self
    }

    /// Sets the AccessKey secret.
    pub fn access_key_secret(mut self, secret: impl Into<String>) -> Self {
        self.access_key_secret = Some(Zeroizing::new(secret.into()));
        self
    }

    /// Sets the security token (temporary credentials).
    pub fn security_token(mut self, token: impl Into<String>) -> Self {
        self.security_token = Some(Zeroizing::new(token.into()));
        self
    }

    /// Sets the security token if `token` is `Some` and not empty.
    pub fn maybe_security_token(mut self, token: Option<impl Into<String>>) -> Self {
        self.security_token = token
            .map(Into::into)
            .filter(|t: &String| !t.is_empty())
            .map(Zeroizing::new);
        self
    }

    /// Sets the expiration.
    pub fn expiration(mut self, expiration: OffsetDateTime) -> Self {
        self.expiration = Some(expiration);
        self
    }

    /// Sets the expiration if `Some`.
    pub fn maybe_expiration(mut self, expiration: Option<OffsetDateTime>) -> Self {
        self.expiration = expiration;
        self
    }

    /// Names the provider (shown in `Debug` and traces).
    pub fn provider_name(mut self, name: &'static str) -> Self {
        self.provider_name = Some(name);
        self
    }

    /// Builds the credentials; the id and the secret must be non-empty.
    pub fn build(self) -> Result<Credentials, crate::Error> {
        let access_key_id = self.access_key_id.unwrap_or_default();
        if access_key_id.trim().is_empty() {
            return Err(crate::Error::invalid("access_key_id", "must not be empty"));
        }
        let access_key_secret = self.access_key_secret.unwrap_or_default();
        if access_key_secret.trim().is_empty() {
            return Err(crate::Error::invalid(
                "access_key_secret",
                "must not be empty",
            ));
        }
        Ok(Credentials {
            inner: Arc::new(Inner {
                access_key_id,
                access_key_secret,
                security_token: self.security_token.filter(|t| !t.is_empty()),
                expiration: self.expiration,
                provider_name: self.provider_name.unwrap_or("static"),
            }),
        })
    }
}

/// The cause kept by a [`CredentialsError::ProviderFailed`]: the error the provider met (for
/// providers that call STS, the [`crate::Error`] whose service error says what STS refused).
pub type CredentialsErrorSource = Arc<dyn std::error::Error + Send + Sync>;

/// Why a provider could not produce credentials.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The provider's source is not configured here (a chain moves on to the next provider).
    NotConfigured {
        /// The provider's name.
        provider: &'static str,
        /// What it looked for.
        detail: String,
    },
    /// The provider is configured but failed (a chain stops here).
    ProviderFailed {
        /// The provider's name.
        provider: &'static str,
        /// What went wrong (never contains secrets).
        message: String,
        /// Whether trying again later may succeed.
        retryable: bool,
        /// The error the provider met, when it met one: reachable through
        /// [`std::error::Error::source`] (e.g. the STS [`crate::ServiceError`] of a refused
        /// AssumeRole, with its code, request id and hint).
        source: Option<CredentialsErrorSource>,
    },
    /// The provider answered with credentials that had already expired.
    Expired {
        /// The provider's name.
        provider: &'static str,
    },
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsError::NotConfigured { provider, detail } => {
                write!(
                    f,
                    "credentials provider {provider} is not configured: {detail}"
                )
            }
            CredentialsError::ProviderFailed {
                provider, message, ..
            } => write!(f, "credentials provider {provider} failed: {message}"),
            CredentialsError::Expired { provider } => {
                write!(f, "credentials from provider {provider} have expired")
            }
        }
    }
}

impl std::error::Error for CredentialsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CredentialsError::ProviderFailed {
                source: Some(s), ..
            } => Some(&**s as &(dyn std::error::Error + 'static)),
            _ => None,
        }
    }
}

impl CredentialsError {
    /// A "not configured here" error.
    pub fn not_configured(provider: &'static str, detail: impl Into<String>) -> Self {
        CredentialsError::NotConfigured {
            provider,
            detail: detail.into(),
        }
    }

    /// A "configured but failed" error.
    pub fn failed(provider: &'static str, message: impl Into<String>) -> Self {
        CredentialsError::ProviderFailed {
            provider,
            message: message.into(),
            retryable: false,
            source: None,
        }
    }

    /// A "configured but failed, try again later" error.
    pub fn failed_retryable(provider: &'static str, message: impl Into<String>) -> Self {
        CredentialsError::ProviderFailed {
            provider,
            message: message.into(),
            retryable: true,
            source: None,
        }
    }

    /// The same error keeping `cause` as its [`source`](std::error::Error::source) (a
    /// "configured but failed" error only; other kinds are returned unchanged).
    pub fn with_source(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        if let CredentialsError::ProviderFailed { source, .. } = &mut self {
            *source = Some(Arc::new(cause));
        }
        self
    }

    /// Whether this is a "not configured here" error.
    pub fn is_not_configured(&self) -> bool {
        matches!(self, CredentialsError::NotConfigured { .. })
    }

    /// The service error (code, message, request id, hint) behind this failure, when the
    /// provider failed because a service (STS, the ECS metadata service) refused it.
    pub fn service_error(&self) -> Option<&crate::ServiceError> {
        let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(self);
        while let Some(e) = cur {
            if let Some(s) = e.downcast_ref::<crate::ServiceError>() {
                return Some(s);
            }
            if let Some(crate::Error::Service(s)) = e.downcast_ref::<crate::Error>() {
                return Some(s);
            }
            cur = e.source();
        }
        None
    }
}

/// A source of credentials.
///
/// Object-safe: use it as `Arc<dyn ProvideCredentials>` ([`SharedCredentialsProvider`]).
/// Implementations that cache must be safe to call from many tasks at once.
#[async_trait::async_trait]
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    /// Returns credentials valid for signing now.
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError>;
}

/// A provider shared between clients.
pub type SharedCredentialsProvider = Arc<dyn ProvideCredentials>;

#[async_trait::async_trait]
impl<T: ProvideCredentials + ?Sized> ProvideCredentials for Arc<T> {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        (**self).provide_credentials().await
    }
}

/// Always answers the same credentials.
#[derive(Debug, Clone)]
pub struct StaticCredentialsProvider {
    credentials: Credentials,
}

impl StaticCredentialsProvider {
    /// A provider of `credentials`.
    pub fn new(credentials: Credentials) -> Self {
        Self { credentials }
    }
}

#[async_trait::async_trait]
impl ProvideCredentials for StaticCredentialsProvider {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        Ok(self.credentials.clone())
    }
}

#[async_trait::async_trait]
impl ProvideCredentials for Credentials {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        Ok(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secret_or_token() {
        let c = Credentials::builder()
            .access_key_id("STS.id-1")
            .access_key_secret("very-secret-value")
            .security_token("very-secret-token")
            .build()
            .unwrap();
        let d = format!("{c:?} {:?}", StaticCredentialsProvider::new(c.clone()));
        assert!(d.contains("STS.id-1"));
        assert!(!d.contains("very-secret-value"));
        assert!(!d.contains("very-secret-token"));
        let b = Credentials::builder()
            .access_key_id("id")
            .access_key_secret("very-secret-value")
            .security_token("very-secret-token");
        let d = format!("{b:?}");
        assert!(!d.contains("very-secret-value") && !d.contains("very-secret-token"));
    }

    #[test]
    fn empty_id_or_secret_is_refused_naming_the_field() {
        let e = Credentials::new("", "s").unwrap_err();
        assert_eq!(e.as_invalid_input().unwrap().field(), "access_key_id");
        let e = Credentials::new("id", "").unwrap_err();
        assert_eq!(e.as_invalid_input().unwrap().field(), "access_key_secret");
    }

    #[test]
    fn expiry_checks() {
        let t0 = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let c = Credentials::builder()
            .access_key_id("id")
            .access_key_secret("s")
            .expiration(t0 + Duration::from_secs(600))
            .build()
            .unwrap();
        assert!(!c.is_expired_at(t0));
        assert!(c.is_expired_at(t0 + Duration::from_secs(600)));
        assert!(!c.expires_within(t0, Duration::from_secs(599)));
        assert!(c.expires_within(t0, Duration::from_secs(600)));
        let clone = c.clone();
        assert!(std::ptr::eq(
            clone.access_key_secret().as_ptr(),
            c.access_key_secret().as_ptr()
        ));
    }
}
