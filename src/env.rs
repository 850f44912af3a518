//! The environment, read once: a snapshot so that resolution is a pure
//! function of its inputs, and the one list of the variables awscred reads.

use crate::error::{fail, Kind};
use anyhow::Result;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Every variable awscred reads. One of these whose value is not UTF-8 is an
/// error naming it: dropping it silently would change what awscred does (an
/// unreadable `AWS_PROFILE` would sign with `default`'s keys, an unreadable
/// `AWS_ENDPOINT_URL_STS` would call AWS instead of the configured endpoint).
pub const READ: &[&str] = &[
    "AWSCRED_CACHE_DIR",
    // Debug builds only: a deliberate panic for the panic-hook test.
    "AWSCRED_DEBUG_PANIC",
    "AWSCRED_FORMAT",
    "AWSCRED_MFA_PROCESS_TIMEOUT",
    "AWSCRED_PROFILE",
    // The profiles a credential_process loop has passed (chain.rs).
    "AWSCRED_PROFILE_CHAIN",
    "AWSCRED_TIMEOUT",
    "AWS_ACCESS_KEY_ID",
    "AWS_CONFIG_FILE",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_DEFAULT_PROFILE",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_STS",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_MFA_SERIAL_NUMBER",
    "AWS_MFA_TOKEN_CODE",
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SHARED_CREDENTIALS_FILE",
    "GITHUB_ENV",
    "HOME",
    "SHELL",
    "USERPROFILE",
    "XDG_CACHE_HOME",
];

/// A snapshot of the environment. Empty values count as unset, as they do for
/// the AWS CLI.
#[derive(Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
    /// Names of variables whose value is not UTF-8.
    not_utf8: Vec<String>,
}

/// Names only: the environment holds keys and tokens.
impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.vars.keys()).finish()
    }
}

impl Env {
    pub fn from_process() -> Env {
        let mut env = Env::default();
        for (k, v) in std::env::vars_os() {
            // A name that is not UTF-8 is none of the names awscred reads.
            let Ok(k) = k.into_string() else { continue };
            match v.into_string() {
                Ok(v) => {
                    env.vars.insert(k, v);
                }
                Err(_) => env.not_utf8.push(k),
            }
        }
        env
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Env {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            not_utf8: Vec::new(),
        }
    }

    /// Fails (exit 3) when a variable awscred reads is not valid UTF-8.
    pub fn check(&self) -> Result<()> {
        match self.not_utf8.iter().find(|k| READ.contains(&k.as_str())) {
            Some(name) => Err(fail(
                Kind::Input,
                format!("the environment variable {name} is not valid UTF-8: fix or unset it"),
            )),
            None => Ok(()),
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        debug_assert!(READ.contains(&key), "{key} is missing from env::READ");
        self.vars
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A timeout variable: whole seconds from 1 to 600, else `default`.
    pub fn seconds(&self, name: &str, default: u64) -> Result<Duration> {
        let secs = match self.get(name) {
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|s| (1..=600).contains(s))
                .ok_or_else(|| {
                    fail(
                        Kind::Input,
                        format!("{name} must be whole seconds from 1 to 600: fix or unset it"),
                    )
                })?,
            None => default,
        };
        Ok(Duration::from_secs(secs))
    }

    /// Home directory: `$HOME` (or `USERPROFILE` on Windows), else the OS's idea of it.
    pub fn home(&self) -> Option<PathBuf> {
        self.get("HOME")
            .or_else(|| self.get("USERPROFILE"))
            .map(PathBuf::from)
            .or_else(dirs::home_dir)
    }

    /// `~/` expansion as the AWS CLI does for the file variables.
    pub fn expand(&self, path: &str) -> PathBuf {
        match (path.strip_prefix("~/"), self.home()) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(path),
        }
    }
}
