//! The errors the emulator answers with: OSS errors (XML) and STS errors (JSON).

/// An OSS error response (boxed: errors travel through many `Result`s).
#[derive(Debug, Clone)]
pub(crate) struct OssError(Box<OssErrorInner>);

impl std::ops::Deref for OssError {
    type Target = OssErrorInner;
    fn deref(&self) -> &OssErrorInner {
        &self.0
    }
}

/// Status, code, message, EC, extra elements of the `<Error>` body and extra headers.
#[derive(Debug, Clone)]
pub(crate) struct OssErrorInner {
    pub(crate) status: u16,
    pub(crate) code: String,
    pub(crate) message: String,
    pub(crate) ec: String,
    pub(crate) extra: Vec<(&'static str, String)>,
    pub(crate) headers: Vec<(&'static str, String)>,
}

impl OssError {
    pub(crate) fn new(status: u16, code: &str, message: impl Into<String>, ec: &str) -> Self {
        Self(Box::new(OssErrorInner {
            status,
            code: code.to_owned(),
            message: message.into(),
            ec: ec.to_owned(),
            extra: Vec::new(),
            headers: Vec::new(),
        }))
    }

    pub(crate) fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.0.extra.push((name, value.into()));
        self
    }

    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.0.headers.push((name, value.into()));
        self
    }

    /// Replaces every occurrence of `secret` (raw or percent-encoded once or twice) in the
    /// extra elements, so that a security token never comes back in an error body.
    pub(crate) fn redact(mut self, secret: &str) -> Self {
        if secret.is_empty() {
            return self;
        }
        let forms = redaction_forms(secret);
        for (_, v) in &mut self.0.extra {
            for f in &forms {
                if v.contains(f.as_str()) {
                    *v = v.replace(f.as_str(), "<redacted>");
                }
            }
        }
        self
    }

    pub(crate) fn no_such_bucket(bucket: &str) -> Self {
        Self::new(
            404,
            "NoSuchBucket",
            "The specified bucket does not exist.",
            "0015-00000101",
        )
        .with("BucketName", bucket)
    }

    pub(crate) fn no_such_key(key: &str) -> Self {
        Self::new(
            404,
            "NoSuchKey",
            "The specified key does not exist.",
            "0026-00000001",
        )
        .with("Key", key)
    }

    pub(crate) fn no_such_upload(upload_id: &str) -> Self {
        Self::new(
            404,
            "NoSuchUpload",
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
            "0042-00000002",
        )
        .with("UploadId", upload_id)
    }

    /// RAM policies (of a user, or a role ∩ session policy) do not allow the action.
    pub(crate) fn denied_by_policy() -> Self {
        Self::new(
            403,
            "AccessDenied",
            "Access denied by authorizer's policy.",
            "0003-00000301",
        )
    }

    pub(crate) fn anonymous() -> Self {
        Self::new(
            403,
            "AccessDenied",
            "Anonymous access is forbidden for this operation.",
            "0003-00000001",
        )
    }

    pub(crate) fn invalid_access_key_id(ak: &str) -> Self {
        Self::new(
            403,
            "InvalidAccessKeyId",
            "The OSS Access Key Id you provided does not exist in our records.",
            "0002-00000003",
        )
        .with("OSSAccessKeyId", ak)
    }

    pub(crate) fn invalid_argument(message: impl Into<String>, name: &str, value: &str) -> Self {
        Self::new(400, "InvalidArgument", message, "0016-00000003")
            .with("ArgumentName", name)
            .with("ArgumentValue", value)
    }

    pub(crate) fn malformed_xml() -> Self {
        Self::new(
            400,
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema.",
            "0042-00000210",
        )
    }

    pub(crate) fn not_implemented(what: &str) -> Self {
        Self::new(
            501,
            "NotImplemented",
            format!("{what} is not implemented by alioss-emulator."),
            "0016-00000001",
        )
    }

    pub(crate) fn entity_too_large() -> Self {
        Self::new(
            400,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size.",
            "0016-00000014",
        )
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalError", message, "0000-00000000")
    }

    /// The error as the XML body OSS sends.
    pub(crate) fn to_xml(&self, request_id: &str, host_id: &str) -> String {
        let mut out = String::with_capacity(256);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n");
        push_elem(&mut out, "Code", &self.code);
        push_elem(&mut out, "Message", &self.message);
        push_elem(&mut out, "RequestId", request_id);
        push_elem(&mut out, "HostId", host_id);
        for (k, v) in &self.extra {
            push_elem(&mut out, k, v);
        }
        push_elem(&mut out, "EC", &self.ec);
        push_elem(
            &mut out,
            "RecommendDoc",
            &format!("https://api.aliyun.com/troubleshoot?q={}", self.ec),
        );
        out.push_str("</Error>\n");
        out
    }
}

/// A secret as it may appear in a string to sign: raw, percent-encoded, encoded twice.
pub(crate) fn redaction_forms(secret: &str) -> Vec<String> {
    let once = alioss::oss::signer::uri_encode(secret);
    let twice = alioss::oss::signer::uri_encode(&once);
    let mut forms = vec![twice, once, secret.to_owned()];
    forms.dedup();
    forms
}

/// Appends `<name>escaped value</name>\n`.
pub(crate) fn push_elem(out: &mut String, name: &str, value: &str) {
    out.push_str("  <");
    out.push_str(name);
    out.push('>');
    out.push_str(&quick_xml::escape::escape(value));
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
}

/// An STS (RPC) error: status, code and message; rendered as JSON.
#[derive(Debug, Clone)]
pub(crate) struct StsError {
    pub(crate) status: u16,
    pub(crate) code: String,
    pub(crate) message: String,
}

impl StsError {
    pub(crate) fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn missing(param: &str) -> Self {
        Self::new(
            400,
            &format!("Missing{param}"),
            format!("{param} is mandatory for this action."),
        )
    }

    pub(crate) fn no_permission() -> Self {
        Self::new(
            403,
            "NoPermission",
            "You are not authorized to do this action. You should be authorized by RAM.",
        )
    }

    /// Removes `secret` (raw or percent-encoded) from the message.
    pub(crate) fn redact(mut self, secret: &str) -> Self {
        if !secret.is_empty() {
            for f in redaction_forms(secret) {
                self.message = self.message.replace(f.as_str(), "<redacted>");
            }
        }
        self
    }

    pub(crate) fn to_json(&self, request_id: &str) -> String {
        serde_json::json!({
            "RequestId": request_id,
            "HostId": "sts.aliyuncs.com",
            "Code": self.code,
            "Message": self.message,
            "Recommend": format!("https://api.aliyun.com/troubleshoot?q={}&product=Sts", self.code),
        })
        .to_string()
    }
}
