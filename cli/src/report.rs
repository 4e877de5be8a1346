//! How failures are printed: the service's code, message, request id and hint on stderr, and
//! a non-zero exit status.

use std::error::Error as _;

use alioss::Error;

/// Prints `e` on stderr and returns the exit status (1).
pub(crate) fn failure(e: &Error) -> i32 {
    eprintln!("{}", describe(e));
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
