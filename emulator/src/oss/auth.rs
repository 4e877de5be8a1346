//! OSS authentication: V4 (header and presigned) and V1 (header and presigned), recomputed with
//! alioss's own signers from the request as received.

use alioss::oss::signer::{self, v1, v4, SignableRequest};
use time::OffsetDateTime;

use super::OssRequest;
use crate::errors::OssError;
use crate::iam::{KeyOwner, Principal};
use crate::server::{RequestInfo, State};

/// Largest allowed difference between the request time and the server clock.
pub(crate) const MAX_SKEW: time::Duration = time::Duration::minutes(15);

/// How a request is signed.
enum Scheme {
    Anonymous,
    V4Header(v4::ParsedAuthorization),
    V4Query {
        access_key_id: String,
        date: String,
        region: String,
        product: String,
    },
    V1Header {
        access_key_id: String,
        signature: String,
    },
    V1Query {
        access_key_id: String,
        signature: String,
        expires: String,
    },
}

fn invalid_auth(message: &str) -> OssError {
    OssError::new(400, "InvalidArgument", message, "0002-00000012")
}

fn detect(req: &OssRequest) -> Result<Scheme, OssError> {
    if let Some(auth) = req.header("authorization") {
        if auth.starts_with(v4::ALGORITHM) {
            return v4::parse_authorization(&auth)
                .map(Scheme::V4Header)
                .ok_or_else(|| invalid_auth("Authorization header is invalid."));
        }
        if let Some((ak, sig)) = v1::parse_authorization(&auth) {
            return Ok(Scheme::V1Header {
                access_key_id: ak,
                signature: sig,
            });
        }
        return Err(invalid_auth("Authorization header is invalid."));
    }
    if req.query_param("x-oss-signature").is_some() {
        if req.query_param("x-oss-signature-version") != Some(v4::ALGORITHM) {
            return Err(invalid_auth(
                "x-oss-signature-version must be OSS4-HMAC-SHA256.",
            ));
        }
        let cred = req
            .query_param("x-oss-credential")
            .ok_or_else(|| invalid_auth("x-oss-credential is required."))?;
        let (access_key_id, date, region, product) = v4::parse_credential_scope(cred)
            .ok_or_else(|| invalid_auth("x-oss-credential is invalid."))?;
        return Ok(Scheme::V4Query {
            access_key_id,
            date,
            region,
            product,
        });
    }
    if let (Some(ak), Some(sig)) = (
        req.query_param("OSSAccessKeyId"),
        req.query_param("Signature"),
    ) {
        let expires = req
            .query_param("Expires")
            .ok_or_else(|| invalid_auth("Expires is required with a V1 presigned URL."))?;
        return Ok(Scheme::V1Query {
            access_key_id: ak.to_owned(),
            signature: sig.to_owned(),
            expires: expires.to_owned(),
        });
    }
    Ok(Scheme::Anonymous)
}

fn skewed(request_time: OffsetDateTime, text: &str, info: &RequestInfo) -> Option<OssError> {
    if (request_time - info.now).abs() > MAX_SKEW {
        return Some(
            OssError::new(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
                "0002-00000504",
            )
            .with("RequestTime", text)
            .with(
                "ServerTime",
                alioss::sts::signer::format_timestamp(info.now),
            )
            .with("MaxAllowedSkewMilliseconds", "900000"),
        );
    }
    None
}

fn expired(expires_text: &str, info: &RequestInfo) -> OssError {
    OssError::new(403, "AccessDenied", "Request has expired.", "0002-00000069")
        .with("Expires", expires_text)
        .with(
            "ServerTime",
            alioss::sts::signer::format_timestamp(info.now),
        )
}

/// Checks the security token of temporary credentials (before the signature, as OSS does, so an
/// expired session is reported as such whatever the client's clock says).
pub(crate) fn check_token(
    owner: &KeyOwner,
    token: Option<&str>,
    ak: &str,
    info: &RequestInfo,
) -> Result<(), OssError> {
    if let KeyOwner::Session(s) = owner {
        match token {
            None | Some("") => return Err(OssError::invalid_access_key_id(ak)),
            Some(t) if t != s.token => {
                return Err(OssError::new(
                    403,
                    "InvalidSecurityToken",
                    "The security token you provided is invalid.",
                    "0002-00000006",
                ))
            }
            Some(_) if info.now >= s.expiration => {
                return Err(OssError::new(
                    403,
                    "SecurityTokenExpired",
                    "The security token you provided has expired.",
                    "0002-00000007",
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn wrong_endpoint(bucket: &str, region: &str) -> OssError {
    OssError::new(
        403,
        "AccessDenied",
        "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.",
        "0003-00001403",
    )
    .with("Bucket", bucket)
    .with("Endpoint", format!("oss-{region}.aliyuncs.com"))
}

/// The request rebuilt for signing: method, bucket, decoded key, decoded query, headers.
pub(crate) fn signable(req: &OssRequest, drop_query: &[&str]) -> SignableRequest {
    let mut s = SignableRequest::new(req.method.as_str(), Some(&req.bucket), req.key.as_deref());
    s.query = req
        .query
        .iter()
        .filter(|(k, _)| !drop_query.contains(&k.as_str()))
        .cloned()
        .collect();
    s.headers = req
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    s
}

fn lookup(state: &State, ak: &str) -> Result<KeyOwner, OssError> {
    state
        .iam
        .lookup_key(ak)
        .ok_or_else(|| OssError::invalid_access_key_id(ak))
}

/// Authenticates an OSS request: `Ok(None)` for an anonymous one. Error bodies never carry
/// the request's security token (it is replaced by `<redacted>` in `StringToSign` and
/// `CanonicalRequest`).
pub(crate) fn authenticate(
    state: &State,
    req: &OssRequest,
    bucket_region: &str,
    info: &RequestInfo,
) -> Result<Option<Principal>, OssError> {
    authenticate_unredacted(state, req, bucket_region, info).map_err(|mut e| {
        let tokens = [
            req.header("x-oss-security-token"),
            req.header("security-token"),
            req.query_param("x-oss-security-token").map(str::to_owned),
            req.query_param("security-token").map(str::to_owned),
        ];
        for t in tokens.into_iter().flatten() {
            e = e.redact(&t);
        }
        e
    })
}

fn authenticate_unredacted(
    state: &State,
    req: &OssRequest,
    bucket_region: &str,
    info: &RequestInfo,
) -> Result<Option<Principal>, OssError> {
    match detect(req)? {
        Scheme::Anonymous => Ok(None),
        Scheme::V4Header(auth) => {
            if auth.product != v4::PRODUCT_OSS {
                return Err(invalid_auth(
                    "The product in the credential scope must be oss.",
                ));
            }
            if auth.region != bucket_region {
                return Err(wrong_endpoint(&req.bucket, bucket_region));
            }
            let owner = lookup(state, &auth.access_key_id)?;
            let token = req.header("x-oss-security-token");
            check_token(&owner, token.as_deref(), &auth.access_key_id, info)?;
            let Some(datetime) = req.header("x-oss-date") else {
                return Err(OssError::new(
                    403,
                    "AccessDenied",
                    "The x-oss-date header is required with signature V4.",
                    "0002-00000013",
                ));
            };
            let Some(t) = signer::parse_iso8601_basic(&datetime) else {
                return Err(invalid_auth(
                    "The x-oss-date header is not in yyyyMMddTHHmmssZ format.",
                ));
            };
            if let Some(e) = skewed(t, &datetime, info) {
                return Err(e);
            }
            let sreq = signable(req, &[]);
            verify_v4(
                state,
                &owner,
                &sreq,
                &auth.additional_headers,
                &datetime,
                &auth.date,
                &auth.region,
                &auth.product,
                &auth.signature,
            )?;
            Ok(Some(owner.principal()))
        }
        Scheme::V4Query {
            access_key_id,
            date,
            region,
            product,
        } => {
            if product != v4::PRODUCT_OSS {
                return Err(invalid_auth("The product in x-oss-credential must be oss."));
            }
            if region != bucket_region {
                return Err(wrong_endpoint(&req.bucket, bucket_region));
            }
            let owner = lookup(state, &access_key_id)?;
            let token = req.query_param("x-oss-security-token").map(str::to_owned);
            check_token(&owner, token.as_deref(), &access_key_id, info)?;
            let datetime = req.query_param("x-oss-date").unwrap_or_default().to_owned();
            let Some(t) = signer::parse_iso8601_basic(&datetime) else {
                return Err(invalid_auth(
                    "x-oss-date is missing or not in yyyyMMddTHHmmssZ format.",
                ));
            };
            let expires_text = req.query_param("x-oss-expires").unwrap_or_default();
            let expires: i64 = match expires_text.parse() {
                Ok(n) if (1..=604_800).contains(&n) => n,
                _ => {
                    return Err(OssError::invalid_argument(
                        "x-oss-expires must be an integer from 1 to 604800.",
                        "x-oss-expires",
                        expires_text,
                    ))
                }
            };
            if t - info.now > MAX_SKEW {
                if let Some(e) = skewed(t, &datetime, info) {
                    return Err(e);
                }
            }
            if info.now > t + time::Duration::seconds(expires) {
                return Err(expired(
                    &alioss::sts::signer::format_timestamp(t + time::Duration::seconds(expires)),
                    info,
                ));
            }
            let additional: Vec<String> = req
                .query_param("x-oss-additional-headers")
                .map(|v| {
                    v.split(';')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let signature = req
                .query_param("x-oss-signature")
                .unwrap_or_default()
                .to_owned();
            let sreq = signable(req, &["x-oss-signature"]);
            verify_v4(
                state,
                &owner,
                &sreq,
                &additional,
                &datetime,
                &date,
                &region,
                &product,
                &signature,
            )?;
            Ok(Some(owner.principal()))
        }
        Scheme::V1Header {
            access_key_id,
            signature,
        } => {
            let owner = lookup(state, &access_key_id)?;
            let token = req
                .header("x-oss-security-token")
                .or_else(|| req.header("security-token"));
            check_token(&owner, token.as_deref(), &access_key_id, info)?;
            let date_header = req.header("x-oss-date").or_else(|| req.header("date"));
            let Some(date_text) = date_header else {
                return Err(OssError::new(
                    403,
                    "AccessDenied",
                    "OSS authentication requires a valid Date.",
                    "0002-00000013",
                ));
            };
            let Some(t) = signer::parse_http_date(&date_text)
                .or_else(|| signer::parse_iso8601_basic(&date_text))
            else {
                return Err(OssError::new(
                    403,
                    "AccessDenied",
                    "OSS authentication requires a valid Date.",
                    "0002-00000013",
                ));
            };
            if let Some(e) = skewed(t, &date_text, info) {
                return Err(e);
            }
            let sreq = signable(req, &[]);
            let secret = owner.secret(&state.iam);
            // gov1/gov2 sign the Date header; pyv2 signs x-oss-date when present.
            let mut candidates = vec![req.header("date").unwrap_or_default()];
            if let Some(x) = req.header("x-oss-date") {
                candidates.push(x);
            }
            let mut first_sts = None;
            for date in &candidates {
                let sts = v1::string_to_sign(&sreq, date, &[]);
                if v1::signature(secret, &sts) == signature {
                    return Ok(Some(owner.principal()));
                }
                first_sts.get_or_insert(sts);
            }
            Err(signature_mismatch(
                &first_sts.unwrap_or_default(),
                None,
                &access_key_id,
            ))
        }
        Scheme::V1Query {
            access_key_id,
            signature,
            expires,
        } => {
            let owner = lookup(state, &access_key_id)?;
            let token = req.query_param("security-token").map(str::to_owned);
            check_token(&owner, token.as_deref(), &access_key_id, info)?;
            let Ok(exp) = expires.parse::<i64>() else {
                return Err(OssError::invalid_argument(
                    "Expires must be a Unix time in seconds.",
                    "Expires",
                    &expires,
                ));
            };
            if info.now.unix_timestamp() > exp {
                return Err(expired(&expires, info));
            }
            let sreq = signable(req, &[]);
            let sts = v1::string_to_sign(&sreq, &expires, &[]);
            if v1::signature(owner.secret(&state.iam), &sts) != signature {
                return Err(signature_mismatch(&sts, None, &access_key_id));
            }
            Ok(Some(owner.principal()))
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn verify_v4(
    state: &State,
    owner: &KeyOwner,
    sreq: &SignableRequest,
    additional: &[String],
    datetime: &str,
    scope_date: &str,
    region: &str,
    product: &str,
    provided: &str,
) -> Result<(), OssError> {
    let canonical = v4::canonical_request(sreq, additional);
    let scope = v4::scope(scope_date, region, product);
    let sts = v4::string_to_sign(datetime, &scope, &canonical);
    let key = v4::signing_key(owner.secret(&state.iam), scope_date, region, product);
    let expected = v4::signature(&key, &sts);
    if expected != provided || !datetime.starts_with(scope_date) {
        return Err(signature_mismatch(&sts, Some(&canonical), ""));
    }
    Ok(())
}

fn signature_mismatch(sts: &str, canonical: Option<&str>, ak: &str) -> OssError {
    let mut e = OssError::new(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        "0002-00000040",
    );
    if !ak.is_empty() {
        e = e.with("OSSAccessKeyId", ak);
    }
    e = e.with("StringToSign", sts);
    if let Some(c) = canonical {
        e = e.with("CanonicalRequest", c);
    }
    e
}
