//! `alioss-emulator`: a local Alibaba Cloud STS + OSS server that enforces what the cloud
//! enforces — V4 and V1 signatures (header and presigned), security tokens and their expiry,
//! RAM policies (role ∩ session policy), multipart and append rules, CRC-64 — with fault
//! injection and a controllable clock for tests.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use alioss_emulator::{Emulator, EmulatorConfig, Fault};
//!
//! let emu = Emulator::start(EmulatorConfig::demo()).await?;
//! println!("endpoint {}", emu.endpoint());
//! emu.faults().push(Fault::fail_next(1).operation("PutObject").status(503));
//! emu.clock().advance(std::time::Duration::from_secs(3600));
//! emu.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! See `emulator/README.md` for the configuration format, the admin API and what is not
//! emulated.

#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]
#![forbid(unsafe_code)]

mod admin;
mod authz;
mod body;
mod clock;
mod config;
mod errors;
mod faults;
mod iam;
mod oss;
mod server;
mod store;
mod sts;
mod tls;

pub use authz::PolicyDocument;
pub use clock::Clock;
pub use config::{
    demo, AccessKeyConfig, BucketAcl, BucketConfig, ConfigError, CorsRule, EmulatorConfig,
    RoleConfig, UserConfig,
};
pub use faults::{Fault, FaultKind, Faults};
pub use server::{Emulator, EmulatorBuilder, EmulatorError, EmulatorHandle};

/// The JSON object the binary prints after `ALIOSS_EMULATOR_READY `: endpoint, account id and
/// every configured credential.
pub fn ready_line(handle: &EmulatorHandle) -> String {
    let cfg = handle.config();
    let users: serde_json::Map<String, serde_json::Value> = cfg
        .users
        .iter()
        .map(|u| {
            (
                u.name.clone(),
                serde_json::json!({
                    "access_key_id": u.access_key_id,
                    "access_key_secret": u.access_key_secret,
                }),
            )
        })
        .collect();
    let roles: serde_json::Map<String, serde_json::Value> = cfg
        .roles
        .iter()
        .map(|r| (r.name.clone(), serde_json::Value::String(cfg.role_arn(r))))
        .collect();
    let buckets: serde_json::Map<String, serde_json::Value> = cfg
        .buckets
        .iter()
        .map(|b| (b.name.clone(), serde_json::Value::String(b.region.clone())))
        .collect();
    let mut line = serde_json::json!({
        "endpoint": handle.endpoint(),
        "account_id": cfg.account_id,
        "root": {
            "access_key_id": cfg.root.access_key_id,
            "access_key_secret": cfg.root.access_key_secret,
        },
        "users": users,
        "roles": roles,
        "buckets": buckets,
    });
    if let (Some(pem), Some(obj)) = (handle.ca_pem(), line.as_object_mut()) {
        obj.insert(
            "ca_pem".to_owned(),
            serde_json::Value::String(pem.to_owned()),
        );
    }
    format!("ALIOSS_EMULATOR_READY {line}")
}
