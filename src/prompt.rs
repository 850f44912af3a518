//! Where the MFA code comes from, in order: the argument, `AWS_MFA_TOKEN_CODE`,
//! the profile's `mfa_process`, then a prompt on the terminal itself
//! (`/dev/tty`), which works while stdout and stderr are captured (`$(…)`,
//! credential_process). With none of these: exit code 4.

use crate::error::{fail, Kind};
use crate::profile::Env;
use crate::secret::Secret;
use crate::validate;
use anyhow::{Context, Result};
use std::process::{Command, Stdio};

/// A code given up front (argument, then environment), validated now so a typo
/// fails before any file lock or network call.
pub fn preset_code(arg: Option<&str>, env: &Env) -> Result<Option<Secret>> {
    match arg.or_else(|| env.get("AWS_MFA_TOKEN_CODE")) {
        Some(code) => Ok(Some(validate::code(code)?.into())),
        None => Ok(None),
    }
}

/// The sources after the preset one: asked only when a code is really needed
/// (cache miss, lock held), so a valid session never runs `mfa_process` or prompts.
pub struct CodeSource<'a> {
    pub preset: Option<Secret>,
    pub mfa_process: Option<&'a Secret>,
}

impl CodeSource<'_> {
    pub fn get(self, serial: &str) -> Result<Secret> {
        if let Some(code) = self.preset {
            return Ok(code);
        }
        if let Some(command) = self.mfa_process {
            return run_mfa_process(command.expose());
        }
        ask(serial)
    }
}

/// Runs `mfa_process`. A plain command line (`ykman oath accounts code --single aws`)
/// runs directly, split on white space with simple quotes honoured; one with
/// shell syntax (pipes, `$`, redirections) runs through `sh -c`.
fn run_mfa_process(command: &str) -> Result<Secret> {
    let mut cmd = match split_plain(command) {
        Some(words) if !words.is_empty() => {
            let mut c = Command::new(&words[0]);
            c.args(&words[1..]);
            c
        }
        _ => {
            let mut c = Command::new(if cfg!(windows) { "cmd" } else { "sh" });
            c.args(if cfg!(windows) {
                ["/C", command]
            } else {
                ["-c", command]
            });
            c
        }
    };
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run mfa_process `{command}`"))
        .map_err(|e| {
            fail(
                Kind::MfaNeeded,
                format!("{e:#}: check the mfa_process setting"),
            )
        })?;
    if !out.status.success() {
        return Err(fail(
            Kind::MfaNeeded,
            format!(
                "mfa_process `{command}` failed ({}): run it by hand to see why",
                out.status
            ),
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    validate::code(text.trim()).map(Secret::from).map_err(|_| {
        fail(
            Kind::MfaNeeded,
            format!("mfa_process `{command}` did not print a 6-digit code"),
        )
    })
}

/// Splits a command line with no shell syntax; `None` when it needs a shell.
fn split_plain(command: &str) -> Option<Vec<String>> {
    if command.contains([
        '|', '&', ';', '<', '>', '$', '`', '(', ')', '*', '?', '\\', '\n', '~',
    ]) {
        return None;
    }
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in command.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return None;
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

fn ask(serial: &str) -> Result<Secret> {
    if !has_terminal() {
        return Err(fail(
            Kind::MfaNeeded,
            "MFA code required: pass it as an argument (awscred mfa 123456), set AWS_MFA_TOKEN_CODE or the profile's mfa_process; there is no terminal to ask on",
        ));
    }
    let _sigint = IgnoreSigint::new();
    for _ in 0..3 {
        let typed = rpassword::prompt_password(format!("awscred: MFA code for {serial}: "))
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::Interrupted => fail(
                    Kind::Interrupted,
                    "interrupted at the MFA prompt: nothing was changed",
                ),
                _ => fail(
                    Kind::MfaNeeded,
                    format!("cannot read the MFA code from the terminal: {e}"),
                ),
            })?;
        let typed = Secret::from(typed);
        match validate::code(typed.expose().trim()) {
            Ok(code) => return Ok(code.into()),
            Err(e) => crate::error::report(&e.to_string()),
        }
    }
    Err(fail(
        Kind::Input,
        "no valid MFA code after 3 tries: run again with the 6-digit code",
    ))
}

/// rpassword turns off the terminal's signal keys, reads Ctrl-C itself and
/// raises SIGINT *before* it restores the terminal: with SIGINT's default
/// action the process would die leaving the terminal without echo. While the
/// prompt is up SIGINT is ignored, so rpassword restores the terminal and
/// returns `Interrupted`, and awscred exits 130 cleanly.
struct IgnoreSigint {
    #[cfg(unix)]
    previous: libc::sighandler_t,
}

impl IgnoreSigint {
    fn new() -> IgnoreSigint {
        IgnoreSigint {
            // SAFETY: signal() with SIG_IGN installs no Rust code as a handler.
            #[cfg(unix)]
            previous: unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) },
        }
    }
}

impl Drop for IgnoreSigint {
    fn drop(&mut self) {
        // SAFETY: puts back the disposition signal() returned (default, ignore or the caller's).
        #[cfg(unix)]
        unsafe {
            libc::signal(libc::SIGINT, self.previous);
        }
    }
}

#[cfg(unix)]
fn has_terminal() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .is_ok()
}

#[cfg(not(unix))]
fn has_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_beats_environment_and_both_are_validated() {
        let env = Env::from_pairs([("AWS_MFA_TOKEN_CODE", "222222")]);
        assert_eq!(
            preset_code(Some("111111"), &env)
                .unwrap()
                .as_ref()
                .map(Secret::expose),
            Some("111111")
        );
        assert_eq!(
            preset_code(None, &env)
                .unwrap()
                .as_ref()
                .map(Secret::expose),
            Some("222222")
        );
        assert_eq!(preset_code(None, &Env::default()).unwrap(), None);
        assert!(preset_code(Some("12345"), &env).is_err());
        assert!(preset_code(None, &Env::from_pairs([("AWS_MFA_TOKEN_CODE", "abcdef")])).is_err());
    }

    #[test]
    fn plain_command_lines_split_without_a_shell() {
        assert_eq!(
            split_plain("ykman oath accounts code --single 'aws: me'").unwrap(),
            ["ykman", "oath", "accounts", "code", "--single", "aws: me"]
        );
        assert_eq!(split_plain("a \"b c\" ''").unwrap(), ["a", "b c", ""]);
        for shell in [
            "a | b", "echo $X", "a > f", "a; b", "'open", "a && b", "`x`",
        ] {
            assert_eq!(split_plain(shell), None, "{shell}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn mfa_process_output_is_validated() {
        assert_eq!(run_mfa_process("echo 123456").unwrap().expose(), "123456");
        assert_eq!(
            run_mfa_process("printf ' 654321\\n' | cat")
                .unwrap()
                .expose(),
            "654321"
        );
        let e = run_mfa_process("echo 12345").unwrap_err();
        assert!(
            e.to_string().contains("did not print a 6-digit code"),
            "{e}"
        );
        assert_eq!(crate::error::kind_of(&e), Kind::MfaNeeded);
        let e = run_mfa_process("false").unwrap_err();
        assert!(e.to_string().contains("mfa_process `false` failed"), "{e}");
        assert!(run_mfa_process("/nonexistent/tool").is_err());
    }

    #[test]
    fn sources_in_order() {
        let s = CodeSource {
            preset: Some("111111".into()),
            mfa_process: Some(&"false".into()),
        };
        assert_eq!(s.get("serial").unwrap().expose(), "111111");
        #[cfg(unix)]
        assert_eq!(
            CodeSource {
                preset: None,
                mfa_process: Some(&"echo 222222".into())
            }
            .get("serial")
            .unwrap()
            .expose(),
            "222222"
        );
    }
}
