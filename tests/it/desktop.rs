//! No terminal, a desktop: `credential-process` (as an IDE runs it) asks
//! for the code in a real zenity or kdialog window on a private Xvfb
//! display, which the tests drive with xdotool as a user would.

use crate::support::*;
use std::fs;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// A private X server (`Xvfb -displayfd`: it picks a free display number).
struct Display {
    server: Child,
    name: String,
}

/// A display's name, for xdotool from any thread.
#[derive(Clone)]
struct Screen {
    name: String,
}

impl Display {
    fn start() -> Display {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("display");
        let file = fs::File::create(&fifo).unwrap();
        let server = Command::new("Xvfb")
            .args([
                "-displayfd",
                "3",
                "-nolisten",
                "tcp",
                "-screen",
                "0",
                "1024x768x24",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .fd3(file)
            .spawn()
            .expect("Xvfb (package xvfb) is required");
        let start = Instant::now();
        let name = loop {
            let n = fs::read_to_string(&fifo).unwrap_or_default();
            if n.ends_with('\n') {
                break format!(":{}", n.trim());
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "Xvfb did not start"
            );
            thread::sleep(Duration::from_millis(20));
        };
        Display { server, name }
    }

    fn screen(&self) -> Screen {
        Screen {
            name: self.name.clone(),
        }
    }
}

impl Screen {
    fn xdotool(&self, args: &[&str]) -> String {
        let out = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.name)
            .output()
            .expect("xdotool is required");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The windows whose title is exactly `title`, waiting up to 15 s for one.
    fn windows(&self, title: &str) -> Vec<String> {
        let start = Instant::now();
        loop {
            let found: Vec<String> = self
                .xdotool(&[
                    "search",
                    "--onlyvisible",
                    "--name",
                    &format!("^{}$", regex_quote(title)),
                ])
                .lines()
                .map(str::to_string)
                .collect();
            if !found.is_empty() {
                return found;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "no window titled {title:?}"
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types `keys` (then presses `then`) into the window titled `title`.
    fn answer(&self, title: &str, keys: &str, then: &str) {
        let window = self.windows(title).remove(0);
        // Focus again until the window has it (it may still be mapping).
        self.xdotool(&["windowfocus", "--sync", &window]);
        thread::sleep(Duration::from_millis(300));
        if !keys.is_empty() {
            self.xdotool(&["type", "--delay", "30", keys]);
        }
        self.xdotool(&["key", then]);
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

fn regex_quote(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == ' ' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

/// `Command::fd3`: the file as the child's descriptor 3 (Xvfb's -displayfd).
trait Fd3 {
    fn fd3(&mut self, file: fs::File) -> &mut Self;
}

impl Fd3 for Command {
    fn fd3(&mut self, file: fs::File) -> &mut Self {
        use std::os::fd::IntoRawFd;
        use std::os::unix::process::CommandExt;
        let fd = file.into_raw_fd();
        // SAFETY: dup2 in the child between fork and exec.
        unsafe {
            self.pre_exec(move || {
                if libc::dup2(fd, 3) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            })
        }
    }
}

/// A dialog program on PATH that records each start and runs the real one.
fn counting(home: &Home, program: &str) -> (String, std::path::PathBuf) {
    let bin = home.path().join("bin");
    fs::create_dir_all(&bin).unwrap();
    let log = home.path().join(format!("{program}.starts"));
    let wrapper = bin.join(program);
    fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nexec /usr/bin/{program} \"$@\"\n",
            log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (path, log)
}

const TITLE: &str = "awscred: MFA code for default";

/// The code typed into zenity reaches STS; the window's title names the
/// profile and its text (the argument zenity got) the device and account.
#[test]
fn zenity_asks_when_there_is_no_terminal() {
    let (home, sts, x) = (Home::new(), FakeSts::start(), Display::start());
    let (path, log) = counting(&home, "zenity");
    let typing = {
        let x = x.screen();
        thread::spawn(move || x.answer(TITLE, "123456", "Return"))
    };
    let r = run(home
        .cmd(&sts)
        .env("DISPLAY", &x.name)
        .env("PATH", &path)
        .arg("credential-process"));
    typing.join().unwrap();
    r.expect_ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["AccessKeyId"], issued(1).0);
    assert_eq!(sts.requests()[0].param("TokenCode"), Some("123456"));
    let started = fs::read_to_string(&log).unwrap();
    assert_eq!(started.lines().count(), 1, "{started}");
    assert!(
        started.contains("--text=The 6-digit code of MFA device arn:aws:iam::123456789012:mfa/alice (account 123456789012)"),
        "{started}"
    );
    assert!(!started.contains("123456 "), "no code in argv: {started}");
}

/// Escape in the dialog: the failure, exit 130, no STS call, nothing cached.
#[test]
fn escape_in_the_dialog_cancels_like_ctrl_c() {
    let (home, sts, x) = (Home::new(), FakeSts::start(), Display::start());
    let typing = {
        let x = x.screen();
        thread::spawn(move || x.answer(TITLE, "", "Escape"))
    };
    let r = run(home
        .cmd(&sts)
        .env("DISPLAY", &x.name)
        .arg("credential-process"));
    typing.join().unwrap();
    r.expect_failure(130, "", "cancelled at the MFA dialog: nothing was changed");
    assert!(sts.requests().is_empty());
    assert!(home.cache_entries().is_empty());
}

/// A wrong code gets the dialog again, saying so; the right one then works.
/// kdialog, chosen by the variable, even though zenity is installed.
#[test]
fn kdialog_retries_a_code_that_is_not_six_digits() {
    let (home, sts, x) = (Home::new(), FakeSts::start(), Display::start());
    let (path, log) = counting(&home, "kdialog");
    let typing = {
        let x = x.screen();
        thread::spawn(move || {
            x.answer(TITLE, "12ab", "Return");
            // The first window is gone before the second one comes.
            thread::sleep(Duration::from_millis(500));
            x.answer(TITLE, "654321", "Return");
        })
    };
    let r = run(home
        .cmd(&sts)
        .env("DISPLAY", &x.name)
        .env("PATH", &path)
        .env("AWSCRED_MFA_PROMPT", "kdialog")
        .env("XDG_RUNTIME_DIR", home.path())
        .arg("credential-process"));
    typing.join().unwrap();
    r.expect_ok();
    assert_eq!(sts.requests().len(), 1);
    assert_eq!(sts.requests()[0].param("TokenCode"), Some("654321"));
    let started = fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = started.lines().collect();
    assert_eq!(lines.len(), 2, "{started}");
    assert!(
        lines[1].contains("That was not a 6-digit code."),
        "{started}"
    );
}

/// 20 callers at once, as an IDE starts them: one dialog, one STS call,
/// and all 20 get the same session.
#[test]
fn twenty_callers_one_dialog_one_sts_call() {
    let (home, sts, x) = (Home::new(), FakeSts::start(), Display::start());
    let (path, log) = counting(&home, "zenity");
    let callers: Vec<_> = (0..20)
        .map(|_| {
            home.cmd(&sts)
                .env("DISPLAY", &x.name)
                .env("PATH", &path)
                .arg("credential-process")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let screen = x.screen();
    let shown = screen.windows(TITLE);
    // Give any other caller time to (wrongly) show its own.
    thread::sleep(Duration::from_millis(1500));
    assert_eq!(screen.windows(TITLE).len(), 1, "one dialog: {shown:?}");
    screen.answer(TITLE, "123456", "Return");
    for c in callers {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["AccessKeyId"], issued(1).0);
    }
    assert_eq!(sts.session_calls(), 1);
    assert_eq!(fs::read_to_string(&log).unwrap().lines().count(), 1);
}

/// No terminal and no desktop (no DISPLAY): exit 4, as before.
#[test]
fn no_terminal_and_no_desktop_is_exit_4() {
    let (home, sts) = (Home::new(), FakeSts::start());
    run(home.cmd(&sts).arg("credential-process")).expect_failure(
        4,
        "",
        "there is no terminal to ask on",
    );
    // `none` never asks, even with a desktop.
    let x = Display::start();
    run(home
        .cmd(&sts)
        .env("DISPLAY", &x.name)
        .arg("credential-process")
        .args(["--mfa-prompt", "none"]))
    .expect_failure(4, "", "there is no terminal to ask on");
    run(home
        .cmd(&sts)
        .arg("credential-process")
        .args(["--mfa-prompt", "popup"]))
    .expect_failure(3, "", "--mfa-prompt: mfa_prompt must be auto, terminal");
    assert!(sts.requests().is_empty());
}

/// The race with a dialog: mfa_process is slow, so the dialog shows (saying
/// "touch your key"); mfa_process's code then wins and the dialog is closed.
#[test]
fn a_slow_mfa_process_closes_the_dialog_it_beat() {
    let config = format!(
        "{CONFIG}\n[profile key]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nmfa_process = sh -c 'sleep 2; echo 222222'\n"
    );
    let credentials = format!(
        "{CREDENTIALS}\n[key]\naws_access_key_id = AKIAKEYKEYKEYKEY0001\naws_secret_access_key = keySecret\n"
    );
    let (home, sts, x) = (
        Home::with(&config, &credentials),
        FakeSts::start(),
        Display::start(),
    );
    let (path, log) = counting(&home, "zenity");
    let caller = home
        .cmd(&sts)
        .env("DISPLAY", &x.name)
        .env("PATH", &path)
        .args(["credential-process", "--profile", "key"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let screen = x.screen();
    screen.windows("awscred: MFA code for key");
    let out = caller.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sts.requests()[0].param("TokenCode"), Some("222222"));
    let gone = screen.xdotool(&["search", "--onlyvisible", "--name", "awscred"]);
    assert_eq!(gone.trim(), "", "the dialog was closed");
    let started = fs::read_to_string(&log).unwrap();
    assert!(
        started.contains("Touch your key or type the code."),
        "{started}"
    );
}
