//! `assume-role`: a role from the command line, assumed like a role profile's
//! (with the source's MFA session when it has a device), cached per role.

use crate::cli::AssumeRoleArgs;
use crate::cmd;
use crate::error::{fail, Kind};
use crate::profile::{default_session_name, validate_role_duration, Env, Role};
use crate::shell::Exports;
use anyhow::Result;

pub fn run(args: &AssumeRoleArgs, env: &Env) -> Result<String> {
    let (_, mut res) = cmd::resolve(env, args.profile.profile.as_deref(), None)?;
    let session_name = match &args.role_session_name {
        Some(n) => validate_session_name(n)?.to_string(),
        None => default_session_name(&res.profile),
    };
    let duration_seconds = args
        .duration_seconds
        .map(|d| validate_role_duration(d, "--duration-seconds"))
        .transpose()?;
    res.roles.push(Role {
        profile: res.profile.clone(),
        arn: validate_role_arn(&args.role_arn)?.to_string(),
        session_name,
        external_id: args.external_id.clone(),
        duration_seconds,
    });
    let creds: crate::credentials::Issued =
        cmd::obtain(env, &res, args.force, args.token_code.as_deref())?.into();
    cmd::write_profile(env, args.write.write_profile.as_deref(), &creds, args.force)?;
    let region = res.region_configured.then_some(res.region.as_str());
    args.format.renderer(env).set(&Exports::new(
        &creds,
        &res.profile,
        region,
        args.legacy.legacy_vars,
    ))
}

fn validate_role_arn(arn: &str) -> Result<&str> {
    if arn.starts_with("arn:") && arn.contains(":role/") && (20..=2048).contains(&arn.len()) {
        Ok(arn)
    } else {
        Err(fail(
            Kind::Input,
            format!("`{arn}` is not a role ARN: use one like arn:aws:iam::123456789012:role/NAME"),
        ))
    }
}

/// STS: `[\\w+=,.@-]{2,64}`.
fn validate_session_name(name: &str) -> Result<&str> {
    let ok = (2..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if ok {
        Ok(name)
    } else {
        Err(fail(
            Kind::Input,
            format!("role session name `{name}` must be 2 to 64 of A-Z a-z 0-9 _+=,.@-"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_and_session_name_validation() {
        assert!(validate_role_arn("arn:aws:iam::123456789012:role/admin").is_ok());
        assert!(validate_role_arn("admin").is_err());
        assert!(validate_role_arn("arn:aws:iam::123456789012:user/me").is_err());
        assert!(validate_session_name("me@example.com").is_ok());
        assert!(validate_session_name("a").is_err());
        assert!(validate_session_name("has space").is_err());
        assert_eq!(default_session_name("a b/c"), "awscred-a-b-c");
    }
}
