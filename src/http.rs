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

/// Why a bounded body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// The connection failed while reading (already a URL-free transport error).
    Transport(Error),
    /// The body is larger than allowed (by its `Content-Length`, or as it streamed in).
    TooLarge {
        /// What the body is, for the message.
        what: &'static str,
        /// The limit, in bytes.
        limit: usize,
    },
}

impl BodyError {
    /// Whether trying again may help (a transport failure; a too-large body will not shrink).
    pub(crate) fn is_transport(&self) -> bool {
        matches!(self, BodyError::Transport(_))
    }
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::Transport(e) => e.fmt(f),
            BodyError::TooLarge { what, limit } => write!(
                f,
                "{what} is larger than its limit of {limit} bytes (see alioss::limits); refused"
            ),
        }
    }
}

impl From<BodyError> for Error {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::Transport(e) => e,
            too_large => Error::Response(too_large.to_string()),
        }
    }
}

/// Reads `resp`'s body into memory, refusing it past `limit` bytes: at once when its
/// `Content-Length` says so, otherwise as soon as the bytes received pass the limit (the rest
/// is not read).
pub(crate) async fn read_limited(
    mut resp: reqwest::Response,
    limit: usize,
    what: &'static str,
) -> Result<bytes::Bytes, BodyError> {
    let too_large = BodyError::TooLarge { what, limit };
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large);
    }
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| BodyError::Transport(transport_error(e)))?
    {
        if buf.len() + chunk.len() > limit {
            return Err(too_large);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Reads at most `limit` bytes of `resp`'s body (an error body: what fits is enough to report
/// the error). A failure while reading gives what arrived before it.
pub(crate) async fn read_prefix(mut resp: reqwest::Response, limit: usize) -> bytes::Bytes {
    let mut buf = bytes::BytesMut::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let room = limit - buf.len();
        if chunk.len() >= room {
            buf.extend_from_slice(&chunk[..room]);
            break;
        }
        buf.extend_from_slice(&chunk);
    }
    buf.freeze()
}
