//! Which STS failures are retried, how often, and how long to wait in between.

use std::time::Duration;

/// Bounded retries with full-jitter exponential backoff.
///
/// The delay before retry number `n` (1 for the second attempt) is a uniformly random duration in
/// `[0, min(base_delay × 2ⁿ, max_delay))` ("full jitter"), so many clients that failed together
/// do not retry together. The STS client retries throttling (`Throttling*`, HTTP 429), server
/// errors (5xx) and transport failures; it never retries other 4xx answers.
///
/// The default is 3 attempts in total, a 200 ms base and a 20 s cap (the OSS SDKs' values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::standard()
    }
}

impl RetryPolicy {
    /// 3 attempts, 200 ms base delay, 20 s cap.
    pub const fn standard() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(20),
        }
    }

    /// A single attempt: nothing is retried.
    pub const fn disabled() -> Self {
        Self {
            max_attempts: 1,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        }
    }

    /// A policy of `max_attempts` attempts in total (at least 1), waiting up to
    /// `min(base_delay × 2ⁿ, max_delay)` before retry `n`.
    pub fn new(max_attempts: u32, base_delay: Duration, max_delay: Duration) -> Self {
        Self {
            max_attempts: max_attempts.max(1),
            base_delay,
            max_delay,
        }
    }

    /// Attempts in total, the first included.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The base delay.
    pub fn base_delay(&self) -> Duration {
        self.base_delay
    }

    /// The cap on any single delay.
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The upper bound of the delay before retry `retry` (1 = before the second attempt).
    pub fn delay_ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(30)).unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// A random delay in `[0, delay_ceiling(retry))`.
    pub fn delay(&self, retry: u32) -> Duration {
        self.delay_ceiling(retry).mul_f64(fastrand::f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_up_to_the_cap() {
        let p = RetryPolicy::new(5, Duration::from_millis(200), Duration::from_secs(1));
        assert_eq!(p.delay_ceiling(1), Duration::from_millis(400));
        assert_eq!(p.delay_ceiling(2), Duration::from_millis(800));
        assert_eq!(p.delay_ceiling(3), Duration::from_secs(1));
        assert_eq!(p.delay_ceiling(99), Duration::from_secs(1));
        for n in 1..10 {
            assert!(p.delay(n) < p.delay_ceiling(n) || p.delay_ceiling(n).is_zero());
        }
        assert_eq!(
            RetryPolicy::new(0, Duration::ZERO, Duration::ZERO).max_attempts(),
            1
        );
        assert_eq!(RetryPolicy::disabled().max_attempts(), 1);
    }
}
