//! Local attacks and accidents while awscred obtains an MFA code: an
//! `mfa_process` that hangs, floods or fails with a seed in its arguments,
//! signals at the prompt, and a panic.

use crate::support::*;
use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// A home whose default profile gets its code from `mfa_process = command`.
fn home_with_mfa_process(command: &str) -> Home {
    let config = CONFIG.replacen(
        "[default]\n",
        &format!("[default]\nmfa_process = {command}\n"),
        1,
    );
    Home::with(&config, CREDENTIALS)
}

/// An executable `#!/bin/sh` script in `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The scripts live outside the home, so a config naming them can be written first.
fn scripts() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

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

/// Gone: reaped, or a zombie that only its new parent can reap.
fn gone(pid: &str) -> bool {
    let out = Command::new("ps")
        .args(["-o", "stat=", "-p", pid.trim()])
        .output()
        .unwrap();
    let stat = String::from_utf8_lossy(&out.stdout);
    stat.trim().is_empty() || stat.trim_start().starts_with('Z')
}

fn wait_until_gone(pid: &str) {
    let start = Instant::now();
    while !gone(pid) {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "process {} is still running",
            pid.trim()
        );
        thread::sleep(Duration::from_millis(50));
    }
}

/// An `mfa_process` that never finishes, or one that prints a code and exits
/// while a background child keeps its stdout open: after the timeout both are
/// killed with everything they started, awscred exits 4 with one line, and the
/// session lock is free for the next run.
#[test]
fn a_hanging_mfa_process_is_killed_with_its_children_and_frees_the_lock() {
    let dir = scripts();
    let hangs = script(
        dir.path(),
        "hangs.sh",
        "echo $$ > \"$HOME/child.pid\"\nsleep 600 &\necho $! > \"$HOME/grandchild.pid\"\nexec sleep 600\n",
    );
    let leaves_a_child = script(
        dir.path(),
        "leaves-a-child.sh",
        "sleep 600 &\necho $! > \"$HOME/grandchild.pid\"\necho 123456\n",
    );
    for command in [&hangs, &leaves_a_child] {
        let (home, sts) = (
            home_with_mfa_process(&command.display().to_string()),
            FakeSts::start(),
        );
        let (r, took) = run_bounded(
            home.cmd(&sts)
                .arg("mfa")
                .env("AWSCRED_MFA_PROCESS_TIMEOUT", "2"),
            Duration::from_secs(30),
        );
        assert_eq!((r.code, r.stdout.as_str()), (4, "false\n"), "{}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(
            r.stderr.contains("did not finish within 2 s"),
            "{}",
            r.stderr
        );
        assert!(
            took >= Duration::from_millis(1900) && took < Duration::from_secs(15),
            "took {took:?}"
        );
        for pid in ["child.pid", "grandchild.pid"] {
            if let Ok(pid) = fs::read_to_string(home.path().join(pid)) {
                wait_until_gone(&pid);
            }
        }
        assert!(home.path().join("grandchild.pid").exists());
        assert!(sts.requests().is_empty());

        let (r, took) = run_bounded(
            home.cmd(&sts).args(["mfa", "123456"]),
            Duration::from_secs(30),
        );
        r.expect_ok();
        assert!(
            took < Duration::from_secs(5),
            "waited {took:?} for the lock"
        );
    }
}

/// `yes` fills any buffer: awscred reads a few KiB, stops it and fails at
/// once, without waiting for the timeout. (Address space is capped so the
/// unbounded read this test guards against cannot exhaust the machine.)
#[test]
fn an_mfa_process_with_endless_output_is_cut_off() {
    let (home, sts) = (home_with_mfa_process("yes 123456"), FakeSts::start());
    let mut c = home.cmd(&sts);
    c.arg("mfa");
    // SAFETY: setrlimit is async-signal-safe; it runs in the child before exec.
    unsafe {
        c.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 1 << 30,
                rlim_max: 1 << 30,
            };
            libc::setrlimit(libc::RLIMIT_AS, &limit);
            Ok(())
        });
    }
    let (r, took) = run_bounded(&mut c, Duration::from_secs(30));
    assert_eq!((r.code, r.stdout.as_str()), (4, "false\n"), "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "awscred: mfa_process `yes` (arguments hidden) printed more than 4096 bytes and was stopped: it must print only the 6-digit code\n"
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(sts.requests().is_empty());
}

/// A slow command within the limit is simply waited for.
#[test]
fn an_mfa_process_that_answers_within_the_timeout_is_used() {
    let dir = scripts();
    let slow = script(dir.path(), "slow.sh", "sleep 1\necho 654321\n");
    let (home, sts) = (
        home_with_mfa_process(&slow.display().to_string()),
        FakeSts::start(),
    );
    let (r, _) = run_bounded(
        home.cmd(&sts)
            .arg("mfa")
            .env("AWSCRED_MFA_PROCESS_TIMEOUT", "5"),
        Duration::from_secs(30),
    );
    r.expect_ok();
    assert_eq!(sts.requests()[0].param("TokenCode"), Some("654321"));
}

/// A bad timeout is a configuration error (exit 3) before anything runs: no
/// `mfa_process`, no STS call.
#[test]
fn an_invalid_mfa_process_timeout_fails_before_anything_runs() {
    let dir = scripts();
    let counter = script(
        dir.path(),
        "code.sh",
        "echo ran >> \"$HOME/ran\"\necho 123456\n",
    );
    let (home, sts) = (
        home_with_mfa_process(&counter.display().to_string()),
        FakeSts::start(),
    );
    for bad in ["0", "601", "ten", "1.5", "-5"] {
        let (r, _) = run_bounded(
            home.cmd(&sts)
                .arg("mfa")
                .env("AWSCRED_MFA_PROCESS_TIMEOUT", bad),
            Duration::from_secs(30),
        );
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (3, "false\n"),
            "{bad}: {}",
            r.stderr
        );
        assert_eq!(
            r.stderr,
            "awscred: AWSCRED_MFA_PROCESS_TIMEOUT must be whole seconds from 1 to 600: fix or unset it\n"
        );
    }
    assert!(!home.path().join("ran").exists(), "mfa_process ran");
    assert!(sts.requests().is_empty());
}

/// `mfa_process` arguments often hold a TOTP seed or a token: no failure may
/// print them, nor any 8-character piece of them.
#[test]
fn mfa_process_failures_never_show_its_arguments() {
    const SEED: &str = "K5XWC3DPNFWGS5DFMFZXG2LENRWGCZLT";
    let dir = scripts();
    let slow = script(dir.path(), "slow.sh", "exec sleep 600\n");
    let cases = [
        (
            format!("false --totp -b {SEED}"),
            "mfa_process `false` (arguments hidden) failed",
        ),
        (
            format!("/nonexistent/oathtool --totp -b {SEED}"),
            "mfa_process `/nonexistent/oathtool` (arguments hidden) was not found",
        ),
        (
            format!("{} --totp -b {SEED}", slow.display()),
            "(arguments hidden) did not finish within 1 s",
        ),
        (
            format!("echo --totp -b {SEED}"),
            "mfa_process `echo` (arguments hidden) did not print a 6-digit code",
        ),
        (
            format!("echo {SEED} | tr A-Z a-z"),
            "mfa_process `echo` (arguments hidden) did not print a 6-digit code",
        ),
        (
            format!("SEED={SEED} oathtool --totp"),
            "mfa_process (command hidden) was not found",
        ),
    ];
    for (command, expected) in cases {
        let (home, sts) = (home_with_mfa_process(&command), FakeSts::start());
        let (r, _) = run_bounded(
            home.cmd(&sts)
                .arg("mfa")
                .env("AWSCRED_MFA_PROCESS_TIMEOUT", "1"),
            Duration::from_secs(30),
        );
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (4, "false\n"),
            "{command}: {}",
            r.stderr
        );
        assert!(r.stderr.contains(expected), "{command}: {}", r.stderr);
        let stderr = r.stderr.to_ascii_uppercase();
        for piece in SEED.as_bytes().windows(8) {
            let piece = std::str::from_utf8(piece).unwrap();
            assert!(
                !stderr.contains(piece),
                "{command}: `{piece}` of the seed in: {}",
                r.stderr
            );
        }
    }
}

/// Runs `awscred mfa` under a pseudo-terminal (util-linux `script`), sends it
/// `signal` once the prompt has turned echo off, and returns what the terminal
/// showed, awscred's stdout, and the terminal's `stty -g` before and after.
fn signal_at_the_prompt(signal: libc::c_int) -> (String, String, String, String) {
    let (home, sts) = (Home::new(), FakeSts::start());
    let file = |name: &str| home.path().join(name);
    let inner = format!(
        "tty > '{tty}'; stty -g > '{before}'; sh -c 'echo $$ > \"$0\"; exec \"$1\" mfa > \"$2\"' '{pid}' '{bin}' '{out}'; echo rc=$?; stty -g > '{after}'; stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(echo|icanon|isig)' | sort | tr '\\n' ' '",
        tty = file("tty").display(),
        before = file("before").display(),
        pid = file("pid").display(),
        bin = env!("CARGO_BIN_EXE_awscred"),
        out = file("out").display(),
        after = file("after").display(),
    );
    let transcript = file("transcript");
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &inner, "/dev/null"])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWSCRED_CACHE_DIR", home.cache_dir())
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .stdin(Stdio::piped()) // kept open: on EOF `script` would end the session
        .stdout(File::create(&transcript).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("`script` (util-linux) is required");
    let start = Instant::now();
    let waited = |what: &str| {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "waited too long for {what}: {:?}",
            fs::read_to_string(&transcript)
        );
        thread::sleep(Duration::from_millis(20));
    };
    let read = |name: &str| fs::read_to_string(file(name)).unwrap_or_default();
    while read("pid").trim().is_empty() || read("tty").trim().is_empty() {
        waited("awscred to start");
    }
    let pid: i32 = read("pid").trim().parse().unwrap();
    let tty = std::ffi::CString::new(read("tty").trim()).unwrap();
    // The prompt is up once echo is off (rpassword's raw mode).
    while echo_is_on(&tty) {
        waited("the prompt to turn echo off");
    }
    // SAFETY: signals awscred, which this test started.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("still running: {:?}", fs::read_to_string(&transcript));
        }
        thread::sleep(Duration::from_millis(20));
    }
    assert!(sts.requests().is_empty());
    assert!(home.cache_entries().is_empty());
    (
        fs::read_to_string(&transcript).unwrap(),
        read("out"),
        read("before"),
        read("after"),
    )
}

/// SIGTERM, SIGHUP or SIGQUIT at the hidden prompt (a closed terminal window,
/// `kill`, a session manager): the terminal gets back exactly the modes it
/// had (echo and signal keys on), stdout gets the failure line, and awscred
/// dies of the signal, so the shell reports 128 + signal.
#[test]
fn a_signal_at_the_prompt_leaves_the_terminal_as_it_was() {
    for signal in [libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
        let (terminal, stdout, before, after) = signal_at_the_prompt(signal);
        assert!(terminal.contains("MFA code for"), "{terminal:?}");
        assert!(
            terminal.contains(&format!("rc={}", 128 + signal)),
            "signal {signal}: {terminal:?}"
        );
        assert!(!before.trim().is_empty());
        assert_eq!(before, after, "signal {signal}: stty -g before and after");
        assert!(
            terminal.contains("echo icanon isig"),
            "signal {signal}: {terminal:?}"
        );
        assert_eq!(stdout, "false\n", "signal {signal}");
        assert!(!terminal.contains("core dumped"), "{terminal:?}");
    }
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

/// `mfa_process` runs in its own process group, so Ctrl-C at the terminal
/// reaches only awscred: awscred must pass it on (kill the group), print the
/// failure line and die of SIGINT as before (the shell then stops too, which
/// `script -e` reports as 130).
#[test]
fn ctrl_c_while_mfa_process_runs_stops_it_too() {
    let dir = scripts();
    let hangs = script(
        dir.path(),
        "hangs.sh",
        "echo $$ > \"$HOME/child.pid\"\nexec sleep 600\n",
    );
    let home = home_with_mfa_process(&hangs.display().to_string());
    let sts = FakeSts::start();
    let file = |name: &str| home.path().join(name);
    let inner = format!(
        "'{bin}' mfa > '{out}'; echo not reached",
        bin = env!("CARGO_BIN_EXE_awscred"),
        out = file("out").display(),
    );
    let transcript = file("transcript");
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &inner, "/dev/null"])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWSCRED_CACHE_DIR", home.cache_dir())
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .stdin(Stdio::piped())
        .stdout(File::create(&transcript).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("`script` (util-linux) is required");
    let start = Instant::now();
    while fs::read_to_string(file("child.pid"))
        .unwrap_or_default()
        .trim()
        .is_empty()
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "mfa_process never started"
        );
        thread::sleep(Duration::from_millis(20));
    }
    let mut keys = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut keys, b"\x03").unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(40) {
            let _ = child.kill();
            panic!("still running: {:?}", fs::read_to_string(&transcript));
        }
        thread::sleep(Duration::from_millis(20));
    };
    drop(keys);
    let terminal = fs::read_to_string(&transcript).unwrap();
    assert_eq!(status.code(), Some(130), "{terminal:?}");
    assert!(!terminal.contains("not reached"), "{terminal:?}");
    assert!(terminal.contains("stopped by a signal"), "{terminal:?}");
    assert_eq!(fs::read_to_string(file("out")).unwrap(), "false\n");
    wait_until_gone(&fs::read_to_string(file("child.pid")).unwrap());
    assert!(sts.requests().is_empty());
}

/// awscred blocks its handled signals for a moment around starting
/// `mfa_process`; the command itself must start with none blocked, or
/// SIGTERM, SIGHUP, SIGINT and SIGQUIT could never stop it.
#[cfg(target_os = "linux")]
#[test]
fn mfa_process_starts_with_no_signal_blocked() {
    let dir = tempfile::tempdir().unwrap();
    let status = dir.path().join("status");
    let home = home_with_mfa_process(&format!("cp /proc/self/status {}", status.display()));
    let sts = FakeSts::start();
    let (r, _) = run_bounded(home.cmd(&sts).arg("mfa"), Duration::from_secs(30));
    assert_eq!(r.code, 4, "cp prints no code: {}", r.stderr);
    let status = fs::read_to_string(status).unwrap();
    let blocked = status
        .lines()
        .find_map(|l| l.strip_prefix("SigBlk:"))
        .unwrap()
        .trim();
    assert_eq!(u64::from_str_radix(blocked, 16).unwrap(), 0, "{status}");
}

/// The command `exec` runs, with or without the credential server, and
/// `mfa_process` get credentials at most, never awscred's own secret inputs.
#[test]
fn no_child_inherits_the_key_passphrase_or_the_mfa_code() {
    let dir = scripts();
    let seen = dir.path().join("seen");
    let code = script(
        dir.path(),
        "code.sh",
        &format!("env > {}\necho 123456\n", seen.display()),
    );
    let home = home_with_mfa_process(code.to_str().unwrap());
    let sts = FakeSts::start();
    let show = "echo \"[${AWSCRED_KEYS_PASSPHRASE-}|${AWS_MFA_TOKEN_CODE-}]${AWS_ACCESS_KEY_ID-}${AWS_CONTAINER_CREDENTIALS_FULL_URI-}\"";
    for server in [false, true] {
        let mut c = home.cmd(&sts);
        c.arg("exec");
        if server {
            c.arg("--server");
        }
        let r = run(c
            .args(["--", "sh", "-c", show])
            .env("AWSCRED_KEYS_PASSPHRASE", "correct horse battery staple")
            .env("AWS_MFA_TOKEN_CODE", "123456"));
        r.expect_ok();
        assert!(r.stdout.starts_with("[|]"), "server {server}: {}", r.stdout);
        assert!(r.stdout.len() > "[|]\n".len(), "it got credentials");
    }
    // No code given: mfa_process is asked, and sees neither variable.
    let cold = home_with_mfa_process(code.to_str().unwrap());
    run(cold
        .cmd(&sts)
        .args(["mfa"])
        .env("AWSCRED_KEYS_PASSPHRASE", "correct horse battery staple"))
    .expect_ok();
    let env = fs::read_to_string(&seen).unwrap();
    assert!(env.contains("PATH="), "{env}");
    assert!(!env.contains("AWSCRED_KEYS_PASSPHRASE"), "{env}");
}
