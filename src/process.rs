//! Every process awscred starts, in one place: what it inherits, and the
//! bounds on the command lines the configuration names (`mfa_process`,
//! `credential_process`); browsers (`console`) start detached.
//!
//! A child never inherits awscred's own secret inputs ([`env::NEVER_INHERITED`]:
//! the key file's passphrase, an MFA code): it gets credentials at most.
//! A configured command runs through the shell, as the AWS CLI and aws-vault
//! run it, in its own process group (unix), with a timeout and an output cap;
//! past either, or when awscred is interrupted, the group (the command and
//! anything it started) is killed. Messages name the program, never its
//! arguments, which often carry a TOTP seed or a token.

use crate::env;
use crate::error::{fail, Kind};
use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// Removes awscred's secret inputs from what `cmd` inherits.
pub fn scrub(cmd: &mut Command) {
    for name in env::NEVER_INHERITED {
        cmd.env_remove(name);
    }
}

/// Starts a program awscred does not wait for (a browser, `console`): its
/// secret inputs scrubbed, stdin empty and output discarded (a browser keeps
/// writing long after awscred has exited), and on unix in a process group of
/// its own, so a Ctrl-C meant for awscred does not close the browser.
pub fn detached(cmd: &mut Command) -> std::io::Result<Child> {
    scrub(cmd);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(cmd, 0);
    cmd.spawn()
}

/// How long a configured command may run and how much it may print.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub timeout: Duration,
    /// The most stdout may hold; stderr is kept up to the same size.
    pub max_output: usize,
}

/// A command line from the configuration, and how its failures are told.
pub struct Job<'a> {
    /// The setting it comes from (`mfa_process`), for messages.
    pub setting: &'static str,
    pub command: &'a str,
    /// Variables for the command (never a secret).
    pub vars: Vec<(&'static str, String)>,
    /// Keep stderr for the caller (the AWS SDKs do so for `credential_process`);
    /// otherwise it goes to awscred's stderr.
    pub capture_stderr: bool,
    pub limits: Limits,
    /// The variable that sets `limits.timeout`, for the message.
    pub timeout_var: &'static str,
    /// What the command must print, for the message about too much output.
    pub prints: &'static str,
    /// The exit code of every failure to run it.
    pub kind: Kind,
    /// Set from another thread, it stops the command (killed with its group)
    /// and `run` fails with [`Kind::Interrupted`]: the race between
    /// `mfa_process` and a prompt cancels the loser.
    pub cancel: Option<&'a std::sync::atomic::AtomicBool>,
}

/// What a finished command left.
/// Debug shows only the status and sizes: stdout holds secrets.
pub struct Output {
    pub status: ExitStatus,
    pub stdout: Zeroizing<Vec<u8>>,
    pub stderr: Vec<u8>,
}

impl Job<'_> {
    /// How messages name the command (see [`describe`]).
    pub fn name(&self) -> String {
        describe(self.setting, self.command)
    }

    /// Runs the command to its end within the limits. An exit status other
    /// than success is the caller's to judge (its output may explain it).
    pub fn run(&self) -> anyhow::Result<Output> {
        let mut cmd = Command::new(if cfg!(windows) { "cmd" } else { "sh" });
        cmd.args(if cfg!(windows) {
            ["/C", self.command]
        } else {
            ["-c", self.command]
        });
        self.run_command(cmd)
    }

    /// Runs `program` with `args` directly, not through a shell (a dialog
    /// program awscred chose, whose arguments are awscred's own text), within
    /// the same bounds. `None` when the program is not installed.
    pub fn run_program(&self, program: &str, args: &[String]) -> anyhow::Result<Option<Output>> {
        let mut cmd = Command::new(program);
        cmd.args(args);
        match self.run_command(cmd) {
            Err(e) if e.downcast_ref::<NotFound>().is_some() => Ok(None),
            other => other.map(Some),
        }
    }

    fn run_command(&self, mut cmd: Command) -> anyhow::Result<Output> {
        let name = self.name();
        scrub(&mut cmd);
        cmd.envs(self.vars.iter().map(|(k, v)| (k, v)));
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(if self.capture_stderr {
                Stdio::piped()
            } else {
                Stdio::inherit()
            });
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);

        // Signals wait until the child's group is known, so a signal in between
        // cannot leave it running; they are handled (group killed) from then on.
        #[cfg(unix)]
        let blocked = crate::signals::block();
        #[cfg(unix)]
        blocked.not_in(&mut cmd);
        #[cfg(unix)]
        let _signals = crate::signals::Handlers::install(&crate::signals::WITH_SIGINT);
        let child = cmd.spawn().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                return anyhow::Error::new(NotFound).context(fail(
                    self.kind,
                    format!("cannot run {name}: {e}: check the {} setting", self.setting),
                ));
            }
            fail(
                self.kind,
                format!("cannot run {name}: {e}: check the {} setting", self.setting),
            )
        })?;
        let mut running = Running::new(child);
        #[cfg(unix)]
        drop(blocked);

        running.finish(self.limits, self.cancel).map_err(|stop| match stop {
            Stop::Cancelled => fail(Kind::Interrupted, format!("{name} was cancelled")),
            Stop::Timeout => fail(
                self.kind,
                format!(
                    "{name} did not finish within {} s and was stopped: run it by hand to see why, or set {} (seconds, up to 600)",
                    self.limits.timeout.as_secs(),
                    self.timeout_var
                ),
            ),
            Stop::TooMuch => fail(
                self.kind,
                format!(
                    "{name} printed more than {} bytes and was stopped: it must print {}",
                    self.limits.max_output, self.prints
                ),
            ),
            Stop::Io(e) => fail(
                self.kind,
                format!("cannot read the output of {name}: {e}: run it by hand to see why"),
            ),
        })
    }
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output")
            .field("status", &self.status)
            .field("stdout_bytes", &self.stdout.len())
            .field("stderr_bytes", &self.stderr.len())
            .finish()
    }
}

/// Why a failed exit status failed, in the shell's own terms.
pub fn why_failed(status: ExitStatus) -> String {
    match status.code() {
        Some(127) => "was not found (exit status 127): check the program name and PATH".to_string(),
        Some(126) => "could not be run (exit status 126): check that it is executable".to_string(),
        _ => format!("failed ({status}): run it by hand to see why"),
    }
}

/// How a message names a configured command: the program and never its
/// arguments (`oathtool --totp -b SEED` is shown as ``mfa_process `oathtool`
/// (arguments hidden)``). A first word that does not look like a program name
/// (a `SEED=… tool` assignment, quotes, odd characters) is not shown either.
pub fn describe(setting: &str, command: &str) -> String {
    let mut tokens = command.split_whitespace();
    let (program, more) = (tokens.next().unwrap_or(""), tokens.next().is_some());
    let plain = !program.is_empty()
        && program.len() <= 200
        && program
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._+-/~:\\".contains(c));
    match (plain, more) {
        (true, true) => format!("{setting} `{program}` (arguments hidden)"),
        (true, false) => format!("{setting} `{program}`"),
        (false, _) => format!("{setting} (command hidden)"),
    }
}

/// A program to run directly was not found (see [`Job::run_program`]).
#[derive(Debug)]
struct NotFound;

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not found")
    }
}

impl std::error::Error for NotFound {}

/// Why a command was stopped before it finished.
enum Stop {
    Cancelled,
    Timeout,
    TooMuch,
    Io(std::io::Error),
}

/// A running command. Dropped before it was reaped (timeout, too much
/// output, an error), it is killed with its whole process group.
struct Running {
    child: Child,
    reaped: bool,
}

/// Reads at most `cap` bytes of `from` on a thread, then drains the rest
/// without keeping it, so the command never blocks on a full pipe; the answer
/// says whether there was more.
fn read_capped<R: Read + Send + 'static>(
    mut from: R,
    cap: usize,
) -> mpsc::Receiver<std::io::Result<(Zeroizing<Vec<u8>>, bool)>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // Sized up front: no reallocation leaves a copy of a secret behind.
        let mut buf = Zeroizing::new(Vec::with_capacity(cap + 1));
        let read = (&mut from)
            .take(cap as u64 + 1)
            .read_to_end(&mut buf)
            .map(|_| {
                let more = buf.len() > cap;
                buf.truncate(cap);
                (buf, more)
            });
        let _ = tx.send(read);
        let _ = std::io::copy(&mut from, &mut std::io::sink());
    });
    rx
}

/// The last `cap` bytes of `from`, read on a thread to its end: a command's
/// last words (a nested awscred's one line) come after whatever it printed
/// before. Memory stays within twice `cap` however much comes.
fn read_tail<R: Read + Send + 'static>(
    mut from: R,
    cap: usize,
) -> mpsc::Receiver<std::io::Result<(Zeroizing<Vec<u8>>, bool)>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut kept = Zeroizing::new(Vec::with_capacity(2 * cap + 8192));
        let mut chunk = [0u8; 8192];
        let mut more = false;
        let read = loop {
            match from.read(&mut chunk) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    kept.extend_from_slice(&chunk[..n]);
                    if kept.len() > 2 * cap {
                        let cut = kept.len() - cap;
                        kept.drain(..cut);
                        more = true;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        if kept.len() > cap {
            let cut = kept.len() - cap;
            kept.drain(..cut);
            more = true;
        }
        let _ = tx.send(read.map(|()| (kept, more)));
    });
    rx
}

impl Running {
    fn new(child: Child) -> Running {
        #[cfg(unix)]
        crate::signals::set_child_group(child.id());
        Running {
            child,
            reaped: false,
        }
    }

    /// Its exit status and output, once it has exited and closed stdout (as
    /// `$(…)` waits), within `limits`.
    fn finish(
        &mut self,
        limits: Limits,
        cancel: Option<&std::sync::atomic::AtomicBool>,
    ) -> Result<Output, Stop> {
        let deadline = Instant::now() + limits.timeout;
        let left = || deadline.saturating_duration_since(Instant::now());
        let cancelled = || cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::Acquire));
        let stdout = self
            .child
            .stdout
            .take()
            .ok_or_else(|| Stop::Io(std::io::ErrorKind::BrokenPipe.into()))?;
        let stderr = self
            .child
            .stderr
            .take()
            .map(|e| read_tail(e, limits.max_output));
        let reading = read_capped(stdout, limits.max_output);
        // In short slices, so a cancel is seen within 20 ms.
        let stdout = loop {
            if cancelled() {
                return Err(Stop::Cancelled);
            }
            match reading.recv_timeout(left().min(Duration::from_millis(20))) {
                Ok(Ok((_, true))) => return Err(Stop::TooMuch),
                Ok(Ok((buf, false))) => break buf,
                Ok(Err(e)) => return Err(Stop::Io(e)),
                Err(mpsc::RecvTimeoutError::Timeout) if !left().is_zero() => continue,
                Err(_) => return Err(Stop::Timeout),
            }
        };
        // stdout is closed; the command itself usually has exited by now.
        let status = loop {
            if let Some(status) = self.child.try_wait().map_err(Stop::Io)? {
                self.reaped = true;
                break status;
            }
            if Instant::now() >= deadline {
                return Err(Stop::Timeout);
            }
            if cancelled() {
                return Err(Stop::Cancelled);
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        // What it wrote to stderr, as far as it is there by the deadline (a
        // grandchild may hold the pipe open: it is not waited for).
        let stderr = match stderr.map(|rx| rx.recv_timeout(left().min(Duration::from_millis(200))))
        {
            Some(Ok(Ok((buf, _)))) => buf.to_vec(),
            _ => Vec::new(),
        };
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        #[cfg(unix)]
        {
            // The group may outlive its leader (something it started in the
            // background): it goes too, once the leader's pid is no longer
            // awscred's to reuse, which it is not until reaped.
            if !self.reaped {
                crate::signals::kill_group(self.child.id());
            }
        }
        if !self.reaped {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        #[cfg(unix)]
        crate::signals::forget_child_group(self.child.id());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(command: &str) -> Job<'_> {
        Job {
            setting: "credential_process",
            command,
            vars: vec![],
            capture_stderr: true,
            limits: Limits {
                timeout: Duration::from_secs(5),
                max_output: 64,
            },
            timeout_var: "AWSCRED_CREDENTIAL_PROCESS_TIMEOUT",
            prints: "one JSON document",
            kind: Kind::Input,
            cancel: None,
        }
    }

    #[test]
    fn names_hide_the_arguments() {
        assert_eq!(
            describe("mfa_process", "oathtool --totp -b SEED"),
            "mfa_process `oathtool` (arguments hidden)"
        );
        assert_eq!(
            describe("credential_process", "SEED=x tool"),
            "credential_process (command hidden)"
        );
    }

    #[cfg(unix)]
    #[test]
    fn stdout_and_stderr_are_kept_and_bounded() {
        let out = job("printf out; printf err >&2; exit 3").run().unwrap();
        assert_eq!(&out.stdout[..], b"out");
        assert_eq!(out.stderr, b"err");
        assert_eq!(out.status.code(), Some(3));
        // A flood on stderr does not block the command; its last 64 bytes are kept.
        let out = job("yes e | head -c 100000 >&2; printf 'the last line' >&2; printf ok")
            .run()
            .unwrap();
        assert_eq!((&out.stdout[..], out.stderr.len()), (&b"ok"[..], 64));
        assert!(out.stderr.ends_with(b"the last line"));
        let e = job("yes '{'").run().unwrap_err();
        assert!(e.to_string().contains("printed more than 64 bytes"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_command_past_its_time_is_killed_with_its_group() {
        let tmp = tempfile::tempdir().unwrap();
        let pid_file = tmp.path().join("pid");
        let command = format!("sleep 300 & echo $! > {}; wait", pid_file.display());
        let mut j = job(&command);
        j.limits.timeout = Duration::from_secs(1);
        let start = Instant::now();
        let e = j.run().unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(4));
        assert!(e.to_string().contains("did not finish within 1 s"), "{e}");
        let pid: i32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // The background sleep was in the group: gone (a zombie reaped by init at most).
        std::thread::sleep(Duration::from_millis(200));
        let alive = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| !s.contains(") Z "))
            .unwrap_or(false);
        assert!(!alive, "the command's background child still runs");
    }

    #[cfg(unix)]
    #[test]
    fn a_child_never_inherits_awscreds_secret_inputs() {
        std::env::set_var("AWSCRED_KEYS_PASSPHRASE", "correct horse");
        std::env::set_var("AWS_MFA_TOKEN_CODE", "123456");
        let out = job("echo \"[${AWSCRED_KEYS_PASSPHRASE-}${AWS_MFA_TOKEN_CODE-}]\"")
            .run()
            .unwrap();
        std::env::remove_var("AWSCRED_KEYS_PASSPHRASE");
        std::env::remove_var("AWS_MFA_TOKEN_CODE");
        assert_eq!(&out.stdout[..], b"[]\n");
    }
}
