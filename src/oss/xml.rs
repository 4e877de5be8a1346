//! XML bodies OSS sends and receives (quick-xml + serde).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A document type and the root element it must have.
pub(crate) trait XmlRoot {
    /// The root element's name.
    const ROOT: &'static str;
}

/// Parses an XML document into `T`, after checking that its root element is `T`'s: an
/// `<Error>` document, an HTML page or any other XML is never taken for a result.
pub(crate) fn from_xml<'de, T: Deserialize<'de> + XmlRoot>(xml: &'de str) -> Result<T> {
    match root_element(xml) {
        Some(root) if root == T::ROOT => {}
        Some(root) => {
            let root: String = root.chars().take(64).collect();
            return Err(Error::Response(format!(
                "unexpected XML answer: the root element is <{root}>, expected <{}>",
                T::ROOT
            )));
        }
        None => {
            return Err(Error::Response(format!(
                "the answer is not an XML document (expected <{}>)",
                T::ROOT
            )))
        }
    }
    quick_xml::de::from_str(xml).map_err(|e| Error::Response(format!("malformed XML body: {e}")))
}

/// The name of the first element of `xml`, if it is XML at all.
fn root_element(xml: &str) -> Option<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) => {
                return Some(String::from_utf8_lossy(e.local_name().as_ref()).into_owned())
            }
            Event::Eof => return None,
            Event::Text(t) if !t.iter().all(u8::is_ascii_whitespace) => return None,
            _ => {}
        }
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
    pub(crate) prefix: String,
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

impl XmlRoot for ErrorXml {
    const ROOT: &'static str = "Error";
}

impl XmlRoot for InitiateMultipartUploadResult {
    const ROOT: &'static str = "InitiateMultipartUploadResult";
}

impl XmlRoot for CompleteMultipartUploadResult {
    const ROOT: &'static str = "CompleteMultipartUploadResult";
}

impl XmlRoot for ListPartsResult {
    const ROOT: &'static str = "ListPartsResult";
}

impl XmlRoot for ListMultipartUploadsResult {
    const ROOT: &'static str = "ListMultipartUploadsResult";
}

impl XmlRoot for ListBucketResult {
    const ROOT: &'static str = "ListBucketResult";
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
        assert_eq!(r.common_prefixes[0].prefix, "src/dir/");
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
