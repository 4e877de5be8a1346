//! Fault injection: fail, drop or delay the next requests of a given operation.

use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a fault does to a matching request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// Answer with this HTTP status and error code instead of serving the request.
    Fail {
        /// HTTP status, e.g. 503.
        status: u16,
        /// Error code, e.g. `ServiceUnavailable`.
        code: String,
        /// Error message.
        message: String,
    },
    /// Read this many request-body bytes (or the whole body if shorter), then close the
    /// connection without answering.
    DropConnection {
        /// Body bytes read before the connection is dropped.
        after_bytes: u64,
    },
    /// Wait this long before serving the request.
    Delay(Duration),
}

/// A fault: what to do, to which operation (`None`: any), how many times (`None`: until cleared).
///
/// Defaults: [`Fault::fail_next`] applies `n` times, [`Fault::drop_connection_after`] once,
/// [`Fault::delay`] to every matching request until [`Faults::clear`]; change it with
/// [`Fault::times`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    kind: FaultKind,
    operation: Option<String>,
    remaining: Option<u32>,
}

impl Fault {
    /// Fail the next `n` matching requests (default 503 `ServiceUnavailable`).
    pub fn fail_next(n: u32) -> Self {
        Self {
            kind: FaultKind::Fail {
                status: 503,
                code: "ServiceUnavailable".to_owned(),
                message: "Injected fault: the service is unavailable.".to_owned(),
            },
            operation: None,
            remaining: Some(n),
        }
    }

    /// Read `n_bytes` of the next matching request's body, then drop the connection.
    pub fn drop_connection_after(n_bytes: u64) -> Self {
        Self {
            kind: FaultKind::DropConnection {
                after_bytes: n_bytes,
            },
            operation: None,
            remaining: Some(1),
        }
    }

    /// Delay every matching request by `by`.
    pub fn delay(by: Duration) -> Self {
        Self {
            kind: FaultKind::Delay(by),
            operation: None,
            remaining: None,
        }
    }

    /// Only requests of this operation (e.g. `PutObject`, `AssumeRole`) match.
    pub fn operation(mut self, op: &str) -> Self {
        self.operation = Some(op.to_owned());
        self
    }

    /// The HTTP status of a [`FaultKind::Fail`] fault.
    pub fn status(mut self, status: u16) -> Self {
        if let FaultKind::Fail { status: s, .. } = &mut self.kind {
            *s = status;
        }
        self
    }

    /// The error code of a [`FaultKind::Fail`] fault.
    pub fn code(mut self, code: &str) -> Self {
        if let FaultKind::Fail { code: c, .. } = &mut self.kind {
            *c = code.to_owned();
        }
        self
    }

    /// The error message of a [`FaultKind::Fail`] fault.
    pub fn message(mut self, message: &str) -> Self {
        if let FaultKind::Fail { message: m, .. } = &mut self.kind {
            *m = message.to_owned();
        }
        self
    }

    /// Apply the fault `n` times, then forget it.
    pub fn times(mut self, n: u32) -> Self {
        self.remaining = Some(n);
        self
    }

    /// What the fault does.
    pub fn kind(&self) -> &FaultKind {
        &self.kind
    }
}

/// The emulator's list of pending faults. Cheap to clone; clones share the list.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<Vec<Fault>>>,
}

impl Faults {
    /// Adds a fault; faults are tried in the order they were pushed.
    pub fn push(&self, fault: Fault) {
        self.lock().push(fault);
    }

    /// Forgets every fault.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many faults are pending.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no fault is pending.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Fault>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The faults for one request of `operation`: the total of every matching delay, and the
    /// first matching fail or drop fault; each counts one use.
    pub(crate) fn take(&self, operation: &str) -> (Duration, Option<FaultKind>) {
        let mut list = self.lock();
        let mut delay = Duration::ZERO;
        let mut action = None;
        for f in list.iter_mut() {
            if f.remaining == Some(0) || f.operation.as_deref().is_some_and(|o| o != operation) {
                continue;
            }
            match &f.kind {
                FaultKind::Delay(d) => delay += *d,
                other if action.is_none() => action = Some(other.clone()),
                _ => continue,
            }
            if let Some(n) = &mut f.remaining {
                *n = n.saturating_sub(1);
            }
        }
        list.retain(|f| f.remaining != Some(0));
        (delay, action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_next_counts_down_and_matches_operation() {
        let f = Faults::default();
        f.push(
            Fault::fail_next(2)
                .operation("PutObject")
                .status(500)
                .code("InternalError"),
        );
        assert_eq!(f.take("GetObject").1, None);
        assert!(matches!(
            f.take("PutObject").1,
            Some(FaultKind::Fail { status: 500, .. })
        ));
        assert!(f.take("PutObject").1.is_some());
        assert_eq!(f.take("PutObject").1, None);
    }

    #[test]
    fn delay_stays_until_cleared() {
        let f = Faults::default();
        f.push(Fault::delay(Duration::from_millis(5)));
        f.push(Fault::fail_next(1).operation("B"));
        assert_eq!(f.take("A"), (Duration::from_millis(5), None));
        let (d, fail) = f.take("B");
        assert_eq!(d, Duration::from_millis(5));
        assert!(fail.is_some(), "a delay does not hide a later fault");
        assert_eq!(f.take("B"), (Duration::from_millis(5), None));
        f.clear();
        assert!(f.is_empty());
    }
}
