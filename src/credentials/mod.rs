//! Credentials, the provider trait, and the providers that need no service.
//!
//! [`Credentials`] hold an AccessKey id, its secret, and for temporary (STS) credentials a
//! security token and an expiration. The secret and the token are zeroized on drop, clones share
//! one allocation, and `Debug` never prints them.
//!
//! Every source of credentials implements [`ProvideCredentials`]. A provider that finds nothing
//! to work with (no variables set, no file) answers [`CredentialsError::NotConfigured`], so a
//! chain moves on to its next provider; any other error stops the chain.
//!
//! Here:
//!
//! * [`StaticCredentialsProvider`], [`EnvironmentCredentialsProvider`], and closures
//!   ([`provide_credentials_fn`]);
//! * [`RefreshingCredentialsProvider`]: a cache over any [`FetchCredentials`] that refreshes
//!   ahead of expiry, one fetch at a time, without blocking callers whose credentials are
//!   still valid.
//!
//! The providers that call a service (STS `AssumeRole` and OIDC, the ECS metadata service, a
//! token-vending URL), the profile files (which may name an STS role) and the default chain
//! are in [`crate::providers`], above [`crate::sts`]: this module knows nothing of STS.
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

mod clock;
mod environment;
mod refreshing;

pub use crate::error::{CredentialsError, CredentialsErrorSource};
pub use clock::{Clock, ManualClock};
pub use environment::{EnvironmentCredentialsProvider, EnvironmentSource};
pub use refreshing::{
    provide_credentials_fn, FetchCredentials, ProvideCredentialsFn, RefreshingCredentialsProvider,
    RefreshingCredentialsProviderBuilder, DEFAULT_FETCH_TIMEOUT, DEFAULT_REFRESH_LIFETIME_FRACTION,
    DEFAULT_REFRESH_WINDOW, DEFAULT_RETRY_BASE, DEFAULT_RETRY_MAX,
};

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
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) naming `access_key_id` or
    /// `access_key_secret` when one is empty.
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

    /// Sets the security token (temporary credentials). An empty (or blank) token is refused
    /// by [`build`](Self::build): leave it unset for a long-term AccessKey, or use
    /// [`maybe_security_token`](Self::maybe_security_token), which treats empty as unset.
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

    /// Builds the credentials; the id and the secret must be non-empty, and so must a security
    /// token that was set.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) naming `access_key_id`,
    /// `access_key_secret` or `security_token`.
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
        if self
            .security_token
            .as_ref()
            .is_some_and(|t| t.trim().is_empty())
        {
            return Err(crate::Error::invalid(
                "security_token",
                "must not be empty when set (leave it unset for a long-term AccessKey)",
            ));
        }
        Ok(Credentials {
            inner: Arc::new(Inner {
                access_key_id,
                access_key_secret,
                security_token: self.security_token,
                expiration: self.expiration,
                provider_name: self.provider_name.unwrap_or("static"),
            }),
        })
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
