//! A hostile STS, SSO portal or `credential_process`: control bytes in every
//! credential field, malformed key ids, huge, endless and trickling bodies,
//! escape sequences in error messages, redirects, and `credential_process`
//! loops. Every case checks the exit code, that stdout is only the failure
//! line, that stderr is one clean line, that nothing is cached, the wall
//! time, and the child's peak memory.

use crate::support::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Far above what awscred needs, far below a 64 MiB body read whole.
const MAX_RSS_KIB: u64 = 48 * 1024;
const SECS: fn(u64) -> Duration = Duration::from_secs;

/// stderr is one `awscred:` line with no control character but its newline.
fn assert_one_clean_line(stderr: &str, what: &str) {
    assert!(
        stderr.starts_with("awscred: ") && stderr.ends_with('\n'),
        "{what}: {stderr:?}"
    );
    assert_eq!(stderr.lines().count(), 1, "{what}: {stderr:?}");
    assert!(
        !stderr[..stderr.len() - 1].chars().any(char::is_control),
        "{what}: a control character reached stderr: {stderr:?}"
    );
}

/// Runs `c` and checks the failure contract; stderr holds one of `messages`.
fn refused(
    home: &Home,
    c: &mut Command,
    code: i32,
    messages: &[&str],
    within: Duration,
    what: &str,
) {
    let m = run_measured(c);
    let r = &m.run;
    assert_eq!(r.code, code, "{what}: {}", r.stderr);
    assert_eq!(r.stdout, "false\n", "{what}");
    assert_one_clean_line(&r.stderr, what);
    assert!(
        messages.iter().any(|t| r.stderr.contains(t)),
        "{what}: {}",
        r.stderr
    );
    assert!(home.cache_entries().is_empty(), "{what}: nothing cached");
    assert!(m.took < within, "{what} took {:?}", m.took);
    assert!(
        m.peak_rss_kib < MAX_RSS_KIB,
        "{what}: peak RSS {} KiB",
        m.peak_rss_kib
    );
}

fn hostile(id: &str, secret: &str, token: &str) -> Reply {
    Reply::Hostile {
        id: id.into(),
        secret: secret.into(),
        token: token.into(),
    }
}

const ID: &str = "ASIAHOSTILE00000001";
const SECRET: &str = "hostile/secret+key";
const TOKEN: &str = "HostileSessionToken==";

/// Each field with `bad` in its middle, in turn.
fn each_field(bad: &str) -> [(&'static str, Reply); 3] {
    let mid = |s: &str| format!("{}{bad}{}", &s[..8], &s[8..]);
    [
        ("AccessKeyId", hostile(&mid(ID), SECRET, TOKEN)),
        ("SecretAccessKey", hostile(ID, &mid(SECRET), TOKEN)),
        ("SessionToken", hostile(ID, SECRET, &mid(TOKEN))),
    ]
}

/// (what, as written in the XML document): C0, ESC, newline, DEL, a C1 CSI,
/// NUL as a character reference, and ESC as one.
const CONTROLS: [(&str, &str); 8] = [
    ("SOH", "\x01"),
    ("ESC", "\x1b[2J"),
    ("newline", "\nexport X=1\n"),
    ("CR", "\r"),
    ("DEL", "\x7f"),
    ("C1 CSI", "\u{9b}31m"),
    ("NUL reference", "&#0;"),
    ("ESC reference", "&#27;]0;title&#7;"),
];

#[test]
fn a_control_character_in_any_credential_field_is_refused() {
    for (name, bad) in CONTROLS {
        for (field, reply) in each_field(bad) {
            let (home, sts) = (Home::new(), FakeSts::with(vec![reply]));
            refused(
                &home,
                home.cmd(&sts).args(["mfa", "123456"]),
                6,
                &[
                    "STS answered with unusable credentials",
                    "sent a response awscred cannot read",
                ],
                SECS(3),
                &format!("{name} in {field}"),
            );
        }
    }
}

#[test]
fn a_raw_nul_byte_in_a_credential_field_is_refused() {
    for (field, reply) in each_field("\0") {
        let (home, sts) = (Home::new(), FakeSts::with(vec![reply]));
        refused(
            &home,
            home.cmd(&sts).args(["mfa", "123456"]),
            6,
            &[
                "STS answered with unusable credentials",
                "sent a response awscred cannot read",
            ],
            SECS(3),
            &format!("raw NUL in {field}"),
        );
    }
}

#[test]
fn an_access_key_id_that_is_not_16_to_128_word_characters_is_refused() {
    for id in [
        "A".repeat(15),
        "A".repeat(129),
        "ASIA-HOSTILE-000001".into(),
        "ASIA HOSTILE 000001".into(),
        "ASIAHOSTILÉ00000001".into(),
        "ASIAHOSTILE0000001'".into(),
        "$(touch pwned)AAAAAAAAAA".into(),
    ] {
        let (home, sts) = (
            Home::new(),
            FakeSts::with(vec![hostile(&id, SECRET, TOKEN)]),
        );
        refused(
            &home,
            home.cmd(&sts).args(["mfa", "123456"]),
            6,
            &["STS answered with unusable credentials (the access key id is not an access key id"],
            SECS(3),
            &id,
        );
        assert!(!home.path().join("pwned").exists());
    }
}

#[test]
fn an_endless_body_is_cut_at_one_mebibyte() {
    let (home, sts) = (Home::new(), FakeSts::with(vec![Reply::Endless; 3]));
    refused(
        &home,
        home.cmd(&sts)
            .args(["mfa", "123456"])
            .env("AWSCRED_TIMEOUT", "5"),
        6,
        &["sent a response over 1 MiB"],
        SECS(3),
        "endless body",
    );
    assert_eq!(sts.session_calls(), 1, "not retried");
}

#[test]
fn a_huge_body_in_a_valid_document_is_refused_not_parsed() {
    let huge = Reply::Huge(64 << 20);
    let (home, sts) = (Home::new(), FakeSts::with(vec![huge; 3]));
    refused(
        &home,
        home.cmd(&sts).args(["mfa", "123456"]),
        6,
        &["sent a response over 1 MiB"],
        SECS(3),
        "64 MiB body",
    );
    assert_eq!(sts.session_calls(), 1, "not retried");
    // Just under the cap is still an answer.
    let (home, sts) = (Home::new(), FakeSts::with(vec![Reply::Huge(1000 << 10)]));
    let r = run(home.cmd(&sts).args(["mfa", "123456"]));
    r.expect_ok();
}

#[test]
fn a_body_trickling_a_byte_a_second_is_bounded_by_the_timeout() {
    let (home, sts) = (Home::new(), FakeSts::with(vec![Reply::Trickle; 3]));
    refused(
        &home,
        home.cmd(&sts)
            .args(["mfa", "123456"])
            .env("AWSCRED_TIMEOUT", "2"),
        6,
        &["did not answer"],
        SECS(4),
        "trickling body",
    );
}

#[test]
fn escape_sequences_and_newlines_in_an_error_stay_on_one_inert_line() {
    let cases = [
        (
            403,
            "AccessDenied",
            "\x1b[2J\x1b]0;pwned\x07not authorized\nawscred: forged line\r\u{9b}31m",
        ),
        (400, "Evil\x1b[31mCode\nawscred: forged", "x\x7fy"),
        (400, "ValidationError", "a&#27;[2Jb&#10;awscred: forged&#0;"),
        (400, "Entity&#27;[1mCode", "m"),
    ];
    for (status, code, message) in cases {
        let (home, sts) = (
            Home::new(),
            FakeSts::with(vec![error(status, code, message)]),
        );
        refused(
            &home,
            home.cmd(&sts).args(["mfa", "123456"]),
            5,
            &["STS"],
            SECS(3),
            &format!("{code:?}"),
        );
    }
    // The same in moto's wrapped shape, with a 500 (retried, then unavailable).
    let body = "<ErrorResponse><Errors><Error><Code>\x1b[2J</Code><Message>\nawscred: forged</Message></Error></Errors></ErrorResponse>".to_string();
    let (home, sts) = (
        Home::new(),
        FakeSts::with(vec![Reply::Raw { status: 500, body }; 3]),
    );
    refused(
        &home,
        home.cmd(&sts).args(["mfa", "123456"]),
        6,
        &["STS is unavailable (HTTP 500)"],
        SECS(4),
        "wrapped error",
    );
}

#[test]
fn a_redirect_is_not_followed() {
    for status in [301, 302, 307, 308] {
        let elsewhere = FakeSts::start();
        let redirect = Reply::Redirect {
            status,
            location: format!("{}/", elsewhere.url()),
        };
        let (home, sts) = (Home::new(), FakeSts::with(vec![redirect]));
        refused(
            &home,
            home.cmd(&sts).args(["mfa", "123456"]),
            6,
            &[&format!("STS answered HTTP {status}")],
            SECS(3),
            &format!("HTTP {status}"),
        );
        assert!(elsewhere.requests().is_empty(), "{status} was followed");
    }
}

/// awscred's own role profiles: neither a hostile MFA session nor a hostile
/// role answer is used to sign anything, printed or cached.
#[test]
fn a_role_profile_on_a_hostile_answer_fails_cleanly() {
    let config = format!(
        "{CONFIG}\n[profile admin]\nrole_arn = arn:aws:iam::111111111111:role/admin\nsource_profile = default\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n"
    );
    let bad_id = format!("ASIA\x1b[2J{}", &ID[4..]);
    let home = Home::with(&config, CREDENTIALS);
    let sts = FakeSts::with(vec![hostile(&bad_id, SECRET, TOKEN)]);
    refused(
        &home,
        home.cmd(&sts).args(["mfa", "123456", "--profile", "admin"]),
        6,
        &["STS answered with unusable credentials", "cannot read"],
        SECS(3),
        "hostile MFA session under a role",
    );
    assert_eq!(sts.calls("AssumeRole"), 0, "never signed with it");

    let home = Home::with(&config, CREDENTIALS);
    let sts = FakeSts::with(vec![session(), hostile(ID, SECRET, "tok\nen")]);
    let m = run_measured(home.cmd(&sts).args(["mfa", "123456", "--profile", "admin"]));
    assert_eq!(m.run.code, 6, "{}", m.run.stderr);
    assert_eq!(m.run.stdout, "false\n");
    assert_one_clean_line(&m.run.stderr, "hostile role answer");
    // Only the (valid) MFA session of the source is cached.
    let entries = home.cache_entries();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(!fs::read_to_string(&entries[0]).unwrap().contains(ID));
}

// ---- the SDK chain: SSO portal, web identity, credential_process ----

fn sha1_hex(text: &str) -> String {
    let out = Command::new("sh")
        .args(["-c", "printf %s \"$0\" | sha1sum", text])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()[..40].to_string()
}

/// A HOME with a logged-in SSO profile `sso` and `on-sso`, a role on it.
fn sso_home() -> Home {
    let config = format!(
        "{CONFIG}\n[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = ReadOnly\nregion = eu-west-3\n\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n\n[profile on-sso]\nrole_arn = arn:aws:iam::777777777777:role/deploy\nsource_profile = sso\n"
    );
    let home = Home::with(&config, CREDENTIALS);
    let cache = home.path().join(".aws/sso/cache");
    fs::create_dir_all(&cache).unwrap();
    let token = "{\"accessToken\": \"portal-access-token\", \"expiresAt\": \"2099-01-01T00:00:00Z\", \"region\": \"us-east-1\", \"startUrl\": \"https://example.awsapps.com/start\"}";
    fs::write(cache.join(format!("{}.json", sha1_hex("corp"))), token).unwrap();
    // As botocore writes it (awscred tightens a looser one, with a warning).
    fs::set_permissions(
        cache.join(format!("{}.json", sha1_hex("corp"))),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    home
}

fn export(home: &Home, sts: &FakeSts, profile: &str) -> Command {
    let mut c = home.cmd(sts);
    c.args(["export", "--profile", profile])
        .env("AWS_ENDPOINT_URL_SSO", sts.url())
        .env("AWSCRED_TIMEOUT", "3");
    c
}

/// JSON escapes of control characters, as the portal would send them.
const JSON_CONTROLS: [&str; 5] = ["\\u0001", "\\u001b[2J", "\\n", "\\u0000", "\\u009b"];

#[test]
fn hostile_sso_portal_credentials_are_refused_with_or_without_a_role_on_top() {
    for bad in JSON_CONTROLS {
        for (field, reply) in each_field(bad) {
            for profile in ["sso", "on-sso"] {
                let (home, sts) = (sso_home(), FakeSts::with(vec![reply.clone()]));
                refused(
                    &home,
                    &mut export(&home, &sts, profile),
                    6,
                    &["the SSO portal answered for profile sso with unusable credentials"],
                    SECS(3),
                    &format!("{bad} in the portal's {field}, profile {profile}"),
                );
                assert_eq!(sts.calls("AssumeRole"), 0, "never signed with them");
            }
        }
    }
}

#[test]
fn a_huge_or_endless_sso_portal_body_is_cut_at_one_mebibyte() {
    for (what, reply) in [("huge", Reply::Huge(64 << 20)), ("endless", Reply::Endless)] {
        let (home, sts) = (sso_home(), FakeSts::with(vec![reply; 3]));
        refused(
            &home,
            &mut export(&home, &sts, "sso"),
            6,
            &["sent a response over 1 MiB"],
            SECS(3),
            what,
        );
        assert_eq!(sts.requests().len(), 1, "{what}: not retried");
    }
}

#[test]
fn a_role_on_an_sso_profile_refuses_a_hostile_role_answer() {
    let home = sso_home();
    let (id, secret, token) = issued_sso();
    let sts = FakeSts::with(vec![
        // The portal's usual answer, then a hostile AssumeRole.
        hostile(&id, &secret, &token),
        hostile("ASIA\u{9b}31mHOSTILE0001", SECRET, TOKEN),
    ]);
    refused(
        &home,
        &mut export(&home, &sts, "on-sso"),
        6,
        &["STS answered with unusable credentials"],
        SECS(3),
        "hostile AssumeRole on SSO",
    );
    assert_eq!(sts.calls("AssumeRole"), 1);
}

fn web_identity_home() -> Home {
    let home = Home::new();
    let token = home.path().join("token.jwt");
    fs::write(&token, "eyJhbGciOiJIUzI1NiJ9.e30.sig").unwrap();
    let config = format!(
        "{CONFIG}\n[profile ci]\nrole_arn = arn:aws:iam::888888888888:role/ci\nweb_identity_token_file = {}\n\n[profile on-ci]\nrole_arn = arn:aws:iam::999999999999:role/deploy\nsource_profile = ci\n",
        token.display()
    );
    fs::write(home.path().join(".aws/config"), config).unwrap();
    home
}

#[test]
fn hostile_web_identity_credentials_are_refused_with_or_without_a_role_on_top() {
    for bad in ["\x1b[2J", "\n", "&#0;"] {
        for (field, reply) in each_field(bad) {
            for profile in ["ci", "on-ci"] {
                let (home, sts) = (web_identity_home(), FakeSts::with(vec![reply.clone()]));
                refused(
                    &home,
                    &mut export(&home, &sts, profile),
                    6,
                    &[
                        "STS answered the web identity call of profile ci with unusable credentials",
                        "cannot get credentials for profile",
                    ],
                    SECS(3),
                    &format!("{bad:?} in {field}, profile {profile}"),
                );
                assert_eq!(sts.calls("AssumeRole"), 0, "never signed with them");
            }
        }
    }
}

/// An executable script in HOME printing `body` (a credential_process).
fn script(home: &Home, name: &str, body: &str) -> String {
    let path = home.path().join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path.display().to_string()
}

#[test]
fn hostile_credential_process_output_is_refused_with_or_without_a_role_on_top() {
    let outputs = [
        (
            "ESC in AccessKeyId",
            r#"{"Version":1,"AccessKeyId":"ASIAPROC\u001b[2J000001","SecretAccessKey":"s","SessionToken":"t"}"#,
        ),
        (
            "newline in AccessKeyId",
            r#"{"Version":1,"AccessKeyId":"ASIAPROC0000\n000001","SecretAccessKey":"s"}"#,
        ),
        (
            "short AccessKeyId",
            r#"{"Version":1,"AccessKeyId":"ASIA","SecretAccessKey":"s"}"#,
        ),
        (
            "NUL in SecretAccessKey",
            r#"{"Version":1,"AccessKeyId":"ASIAPROC000000000001","SecretAccessKey":"s\u0000s"}"#,
        ),
        (
            "C1 in SessionToken",
            r#"{"Version":1,"AccessKeyId":"ASIAPROC000000000001","SecretAccessKey":"s","SessionToken":"t\u009bt"}"#,
        ),
    ];
    for (what, json) in outputs {
        let home = Home::new();
        let proc = script(&home, "creds.sh", &format!("cat <<'EOF'\n{json}\nEOF"));
        let config = format!(
            "{CONFIG}\n[profile proc]\ncredential_process = {proc}\n\n[profile on-proc]\nrole_arn = arn:aws:iam::999999999999:role/deploy\nsource_profile = proc\n"
        );
        fs::write(home.path().join(".aws/config"), config).unwrap();
        for profile in ["proc", "on-proc"] {
            let sts = FakeSts::start();
            refused(
                &home,
                &mut export(&home, &sts, profile),
                3,
                &["the credential_process of profile proc printed unusable credentials"],
                SECS(3),
                &format!("{what}, profile {profile}"),
            );
            assert!(sts.requests().is_empty(), "never signed with them");
        }
    }
}

// ---- credential_process loops ----

/// A HOME whose profiles in `links` (profile, target) each have a
/// credential_process running awscred for the target, through a wrapper that
/// counts its runs in `runs` (and gives up after 30, so a regression cannot
/// fork without end).
fn looping_home(links: &[(&str, &str)]) -> Home {
    let home = Home::new();
    let runs = home.path().join("runs");
    let wrapper = script(
        &home,
        "wrap.sh",
        &format!(
            "echo \"$1\" >> '{}'\n[ \"$(wc -l < '{}')\" -gt 30 ] && {{ echo 'wrapper: too many runs' >&2; exit 1; }}\nexec '{}' credential-process --profile \"$1\"",
            runs.display(),
            runs.display(),
            env!("CARGO_BIN_EXE_awscred")
        ),
    );
    let mut config = CONFIG.to_string();
    for (profile, target) in links {
        config.push_str(&format!(
            "\n[profile {profile}]\ncredential_process = {wrapper} {target}\n"
        ));
    }
    let plain = script(
        &home,
        "plain.sh",
        r#"echo '{"Version":1,"AccessKeyId":"ASIAPROC000000000001","SecretAccessKey":"s"}'"#,
    );
    config.push_str(&format!("\n[profile end]\ncredential_process = {plain}\n"));
    fs::write(home.path().join(".aws/config"), config).unwrap();
    home
}

fn runs(home: &Home) -> usize {
    fs::read_to_string(home.path().join("runs"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

#[test]
fn a_credential_process_that_runs_awscred_for_its_own_profile_stops_at_once() {
    let home = looping_home(&[("self", "self")]);
    let sts = FakeSts::start();
    refused(
        &home,
        &mut export(&home, &sts, "self"),
        3,
        &["credential_process loop: self → self: "],
        SECS(1),
        "self loop",
    );
    assert_eq!(runs(&home), 1, "one nested awscred");
}

#[test]
fn a_credential_process_loop_through_two_profiles_stops_at_once() {
    let home = looping_home(&[("a", "b"), ("b", "a")]);
    let sts = FakeSts::start();
    refused(
        &home,
        &mut export(&home, &sts, "a"),
        3,
        &["credential_process loop: a → b → a: "],
        SECS(1),
        "a → b → a",
    );
    assert_eq!(runs(&home), 2, "two nested awscred");
    // Through credential-process too, whose failure output is empty.
    let r = run(home
        .cmd(&sts)
        .args(["credential-process", "--profile", "b"]));
    assert_eq!((r.code, r.stdout.as_str()), (3, ""), "{}", r.stderr);
    assert_one_clean_line(&r.stderr, "b → a → b");
    assert!(r.stderr.contains("credential_process loop: b → a → b: "));
}

#[test]
fn a_credential_process_chain_deeper_than_eight_profiles_stops() {
    let links: Vec<(String, String)> = (1..=9)
        .map(|i| (format!("p{i}"), format!("p{}", i + 1)))
        .chain([("p10".to_string(), "end".to_string())])
        .collect();
    let links: Vec<(&str, &str)> = links
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let home = looping_home(&links);
    let sts = FakeSts::start();
    refused(
        &home,
        &mut export(&home, &sts, "p1"),
        3,
        &["credential_process chain deeper than 8 profiles (p1 → p2 → p3 → p4 → p5 → p6 → p7 → p8 → p9)"],
        SECS(5),
        "ten deep",
    );
    assert_eq!(runs(&home), 8);
    // Eight deep (p4 … p10, end) is fine.
    let r = run(&mut export(&home, &sts, "p4"));
    r.expect_ok();
    assert!(r.stdout.contains("ASIAPROC000000000001"));
}

/// The marker is for awscred's own credential_process children only: a
/// command run by `exec` does not inherit it.
#[test]
fn the_chain_marker_does_not_leak_into_exec() {
    let home = looping_home(&[]);
    let sts = FakeSts::start();
    let out: &Path = &home.path().join("seen");
    let r = run(home.cmd(&sts).args([
        "exec",
        "--profile",
        "end",
        "--",
        "sh",
        "-c",
        &format!(
            "printf %s \"${{AWSCRED_PROFILE_CHAIN-unset}}\" > '{}'",
            out.display()
        ),
    ]));
    r.expect_ok();
    assert_eq!(fs::read_to_string(out).unwrap(), "unset");
}

/// `c` under a 2 GiB address-space limit and a 30 s kill, so a runaway
/// awscred fails the test instead of the machine.
fn limited(c: &Command) -> Command {
    let mut l = Command::new("prlimit");
    l.args(["--as=2147483648", "--", "timeout", "-s", "KILL", "30"])
        .arg(c.get_program())
        .args(c.get_args())
        .env_clear()
        .stdin(std::process::Stdio::null());
    for (k, v) in c.get_envs() {
        if let Some(v) = v {
            l.env(k, v);
        }
    }
    l
}

#[test]
fn a_credential_process_is_bounded_in_output_time_and_what_it_inherits() {
    let home = Home::new();
    let flood = script(&home, "flood.sh", "exec yes '{'");
    let pid_file = home.path().join("sleep.pid");
    let hang = script(
        &home,
        "hang.sh",
        &format!("sleep 300 & echo $! > {}\nwait", pid_file.display()),
    );
    let seen = home.path().join("seen-env");
    let nosy = script(
        &home,
        "nosy.sh",
        &format!(
            "env > {}\necho '{{\"Version\":1,\"AccessKeyId\":\"ASIAPROC000000000001\",\"SecretAccessKey\":\"procsecret\",\"SessionToken\":\"proctoken\"}}'",
            seen.display()
        ),
    );
    let config = format!(
        "{CONFIG}\n[profile flood]\ncredential_process = {flood} SEEDSEED\n\n[profile hang]\ncredential_process = {hang}\n\n[profile nosy]\ncredential_process = {nosy}\n"
    );
    fs::write(home.path().join(".aws/config"), config).unwrap();
    let sts = FakeSts::start();

    refused(
        &home,
        &mut limited(&export(&home, &sts, "flood")),
        3,
        &[
            "credential_process `/",
            "printed more than 65536 bytes and was stopped",
        ],
        SECS(5),
        "endless output",
    );
    refused(
        &home,
        limited(&export(&home, &sts, "hang")).env("AWSCRED_CREDENTIAL_PROCESS_TIMEOUT", "1"),
        3,
        &["did not finish within 1 s and was stopped"],
        SECS(5),
        "a process that never exits",
    );
    let pid = fs::read_to_string(&pid_file).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let stat = fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
    assert!(
        stat.is_empty() || stat.contains(") Z "),
        "what it started is killed with it: {stat}"
    );

    let r = run(export(&home, &sts, "nosy")
        .env("AWSCRED_KEYS_PASSPHRASE", "correct horse battery staple")
        .env("AWS_MFA_TOKEN_CODE", "123456"));
    r.expect_ok();
    assert!(r.stdout.contains("ASIAPROC000000000001"), "{}", r.stdout);
    let env = fs::read_to_string(&seen).unwrap();
    assert!(env.contains("AWSCRED_PROFILE_CHAIN=nosy"), "{env}");
    for secret in [
        "AWSCRED_KEYS_PASSPHRASE",
        "AWS_MFA_TOKEN_CODE",
        "correct horse",
    ] {
        assert!(!env.contains(secret), "{secret} reached credential_process");
    }
}
