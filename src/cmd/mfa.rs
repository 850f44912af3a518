use crate::cli::MfaArgs;
use crate::cmd;
use crate::env::Env;
use crate::profile::tilde;
use crate::session;
use crate::shell::{self, About, Exports};
use anyhow::Result;

pub fn run(args: &MfaArgs, env: &Env) -> Result<cmd::Output> {
    if let Some(word) = args.code.as_deref() {
        if crate::validate::code(word).is_err() && cmd::names_profile(env, word) {
            let fixed = format!("awscred mfa --profile {}", shell::word(word));
            return Err(cmd::positional_profile(word, "an MFA code", &fixed));
        }
    }
    if let Some(out) = sso(args, env)? {
        return Ok(out.into());
    }
    let (files, res) = cmd::resolve(env, args.profile.profile.as_deref(), Some(&args.session))?;
    if res.roles.is_empty() {
        session::require_serial(&res, &tilde(&files.config.path, env))?;
    }
    let hint = cmd::code_hint(&cmd::command_for(env, "mfa 123456", &res.profile));
    let creds: crate::credentials::Issued =
        cmd::obtain(env, &res, args.force.into(), args.code.as_deref(), hint)?.into();
    cmd::write_profile(env, args.write.write_profile.as_deref(), &creds)?;
    let account = res.account_id();
    let about = About {
        profile: &res.profile,
        region: res.region_configured.then_some(res.region.as_str()),
        role: None,
        account_id: account.as_deref(),
        legacy: args.legacy.legacy_vars,
    };
    let text = shell::set(args.format.get(env)?, env, Exports::new(&creds, &about))?;
    let explicit = args.format.format.is_some();
    cmd::deliver(env, "mfa", explicit, &res.profile, &creds, text)
}

/// An IAM Identity Center profile has no MFA device of awscred's: `mfa`
/// hands out its role credentials as `credential-process` does, logging in
/// first when there is no usable token (on a terminal or a desktop).
fn sso(args: &MfaArgs, env: &Env) -> Result<Option<String>> {
    let files = crate::profile::Files::load(env)?;
    let opts = crate::profile::Options {
        profile: args.profile.profile.as_deref(),
        ..Default::default()
    };
    let (name, _) = crate::profile::profile_name(&opts, env)?;
    if !(files.uses_sdk_chain(name) && files.uses_sso(name)) {
        return Ok(None);
    }
    let h = cmd::handout(env, Some(name), cmd::NoSession::Obtain)?;
    let about = h.about(args.legacy.legacy_vars);
    Ok(Some(shell::set(
        args.format.get(env)?,
        env,
        Exports::new(&h.credentials, &about),
    )?))
}
