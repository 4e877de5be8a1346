//! A credentials cache that refreshes ahead of expiry, one fetch at a time.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use std::panic::AssertUnwindSafe;

use futures_util::future::{BoxFuture, FutureExt as _, Shared};
use time::OffsetDateTime;
use tracing::Instrument as _;

use super::{Clock, Credentials, CredentialsError, ProvideCredentials};
use crate::retry::RetryPolicy;

/// How long before expiry a refresh starts, at most (5 minutes).
pub const DEFAULT_REFRESH_WINDOW: Duration = Duration::from_secs(300);
/// The refresh window as a fraction of the credentials' lifetime, when that is shorter (20 %).
pub const DEFAULT_REFRESH_LIFETIME_FRACTION: f64 = 0.2;
/// The first wait after a failed background refresh (1 s); it doubles with every failure.
pub const DEFAULT_RETRY_BASE: Duration = Duration::from_secs(1);
/// The longest wait between background refresh attempts (60 s).
pub const DEFAULT_RETRY_MAX: Duration = Duration::from_secs(60);
/// How long one fetch may take before it counts as failed (60 s).
pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(60);

/// Something that fetches fresh credentials every time it is asked (an STS call, an HTTP GET of
/// a token-vending service, …). [`RefreshingCredentialsProvider`] decides *when* to ask.
///
/// Any `Fn() -> impl Future<Output = Result<Credentials, CredentialsError>>` is a fetcher.
#[async_trait::async_trait]
pub trait FetchCredentials: Send + Sync {
    /// Fetches new credentials.
    async fn fetch_credentials(&self) -> Result<Credentials, CredentialsError>;
}

#[async_trait::async_trait]
impl<F, Fut> FetchCredentials for F
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Credentials, CredentialsError>> + Send + 'static,
{
    async fn fetch_credentials(&self) -> Result<Credentials, CredentialsError> {
        self().await
    }
}

type InflightFetch = Shared<BoxFuture<'static, Result<Credentials, CredentialsError>>>;

/// The running fetch: what waiters await, and a handle telling whether its task is gone.
struct Inflight {
    fetch: InflightFetch,
    task: tokio::task::AbortHandle,
}

/// Caches credentials from a [`FetchCredentials`] and refreshes them before they expire.
///
/// The contract:
///
/// * **Refresh ahead of expiry.** Credentials that expire at `E` and were fetched at `F` are
///   refreshed from `E − min(window, fraction × (E − F))` on: by default 5 minutes before
///   expiry, or the last 20 % of their lifetime when that is shorter (15-minute credentials
///   refresh 3 minutes early). Credentials without an expiration are kept for good. Absent or
///   expired credentials are fetched immediately.
/// * **Single flight.** However many tasks ask at once, at most one fetch runs.
/// * **Valid credentials never wait.** While the cached credentials are still valid, callers get
///   them at once; the refresh runs in a background task. Only callers without valid credentials
///   wait for the fetch (all of them for the same one).
/// * **Failures.** A failed refresh while the cached credentials are still valid is not seen by
///   callers: they keep getting the cached credentials, and the refresh is retried after a
///   backoff (1 s, doubling up to 60 s, never past half the remaining lifetime). Once the
///   credentials have expired, callers get the error (the same error, without a new fetch, until
///   the backoff has passed).
/// * **Cancellation-safe.** The fetch runs in its own tokio task: a caller that is dropped while
///   waiting does not cancel it, and the next caller gets its result. A fetch that takes longer
///   than the fetch timeout (60 s) or panics counts as failed; a fetch whose runtime shut down
///   is forgotten and the next caller starts a new one. A tokio runtime is required.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use alioss::credentials::{Credentials, CredentialsError, ProvideCredentials, RefreshingCredentialsProvider};
///
/// let provider = RefreshingCredentialsProvider::new(|| async {
///     Credentials::builder()
///         .access_key_id("STS.example")
///         .access_key_secret("example-secret")
///         .security_token("example-token")
///         .expiration(time::OffsetDateTime::now_utc() + std::time::Duration::from_secs(3600))
///         .build()
///         .map_err(|e| CredentialsError::failed("example", e.to_string()))
/// });
/// let creds = provider.provide_credentials().await.unwrap();
/// assert_eq!(creds.access_key_id(), "STS.example");
/// # }
/// ```
#[derive(Clone)]
pub struct RefreshingCredentialsProvider {
    shared: Arc<SharedState>,
}

struct SharedState {
    fetcher: Arc<dyn FetchCredentials>,
    settings: Settings,
    state: Mutex<State>,
}

/// What the builder sets and the provider keeps.
struct Settings {
    name: &'static str,
    clock: Clock,
    window: Duration,
    fraction: f64,
    /// The backoff after failed refreshes (only its base delay and cap are used).
    backoff: RetryPolicy,
    fetch_timeout: Duration,
}

impl Settings {
    fn debug_fields<'a, 'b>(
        &self,
        d: &'a mut fmt::DebugStruct<'a, 'b>,
    ) -> &'a mut fmt::DebugStruct<'a, 'b> {
        d.field("name", &self.name)
            .field("window", &self.window)
            .field("fraction", &self.fraction)
    }
}

#[derive(Default)]
struct State {
    cached: Option<Cached>,
    inflight: Option<Inflight>,
    failures: u32,
    retry_at: Option<OffsetDateTime>,
    last_error: Option<CredentialsError>,
}

struct Cached {
    credentials: Credentials,
    refresh_at: Option<OffsetDateTime>,
}

impl fmt::Debug for RefreshingCredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.shared;
        let st = s.lock();
        s.settings
            .debug_fields(&mut f.debug_struct("RefreshingCredentialsProvider"))
            .field("cached", &st.cached.as_ref().map(|c| &c.credentials))
            .field("refreshing", &st.inflight.is_some())
            .field("failures", &st.failures)
            .finish_non_exhaustive()
    }
}

/// Builder for [`RefreshingCredentialsProvider`].
pub struct RefreshingCredentialsProviderBuilder {
    fetcher: Arc<dyn FetchCredentials>,
    settings: Settings,
}

impl fmt::Debug for RefreshingCredentialsProviderBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.settings
            .debug_fields(&mut f.debug_struct("RefreshingCredentialsProviderBuilder"))
            .finish_non_exhaustive()
    }
}

impl RefreshingCredentialsProviderBuilder {
    /// The provider's name, used in errors and traces (default `refreshing`).
    pub fn name(mut self, name: &'static str) -> Self {
        self.settings.name = name;
        self
    }

    /// The clock that decides expiry (default: the system clock).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.settings.clock = clock;
        self
    }

    /// Start refreshing at most this long before expiry (default 5 minutes).
    pub fn refresh_window(mut self, window: Duration) -> Self {
        self.settings.window = window;
        self
    }

    /// Start refreshing at most this fraction of the lifetime before expiry (default 0.2;
    /// clamped to 0–1). The smaller of this and [`refresh_window`](Self::refresh_window) wins.
    pub fn refresh_lifetime_fraction(mut self, fraction: f64) -> Self {
        self.settings.fraction = if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            DEFAULT_REFRESH_LIFETIME_FRACTION
        };
        self
    }

    /// The backoff after failed refreshes: `base`, doubling per failure, capped at `max`
    /// (default 1 s and 60 s).
    pub fn retry_backoff(mut self, base: Duration, max: Duration) -> Self {
        self.settings.backoff = RetryPolicy::standard()
            .with_base_delay(base)
            .with_max_backoff(max);
        self
    }

    /// How long one fetch may take (default 60 s).
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.settings.fetch_timeout = timeout;
        self
    }

    /// Builds the provider (nothing is fetched until credentials are first asked for).
    pub fn build(self) -> RefreshingCredentialsProvider {
        RefreshingCredentialsProvider {
            shared: Arc::new(SharedState {
                fetcher: self.fetcher,
                settings: self.settings,
                state: Mutex::new(State::default()),
            }),
        }
    }
}

impl RefreshingCredentialsProvider {
    /// A provider over `fetcher` with the default settings.
    pub fn new(fetcher: impl FetchCredentials + 'static) -> Self {
        Self::builder(fetcher).build()
    }

    /// Starts a builder over `fetcher`.
    pub fn builder(
        fetcher: impl FetchCredentials + 'static,
    ) -> RefreshingCredentialsProviderBuilder {
        Self::builder_shared(Arc::new(fetcher))
    }

    /// Starts a builder over a shared fetcher.
    pub fn builder_shared(
        fetcher: Arc<dyn FetchCredentials>,
    ) -> RefreshingCredentialsProviderBuilder {
        RefreshingCredentialsProviderBuilder {
            fetcher,
            settings: Settings {
                name: "refreshing",
                clock: Clock::system(),
                window: DEFAULT_REFRESH_WINDOW,
                fraction: DEFAULT_REFRESH_LIFETIME_FRACTION,
                backoff: RetryPolicy::standard()
                    .with_base_delay(DEFAULT_RETRY_BASE)
                    .with_max_backoff(DEFAULT_RETRY_MAX),
                fetch_timeout: DEFAULT_FETCH_TIMEOUT,
            },
        }
    }

    /// The provider's name.
    pub fn name(&self) -> &'static str {
        self.shared.settings.name
    }

    /// When the cached credentials will start being refreshed, if any are cached and expire.
    pub fn refresh_at(&self) -> Option<OffsetDateTime> {
        self.shared
            .lock()
            .cached
            .as_ref()
            .and_then(|c| c.refresh_at)
    }

    /// Whether a fetch is running now.
    pub fn is_refreshing(&self) -> bool {
        self.shared.lock().inflight.is_some()
    }
}

impl SharedState {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn refresh_at(
        &self,
        now: OffsetDateTime,
        expiration: Option<OffsetDateTime>,
    ) -> Option<OffsetDateTime> {
        let exp = expiration?;
        let lifetime: Duration = (exp - now).try_into().unwrap_or(Duration::ZERO);
        let window = self
            .settings
            .window
            .min(lifetime.mul_f64(self.settings.fraction));
        Some(exp - window)
    }

    /// The wait after `failures` failed refreshes: the base delay, doubling per failure,
    /// capped.
    fn backoff(&self, failures: u32) -> Duration {
        self.settings
            .backoff
            .backoff_ceiling(failures.saturating_sub(1).min(30))
    }

    /// Starts the background fetch and records it as in flight. Called with the lock held.
    fn start_fetch(self: &Arc<Self>, st: &mut State) -> Result<InflightFetch, CredentialsError> {
        let name = self.settings.name;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            CredentialsError::failed(name, "refreshing credentials needs a tokio runtime")
        })?;
        let this = Arc::clone(self);
        let span = tracing::debug_span!("credentials.refresh", provider = name);
        let task = runtime.spawn(
            async move {
                let fetch = tokio::time::timeout(
                    this.settings.fetch_timeout,
                    this.fetcher.fetch_credentials(),
                );
                let fetched = match AssertUnwindSafe(fetch).catch_unwind().await {
                    Ok(Ok(result)) => result,
                    Ok(Err(_elapsed)) => Err(CredentialsError::failed_retryable(
                        this.settings.name,
                        format!(
                            "fetching credentials took longer than {:?}",
                            this.settings.fetch_timeout
                        ),
                    )),
                    Err(_panic) => Err(CredentialsError::failed_retryable(
                        this.settings.name,
                        "the credentials fetcher panicked",
                    )),
                };
                this.complete(fetched)
            }
            .instrument(span),
        );
        let abort = task.abort_handle();
        let fetch: InflightFetch = async move {
            task.await.unwrap_or_else(|_| {
                Err(CredentialsError::failed(
                    name,
                    "the credentials refresh task was aborted",
                ))
            })
        }
        .boxed()
        .shared();
        st.inflight = Some(Inflight {
            fetch: fetch.clone(),
            task: abort,
        });
        Ok(fetch)
    }

    /// Records the outcome of a fetch; answers what waiting callers get.
    fn complete(
        &self,
        fetched: Result<Credentials, CredentialsError>,
    ) -> Result<Credentials, CredentialsError> {
        let now = self.settings.clock.now();
        let fetched = fetched.and_then(|c| {
            if c.is_expired_at(now) {
                Err(CredentialsError::Expired {
                    provider: self.settings.name,
                })
            } else {
                Ok(c)
            }
        });
        let mut st = self.lock();
        st.inflight = None;
        match fetched {
            Ok(c) => {
                let refresh_at = self.refresh_at(now, c.expiration());
                tracing::debug!(expiration = ?c.expiration(), ?refresh_at, "credentials refreshed");
                st.cached = Some(Cached {
                    credentials: c.clone(),
                    refresh_at,
                });
                st.failures = 0;
                st.retry_at = None;
                st.last_error = None;
                Ok(c)
            }
            Err(e) => {
                st.failures = st.failures.saturating_add(1);
                let mut wait = self.backoff(st.failures);
                if let Some(exp) = st.cached.as_ref().and_then(|c| c.credentials.expiration()) {
                    if exp > now {
                        let left: time::Duration = exp - now;
                        let half = Duration::try_from(left / 2_i32).unwrap_or(Duration::ZERO);
                        wait = wait.min(half);
                    }
                }
                tracing::warn!(error = %e, failures = st.failures, retry_in = ?wait, "credentials refresh failed");
                st.retry_at = Some(now + wait);
                st.last_error = Some(e.clone());
                Err(e)
            }
        }
    }
}

#[async_trait::async_trait]
impl ProvideCredentials for RefreshingCredentialsProvider {
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        let shared = &self.shared;
        let now = shared.settings.clock.now();
        let wait_for = {
            let mut st = shared.lock();
            // A fetch whose task ended without recording its outcome was cancelled (its runtime
            // shut down): forget it, so it cannot wedge later callers.
            if st.inflight.as_ref().is_some_and(|f| f.task.is_finished()) {
                st.inflight = None;
            }
            if let Some(cached) = &st.cached {
                if !cached.credentials.is_expired_at(now) {
                    let credentials = cached.credentials.clone();
                    let due = cached.refresh_at.is_some_and(|t| now >= t);
                    let backing_off = st.retry_at.is_some_and(|t| now < t);
                    if due && st.inflight.is_none() && !backing_off {
                        // Background refresh; its failure is recorded, never seen here.
                        let _ = shared.start_fetch(&mut st);
                    }
                    return Ok(credentials);
                }
            }
            match &st.inflight {
                Some(inflight) => inflight.fetch.clone(),
                None => {
                    if let (Some(retry_at), Some(err)) = (st.retry_at, &st.last_error) {
                        if now < retry_at {
                            return Err(err.clone());
                        }
                    }
                    shared.start_fetch(&mut st)?
                }
            }
        };
        wait_for.await
    }
}

/// A provider from a closure, called on every request (no caching; wrap the closure in a
/// [`RefreshingCredentialsProvider`] for that).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use alioss::credentials::{provide_credentials_fn, Credentials, CredentialsError, ProvideCredentials};
///
/// let provider = provide_credentials_fn(|| async {
///     Credentials::new("example-id", "example-secret")
///         .map_err(|e| CredentialsError::failed("closure", e.to_string()))
/// });
/// assert_eq!(provider.provide_credentials().await.unwrap().access_key_id(), "example-id");
/// # }
/// ```
pub fn provide_credentials_fn<F, Fut>(f: F) -> ProvideCredentialsFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Credentials, CredentialsError>> + Send + 'static,
{
    ProvideCredentialsFn { f }
}

/// A [`ProvideCredentials`] made from a closure; see [`provide_credentials_fn`].
#[derive(Clone)]
pub struct ProvideCredentialsFn<F> {
    f: F,
}

impl<F> fmt::Debug for ProvideCredentialsFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProvideCredentialsFn")
    }
}

#[async_trait::async_trait]
impl<F, Fut> ProvideCredentials for ProvideCredentialsFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Credentials, CredentialsError>> + Send + 'static,
{
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        (self.f)().await
    }
}
