//! `--tls` / `EmulatorBuilder::tls`: HTTPS with a certificate from a CA generated at start-up,
//! trusted through the CA's PEM (and refused without it).

mod common;

use std::time::Duration;

use alioss::oss::signer::V4Signer;
use alioss_emulator::{demo, Emulator, EmulatorConfig};
use common::OssReq;
use tokio::io::AsyncBufReadExt as _;

fn trusting(ca_pem: &str) -> reqwest::ClientBuilder {
    let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap();
    reqwest::Client::builder()
        .add_root_certificate(ca)
        .timeout(Duration::from_secs(30))
}

#[tokio::test]
async fn a_tls_emulator_serves_signed_requests_to_clients_that_trust_its_ca() {
    let emu = Emulator::builder()
        .config(EmulatorConfig::demo())
        .tls(true)
        .start()
        .await
        .unwrap();
    assert!(emu.endpoint().starts_with("https://127.0.0.1:"));
    let pem = emu.ca_pem().unwrap().to_owned();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));

    // The shared helpers' client trusts only the bundled roots: refused.
    let creds = emu.user_credentials(demo::ADMIN_NAME).unwrap();
    let err = common::client()
        .get(format!("{}/{}", emu.endpoint(), demo::BUCKET))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect() || err.is_request(), "{err:?}");

    // With the CA, a signed V4 request over TLS works end to end.
    let put = OssReq::new("PUT", demo::BUCKET, Some("tls.txt"));
    let mut signable = put.signable();
    V4Signer::new(demo::REGION)
        .unwrap()
        .sign_headers(&mut signable, &creds, emu.clock().now())
        .unwrap();
    let mut request = trusting(&pem)
        .build()
        .unwrap()
        .put(put.url(emu.endpoint(), &signable.query))
        .body("over tls");
    for (k, v) in &signable.headers {
        request = request.header(k, v);
    }
    assert_eq!(request.send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn extra_tls_names_are_in_the_certificate() {
    let emu = Emulator::builder()
        .config(EmulatorConfig::demo())
        .tls(true)
        .tls_name("*.oss-test.example")
        .start()
        .await
        .unwrap();
    let pem = emu.ca_pem().unwrap();
    let host = format!("{}.oss-test.example", demo::BUCKET);
    let client = trusting(pem).resolve(&host, emu.addr()).build().unwrap();
    let resp = client
        .get(format!("https://{host}:{}/", emu.addr().port()))
        .send()
        .await
        .unwrap();
    // Anonymous listing of a private bucket: the TLS handshake succeeded, OSS answered.
    assert_eq!(resp.status(), 403);

    // A name outside the certificate is refused.
    let other = "elsewhere.example";
    let client = trusting(pem).resolve(other, emu.addr()).build().unwrap();
    let err = client
        .get(format!("https://{other}:{}/", emu.addr().port()))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
}

#[tokio::test]
async fn the_binary_writes_the_ca_where_asked_and_puts_it_in_the_ready_line() {
    let dir = tempfile::tempdir().unwrap();
    let ca_path = dir.path().join("ca.pem");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_alioss-emulator"))
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--tls-cert-out")
        .arg(&ca_path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    tokio::io::BufReader::new(stdout)
        .read_line(&mut line)
        .await
        .unwrap();
    let ready: serde_json::Value =
        serde_json::from_str(line.trim().trim_start_matches("ALIOSS_EMULATOR_READY ")).unwrap();
    let endpoint = ready["endpoint"].as_str().unwrap().to_owned();
    assert!(endpoint.starts_with("https://127.0.0.1:"), "{endpoint}");
    let written = std::fs::read_to_string(&ca_path).unwrap();
    assert_eq!(ready["ca_pem"].as_str(), Some(written.as_str()));

    let resp = trusting(&written)
        .build()
        .unwrap()
        .get(format!("{endpoint}/{}", demo::BUCKET))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    child.kill().await.unwrap();
}

/// OpenSSL, through Python's standard library, is a TLS client this project did not write: it
/// must accept the generated chain (basic constraints, key usages, names) with the CA alone.
#[tokio::test]
async fn openssl_through_python_accepts_the_certificate_with_the_ca_and_refuses_it_without() {
    let emu = Emulator::builder()
        .config(EmulatorConfig::demo())
        .tls(true)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, emu.ca_pem().unwrap()).unwrap();
    const SCRIPT: &str = r#"
import ssl, sys, urllib.error, urllib.request
url, cafile = sys.argv[1], sys.argv[2]
ctx = ssl.create_default_context(cafile=cafile or None)
opener = urllib.request.build_opener(
    urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=ctx))
try:
    opener.open(url, timeout=30)
    print("status 200")
except urllib.error.HTTPError as e:
    print(f"status {e.code}")
except urllib.error.URLError as e:
    print(f"refused {type(e.reason).__name__}")
"#;
    let run = |host: &str, cafile: &str| {
        let url = format!("https://{host}:{}/{}", emu.addr().port(), demo::BUCKET);
        let cafile = cafile.to_owned();
        async move {
            let out = tokio::process::Command::new("python3")
                .arg("-c")
                .arg(SCRIPT)
                .arg(url)
                .arg(cafile)
                .output()
                .await
                .expect("python3 runs");
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        }
    };
    let ca = ca_path.to_str().unwrap();
    // Anonymous listing of a private bucket: 403 from the emulator, so TLS succeeded.
    assert_eq!(run("127.0.0.1", ca).await, "status 403");
    assert_eq!(run("localhost", ca).await, "status 403");
    // The system store alone does not know the emulator's CA.
    assert_eq!(
        run("127.0.0.1", "").await,
        "refused SSLCertVerificationError"
    );
}
