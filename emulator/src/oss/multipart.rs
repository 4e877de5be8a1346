//! Multipart uploads.

use std::sync::Arc;

use hyper::Response;

use super::OssRequest;
use crate::errors::OssError;
use crate::server::{Body, RequestInfo, State};

pub(crate) async fn initiate(
    _s: &Arc<State>,
    _r: &OssRequest,
    _i: &RequestInfo,
) -> Result<Response<Body>, OssError> {
    Err(OssError::not_implemented("InitiateMultipartUpload"))
}
pub(crate) async fn upload_part(
    _s: &Arc<State>,
    _r: &mut OssRequest,
    _i: &RequestInfo,
) -> Result<Response<Body>, OssError> {
    Err(OssError::not_implemented("UploadPart"))
}
pub(crate) async fn complete(
    _s: &Arc<State>,
    _r: &mut OssRequest,
    _i: &RequestInfo,
) -> Result<Response<Body>, OssError> {
    Err(OssError::not_implemented("Complete"))
}
pub(crate) async fn abort(_s: &Arc<State>, _r: &OssRequest) -> Result<Response<Body>, OssError> {
    Err(OssError::not_implemented("Abort"))
}
pub(crate) async fn list_parts(
    _s: &Arc<State>,
    _r: &OssRequest,
) -> Result<Response<Body>, OssError> {
    Err(OssError::not_implemented("ListParts"))
}
pub(crate) async fn list_uploads(
    _s: &Arc<State>,
    _r: &OssRequest,
) -> Result<Response<Body>, OssError> {
    Err(OssError::not_implemented("ListMultipartUploads"))
}
