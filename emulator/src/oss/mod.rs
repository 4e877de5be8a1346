//! OSS: addressing, operation dispatch, authorisation, and the operations themselves.

mod auth;
mod copy;
mod cors;
mod delete_multiple;
mod list;
mod multipart;
mod object;
mod post;
mod records;
mod tagging;

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::HeaderMap;
use hyper::{Method, Request, Response};

use alioss::policy::condition_keys;

use crate::authz::Conditions;
use crate::config::BucketAcl;
use crate::errors::OssError;
use crate::iam::Principal;
use crate::server::{
    apply_fault, oss_error_response, truncate_body, Body, DropConnection, Injected, RequestInfo,
    State,
};

/// Largest object (and part) OSS accepts: 5 GiB.
pub(crate) const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// A parsed OSS request.
pub(crate) struct OssRequest {
    pub(crate) method: Method,
    pub(crate) bucket: String,
    pub(crate) key: Option<String>,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Incoming,
    pub(crate) host: String,
}

impl OssRequest {
    /// A header as text (lossy UTF-8); several values are joined with `,`.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        let mut values = self.headers.get_all(name).iter();
        let first = values.next()?;
        let mut out = String::from_utf8_lossy(first.as_bytes()).into_owned();
        for v in values {
            out.push(',');
            out.push_str(&String::from_utf8_lossy(v.as_bytes()));
        }
        Some(out)
    }

    pub(crate) fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn has_query(&self, name: &str) -> bool {
        self.query.iter().any(|(k, _)| k == name)
    }

    pub(crate) fn key(&self) -> &str {
        self.key.as_deref().unwrap_or_default()
    }
}

/// The operations the emulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    PutObject,
    GetObject,
    HeadObject,
    DeleteObject,
    AppendObject,
    InitiateMultipartUpload,
    UploadPart,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
    ListMultipartUploads,
    ListObjectsV2,
    ListObjects,
    PostObject,
    CopyObject,
    UploadPartCopy,
    DeleteMultipleObjects,
    PutObjectTagging,
    GetObjectTagging,
    DeleteObjectTagging,
    PutObjectAcl,
    GetObjectAcl,
}

impl Op {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Op::PutObject => "PutObject",
            Op::GetObject => "GetObject",
            Op::HeadObject => "HeadObject",
            Op::DeleteObject => "DeleteObject",
            Op::AppendObject => "AppendObject",
            Op::InitiateMultipartUpload => "InitiateMultipartUpload",
            Op::UploadPart => "UploadPart",
            Op::CompleteMultipartUpload => "CompleteMultipartUpload",
            Op::AbortMultipartUpload => "AbortMultipartUpload",
            Op::ListParts => "ListParts",
            Op::ListMultipartUploads => "ListMultipartUploads",
            Op::ListObjectsV2 => "ListObjectsV2",
            Op::ListObjects => "ListObjects",
            Op::PostObject => "PostObject",
            Op::CopyObject => "CopyObject",
            Op::UploadPartCopy => "UploadPartCopy",
            Op::DeleteMultipleObjects => "DeleteMultipleObjects",
            Op::PutObjectTagging => "PutObjectTagging",
            Op::GetObjectTagging => "GetObjectTagging",
            Op::DeleteObjectTagging => "DeleteObjectTagging",
            Op::PutObjectAcl => "PutObjectAcl",
            Op::GetObjectAcl => "GetObjectAcl",
        }
    }

    /// The RAM action that authorises the operation.
    pub(crate) fn action(self) -> &'static str {
        match self {
            Op::PutObject
            | Op::AppendObject
            | Op::InitiateMultipartUpload
            | Op::UploadPart
            | Op::CompleteMultipartUpload
            | Op::PostObject
            | Op::CopyObject
            | Op::UploadPartCopy => "oss:PutObject",
            Op::GetObject | Op::HeadObject => "oss:GetObject",
            Op::DeleteObject | Op::DeleteMultipleObjects => "oss:DeleteObject",
            Op::PutObjectTagging => "oss:PutObjectTagging",
            Op::GetObjectTagging => "oss:GetObjectTagging",
            Op::DeleteObjectTagging => "oss:DeleteObjectTagging",
            Op::PutObjectAcl => "oss:PutObjectAcl",
            Op::GetObjectAcl => "oss:GetObjectAcl",
            Op::AbortMultipartUpload => "oss:AbortMultipartUpload",
            Op::ListParts => "oss:ListParts",
            Op::ListMultipartUploads => "oss:ListMultipartUploads",
            Op::ListObjectsV2 | Op::ListObjects => "oss:ListObjects",
        }
    }

    fn is_bucket_level(self) -> bool {
        matches!(
            self,
            Op::ListMultipartUploads
                | Op::ListObjectsV2
                | Op::ListObjects
                | Op::PostObject
                | Op::DeleteMultipleObjects
        )
    }

    fn is_read(self) -> bool {
        matches!(
            self,
            Op::GetObject | Op::HeadObject | Op::ListObjects | Op::ListObjectsV2
        )
    }
}

/// Query parameters that authenticate a request (never sub-resources).
const AUTH_PARAMS: &[&str] = &[
    "x-oss-signature-version",
    "x-oss-credential",
    "x-oss-date",
    "x-oss-expires",
    "x-oss-signature",
    "x-oss-additional-headers",
    "x-oss-security-token",
    "OSSAccessKeyId",
    "Signature",
    "Expires",
    "security-token",
];

/// Parameters of the bucket-level operations served here.
const BUCKET_PARAMS: &[&str] = &[
    "prefix",
    "delimiter",
    "marker",
    "max-keys",
    "encoding-type",
    "list-type",
    "continuation-token",
    "start-after",
    "fetch-owner",
    "uploads",
    "key-marker",
    "upload-id-marker",
    "max-uploads",
    "delete",
];

fn classify(req: &OssRequest) -> Result<Op, OssError> {
    // `?acl` and `?tagging` are served on objects only.
    if req.key.is_none() {
        if let Some((k, _)) = req.query.iter().find(|(k, _)| k == "acl" || k == "tagging") {
            return Err(OssError::not_implemented(&format!(
                "The bucket ?{k} sub-resource"
            )));
        }
    }
    let unsupported = [
        "symlink",
        "restore",
        "seal",
        "cors",
        "lifecycle",
        "policy",
        "versions",
        "versionId",
        "x-oss-process",
        "callback",
    ];
    if let Some((k, _)) = req
        .query
        .iter()
        .find(|(k, _)| unsupported.contains(&k.as_str()))
    {
        return Err(OssError::not_implemented(&format!("The ?{k} sub-resource")));
    }
    if req.key.is_none() {
        if let Some((k, _)) = req.query.iter().find(|(k, _)| {
            !BUCKET_PARAMS.contains(&k.as_str()) && !AUTH_PARAMS.contains(&k.as_str())
        }) {
            return Err(OssError::not_implemented(&format!(
                "The bucket sub-resource ?{k}"
            )));
        }
    }
    let m = &req.method;
    if req.key.is_none() {
        return match *m {
            Method::GET if req.has_query("uploads") => Ok(Op::ListMultipartUploads),
            Method::GET if req.query_param("list-type") == Some("2") => Ok(Op::ListObjectsV2),
            Method::GET => Ok(Op::ListObjects),
            Method::POST if req.has_query("delete") => Ok(Op::DeleteMultipleObjects),
            Method::POST => Ok(Op::PostObject),
            _ => Err(OssError::not_implemented(&format!("{m} on a bucket"))),
        };
    }
    if req.header("x-oss-copy-source").is_some() {
        return match *m {
            Method::PUT if req.has_query("uploadId") || req.has_query("partNumber") => {
                Ok(Op::UploadPartCopy)
            }
            Method::PUT => Ok(Op::CopyObject),
            _ => Err(OssError::not_implemented(&format!(
                "{m} with x-oss-copy-source"
            ))),
        };
    }
    if req.has_query("tagging") {
        return match *m {
            Method::PUT => Ok(Op::PutObjectTagging),
            Method::GET => Ok(Op::GetObjectTagging),
            Method::DELETE => Ok(Op::DeleteObjectTagging),
            _ => Err(OssError::not_implemented(&format!("{m} ?tagging"))),
        };
    }
    if req.has_query("acl") {
        return match *m {
            Method::PUT => Ok(Op::PutObjectAcl),
            Method::GET => Ok(Op::GetObjectAcl),
            _ => Err(OssError::not_implemented(&format!("{m} ?acl"))),
        };
    }
    match *m {
        Method::PUT if req.has_query("uploadId") || req.has_query("partNumber") => {
            Ok(Op::UploadPart)
        }
        Method::PUT => Ok(Op::PutObject),
        Method::GET if req.has_query("uploadId") => Ok(Op::ListParts),
        Method::GET => Ok(Op::GetObject),
        // GetObjectMeta (`HEAD ?objectMeta`) is a HEAD with fewer headers; served as HeadObject.
        Method::HEAD => Ok(Op::HeadObject),
        Method::DELETE if req.has_query("uploadId") => Ok(Op::AbortMultipartUpload),
        Method::DELETE => Ok(Op::DeleteObject),
        Method::POST if req.has_query("append") => Ok(Op::AppendObject),
        Method::POST if req.has_query("uploads") => Ok(Op::InitiateMultipartUpload),
        Method::POST if req.has_query("uploadId") => Ok(Op::CompleteMultipartUpload),
        _ => Err(OssError::not_implemented(&format!("{m} on an object"))),
    }
}

/// The RAM resource of a bucket or object.
pub(crate) fn resource(state: &State, bucket: &str, key: Option<&str>) -> String {
    let (region, owner) = state
        .buckets
        .get(bucket)
        .map(|b| {
            (
                b.region.as_str(),
                b.owner.as_deref().unwrap_or(&state.config.account_id),
            )
        })
        .unwrap_or(("*", state.config.account_id.as_str()));
    match key {
        Some(k) => format!("acs:oss:{region}:{owner}:{bucket}/{k}"),
        None => format!("acs:oss:{region}:{owner}:{bucket}"),
    }
}

/// Decides whether `principal` (None: anonymous) may run `op` on `bucket`/`key`.
pub(crate) async fn authorize(
    state: &State,
    principal: Option<&Principal>,
    op: Op,
    bucket: &str,
    key: Option<&str>,
    conditions: &Conditions,
) -> Result<(), OssError> {
    let Some(principal) = principal else {
        let acl = state.buckets.get(bucket).map(|b| b.acl).unwrap_or_default();
        let public = match acl {
            BucketAcl::PublicReadWrite => true,
            BucketAcl::PublicRead => op.is_read(),
            BucketAcl::Private => false,
        };
        if public {
            return Ok(());
        }
        if matches!(op, Op::GetObject | Op::HeadObject) {
            if let Some(obj) = state.store.get(bucket, key.unwrap_or_default()).await {
                if matches!(obj.meta.acl.as_str(), "public-read" | "public-read-write") {
                    return Ok(());
                }
            }
        }
        return Err(OssError::anonymous());
    };
    // Identities of this account reach only this account's buckets (no bucket policies here).
    let owner = state
        .buckets
        .get(bucket)
        .and_then(|b| b.owner.clone())
        .unwrap_or_else(|| state.config.account_id.clone());
    if owner != state.config.account_id {
        return Err(OssError::denied_by_policy());
    }
    if let Principal::Root = principal {
        return Ok(());
    }
    let res = resource(
        state,
        bucket,
        if op.is_bucket_level() && op != Op::PostObject {
            None
        } else {
            key
        },
    );
    if state
        .iam
        .is_allowed(principal, op.action(), &res, conditions)
    {
        Ok(())
    } else {
        Err(OssError::denied_by_policy())
    }
}

/// Splits the request target into (bucket, key) for path-style addressing.
fn split_path(path: &str) -> (Option<String>, Option<String>) {
    let rest = path.strip_prefix('/').unwrap_or(path);
    if rest.is_empty() {
        return (None, None);
    }
    match rest.split_once('/') {
        None => (Some(alioss::oss::signer::uri_decode(rest)), None),
        Some((b, "")) => (Some(alioss::oss::signer::uri_decode(b)), None),
        Some((b, k)) => (
            Some(alioss::oss::signer::uri_decode(b)),
            Some(alioss::oss::signer::uri_decode(k)),
        ),
    }
}

/// Validates an object key as OSS does.
pub(crate) fn check_key(key: &str) -> Result<(), OssError> {
    if key.is_empty() || key.len() > 1023 {
        return Err(OssError::new(
            400,
            "InvalidObjectName",
            "The length of the object name must be 1 to 1023 bytes.",
            "0016-00000002",
        ));
    }
    if key.starts_with('/') || key.starts_with('\\') {
        return Err(OssError::new(
            400,
            "InvalidObjectName",
            "The object name must not start with '/' or '\\'.",
            "0016-00000005",
        ));
    }
    Ok(())
}

/// Handles an OSS request.
pub(crate) async fn handle(
    state: &Arc<State>,
    req: Request<Incoming>,
    vhost: Option<String>,
    info: &RequestInfo,
) -> Result<Response<Body>, DropConnection> {
    let head = req.method() == Method::HEAD;
    let (parts, body) = req.into_parts();
    let path = parts.uri.path();
    let (bucket, key) = match vhost {
        Some(b) => {
            let k = path.strip_prefix('/').unwrap_or(path);
            (
                Some(b),
                if k.is_empty() {
                    None
                } else {
                    Some(alioss::oss::signer::uri_decode(k))
                },
            )
        }
        None => split_path(path),
    };
    let Some(bucket) = bucket else {
        return Ok(oss_error_response(
            &OssError::not_implemented("ListBuckets (GetService)"),
            info,
            head,
        ));
    };
    let host = parts
        .headers
        .get(hyper::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost")
        .to_owned();
    let mut oreq = OssRequest {
        method: parts.method,
        bucket,
        key,
        query: alioss::oss::signer::parse_query(parts.uri.query().unwrap_or("")),
        headers: parts.headers,
        body,
        host,
    };
    let origin = oreq.header("origin");
    let bucket_cfg = state.buckets.get(&oreq.bucket);
    if oreq.method == Method::OPTIONS {
        let answer = match bucket_cfg {
            None => Err(OssError::no_such_bucket(&oreq.bucket)),
            Some(b) => cors::preflight(b, &oreq.headers),
        };
        return Ok(answer.unwrap_or_else(|e| oss_error_response(&e, info, false)));
    }
    let method = oreq.method.clone();
    let decorate = |mut resp: Response<Body>| {
        if let Some(b) = bucket_cfg {
            cors::decorate(b, origin.as_deref(), method.as_str(), &mut resp);
        }
        resp
    };
    let op = match classify(&oreq) {
        Ok(op) => op,
        Err(e) => {
            let resp = refuse(oss_error_response(&e, info, head), &mut oreq.body).await;
            return Ok(decorate(resp));
        }
    };
    let mut truncate = None;
    match apply_fault(state, op.name(), Some(&mut oreq.body), op == Op::GetObject).await? {
        Some(Injected::Fail(status, code, message)) => {
            let e = OssError::new(status, &code, message, "0000-00000000");
            let resp = refuse(oss_error_response(&e, info, head), &mut oreq.body).await;
            return Ok(decorate(resp));
        }
        Some(Injected::Truncate(limit)) => truncate = Some(limit),
        None => {}
    }
    let result = run(state, op, &mut oreq, info).await;
    Ok(decorate(match result {
        Ok(r) => match truncate {
            Some(limit) => r.map(|b| truncate_body(b, limit)),
            None => r,
        },
        Err(e) => refuse(oss_error_response(&e, info, head), &mut oreq.body).await,
    }))
}

/// Finishes an error response to a request whose body may not have been read: reads and
/// discards what is left (as real OSS does) so the client can reuse the connection, or, when
/// that is too much or too slow, says that the connection will close instead of closing it
/// silently.
async fn refuse(mut resp: Response<Body>, body: &mut Incoming) -> Response<Body> {
    if !drain_body(body).await {
        resp.headers_mut().insert(
            hyper::header::CONNECTION,
            hyper::header::HeaderValue::from_static("close"),
        );
    }
    resp
}

/// Most bytes of a refused request's body the emulator reads and discards.
const DRAIN_LIMIT: usize = 16 << 20;

/// Reads and discards what is left of `body`, up to [`DRAIN_LIMIT`] bytes and 5 seconds.
/// Returns whether the body was read to its end.
async fn drain_body(body: &mut Incoming) -> bool {
    use http_body_util::BodyExt as _;
    let drain = async {
        let mut read = 0usize;
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(f) => {
                    read += f.data_ref().map_or(0, |d| d.len());
                    if read > DRAIN_LIMIT {
                        return false;
                    }
                }
                Err(_) => return false,
            }
        }
        true
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), drain)
        .await
        .unwrap_or(false)
}

async fn run(
    state: &Arc<State>,
    op: Op,
    req: &mut OssRequest,
    info: &RequestInfo,
) -> Result<Response<Body>, OssError> {
    let Some(bucket_cfg) = state.buckets.get(&req.bucket) else {
        return Err(OssError::no_such_bucket(&req.bucket));
    };
    if let Some(k) = &req.key {
        check_key(k)?;
    }
    if op == Op::PostObject {
        return post::post_object(state, req, &bucket_cfg.region.clone(), info).await;
    }
    let principal = auth::authenticate(state, req, &bucket_cfg.region, info)?;
    let mut conditions = info.conditions();
    if matches!(
        op,
        Op::ListObjects | Op::ListObjectsV2 | Op::ListMultipartUploads
    ) {
        conditions = conditions
            .with(
                condition_keys::OSS_PREFIX,
                req.query_param("prefix").unwrap_or_default(),
            )
            .with(
                condition_keys::OSS_DELIMITER,
                req.query_param("delimiter").unwrap_or_default(),
            );
    }
    if op == Op::DeleteMultipleObjects {
        // Authorised key by key (oss:DeleteObject on each object).
        return delete_multiple::delete_multiple(state, req, principal.as_ref(), &conditions).await;
    }
    authorize(
        state,
        principal.as_ref(),
        op,
        &req.bucket,
        req.key.as_deref(),
        &conditions,
    )
    .await?;
    if matches!(op, Op::CopyObject | Op::UploadPartCopy) {
        // A copy reads its source: oss:GetObject on the source object too.
        let src = copy::copy_source(req)?;
        authorize(
            state,
            principal.as_ref(),
            Op::GetObject,
            &src.bucket,
            Some(&src.key),
            &conditions,
        )
        .await?;
    }
    match op {
        Op::PutObject => object::put_object(state, req).await,
        Op::GetObject => object::get_object(state, req, false).await,
        Op::HeadObject => object::get_object(state, req, true).await,
        Op::DeleteObject => object::delete_object(state, req).await,
        Op::AppendObject => object::append_object(state, req).await,
        Op::InitiateMultipartUpload => multipart::initiate(state, req, info).await,
        Op::UploadPart => multipart::upload_part(state, req, info).await,
        Op::CompleteMultipartUpload => multipart::complete(state, req, info).await,
        Op::AbortMultipartUpload => multipart::abort(state, req).await,
        Op::ListParts => multipart::list_parts(state, req).await,
        Op::ListMultipartUploads => multipart::list_uploads(state, req).await,
        Op::ListObjectsV2 => list::list_objects(state, req, true).await,
        Op::ListObjects => list::list_objects(state, req, false).await,
        Op::CopyObject => copy::copy_object(state, req).await,
        Op::UploadPartCopy => copy::upload_part_copy(state, req).await,
        Op::PutObjectTagging => tagging::put_tagging(state, req).await,
        Op::GetObjectTagging => tagging::get_tagging(state, req).await,
        Op::DeleteObjectTagging => tagging::delete_tagging(state, req).await,
        Op::PutObjectAcl => tagging::put_acl(state, req).await,
        Op::GetObjectAcl => tagging::get_acl(state, req).await,
        Op::PostObject | Op::DeleteMultipleObjects => Err(OssError::internal("unreachable")),
    }
}

/// Formats a Unix time as OSS's ISO 8601 with milliseconds: `2006-01-02T15:04:05.000Z`.
pub(crate) fn iso_millis(unix: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// An XML response with status 200.
pub(crate) fn xml_response(xml: String) -> Response<Body> {
    Response::builder()
        .status(200)
        .header(hyper::header::CONTENT_TYPE, "application/xml")
        .body(crate::server::full(xml))
        .unwrap_or_else(|_| Response::new(crate::server::empty()))
}

/// Whether `encoding-type=url` was asked for; any other non-empty value is refused.
pub(crate) fn url_encoding_param(req: &OssRequest) -> Result<bool, OssError> {
    let encoding = req.query_param("encoding-type").unwrap_or_default();
    if !encoding.is_empty() && encoding != "url" {
        return Err(OssError::invalid_argument(
            "encoding-type must be url.",
            "encoding-type",
            encoding,
        ));
    }
    Ok(encoding == "url")
}

/// `encoding-type=url` applies to keys, prefixes, markers and continuation tokens in listings and
/// multipart answers (percent-encoding, `+` as `%2B`, space as `%20`).
pub(crate) fn maybe_encode(value: &str, url: bool) -> String {
    if url {
        alioss::oss::signer::uri_encode(value)
    } else {
        value.to_owned()
    }
}
