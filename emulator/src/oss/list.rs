//! Listing objects.

use std::sync::Arc;

use hyper::Response;

use super::OssRequest;
use crate::errors::OssError;
use crate::server::{Body, State};

pub(crate) async fn list_objects(
    _s: &Arc<State>,
    _r: &OssRequest,
    _v2: bool,
) -> Result<Response<Body>, OssError> {
    Err(OssError::not_implemented("ListObjects"))
}
