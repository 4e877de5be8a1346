//! ListObjectsV2, one page at a time or as a stream of objects.

use crate::oss::stream::BoxStream;
use reqwest::Method;
use time::OffsetDateTime;

use super::url_encoded::Decoder;
use super::{paging, parse_iso_time};
use crate::error::Result;
use crate::oss::client::Client;
use crate::oss::request::OssRequest;
use crate::oss::types::{ObjectType, StorageClass};
use crate::oss::validation;
use crate::oss::xml;

impl Client {
    /// Lists a bucket's objects (ListObjectsV2).
    pub fn list_objects_v2(&self, bucket: impl Into<String>) -> ListObjectsV2Request {
        ListObjectsV2Request {
            client: self.clone(),
            bucket: bucket.into(),
            prefix: None,
            delimiter: None,
            start_after: None,
            continuation_token: None,
            max_keys: None,
        }
    }
}

/// A ListObjectsV2 request.
#[derive(Debug, Clone)]
pub struct ListObjectsV2Request {
    client: Client,
    bucket: String,
    prefix: Option<String>,
    delimiter: Option<String>,
    start_after: Option<String>,
    continuation_token: Option<String>,
    max_keys: Option<u32>,
}

impl ListObjectsV2Request {
    /// Only keys starting with `prefix`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Groups keys by this delimiter into common prefixes.
    pub fn delimiter(mut self, d: impl Into<String>) -> Self {
        self.delimiter = Some(d.into());
        self
    }

    /// Keys after this one.
    pub fn start_after(mut self, key: impl Into<String>) -> Self {
        self.start_after = Some(key.into());
        self
    }

    /// Continues a listing.
    pub fn continuation_token(mut self, token: impl Into<String>) -> Self {
        self.continuation_token = Some(token.into());
        self
    }

    /// At most this many keys per page (1–1000).
    pub fn max_keys(mut self, n: u32) -> Self {
        self.max_keys = Some(n);
        self
    }

    /// Fetches one page (asked with `encoding-type=url`; every encoded field comes back decoded).
    ///
    /// # Errors
    ///
    /// An invalid-input error for a bad bucket or page size, before any request; the service's
    /// error (also when it comes as an `<Error>` document with a 2xx status); transport and
    /// credentials errors; [`Error::Response`](crate::Error::Response) for an answer that is not
    /// a `<ListBucketResult>`, a field that is not UTF-8 once decoded, or a page marked truncated
    /// without a `NextContinuationToken`.
    pub async fn send(self) -> Result<ListObjectsV2Output> {
        validation::bucket(&self.bucket)?;
        paging::check_page_size("max_keys", self.max_keys)?;
        let mut req = paging::optional_queries(
            OssRequest::new("ListObjectsV2", Method::GET, &self.bucket, None)
                .query("list-type", "2")
                .query("encoding-type", "url"),
            [
                ("prefix", &self.prefix),
                ("delimiter", &self.delimiter),
                ("start-after", &self.start_after),
                ("continuation-token", &self.continuation_token),
            ],
        );
        if let Some(n) = self.max_keys {
            req = req.query("max-keys", n.to_string());
        }
        let sent = self.client.send(req).await?;
        let request_id = sent.request_id();
        let r: xml::ListBucketResult = xml::read_answer(sent, "ListBucketResult").await?;
        let dec = Decoder::new(r.encoding_type.as_deref());
        let next_continuation_token = dec
            .decode_opt("NextContinuationToken", r.next_continuation_token)?
            .filter(|t| !t.is_empty());
        if r.is_truncated && next_continuation_token.is_none() {
            return Err(paging::truncated_without("NextContinuationToken"));
        }
        let objects = r
            .contents
            .into_iter()
            .map(|o| {
                Ok(ObjectSummary {
                    key: dec.decode("Contents/Key", o.key)?,
                    size: o.size,
                    etag: o.etag,
                    last_modified: parse_iso_time(o.last_modified.as_deref()),
                    storage_class: o.storage_class.as_deref().map(StorageClass::from),
                    object_type: o.object_type.as_deref().map(ObjectType::from),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ListObjectsV2Output {
            objects,
            common_prefixes: paging::decode_prefixes(r.common_prefixes, dec)?,
            is_truncated: r.is_truncated,
            next_continuation_token,
            prefix: dec.decode_opt("Prefix", r.prefix)?,
            delimiter: dec.decode_opt("Delimiter", r.delimiter)?,
            start_after: dec.decode_opt("StartAfter", r.start_after)?,
            continuation_token: dec.decode_opt("ContinuationToken", r.continuation_token)?,
            key_count: r.key_count,
            request_id,
        })
    }

    /// Every page, as a stream of pages (follows continuation tokens). An error, as
    /// [`send`](Self::send) describes, is the stream's last item.
    pub fn into_pages(self) -> BoxStream<ListObjectsV2Output> {
        paging::pages(self, Self::send, |req, page: &ListObjectsV2Output| {
            match (page.is_truncated, page.next_continuation_token.clone()) {
                (true, Some(t)) if !t.is_empty() => Some(req.continuation_token(t)),
                _ => None,
            }
        })
    }

    /// Every object, as a stream.
    pub fn into_stream(self) -> BoxStream<ObjectSummary> {
        paging::items(self.into_pages(), |p| p.objects)
    }
}

/// One page of ListObjectsV2.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListObjectsV2Output {
    /// The objects on this page.
    pub objects: Vec<ObjectSummary>,
    /// Grouped key prefixes (with a delimiter).
    pub common_prefixes: Vec<String>,
    /// Whether more pages follow.
    pub is_truncated: bool,
    /// The token for the next page (decoded; present whenever `is_truncated` is).
    pub next_continuation_token: Option<String>,
    /// The prefix the listing was limited to, as the server echoed it.
    pub prefix: Option<String>,
    /// The delimiter, as the server echoed it.
    pub delimiter: Option<String>,
    /// The `start-after` key, as the server echoed it.
    pub start_after: Option<String>,
    /// The continuation token this page was asked with, as the server echoed it.
    pub continuation_token: Option<String>,
    /// How many keys and prefixes this page holds, as the server counted them.
    pub key_count: Option<u32>,
    /// The request id.
    pub request_id: Option<String>,
}

/// An object in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectSummary {
    /// The key.
    pub key: String,
    /// The size.
    pub size: u64,
    /// The ETag.
    pub etag: Option<String>,
    /// When it was last modified.
    pub last_modified: Option<OffsetDateTime>,
    /// The storage class.
    pub storage_class: Option<StorageClass>,
    /// `Normal`, `Appendable`, `Multipart`, `Symlink`.
    pub object_type: Option<ObjectType>,
}
