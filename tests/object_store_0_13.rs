//! object_store 0.13's own integration suite (`object_store::integration`) against
//! `alioss::object_store::v0_13::OssStore` on the embedded emulator: one test per applicable
//! suite function, with the admin's keys; the whole suite again with credentials from
//! `AssumeRoleCredentialsProvider` under a session policy that allows exactly what the store
//! needs; and a session policy without `oss:DeleteObject` answering `PermissionDenied`.
//!
//! Every public function of 0.13's suite runs (`multipart_with_opts` and
//! `multipart_put_part_out_of_order` exist only in 0.14); none is skipped (`put_opts` runs with `supports_update = false`: OSS has
//! no conditional write on an ETag, so `PutMode::Update` answers `NotImplemented`).

use alioss::object_store::v0_13::OssStore;
use object_store_0_13 as os;

mod support;

#[macro_use]
#[path = "object_store_suite/mod.rs"]
mod suite;

object_store_suite! {
    v0_13_put_get_delete_list => put_get_delete_list,
    v0_13_put_get_attributes => put_get_attributes,
    v0_13_get_opts => get_opts,
    v0_13_put_opts => put_opts,
    v0_13_stream_get => stream_get,
    v0_13_list_uses_directories_correctly => list_uses_directories_correctly,
    v0_13_list_with_delimiter => list_with_delimiter,
    v0_13_list_with_offset_exclusivity => list_with_offset_exclusivity,
    v0_13_list_paginated => list_paginated,
    v0_13_get_nonexistent_object => get_nonexistent_object,
    v0_13_rename_and_copy => rename_and_copy,
    v0_13_copy_if_not_exists => copy_if_not_exists,
    v0_13_copy_rename_nonexistent_object => copy_rename_nonexistent_object,
    v0_13_multipart => multipart,
    v0_13_multipart_race_condition => multipart_race_condition,
    v0_13_multipart_out_of_order => multipart_out_of_order,
    v0_13_suite_under_a_prefix => suite_under_a_prefix,
    v0_13_a_session_policy_without_delete_answers_permission_denied_with_the_hint => a_session_policy_without_delete_answers_permission_denied_with_the_hint,
    v0_13_store_from_an_oss_url_and_environment_variables => store_from_an_oss_url_and_environment_variables,
}

#[tokio::test]
async fn v0_13_suite_with_assume_role_credentials_under_a_narrow_session_policy() {
    suite::suite_with_assume_role_credentials_under_a_narrow_session_policy().await;
}
