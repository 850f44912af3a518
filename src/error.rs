//! Failure kinds and the exit codes they map to.
//!
//! Every user-facing failure is a [`Fail`]: a kind (which decides the exit code)
//! and one line saying what happened and what to do. Anything else that bubbles
//! up as a plain `anyhow::Error` is a bug or an OS error and exits with 1.

use std::fmt;
use std::sync::OnceLock;

/// Declares [`Kind`] and [`Kind::DOCS`] from one list, so the man page's
/// EXIT STATUS is the variants' doc comments.
macro_rules! kinds {
    ($( $(#[doc = $doc:literal])* $name:ident = $code:literal, )*) => {
        /// Exit codes, documented in the README and the man page. Stable: scripts
        /// may test for them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Kind {
            $( $(#[doc = $doc])* $name = $code, )*
        }

        impl Kind {
            /// Every kind with its doc comment (lines joined as written, each
            /// starting with a space: trim before use).
            pub const DOCS: &[(Kind, &str)] = &[$((Kind::$name, concat!($($doc),*))),*];
        }
    };
}

kinds! {
    /// Unexpected internal or OS error.
    Internal = 1,
    /// Bad command line: an unknown flag or a value clap refuses (clap exits
    /// with 2 too), or a format that cannot do what was asked (`unset` with a
    /// data format from `AWSCRED_FORMAT`).
    Usage = 2,
    /// Bad configuration or input: unknown profile, malformed code, broken config line.
    Input = 3,
    /// An MFA code is needed and none could be obtained (no argument, no env, no terminal).
    MfaNeeded = 4,
    /// STS answered and refused: wrong code, bad keys, access denied, expired token.
    StsRejected = 5,
    /// STS could not be reached or did not answer usefully: refused, timeout, 5xx, throttling, garbage.
    Network = 6,
    /// There is no valid session: `export` for a profile with an MFA device and
    /// no cached session, an SSO profile without a valid login (`awscred sso login`),
    /// `status` without session credentials in the environment.
    NoSession = 7,
    /// `status`: the session in the environment has expired (or has 10 minutes or less left).
    Expired = 8,
    /// `exec`: the command could not be started (not found, not executable);
    /// `console`: no browser could be started, or every one failed.
    Exec = 127,
    /// Ctrl-C at the MFA prompt or while `mfa_process` runs, or Cancel in
    /// the MFA dialog (128 + SIGINT, as shells report it).
    Interrupted = 130,
}

impl Kind {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// A failure the user can act on. The message never contains a secret.
#[derive(Debug)]
pub struct Fail {
    pub kind: Kind,
    pub message: String,
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Fail {}

/// Builds an `anyhow::Error` carrying a [`Fail`].
pub fn fail(kind: Kind, message: impl Into<String>) -> anyhow::Error {
    Fail {
        kind,
        message: message.into(),
    }
    .into()
}

/// Longest message printed, in characters: anything longer was built from
/// something hostile or broken, and the start says enough.
const MAX_MESSAGE: usize = 1000;

/// Prints `awscred: <message>` on stderr as exactly one line. This is the one
/// way awscred talks to the terminal: text from outside (an STS error, a
/// profile name, a path) may hold escape sequences that repaint the terminal or
/// a newline that forges another `awscred:` line, so every control character is
/// shown escaped (`\n`, `\u{1b}`) and the length is capped.
/// A warning: one line on stderr, `awscred: warning: …`, the run goes on.
pub fn warn(message: &str) {
    report(&format!("warning: {message}"));
}

pub fn report(message: &str) {
    use std::io::Write;
    // Not eprintln!: it panics when stderr is a closed pipe, and the panic
    // hook reports through here too.
    let _ = writeln!(std::io::stderr().lock(), "awscred: {}", one_line(message));
}

/// The failure line of the command's output format (`false\n` for `env`),
/// stored once clap has parsed the command line, so that the panic hook and
/// the signal handlers (which cannot return an error) still make `eval` fail.
static FAILURE_LINE: OnceLock<&'static str> = OnceLock::new();

pub fn set_failure_line(line: &'static str) {
    let _ = FAILURE_LINE.set(line);
}

/// Empty until set, and for formats without one. Reading a `OnceLock` is an
/// atomic load and a copy, so a signal handler may call this.
pub fn failure_line() -> &'static str {
    FAILURE_LINE.get().copied().unwrap_or("")
}

/// `message` as one printable line of at most [`MAX_MESSAGE`] characters.
pub fn one_line(message: &str) -> String {
    let mut out = String::new();
    for (i, c) in message.chars().enumerate() {
        if i == MAX_MESSAGE {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The exit code for an error: the first [`Fail`] in its chain, else `Internal`.
pub fn kind_of(err: &anyhow::Error) -> Kind {
    err.chain()
        .find_map(|e| e.downcast_ref::<Fail>())
        .map_or(Kind::Internal, |f| f.kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_escapes_control_characters_and_caps_the_length() {
        assert_eq!(
            one_line("bad\n\x1b[2Jcode\nawscred: forged\r\t\u{9b}"),
            "bad\\n\\u{1b}[2Jcode\\nawscred: forged\\r\\t\\u{9b}"
        );
        assert_eq!(one_line("it's fine: ‘é’ 🦀"), "it's fine: ‘é’ 🦀");
        let long = one_line(&"x".repeat(5000));
        assert_eq!(long.chars().count(), MAX_MESSAGE + 1);
        assert!(long.ends_with('…'));
    }
}
