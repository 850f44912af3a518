//! The credential server (`exec --server`, `serve`): what the command gets,
//! who is refused, renewal, failures, signals and exit status.

use crate::support::*;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";

fn roles_home() -> Home {
    let config = format!(
        "{CONFIG}\n[profile admin]\nrole_arn = arn:aws:iam::111111111111:role/admin\nsource_profile = default\nmfa_serial = {SERIAL}\n"
    );
    Home::with(&config, CREDENTIALS)
}

/// A command for `exec --server` that writes its environment to `dir/env`,
/// then waits for `dir/done` and exits with `code`.
fn waiting_child(dir: &Path, code: i32) -> Vec<String> {
    let script = format!(
        "env > '{d}/env.tmp' && mv '{d}/env.tmp' '{d}/env'; while [ ! -e '{d}/done' ]; do sleep 0.02; done; exit {code}",
        d = dir.display()
    );
    vec!["sh".into(), "-c".into(), script]
}

fn wait_for(path: &Path, child: &mut Child) {
    let start = Instant::now();
    while !path.exists() {
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(e) = child.stderr.as_mut() {
                let _ = e.read_to_string(&mut err);
            }
            panic!("awscred ended early ({status}): {err}");
        }
        assert!(start.elapsed() < Duration::from_secs(20), "no {path:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read_env(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The server's address (`127.0.0.1:PORT`) from its URI.
fn addr_of(uri: &str) -> String {
    uri.strip_prefix("http://")
        .and_then(|r| r.strip_suffix("/credentials"))
        .unwrap_or_else(|| panic!("not a server URI: {uri}"))
        .to_string()
}

/// One raw request; the status and body of the answer.
fn request(addr: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap();
    (status, body)
}

/// What an SDK does: GET the URI with the token.
fn credentials(env: &BTreeMap<String, String>) -> (u16, serde_json::Value) {
    let uri = &env["AWS_CONTAINER_CREDENTIALS_FULL_URI"];
    let addr = addr_of(uri);
    let (status, body) = request(
        &addr,
        "GET",
        "/credentials",
        &[
            ("Host", &addr),
            ("Authorization", &env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]),
        ],
    );
    (status, serde_json::from_str(&body).unwrap_or_default())
}

struct Running {
    child: Child,
    dir: tempfile::TempDir,
}

impl Running {
    fn start(mut cmd: Command, args: &[&str], code: i32) -> Running {
        let dir = tempfile::tempdir().unwrap();
        cmd.args(args)
            .arg("--")
            .args(waiting_child(dir.path(), code))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        wait_for(&dir.path().join("env"), &mut child);
        Running { child, dir }
    }

    fn env(&self) -> BTreeMap<String, String> {
        read_env(&self.dir.path().join("env"))
    }

    fn done_path(&self) -> PathBuf {
        self.dir.path().join("done")
    }

    /// Lets the command end; awscred's exit status, stdout and stderr.
    fn finish(mut self) -> (std::process::ExitStatus, String, String) {
        std::fs::write(self.done_path(), "").unwrap();
        let status = self.child.wait().unwrap();
        let (mut out, mut err) = (String::new(), String::new());
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert_no_secret(&err);
        (status, out, err)
    }
}

#[test]
fn exec_server_gives_the_command_a_server_and_no_keys() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let mut cmd = home.cmd(&sts);
    cmd.env("AWS_MFA_TOKEN_CODE", "123456")
        .env("AWS_PROFILE", "default")
        .env("AWS_SECURITY_TOKEN", "stale")
        .env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/creds");
    let running = Running::start(cmd, &["exec", "--server"], 7);
    let env = running.env();
    for gone in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    ] {
        assert!(!env.contains_key(gone), "{gone} in {env:?}");
    }
    assert_eq!(env["AWSCRED_PROFILE"], "default");
    assert_eq!(env["AWS_REGION"], "eu-west-1");
    // SDKs read [default]'s long-term keys before a credential server.
    assert_eq!(env["AWS_SHARED_CREDENTIALS_FILE"], "/dev/null");
    let token = &env["AWS_CONTAINER_AUTHORIZATION_TOKEN"];
    assert!(
        token.len() == 64 && token.chars().all(|c| c.is_ascii_hexdigit()),
        "256 bits: {token}"
    );
    let addr = addr_of(&env["AWS_CONTAINER_CREDENTIALS_FULL_URI"]);
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");

    let (status, json) = credentials(&env);
    assert_eq!(status, 200, "{json}");
    let (id, secret, session_token) = issued(1);
    assert_eq!(json["AccessKeyId"], id);
    assert_eq!(json["SecretAccessKey"], secret);
    assert_eq!(json["Token"], session_token);
    assert!(json["Expiration"].as_str().unwrap().ends_with('Z'));

    let wrong = format!(
        "{}{}",
        &token[..63],
        if token.ends_with('0') { "1" } else { "0" }
    );
    for (path, headers, want) in [
        ("/credentials", vec![("Host", addr.as_str())], 401),
        (
            "/credentials",
            vec![("Host", addr.as_str()), ("Authorization", wrong.as_str())],
            401,
        ),
        (
            "/credentials",
            vec![
                ("Host", "attacker.example"),
                ("Authorization", token.as_str()),
            ],
            403,
        ),
        (
            "/credentials",
            vec![("Host", "localhost"), ("Authorization", token.as_str())],
            403,
        ),
        (
            "/",
            vec![("Host", addr.as_str()), ("Authorization", token.as_str())],
            404,
        ),
        (
            "/latest/api/token",
            vec![
                ("Host", addr.as_str()),
                ("X-aws-ec2-metadata-token-ttl-seconds", "60"),
            ],
            404,
        ),
    ] {
        let (status, body) = request(&addr, "GET", path, &headers);
        assert_eq!(status, want, "{path} {headers:?}: {body}");
        assert!(
            !body.contains(&secret)
                && !body.contains(&session_token)
                && !body.contains(token.as_str()),
            "{body}"
        );
    }
    // An oversized request is cut off.
    let big = "x".repeat(10_000);
    let (status, _) = request(&addr, "GET", "/credentials", &[("X-Big", &big)]);
    assert_eq!(status, 413);

    let (status, stdout, stderr) = running.finish();
    assert_eq!(status.code(), Some(7), "the command's exit code: {stderr}");
    assert_eq!(stdout, "");
    assert!(!stderr.contains(token.as_str()), "{stderr}");
    assert_eq!(sts.session_calls(), 1);
}

/// Role credentials that end soon are renewed from the cached MFA session
/// before they enter any SDK's refresh window (15 minutes for boto3 and the
/// CLI): one GetSessionToken, one AssumeRole per renewal, no error.
#[test]
fn role_credentials_are_renewed_before_any_sdk_would_refresh() {
    let home = roles_home();
    // The first role credentials last 963 s: 3 s before the server's limit.
    let sts = FakeSts::with(vec![session(), Reply::Session { shift: 963 - 3600 }]);
    let mut cmd = home.cmd(&sts);
    cmd.env("AWS_MFA_TOKEN_CODE", "123456");
    let running = Running::start(cmd, &["exec", "--server", "--profile", "admin"], 0);
    let env = running.env();
    let mut seen = Vec::new();
    let until = Instant::now() + Duration::from_secs(6);
    while Instant::now() < until {
        let (status, json) = credentials(&env);
        assert_eq!(status, 200, "{json}");
        let expiration = json["Expiration"].as_str().unwrap().to_string();
        let left = parse_rfc3339(&expiration) - now();
        assert!(
            left > 900,
            "handed out with {left} s left: inside boto3's window"
        );
        let id = json["AccessKeyId"].as_str().unwrap().to_string();
        if seen.last() != Some(&id) {
            seen.push(id);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(seen, [issued_role(2).0, issued_role(3).0], "renewed once");
    let (status, _, stderr) = running.finish();
    assert!(status.success(), "{stderr}");
    assert_eq!(sts.session_calls(), 1, "no extra GetSessionToken");
    assert_eq!(sts.calls("AssumeRole"), 2);
    assert_eq!(stderr, "", "no error, no warning");
}

/// When the MFA session ends and there is no way to get a code (no
/// terminal, no mfa_process), the SDK gets an error that says what to do,
/// and repeated requests do not hammer STS.
#[test]
fn without_a_way_to_get_a_code_the_answer_says_so_and_nothing_loops() {
    let home = Home::new();
    // The MFA session lasts 604 s: 10 minutes from its end in 4 s, when the
    // server stops handing it out and needs a new code.
    let sts = FakeSts::with(vec![Reply::Session {
        shift: 604 - 43_200,
    }]);
    let mut cmd = home.cmd(&sts);
    cmd.env("AWS_MFA_TOKEN_CODE", "123456");
    let running = Running::start(cmd, &["exec", "--server"], 0);
    let env = running.env();
    assert_eq!(credentials(&env).0, 200);
    std::thread::sleep(Duration::from_secs(5));
    let start = Instant::now();
    for _ in 0..50 {
        let (status, json) = credentials(&env);
        assert_eq!(status, 503, "{json}");
        let message = json["Message"].as_str().unwrap();
        assert!(message.starts_with("awscred: "), "{message}");
        assert!(
            message.contains("awscred mfa"),
            "says what to run: {message}"
        );
        assert_eq!(json["Code"], "MfaNeeded");
    }
    assert!(start.elapsed() < Duration::from_secs(5), "answers at once");
    let (status, _, stderr) = running.finish();
    assert!(status.success());
    assert_eq!(sts.session_calls(), 1, "the spent code is not sent again");
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.contains("credential server"))
            .count(),
        1,
        "one line, not one per request: {stderr}"
    );
}

#[test]
fn exec_server_fails_before_the_command_when_the_profile_cannot_be_served() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let r = run(home
        .cmd(&sts)
        .args(["exec", "--server", "--", "touch", marker.to_str().unwrap()]));
    r.expect_failure(4, "", "run `awscred mfa` in a terminal first");
    assert!(!marker.exists(), "the command never ran");
    assert_eq!(sts.requests().len(), 0);
}

#[test]
fn signals_sent_to_awscred_reach_the_command_and_its_end_is_awscreds() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    let script = format!(
        "trap 'exit 42' TERM; touch '{}'; while :; do sleep 0.02; done",
        ready.display()
    );
    let mut child = home
        .cmd(&sts)
        .env("AWS_MFA_TOKEN_CODE", "123456")
        .args(["exec", "--server", "--", "sh", "-c", &script])
        .spawn()
        .unwrap();
    wait_for(&ready, &mut child);
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(42), "forwarded, and the command's code");

    // A command killed by a signal: awscred ends by the same signal.
    let status = home
        .cmd(&sts)
        .args(["exec", "--server", "--", "sh", "-c", "kill -USR1 $$"])
        .status()
        .unwrap();
    assert_eq!(status.signal(), Some(libc::SIGUSR1), "{status}");
}

/// `serve` prints the variables, closes stdout, serves the container and
/// IMDSv2 protocols, and Ctrl-C ends it.
#[test]
fn serve_prints_the_variables_and_answers_until_interrupted() {
    let (home, sts) = (roles_home(), FakeSts::start());
    let mut child = home
        .cmd(&sts)
        .env("AWS_MFA_TOKEN_CODE", "123456")
        .args(["serve", "--profile", "admin", "--imds", "--format", "env"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // stdout ends while the server runs.
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let env = eval_in_bash(
        &out,
        "export AWS_ACCESS_KEY_ID=AKIASTALE AWS_SESSION_TOKEN=stale",
        &[
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            "AWSCRED_PROFILE",
            "AWS_ACCESS_KEY_ID",
            "AWS_SESSION_TOKEN",
        ],
    );
    assert!(!env.contains_key("AWS_ACCESS_KEY_ID"), "{out}");
    assert!(!env.contains_key("AWS_SESSION_TOKEN"), "{out}");
    assert_eq!(env["AWSCRED_PROFILE"], "admin");
    let (status, json) = credentials(&env);
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["AccessKeyId"], issued_role(2).0);

    // IMDSv2, as the instance provider asks.
    let addr = addr_of(&env["AWS_CONTAINER_CREDENTIALS_FULL_URI"]);
    assert_eq!(
        env["AWS_EC2_METADATA_SERVICE_ENDPOINT"],
        format!("http://{addr}/")
    );
    let host = [("Host", addr.as_str())];
    let (status, _) = request(
        &addr,
        "GET",
        "/latest/meta-data/iam/security-credentials/",
        &host,
    );
    assert_eq!(status, 401, "IMDSv1 is refused");
    let (status, token) = request(
        &addr,
        "PUT",
        "/latest/api/token",
        &[
            ("Host", &addr),
            ("X-aws-ec2-metadata-token-ttl-seconds", "21600"),
        ],
    );
    assert_eq!(status, 200);
    let with = |path: &str| {
        request(
            &addr,
            "GET",
            path,
            &[("Host", &addr), ("X-aws-ec2-metadata-token", &token)],
        )
    };
    let (status, role) = with("/latest/meta-data/iam/security-credentials/");
    assert_eq!(status, 200);
    let (status, body) = with(&format!(
        "/latest/meta-data/iam/security-credentials/{role}"
    ));
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["AccessKeyId"], issued_role(2).0);
    assert_eq!(json["Code"], "Success");

    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGINT));
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_no_secret(&err);
    assert!(!err.contains(&token) && !err.contains(&env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]));
    assert_eq!((sts.session_calls(), sts.calls("AssumeRole")), (1, 1));
}

/// `unset` removes the server's variables; a plain `exec` does not pass them on.
#[test]
fn unset_and_plain_exec_drop_the_server_variables() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let r = run(home.cmd(&sts).arg("unset"));
    r.expect_ok();
    for name in [
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    ] {
        assert!(
            r.stdout.contains(&format!("unset {name}\n")),
            "{}",
            r.stdout
        );
    }
    let r = run(home
        .cmd(&sts)
        .env("AWS_MFA_TOKEN_CODE", "123456")
        .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/credentials")
        .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", "t")
        .args(["exec", "--", "sh", "-c", "echo \"${AWS_CONTAINER_CREDENTIALS_FULL_URI-none} ${AWS_CONTAINER_AUTHORIZATION_TOKEN-none}\""]));
    r.expect_ok();
    assert_eq!(r.stdout, "none none\n");
}

fn parse_rfc3339(s: &str) -> i64 {
    let out = Command::new("date")
        .args(["-u", "-d", s, "+%s"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// When the MFA session itself ends, the server gets one new code (here
/// from mfa_process) and goes on: the command sees no error.
#[test]
fn a_new_mfa_session_takes_one_new_code() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("asked");
    let script = dir.path().join("code.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho x >> '{}'\necho 654321\n", log.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let config = format!(
        "[default]\nregion = eu-west-1\nmfa_serial = {SERIAL}\nmfa_process = {}\n",
        script.display()
    );
    let home = Home::with(&config, CREDENTIALS);
    let sts = FakeSts::with(vec![Reply::Session {
        shift: 963 - 43_200,
    }]);
    let mut cmd = home.cmd(&sts);
    cmd.env("AWS_MFA_TOKEN_CODE", "123456");
    let running = Running::start(cmd, &["exec", "--server"], 0);
    let env = running.env();
    assert_eq!(credentials(&env).1["AccessKeyId"], issued(1).0);
    assert!(!log.exists(), "the first code came from the variable");
    std::thread::sleep(Duration::from_secs(4));
    for _ in 0..5 {
        let (status, json) = credentials(&env);
        assert_eq!(status, 200, "{json}");
        assert_eq!(json["AccessKeyId"], issued(2).0);
    }
    let (status, _, stderr) = running.finish();
    assert!(status.success(), "{stderr}");
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "x\n", "asked once");
    let codes: Vec<_> = sts
        .requests()
        .iter()
        .map(|r| r.param("TokenCode").unwrap_or("").to_string())
        .collect();
    assert_eq!(codes, ["123456", "654321"]);
}

/// Credentials the config file's default profile gets by itself come before
/// the server in every SDK: awscred says so.
#[test]
fn a_default_profile_with_its_own_credentials_is_named_in_a_warning() {
    let config = format!(
        "[default]\nregion = eu-west-1\ncredential_process = /bin/false\n\n[profile work]\nmfa_serial = {SERIAL}\n"
    );
    let (home, sts) = (Home::with(&config, CREDENTIALS), FakeSts::start());
    let r = run(home.cmd(&sts).env("AWS_MFA_TOKEN_CODE", "123456").args([
        "exec",
        "--server",
        "--profile",
        "work",
        "--",
        "true",
    ]));
    r.expect_ok();
    assert!(
        r.stderr.contains(
            "sets credential_process: SDKs in the command use it before the credential server"
        ),
        "{}",
        r.stderr
    );
}

/// Without a terminal (CI), a signal to awscred's whole process group (a
/// runner's timeout) reaches the command once, not once directly and once
/// passed on: the command has a group of its own.
#[test]
fn a_signal_to_the_group_reaches_the_command_once() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let dir = tempfile::tempdir().unwrap();
    let (ready, got) = (dir.path().join("ready"), dir.path().join("got"));
    let script = format!(
        "trap 'echo TERM >> \"{got}\"' TERM; touch '{ready}'; i=0; while [ $i -lt 40 ]; do sleep 0.05; i=$((i+1)); done",
        got = got.display(),
        ready = ready.display()
    );
    let mut child = home
        .cmd(&sts)
        .env("AWS_MFA_TOKEN_CODE", "123456")
        .args(["exec", "--server", "--", "sh", "-c", &script])
        .spawn()
        .unwrap();
    wait_for(&ready, &mut child);
    // The test's commands run in a session of their own: awscred leads its group.
    unsafe {
        libc::kill(-(child.id() as i32), libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert_eq!(std::fs::read_to_string(&got).unwrap(), "TERM\n");
}

/// A prompt for a new code from the server while the command runs: a signal
/// sent to awscred then still goes to the command (the prompt's handlers do
/// not take over), and awscred puts the terminal back and ends as the command
/// did.
#[test]
fn a_signal_during_the_servers_prompt_reaches_the_command() {
    let (home, sts) = (
        Home::new(),
        FakeSts::with(vec![Reply::Session {
            shift: 604 - 43_200,
        }]),
    );
    let file = |name: &str| home.path().join(name);
    let child_script = format!(
        "env > \"{env}.tmp\"; mv \"{env}.tmp\" \"{env}\"; trap 'echo TERM >> \"{got}\"; exit 42' TERM; while :; do sleep 0.05; done",
        env = file("env").display(),
        got = file("got").display()
    );
    let inner = format!(
        "tty > '{tty}'; stty -g > '{before}'; sh -c 'echo $$ > \"$0\"; exec \"$1\" exec --server -- sh -c \"$2\"' '{pid}' '{bin}' '{child}'; echo rc=$?; stty -g > '{after}'",
        tty = file("tty").display(),
        before = file("before").display(),
        pid = file("pid").display(),
        bin = env!("CARGO_BIN_EXE_awscred"),
        child = child_script.replace('\'', "'\\''"),
        after = file("after").display(),
    );
    let transcript = file("transcript");
    let mut script = Command::new("script")
        .args(["-q", "-e", "-c", &inner, "/dev/null"])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWSCRED_CACHE_DIR", home.cache_dir())
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .env("AWS_MFA_TOKEN_CODE", "123456")
        .stdin(Stdio::piped()) // kept open: on EOF `script` would end the session
        .stdout(std::fs::File::create(&transcript).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("`script` (util-linux) is required");
    let start = Instant::now();
    let read = |name: &str| std::fs::read_to_string(file(name)).unwrap_or_default();
    let waited = |what: &str| {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "waited too long for {what}: {:?}",
            std::fs::read_to_string(&transcript)
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    while read("env").is_empty() || read("pid").trim().is_empty() {
        waited("the command to start");
    }
    let env = read_env(&file("env"));
    // The first session is 10 minutes from its end in 4 s: then a request
    // makes the server ask for a code on the terminal.
    std::thread::sleep(Duration::from_secs(5));
    let asking = std::thread::spawn(move || credentials(&env).0);
    let tty = std::ffi::CString::new(read("tty").trim()).unwrap();
    while echo_is_on(&tty) {
        waited("the prompt to turn echo off");
    }
    let pid: i32 = read("pid").trim().parse().unwrap();
    // SAFETY: signals awscred, which this test started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    while script.try_wait().unwrap().is_none() {
        waited("awscred to end");
    }
    let _ = asking.join();
    let transcript = std::fs::read_to_string(&transcript).unwrap();
    assert_eq!(read("got"), "TERM\n", "{transcript}");
    assert!(transcript.contains("rc=42"), "{transcript}");
    assert_eq!(read("before"), read("after"), "the terminal is put back");
}

// ---- who can reach the server: another local user (CI runs as root, so a
// second uid is `nobody` through setpriv) ----

/// bash, as user `nobody`, running `script` with only `envs`: a local
/// attacker that knows (or guesses) the address and the token.
fn as_nobody(script: &str, envs: &[(&str, &str)]) -> Command {
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this test plays a second user and needs root (CI runs as root)"
    );
    let mut c = Command::new("setpriv");
    c.args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "bash",
        "--noprofile",
        "--norc",
        "-c",
        script,
    ])
    .env_clear()
    .env("PATH", "/usr/bin:/bin")
    .envs(envs.iter().copied())
    .stdin(Stdio::null());
    c
}

/// A raw exchange from bash's `/dev/tcp` ($PORT): sends $REQUEST (printf
/// format), prints the answer.
const NOBODY_REQUEST: &str = r#"trap '' PIPE
exec 3<>"/dev/tcp/127.0.0.1/$PORT" || exit 9
printf "$REQUEST" >&3 || true
timeout 10 cat <&3 || true"#;

fn port_of(addr: &str) -> &str {
    addr.rsplit_once(':').unwrap().1
}

/// Item 2: the container path checks the caller's user, not only the token:
/// a token copied from a world-readable `serve` file (or /proc) gets nothing.
#[test]
fn another_user_with_the_token_gets_no_credentials() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let mut cmd = home.cmd(&sts);
    cmd.env("AWS_MFA_TOKEN_CODE", "123456");
    let running = Running::start(cmd, &["exec", "--server"], 0);
    let env = running.env();
    let addr = addr_of(&env["AWS_CONTAINER_CREDENTIALS_FULL_URI"]);
    let request = format!(
        "GET /credentials HTTP/1.1\\r\\nHost: {addr}\\r\\nAuthorization: {}\\r\\n\\r\\n",
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    );
    let out = as_nobody(
        NOBODY_REQUEST,
        &[("PORT", port_of(&addr)), ("REQUEST", &request)],
    )
    .output()
    .unwrap();
    let answer = String::from_utf8_lossy(&out.stdout);
    let (_, secret, token) = issued(1);
    assert!(
        !answer.contains(&secret) && !answer.contains(&token),
        "another user got the credentials: {answer}"
    );
    assert!(answer.starts_with("HTTP/1.1 403 "), "{answer}");
    // The owner still gets them.
    assert_eq!(credentials(&env).0, 200);
    let (status, _, stderr) = running.finish();
    assert!(status.success(), "{stderr}");
}

/// Items 3 and 10: another user is refused at once, before the server reads
/// a byte (no slot held for the 5 s read deadline), on every path.
#[test]
fn another_user_is_refused_before_anything_is_read() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let mut cmd = home.cmd(&sts);
    cmd.env("AWS_MFA_TOKEN_CODE", "123456");
    let running = Running::start(cmd, &["exec", "--server", "--imds"], 0);
    let env = running.env();
    let addr = addr_of(&env["AWS_CONTAINER_CREDENTIALS_FULL_URI"]);
    let start = Instant::now();
    let out = as_nobody(NOBODY_REQUEST, &[("PORT", port_of(&addr)), ("REQUEST", "")])
        .output()
        .unwrap();
    let answer = String::from_utf8_lossy(&out.stdout);
    assert!(answer.starts_with("HTTP/1.1 403 "), "{answer}");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "answered before any request came: {:?}",
        start.elapsed()
    );
    let (status, _, stderr) = running.finish();
    assert!(status.success(), "{stderr}");
}

/// Item 3: 70 idle connections of another user do not take the owner's
/// slots: the owner's requests get 200, not 503.
#[test]
fn another_users_idle_connections_do_not_deny_the_owner() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let mut cmd = home.cmd(&sts);
    cmd.env("AWS_MFA_TOKEN_CODE", "123456");
    let running = Running::start(cmd, &["exec", "--server"], 0);
    let env = running.env();
    let addr = addr_of(&env["AWS_CONTAINER_CREDENTIALS_FULL_URI"]);
    let script = r#"trap '' PIPE
for i in $(seq 70); do exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || exit 9; printf x >&$fd || true; done
echo ready
sleep 8"#;
    let mut flood = as_nobody(script, &[("PORT", port_of(&addr))])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = [0u8; 6];
    flood.stdout.take().unwrap().read_exact(&mut line).unwrap();
    assert_eq!(&line, b"ready\n");
    for _ in 0..5 {
        let (status, json) = credentials(&env);
        assert_eq!(status, 200, "{json}");
    }
    let _ = flood.kill();
    let _ = flood.wait();
    let (status, _, stderr) = running.finish();
    assert!(status.success(), "{stderr}");
}

/// Item 2: `serve > file` under the usual umask makes the file 0600 before
/// the token is in it, and says so.
#[test]
fn serve_tightens_a_file_on_its_stdout() {
    use std::os::unix::fs::PermissionsExt;
    let (home, sts) = (Home::new(), FakeSts::start());
    let file = home.path().join("admin.env");
    let out = std::fs::File::create(&file).unwrap();
    out.set_permissions(std::fs::Permissions::from_mode(0o644))
        .unwrap();
    let mut child = home
        .cmd(&sts)
        .env("AWS_MFA_TOKEN_CODE", "123456")
        .args(["serve", "--format", "env"])
        .stdout(out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !std::fs::read_to_string(&file)
        .unwrap()
        .contains("AWS_CONTAINER_AUTHORIZATION_TOKEN")
    {
        assert!(start.elapsed() < Duration::from_secs(20), "no output");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let _ = child.wait();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(mode, 0o600, "{err}");
    assert!(err.contains("0600"), "a notice: {err}");
    assert_no_secret(&err);
}

/// Issue 25: `. serve.env` then `unset` puts the shell back exactly: its
/// own region (not the region of the terminal serve ran in), and none of the
/// server's variables (a squatter on the port after serve stops could answer
/// them). `status` in between reports the server.
#[test]
fn unset_after_sourcing_serve_output_restores_the_shell() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let mut child = home
        .cmd(&sts)
        .env("AWS_MFA_TOKEN_CODE", "123456")
        .env("AWS_REGION", "us-east-1")
        .args(["serve", "--format", "env"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let script = r#"set -eu
export AWS_REGION=eu-north-1
. "$SERVE_OUT"
"$BIN" status > "$STATUS_OUT" || echo "rc=$?" >> "$STATUS_OUT"
eval "$("$BIN" unset)"
env | grep -E '^AWS' | grep -v '^AWSCRED_CACHE_DIR=' | sort"#;
    let serve_out = home.path().join("serve.env");
    std::fs::write(&serve_out, &out).unwrap();
    let status_out = home.path().join("status");
    let after = Command::new("bash")
        .args(["--noprofile", "--norc", "-c", script])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWSCRED_CACHE_DIR", home.cache_dir())
        .env("BIN", env!("CARGO_BIN_EXE_awscred"))
        .env("SERVE_OUT", &serve_out)
        .env("STATUS_OUT", &status_out)
        .output()
        .unwrap();
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let _ = child.wait();
    let stderr = String::from_utf8_lossy(&after.stderr);
    assert!(after.status.success(), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&after.stdout),
        "AWS_REGION=eu-north-1\n",
        "{out}"
    );
    let status = std::fs::read_to_string(&status_out).unwrap();
    assert!(status.contains("credential server"), "{status}");
    assert!(!status.contains("rc="), "{status}");
    let token = out
        .lines()
        .find_map(|l| l.strip_prefix("export AWS_CONTAINER_AUTHORIZATION_TOKEN="))
        .unwrap()
        .trim_matches('\'');
    assert!(!status.contains(token), "no token in status: {status}");
}

/// Issue 25: inside `exec --server` (whose command gets
/// `AWS_SHARED_CREDENTIALS_FILE=/dev/null`) awscred reads /dev/null as an
/// empty file, and `status` reports the credential server.
#[test]
fn awscred_inside_exec_server_works_and_status_reports_the_server() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let bin = env!("CARGO_BIN_EXE_awscred");
    let r = run(home.cmd(&sts).env("AWS_MFA_TOKEN_CODE", "123456").args([
        "exec",
        "--server",
        "--",
        "sh",
        "-c",
        &format!("'{bin}' list && '{bin}' status"),
    ]));
    r.expect_ok();
    assert!(r.stdout.contains("work"), "{}", r.stdout);
    assert!(r.stdout.contains("credential server"), "{}", r.stdout);
    assert!(r.stdout.contains("default (awscred"), "{}", r.stdout);
    // Another device stays refused.
    let r = run(home
        .cmd(&sts)
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/zero")
        .arg("list"));
    assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
}

/// A network namespace joined to this one by a veth pair, as a container on a
/// docker bridge is: removed (with its end of the pair) on drop.
struct Netns {
    name: String,
    host_ip: String,
}

impl Netns {
    fn new() -> Netns {
        let n = std::process::id() % 200 + 20;
        let name = format!("awscred-it-{}", std::process::id());
        let (host_if, ns_if) = (format!("acv{n}h"), format!("acv{n}n"));
        let host_ip = format!("10.213.{n}.1");
        let sh = |script: &str| {
            let out = Command::new("sh").args(["-c", script]).output().unwrap();
            assert!(
                out.status.success(),
                "{script}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        sh(&format!(
            "set -e; ip netns add {name}; ip link add {host_if} type veth peer name {ns_if}; \
             ip link set {ns_if} netns {name}; ip addr add {host_ip}/30 dev {host_if}; ip link set {host_if} up; \
             ip netns exec {name} ip addr add 10.213.{n}.2/30 dev {ns_if}; \
             ip netns exec {name} ip link set {ns_if} up; ip netns exec {name} ip link set lo up"
        ));
        Netns { name, host_ip }
    }

    /// `curl` from inside the namespace: the status and the body.
    fn curl(&self, url: &str, headers: &[&str]) -> (String, String) {
        let mut c = Command::new("ip");
        c.args([
            "netns",
            "exec",
            &self.name,
            "curl",
            "-s",
            "-m",
            "5",
            "-w",
            "\n%{http_code}",
        ]);
        for h in headers {
            c.args(["-H", h]);
        }
        let out = c.arg(url).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
        (status.to_string(), body.to_string())
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// `serve --bind` on a container network's address (issue 24), tested from a
/// network namespace over a veth pair: the token is required, `Host` must
/// name the bound address, IMDS stays on loopback; the wildcard and public
/// addresses are refused.
#[test]
fn serve_bind_answers_a_container_network_with_the_token_only() {
    let ns = Netns::new();
    let (home, sts) = (roles_home(), FakeSts::start());
    let mut child = home
        .cmd(&sts)
        .env("AWS_MFA_TOKEN_CODE", "123456")
        .args([
            "serve",
            "--profile",
            "admin",
            "--imds",
            "--format",
            "env",
            "--bind",
            &ns.host_ip,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let env = eval_in_bash(&out, "", &["AWS_CONTAINER_AUTHORIZATION_TOKEN"]);
    let token = env["AWS_CONTAINER_AUTHORIZATION_TOKEN"].clone();
    // The snippet line names the bound address and port.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut snippet = String::new();
    while !snippet.contains("docker-compose") {
        snippet.clear();
        assert!(
            stderr.read_line(&mut snippet).unwrap() > 0,
            "no snippet line"
        );
    }
    assert!(!snippet.contains(&token), "the snippet holds no token");
    let prefix = format!("http://{}:", ns.host_ip);
    let at = snippet.find(&prefix).expect("the bound URL");
    let port: String = snippet[at + prefix.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let url = format!("http://{}:{port}/credentials", ns.host_ip);

    let (status, body) = ns.curl(&url, &[&format!("Authorization: {token}")]);
    assert_eq!(status, "200", "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["AccessKeyId"], issued_role(2).0);
    let (status, body) = ns.curl(&url, &[]);
    assert_eq!(status, "401", "no token: {body}");
    assert!(!body.contains(&issued_role(2).0));
    let (status, _) = ns.curl(
        &format!(
            "http://{}:{port}/latest/meta-data/iam/security-credentials/",
            ns.host_ip
        ),
        &[],
    );
    assert_eq!(status, "404", "IMDS is loopback only");
    let (status, _) = ns.curl(
        &url,
        &[&format!("Authorization: {token}"), "Host: 127.0.0.1"],
    );
    assert_eq!(status, "403", "the bound address's Host only");
    // Idle connections to the bound side (what any container there can open)
    // leave the owner's loopback side its own budget.
    let mut idle = Command::new("ip")
        .args(["netns", "exec", &ns.name, "python3", "-c"])
        .arg(format!(
            "import socket,time\ns=[socket.create_connection(('{}',{port})) for _ in range(70)]\nprint('open', flush=True)\ntime.sleep(4)",
            ns.host_ip
        ))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(idle.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "open");
    let env = eval_in_bash(
        &out,
        "",
        &[
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        ],
    );
    let (status, json) = credentials(&env);
    assert_eq!(
        status, 200,
        "the owner while the bound side is full: {json}"
    );
    let _ = idle.kill();
    let _ = idle.wait();
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let _ = child.wait();

    for bad in ["0.0.0.0", "8.8.8.8", "::", "127.0.0.2", "no-such-if0"] {
        let r = run(home
            .cmd(&sts)
            .args(["serve", "--profile", "admin", "--bind", bad]));
        assert_eq!(r.code, 3, "{bad}: {}", r.stderr);
        assert!(r.stderr.contains("--bind"), "{bad}: {}", r.stderr);
    }
}
