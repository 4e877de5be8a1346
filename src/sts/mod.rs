//! Security Token Service: the `AssumeRole` client, its RPC signer, and session policies.
//!
//! [`StsClient`] turns a RAM user's AccessKey into short-lived credentials of a role with
//! [`StsClient::assume_role`]; [`AssumeRoleRequest`] checks every parameter rule before the
//! network; errors STS answers become [`crate::Error::Service`] with a hint for the well-known
//! mistakes (see [`hint_for`]).

#[cfg(feature = "server")]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub mod acs3;
pub(crate) mod client;
pub(crate) mod error;
mod request;
pub mod signer;

/// The retry policy shared with the OSS client.
pub use crate::retry::RetryPolicy;
#[allow(unused_imports)]
pub(crate) use client::parse_expiration;
pub use client::{
    AssumeRoleOutput, AssumedRoleUser, NonceGenerator, StsClient, StsClientBuilder, API_VERSION,
    ASSUME_ROLE_PROVIDER, DEFAULT_ENDPOINT, DEFAULT_STS_OPERATION_TIMEOUT, OIDC_PROVIDER,
};
pub use error::hint_for;
pub use request::{
    AssumeRoleRequest, AssumeRoleRequestBuilder, AssumeRoleWithOidcRequest,
    AssumeRoleWithOidcRequestBuilder, DEFAULT_DURATION_SECONDS, MAX_DURATION_SECONDS,
    MAX_POLICY_CHARS, MIN_DURATION_SECONDS,
};
