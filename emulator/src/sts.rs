//! STS over RPC: `AssumeRole`, with the checks the cloud makes.

use std::sync::Arc;

use base64::Engine as _;
use hyper::Response;

use alioss::sts::signer;

use crate::authz;
use crate::errors::StsError;
use crate::iam::{KeyOwner, Principal, Session};
use crate::server::{
    apply_fault, json_response, sts_error_response, Body, DropConnection, RequestInfo, State,
};

/// Longest session policy accepted (characters).
const MAX_POLICY_LEN: usize = 2048;
/// Allowed difference between `Timestamp` and the server clock.
const TIMESTAMP_WINDOW: time::Duration = time::Duration::minutes(15);

/// Splits `acs:ram::<account>:role/<name>` into (account, role name).
pub(crate) fn parse_role_arn(arn: &str) -> Option<(String, String)> {
    let rest = arn.strip_prefix("acs:ram::")?;
    let (account, role) = rest.split_once(':')?;
    let name = role.strip_prefix("role/")?;
    if account.is_empty()
        || !account.bytes().all(|b| b.is_ascii_digit())
        || name.is_empty()
        || name.contains('/')
    {
        return None;
    }
    Some((account.to_owned(), name.to_owned()))
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn parse_sts_timestamp(s: &str) -> Option<time::OffsetDateTime> {
    if let Some(t) = signer::parse_timestamp(s) {
        return Some(t);
    }
    // JavaScript clients send milliseconds: 2024-01-01T00:00:00.000Z.
    let (head, tail) = s.split_once('.')?;
    let digits = tail.strip_suffix('Z')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    signer::parse_timestamp(&format!("{head}Z"))
}

fn random_string(len: usize, alphabet: &[u8]) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in uuid::Uuid::new_v4().as_bytes() {
            if out.len() == len {
                break;
            }
            out.push(alphabet[*b as usize % alphabet.len()] as char);
        }
    }
    out
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn duration_label(secs: u64) -> String {
    if secs % 3600 == 0 {
        format!("{}hr", secs / 3600)
    } else {
        format!("{}min", secs / 60)
    }
}

/// Handles an RPC request; `query` and `form` are the decoded parameters.
pub(crate) async fn handle(
    state: &Arc<State>,
    method: &str,
    query: Vec<(String, String)>,
    form: Vec<(String, String)>,
    info: &RequestInfo,
) -> Result<Response<Body>, DropConnection> {
    let mut params = query;
    for (k, v) in form {
        if !params.iter().any(|(n, _)| *n == k) {
            params.push((k, v));
        }
    }
    let action = param(&params, "Action").unwrap_or_default().to_owned();
    if let Some((status, code, message)) = apply_fault(state, &action, None).await? {
        return Ok(sts_error_response(
            &StsError::new(status, &code, message),
            info,
        ));
    }
    let result = match action.as_str() {
        "AssumeRole" => assume_role(state, method, &params, info),
        _ => Err(StsError::new(
            404,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        )),
    };
    Ok(match result {
        Ok(body) => json_response(200, &body),
        Err(e) => sts_error_response(&e, info),
    })
}

/// Authenticates an RPC request: signature, timestamp, nonce, security token.
fn authenticate(
    state: &State,
    method: &str,
    params: &[(String, String)],
    info: &RequestInfo,
) -> Result<KeyOwner, StsError> {
    for p in [
        "AccessKeyId",
        "Signature",
        "SignatureMethod",
        "SignatureNonce",
        "Timestamp",
        "Version",
    ] {
        if param(params, p).is_none_or(str::is_empty) {
            return Err(StsError::missing(p));
        }
    }
    if param(params, "SignatureMethod") != Some("HMAC-SHA1") {
        return Err(StsError::new(
            400,
            "InvalidSignatureMethod",
            "Specified signature method is not supported; use HMAC-SHA1.",
        ));
    }
    if let Some(v) = param(params, "SignatureVersion") {
        if v != "1.0" {
            return Err(StsError::new(
                400,
                "InvalidSignatureVersion",
                "Specified signature version is not supported; use 1.0.",
            ));
        }
    }
    if param(params, "Version") != Some("2015-04-01") {
        return Err(StsError::new(
            400,
            "InvalidVersion",
            "Specified parameter Version is not valid; STS uses 2015-04-01.",
        ));
    }
    let ts_text = param(params, "Timestamp").unwrap_or_default();
    let Some(ts) = parse_sts_timestamp(ts_text) else {
        return Err(StsError::new(
            400,
            "InvalidTimeStamp.Format",
            "Specified time stamp or date value is not well formatted.",
        ));
    };
    if (ts - info.now).abs() > TIMESTAMP_WINDOW {
        return Err(StsError::new(
            400,
            "InvalidTimeStamp.Expired",
            format!(
                "Specified time stamp or date value is expired. Server time: {}",
                signer::format_timestamp(info.now)
            ),
        ));
    }
    let ak = param(params, "AccessKeyId").unwrap_or_default();
    let Some(owner) = state.iam.lookup_key(ak) else {
        return Err(StsError::new(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        ));
    };
    if let KeyOwner::Session(s) = &owner {
        match param(params, "SecurityToken") {
            None | Some("") => {
                return Err(StsError::new(
                    400,
                    "MissingSecurityToken",
                    "SecurityToken is mandatory for this action.",
                ))
            }
            Some(t) if t != s.token => {
                return Err(StsError::new(
                    400,
                    "InvalidSecurityToken.MismatchWithAccessKey",
                    "Specified SecurityToken mismatch with the AccessKey.",
                ))
            }
            Some(_) if info.now >= s.expiration => {
                return Err(StsError::new(
                    400,
                    "InvalidSecurityToken.Expired",
                    "Specified SecurityToken is expired.",
                ))
            }
            Some(_) => {}
        }
    }
    let canonical =
        signer::canonicalized_query(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let string_to_sign = signer::string_to_sign(&method.to_ascii_uppercase(), &canonical);
    let expected = signer::signature(owner.secret(&state.iam), &string_to_sign);
    if param(params, "Signature") != Some(expected.as_str()) {
        return Err(StsError::new(
            400,
            "SignatureDoesNotMatch",
            format!(
                "Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"
            ),
        ));
    }
    let nonce = param(params, "SignatureNonce").unwrap_or_default();
    if !state.iam.use_nonce(nonce, info.now, TIMESTAMP_WINDOW * 2) {
        return Err(StsError::new(
            400,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        ));
    }
    Ok(owner)
}

fn assume_role(
    state: &State,
    method: &str,
    params: &[(String, String)],
    info: &RequestInfo,
) -> Result<serde_json::Value, StsError> {
    let owner = authenticate(state, method, params, info)?;
    let user = match owner.principal() {
        Principal::Root => return Err(StsError::no_permission()),
        Principal::Session(_) => return Err(StsError::no_permission()),
        Principal::User(u) => u,
    };
    let role_arn = param(params, "RoleArn").unwrap_or_default();
    if role_arn.is_empty() {
        return Err(StsError::missing("RoleArn"));
    }
    let session_name = param(params, "RoleSessionName").unwrap_or_default();
    if session_name.is_empty() {
        return Err(StsError::missing("RoleSessionName"));
    }
    if parse_role_arn(role_arn).is_none() {
        return Err(StsError::new(
            400,
            "InvalidParameter.RoleArn",
            "The parameter RoleArn is wrongly formed.",
        ));
    }
    if !(2..=64).contains(&session_name.len())
        || !session_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'@' | b'-' | b'_'))
    {
        return Err(StsError::new(
            400,
            "InvalidParameter.RoleSessionName",
            "The parameter RoleSessionName is wrongly formed: 2 to 64 characters of letters, digits and . @ - _",
        ));
    }
    let session_policy = match param(params, "Policy") {
        None | Some("") => None,
        Some(p) if p.chars().count() > MAX_POLICY_LEN => {
            return Err(StsError::new(
                400,
                "InvalidParameter.PolicyLength",
                format!("The length of Policy exceeds the limit of {MAX_POLICY_LEN} characters."),
            ))
        }
        Some(p) => Some(authz::compile(p).map_err(|why| {
            StsError::new(
                400,
                "InvalidParameter.PolicyGrammar",
                format!("The parameter Policy has not passed grammar check: {why}"),
            )
        })?),
    };
    let Some(role) = state.iam.role_by_arn(role_arn) else {
        return Err(StsError::new(
            404,
            "EntityNotExist.Role",
            format!("The role not exists: {role_arn}."),
        ));
    };
    let allowed = state.iam.is_allowed(
        &Principal::User(user.clone()),
        "sts:AssumeRole",
        &role.arn,
        &info.conditions(),
    );
    if !allowed || !role.trusted_users.iter().any(|t| *t == user.name) {
        return Err(StsError::no_permission());
    }
    let duration = match param(params, "DurationSeconds") {
        None | Some("") => 3600.min(role.max_session_duration),
        Some(d) => d.parse::<u64>().map_err(|_| {
            StsError::new(
                400,
                "InvalidParameter.DurationSeconds",
                "The parameter DurationSeconds must be an integer number of seconds.",
            )
        })?,
    };
    if !(900..=role.max_session_duration).contains(&duration) {
        return Err(StsError::new(
            400,
            "InvalidParameter.DurationSeconds",
            format!(
                "The Min/Max value of DurationSeconds is 15min/{}",
                duration_label(role.max_session_duration)
            ),
        ));
    }
    let now = info.now.replace_nanosecond(0).unwrap_or(info.now);
    let expiration = now + time::Duration::seconds(duration as i64);
    let mut token_bytes = Vec::with_capacity(192);
    while token_bytes.len() < 192 {
        token_bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    }
    let token = format!(
        "CAIS{}",
        base64::engine::general_purpose::STANDARD.encode(&token_bytes)
    );
    let session = state.iam.store_session(Session {
        access_key_id: format!("STS.{}", random_string(25, ALNUM)),
        secret: random_string(44, ALNUM),
        token,
        role: role.clone(),
        session_name: session_name.to_owned(),
        session_policy,
        expiration,
    });
    let role_name = role.arn.rsplit('/').next().unwrap_or(&role.name);
    Ok(serde_json::json!({
        "RequestId": info.request_id,
        "AssumedRoleUser": {
            "Arn": format!("acs:ram::{}:role/{}/{}", state.iam.account_id, role_name, session_name),
            "AssumedRoleId": format!("{}:{}", role.role_id, session_name),
        },
        "Credentials": {
            "AccessKeyId": session.access_key_id,
            "AccessKeySecret": session.secret,
            "SecurityToken": session.token,
            "Expiration": signer::format_timestamp(expiration),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_parse() {
        assert_eq!(
            parse_role_arn("acs:ram::1234567890123456:role/ramosstest"),
            Some(("1234567890123456".into(), "ramosstest".into()))
        );
        assert_eq!(parse_role_arn("acs:ram::12:user/x"), None);
        assert_eq!(parse_role_arn("arn:aws:iam::1:role/x"), None);
    }

    #[test]
    fn timestamps_with_millis_parse() {
        assert!(parse_sts_timestamp("2024-01-01T00:00:00Z").is_some());
        assert!(parse_sts_timestamp("2024-01-01T00:00:00.123Z").is_some());
        assert!(parse_sts_timestamp("2024-01-01 00:00:00Z").is_none());
    }

    #[test]
    fn duration_labels_read_like_sts() {
        assert_eq!(duration_label(3600), "1hr");
        assert_eq!(duration_label(43200), "12hr");
    }
}
