use crate::cli::MfaArgs;
use crate::cmd;
use crate::profile::{tilde, Env};
use crate::session;
use crate::shell::Exports;
use anyhow::Result;

pub fn run(args: &MfaArgs, env: &Env) -> Result<String> {
    let (files, res) = cmd::resolve(env, args.profile.profile.as_deref(), Some(&args.session))?;
    if res.roles.is_empty() {
        session::require_serial(&res, &tilde(&files.config.path, env))?;
    }
    let creds: crate::credentials::Issued =
        cmd::obtain(env, &res, args.force.into(), args.code.as_deref())?.into();
    cmd::write_profile(env, args.write.write_profile.as_deref(), &creds)?;
    let region = res.region_configured.then_some(res.region.as_str());
    args.format.get(env)?.renderer(env).set(&Exports::new(
        &creds,
        &res.profile,
        region,
        args.legacy.legacy_vars,
    ))
}
