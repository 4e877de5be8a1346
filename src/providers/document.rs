//! The JSON credentials document served by token-vending services, the ECS metadata service and
//! STS: `{AccessKeyId, AccessKeySecret, SecurityToken, Expiration}`.

use crate::credentials::{Credentials, CredentialsError};

/// The longest part of an unexpected body kept in an error message.
const MAX_EXCERPT_CHARS: usize = 200;

/// Parses a credentials document. Accepted shapes:
///
/// * `{"AccessKeyId", "AccessKeySecret", "SecurityToken"?, "Expiration"?}` (token-vending);
/// * the same with `"Code": "Success"` (ECS metadata service); any other `Code` is a failure
///   reported with its `Code` and `Message`;
/// * `{"Credentials": {…}}` (an STS answer passed through).
pub(crate) fn parse_credentials_document(
    provider: &'static str,
    body: &[u8],
) -> Result<Credentials, CredentialsError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| {
        CredentialsError::failed(
            provider,
            format!(
                "the answer is not a JSON credentials document (starts with {:?})",
                excerpt(body)
            ),
        )
    })?;
    let mut doc = value.as_object().ok_or_else(|| {
        CredentialsError::failed(provider, "the answer is JSON but not an object")
    })?;
    if let Some(code) = doc.get("Code").and_then(|c| c.as_str()) {
        if code != "Success" {
            let message = doc.get("Message").and_then(|m| m.as_str()).unwrap_or("");
            return Err(CredentialsError::failed(
                provider,
                format!("the credentials service answered Code {code}: {message}"),
            ));
        }
    }
    if !doc.contains_key("AccessKeyId") {
        if let Some(inner) = doc.get("Credentials").and_then(|c| c.as_object()) {
            doc = inner;
        }
    }
    let field = |name: &str| {
        doc.get(name)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    };
    let id = field("AccessKeyId").ok_or_else(|| {
        CredentialsError::failed(provider, "the credentials document lacks AccessKeyId")
    })?;
    let secret = field("AccessKeySecret").ok_or_else(|| {
        CredentialsError::failed(provider, "the credentials document lacks AccessKeySecret")
    })?;
    let expiration = match field("Expiration") {
        Some(text) => Some(crate::sts::parse_expiration(text).ok_or_else(|| {
            CredentialsError::failed(
                provider,
                format!("the credentials document has an Expiration that is not yyyy-MM-ddTHH:mm:ssZ: {text:?}"),
            )
        })?),
        None => None,
    };
    Credentials::builder()
        .access_key_id(id)
        .access_key_secret(secret)
        .maybe_security_token(field("SecurityToken"))
        .maybe_expiration(expiration)
        .provider_name(provider)
        .build()
        .map_err(|e| CredentialsError::failed(provider, e.to_string()))
}

pub(crate) fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .trim()
        .chars()
        .take(MAX_EXCERPT_CHARS)
        .collect()
}

/// The error of `provider` for a non-2xx answer `status` from `service` (`what` adds
/// context after the status): retryable for a 5xx, with an excerpt of the body.
pub(crate) fn http_refusal(
    provider: &'static str,
    service: &str,
    status: u16,
    what: &str,
    body: &[u8],
) -> CredentialsError {
    let msg = format!("{service} answered HTTP {status}{what}: {}", excerpt(body));
    if status >= 500 {
        CredentialsError::failed_retryable(provider, msg)
    } else {
        CredentialsError::failed(provider, msg)
    }
}

/// Turns a crate error met while fetching credentials into a credentials error of `provider`.
pub(crate) fn credentials_error(provider: &'static str, e: crate::Error) -> CredentialsError {
    match e {
        crate::Error::Credentials(c) => c,
        e => {
            let message = e.to_string();
            let failed = if e.kind().is_retryable_family() {
                CredentialsError::failed_retryable(provider, message)
            } else {
                CredentialsError::failed(provider, message)
            };
            failed.with_source(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_shapes_parse() {
        let plain = br#"{"AccessKeyId":"STS.a","AccessKeySecret":"test-secret","SecurityToken":"test-token","Expiration":"2030-01-01T00:00:00Z"}"#;
        let c = parse_credentials_document("p", plain).unwrap();
        assert_eq!(c.access_key_id(), "STS.a");
        assert_eq!(c.security_token(), Some("test-token"));
        assert_eq!(c.provider_name(), "p");
        let ecs = br#"{"Code":"Success","AccessKeyId":"STS.b","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2030-01-01T00:00:00Z","LastUpdated":"2029-12-31T18:00:00Z"}"#;
        assert_eq!(
            parse_credentials_document("p", ecs)
                .unwrap()
                .access_key_id(),
            "STS.b"
        );
        let nested = br#"{"RequestId":"r","Credentials":{"AccessKeyId":"STS.c","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2030-01-01T00:00:00Z"}}"#;
        assert_eq!(
            parse_credentials_document("p", nested)
                .unwrap()
                .access_key_id(),
            "STS.c"
        );
        let long_term = br#"{"AccessKeyId":"LTAI-test","AccessKeySecret":"s"}"#;
        assert_eq!(
            parse_credentials_document("p", long_term)
                .unwrap()
                .expiration(),
            None
        );
    }

    #[test]
    fn bad_documents_fail_without_echoing_secrets() {
        for body in [
            &b"<html>"[..],
            b"[]",
            br#"{"Code":"Failed","Message":"no role"}"#,
            br#"{"AccessKeyId":"a"}"#,
            br#"{"AccessKeySecret":"test-secret"}"#,
            br#"{"AccessKeyId":"a","AccessKeySecret":"test-secret","Expiration":"soon"}"#,
        ] {
            let e = parse_credentials_document("p", body).unwrap_err();
            assert!(!e.is_not_configured());
            assert!(!e.to_string().contains("test-secret"), "{e}");
        }
    }
}
