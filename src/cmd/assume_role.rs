//! `assume-role`: a role from the command line, assumed like a role profile's
//! (with the source's MFA session when it has a device), cached per role.

use crate::cli::AssumeRoleArgs;
use crate::cmd;
use crate::profile::{default_session_name, Env, Role};
use crate::shell::{self, About, Exports};
use crate::validate;
use anyhow::Result;

pub fn run(args: &AssumeRoleArgs, env: &Env) -> Result<String> {
    let (_, mut res) = cmd::resolve(env, args.profile.profile.as_deref(), None)?;
    let session_name = match &args.role_session_name {
        Some(n) => validate::session_name(n, "--role-session-name")?.to_string(),
        None => default_session_name(&res.profile),
    };
    let duration_seconds = args
        .duration_seconds
        .map(|d| validate::role_duration(d, "--duration-seconds"))
        .transpose()?;
    res.roles.push(Role {
        profile: res.profile.clone(),
        arn: validate::role_arn(&args.role_arn, "--role-arn")?.to_string(),
        session_name,
        external_id: args
            .external_id
            .as_deref()
            .map(|id| validate::external_id(id, "--external-id").map(str::to_string))
            .transpose()?,
        duration_seconds,
    });
    let creds: crate::credentials::Issued = cmd::obtain(
        env,
        &res,
        args.force.into(),
        args.token_code.as_deref(),
        cmd::code_hint(&cmd::command_for(
            env,
            &format!(
                "assume-role --role-arn {} --token-code 123456",
                args.role_arn
            ),
            &res.profile,
        )),
    )?
    .into();
    cmd::write_profile(env, args.write.write_profile.as_deref(), &creds)?;
    let account = res.account_id();
    let about = About {
        profile: &res.profile,
        region: res.region_configured.then_some(res.region.as_str()),
        role: Some(&args.role_arn),
        account_id: account.as_deref(),
        legacy: args.legacy.legacy_vars,
    };
    shell::set(args.format, env, Exports::new(&creds, &about))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_session_names_are_valid() {
        assert_eq!(default_session_name("a b/c"), "awscred-a-b-c");
    }
}
