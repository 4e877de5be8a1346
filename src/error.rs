//! The crate's error type.
//!
//! Everything alioss does returns [`Error`]. Service errors carry what OSS or STS said (code,
//! message, request id, host id, EC) and, for the mistakes the scenario is known for, a hint of
//! the remedy. No variant ever contains a secret, a security token, a signature or a presigned
//! URL.

use std::borrow::Cow;
use std::fmt;

use crate::credentials::CredentialsError;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every error alioss returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input was refused before any network call.
    #[error(transparent)]
    InvalidInput(#[from] InvalidInputError),
    /// OSS or STS answered with an error.
    #[error(transparent)]
    Service(Box<ServiceError>),
    /// No credentials could be obtained.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// The request did not complete (connection, timeout, body stream).
    #[error("transport error: {message}")]
    Transport {
        /// What went wrong, without URLs or secrets.
        message: String,
        /// Whether the failure was a timeout.
        timeout: bool,
        /// Whether a connection could not be established.
        connect: bool,
    },
    /// Data arrived or was stored with a different checksum than was sent.
    #[error("integrity check failed: {algorithm} sent by the client is {client}, the server computed {server}")]
    Integrity {
        /// The checksum algorithm, e.g. `crc64ecma`.
        algorithm: &'static str,
        /// The client's value.
        client: String,
        /// The server's value.
        server: String,
    },
    /// A response could not be understood.
    #[error("unexpected response: {0}")]
    Response(String),
    /// A local I/O error (reading a file to upload, writing a download).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// The service error, if this is one.
    pub fn as_service(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) => Some(e),
            _ => None,
        }
    }

    /// The service error code (`AccessDenied`, `NoPermission`, …), if this is a service error.
    pub fn code(&self) -> Option<&str> {
        self.as_service().map(|e| e.code.as_str())
    }

    /// The invalid-input error, if this is one.
    pub fn as_invalid_input(&self) -> Option<&InvalidInputError> {
        match self {
            Error::InvalidInput(e) => Some(e),
            _ => None,
        }
    }

    /// Builds an invalid-input error for `field` breaking `rule`.
    pub fn invalid(field: impl Into<Cow<'static, str>>, rule: impl Into<String>) -> Self {
        Error::InvalidInput(InvalidInputError::new(field, rule))
    }
}

impl From<ServiceError> for Error {
    fn from(e: ServiceError) -> Self {
        Error::Service(Box::new(e))
    }
}

/// Input refused before any network call: names the field and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {rule}")]
pub struct InvalidInputError {
    field: Cow<'static, str>,
    rule: String,
}

impl InvalidInputError {
    /// A new error for `field` breaking `rule`.
    pub fn new(field: impl Into<Cow<'static, str>>, rule: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
        }
    }

    /// The field that was refused (e.g. `bucket`, `DurationSeconds`).
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The rule the value broke.
    pub fn rule(&self) -> &str {
        &self.rule
    }
}

/// Which service answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServiceKind {
    /// Object Storage Service.
    Oss,
    /// Security Token Service.
    Sts,
}

impl fmt::Display for ServiceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ServiceKind::Oss => "OSS",
            ServiceKind::Sts => "STS",
        })
    }
}

/// An error answered by OSS or STS.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceError {
    /// The service that answered.
    pub service: ServiceKind,
    /// HTTP status code.
    pub status: u16,
    /// Error code, e.g. `AccessDenied`.
    pub code: String,
    /// The service's message.
    pub message: String,
    /// Request id (`x-oss-request-id` / `RequestId`).
    pub request_id: Option<String>,
    /// Host id.
    pub host_id: Option<String>,
    /// OSS error-code detail (`EC`, e.g. `0003-00000301`).
    pub ec: Option<String>,
    /// A documentation or troubleshooting URL the service recommended.
    pub recommend: Option<String>,
    /// The endpoint the service says the bucket must be addressed with, when it says so.
    pub endpoint: Option<String>,
    /// What is probably wrong and how to fix it, for well-known mistakes.
    pub hint: Option<String>,
    /// The string-to-sign the server expected (OSS `SignatureDoesNotMatch` only). Not a secret,
    /// but never printed by `Display`.
    pub string_to_sign: Option<String>,
    /// The server's `Date` header, when present (used for clock-skew correction).
    pub server_time: Option<time::OffsetDateTime>,
}

impl ServiceError {
    /// A service error with the given status, code and message and nothing else.
    pub fn new(
        service: ServiceKind,
        status: u16,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            service,
            status,
            code: code.into(),
            message: message.into(),
            request_id: None,
            host_id: None,
            ec: None,
            recommend: None,
            endpoint: None,
            hint: None,
            string_to_sign: None,
            server_time: None,
        }
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} error {} (HTTP {}): {}",
            self.service, self.code, self.status, self.message
        )?;
        if let Some(ec) = &self.ec {
            write!(f, " [EC {ec}]")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, ". Hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServiceError {}
