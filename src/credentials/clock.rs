//! An injectable source of "now", so expiry and refresh logic can be tested without sleeping.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use time::OffsetDateTime;

/// Where the current time comes from: the system clock, or any function (for tests).
///
/// Cheap to clone. Refreshing providers and the STS client read it for every decision that
/// depends on time (is the cached credential in its refresh window? which `Timestamp` to sign?).
#[derive(Clone)]
pub struct Clock {
    now: Arc<dyn Fn() -> OffsetDateTime + Send + Sync>,
}

impl Clock {
    /// The system clock (UTC).
    pub fn system() -> Self {
        Self::from_fn(OffsetDateTime::now_utc)
    }

    /// A clock that asks `now` for the time.
    pub fn from_fn(now: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Self {
        Self { now: Arc::new(now) }
    }

    /// The current time.
    pub fn now(&self) -> OffsetDateTime {
        (self.now)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

impl From<ManualClock> for Clock {
    fn from(manual: ManualClock) -> Self {
        manual.clock()
    }
}

/// A clock that only moves when told to: for tests of expiry and refresh.
///
/// Clones share the same time.
#[derive(Clone, Debug)]
pub struct ManualClock {
    now: Arc<Mutex<OffsetDateTime>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// The time the clock shows.
    pub fn now(&self) -> OffsetDateTime {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }

    /// Sets the clock to `to`.
    pub fn set(&self, to: OffsetDateTime) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }

    /// A [`Clock`] reading this manual clock.
    pub fn clock(&self) -> Clock {
        let this = self.clone();
        Clock::from_fn(move || this.now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told_and_drives_every_clock_kind() {
        let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let manual = ManualClock::new(t0);
        let clock = manual.clock();
        manual.advance(Duration::from_secs(5));
        assert_eq!(clock.now(), t0 + Duration::from_secs(5));
        let converted: Clock = manual.clone().into();
        assert_eq!(converted.now(), t0 + Duration::from_secs(5));
        manual.set(t0);
        assert_eq!(manual.now(), t0);
        assert_eq!(clock.now(), t0);
        assert!(Clock::system().now() > t0 - Duration::from_secs(86_400 * 365 * 10));
    }
}
