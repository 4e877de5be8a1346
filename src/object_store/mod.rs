//! [`object_store`](https://docs.rs/object_store) on OSS: a store for one bucket (and an
//! optional key prefix) that the Rust data tools (DataFusion, Polars, delta-rs, iceberg-rust,
//! Lance, …) can use, with alioss's credentials (the self-refreshing STS ones included),
//! CRC-64 checks and retries.
//!
//! One implementation is compiled once per `object_store` major, each behind its own feature,
//! so a program picks the one its data tool depends on:
//!
//! | feature | module | object_store |
//! | --- | --- | --- |
//! | `object-store-0-13` | [`v0_13`] | 0.13 (DataFusion 55, Polars 0.55, delta-rs 1.1) |
//! | `object-store-0-14` | [`v0_14`] | 0.14 |
//!
//! Neither is a default feature. Each module has the same API: `OssStore` implements
//! `ObjectStore`, `MultipartStore` and `PaginatedListStore`.
//!
//! How the object_store operations map onto OSS:
//!
//! - `put_opts`: PutObject. `PutMode::Create` sends `x-oss-forbid-overwrite: true`
//!   (an existing object answers `AlreadyExists`); `PutMode::Update` answers `NotImplemented`,
//!   because OSS has no conditional write on an ETag. Attributes map to Content-Type,
//!   Cache-Control, Content-Disposition, Content-Encoding, Content-Language,
//!   `x-oss-storage-class` and `x-oss-meta-*`; tags to `x-oss-tagging`.
//! - `put_multipart_opts`: a multipart upload; parts go up concurrently as the caller drives
//!   them, each CRC-64-checked, and the completed object is checked against the combined CRC.
//! - `get_opts`: GetObject (HeadObject with `head`), with ranges (bounded, offset, suffix;
//!   a range starting past the end is an error), `If-Match`, `If-None-Match`,
//!   `If-Modified-Since`, `If-Unmodified-Since` and `versionId`.
//! - `delete_stream`: DeleteMultipleObjects, 1000 keys a request.
//! - `list`, `list_with_offset` (`start-after`), `list_with_delimiter`, `list_paginated`:
//!   ListObjectsV2.
//! - `copy_opts`: CopyObject (a multipart copy for sources over 1 GiB); `CopyMode::Create`
//!   sends `x-oss-forbid-overwrite`. `rename_opts`: copy, then delete the source.
//!
//! **Versioned buckets:** OSS ignores `x-oss-forbid-overwrite` on a bucket whose versioning is
//! enabled or suspended, so there `PutMode::Create` and `CopyMode::Create` overwrite like
//! `Overwrite` (the previous object stays as an older version). Tools that rely on
//! put-if-absent for commits (delta-rs, for one) need a bucket without versioning.
//!
//! Errors map to `NotFound`, `AlreadyExists`, `Precondition`, `NotModified`,
//! `PermissionDenied`, `Unauthenticated`, `NotImplemented` or `Generic`, always with the
//! [`alioss::Error`](crate::Error) (its code, request id and hint) as the source.

#[cfg(feature = "object-store-0-13")]
#[cfg_attr(docsrs, doc(cfg(feature = "object-store-0-13")))]
pub mod v0_13;
#[cfg(feature = "object-store-0-14")]
#[cfg_attr(docsrs, doc(cfg(feature = "object-store-0-14")))]
pub mod v0_14;
