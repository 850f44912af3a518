//! From `~/.aws/config`, `~/.aws/credentials`, the environment and the flags to
//! one resolved profile. Precedence everywhere: flag > environment > file > default.
//!
//! `files.rs` reads the AWS files and walks `source_profile` chains,
//! `roles.rs` follows role profiles to their source, `keys.rs` finds the
//! long-term keys; the environment itself is `crate::env`.

mod files;
mod keys;
pub mod known;
mod roles;

use crate::env::Env;
pub use files::{File, Files, Hop, Setting, Source, Sources, MAX_FILE};
pub use keys::{Recorded, StoredSession};
pub use roles::{default_session_name, role};

use crate::credentials::LongTermKeys;
use crate::env::{
    AWSCRED_PROFILE, AWS_DEFAULT_PROFILE, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL,
    AWS_ENDPOINT_URL_STS, AWS_PROFILE, AWS_REGION,
};
use crate::error::{fail, Kind};
use crate::secret::Secret;
use crate::validate;
use anyhow::Result;
use keys::{base_keys, credential_source_keys, stored_session, KeysFrom};
use roles::{role_chain, Base};
use std::path::Path;

/// What the user typed that bears on resolution.
#[derive(Debug, Default, Clone)]
pub struct Options<'a> {
    pub profile: Option<&'a str>,
    pub serial_number: Option<&'a str>,
    pub duration_seconds: Option<u32>,
    pub region: Option<&'a str>,
}

/// Everything needed to get or find a session for one profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub profile: String,
    pub keys: LongTermKeys,
    pub mfa_serial: Option<String>,
    /// A command whose stdout is the current MFA code (`mfa_process` in the profile).
    /// May carry a TOTP seed or a token in its arguments.
    pub mfa_process: Option<Secret>,
    pub duration_seconds: Option<u32>,
    pub region: String,
    /// False when the region is only the built-in `us-east-1` fallback; then it is not exported.
    pub region_configured: bool,
    pub endpoint_url: Option<String>,
    /// The profile whose long-term keys are `keys`: the profile itself, or the
    /// end of its `source_profile` chain.
    pub base_profile: String,
    /// Roles to assume in turn, innermost first; empty for an MFA-session profile.
    pub roles: Vec<Role>,
    /// The profile's `aws_account_id`, when it sets one.
    pub configured_account: Option<String>,
    /// How to ask for a code: `AWSCRED_MFA_PROMPT`, else `mfa_prompt` (of
    /// the profile, else its source), else auto.
    pub mfa_prompt: crate::prompt::Mode,
}

/// A role to assume, from a profile with `role_arn`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub profile: String,
    pub arn: String,
    pub session_name: String,
    pub external_id: Option<String>,
    pub duration_seconds: Option<u32>,
    pub options: crate::sts::RoleOptions,
}

impl Resolved {
    /// The account the credentials belong to, when known: the account of the
    /// outermost role, else the profile's `aws_account_id`, else (for the
    /// user's own MFA session) the account of the MFA device's ARN.
    pub fn account_id(&self) -> Option<String> {
        if let Some(role) = self.roles.last() {
            return validate::arn_account(&role.arn).map(str::to_string);
        }
        self.configured_account.clone().or_else(|| {
            self.mfa_serial
                .as_deref()
                .and_then(validate::arn_account)
                .map(str::to_string)
        })
    }

    /// The MFA session of the base profile that the roles are assumed with.
    pub fn base_session(&self) -> Resolved {
        Resolved {
            profile: self.base_profile.clone(),
            roles: Vec::new(),
            ..self.clone()
        }
    }
}

pub const DEFAULT_REGION: &str = "us-east-1";

/// The profile a command acts on, and where that choice came from (`None`
/// for the implicit `default`): `--profile`, then `AWS_PROFILE`, then
/// `AWS_DEFAULT_PROFILE`, as for the AWS CLI, then the profile of the awscred
/// session in this shell (`AWSCRED_PROFILE`), so that a bare `awscred mfa
/// --force` in a shell that ran `awscred mfa --profile lab` renews lab's.
pub fn profile_name<'a>(
    opts: &Options<'a>,
    env: &'a Env,
) -> Result<(&'a str, Option<&'static str>)> {
    let chosen = opts
        .profile
        .map(|p| (p, "--profile"))
        .or_else(|| env.aws_profile().map(|p| (p, AWS_PROFILE)))
        .or_else(|| env.aws_default_profile().map(|p| (p, AWS_DEFAULT_PROFILE)))
        .or_else(|| env.awscred_profile().map(|p| (p, AWSCRED_PROFILE)));
    match chosen {
        Some((p, origin)) => Ok((validate::profile_name(p, origin)?, Some(origin))),
        None => Ok(("default", None)),
    }
}

/// The session the profile `opts` picks keeps in its own keys, if any: see
/// [`StoredSession`]. Such a profile cannot be resolved (its keys sign nothing).
pub fn stored(files: &Files, env: &Env, opts: &Options) -> Result<Option<StoredSession>> {
    let (profile, _) = profile_name(opts, env)?;
    stored_session(files, env, profile, opts.profile.is_some())
}

pub fn resolve(files: &Files, env: &Env, opts: &Options) -> Result<Resolved> {
    let (profile, origin) = profile_name(opts, env)?;
    let exists = files.has_profile(profile);
    if let (Some(origin), false) = (origin, exists) {
        // Written in the other file's form: say where and how to write it.
        if let Some(there) = files.misplaced(profile) {
            return Err(fail(
                Kind::Input,
                format!("unknown profile `{profile}`: {there}"),
            ));
        }
        let known = files.profile_names();
        let known = if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        };
        return Err(fail(
            Kind::Input,
            format!(
                "unknown profile `{profile}` (known profiles: {known}): check {origin}, or add it to {}",
                files.credentials.path.display()
            ),
        ));
    }

    let (mut roles, base) = role_chain(files, profile)?;
    let keys = match base {
        // Without --profile, long-term keys in the environment come first, as for the SDKs.
        Base::Profile(p) if roles.is_empty() && opts.profile.is_none() => {
            base_keys(files, env, p, KeysFrom::EnvironmentFirst)?
        }
        // Named with --profile, or a role's source: its own keys, never the environment's.
        Base::Profile(p) => base_keys(files, env, p, KeysFrom::Profile)?,
        Base::Environment => credential_source_keys(env)?,
    };
    let base_profile = match base {
        Base::Profile(p) => p,
        Base::Environment => profile,
    };
    // Settings of the profile, else (for a role profile) of its source.
    let setting = |key: &str| {
        files
            .get(profile, key)
            .or_else(|| files.get(base_profile, key))
    };

    let mfa_serial = match opts.serial_number.or_else(|| env.aws_mfa_serial_number()) {
        Some(s) => {
            Some(validate::serial(s, "--serial-number / AWS_MFA_SERIAL_NUMBER")?.to_string())
        }
        None => match setting("mfa_serial") {
            Some(s) => Some(validate::serial(s.value, &s.origin)?.to_string()),
            None => None,
        },
    };

    // GetSessionToken's duration: for a role profile, the source's setting (the
    // flag and the role profile's own duration_seconds are the role's).
    let session_duration = match (opts.duration_seconds, roles.is_empty()) {
        (Some(d), true) => Some(validate::session_duration(d, "--duration-seconds")?),
        _ => match files.get(base_profile, "duration_seconds") {
            Some(s) => Some(validate::session_duration(parse_seconds(&s)?, &s.origin)?),
            None => None,
        },
    };
    if let (Some(d), Some(outer)) = (opts.duration_seconds, roles.last_mut()) {
        outer.duration_seconds = Some(validate::role_duration(d, "--duration-seconds")?);
    }

    let (region, region_configured) = region(files, env, profile, opts.region)?;

    Ok(Resolved {
        profile: profile.to_string(),
        keys,
        mfa_serial,
        mfa_process: setting("mfa_process").map(|s| s.value.into()),
        duration_seconds: session_duration,
        region,
        region_configured,
        endpoint_url: endpoint_url(files, env, profile)?,
        base_profile: base_profile.to_string(),
        roles,
        configured_account: account_setting(files, profile)?,
        mfa_prompt: match env.awscred_mfa_prompt().filter(|v| !v.is_empty()) {
            Some(v) => crate::prompt::Mode::parse(v, crate::env::AWSCRED_MFA_PROMPT)?,
            None => match setting("mfa_prompt") {
                Some(s) => crate::prompt::Mode::parse(s.value, &s.origin)?,
                None => crate::prompt::Mode::Auto,
            },
        },
    })
}

/// The profile's `aws_account_id` (the SDKs' setting for account-based endpoints).
fn account_setting(files: &Files, profile: &str) -> Result<Option<String>> {
    match files.get(profile, "aws_account_id") {
        Some(s) if validate::is_account_id(s.value) => Ok(Some(s.value.to_string())),
        Some(s) => Err(fail(
            Kind::Input,
            format!("{}: aws_account_id must be 12 digits", s.origin),
        )),
        None => Ok(None),
    }
}

/// The account of a profile the AWS SDK resolves: its `aws_account_id`, else
/// the account of its role, else the SSO account at the end of its chain.
pub fn sdk_account_id(files: &Files, profile: &str) -> Result<Option<String>> {
    if let Some(a) = account_setting(files, profile)? {
        return Ok(Some(a));
    }
    if let Some(a) = files
        .get(profile, "role_arn")
        .and_then(|arn| validate::arn_account(arn.value).map(str::to_string))
    {
        return Ok(Some(a));
    }
    Ok(files
        .sources(profile)
        .map_while(Result::ok)
        .find_map(|hop| files.get(hop.profile, "sso_account_id"))
        .map(|s| s.value)
        .filter(|a| validate::is_account_id(a))
        .map(str::to_string))
}

/// Region: flag > `AWS_REGION` > `AWS_DEFAULT_REGION` > the profile's > us-east-1,
/// and whether it was configured (the fallback is not exported).
pub fn region(
    files: &Files,
    env: &Env,
    profile: &str,
    flag: Option<&str>,
) -> Result<(String, bool)> {
    let found = flag
        .map(|r| (r, "--region".to_string()))
        .or_else(|| env.aws_region().map(|r| (r, AWS_REGION.into())))
        .or_else(|| {
            env.aws_default_region()
                .map(|r| (r, AWS_DEFAULT_REGION.into()))
        })
        .or_else(|| files.get(profile, "region").map(|s| (s.value, s.origin)));
    match found {
        Some((r, origin)) => Ok((validate::region(r, &origin)?.to_string(), true)),
        None => Ok((DEFAULT_REGION.to_string(), false)),
    }
}

pub(super) fn parse_seconds(s: &Setting) -> Result<u32> {
    s.value.parse::<u32>().map_err(|_| {
        fail(
            Kind::Input,
            format!(
                "{}: duration_seconds `{}` is not a whole number of seconds",
                s.origin, s.value
            ),
        )
    })
}

/// The STS endpoint override, following the SDKs' rules: `AWS_ENDPOINT_URL_STS` >
/// `AWS_ENDPOINT_URL` > the profile's `services` block > its `endpoint_url`, all
/// off when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` / `ignore_configured_endpoint_urls` is true.
pub fn endpoint_url(files: &Files, env: &Env, profile: &str) -> Result<Option<String>> {
    let own = env
        .aws_endpoint_url_sts()
        .map(|u| (u, AWS_ENDPOINT_URL_STS.to_string()));
    service_endpoint_url(files, env, profile, "sts", own)
}

/// The IAM endpoint override (`rotate`), by the same rules as [`endpoint_url`]
/// with `AWS_ENDPOINT_URL_IAM` and `iam.endpoint_url` in a `services` block.
pub fn iam_endpoint_url(files: &Files, env: &Env, profile: &str) -> Result<Option<String>> {
    let own = env
        .aws_endpoint_url_iam()
        .map(|u| (u, crate::env::AWS_ENDPOINT_URL_IAM.to_string()));
    service_endpoint_url(files, env, profile, "iam", own)
}

/// A service's endpoint by the SDKs' rules: `var` (`AWS_ENDPOINT_URL_<ID>`),
/// `AWS_ENDPOINT_URL`, the profile's `services` block, its `endpoint_url`.
pub fn service_url(
    files: &Files,
    env: &Env,
    profile: &str,
    service: &str,
    own: Option<&str>,
    var: &str,
) -> Result<Option<String>> {
    service_endpoint_url(
        files,
        env,
        profile,
        service,
        own.map(|u| (u, var.to_string())),
    )
}

fn service_endpoint_url(
    files: &Files,
    env: &Env,
    profile: &str,
    service: &str,
    own: Option<(&str, String)>,
) -> Result<Option<String>> {
    let truthy = |v: Option<&str>| v.is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if truthy(env.aws_ignore_configured_endpoint_urls())
        || truthy(
            files
                .get(profile, "ignore_configured_endpoint_urls")
                .map(|s| s.value),
        )
    {
        return Ok(None);
    }
    let url = own
        .or_else(|| {
            env.aws_endpoint_url()
                .map(|u| (u, AWS_ENDPOINT_URL.to_string()))
        })
        .or_else(|| {
            let services = files.get(profile, "services")?;
            let url = files.service_setting(services.value, &format!("{service}.endpoint_url"))?;
            Some((
                url,
                format!("{} (services {})", services.origin, services.value),
            ))
        })
        .or_else(|| {
            files
                .get(profile, "endpoint_url")
                .map(|s| (s.value, s.origin))
        });
    match url {
        Some((u, origin)) => Ok(Some(validate::endpoint_url(u, &origin)?.to_string())),
        None => Ok(None),
    }
}

/// For messages: a path with the home directory shown as `~`.
pub fn tilde(path: &Path, env: &Env) -> String {
    match env
        .home()
        .and_then(|h| path.strip_prefix(h).ok().map(Path::to_path_buf))
    {
        Some(rest) => format!("~/{}", rest.display()),
        None => path.display().to_string(),
    }
}

#[cfg(test)]
mod suite;
#[cfg(test)]
mod tests;

impl<'a> crate::prompt::CodeSource<'a> {
    /// The code sources of `res`'s profile: its `mfa_process` and prompt mode
    /// (here, beside `Resolved`, so that `prompt` needs nothing of `profile`).
    pub fn of(
        preset: crate::prompt::Preset,
        res: &'a Resolved,
        env: &'a Env,
        hint: String,
    ) -> Self {
        crate::prompt::CodeSource {
            preset,
            mfa_process: res.mfa_process.as_ref(),
            hint,
            profile: &res.profile,
            mode: res.mfa_prompt,
            env,
        }
    }
}
