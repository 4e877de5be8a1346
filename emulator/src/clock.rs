//! The server's clock: real time plus an adjustable offset, so tests can skew it or move it
//! forward (token and presigned-URL expiry) without waiting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

/// The time the emulator believes it is. Cheap to clone; clones share the offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_millis: Arc<AtomicI64>,
}

impl Clock {
    /// A clock that follows real time.
    pub fn new() -> Self {
        Self::default()
    }

    /// The server's current time (real time + offset), in UTC.
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
            + time::Duration::milliseconds(self.offset_millis.load(Ordering::SeqCst))
    }

    /// Moves the server clock forward by `by` (adds to the offset).
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_millis.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the server clock to real time + `secs` (negative: behind real time).
    pub fn set_offset_secs(&self, secs: i64) {
        self.offset_millis
            .store(secs.saturating_mul(1000), Ordering::SeqCst);
    }

    /// The current offset from real time, in whole seconds.
    pub fn offset_secs(&self) -> i64 {
        self.offset_millis.load(Ordering::SeqCst) / 1000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_and_offset_move_now() {
        let c = Clock::new();
        let before = c.now();
        c.advance(Duration::from_secs(3600));
        assert!(c.now() - before >= time::Duration::seconds(3600));
        assert_eq!(c.offset_secs(), 3600);
        c.set_offset_secs(-60);
        assert_eq!(c.offset_secs(), -60);
        assert!(c.now() < OffsetDateTime::now_utc());
    }
}
