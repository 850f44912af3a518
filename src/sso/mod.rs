//! IAM Identity Center without the AWS CLI: the SSO settings of a profile or
//! an `[sso-session]`, the token file the AWS CLI and every SDK share, its
//! refresh under a lock, and the role credentials the portal gives for it.
//!
//! The token file is a contract with botocore and the SDKs:
//! `~/.aws/sso/cache/<sha1 hex of the sso-session name>.json` (a legacy
//! profile without `sso_session`: of the start URL) with `startUrl`, `region`,
//! `accessToken`, `expiresAt` (RFC 3339, UTC), `clientId`, `clientSecret`,
//! `registrationExpiresAt` and `refreshToken`. awscred rewrites it keeping
//! every other field it finds, so a tool that adds one keeps it.
//!
//! One lock (in awscred's cache directory) guards a token file's refresh and
//! login: parallel runs make one CreateToken and open one browser tab.

pub mod login;
mod oidc;
pub mod populate;

use crate::cache::{Cache, Key};
use crate::credentials::{Issued, Timestamp};
use crate::env::Env;
use crate::error::{fail, report, Kind};
use crate::fsafe::{Dir, Found, IfMissing};
use crate::profile::Files;
use crate::secret::Secret;
use crate::validate;
use anyhow::Result;
use sha1::Digest as _;
use std::path::PathBuf;
use std::time::Duration;

/// A token with less than this left is refreshed first (botocore's window).
pub const REFRESH_WINDOW_SECS: i64 = 15 * 60;
/// A token with less than this left is not used at all.
const MIN_TOKEN_SECS: i64 = 60;
/// The most a token file may hold; real ones are a few KiB.
const MAX_TOKEN_FILE: u64 = 256 * 1024;
/// How long a run waits for another one's SSO login (the lock holder may be
/// waiting for a browser or a device code, which lasts up to 10 minutes).
pub const LOGIN_LOCK_WAIT: Duration = Duration::from_secs(660);
/// The default scope of an `[sso-session]` registration, as the AWS CLI's.
pub const DEFAULT_SCOPE: &str = "sso:account:access";

/// One Identity Center sign-in: what the token file is named after and
/// where the OIDC service and the portal answer.
#[derive(Debug, Clone)]
pub struct Session {
    /// The `[sso-session]` name; `None` for a legacy profile.
    pub name: Option<String>,
    /// The profile it was found through (for the login command in messages).
    pub profile: Option<String>,
    pub start_url: String,
    pub region: String,
    pub scopes: Vec<String>,
    pub oidc_url: Option<String>,
    pub portal_url: Option<String>,
}

impl Session {
    /// The SSO settings `profile` uses (its `sso_session`, else its own
    /// `sso_start_url` and `sso_region`), with the endpoints the SDKs read.
    pub fn for_profile(files: &Files, env: &Env, profile: &str) -> Result<Session> {
        let (oidc_url, portal_url) = endpoints(files, env, profile)?;
        if let Some(name) = files.get(profile, "sso_session") {
            let mut s = Self::named_with(files, name.value, &name.origin)?;
            s.profile = Some(profile.to_string());
            s.oidc_url = oidc_url;
            s.portal_url = portal_url;
            return Ok(s);
        }
        let need = |key: &str| {
            files.get(profile, key).ok_or_else(|| {
                fail(
                    Kind::Input,
                    format!("profile `{profile}` uses IAM Identity Center but names no {key}: add `{key} = …` to its section, or an `sso_session`"),
                )
            })
        };
        let start = need("sso_start_url")?;
        let region = need("sso_region")?;
        Ok(Session {
            name: None,
            profile: Some(profile.to_string()),
            start_url: start_url(start.value, &start.origin)?.to_string(),
            region: validate::region(region.value, &region.origin)?.to_string(),
            // A legacy profile registers without scopes, as the AWS CLI does.
            scopes: Vec::new(),
            oidc_url,
            portal_url,
        })
    }

    /// The `[sso-session name]` section, with only the endpoints set in the
    /// environment (no profile names `services` for it).
    pub fn named(files: &Files, env: &Env, name: &str) -> Result<Session> {
        let mut s = Self::named_with(files, name, "--sso-session")?;
        let (oidc_url, portal_url) = endpoints(files, env, "")?;
        s.oidc_url = oidc_url;
        s.portal_url = portal_url;
        Ok(s)
    }

    fn named_with(files: &Files, name: &str, origin: &str) -> Result<Session> {
        let setting = |key: &str| files.sso_session(name, key);
        let Some(start) = setting("sso_start_url") else {
            let what = if files.has_sso_session(name) {
                "has no sso_start_url: add `sso_start_url = https://….awsapps.com/start`"
            } else {
                "does not exist: add an [sso-session NAME] section with sso_start_url and sso_region, or fix the name"
            };
            return Err(fail(
                Kind::Input,
                format!("{origin}: sso-session `{name}` {what}"),
            ));
        };
        let Some(region) = setting("sso_region") else {
            return Err(fail(
                Kind::Input,
                format!("{}: sso-session `{name}` has no sso_region: add `sso_region = REGION` (where Identity Center runs)", start.origin),
            ));
        };
        let scopes = match setting("sso_registration_scopes") {
            Some(s) => s
                .value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| validate::text(s, 256).map(|()| s.to_string()))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|why| {
                    fail(
                        Kind::Input,
                        format!(
                            "{}: sso_registration_scopes {why}: fix the setting",
                            s.origin
                        ),
                    )
                })?,
            None => vec![DEFAULT_SCOPE.to_string()],
        };
        Ok(Session {
            name: Some(name.to_string()),
            profile: None,
            start_url: start_url(start.value, &start.origin)?.to_string(),
            region: validate::region(region.value, &region.origin)?.to_string(),
            scopes,
            oidc_url: None,
            portal_url: None,
        })
    }

    /// The token file's name: the sha1 hex of the session name, else of the start URL.
    pub fn file_name(&self) -> String {
        let what = self.name.as_deref().unwrap_or(&self.start_url);
        format!("{}.json", sha1_hex(what.as_bytes()))
    }

    /// The command that logs this session in, for messages.
    pub fn login_command(&self) -> String {
        match (&self.profile, &self.name) {
            (Some(p), _) => format!("awscred sso login --profile {p}"),
            (None, Some(n)) => format!("awscred sso login --sso-session {n}"),
            (None, None) => "awscred sso login".to_string(),
        }
    }

    /// What the session is called in messages.
    pub fn describe(&self) -> String {
        match &self.name {
            Some(n) => format!("sso-session `{n}`"),
            None => format!("the SSO login of {}", self.start_url),
        }
    }

    /// The lock guarding the token file's refresh and login.
    fn lock_key(&self) -> Key {
        Key {
            profile: format!("sso-{}", self.name.as_deref().unwrap_or("legacy")),
            base_access_key_id: String::new(),
            mfa_serial: None,
            sts: String::new(),
            roles: Vec::new(),
            source: Some(format!("sso token {}", self.file_name())),
        }
    }

    /// Who answers portal calls, for the role credentials' cache key.
    pub fn portal(&self) -> String {
        self.portal_url
            .clone()
            .unwrap_or_else(|| format!("sso:{}", self.region))
    }
}

/// `AWS_ENDPOINT_URL_SSO_OIDC` / `AWS_ENDPOINT_URL_SSO`, then
/// `AWS_ENDPOINT_URL`, then the profile's `services` and `endpoint_url`.
fn endpoints(files: &Files, env: &Env, profile: &str) -> Result<(Option<String>, Option<String>)> {
    Ok((
        crate::profile::service_url(
            files,
            env,
            profile,
            "sso_oidc",
            env.aws_endpoint_url_sso_oidc(),
            crate::env::AWS_ENDPOINT_URL_SSO_OIDC,
        )?,
        crate::profile::service_url(
            files,
            env,
            profile,
            "sso",
            env.aws_endpoint_url_sso(),
            crate::env::AWS_ENDPOINT_URL_SSO,
        )?,
    ))
}

/// A start URL: https (plain http to this machine only, for a stand-in).
fn start_url<'a>(url: &'a str, origin: &str) -> Result<&'a str> {
    validate::endpoint_url(url, origin)
}

pub fn sha1_hex(bytes: &[u8]) -> String {
    let digest = sha1::Sha1::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The token file, as JSON: fields awscred does not know are kept.
pub struct TokenFile {
    map: serde_json::Map<String, serde_json::Value>,
}

impl TokenFile {
    fn new() -> TokenFile {
        TokenFile {
            map: serde_json::Map::new(),
        }
    }

    fn parse(bytes: &[u8]) -> Option<TokenFile> {
        match serde_json::from_slice(bytes).ok()? {
            serde_json::Value::Object(map) => Some(TokenFile { map }),
            _ => None,
        }
    }

    fn text(&self, key: &str) -> Option<&str> {
        self.map
            .get(key)
            .and_then(serde_json::Value::as_str)
            .filter(|s| validate::text(s, validate::MAX_TOKEN_LEN).is_ok())
    }

    fn time(&self, key: &str) -> Option<Timestamp> {
        self.text(key).and_then(Timestamp::parse_rfc3339)
    }

    pub fn access_token(&self) -> Option<Secret> {
        self.text("accessToken").map(Secret::new)
    }

    pub fn expires_at(&self) -> Option<Timestamp> {
        self.time("expiresAt")
    }

    fn refresh_token(&self) -> Option<Secret> {
        self.text("refreshToken").map(Secret::new)
    }

    fn registration(&self, now: Timestamp) -> Option<oidc::Registration> {
        let expires = self.time("registrationExpiresAt")?;
        if !expires.lasts_beyond(now, MIN_TOKEN_SECS) {
            return None;
        }
        Some(oidc::Registration {
            client_id: self.text("clientId")?.to_string(),
            client_secret: Secret::new(self.text("clientSecret")?),
            expires_at: expires,
        })
    }

    /// True when a refresh can renew it: a refresh token and a registration still valid.
    pub fn refreshable(&self, now: Timestamp) -> bool {
        self.refresh_token().is_some() && self.registration(now).is_some()
    }

    fn set(&mut self, key: &str, value: &str) {
        self.map.insert(
            key.to_string(),
            serde_json::Value::String(value.to_string()),
        );
    }

    /// Records a token from CreateToken (and the registration that got it).
    fn record(&mut self, session: &Session, got: &oidc::Token, reg: &oidc::Registration) {
        self.set("startUrl", &session.start_url);
        self.set("region", &session.region);
        self.set("accessToken", got.access_token.expose());
        self.set("expiresAt", &got.expires_at.to_rfc3339());
        self.set("clientId", &reg.client_id);
        self.set("clientSecret", reg.client_secret.expose());
        self.set("registrationExpiresAt", &reg.expires_at.to_rfc3339());
        // A refresh that returns no new refresh token keeps the old one.
        if let Some(r) = &got.refresh_token {
            self.set("refreshToken", r.expose());
        }
    }

    fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(&self.map).unwrap_or_default()
    }
}

/// `~/.aws/sso/cache`, where the AWS CLI and the SDKs keep tokens.
pub fn token_dir_path(env: &Env) -> Result<PathBuf> {
    let home = env.home().filter(|h| h.is_absolute()).ok_or_else(|| {
        fail(
            Kind::Input,
            "HOME is not set and your user has no home directory, so there is no ~/.aws/sso/cache: set HOME",
        )
    })?;
    Ok(home.join(".aws/sso/cache"))
}

fn token_dir(env: &Env, missing: IfMissing) -> Result<Option<Dir>> {
    Dir::owned(&token_dir_path(env)?, missing)
}

/// The token file of `session`, if there is one to read.
pub fn read_token(env: &Env, session: &Session) -> Result<Option<TokenFile>> {
    let Some(dir) = token_dir(env, IfMissing::Skip)? else {
        return Ok(None);
    };
    read_in(&dir, session)
}

fn read_in(dir: &Dir, session: &Session) -> Result<Option<TokenFile>> {
    let name = session.file_name();
    match dir.read(&name, MAX_TOKEN_FILE)? {
        Found::Missing => Ok(None),
        Found::File(bytes) => Ok(TokenFile::parse(&bytes)),
        Found::Refused(why) => Err(fail(
            Kind::Input,
            format!(
                "refusing to read the SSO token {}: {why}: remove it and run `{}`",
                dir.path().join(name).display(),
                session.login_command()
            ),
        )),
    }
}

fn write_in(dir: &Dir, session: &Session, token: &TokenFile) -> Result<()> {
    let name = session.file_name();
    if dir.stat(&name)?.is_some_and(|e| !e.regular || !e.own) {
        dir.remove(&name)?;
    }
    dir.write_atomic(&name, &token.to_json(), 0o600)
}

/// Whether a run may log in when there is no usable token.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Login {
    /// Never (`export`): exit 7 with the login command.
    Never,
    /// On a terminal or a desktop; elsewhere exit 7.
    IfPossible,
}

/// A usable access token for `session`: the file's, refreshed under the lock
/// when near its end, else a new login where `login` allows one.
pub fn access_token(
    env: &Env,
    session: &Session,
    login: Login,
    timeout: Duration,
) -> Result<Secret> {
    let now = Timestamp::now();
    if let Some(t) = read_token(env, session)? {
        if let (Some(tok), Some(exp)) = (t.access_token(), t.expires_at()) {
            if exp.lasts_beyond(now, REFRESH_WINDOW_SECS) {
                return Ok(tok);
            }
        }
    }
    let cache = Cache::open(env)?;
    let _lock = cache.lock_waiting(&session.lock_key(), LOGIN_LOCK_WAIT)?;
    let dir = token_dir(env, IfMissing::Create)?
        .ok_or_else(|| anyhow::anyhow!("cannot create ~/.aws/sso/cache"))?;
    // Another run may have refreshed it or logged in while this one waited.
    let now = Timestamp::now();
    let current = read_in(&dir, session)?;
    let mut usable = None;
    if let Some(t) = &current {
        if let (Some(tok), Some(exp)) = (t.access_token(), t.expires_at()) {
            if exp.lasts_beyond(now, REFRESH_WINDOW_SECS) {
                return Ok(tok);
            }
            if exp.lasts_beyond(now, MIN_TOKEN_SECS) {
                usable = Some(tok);
            }
        }
        if let (Some(refresh), Some(reg)) = (t.refresh_token(), t.registration(now)) {
            let client = oidc::Oidc::new(session, timeout);
            match client.refresh(&reg, &refresh) {
                Ok(got) => {
                    let mut file = current.unwrap_or_else(TokenFile::new);
                    file.record(session, &got, &reg);
                    write_in(&dir, session, &file)?;
                    return Ok(got.access_token);
                }
                Err(e) => {
                    if let Some(tok) = usable.take() {
                        crate::error::warn(&format!(
                            "{e:#}; using the current token until it expires"
                        ));
                        return Ok(tok);
                    }
                    if crate::error::kind_of(&e) == Kind::Network {
                        return Err(e);
                    }
                    // Refused (expired or revoked): a new login.
                }
            }
        }
    }
    if let Some(tok) = usable {
        return Ok(tok);
    }
    let how = match login {
        Login::IfPossible => login::automatic(env),
        Login::Never => None,
    };
    let Some(how) = how else {
        return Err(no_login(session));
    };
    report(&format!(
        "no valid IAM Identity Center login for {}: signing in ({})",
        session.describe(),
        how.describe()
    ));
    let file = login::run_locked(env, session, &dir, current, how, timeout)?;
    file.access_token()
        .ok_or_else(|| anyhow::anyhow!("internal error: a login without a token"))
}

/// A session's login for `list` and `status`: until when, and whether a
/// refresh can renew it (never a token).
pub fn state(env: &Env, session: &Session, now: Timestamp) -> String {
    let t = match read_token(env, session) {
        Ok(Some(t)) => t,
        Ok(None) => return format!("not signed in: run `{}`", session.login_command()),
        Err(e) => {
            return format!(
                "unreadable ({})",
                e.to_string().split(": ").next().unwrap_or("")
            )
        }
    };
    let renew = if t.refreshable(now) {
        "refreshable"
    } else {
        "not refreshable"
    };
    match t.expires_at() {
        Some(exp) if exp.lasts_beyond(now, MIN_TOKEN_SECS) => {
            format!("valid until {exp} ({}), {renew}", exp.left_at(now))
        }
        Some(exp) if t.refreshable(now) => format!("expired ({exp}), refreshable"),
        Some(exp) => format!("expired ({exp}): run `{}`", session.login_command()),
        None => format!("no usable token: run `{}`", session.login_command()),
    }
}

/// Every `[sso-session]` of the config file with its state.
pub fn sessions(files: &Files, env: &Env, now: Timestamp) -> Vec<String> {
    files
        .config
        .section_names()
        .filter_map(|n| n.strip_prefix("sso-session "))
        .map(|name| {
            let name = name.trim();
            match Session::named(files, env, name) {
                Ok(s) => format!("{name}: {}", state(env, &s, now)),
                Err(e) => {
                    let e = e.to_string();
                    format!(
                        "{name}: {}",
                        e.strip_prefix("--sso-session: ").unwrap_or(&e)
                    )
                }
            }
        })
        .collect()
}

/// Exit 7 with the exact command that logs in.
pub fn no_login(session: &Session) -> anyhow::Error {
    fail(
        Kind::NoSession,
        format!(
            "no valid IAM Identity Center login for {}: run `{}`",
            session.describe(),
            session.login_command()
        ),
    )
}

/// The portal's role credentials for `profile`'s `sso_account_id` and
/// `sso_role_name` (awscred's caller caches them).
pub fn role_credentials(
    files: &Files,
    env: &Env,
    profile: &str,
    login: Login,
    timeout: Duration,
) -> Result<Issued> {
    let session = Session::for_profile(files, env, profile)?;
    let need = |key: &str| {
        files.get(profile, key).ok_or_else(|| {
            fail(Kind::Input, format!("profile `{profile}` uses IAM Identity Center but names no {key}: add it to its section, or run `awscred sso populate`"))
        })
    };
    let account = need("sso_account_id")?;
    let role = need("sso_role_name")?;
    let token = access_token(env, &session, login, timeout)?;
    let portal = oidc::Portal::new(&session, timeout);
    match portal.role_credentials(&token, account.value, role.value) {
        Err(e) if crate::error::kind_of(&e) == Kind::NoSession => Err(fail(
            Kind::NoSession,
            format!(
                "the IAM Identity Center portal refused the login of {} ({e:#}): run `{}`",
                session.describe(),
                session.login_command()
            ),
        )),
        other => other,
    }
}

/// `source` of the cache key of role credentials from `session`.
pub fn cache_source(session: &Session, account: &str, role: &str) -> String {
    format!(
        "sso {} {account} {role} {}",
        session.start_url,
        session.portal()
    )
}

/// Logs out: the portal's Logout (best effort), the token file removed, and
/// awscred's cached role credentials from this start URL removed.
pub fn logout(env: &Env, session: &Session, timeout: Duration) -> Result<usize> {
    let cache = Cache::open(env)?;
    let _lock = cache.lock(&session.lock_key())?;
    if let Some(dir) = token_dir(env, IfMissing::Skip)? {
        if let Some(t) = read_in(&dir, session)? {
            if let Some(tok) = t.access_token() {
                if let Err(e) = oidc::Portal::new(session, timeout).logout(&tok) {
                    crate::error::warn(&format!("{e:#}; the local login is removed anyway"));
                }
            }
            dir.remove(&session.file_name())?;
        }
    }
    let prefix = format!("sso {} ", session.start_url);
    let mut removed = 0;
    for listed in cache.list() {
        if let Some((key, _)) = &listed.entry {
            if key
                .source
                .as_deref()
                .is_some_and(|s| s.starts_with(&prefix))
            {
                cache.remove(&listed.name)?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_file_is_named_as_the_aws_cli_names_it() {
        // botocore: hashlib.sha1(name.encode("utf-8")).hexdigest(); FIPS 180 vector.
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    }

    #[test]
    fn a_rewrite_keeps_unknown_fields_and_the_old_refresh_token() {
        let mut f = TokenFile::parse(br#"{"accessToken":"a","expiresAt":"2020-01-01T00:00:00Z","refreshToken":"r1","custom":7}"#).unwrap();
        let s = Session {
            name: Some("corp".into()),
            profile: None,
            start_url: "https://x.awsapps.com/start".into(),
            region: "eu-west-1".into(),
            scopes: vec![],
            oidc_url: None,
            portal_url: None,
        };
        let got = oidc::Token {
            access_token: Secret::new("new"),
            expires_at: Timestamp(4_102_444_800),
            refresh_token: None,
        };
        let reg = oidc::Registration {
            client_id: "cid".into(),
            client_secret: Secret::new("cs"),
            expires_at: Timestamp(4_102_444_800),
        };
        f.record(&s, &got, &reg);
        let v: serde_json::Value = serde_json::from_slice(&f.to_json()).unwrap();
        assert_eq!(v["custom"], 7);
        assert_eq!(v["refreshToken"], "r1");
        assert_eq!(v["accessToken"], "new");
        assert_eq!(v["expiresAt"], "2100-01-01T00:00:00Z");
        assert_eq!(v["registrationExpiresAt"], "2100-01-01T00:00:00Z");
        assert_eq!(v["startUrl"], "https://x.awsapps.com/start");
        assert_eq!(v["region"], "eu-west-1");
        assert!(f.refreshable(Timestamp(0)));
        assert_eq!(s.file_name(), format!("{}.json", sha1_hex(b"corp")));
    }
}
