//! The two AWS files, checked and indexed by profile, and the one walk of a
//! `source_profile` chain.

use super::Env;
use crate::error::{fail, Kind};
use crate::fsafe::{self, Found};
use crate::ini::{self, Doc};
use anyhow::Result;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;

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
    pub fn load(path: PathBuf) -> Result<File> {
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
    /// Section names, in file order (`sso-session corp`, `profile dev`).
    pub fn section_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.doc.names()
    }

    pub fn parse(path: PathBuf, text: String) -> Result<File> {
        let text: &'static str = Box::leak(text.into_boxed_str());
        let doc = Doc::parse(text)
            .and_then(|doc| one_header_per_profile(&doc).map(|()| doc))
            .map_err(|e| {
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

    /// Indexes the two files. A profile has one config section (two are an
    /// error, see [`one_header_per_profile`]), except that `[profile default]`
    /// and `[default]` may both be there: awscred reads `[profile default]`,
    /// as the SDKs do; the AWS CLI reads whichever comes last, so `list` says
    /// so.
    pub fn new(config: File, credentials: File) -> Files {
        let mut irregular = HashMap::new();
        let mut services_index = HashMap::new();
        for (i, name) in config.doc.names().enumerate() {
            if name != "default" && !regular_header(name) {
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

    /// The config section of profile `name`: its `[profile NAME]` however
    /// spaced or quoted, else `[default]` for `default`.
    fn config_section(&self, name: &str) -> Option<usize> {
        let regular = self.config.doc.position(&format!("profile {name}"));
        regular.or(self.irregular.get(name).copied()).or_else(|| {
            (name == "default")
                .then(|| self.config.doc.position("default"))
                .flatten()
        })
    }

    /// Every setting that ends in an inline comment (`region = x  # y`), as
    /// `profile: key (file:line)`, or `[section]: key (file:line)` outside a
    /// profile: awscred and the SDKs drop the comment, the AWS CLI keeps it in
    /// the value. Every section counts, those awscred does not read too
    /// (`[default]` beside `[profile default]`, `[sso-session]`): another
    /// reader uses them. Profiles sorted, the credentials file first.
    pub fn inline_comments(&self) -> Vec<String> {
        let mut found = Vec::new();
        for (order, file) in [&self.credentials, &self.config].into_iter().enumerate() {
            for i in 0..file.doc.len() {
                let section = file.doc.section(i);
                let profile = match order {
                    0 => Some(section.name),
                    _ => config_profile_name(section.name),
                };
                for p in section.properties.iter().filter(|p| p.commented) {
                    let owner = match profile {
                        Some(name) => name.to_string(),
                        None => format!("[{}]", section.name),
                    };
                    let at = format!("{owner}: {} ({}:{})", p.key, file.path.display(), p.line);
                    found.push(((profile.is_none(), profile, order), at));
                }
            }
        }
        // Stable: file order within a profile and file.
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found.into_iter().map(|(_, at)| at).collect()
    }

    /// Where the AWS CLI and the SDKs read these files differently, as
    /// `file:line: what: how each reads it: what to write`; never a value.
    /// awscred's side on each is in docs/ARCHITECTURE.md.
    pub fn differences(&self) -> Vec<String> {
        let mut found = Vec::new();
        let config = &self.config;
        let cfg = config.path.display();
        if let (Some(p), Some(d)) = (
            config.doc.position("profile default"),
            config.doc.position("default"),
        ) {
            let (a, b) = (p.min(d), p.max(d));
            found.push(format!(
                "{cfg}:{}: [{}] and [{}] (line {}): awscred and the SDKs read [profile default], the AWS CLI the later of the two: merge them into one",
                config.doc.line(a),
                config.doc.section(a).name,
                config.doc.section(b).name,
                config.doc.line(b)
            ));
        }
        for (in_config, file) in [(true, config), (false, &self.credentials)] {
            let path = file.path.display();
            for i in 0..file.doc.len() {
                let section = file.doc.section(i);
                let (name, line) = (section.name, section.line);
                let profile = match in_config {
                    true => config_profile_name(name),
                    false => Some(name),
                };
                let mut note = |what: String| found.push(format!("{path}:{line}: {what}"));
                if let (true, Some(p)) = (file.doc.padded(i), profile) {
                    let raw = raw_header(file, line).unwrap_or(name);
                    note(format!("[{raw}]: awscred and the SDKs read profile `{p}`, the AWS CLI sees no profile: take the spaces out of the brackets"));
                }
                let after_profile = name
                    .strip_prefix("profile")
                    .filter(|r| r.starts_with(char::is_whitespace))
                    .map(str::trim);
                match (in_config, profile, after_profile) {
                    (true, Some(p), Some(_)) if name.ends_with(['"', '\'']) => {
                        note(format!("[{name}]: awscred and the AWS CLI read profile `{p}`, the SDKs skip the quoted name: rename it to one without quotes or spaces"));
                    }
                    (true, None, Some(_)) => {
                        note(format!("[{name}]: no profile to awscred or the SDKs (a space, a quote or a backslash in the name): rename it"));
                    }
                    (true, None, None) if !other_config_section(name) => {
                        let bare = name.strip_prefix("profile").unwrap_or(name);
                        note(format!("[{name}]: no profile to awscred, the SDKs or the AWS CLI: write [profile {bare}] in the config file"));
                    }
                    (false, _, Some(bare)) => {
                        note(format!("[{name}]: awscred and the AWS CLI read profile `{name}`, the SDKs skip it: write [{bare}] in the credentials file"));
                    }
                    _ => {}
                }
                for p in section.properties.iter().filter(|p| p.colon) {
                    let key = p.key.rsplit('.').next().unwrap_or(&p.key);
                    found.push(format!("{path}:{}: `{} :`: awscred and the AWS CLI read `key: value`, the Rust SDK refuses the whole file: write `{key} =`", p.line, p.key));
                }
            }
        }
        found
    }

    /// Where profile `name` is written in the wrong file's form, as
    /// `file:line has [x]…: write [y] there`: `[name]` in the config file (no
    /// profile to anyone) or `[profile name]` in the credentials file
    /// (profile `profile name`). For the "unknown profile" error.
    pub fn misplaced(&self, name: &str) -> Option<String> {
        let config = &self.config;
        if name != "default" {
            if let Some(i) = config.doc.position(name) {
                return Some(format!(
                    "{}:{} has [{name}], which the config file does not read as a profile: write [profile {name}] there",
                    config.path.display(),
                    config.doc.line(i)
                ));
            }
        }
        let credentials = &self.credentials;
        (0..credentials.doc.len()).find_map(|i| {
            let section = credentials.doc.section(i);
            let bare = section
                .name
                .strip_prefix("profile")
                .filter(|r| r.starts_with(char::is_whitespace))
                .map(str::trim)?;
            (bare == name).then(|| format!(
                "{}:{} has [{}], which the credentials file reads as profile `{}`: write [{name}] there",
                credentials.path.display(),
                section.line,
                section.name,
                section.name
            ))
        })
    }

    /// Keys one or two letters from a known one (`mfa_serail`), as
    /// `file:line: [section] key: … did you mean …`: no AWS tool reads them,
    /// so the setting is silently missing. Sections of other kinds
    /// (`services`, `plugins`) and sub-properties hold other names.
    pub fn misspelled(&self) -> Vec<String> {
        let mut found = Vec::new();
        for (in_config, file) in [(true, &self.config), (false, &self.credentials)] {
            for i in 0..file.doc.len() {
                let section = file.doc.section(i);
                let first = section.name.split_whitespace().next().unwrap_or("");
                if in_config && matches!(first, "services" | "plugins" | "preview") {
                    continue;
                }
                for p in section.properties.iter().filter(|p| !p.nested) {
                    if let Some(meant) = super::known::suggestion(&p.key) {
                        found.push(format!(
                            "{}:{}: [{}] `{}`: no AWS tool or awscred reads this key: did you mean `{meant}`?",
                            file.path.display(),
                            p.line,
                            section.name,
                            p.key
                        ));
                    }
                }
            }
        }
        found
    }

    /// The sections awscred reads for `profile`: its config section, then its
    /// credentials section (which wins).
    #[cfg(test)]
    pub(super) fn sections_of(&self, profile: &str) -> Vec<ini::Section<'static>> {
        let config = self
            .config_section(profile)
            .map(|i| self.config.doc.section(i));
        let credentials = self
            .credentials
            .doc
            .position(profile)
            .map(|i| self.credentials.doc.section(i));
        config.into_iter().chain(credentials).collect()
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

    /// A setting of the `[sso-session name]` section.
    pub fn sso_session(&self, name: &str, key: &str) -> Option<Setting<'static>> {
        let i = self.config.doc.position(&format!("sso-session {name}"))?;
        self.config.get(i, key)
    }

    pub fn has_sso_session(&self, name: &str) -> bool {
        self.config
            .doc
            .position(&format!("sso-session {name}"))
            .is_some()
    }

    /// A setting of `profile` in the credentials file itself (not the config file).
    pub fn in_credentials(&self, profile: &str, key: &str) -> Option<Setting<'static>> {
        let i = self.credentials.doc.position(profile)?;
        self.credentials.get(i, key)
    }

    /// A sub-property of a `[services NAME]` section, e.g. `sts.endpoint_url`.
    pub(super) fn service_setting(&self, services: &str, key: &str) -> Option<&'static str> {
        let i = self.services_index.get(&format!("services {services}"))?;
        self.config.get(*i, key).map(|s| s.value)
    }
}

impl Files {
    /// A profile awscred leaves to the AWS SDK: its `source_profile` chain ends
    /// in SSO, `aws login`, `credential_process` or web identity, and no profile on the way
    /// has long-term keys or an MFA device (those awscred serves itself).
    /// Covers a role assumed from an SSO profile and `role_arn` +
    /// `web_identity_token_file`. A loop is left to `resolve`, which names it.
    pub fn uses_sdk_chain(&self, profile: &str) -> bool {
        for hop in self.sources(profile) {
            let Ok(hop) = hop else { return false };
            // A source with keys of its own: awscred signs with them.
            if matches!(hop.source, Source::Keys) {
                return false;
            }
            let has = |k: &str| self.get(hop.profile, k).is_some();
            if has("aws_access_key_id") || has("mfa_serial") {
                return false;
            }
            let sdk = [
                "sso_session",
                "sso_start_url",
                "login_session",
                "credential_process",
                "web_identity_token_file",
            ];
            if sdk.iter().any(|k| has(k)) {
                return true;
            }
            // The instance's or the container's role, from the SDK's providers.
            if self
                .get(hop.profile, "credential_source")
                .is_some_and(|s| matches!(s.value, "Ec2InstanceMetadata" | "EcsContainer"))
            {
                return true;
            }
            if !has("role_arn") {
                return false;
            }
        }
        false
    }

    /// An IAM Identity Center profile must name the account and the role: the
    /// SDK takes one without them for a token-only profile and fails asking
    /// for a login that would not help.
    pub fn check_sso_role(&self, profile: &str) -> Result<()> {
        let Some(sso) = self
            .get(profile, "sso_session")
            .or_else(|| self.get(profile, "sso_start_url"))
        else {
            return Ok(());
        };
        let missing: Vec<&str> = ["sso_account_id", "sso_role_name"]
            .into_iter()
            .filter(|k| self.get(profile, k).is_none())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(fail(
            Kind::Input,
            format!(
                "{}: profile `{profile}` uses IAM Identity Center but names no {}: add {} to its section, or run `awscred sso populate` to write one profile per account and role",
                sso.origin,
                missing.join(" and "),
                if missing.len() == 1 { "it" } else { "them" }
            ),
        ))
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
    /// A source profile (not the one asked for) that holds keys of its own:
    /// used as it is, whatever else it sets, so the walk ends here. The SDKs
    /// and the AWS CLI sign the role above it with those keys.
    Keys,
    /// The profile itself (allowed when it holds keys).
    Itself(Setting<'static>),
    Other(Setting<'static>),
}

/// See [`Files::sources`]. Ends after a profile without `source_profile`,
/// naming itself, or (past the first) holding keys; a profile met twice is an
/// error naming the loop, after which the walk ends. Whether a named profile
/// exists is the caller's question.
pub struct Sources<'f> {
    files: &'f Files,
    path: Vec<&'f str>,
    next: Option<&'f str>,
}

impl<'f> Iterator for Sources<'f> {
    type Item = Result<Hop<'f>>;

    fn next(&mut self) -> Option<Self::Item> {
        let profile = self.next.take()?;
        // A source's keys end the walk before its own source is looked at,
        // so a loop through it is never followed (as in the SDKs). Either key
        // counts, so that half a pair is an error naming the other.
        let keys = !self.path.is_empty()
            && (self.files.get(profile, "aws_access_key_id").is_some()
                || self.files.get(profile, "aws_secret_access_key").is_some());
        self.path.push(profile);
        let source = match self.files.get(profile, "source_profile") {
            _ if keys => Source::Keys,
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

/// `default` → default, `profile  x` → x, `profile "x y"` → x y, anything
/// else (sso-session, services, `profile a b`) → None. The AWS CLI splits a
/// header as a shell would (`shlex`); awscred reads the one quoted form people
/// write, a whole name in quotes, and no other quoting or backslash.
pub(super) fn config_profile_name(section: &str) -> Option<&str> {
    if section == "default" {
        return Some("default");
    }
    let rest = section.strip_prefix("profile")?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let rest = rest.trim();
    let quoted = ['"', '\''].into_iter().find_map(|q| {
        rest.strip_prefix(q)
            .and_then(|r| r.strip_suffix(q))
            .filter(|inner| !inner.is_empty())
    });
    let name = quoted.unwrap_or(rest);
    let plain = |c: char| !matches!(c, '"' | '\'' | '\\');
    let ok = !name.is_empty()
        && name.chars().all(plain)
        && (quoted.is_some() || !name.contains(char::is_whitespace));
    ok.then_some(name)
}

/// Config sections that are no profile on purpose: the SDKs' and the AWS
/// CLI's own.
fn other_config_section(name: &str) -> bool {
    let first = name.split_whitespace().next().unwrap_or("");
    matches!(first, "sso-session" | "services" | "plugins" | "preview")
}

/// The header at `line` as written between its brackets, spaces kept.
fn raw_header(file: &File, line: usize) -> Option<&'static str> {
    let text = file.doc.text().lines().nth(line.checked_sub(1)?)?;
    let inner = text.trim().strip_prefix('[')?;
    Some(&inner[..inner.find(']')?])
}

/// `[profile NAME]` spelt the one regular way (one space, no quotes), found
/// through the file's own index.
fn regular_header(section: &str) -> bool {
    section
        .strip_prefix("profile ")
        .is_some_and(|p| config_profile_name(section) == Some(p))
}

/// Two headers that name one profile however spaced or quoted (`[profile a]`,
/// `[profile  a]`, `[profile "a"]`) are a duplicate section, as an exact
/// repeat is (which [`Doc::parse`] finds): the SDKs and the AWS CLI would take
/// the last, silently. Only irregular headers cost a lookup.
fn one_header_per_profile(doc: &Doc) -> Result<(), ini::ParseError> {
    let mut irregular: HashMap<&str, usize> = HashMap::new();
    for (i, name) in doc.names().enumerate() {
        if name == "default" || regular_header(name) {
            continue;
        }
        let Some(profile) = config_profile_name(name) else {
            continue;
        };
        let first = doc
            .position(&format!("profile {profile}"))
            .into_iter()
            .chain(irregular.get(profile).copied())
            .min();
        match first {
            Some(j) => {
                let (a, b) = (doc.line(i.min(j)), doc.line(i.max(j)));
                return Err(ini::ParseError {
                    line: b,
                    message: format!(
                        "duplicate section (profile `{profile}`, first at line {a}): merge the two"
                    ),
                });
            }
            None => {
                irregular.insert(profile, i);
            }
        }
    }
    Ok(())
}
