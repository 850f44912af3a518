//! Trust II, local input: the environment and the AWS files are validated and
//! bounded before use, and nothing awscred reads can crash it, hang it, or
//! reach the terminal unescaped.

use crate::support::*;
use proptest::prelude::*;
use std::ffi::OsString;
use std::fs;
use std::os::unix::ffi::OsStringExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs with a deadline, for inputs that used to hang (a FIFO).
fn run_within(c: &mut Command, limit: Duration) -> Run {
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("awscred still running after {limit:?}: it hung");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn a_variable_that_is_not_utf8_is_an_error_naming_it() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let bad = OsString::from_vec(b"work\xff".to_vec());
    let r = run(home
        .cmd(&sts)
        .args(["mfa", "123456"])
        .env("AWS_PROFILE", &bad));
    r.expect_failure(3, "false\n", "AWS_PROFILE is not valid UTF-8");
    // An unreadable STS endpoint must not fall back to another one.
    let r = run(home
        .cmd(&sts)
        .args(["mfa", "123456"])
        .env("AWS_ENDPOINT_URL", sts.url())
        .env(
            "AWS_ENDPOINT_URL_STS",
            OsString::from_vec(b"http://\xfe".to_vec()),
        ));
    r.expect_failure(3, "false\n", "AWS_ENDPOINT_URL_STS is not valid UTF-8");
    assert!(
        sts.requests().is_empty(),
        "nothing signed with the wrong keys"
    );
}

#[test]
fn control_bytes_in_keys_and_names_fail_before_any_request() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let cases: &[(&str, &str, &str)] = &[
        (
            "AWS_ACCESS_KEY_ID",
            "AKIAENVKEY\u{1}0000001",
            "the access key id",
        ),
        (
            "AWS_ACCESS_KEY_ID",
            "AKIA\u{1b}[2J00000001",
            "the access key id",
        ),
        (
            "AWS_PROFILE",
            "wo\u{1b}]0;pwned\u{7}rk",
            "AWS_PROFILE: the profile name",
        ),
        ("AWS_REGION", "eu-west-1\n", "AWS_REGION: not an AWS region"),
        (
            "AWS_MFA_SERIAL_NUMBER",
            "arn:aws:iam::1:mfa/\u{9b}me",
            "not an MFA serial",
        ),
    ];
    for (var, value, needle) in cases {
        let r = run(home
            .cmd(&sts)
            .args(["mfa", "123456"])
            .env(var, value)
            .env("AWS_SECRET_ACCESS_KEY", "envSecret/abc"));
        r.expect_failure(3, "false\n", needle);
    }
    let creds = CREDENTIALS.replace("defaultSecret/abc+def", "default\u{7f}Secret");
    let home = Home::with(CONFIG, &creds);
    let r = run(home.cmd(&sts).args(["mfa", "123456"]));
    r.expect_failure(3, "false\n", "credentials:2: the secret access key");
    assert!(sts.requests().is_empty());
}

#[test]
fn special_and_huge_aws_files_are_refused_at_once() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let fifo = home.path().join("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let big = home.path().join("big");
    let mut text = CONFIG.to_string();
    text.push_str(&"# padding\n".repeat(1_700_000));
    fs::write(&big, text).unwrap();
    for (var, path, needle) in [
        ("AWS_CONFIG_FILE", &fifo, "not a regular file"),
        ("AWS_SHARED_CREDENTIALS_FILE", &fifo, "not a regular file"),
        (
            "AWS_CONFIG_FILE",
            &home.path().to_path_buf(),
            "not a regular file",
        ),
        ("AWS_CONFIG_FILE", &big, "too large"),
    ] {
        let start = Instant::now();
        let r = run_within(
            home.cmd(&sts).args(["mfa", "123456"]).env(var, path),
            Duration::from_secs(5),
        );
        r.expect_failure(3, "false\n", needle);
        assert!(start.elapsed() < Duration::from_secs(1), "{var}={path:?}");
    }
    if unsafe { libc::geteuid() } == 0 {
        let zero = home.path().join("zero");
        assert!(Command::new("mknod")
            .arg(&zero)
            .args(["c", "1", "5"])
            .status()
            .unwrap()
            .success());
        let r = run_within(
            home.cmd(&sts)
                .args(["mfa", "123456"])
                .env("AWS_CONFIG_FILE", &zero),
            Duration::from_secs(5),
        );
        r.expect_failure(3, "false\n", "not a regular file");
    } else {
        panic!("the device case needs root (CI runs as root)");
    }
    assert!(sts.requests().is_empty());
}

#[test]
fn status_and_list_show_hostile_values_escaped() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let r = run(home
        .cmd(&sts)
        .arg("status")
        .env("AWS_ACCESS_KEY_ID", "ASIA\u{1b}[2JXXXXXXXXXX")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_SESSION_TOKEN", "t")
        .env("AWSCRED_PROFILE", "evil\u{1b}]0;title\u{7}")
        .env("AWS_CREDENTIAL_EXPIRATION", "soon\u{1b}[31m"));
    assert!(
        !r.stdout.contains('\u{1b}') && !r.stdout.contains('\u{7}'),
        "{:?}",
        r.stdout
    );
    assert!(r.stdout.contains("\\u{1b}[2J"), "{}", r.stdout);
    let config = format!("{CONFIG}\n[profile evil\u{1b}[2J]\nregion = eu-west-1\n");
    let home = Home::with(&config, CREDENTIALS);
    let r = run(home.cmd(&sts).arg("list"));
    r.expect_ok();
    assert!(!r.stdout.contains('\u{1b}'), "{:?}", r.stdout);
    assert!(r.stdout.contains("evil\\u{1b}[2J"), "{}", r.stdout);
}

// ---- random input everywhere ----

/// Where a random value goes.
#[derive(Debug, Clone)]
enum Target {
    Var(&'static str),
    /// A key of `[default]` in the config or credentials file.
    ConfigKey(&'static str),
    CredentialsKey(&'static str),
    /// The name of a section of the config file.
    SectionName,
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        prop::sample::select(vec![
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_MFA_SERIAL_NUMBER",
            "AWS_MFA_TOKEN_CODE",
            "AWS_ENDPOINT_URL_STS",
            "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE",
            "AWSCRED_CACHE_DIR",
            "AWSCRED_TIMEOUT",
            "AWSCRED_PROFILE",
            "AWSCRED_FORMAT",
            "AWS_CREDENTIAL_EXPIRATION",
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
            "XDG_CACHE_HOME",
            "HOME",
        ])
        .prop_map(Target::Var),
        prop::sample::select(vec![
            "region",
            "mfa_serial",
            "duration_seconds",
            "endpoint_url",
            "role_arn",
            "source_profile",
            "role_session_name",
            "external_id",
        ])
        .prop_map(Target::ConfigKey),
        prop::sample::select(vec![
            "aws_access_key_id",
            "aws_secret_access_key",
            "aws_session_token"
        ])
        .prop_map(Target::CredentialsKey),
        Just(Target::SectionName),
    ]
}

/// Bytes with plenty of the awkward ones: control characters, NUL, invalid
/// UTF-8, quotes, shell syntax, non-ASCII.
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        3 => any::<u8>(),
        2 => prop::sample::select(vec![0u8, 1, 7, 8, 9, 10, 13, 27, 127, 0x9b, 0xc2, 0xff]),
        2 => prop::sample::select(b"'\"$`\\!%;&|[]=#: ".to_vec()),
        3 => prop::sample::select(b"abcAKIA0123456789-_/".to_vec()),
    ];
    prop::collection::vec(byte, 0..48)
}

/// `text` with `key = value` as the first line of its first section (`[default]`),
/// replacing the key's own line there if it has one.
fn with_key(text: &str, key: &str, value: &[u8]) -> Vec<u8> {
    let (head, rest) = text.split_once('\n').unwrap();
    let mut out = [head.as_bytes(), b"\n", key.as_bytes(), b" = ", value, b"\n"].concat();
    let mut in_first = true;
    for line in rest.split_inclusive('\n') {
        in_first &= !line.starts_with('[');
        if !(in_first && line.split('=').next().is_some_and(|k| k.trim() == key)) {
            out.extend(line.as_bytes());
        }
    }
    out
}

fn check_output(cmd: &str, r: &Run) -> Result<(), TestCaseError> {
    prop_assert!(
        ![101, 134, 139, -1].contains(&r.code),
        "{cmd}: crashed with {}: {}",
        r.code,
        r.stderr
    );
    for line in r.stderr.lines() {
        prop_assert!(
            line.starts_with("awscred: "),
            "{cmd}: stray stderr: {:?}",
            r.stderr
        );
        prop_assert!(
            !line.chars().any(char::is_control),
            "{cmd}: control character on stderr: {:?}",
            r.stderr
        );
    }
    if r.code == 0 {
        if cmd == "mfa" || cmd == "export" {
            prop_assert!(
                r.stdout.starts_with("export AWS_ACCESS_KEY_ID='"),
                "{cmd}: {:?}",
                r.stdout
            );
        }
    } else if !(cmd == "status" && [7, 8].contains(&r.code) && r.stderr.is_empty()) {
        // (status reports "none" and "expired" on stdout, by exit code)
        prop_assert_eq!(r.stderr.lines().count(), 1, "{}: {:?}", cmd, r.stderr);
        if cmd == "mfa" || cmd == "export" {
            prop_assert_eq!(r.stdout.as_str(), "false\n", "{}", cmd);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Random bytes in one variable or file field: never a crash, stdout is the
    /// output or exactly the failure line, stderr is `awscred:` lines without
    /// control characters (one line on failure).
    #[test]
    fn random_bytes_anywhere_never_crash_or_leak_control_characters(
        target in target(),
        value in bytes(),
    ) {
        let sts = FakeSts::start();
        let home = Home::new();
        let (mut config, mut credentials) = (CONFIG.as_bytes().to_vec(), CREDENTIALS.as_bytes().to_vec());
        let mut var = None;
        match &target {
            // Paths stay inside the test's home: awscred creates directories there.
            Target::Var(name @ ("AWSCRED_CACHE_DIR" | "XDG_CACHE_HOME" | "HOME")) => {
                let mut p = home.path().as_os_str().as_encoded_bytes().to_vec();
                p.push(b'/');
                p.extend(&value);
                var = Some((*name, p));
            }
            Target::Var(name) => var = Some((*name, value.clone())),
            Target::ConfigKey(key) => config = with_key(CONFIG, key, &value),
            Target::CredentialsKey(key) => credentials = with_key(CREDENTIALS, key, &value),
            Target::SectionName => {
                config = [CONFIG.as_bytes(), b"\n[profile ", &value, b"]\nregion = eu-west-1\n"].concat();
            }
        }
        fs::write(home.path().join(".aws/config"), &config).unwrap();
        fs::write(home.path().join(".aws/credentials"), &credentials).unwrap();
        for cmd in ["mfa", "export", "list", "status", "credential-process"] {
            let mut c = home.cmd(&sts);
            c.arg(cmd).env("AWS_MFA_TOKEN_CODE", "123456");
            if let Some((name, v)) = &var {
                // No environment variable can hold a NUL.
                let v: Vec<u8> = v.iter().copied().filter(|&b| b != 0).collect();
                c.env(name, OsString::from_vec(v));
            }
            let r = run_within(&mut c, Duration::from_secs(20));
            check_output(cmd, &r)?;
        }
    }
}

/// One endpoint policy for every AWS endpoint: plain http only to this
/// machine (STS answers carry session secrets, as IAM's carry a new key).
#[test]
fn plain_http_to_another_machine_is_refused_for_sts_and_iam_before_any_request() {
    let (home, sts) = (Home::new(), FakeSts::start());
    for (var, args) in [
        ("AWS_ENDPOINT_URL_STS", &["mfa", "123456"][..]),
        ("AWS_ENDPOINT_URL", &["mfa", "123456"][..]),
        (
            "AWS_ENDPOINT_URL_IAM",
            &["rotate", "--profile", "work", "--token-code", "123456"][..],
        ),
    ] {
        let mut c = home.cmd(&sts);
        if var != "AWS_ENDPOINT_URL_IAM" {
            c.env_remove("AWS_ENDPOINT_URL_STS");
        }
        let r = run(c.env(var, "http://sts.example.com:80").args(args));
        let fails_with = if args[0] == "mfa" { "false\n" } else { "" };
        r.expect_failure(
            3,
            fails_with,
            &format!("{var}: the endpoint URL is plain http to another machine"),
        );
    }
    assert!(sts.requests().is_empty());
}
