//! From `~/.aws/config`, `~/.aws/credentials`, the environment and the flags to
//! one resolved profile. Precedence everywhere: flag > environment > file > default.

use crate::credentials::{is_temporary_key_id, LongTermKeys};
pub use crate::env::Env;
use crate::env::{
    AWS_DEFAULT_PROFILE, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_STS, AWS_PROFILE,
    AWS_REGION,
};
use crate::error::{fail, Kind};
use crate::fsafe::{self, Found};
use crate::ini::{self, Doc};
use crate::secret::Secret;
use crate::validate;
use anyhow::Result;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One checked file: where it is and its sections (none when it does not exist).
#[derive(Debug)]
pub struct File {
    pub path: PathBuf,
    /// Over the file's text, which is read once and lives as long as the
    /// process (see [`File::parse`]).
    doc: Doc<'static>,
}

/// The AWS files are read whole; none is anywhere near this.
pub const MAX_FILE: u64 = 16 * 1024 * 1024;

impl File {
    fn load(path: PathBuf) -> Result<File> {
        let text = match fsafe::read_path(&path, MAX_FILE)? {
            Found::File(bytes) => ini::utf8(bytes, &path)?,
            Found::Missing => String::new(),
            Found::Refused(why) => {
                return Err(fail(
                    Kind::Input,
                    format!(
                        "cannot read {}: {why} (at most 16 MiB): point AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE at your AWS file",
                        path.display()
                    ),
                ))
            }
        };
        File::parse(path, text)
    }

    /// Checks `text` as the file at `path`. awscred reads each file once and
    /// exits soon after: keeping the text for the whole process lets every
    /// section and value borrow it, so a file of 5,000 profiles costs one pass
    /// and no copies.
    pub fn parse(path: PathBuf, text: String) -> Result<File> {
        let text: &'static str = Box::leak(text.into_boxed_str());
        let doc = Doc::parse(text).map_err(|e| {
            fail(
                Kind::Input,
                format!("{}:{}: {}", path.display(), e.line, e.message),
            )
        })?;
        Ok(File { path, doc })
    }

    /// Setting `key` of the `i`th section. A value that had to be built (from
    /// continuation lines) is kept for the process like the text it came from.
    fn get(&self, i: usize, key: &str) -> Option<Setting<'static>> {
        let p = self
            .doc
            .section(i)
            .properties
            .into_iter()
            .find(|p| p.key == key)?;
        let value: &'static str = match p.value {
            Cow::Borrowed(v) => v,
            Cow::Owned(v) => Box::leak(v.into_boxed_str()),
        };
        Some(Setting {
            value,
            origin: format!("{}:{}", self.path.display(), p.line),
        })
    }
}

/// Both AWS files, with their sections indexed by profile name, so every
/// lookup costs the same however many profiles there are.
#[derive(Debug)]
pub struct Files {
    pub config: File,
    pub credentials: File,
    /// Profile name → config section, for headers spelt other than
    /// `[profile NAME]` (`[profile  NAME]`, tabs): the regular ones are found
    /// through the file's own index, and the credentials file's sections are
    /// named after their profile.
    irregular: HashMap<&'static str, usize>,
    /// `services NAME` (spaces normalised) → its config section.
    services_index: HashMap<String, usize>,
}

/// A setting's value and where it came from (`/home/me/.aws/config:12`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<'a> {
    pub value: &'a str,
    pub origin: String,
}

impl Files {
    pub fn load(env: &Env) -> Result<Files> {
        Ok(Files::new(
            File::load(Self::config_path(env))?,
            File::load(Self::credentials_path(env))?,
        ))
    }

    /// Indexes the two files as the AWS CLI reads them: the first section of a
    /// name counts, and `[profile default]` beats `[default]`.
    pub fn new(config: File, credentials: File) -> Files {
        let mut irregular = HashMap::new();
        let mut services_index = HashMap::new();
        for (i, name) in config.doc.names().enumerate() {
            let regular = name
                .strip_prefix("profile ")
                .is_some_and(|p| !p.is_empty() && !p.contains(char::is_whitespace));
            if name != "default" && !regular {
                if let Some(profile) = config_profile_name(name) {
                    irregular.entry(profile).or_insert(i);
                }
            }
            if name.starts_with("services") {
                let words: Vec<&str> = name.split_whitespace().collect();
                if words.first() == Some(&"services") {
                    services_index.entry(words.join(" ")).or_insert(i);
                }
            }
        }
        Files {
            config,
            credentials,
            irregular,
            services_index,
        }
    }

    /// `AWS_CONFIG_FILE`, else `~/.aws/config`.
    pub fn config_path(env: &Env) -> PathBuf {
        aws_file(env, env.aws_config_file(), "config")
    }

    /// `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
    pub fn credentials_path(env: &Env) -> PathBuf {
        aws_file(env, env.aws_shared_credentials_file(), "credentials")
    }

    /// The config section of profile `name`: the first `[profile NAME]`
    /// however spaced, else `[default]` for `default`.
    fn config_section(&self, name: &str) -> Option<usize> {
        let regular = self.config.doc.position(&format!("profile {name}"));
        let first = match (regular, self.irregular.get(name)) {
            (Some(a), Some(&b)) => Some(a.min(b)),
            (a, b) => a.or(b.copied()),
        };
        first.or_else(|| {
            (name == "default")
                .then(|| self.config.doc.position("default"))
                .flatten()
        })
    }

    pub fn has_profile(&self, name: &str) -> bool {
        self.config_section(name).is_some() || self.credentials.doc.position(name).is_some()
    }

    /// Every profile named in either file, sorted.
    pub fn profile_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .config
            .doc
            .names()
            .filter_map(config_profile_name)
            .chain(self.credentials.doc.names())
            .map(str::to_string)
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// A profile setting; the credentials file wins over the config file, as in the AWS CLI.
    pub fn get(&self, profile: &str, key: &str) -> Option<Setting<'static>> {
        let credentials = self.credentials.doc.position(profile);
        credentials
            .and_then(|i| self.credentials.get(i, key))
            .or_else(|| self.config.get(self.config_section(profile)?, key))
    }

    /// A sub-property of a `[services NAME]` section, e.g. `sts.endpoint_url`.
    fn service_setting(&self, services: &str, key: &str) -> Option<&'static str> {
        let i = self.services_index.get(&format!("services {services}"))?;
        self.config.get(*i, key).map(|s| s.value)
    }
}

impl Files {
    /// A profile awscred leaves to the AWS SDK: its `source_profile` chain ends
    /// in SSO, `credential_process` or web identity, and no profile on the way
    /// has long-term keys or an MFA device (those awscred serves itself).
    /// Covers a role assumed from an SSO profile and `role_arn` +
    /// `web_identity_token_file`. A loop is left to `resolve`, which names it.
    pub fn uses_sdk_chain(&self, profile: &str) -> bool {
        for hop in self.sources(profile) {
            let Ok(hop) = hop else { return false };
            let has = |k: &str| self.get(hop.profile, k).is_some();
            if has("aws_access_key_id") || has("mfa_serial") {
                return false;
            }
            let sdk = [
                "sso_session",
                "sso_start_url",
                "credential_process",
                "web_identity_token_file",
            ];
            if sdk.iter().any(|k| has(k)) {
                return true;
            }
            if !has("role_arn") {
                return false;
            }
        }
        false
    }

    /// The profile, or the end of its `source_profile` chain, uses IAM Identity Center.
    pub fn uses_sso(&self, profile: &str) -> bool {
        self.sources(profile).map_while(Result::ok).any(|hop| {
            self.get(hop.profile, "sso_session").is_some()
                || self.get(hop.profile, "sso_start_url").is_some()
        })
    }

    /// The profiles along `source_profile` from `profile`, each once: the one
    /// walk of the chain, with the one loop guard, for every reader of it.
    pub fn sources<'f>(&'f self, profile: &'f str) -> Sources<'f> {
        Sources {
            files: self,
            path: Vec::new(),
            next: Some(profile),
        }
    }
}

/// A profile on a `source_profile` chain and where it points.
#[derive(Debug)]
pub struct Hop<'f> {
    pub profile: &'f str,
    pub source: Source,
}

/// A profile's `source_profile`.
#[derive(Debug)]
pub enum Source {
    None,
    /// The profile itself (allowed when it holds keys).
    Itself(Setting<'static>),
    Other(Setting<'static>),
}

/// See [`Files::sources`]. Ends after a profile without `source_profile` or
/// naming itself; a profile met twice is an error naming the loop, after which
/// the walk ends. Whether a named profile exists is the caller's question.
pub struct Sources<'f> {
    files: &'f Files,
    path: Vec<&'f str>,
    next: Option<&'f str>,
}

impl<'f> Iterator for Sources<'f> {
    type Item = Result<Hop<'f>>;

    fn next(&mut self) -> Option<Self::Item> {
        let profile = self.next.take()?;
        self.path.push(profile);
        let source = match self.files.get(profile, "source_profile") {
            None => Source::None,
            Some(s) if s.value == profile => Source::Itself(s),
            Some(s) if self.path.contains(&s.value) => {
                return Some(Err(fail(
                    Kind::Input,
                    format!(
                        "{}: source_profile loop: {} → {}: point one of them at a profile with credentials",
                        s.origin,
                        self.path.join(" → "),
                        s.value
                    ),
                )));
            }
            Some(s) => {
                self.next = Some(s.value);
                Source::Other(s)
            }
        };
        Some(Ok(Hop { profile, source }))
    }
}

fn aws_file(env: &Env, set: Option<&str>, default: &str) -> PathBuf {
    match set {
        Some(p) => env.expand(p),
        None => env.home().unwrap_or_default().join(".aws").join(default),
    }
}

/// `default` → default, `profile  x` → x, anything else (sso-session, services) → None.
fn config_profile_name(section: &str) -> Option<&str> {
    let mut words = section.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some("default"), None, _) => Some("default"),
        (Some("profile"), Some(name), None) => Some(name),
        _ => None,
    }
}

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
}

/// A role to assume, from a profile with `role_arn`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub profile: String,
    pub arn: String,
    pub session_name: String,
    pub external_id: Option<String>,
    pub duration_seconds: Option<u32>,
}

impl Resolved {
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

/// The profile name and whether the user chose it (flag or env) or it is the implicit default.
pub fn profile_name<'a>(opts: &Options<'a>, env: &'a Env) -> Result<(&'a str, bool)> {
    let chosen = opts
        .profile
        .map(|p| (p, "--profile"))
        .or_else(|| env.aws_profile().map(|p| (p, AWS_PROFILE)))
        .or_else(|| env.aws_default_profile().map(|p| (p, AWS_DEFAULT_PROFILE)));
    match chosen {
        Some((p, origin)) => Ok((validate::profile_name(p, origin)?, true)),
        None => Ok(("default", false)),
    }
}

pub fn resolve(files: &Files, env: &Env, opts: &Options) -> Result<Resolved> {
    let (profile, chosen) = profile_name(opts, env)?;
    let exists = files.has_profile(profile);
    if chosen && !exists {
        let known = files.profile_names();
        let known = if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        };
        return Err(fail(
            Kind::Input,
            format!(
                "unknown profile `{profile}` (known profiles: {known}): check --profile / AWS_PROFILE, or add it to {}",
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
    })
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

fn parse_seconds(s: &Setting) -> Result<u32> {
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

/// Where a role chain's long-term keys come from.
#[derive(Debug, Clone, Copy)]
enum Base<'a> {
    Profile(&'a str),
    /// `credential_source = Environment`.
    Environment,
}

/// Follows `role_arn` / `source_profile` from `profile` to the profile with
/// long-term keys. Returns the roles innermost first (the one assumed first).
fn role_chain<'a>(files: &'a Files, profile: &'a str) -> Result<(Vec<Role>, Base<'a>)> {
    let mut roles = Vec::new();
    let mut base = Base::Profile(profile);
    for hop in files.sources(profile) {
        let hop = hop?;
        let current = hop.profile;
        base = Base::Profile(current);
        let Some(arn) = files.get(current, "role_arn") else {
            break;
        };
        roles.push(role(files, current, &arn)?);
        match (hop.source, files.get(current, "credential_source")) {
            // A profile may hold keys and name itself as its source.
            (Source::Itself(_), None) => break,
            (Source::Other(s), None) => {
                if !files.has_profile(s.value) {
                    return Err(fail(Kind::Input, format!("{}: source_profile `{}` does not exist: add it or fix the name", s.origin, s.value)));
                }
            }
            (Source::None, Some(c)) if c.value == "Environment" => {
                base = Base::Environment;
                break;
            }
            (Source::None, Some(c)) => {
                return Err(fail(
                    Kind::Input,
                    format!(
                        "{}: credential_source = {} is not supported by awscred (only Environment is): use source_profile with an IAM user's keys",
                        c.origin, c.value
                    ),
                ))
            }
            (Source::Itself(s) | Source::Other(s), Some(_)) => {
                return Err(fail(Kind::Input, format!("{}: profile `{current}` sets both source_profile and credential_source: keep one", s.origin)))
            }
            (Source::None, None) => {
                return Err(fail(Kind::Input, format!("{}: profile `{current}` has role_arn but no source_profile: add `source_profile = NAME`", arn.origin)))
            }
        }
    }
    roles.reverse();
    Ok((roles, base))
}

fn role(files: &Files, profile: &str, arn: &Setting) -> Result<Role> {
    let duration_seconds = match files.get(profile, "duration_seconds") {
        Some(s) => Some(validate::role_duration(parse_seconds(&s)?, &s.origin)?),
        None => None,
    };
    let session_name = match files.get(profile, "role_session_name") {
        Some(s) => validate::session_name(s.value, &s.origin)?.to_string(),
        None => default_session_name(profile),
    };
    let external_id = match files.get(profile, "external_id") {
        Some(s) => Some(validate::external_id(s.value, &s.origin)?.to_string()),
        None => None,
    };
    Ok(Role {
        profile: profile.to_string(),
        arn: validate::role_arn(arn.value, &arn.origin)?.to_string(),
        session_name,
        external_id,
        duration_seconds,
    })
}

/// `awscred-PROFILE`, within STS's `[\w+=,.@-]{2,64}`.
pub fn default_session_name(profile: &str) -> String {
    let clean: String = profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("awscred-{clean}").chars().take(64).collect()
}

/// Where [`base_keys`] looks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeysFrom {
    /// Long-term keys in the environment, else the profile's.
    EnvironmentFirst,
    /// The profile's only.
    Profile,
}

/// The keys in the environment, as awscred may use them.
enum EnvKeys {
    None,
    /// A session (a token, or an `ASIA…` id): never used to sign.
    Temporary,
    LongTerm(LongTermKeys),
}

/// The one rule for keys in the environment: long-term only without a
/// session token and without a temporary key id.
fn env_keys(env: &Env) -> Result<EnvKeys> {
    let (Some(id), Some(secret)) = (env.aws_access_key_id(), env.aws_secret_access_key()) else {
        return Ok(EnvKeys::None);
    };
    if env.aws_session_token().is_some() || is_temporary_key_id(id) {
        return Ok(EnvKeys::Temporary);
    }
    validate::long_term_keys(id, secret, "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY")?;
    Ok(EnvKeys::LongTerm(LongTermKeys {
        access_key_id: id.to_string(),
        secret_access_key: secret.into(),
        origin: "the environment (AWS_ACCESS_KEY_ID)".into(),
    }))
}

/// `credential_source = Environment`: long-term keys from the environment.
fn credential_source_keys(env: &Env) -> Result<LongTermKeys> {
    match env_keys(env)? {
        EnvKeys::LongTerm(keys) => Ok(keys),
        _ => Err(fail(
            Kind::Input,
            "credential_source = Environment needs long-term AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment (no session token)",
        )),
    }
}

/// The long-term keys STS calls are signed with. Temporary credentials are never
/// used: a shell that ran `eval "$(awscred mfa)"` has session keys in its
/// environment, and signing GetSessionToken with them fails.
fn base_keys(files: &Files, env: &Env, profile: &str, from: KeysFrom) -> Result<LongTermKeys> {
    let mut ignored_env = false;
    if from == KeysFrom::EnvironmentFirst {
        match env_keys(env)? {
            EnvKeys::LongTerm(keys) => return Ok(keys),
            EnvKeys::Temporary => ignored_env = true,
            EnvKeys::None => {}
        }
    }
    let hint = if ignored_env {
        " (the AWS_* keys in the environment are temporary and were ignored)"
    } else {
        ""
    };
    if !files.has_profile(profile) {
        return Err(fail(
            Kind::Input,
            format!(
                "no credentials: profile `{profile}` is not in {} or {}{hint}: run `aws configure` or pass --profile",
                files.config.path.display(),
                files.credentials.path.display()
            ),
        ));
    }
    let id = files.get(profile, "aws_access_key_id");
    let secret = files.get(profile, "aws_secret_access_key");
    let (Some(id), Some(secret)) = (id, secret) else {
        return Err(fail(
            Kind::Input,
            format!(
                "profile `{profile}` has no long-term keys{hint}: add aws_access_key_id and aws_secret_access_key to its section in {}",
                files.credentials.path.display()
            ),
        ));
    };
    if files.get(profile, "aws_session_token").is_some() || is_temporary_key_id(id.value) {
        return Err(fail(
            Kind::Input,
            format!(
                "profile `{profile}` holds temporary credentials ({}){hint}: awscred needs the IAM user's long-term access key there",
                id.origin
            ),
        ));
    }
    validate::long_term_keys(id.value, secret.value, &id.origin)?;
    Ok(LongTermKeys {
        access_key_id: id.value.to_string(),
        secret_access_key: secret.value.into(),
        origin: format!("profile {profile} ({})", id.origin),
    })
}

/// The STS endpoint override, following the SDKs' rules: `AWS_ENDPOINT_URL_STS` >
/// `AWS_ENDPOINT_URL` > the profile's `services` block > its `endpoint_url`, all
/// off when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` / `ignore_configured_endpoint_urls` is true.
pub fn endpoint_url(files: &Files, env: &Env, profile: &str) -> Result<Option<String>> {
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
    let url = (env
        .aws_endpoint_url_sts()
        .map(|u| (u, AWS_ENDPOINT_URL_STS.to_string())))
    .or_else(|| {
        env.aws_endpoint_url()
            .map(|u| (u, AWS_ENDPOINT_URL.to_string()))
    })
    .or_else(|| {
        let services = files.get(profile, "services")?;
        let url = files.service_setting(services.value, "sts.endpoint_url")?;
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
mod tests {
    use super::*;
    use crate::error::kind_of;

    fn files(config: &str, credentials: &str) -> Files {
        let f = |p: &str, t: &str| File::parse(PathBuf::from(p), t.to_string()).unwrap();
        Files::new(
            f("/h/.aws/config", config),
            f("/h/.aws/credentials", credentials),
        )
    }

    const CONFIG: &str = "[default]\nregion = eu-west-1\n[profile work]\nmfa_serial = arn:aws:iam::111111111111:mfa/me\nduration_seconds = 7200\nregion = eu-central-1\n[profile nokeys]\nregion = us-west-2\n[profile temp]\n[sso-session x]\n";
    const CREDS: &str = "[default]\naws_access_key_id = AKIADEFAULT000000000\naws_secret_access_key = sd\n[work]\naws_access_key_id = AKIAWORK000000000000\naws_secret_access_key = sw\n[temp]\naws_access_key_id = ASIATEMP\naws_secret_access_key = st\naws_session_token = tok\n";

    fn resolve_with(env: &[(&str, &str)], opts: Options) -> Result<Resolved> {
        resolve(
            &files(CONFIG, CREDS),
            &Env::from_pairs(env.iter().copied()),
            &opts,
        )
    }

    #[test]
    fn profile_precedence_flag_env_default() {
        let env = Env::from_pairs([("AWS_PROFILE", "a"), ("AWS_DEFAULT_PROFILE", "b")]);
        assert_eq!(
            profile_name(
                &Options {
                    profile: Some("f"),
                    ..Default::default()
                },
                &env
            )
            .unwrap(),
            ("f", true)
        );
        assert_eq!(
            profile_name(&Options::default(), &env).unwrap(),
            ("a", true)
        );
        let env = Env::from_pairs([("AWS_PROFILE", ""), ("AWS_DEFAULT_PROFILE", "b")]);
        assert_eq!(
            profile_name(&Options::default(), &env).unwrap(),
            ("b", true)
        );
        assert_eq!(
            profile_name(&Options::default(), &Env::default()).unwrap(),
            ("default", false)
        );
    }

    #[test]
    fn profile_settings_come_from_both_files() {
        let r = resolve_with(&[("AWS_PROFILE", "work")], Options::default()).unwrap();
        assert_eq!(r.profile, "work");
        assert_eq!(r.keys.access_key_id, "AKIAWORK000000000000");
        assert_eq!(
            r.mfa_serial.as_deref(),
            Some("arn:aws:iam::111111111111:mfa/me")
        );
        assert_eq!(r.duration_seconds, Some(7200));
        assert_eq!(
            (r.region.as_str(), r.region_configured),
            ("eu-central-1", true)
        );
        assert_eq!(r.endpoint_url, None);
    }

    #[test]
    fn flags_beat_env_beat_files() {
        let env = [
            ("AWS_PROFILE", "work"),
            ("AWS_MFA_SERIAL_NUMBER", "arn:aws:iam::2:mfa/env"),
            ("AWS_REGION", "ap-south-1"),
            ("AWS_DEFAULT_REGION", "sa-east-1"),
        ];
        let r = resolve_with(&env, Options::default()).unwrap();
        assert_eq!(r.mfa_serial.as_deref(), Some("arn:aws:iam::2:mfa/env"));
        assert_eq!(r.region, "ap-south-1");
        let opts = Options {
            serial_number: Some("arn:aws:iam::3:mfa/flag"),
            duration_seconds: Some(900),
            region: Some("us-west-1"),
            ..Default::default()
        };
        let r = resolve_with(&env, opts).unwrap();
        assert_eq!(r.mfa_serial.as_deref(), Some("arn:aws:iam::3:mfa/flag"));
        assert_eq!(r.duration_seconds, Some(900));
        assert_eq!(r.region, "us-west-1");
        let r = resolve_with(&[("AWS_DEFAULT_REGION", "sa-east-1")], Options::default()).unwrap();
        assert_eq!(r.region, "sa-east-1");
    }

    #[test]
    fn region_falls_back_to_us_east_1_unexported() {
        let f = files(
            "",
            "[default]\naws_access_key_id = AKIA1000000000000000\naws_secret_access_key = s\n",
        );
        let r = resolve(&f, &Env::default(), &Options::default()).unwrap();
        assert_eq!(
            (r.region.as_str(), r.region_configured),
            ("us-east-1", false)
        );
    }

    #[test]
    fn long_term_env_keys_are_the_base_without_a_profile_flag() {
        let env = [
            ("AWS_ACCESS_KEY_ID", "AKIAENV0000000000000"),
            ("AWS_SECRET_ACCESS_KEY", "se"),
            ("AWS_PROFILE", "work"),
        ];
        assert_eq!(
            resolve_with(&env, Options::default())
                .unwrap()
                .keys
                .access_key_id,
            "AKIAENV0000000000000"
        );
        let opts = Options {
            profile: Some("work"),
            ..Default::default()
        };
        assert_eq!(
            resolve_with(&env, opts).unwrap().keys.access_key_id,
            "AKIAWORK000000000000"
        );
    }

    #[test]
    fn session_keys_in_env_are_ignored() {
        for env in [
            vec![
                ("AWS_ACCESS_KEY_ID", "ASIASESSION"),
                ("AWS_SECRET_ACCESS_KEY", "x"),
                ("AWS_SESSION_TOKEN", "t"),
            ],
            vec![
                ("AWS_ACCESS_KEY_ID", "AKIALOOKSLONG0000000"),
                ("AWS_SECRET_ACCESS_KEY", "x"),
                ("AWS_SESSION_TOKEN", "t"),
            ],
            vec![
                ("AWS_ACCESS_KEY_ID", "ASIANOTOKEN"),
                ("AWS_SECRET_ACCESS_KEY", "x"),
            ],
        ] {
            let r = resolve_with(&env, Options::default()).unwrap();
            assert_eq!(r.keys.access_key_id, "AKIADEFAULT000000000", "{env:?}");
        }
    }

    #[test]
    fn only_temporary_credentials_is_an_error() {
        let env = [
            ("AWS_ACCESS_KEY_ID", "ASIA1"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
            ("AWS_SESSION_TOKEN", "t"),
        ];
        let e = resolve(&files("", ""), &Env::from_pairs(env), &Options::default()).unwrap_err();
        assert!(e.to_string().contains("temporary and were ignored"), "{e}");
        let e = resolve_with(
            &[],
            Options {
                profile: Some("temp"),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("holds temporary credentials"), "{e}");
        assert_eq!(kind_of(&e), Kind::Input);
    }

    #[test]
    fn debug_output_never_holds_a_secret() {
        let env = [
            ("AWS_SECRET_ACCESS_KEY", "envSECRETenvSECRET"),
            ("AWS_PROFILE", "work"),
        ];
        let f = files(
            "[profile work]\nmfa_serial = arn:aws:iam::1:mfa/me\nmfa_process = oathtool --totp SEEDSEEDSEED\n",
            "[work]\naws_access_key_id = AKIAWORKWORKWORK\naws_secret_access_key = fileSECRETfileSECRET\n",
        );
        let r = resolve(&f, &Env::from_pairs(env), &Options::default()).unwrap();
        let shown = format!("{:?} {r:?} {f:?}", Env::from_pairs(env));
        for secret in ["envSECRET", "fileSECRET", "SEEDSEED"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("AWS_PROFILE") && shown.contains("AKIAWORKWORKWORK"));
    }

    #[test]
    fn unknown_profile_lists_known_ones() {
        let e = resolve_with(&[("AWS_PROFILE", "nope")], Options::default()).unwrap_err();
        assert_eq!(e.to_string(), "unknown profile `nope` (known profiles: default, nokeys, temp, work): check --profile / AWS_PROFILE, or add it to /h/.aws/credentials");
    }

    #[test]
    fn profile_without_keys_is_an_error() {
        let e = resolve_with(
            &[],
            Options {
                profile: Some("nokeys"),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("profile `nokeys` has no long-term keys"),
            "{e}"
        );
    }

    #[test]
    fn validation_errors_name_the_origin() {
        let f = files(
            "[default]\nduration_seconds = 60\n",
            "[default]\naws_access_key_id = AKIA1000000000000000\naws_secret_access_key = s\n",
        );
        let e = resolve(&f, &Env::default(), &Options::default()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("/h/.aws/config:2: duration 60 is out of range"),
            "{e}"
        );
        let f = files("[default]\nduration_seconds = 1h\n", CREDS);
        let e = resolve(&f, &Env::default(), &Options::default()).unwrap_err();
        assert!(
            e.to_string()
                .contains("/h/.aws/config:2: duration_seconds `1h` is not a whole number"),
            "{e}"
        );
        let e = resolve(
            &files("[default]\nmfa_serial = x y\n", CREDS),
            &Env::default(),
            &Options::default(),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("/h/.aws/config:2: not an MFA serial"),
            "{e}"
        );
    }

    #[test]
    fn endpoint_precedence() {
        let cfg = "[default]\nservices = dev\nendpoint_url = http://127.0.0.1:3\n[services dev]\nsts =\n  endpoint_url = http://127.0.0.1:2\n";
        let f = files(
            cfg,
            "[default]\naws_access_key_id = AKIA1000000000000000\naws_secret_access_key = s\n",
        );
        let ep = |env: &[(&str, &str)]| {
            endpoint_url(&f, &Env::from_pairs(env.iter().copied()), "default").unwrap()
        };
        assert_eq!(ep(&[]).as_deref(), Some("http://127.0.0.1:2"));
        assert_eq!(
            ep(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:1")]).as_deref(),
            Some("http://127.0.0.1:1")
        );
        assert_eq!(
            ep(&[
                ("AWS_ENDPOINT_URL", "http://a"),
                ("AWS_ENDPOINT_URL_STS", "https://b")
            ])
            .as_deref(),
            Some("https://b")
        );
        assert_eq!(
            ep(&[
                ("AWS_ENDPOINT_URL_STS", "https://b"),
                ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
            ]),
            None
        );
        let f2 = files("[default]\nendpoint_url = http://127.0.0.1:3\n", "");
        assert_eq!(
            endpoint_url(&f2, &Env::default(), "default")
                .unwrap()
                .as_deref(),
            Some("http://127.0.0.1:3")
        );
        assert!(endpoint_url(
            &f2,
            &Env::from_pairs([("AWS_ENDPOINT_URL", "ftp://x")]),
            "default"
        )
        .is_err());
    }

    #[test]
    fn which_profiles_go_to_the_sdk_chain() {
        let cfg = "[profile sso]\nsso_session = corp\n[profile on-sso]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = sso\n[profile proc]\ncredential_process = x\n[profile web]\nrole_arn = arn:aws:iam::1:role/w\nweb_identity_token_file = /t\n[profile mfa-on-sso]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = sso\nmfa_serial = arn:aws:iam::1:mfa/me\n[profile on-keys]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = default\n[profile l1]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = l2\n[profile l2]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = l1\n";
        let f = files(cfg, CREDS);
        for p in ["sso", "on-sso", "proc", "web"] {
            assert!(f.uses_sdk_chain(p), "{p}");
        }
        for p in ["default", "work", "mfa-on-sso", "on-keys", "l1", "nope"] {
            assert!(!f.uses_sdk_chain(p), "{p}");
        }
        assert!(f.uses_sso("on-sso") && !f.uses_sso("proc") && !f.uses_sso("l1"));
    }

    #[test]
    fn config_profile_sections() {
        assert_eq!(config_profile_name("default"), Some("default"));
        assert_eq!(config_profile_name("profile  a"), Some("a"));
        assert_eq!(config_profile_name("sso-session a"), None);
        assert_eq!(config_profile_name("profile a b"), None);
        assert_eq!(config_profile_name("work"), None);
    }
}
