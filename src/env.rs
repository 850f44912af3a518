//! The environment, read once: a snapshot so that resolution is a pure
//! function of its inputs, and the one list of the variables awscred reads.

use crate::error::{fail, Kind};
use anyhow::Result;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Declares each variable awscred reads, once: its name (a constant of the
/// same name, for messages and for children), an accessor on [`Env`], its
/// place in [`READ`], and its doc comment in [`DOCS`]. Nothing else can read
/// the environment.
macro_rules! variables {
    ($( $(#[doc = $doc:literal])* $name:ident => $getter:ident; )*) => {
        $( pub const $name: &str = stringify!($name); )*

        /// Every variable awscred reads. One of these whose value is not UTF-8
        /// is an error naming it: dropping it silently would change what
        /// awscred does (an unreadable `AWS_PROFILE` would sign with
        /// `default`'s keys, an unreadable `AWS_ENDPOINT_URL_STS` would call
        /// AWS instead of the configured endpoint).
        pub const READ: &[&str] = &[$($name),*];

        /// Every variable in [`READ`] with its doc comment, for the man page.
        /// The comment's lines are joined as written (each starts with a
        /// space): trim before use.
        pub const DOCS: &[(&str, &str)] = &[$(($name, concat!($($doc),*))),*];

        impl Env {
            $(
                $(#[doc = $doc])*
                pub fn $getter(&self) -> Option<&str> {
                    self.get($name)
                }
            )*
        }
    };
}

variables! {
    /// Where sessions are cached (absolute, or `~/…`) [default:
    /// `$XDG_CACHE_HOME/awscred`, else the platform's cache directory:
    /// `~/.cache/awscred`, on macOS `~/Library/Caches/awscred`].
    AWSCRED_CACHE_DIR => awscred_cache_dir;
    /// Debug builds only: `1` makes awscred panic, for the panic-hook test.
    AWSCRED_DEBUG_PANIC => awscred_debug_panic;
    /// Debug builds only: milliseconds each atomic write holds its complete
    /// temp file before the rename, for the kill-during-write tests.
    AWSCRED_DEBUG_SLOW_WRITE => awscred_debug_slow_write;
    /// Debug builds only: `proof` makes `rotate` treat the new key as not
    /// working, `delete` makes deleting the old key fail, `store` makes storing
    /// the new key fail: for the rotation failure tests.
    AWSCRED_DEBUG_ROTATE_FAIL => awscred_debug_rotate_fail;
    /// The output format of `mfa`, `export` and `unset` when `--format` is not
    /// given [default: `env`].
    AWSCRED_FORMAT => awscred_format;
    /// Set by the `awscred init` wrappers for the runs they make (not for you
    /// to set): a successful `mfa` or `export` then names on stderr the
    /// session the shell now holds, since the shell shows nothing else.
    AWSCRED_INIT => awscred_init;
    /// The directory of the key index and the encrypted key file (absolute, or
    /// `~/…`) [default: `$XDG_DATA_HOME/awscred`, else `~/.local/share/awscred`,
    /// on macOS `~/Library/Application Support/awscred`].
    AWSCRED_KEYS_DIR => awscred_keys_dir;
    /// The passphrase of the encrypted key file, for unattended use (CI). Weaker
    /// than typing it: every process of yours can read your environment, and
    /// it may end up in shell history or CI logs. Without it awscred asks on
    /// the terminal.
    AWSCRED_KEYS_PASSPHRASE => awscred_keys_passphrase;
    /// The store `keys add` and `rotate` put keys in when `--store` is not
    /// given: `os` or `file` [default: `os` on macOS, Windows and a Linux
    /// desktop session (`DBUS_SESSION_BUS_ADDRESS` set), else `file`].
    AWSCRED_KEY_STORE => awscred_key_store;
    /// Seconds a profile's `credential_process` may run (1–600, default 120);
    /// past it, it is stopped with everything it started.
    AWSCRED_CREDENTIAL_PROCESS_TIMEOUT => awscred_credential_process_timeout;
    /// Seconds `mfa_process` may run (1–600, default 60); a desktop MFA
    /// dialog is bounded by the same time.
    AWSCRED_MFA_PROCESS_TIMEOUT => awscred_mfa_process_timeout;
    /// How to ask for an MFA code that is not given up front (before the
    /// profile's `mfa_prompt`; `--mfa-prompt` before both): `auto` (the
    /// terminal, else a desktop dialog, else none), `terminal`, `zenity`,
    /// `kdialog`, `osascript`, `windows` (a PowerShell input box) or `none`
    /// [default: `auto`].
    AWSCRED_MFA_PROMPT => awscred_mfa_prompt;
    /// The profile of the awscred session in this shell (set by its exports):
    /// the profile commands use when neither `--profile`, `AWS_PROFILE` nor
    /// `AWS_DEFAULT_PROFILE` is given; shown by `status` and `list`.
    AWSCRED_PROFILE => awscred_profile;
    /// The profiles a chain of `credential_process` commands running awscred
    /// has passed, one per line: awscred sets it for its children, to stop loops.
    AWSCRED_PROFILE_CHAIN => awscred_profile_chain;
    /// Set by `assume-role` exports: the role the credentials in this shell are.
    AWSCRED_ROLE => awscred_role;
    /// Set by exports in a shell format: the values `AWS_REGION` and
    /// `AWS_DEFAULT_REGION` had before awscred first set them in this shell
    /// (`AWS_REGION=eu-north-1,AWS_DEFAULT_REGION=`, empty for none), which
    /// `unset` puts back.
    AWSCRED_SAVED => awscred_saved;
    /// Seconds `rotate` keeps trying the new key before it gives up and puts
    /// the old one back (1–600, default 30): a new IAM key takes a few seconds
    /// to work everywhere.
    AWSCRED_ROTATE_WAIT => awscred_rotate_wait;
    /// Seconds an STS call may take, retries included (1–600, default 10).
    AWSCRED_TIMEOUT => awscred_timeout;
    /// With `AWS_SECRET_ACCESS_KEY`, long-term keys that sign the STS calls
    /// instead of the profile's when no `--profile` is given (as for the SDKs;
    /// not for role profiles), and for `credential_source = Environment`.
    /// Session keys (with a token, or an `ASIA…` id) never sign. `status`
    /// shows the key id.
    AWS_ACCESS_KEY_ID => aws_access_key_id;
    /// The account of the credentials in the environment (set by exports
    /// when it is known).
    AWS_ACCOUNT_ID => aws_account_id;
    /// The config file [default: `~/.aws/config`].
    AWS_CONFIG_FILE => aws_config_file;
    /// The credential server's address, set by `exec --server` and `serve`;
    /// `status` reports it (and never asks it for credentials).
    AWS_CONTAINER_CREDENTIALS_FULL_URI => aws_container_credentials_full_uri;
    /// The container endpoint's token, set by the credential server for its
    /// command; read by the AWS SDK for `credential_source = EcsContainer`
    /// (awscred hashes it into that cache key, never keeps it).
    AWS_CONTAINER_AUTHORIZATION_TOKEN => aws_container_authorization_token;
    /// A file holding the container endpoint's token (EKS Pod Identity), for
    /// `credential_source = EcsContainer` (read by the AWS SDK).
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE => aws_container_authorization_token_file;
    /// The container endpoint as a path on ECS's own address, for
    /// `credential_source = EcsContainer` (read by the AWS SDK).
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI => aws_container_credentials_relative_uri;
    /// The instance metadata service, for `credential_source =
    /// Ec2InstanceMetadata` (read by the AWS SDK); set by `--imds` servers.
    AWS_EC2_METADATA_SERVICE_ENDPOINT => aws_ec2_metadata_service_endpoint;
    /// When the session in the environment expires (RFC 3339), for `status`.
    AWS_CREDENTIAL_EXPIRATION => aws_credential_expiration;
    /// The profile when neither `--profile` nor `AWS_PROFILE` is given.
    AWS_DEFAULT_PROFILE => aws_default_profile;
    /// The region when `AWS_REGION` is not set.
    AWS_DEFAULT_REGION => aws_default_region;
    /// The endpoint of every AWS service, STS and IAM included, when
    /// `AWS_ENDPOINT_URL_STS` (`AWS_ENDPOINT_URL_IAM`) is not set.
    AWS_ENDPOINT_URL => aws_endpoint_url;
    /// The IAM endpoint of `rotate` (before `AWS_ENDPOINT_URL` and the
    /// profile's `services` and `endpoint_url` settings).
    AWS_ENDPOINT_URL_IAM => aws_endpoint_url_iam;
    /// The AWS sign-in service: `console`'s federation endpoint
    /// (`URL/federation`, instead of the partition's `signin` host) and, read by
    /// the AWS SDK, the token refresh of `aws login` profiles. https, or plain
    /// http to this machine only.
    AWS_ENDPOINT_URL_SIGNIN => aws_endpoint_url_signin;
    /// The IAM Identity Center portal (GetRoleCredentials, ListAccounts,
    /// Logout), before `AWS_ENDPOINT_URL` and the profile's `services`.
    AWS_ENDPOINT_URL_SSO => aws_endpoint_url_sso;
    /// The IAM Identity Center OIDC service (RegisterClient, CreateToken and
    /// the browser's `/authorize` page), before `AWS_ENDPOINT_URL` and the
    /// profile's `services`.
    AWS_ENDPOINT_URL_SSO_OIDC => aws_endpoint_url_sso_oidc;
    /// The STS endpoint (before `AWS_ENDPOINT_URL` and the profile's
    /// `services` and `endpoint_url` settings).
    AWS_ENDPOINT_URL_STS => aws_endpoint_url_sts;
    /// `true` ignores every configured endpoint URL, in variables and files.
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS => aws_ignore_configured_endpoint_urls;
    /// The MFA device ARN when `--serial-number` is not given (before the
    /// profile's `mfa_serial`).
    AWS_MFA_SERIAL_NUMBER => aws_mfa_serial_number;
    /// The MFA code when none is given on the command line (before
    /// `mfa_process` and the prompt).
    AWS_MFA_TOKEN_CODE => aws_mfa_token_code;
    /// The profile when `--profile` is not given [default: `default`].
    AWS_PROFILE => aws_profile;
    /// The region of STS calls and of the exports (before `AWS_DEFAULT_REGION`
    /// and the profile's `region`) [default for STS: `us-east-1`].
    AWS_REGION => aws_region;
    /// The secret of `AWS_ACCESS_KEY_ID`.
    AWS_SECRET_ACCESS_KEY => aws_secret_access_key;
    /// Marks the keys in the environment as a session: they never sign, and
    /// `status` reports a session.
    AWS_SESSION_TOKEN => aws_session_token;
    /// The credentials file [default: `~/.aws/credentials`].
    AWS_SHARED_CREDENTIALS_FILE => aws_shared_credentials_file;
    /// The browser `console` opens the sign-in page with, as xdg-open and
    /// Python's webbrowser read it: commands separated by `:`, each tried in
    /// turn, `%s` replaced by the page (else added as the last argument)
    /// [default: `xdg-open`, on macOS `open`, on Windows `start`].
    BROWSER => browser;
    /// Set in an SSH session: on macOS and Windows no browser is opened there.
    SSH_CONNECTION => ssh_connection;
    /// Linux: the session bus, where the Secret Service (the OS key store) is
    /// reached; when it is set, `keys add` uses the OS store by default.
    DBUS_SESSION_BUS_ADDRESS => dbus_session_bus_address;
    /// Linux: an X11 desktop session, where `mfa_prompt = auto` may show a
    /// dialog (zenity, else kdialog) when there is no terminal, and an SSO
    /// login may open the browser.
    DISPLAY => display;
    /// The file GitHub Actions reads variables from (`--format github`
    /// appends to it).
    GITHUB_ENV => github_env;
    /// The home directory, where `~/` and `~/.aws` are.
    HOME => home_var;
    /// The command `exec` runs without one [default: `/bin/sh`].
    SHELL => shell;
    /// Windows' `HOME`.
    USERPROFILE => userprofile;
    /// Linux: a Wayland desktop session (as `DISPLAY`: dialogs, the SSO login's browser).
    WAYLAND_DISPLAY => wayland_display;
    /// The cache is in `$XDG_CACHE_HOME/awscred` when this is an absolute path
    /// and `AWSCRED_CACHE_DIR` is not set.
    XDG_CACHE_HOME => xdg_cache_home;
    /// The key index is in `$XDG_DATA_HOME/awscred` when this is an absolute
    /// path and `AWSCRED_KEYS_DIR` is not set.
    XDG_DATA_HOME => xdg_data_home;
    /// Linux: where the session bus is (`$XDG_RUNTIME_DIR/bus`) when
    /// `DBUS_SESSION_BUS_ADDRESS` is not set, for the OS key store.
    XDG_RUNTIME_DIR => xdg_runtime_dir;
}

// Set for a command that uses the credential server (`server/`), never read
// (its address, above, only by `status`).

/// What points a command at a credential server (`serve` prints them,
/// `exec --server` sets them). `unset` removes them and plain `exec` clears
/// them, as it does the session's variables.
pub const SERVER: &[&str] = &[
    AWS_CONTAINER_CREDENTIALS_FULL_URI,
    AWS_CONTAINER_AUTHORIZATION_TOKEN,
    AWS_EC2_METADATA_SERVICE_ENDPOINT,
];

/// awscred's own secret inputs: no process awscred starts inherits them
/// (`process::scrub`). A command is handed credentials, never what unlocks
/// more of them: the passphrase opens every key in the encrypted file, and a
/// code is good for one session, which is awscred's to make.
pub const NEVER_INHERITED: &[&str] = &[AWSCRED_KEYS_PASSPHRASE, AWS_MFA_TOKEN_CODE];

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
    // Not an export of the session: the record of what `unset` restores.
    AWSCRED_SAVED,
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

    /// This environment without `name` (the credential server uses
    /// `AWS_MFA_TOKEN_CODE` once: a code is good for one session).
    pub fn without(mut self, name: &str) -> Env {
        self.vars.remove(name);
        self
    }

    /// This environment with `name` set to `value` (a flag that overrides
    /// its variable, read in one place).
    pub fn with(mut self, name: &str, value: &str) -> Env {
        self.vars.insert(name.to_string(), value.to_string());
        self
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

    /// A variable a configured command line names (`$NAME`, `${NAME}`,
    /// `%NAME%`): what that command prints may depend on it, so its value
    /// goes, hashed, into the cache key of what the command gave. Not for
    /// anything else: every variable awscred acts on is in [`READ`].
    pub fn named_in_command(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    fn get(&self, key: &str) -> Option<&str> {
        debug_assert!(READ.contains(&key), "{key} is not declared in env.rs");
        self.vars
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// How long a call to an AWS endpoint may take, retries included:
    /// `AWSCRED_TIMEOUT`, 10 s by default.
    pub fn timeout(&self) -> Result<Duration> {
        self.seconds(AWSCRED_TIMEOUT, 10)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variable_read_is_documented() {
        let names: Vec<&str> = DOCS.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, READ);
        for (name, doc) in DOCS {
            assert!(!doc.trim().is_empty(), "{name} has no doc comment");
            assert!(!doc.contains("  "), "{name}: {doc:?}");
        }
    }
}
