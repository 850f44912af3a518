//! Where the MFA code comes from, in order: the argument, `AWS_MFA_TOKEN_CODE`,
//! the profile's `mfa_process`, then a prompt on the terminal itself
//! (`/dev/tty`), which works while stdout and stderr are captured (`$(…)`,
//! credential_process). With none of these: exit code 4.
//!
//! While a code is being obtained awscred holds the session lock and may have
//! the terminal without echo or a child running, so both sources are bounded:
//! `mfa_process` by a timeout and an output cap, and a signal or a panic
//! puts the terminal back and stops the child (see [`stop`]).

use crate::dialog::{self, Answer, Dialog, Words};
use crate::env::Env;
use crate::error::{fail, Kind};
use crate::process::{self, Job, Limits};
use crate::secret::Secret;
#[cfg(unix)]
use crate::signals as stop;
use crate::validate;
use anyhow::Result;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// What is settled before any file lock or network call: the code given up
/// front (argument, then environment) and how long `mfa_process` may run.
/// Both come from the user and are validated now, so a typo fails at once.
pub struct Preset {
    code: Option<Secret>,
    limits: Limits,
}

impl Preset {
    pub fn code(&self) -> Option<&Secret> {
        self.code.as_ref()
    }
}

/// The code given up front and the limits on `mfa_process`, validated (exit 3).
pub fn preset_code(arg: Option<&str>, env: &Env) -> Result<Preset> {
    let code = match arg.or_else(|| env.aws_mfa_token_code()) {
        Some(code) => Some(validate::code(code)?.into()),
        None => None,
    };
    Ok(Preset {
        code,
        limits: Limits {
            timeout: mfa_process_timeout(env)?,
            max_output: MAX_OUTPUT,
        },
    })
}

/// How long `mfa_process` may run by default: a hardware key waiting for a
/// touch takes seconds; anything longer holds the session lock for nothing.
const DEFAULT_TIMEOUT: u64 = 60;

/// The most `mfa_process` may print. A code is 6 digits; this leaves room for
/// a trailing line or two and keeps a runaway command from filling memory.
const MAX_OUTPUT: usize = 4096;

/// `AWSCRED_MFA_PROCESS_TIMEOUT` (whole seconds, 1–600), default 60.
fn mfa_process_timeout(env: &Env) -> Result<Duration> {
    env.seconds(crate::env::AWSCRED_MFA_PROCESS_TIMEOUT, DEFAULT_TIMEOUT)
}

/// `mfa_prompt` / `AWSCRED_MFA_PROMPT`: how to ask for a code that is not
/// given up front.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// The terminal when there is one, else a desktop dialog when there is
    /// a desktop, else none.
    #[default]
    Auto,
    Terminal,
    Dialog(Dialog),
    /// Never ask: the code comes up front or from `mfa_process`.
    None,
}

impl Mode {
    pub const NAMES: &str = "auto, terminal, zenity, kdialog, osascript, windows or none";

    /// One of [`Mode::NAMES`]; `origin` names where it was set, for the message.
    pub fn parse(value: &str, origin: &str) -> Result<Mode> {
        Ok(match value {
            "auto" => Mode::Auto,
            "terminal" => Mode::Terminal,
            "zenity" => Mode::Dialog(Dialog::Zenity),
            "kdialog" => Mode::Dialog(Dialog::Kdialog),
            "osascript" => Mode::Dialog(Dialog::Osascript),
            "windows" => Mode::Dialog(Dialog::Windows),
            "none" => Mode::None,
            _ => {
                return Err(fail(
                    Kind::Input,
                    format!(
                        "{origin}: mfa_prompt must be {}, not `{}`",
                        Self::NAMES,
                        crate::error::one_line(value)
                    ),
                ))
            }
        })
    }
}

/// Where a prompt can be shown, once [`Mode`] met this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Asker {
    Terminal,
    /// A dialog; with `Auto`, the programs to try in turn (kdialog when
    /// zenity is not installed).
    Dialogs(&'static [Dialog]),
}

/// The desktop dialogs `auto` tries, on this platform, when there is a desktop.
fn desktop(env: &Env) -> Option<&'static [Dialog]> {
    if cfg!(target_os = "macos") {
        return Some(&[Dialog::Osascript]);
    }
    if cfg!(windows) {
        return Some(&[Dialog::Windows]);
    }
    let set = |v: Option<&str>| v.is_some_and(|v| !v.is_empty());
    (set(env.display()) || set(env.wayland_display())).then_some(&[Dialog::Zenity, Dialog::Kdialog])
}

fn asker(mode: Mode, env: &Env) -> Option<Asker> {
    match mode {
        Mode::Auto if has_terminal() => Some(Asker::Terminal),
        Mode::Auto => desktop(env).map(Asker::Dialogs),
        Mode::Terminal => has_terminal().then_some(Asker::Terminal),
        Mode::Dialog(d) => Some(Asker::Dialogs(match d {
            Dialog::Zenity => &[Dialog::Zenity],
            Dialog::Kdialog => &[Dialog::Kdialog],
            Dialog::Osascript => &[Dialog::Osascript],
            Dialog::Windows => &[Dialog::Windows],
        })),
        Mode::None => None,
    }
}

/// The sources after the preset one: asked only when a code is really needed
/// (cache miss, lock held), so a valid session never runs `mfa_process` or prompts.
pub struct CodeSource<'a> {
    pub preset: Preset,
    pub mfa_process: Option<&'a Secret>,
    /// How to give a code to the command that asks, for the message when
    /// none can be had (an argument, or none possible under credential_process).
    pub hint: String,
    /// The profile asked for, named by every prompt.
    pub profile: &'a str,
    pub mode: Mode,
    pub env: &'a Env,
}

/// How long `mfa_process` has before a prompt is shown beside it: an
/// instant `oathtool` shows nothing; a key waiting for a touch does not.
const RACE_GRACE: Duration = Duration::from_millis(400);

impl CodeSource<'_> {
    pub fn get(self, serial: &str) -> Result<Secret> {
        if let Some(code) = self.preset.code {
            return Ok(code);
        }
        let limits = self.preset.limits;
        let asker = asker(self.mode, self.env);
        let words = |race: bool| Words {
            title: format!("awscred: MFA code for {}", self.profile),
            text: format!(
                "{}The 6-digit code of MFA device {serial}{}",
                if race {
                    "Touch your key or type the code. "
                } else {
                    ""
                },
                crate::validate::arn_account(serial)
                    .map(|a| format!(" (account {a})"))
                    .unwrap_or_default()
            ),
        };
        let label = |race: bool| {
            format!(
                "awscred: MFA code for {} ({serial}){}: ",
                self.profile,
                if race {
                    ", touch your key or type the code"
                } else {
                    ""
                }
            )
        };
        match (self.mfa_process, asker) {
            (Some(command), None) => run_mfa_process(command.expose(), limits, None),
            (Some(command), Some(asker)) => {
                race(command.expose(), limits, asker, &label(true), &words(true))
            }
            (None, Some(Asker::Terminal)) => ask(&label(false)),
            (None, Some(Asker::Dialogs(d))) => ask_dialogs(d, &words(false), limits, None),
            (None, None) => Err(fail(
                Kind::MfaNeeded,
                format!(
                    "an MFA code for {serial} is needed and there is no terminal to ask on: {}",
                    self.hint
                ),
            )),
        }
    }
}

/// The first of `dialogs` that is installed asks (see [`dialog::ask_code`]).
fn ask_dialogs(
    dialogs: &[Dialog],
    words: &Words,
    limits: Limits,
    cancel: Option<&AtomicBool>,
) -> Result<Secret> {
    let (last, first) = dialogs
        .split_last()
        .ok_or_else(|| fail(Kind::MfaNeeded, "no dialog program to ask with"))?;
    for &d in first {
        match d.ask(
            &Words {
                title: words.title.clone(),
                text: words.text.clone(),
            },
            limits,
            cancel,
        ) {
            Ok(Answer::Missing) => continue,
            Ok(Answer::Cancelled) => return Err(dialog::cancelled()),
            Ok(Answer::Typed(typed)) => match validate::code(typed.expose()) {
                Ok(code) => return Ok(code.into()),
                // Two more tries with the same program.
                Err(_) => return dialog::ask_code(d, &retry(words), limits, cancel),
            },
            Err(e) => return Err(e),
        }
    }
    dialog::ask_code(*last, words, limits, cancel)
}

fn retry(words: &Words) -> Words {
    Words {
        title: words.title.clone(),
        text: format!("That was not a 6-digit code. {}", words.text),
    }
}

/// What each side of the race sends.
enum Event {
    Process(Result<Secret>),
    Prompt(Result<Secret>),
}

/// `mfa_process` and a prompt at once: the prompt shows only if
/// `mfa_process` has not answered within [`RACE_GRACE`]; the first valid
/// code wins and the other side is cancelled (`mfa_process` killed with its
/// group, the dialog closed, the terminal put back). When `mfa_process`
/// fails, the prompt stays and one line says so.
fn race(command: &str, limits: Limits, asker: Asker, label: &str, words: &Words) -> Result<Secret> {
    // One owner for the handlers while both sides run: a signal puts the
    // terminal back and kills both groups.
    #[cfg(unix)]
    let _signals = stop::Handlers::install(&stop::WITH_SIGINT);
    let (stop_process, stop_prompt) = (AtomicBool::new(false), AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        let to_race = tx.clone();
        let stop_process = &stop_process;
        scope.spawn(move || {
            let _ = to_race.send(Event::Process(run_mfa_process(
                command,
                limits,
                Some(stop_process),
            )));
        });
        let process_failed = |e: &anyhow::Error| {
            crate::error::report(&format!("{e}; type the code instead"));
        };
        let mut process_done = false;
        match rx.recv_timeout(RACE_GRACE) {
            Ok(Event::Process(Ok(code))) => return Ok(code),
            Ok(Event::Process(Err(e))) if crate::error::kind_of(&e) == Kind::Interrupted => {
                return Err(e)
            }
            Ok(Event::Process(Err(e))) => {
                process_failed(&e);
                process_done = true;
            }
            _ => {}
        }
        let result = match asker {
            Asker::Terminal => race_terminal(label, &rx, process_done, &process_failed),
            Asker::Dialogs(dialogs) => {
                let to_race = tx.clone();
                let stop_prompt = &stop_prompt;
                scope.spawn(move || {
                    let _ = to_race.send(Event::Prompt(ask_dialogs(
                        dialogs,
                        words,
                        limits,
                        Some(stop_prompt),
                    )));
                });
                loop {
                    match rx.recv() {
                        Ok(Event::Process(Ok(code))) => break Ok(code),
                        Ok(Event::Process(Err(e))) => process_failed(&e),
                        Ok(Event::Prompt(r)) => break r,
                        Err(_) => {
                            break Err(fail(
                                Kind::Internal,
                                "the MFA prompt ended without an answer",
                            ))
                        }
                    }
                }
            }
        };
        // The loser goes; the scope waits for its thread, so it is gone
        // (its group killed) before awscred calls STS.
        stop_process.store(true, Ordering::Release);
        stop_prompt.store(true, Ordering::Release);
        result
    })
}

/// Runs `mfa_process` (see [`process::Job`] for its bounds) and checks it
/// printed a code; `cancel` stops it (the race).
fn run_mfa_process(command: &str, limits: Limits, cancel: Option<&AtomicBool>) -> Result<Secret> {
    let job = Job {
        setting: "mfa_process",
        command,
        vars: Vec::new(),
        capture_stderr: false,
        limits,
        timeout_var: crate::env::AWSCRED_MFA_PROCESS_TIMEOUT,
        prints: "only the 6-digit code",
        kind: Kind::MfaNeeded,
        cancel,
    };
    let name = job.name();
    let out = job.run()?;
    if !out.status.success() {
        return Err(fail(
            Kind::MfaNeeded,
            format!("{name} {}", process::why_failed(out.status)),
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    validate::code(text.trim()).map(Secret::from).map_err(|_| {
        fail(
            Kind::MfaNeeded,
            format!("{name} did not print a 6-digit code: run it by hand to see what it prints"),
        )
    })
}

/// The terminal prompt (the caller checked there is a terminal).
fn ask(label: &str) -> Result<Secret> {
    // rpassword puts the terminal back whenever it returns; a signal or a
    // panic meanwhile puts back the modes saved here.
    #[cfg(unix)]
    let _terminal = stop::Terminal::save();
    #[cfg(unix)]
    let _signals = stop::Handlers::install(&stop::AT_PROMPT);
    let _sigint = IgnoreSigint::new();
    for _ in 0..3 {
        let typed = rpassword::prompt_password(label).map_err(|e| match e.kind() {
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

/// The terminal side of the race: the prompt without echo, read in short
/// polls so that a code from `mfa_process` closes it (what was typed is
/// discarded, never left for the shell); the terminal's modes come back on
/// every way out (a signal: [`stop`]). Three tries, as [`ask`].
#[cfg(unix)]
fn race_terminal(
    label: &str,
    rx: &mpsc::Receiver<Event>,
    mut process_done: bool,
    process_failed: &dyn Fn(&anyhow::Error),
) -> Result<Secret> {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|e| fail(Kind::MfaNeeded, format!("cannot open the terminal: {e}")))?;
    let fd = tty.as_raw_fd();
    let _saved = stop::Terminal::save();
    // SAFETY: tcgetattr fills a zeroed termios for a descriptor we hold.
    let original = unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut t) != 0 {
            return Err(fail(Kind::MfaNeeded, "cannot read the terminal's modes"));
        }
        t
    };
    struct Restore(i32, libc::termios);
    impl Drop for Restore {
        fn drop(&mut self) {
            // SAFETY: puts back the modes tcgetattr returned, on a descriptor still open.
            unsafe {
                libc::tcsetattr(self.0, libc::TCSANOW, &self.1);
            }
        }
    }
    let mut quiet = original;
    quiet.c_lflag &= !libc::ECHO;
    // SAFETY: as above; the line discipline keeps lines and signal keys.
    unsafe {
        libc::tcsetattr(fd, libc::TCSANOW, &quiet);
    }
    let _restore = Restore(fd, original);
    let say = |text: &str| {
        let _ = (&tty)
            .write_all(text.as_bytes())
            .and_then(|()| (&tty).flush());
    };
    for _ in 0..3 {
        say(label);
        let mut line = zeroize::Zeroizing::new(Vec::with_capacity(256));
        loop {
            let mut ready = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one pollfd, valid for the call.
            let n = unsafe { libc::poll(&mut ready, 1, 30) };
            if n > 0 {
                let mut buf = zeroize::Zeroizing::new([0u8; 64]);
                // SAFETY: reads into a buffer of its length.
                let got = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
                if got == 0 {
                    say("\n");
                    return Err(fail(Kind::Input, "no MFA code was typed (end of input)"));
                }
                if got > 0 {
                    let got = got.unsigned_abs();
                    if line.len() + got <= line.capacity() {
                        line.extend_from_slice(&buf[..got]);
                    }
                    if buf[..got].contains(&b'\n') {
                        break;
                    }
                }
            }
            match rx.try_recv() {
                Ok(Event::Process(Ok(code))) => {
                    // SAFETY: discards what was typed and not read.
                    unsafe {
                        libc::tcflush(fd, libc::TCIFLUSH);
                    }
                    say("\n");
                    return Ok(code);
                }
                Ok(Event::Process(Err(e))) if !process_done => {
                    process_done = true;
                    say("\n");
                    process_failed(&e);
                    say(label);
                }
                _ => {}
            }
        }
        say("\n");
        let typed = String::from_utf8_lossy(&line);
        match validate::code(typed.trim()) {
            Ok(code) => return Ok(code.into()),
            Err(e) => crate::error::report(&e.to_string()),
        }
    }
    Err(fail(
        Kind::Input,
        "no valid MFA code after 3 tries: run again with the 6-digit code",
    ))
}

/// Elsewhere the terminal prompt cannot be polled: it asks alone.
#[cfg(not(unix))]
fn race_terminal(
    label: &str,
    _rx: &mpsc::Receiver<Event>,
    _process_done: bool,
    _process_failed: &dyn Fn(&anyhow::Error),
) -> Result<Secret> {
    ask(label)
}

/// One line read on the terminal without echo (a passphrase, a secret key),
/// with the MFA prompt's protections: the terminal is put back on a signal
/// or a panic, and Ctrl-C ends awscred with 130 and nothing changed.
pub fn hidden(label: &str) -> Result<Secret> {
    if !has_terminal() {
        return Err(fail(Kind::Input, "there is no terminal to ask on"));
    }
    #[cfg(unix)]
    let _terminal = stop::Terminal::save();
    #[cfg(unix)]
    let _signals = stop::Handlers::install(&stop::AT_PROMPT);
    let _sigint = IgnoreSigint::new();
    rpassword::prompt_password(label)
        .map(Secret::from)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::Interrupted => fail(
                Kind::Interrupted,
                "interrupted at the prompt: nothing was changed",
            ),
            _ => fail(Kind::Input, format!("cannot read from the terminal: {e}")),
        })
}

/// A yes/no question on the terminal (visible input): true only for `y` or
/// `yes`. Without a terminal: false.
pub fn confirm(question: &str) -> Result<bool> {
    use std::io::{BufRead, Read, Write};
    if !has_terminal() {
        return Ok(false);
    }
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(if cfg!(windows) { "CONIN$" } else { "/dev/tty" })
        .map_err(|e| fail(Kind::Input, format!("cannot open the terminal: {e}")))?;
    (&tty)
        .write_all(question.as_bytes())
        .and_then(|()| (&tty).flush())
        .map_err(|e| fail(Kind::Input, format!("cannot write to the terminal: {e}")))?;
    let mut answer = String::new();
    std::io::BufReader::new(&tty)
        .take(64)
        .read_line(&mut answer)
        .map_err(|e| fail(Kind::Input, format!("cannot read from the terminal: {e}")))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// rpassword turns off the terminal's signal keys, reads Ctrl-C itself and
/// raises SIGINT *before* it restores the terminal: with SIGINT's default
/// action the process would die leaving the terminal without echo. While the
/// prompt is up SIGINT is ignored, so rpassword restores the terminal and
/// returns `Interrupted`, and awscred exits 130 cleanly.
struct IgnoreSigint {
    #[cfg(unix)]
    previous: Option<libc::sigaction>,
}

impl IgnoreSigint {
    fn new() -> IgnoreSigint {
        IgnoreSigint {
            // SAFETY: sigaction() with SIG_IGN installs no Rust code as a
            // handler; the whole previous action (flags included) is kept.
            #[cfg(unix)]
            previous: unsafe {
                let mut ignore: libc::sigaction = std::mem::zeroed();
                ignore.sa_sigaction = libc::SIG_IGN;
                let mut old: libc::sigaction = std::mem::zeroed();
                (libc::sigaction(libc::SIGINT, &ignore, &mut old) == 0).then_some(old)
            },
        }
    }
}

impl Drop for IgnoreSigint {
    fn drop(&mut self) {
        // SAFETY: puts back the action sigaction() returned (default, ignore
        // or the caller's, with its flags: `exec --server` needs SA_SIGINFO).
        #[cfg(unix)]
        if let Some(old) = &self.previous {
            unsafe {
                libc::sigaction(libc::SIGINT, old, std::ptr::null_mut());
            }
        }
    }
}

/// A controlling terminal this process may prompt on: it is in the
/// terminal's foreground group. A background job (`awscred serve … &`) that
/// changed the terminal's modes would be stopped by SIGTTOU, holding the
/// session lock, so it gets the "no terminal" error instead.
#[cfg(unix)]
pub fn has_terminal() -> bool {
    use std::os::fd::AsRawFd;
    let Ok(tty) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
    else {
        return false;
    };
    // SAFETY: both calls only read process and terminal state.
    unsafe { libc::tcgetpgrp(tty.as_raw_fd()) == libc::getpgrp() }
}

#[cfg(not(unix))]
pub fn has_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(arg: Option<&str>, env: &Env) -> Result<Option<String>> {
        preset_code(arg, env).map(|p| p.code().map(|c| c.expose().to_string()))
    }

    const LIMITS: Limits = Limits {
        timeout: Duration::from_secs(60),
        max_output: MAX_OUTPUT,
    };

    #[test]
    fn argument_beats_environment_and_both_are_validated() {
        let env = Env::from_pairs([("AWS_MFA_TOKEN_CODE", "222222")]);
        assert_eq!(
            code(Some("111111"), &env).unwrap().as_deref(),
            Some("111111")
        );
        assert_eq!(code(None, &env).unwrap().as_deref(), Some("222222"));
        assert_eq!(code(None, &Env::default()).unwrap(), None);
        assert!(code(Some("12345"), &env).is_err());
        assert!(code(None, &Env::from_pairs([("AWS_MFA_TOKEN_CODE", "abcdef")])).is_err());
    }

    #[test]
    fn mfa_process_timeout_is_whole_seconds_from_1_to_600() {
        let timeout =
            |v: &str| mfa_process_timeout(&Env::from_pairs([("AWSCRED_MFA_PROCESS_TIMEOUT", v)]));
        assert_eq!(
            timeout("").unwrap(),
            Duration::from_secs(60),
            "empty is unset"
        );
        assert_eq!(timeout("1").unwrap(), Duration::from_secs(1));
        assert_eq!(timeout("600").unwrap(), Duration::from_secs(600));
        for bad in ["0", "601", "1.5", "-1", "ten", "60s", " 60"] {
            let e = timeout(bad).unwrap_err();
            assert_eq!(crate::error::kind_of(&e), Kind::Input, "{bad}");
            assert!(e.to_string().contains("from 1 to 600"), "{e}");
        }
        let env = Env::from_pairs([("AWSCRED_MFA_PROCESS_TIMEOUT", "0")]);
        assert!(
            preset_code(Some("123456"), &env).is_err(),
            "checked up front"
        );
    }

    /// One rule: the line is a shell command, whatever is in it.
    #[cfg(unix)]
    #[test]
    fn mfa_process_is_always_a_shell_command() {
        let run = |c: &str| run_mfa_process(c, LIMITS, None).map(|s| s.expose().to_string());
        assert_eq!(
            run("printf '%s\\n' 'x y' 123456 | tail -n 1").unwrap(),
            "123456"
        );
        assert_eq!(run("LC_ALL=C printf 135790").unwrap(), "135790");
        assert_eq!(run("CODE=246810; echo \"$CODE\"").unwrap(), "246810");
    }

    #[test]
    fn messages_name_the_program_and_never_its_arguments() {
        let name = |c| process::describe("mfa_process", c);
        assert_eq!(
            name("oathtool --totp -b JBSWY3DPEHPK3PXP"),
            "mfa_process `oathtool` (arguments hidden)"
        );
        assert_eq!(
            name("/usr/bin/oathtool --totp -b \"$(pass seed)\""),
            "mfa_process `/usr/bin/oathtool` (arguments hidden)"
        );
        assert_eq!(name("ykman-code"), "mfa_process `ykman-code`");
        for hidden in [
            "SEED=JBSWY3DPEHPK3PXP oathtool --totp",
            "'my tool' JBSWY3DPEHPK3PXP",
            "JBSWY3DP|x",
            "",
        ] {
            assert_eq!(name(hidden), "mfa_process (command hidden)", "{hidden}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn mfa_process_output_is_validated() {
        let run = |c: &str| run_mfa_process(c, LIMITS, None);
        assert_eq!(run("echo 123456").unwrap().expose(), "123456");
        assert_eq!(run("printf ' 654321\\n' | cat").unwrap().expose(), "654321");
        let e = run("echo 12345 SEEDSEED").unwrap_err();
        assert_eq!(
            e.to_string(),
            "mfa_process `echo` (arguments hidden) did not print a 6-digit code: run it by hand to see what it prints"
        );
        assert_eq!(crate::error::kind_of(&e), Kind::MfaNeeded);
        let e = run("false SEEDSEED").unwrap_err();
        assert_eq!(
            e.to_string(),
            "mfa_process `false` (arguments hidden) failed (exit status: 1): run it by hand to see why"
        );
        let e = run("/nonexistent/tool SEEDSEED").unwrap_err();
        assert_eq!(
            e.to_string(),
            "mfa_process `/nonexistent/tool` (arguments hidden) was not found (exit status 127): check the program name and PATH"
        );
        assert!(!e.to_string().contains("SEEDSEED"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn mfa_process_output_is_capped() {
        let limits = Limits {
            max_output: 10,
            ..LIMITS
        };
        assert_eq!(
            run_mfa_process("printf '123456\\n\\n\\n\\n'", limits, None)
                .unwrap()
                .expose(),
            "123456",
            "10 bytes are fine"
        );
        let e = run_mfa_process("printf '123456\\n\\n\\n\\n\\n'", limits, None).unwrap_err();
        assert!(e.to_string().contains("printed more than 10 bytes"), "{e}");
    }

    #[test]
    fn sources_in_order() {
        let s = CodeSource {
            hint: String::new(),
            preset: preset_code(Some("111111"), &Env::default()).unwrap(),
            mfa_process: Some(&"false".into()),
            profile: "p",
            mode: Mode::None,
            env: &Env::default(),
        };
        assert_eq!(s.get("serial").unwrap().expose(), "111111");
        #[cfg(unix)]
        assert_eq!(
            CodeSource {
                hint: String::new(),
                preset: preset_code(None, &Env::default()).unwrap(),
                mfa_process: Some(&"echo 222222".into()),
                profile: "p",
                mode: Mode::None,
                env: &Env::default(),
            }
            .get("serial")
            .unwrap()
            .expose(),
            "222222"
        );
    }
}
