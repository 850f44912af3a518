//! The environment, read once: a snapshot so that resolution is a pure
//! function of its inputs, and the one list of the variables awscred reads.

use crate::error::{fail, Kind};
use anyhow::Result;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Declares each variable awscred reads, once: its name (a constant of the
/// same name, for messages and for children), an accessor on [`Env`], and
/// its place in [`READ`]. Nothing else can read the environment.
macro_rules! variables {
    ($( $(#[$doc:meta])* $name:ident => $getter:ident; )*) => {
        $( pub const $name: &str = stringify!($name); )*

        /// Every variable awscred reads. One of these whose value is not UTF-8
        /// is an error naming it: dropping it silently would change what
        /// awscred does (an unreadable `AWS_PROFILE` would sign with
        /// `default`'s keys, an unreadable `AWS_ENDPOINT_URL_STS` would call
        /// AWS instead of the configured endpoint).
        pub const READ: &[&str] = &[$($name),*];

        impl Env {
            $(
                $(#[$doc])*
                pub fn $getter(&self) -> Option<&str> {
                    self.get($name)
                }
            )*
        }
    };
}

variables! {
    /// Where sessions are cached (absolute, or `~/…`).
    AWSCRED_CACHE_DIR => awscred_cache_dir;
    /// Debug builds only: `1` makes awscred panic, for the panic-hook test.
    AWSCRED_DEBUG_PANIC => awscred_debug_panic;
    /// Debug builds only: milliseconds each atomic write holds its complete
    /// temp file before the rename, for the kill-during-write tests.
    AWSCRED_DEBUG_SLOW_WRITE => awscred_debug_slow_write;
    /// The output format when `--format` is not given.
    AWSCRED_FORMAT => awscred_format;
    /// Seconds `mfa_process` may run (1–600, default 60).
    AWSCRED_MFA_PROCESS_TIMEOUT => awscred_mfa_process_timeout;
    /// The profile of the awscred session in this shell (set by its exports).
    AWSCRED_PROFILE => awscred_profile;
    /// For `assume-role` exports: the role the credentials in this shell are.
    AWSCRED_ROLE => awscred_role;
    /// The profiles a `credential_process` loop has passed, one per line (chain.rs).
    AWSCRED_PROFILE_CHAIN => awscred_profile_chain;
    /// Seconds an STS call may take, retries included (1–600, default 10).
    AWSCRED_TIMEOUT => awscred_timeout;
    AWS_ACCESS_KEY_ID => aws_access_key_id;
    /// The account of the credentials in the environment (set by exports).
    AWS_ACCOUNT_ID => aws_account_id;
    AWS_CONFIG_FILE => aws_config_file;
    AWS_CREDENTIAL_EXPIRATION => aws_credential_expiration;
    AWS_DEFAULT_PROFILE => aws_default_profile;
    AWS_DEFAULT_REGION => aws_default_region;
    AWS_ENDPOINT_URL => aws_endpoint_url;
    AWS_ENDPOINT_URL_STS => aws_endpoint_url_sts;
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS => aws_ignore_configured_endpoint_urls;
    AWS_MFA_SERIAL_NUMBER => aws_mfa_serial_number;
    AWS_MFA_TOKEN_CODE => aws_mfa_token_code;
    AWS_PROFILE => aws_profile;
    AWS_REGION => aws_region;
    AWS_SECRET_ACCESS_KEY => aws_secret_access_key;
    AWS_SESSION_TOKEN => aws_session_token;
    AWS_SHARED_CREDENTIALS_FILE => aws_shared_credentials_file;
    /// The file GitHub Actions reads variables from.
    GITHUB_ENV => github_env;
    HOME => home_var;
    /// The command `exec` runs without one.
    SHELL => shell;
    /// Windows' `HOME`.
    USERPROFILE => userprofile;
    XDG_CACHE_HOME => xdg_cache_home;
}

// Set by a session (see `shell::Exports`), never read: the older names some
// tools still use (boto 2, the EC2 API tools).
pub const AWS_SECURITY_TOKEN: &str = "AWS_SECURITY_TOKEN";
pub const AWS_ACCESS_KEY: &str = "AWS_ACCESS_KEY";
pub const AWS_SECRET_KEY: &str = "AWS_SECRET_KEY";
pub const AWS_DELEGATION_TOKEN: &str = "AWS_DELEGATION_TOKEN";

/// Every variable a session may set, legacy names included, in the order they
/// are printed: what `unset` removes and `exec` clears for its command.
pub const SET: &[&str] = &[
    AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY,
    AWS_SESSION_TOKEN,
    AWS_CREDENTIAL_EXPIRATION,
    AWS_ACCOUNT_ID,
    AWSCRED_PROFILE,
    AWSCRED_ROLE,
    AWS_REGION,
    AWS_DEFAULT_REGION,
    AWS_SECURITY_TOKEN,
    AWS_ACCESS_KEY,
    AWS_SECRET_KEY,
    AWS_DELEGATION_TOKEN,
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

    fn get(&self, key: &str) -> Option<&str> {
        debug_assert!(READ.contains(&key), "{key} is not declared in env.rs");
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
        self.home_var()
            .or_else(|| self.userprofile())
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
