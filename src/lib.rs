//! # alioss
//!
//! A Rust SDK for Alibaba Cloud Object Storage Service (OSS) and Security Token Service (STS),
//! built around one scenario: an organisation lets a partner upload into its bucket without
//! handing out its long-term AccessKey.
//!
//! * [`sts`] — the `AssumeRole` client, the RPC signer and a typed session-policy builder and
//!   evaluator ([`sts::policy`]).
//! * [`credentials`] — credentials that never print their secrets, and providers (static,
//!   environment, profile files, refreshing STS, token-vending URL) behind one trait.
//! * [`oss`] — the V4 signer (V1 opt-in), CRC-64, and the object operations.
//!
//! Signers are pure functions of the request, the credentials and the time, checked against the
//! official SDKs' test vectors.
//!
//! ```
//! use alioss::credentials::Credentials;
//!
//! let creds = Credentials::builder()
//!     .access_key_id("STS.example-id")
//!     .access_key_secret("example-secret")
//!     .security_token("example-token")
//!     .build()
//!     .unwrap();
//! // Debug never shows the secret or the token.
//! assert!(!format!("{creds:?}").contains("example-secret"));
//! ```
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]
#![forbid(unsafe_code)]

pub mod credentials;
pub mod error;
mod http;
pub mod oss;
pub mod sts;

pub use credentials::{Credentials, ProvideCredentials, SharedCredentialsProvider};
pub use error::{Error, InvalidInputError, ServiceError};
