//! The fault matrix: what STS, the network, the cache and the config files can
//! do wrong, and what awscred does about each. Every case checks the message,
//! the exit code, stdout, that the cache is untouched, and a wall-time bound.

use crate::support::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

struct Expect {
    code: i32,
    message: &'static str,
    requests: usize,
    within: Duration,
}

/// Runs `awscred mfa 123456` against a fake with `script`, checking everything.
fn fault(script: Vec<Reply>, e: Expect) -> Run {
    let (home, sts) = (Home::new(), FakeSts::with(script.clone()));
    let start = Instant::now();
    let r = run(home
        .cmd(&sts)
        .args(["mfa", "123456"])
        .env("AWSCRED_TIMEOUT", "3"));
    let took = start.elapsed();
    assert_eq!(r.code, e.code, "{script:?}: {}", r.stderr);
    assert!(r.stderr.contains(e.message), "{script:?}: {}", r.stderr);
    assert!(took < e.within, "{script:?} took {took:?}");
    assert_eq!(sts.session_calls(), e.requests, "{script:?}");
    if e.code == 0 {
        assert!(
            r.stdout.starts_with("export AWS_ACCESS_KEY_ID='ASIAFAKE"),
            "{}",
            r.stdout
        );
        assert_eq!(home.cache_entries().len(), 1);
    } else {
        assert_eq!(r.stdout, "false\n", "{script:?}");
        assert_eq!(r.stderr.lines().count(), 1, "{script:?}: {}", r.stderr);
        assert!(
            home.cache_entries().is_empty(),
            "{script:?}: nothing cached"
        );
    }
    r
}

const SECS: fn(u64) -> Duration = Duration::from_secs;

#[test]
fn server_error_then_success_is_retried() {
    let script = vec![error(500, "InternalFailure", "boom")];
    fault(
        script,
        Expect {
            code: 0,
            message: "",
            requests: 2,
            within: SECS(4),
        },
    );
}

#[test]
fn persistent_server_errors_fail_after_three_attempts() {
    let script = vec![
        Reply::Raw {
            status: 500,
            body: String::new()
        };
        3
    ];
    fault(
        script,
        Expect {
            code: 6,
            message: "STS is unavailable (HTTP 500): try again later",
            requests: 3,
            within: SECS(5),
        },
    );
}

#[test]
fn throttling_then_success_is_retried() {
    let script = vec![error(400, "Throttling", "Rate exceeded")];
    fault(
        script,
        Expect {
            code: 0,
            message: "",
            requests: 2,
            within: SECS(4),
        },
    );
}

#[test]
fn a_reset_mid_response_is_retried() {
    fault(
        vec![Reply::Truncate],
        Expect {
            code: 0,
            message: "",
            requests: 2,
            within: SECS(4),
        },
    );
}

#[test]
fn resets_every_time_fail_as_network_errors() {
    fault(
        vec![Reply::Truncate; 3],
        Expect {
            code: 6,
            message: "STS at http://127.0.0.1",
            requests: 3,
            within: SECS(5),
        },
    );
}

#[test]
fn a_dropped_connection_is_retried() {
    fault(
        vec![Reply::Drop],
        Expect {
            code: 0,
            message: "",
            requests: 2,
            within: SECS(4),
        },
    );
}

#[test]
fn a_server_that_never_answers_fails_within_the_timeout() {
    // AWSCRED_TIMEOUT=3 bounds the whole call, retries included.
    fault(
        vec![Reply::Hang; 3],
        Expect {
            code: 6,
            message: "did not answer",
            requests: 1,
            within: SECS(5),
        },
    );
}

#[test]
fn malformed_xml_is_a_network_error_not_a_crash() {
    let body = "<<<this is not xml>".to_string();
    fault(
        vec![Reply::Raw { status: 200, body }],
        Expect {
            code: 6,
            message: "cannot read",
            requests: 1,
            within: SECS(3),
        },
    );
    // The SDK's reader accepts a truncated document; the missing fields are caught.
    let body = "<GetSessionTokenResponse><GetSessionTokenResult><Credentials><AccessKeyId>ASIA"
        .to_string();
    let message = "STS answered with incomplete credentials";
    fault(
        vec![Reply::Raw { status: 200, body }],
        Expect {
            code: 6,
            message,
            requests: 1,
            within: SECS(3),
        },
    );
}

#[test]
fn an_empty_body_is_a_network_error() {
    let body = String::new();
    fault(
        vec![Reply::Raw { status: 200, body }],
        Expect {
            code: 6,
            message: "STS",
            requests: 1,
            within: SECS(3),
        },
    );
}

#[test]
fn missing_fields_are_rejected() {
    let body = "<GetSessionTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetSessionTokenResult><Credentials><AccessKeyId>ASIAX</AccessKeyId><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></GetSessionTokenResult></GetSessionTokenResponse>".to_string();
    fault(
        vec![Reply::Raw { status: 200, body }],
        Expect {
            code: 6,
            message: "STS",
            requests: 1,
            within: SECS(3),
        },
    );
}

#[test]
fn expired_token_and_mfa_denial_are_rejections() {
    let script = vec![error(
        400,
        "ExpiredToken",
        "The security token included in the request is expired",
    )];
    fault(
        script,
        Expect {
            code: 5,
            message: "have expired (ExpiredToken)",
            requests: 1,
            within: SECS(3),
        },
    );
    let script = vec![error(
        403,
        "AccessDenied",
        "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
    )];
    fault(
        script,
        Expect {
            code: 5,
            message: "STS rejected the MFA code",
            requests: 1,
            within: SECS(3),
        },
    );
}

#[test]
fn an_expiration_in_the_past_is_rejected_and_not_cached() {
    let script = vec![Reply::Session {
        shift: -43_200 - 60,
    }];
    fault(
        script,
        Expect {
            code: 6,
            message: "which is not in the future",
            requests: 1,
            within: SECS(3),
        },
    );
}

/// A server clock 20 minutes off: the answer is still used. The SDK corrects
/// its signing clock from the Date header only when STS rejects a request for
/// skew; a successful answer is taken as it is, and the session's freshness is
/// judged by its Expiration against the local clock.
#[test]
fn a_date_header_twenty_minutes_off_still_works() {
    fault(
        vec![Reply::Skewed(20 * 60)],
        Expect {
            code: 0,
            message: "",
            requests: 1,
            within: SECS(3),
        },
    );
    fault(
        vec![Reply::Skewed(-20 * 60)],
        Expect {
            code: 0,
            message: "",
            requests: 1,
            within: SECS(3),
        },
    );
}

// ---- cache faults ----

#[test]
fn an_empty_cache_file_is_a_miss() {
    let (home, sts) = (Home::new(), FakeSts::start());
    run(home.cmd(&sts).args(["mfa", "123456"]));
    let entry = home.cache_entries().remove(0);
    fs::write(&entry, "").unwrap();
    let r = run(home.cmd(&sts).arg("mfa"));
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (4, "false\n"),
        "miss, and no code: {}",
        r.stderr
    );
    assert!(r.stderr.contains("is corrupt"), "{}", r.stderr);
    let r = run(home.cmd(&sts).args(["mfa", "123456"]));
    r.expect_ok();
    assert!(r.stdout.contains(&issued(2).0));
}

#[test]
fn a_cache_file_readable_by_others_is_tightened_and_a_readable_dir_refused() {
    let (home, sts) = (Home::new(), FakeSts::start());
    run(home.cmd(&sts).args(["mfa", "123456"]));
    let entry = home.cache_entries().remove(0);
    fs::set_permissions(&entry, fs::Permissions::from_mode(0o644)).unwrap();
    let r = run(home.cmd(&sts).arg("export"));
    r.expect_ok();
    assert!(
        r.stderr.contains("tightened permissions of"),
        "{}",
        r.stderr
    );
    assert_eq!(
        fs::metadata(&entry).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // A directory is never chmod-ed: it may not be awscred's to change.
    fs::set_permissions(home.cache_dir(), fs::Permissions::from_mode(0o755)).unwrap();
    let r = run(home.cmd(&sts).args(["mfa", "--force", "123456"]));
    r.expect_code(3);
    assert!(
        r.stderr.contains(&format!(
            "others can read it (mode 755): make it private with `chmod 700 {}`",
            home.cache_dir().display()
        )),
        "{}",
        r.stderr
    );
    assert_eq!(
        fs::metadata(home.cache_dir()).unwrap().permissions().mode() & 0o777,
        0o755
    );
}

#[test]
fn an_entry_for_another_base_key_is_not_used() {
    let (home, sts) = (Home::new(), FakeSts::start());
    run(home.cmd(&sts).args(["mfa", "123456"]));
    // Rotate the access key: the old key's session must not be exported.
    let creds = CREDENTIALS.replace("AKIADEFAULTKEY000001", "AKIAROTATEDKEY000009");
    fs::write(home.path().join(".aws/credentials"), creds).unwrap();
    let r = run(home.cmd(&sts).arg("export"));
    r.expect_code(7);
    let r = run(home.cmd(&sts).args(["mfa", "123456"]));
    r.expect_ok();
    assert_eq!(sts.requests()[1].access_key_id, "AKIAROTATEDKEY000009");
}

#[test]
fn an_entry_copied_to_another_key_path_is_not_used() {
    let (home, sts) = (Home::new(), FakeSts::start());
    run(home.cmd(&sts).args(["mfa", "123456"]));
    run(home.cmd(&sts).args(["export", "--profile", "work"]));
    let default_entry = home.cache_entries().remove(0);
    run(home.cmd(&sts).args(["mfa", "654321", "--profile", "work"]));
    let work_entry = home
        .cache_entries()
        .into_iter()
        .find(|p| p != &default_entry)
        .unwrap();
    fs::copy(&default_entry, &work_entry).unwrap();
    let r = run(home.cmd(&sts).args(["export", "--profile", "work"]));
    assert_eq!(r.code, 7, "the entry names another key: {}", r.stdout);
}

#[test]
fn a_hostile_profile_name_stays_inside_the_cache_dir() {
    let config = "[profile ../../x]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n";
    let creds = "[../../x]\naws_access_key_id = AKIAHOSTILE000000001\naws_secret_access_key = s\n";
    let (home, sts) = (Home::with(config, creds), FakeSts::start());
    let r = run(home
        .cmd(&sts)
        .args(["mfa", "123456", "--profile", "../../x"]));
    r.expect_ok();
    let entries = home.cache_entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].parent().unwrap(), home.cache_dir());
    assert!(entries[0]
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("______x-"));
    assert!(!home.path().join("x").exists() && !home.path().join("x.json").exists());
    assert!(r.stdout.contains("export AWSCRED_PROFILE='../../x'"));
}

// ---- config faults ----

fn mfa_with(config: &str, credentials: &str) -> (Run, FakeSts) {
    let (home, sts) = (Home::with(config, credentials), FakeSts::start());
    let r = run(home.cmd(&sts).args(["mfa", "123456"]));
    (r, sts)
}

#[test]
fn missing_and_empty_files() {
    let home = Home::new();
    let sts = FakeSts::start();
    fs::remove_file(home.path().join(".aws/config")).unwrap();
    fs::remove_file(home.path().join(".aws/credentials")).unwrap();
    let r = run(home.cmd(&sts).args(["mfa", "123456"]));
    r.expect_code(3);
    assert!(
        r.stderr
            .contains("no credentials: profile `default` is not in"),
        "{}",
        r.stderr
    );
    let (r, sts) = mfa_with("", "");
    r.expect_code(3);
    assert!(r.stderr.contains("no credentials"), "{}", r.stderr);
    // Long-term keys from the environment need no files; the serial can come from the env too.
    let r = run(home
        .cmd(&sts)
        .args(["mfa", "123456"])
        .env("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT00001")
        .env("AWS_SECRET_ACCESS_KEY", "s")
        .env(
            "AWS_MFA_SERIAL_NUMBER",
            "arn:aws:iam::123456789012:mfa/alice",
        ));
    r.expect_ok();
    assert!(
        !r.stdout.contains("AWS_REGION"),
        "no region configured, none exported"
    );
}

#[test]
fn duplicate_sections_and_lines_without_equals_name_file_and_line() {
    let (r, sts) = mfa_with(
        "[default]\nregion = a\n\n[default]\nregion = b\n",
        CREDENTIALS,
    );
    r.expect_code(3);
    assert!(
        r.stderr
            .contains("config:4: duplicate section (first at line 1)"),
        "{}",
        r.stderr
    );
    assert!(sts.requests().is_empty());
    let (r, _) = mfa_with(
        CONFIG,
        "[default]\naws_access_key_id = AKIA1\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    );
    r.expect_code(3);
    assert!(
        r.stderr
            .contains("credentials:3: expected `key = value` or a `[section]` header"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("wJalrXUt"),
        "no fragment of the line: {}",
        r.stderr
    );
}

#[test]
fn crlf_bom_comments_and_odd_key_spelling_read_like_the_aws_cli() {
    let config = "\u{feff}# comment\r\n; another\r\n[default]\r\n  Region=eu-north-1 \r\nMFA_Serial   :   arn:aws:iam::123456789012:mfa/alice   # inline\r\n";
    // (An indented line after a value would continue that value, as in the AWS CLI.)
    let creds = "\u{feff}[default]\r\nAWS_ACCESS_KEY_ID = AKIADEFAULTKEY000001\r\naws_secret_access_key\t=\tdefaultSecret/abc+def\r\n";
    let (r, sts) = mfa_with(config, creds);
    r.expect_ok();
    assert!(
        r.stdout.contains("export AWS_REGION='eu-north-1'"),
        "{}",
        r.stdout
    );
    let req = &sts.requests()[0];
    assert_eq!(
        req.param("SerialNumber"),
        Some("arn:aws:iam::123456789012:mfa/alice")
    );
    assert_eq!(req.access_key_id, "AKIADEFAULTKEY000001");
}

/// SIGKILL awscred at random points while it gets and writes sessions: every
/// cache entry left behind is absent or complete and valid, never torn.
#[test]
fn killed_during_writes_the_cache_is_never_torn() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut rand = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    // Kills that left a complete temp file not yet renamed: the window that matters.
    let mut mid_write = 0;
    for i in 0..120 {
        let mut child = home
            .cmd(&sts)
            .args(["mfa", "--force", "123456"])
            .env("AWSCRED_DEBUG_SLOW_WRITE", "4")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rand(14_000)));
        let _ = child.kill();
        child.wait().unwrap();
        let temps = temp_files(&home.cache_dir());
        assert!(temps <= 1, "iteration {i}: {temps} temp files");
        mid_write += temps;
        for entry in home.cache_entries() {
            let text = fs::read_to_string(&entry).unwrap();
            let v: serde_json::Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("iteration {i}: torn entry {text:?}: {e}"));
            assert!(
                v["Credentials"]["SessionToken"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("FwoGZXIvYXdzE")),
                "{text}"
            );
        }
    }
    assert!(
        mid_write > 0,
        "no kill landed mid-write: the test proved nothing"
    );
    eprintln!("{mid_write} of 120 kills landed mid-write");
    // A run after all that still works, reads the cache and leaves no temp file.
    let r = run(home.cmd(&sts).args(["mfa", "--force", "123456"]));
    r.expect_ok();
    assert_eq!(temp_files(&home.cache_dir()), 0);
}
