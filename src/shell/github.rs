//! GitHub Actions: stdout carries `::add-mask::` commands so the runner hides
//! the secrets in logs; the variables are appended to the file named by
//! `$GITHUB_ENV` in the multi-line-safe `NAME<<DELIMITER` form.

use super::{no_unset, Exports, Render};
use crate::error::{fail, Kind};
use crate::secret::Secret;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;

pub struct Github {
    pub env_file: Option<PathBuf>,
}

/// Workflow command data escaping (`%`, CR, LF), as the runner decodes it.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A heredoc delimiter that occurs in no value.
fn delimiter(values: &[&str]) -> String {
    let seed = std::process::id() as u64 ^ crate::credentials::Timestamp::now().0 as u64;
    (0u64..)
        .map(|i| {
            format!(
                "ghadelimiter_{:x}",
                seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(i)
            )
        })
        .find(|d| !values.iter().any(|v| v.contains(d.as_str())))
        .unwrap_or_default()
}

impl Render for Github {
    fn set(&self, exports: &Exports) -> Result<String> {
        let path = self.env_file.as_ref().ok_or_else(|| {
            fail(
                Kind::Input,
                "GITHUB_ENV is not set: the github format works inside a GitHub Actions step",
            )
        })?;
        let c = exports.credentials;
        let mut stdout = String::new();
        for secret in [
            Some(c.access_key_id.as_str()),
            Some(c.secret_access_key.expose()),
            c.session_token.as_ref().map(Secret::expose),
        ]
        .into_iter()
        .flatten()
        {
            // The runner masks per line, so each line of a multi-line value gets its own mask.
            for line in secret.split(['\n', '\r']).filter(|l| !l.is_empty()) {
                stdout.push_str(&format!("::add-mask::{}\n", escape_data(line)));
            }
        }
        // GITHUB_ENV cannot remove a variable: absent ones are left out.
        let vars: Vec<(&str, &str)> = exports
            .vars
            .iter()
            .filter_map(|(n, v)| Some((*n, v.as_deref()?)))
            .collect();
        let values: Vec<&str> = vars.iter().map(|(_, v)| *v).collect();
        let delim = delimiter(&values);
        let mut file = String::new();
        for (name, value) in &vars {
            super::check(name, value)?;
            file.push_str(&format!("{name}<<{delim}\n{value}\n{delim}\n"));
        }
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .and_then(|mut f| f.write_all(file.as_bytes()))
            .with_context(|| format!("cannot append to GITHUB_ENV file {}", path.display()))?;
        Ok(stdout)
    }

    fn unset(&self, _vars: &super::Vars) -> Result<String> {
        Err(no_unset("github"))
    }

    fn failure(&self) -> &'static str {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::{Issued, Timestamp};

    #[test]
    fn masks_on_stdout_and_heredocs_in_the_env_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("env");
        std::fs::write(&path, "EXISTING=1\n").unwrap();
        let c = Issued {
            access_key_id: "ASIA1".into(),
            secret_access_key: "s%e\ncret".into(),
            session_token: Some("tok".into()),
            expiration: Some(Timestamp(0)),
        };
        let e = Exports {
            vars: vec![
                ("A", Some("x\ny".into())),
                ("B", Some("".into())),
                ("C", None),
            ],
            credentials: &c,
        };
        let out = Github {
            env_file: Some(path.clone()),
        }
        .set(&e)
        .unwrap();
        assert_eq!(
            out,
            "::add-mask::ASIA1\n::add-mask::s%25e\n::add-mask::cret\n::add-mask::tok\n"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let d = text
            .lines()
            .nth(1)
            .unwrap()
            .strip_prefix("A<<")
            .unwrap()
            .to_string();
        assert!(d.starts_with("ghadelimiter_"));
        assert_eq!(
            text,
            format!("EXISTING=1\nA<<{d}\nx\ny\n{d}\nB<<{d}\n\n{d}\n")
        );
    }

    #[test]
    fn delimiter_avoids_values_and_missing_env_is_an_error() {
        let d = delimiter(&[]);
        assert_ne!(delimiter(&[&d]), d);
        let c = Issued {
            access_key_id: "a".into(),
            secret_access_key: "s".into(),
            session_token: Some("t".into()),
            expiration: Some(Timestamp(0)),
        };
        let e = Exports {
            vars: vec![],
            credentials: &c,
        };
        assert!(Github { env_file: None }
            .set(&e)
            .unwrap_err()
            .to_string()
            .contains("GITHUB_ENV is not set"));
    }
}
