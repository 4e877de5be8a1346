//! `alioss-emulator --listen 127.0.0.1:9000 [--config FILE.json] [--data-dir DIR] [--fast-etags]
//! [--tls [--tls-cert-out PATH] [--tls-name NAME]...]`

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use alioss_emulator::{ready_line, Emulator, EmulatorConfig};

const USAGE: &str =
    "usage: alioss-emulator [--listen ADDR:PORT] [--config FILE.json] [--data-dir DIR] [--fast-etags]
                       [--tls [--tls-cert-out PATH] [--tls-name NAME]...]
  --listen        address to bind (default 127.0.0.1:9000; port 0 picks a free one)
  --config        JSON configuration (default: the built-in demo configuration)
  --data-dir      keep objects in this directory (default: in memory)
  --fast-etags    ETags from CRC-64 and size instead of MD5, for benchmarks (default: MD5)
  --tls           serve HTTPS with a certificate from a CA generated at start-up; the CA's PEM
                  is in the ready line (\"ca_pem\") and, without --tls-cert-out, on stderr
  --tls-cert-out  write the CA's PEM to this file (implies --tls)
  --tls-name      also make the certificate valid for this DNS name or IP (implies --tls)";

/// What the command line asks for.
struct Args {
    listen: SocketAddr,
    config: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    fast_etags: bool,
    tls: bool,
    tls_cert_out: Option<PathBuf>,
    tls_names: Vec<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut listen: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 9000));
    let mut config = None;
    let mut data_dir = None;
    let mut fast_etags = false;
    let mut tls = false;
    let mut tls_cert_out = None;
    let mut tls_names = Vec::new();
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
            "--tls" => tls = true,
            "--tls-cert-out" => {
                tls = true;
                tls_cert_out = Some(PathBuf::from(value()?));
            }
            "--tls-name" => {
                tls = true;
                tls_names.push(value()?);
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        listen,
        config,
        data_dir,
        fast_etags,
        tls,
        tls_cert_out,
        tls_names,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let Args {
        listen,
        config: config_path,
        data_dir,
        fast_etags,
        tls,
        tls_cert_out,
        tls_names,
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
        .fast_etags(fast_etags)
        .tls(tls);
    for name in tls_names {
        builder = builder.tls_name(name);
    }
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
    if let Some(pem) = handle.ca_pem() {
        match &tls_cert_out {
            Some(path) => {
                if let Err(e) = std::fs::write(path, pem) {
                    eprintln!("alioss-emulator: cannot write {}: {e}", path.display());
                    return ExitCode::from(1);
                }
            }
            None => eprint!("{pem}"),
        }
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", ready_line(&handle));
    let _ = out.flush();
    drop(out);
    let _ = tokio::signal::ctrl_c().await;
    handle.shutdown().await;
    ExitCode::SUCCESS
}
