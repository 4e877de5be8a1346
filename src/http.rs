//! What every HTTP caller of the crate shares: how its reqwest client is configured, and how a
//! reqwest error becomes [`Error::Transport`] without the URL (which may carry a signature).

use std::time::Duration;

use crate::oss::USER_AGENT;
use crate::Error;

/// A reqwest client builder with the crate's user agent, the given timeouts and no redirects
/// (a redirect would resend signed headers to another host).
pub(crate) fn client_builder(connect: Duration, read: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(connect)
        .read_timeout(read)
        .redirect(reqwest::redirect::Policy::none())
}

/// A client from [`client_builder`]; a failure to build it is a transport error.
pub(crate) fn client(connect: Duration, read: Duration) -> Result<reqwest::Client, Error> {
    client_builder(connect, read).build().map_err(|e| {
        Error::transport(
            format!("could not build the HTTP client: {}", error_chain(&e)),
            false,
            false,
        )
    })
}

/// The message of `e` and its sources (each source once).
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let s_text = s.to_string();
        if !msg.contains(&s_text) {
            msg.push_str(": ");
            msg.push_str(&s_text);
        }
        src = s.source();
    }
    msg
}

/// A transport error from reqwest, with the URL (presigned or not) stripped.
pub(crate) fn transport_error(e: reqwest::Error) -> Error {
    let timeout = e.is_timeout();
    let connect = e.is_connect();
    let e = e.without_url();
    Error::Transport {
        message: error_chain(&e),
        timeout,
        connect,
        source: Some(Box::new(e)),
    }
}
