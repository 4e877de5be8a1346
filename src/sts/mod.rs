//! Security Token Service: the `AssumeRole` client, its RPC signer, and session policies.

pub mod policy;
pub mod signer;
