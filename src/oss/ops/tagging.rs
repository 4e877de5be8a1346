//! Object tagging (PutObjectTagging, GetObjectTagging, DeleteObjectTagging) and object ACL
//! (PutObjectACL, GetObjectACL).

use reqwest::Method;

use super::ObjectAcl;
use crate::error::Result;
use crate::oss::client::Client;
use crate::oss::request::OssRequest;
use crate::oss::validation;
use crate::oss::xml::read_answer;

/// Most tags an object may carry.
pub const MAX_OBJECT_TAGS: usize = validation::MAX_TAGS;

impl Client {
    /// Replaces an object's tags (PutObjectTagging).
    pub fn put_object_tagging(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
    ) -> PutObjectTaggingRequest {
        PutObjectTaggingRequest {
            client: self.clone(),
            bucket: bucket.into(),
            key: key.into(),
            tags: Vec::new(),
        }
    }

    /// Reads an object's tags (GetObjectTagging).
    pub fn get_object_tagging(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
    ) -> ObjectSubresourceRequest<GetObjectTaggingOutput> {
        ObjectSubresourceRequest::new(self, bucket.into(), key.into())
    }

    /// Removes an object's tags (DeleteObjectTagging).
    pub fn delete_object_tagging(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
    ) -> ObjectSubresourceRequest<DeleteObjectTaggingOutput> {
        ObjectSubresourceRequest::new(self, bucket.into(), key.into())
    }

    /// Reads an object's ACL (GetObjectACL).
    pub fn get_object_acl(
        &self,
        bucket: impl Into<String>,
        key: impl Into<String>,
    ) -> ObjectSubresourceRequest<GetObjectAclOutput> {
        ObjectSubresourceRequest::new(self, bucket.into(), key.into())
    }

    /// Sets an object's ACL (PutObjectACL).
    ///
    /// # Errors
    ///
    /// Invalid bucket or key before any request; the service's refusals (`NoSuchKey`,
    /// `AccessDenied`).
    pub async fn put_object_acl(
        &self,
        bucket: &str,
        key: &str,
        acl: ObjectAcl,
    ) -> Result<Option<String>> {
        validation::bucket_and_key(bucket, key)?;
        let req = OssRequest::new("PutObjectAcl", Method::PUT, bucket, Some(key))
            .query("acl", "")
            .header("x-oss-object-acl", acl.as_str());
        let sent = self.send(req).await?;
        Ok(sent.request_id())
    }
}

/// A PutObjectTagging request.
#[derive(Debug)]
pub struct PutObjectTaggingRequest {
    client: Client,
    bucket: String,
    key: String,
    tags: Vec<(String, String)>,
}

impl PutObjectTaggingRequest {
    /// Adds a tag (key 1–128 characters, value up to 256).
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.push((key.into(), value.into()));
        self
    }

    /// Replaces the tags.
    ///
    /// # Errors
    ///
    /// Invalid input before any request (more than 10 tags, a bad tag); the service's
    /// refusals (`NoSuchKey`, `AccessDenied`).
    pub async fn send(self) -> Result<Option<String>> {
        validation::bucket_and_key(&self.bucket, &self.key)?;
        // The same rules as the `x-oss-tagging` header of PutObject (no key twice included).
        validation::tags(&self.tags)?;
        let mut xml = String::from("<Tagging><TagSet>");
        for (k, v) in &self.tags {
            xml.push_str("<Tag><Key>");
            xml.push_str(&quick_xml::escape::escape(k.as_str()));
            xml.push_str("</Key><Value>");
            xml.push_str(&quick_xml::escape::escape(v.as_str()));
            xml.push_str("</Value></Tag>");
        }
        xml.push_str("</TagSet></Tagging>");
        let mut req = OssRequest::new(
            "PutObjectTagging",
            Method::PUT,
            &self.bucket,
            Some(&self.key),
        )
        .query("tagging", "")
        .header("Content-Type", "application/xml");
        req.body = xml.into();
        let sent = self.client.send(req).await?;
        Ok(sent.request_id())
    }
}

/// A request on an object sub-resource (`?tagging`, `?acl`) that takes no options.
#[derive(Debug)]
pub struct ObjectSubresourceRequest<O> {
    client: Client,
    bucket: String,
    key: String,
    version_id: Option<String>,
    _out: std::marker::PhantomData<fn() -> O>,
}

impl<O> ObjectSubresourceRequest<O> {
    fn new(client: &Client, bucket: String, key: String) -> Self {
        Self {
            client: client.clone(),
            bucket,
            key,
            version_id: None,
            _out: std::marker::PhantomData,
        }
    }

    /// Acts on this version of the object (on a bucket with versioning).
    pub fn version_id(mut self, id: impl Into<String>) -> Self {
        self.version_id = Some(id.into());
        self
    }

    /// The checked request for sub-resource `sub` of the object (and its version).
    fn request(&self, operation: &'static str, method: Method, sub: &str) -> Result<OssRequest> {
        validation::bucket_and_key(&self.bucket, &self.key)?;
        let mut req =
            OssRequest::new(operation, method, &self.bucket, Some(&self.key)).query(sub, "");
        if let Some(v) = &self.version_id {
            if v.is_empty() {
                return Err(crate::error::Error::invalid(
                    "version_id",
                    "must not be empty",
                ));
            }
            req = req.query("versionId", v.clone());
        }
        Ok(req)
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct TaggingXml {
    tag_set: TagSetXml,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct TagSetXml {
    tag: Vec<TagXml>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct TagXml {
    key: String,
    value: String,
}

/// What GetObjectTagging answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetObjectTaggingOutput {
    /// The tags, in the order OSS lists them.
    pub tags: Vec<(String, String)>,
    /// The request id.
    pub request_id: Option<String>,
}

impl ObjectSubresourceRequest<GetObjectTaggingOutput> {
    /// Reads the tags.
    ///
    /// # Errors
    ///
    /// Invalid bucket or key before any request; the service's refusals (`NoSuchKey`,
    /// `AccessDenied`).
    pub async fn send(self) -> Result<GetObjectTaggingOutput> {
        let req = self.request("GetObjectTagging", Method::GET, "tagging")?;
        let sent = self.client.send(req).await?;
        let request_id = sent.request_id();
        let r: TaggingXml = read_answer(sent, "Tagging").await?;
        Ok(GetObjectTaggingOutput {
            tags: r
                .tag_set
                .tag
                .into_iter()
                .map(|t| (t.key, t.value))
                .collect(),
            request_id,
        })
    }
}

/// What DeleteObjectTagging answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeleteObjectTaggingOutput {
    /// The request id.
    pub request_id: Option<String>,
}

impl ObjectSubresourceRequest<DeleteObjectTaggingOutput> {
    /// Removes the tags.
    ///
    /// # Errors
    ///
    /// Invalid bucket or key before any request; the service's refusals (`NoSuchKey`,
    /// `AccessDenied`).
    pub async fn send(self) -> Result<DeleteObjectTaggingOutput> {
        let req = self.request("DeleteObjectTagging", Method::DELETE, "tagging")?;
        let sent = self.client.send(req).await?;
        Ok(DeleteObjectTaggingOutput {
            request_id: sent.request_id(),
        })
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct AclXml {
    access_control_list: AclListXml,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct AclListXml {
    grant: String,
}

/// What GetObjectACL answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetObjectAclOutput {
    /// The object's ACL (a value this version does not know is [`ObjectAcl::Other`]); `None`
    /// when the answer named none.
    pub acl: Option<ObjectAcl>,
    /// The ACL as OSS wrote it.
    pub grant: String,
    /// The request id.
    pub request_id: Option<String>,
}

impl ObjectSubresourceRequest<GetObjectAclOutput> {
    /// Reads the ACL.
    ///
    /// # Errors
    ///
    /// Invalid bucket or key before any request; the service's refusals (`NoSuchKey`,
    /// `AccessDenied`).
    pub async fn send(self) -> Result<GetObjectAclOutput> {
        let req = self.request("GetObjectAcl", Method::GET, "acl")?;
        let sent = self.client.send(req).await?;
        let request_id = sent.request_id();
        let r: AclXml = read_answer(sent, "AccessControlPolicy").await?;
        let grant = r.access_control_list.grant;
        let acl = (!grant.is_empty()).then(|| ObjectAcl::from(grant.as_str()));
        Ok(GetObjectAclOutput {
            acl,
            grant,
            request_id,
        })
    }
}
