//! DeleteMultipleObjects (up to 1000 keys a request) and [`Client::delete_objects`] for any
//! number of keys.

use base64::Engine as _;
use futures_util::stream::{self, Stream, StreamExt as _};
use md5::Digest as _;
use reqwest::Method;

use super::url_encoded::Decoder;
use crate::error::{Error, Result};
use crate::oss::client::Client;
use crate::oss::request::OssRequest;
use crate::oss::validation;
use crate::oss::xml::parse_answer;

/// Most keys one DeleteMultipleObjects request may name.
pub const MAX_DELETE_KEYS: usize = 1000;

impl Client {
    /// Deletes up to 1000 objects in one request (DeleteMultipleObjects). Missing keys count
    /// as deleted.
    pub fn delete_multiple_objects(
        &self,
        bucket: impl Into<String>,
    ) -> DeleteMultipleObjectsRequest {
        DeleteMultipleObjectsRequest {
            client: self.clone(),
            bucket: bucket.into(),
            keys: Vec::new(),
            quiet: false,
        }
    }

    /// Deletes any number of objects, 1000 per DeleteMultipleObjects request, up to
    /// `concurrency` requests at a time (at least 1). Yields one result per request: the keys
    /// it deleted, or its error (the other batches still run).
    ///
    /// # Errors
    ///
    /// Each item is the outcome of one batch; see [`DeleteMultipleObjectsRequest::send`].
    pub fn delete_objects<I, K>(
        &self,
        bucket: impl Into<String>,
        keys: I,
        concurrency: usize,
    ) -> impl Stream<Item = Result<Vec<String>>> + Send + 'static
    where
        I: IntoIterator<Item = K>,
        K: Into<String>,
    {
        let keys: Vec<String> = keys.into_iter().map(Into::into).collect();
        let batches: Vec<Vec<String>> = keys
            .chunks(MAX_DELETE_KEYS)
            .map(<[String]>::to_vec)
            .collect();
        let client = self.clone();
        let bucket = bucket.into();
        stream::iter(batches)
            .map(move |batch| {
                let req = client
                    .delete_multiple_objects(bucket.clone())
                    .keys(batch.clone());
                async move {
                    req.quiet(true).send().await?;
                    Ok(batch)
                }
            })
            .buffered(concurrency.max(1))
    }
}

/// A DeleteMultipleObjects request.
#[derive(Debug)]
pub struct DeleteMultipleObjectsRequest {
    client: Client,
    bucket: String,
    keys: Vec<String>,
    quiet: bool,
}

/// Escapes a key for the request body: the XML entities, and control characters as
/// character references (as the official SDKs send them). Keys go as they are, never
/// URL-encoded: `encoding-type=url` applies to the keys OSS answers with, not to the request.
fn xml_escape_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push_str(&format!("&#x{:X};", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct DeleteResultXml {
    encoding_type: Option<String>,
    deleted: Vec<DeletedXml>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct DeletedXml {
    key: String,
}

impl DeleteMultipleObjectsRequest {
    /// Adds a key.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.keys.push(key.into());
        self
    }

    /// Adds keys.
    pub fn keys<I, K>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = K>,
        K: Into<String>,
    {
        self.keys.extend(keys.into_iter().map(Into::into));
        self
    }

    /// Quiet mode: the answer lists no deleted keys (only failures would be listed).
    pub fn quiet(mut self, yes: bool) -> Self {
        self.quiet = yes;
        self
    }

    fn body(&self) -> String {
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete>");
        xml.push_str(if self.quiet {
            "<Quiet>true</Quiet>"
        } else {
            "<Quiet>false</Quiet>"
        });
        for k in &self.keys {
            xml.push_str("<Object><Key>");
            xml.push_str(&xml_escape_key(k));
            xml.push_str("</Key></Object>");
        }
        xml.push_str("</Delete>");
        xml
    }

    /// Deletes the keys.
    ///
    /// # Errors
    ///
    /// Invalid input before any request (no keys, more than 1000, an invalid key); the
    /// service's refusals (`AccessDenied` when any key may not be deleted: nothing is deleted
    /// then).
    pub async fn send(self) -> Result<DeleteMultipleObjectsOutput> {
        validation::bucket(&self.bucket)?;
        if self.keys.is_empty() {
            return Err(Error::invalid("keys", "at least one key is required"));
        }
        if self.keys.len() > MAX_DELETE_KEYS {
            return Err(Error::invalid(
                "keys",
                format!(
                    "at most {MAX_DELETE_KEYS} keys per request (got {}); use Client::delete_objects",
                    self.keys.len()
                ),
            ));
        }
        for k in &self.keys {
            validation::object_key(k)?;
        }
        let body = self.body();
        let md5 =
            base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body.as_bytes()));
        let mut req = OssRequest::new("DeleteMultipleObjects", Method::POST, &self.bucket, None)
            .query("delete", "")
            .query("encoding-type", "url")
            .header("Content-MD5", md5)
            .header("Content-Type", "application/xml");
        req.body = body.into();
        let sent = self.client.send(req).await?;
        let request_id = sent.request_id();
        let (status, headers) = (sent.response.status().as_u16(), sent.headers().clone());
        let text = sent.text().await?;
        // Quiet mode with nothing to report may answer no body at all.
        let r: DeleteResultXml = if text.trim().is_empty() {
            DeleteResultXml::default()
        } else {
            parse_answer(status, &headers, &text, "DeleteResult")?
        };
        let decoder = Decoder::new(r.encoding_type.as_deref());
        Ok(DeleteMultipleObjectsOutput {
            deleted: r
                .deleted
                .into_iter()
                .map(|d| decoder.decode("Deleted/Key", d.key))
                .collect::<Result<_>>()?,
            request_id,
        })
    }
}

/// What DeleteMultipleObjects answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeleteMultipleObjectsOutput {
    /// The keys deleted (empty in quiet mode).
    pub deleted: Vec<String>,
    /// The request id.
    pub request_id: Option<String>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_xml_escaped_not_url_encoded_in_the_body() {
        let client = crate::oss::Client::builder()
            .region("cn-hangzhou")
            .credentials(crate::credentials::StaticCredentialsProvider::new(
                crate::credentials::Credentials::new("ak", "sk").unwrap(),
            ))
            .build()
            .unwrap();
        let r = client
            .delete_multiple_objects("b")
            .keys(["a b&c", "d/e%2F=", "t\tab\u{1}"])
            .quiet(true);
        let body = r.body();
        assert!(body.contains("<Quiet>true</Quiet>"));
        assert!(body.contains("<Key>a b&amp;c</Key>"), "{body}");
        assert!(body.contains("<Key>d/e%2F=</Key>"), "{body}");
        assert!(body.contains("<Key>t&#x9;ab&#x1;</Key>"), "{body}");
    }
}
