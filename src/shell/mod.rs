//! Output formats. A shell is one small file implementing [`Shell`] (assign,
//! remove, the failure line); a data format implements [`Render`] directly.
//! Adding a format is one file plus one arm in [`Format::renderer`].

mod cmd;
mod csh;
mod dotenv;
mod fish;
mod github;
pub mod json;
mod nu;
mod posix;

/// `value` as one word of a POSIX command line shown to the user: bare when
/// it is plain, else single-quoted.
pub fn word(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@+,%".contains(&b));
    if plain {
        value.to_string()
    } else {
        posix::quote(value)
    }
}
mod powershell;
pub mod saved;

use crate::credentials::Issued;
use crate::env;
use crate::env::Env;
use crate::error::{fail, Kind};
use anyhow::Result;

/// `--format` values (names follow `aws configure export-credentials` where one exists).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// POSIX sh, bash, zsh, dash, ksh: `export K='v'`
    Env,
    /// `K='v'` without export
    EnvNoExport,
    /// fish: `set -gx K 'v'`
    Fish,
    /// csh, tcsh: `setenv K 'v';`
    Csh,
    /// PowerShell: `$Env:K = 'v'`
    Powershell,
    /// Nushell: a JSON record for `from json | load-env` (null: hide the variable)
    Nu,
    /// cmd.exe: `set "K=v"`
    WindowsCmd,
    /// `.env` files: `K=v`
    Dotenv,
    /// The STS JSON shape, as `aws sts get-session-token` prints it
    Json,
    /// credential_process JSON (`"Version": 1`)
    Process,
    /// GitHub Actions: masks on stdout, variables appended to $GITHUB_ENV
    Github,
}

impl Format {
    /// Output evaluated in the user's shell, which `unset` can undo (the
    /// others are data: files, JSON, a CI runner's variables).
    pub fn is_shell(self) -> bool {
        !matches!(
            self,
            Format::Dotenv | Format::Json | Format::Process | Format::Github
        )
    }

    pub fn renderer(self, env: &Env) -> Box<dyn Render> {
        match self {
            Format::Env => Box::new(posix::Posix { export: true }),
            Format::EnvNoExport => Box::new(posix::Posix { export: false }),
            Format::Fish => Box::new(fish::Fish),
            Format::Csh => Box::new(csh::Csh),
            Format::Powershell => Box::new(powershell::PowerShell),
            Format::Nu => Box::new(nu::Nu),
            Format::WindowsCmd => Box::new(cmd::Cmd),
            Format::Dotenv => Box::new(dotenv::Dotenv),
            Format::Json => Box::new(json::Json),
            Format::Process => Box::new(json::Process),
            Format::Github => Box::new(github::Github {
                env_file: env.github_env().map(Into::into),
            }),
        }
    }
}

/// Variables to write, in order: `Some` sets one, `None` removes it.
pub type Vars = [(&'static str, Option<String>)];

/// The variables a session sets, in the order they are printed. `None`
/// removes the variable: long-term keys have no token, and a stale token left
/// in the shell would not match them.
pub struct Exports<'a> {
    pub vars: Vec<(&'static str, Option<String>)>,
    pub credentials: &'a Issued,
}

/// What a session's exports say besides the credentials.
#[derive(Debug, Default, Clone, Copy)]
pub struct About<'a> {
    /// The profile (`AWSCRED_PROFILE`, which also marks the shell as inside a session).
    pub profile: &'a str,
    /// The configured region; the built-in fallback is not exported.
    pub region: Option<&'a str>,
    /// For `assume-role`: the role the credentials are (`AWSCRED_ROLE`).
    pub role: Option<&'a str>,
    /// The account the credentials belong to, when known (`AWS_ACCOUNT_ID`).
    pub account_id: Option<&'a str>,
    /// Also the older names some tools still read (boto 2, the EC2 API tools).
    pub legacy: bool,
}

impl<'a> Exports<'a> {
    /// The variables for `credentials`. A variable with nothing to say is
    /// removed rather than left over from an earlier session (a stale token,
    /// role or account id would not match the new credentials).
    pub fn new(credentials: &'a Issued, about: &About) -> Exports<'a> {
        let About {
            profile,
            region,
            role,
            account_id,
            legacy,
        } = *about;
        let c = credentials;
        // The values the user asked for, in the clear from here to stdout.
        let token = c.session_token.as_ref().map(|t| t.expose().to_string());
        let secret = c.secret_access_key.expose().to_string();
        let mut vars = vec![
            (env::AWS_ACCESS_KEY_ID, Some(c.access_key_id.clone())),
            (env::AWS_SECRET_ACCESS_KEY, Some(secret.clone())),
            (env::AWS_SESSION_TOKEN, token.clone()),
            (
                env::AWS_CREDENTIAL_EXPIRATION,
                c.expiration.map(|e| e.to_rfc3339()),
            ),
            (env::AWS_ACCOUNT_ID, account_id.map(str::to_string)),
            (env::AWSCRED_PROFILE, Some(profile.to_string())),
            (env::AWSCRED_ROLE, role.map(str::to_string)),
        ];
        if let Some(r) = region {
            vars.push((env::AWS_REGION, Some(r.to_string())));
            vars.push((env::AWS_DEFAULT_REGION, Some(r.to_string())));
        }
        if legacy {
            vars.push((env::AWS_SECURITY_TOKEN, token.clone()));
            vars.push((env::AWS_ACCESS_KEY, Some(c.access_key_id.clone())));
            vars.push((env::AWS_SECRET_KEY, Some(secret)));
            vars.push((env::AWS_DELEGATION_TOKEN, token));
        }
        Exports { vars, credentials }
    }

    /// The value `name` is set to, if it is.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.as_deref())
    }
}

/// The output that sets `exports` in `format`. In a shell format it also
/// records (in `AWSCRED_SAVED`) the user's own settings it replaces, which
/// [`unset`] puts back.
pub fn set(format: Format, env: &Env, mut exports: Exports) -> Result<String> {
    if format.is_shell() {
        if let Some(record) = saved::changed(env, &exports.vars) {
            exports.vars.push((env::AWSCRED_SAVED, Some(record)));
        }
    }
    format.renderer(env).set(&exports)
}

/// The output that ends awscred's session in this shell: every variable a
/// session sets is removed, except the settings `AWSCRED_SAVED` recorded,
/// which get their earlier values back.
pub fn unset(format: Format, env: &Env) -> Result<String> {
    format.renderer(env).unset(&saved::plan(env))
}

pub trait Render {
    /// Output that establishes the session.
    fn set(&self, exports: &Exports) -> Result<String>;
    /// Output that sets or removes `vars` (what `unset` restores, or removes).
    fn unset(&self, vars: &Vars) -> Result<String>;
    /// What stdout carries when the command fails: for shells, a line whose
    /// evaluation fails (so `eval "$(awscred …)"` and `set -e` stop); for data, nothing.
    fn failure(&self) -> &'static str;
}

/// One shell's syntax. `assign` sees only valid names and NUL-free values.
pub trait Shell {
    /// One statement setting `name` to exactly `value`, or an error if this
    /// shell cannot hold the value safely.
    fn assign(&self, name: &str, value: &str) -> Result<String>;
    fn remove(&self, name: &str) -> String;
    fn failure(&self) -> &'static str;
}

impl<S: Shell> Render for S {
    fn set(&self, exports: &Exports) -> Result<String> {
        self.unset(&exports.vars)
    }

    fn unset(&self, vars: &Vars) -> Result<String> {
        let mut out = String::new();
        for (name, value) in vars {
            match value {
                Some(value) => {
                    check(name, value)?;
                    out.push_str(&self.assign(name, value)?);
                }
                None => {
                    check(name, "")?;
                    out.push_str(&self.remove(name));
                }
            }
            out.push('\n');
        }
        Ok(out)
    }

    fn failure(&self) -> &'static str {
        Shell::failure(self)
    }
}

/// Names are printed unquoted, so they must match `^[A-Za-z_][A-Za-z0-9_]*$`;
/// no shell variable can hold a NUL byte.
pub fn check(name: &str, value: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        return Err(fail(
            Kind::Input,
            format!("`{name}` is not a valid environment variable name"),
        ));
    }
    if value.contains('\0') {
        return Err(fail(
            Kind::Input,
            format!(
                "the value of {name} contains a NUL byte, which no environment variable can hold"
            ),
        ));
    }
    Ok(())
}

/// The error for a value a format cannot represent safely.
fn refuse(format: &str, name: &str, why: &str) -> anyhow::Error {
    fail(
        Kind::Input,
        format!("cannot write {name} for {format}: the value contains {why}; use another --format"),
    )
}

/// The error for `unset` in a format with no notion of removing a variable.
fn no_unset(format: &str) -> anyhow::Error {
    fail(
        Kind::Usage,
        format!(
            "the {format} format has nothing to unset: use a shell format such as --format env"
        ),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::credentials::Timestamp;

    pub fn creds() -> Issued {
        Issued {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "se/cr+et=".into(),
            session_token: Some("to'ken".into()),
            expiration: Some(Timestamp(1_798_000_000)),
        }
    }

    /// Renders one variable with `format`.
    pub fn one(format: Format, name: &'static str, value: &str) -> Result<String> {
        let c = creds();
        let e = Exports {
            vars: vec![(name, Some(value.to_string()))],
            credentials: &c,
        };
        format.renderer(&Env::default()).set(&e)
    }

    fn about(region: Option<&str>, legacy: bool) -> About<'_> {
        About {
            profile: "p",
            region,
            legacy,
            ..About::default()
        }
    }

    #[test]
    fn exports_are_in_a_fixed_order_with_optional_region_and_legacy_names() {
        let c = creds();
        let names = |r, l| {
            Exports::new(&c, &about(r, l))
                .vars
                .iter()
                .map(|v| v.0)
                .collect::<Vec<_>>()
        };
        let all = &env::SET[..env::SET.len() - 1];
        assert_eq!(names(None, false), &all[..7]);
        assert_eq!(names(Some("eu-west-1"), false), &all[..9]);
        assert_eq!(names(Some("eu-west-1"), true), all);
        let e = Exports::new(&c, &about(None, true));
        assert_eq!(e.value("AWS_SECURITY_TOKEN"), Some("to'ken"));
        assert_eq!(e.value("AWS_DELEGATION_TOKEN"), Some("to'ken"));
        // Role and account only when known; otherwise removed, never left stale.
        assert_eq!(e.value("AWSCRED_ROLE"), None);
        let e = Exports::new(
            &c,
            &About {
                role: Some("arn:aws:iam::123456789012:role/r"),
                account_id: Some("123456789012"),
                ..about(None, false)
            },
        );
        assert_eq!(
            e.value("AWSCRED_ROLE"),
            Some("arn:aws:iam::123456789012:role/r")
        );
        assert_eq!(e.value("AWS_ACCOUNT_ID"), Some("123456789012"));
    }

    #[test]
    fn names_are_validated_and_nul_is_refused_by_every_shell() {
        for bad in ["", "1A", "A-B", "A B", "A$", "Ä", "A;B"] {
            assert!(check(bad, "").is_err(), "{bad}");
        }
        for good in ["A", "_", "a_1", "AWS_REGION"] {
            assert!(check(good, "").is_ok(), "{good}");
        }
        for f in [
            Format::Env,
            Format::EnvNoExport,
            Format::Fish,
            Format::Csh,
            Format::Powershell,
            Format::Nu,
            Format::WindowsCmd,
            Format::Dotenv,
        ] {
            assert!(one(f, "A", "x\0y").is_err(), "{f:?}");
            assert!(
                f.renderer(&Env::default()).unset(&[("A B", None)]).is_err(),
                "{f:?}"
            );
        }
    }

    #[test]
    fn long_term_keys_unset_the_session_variables() {
        let c = Issued {
            session_token: None,
            expiration: None,
            ..creds()
        };
        let out = Format::Env
            .renderer(&Env::default())
            .set(&Exports::new(&c, &about(None, true)))
            .unwrap();
        assert_eq!(
            out,
            "export AWS_ACCESS_KEY_ID='ASIAEXAMPLE'\nexport AWS_SECRET_ACCESS_KEY='se/cr+et='\nunset AWS_SESSION_TOKEN\nunset AWS_CREDENTIAL_EXPIRATION\nunset AWS_ACCOUNT_ID\nexport AWSCRED_PROFILE='p'\nunset AWSCRED_ROLE\nunset AWS_SECURITY_TOKEN\nexport AWS_ACCESS_KEY='ASIAEXAMPLE'\nexport AWS_SECRET_KEY='se/cr+et='\nunset AWS_DELEGATION_TOKEN\n"
        );
    }

    #[test]
    fn failure_lines() {
        let fail = |f: Format| f.renderer(&Env::default()).failure();
        assert_eq!(fail(Format::Env), "false\n");
        assert_eq!(fail(Format::Fish), "false\n");
        assert_eq!(fail(Format::Csh), "false\n");
        assert_eq!(
            fail(Format::Powershell),
            "throw 'awscred failed: see the message above'\n"
        );
        assert_eq!(fail(Format::WindowsCmd), "exit /b 1\n");
        assert_eq!(
            fail(Format::Nu),
            "] awscred failed: see the message above\n"
        );
        for f in [
            Format::Dotenv,
            Format::Json,
            Format::Process,
            Format::Github,
        ] {
            assert_eq!(fail(f), "", "{f:?}");
        }
    }
}
