//! The whole scenario in one process, against the in-process emulator: no cloud account needed.
//!
//! An e-commerce company owns the bucket `examplebucket` and lets a supplier upload into it
//! without ever handing out its long-term AccessKey:
//!
//! 1. **The organisation** holds the AccessKey of the RAM user `uploader`, whose only right is
//!    `sts:AssumeRole`. It narrows the role `RamOssTest` (which may `oss:PutObject` anywhere in
//!    `examplebucket`) with a session policy allowing `oss:PutObject` on `examplebucket/src/*`
//!    only, and asks the policy evaluator, before calling STS, what those credentials will be
//!    allowed to do.
//! 2. **The supplier** gets 15-minute temporary credentials (`STS.…` id, secret, security token,
//!    expiration) through a provider that calls `AssumeRole` again before they expire, and
//!    uploads with every upload style: simple PutObject, two AppendObject calls, a multipart
//!    upload, a presigned PUT used by a plain HTTP client, and a browser-style PostObject form.
//! 3. An upload outside `src/` is refused, and the error says why.
//! 4. Sixteen minutes later (the emulator's clock is moved forward; every client here reads the
//!    emulator's clock, as real clients read a synchronised wall clock) the credentials the
//!    organisation handed out once have stopped working, while the client whose provider
//!    refreshes them keeps uploading.
//! 5. The organisation lists, with its own `admin` user, what arrived under `src/`.
//!
//! Run it with:
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! It prints each step and exits non-zero if anything does not happen as described. It never
//! prints secrets, security tokens, signatures or presigned URLs — only key ids and expirations.

use std::error::Error;
use std::time::Duration;

use alioss::credentials::{Clock, Credentials, ProvideCredentials, StaticCredentialsProvider};
use alioss::oss::WithObjectOptions as _;
use alioss::oss::{self, crc64, Body, CompletedPart, StorageClass};
use alioss::policy::{actions, evaluate_effective, oss_object, Policy, RequestContext};
use alioss::providers::AssumeRoleCredentialsProvider;
use alioss::sts::{AssumeRoleRequest, StsClient};
use alioss_emulator::{demo, Emulator, EmulatorConfig, EmulatorHandle};

/// What every step returns on failure.
type BoxError = Box<dyn Error + Send + Sync>;

const BUCKET: &str = demo::BUCKET;
const REGION: &str = demo::REGION;

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("quickstart failed: {e}");
        std::process::exit(1);
    }
}

/// Starts the emulator, plays the scenario, and stops the emulator.
pub async fn run() -> Result<(), BoxError> {
    let emu = Emulator::start(EmulatorConfig::demo()).await?;
    println!("emulator (STS + OSS) listening on {}", emu.endpoint());
    let outcome = scenario(&emu).await;
    emu.shutdown().await;
    outcome?;
    println!("\nquickstart: every step behaved as expected");
    Ok(())
}

/// A clock that reads the emulator's clock, so that moving the emulator forward moves the
/// clients with it (as if time had really passed).
fn emulator_time(emu: &EmulatorHandle) -> Clock {
    let clock = emu.clock().clone();
    Clock::from_fn(move || clock.now())
}

/// Fails with `what` unless `ok`.
fn ensure(ok: bool, what: impl Into<String>) -> Result<(), BoxError> {
    if ok {
        Ok(())
    } else {
        Err(what.into().into())
    }
}

/// Prints what is safe to print of temporary credentials: the key id and the expiration.
fn describe(creds: &Credentials) -> String {
    match creds.expiration() {
        Some(exp) => format!(
            "key id {}, expires {}",
            creds.access_key_id(),
            alioss::sts::signer::format_timestamp(exp)
        ),
        None => format!("key id {} (long-term)", creds.access_key_id()),
    }
}

/// An OSS client for the emulator: region cn-hangzhou, path-style addressing, the emulator's
/// clock.
fn oss_client(
    emu: &EmulatorHandle,
    provider: impl ProvideCredentials + 'static,
) -> Result<oss::Client, BoxError> {
    Ok(oss::Client::builder()
        .region(REGION)
        .endpoint(emu.endpoint())
        .addressing_style(oss::AddressingStyle::PathStyle)
        .clock(emulator_time(emu))
        .credentials(provider)
        .build()?)
}

async fn scenario(emu: &EmulatorHandle) -> Result<(), BoxError> {
    // ------------------------------------------------------------------ the organisation
    println!("\n== 1. the organisation narrows the role with a session policy");
    let uploader = emu
        .user_credentials(demo::USER_NAME)
        .ok_or("the demo configuration has no RAM user `uploader`")?;
    let role_arn = emu
        .role_arn(demo::ROLE_NAME)
        .ok_or("the demo configuration has no role `RamOssTest`")?;
    println!("RAM user {}: {}", demo::USER_NAME, describe(&uploader));
    println!("role {}: {role_arn}", demo::ROLE_NAME);

    let sts = StsClient::builder()
        .endpoint(emu.endpoint())
        .credentials(StaticCredentialsProvider::new(uploader))
        .clock(emulator_time(emu))
        .build()?;

    let session_policy = Policy::builder()
        .allow([actions::PUT_OBJECT], [oss_object(BUCKET, "src/*")])
        .build()?;
    println!(
        "session policy: {}",
        session_policy.to_session_policy_json()?
    );

    // What will the credentials be allowed to do? The role's own policy (attached in RAM)
    // intersected with the session policy: ask the evaluator before calling STS.
    let role_policy = Policy::from_json(demo::ROLE_POLICY)?;
    let identity = [role_policy];
    for (key, expect_allowed) in [("src/data.csv", true), ("other.txt", false)] {
        let ctx = RequestContext::new(actions::PUT_OBJECT, oss_object(BUCKET, key));
        let decision = evaluate_effective(&identity, Some(&session_policy), &ctx)?;
        println!("evaluator, PutObject {key}: {decision}");
        ensure(
            decision.is_allowed() == expect_allowed,
            format!(
                "the evaluator should have {} {key}",
                verdict(expect_allowed)
            ),
        )?;
    }

    let request = AssumeRoleRequest::builder()
        .role_arn(&role_arn)
        .role_session_name("supplier-42")
        .duration(Duration::from_secs(900))
        .policy(&session_policy)
        .build()?;

    // One set of credentials, handed out once (what a token-vending server returns).
    let handed_out = sts.assume_role(&request).await?;
    println!(
        "AssumeRole: {} as {}",
        describe(&handed_out.credentials),
        handed_out.assumed_role_user.arn
    );
    ensure(
        handed_out.credentials.access_key_id().starts_with("STS."),
        "temporary AccessKey ids start with `STS.`",
    )?;

    // ------------------------------------------------------------------ the supplier
    println!("\n== 2. the supplier uploads with credentials that renew themselves");
    let provider = AssumeRoleCredentialsProvider::new(sts.clone(), request.clone());
    let client = oss_client(emu, provider.clone())?;
    let first = provider.provide_credentials().await?;
    println!("refreshing provider: {}", describe(&first));

    simple_put(&client).await?;
    append(&client).await?;
    multipart(&client).await?;
    presigned_put(&client).await?;
    post_object_form(&client).await?;

    // ------------------------------------------------------------------ refused
    println!("\n== 3. an upload outside src/ is refused");
    match client
        .put_object(BUCKET, "other.txt")
        .body("not allowed here")
        .send()
        .await
    {
        Ok(_) => return Err("PutObject other.txt should have been denied".into()),
        Err(e) => {
            println!("PutObject other.txt: {e}");
            ensure(
                e.code() == Some("AccessDenied"),
                format!("expected AccessDenied, got {e}"),
            )?;
            ensure(e.hint().is_some(), "the denial should carry a hint")?;
        }
    }

    // ------------------------------------------------------------------ expiry
    println!("\n== 4. sixteen minutes later");
    let static_client = oss_client(
        emu,
        StaticCredentialsProvider::new(handed_out.credentials.clone()),
    )?;
    static_client
        .put_object(BUCKET, "src/before-expiry.txt")
        .body("the credentials handed out once still work")
        .send()
        .await?;
    println!("credentials handed out once: PutObject src/before-expiry.txt ok");

    emu.clock().advance(Duration::from_secs(16 * 60));
    println!(
        "emulator clock moved forward 16 minutes, now {}",
        alioss::sts::signer::format_timestamp(emu.clock().now())
    );

    match static_client
        .put_object(BUCKET, "src/after-expiry.txt")
        .body("too late")
        .send()
        .await
    {
        Ok(_) => return Err("expired credentials should have been refused".into()),
        Err(e) => {
            println!("credentials handed out once: {e}");
            ensure(
                matches!(
                    e.code(),
                    Some("SecurityTokenExpired" | "InvalidAccessKeyId")
                ),
                format!("expected SecurityTokenExpired or InvalidAccessKeyId, got {e}"),
            )?;
            ensure(e.hint().is_some(), "the expiry error should carry a hint")?;
        }
    }

    let put = client
        .put_object(BUCKET, "src/after-expiry.txt")
        .body("the refreshing provider fetched new credentials")
        .send()
        .await?;
    let renewed = provider.provide_credentials().await?;
    println!(
        "refreshing provider: PutObject src/after-expiry.txt ok (etag {}), now {}",
        put.etag.as_deref().unwrap_or("-"),
        describe(&renewed)
    );
    ensure(
        renewed.access_key_id() != first.access_key_id(),
        "the refreshing provider should have fetched new credentials",
    )?;

    // ------------------------------------------------------------------ what arrived
    println!("\n== 5. the organisation lists what arrived under src/ (RAM user `admin`)");
    let admin = emu
        .user_credentials(demo::ADMIN_NAME)
        .ok_or("the demo configuration has no RAM user `admin`")?;
    let organisation = oss_client(emu, StaticCredentialsProvider::new(admin))?;
    let listing = organisation
        .list_objects_v2(BUCKET)
        .prefix("src/")
        .send()
        .await?;
    for object in &listing.objects {
        println!("{:>8} bytes  {}", object.size, object.key);
    }
    let landed: Vec<&str> = listing.objects.iter().map(|o| o.key.as_str()).collect();
    for key in [
        "src/data.csv",
        "src/log.txt",
        "src/catalogue.bin",
        "src/presigned.txt",
        "src/form-upload.txt",
        "src/before-expiry.txt",
        "src/after-expiry.txt",
    ] {
        ensure(landed.contains(&key), format!("{key} should have arrived"))?;
    }
    match organisation.head_object(BUCKET, "other.txt").send().await {
        Err(e) if e.status() == Some(404) => println!("other.txt: not there (HTTP 404)"),
        Ok(_) => return Err("other.txt should not exist: its upload was denied".into()),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

fn verdict(allowed: bool) -> &'static str {
    if allowed {
        "allowed"
    } else {
        "denied"
    }
}

/// A simple upload, with the storage class and a metadata header of the scenario's sample.
async fn simple_put(client: &oss::Client) -> Result<(), BoxError> {
    let data = "sku,quantity\nA-100,12\nB-200,7\n";
    let put = client
        .put_object(BUCKET, "src/data.csv")
        .body(data)
        .content_type("text/csv")
        .storage_class(StorageClass::Standard)
        .metadata("supplier", "42")
        .send()
        .await?;
    println!(
        "PutObject src/data.csv: etag {}, crc64 {}",
        put.etag.as_deref().unwrap_or("-"),
        show_crc(put.crc64)
    );
    ensure(
        put.crc64 == Some(crc64::checksum(data.as_bytes())),
        "the server's CRC-64 should match the data",
    )
}

/// Two appends to one appendable object. The credentials may only upload (no HeadObject), so
/// the appender starts at position 0 instead of asking the object's length.
async fn append(client: &oss::Client) -> Result<(), BoxError> {
    let mut appender = client.appender_at(BUCKET, "src/log.txt", 0, Some(0))?;
    let lines: [&'static str; 2] = [
        "2024-04-18 order 1 shipped\n",
        "2024-04-18 order 2 shipped\n",
    ];
    for line in lines {
        let out = appender.append(line).await?;
        println!(
            "AppendObject src/log.txt: next position {}, crc64 {}",
            out.next_position,
            show_crc(out.crc64)
        );
    }
    let all = lines.concat();
    ensure(
        appender.position() == all.len() as u64,
        "the appendable object should hold both lines",
    )?;
    ensure(
        appender.crc64() == Some(crc64::checksum(all.as_bytes())),
        "the running CRC-64 should match both lines",
    )
}

/// A multipart upload of two parts (every part but the last must be at least 100 KiB).
async fn multipart(client: &oss::Client) -> Result<(), BoxError> {
    let key = "src/catalogue.bin";
    let data: Vec<u8> = (0..200 * 1024u32).map(|i| (i % 251) as u8).collect();
    let (part1, part2) = data.split_at(128 * 1024);
    let upload = client.multipart_upload(BUCKET, key).initiate().await?;
    println!("InitiateMultipartUpload {key}: upload started");
    let mut parts = Vec::new();
    for (number, chunk) in [(1u32, part1), (2, part2)] {
        let out = upload
            .upload_part(number, Body::from_bytes(chunk.to_vec()))
            .send()
            .await?;
        println!(
            "UploadPart {number}: {} bytes, crc64 {}",
            out.size,
            show_crc(out.crc64)
        );
        parts.push(CompletedPart::from(&out));
    }
    let done = upload.complete(parts).send().await?;
    println!(
        "CompleteMultipartUpload {key}: etag {}, crc64 {}",
        done.etag.as_deref().unwrap_or("-"),
        show_crc(done.crc64)
    );
    ensure(
        done.crc64 == Some(crc64::checksum(&data)),
        "the object's CRC-64 should be the CRC-64 of both parts",
    )
}

/// A presigned PUT, used by a plain HTTP client that has no credentials at all.
async fn presigned_put(client: &oss::Client) -> Result<(), BoxError> {
    let key = "src/presigned.txt";
    let url = client
        .put_object(BUCKET, key)
        .content_type("text/plain")
        .presign(Duration::from_secs(600))
        .await?;
    println!(
        "presigned {} for {key}, valid until {} (the URL is a bearer secret: not printed)",
        url.method(),
        alioss::sts::signer::format_timestamp(url.expiration())
    );
    let mut put = reqwest::Client::new()
        .put(url.url())
        .body("uploaded with a presigned URL");
    for (name, value) in url.signed_headers() {
        put = put.header(name.as_str(), value.as_str());
    }
    let response = put.send().await?;
    println!(
        "plain HTTP PUT with it: HTTP {}",
        response.status().as_u16()
    );
    ensure(
        response.status().is_success(),
        format!("the presigned PUT answered HTTP {}", response.status()),
    )
}

/// Browser-style form upload: signed form fields, posted by a plain multipart request.
async fn post_object_form(client: &oss::Client) -> Result<(), BoxError> {
    let key = "src/form-upload.txt";
    let form = client
        .post_object_form(BUCKET)
        .key(key)
        .content_length_range(1, 1024 * 1024)
        .success_action_status(201)
        .expires_in(Duration::from_secs(600))
        .sign()
        .await?;
    println!(
        "PostObject form for {key}: {} fields, policy valid until {}",
        form.fields().len(),
        alioss::sts::signer::format_timestamp(form.expiration())
    );
    let mut multipart = reqwest::multipart::Form::new();
    for (name, value) in form.fields() {
        multipart = multipart.text(name.clone(), value.clone());
    }
    let file = reqwest::multipart::Part::bytes(&b"uploaded from a browser form"[..])
        .file_name("form-upload.txt")
        .mime_str("text/plain")?;
    multipart = multipart.part("file", file);
    let response = reqwest::Client::new()
        .post(form.url())
        .multipart(multipart)
        .send()
        .await?;
    let status = response.status().as_u16();
    println!("plain HTTP POST of the form: HTTP {status}");
    ensure(
        status == 201,
        format!("the form upload answered HTTP {status}"),
    )
}

fn show_crc(crc: Option<u64>) -> String {
    crc.map_or_else(|| "-".to_owned(), |c| c.to_string())
}
