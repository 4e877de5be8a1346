//! XML bodies OSS sends and receives (quick-xml + serde).

use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::oss::error_response;
use crate::oss::request::Sent;

/// Parses an XML document into `T`.
pub(crate) fn from_xml<'de, T: Deserialize<'de>>(xml: &'de str) -> Result<T> {
    quick_xml::de::from_str(xml).map_err(|e| Error::Response(format!("malformed XML body: {e}")))
}

/// The name of a document's root element, if it has one.
pub(crate) fn root_name(xml: &str) -> Option<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) => {
                return Some(String::from_utf8_lossy(e.local_name().as_ref()).into_owned())
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// Parses the answer of a successful request whose body must be a `<root>` document.
///
/// An `<Error>` document (which a proxy or a misbehaving server may send with a 2xx status) is
/// the service error it describes, never a success; any other root element is a response error.
pub(crate) async fn read_answer<T: DeserializeOwned>(sent: Sent, root: &'static str) -> Result<T> {
    let status = sent.response.status().as_u16();
    let headers = sent.headers().clone();
    let text = sent.text().await?;
    parse_answer(status, &headers, &text, root)
}

/// [`read_answer`] once the body is read.
pub(crate) fn parse_answer<T: DeserializeOwned>(
    status: u16,
    headers: &HeaderMap,
    text: &str,
    root: &'static str,
) -> Result<T> {
    match root_name(text).as_deref() {
        Some(name) if name == root => from_xml(text),
        Some("Error") => Err(error_response::parse(status, headers, text.as_bytes(), None).into()),
        Some(other) => Err(Error::Response(format!(
            "expected an XML document with root <{root}>, got <{other}>"
        ))),
        None => Err(Error::Response(format!(
            "expected an XML document with root <{root}>, got no XML element"
        ))),
    }
}

/// Renders `value` as an XML document.
pub(crate) fn to_xml<T: Serialize>(value: &T) -> Result<String> {
    quick_xml::se::to_string(value)
        .map_err(|e| Error::Response(format!("could not render XML: {e}")))
}

/// `<Error>` from OSS.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct ErrorXml {
    pub(crate) code: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) request_id: Option<String>,
    pub(crate) host_id: Option<String>,
    #[serde(rename = "EC")]
    pub(crate) ec: Option<String>,
    pub(crate) recommend_doc: Option<String>,
    pub(crate) endpoint: Option<String>,
    pub(crate) string_to_sign: Option<String>,
    pub(crate) server_time: Option<String>,
}

/// `<InitiateMultipartUploadResult>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct InitiateMultipartUploadResult {
    pub(crate) bucket: String,
    pub(crate) key: String,
    pub(crate) upload_id: String,
    pub(crate) encoding_type: Option<String>,
}

/// `<CompleteMultipartUpload>` request body.
#[derive(Debug, Serialize)]
#[serde(rename = "CompleteMultipartUpload")]
pub(crate) struct CompleteMultipartUpload {
    #[serde(rename = "Part")]
    pub(crate) parts: Vec<CompletePart>,
}

/// One `<Part>` of a Complete request.
#[derive(Debug, Serialize)]
pub(crate) struct CompletePart {
    #[serde(rename = "PartNumber")]
    pub(crate) part_number: u32,
    #[serde(rename = "ETag")]
    pub(crate) etag: String,
}

/// `<CompleteMultipartUploadResult>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct CompleteMultipartUploadResult {
    pub(crate) encoding_type: Option<String>,
    pub(crate) location: Option<String>,
    pub(crate) bucket: Option<String>,
    pub(crate) key: Option<String>,
    #[serde(rename = "ETag")]
    pub(crate) etag: Option<String>,
}

/// `<ListPartsResult>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct ListPartsResult {
    pub(crate) bucket: String,
    pub(crate) key: String,
    pub(crate) upload_id: String,
    pub(crate) encoding_type: Option<String>,
    pub(crate) part_number_marker: Option<u32>,
    pub(crate) next_part_number_marker: Option<u32>,
    pub(crate) max_parts: Option<u32>,
    pub(crate) is_truncated: bool,
    #[serde(rename = "Part")]
    pub(crate) parts: Vec<PartXml>,
}

/// `<Part>` of a ListParts answer.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct PartXml {
    pub(crate) part_number: u32,
    pub(crate) last_modified: Option<String>,
    #[serde(rename = "ETag")]
    pub(crate) etag: String,
    pub(crate) size: u64,
    pub(crate) hash_crc64ecma: Option<String>,
}

/// `<ListMultipartUploadsResult>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct ListMultipartUploadsResult {
    pub(crate) bucket: String,
    pub(crate) encoding_type: Option<String>,
    pub(crate) key_marker: Option<String>,
    pub(crate) upload_id_marker: Option<String>,
    pub(crate) next_key_marker: Option<String>,
    pub(crate) next_upload_id_marker: Option<String>,
    pub(crate) delimiter: Option<String>,
    pub(crate) prefix: Option<String>,
    pub(crate) max_uploads: Option<u32>,
    pub(crate) is_truncated: bool,
    #[serde(rename = "Upload")]
    pub(crate) uploads: Vec<UploadXml>,
    pub(crate) common_prefixes: Vec<CommonPrefixXml>,
}

/// `<Upload>` of a ListMultipartUploads answer.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct UploadXml {
    pub(crate) key: String,
    pub(crate) upload_id: String,
    pub(crate) initiated: Option<String>,
}

/// `<CommonPrefixes>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct CommonPrefixXml {
    /// Absent in an empty `<CommonPrefixes/>`.
    pub(crate) prefix: Option<String>,
}

/// `<ListBucketResult>` of ListObjectsV2.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct ListBucketResult {
    pub(crate) name: String,
    pub(crate) prefix: Option<String>,
    pub(crate) max_keys: Option<u32>,
    pub(crate) delimiter: Option<String>,
    pub(crate) start_after: Option<String>,
    pub(crate) is_truncated: bool,
    pub(crate) key_count: Option<u32>,
    pub(crate) continuation_token: Option<String>,
    pub(crate) next_continuation_token: Option<String>,
    pub(crate) encoding_type: Option<String>,
    pub(crate) contents: Vec<ObjectXml>,
    pub(crate) common_prefixes: Vec<CommonPrefixXml>,
}

/// `<Contents>` of a ListObjectsV2 answer.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct ObjectXml {
    pub(crate) key: String,
    pub(crate) last_modified: Option<String>,
    #[serde(rename = "ETag")]
    pub(crate) etag: Option<String>,
    #[serde(rename = "Type")]
    pub(crate) object_type: Option<String>,
    pub(crate) size: u64,
    pub(crate) storage_class: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_body_renders_parts_in_order() {
        let body = CompleteMultipartUpload {
            parts: vec![
                CompletePart {
                    part_number: 1,
                    etag: "\"A\"".into(),
                },
                CompletePart {
                    part_number: 2,
                    etag: "\"B\"".into(),
                },
            ],
        };
        let xml = to_xml(&body).unwrap();
        assert!(xml.starts_with("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"));
        assert!(xml.contains("<PartNumber>2</PartNumber>"));
        assert!(xml.ends_with("</Part></CompleteMultipartUpload>"));
    }

    #[test]
    fn list_objects_v2_parses() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult><Name>examplebucket</Name><Prefix>src/</Prefix><MaxKeys>2</MaxKeys>
<IsTruncated>true</IsTruncated><KeyCount>2</KeyCount><NextContinuationToken>tok</NextContinuationToken>
<Contents><Key>src/a</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>"E1"</ETag><Size>3</Size><StorageClass>Standard</StorageClass></Contents>
<Contents><Key>src/b</Key><Size>4</Size></Contents>
<CommonPrefixes><Prefix>src/dir/</Prefix></CommonPrefixes>
</ListBucketResult>"#;
        let r: ListBucketResult = from_xml(xml).unwrap();
        assert_eq!(r.name, "examplebucket");
        assert!(r.is_truncated);
        assert_eq!(r.contents.len(), 2);
        assert_eq!(r.contents[1].size, 4);
        assert_eq!(r.contents[0].etag.as_deref(), Some("\"E1\""));
        assert_eq!(r.common_prefixes[0].prefix.as_deref(), Some("src/dir/"));
        assert_eq!(r.next_continuation_token.as_deref(), Some("tok"));
    }

    #[test]
    fn list_parts_and_uploads_parse() {
        let xml = "<ListPartsResult><Bucket>b</Bucket><Key>k</Key><UploadId>u</UploadId>\
            <NextPartNumberMarker>2</NextPartNumberMarker><IsTruncated>false</IsTruncated>\
            <Part><PartNumber>1</PartNumber><ETag>\"x\"</ETag><Size>5</Size><HashCrc64ecma>12</HashCrc64ecma></Part>\
            <Part><PartNumber>2</PartNumber><ETag>\"y\"</ETag><Size>6</Size></Part></ListPartsResult>";
        let r: ListPartsResult = from_xml(xml).unwrap();
        assert_eq!(r.parts.len(), 2);
        assert_eq!(r.parts[0].hash_crc64ecma.as_deref(), Some("12"));
        assert_eq!(r.next_part_number_marker, Some(2));
        let xml = "<ListMultipartUploadsResult><Bucket>b</Bucket><IsTruncated>false</IsTruncated>\
            <Upload><Key>k</Key><UploadId>u1</UploadId></Upload></ListMultipartUploadsResult>";
        let r: ListMultipartUploadsResult = from_xml(xml).unwrap();
        assert_eq!(r.uploads[0].upload_id, "u1");
    }

    #[test]
    fn error_xml_parses_all_fields() {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code>\
            <Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message>\
            <RequestId>R1</RequestId><HostId>h</HostId><Endpoint>oss-cn-shanghai.aliyuncs.com</Endpoint>\
            <EC>0003-00001403</EC><RecommendDoc>https://api.aliyun.com/x</RecommendDoc></Error>";
        let e: ErrorXml = from_xml(xml).unwrap();
        assert_eq!(e.code.as_deref(), Some("AccessDenied"));
        assert_eq!(e.endpoint.as_deref(), Some("oss-cn-shanghai.aliyuncs.com"));
        assert_eq!(e.ec.as_deref(), Some("0003-00001403"));
    }
}
