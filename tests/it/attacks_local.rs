//! Local attacks and accidents while awscred obtains an MFA code: a panic.

use crate::support::*;
use std::fs::{self, File};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Runs awscred with stdout and stderr in files (a grandchild holding a pipe
/// open cannot hang the test) and kills its process group (it is a session
/// leader, see `Home::cmd`) if it is still running after `limit`.
fn run_bounded(c: &mut Command, limit: Duration) -> (Run, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));
    let start = Instant::now();
    let mut child = c
        .stdout(File::create(&out).unwrap())
        .stderr(File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            // SAFETY: signals the test's own child's process group.
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            let _ = child.wait();
            panic!(
                "awscred still running after {limit:?}; stderr: {}",
                fs::read_to_string(&err).unwrap_or_default()
            );
        }
        thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: fs::read_to_string(&out).unwrap(),
        stderr: fs::read_to_string(&err).unwrap(),
    };
    (run, elapsed)
}

/// A panic (a bug) still leaves the format's failure line on stdout, so
/// `set -e; eval "$(awscred mfa …)"` stops, and prints one generic line with
/// the location but not the message, which may hold a secret; exit 1.
#[test]
fn a_panic_prints_the_failure_line_and_one_generic_line() {
    let (home, sts) = (Home::new(), FakeSts::start());
    for (format, failure) in [
        (None, "false\n"),
        (
            Some("powershell"),
            "throw 'awscred failed: see the message above'\n",
        ),
        (Some("json"), ""),
    ] {
        let mut c = home.cmd(&sts);
        c.args(["mfa", "123456"]).env("AWSCRED_DEBUG_PANIC", "1");
        if let Some(f) = format {
            c.args(["--format", f]);
        }
        let (r, _) = run_bounded(&mut c, Duration::from_secs(30));
        assert_eq!((r.code, r.stdout.as_str()), (1, failure), "{}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(
            r.stderr
                .starts_with("awscred: internal error at src/main.rs:")
                && r.stderr.ends_with("please report it\n"),
            "{}",
            r.stderr
        );
        for secret in ["wJalr", "EXAMPLEKEY", "fake secret", "panicked"] {
            assert!(!r.stderr.contains(secret), "{}", r.stderr);
        }
    }
    assert!(sts.requests().is_empty());

    let script = format!(
        "set -e; eval \"$('{}' mfa 123456)\"; echo reached",
        env!("CARGO_BIN_EXE_awscred")
    );
    let mut bash = Command::new("bash");
    bash.args(["--noprofile", "--norc", "-c", &script])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWSCRED_CACHE_DIR", home.cache_dir())
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .env("AWSCRED_DEBUG_PANIC", "1")
        .stdin(Stdio::null());
    // SAFETY: setsid in the child: no controlling terminal to prompt on.
    unsafe {
        bash.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let (r, _) = run_bounded(&mut bash, Duration::from_secs(30));
    assert_ne!(r.code, 0);
    assert_eq!(r.stdout, "", "set -e stopped at the eval");
    assert!(sts.requests().is_empty());
}
