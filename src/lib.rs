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
//! official SDKs' test vectors. Everything can be tested offline against `alioss-emulator`, a
//! local STS + OSS server that enforces signatures, tokens, expiry and policies.
//!
//! ## The scenario
//!
//! ```no_run
//! use std::time::Duration;
//! use alioss::credentials::{AssumeRoleCredentialsProvider, EnvironmentCredentialsProvider};
//! use alioss::oss::{self, Body};
//! use alioss::sts::policy::{actions, oss_object, Policy};
//! use alioss::sts::{AssumeRoleRequest, StsClient};
//!
//! # async fn run() -> Result<(), alioss::Error> {
//! // The organisation's server: a RAM user's AccessKey from the environment.
//! let sts = StsClient::builder()
//!     .region("cn-hangzhou")
//!     .credentials(EnvironmentCredentialsProvider::new())
//!     .build()?;
//! // Narrow the role to uploads under src/ for 15 minutes; every rule is checked here.
//! let policy = Policy::builder()
//!     .allow([actions::PUT_OBJECT], [oss_object("examplebucket", "src/*")])
//!     .build()?;
//! let request = AssumeRoleRequest::builder()
//!     .role_arn("acs:ram::1234567890123456:role/ramosstest")
//!     .role_session_name("supplier-42")
//!     .duration(Duration::from_secs(900))
//!     .policy(&policy)
//!     .build()?;
//! let handed_out = sts.assume_role(&request).await?; // STS. key id, secret, token, expiration
//! # let _ = handed_out;
//!
//! // The partner: credentials that refresh themselves before they expire.
//! let provider = AssumeRoleCredentialsProvider::new(sts, request);
//! let client = oss::Client::builder()
//!     .region("cn-hangzhou")
//!     .credentials(provider)
//!     .build()?;
//! let put = client
//!     .put_object("examplebucket", "src/data.csv")
//!     .body(Body::from_path("data.csv").await?)
//!     .send()
//!     .await?; // CRC-64 checked end to end
//! println!("uploaded, CRC-64 {:?}, request id {:?}", put.crc64, put.request_id);
//! # Ok(())
//! # }
//! ```
//!
//! Runnable versions against the emulator: `cargo run --example quickstart`,
//! `cargo run --example sts_server -- --demo`, `cargo run --example upload`.
//!
//! ## Safety with secrets
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
#[cfg(any(feature = "object-store-0-13", feature = "object-store-0-14"))]
pub mod object_store;
pub mod oss;
pub mod sts;

pub use credentials::{Credentials, ProvideCredentials, SharedCredentialsProvider};

/// The traits most programs need in scope: `use alioss::prelude::*;`.
pub mod prelude {
    pub use crate::credentials::ProvideCredentials;
    pub use crate::oss::WithObjectOptions;
}
pub use error::{Error, ErrorKind, InvalidInputError, Result, ServiceError};
