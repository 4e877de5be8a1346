//! The values OSS names in headers and listings — storage class, object type, ACL, server-side
//! encryption — typed both ways: requests take them, outputs return them.
//!
//! Each type renders with [`Display`](std::fmt::Display) as OSS spells it, and parses with
//! [`FromStr`] without ever failing: a value this crate does not know yet (a storage class the
//! service adds later) is kept as `Other(value)` rather than refused.
//!
//! ```
//! use alioss::oss::{ObjectType, StorageClass};
//!
//! assert_eq!("IA".parse::<StorageClass>(), Ok(StorageClass::InfrequentAccess));
//! assert_eq!(StorageClass::InfrequentAccess.to_string(), "IA");
//! let future: StorageClass = "Quantum".parse().unwrap();
//! assert_eq!(future, StorageClass::Other("Quantum".into()));
//! assert_eq!(ObjectType::from("Appendable"), ObjectType::Appendable);
//! ```

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

/// An enum of the values OSS spells as strings, with an `Other` variant for the ones it does
/// not know, and `as_str`, `Display`, `FromStr` and `From<&str>`.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal $(| $alias:literal)* , )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of the crate does not know, kept as the server sent it.
            Other(String),
        }

        impl $name {
            /// The value as OSS spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Other(s) => s,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = Infallible;

            /// Parses OSS's spelling (case-insensitively); never fails.
            fn from_str(s: &str) -> Result<Self, Infallible> {
                let t = s.trim();
                $(
                    if t.eq_ignore_ascii_case($wire) $(|| t.eq_ignore_ascii_case($alias))* {
                        return Ok($name::$variant);
                    }
                )+
                Ok($name::Other(t.to_owned()))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s.parse() {
                    Ok(v) => v,
                    Err(never) => match never {},
                }
            }
        }
    };
}

string_enum! {
    /// An object's storage class (`x-oss-storage-class`, `<StorageClass>`).
    StorageClass {
        /// Standard.
        Standard => "Standard",
        /// Infrequent access (`IA`).
        InfrequentAccess => "IA" | "InfrequentAccess",
        /// Archive.
        Archive => "Archive",
        /// Cold archive.
        ColdArchive => "ColdArchive",
        /// Deep cold archive.
        DeepColdArchive => "DeepColdArchive",
    }
}

string_enum! {
    /// An object's access control list (`x-oss-object-acl`).
    ObjectAcl {
        /// The bucket's ACL applies.
        Default => "default",
        /// Only the owner and authorised users.
        Private => "private",
        /// Anyone may read.
        PublicRead => "public-read",
        /// Anyone may read and write.
        PublicReadWrite => "public-read-write",
    }
}

string_enum! {
    /// How an object was written (`x-oss-object-type`, `<Type>` in listings).
    ObjectType {
        /// Uploaded whole (PutObject, PostObject, CopyObject).
        Normal => "Normal",
        /// Written by AppendObject; more can be appended.
        Appendable => "Appendable",
        /// Assembled by CompleteMultipartUpload.
        Multipart => "Multipart",
        /// A symbolic link to another object.
        Symlink => "Symlink",
    }
}

/// Server-side encryption of an object (`x-oss-server-side-encryption`, with
/// `x-oss-server-side-encryption-key-id` for KMS).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServerSideEncryption {
    /// OSS-managed keys, AES-256 (`AES256`).
    Aes256,
    /// OSS-managed keys, SM4 (`SM4`).
    Sm4,
    /// KMS (`KMS`), with the default or the given customer master key id.
    Kms {
        /// The CMK id; `None` for the default key (or when the server did not say).
        key_id: Option<String>,
    },
    /// A value this version of the crate does not know, kept as the server sent it.
    Other(String),
}

impl ServerSideEncryption {
    /// The `x-oss-server-side-encryption` value as OSS spells it.
    pub fn as_str(&self) -> &str {
        match self {
            ServerSideEncryption::Aes256 => "AES256",
            ServerSideEncryption::Sm4 => "SM4",
            ServerSideEncryption::Kms { .. } => "KMS",
            ServerSideEncryption::Other(s) => s,
        }
    }

    /// The KMS key id, if any.
    pub fn kms_key_id(&self) -> Option<&str> {
        match self {
            ServerSideEncryption::Kms { key_id } => key_id.as_deref(),
            _ => None,
        }
    }

    /// The encryption from an `x-oss-server-side-encryption` value and, for KMS, the
    /// `x-oss-server-side-encryption-key-id` value.
    pub fn from_headers(algorithm: &str, key_id: Option<String>) -> Self {
        match ServerSideEncryption::from(algorithm) {
            ServerSideEncryption::Kms { .. } => ServerSideEncryption::Kms { key_id },
            other => other,
        }
    }
}

/// The algorithm as OSS spells it (`AES256`, `KMS`, `SM4`); the KMS key id is not part of it.
impl fmt::Display for ServerSideEncryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ServerSideEncryption {
    type Err = Infallible;

    /// Parses `AES256`, `SM4` or `KMS` (case-insensitively; KMS without a key id); never fails.
    fn from_str(s: &str) -> Result<Self, Infallible> {
        let t = s.trim();
        Ok(if t.eq_ignore_ascii_case("AES256") {
            ServerSideEncryption::Aes256
        } else if t.eq_ignore_ascii_case("SM4") {
            ServerSideEncryption::Sm4
        } else if t.eq_ignore_ascii_case("KMS") {
            ServerSideEncryption::Kms { key_id: None }
        } else {
            ServerSideEncryption::Other(t.to_owned())
        })
    }
}

impl From<&str> for ServerSideEncryption {
    fn from(s: &str) -> Self {
        match s.parse() {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_round_trip_through_display_and_from_str() {
        for c in [
            StorageClass::Standard,
            StorageClass::InfrequentAccess,
            StorageClass::Archive,
            StorageClass::ColdArchive,
            StorageClass::DeepColdArchive,
        ] {
            assert_eq!(c.to_string().parse::<StorageClass>(), Ok(c));
        }
        for a in [
            ObjectAcl::Default,
            ObjectAcl::Private,
            ObjectAcl::PublicRead,
            ObjectAcl::PublicReadWrite,
        ] {
            assert_eq!(ObjectAcl::from(a.as_str()), a);
        }
        for t in [
            ObjectType::Normal,
            ObjectType::Appendable,
            ObjectType::Multipart,
            ObjectType::Symlink,
        ] {
            assert_eq!(ObjectType::from(t.to_string().as_str()), t);
        }
        assert_eq!(ObjectAcl::PublicRead.to_string(), "public-read");
    }

    #[test]
    fn unknown_values_are_kept_not_refused() {
        assert_eq!(
            StorageClass::from("Quantum"),
            StorageClass::Other("Quantum".into())
        );
        assert_eq!(StorageClass::from("Quantum").to_string(), "Quantum");
        assert_eq!(
            ObjectType::from("Folder"),
            ObjectType::Other("Folder".into())
        );
        assert_eq!(
            ServerSideEncryption::from("AES512"),
            ServerSideEncryption::Other("AES512".into())
        );
        assert_eq!(ObjectAcl::from("ia"), ObjectAcl::Other("ia".into()));
    }

    #[test]
    fn parsing_is_case_insensitive_and_sse_keeps_the_kms_key() {
        assert_eq!(StorageClass::from("ia"), StorageClass::InfrequentAccess);
        assert_eq!(StorageClass::from("standard"), StorageClass::Standard);
        assert_eq!(
            ServerSideEncryption::from("aes256"),
            ServerSideEncryption::Aes256
        );
        let kms = ServerSideEncryption::from_headers("KMS", Some("cmk-1".into()));
        assert_eq!(kms.kms_key_id(), Some("cmk-1"));
        assert_eq!(kms.to_string(), "KMS");
        assert_eq!(
            ServerSideEncryption::from_headers("SM4", Some("ignored".into())),
            ServerSideEncryption::Sm4
        );
    }
}
