//! The OSS store for `object_store` 0.14 (feature `object-store-0-14`).
//!
//! See [the module overview](super) for how operations map onto OSS.

use object_store_0_14 as os;

/// Items only `object_store` 0.14 has; kept here.
macro_rules! only_0_14 {
    ($($t:tt)*) => { $($t)* };
}

// The same implementation is compiled once per object_store major, on purpose.
#[allow(clippy::duplicate_mod)]
#[path = "adapter.rs"]
mod adapter;

pub use adapter::{OssStore, OssUpload};

fn put_result(e_tag: Option<String>, version: Option<String>) -> os::PutResult {
    os::PutResult {
        e_tag,
        version,
        extensions: Default::default(),
    }
}

fn get_result(
    payload: os::GetResultPayload,
    meta: os::ObjectMeta,
    range: std::ops::Range<u64>,
    attributes: os::Attributes,
) -> os::GetResult {
    os::GetResult {
        payload,
        meta,
        range,
        attributes,
        extensions: Default::default(),
    }
}

fn list_result(
    common_prefixes: Vec<os::path::Path>,
    objects: Vec<os::ObjectMeta>,
) -> os::ListResult {
    os::ListResult {
        common_prefixes,
        objects,
        extensions: Default::default(),
    }
}
