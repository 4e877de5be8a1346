//! Credentials providers that call a service, read profiles that may name an STS role, or
//! chain providers: they sit above [`crate::sts`], so the credential types in
//! [`crate::credentials`] know nothing of STS.
//!
//! * [`AssumeRoleCredentialsProvider`] (STS `AssumeRole`, refreshing ahead of expiry) and
//!   [`OidcCredentialsProvider`] (`AssumeRoleWithOIDC`);
//! * [`UrlCredentialsProvider`] (a token-vending service, e.g. the organisation's `/sts`);
//! * [`EcsRamRoleCredentialsProvider`] (the ECS instance's RAM role, IMDSv2);
//! * profile files: [`ProfileFileCredentialsProvider`] (`~/.alibabacloud/credentials`) and
//!   [`CliConfigCredentialsProvider`] (`~/.aliyun/config.json`);
//! * [`DefaultCredentialsChain`], the official lookup order, and [`CredentialsProviderChain`].
//!
//! Each of them is a [`ProvideCredentials`](crate::credentials::ProvideCredentials); the
//! refreshing ones are built on
//! [`RefreshingCredentialsProvider`](crate::credentials::RefreshingCredentialsProvider).

mod assume_role;
mod chain;
mod cli_config;
pub(crate) mod document;
mod ecs;
mod oidc;
mod profile;
mod url;

pub use assume_role::{AssumeRoleCredentialsProvider, AssumeRoleCredentialsProviderBuilder};
pub use chain::{
    CredentialsProviderChain, DefaultCredentialsChain, DefaultCredentialsChainBuilder,
};
pub use cli_config::{CliConfigCredentialsProvider, CliConfigCredentialsProviderBuilder};
pub use ecs::{
    EcsRamRoleCredentialsProvider, EcsRamRoleCredentialsProviderBuilder, DEFAULT_METADATA_ENDPOINT,
};
pub use oidc::{OidcCredentialsProvider, OidcCredentialsProviderBuilder};
pub use profile::{ProfileFileCredentialsProvider, ProfileFileCredentialsProviderBuilder};
pub use url::{UrlCredentialsProvider, UrlCredentialsProviderBuilder, CREDENTIALS_URI_VAR};
