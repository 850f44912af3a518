use crate::cli::GetSessionTokenArgs;
use crate::cmd;
use crate::env::Env;
use crate::error::{fail, Kind};
use crate::prompt::{self, CodeSource};
use crate::session::{self, Deps};
use crate::shell::json::sts_json;
use anyhow::Result;

pub fn run(args: &GetSessionTokenArgs, env: &Env) -> Result<String> {
    let (_, res) = cmd::resolve(env, args.profile.profile.as_deref(), Some(&args.session))?;
    // GetSessionToken is the IAM user's call; a role's credentials cannot make
    // it, and the source's session is not the role's (nor cached as it).
    if !res.roles.is_empty() {
        // With `credential_source = Environment` the source is no profile.
        let source = match res.base_profile != res.profile {
            true => format!(
                "run `{}` for the session of its source, or ",
                cmd::command_for(env, "get-session-token", &res.base_profile)
            ),
            false => "run ".to_string(),
        };
        return Err(fail(
            Kind::Input,
            format!(
                "profile {} assumes a role, and GetSessionToken gets an IAM user's session: {source}`{}` for the role's credentials",
                res.profile,
                cmd::command_for(env, "export", &res.profile),
            ),
        ));
    }
    let (cache, sts) = (cmd::cache(env)?, cmd::sts(env)?);
    // With a known MFA device the session is an MFA session: a plain one would
    // be refused by any policy that requires MFA, which is why the device is set.
    let source = CodeSource::of(
        prompt::preset_code(args.token_code.as_deref(), env)?,
        &res,
        env,
        cmd::code_hint(&cmd::command_for(
            env,
            "get-session-token --token-code 123456",
            &res.profile,
        )),
    );
    // The stored secret (its passphrase) before the code, as in session::obtain.
    if res.mfa_serial.is_some() {
        res.keys.secret_access_key.get()?;
    }
    let code = res
        .mfa_serial
        .as_deref()
        .map(|serial| source.get(serial))
        .transpose()?;
    let deps = Deps {
        cache: &cache,
        sts: &sts,
        now: &cmd::now,
    };
    let creds = session::fresh(&res, &deps, code.as_ref(), !args.no_cache)?;
    sts_json(&creds.into())
}
