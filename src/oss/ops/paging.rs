//! What the listing operations share: the page-size rule, optional query parameters, and
//! turning "fetch one page" into a stream of pages or of their items.

use std::future::Future;

use futures_util::stream::{self, Stream, StreamExt};

use super::url_encoded::Decoder;
use crate::error::{Error, Result};
use crate::oss::request::OssRequest;
use crate::oss::stream::BoxStream;
use crate::oss::xml::CommonPrefixXml;

/// A page size (`max-keys`, `max-parts`, `max-uploads`) must be 1 to 1000.
pub(crate) fn check_page_size(field: &'static str, n: Option<u32>) -> Result<()> {
    match n {
        Some(n) if !(1..=1000).contains(&n) => Err(Error::invalid(field, "must be 1 to 1000")),
        _ => Ok(()),
    }
}

/// Adds each `(name, value)` whose value is set as a query parameter.
pub(crate) fn optional_queries<'a>(
    mut req: OssRequest,
    params: impl IntoIterator<Item = (&'a str, &'a Option<String>)>,
) -> OssRequest {
    for (name, value) in params {
        if let Some(v) = value {
            req = req.query(name, v.clone());
        }
    }
    req
}

/// The common prefixes of a listing, decoded as its `encoding-type` says. An empty
/// `<CommonPrefixes/>` (or one with an empty `<Prefix>`) names no prefix.
pub(crate) fn decode_prefixes(prefixes: Vec<CommonPrefixXml>, dec: Decoder) -> Result<Vec<String>> {
    prefixes
        .into_iter()
        .filter_map(|p| p.prefix.filter(|p| !p.is_empty()))
        .map(|p| dec.decode("CommonPrefixes/Prefix", p))
        .collect()
}

/// The error of a listing marked truncated that names no way to continue.
pub(crate) fn truncated_without(marker: &str) -> Error {
    Error::Response(format!(
        "the listing is marked truncated but carries no {marker}; refusing to end it silently"
    ))
}

/// Every page from `first` on: `send` fetches a page, `next` says which request follows it
/// (none when the listing is complete). Stops at the first error.
pub(crate) fn pages<R, P, Fut>(
    first: R,
    send: fn(R) -> Fut,
    next: fn(R, &P) -> Option<R>,
) -> BoxStream<P>
where
    R: Clone + Send + 'static,
    P: Send + 'static,
    Fut: Future<Output = Result<P>> + Send + 'static,
{
    Box::pin(stream::try_unfold(Some(first), move |state| async move {
        let Some(req) = state else { return Ok(None) };
        let page = send(req.clone()).await?;
        let following = next(req, &page);
        Ok(Some((page, following)))
    }))
}

/// The items of every page, in order; an error ends the stream.
pub(crate) fn items<P, T, S>(pages: S, of_page: fn(P) -> Vec<T>) -> BoxStream<T>
where
    T: Send + 'static,
    P: 'static,
    S: Stream<Item = Result<P>> + Send + 'static,
{
    Box::pin(pages.flat_map(move |page| match page {
        Ok(p) => stream::iter(of_page(p).into_iter().map(Ok).collect::<Vec<_>>()),
        Err(e) => stream::iter(vec![Err(e)]),
    }))
}
