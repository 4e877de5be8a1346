//! Object Storage Service: signers, CRC-64 and the object operations.

pub mod crc64;
pub mod signer;
