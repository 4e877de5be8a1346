//! `sts assume-role`: temporary credentials as `export …` lines for a shell.

use alioss::sts::{AssumeRoleRequest, StsClient};
use alioss::Error;
use time::format_description::well_known::Rfc3339;

use crate::cli::{StsArgs, StsCommand};
use crate::context::Context;

pub(crate) async fn run(ctx: &Context, args: &StsArgs) -> Result<(), Error> {
    let StsCommand::AssumeRole(a) = &args.command;
    let mut request = AssumeRoleRequest::builder()
        .role_arn(a.role_arn.clone())
        .role_session_name(a.session_name.clone())
        .duration_seconds(a.duration);
    if let Some(policy) = &a.policy {
        let json = match policy.strip_prefix('@') {
            Some(path) => tokio::fs::read_to_string(path).await?,
            None => policy.clone(),
        };
        request = request.policy_json(json);
    }
    let request = request.build()?;
    let mut sts = StsClient::builder().shared_credentials(ctx.credentials.clone());
    if let Some(region) = &ctx.region {
        sts = sts.region(region.clone());
    }
    if let Some(endpoint) = a.sts_endpoint.as_ref().or(ctx.emulator_endpoint.as_ref()) {
        sts = sts.endpoint(endpoint.clone());
    }
    let out = sts.build()?.assume_role(&request).await?;
    let c = &out.credentials;
    // The credentials are this command's output: printed because they were asked for.
    println!(
        "export OSS_ACCESS_KEY_ID={}",
        shell_quote(c.access_key_id())
    );
    println!(
        "export OSS_ACCESS_KEY_SECRET={}",
        shell_quote(c.access_key_secret())
    );
    if let Some(token) = c.security_token() {
        println!("export OSS_SESSION_TOKEN={}", shell_quote(token));
    }
    if let Some(when) = c.expiration().and_then(|t| t.format(&Rfc3339).ok()) {
        println!("# expires {when}; assumed {}", out.assumed_role_user.arn);
    }
    Ok(())
}

/// `value` in single quotes for a POSIX shell.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_are_quoted_for_the_shell() {
        assert_eq!(super::shell_quote("a'b"), r"'a'\''b'");
        assert_eq!(super::shell_quote("STS.x"), "'STS.x'");
    }
}
