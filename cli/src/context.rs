//! What every subcommand needs: the OSS client (endpoint, region, credentials) and, with
//! `--emulator`, the emulator running in-process.

use std::io::IsTerminal as _;
use std::sync::Arc;

use alioss::credentials::StaticCredentialsProvider;
use alioss::oss::{AddressingStyle, Client};
use alioss::providers::{DefaultCredentialsChain, UrlCredentialsProvider};
use alioss::{Error, SharedCredentialsProvider};
use alioss_emulator::{demo, Emulator, EmulatorConfig, EmulatorHandle};
use indicatif::MultiProgress;

use crate::cli::GlobalArgs;

/// The configured client and what it runs against.
pub(crate) struct Context {
    pub(crate) client: Client,
    pub(crate) credentials: SharedCredentialsProvider,
    /// The region, when known (STS uses it too).
    pub(crate) region: Option<String>,
    /// The in-process emulator's endpoint (STS goes there too).
    pub(crate) emulator_endpoint: Option<String>,
    /// Where progress bars are drawn (stderr), when they are shown at all.
    pub(crate) bars: Option<MultiProgress>,
    emulator: Option<EmulatorHandle>,
}

impl Context {
    pub(crate) async fn new(args: &GlobalArgs) -> Result<Self, Error> {
        let endpoint = args.endpoint.clone().filter(|e| !e.is_empty());
        let mut region = args.region.clone().filter(|r| !r.is_empty());
        let (emulator, endpoint, credentials): (_, _, SharedCredentialsProvider) =
            if args.emulator && endpoint.is_none() {
                let mut builder = Emulator::builder().config(EmulatorConfig::demo());
                if let Some(dir) = &args.emulator_data_dir {
                    builder = builder.data_dir(dir);
                }
                let emu = builder.start().await.map_err(|e| {
                    Error::Io(std::io::Error::other(format!(
                        "cannot start the emulator: {e}"
                    )))
                })?;
                let creds = match &args.vending_url {
                    Some(url) => vending(url)?,
                    None => Arc::new(StaticCredentialsProvider::new(
                        emu.user_credentials(demo::ADMIN_NAME).ok_or_else(|| {
                            Error::invalid("emulator", "the demo configuration has no admin")
                        })?,
                    )),
                };
                region.get_or_insert_with(|| demo::REGION.to_owned());
                let ep = emu.endpoint().to_owned();
                (Some(emu), Some(ep), creds)
            } else {
                let creds: SharedCredentialsProvider = match &args.vending_url {
                    Some(url) => vending(url)?,
                    None => Arc::new(DefaultCredentialsChain::new()),
                };
                (None, endpoint, creds)
            };
        let mut builder = Client::builder().shared_credentials(credentials.clone());
        if let Some(r) = &region {
            builder = builder.region(r.clone());
        }
        if let Some(e) = &endpoint {
            builder = builder.endpoint(e.clone());
        }
        if args.path_style {
            builder = builder.addressing_style(AddressingStyle::PathStyle);
        }
        let client = builder.build()?;
        let bars = (!args.no_progress
            && std::io::stdout().is_terminal()
            && std::io::stderr().is_terminal())
        .then(MultiProgress::new);
        Ok(Self {
            client,
            credentials,
            region,
            emulator_endpoint: emulator.as_ref().map(|e| e.endpoint().to_owned()),
            bars,
            emulator,
        })
    }

    /// Stops the in-process emulator, if any.
    pub(crate) async fn shutdown(self) {
        if let Some(emu) = self.emulator {
            emu.shutdown().await;
        }
    }
}

fn vending(url: &str) -> Result<SharedCredentialsProvider, Error> {
    Ok(Arc::new(UrlCredentialsProvider::builder(url).build()?))
}
