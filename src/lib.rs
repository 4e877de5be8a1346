//! # alioss
//!
//! A Rust SDK for Alibaba Cloud Object Storage Service (OSS) and Security Token Service (STS),
//! built around one scenario: an organisation lets a partner upload into its bucket without
//! handing out its long-term AccessKey.
//!
//! The modules, bottom layer first (each uses only those before it):
//!
//! * [`error`] — one [`Error`] with [`ErrorKind`]s to match, [`RetryPolicy`];
//! * [`http`] — the transport every client and provider shares ([`http::HttpOptions`]: proxy,
//!   root certificates, user agent, pool, timeouts, or a `reqwest::Client` of your own);
//! * [`credentials`] — credentials that never print their secrets, the [`ProvideCredentials`]
//!   trait, static / environment / refreshing providers;
//! * [`policy`] — the RAM policy language: a typed session-policy builder, parser and evaluator;
//! * [`sts`] — the `AssumeRole` client and its RPC signer;
//! * [`providers`] — providers that call a service (STS AssumeRole and OIDC, a token-vending
//!   URL, ECS), profile files, and the default chain;
//! * [`oss`] — the V4 signer (V1 opt-in), CRC-64, the object operations, the Uploader and the
//!   Downloader.
//!
//! Signers are pure functions of the request, the credentials and the time, checked against the
//! official SDKs' test vectors. Everything can be tested offline against `alioss-emulator`, a
//! local STS + OSS server that enforces signatures, tokens, expiry and policies.
//!
//! ## The scenario
//!
//! ```no_run
//! use std::time::Duration;
//! use alioss::credentials::{EnvironmentCredentialsProvider};
//! use alioss::providers::{AssumeRoleCredentialsProvider};
//! use alioss::oss::{self, Body};
//! use alioss::policy::{actions, oss_object, Policy};
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
//! ## Configuring the transport
//!
//! Proxies, extra root certificates (a private endpoint's CA, a TLS-inspecting proxy), the
//! platform's root store (feature `native-roots`), a user-agent suffix, pool and timeouts are
//! one [`http::HttpOptions`] value, which every client and provider takes through its
//! `http_options` builder method; a `reqwest::Client` of your own can be handed in instead.
//! alioss uses reqwest 0.12 with rustls on `ring` (no cmake or nasm to build) and the bundled
//! Mozilla roots by default; see [`http`] for why.
//!
//! ```
//! # fn run() -> Result<(), alioss::Error> {
//! use alioss::credentials::{Credentials, StaticCredentialsProvider};
//! use alioss::http::HttpOptions;
//!
//! let http = HttpOptions::new()
//!     .proxy("http://proxy.corp.example:3128")
//!     .no_proxy("100.100.100.200")
//!     .user_agent_suffix("partner-sync/2.1");
//! let client = alioss::oss::Client::builder()
//!     .region("cn-hangzhou")
//!     .credentials(StaticCredentialsProvider::new(Credentials::new("id", "secret")?))
//!     .http_options(http)
//!     .build()?;
//! # let _ = client; Ok(()) }
//! # run().unwrap();
//! ```
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
//!
#![doc = include_str!("docs/tour.md")]
#![warn(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    clippy::missing_errors_doc
)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod credentials;
mod encoding;
pub mod error;
pub mod http;
pub mod limits;
#[cfg(any(feature = "object-store-0-13", feature = "object-store-0-14"))]
#[cfg_attr(
    docsrs,
    doc(cfg(any(feature = "object-store-0-13", feature = "object-store-0-14")))
)]
pub mod object_store;
pub mod oss;
pub mod policy;
pub mod providers;
mod retry;
pub mod sts;

#[cfg(test)]
mod fuzz_tests;

pub use credentials::{Credentials, ProvideCredentials, SharedCredentialsProvider};

/// The traits most programs need in scope: `use alioss::prelude::*;`.
pub mod prelude {
    pub use crate::credentials::ProvideCredentials;
    pub use crate::oss::WithObjectOptions;
}
/// The `bytes` crate, whose [`Bytes`](bytes::Bytes) the download and body APIs use.
pub use bytes;
pub use error::{Error, ErrorKind, InvalidInputError, Result, ServiceError};
/// The HTTP method type of the public API (the `http` crate's, as reqwest re-exports it).
pub use reqwest::Method;
pub use retry::RetryPolicy;
/// The `time` crate, whose [`OffsetDateTime`](time::OffsetDateTime) and
/// [`Duration`](time::Duration) the outputs, clocks and presigning use.
pub use time;
