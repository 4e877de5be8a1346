//! How failures are printed: the service's code, message, request id and hint on stderr, and
//! a non-zero exit status.

use std::error::Error as _;

use alioss::Error;

/// Why a command failed: one error, or some of the transfers of `cp -r` (each one's error
/// already printed as it happened).
#[derive(Debug)]
pub(crate) enum Failure {
    /// The command's error.
    One(Error),
    /// `failed` of `total` transfers failed.
    Transfers { failed: usize, total: usize },
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::One(e)
    }
}

/// Prints `f` on stderr and returns the exit status (1).
pub(crate) fn failure(f: &Failure) -> i32 {
    match f {
        Failure::One(e) => eprintln!("{}", describe(e)),
        Failure::Transfers { failed, total } => {
            eprintln!("error: {failed} of {total} transfers failed (each error is above)")
        }
    }
    1
}

/// The lines printed for `e` (no secrets: errors never carry them).
pub(crate) fn describe(e: &Error) -> String {
    let mut out = String::new();
    match e.as_service() {
        Some(s) => {
            out.push_str(&format!(
                "error: {} {} (HTTP {}): {}",
                s.service, s.code, s.status, s.message
            ));
            if let Some(id) = &s.request_id {
                out.push_str(&format!("\n  request id: {id}"));
            }
            if let Some(ec) = &s.ec {
                out.push_str(&format!("\n  EC: {ec}"));
            }
            if let Some(hint) = &s.hint {
                out.push_str(&format!("\n  hint: {hint}"));
            }
        }
        None => {
            out.push_str(&format!("error: {e}"));
            let mut source = e.source();
            while let Some(s) = source {
                out.push_str(&format!("\n  caused by: {s}"));
                source = s.source();
            }
            if let Some(hint) = e.hint() {
                out.push_str(&format!("\n  hint: {hint}"));
            }
        }
    }
    out
}
