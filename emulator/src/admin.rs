//! The admin API under `/_emulator/`: health, clock and faults, as JSON.

use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use serde::Deserialize;

use crate::faults::Fault;
use crate::server::{json_response, Body, State};

#[derive(Deserialize)]
struct Seconds {
    seconds: i64,
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum FaultSpec {
    Fail {
        #[serde(default = "one")]
        count: u32,
        operation: Option<String>,
        status: Option<u16>,
        code: Option<String>,
        message: Option<String>,
    },
    Drop {
        after_bytes: u64,
        operation: Option<String>,
        count: Option<u32>,
    },
    Delay {
        millis: u64,
        operation: Option<String>,
        count: Option<u32>,
    },
}

fn one() -> u32 {
    1
}

impl FaultSpec {
    fn into_fault(self) -> Fault {
        let (mut f, op) = match self {
            FaultSpec::Fail {
                count,
                operation,
                status,
                code,
                message,
            } => {
                let mut f = Fault::fail_next(count);
                if let Some(s) = status {
                    f = f.status(s);
                }
                if let Some(c) = code {
                    f = f.code(&c);
                }
                if let Some(m) = message {
                    f = f.message(&m);
                }
                (f, operation)
            }
            FaultSpec::Drop {
                after_bytes,
                operation,
                count,
            } => {
                let mut f = Fault::drop_connection_after(after_bytes);
                if let Some(n) = count {
                    f = f.times(n);
                }
                (f, operation)
            }
            FaultSpec::Delay {
                millis,
                operation,
                count,
            } => {
                let mut f = Fault::delay(Duration::from_millis(millis));
                if let Some(n) = count {
                    f = f.times(n);
                }
                (f, operation)
            }
        };
        if let Some(op) = op {
            f = f.operation(&op);
        }
        f
    }
}

fn error(status: u16, message: &str) -> Response<Body> {
    json_response(
        status,
        &serde_json::json!({ "ok": false, "error": message }),
    )
}

fn clock_json(state: &State) -> serde_json::Value {
    serde_json::json!({
        "now": alioss::sts::signer::format_timestamp(state.clock.now()),
        "offset_seconds": state.clock.offset_secs(),
    })
}

pub(crate) async fn handle(
    state: &Arc<State>,
    path: &str,
    mut req: Request<Incoming>,
) -> Response<Body> {
    let method = req.method().clone();
    let body = match crate::body::read_small(req.body_mut(), 64 * 1024).await {
        Ok(b) => b,
        Err(_) => return error(400, "body too large or unreadable"),
    };
    match (method, path.trim_end_matches('/')) {
        (Method::GET, "health") => json_response(200, &serde_json::json!({ "ok": true })),
        (Method::GET, "clock") => json_response(200, &clock_json(state)),
        (Method::POST, "clock/advance") => match serde_json::from_slice::<Seconds>(&body) {
            Ok(s) if s.seconds >= 0 => {
                state.clock.advance(Duration::from_secs(s.seconds as u64));
                json_response(200, &clock_json(state))
            }
            _ => error(400, "expected {\"seconds\": N} with N >= 0"),
        },
        (Method::POST, "clock/offset") => match serde_json::from_slice::<Seconds>(&body) {
            Ok(s) => {
                state.clock.set_offset_secs(s.seconds);
                json_response(200, &clock_json(state))
            }
            _ => error(400, "expected {\"seconds\": N}"),
        },
        (Method::POST, "faults") => match serde_json::from_slice::<FaultSpec>(&body) {
            Ok(spec) => {
                state.faults.push(spec.into_fault());
                json_response(
                    200,
                    &serde_json::json!({ "ok": true, "pending": state.faults.len() }),
                )
            }
            Err(e) => error(400, &format!("invalid fault: {e}")),
        },
        (Method::DELETE, "faults") => {
            state.faults.clear();
            json_response(200, &serde_json::json!({ "ok": true }))
        }
        _ => error(404, "unknown admin endpoint"),
    }
}
