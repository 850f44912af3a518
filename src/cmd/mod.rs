//! One file per subcommand. Each `run` returns what goes to stdout; printing it,
//! and printing the failure line instead on error, is the caller's job, so no
//! command can leave half its output behind.

pub mod assume_role;
pub mod clear;
pub mod console;
pub mod credential_process;
pub mod docs;
pub mod exec;
pub mod export;
pub mod get_session_token;
pub mod init;
pub mod keys;
pub mod list;
pub mod mfa;
pub mod rotate;
pub mod serve;
pub mod sso;
pub mod status;
pub mod switch;
pub mod unset;

use crate::cache::Cache;
use crate::cli::SessionArgs;
use crate::credentials::{Credentials, Issued, Timestamp};
use crate::env::Env;
use crate::error::{fail, Kind};
use crate::profile::{self, Files, Options, Resolved};
use crate::prompt::{self, CodeSource};
use crate::session::{self, Deps, Reuse};
use crate::shell::About;
use crate::sts::SdkSts;
use anyhow::Result;

/// What a command printed and how it ends. Most end with 0; `status` reports
/// on stdout and still says "expired" or "none" through its exit code.
pub struct Output {
    pub stdout: String,
    pub exit: Option<Kind>,
}

impl From<String> for Output {
    fn from(stdout: String) -> Output {
        Output { stdout, exit: None }
    }
}

/// Loads the files and resolves the profile with the command's flags.
pub fn resolve(
    env: &Env,
    profile: Option<&str>,
    session: Option<&SessionArgs>,
) -> Result<(Files, Resolved)> {
    let files = Files::load(env)?;
    let opts = Options {
        profile,
        serial_number: session.and_then(|s| s.serial_number.as_deref()),
        duration_seconds: session.and_then(|s| s.duration_seconds),
        region: session.and_then(|s| s.region.as_deref()),
    };
    let res = profile::resolve(&files, env, &opts)?;
    Ok((files, res))
}

/// `awscred ARGS` as it works pasted here: with `--profile P` unless P is
/// the profile awscred picks by itself in this environment.
pub fn command_for(env: &Env, args: &str, profile: &str) -> String {
    match profile::profile_name(&Options::default(), env) {
        Ok((picked, _)) if picked == profile => format!("awscred {args}"),
        _ => format!("awscred {args} --profile {profile}"),
    }
}

/// What `mfa` and `export` print. On a terminal, unless `--format` asked
/// for it, the exports would only show the secrets and change nothing:
/// one hint instead (the session stays cached). Under an `init` wrapper,
/// which swallows stdout, one line says what the shell now holds.
pub fn deliver(
    env: &Env,
    command: &str,
    explicit_format: bool,
    profile: &str,
    creds: &crate::credentials::Issued,
    stdout: String,
) -> Result<Output> {
    use std::io::IsTerminal;
    if !explicit_format && std::io::stdout().is_terminal() {
        let run = command_for(env, command, profile);
        let shell = env.shell().and_then(|s| s.rsplit('/').next()).unwrap_or("");
        let init = match shell {
            "zsh" => "`eval \"$(awscred init zsh)\"` to ~/.zshrc",
            "fish" => "`awscred init fish | source` to config.fish",
            _ => "`eval \"$(awscred init bash)\"` to ~/.bashrc",
        };
        crate::error::report(&format!(
            "not printing credentials to the terminal (the session stays cached): run `eval \"$({run})\"`, or add {init} so that `awscred {command}` changes the shell itself"
        ));
        return Ok(Output {
            stdout: String::new(),
            exit: Some(Kind::Usage),
        });
    }
    if env.awscred_init().is_some() {
        let id: String = creds.access_key_id.chars().take(8).collect();
        let until = match creds.expiration {
            Some(t) => format!("valid until {}", t.local_minute()),
            None => "long-term key, no expiration".to_string(),
        };
        crate::error::report(&format!("profile {profile}: {id}… {until}"));
    }
    Ok(stdout.into())
}

/// aws-vault's and awsume's habit, `awscred exec work …` / `awscred mfa work`:
/// a word in a positional slot that names a profile of the AWS files. Files
/// that do not load say nothing here: the command reports them itself.
pub fn names_profile(env: &Env, word: &str) -> bool {
    crate::profile::Files::load(env).is_ok_and(|f| f.has_profile(word))
}

/// The refusal for [`names_profile`]: the exact `--profile` command instead.
pub fn positional_profile(word: &str, what: &str, fixed: &str) -> anyhow::Error {
    fail(
        Kind::Usage,
        format!("`{word}` is a profile, not {what}: run `{fixed}`"),
    )
}

/// How a command that cannot take a code as an argument (credential-process,
/// exec) can get one: what to do instead.
pub fn code_hint_without_argument(env: &Env, profile: &str) -> String {
    format!(
        "set mfa_process in profile {profile}, or run `{}` in a terminal first",
        command_for(env, "mfa", profile)
    )
}

/// The generic way: `how` is the argument form (`awscred mfa 123456`).
pub fn code_hint(how: &str) -> String {
    format!("pass it: `{how}`, or set AWS_MFA_TOKEN_CODE or the profile's mfa_process")
}

/// A valid session for the profile: cached, or new from STS with a code from
/// `code` / `AWS_MFA_TOKEN_CODE` / `mfa_process` / the terminal. `hint` says
/// how to give a code when none can be had.
pub fn obtain(
    env: &Env,
    res: &Resolved,
    reuse: Reuse,
    code: Option<&str>,
    hint: String,
) -> Result<Credentials> {
    let source = CodeSource::of(prompt::preset_code(code, env)?, res, env, hint);
    let (cache, sts) = (cache(env)?, sts(env)?);
    let deps = Deps {
        cache: &cache,
        sts: &sts,
        now: &now,
    };
    session::obtain(res, &deps, reuse, |serial| source.get(serial))
}

/// What `export`, `credential-process` and `exec` hand out for a profile.
pub struct Handout {
    pub credentials: Issued,
    pub profile: String,
    /// The configured region, if any (exported with the credentials).
    pub region: Option<String>,
    /// The account of the credentials, when known.
    pub account_id: Option<String>,
}

impl Handout {
    /// What the exports say besides the credentials.
    pub fn about(&self, legacy: bool) -> About<'_> {
        About {
            profile: &self.profile,
            region: self.region.as_deref(),
            role: None,
            account_id: self.account_id.as_deref(),
            legacy,
        }
    }
}

/// What [`handout`] does for a profile with an MFA device and no valid session.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum NoSession {
    /// Fail with "run `awscred mfa`" (`export` never asks for a code).
    Fail,
    /// Get one, asking for a code (`credential-process`, `exec`).
    Obtain,
}

/// Where a profile's credentials come from, before any session is looked at.
enum Source {
    /// SSO, `aws login`, credential_process, web identity, or a stored
    /// session: what the AWS SDK or the profile itself gives, as it is.
    Given(Handout),
    /// Long-term keys, an MFA device, roles: awscred's own sessions.
    Resolved(Resolved),
}

fn source(env: &Env, profile: Option<&str>, login: crate::sso::Login) -> Result<Source> {
    let files = Files::load(env)?;
    let opts = Options {
        profile,
        ..Options::default()
    };
    let (name, _) = profile::profile_name(&opts, env)?;
    let given = |credentials| -> Result<Source> {
        let (region, configured) = profile::region(&files, env, name, None)?;
        Ok(Source::Given(Handout {
            credentials,
            profile: name.to_string(),
            region: configured.then_some(region),
            account_id: profile::sdk_account_id(&files, name)?,
        }))
    };
    if files.uses_sdk_chain(name) {
        let (region, _) = profile::region(&files, env, name, None)?;
        return given(crate::chain::profile_credentials(&crate::chain::Request {
            files: &files,
            env,
            profile: name,
            region: &region,
            sso: files.uses_sso(name),
            timeout: env.timeout()?,
            login,
        })?);
    }
    if let Some(stored) = profile::stored(&files, env, &opts)? {
        warn_if_stale(name, &stored.expiration);
        return given(stored.credentials);
    }
    Ok(Source::Resolved(profile::resolve(&files, env, &opts)?))
}

impl Handout {
    fn of(res: Resolved, credentials: Issued) -> Handout {
        Handout {
            credentials,
            region: res.region_configured.then(|| res.region.clone()),
            account_id: res.account_id(),
            profile: res.profile,
        }
    }
}

/// The credentials of a profile, in order: what the AWS SDK resolves (SSO,
/// `aws login`, credential_process, web identity) or a session stored in the
/// profile, as they are; its valid cached session; for a role profile, role
/// credentials (renewed ahead, and asking for a code only if the source has no
/// valid MFA session); a new MFA session or a failure, as `no_session` says;
/// for a profile without an MFA device, its long-term keys. A profile with an
/// MFA device never hands out its long-term keys.
pub fn handout(env: &Env, profile: Option<&str>, no_session: NoSession) -> Result<Handout> {
    // An SSO login is one more way to prompt: `export` never does.
    let login = match no_session {
        NoSession::Fail => crate::sso::Login::Never,
        NoSession::Obtain => crate::sso::Login::IfPossible,
    };
    let res = match source(env, profile, login)? {
        Source::Given(h) => return Ok(h),
        Source::Resolved(res) => res,
    };
    let (cache, sts) = (cache(env)?, sts(env)?);
    let deps = Deps {
        cache: &cache,
        sts: &sts,
        now: &now,
    };
    let credentials: Issued = match session::cached(&res, &deps) {
        Some(c) => c.into(),
        None if !res.roles.is_empty()
            || (no_session == NoSession::Obtain && res.mfa_serial.is_some()) =>
        {
            let hint = code_hint_without_argument(env, &res.profile);
            obtain(env, &res, Reuse::Cached, None, hint)?.into()
        }
        None if res.mfa_serial.is_none() => res.keys.issued()?,
        None => {
            return Err(fail(
                Kind::NoSession,
                format!(
                    "no valid session for profile {}: run `{}`",
                    res.profile,
                    command_for(env, "mfa", &res.profile)
                ),
            ))
        }
    };
    Ok(Handout::of(res, credentials))
}

/// What the credential server hands out: like [`handout`], but always a
/// session (a profile without an MFA device gets one without MFA, never its
/// long-term keys) with more than `min_left` seconds left when awscred can
/// get one: new role credentials from the cached MFA session, or a new MFA
/// session with a code from `code` (the first time), `mfa_process` or the
/// terminal. What the SDK or a stored session gives is handed out as it is.
pub fn lasting(
    env: &Env,
    profile: Option<&str>,
    min_left: i64,
    code: Option<&str>,
) -> Result<Handout> {
    let res = match source(env, profile, crate::sso::Login::IfPossible)? {
        Source::Given(h) => return Ok(h),
        Source::Resolved(res) => res,
    };
    let source = CodeSource::of(
        prompt::preset_code(code, env)?,
        &res,
        env,
        code_hint_without_argument(env, &res.profile),
    );
    let (cache, sts) = (cache(env)?, sts(env)?);
    let deps = Deps {
        cache: &cache,
        sts: &sts,
        now: &now,
    };
    let credentials = session::obtain_lasting(&res, &deps, Reuse::Cached, min_left, |serial| {
        source.get(serial)
    })?;
    Ok(Handout::of(res, credentials.into()))
}

/// One line when a profile's stored session has passed its expiration, or
/// records one awscred cannot read: it is handed out all the same.
fn warn_if_stale(profile: &str, expiration: &profile::Recorded) {
    match expiration {
        profile::Recorded::At(t) if *t <= now() => crate::error::report(&format!(
            "warning: the session stored in profile {profile} {} ({t}): AWS will refuse it; store a new one: `awscred mfa --write-profile {profile} --profile <the profile with your keys>`",
            t.left_at(now())
        )),
        profile::Recorded::Unreadable(origin) => crate::error::report(&format!(
            "warning: {origin}: the expiration is not a time awscred reads (RFC 3339, or YYYY-MM-DD HH:MM:SS in UTC), so the session is handed out without one"
        )),
        _ => {}
    }
}

/// `--write-profile NAME`: the session into section [NAME] of the credentials
/// file, under a lock kept in the cache directory (not beside the file).
pub fn write_profile(env: &Env, name: Option<&str>, creds: &Issued) -> Result<()> {
    let Some(name) = name else { return Ok(()) };
    let (Some(token), Some(expiration)) = (&creds.session_token, creds.expiration) else {
        let what = match creds.session_token {
            Some(_) => "these credentials record no expiration",
            None => "these are long-term keys",
        };
        return Err(fail(
            Kind::Input,
            format!("there is no session to write ({what}): --write-profile writes sessions with an expiration only"),
        ));
    };
    let session = Credentials {
        access_key_id: creds.access_key_id.clone(),
        secret_access_key: creds.secret_access_key.clone(),
        session_token: token.clone(),
        expiration,
    };
    let path = Files::credentials_path(env);
    let cache = cache(env)?;
    crate::credfile::write_profile(&path, cache.ensure_dir()?, name, &session)?;
    crate::error::report(&format!(
        "wrote the session to [{name}] in {} (expires {expiration})",
        profile::tilde(&path, env)
    ));
    Ok(())
}

/// The real STS client with the timeout from `AWSCRED_TIMEOUT` (seconds, default 10).
pub fn sts(env: &Env) -> Result<SdkSts> {
    Ok(SdkSts::new(env.timeout()?))
}

pub fn now() -> Timestamp {
    Timestamp::now()
}

pub fn cache(env: &Env) -> Result<Cache> {
    Cache::open(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_well() {
        assert_eq!(Timestamp(43_140).left_at(Timestamp(0)), "11h 59m left");
        assert_eq!(Timestamp(600).left_at(Timestamp(0)), "10m left");
        assert_eq!(Timestamp(0).left_at(Timestamp(200)), "expired 3m ago");
    }
}
