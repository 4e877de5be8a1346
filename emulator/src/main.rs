//! `alioss-emulator --listen 127.0.0.1:9000 [--config FILE.json] [--data-dir DIR] [--fast-etags]`

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use alioss_emulator::{ready_line, Emulator, EmulatorConfig};

const USAGE: &str =
    "usage: alioss-emulator [--listen ADDR:PORT] [--config FILE.json] [--data-dir DIR] [--fast-etags]
  --listen      address to bind (default 127.0.0.1:9000; port 0 picks a free one)
  --config      JSON configuration (default: the built-in demo configuration)
  --data-dir    keep objects in this directory (default: in memory)
  --fast-etags  ETags from CRC-64 and size instead of MD5, for benchmarks (default: MD5)";

/// What the command line asks for.
struct Args {
    listen: SocketAddr,
    config: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    fast_etags: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut listen: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 9000));
    let mut config = None;
    let mut data_dir = None;
    let mut fast_etags = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (a.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "--listen" => {
                let v = value()?;
                listen = v.parse().map_err(|e| format!("--listen {v}: {e}"))?;
            }
            "--config" => config = Some(PathBuf::from(value()?)),
            "--data-dir" => data_dir = Some(PathBuf::from(value()?)),
            "--fast-etags" => fast_etags = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        listen,
        config,
        data_dir,
        fast_etags,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let Args {
        listen,
        config: config_path,
        data_dir,
        fast_etags,
    } = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("alioss-emulator: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let config = match config_path {
        None => EmulatorConfig::demo(),
        Some(p) => match std::fs::read_to_string(&p) {
            Ok(text) => match EmulatorConfig::from_json(&text) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("alioss-emulator: {}: {e}", p.display());
                    return ExitCode::from(2);
                }
            },
            Err(e) => {
                eprintln!("alioss-emulator: cannot read {}: {e}", p.display());
                return ExitCode::from(2);
            }
        },
    };
    let mut builder = Emulator::builder()
        .config(config)
        .listen(listen)
        .fast_etags(fast_etags);
    if let Some(d) = data_dir {
        builder = builder.data_dir(d);
    }
    let handle = match builder.start().await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("alioss-emulator: {e}");
            return ExitCode::from(1);
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", ready_line(&handle));
    let _ = out.flush();
    drop(out);
    let _ = tokio::signal::ctrl_c().await;
    handle.shutdown().await;
    ExitCode::SUCCESS
}
