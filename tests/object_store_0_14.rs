//! object_store 0.14's own integration suite (`object_store::integration`) against
//! `alioss::object_store::v0_14::OssStore` on the embedded emulator: one test per applicable
//! suite function, with the admin's keys; the whole suite again with credentials from
//! `AssumeRoleCredentialsProvider` under a session policy that allows exactly what the store
//! needs; and a session policy without `oss:DeleteObject` answering `PermissionDenied`.
//!
//! Every public function of the suite runs; none is skipped (`put_opts` runs with `supports_update = false`: OSS has
//! no conditional write on an ETag, so `PutMode::Update` answers `NotImplemented`).

use alioss::object_store::v0_14::OssStore;
use object_store_0_14 as os;
use os::integration;

mod support;

#[macro_use]
#[path = "object_store_suite/mod.rs"]
mod suite;

#[allow(dead_code)]
#[path = "../examples/object_store.rs"]
mod example;

use suite::{clear, store};

object_store_suite! {
    v0_14_put_get_delete_list => put_get_delete_list,
    v0_14_put_get_attributes => put_get_attributes,
    v0_14_get_opts => get_opts,
    v0_14_put_opts => put_opts,
    v0_14_stream_get => stream_get,
    v0_14_list_uses_directories_correctly => list_uses_directories_correctly,
    v0_14_list_with_delimiter => list_with_delimiter,
    v0_14_list_with_offset_exclusivity => list_with_offset_exclusivity,
    v0_14_list_paginated => list_paginated,
    v0_14_get_nonexistent_object => get_nonexistent_object,
    v0_14_rename_and_copy => rename_and_copy,
    v0_14_copy_if_not_exists => copy_if_not_exists,
    v0_14_copy_rename_nonexistent_object => copy_rename_nonexistent_object,
    v0_14_multipart => multipart,
    v0_14_multipart_race_condition => multipart_race_condition,
    v0_14_multipart_out_of_order => multipart_out_of_order,
    v0_14_suite_under_a_prefix => suite_under_a_prefix,
    v0_14_a_session_policy_without_delete_answers_permission_denied_with_the_hint => a_session_policy_without_delete_answers_permission_denied_with_the_hint,
    v0_14_store_from_an_oss_url_and_environment_variables => store_from_an_oss_url_and_environment_variables,
}

#[tokio::test]
async fn v0_14_multipart_with_opts() {
    let (_emu, s) = store().await;
    integration::multipart_with_opts(&s, &s).await;
}

#[tokio::test]
async fn v0_14_multipart_put_part_out_of_order() {
    let (_emu, s) = store().await;
    integration::multipart_put_part_out_of_order(&s, &s).await;
}

#[tokio::test]
async fn v0_14_suite_with_assume_role_credentials_under_a_narrow_session_policy() {
    let (_emu, s) = suite::suite_with_assume_role_credentials_under_a_narrow_session_policy().await;
    // Then the functions only 0.14 has.
    clear(&s).await;
    integration::multipart_with_opts(&s, &s).await;
    clear(&s).await;
    integration::multipart_put_part_out_of_order(&s, &s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v0_14_the_example_writes_lists_and_reads_with_sts_credentials() {
    if let Err(e) = example::run().await {
        panic!("examples/object_store.rs failed: {e}");
    }
}
