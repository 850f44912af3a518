//! Desktop dialogs that ask for the MFA code when there is no terminal (an
//! IDE, a desktop app running `credential_process`): one small driver per
//! program, as aws-vault's `prompt/` has. Each driver is the exact command
//! line and how to read its answer; running it is [`process::Job`]'s (own
//! process group, timeout, output cap, killed on a signal or when the race
//! is won by `mfa_process`).
//!
//! The title and text are awscred's own words with the profile and the MFA
//! device in them, passed as separate arguments (never through a shell) or,
//! for PowerShell, in variables; the code comes back on stdout only.

use crate::error::{fail, Kind};
use crate::process::{self, Job, Limits};
use crate::secret::Secret;
use crate::validate;
use anyhow::Result;
use std::sync::atomic::AtomicBool;

/// A dialog program awscred can drive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialog {
    Zenity,
    Kdialog,
    Osascript,
    Windows,
}

/// What the window says.
pub struct Words {
    pub title: String,
    pub text: String,
}

/// What one dialog run answered.
#[derive(Debug)]
pub enum Answer {
    /// Something was typed and OK pressed (not yet validated).
    Typed(Secret),
    /// Cancel, Escape or the window closed.
    Cancelled,
    /// The program is not installed.
    Missing,
}

/// The PowerShell side: an input box whose title and text come from
/// variables (no quoting of awscred's words into the script), the answer
/// on stdout, exit 1 for Cancel and 2 when the box cannot be shown.
const POWERSHELL: &str = "try { Add-Type -AssemblyName Microsoft.VisualBasic; $c = [Microsoft.VisualBasic.Interaction]::InputBox($Env:AWSCRED_DIALOG_TEXT, $Env:AWSCRED_DIALOG_TITLE, '') } catch { exit 2 }; if ([string]::IsNullOrEmpty($c)) { exit 1 }; [Console]::Out.Write($c)";

impl Dialog {
    pub fn name(self) -> &'static str {
        match self {
            Dialog::Zenity => "zenity",
            Dialog::Kdialog => "kdialog",
            Dialog::Osascript => "osascript",
            Dialog::Windows => "powershell",
        }
    }

    /// The program, its arguments and its variables: the exact command line.
    pub fn command(
        self,
        words: &Words,
    ) -> (&'static str, Vec<String>, Vec<(&'static str, String)>) {
        let (title, text) = (words.title.clone(), words.text.clone());
        match self {
            Dialog::Zenity => (
                "zenity",
                vec![
                    "--entry".into(),
                    "--hide-text".into(),
                    format!("--title={title}"),
                    // zenity reads the text as Pango markup.
                    format!("--text={}", markup(&text)),
                ],
                vec![],
            ),
            Dialog::Kdialog => (
                "kdialog",
                vec!["--title".into(), title, "--password".into(), text],
                vec![],
            ),
            // The words are the script's arguments (`argv`), so nothing in a
            // profile name can end an AppleScript string.
            Dialog::Osascript => (
                "osascript",
                vec![
                    "-e".into(),
                    "on run argv".into(),
                    "-e".into(),
                    "set answer to display dialog (item 2 of argv) default answer \"\" with hidden answer with title (item 1 of argv) buttons {\"Cancel\", \"OK\"} default button \"OK\" cancel button \"Cancel\"".into(),
                    "-e".into(),
                    "return text returned of answer".into(),
                    "-e".into(),
                    "end run".into(),
                    title,
                    text,
                ],
                vec![],
            ),
            Dialog::Windows => (
                "powershell.exe",
                vec![
                    "-NoProfile".into(),
                    "-NonInteractive".into(),
                    "-Command".into(),
                    POWERSHELL.into(),
                ],
                vec![("AWSCRED_DIALOG_TITLE", title), ("AWSCRED_DIALOG_TEXT", text)],
            ),
        }
    }

    /// Reads a finished dialog: OK with text, Cancel, or a failure (exit 4).
    pub fn answer(self, out: &process::Output) -> Result<Answer> {
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout);
            return Ok(Answer::Typed(Secret::from(text.trim().to_string())));
        }
        let cancelled = match self {
            // zenity: 1 for Cancel, Escape or a closed window (5 is its own
            // --timeout, -1 an error); kdialog and the PowerShell box: 1.
            Dialog::Zenity | Dialog::Kdialog | Dialog::Windows => out.status.code() == Some(1),
            // AppleScript's "User canceled" is error -128.
            Dialog::Osascript => String::from_utf8_lossy(&out.stderr).contains("(-128)"),
        };
        if cancelled {
            return Ok(Answer::Cancelled);
        }
        Err(fail(
            Kind::MfaNeeded,
            format!(
                "the {} dialog {}",
                self.name(),
                process::why_failed(out.status)
            ),
        ))
    }

    /// Shows the dialog once and waits for it (bounded by `limits`).
    pub fn ask(self, words: &Words, limits: Limits, cancel: Option<&AtomicBool>) -> Result<Answer> {
        let (program, args, vars) = self.command(words);
        let job = Job {
            setting: "mfa_prompt",
            command: program,
            vars,
            // GTK and KDE chatter on stderr; a failure is told by its status.
            capture_stderr: true,
            limits,
            timeout_var: crate::env::AWSCRED_MFA_PROCESS_TIMEOUT,
            prints: "only the typed code",
            kind: Kind::MfaNeeded,
            cancel,
        };
        match job.run_program(program, &args)? {
            None => Ok(Answer::Missing),
            Some(out) => self.answer(&out),
        }
    }
}

/// `text` as Pango markup that shows it as it is.
fn markup(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Asks with `dialog` up to three times for a valid code. Cancel is
/// [`Kind::Interrupted`], as Ctrl-C at the terminal prompt.
pub fn ask_code(
    dialog: Dialog,
    words: &Words,
    limits: Limits,
    cancel: Option<&AtomicBool>,
) -> Result<Secret> {
    let mut text = words.text.clone();
    for _ in 0..3 {
        let shown = Words {
            title: words.title.clone(),
            text: text.clone(),
        };
        match dialog.ask(&shown, limits, cancel)? {
            Answer::Typed(typed) => match validate::code(typed.expose()) {
                Ok(code) => return Ok(code.into()),
                Err(_) => text = format!("That was not a 6-digit code. {}", words.text),
            },
            Answer::Cancelled => return Err(cancelled()),
            Answer::Missing => {
                return Err(fail(
                    Kind::MfaNeeded,
                    format!(
                        "mfa_prompt is {0} but {0} is not installed: install it, or set mfa_prompt (or AWSCRED_MFA_PROMPT) to another dialog or to terminal",
                        dialog.name()
                    ),
                ))
            }
        }
    }
    Err(fail(
        Kind::Input,
        "no valid MFA code after 3 tries: run again and type the 6-digit code",
    ))
}

/// Cancel in the dialog: the run ends as Ctrl-C at the prompt does.
pub fn cancelled() -> anyhow::Error {
    fail(
        Kind::Interrupted,
        "cancelled at the MFA dialog: nothing was changed",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> Words {
        Words {
            title: "awscred: MFA code for dev".into(),
            text: "The 6-digit code of MFA device arn:aws:iam::123456789012:mfa/alice (account 123456789012)".into(),
        }
    }

    #[test]
    fn command_lines_are_exact_and_carry_no_code() {
        let (p, args, vars) = Dialog::Zenity.command(&words());
        assert_eq!(p, "zenity");
        assert_eq!(
            args,
            [
                "--entry",
                "--hide-text",
                "--title=awscred: MFA code for dev",
                "--text=The 6-digit code of MFA device arn:aws:iam::123456789012:mfa/alice (account 123456789012)"
            ]
        );
        assert!(vars.is_empty());
        let (p, args, _) = Dialog::Kdialog.command(&words());
        assert_eq!(p, "kdialog");
        assert_eq!(
            args[..3],
            ["--title", "awscred: MFA code for dev", "--password"]
        );

        let (p, args, vars) = Dialog::Osascript.command(&words());
        assert_eq!(p, "osascript");
        assert_eq!(
            args.iter().filter(|a| *a == "-e").count(),
            4,
            "four script lines"
        );
        assert_eq!(args[1], "on run argv");
        assert!(args[3].starts_with("set answer to display dialog (item 2 of argv) default answer \"\" with hidden answer with title (item 1 of argv)"));
        assert_eq!(args[5], "return text returned of answer");
        assert_eq!(args[7], "end run");
        assert_eq!(
            args[8..],
            [words().title, words().text],
            "the words are argv, not script"
        );
        assert!(vars.is_empty());

        let (p, args, vars) = Dialog::Windows.command(&words());
        assert_eq!(p, "powershell.exe");
        assert_eq!(args[..3], ["-NoProfile", "-NonInteractive", "-Command"]);
        assert_eq!(args[3], POWERSHELL);
        assert!(!POWERSHELL.contains("dev"), "the words are variables");
        assert_eq!(
            vars,
            [
                ("AWSCRED_DIALOG_TITLE", words().title),
                ("AWSCRED_DIALOG_TEXT", words().text)
            ]
        );
    }

    /// A hostile profile name stays one argument and out of the script text.
    #[test]
    fn a_quote_in_a_profile_name_cannot_reach_a_script() {
        let w = Words {
            title: "awscred: MFA code for a\" & do shell script \"x".into(),
            text: "t".into(),
        };
        let (_, args, _) = Dialog::Osascript.command(&w);
        assert_eq!(args[8], w.title);
        assert!(!args[3].contains("do shell script"));
        let w = Words {
            title: "t".into(),
            text: "for <b>a&b</b>".into(),
        };
        let (_, args, _) = Dialog::Zenity.command(&w);
        assert_eq!(args[3], "--text=for &lt;b&gt;a&amp;b&lt;/b&gt;");
    }

    #[cfg(unix)]
    fn output(code: i32, stdout: &str, stderr: &str) -> process::Output {
        use std::os::unix::process::ExitStatusExt;
        process::Output {
            status: std::process::ExitStatus::from_raw(code << 8),
            stdout: zeroize::Zeroizing::new(stdout.as_bytes().to_vec()),
            stderr: stderr.as_bytes().to_vec(),
        }
    }

    #[cfg(unix)]
    #[test]
    fn answers_are_read_per_program() {
        for d in [
            Dialog::Zenity,
            Dialog::Kdialog,
            Dialog::Osascript,
            Dialog::Windows,
        ] {
            match d.answer(&output(0, "123456\n", "")).unwrap() {
                Answer::Typed(s) => assert_eq!(s.expose(), "123456", "{d:?}"),
                other => panic!("{d:?}: {other:?}"),
            }
        }
        for d in [Dialog::Zenity, Dialog::Kdialog, Dialog::Windows] {
            assert!(
                matches!(d.answer(&output(1, "", "")).unwrap(), Answer::Cancelled),
                "{d:?}"
            );
        }
        let canceled = output(1, "", "execution error: User canceled. (-128)\n");
        assert!(matches!(
            Dialog::Osascript.answer(&canceled).unwrap(),
            Answer::Cancelled
        ));
        // Another osascript error is a failure, not a cancel.
        let e = Dialog::Osascript
            .answer(&output(
                1,
                "",
                "execution error: no user interaction allowed (-1713)",
            ))
            .unwrap_err();
        assert_eq!(crate::error::kind_of(&e), Kind::MfaNeeded);
        let e = Dialog::Zenity.answer(&output(255, "", "")).unwrap_err();
        assert_eq!(crate::error::kind_of(&e), Kind::MfaNeeded);
        assert!(e.to_string().starts_with("the zenity dialog failed"), "{e}");
        let e = Dialog::Windows.answer(&output(2, "", "")).unwrap_err();
        assert!(e.to_string().contains("powershell"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_missing_program_is_told_apart() {
        let limits = Limits {
            timeout: std::time::Duration::from_secs(5),
            max_output: 64,
        };
        // No desktop here runs osascript or powershell.exe.
        assert!(matches!(
            Dialog::Osascript.ask(&words(), limits, None).unwrap(),
            Answer::Missing
        ));
        let e = ask_code(Dialog::Windows, &words(), limits, None).unwrap_err();
        assert!(e.to_string().contains("powershell is not installed"), "{e}");
    }
}
