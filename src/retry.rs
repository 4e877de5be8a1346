//! Retry policy: bounded attempts with full-jitter exponential backoff.
//!
//! Defaults (those of the official v2 SDKs): **3 attempts** in total, **200 ms** base delay,
//! **20 s** cap. Before retry `n` (1 for the second attempt) the client sleeps a uniformly random
//! duration in `[0, min(base × 2^n, cap))`.
//!
//! What is retried ([`crate::Error::is_retryable`]): HTTP 5xx, 408 and 429, connection failures
//! and timeouts, CRC-64 mismatches, and `RequestTimeTooSkewed` once the client has learnt the
//! server's clock (that retry is immediate). A request whose body is a stream
//! ([`Body::from_stream`](crate::oss::Body::from_stream)) is never retried. Every attempt asks
//! the credentials provider again and is signed anew.

use std::time::Duration;

/// How often and how patiently a request is retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::standard()
    }
}

impl RetryPolicy {
    /// 3 attempts, 200 ms base delay, 20 s cap.
    pub fn standard() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_backoff: Duration::from_secs(20),
        }
    }

    /// One attempt, no retries.
    pub fn no_retries() -> Self {
        Self::standard().with_max_attempts(1)
    }

    /// Sets the number of attempts in total (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the base delay.
    pub fn with_base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// Sets the longest backoff ceiling.
    pub fn with_max_backoff(mut self, cap: Duration) -> Self {
        self.max_backoff = cap;
        self
    }

    /// The number of attempts in total.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The upper bound of the delay before retry `retry` (1 = the second attempt):
    /// `min(base × 2^retry, cap)`.
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }

    /// The delay before retry `retry`: uniformly random below [`Self::backoff_ceiling`].
    pub fn backoff(&self, retry: u32) -> Duration {
        self.backoff_ceiling(retry).mul_f64(fastrand::f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_documented_values() {
        let p = RetryPolicy::default();
        assert_eq!(p.max_attempts(), 3);
        assert_eq!(p.backoff_ceiling(1), Duration::from_millis(400));
        assert_eq!(p.backoff_ceiling(2), Duration::from_millis(800));
        assert_eq!(p.backoff_ceiling(10), Duration::from_secs(20));
        assert_eq!(p.backoff_ceiling(200), Duration::from_secs(20));
        assert_eq!(RetryPolicy::no_retries().max_attempts(), 1);
        assert_eq!(
            RetryPolicy::standard().with_max_attempts(0).max_attempts(),
            1
        );
    }

    #[test]
    fn full_jitter_stays_below_the_ceiling() {
        let p = RetryPolicy::default();
        let mut distinct = std::collections::HashSet::new();
        for _ in 0..200 {
            let d = p.backoff(2);
            assert!(d < Duration::from_millis(800));
            distinct.insert(d);
        }
        assert!(distinct.len() > 100, "jitter must spread the delays");
    }
}
