//! Behaviour of RefreshingCredentialsProvider: single flight, non-blocking valid callers,
//! failure handling, cancellation safety. Time comes from a ManualClock: nothing sleeps.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use alioss::credentials::{
    Credentials, CredentialsError, ManualClock, ProvideCredentials, RefreshingCredentialsProvider,
};
use support::credentials::wait_for_refresh;
use time::OffsetDateTime;
use tokio::sync::{Notify, Semaphore};

const HOUR: Duration = Duration::from_secs(3600);

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
}

fn creds(n: usize, expiration: OffsetDateTime) -> Credentials {
    Credentials::builder()
        .access_key_id(format!("STS.gen-{n}"))
        .access_key_secret("test-secret")
        .security_token("test-token")
        .expiration(expiration)
        .build()
        .unwrap()
}

/// A fetcher that counts its calls and hands out credentials valid for an hour of `clock` time.
/// Each fetch first waits until `gate` has a permit (tests control when a fetch finishes).
#[derive(Clone)]
struct CountingFetcher {
    calls: Arc<AtomicUsize>,
    clock: ManualClock,
    gate: Arc<Semaphore>,
    fail_from: Arc<AtomicUsize>,
}

impl CountingFetcher {
    fn new(clock: &ManualClock) -> Self {
        Self {
            calls: Arc::new(AtomicUsize::new(0)),
            clock: clock.clone(),
            gate: Arc::new(Semaphore::new(Semaphore::MAX_PERMITS)),
            fail_from: Arc::new(AtomicUsize::new(usize::MAX)),
        }
    }
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
    fn provider(&self) -> RefreshingCredentialsProvider {
        let f = self.clone();
        RefreshingCredentialsProvider::builder(move || {
            let f = f.clone();
            async move {
                let n = f.calls.fetch_add(1, Ordering::SeqCst) + 1;
                let permit = f
                    .gate
                    .acquire()
                    .await
                    .map_err(|_| CredentialsError::failed("test", "gate closed"))?;
                permit.forget();
                if n >= f.fail_from.load(Ordering::SeqCst) {
                    return Err(CredentialsError::failed_retryable(
                        "test",
                        format!("fetch {n} failed"),
                    ));
                }
                Ok(creds(n, f.clock.now() + HOUR))
            }
        })
        .name("test")
        .clock(self.clock.clock())
        .build()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_callers_across_expiry_cause_one_fetch_and_no_failure() {
    let clock = ManualClock::new(t0());
    let fetcher = CountingFetcher::new(&clock);
    let provider = Arc::new(fetcher.provider());
    assert_eq!(
        provider
            .provide_credentials()
            .await
            .unwrap()
            .access_key_id(),
        "STS.gen-1"
    );
    assert_eq!(fetcher.calls(), 1);

    // Cross the expiry boundary; hold the next fetch until every caller is waiting or served.
    clock.advance(HOUR + Duration::from_secs(1));
    fetcher.gate.forget_permits(usize::MAX);
    let gate = Arc::new(Semaphore::new(0));
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let p = provider.clone();
        let started = gate.clone();
        tasks.push(tokio::spawn(async move {
            started.add_permits(1);
            p.provide_credentials().await
        }));
    }
    // Every task has started before the fetch is released.
    let _all = gate.acquire_many(1000).await.unwrap();
    fetcher.gate.add_permits(1);
    let mut failed = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(c) => assert_eq!(c.access_key_id(), "STS.gen-2"),
            Err(_) => failed += 1,
        }
    }
    assert_eq!(failed, 0);
    assert_eq!(
        fetcher.calls(),
        2,
        "exactly one fetch for the expiry boundary"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_in_the_refresh_window_get_cached_credentials_while_one_refresh_runs() {
    let clock = ManualClock::new(t0());
    let fetcher = CountingFetcher::new(&clock);
    let provider = Arc::new(fetcher.provider());
    provider.provide_credentials().await.unwrap();
    // Default window: min(5 min, 20 % of 1 h) = 5 min before expiry.
    assert_eq!(
        provider.refresh_at(),
        Some(t0() + HOUR - Duration::from_secs(300))
    );

    clock.advance(HOUR - Duration::from_secs(200));
    fetcher.gate.forget_permits(usize::MAX); // the refresh hangs until released
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let p = provider.clone();
        tasks.push(tokio::spawn(async move { p.provide_credentials().await }));
    }
    for t in tasks {
        let c = tokio::time::timeout(Duration::from_secs(30), t)
            .await
            .expect("not blocked")
            .unwrap()
            .unwrap();
        assert_eq!(c.access_key_id(), "STS.gen-1");
    }
    assert!(provider.is_refreshing());
    fetcher.gate.add_permits(1);
    // Wait for the background refresh to land.
    wait_for_refresh(&provider).await;
    assert_eq!(
        provider
            .provide_credentials()
            .await
            .unwrap()
            .access_key_id(),
        "STS.gen-2"
    );
    assert_eq!(fetcher.calls(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_fetcher_does_not_block_callers_holding_valid_credentials() {
    let clock = ManualClock::new(t0());
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let ck = clock.clone();
    let provider = Arc::new(
        RefreshingCredentialsProvider::builder(move || {
            let n = c2.fetch_add(1, Ordering::SeqCst);
            let now = ck.now();
            async move {
                if n > 0 {
                    std::future::pending::<()>().await;
                }
                Ok(creds(n, now + HOUR))
            }
        })
        .clock(clock.clock())
        .build(),
    );
    provider.provide_credentials().await.unwrap();
    clock.advance(HOUR - Duration::from_secs(10)); // in the window, still valid
    for _ in 0..100 {
        let c = tokio::time::timeout(Duration::from_secs(30), provider.provide_credentials())
            .await
            .expect("a valid cached credential is served without waiting")
            .unwrap();
        assert_eq!(c.access_key_id(), "STS.gen-0");
    }
    while calls.load(Ordering::SeqCst) < 2 {
        tokio::task::yield_now().await;
    }
    assert!(provider.is_refreshing());
    for _ in 0..100 {
        provider.provide_credentials().await.unwrap();
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "one hanging refresh, not one per caller"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_fetcher_with_valid_cached_credentials_fails_no_caller_and_backs_off() {
    let clock = ManualClock::new(t0());
    let fetcher = CountingFetcher::new(&clock);
    let provider = Arc::new(fetcher.provider());
    provider.provide_credentials().await.unwrap();
    fetcher.fail_from.store(2, Ordering::SeqCst);
    clock.advance(HOUR - Duration::from_secs(240)); // in the 5-minute window

    let mut failed = 0;
    for _ in 0..50 {
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let p = provider.clone();
            tasks.push(tokio::spawn(async move { p.provide_credentials().await }));
        }
        for t in tasks {
            match t.await.unwrap() {
                Ok(c) => assert_eq!(c.access_key_id(), "STS.gen-1"),
                Err(_) => failed += 1,
            }
        }
        wait_for_refresh(&provider).await;
    }
    assert_eq!(failed, 0);
    // Backoff: the clock did not move, so only one refresh was tried.
    assert_eq!(fetcher.calls(), 2);
    // After the 1 s backoff another attempt runs (still failing, still invisible).
    clock.advance(Duration::from_secs(2));
    provider.provide_credentials().await.unwrap();
    wait_for_refresh(&provider).await;
    assert_eq!(fetcher.calls(), 3);

    // Once expired, callers get the error.
    clock.advance(HOUR);
    let err = provider.provide_credentials().await.unwrap_err();
    assert!(err.to_string().contains("failed"), "{err}");
    // Recovery.
    fetcher.fail_from.store(usize::MAX, Ordering::SeqCst);
    clock.advance(Duration::from_secs(120));
    assert!(provider.provide_credentials().await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_caller_does_not_wedge_the_refresh() {
    let clock = ManualClock::new(t0());
    let release = Arc::new(Notify::new());
    let calls = Arc::new(AtomicUsize::new(0));
    let (r, c2, ck) = (release.clone(), calls.clone(), clock.clone());
    let provider = Arc::new(
        RefreshingCredentialsProvider::builder(move || {
            let (r, c2, ck) = (r.clone(), c2.clone(), ck.clone());
            async move {
                let n = c2.fetch_add(1, Ordering::SeqCst);
                r.notified().await;
                Ok(creds(n, ck.now() + HOUR))
            }
        })
        .clock(clock.clock())
        .build(),
    );
    // The first caller starts the fetch, then goes away.
    let p = provider.clone();
    let first = tokio::spawn(async move { p.provide_credentials().await });
    while calls.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    // The fetch keeps running; the next caller joins it instead of starting another.
    let p = provider.clone();
    let second = tokio::spawn(async move { p.provide_credentials().await });
    release.notify_one();
    let c = tokio::time::timeout(Duration::from_secs(30), second)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(c.access_key_id(), "STS.gen-0");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn absent_credentials_error_is_returned_then_retried_after_backoff() {
    let clock = ManualClock::new(t0());
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let ck = clock.clone();
    let provider = RefreshingCredentialsProvider::builder(move || {
        let n = c2.fetch_add(1, Ordering::SeqCst);
        let now = ck.now();
        async move {
            if n == 0 {
                Err(CredentialsError::failed("test", "first fetch fails"))
            } else {
                Ok(creds(n, now + Duration::from_secs(900)))
            }
        }
    })
    .clock(clock.clock())
    .build();
    assert!(provider.provide_credentials().await.is_err());
    assert!(provider.provide_credentials().await.is_err());
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the error is not refetched within the backoff"
    );
    clock.advance(Duration::from_secs(1));
    assert!(provider.provide_credentials().await.is_ok());
    // 15-minute credentials: the window is 20 % of the lifetime, 3 minutes.
    assert_eq!(
        provider.refresh_at(),
        Some(t0() + Duration::from_secs(1 + 900 - 180))
    );
}

#[tokio::test]
async fn credentials_that_arrive_expired_are_an_error_and_window_is_configurable() {
    let clock = ManualClock::new(t0());
    let ck = clock.clone();
    let provider = RefreshingCredentialsProvider::builder(move || {
        let now = ck.now();
        async move { Ok(creds(0, now - Duration::from_secs(1))) }
    })
    .clock(clock.clock())
    .build();
    let e = provider.provide_credentials().await.unwrap_err();
    assert!(matches!(e, CredentialsError::Expired { .. }), "{e:?}");

    let ck = clock.clone();
    let provider = RefreshingCredentialsProvider::builder(move || {
        let now = ck.now();
        async move { Ok(creds(0, now + HOUR)) }
    })
    .clock(clock.clock())
    .refresh_window(Duration::from_secs(900))
    .refresh_lifetime_fraction(0.5)
    .build();
    provider.provide_credentials().await.unwrap();
    assert_eq!(
        provider.refresh_at(),
        Some(t0() + HOUR - Duration::from_secs(900))
    );
    assert!(!format!("{provider:?}").contains("test-secret"));
}

#[tokio::test]
async fn a_panicking_fetcher_is_an_error_not_a_wedge() {
    let clock = ManualClock::new(t0());
    let calls = Arc::new(AtomicUsize::new(0));
    let (c2, ck) = (calls.clone(), clock.clone());
    let provider = RefreshingCredentialsProvider::builder(move || {
        let n = c2.fetch_add(1, Ordering::SeqCst);
        let now = ck.now();
        async move {
            if n == 0 {
                panic!("fetcher bug");
            }
            Ok(creds(n, now + HOUR))
        }
    })
    .clock(clock.clock())
    .build();
    let e = provider.provide_credentials().await.unwrap_err();
    assert!(e.to_string().contains("panicked"), "{e}");
    assert!(!provider.is_refreshing());
    clock.advance(Duration::from_secs(2));
    assert_eq!(
        provider
            .provide_credentials()
            .await
            .unwrap()
            .access_key_id(),
        "STS.gen-1"
    );
}

#[test]
fn a_fetch_cancelled_by_its_runtime_shutting_down_does_not_wedge_the_next_runtime() {
    let clock = ManualClock::new(t0());
    let calls = Arc::new(AtomicUsize::new(0));
    let (c2, ck) = (calls.clone(), clock.clone());
    let provider = Arc::new(
        RefreshingCredentialsProvider::builder(move || {
            let n = c2.fetch_add(1, Ordering::SeqCst);
            let now = ck.now();
            async move {
                if n == 0 {
                    std::future::pending::<()>().await;
                }
                Ok(creds(n, now + HOUR))
            }
        })
        .clock(clock.clock())
        .build(),
    );
    let first = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (p, c3) = (provider.clone(), calls.clone());
    first.block_on(async move {
        // Start the (hanging) fetch, wait until it is running, then give up on it.
        let attempt = p.provide_credentials();
        tokio::pin!(attempt);
        while c3.load(Ordering::SeqCst) == 0 {
            tokio::select! {
                biased;
                _ = &mut attempt => panic!("the first fetch hangs"),
                _ = tokio::task::yield_now() => {}
            }
        }
    });
    drop(first); // cancels the fetch task
    let second = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let c = second.block_on(provider.provide_credentials()).unwrap();
    assert_eq!(c.access_key_id(), "STS.gen-1");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}
