//! `assume-role`: a role from the command line, assumed like a role profile's
//! (with the source's MFA session when it has a device), cached per role.

use crate::cli::AssumeRoleArgs;
use crate::cmd;
use crate::env::Env;
use crate::error::{fail, Kind};
use crate::fsafe::Found;
use crate::profile::{default_session_name, Role};
use crate::shell::{self, About, Exports};
use crate::sts::RoleOptions;
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
        options: options(args, env)?,
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

/// The flags' AssumeRole options, validated like a profile's.
fn options(args: &AssumeRoleArgs, env: &Env) -> Result<RoleOptions> {
    fn strs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    let tags = validate::session_tags(&strs(&args.tags), "--tag")?;
    let transitive_tag_keys =
        validate::transitive_tags(&strs(&args.transitive_tags), &tags, "--transitive-tag")?;
    let source_identity = args
        .source_identity
        .as_deref()
        .map(|s| validate::source_identity(s, "--source-identity").map(str::to_string))
        .transpose()?;
    let policy_arns = validate::policy_arns(&strs(&args.policy_arns), "--policy-arn")?;
    let policy = match &args.policy {
        Some(path) => Some(read_policy(path, env)?),
        None => None,
    };
    Ok(RoleOptions {
        tags,
        transitive_tag_keys,
        source_identity,
        policy_arns,
        policy,
    })
}

/// `--policy FILE`: a regular file of at most 64 KiB (STS takes 2,048
/// characters; more is refused by the check, not read without end).
fn read_policy(path: &std::path::Path, env: &Env) -> Result<String> {
    let shown = crate::profile::tilde(path, env);
    let cannot = |why: &str| {
        fail(
            Kind::Input,
            format!("--policy {shown}: {why}: name a JSON file with the session policy"),
        )
    };
    match crate::fsafe::read_path(path, 64 * 1024) {
        Ok(Found::File(bytes)) => {
            let text = String::from_utf8(bytes).map_err(|_| cannot("it is not UTF-8 text"))?;
            validate::session_policy(text.trim(), &format!("--policy {shown}"))
        }
        Ok(Found::Missing) => Err(cannot("there is no such file")),
        Ok(Found::Refused(why)) => Err(cannot(why)),
        Err(e) => Err(cannot(&format!("{e:#}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_session_names_are_valid() {
        assert_eq!(default_session_name("a b/c"), "awscred-a-b-c");
    }
}
