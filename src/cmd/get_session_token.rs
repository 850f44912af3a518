use crate::cli::GetSessionTokenArgs;
use crate::profile::{self, Env, Files, Options};
use crate::session::{self, Deps};
use crate::shell::json::sts_json;
use crate::{cmd, prompt};
use anyhow::Result;

pub fn run(args: &GetSessionTokenArgs, env: &Env) -> Result<String> {
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
    // With a known MFA device the session is an MFA session: a plain one would
    // be refused by any policy that requires MFA, which is why the device is set.
    let code = match res.mfa_serial.as_deref() {
        Some(serial) => Some(prompt::code_or_prompt(
            prompt::preset_code(args.token_code.as_deref(), env)?,
            serial,
        )?),
        None => None,
    };
    let (cache, sts) = (cmd::cache(env), cmd::sts(env)?);
    let deps = Deps {
        cache: &cache,
        sts: &sts,
        now: &cmd::now,
    };
    let creds = session::fresh(&res, &deps, code.as_deref(), !args.no_cache)?;
    sts_json(&creds)
}
