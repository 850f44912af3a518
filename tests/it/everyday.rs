//! credential-process, exec, status, list, clear, code sources, and one
//! prompt / one STS call under parallel use.

use crate::support::*;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

fn times_asked(home: &Home) -> usize {
    fs::read_to_string(home.path().join("asked"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

/// A home with a profile `counted` whose `mfa_process` counts how often it is
/// asked (lines in `HOME/asked`) and prints 123456.
fn home_with_code_source() -> Home {
    let home = Home::new();
    let script = home.path().join("code.sh");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\necho asked >> '{}'\necho 123456\n",
            home.path().join("asked").display()
        ),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    let append = |file: &str, text: String| {
        let path = home.path().join(".aws").join(file);
        let old = fs::read_to_string(&path).unwrap();
        fs::write(path, old + &text).unwrap();
    };
    append("config", format!("\n[profile counted]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nmfa_process = {}\n", script.display()));
    append("credentials", "\n[counted]\naws_access_key_id = AKIACOUNTED000000004\naws_secret_access_key = countedSecret\n".into());
    home
}

#[test]
fn fifty_parallel_credential_processes_make_one_call_and_ask_once() {
    let home = home_with_code_source();
    let sts = FakeSts::with(vec![Reply::Delay(
        Duration::from_millis(300),
        Box::new(session()),
    )]);
    let children: Vec<_> = (0..50)
        .map(|_| {
            home.cmd(&sts)
                .args(["credential-process", "--profile", "counted"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for o in &outs {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(sts.session_calls(), 1);
    assert_eq!(times_asked(&home), 1);
    let first = &outs[0].stdout;
    assert!(
        outs.iter().all(|o| &o.stdout == first),
        "all 50 printed the same JSON"
    );
    let v: serde_json::Value = serde_json::from_slice(first).unwrap();
    assert_eq!(v["Version"], 1);
    assert_eq!(v["AccessKeyId"], issued(1).0);
    assert_eq!(v["SecretAccessKey"], issued(1).1);
    assert!(v["Expiration"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn credential_process_prints_only_json_and_nothing_on_failure() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let r = run(home
        .cmd(&sts)
        .args(["credential-process", "--profile", "work"]));
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (4, ""),
        "no code source, no terminal: {}",
        r.stderr
    );
    // No argument is possible here: the hint says what is.
    assert!(
        r.stderr.contains("there is no terminal to ask on: set mfa_process in profile work, or run `awscred mfa --profile work` in a terminal first"),
        "{}",
        r.stderr
    );
    let r = run(home
        .cmd(&sts)
        .arg("credential-process")
        .env("AWS_MFA_TOKEN_CODE", "123456"));
    r.expect_ok();
    assert_eq!(r.stderr, "");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v.as_object().unwrap().len(), 6);
    assert_eq!(v["AccountId"], "123456789012", "the MFA device's account");
    let again = run(home.cmd(&sts).arg("credential-process"));
    assert_eq!(again.stdout, r.stdout, "cache hit needs no code");
    assert_eq!(sts.session_calls(), 1);
}

#[test]
fn mfa_process_is_a_code_source_after_the_argument_and_env() {
    let (home, sts) = (home_with_code_source(), FakeSts::start());
    let r = run(home
        .cmd(&sts)
        .args(["mfa", "--profile", "counted", "111111"]));
    r.expect_ok();
    assert_eq!(times_asked(&home), 0);
    let r = run(home
        .cmd(&sts)
        .args(["mfa", "--profile", "counted", "--force"])
        .env("AWS_MFA_TOKEN_CODE", "222222"));
    r.expect_ok();
    assert_eq!(times_asked(&home), 0);
    let r = run(home
        .cmd(&sts)
        .args(["mfa", "--profile", "counted", "--force"]));
    r.expect_ok();
    assert_eq!(times_asked(&home), 1);
    let codes: Vec<_> = sts
        .requests()
        .iter()
        .map(|r| r.param("TokenCode").unwrap().to_string())
        .collect();
    assert_eq!(codes, ["111111", "222222", "123456"]);
}

#[test]
fn a_killed_lock_holder_frees_the_lock() {
    let (home, sts) = (Home::new(), FakeSts::with(vec![Reply::Hang]));
    let mut holder = home
        .cmd(&sts)
        .args(["mfa", "123456"])
        .env("AWSCRED_TIMEOUT", "60")
        .spawn()
        .unwrap();
    // Wait until it has made its request, so it holds the lock.
    sts.wait_for_requests(1);
    assert_eq!(sts.requests().len(), 1);
    holder.kill().unwrap();
    holder.wait().unwrap();
    let start = Instant::now();
    let r = run(home.cmd(&sts).args(["mfa", "123456"]));
    r.expect_ok();
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn different_profiles_do_not_block_each_other() {
    let (home, sts) = (
        Home::new(),
        FakeSts::with(vec![Reply::Delay(
            Duration::from_secs(3),
            Box::new(session()),
        )]),
    );
    let slow = home
        .cmd(&sts)
        .args(["mfa", "123456"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    sts.wait_for_requests(1);
    let start = Instant::now();
    let r = run(home.cmd(&sts).args(["mfa", "123456", "--profile", "work"]));
    r.expect_ok();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
    let mut slow = slow;
    assert!(slow.wait().unwrap().success());
}

#[test]
fn export_waits_for_a_run_that_is_getting_the_session() {
    let (home, sts) = (
        Home::new(),
        FakeSts::with(vec![Reply::Delay(
            Duration::from_millis(800),
            Box::new(session()),
        )]),
    );
    let getter = home
        .cmd(&sts)
        .args(["mfa", "123456"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    sts.wait_for_requests(1);
    let r = run(home.cmd(&sts).arg("export"));
    assert_eq!(
        r.code, 0,
        "export waited and found the session: {}",
        r.stderr
    );
    assert!(r.stdout.contains(&issued(1).0));
    let mut getter = getter;
    assert!(getter.wait().unwrap().success());
}

#[test]
fn exec_runs_the_command_with_the_session_and_its_exit_code() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let r = run(home
        .cmd(&sts)
        .args(["exec", "--", "sh", "-c", "echo \"$AWS_ACCESS_KEY_ID ${AWS_PROFILE-none} $AWSCRED_PROFILE ${AWS_SECURITY_TOKEN-none}\"; exit 42"])
        .env("AWS_MFA_TOKEN_CODE", "123456")
        .env("AWS_PROFILE", "default")
        .env("AWS_SECURITY_TOKEN", "stale"));
    r.expect_code(42);
    assert_eq!(r.stdout, format!("{} none default none\n", issued(1).0));

    let r = run(home
        .cmd(&sts)
        .args(["exec", "--", "sh", "-c", "echo $AWS_REGION"])
        .env("SHELL", "/bin/false"));
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "eu-west-1\n"),
        "cached session, no code: {}",
        r.stderr
    );

    let r = run(home.cmd(&sts).arg("exec").env("SHELL", "/bin/true"));
    assert_eq!(r.code, 0, "default command is $SHELL: {}", r.stderr);
    let r = run(home.cmd(&sts).arg("exec").env("SHELL", "/bin/false"));
    r.expect_code(1);

    // Without `--`, as aws-vault users type it: the command's own flags stay its own.
    let r = run(home.cmd(&sts).args([
        "exec",
        "--profile",
        "default",
        "sh",
        "-c",
        "echo \"$0 $AWS_REGION\"",
        "--force",
    ]));
    r.expect_ok();
    assert_eq!(r.stdout, "--force eu-west-1\n");

    let r = run(home.cmd(&sts).args(["exec", "--", "/nonexistent/cmd"]));
    r.expect_code(127);
    assert!(
        r.stderr.contains("cannot run `/nonexistent/cmd`"),
        "{}",
        r.stderr
    );
    assert_eq!(sts.session_calls(), 1);
}

#[test]
fn exec_refuses_to_nest_into_another_profile_without_force() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let r = run(home
        .cmd(&sts)
        .args(["exec", "--profile", "default", "--", "true"])
        .env("AWSCRED_PROFILE", "work")
        .env("AWS_MFA_TOKEN_CODE", "123456"));
    r.expect_code(3);
    assert!(
        r.stderr
            .contains("already in an awscred session for profile work"),
        "{}",
        r.stderr
    );
    assert!(sts.requests().is_empty());
    let r = run(home
        .cmd(&sts)
        .args(["exec", "--profile", "default", "--force", "--", "true"])
        .env("AWSCRED_PROFILE", "work")
        .env("AWS_MFA_TOKEN_CODE", "123456"));
    r.expect_ok();
    let r = run(home
        .cmd(&sts)
        .args(["exec", "--", "true"])
        .env("AWSCRED_PROFILE", "default"));
    assert_eq!(r.code, 0, "same profile is fine: {}", r.stderr);
}

#[test]
fn status_reports_the_shell_session_and_exits_by_state() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let r = run(home.cmd(&sts).arg("status"));
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (
            7,
            "no AWS credentials in the environment\ncommands use default (no --profile, AWS_PROFILE or awscred session)\n"
        )
    );

    let mfa = run(home.cmd(&sts).args(["mfa", "123456"]));
    let vars = eval_in_bash(
        &mfa.stdout,
        "",
        &[
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_CREDENTIAL_EXPIRATION",
            "AWSCRED_PROFILE",
            "AWS_REGION",
        ],
    );
    let mut c = home.cmd(&sts);
    c.arg("status").envs(&vars);
    let r = run(&mut c);
    r.expect_ok();
    let (id, secret, token) = issued(1);
    assert!(
        r.stdout
            .contains("profile      default (awscred session)\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains(&format!("access key   {id}\n")));
    assert!(r.stdout.contains("region       eu-west-1\n"));
    assert!(
        r.stdout.contains("h ") && r.stdout.contains("left)"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains(&secret) && !r.stdout.contains(&token),
        "never a secret"
    );

    let r = run(home.cmd(&sts).args(["status", "--check"]).envs(&vars));
    r.expect_ok();
    assert!(
        r.stdout.contains(&format!(
            "identity     arn:aws:sts::123456789012:federated-user/{id}\n"
        )),
        "{}",
        r.stdout
    );

    let r = run(home
        .cmd(&sts)
        .arg("status")
        .envs(&vars)
        .env("AWS_CREDENTIAL_EXPIRATION", "2020-01-01T00:00:00Z"));
    r.expect_code(8);
    assert!(r.stdout.contains("expired"), "{}", r.stdout);

    // Nine minutes left: the text says why the exit code is "expired".
    let soon = rfc3339(now() + 9 * 60 + 30);
    let r = run(home
        .cmd(&sts)
        .arg("status")
        .envs(&vars)
        .env("AWS_CREDENTIAL_EXPIRATION", &soon));
    r.expect_code(8);
    assert!(
        r.stdout.contains(&format!(
            "expires      {soon} (9m left: counts as expired, awscred renews sessions with 10 minutes or less left)\n"
        )),
        "{}",
        r.stdout
    );
}

/// In a shell where awscred set `AWSCRED_PROFILE=work`, a bare command acts on
/// work (after --profile, AWS_PROFILE and AWS_DEFAULT_PROFILE), every command
/// alike, and `status` says which profile it picked and why.
#[test]
fn a_bare_command_in_an_awscred_shell_acts_on_its_profile() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let shell = [("AWSCRED_PROFILE", "work")];
    let r = run(home
        .cmd(&sts)
        .args(["mfa", "--force", "123456"])
        .envs(shell));
    r.expect_ok();
    assert_eq!(sts.requests()[0].access_key_id, "AKIAWORKKEY000000002");
    assert!(
        r.stdout.contains("export AWSCRED_PROFILE='work'"),
        "{}",
        r.stdout
    );
    let r = run(home.cmd(&sts).arg("export").envs(shell));
    r.expect_ok();
    assert!(
        r.stdout.contains("export AWS_REGION='eu-central-1'"),
        "work's region"
    );
    let r = run(home.cmd(&sts).arg("clear").envs(shell));
    assert!(r.stderr.contains("for profile work"), "{}", r.stderr);
    // AWS_PROFILE still wins, as for the AWS CLI.
    let r = run(home
        .cmd(&sts)
        .args(["mfa", "--force", "123456"])
        .envs(shell)
        .env("AWS_PROFILE", "default"));
    r.expect_ok();
    assert_eq!(sts.requests()[1].access_key_id, "AKIADEFAULTKEY000001");
    let r = run(home.cmd(&sts).arg("status").envs(shell));
    assert!(
        r.stdout
            .contains("commands use work (from AWSCRED_PROFILE)\n"),
        "{}",
        r.stdout
    );
    // Its hints name the profile, so they work when pasted anywhere.
    let r = run(home.cmd(&sts).args(["export", "--profile", "work"]));
    assert!(
        r.stderr.contains("run `awscred mfa --profile work`"),
        "{}",
        r.stderr
    );
}

#[test]
fn list_shows_every_profile_with_its_session_state() {
    let (home, sts) = (Home::new(), FakeSts::start());
    run(home.cmd(&sts).args(["mfa", "123456", "--profile", "work"]));
    let r = run(home.cmd(&sts).arg("list").env("AWSCRED_PROFILE", "work"));
    r.expect_ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", r.stdout);
    assert!(
        lines[0].contains("PROFILE")
            && lines[0].contains("MFA SERIAL")
            && lines[0].contains("SESSION")
    );
    assert!(
        lines[1].contains("default")
            && lines[1].contains("arn:aws:iam::123456789012:mfa/alice")
            && lines[1].ends_with("none"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("  plain") && lines[2].ends_with("none"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].starts_with("* work")
            && lines[3].contains("eu-central-1")
            && lines[3].contains("valid until"),
        "{}",
        lines[3]
    );
}

/// awscred reads `x  # note` as `x`, like the SDKs; the AWS CLI keeps the
/// comment in the value. `list` names each such setting, never its text.
#[test]
fn list_flags_values_with_an_inline_comment() {
    let config = "[default]\nregion = eu-west-1 # hunter2hunter2PASSWORD\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n[profile work]\nregion=eu-central-1;no-space-is-not-a-comment\n";
    let (home, sts) = (Home::with(config, CREDENTIALS), FakeSts::start());
    let r = run(home.cmd(&sts).arg("list"));
    r.expect_ok();
    let path = home.path().join(".aws/config");
    let notes = r.stdout.split_once("\n\n").map(|(_, n)| n).unwrap_or("");
    assert_eq!(
        notes,
        format!(
            "Inline comments: awscred drops them, like the Rust and JavaScript SDKs; the AWS CLI and boto3 keep them in the value:\n  default: region ({}:2)\n",
            path.display()
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains(" eu-west-1 ") && !r.stdout.contains("hunter2"));
}

#[test]
fn clear_removes_one_profile_or_all() {
    let (home, sts) = (Home::new(), FakeSts::start());
    run(home.cmd(&sts).args(["mfa", "123456"]));
    run(home.cmd(&sts).args(["mfa", "123456", "--profile", "work"]));
    assert_eq!(home.cache_entries().len(), 2);
    let r = run(home.cmd(&sts).args(["clear", "--profile", "work"]));
    assert_eq!((r.code, r.stdout.as_str()), (0, ""));
    assert!(
        r.stderr
            .contains("removed 1 cached session for profile work"),
        "{}",
        r.stderr
    );
    assert_eq!(
        run(home.cmd(&sts).args(["export", "--profile", "work"])).code,
        7
    );
    assert_eq!(run(home.cmd(&sts).arg("export")).code, 0);
    let r = run(home.cmd(&sts).args(["clear", "--all"]));
    assert!(
        r.stderr.contains("removed 1 cached session in total"),
        "{}",
        r.stderr
    );
    assert!(home.cache_entries().is_empty());
}

/// Runs the shell command `inner` under a real pseudo-terminal (util-linux
/// `script`) in the test's home, types `keys` once awscred is at its prompt,
/// and returns what the terminal showed (stdout) and the exit status.
fn under_pty(home: &Home, sts: &FakeSts, inner: &str, keys: &[u8]) -> std::process::Output {
    let tty_file = home.path().join("tty");
    let inner = format!("tty > '{}'; {inner}", tty_file.display());
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &inner, "/dev/null"])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWSCRED_CACHE_DIR", home.cache_dir())
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("`script` (util-linux) is required");
    let mut stdin = child.stdin.take().unwrap();
    // Type once the prompt is up: it has turned the terminal's echo off.
    let start = std::time::Instant::now();
    let tty = loop {
        let name = std::fs::read_to_string(&tty_file).unwrap_or_default();
        if name.ends_with('\n') {
            break std::ffi::CString::new(name.trim()).unwrap();
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the pty never started"
        );
        thread::sleep(Duration::from_millis(10));
    };
    while echo_is_on(&tty) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no prompt after 10 s"
        );
        thread::sleep(Duration::from_millis(10));
    }
    stdin.write_all(keys).unwrap();
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    out
}

/// Under a real pseudo-terminal (util-linux `script`), with stdout redirected
/// to a file as credential_process does: the prompt appears on the terminal,
/// the typed code is read from it, and the file holds only the JSON.
#[test]
fn the_prompt_uses_the_terminal_even_when_stdout_is_captured() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let out_file = home.path().join("out.json");
    let inner = format!(
        "{} credential-process > '{}'",
        env!("CARGO_BIN_EXE_awscred"),
        out_file.display()
    );
    let out = under_pty(&home, &sts, &inner, b"123456\n");
    let terminal = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "terminal: {terminal} stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        terminal.contains("MFA code for default (arn:aws:iam::123456789012:mfa/alice)"),
        "prompt on the terminal: {terminal:?}"
    );
    let json = fs::read_to_string(&out_file).unwrap();
    assert!(!json.contains("MFA code"), "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["AccessKeyId"], issued(1).0);
    assert_eq!(sts.requests()[0].param("TokenCode"), Some("123456"));
}

/// Ctrl-C at the hidden prompt: exit 130, nothing cached, and the terminal
/// keeps echo, line editing and signal keys (rpassword alone would die in raw mode).
#[test]
fn ctrl_c_at_the_prompt_leaves_the_terminal_usable() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let inner = format!(
        "{} mfa; echo rc=$?; stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(echo|icanon|isig)' | sort | tr '\\n' ' '",
        env!("CARGO_BIN_EXE_awscred")
    );
    let out = under_pty(&home, &sts, &inner, b"\x03");
    let terminal = String::from_utf8_lossy(&out.stdout);
    assert!(terminal.contains("MFA code for"), "{terminal:?}");
    assert!(terminal.contains("rc=130"), "{terminal:?}");
    assert!(
        terminal.contains("interrupted at the MFA prompt"),
        "{terminal:?}"
    );
    assert!(
        terminal.contains("echo icanon isig"),
        "terminal modes after Ctrl-C: {terminal:?}"
    );
    assert!(sts.requests().is_empty());
    assert!(home.cache_entries().is_empty());
}

/// `status --check` finds STS by the same rules as every other call (the one
/// function whose unit tests cover `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` too;
/// here, that would leave only AWS's own endpoint, which no test may reach).
#[test]
fn status_check_uses_the_configured_endpoint_precedence() {
    let (configured, global) = (FakeSts::start(), FakeSts::start());
    let config = format!(
        "{CONFIG}\n[profile lab]\nservices = dev\nendpoint_url = {}\n\n[services dev]\nsts =\n  endpoint_url = {}\n",
        global.url(),
        configured.url()
    );
    let home = Home::with(&config, CREDENTIALS);
    let session = [
        ("AWS_ACCESS_KEY_ID", "ASIASESSION000000001"),
        ("AWS_SECRET_ACCESS_KEY", "x"),
        ("AWS_SESSION_TOKEN", "t"),
        ("AWSCRED_PROFILE", "lab"),
    ];
    let r = run(home
        .cmd(&global)
        .env_remove("AWS_ENDPOINT_URL_STS")
        .args(["status", "--check"])
        .envs(session));
    r.expect_ok();
    assert!(
        r.stdout.contains("identity     arn:aws:sts::"),
        "{}",
        r.stdout
    );
    assert_eq!(
        (
            configured.calls("GetCallerIdentity"),
            global.calls("GetCallerIdentity")
        ),
        (1, 0),
        "the profile's services block wins over its endpoint_url"
    );
}
