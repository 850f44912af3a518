use crate::cli::MfaArgs;
use crate::profile::{self, tilde, Env, Files, Options};
use crate::session::{self, Deps};
use crate::shell::Exports;
use crate::{cmd, prompt};
use anyhow::Result;

pub fn run(args: &MfaArgs, env: &Env) -> Result<String> {
    let files = Files::load(env)?;
    let res = profile::resolve(
        &files,
        env,
        &Options {
            profile: args.profile.profile.as_deref(),
            serial_number: args.session.serial_number.as_deref(),
            duration_seconds: args.session.duration_seconds,
            region: args.session.region.as_deref(),
        },
    )?;
    session::require_serial(&res, &tilde(&files.config.path, env))?;
    let preset = prompt::preset_code(args.code.as_deref(), env)?;
    let (cache, sts) = (cmd::cache(env), cmd::sts(env)?);
    let deps = Deps {
        cache: &cache,
        sts: &sts,
        now: &cmd::now,
    };
    let creds = session::mfa(&res, &deps, args.force, |serial| {
        prompt::code_or_prompt(preset, serial)
    })?;
    let region = res.region_configured.then_some(res.region.as_str());
    args.format.format.renderer(env).set(&Exports::new(
        &creds,
        &res.profile,
        region,
        args.legacy.legacy_vars,
    ))
}
