//! `--write-profile`: the session goes into one section of the credentials
//! file; every other byte stays; long-term keys are protected; kills never tear it.

use crate::support::*;
use std::fs;
use std::time::Duration;

const FILE: &str = "# my keys; do not lose this comment\n[default]\naws_access_key_id = AKIADEFAULTKEY000001\naws_secret_access_key = defaultSecret/abc+def\n\n; work account\n[work]\naws_access_key_id=AKIAWORKKEY000000002\n  aws_secret_access_key   =   workSecret\n\n[plain]\naws_access_key_id = AKIAPLAINKEY00000003\naws_secret_access_key = plainSecret\n";

fn home() -> Home {
    Home::with(CONFIG, FILE)
}

fn credentials(home: &Home) -> String {
    fs::read_to_string(home.path().join(".aws/credentials")).unwrap()
}

#[test]
fn mfa_writes_a_new_section_and_keeps_every_other_byte() {
    let (home, sts) = (home(), FakeSts::start());
    let r = run(home
        .cmd(&sts)
        .args(["mfa", "123456", "--write-profile", "mfa-session"]));
    r.expect_ok();
    assert!(
        r.stderr.contains("wrote the session to [mfa-session]"),
        "{}",
        r.stderr
    );
    let text = credentials(&home);
    assert!(
        text.starts_with(FILE),
        "everything before is unchanged:\n{text}"
    );
    let (id, secret, token) = issued(1);
    let added = &text[FILE.len()..];
    assert!(added.starts_with(&format!("\n[mfa-session]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\naws_session_token = {token}\nexpiration = 20")), "{added}");

    // Again (new session): replaced in place, nothing else moves.
    let r =
        run(home
            .cmd(&sts)
            .args(["mfa", "--force", "654321", "--write-profile", "mfa-session"]));
    r.expect_ok();
    let text2 = credentials(&home);
    assert!(text2.starts_with(FILE));
    assert!(text2.contains(&issued(2).0) && !text2.contains(&issued(1).0));
    assert_eq!(text2.lines().count(), text.lines().count());
    let sections = awscred::ini::parse(&text2).unwrap();
    assert_eq!(
        sections.iter().filter(|s| s.name == "mfa-session").count(),
        1
    );
}

#[test]
fn long_term_keys_are_never_overwritten_not_even_with_force() {
    let (home, sts) = (home(), FakeSts::start());
    run(home.cmd(&sts).args(["mfa", "123456"]));
    let r = run(home.cmd(&sts).args(["export", "--write-profile", "work"]));
    r.expect_code(3);
    assert_eq!(r.stdout, "false\n");
    assert!(
        r.stderr
            .contains("holds long-term keys, which awscred never overwrites: write the session to another section, e.g. --write-profile work-mfa"),
        "{}",
        r.stderr
    );
    assert_eq!(credentials(&home), FILE, "unchanged");
    // --force means "get a new session", nothing more.
    for args in [
        &["mfa", "--force", "123456", "--write-profile", "work"][..],
        &[
            "assume-role",
            "--role-arn",
            "arn:aws:iam::123456789012:role/r",
            "--force",
            "--token-code",
            "123456",
            "--write-profile",
            "work",
        ],
    ] {
        let r = run(home.cmd(&sts).args(args));
        assert_eq!(r.code, 3, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("never overwrites"), "{}", r.stderr);
        assert_eq!(credentials(&home), FILE, "{args:?}: unchanged");
    }
    let r = run(home
        .cmd(&sts)
        .args(["export", "--write-profile", "work", "--force"]));
    assert_eq!(r.code, 2, "export has no --force: {}", r.stderr);
    assert_eq!(credentials(&home), FILE, "unchanged");
}

#[test]
fn long_term_keys_are_not_a_session_to_write() {
    let (home, sts) = (home(), FakeSts::start());
    let r = run(home
        .cmd(&sts)
        .args(["export", "--profile", "plain", "--write-profile", "copy"]));
    r.expect_code(3);
    assert!(
        r.stderr
            .contains("(these are long-term keys): --write-profile writes sessions"),
        "{}",
        r.stderr
    );
    assert_eq!(credentials(&home), FILE);
}

/// SIGKILL at random points while sessions are fetched and written: the file
/// always parses, keeps every other section byte for byte, and the target
/// section is either absent or complete.
#[test]
fn killed_during_writes_the_credentials_file_is_never_torn() {
    let home = home();
    let sts = FakeSts::with(
        (0..300)
            .map(|i| Reply::Delay(Duration::from_micros(i * 37 % 4000), Box::new(session())))
            .collect(),
    );
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rand = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let (mut completed, mut mid_write) = (0, 0);
    let aws = home.path().join(".aws");
    for i in 0..120 {
        let mut child = home
            .cmd(&sts)
            .args(["mfa", "--force", "123456", "--write-profile", "live"])
            .env("AWSCRED_DEBUG_SLOW_WRITE", "4")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rand(20_000)));
        let _ = child.kill();
        if child.wait().unwrap().success() {
            completed += 1;
        }
        // A complete temp file not yet renamed: the kill landed in the window that matters.
        let temps = temp_files(&aws);
        assert!(temps <= 1, "iteration {i}: {temps} temp files");
        mid_write += temps;
        let text = credentials(&home);
        assert!(
            text.starts_with(FILE),
            "iteration {i}: the other sections changed:\n{text}"
        );
        let sections = awscred::ini::parse(&text)
            .unwrap_or_else(|e| panic!("iteration {i}: torn file ({e}):\n{text}"));
        if let Some(live) = sections.iter().find(|s| s.name == "live") {
            let keys: Vec<&str> = live.properties.iter().map(|p| &*p.key).collect();
            assert_eq!(
                keys,
                [
                    "aws_access_key_id",
                    "aws_secret_access_key",
                    "aws_session_token",
                    "expiration"
                ],
                "iteration {i}"
            );
        }
    }
    // At most one temp file may be left by the last kill, and the next write removes it.
    let names = || -> Vec<String> {
        let mut v: Vec<_> = fs::read_dir(home.path().join(".aws"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    };
    let leftovers = names();
    assert!(
        leftovers.len() <= 3
            && leftovers.iter().all(|n| {
                ["config", "credentials"].contains(&n.as_str())
                    || (n.starts_with(".credentials.") && n.ends_with(".awscred-tmp"))
            }),
        "{leftovers:?}"
    );
    let r = run(home
        .cmd(&sts)
        .args(["mfa", "--force", "123456", "--write-profile", "live"]));
    r.expect_ok();
    assert_eq!(
        names(),
        ["config", "credentials"],
        "a completed write leaves no temp file"
    );
    assert!(
        mid_write > 0,
        "no kill landed mid-write: the test proved nothing"
    );
    eprintln!(
        "{completed} of 120 killed runs had finished first, {mid_write} were killed mid-write"
    );
}

/// A session kept in a profile's keys, as `--write-profile` and aws-mfa
/// leave it, is handed out as it is by every command that hands out
/// credentials, and still never signs a GetSessionToken.
#[test]
fn a_stored_session_is_handed_out_as_it_is() {
    let (home, sts) = (home(), FakeSts::start());
    run(home
        .cmd(&sts)
        .args(["mfa", "123456", "--write-profile", "lab"]))
    .expect_ok();
    let (id, secret, token) = issued(1);
    let expiration = credentials(&home)
        .lines()
        .find_map(|l| l.strip_prefix("expiration = ").map(str::to_string))
        .unwrap();

    let r = run(home.cmd(&sts).args(["export", "--profile", "lab"]));
    r.expect_ok();
    assert_eq!(r.stderr, "");
    let vars = eval_in_bash(
        &r.stdout,
        "",
        &[
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_CREDENTIAL_EXPIRATION",
            "AWSCRED_PROFILE",
        ],
    );
    assert_eq!(vars["AWS_ACCESS_KEY_ID"], id);
    assert_eq!(vars["AWS_SECRET_ACCESS_KEY"], secret);
    assert_eq!(vars["AWS_SESSION_TOKEN"], token);
    assert_eq!(vars["AWS_CREDENTIAL_EXPIRATION"], expiration);
    assert_eq!(vars["AWSCRED_PROFILE"], "lab");

    let r = run(home
        .cmd(&sts)
        .args(["credential-process"])
        .env("AWS_PROFILE", "lab"));
    r.expect_ok();
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["AccessKeyId"], id.as_str());
    assert_eq!(json["SessionToken"], token.as_str());
    assert_eq!(json["Expiration"], expiration.as_str());

    let r = run(home.cmd(&sts).args([
        "exec",
        "--profile",
        "lab",
        "sh",
        "-c",
        "printf %s \"$AWS_SESSION_TOKEN\"",
    ]));
    r.expect_ok();
    assert_eq!(r.stdout, token);

    let r = run(home.cmd(&sts).args(["list"]));
    r.expect_ok();
    let row = r.stdout.lines().find(|l| l.contains(" lab ")).unwrap();
    assert!(
        row.contains(&format!("stored session, valid until {expiration}")),
        "{}",
        r.stdout
    );

    // Never a signing key: the only request is the first mfa's.
    let r = run(home.cmd(&sts).args(["mfa", "--profile", "lab", "654321"]));
    r.expect_failure(3, "false\n", "holds temporary credentials");
    assert_eq!(sts.requests().len(), 1);
}

/// aws-mfa's own format, past its time: handed out, with a one-line warning
/// that names the fix; an expiration awscred cannot read is said so.
#[test]
fn a_stale_stored_session_is_handed_out_with_a_warning() {
    let file = "[old]\nassumed_role = False\naws_access_key_id = ASIAOLDSESSION000001\naws_secret_access_key = oldSecret\naws_session_token = oldToken\naws_security_token = oldToken\nexpiration = 2026-01-02 03:04:05\n\n[odd]\naws_access_key_id = ASIAODDSESSION000001\naws_secret_access_key = oddSecret\naws_session_token = oddToken\nexpiration = next tuesday\n";
    let (home, sts) = (Home::with("", file), FakeSts::start());
    let r = run(home
        .cmd(&sts)
        .args(["credential-process", "--profile", "old"]));
    r.expect_ok();
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["AccessKeyId"], "ASIAOLDSESSION000001");
    assert_eq!(json["Expiration"], "2026-01-02T03:04:05Z");
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("warning: the session stored in profile old expired")
            && r.stderr
                .contains("`awscred mfa --write-profile old --profile"),
        "{}",
        r.stderr
    );

    let r = run(home.cmd(&sts).args(["export", "--profile", "odd"]));
    r.expect_ok();
    assert!(r.stdout.contains("ASIAODDSESSION000001"), "{}", r.stdout);
    assert!(
        !r.stdout.contains("AWS_CREDENTIAL_EXPIRATION="),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr
            .contains(".aws/credentials:13: the expiration is not a time awscred reads"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("tuesday"), "no config text is echoed");
    assert_eq!(sts.requests().len(), 0);
}
