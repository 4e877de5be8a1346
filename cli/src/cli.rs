//! The command line, as `clap` parses it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Alibaba Cloud OSS from the command line: cp, ls, rm, presign, sts assume-role.
#[derive(Debug, Parser)]
#[command(name = "alioss", version, about)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Where and as whom requests go.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// OSS endpoint, e.g. `oss-cn-hangzhou.aliyuncs.com` or `http://127.0.0.1:9000` (IP
    /// endpoints are addressed path-style). Default: the region's public endpoint.
    #[arg(long, global = true, env = "OSS_ENDPOINT")]
    pub(crate) endpoint: Option<String>,
    /// Region, e.g. `cn-hangzhou` (needed for V4 signing).
    #[arg(long, global = true, env = "OSS_REGION")]
    pub(crate) region: Option<String>,
    /// Address buckets path-style (`endpoint/bucket/key`) even for a domain endpoint.
    #[arg(long, global = true)]
    pub(crate) path_style: bool,
    /// Fetch temporary credentials from this token-vending URL (refreshed before they expire)
    /// instead of the default credentials chain.
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) vending_url: Option<String>,
    /// With no endpoint configured: run a local emulator in-process (demo configuration,
    /// `admin` user) and work against it.
    #[arg(long, global = true)]
    pub(crate) emulator: bool,
    /// Keep the in-process emulator's objects in this folder (so they outlive the command).
    #[arg(long, global = true, value_name = "DIR", requires = "emulator")]
    pub(crate) emulator_data_dir: Option<PathBuf>,
    /// Never draw a progress bar (none is drawn anyway when stdout is not a terminal).
    #[arg(long, global = true)]
    pub(crate) no_progress: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Copy a file or folder to OSS, or an object or prefix from OSS.
    Cp(CpArgs),
    /// List objects under a bucket or prefix.
    Ls(LsArgs),
    /// Remove an object, or every object under a prefix with -r.
    Rm(RmArgs),
    /// Print a presigned URL for an object.
    Presign(PresignArgs),
    /// Security Token Service.
    Sts(StsArgs),
}

/// `cp SOURCE DESTINATION`.
#[derive(Debug, Args)]
pub(crate) struct CpArgs {
    /// A local path or `oss://bucket/key`.
    pub(crate) source: String,
    /// A local path or `oss://bucket/key` (a key ending in `/`, or a local folder, receives
    /// the source's file name).
    pub(crate) destination: String,
    /// Copy a folder (upload) or every object under a prefix (download).
    #[arg(short, long)]
    pub(crate) recursive: bool,
    /// Keep checkpoints here so an interrupted transfer resumes when run again.
    #[arg(long, value_name = "DIR")]
    pub(crate) checkpoint_dir: Option<PathBuf>,
    /// Part (upload) or range (download) size in bytes.
    #[arg(long, value_name = "BYTES")]
    pub(crate) part_size: Option<u64>,
    /// Parts or ranges in flight (per file).
    #[arg(long, value_name = "N")]
    pub(crate) parallel: Option<usize>,
    /// With -r: files transferred at the same time.
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(crate) jobs: u16,
}

/// `ls oss://bucket[/prefix]`.
#[derive(Debug, Args)]
pub(crate) struct LsArgs {
    /// `oss://bucket` or `oss://bucket/prefix`.
    pub(crate) url: String,
    /// Show only the first level below the prefix (folders as `PRE name/`).
    #[arg(short, long)]
    pub(crate) directories: bool,
}

/// `rm oss://bucket/key`.
#[derive(Debug, Args)]
pub(crate) struct RmArgs {
    /// `oss://bucket/key`, or with -r `oss://bucket/prefix`.
    pub(crate) url: String,
    /// Remove every object under the prefix.
    #[arg(short, long)]
    pub(crate) recursive: bool,
}

/// `presign oss://bucket/key`.
#[derive(Debug, Args)]
pub(crate) struct PresignArgs {
    /// `oss://bucket/key`.
    pub(crate) url: String,
    /// How long the URL works, in seconds (1 to 604800).
    #[arg(long, default_value_t = 900, value_name = "SECONDS")]
    pub(crate) expires: u64,
    /// The method the URL is for: GET (download), PUT (upload) or HEAD.
    #[arg(long, default_value = "GET")]
    pub(crate) method: String,
}

/// `sts …`.
#[derive(Debug, Args)]
pub(crate) struct StsArgs {
    #[command(subcommand)]
    pub(crate) command: StsCommand,
}

/// STS subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum StsCommand {
    /// Call AssumeRole and print `export …` lines for a shell (eval "$(alioss sts assume-role …)").
    AssumeRole(AssumeRoleArgs),
}

/// `sts assume-role`.
#[derive(Debug, Args)]
pub(crate) struct AssumeRoleArgs {
    /// The role's ARN, `acs:ram::<account>:role/<name>`.
    #[arg(long)]
    pub(crate) role_arn: String,
    /// The session name (2–64 of `A-Za-z0-9.@-_`).
    #[arg(long, default_value = "alioss-cli")]
    pub(crate) session_name: String,
    /// Lifetime in seconds (900 to the role's maximum).
    #[arg(long, default_value_t = 3600)]
    pub(crate) duration: u64,
    /// An inline session policy (JSON), or `@file` to read it from a file.
    #[arg(long)]
    pub(crate) policy: Option<String>,
    /// STS endpoint (default: from the region, or the emulator's).
    #[arg(long, env = "ALIBABA_CLOUD_STS_ENDPOINT")]
    pub(crate) sts_endpoint: Option<String>,
}
