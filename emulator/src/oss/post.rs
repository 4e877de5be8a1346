//! PostObject (browser form upload).

use std::sync::Arc;

use hyper::Response;

use super::OssRequest;
use crate::errors::OssError;
use crate::server::{Body, RequestInfo, State};

pub(crate) async fn post_object(
    _s: &Arc<State>,
    _r: &mut OssRequest,
    _region: &str,
    _i: &RequestInfo,
) -> Result<Response<Body>, OssError> {
    Err(OssError::not_implemented("PostObject"))
}
