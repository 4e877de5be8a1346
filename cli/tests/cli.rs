//! The `alioss` binary run as a process against an emulator: upload and download round trips
//! (0 B, 1 B, 10 MiB, a folder), `ls` and `rm`, an access-denied upload, no progress bar when
//! piped and one on a terminal, `presign`, `sts assume-role` and `--emulator`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use alioss::oss::crc64;
use alioss_emulator::{demo, Emulator, EmulatorConfig, EmulatorHandle};

const BUCKET: &str = "examplebucket";

/// `alioss` with a clean environment pointed at `emu` as the RAM user `user`.
fn alioss(emu: &EmulatorHandle, user: &str, home: &Path) -> Command {
    let creds = emu.user_credentials(user).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_alioss"));
    cmd.env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("OSS_ENDPOINT", emu.endpoint())
        .env("OSS_REGION", demo::REGION)
        .env("OSS_ACCESS_KEY_ID", creds.access_key_id())
        .env("OSS_ACCESS_KEY_SECRET", creds.access_key_secret());
    cmd
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{:?} failed: {}\n{}",
        cmd,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| ((i * 31 + usize::from(seed)) % 253) as u8)
        .collect()
}

async fn emulator() -> EmulatorHandle {
    Emulator::start(EmulatorConfig::demo()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_of_0_1_and_10_mib_bytes_round_trip_byte_identical() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    for (name, len) in [("empty", 0), ("one", 1), ("ten-mib", 10 * 1024 * 1024)] {
        let body = data(len, len as u8);
        let src = dir.path().join(format!("{name}.bin"));
        std::fs::write(&src, &body).unwrap();
        let url = format!("oss://{BUCKET}/cli/{name}.bin");
        let up = run(alioss(&emu, "admin", dir.path())
            .args(["cp"])
            .arg(&src)
            .arg(&url));
        let crc = crc64::checksum(&body);
        let line = stdout(&up);
        assert!(
            line.contains(&format!("{len} bytes, ETag \""))
                && line.contains(&format!("CRC-64 {crc}, ")),
            "{line}"
        );
        assert!(line.trim_end().ends_with("MB/s"), "{line}");

        let back = dir.path().join(format!("{name}.back"));
        let down = run(alioss(&emu, "admin", dir.path())
            .args(["cp", &url])
            .arg(&back));
        assert!(
            stdout(&down).contains(&format!("CRC-64 {crc}, ")),
            "{}",
            stdout(&down)
        );
        assert_eq!(std::fs::read(&back).unwrap(), body, "{name}");
    }
}

/// Every file under `root`, relative, with its content.
fn tree(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(root).unwrap().to_owned(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_round_trips_with_cp_r() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("sub/deeper")).unwrap();
    std::fs::write(src.join("a.txt"), "alpha\n").unwrap();
    std::fs::write(src.join("sub/b.bin"), data(300 * 1024, 2)).unwrap();
    std::fs::write(src.join("sub/deeper/c.txt"), "").unwrap();
    for i in 0..5u8 {
        std::fs::write(src.join(format!("sub/f{i}.bin")), data(40 * 1024, i)).unwrap();
    }
    // Three files in flight at a time.
    let up = run(alioss(&emu, "admin", dir.path())
        .args(["cp", "-r", "--jobs", "3"])
        .arg(&src)
        .arg(format!("oss://{BUCKET}/tree/")));
    assert!(stdout(&up).contains("8 files, "), "{}", stdout(&up));
    assert_eq!(
        stdout(&up).matches("uploaded ").count(),
        8,
        "{}",
        stdout(&up)
    );

    // Downloads run with the default number of jobs.
    let back = dir.path().join("back");
    let down = run(alioss(&emu, "admin", dir.path())
        .args(["cp", "-r", &format!("oss://{BUCKET}/tree/")])
        .arg(&back));
    assert!(stdout(&down).contains("8 files, "), "{}", stdout(&down));
    assert_eq!(tree(&back), tree(&src));

    // --jobs 0 is refused before anything is sent.
    let out = alioss(&emu, "admin", dir.path())
        .args(["cp", "-r", "--jobs", "0"])
        .arg(&src)
        .arg(format!("oss://{BUCKET}/tree0/"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--jobs"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_file_of_cp_r_does_not_stop_the_others_and_fails_the_command() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    for name in ["a.txt", "b.txt", "c.txt"] {
        std::fs::write(src.join(name), name).unwrap();
    }
    run(alioss(&emu, "admin", dir.path())
        .args(["cp", "-r"])
        .arg(&src)
        .arg(format!("oss://{BUCKET}/partial/")));
    // b.txt cannot be written: a folder of that name is in the way.
    let back = dir.path().join("back");
    std::fs::create_dir_all(back.join("b.txt/inside")).unwrap();
    let out = alioss(&emu, "admin", dir.path())
        .args([
            "cp",
            "-r",
            "--jobs",
            "1",
            &format!("oss://{BUCKET}/partial/"),
        ])
        .arg(&back)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("oss://{BUCKET}/partial/b.txt: error: ")),
        "{err}"
    );
    assert!(err.contains("error: 1 of 3 transfers failed"), "{err}");
    assert_eq!(std::fs::read(back.join("a.txt")).unwrap(), b"a.txt");
    assert_eq!(std::fs::read(back.join("c.txt")).unwrap(), b"c.txt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ls_lists_and_rm_removes() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f.txt");
    std::fs::write(&f, "12345").unwrap();
    for key in ["lsrm/one.txt", "lsrm/two.txt", "lsrm/sub/three.txt"] {
        run(alioss(&emu, "admin", dir.path())
            .arg("cp")
            .arg(&f)
            .arg(format!("oss://{BUCKET}/{key}")));
    }
    let ls = |args: &[&str]| stdout(&run(alioss(&emu, "admin", dir.path()).arg("ls").args(args)));
    let all = ls(&["oss://examplebucket/lsrm/"]);
    for key in ["lsrm/one.txt", "lsrm/two.txt", "lsrm/sub/three.txt"] {
        assert!(all.contains(&format!("oss://{BUCKET}/{key}")), "{all}");
    }
    assert!(all.contains("3 objects, 15 bytes"), "{all}");
    let top = ls(&["-d", "oss://examplebucket/lsrm/"]);
    assert!(top.contains("PRE  oss://examplebucket/lsrm/sub/"), "{top}");
    assert!(top.contains("2 objects, 1 folders"), "{top}");

    let rm =
        run(alioss(&emu, "admin", dir.path()).args(["rm", "oss://examplebucket/lsrm/one.txt"]));
    assert!(stdout(&rm).contains("removed oss://examplebucket/lsrm/one.txt"));
    let after = ls(&["oss://examplebucket/lsrm/"]);
    assert!(
        !after.contains("one.txt") && after.contains("2 objects"),
        "{after}"
    );

    run(alioss(&emu, "admin", dir.path()).args(["rm", "-r", "oss://examplebucket/lsrm/"]));
    assert!(ls(&["oss://examplebucket/lsrm/"]).contains("0 objects, 0 bytes"));
    // rm of a prefix without -r is refused before any request.
    let out = alioss(&emu, "admin", dir.path())
        .args(["rm", "oss://examplebucket/lsrm/"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("-r"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_denied_upload_prints_code_request_id_and_hint_and_fails() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f.txt");
    std::fs::write(&f, "denied").unwrap();
    // The RAM user `uploader` may only call AssumeRole: no OSS rights.
    let out = alioss(&emu, demo::USER_NAME, dir.path())
        .arg("cp")
        .arg(&f)
        .arg("oss://examplebucket/src/f.txt")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("AccessDenied") && err.contains("HTTP 403"),
        "{err}"
    );
    assert!(err.contains("request id: "), "{err}");
    assert!(err.contains("hint: "), "{err}");
    assert!(!err.contains(demo::USER_KEY_SECRET), "{err}");
    assert!(stdout(&out).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_progress_bar_is_drawn_when_stdout_is_piped() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("big.bin");
    std::fs::write(&f, data(10 * 1024 * 1024, 1)).unwrap();
    let out = run(alioss(&emu, "admin", dir.path())
        .arg("cp")
        .arg(&f)
        .arg("oss://examplebucket/piped/big.bin"));
    let (o, e) = (
        stdout(&out),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(o.lines().count(), 1, "only the closing line: {o}");
    assert!(e.is_empty(), "nothing on stderr: {e:?}");
    assert!(!o.contains('\r') && !o.contains("[="), "{o}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_progress_bar_is_drawn_on_a_terminal() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("big.bin");
    std::fs::write(&f, data(10 * 1024 * 1024, 4)).unwrap();
    // `script` (util-linux) runs the command on a pseudo-terminal, as a person's shell would.
    let command = format!(
        "'{}' cp '{}' oss://examplebucket/tty/big.bin",
        env!("CARGO_BIN_EXE_alioss"),
        f.display()
    );
    let mut base = alioss(&emu, "admin", dir.path());
    let mut cmd = cmd_with_program(&mut base, "script");
    let out = run(cmd.args(["-q", "-e", "-c", &command, "/dev/null"]));
    let screen = stdout(&out);
    assert!(screen.contains("big.bin ["), "{screen:?}");
    assert!(screen.contains("=] 10.00 MiB/10.00 MiB"), "{screen:?}");
    assert!(screen.contains("10485760 bytes, ETag"), "{screen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_copy_on_a_terminal_draws_bars_and_prints_every_file() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("many");
    std::fs::create_dir_all(&src).unwrap();
    for i in 0..4u8 {
        std::fs::write(src.join(format!("part{i}.bin")), data(2 * 1024 * 1024, i)).unwrap();
    }
    let command = format!(
        "'{}' cp -r --jobs 2 '{}' oss://examplebucket/ttyr/",
        env!("CARGO_BIN_EXE_alioss"),
        src.display()
    );
    let mut base = alioss(&emu, "admin", dir.path());
    let mut cmd = cmd_with_program(&mut base, "script");
    let out = run(cmd.args(["-q", "-e", "-c", &command, "/dev/null"]));
    let screen = stdout(&out);
    for i in 0..4 {
        assert!(screen.contains(&format!("part{i}.bin [")), "{screen:?}");
        assert!(
            screen.contains(&format!(
                "-> oss://examplebucket/ttyr/part{i}.bin: 2097152 bytes"
            )),
            "{screen:?}"
        );
    }
    assert!(screen.contains("4 files, 8388608 bytes"), "{screen:?}");
}

/// `base`'s environment for another program.
fn cmd_with_program(base: &mut Command, program: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear();
    for (k, v) in base.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    cmd.env("TERM", "xterm");
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presign_prints_a_url_that_downloads_the_object() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("p.txt");
    std::fs::write(&f, "presigned body").unwrap();
    run(alioss(&emu, "admin", dir.path())
        .arg("cp")
        .arg(&f)
        .arg("oss://examplebucket/p.txt"));
    let out = run(alioss(&emu, "admin", dir.path()).args([
        "presign",
        "oss://examplebucket/p.txt",
        "--expires",
        "300",
    ]));
    let url = stdout(&out).trim().to_owned();
    assert!(
        url.starts_with(&format!("{}/examplebucket/p.txt?", emu.endpoint())),
        "{url}"
    );
    let body = raw_get(&url).await;
    assert_eq!(body, "presigned body");
}

/// GET `url` with a bare HTTP/1.1 request (the URL is the emulator's, on 127.0.0.1).
async fn raw_get(url: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, target) = rest.split_once('/').unwrap();
    let mut sock = tokio::net::TcpStream::connect(host).await.unwrap();
    sock.write_all(
        format!("GET /{target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut resp = Vec::new();
    sock.read_to_end(&mut resp).await.unwrap();
    let text = String::from_utf8_lossy(&resp).into_owned();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    text.split_once("\r\n\r\n").unwrap().1.to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sts_assume_role_prints_export_lines_for_a_shell() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let out = run(alioss(&emu, demo::USER_NAME, dir.path())
        .env("ALIBABA_CLOUD_STS_ENDPOINT", emu.endpoint())
        .args([
            "sts",
            "assume-role",
            "--role-arn",
            demo::ROLE_ARN,
            "--session-name",
            "cli-test",
            "--duration",
            "900",
        ]));
    let text = stdout(&out);
    assert!(text.contains("export OSS_ACCESS_KEY_ID='STS."), "{text}");
    assert!(text.contains("export OSS_ACCESS_KEY_SECRET='"), "{text}");
    assert!(text.contains("export OSS_SESSION_TOKEN='"), "{text}");
    assert!(text.contains("# expires "), "{text}");
}

#[test]
fn the_emulator_flag_runs_an_embedded_emulator() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("emu");
    let f = dir.path().join("e.txt");
    std::fs::write(&f, "embedded").unwrap();
    let base = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_alioss"));
        cmd.env_clear()
            .env("HOME", dir.path())
            .arg("--emulator")
            .arg("--emulator-data-dir")
            .arg(&data_dir)
            .args(args);
        cmd
    };
    run(
        base(&["cp", f.to_str().unwrap(), "oss://examplebucket/e.txt"])
            .arg("--part-size")
            .arg("102400"),
    );
    let ls = stdout(&run(&mut base(&["ls", "oss://examplebucket/"])));
    assert!(
        ls.contains("oss://examplebucket/e.txt") && ls.contains("1 objects, 8 bytes"),
        "{ls}"
    );
}

/// A token-vending endpoint on 127.0.0.1:0 that answers every request with `body` (JSON).
async fn vending_endpoint(body: String) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    format!("http://{addr}/sts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_partner_uploads_with_credentials_from_a_vending_url() {
    use time::format_description::well_known::Rfc3339;
    let emu = emulator().await;
    // The organisation's side: AssumeRole for the PutObject-only role, served as JSON.
    let sts = alioss::sts::StsClient::builder()
        .endpoint(emu.endpoint())
        .credentials(alioss::credentials::StaticCredentialsProvider::new(
            emu.user_credentials(demo::USER_NAME).unwrap(),
        ))
        .build()
        .unwrap();
    let request = alioss::sts::AssumeRoleRequest::builder()
        .role_arn(demo::ROLE_ARN)
        .role_session_name("partner-cli")
        .duration_seconds(900)
        .build()
        .unwrap();
    let vended = sts.assume_role(&request).await.unwrap().credentials;
    let json = format!(
        r#"{{"AccessKeyId":"{}","AccessKeySecret":"{}","SecurityToken":"{}","Expiration":"{}"}}"#,
        vended.access_key_id(),
        vended.access_key_secret(),
        vended.security_token().unwrap(),
        vended.expiration().unwrap().format(&Rfc3339).unwrap()
    );
    let url = vending_endpoint(json).await;

    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("vended.txt");
    std::fs::write(&f, "uploaded with vended credentials").unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_alioss"));
    cmd.env_clear()
        .env("HOME", dir.path())
        .env("OSS_ENDPOINT", emu.endpoint())
        .env("OSS_REGION", demo::REGION)
        .args(["--vending-url", &url, "cp"])
        .arg(&f)
        .arg("oss://examplebucket/src/vended.txt");
    let out = run(&mut cmd);
    assert!(stdout(&out).contains("32 bytes, ETag"), "{}", stdout(&out));

    // The role may only upload: reading back needs the admin.
    let back = dir.path().join("back.txt");
    run(alioss(&emu, "admin", dir.path())
        .args(["cp", "oss://examplebucket/src/vended.txt"])
        .arg(&back));
    assert_eq!(
        std::fs::read_to_string(&back).unwrap(),
        "uploaded with vended credentials"
    );
    // And the vended credentials cannot download: refused with the hint, exit 1.
    let mut denied = Command::new(env!("CARGO_BIN_EXE_alioss"));
    denied
        .env_clear()
        .env("HOME", dir.path())
        .env("OSS_ENDPOINT", emu.endpoint())
        .env("OSS_REGION", demo::REGION)
        .args([
            "--vending-url",
            &url,
            "cp",
            "oss://examplebucket/src/vended.txt",
        ])
        .arg(dir.path().join("nope.txt"));
    let out = denied.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("AccessDenied") && err.contains("hint: "),
        "{err}"
    );
    assert!(!dir.path().join("nope.txt").exists());
}
