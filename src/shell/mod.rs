//! Output formats. A shell format is one small file implementing [`Shell`]
//! (quote-and-assign, remove, the failure line); data formats implement
//! [`Render`] directly. Adding a format is one file plus one enum arm.

pub mod json;
mod posix;

use crate::credentials::Credentials;
use crate::error::{fail, Kind};
use anyhow::Result;

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// POSIX sh, bash, zsh, dash, ksh: `export K='v'`.
    Env,
    /// `K='v'` without export (for `set -a` or files that are sourced).
    EnvNoExport,
    /// The STS JSON shape, as `aws sts get-session-token` prints it.
    Json,
}

impl Format {
    pub fn renderer(self) -> &'static dyn Render {
        match self {
            Format::Env => &posix::Posix { export: true },
            Format::EnvNoExport => &posix::Posix { export: false },
            Format::Json => &json::Json,
        }
    }
}

/// The variables a session sets, in the order they are printed.
pub struct Exports<'a> {
    pub vars: Vec<(&'static str, String)>,
    pub credentials: &'a Credentials,
}

impl<'a> Exports<'a> {
    pub fn new(credentials: &'a Credentials, profile: &str, region: Option<&str>) -> Exports<'a> {
        let mut vars = vec![
            ("AWS_ACCESS_KEY_ID", credentials.access_key_id.clone()),
            (
                "AWS_SECRET_ACCESS_KEY",
                credentials.secret_access_key.clone(),
            ),
            ("AWS_SESSION_TOKEN", credentials.session_token.clone()),
            (
                "AWS_CREDENTIAL_EXPIRATION",
                credentials.expiration.to_rfc3339(),
            ),
            ("AWSCRED_PROFILE", profile.to_string()),
        ];
        if let Some(r) = region {
            vars.push(("AWS_REGION", r.to_string()));
            vars.push(("AWS_DEFAULT_REGION", r.to_string()));
        }
        Exports { vars, credentials }
    }
}

/// Every variable awscred may set: what `unset` removes.
pub const ALL_VARS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWSCRED_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
];

pub trait Render: Sync {
    /// Output that establishes the session.
    fn set(&self, exports: &Exports) -> Result<String>;
    /// Output that removes the named variables.
    fn unset(&self, names: &[&str]) -> Result<String>;
    /// What stdout carries when the command fails: for shells, a line whose
    /// evaluation fails (so `eval "$(awscred …)"` and `set -e` stop); for data, nothing.
    fn failure(&self) -> &'static str;
}

/// One shell's syntax. Values reaching `assign` are checked: no NUL, valid name.
pub trait Shell: Sync {
    fn assign(&self, name: &str, value: &str) -> Result<String>;
    fn remove(&self, name: &str) -> String;
    fn failure(&self) -> &'static str;
}

impl<S: Shell> Render for S {
    fn set(&self, exports: &Exports) -> Result<String> {
        let mut out = String::new();
        for (name, value) in &exports.vars {
            check_name(name)?;
            if value.contains('\0') {
                return Err(fail(
                    Kind::Input,
                    format!("the value of {name} contains a NUL byte, which no shell can hold"),
                ));
            }
            out.push_str(&self.assign(name, value)?);
            out.push('\n');
        }
        Ok(out)
    }

    fn unset(&self, names: &[&str]) -> Result<String> {
        let mut out = String::new();
        for name in names {
            check_name(name)?;
            out.push_str(&self.remove(name));
            out.push('\n');
        }
        Ok(out)
    }

    fn failure(&self) -> &'static str {
        Shell::failure(self)
    }
}

/// `^[A-Za-z_][A-Za-z0-9_]*$`: names are printed unquoted, so they must be inert.
fn check_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(fail(
            Kind::Input,
            format!("`{name}` is not a valid environment variable name"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Timestamp;

    pub(crate) fn creds() -> Credentials {
        Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "se/cr+et=".into(),
            session_token: "to'ken".into(),
            expiration: Timestamp(1_798_000_000),
        }
    }

    #[test]
    fn exports_are_in_a_fixed_order_with_optional_region() {
        let c = creds();
        let names: Vec<_> = Exports::new(&c, "p", None)
            .vars
            .iter()
            .map(|v| v.0)
            .collect();
        assert_eq!(names, &ALL_VARS[..5]);
        let names: Vec<_> = Exports::new(&c, "p", Some("eu-west-1"))
            .vars
            .iter()
            .map(|v| v.0)
            .collect();
        assert_eq!(names, ALL_VARS);
    }

    #[test]
    fn names_are_validated_and_nul_is_refused() {
        for bad in ["", "1A", "A-B", "A B", "A$", "Ä"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        for good in ["A", "_", "a_1", "AWS_REGION"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        let c = creds();
        let e = Exports {
            vars: vec![("A", "x\0y".into())],
            credentials: &c,
        };
        assert!(Format::Env.renderer().set(&e).is_err());
        assert!(Format::Env.renderer().unset(&["A B"]).is_err());
    }
}
