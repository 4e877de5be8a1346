//! The crate's error type.
//!
//! Everything alioss does returns [`Error`]. Service errors carry what OSS or STS said (code,
//! message, request id, host id, EC) and, for the mistakes the scenario is known for, a hint of
//! the remedy. No variant ever contains a secret, a security token, a signature or a presigned
//! URL.

use std::borrow::Cow;
use std::fmt;

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
        /// The underlying error (for HTTP failures, the `reqwest::Error` with its URL removed),
        /// when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// Data arrived or was stored with a different checksum than was sent.
    #[error("integrity check failed: the {algorithm} the client computed from {computed_from} is {client}, the server's is {server}")]
    Integrity {
        /// The checksum algorithm, e.g. `crc64ecma`.
        algorithm: &'static str,
        /// The client's value.
        client: String,
        /// The server's value.
        server: String,
        /// What the client computed its value from: `"the bytes sent"` for an upload,
        /// `"the bytes received"` for a download, `"the parts' checksums combined"` for a
        /// completed multipart upload.
        computed_from: &'static str,
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

    /// A transport error (connection, timeout, body stream) described by `message`.
    pub(crate) fn transport(message: impl Into<String>, timeout: bool, connect: bool) -> Self {
        Error::Transport {
            message: message.into(),
            timeout,
            connect,
            source: None,
        }
    }

    /// What kind of failure this is, for programs to branch on.
    ///
    /// ```
    /// use alioss::{Error, ErrorKind};
    /// assert_eq!(Error::invalid("bucket", "too short").kind(), ErrorKind::InvalidInput);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidInput(_) => ErrorKind::InvalidInput,
            Error::Service(e) => e.kind(),
            Error::Credentials(CredentialsError::Expired { .. }) => ErrorKind::CredentialsExpired,
            Error::Credentials(_) => ErrorKind::CredentialsUnavailable,
            Error::Transport { timeout: true, .. } => ErrorKind::Timeout,
            Error::Transport { .. } => ErrorKind::Transport,
            Error::Integrity { .. } => ErrorKind::Integrity,
            Error::Response(_) => ErrorKind::InvalidResponse,
            Error::Io(_) => ErrorKind::Io,
        }
    }

    /// The request id of the answer, for a service error (quote it to Alibaba Cloud support).
    pub fn request_id(&self) -> Option<&str> {
        self.as_service().and_then(|e| e.request_id.as_deref())
    }

    /// The hint of the remedy for a well-known mistake, if this error has one.
    pub fn hint(&self) -> Option<&str> {
        self.as_service().and_then(|e| e.hint.as_deref())
    }

    /// The HTTP status of a service error.
    pub fn status(&self) -> Option<u16> {
        self.as_service().map(|e| e.status)
    }

    /// Whether trying the same request again may succeed: server errors (5xx), 408, 429,
    /// connection failures and timeouts, integrity (CRC) mismatches, and `RequestTimeTooSkewed`
    /// (after the client corrects its clock). Credentials errors marked retryable by their
    /// provider count too.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Service(e) => {
                e.status == 408
                    || matches!(
                        e.kind(),
                        ErrorKind::ServerError
                            | ErrorKind::Throttled
                            | ErrorKind::RequestTimeSkewed
                    )
            }
            Error::Transport { .. } | Error::Integrity { .. } => true,
            Error::Credentials(CredentialsError::ProviderFailed { retryable, .. }) => *retryable,
            _ => false,
        }
    }
}

impl From<ServiceError> for Error {
    fn from(e: ServiceError) -> Self {
        Error::Service(Box::new(e))
    }
}

/// What kind of failure an [`Error`] is: the small, closed set of cases programs branch on.
///
/// Service errors are classified by their code first (see [`codes`]) and by their HTTP status
/// otherwise, so a new code from the service still lands in the right family.
///
/// ```
/// use alioss::{Error, ErrorKind};
///
/// fn describe(e: &Error) -> &'static str {
///     match e.kind() {
///         ErrorKind::NotFound => "no such object",
///         ErrorKind::AccessDenied => "not allowed: see e.hint()",
///         ErrorKind::CredentialsExpired => "refresh the temporary credentials",
///         k if k.is_retryable_family() => "try again later",
///         _ => "other failure",
///     }
/// }
/// assert_eq!(describe(&Error::invalid("bucket", "too short")), "other failure");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The bucket, object, upload or version does not exist (`NoSuchKey`, `NoSuchBucket`,
    /// `NoSuchUpload`, HTTP 404).
    NotFound,
    /// The credentials are valid but not allowed to do this (`AccessDenied`, STS
    /// `NoPermission`, HTTP 403 otherwise unclassified).
    AccessDenied,
    /// The object exists and overwriting was forbidden (`FileAlreadyExists`,
    /// `x-oss-forbid-overwrite`), or the bucket name is taken.
    AlreadyExists,
    /// A condition of the request did not hold (`PreconditionFailed`, HTTP 412).
    PreconditionFailed,
    /// The object has not changed since the given time or ETag (HTTP 304).
    NotModified,
    /// The request conflicts with the object's state (`PositionNotEqualToLength`,
    /// `ObjectNotAppendable`, other HTTP 409).
    Conflict,
    /// The credentials or their security token have expired (`SecurityTokenExpired`,
    /// `InvalidSecurityToken.Expired`, credentials a provider answered already expired).
    CredentialsExpired,
    /// The AccessKey id or security token is unknown, disabled or missing
    /// (`InvalidAccessKeyId`, `InvalidSecurityToken`, `MissingSecurityToken`).
    CredentialsInvalid,
    /// No credentials could be obtained (no provider configured, or the provider failed; its
    /// cause is the error's [`source`](std::error::Error::source)).
    CredentialsUnavailable,
    /// The server computed another signature (`SignatureDoesNotMatch`).
    SignatureMismatch,
    /// The client's clock differs too much from the server's (`RequestTimeTooSkewed`).
    RequestTimeSkewed,
    /// Too many requests (`Throttling*`, HTTP 429).
    Throttled,
    /// Input was refused: before any network call ([`Error::InvalidInput`]), or by the service
    /// as malformed (`InvalidArgument`, `MalformedXML`, other HTTP 400).
    InvalidInput,
    /// The service failed (HTTP 5xx).
    ServerError,
    /// The request or its body did not complete: connection, TLS, reset, body stream.
    Transport,
    /// A timeout (connect, read, or the operation's deadline).
    Timeout,
    /// Data arrived or was stored with another checksum than was sent (CRC-64, Content-MD5).
    Integrity,
    /// The answer could not be understood.
    InvalidResponse,
    /// A local I/O error (reading a file to upload, writing a download).
    Io,
    /// A service error of no other kind; see [`Error::code`].
    Other,
}

impl ErrorKind {
    /// Whether errors of this kind are, as a family, worth trying again (server errors,
    /// throttling, transport failures, timeouts, integrity mismatches, clock skew). For one
    /// error, [`Error::is_retryable`] decides.
    pub fn is_retryable_family(self) -> bool {
        matches!(
            self,
            ErrorKind::ServerError
                | ErrorKind::Throttled
                | ErrorKind::Transport
                | ErrorKind::Timeout
                | ErrorKind::Integrity
                | ErrorKind::RequestTimeSkewed
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::NotFound => "not found",
            ErrorKind::AccessDenied => "access denied",
            ErrorKind::AlreadyExists => "already exists",
            ErrorKind::PreconditionFailed => "precondition failed",
            ErrorKind::NotModified => "not modified",
            ErrorKind::Conflict => "conflict",
            ErrorKind::CredentialsExpired => "credentials expired",
            ErrorKind::CredentialsInvalid => "credentials invalid",
            ErrorKind::CredentialsUnavailable => "credentials unavailable",
            ErrorKind::SignatureMismatch => "signature mismatch",
            ErrorKind::RequestTimeSkewed => "request time skewed",
            ErrorKind::Throttled => "throttled",
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::ServerError => "server error",
            ErrorKind::Transport => "transport",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Integrity => "integrity",
            ErrorKind::InvalidResponse => "invalid response",
            ErrorKind::Io => "I/O",
            ErrorKind::Other => "other",
        })
    }
}

/// The error codes OSS and STS answer that alioss classifies, as constants to compare
/// [`Error::code`] or [`ServiceError::code`] with.
pub mod codes {
    /// OSS: the object does not exist.
    pub const NO_SUCH_KEY: &str = "NoSuchKey";
    /// OSS: the bucket does not exist.
    pub const NO_SUCH_BUCKET: &str = "NoSuchBucket";
    /// OSS: the multipart upload does not exist (completed, aborted or never started).
    pub const NO_SUCH_UPLOAD: &str = "NoSuchUpload";
    /// OSS: the version does not exist.
    pub const NO_SUCH_VERSION: &str = "NoSuchVersion";
    /// OSS: the object has no tags or the bucket no such configuration.
    pub const NO_SUCH_TAG_SET: &str = "NoSuchTagSet";
    /// OSS and STS: the request is not allowed.
    pub const ACCESS_DENIED: &str = "AccessDenied";
    /// STS: the caller may not call this action (e.g. AssumeRole with the root AccessKey).
    pub const NO_PERMISSION: &str = "NoPermission";
    /// OSS: `x-oss-forbid-overwrite` refused to replace an existing object.
    pub const FILE_ALREADY_EXISTS: &str = "FileAlreadyExists";
    /// OSS: the bucket name is taken.
    pub const BUCKET_ALREADY_EXISTS: &str = "BucketAlreadyExists";
    /// OSS: a condition header (`If-Match`, …) did not hold.
    pub const PRECONDITION_FAILED: &str = "PreconditionFailed";
    /// OSS: AppendObject at a position other than the object's length.
    pub const POSITION_NOT_EQUAL_TO_LENGTH: &str = "PositionNotEqualToLength";
    /// OSS: AppendObject on an object that is not appendable.
    pub const OBJECT_NOT_APPENDABLE: &str = "ObjectNotAppendable";
    /// OSS: the security token has expired.
    pub const SECURITY_TOKEN_EXPIRED: &str = "SecurityTokenExpired";
    /// OSS: the security token is not the one issued with this AccessKey id.
    pub const INVALID_SECURITY_TOKEN: &str = "InvalidSecurityToken";
    /// STS: the security token has expired.
    pub const INVALID_SECURITY_TOKEN_EXPIRED: &str = "InvalidSecurityToken.Expired";
    /// STS: temporary credentials were sent without their token.
    pub const MISSING_SECURITY_TOKEN: &str = "MissingSecurityToken";
    /// OSS: the AccessKey id is unknown (or, for `STS.` ids, expired).
    pub const INVALID_ACCESS_KEY_ID: &str = "InvalidAccessKeyId";
    /// STS: the AccessKey id is unknown.
    pub const INVALID_ACCESS_KEY_ID_NOT_FOUND: &str = "InvalidAccessKeyId.NotFound";
    /// STS: the AccessKey is disabled.
    pub const INVALID_ACCESS_KEY_ID_INACTIVE: &str = "InvalidAccessKeyId.Inactive";
    /// OSS and STS: the signature does not match.
    pub const SIGNATURE_DOES_NOT_MATCH: &str = "SignatureDoesNotMatch";
    /// OSS: the request's time is more than 15 minutes off the server's.
    pub const REQUEST_TIME_TOO_SKEWED: &str = "RequestTimeTooSkewed";
    /// STS: too many requests (codes start with this).
    pub const THROTTLING: &str = "Throttling";
    /// OSS: an argument is invalid.
    pub const INVALID_ARGUMENT: &str = "InvalidArgument";
    /// OSS: the XML body is malformed.
    pub const MALFORMED_XML: &str = "MalformedXML";
    /// OSS: the Content-MD5 does not match the body.
    pub const INVALID_DIGEST: &str = "InvalidDigest";
    /// OSS: the CRC-64 the client sent does not match the body.
    pub const CRC_CHECK_FAILED: &str = "CrcCheckFailed";
    /// OSS: an internal error.
    pub const INTERNAL_ERROR: &str = "InternalError";
    /// STS: the service is unavailable.
    pub const SERVICE_UNAVAILABLE: &str = "ServiceUnavailable";
    /// alioss: the error answer had no readable code.
    pub const BAD_ERROR_RESPONSE: &str = "BadErrorResponse";
}

impl ServiceError {
    /// What kind of failure this answer is: by code first, by HTTP status otherwise.
    pub fn kind(&self) -> ErrorKind {
        use codes::*;
        let code = self.code.as_str();
        match code {
            NO_SUCH_KEY | NO_SUCH_BUCKET | NO_SUCH_UPLOAD | NO_SUCH_VERSION | NO_SUCH_TAG_SET => {
                return ErrorKind::NotFound
            }
            ACCESS_DENIED | NO_PERMISSION => return ErrorKind::AccessDenied,
            FILE_ALREADY_EXISTS | BUCKET_ALREADY_EXISTS => return ErrorKind::AlreadyExists,
            PRECONDITION_FAILED => return ErrorKind::PreconditionFailed,
            POSITION_NOT_EQUAL_TO_LENGTH | OBJECT_NOT_APPENDABLE => return ErrorKind::Conflict,
            SECURITY_TOKEN_EXPIRED | INVALID_SECURITY_TOKEN_EXPIRED => {
                return ErrorKind::CredentialsExpired
            }
            INVALID_ACCESS_KEY_ID
            | INVALID_ACCESS_KEY_ID_NOT_FOUND
            | INVALID_ACCESS_KEY_ID_INACTIVE
            | MISSING_SECURITY_TOKEN => return ErrorKind::CredentialsInvalid,
            c if c.starts_with(INVALID_SECURITY_TOKEN) => return ErrorKind::CredentialsInvalid,
            SIGNATURE_DOES_NOT_MATCH | "IncompleteSignature" => {
                return ErrorKind::SignatureMismatch
            }
            REQUEST_TIME_TOO_SKEWED => return ErrorKind::RequestTimeSkewed,
            c if c.starts_with(THROTTLING) => return ErrorKind::Throttled,
            INVALID_DIGEST | CRC_CHECK_FAILED => return ErrorKind::Integrity,
            _ => {}
        }
        match self.status {
            304 => ErrorKind::NotModified,
            400 => ErrorKind::InvalidInput,
            403 => ErrorKind::AccessDenied,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            412 => ErrorKind::PreconditionFailed,
            429 => ErrorKind::Throttled,
            s if s >= 500 => ErrorKind::ServerError,
            _ => ErrorKind::Other,
        }
    }
}

/// The cause kept by a [`CredentialsError::ProviderFailed`]: the error the provider met (for
/// providers that call STS, the [`crate::Error`] whose service error says what STS refused).
pub type CredentialsErrorSource = std::sync::Arc<dyn std::error::Error + Send + Sync>;

/// Why a provider could not produce credentials.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The provider's source is not configured here (a chain moves on to the next provider).
    NotConfigured {
        /// The provider's name.
        provider: &'static str,
        /// What it looked for.
        detail: String,
    },
    /// The provider is configured but failed (a chain stops here).
    ProviderFailed {
        /// The provider's name.
        provider: &'static str,
        /// What went wrong (never contains secrets).
        message: String,
        /// Whether trying again later may succeed.
        retryable: bool,
        /// The error the provider met, when it met one: reachable through
        /// [`std::error::Error::source`] (e.g. the STS [`crate::ServiceError`] of a refused
        /// AssumeRole, with its code, request id and hint).
        source: Option<CredentialsErrorSource>,
    },
    /// The provider answered with credentials that had already expired.
    Expired {
        /// The provider's name.
        provider: &'static str,
    },
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsError::NotConfigured { provider, detail } => {
                write!(
                    f,
                    "credentials provider {provider} is not configured: {detail}"
                )
            }
            CredentialsError::ProviderFailed {
                provider, message, ..
            } => write!(f, "credentials provider {provider} failed: {message}"),
            CredentialsError::Expired { provider } => {
                write!(f, "credentials from provider {provider} have expired")
            }
        }
    }
}

impl std::error::Error for CredentialsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CredentialsError::ProviderFailed {
                source: Some(s), ..
            } => Some(&**s as &(dyn std::error::Error + 'static)),
            _ => None,
        }
    }
}

impl CredentialsError {
    /// A "not configured here" error.
    pub fn not_configured(provider: &'static str, detail: impl Into<String>) -> Self {
        CredentialsError::NotConfigured {
            provider,
            detail: detail.into(),
        }
    }

    /// A "configured but failed" error.
    pub fn failed(provider: &'static str, message: impl Into<String>) -> Self {
        CredentialsError::ProviderFailed {
            provider,
            message: message.into(),
            retryable: false,
            source: None,
        }
    }

    /// A "configured but failed, try again later" error.
    pub fn failed_retryable(provider: &'static str, message: impl Into<String>) -> Self {
        CredentialsError::ProviderFailed {
            provider,
            message: message.into(),
            retryable: true,
            source: None,
        }
    }

    /// The same error keeping `cause` as its [`source`](std::error::Error::source) (a
    /// "configured but failed" error only; other kinds are returned unchanged).
    pub fn with_source(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        if let CredentialsError::ProviderFailed { source, .. } = &mut self {
            *source = Some(std::sync::Arc::new(cause));
        }
        self
    }

    /// Whether this is a "not configured here" error.
    pub fn is_not_configured(&self) -> bool {
        matches!(self, CredentialsError::NotConfigured { .. })
    }

    /// The service error (code, message, request id, hint) behind this failure, when the
    /// provider failed because a service (STS, the ECS metadata service) refused it.
    pub fn service_error(&self) -> Option<&crate::ServiceError> {
        let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(self);
        while let Some(e) = cur {
            if let Some(s) = e.downcast_ref::<crate::ServiceError>() {
                return Some(s);
            }
            if let Some(crate::Error::Service(s)) = e.downcast_ref::<crate::Error>() {
                return Some(s);
            }
            cur = e.source();
        }
        None
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
#[derive(Clone, PartialEq, Eq)]
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
    /// The string-to-sign the server expected (OSS `SignatureDoesNotMatch` only), to compare
    /// with the client's when debugging a signature. It may hold the security token (a V1
    /// string-to-sign does), so neither `Display` nor `Debug` prints it.
    pub string_to_sign: Option<String>,
    /// The server's `Date` header, when present (used for clock-skew correction).
    pub server_time: Option<time::OffsetDateTime>,
}

impl fmt::Debug for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceError")
            .field("service", &self.service)
            .field("status", &self.status)
            .field("code", &self.code)
            .field("message", &self.message)
            .field("request_id", &self.request_id)
            .field("host_id", &self.host_id)
            .field("ec", &self.ec)
            .field("recommend", &self.recommend)
            .field("endpoint", &self.endpoint)
            .field("hint", &self.hint)
            .field(
                "string_to_sign",
                &self.string_to_sign.as_ref().map(|_| "** redacted **"),
            )
            .field("server_time", &self.server_time)
            .finish()
    }
}

impl ServiceError {
    /// A service error with the given status, code and message and nothing else.
    pub fn new(
        service: ServiceKind,
        status: u16,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        use crate::limits::{clip, MAX_ERROR_FIELD_CHARS, MAX_ERROR_MESSAGE_CHARS};
        Self {
            service,
            status,
            code: clip(code.into(), MAX_ERROR_FIELD_CHARS),
            message: clip(message.into(), MAX_ERROR_MESSAGE_CHARS),
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

impl ServiceError {
    /// Cuts every server-provided field to the lengths of [`crate::limits`].
    pub(crate) fn clip_fields(&mut self) {
        use crate::limits::{clip, MAX_ERROR_FIELD_CHARS as F, MAX_ERROR_MESSAGE_CHARS as M};
        for field in [
            &mut self.request_id,
            &mut self.host_id,
            &mut self.ec,
            &mut self.recommend,
            &mut self.endpoint,
        ] {
            if let Some(v) = field.take() {
                *field = Some(clip(v, F));
            }
        }
        if let Some(v) = self.string_to_sign.take() {
            self.string_to_sign = Some(clip(v, M));
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

/// The remedy for the OSS errors the scenario's FAQ names, given the error and the AccessKey id
/// that signed the request (not a secret: only whether it is temporary, `STS.…`, is used).
pub(crate) fn oss_hint(e: &ServiceError, access_key_id: Option<&str>) -> Option<String> {
    let temporary = access_key_id.is_some_and(|id| id.starts_with("STS."));
    let msg = e.message.as_str();
    let hint = match e.code.as_str() {
        codes::INVALID_ACCESS_KEY_ID if temporary => {
            "the temporary (STS) credentials have expired or were \
             revoked: get new ones from AssumeRole (a refreshing credentials provider does this \
             ahead of expiry)"
                .to_owned()
        }
        codes::INVALID_ACCESS_KEY_ID => {
            "this AccessKey id does not exist or is disabled: check the id, \
             and that the key belongs to this account"
                .to_owned()
        }
        codes::SECURITY_TOKEN_EXPIRED => "the security token has expired: refresh the temporary \
             credentials (call AssumeRole again)"
            .to_owned(),
        codes::INVALID_SECURITY_TOKEN => {
            "the security token is not the one STS returned with this \
             AccessKey id: send the SecurityToken together with its own AccessKeyId and secret"
                .to_owned()
        }
        codes::ACCESS_DENIED if msg.contains("authorizer's policy") => {
            "the RAM role's policy or the \
             session policy passed to AssumeRole does not grant this action on this resource: \
             add the action (e.g. oss:PutObject) and the resource to the policy, or request \
             credentials for an allowed key"
                .to_owned()
        }
        codes::ACCESS_DENIED if msg.contains("bucket acl") => {
            "no policy grants this action and the \
             bucket ACL does not allow it: check the Action element of the RAM (or bucket) policy"
                .to_owned()
        }
        codes::ACCESS_DENIED if msg.contains("Anonymous access") => "the request was not signed: \
             credentials are missing (configure a credentials provider)"
            .to_owned(),
        codes::ACCESS_DENIED if msg.contains("specified endpoint") => match &e.endpoint {
            Some(ep) => format!(
                "the bucket is in another region: address it through endpoint {ep} (set the \
                 client's region or endpoint accordingly)"
            ),
            None => "the bucket is in another region: use the endpoint of the bucket's region"
                .to_owned(),
        },
        codes::ACCESS_DENIED if e.ec.as_deref() == Some("0003-00000301") => {
            "the credentials lack the \
             permission for this operation: grant the action in the role or session policy"
                .to_owned()
        }
        codes::NO_SUCH_BUCKET => {
            "the bucket does not exist: check its name, and that the client's \
             region or endpoint is the bucket's"
                .to_owned()
        }
        codes::SIGNATURE_DOES_NOT_MATCH => {
            "the signature the server computed differs: check that the \
             AccessKey secret belongs to the AccessKey id, that the client's region is the \
             bucket's region (V4 signs it), and that no proxy rewrites the request"
                .to_owned()
        }
        codes::REQUEST_TIME_TOO_SKEWED => {
            "the local clock differs from the server's by more than 15 \
             minutes: the client corrects its clock offset and retries; fix the system clock"
                .to_owned()
        }
        _ if e.endpoint.is_some() => format!(
            "address the bucket through endpoint {}",
            e.endpoint.as_deref().unwrap_or_default()
        ),
        _ => return None,
    };
    Some(hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: &str, msg: &str) -> ServiceError {
        ServiceError::new(ServiceKind::Oss, 403, code, msg)
    }

    #[test]
    fn the_string_to_sign_is_never_printed() {
        let mut e = err(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match",
        );
        e.string_to_sign = Some("GET\n\n\n123\n/b/k?security-token=CAISmadeuptoken".into());
        let whole = Error::from(e.clone());
        for shown in [
            format!("{e:?}"),
            e.to_string(),
            format!("{whole:?}"),
            whole.to_string(),
        ] {
            assert!(!shown.contains("CAISmadeuptoken"), "{shown}");
        }
        assert!(format!("{e:?}").contains("string_to_sign: Some(\"** redacted **\")"));
    }

    #[test]
    fn expired_sts_key_hints_at_refresh() {
        let e = err(
            "InvalidAccessKeyId",
            "The OSS Access Key Id you provided does not exist in our records.",
        );
        assert!(oss_hint(&e, Some("STS.abc")).unwrap().contains("expired"));
        assert!(!oss_hint(&e, Some("LTAIabc")).unwrap().contains("expired"));
    }

    #[test]
    fn access_denied_variants_have_distinct_hints() {
        let policy = oss_hint(
            &err("AccessDenied", "Access denied by authorizer's policy."),
            None,
        );
        assert!(policy.unwrap().contains("session policy"));
        let acl = oss_hint(
            &err(
                "AccessDenied",
                "You have no right to access this object because of bucket acl.",
            ),
            None,
        );
        assert!(acl.unwrap().contains("Action element"));
        let anon = oss_hint(
            &err(
                "AccessDenied",
                "Anonymous access is forbidden for this operation.",
            ),
            None,
        );
        assert!(anon.unwrap().contains("credentials are missing"));
        let mut wrong = err(
            "AccessDenied",
            "The bucket you are attempting to access must be addressed using the specified endpoint.",
        );
        wrong.endpoint = Some("oss-cn-shanghai.aliyuncs.com".into());
        assert!(oss_hint(&wrong, None)
            .unwrap()
            .contains("oss-cn-shanghai.aliyuncs.com"));
        assert!(oss_hint(&err("NoSuchKey", "gone"), None).is_none());
    }

    #[test]
    fn retryable_classification() {
        let mut e = err("InternalError", "x");
        e.status = 503;
        assert!(Error::from(e).is_retryable());
        assert!(!Error::from(err("AccessDenied", "x")).is_retryable());
        assert!(Error::from(err("RequestTimeTooSkewed", "x")).is_retryable());
        assert!(Error::transport("reset", false, false).is_retryable());
        assert!(!Error::invalid("bucket", "x").is_retryable());
    }
}
