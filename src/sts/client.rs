//! The STS client: endpoint, caller credentials, timeouts, retries; `AssumeRole` and
//! `AssumeRoleWithOIDC`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tracing::Instrument as _;

use super::error::{is_retryable, service_error};
use super::request::{AssumeRoleRequest, AssumeRoleWithOidcRequest};
use super::signer;
use crate::credentials::{
    Clock, Credentials, EnvironmentSource, ProvideCredentials, SharedCredentialsProvider,
};
use crate::http::{transport_error, HttpOptions};
use crate::retry::RetryPolicy;
use crate::Error;

/// The STS API version every call names.
pub const API_VERSION: &str = "2015-04-01";
/// The global STS endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://sts.aliyuncs.com";
/// Provider name of credentials returned by `AssumeRole`.
pub const ASSUME_ROLE_PROVIDER: &str = "sts-assume-role";
/// Provider name of credentials returned by `AssumeRoleWithOIDC`.
pub const OIDC_PROVIDER: &str = "sts-assume-role-with-oidc";

/// Where a `SignatureNonce` comes from: random UUIDs, or any function (for tests).
#[derive(Clone)]
pub struct NonceGenerator(Arc<dyn Fn() -> String + Send + Sync>);

impl NonceGenerator {
    /// Random v4 UUIDs (the default).
    pub fn random() -> Self {
        Self(Arc::new(|| uuid::Uuid::new_v4().simple().to_string()))
    }

    /// Nonces from `f` (it must not repeat itself within 15 minutes against a real STS).
    pub fn from_fn(f: impl Fn() -> String + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// A new nonce.
    pub fn next_nonce(&self) -> String {
        (self.0)()
    }
}

impl Default for NonceGenerator {
    fn default() -> Self {
        Self::random()
    }
}

impl fmt::Debug for NonceGenerator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NonceGenerator")
    }
}

/// The user an `AssumeRole` call turned the caller into.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AssumedRoleUser {
    /// `acs:ram::<account-id>:role/<role-name>/<session-name>`.
    pub arn: String,
    /// `<role-id>:<session-name>`.
    pub assumed_role_id: String,
}

/// What `AssumeRole` (or `AssumeRoleWithOIDC`) answered.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AssumeRoleOutput {
    /// The temporary credentials (`STS.` id, secret, security token, expiration).
    pub credentials: Credentials,
    /// Who the credentials act as.
    pub assumed_role_user: AssumedRoleUser,
    /// STS's request id (quote it when asking Alibaba Cloud support).
    pub request_id: String,
}

/// A client of the Security Token Service.
///
/// Cheap to clone (clones share the connection pool). Built with [`StsClient::builder`]:
///
/// ```no_run
/// # async fn demo() -> Result<(), alioss::Error> {
/// use std::time::Duration;
/// use alioss::credentials::EnvironmentCredentialsProvider;
/// use alioss::sts::{AssumeRoleRequest, StsClient};
///
/// let sts = StsClient::builder()
///     .region("cn-hangzhou")
///     .credentials(EnvironmentCredentialsProvider::new())
///     .build()?;
/// let request = AssumeRoleRequest::builder()
///     .role_arn("acs:ram::1234567890123456:role/ramosstest")
///     .role_session_name("supplier-42")
///     .duration(Duration::from_secs(900))
///     .build()?;
/// let out = sts.assume_role(&request).await?;
/// println!("{:?} expires at {:?}", out.assumed_role_user, out.credentials.expiration());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct StsClient {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    endpoint: url::Url,
    http: reqwest::Client,
    credentials: Option<SharedCredentialsProvider>,
    retry: RetryPolicy,
    operation_timeout: Option<Duration>,
    clock: Clock,
    nonce: NonceGenerator,
}

/// The default overall deadline of one STS call, retries and body included.
pub const DEFAULT_STS_OPERATION_TIMEOUT: Duration = Duration::from_secs(30);

impl fmt::Debug for StsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StsClient")
            .field("endpoint", &self.inner.endpoint.as_str())
            .field("credentials", &self.inner.credentials)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

/// Builder for [`StsClient`]. Defaults: the global endpoint, standard retries, connect timeout
/// 5 s, read timeout 10 s, the system clock, random nonces.
#[derive(Debug, Clone, Default)]
pub struct StsClientBuilder {
    endpoint: Option<String>,
    region: Option<String>,
    vpc: bool,
    credentials: Option<SharedCredentialsProvider>,
    http: HttpOptions,
    retry: RetryPolicy,
    clock: Clock,
    nonce: NonceGenerator,
}

impl StsClientBuilder {
    /// An explicit endpoint URL, e.g. `https://sts.cn-hangzhou.aliyuncs.com` or a local
    /// emulator's `http://127.0.0.1:PORT`. A bare host name means `https://`. Plain `http` is
    /// only ever used when given here. Takes precedence over [`region`](Self::region).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Use the regional endpoint `https://sts.<region>.aliyuncs.com`.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// With a region, use the internal (VPC) endpoint `https://sts-vpc.<region>.aliyuncs.com`
    /// when `yes`. Named as on the OSS client.
    pub fn internal(mut self, yes: bool) -> Self {
        self.vpc = yes;
        self
    }

    /// Reads `ALIBABA_CLOUD_STS_REGION` and `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED=true` from `env`
    /// (values already set on the builder win).
    pub fn env(mut self, env: &EnvironmentSource) -> Self {
        if self.region.is_none() {
            self.region = env.get("ALIBABA_CLOUD_STS_REGION");
        }
        if !self.vpc {
            self.vpc = env
                .get("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        }
        self
    }

    /// The caller's credentials (a RAM user's AccessKey with `AliyunSTSAssumeRoleAccess`, or
    /// temporary credentials, whose security token is then sent as `SecurityToken`).
    pub fn credentials(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.credentials = Some(Arc::new(provider));
        self
    }

    /// The caller's credentials, from a provider shared with other clients.
    pub fn shared_credentials(mut self, provider: SharedCredentialsProvider) -> Self {
        self.credentials = Some(provider);
        self
    }

    /// The transport: proxy, root certificates, user agent, pool, timeouts, or a
    /// `reqwest::Client` of your own (see [`HttpOptions`]). Replaces the transport settings made
    /// before it (including [`connect_timeout`](Self::connect_timeout) and
    /// [`read_timeout`](Self::read_timeout)).
    pub fn http_options(mut self, options: HttpOptions) -> Self {
        self.http = options;
        self
    }

    /// How long to wait for a connection (default 5 s); same as
    /// [`HttpOptions::connect_timeout`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.http.set_connect_timeout(timeout);
        self
    }

    /// How long to wait for each read of the answer (default 10 s); same as
    /// [`HttpOptions::read_timeout`].
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.http.set_read_timeout(timeout);
        self
    }

    /// How long one call may take in all — retries, backoff and reading the answer included
    /// (default [`DEFAULT_STS_OPERATION_TIMEOUT`], 30 s, unless [`HttpOptions`] set one); same
    /// as [`HttpOptions::operation_timeout`]. A server that trickles its answer is not waited
    /// for past it: the call fails with a timeout [`Error::Transport`](crate::Error::Transport).
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.http = self.http.operation_timeout(timeout);
        self
    }

    /// The retry policy (default [`RetryPolicy::standard`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The clock used for `Timestamp` (default: the system clock).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The source of `SignatureNonce` values (default: random UUIDs).
    pub fn nonce_generator(mut self, nonce: NonceGenerator) -> Self {
        self.nonce = nonce;
        self
    }

    /// Resolves the endpoint and builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the setting that is missing or invalid (credentials,
    /// region, endpoint), or a transport error when the HTTP client cannot be built.
    pub fn build(self) -> Result<StsClient, Error> {
        let endpoint =
            resolve_endpoint(self.endpoint.as_deref(), self.region.as_deref(), self.vpc)?;
        let http = self.http.build_client(crate::http::Defaults {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(10),
        })?;
        Ok(StsClient {
            inner: Arc::new(ClientInner {
                endpoint,
                http,
                credentials: self.credentials,
                retry: self.retry,
                operation_timeout: self
                    .http
                    .operation_timeout_value()
                    .or(Some(DEFAULT_STS_OPERATION_TIMEOUT)),
                clock: self.clock,
                nonce: self.nonce,
            }),
        })
    }
}

fn resolve_endpoint(
    explicit: Option<&str>,
    region: Option<&str>,
    vpc: bool,
) -> Result<url::Url, Error> {
    let text = match (explicit, region) {
        (Some(e), _) => {
            let e = e.trim();
            if e.is_empty() {
                return Err(Error::invalid("endpoint", "must not be empty"));
            }
            crate::http::with_default_scheme(e)?
        }
        (None, Some(r)) => {
            if r.is_empty()
                || !r
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(Error::invalid(
                    "region",
                    "must be a region id of a-z 0-9 - (e.g. cn-hangzhou)",
                ));
            }
            if vpc {
                format!("https://sts-vpc.{r}.aliyuncs.com")
            } else {
                format!("https://sts.{r}.aliyuncs.com")
            }
        }
        (None, None) if vpc => {
            return Err(Error::invalid("region", "is required for a VPC endpoint"));
        }
        (None, None) => DEFAULT_ENDPOINT.to_owned(),
    };
    let url = url::Url::parse(&text)
        .map_err(|e| Error::invalid("endpoint", format!("must be a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::invalid("endpoint", "scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid("endpoint", "must have a host"));
    }
    if !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(Error::invalid(
            "endpoint",
            "must not carry user info, a query or a fragment",
        ));
    }
    Ok(url)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssumeRoleBody {
    request_id: Option<String>,
    assumed_role_user: Option<AssumedRoleUserBody>,
    credentials: Option<CredentialsBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssumedRoleUserBody {
    arn: Option<String>,
    assumed_role_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CredentialsBody {
    access_key_id: Option<String>,
    access_key_secret: Option<String>,
    security_token: Option<String>,
    expiration: Option<String>,
}

/// Parses an STS `Expiration`: `yyyy-MM-ddTHH:mm:ssZ`, or any RFC 3339 time.
pub(crate) fn parse_expiration(s: &str) -> Option<time::OffsetDateTime> {
    signer::parse_timestamp(s.trim()).or_else(|| {
        time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339).ok()
    })
}

pub(crate) fn parse_assume_role(
    body: &[u8],
    provider: &'static str,
) -> Result<AssumeRoleOutput, Error> {
    let b: AssumeRoleBody = serde_json::from_slice(body)
        .map_err(|e| Error::Response(format!("STS answer is not the expected JSON: {e}")))?;
    let missing = |what: &str| Error::Response(format!("STS answer lacks {what}"));
    let c = b.credentials.ok_or_else(|| missing("Credentials"))?;
    let id = c
        .access_key_id
        .ok_or_else(|| missing("Credentials.AccessKeyId"))?;
    let secret = c
        .access_key_secret
        .ok_or_else(|| missing("Credentials.AccessKeySecret"))?;
    let token = c
        .security_token
        .ok_or_else(|| missing("Credentials.SecurityToken"))?;
    let exp_text = c
        .expiration
        .ok_or_else(|| missing("Credentials.Expiration"))?;
    let expiration = parse_expiration(&exp_text).ok_or_else(|| {
        Error::Response(format!(
            "STS answer has an Expiration that is not yyyy-MM-ddTHH:mm:ssZ: {exp_text:?}"
        ))
    })?;
    let credentials = Credentials::builder()
        .access_key_id(id)
        .access_key_secret(secret)
        .security_token(token)
        .expiration(expiration)
        .provider_name(provider)
        .build()
        .map_err(|e| Error::Response(format!("STS answered unusable credentials: {e}")))?;
    let user = b.assumed_role_user.unwrap_or(AssumedRoleUserBody {
        arn: None,
        assumed_role_id: None,
    });
    Ok(AssumeRoleOutput {
        credentials,
        assumed_role_user: AssumedRoleUser {
            arn: user.arn.unwrap_or_default(),
            assumed_role_id: user.assumed_role_id.unwrap_or_default(),
        },
        request_id: b.request_id.unwrap_or_default(),
    })
}

/// Refuses credentials whose `Expiration` is not in the future, by the server's clock (its
/// `Date` header) or by the client's: handing them out would only move the failure to their
/// first use.
fn refuse_expired(
    out: AssumeRoleOutput,
    server_time: Option<time::OffsetDateTime>,
    client_time: time::OffsetDateTime,
) -> Result<AssumeRoleOutput, Error> {
    let Some(expiration) = out.credentials.expiration() else {
        return Ok(out);
    };
    let by_server = server_time.is_some_and(|t| expiration <= t);
    if by_server || expiration <= client_time {
        let server = server_time.map_or_else(|| "not sent".to_owned(), signer::format_timestamp);
        return Err(Error::Response(format!(
            "STS answered credentials that have already expired: Expiration {}, server time \
             {server}, client time {} (request id {})",
            signer::format_timestamp(expiration),
            signer::format_timestamp(client_time),
            if out.request_id.is_empty() {
                "none"
            } else {
                &out.request_id
            },
        )));
    }
    Ok(out)
}

fn form_encode(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                signer::percent_encode(k),
                signer::percent_encode(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl StsClient {
    /// Starts a builder.
    pub fn builder() -> StsClientBuilder {
        StsClientBuilder::default()
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &str {
        self.inner.endpoint.as_str()
    }

    /// The clock the client signs with.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Calls `AssumeRole`: temporary credentials of the request's role, narrowed by its session
    /// policy. Sent as a signed `POST`: authentication parameters in the query, the action's
    /// parameters in a form body. Throttling, 5xx answers and transport failures are retried by
    /// the client's [`RetryPolicy`].
    ///
    /// Credentials that have already expired (an `Expiration` not after the server's `Date`,
    /// or the client's clock) are refused with [`Error::Response`], whose message names the
    /// expiration, the server time and the client time — they are never returned as a
    /// success.
    ///
    /// # Errors
    ///
    /// An STS service error with its code, request id and a hint for the common mistakes
    /// ([`ErrorKind::AccessDenied`](crate::ErrorKind::AccessDenied) for `NoPermission`, …);
    /// transport and credentials errors; [`Error::Response`] for an answer that is not
    /// AssumeRole's, or whose credentials have already expired.
    pub async fn assume_role(
        &self,
        request: impl AsRef<AssumeRoleRequest>,
    ) -> Result<AssumeRoleOutput, Error> {
        let request = request.as_ref();
        let provider = self.inner.credentials.as_ref().ok_or_else(|| {
            Error::invalid(
                "credentials",
                "AssumeRole must be signed: give the StsClient credentials (a RAM user's AccessKey)",
            )
        })?;
        let span = tracing::debug_span!(
            "sts.assume_role",
            role_arn = request.role_arn(),
            role_session_name = request.role_session_name(),
            duration_seconds = request.duration_seconds(),
        );
        async {
            let caller = provider.provide_credentials().await?;
            let (body, server_time) = self
                .execute("AssumeRole", request.action_params(), Some(&caller), &[])
                .await?;
            let out = parse_assume_role(&body, ASSUME_ROLE_PROVIDER)?;
            refuse_expired(out, server_time, self.inner.clock.now())
        }
        .instrument(span)
        .await
    }

    /// Calls `AssumeRoleWithOIDC`: trades an OIDC token for temporary credentials of a role.
    /// Not signed (the token is the proof), so the client needs no credentials for it.
    ///
    /// # Errors
    ///
    /// As [`StsClient::assume_role`].
    pub async fn assume_role_with_oidc(
        &self,
        request: impl AsRef<AssumeRoleWithOidcRequest>,
    ) -> Result<AssumeRoleOutput, Error> {
        let request = request.as_ref();
        let span = tracing::debug_span!(
            "sts.assume_role_with_oidc",
            role_arn = request.role_arn(),
            oidc_provider_arn = request.oidc_provider_arn(),
            role_session_name = request.role_session_name(),
        );
        async {
            let (body, server_time) = self
                .execute(
                    "AssumeRoleWithOIDC",
                    request.action_params(),
                    None,
                    &[request.oidc_token()],
                )
                .await?;
            let out = parse_assume_role(&body, OIDC_PROVIDER)?;
            refuse_expired(out, server_time, self.inner.clock.now())
        }
        .instrument(span)
        .await
    }

    /// Sends one RPC action with retries, within the operation timeout (by default
    /// [`DEFAULT_STS_OPERATION_TIMEOUT`]); answers the body of a 2xx answer and the server's time
    /// (its `Date` header), when it sent one.
    async fn execute(
        &self,
        action: &str,
        action_params: Vec<(String, String)>,
        caller: Option<&Credentials>,
        extra_sensitive: &[&str],
    ) -> Result<(Vec<u8>, Option<time::OffsetDateTime>), Error> {
        let run = self.execute_with_retries(action, action_params, caller, extra_sensitive);
        match self.inner.operation_timeout {
            Some(limit) => tokio::time::timeout(limit, run).await.unwrap_or_else(|_| {
                Err(Error::transport(
                    format!("{action} timed out after {limit:?} (operation timeout)"),
                    true,
                    false,
                ))
            }),
            None => run.await,
        }
    }

    async fn execute_with_retries(
        &self,
        action: &str,
        action_params: Vec<(String, String)>,
        caller: Option<&Credentials>,
        extra_sensitive: &[&str],
    ) -> Result<(Vec<u8>, Option<time::OffsetDateTime>), Error> {
        let inner = &self.inner;
        let body = form_encode(&action_params);
        let max = inner.retry.max_attempts();
        let mut attempt = 1;
        loop {
            let now = inner.clock.now();
            let nonce = inner.nonce.next_nonce();
            let mut query = match caller {
                Some(c) => signer::common_params(action, API_VERSION, c, &nonce, now),
                None => vec![
                    ("Action".to_owned(), action.to_owned()),
                    ("Version".to_owned(), API_VERSION.to_owned()),
                    ("Format".to_owned(), "JSON".to_owned()),
                    ("Timestamp".to_owned(), signer::format_timestamp(now)),
                    ("SignatureNonce".to_owned(), nonce),
                ],
            };
            let signature =
                caller.map(|c| signer::sign("POST", &query, &action_params, c.access_key_secret()));
            if let Some(sig) = &signature {
                query.push(("Signature".to_owned(), sig.clone()));
            }
            let mut url = inner.endpoint.clone();
            url.set_query(Some(&form_encode(&query)));
            let mut sensitive: Vec<&str> = extra_sensitive.to_vec();
            if let Some(sig) = &signature {
                sensitive.push(sig);
            }
            if let Some(tok) = caller.and_then(Credentials::security_token) {
                sensitive.push(tok);
            }

            let result = inner
                .http
                .post(url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .header("Accept-Encoding", "identity")
                .body(body.clone())
                .send()
                .await;
            let outcome = match result {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let server_time = resp
                        .headers()
                        .get("date")
                        .and_then(|v| v.to_str().ok())
                        .and_then(crate::encoding::parse_http_date);
                    if (200..300).contains(&status) {
                        match crate::http::read_limited(
                            resp,
                            crate::limits::MAX_CREDENTIALS_BODY,
                            "the STS answer",
                        )
                        .await
                        {
                            Ok(bytes) => return Ok((bytes.to_vec(), server_time)),
                            Err(e) => {
                                let retry = e.is_transport();
                                (Error::from(e), retry)
                            }
                        }
                    } else {
                        let bytes =
                            crate::http::read_prefix(resp, crate::limits::MAX_ERROR_BODY).await;
                        let err = service_error(status, &bytes, &sensitive);
                        let retry = is_retryable(&err);
                        (Error::from(err), retry)
                    }
                }
                Err(e) => (transport_error(e), true),
            };
            let (err, retryable) = outcome;
            if !retryable || attempt >= max {
                tracing::debug!(attempt, error = %err, "STS call failed");
                return Err(err);
            }
            let delay = inner.retry.backoff(attempt);
            tracing::debug!(attempt, ?delay, error = %err, "STS call failed, retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(explicit: Option<&str>, region: Option<&str>, vpc: bool) -> String {
        resolve_endpoint(explicit, region, vpc).unwrap().to_string()
    }

    #[test]
    fn endpoints_resolve() {
        assert_eq!(ep(None, None, false), "https://sts.aliyuncs.com/");
        assert_eq!(
            ep(None, Some("cn-hangzhou"), false),
            "https://sts.cn-hangzhou.aliyuncs.com/"
        );
        assert_eq!(
            ep(None, Some("cn-hangzhou"), true),
            "https://sts-vpc.cn-hangzhou.aliyuncs.com/"
        );
        assert_eq!(
            ep(Some("http://127.0.0.1:9000"), Some("cn-hangzhou"), true),
            "http://127.0.0.1:9000/"
        );
        assert_eq!(
            ep(Some("sts.example.com"), None, false),
            "https://sts.example.com/"
        );
        for (e, r, v, field) in [
            (None, None, true, "region"),
            (None, Some("CN HZ"), false, "region"),
            (Some("ftp://x"), None, false, "endpoint"),
            (Some(""), None, false, "endpoint"),
            (Some("https://u:p@x"), None, false, "endpoint"),
            (Some("http://"), None, false, "endpoint"),
            (Some("http:"), None, false, "endpoint"),
        ] {
            let err = resolve_endpoint(e, r, v).unwrap_err();
            assert_eq!(err.as_invalid_input().unwrap().field(), field);
        }
    }

    #[test]
    fn assume_role_answer_parses_and_missing_parts_are_errors() {
        let ok = br#"{"RequestId":"R","AssumedRoleUser":{"Arn":"acs:ram::1:role/r/s","AssumedRoleId":"9:s"},"Credentials":{"AccessKeyId":"STS.x","AccessKeySecret":"test-secret-x","SecurityToken":"test-token-x","Expiration":"2015-04-09T11:52:19Z"}}"#;
        let out = parse_assume_role(ok, ASSUME_ROLE_PROVIDER).unwrap();
        assert_eq!(out.credentials.provider_name(), "sts-assume-role");
        assert_eq!(
            out.credentials.expiration().unwrap().unix_timestamp(),
            1_428_580_339
        );
        assert_eq!(out.assumed_role_user.assumed_role_id, "9:s");
        let d = format!("{out:?}");
        assert!(!d.contains("test-secret-x") && !d.contains("test-token-x"));
        for bad in [&b"{}"[..], b"not json", br#"{"Credentials":{"AccessKeyId":"STS.x"}}"#,
            br#"{"Credentials":{"AccessKeyId":"STS.x","AccessKeySecret":"s","SecurityToken":"t","Expiration":"tomorrow"}}"#] {
            let e = parse_assume_role(bad, ASSUME_ROLE_PROVIDER).unwrap_err();
            assert!(matches!(e, Error::Response(_)), "{e:?}");
        }
    }
}
