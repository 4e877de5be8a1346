//! STS over RPC: `AssumeRole`, with the checks the cloud makes.

use std::sync::Arc;

use base64::Engine as _;
use hyper::header::HeaderMap;
use hyper::Response;
use sha2::{Digest, Sha256};

use alioss::sts::{acs3, signer};

use crate::authz;
use crate::errors::StsError;
use crate::iam::{KeyOwner, Principal, Session};
use crate::server::{
    apply_fault, json_response, sts_error_response, Body, DropConnection, Injected, RequestInfo,
    State,
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
    if secs.is_multiple_of(3600) {
        format!("{}hr", secs / 3600)
    } else {
        format!("{}min", secs / 60)
    }
}

/// An STS request as received: method, headers, decoded query and form parameters, raw body.
pub(crate) struct RpcCall<'a> {
    pub(crate) method: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) form: Vec<(String, String)>,
    pub(crate) body: &'a [u8],
}

/// Handles an STS request (RPC HMAC-SHA1, or ACS3-HMAC-SHA256 when the `Authorization` header
/// says so).
pub(crate) async fn handle(
    state: &Arc<State>,
    call: RpcCall<'_>,
    info: &RequestInfo,
) -> Result<Response<Body>, DropConnection> {
    let mut params = call.query.clone();
    for (k, v) in &call.form {
        if !params.iter().any(|(n, _)| n == k) {
            params.push((k.clone(), v.clone()));
        }
    }
    let header_action = header(call.headers, "x-acs-action").map(str::to_owned);
    let action = param(&params, "Action")
        .map(str::to_owned)
        .or(header_action)
        .unwrap_or_default();
    if let Some(Injected::Fail(status, code, message)) =
        apply_fault(state, &action, None, false).await?
    {
        return Ok(sts_error_response(
            &StsError::new(status, &code, message),
            info,
        ));
    }
    let v3 = header(call.headers, "authorization").is_some_and(|v| v.starts_with(acs3::ALGORITHM));
    let authenticated = || {
        if v3 {
            authenticate_acs3(state, &call, info)
        } else {
            authenticate(state, call.method, &params, info)
        }
    };
    let result = match action.as_str() {
        "AssumeRole" => authenticated().and_then(|o| assume_role(state, o, &params, info)),
        "GetCallerIdentity" => authenticated().map(|o| caller_identity(state, &o, info)),
        _ => Err(StsError::new(
            404,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        )),
    };
    Ok(match result {
        Ok(body) => json_response(200, &body),
        Err(mut e) => {
            // The string to sign quoted in SignatureDoesNotMatch never carries a token.
            for t in [
                param(&params, "SecurityToken"),
                header(call.headers, "x-acs-security-token"),
            ]
            .into_iter()
            .flatten()
            {
                e = e.redact(t);
            }
            sts_error_response(&e, info)
        }
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
    check_timestamp(param(params, "Timestamp").unwrap_or_default(), info)?;
    let ak = param(params, "AccessKeyId").unwrap_or_default();
    let Some(owner) = state.iam.lookup_key(ak) else {
        return Err(StsError::new(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        ));
    };
    check_token(&owner, param(params, "SecurityToken"), info)?;
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

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn check_token(owner: &KeyOwner, token: Option<&str>, info: &RequestInfo) -> Result<(), StsError> {
    if let KeyOwner::Session(s) = owner {
        match token {
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
    Ok(())
}

fn check_timestamp(text: &str, info: &RequestInfo) -> Result<(), StsError> {
    let Some(ts) = parse_sts_timestamp(text) else {
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
    Ok(())
}

/// Authenticates an ACS3-HMAC-SHA256 request (what the generated Alibaba Cloud SDKs send by
/// default): `Authorization: ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>`
/// over `METHOD\n/\n<query>\n<headers>\n<signed headers>\n<x-acs-content-sha256>`.
fn authenticate_acs3(
    state: &State,
    call: &RpcCall<'_>,
    info: &RequestInfo,
) -> Result<KeyOwner, StsError> {
    let auth = header(call.headers, "authorization").unwrap_or_default();
    let Some(parsed) = acs3::parse_authorization(auth) else {
        return Err(StsError::new(
            400,
            "IncompleteSignature",
            "The Authorization header must carry Credential, SignedHeaders and Signature.",
        ));
    };
    let ak = parsed.access_key_id.as_str();
    let provided = parsed.signature.as_str();
    let signed_names: Vec<String> = parsed
        .signed_headers
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    for required in [
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-content-sha256",
    ] {
        if header(call.headers, required).is_none_or(str::is_empty) {
            return Err(StsError::missing(required));
        }
        if !signed_names.iter().any(|n| n == required) {
            return Err(StsError::new(
                400,
                "IncompleteSignature",
                format!("{required} must be a signed header."),
            ));
        }
    }
    if header(call.headers, "x-acs-version") != Some("2015-04-01") {
        return Err(StsError::new(
            400,
            "InvalidVersion",
            "Specified parameter Version is not valid; STS uses 2015-04-01.",
        ));
    }
    check_timestamp(header(call.headers, "x-acs-date").unwrap_or_default(), info)?;
    let owner = state.iam.lookup_key(ak).ok_or_else(|| {
        StsError::new(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        )
    })?;
    check_token(&owner, header(call.headers, "x-acs-security-token"), info)?;
    let payload_hash = header(call.headers, "x-acs-content-sha256").unwrap_or_default();
    if !payload_hash.eq_ignore_ascii_case(&hex::encode(Sha256::digest(call.body))) {
        return Err(StsError::new(
            400,
            "SignatureDoesNotMatch",
            "The x-acs-content-sha256 header does not match the SHA-256 of the request body.",
        ));
    }
    let query: Vec<(String, String)> = call
        .query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let headers: Vec<(String, String)> = call
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let canonical = acs3::canonical_request_for(
        &call.method.to_ascii_uppercase(),
        "/",
        &query,
        &headers,
        &signed_names,
        payload_hash,
    );
    let string_to_sign = acs3::string_to_sign(&canonical);
    let expected = acs3::signature(owner.secret(&state.iam), &string_to_sign);
    if !expected.eq_ignore_ascii_case(provided) {
        return Err(StsError::new(
            400,
            "SignatureDoesNotMatch",
            format!(
                "Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"
            ),
        ));
    }
    let nonce = header(call.headers, "x-acs-signature-nonce").unwrap_or_default();
    if !state.iam.use_nonce(nonce, info.now, TIMESTAMP_WINDOW * 2) {
        return Err(StsError::new(
            400,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        ));
    }
    Ok(owner)
}

/// `GetCallerIdentity`: who signed the request.
fn caller_identity(state: &State, owner: &KeyOwner, info: &RequestInfo) -> serde_json::Value {
    let account = &state.iam.account_id;
    match owner {
        KeyOwner::Root => serde_json::json!({
            "RequestId": info.request_id,
            "AccountId": account,
            "UserId": account,
            "PrincipalId": account,
            "IdentityType": "Account",
            "Arn": format!("acs:ram::{account}:root"),
        }),
        KeyOwner::User(u) => serde_json::json!({
            "RequestId": info.request_id,
            "AccountId": account,
            "UserId": u.user_id,
            "PrincipalId": u.user_id,
            "IdentityType": "RAMUser",
            "Arn": format!("acs:ram::{account}:user/{}", u.name),
        }),
        KeyOwner::Session(s) => {
            let role_name = s.role.arn.rsplit('/').next().unwrap_or(&s.role.name);
            serde_json::json!({
                "RequestId": info.request_id,
                "AccountId": account,
                "RoleId": s.role.role_id,
                "PrincipalId": format!("{}:{}", s.role.role_id, s.session_name),
                "IdentityType": "AssumedRoleUser",
                "Arn": format!("acs:ram::{account}:assumed-role/{role_name}/{}", s.session_name),
            })
        }
    }
}

fn assume_role(
    state: &State,
    owner: KeyOwner,
    params: &[(String, String)],
    info: &RequestInfo,
) -> Result<serde_json::Value, StsError> {
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
