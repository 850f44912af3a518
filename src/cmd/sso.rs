//! `sso login|logout|populate`: IAM Identity Center without the AWS CLI (see `sso/`).

use crate::cli::{SsoArgs, SsoCommand, SsoLoginArgs, SsoWhich};
use crate::env::Env;
use crate::error::report;
use crate::profile::{profile_name, Files, Options};
use crate::sso::{self, Session};
use anyhow::Result;

pub fn run(args: &SsoArgs, env: &Env) -> Result<String> {
    match &args.command {
        SsoCommand::Login(a) => login(a, env),
        SsoCommand::Logout(a) => logout(a, env),
        SsoCommand::Populate(a) => crate::sso::populate::run(a, env),
    }
}

/// The session `--sso-session` names, else the one the profile uses.
fn session(which: &SsoWhich, files: &Files, env: &Env) -> Result<Session> {
    if let Some(name) = &which.sso_session {
        return Session::named(files, env, name);
    }
    let opts = Options {
        profile: which.profile.profile.as_deref(),
        ..Options::default()
    };
    let (name, _) = profile_name(&opts, env)?;
    if !files.uses_sso(name) {
        return Err(crate::error::fail(
            crate::error::Kind::Input,
            format!("profile `{name}` does not use IAM Identity Center (no sso_session or sso_start_url): pick an SSO profile with --profile, or name the session with --sso-session"),
        ));
    }
    // A role on an SSO profile: the SSO profile at the end of its chain.
    let mut end = name;
    for hop in files.sources(name) {
        end = hop?.profile;
    }
    Session::for_profile(files, env, end)
}

fn login(args: &SsoLoginArgs, env: &Env) -> Result<String> {
    let files = Files::load(env)?;
    let s = session(&args.which, &files, env)?;
    let timeout = env.timeout()?;
    let expires = sso::login::login(env, &s, args.use_device_code, args.no_browser, timeout)?;
    report(&format!(
        "signed in to {} until {}",
        s.describe(),
        expires.to_rfc3339()
    ));
    Ok(String::new())
}

fn logout(args: &SsoWhich, env: &Env) -> Result<String> {
    let files = Files::load(env)?;
    let s = session(args, &files, env)?;
    let removed = sso::logout(env, &s, env.timeout()?)?;
    report(&format!(
        "signed out of {} ({removed} cached role credentials removed)",
        s.describe()
    ));
    Ok(String::new())
}
