//! `alioss`: copy files to and from Alibaba Cloud OSS, list and remove objects, presign URLs
//! and vend temporary STS credentials — with the `alioss` crate's Uploader and Downloader.
//!
//! ```text
//! alioss cp data.csv oss://examplebucket/src/data.csv
//! alioss cp -r oss://examplebucket/src/ ./downloaded/
//! alioss ls oss://examplebucket/src/
//! alioss rm oss://examplebucket/src/data.csv
//! alioss presign oss://examplebucket/src/data.csv --expires 600
//! alioss sts assume-role --role-arn acs:ram::1234567890123456:role/ramosstest --session-name s1
//! ```
//!
//! Credentials come from the crate's default chain (environment, profile, CLI config, ECS RAM
//! role, …) or from a token-vending URL (`--vending-url`); the endpoint and region from
//! `OSS_ENDPOINT` / `OSS_REGION` or `--endpoint` / `--region`. With `--emulator` and no
//! endpoint, an emulator runs in-process. Errors print the service's code, message, request id
//! and a hint, and the exit status is non-zero.

mod cli;
mod context;
mod copy;
mod location;
mod objects;
mod progress;
mod report;
mod sts;

use clap::Parser as _;

use cli::{Cli, Command};

fn main() {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = runtime.block_on(run(cli));
    std::process::exit(code);
}

async fn run(cli: Cli) -> i32 {
    let ctx = match context::Context::new(&cli.global).await {
        Ok(c) => c,
        Err(e) => return report::failure(&e.into()),
    };
    let result = match &cli.command {
        Command::Cp(args) => copy::run(&ctx, args).await,
        Command::Ls(args) => objects::list(&ctx, args).await.map_err(Into::into),
        Command::Rm(args) => objects::remove(&ctx, args).await.map_err(Into::into),
        Command::Presign(args) => objects::presign(&ctx, args).await.map_err(Into::into),
        Command::Sts(args) => sts::run(&ctx, args).await.map_err(Into::into),
    };
    let code = match result {
        Ok(()) => 0,
        Err(e) => report::failure(&e),
    };
    ctx.shutdown().await;
    code
}
