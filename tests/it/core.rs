//! The four subcommands end to end.

use crate::support::*;
use std::fs;
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";
const VARS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWSCRED_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
];

#[test]
fn first_mfa_calls_sts_with_serial_and_code_and_exports_the_session() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let r = run(home.cmd(&sts).args(["mfa", "123456"]));
    r.expect_ok();
    assert_eq!(r.stderr, "");
    let reqs = sts.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].param("Action"), Some("GetSessionToken"));
    assert_eq!(reqs[0].param("SerialNumber"), Some(SERIAL));
    assert_eq!(reqs[0].param("TokenCode"), Some("123456"));
    assert_eq!(reqs[0].param("DurationSeconds"), None);
    assert_eq!(reqs[0].access_key_id, "AKIADEFAULTKEY000001");

    let (id, secret, token) = issued(1);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines[0], format!("export AWS_ACCESS_KEY_ID='{id}'"));
    assert_eq!(lines[1], format!("export AWS_SECRET_ACCESS_KEY='{secret}'"));
    assert_eq!(lines[2], format!("export AWS_SESSION_TOKEN='{token}'"));
    assert!(lines[3].starts_with("export AWS_CREDENTIAL_EXPIRATION='20"));
    assert_eq!(
        &lines[4..],
        [
            // The account of the MFA device's ARN.
            "export AWS_ACCOUNT_ID='123456789012'",
            "export AWSCRED_PROFILE='default'",
            "unset AWSCRED_ROLE",
            "export AWS_REGION='eu-west-1'",
            "export AWS_DEFAULT_REGION='eu-west-1'",
            // Neither was set before: `unset` removes both.
            "export AWSCRED_SAVED='AWS_REGION=,AWS_DEFAULT_REGION='"
        ]
    );

    let vars = eval_in_bash(&r.stdout, "", VARS);
    assert_eq!(vars["AWS_ACCESS_KEY_ID"], id);
    assert_eq!(vars["AWS_SECRET_ACCESS_KEY"], secret);
    assert_eq!(vars["AWS_SESSION_TOKEN"], token);
    assert_eq!(vars["AWSCRED_PROFILE"], "default");
    assert_eq!(vars["AWS_REGION"], "eu-west-1");
    assert_eq!(vars.len(), 7);
}

#[test]
fn second_mfa_without_a_code_uses_the_cache_and_makes_no_request() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let first = run(home.cmd(&sts).args(["mfa", "123456"]));
    assert_eq!(first.code, 0, "{}", first.stderr);
    let second = run(home.cmd(&sts).arg("mfa"));
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(second.stdout, first.stdout);
    assert_eq!(sts.requests().len(), 1);

    let forced = run(home.cmd(&sts).args(["mfa", "--force", "654321"]));
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(sts.requests().len(), 2);
    assert!(forced.stdout.contains(&issued(2).0));
    // The forced session replaced the cached one.
    let third = run(home.cmd(&sts).arg("export"));
    assert_eq!(third.stdout, forced.stdout);
}

#[test]
fn cache_entry_is_private_and_holds_the_sts_shape() {
    let (home, sts) = (Home::new(), FakeSts::start());
    assert_eq!(run(home.cmd(&sts).args(["mfa", "123456"])).code, 0);
    let entries = home.cache_entries();
    assert_eq!(entries.len(), 1);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        fs::metadata(&entries[0]).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        fs::metadata(home.cache_dir()).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let v: serde_json::Value = serde_json::from_slice(&fs::read(&entries[0]).unwrap()).unwrap();
    assert_eq!(v["Credentials"]["AccessKeyId"], issued(1).0);
    assert_eq!(v["key"]["mfa_serial"], SERIAL);
}

#[test]
fn session_variables_in_the_environment_never_sign_the_call() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let r = run(home
        .cmd(&sts)
        .args(["mfa", "123456"])
        .env("AWS_ACCESS_KEY_ID", "ASIAOLDSESSION000000")
        .env("AWS_SECRET_ACCESS_KEY", "old")
        .env("AWS_SESSION_TOKEN", "oldtoken"));
    r.expect_ok();
    assert_eq!(sts.requests()[0].access_key_id, "AKIADEFAULTKEY000001");

    // Long-term keys in the environment are the base when no --profile is given...
    let r = run(home
        .cmd(&sts)
        .args(["get-session-token", "--token-code", "123456"])
        .env("AWS_ACCESS_KEY_ID", "AKIAFROMENVIRONMENT1")
        .env("AWS_SECRET_ACCESS_KEY", "envSecret"));
    r.expect_ok();
    assert_eq!(sts.requests()[1].access_key_id, "AKIAFROMENVIRONMENT1");
    // ...but an explicit --profile wins.
    let r = run(home
        .cmd(&sts)
        .args(["get-session-token", "--profile", "plain"])
        .env("AWS_ACCESS_KEY_ID", "AKIAFROMENVIRONMENT1")
        .env("AWS_SECRET_ACCESS_KEY", "envSecret"));
    r.expect_ok();
    assert_eq!(sts.requests()[2].access_key_id, "AKIAPLAINKEY00000003");
}

#[test]
fn get_session_token_prints_the_sts_json_shape() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let r = run(home.cmd(&sts).args([
        "get-session-token",
        "--profile",
        "plain",
        "--duration-seconds",
        "900",
    ]));
    r.expect_ok();
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    struct Creds {
        access_key_id: String,
        secret_access_key: String,
        session_token: String,
        expiration: String,
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        #[serde(rename = "Credentials")]
        credentials: Creds,
    }
    let doc: Doc = serde_json::from_str(&r.stdout).unwrap();
    let (id, secret, token) = issued(1);
    assert_eq!(
        (
            doc.credentials.access_key_id,
            doc.credentials.secret_access_key,
            doc.credentials.session_token
        ),
        (id, secret, token)
    );
    let exp = doc.credentials.expiration;
    let expected = [
        rfc3339(now() + 900),
        rfc3339(now() + 899),
        rfc3339(now() + 898),
    ];
    assert!(expected.contains(&exp), "{exp} vs {expected:?}");
    let req = &sts.requests()[0];
    assert_eq!(req.param("DurationSeconds"), Some("900"));
    assert_eq!(req.param("SerialNumber"), None, "plain has no MFA device");

    // The seed's jq pipeline.
    let out = std::process::Command::new("bash")
        .args(["-c", "jq -r .Credentials.AccessKeyId"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(r.stdout.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), issued(1).0);
}

#[test]
fn get_session_token_no_cache_leaves_the_cache_alone() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let r = run(home
        .cmd(&sts)
        .args(["get-session-token", "--token-code", "123456", "--no-cache"]));
    r.expect_ok();
    assert!(home.cache_entries().is_empty());
    let r = run(home
        .cmd(&sts)
        .args(["get-session-token", "--token-code", "123456"]));
    r.expect_ok();
    assert_eq!(home.cache_entries().len(), 1);
    // mfa reuses what get-session-token cached.
    let r = run(home.cmd(&sts).arg("mfa"));
    assert!(r.stdout.contains(&issued(2).0), "{}", r.stdout);
    assert_eq!(sts.requests().len(), 2);
}

#[test]
fn export_prints_the_cached_session_or_fails_without_one() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let r = run(home.cmd(&sts).args(["export", "--profile", "work"]));
    r.expect_code(7);
    assert_eq!(r.stdout, "false\n");
    assert_eq!(
        r.stderr,
        "awscred: no valid session for profile work: run `awscred mfa --profile work`\n"
    );
    let r = run(home
        .cmd(&sts)
        .args(["export", "--profile", "work", "--format", "json"]));
    assert_eq!((r.code, r.stdout.as_str()), (7, ""));
    assert!(sts.requests().is_empty(), "export never calls STS");

    let mfa = run(home.cmd(&sts).args(["mfa", "111111", "-p", "work"]));
    assert_eq!(mfa.code, 0, "{}", mfa.stderr);
    let r = run(home.cmd(&sts).args(["export", "--profile", "work"]));
    r.expect_ok();
    assert_eq!(r.stdout, mfa.stdout);
    assert!(r.stdout.contains("export AWS_REGION='eu-central-1'"));
    assert!(!r.stdout.contains("AKIAWORK"), "never the long-term key");
    let r = run(home
        .cmd(&sts)
        .args(["export", "--profile", "work", "--format", "env-no-export"]));
    assert!(
        r.stdout
            .starts_with(&format!("AWS_ACCESS_KEY_ID='{}'\n", issued(1).0)),
        "{}",
        r.stdout
    );
    let r = run(home.cmd(&sts).args(["export"]).env("AWS_PROFILE", "work"));
    assert_eq!(r.code, 0, "AWS_PROFILE selects the profile: {}", r.stderr);
    assert_eq!(sts.requests().len(), 1);
}

#[test]
fn export_json_is_the_sts_shape() {
    let (home, sts) = (Home::new(), FakeSts::start());
    run(home.cmd(&sts).args(["mfa", "123456"]));
    let r = run(home.cmd(&sts).args(["export", "--format", "json"]));
    r.expect_ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["Credentials"]["SessionToken"], issued(1).2);
}

#[test]
fn unset_clears_everything_awscred_sets() {
    let home = Home::new();
    let pre: String = VARS.iter().map(|v| format!("export {v}=x\n")).collect();
    let pre = format!("{pre}export OTHER=keep");
    let names = [VARS, &["OTHER"]].concat();
    // The record of the user's own settings: AWS_REGION is restored,
    // AWS_DEFAULT_REGION (which did not exist) removed.
    let r = run(home
        .cmd_url("http://127.0.0.1:9")
        .arg("unset")
        .env("AWSCRED_SAVED", "AWS_REGION=us-west-2,AWS_DEFAULT_REGION="));
    r.expect_ok();
    let after = eval_in_bash(&r.stdout, &pre, &names);
    assert_eq!(
        after.into_iter().collect::<Vec<_>>(),
        [
            ("AWS_REGION".to_string(), "us-west-2".to_string()),
            ("OTHER".to_string(), "keep".to_string())
        ]
    );
    // Without a record (a session from an older awscred), the region
    // settings are left: they may be the user's own.
    let r = run(home.cmd_url("http://127.0.0.1:9").arg("unset"));
    r.expect_ok();
    let after = eval_in_bash(&r.stdout, &pre, &names);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        ["AWS_DEFAULT_REGION", "AWS_REGION", "OTHER"]
    );
    let r = run(home
        .cmd_url("http://127.0.0.1:9")
        .args(["unset", "--format", "json"]));
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
}

/// Each bad input: exit 3, stdout `false`, a one-line message, and no request.
#[test]
fn validation_errors_happen_before_any_request() {
    let sts = FakeSts::start();
    let home = Home::new();
    let cases: &[(&[&str], &str)] = &[
        (&["mfa", "12345"], "must be exactly 6 digits"),
        (&["mfa", "12345a"], "must be exactly 6 digits"),
        (
            &["mfa", "123456", "--duration-seconds", "899"],
            "out of range",
        ),
        (
            &["mfa", "123456", "--duration-seconds", "129601"],
            "out of range",
        ),
        (
            &["mfa", "123456", "--profile", "nope"],
            "unknown profile `nope` (known profiles: default, plain, work)",
        ),
        (
            &["mfa", "123456", "--profile", "plain"],
            "profile `plain` has no MFA device",
        ),
        (
            &["mfa", "123456", "--serial-number", "bad serial"],
            "--serial-number / AWS_MFA_SERIAL_NUMBER: not an MFA serial number",
        ),
        (
            &["get-session-token", "--token-code", "1"],
            "must be exactly 6 digits",
        ),
        (
            &["mfa", "123456", "--region", "eu west"],
            "--region: not an AWS region",
        ),
    ];
    for (args, msg) in cases {
        let r = run(home.cmd(&sts).args(*args));
        assert_eq!(r.code, 3, "{args:?}: {}", r.stderr);
        let expected_stdout = if args[0] == "mfa" { "false\n" } else { "" };
        assert_eq!(r.stdout, expected_stdout, "{args:?}");
        assert!(
            r.stderr.starts_with("awscred: ") && r.stderr.contains(msg),
            "{args:?}: {}",
            r.stderr
        );
        assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {}", r.stderr);
    }
    let r = run(home
        .cmd(&sts)
        .args(["mfa"])
        .env("AWS_MFA_TOKEN_CODE", "abc"));
    r.expect_code(3);
    assert!(sts.requests().is_empty());
}

#[test]
fn config_problems_name_the_file_and_line() {
    let sts = FakeSts::start();
    let broken = Home::with("[default]\nregion = eu-west-1\nmfa_serial\n", CREDENTIALS);
    let r = run(broken.cmd(&sts).args(["mfa", "123456"]));
    r.expect_code(3);
    let path = broken.path().join(".aws/config");
    assert_eq!(
        r.stderr,
        format!(
            "awscred: {}:3: expected `key = value` or a `[section]` header\n",
            path.display()
        )
    );

    let nokeys = Home::with(CONFIG, "[default]\nregion = x\n");
    let r = run(nokeys.cmd(&sts).args(["mfa", "123456"]));
    r.expect_code(3);
    assert!(
        r.stderr.contains("profile `default` has no long-term keys"),
        "{}",
        r.stderr
    );

    let temp = Home::with(CONFIG, "[default]\naws_access_key_id = ASIATEMP\naws_secret_access_key = s\naws_session_token = t\n");
    let r = run(temp.cmd(&sts).args(["mfa", "123456"]));
    r.expect_code(3);
    assert!(
        r.stderr.contains("holds temporary credentials"),
        "{}",
        r.stderr
    );

    let r = run(temp
        .cmd(&sts)
        .args(["mfa", "123456"])
        .env("AWS_CONFIG_FILE", broken.path().join(".aws/config")));
    assert!(
        r.stderr.contains(":3: expected"),
        "AWS_CONFIG_FILE is honoured: {}",
        r.stderr
    );
    assert!(sts.requests().is_empty());
}

#[test]
fn no_code_and_no_terminal_is_mfa_needed() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let r = run(home.cmd(&sts).arg("mfa"));
    r.expect_code(4);
    assert_eq!(r.stdout, "false\n");
    assert!(
        r.stderr.contains("is needed and there is no terminal to ask on: pass it: `awscred mfa 123456`, or set AWS_MFA_TOKEN_CODE or the profile's mfa_process"),
        "{}",
        r.stderr
    );
    let r = run(home
        .cmd(&sts)
        .arg("mfa")
        .env("AWS_MFA_TOKEN_CODE", "123456"));
    assert_eq!(
        r.code, 0,
        "AWS_MFA_TOKEN_CODE is a code source: {}",
        r.stderr
    );
    assert_eq!(sts.requests()[0].param("TokenCode"), Some("123456"));
}

/// Each STS failure: its message, its exit code, harmless stdout, nothing cached.
#[test]
fn sts_errors_map_to_messages_and_exit_codes() {
    let cases: Vec<(Reply, i32, &str)> = vec![
        (
            error(
                403,
                "AccessDenied",
                "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
            ),
            5,
            "STS rejected the MFA code",
        ),
        (
            error(403, "AccessDenied", "Not allowed"),
            5,
            "STS denied access (Not allowed)",
        ),
        (
            error(
                403,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            ),
            5,
            "does not know the access key from profile default",
        ),
        (
            error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match",
            ),
            5,
            "rejected the secret key from profile default",
        ),
        (
            error(
                400,
                "ExpiredToken",
                "The security token included in the request is expired",
            ),
            5,
            "have expired (ExpiredToken)",
        ),
    ];
    for (reply, code, msg) in cases {
        let (home, sts) = (Home::new(), FakeSts::with(vec![reply.clone()]));
        let r = run(home.cmd(&sts).args(["mfa", "123456"]));
        assert_eq!(r.code, code, "{reply:?}: {}", r.stderr);
        assert_eq!(r.stdout, "false\n");
        assert!(r.stderr.contains(msg), "{reply:?}: {}", r.stderr);
        assert!(!r.stderr.contains("defaultSecret"), "no secret in messages");
        assert!(home.cache_entries().is_empty());
        assert_eq!(sts.requests().len(), 1, "client errors are not retried");
    }
}

/// STS answers `<ErrorResponse><Error>`; moto wraps it in `<Errors>`. Both read.
#[test]
fn both_error_body_shapes_give_the_message() {
    let shapes = [
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>sig</Message></Error><RequestId>1</RequestId></ErrorResponse>",
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>sig</Message><Type>Sender</Type></Error></Errors></ErrorResponse>",
    ];
    for body in shapes {
        let (home, sts) = (
            Home::new(),
            FakeSts::with(vec![Reply::Raw {
                status: 403,
                body: body.to_string(),
            }]),
        );
        let r = run(home.cmd(&sts).args(["mfa", "123456"]));
        assert_eq!(r.code, 5, "{body}: {}", r.stderr);
        assert!(
            r.stderr
                .contains("rejected the secret key from profile default"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn throttling_and_server_errors_are_retried_then_reported() {
    let (home, sts) = (
        Home::new(),
        FakeSts::with(vec![error(400, "Throttling", "Rate exceeded"); 3]),
    );
    let r = run(home.cmd(&sts).args(["mfa", "123456"]));
    r.expect_code(6);
    assert!(r.stderr.contains("throttling"), "{}", r.stderr);
    assert_eq!(sts.requests().len(), 3);

    let (home, sts) = (
        Home::new(),
        FakeSts::with(vec![error(500, "InternalFailure", "oops")]),
    );
    let r = run(home.cmd(&sts).args(["mfa", "123456"]));
    assert_eq!(r.code, 0, "one 500 is retried: {}", r.stderr);
    assert_eq!(sts.requests().len(), 2);
}

#[test]
fn connection_refused_is_a_network_error() {
    let home = Home::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let start = Instant::now();
    let r = run(home
        .cmd_url(&format!("http://127.0.0.1:{port}"))
        .args(["mfa", "123456"]));
    r.expect_code(6);
    assert_eq!(r.stdout, "false\n");
    assert!(
        r.stderr
            .contains(&format!("cannot reach STS at http://127.0.0.1:{port}")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.to_lowercase().contains("refused"), "{}", r.stderr);
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_silent_server_times_out_within_the_bound() {
    let (home, sts) = (Home::new(), FakeSts::with(vec![Reply::Hang; 5]));
    let start = Instant::now();
    let r = run(home
        .cmd(&sts)
        .args(["mfa", "123456"])
        .env("AWSCRED_TIMEOUT", "2"));
    let took = start.elapsed();
    r.expect_code(6);
    assert!(r.stderr.contains("did not answer"), "{}", r.stderr);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(took >= Duration::from_secs(2), "took {took:?}");
}

#[test]
fn two_concurrent_mfa_runs_make_one_request() {
    let home = Home::new();
    let sts = FakeSts::with(vec![Reply::Delay(
        Duration::from_millis(700),
        Box::new(session()),
    )]);
    let barrier = Barrier::new(2);
    let outs: Vec<Run> = thread::scope(|s| {
        let hs: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut c = home.cmd(&sts);
                    c.args(["mfa", "123456"]);
                    barrier.wait();
                    run(&mut c)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(sts.requests().len(), 1);
    assert!(
        outs.iter().all(|r| r.code == 0),
        "{:?}",
        outs.iter().map(|r| &r.stderr).collect::<Vec<_>>()
    );
    assert_eq!(outs[0].stdout, outs[1].stdout);
}

#[test]
fn unwritable_cache_still_prints_credentials_with_one_warning() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let blocker = home.path().join("not-a-dir");
    fs::write(&blocker, "").unwrap();
    let r = run(home
        .cmd(&sts)
        .args(["mfa", "123456"])
        .env("AWSCRED_CACHE_DIR", blocker.join("cache")));
    r.expect_ok();
    assert!(r.stdout.contains(&issued(1).0));
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("awscred: warning: cannot open cache directory"),
        "{}",
        r.stderr
    );
}

#[test]
fn corrupt_cache_is_a_miss_not_a_crash() {
    let (home, sts) = (Home::new(), FakeSts::start());
    run(home.cmd(&sts).args(["mfa", "123456"]));
    let entry = home.cache_entries().remove(0);
    fs::write(
        &entry,
        "{\"version\":1, \"Credentials\": {\"SecretAccessKey\": \"LEAK\"",
    )
    .unwrap();
    let r = run(home.cmd(&sts).arg("export"));
    r.expect_code(7);
    assert!(r.stderr.contains("is corrupt"), "{}", r.stderr);
    assert!(!r.stderr.contains("LEAK"));
    let r = run(home.cmd(&sts).args(["mfa", "123456"]));
    r.expect_ok();
    assert!(r.stdout.contains(&issued(2).0));
}

#[test]
fn a_bad_command_line_still_fails_an_eval() {
    let home = Home::new();
    let r = run(home.cmd_url("http://127.0.0.1:9").args(["mfa", "--bogus"]));
    r.expect_code(2);
    assert_eq!(r.stdout, "false\n");
    let r = run(home
        .cmd_url("http://127.0.0.1:9")
        .args(["get-session-token", "--bogus"]));
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
    let r = run(home.cmd_url("http://127.0.0.1:9").arg("--help"));
    r.expect_ok();
    assert!(r.stdout.contains("get-session-token"));
}
