//! STS error answers: parsing, hints for the well-known mistakes, and retry classification.

use crate::error::{ServiceError, ServiceKind};

/// The longest part of a non-JSON error body kept in the message.
const MAX_RAW_BODY_CHARS: usize = 256;

/// Builds the service error for an STS answer with HTTP `status` and `body`.
///
/// A JSON body `{RequestId, HostId, Code, Message, Recommend}` fills the matching fields; any
/// other body (an HTML page from a proxy, nothing at all) becomes code `BadErrorResponse` (or
/// `HTTP<status>` when empty) with the start of the body as message. Every string in
/// `sensitive` (signature, security token) is removed from what the server said.
pub(crate) fn service_error(status: u16, body: &[u8], sensitive: &[&str]) -> ServiceError {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Body {
        request_id: Option<String>,
        host_id: Option<String>,
        code: Option<String>,
        message: Option<String>,
        recommend: Option<String>,
    }
    let parsed = serde_json::from_slice::<Body>(body)
        .ok()
        .filter(|b| b.code.is_some());
    let mut err = match parsed {
        Some(b) => {
            let code = b.code.unwrap_or_default();
            let mut e = ServiceError::new(
                ServiceKind::Sts,
                status,
                code,
                scrub(b.message.unwrap_or_default(), sensitive),
            );
            e.request_id = b.request_id;
            e.host_id = b.host_id;
            e.recommend = b.recommend.map(|r| scrub(r, sensitive));
            e
        }
        None => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            let code = if text.is_empty() {
                format!("HTTP{status}")
            } else {
                "BadErrorResponse".to_owned()
            };
            // Scrubbed before it is cut, so that no part of a secret survives the cut.
            let excerpt: String = scrub(text.to_owned(), sensitive)
                .chars()
                .take(MAX_RAW_BODY_CHARS)
                .collect();
            let message = if text.is_empty() {
                format!("STS answered HTTP {status} with an empty body")
            } else {
                format!(
                    "STS answered HTTP {status} with a body that is not an STS error: {excerpt}"
                )
            };
            ServiceError::new(ServiceKind::Sts, status, code, message)
        }
    };
    err.clip_fields();
    err.hint = hint_for(&err.code).map(str::to_owned);
    err
}

/// Removes every string in `sensitive` from `text`, as it is and as it appears percent-encoded
/// once or twice (an STS `SignatureDoesNotMatch` message quotes the server's string-to-sign,
/// where the query, security token included, is encoded twice).
fn scrub(mut text: String, sensitive: &[&str]) -> String {
    for s in sensitive.iter().filter(|s| s.len() >= 4) {
        let once = crate::sts::signer::percent_encode(s);
        let twice = crate::sts::signer::percent_encode(&once);
        for form in [twice.as_str(), once.as_str(), s] {
            if text.contains(form) {
                text = text.replace(form, "** redacted **");
            }
        }
    }
    text
}

/// The remedy for STS error codes this scenario is known for.
pub fn hint_for(code: &str) -> Option<&'static str> {
    let hint = match code {
        "NoPermission" => {
            "AssumeRole must be called with a RAM user's AccessKey that has the \
             AliyunSTSAssumeRoleAccess policy (or sts:AssumeRole on this role), not the root \
             account's AccessKey; also check that the role's trust policy lets this account \
             assume it"
        }
        "InvalidParameter.DurationSeconds" => {
            "DurationSeconds must be at least 900 and at most the role's maximum session \
             duration (3600 s by default; a role's maximum can be raised up to 43200 s in RAM)"
        }
        "InvalidAccessKeyId.NotFound" | "InvalidAccessKeyId" => {
            "the AccessKey id is wrong, deleted, or temporary credentials that have expired: \
             check the key, or get new temporary credentials"
        }
        "InvalidAccessKeyId.Inactive" => "the AccessKey is disabled: enable it or use another",
        "MissingSecurityToken" => {
            "temporary (STS.) credentials were used without their SecurityToken: pass the token \
             STS returned together with the AccessKey id and secret"
        }
        "SignatureDoesNotMatch" | "IncompleteSignature" => {
            "the AccessKey secret does not match the AccessKey id, or the request was altered \
             on the way: check the secret"
        }
        "InvalidParameter.PolicyGrammar" | "InvalidParameter.Policy" => {
            "the session policy is not valid RAM policy JSON: it needs \"Version\": \"1\" and \
             statements with Effect Allow/Deny, Action and Resource; build it with \
             alioss::policy to catch mistakes before calling STS"
        }
        "EntityNotExist.Role" => {
            "the role in RoleArn does not exist: check the account id and the role name \
             (acs:ram::<account-id>:role/<role-name>)"
        }
        "InvalidParameter.RoleSessionName" => {
            "RoleSessionName must be 2-64 characters of A-Z a-z 0-9 . @ _ -"
        }
        c if c.starts_with("InvalidSecurityToken") || c == "SecurityTokenExpired" => {
            "the SecurityToken is expired or not the one STS returned with this AccessKey id: \
             get new temporary credentials (a refreshing provider does this ahead of expiry)"
        }
        c if c.starts_with("Throttling") => {
            "STS allows about 100 calls per second per account: reuse temporary credentials \
             until they near expiry (e.g. AssumeRoleCredentialsProvider) instead of calling \
             AssumeRole for every request"
        }
        _ => return None,
    };
    Some(hint)
}

/// Whether an STS error answer is worth retrying: throttling, HTTP 429, 408 (request timeout)
/// and server errors, as for OSS. (`RequestTimeTooSkewed` is not: the STS client signs with
/// its clock as it is, so the same request would be refused again.)
pub(crate) fn is_retryable(err: &ServiceError) -> bool {
    err.status == 408
        || matches!(
            err.kind(),
            crate::ErrorKind::Throttled | crate::ErrorKind::ServerError
        )
        || err.code == crate::error::codes::SERVICE_UNAVAILABLE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_body_fills_every_field() {
        let body = br#"{"RequestId":"R-1","HostId":"sts.aliyuncs.com","Code":"NoPermission","Message":"You are not authorized to do this action. You should be authorized by RAM.","Recommend":"https://api.aliyun.com/troubleshoot?q=NoPermission"}"#;
        let e = service_error(403, body, &[]);
        assert_eq!(e.code, "NoPermission");
        assert_eq!(e.request_id.as_deref(), Some("R-1"));
        assert_eq!(e.host_id.as_deref(), Some("sts.aliyuncs.com"));
        assert!(e.recommend.as_deref().unwrap().contains("troubleshoot"));
        assert!(e
            .hint
            .as_deref()
            .unwrap()
            .contains("AliyunSTSAssumeRoleAccess"));
        assert!(e.to_string().contains("root account"));
    }

    #[test]
    fn a_token_quoted_encoded_or_cut_is_redacted() {
        let token = "CAIS+made/up=token";
        let once = crate::sts::signer::percent_encode(token);
        let twice = crate::sts::signer::percent_encode(&once);
        let body = format!(
            r#"{{"Code":"SignatureDoesNotMatch","Message":"server string to sign is:POST&%2F&SecurityToken%3D{twice}%26A{once}B{token}"}}"#
        );
        let e = service_error(400, body.as_bytes(), &[token]);
        for shown in [e.to_string(), format!("{e:?}")] {
            assert!(!shown.contains("CAIS"), "{shown}");
            assert!(shown.contains("** redacted **"), "{shown}");
        }
        // A non-JSON body is scrubbed before it is cut to its excerpt.
        let raw = format!("{}{token}", "x".repeat(MAX_RAW_BODY_CHARS - 6));
        let e = service_error(502, raw.as_bytes(), &[token]);
        assert!(!e.message.contains("CAIS"), "{}", e.message);
    }

    #[test]
    fn garbage_bodies_do_not_panic() {
        for body in [
            &b""[..],
            b"<html>502 Bad Gateway</html>",
            b"{",
            b"[1,2]",
            b"\xff\xfe",
            b"{\"Code\":5}",
        ] {
            let e = service_error(502, body, &[]);
            assert_eq!(e.status, 502);
            assert!(!e.code.is_empty());
            assert!(is_retryable(&e));
        }
    }

    #[test]
    fn timeouts_throttling_and_server_errors_are_retried_refusals_are_not() {
        let answer = |status: u16, code: &str| {
            service_error(status, format!(r#"{{"Code":"{code}"}}"#).as_bytes(), &[])
        };
        assert!(is_retryable(&answer(408, "RequestTimeout")));
        assert!(is_retryable(&answer(400, "Throttling.User")));
        assert!(is_retryable(&answer(503, "ServiceUnavailable")));
        assert!(!is_retryable(&answer(403, "NoPermission")));
        assert!(!is_retryable(&answer(400, "InvalidParameter")));
    }

    #[test]
    fn sensitive_strings_are_removed() {
        let body = br#"{"Code":"SignatureDoesNotMatch","Message":"Specified signature abcdSIGNATURE= is not matched"}"#;
        let e = service_error(400, body, &["abcdSIGNATURE="]);
        assert!(!e.message.contains("abcdSIGNATURE="));
        let e = service_error(500, b"token tok-secret-1 leaked", &["tok-secret-1"]);
        assert!(!e.message.contains("tok-secret-1"));
    }
}
