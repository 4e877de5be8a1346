//! The body of object_store's integration suite against `OssStore`, shared by
//! `tests/object_store_0_13.rs` and `tests/object_store_0_14.rs`. Each of them includes this file
//! with `#[macro_use] #[path = "object_store_suite/mod.rs"] mod suite;` after binding its major as
//! `os` (`use object_store_0_1x as os;`) and its store as `OssStore`, then names one test per
//! body with [`object_store_suite!`], so every test keeps its own name (`v0_13_…`, `v0_14_…`).

use alioss::credentials::Clock;
use alioss::oss::Client;
use alioss::providers::AssumeRoleCredentialsProvider;
use alioss::sts::AssumeRoleRequest;
use alioss_emulator::EmulatorHandle;

use super::os::integration;
use super::os::path::Path;
use super::os::{ObjectStore as _, ObjectStoreExt as _};
use super::support::emulator::{admin, get_bytes, start, sts_client, BUCKET};
use super::{os, OssStore};

/// One `#[tokio::test]` per `test_name => body` pair; `body` is a function of this module.
macro_rules! object_store_suite {
    ($($test:ident => $body:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $test() {
            suite::$body().await;
        }
    )*};
}

/// The store on a fresh emulator with the admin's keys.
pub async fn store() -> (EmulatorHandle, OssStore) {
    let emu = start().await;
    let store = OssStore::new(admin(&emu), BUCKET).unwrap();
    (emu, store)
}

pub async fn put_get_delete_list() {
    let (_emu, s) = store().await;
    integration::put_get_delete_list(&s).await;
}

pub async fn put_get_attributes() {
    let (_emu, s) = store().await;
    integration::put_get_attributes(&s).await;
}

pub async fn get_opts() {
    let (_emu, s) = store().await;
    integration::get_opts(&s).await;
}

pub async fn put_opts() {
    let (_emu, s) = store().await;
    integration::put_opts(&s, false).await;
}

pub async fn stream_get() {
    let (_emu, s) = store().await;
    integration::stream_get(&s).await;
}

pub async fn list_uses_directories_correctly() {
    let (_emu, s) = store().await;
    integration::list_uses_directories_correctly(&s).await;
}

pub async fn list_with_delimiter() {
    let (_emu, s) = store().await;
    integration::list_with_delimiter(&s).await;
}

pub async fn list_with_offset_exclusivity() {
    let (_emu, s) = store().await;
    integration::list_with_offset_exclusivity(&s).await;
}

pub async fn list_paginated() {
    let (_emu, s) = store().await;
    integration::list_paginated(&s, &s).await;
}

pub async fn get_nonexistent_object() {
    let (_emu, s) = store().await;
    assert_get_nonexistent_object_is_not_found(&s).await;
}

/// `get_nonexistent_object` answers object_store's `NotFound`.
async fn assert_get_nonexistent_object_is_not_found(s: &OssStore) {
    let err = integration::get_nonexistent_object(s, None)
        .await
        .unwrap_err();
    assert!(matches!(err, os::Error::NotFound { .. }), "{err}");
}

pub async fn rename_and_copy() {
    let (_emu, s) = store().await;
    integration::rename_and_copy(&s).await;
}

pub async fn copy_if_not_exists() {
    let (_emu, s) = store().await;
    integration::copy_if_not_exists(&s).await;
}

pub async fn copy_rename_nonexistent_object() {
    let (_emu, s) = store().await;
    integration::copy_rename_nonexistent_object(&s).await;
}

pub async fn multipart() {
    let (_emu, s) = store().await;
    integration::multipart(&s, &s).await;
}

pub async fn multipart_race_condition() {
    let (_emu, s) = store().await;
    integration::multipart_race_condition(&s, true).await;
}

pub async fn multipart_out_of_order() {
    let (_emu, s) = store().await;
    integration::multipart_out_of_order(&s).await;
}

pub async fn suite_under_a_prefix() {
    let (emu, s) = store().await;
    let s = s.with_prefix("tenant/a/").unwrap();
    integration::put_get_delete_list(&s).await;
    integration::list_with_delimiter(&s).await;
    integration::rename_and_copy(&s).await;
    // Everything stayed under the prefix.
    let keys: Vec<String> = admin(&emu)
        .list_objects_v2(BUCKET)
        .send()
        .await
        .unwrap()
        .objects
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert!(keys.iter().all(|k| k.starts_with("tenant/a/")), "{keys:?}");
}

/// Deletes every object of the store (each suite function expects an empty store), through the
/// store itself.
pub async fn clear(s: &OssStore) {
    use futures_util::StreamExt as _;
    let locations = s.list(None).map(|m| m.map(|m| m.location)).boxed();
    let deleted: Vec<_> = s.delete_stream(locations).collect().await;
    assert!(deleted.iter().all(Result::is_ok), "{deleted:?}");
}

/// Exactly what the store needs: read, write, list, delete, and multipart cleanup.
const STORE_POLICY: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetObject","oss:PutObject","oss:DeleteObject","oss:AbortMultipartUpload","oss:ListParts"],"Resource":["acs:oss:*:*:examplebucket/*"]},{"Effect":"Allow","Action":["oss:ListObjects"],"Resource":["acs:oss:*:*:examplebucket"]}]}"#;

/// The same, without `oss:DeleteObject`.
const NO_DELETE_POLICY: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetObject","oss:PutObject","oss:AbortMultipartUpload","oss:ListParts"],"Resource":["acs:oss:*:*:examplebucket/*"]},{"Effect":"Allow","Action":["oss:ListObjects"],"Resource":["acs:oss:*:*:examplebucket"]}]}"#;

/// A store whose client gets refreshing credentials from AssumeRole on `RamOssReader` with
/// `policy` as the session policy.
fn sts_store(emu: &EmulatorHandle, policy: &str) -> OssStore {
    let request = AssumeRoleRequest::builder()
        .role_arn(emu.role_arn("RamOssReader").unwrap())
        .role_session_name("object-store")
        .duration_seconds(900)
        .policy_json(policy)
        .build()
        .unwrap();
    let clock = emu.clock().clone();
    let provider = AssumeRoleCredentialsProvider::builder(sts_client(emu), request)
        .clock(Clock::from_fn(move || clock.now()))
        .build();
    let client = Client::builder()
        .region("cn-hangzhou")
        .endpoint(emu.endpoint())
        .credentials(provider)
        .build()
        .unwrap();
    OssStore::from_url_with_client("oss://examplebucket/sts", client).unwrap()
}

/// Every suite function both majors have, each on an emptied store, with credentials from
/// AssumeRole under [`STORE_POLICY`]. Returns the emulator and the store so that a major can run
/// its own extra functions afterwards.
pub async fn suite_with_assume_role_credentials_under_a_narrow_session_policy(
) -> (EmulatorHandle, OssStore) {
    let emu = start().await;
    let s = sts_store(&emu, STORE_POLICY);
    clear(&s).await;
    integration::put_get_delete_list(&s).await;
    clear(&s).await;
    integration::put_get_attributes(&s).await;
    clear(&s).await;
    integration::get_opts(&s).await;
    clear(&s).await;
    integration::put_opts(&s, false).await;
    clear(&s).await;
    integration::stream_get(&s).await;
    clear(&s).await;
    integration::list_uses_directories_correctly(&s).await;
    clear(&s).await;
    integration::list_with_delimiter(&s).await;
    clear(&s).await;
    integration::list_with_offset_exclusivity(&s).await;
    clear(&s).await;
    integration::list_paginated(&s, &s).await;
    clear(&s).await;
    assert_get_nonexistent_object_is_not_found(&s).await;
    clear(&s).await;
    integration::rename_and_copy(&s).await;
    clear(&s).await;
    integration::copy_if_not_exists(&s).await;
    clear(&s).await;
    integration::copy_rename_nonexistent_object(&s).await;
    clear(&s).await;
    integration::multipart(&s, &s).await;
    clear(&s).await;
    integration::multipart_race_condition(&s, true).await;
    clear(&s).await;
    integration::multipart_out_of_order(&s).await;
    (emu, s)
}

pub async fn a_session_policy_without_delete_answers_permission_denied_with_the_hint() {
    let emu = start().await;
    let s = sts_store(&emu, NO_DELETE_POLICY);
    let path = Path::from("kept.txt");
    s.put(&path, "data".into()).await.unwrap();
    let err = s.delete(&path).await.unwrap_err();
    let os::Error::PermissionDenied {
        path: denied,
        source,
    } = &err
    else {
        panic!("expected PermissionDenied, got {err:?}");
    };
    assert_eq!(denied, "sts/kept.txt");
    let text = source.to_string();
    assert!(text.contains("AccessDenied"), "{text}");
    assert!(text.contains("Hint:"), "{text}");
    // Nothing was deleted.
    let data = s.get(&path).await.unwrap().bytes().await.unwrap();
    assert_eq!(data.as_ref(), b"data");
}

pub async fn store_from_an_oss_url_and_environment_variables() {
    let emu = start().await;
    let creds = emu.user_credentials("admin").unwrap();
    let env = alioss::credentials::EnvironmentSource::from_map([
        ("OSS_ACCESS_KEY_ID", creds.access_key_id().to_owned()),
        (
            "OSS_ACCESS_KEY_SECRET",
            creds.access_key_secret().to_owned(),
        ),
        ("OSS_REGION", "cn-hangzhou".to_owned()),
        ("OSS_ENDPOINT", emu.endpoint().to_owned()),
    ]);
    let s = OssStore::from_url_with_env("oss://examplebucket/from-env/", env).unwrap();
    assert_eq!(s.prefix(), "from-env/");
    assert_eq!(s.to_string(), "OssStore(oss://examplebucket/from-env/)");
    s.put(&Path::from("a.txt"), "hi".into()).await.unwrap();
    let got = get_bytes(&admin(&emu), "from-env/a.txt").await;
    assert_eq!(got, b"hi");
    let err = OssStore::from_url_with_env(
        "s3://examplebucket",
        alioss::credentials::EnvironmentSource::from_map([("OSS_REGION", "cn-hangzhou")]),
    )
    .unwrap_err();
    assert_eq!(err.as_invalid_input().unwrap().field(), "url");
}
