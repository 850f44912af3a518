use crate::cli::ExportArgs;
use crate::cmd;
use crate::env::Env;
use crate::shell::{self, Exports};
use anyhow::Result;

/// Exports the profile's credentials (see [`cmd::handout`]). An MFA-session
/// profile exports only its cached session: `export` never asks for its code.
pub fn run(args: &ExportArgs, env: &Env) -> Result<cmd::Output> {
    let h = cmd::handout(env, args.profile.profile.as_deref(), cmd::NoSession::Fail)?;
    cmd::write_profile(env, args.write.write_profile.as_deref(), &h.credentials)?;
    let exports = Exports::new(&h.credentials, &h.about(args.legacy.legacy_vars));
    let text = shell::set(args.format.get(env)?, env, exports)?;
    let explicit = args.format.format.is_some();
    let profile = h.about(false).profile.to_string();
    cmd::deliver(env, "export", explicit, &profile, &h.credentials, text)
}
