use crate::cli::ExportArgs;
use crate::cmd;
use crate::error::{fail, Kind};
use crate::profile::{self, Env, Files, Options};
use crate::session;
use crate::shell::Exports;
use anyhow::Result;

/// Exports the cached session. Never prompts, never calls STS, and never falls
/// back to the profile's long-term keys.
pub fn run(args: &ExportArgs, env: &Env) -> Result<String> {
    let files = Files::load(env)?;
    let opts = Options {
        profile: args.profile.profile.as_deref(),
        ..Options::default()
    };
    let res = profile::resolve(&files, env, &opts)?;
    let creds = cmd::cache(env)
        .load(&session::key(&res), cmd::now())
        .ok_or_else(|| {
            fail(
                Kind::NoSession,
                format!(
                    "no valid session for profile {}: run `awscred mfa`",
                    res.profile
                ),
            )
        })?;
    let region = res.region_configured.then_some(res.region.as_str());
    args.format.format.renderer(env).set(&Exports::new(
        &creds,
        &res.profile,
        region,
        args.legacy.legacy_vars,
    ))
}
