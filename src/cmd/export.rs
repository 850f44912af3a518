use crate::cli::ExportArgs;
use crate::cmd;
use crate::error::{fail, Kind};
use crate::profile::Env;
use crate::session;
use crate::shell::Exports;
use anyhow::Result;

/// Exports the profile's session. An MFA-session profile exports only its
/// cached session (never prompts, never calls STS, never falls back to the
/// long-term keys); a role profile gets its role credentials, asking for a code
/// only if its source has no valid MFA session. If another run is fetching the
/// session right now, waits for it.
pub fn run(args: &ExportArgs, env: &Env) -> Result<String> {
    let (_, res) = cmd::resolve(env, args.profile.profile.as_deref(), None)?;
    let creds = match session::cached(&res, &cmd::cache(env), &cmd::now) {
        Some(c) => c,
        None if !res.roles.is_empty() => cmd::obtain(env, &res, false, None)?,
        None => {
            return Err(fail(
                Kind::NoSession,
                format!(
                    "no valid session for profile {}: run `awscred mfa`",
                    res.profile
                ),
            ))
        }
    };
    let region = res.region_configured.then_some(res.region.as_str());
    args.format.format.renderer(env).set(&Exports::new(
        &creds,
        &res.profile,
        region,
        args.legacy.legacy_vars,
    ))
}
