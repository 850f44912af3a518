//! Where the MFA code comes from: the argument, `AWS_MFA_TOKEN_CODE`, or a
//! prompt on the terminal itself (`/dev/tty`), so it works while stdout and
//! stderr are captured by `$(…)`.

use crate::error::{fail, Kind};
use crate::profile::{validate_code, Env};
use anyhow::Result;

/// A code given up front (argument, then environment), validated now so a typo
/// fails before any file lock or network call.
pub fn preset_code(arg: Option<&str>, env: &Env) -> Result<Option<String>> {
    match arg.or_else(|| env.get("AWS_MFA_TOKEN_CODE")) {
        Some(code) => Ok(Some(validate_code(code)?.to_string())),
        None => Ok(None),
    }
}

/// The preset code, else one typed at the terminal.
pub fn code_or_prompt(preset: Option<String>, serial: &str) -> Result<String> {
    match preset {
        Some(code) => Ok(code),
        None => ask(serial),
    }
}

fn ask(serial: &str) -> Result<String> {
    if !has_terminal() {
        return Err(no_code());
    }
    for _ in 0..3 {
        let typed = rpassword::prompt_password(format!("MFA code for {serial}: "))
            .map_err(|_| no_code())?;
        match validate_code(typed.trim()) {
            Ok(code) => return Ok(code.to_string()),
            Err(e) => eprintln!("awscred: {e}"),
        }
    }
    Err(fail(
        Kind::Input,
        "no valid MFA code after 3 tries: run again with the 6-digit code",
    ))
}

fn no_code() -> anyhow::Error {
    fail(
        Kind::MfaNeeded,
        "MFA code required: pass it as an argument (awscred mfa 123456) or set AWS_MFA_TOKEN_CODE; there is no terminal to ask on",
    )
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
            preset_code(Some("111111"), &env).unwrap().as_deref(),
            Some("111111")
        );
        assert_eq!(preset_code(None, &env).unwrap().as_deref(), Some("222222"));
        assert_eq!(preset_code(None, &Env::default()).unwrap(), None);
        assert!(preset_code(Some("12345"), &env).is_err());
        assert!(preset_code(None, &Env::from_pairs([("AWS_MFA_TOKEN_CODE", "abcdef")])).is_err());
    }
}
