//! Profiles without an MFA device: long-term keys, credential_process, SSO and
//! `aws login` go out through `export` and `credential-process` (the SDK chain
//! for all but the first).

use crate::support::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

#[test]
fn a_profile_without_mfa_exports_its_keys_and_clears_stale_session_variables() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let r = run(home.cmd(&sts).args(["export", "--profile", "plain"]));
    r.expect_ok();
    assert!(
        r.stdout
            .contains("export AWS_ACCESS_KEY_ID='AKIAPLAINKEY00000003'\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("unset AWS_SESSION_TOKEN\n"),
        "{}",
        r.stdout
    );
    let vars = eval_in_bash(
        &r.stdout,
        "export AWS_SESSION_TOKEN=stale",
        &["AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN"],
    );
    assert_eq!(vars.len(), 1, "the stale token is gone: {vars:?}");
    let r = run(home
        .cmd(&sts)
        .args(["credential-process", "--profile", "plain"]));
    assert_eq!(r.stdout, "{\"Version\":1,\"AccessKeyId\":\"AKIAPLAINKEY00000003\",\"SecretAccessKey\":\"plainSecret\"}\n");
    assert!(sts.requests().is_empty());
}

#[test]
fn a_profile_with_mfa_never_exports_its_long_term_keys() {
    let (home, sts) = (Home::new(), FakeSts::start());
    for fmt in ["env", "json", "process", "dotenv"] {
        let r = run(home
            .cmd(&sts)
            .args(["export", "--profile", "work", "--format", fmt]));
        assert_eq!(r.code, 7, "{fmt}");
        assert!(
            !r.stdout.contains("AKIAWORK") && !r.stdout.contains("workSecret"),
            "{fmt}: {}",
            r.stdout
        );
    }
}

#[test]
fn a_credential_process_profile_is_exported_through_the_sdk_chain() {
    let home = Home::new();
    let script = home.path().join("creds.sh");
    fs::write(&script, "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"ASIAFROMPROCESS00001\", \"SecretAccessKey\": \"procSecret\", \"SessionToken\": \"procToken\", \"Expiration\": \"2099-01-01T00:00:00Z\"}'\n").unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    let config = format!(
        "{CONFIG}\n[profile proc]\ncredential_process = {}\nregion = ap-south-1\n",
        script.display()
    );
    fs::write(home.path().join(".aws/config"), config).unwrap();
    let r = run(home
        .cmd_url("http://127.0.0.1:9")
        .args(["export", "--profile", "proc"]));
    r.expect_ok();
    assert!(
        r.stdout
            .contains("export AWS_ACCESS_KEY_ID='ASIAFROMPROCESS00001'"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("export AWS_SESSION_TOKEN='procToken'"));
    assert!(r
        .stdout
        .contains("export AWS_CREDENTIAL_EXPIRATION='2099-01-01T00:00:00Z'"));
    assert!(r.stdout.contains("export AWS_REGION='ap-south-1'"));
}

fn sha1_hex(text: &str) -> String {
    let out = Command::new("sh")
        .args(["-c", "printf %s \"$0\" | sha1sum", text])
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

fn sso_home(token_expires: &str) -> Home {
    let config = format!(
        "{CONFIG}\n[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = ReadOnly\nregion = eu-west-3\n\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n"
    );
    let home = Home::with(&config, CREDENTIALS);
    let cache = home.path().join(".aws/sso/cache");
    fs::create_dir_all(&cache).unwrap();
    let token = format!(
        "{{\"accessToken\": \"portal-access-token\", \"expiresAt\": \"{token_expires}\", \"region\": \"us-east-1\", \"startUrl\": \"https://example.awsapps.com/start\"}}"
    );
    fs::write(cache.join(format!("{}.json", sha1_hex("corp"))), token).unwrap();
    // As botocore writes it (awscred tightens a looser one, with a warning).
    fs::set_permissions(
        cache.join(format!("{}.json", sha1_hex("corp"))),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    home
}

#[test]
fn an_sso_profile_exports_the_role_credentials_from_the_portal() {
    let (home, sts) = (sso_home("2099-01-01T00:00:00Z"), FakeSts::start());
    let r = run(home
        .cmd(&sts)
        .args(["export", "--profile", "sso"])
        .env("AWS_ENDPOINT_URL_SSO", sts.url()));
    r.expect_ok();
    let (id, secret, token) = issued_sso();
    assert!(
        r.stdout
            .contains(&format!("export AWS_ACCESS_KEY_ID='{id}'")),
        "{}",
        r.stdout
    );
    assert!(r
        .stdout
        .contains(&format!("export AWS_SECRET_ACCESS_KEY='{secret}'")));
    assert!(r
        .stdout
        .contains(&format!("export AWS_SESSION_TOKEN='{token}'")));
    assert!(r.stdout.contains("export AWSCRED_PROFILE='sso'"));
    assert!(
        r.stdout.contains("export AWS_ACCOUNT_ID='123456789012'"),
        "the SSO account: {}",
        r.stdout
    );
    let req = &sts.requests()[0];
    assert_eq!(req.param("Action"), Some("GetRoleCredentials"));
    assert_eq!(req.param("account_id"), Some("123456789012"));
    assert_eq!(req.param("role_name"), Some("ReadOnly"));
    assert_eq!(req.param("Bearer"), Some("portal-access-token"));

    let r = run(home.cmd(&sts).arg("list"));
    let line = r.stdout.lines().find(|l| l.contains(" sso ")).unwrap();
    assert!(
        line.contains("(SSO: valid until 2099-01-01T00:00:00Z"),
        "{line}"
    );
    assert!(line.ends_with(", not refreshable)"), "{line}");
    assert!(
        r.stdout
            .contains("IAM Identity Center sessions:\n  corp: valid until 2099-01-01T00:00:00Z"),
        "{}",
        r.stdout
    );

    let r = run(home
        .cmd(&sts)
        .args(["credential-process", "--profile", "sso"])
        .env("AWS_ENDPOINT_URL_SSO", sts.url()));
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["AccessKeyId"], id);
}

#[test]
fn an_expired_or_missing_sso_login_says_to_run_awscred_sso_login() {
    let (home, sts) = (sso_home("2020-01-01T00:00:00Z"), FakeSts::start());
    let r = run(home
        .cmd(&sts)
        .args(["export", "--profile", "sso"])
        .env("AWS_ENDPOINT_URL_SSO", sts.url()));
    r.expect_code(7);
    assert_eq!(r.stdout, "false\n");
    assert!(
        r.stderr.contains("run `awscred sso login --profile sso`"),
        "{}",
        r.stderr
    );
    fs::remove_dir_all(home.path().join(".aws/sso")).unwrap();
    let r = run(home
        .cmd(&sts)
        .args(["export", "--profile", "sso"])
        .env("AWS_ENDPOINT_URL_SSO", sts.url()));
    r.expect_code(7);
    assert!(
        r.stderr.contains("run `awscred sso login --profile sso`"),
        "{}",
        r.stderr
    );
    assert!(sts.requests().is_empty());
}

/// A role whose source is an SSO profile: the SDK gets the portal credentials,
/// then assumes the role with them.
#[test]
fn a_role_on_an_sso_profile_goes_through_the_sdk_chain() {
    let (home, sts) = (sso_home("2099-01-01T00:00:00Z"), FakeSts::start());
    let config = fs::read_to_string(home.path().join(".aws/config")).unwrap()
        + "\n[profile on-sso]\nrole_arn = arn:aws:iam::777777777777:role/deploy\nsource_profile = sso\nrole_session_name = deployer\n";
    fs::write(home.path().join(".aws/config"), config).unwrap();
    let r = run(home
        .cmd(&sts)
        .args(["export", "--profile", "on-sso"])
        .env("AWS_ENDPOINT_URL_SSO", sts.url()));
    r.expect_ok();
    let reqs = sts.requests();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert_eq!(reqs[0].param("Action"), Some("GetRoleCredentials"));
    assert_eq!(reqs[1].param("Action"), Some("AssumeRole"));
    assert_eq!(
        reqs[1].param("RoleArn"),
        Some("arn:aws:iam::777777777777:role/deploy")
    );
    assert_eq!(reqs[1].param("RoleSessionName"), Some("deployer"));
    assert_eq!(
        reqs[1].access_key_id,
        issued_sso().0,
        "signed with the SSO credentials"
    );
    assert_eq!(
        reqs[1].session_token.as_deref(),
        Some(issued_sso().2.as_str())
    );
    assert!(
        r.stdout
            .contains(&format!("export AWS_ACCESS_KEY_ID='{}'", issued_role(1).0)),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("export AWSCRED_PROFILE='on-sso'"));
}

#[test]
fn a_web_identity_profile_goes_through_the_sdk_chain() {
    let home = Home::new();
    let token = home.path().join("token.jwt");
    fs::write(&token, "eyJhbGciOiJIUzI1NiJ9.e30.sig").unwrap();
    let config = format!(
        "{CONFIG}\n[profile ci]\nrole_arn = arn:aws:iam::888888888888:role/ci\nweb_identity_token_file = {}\nrole_session_name = ci-run\n",
        token.display()
    );
    fs::write(home.path().join(".aws/config"), config).unwrap();
    let sts = FakeSts::start();
    let r = run(home
        .cmd(&sts)
        .args(["credential-process", "--profile", "ci"]));
    r.expect_ok();
    let req = &sts.requests()[0];
    assert_eq!(req.param("Action"), Some("AssumeRoleWithWebIdentity"));
    assert_eq!(
        req.param("RoleArn"),
        Some("arn:aws:iam::888888888888:role/ci")
    );
    assert_eq!(
        req.param("WebIdentityToken"),
        Some("eyJhbGciOiJIUzI1NiJ9.e30.sig")
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["AccessKeyId"], issued_role(1).0);
}

// `aws login` (AWS CLI 2.32+): a profile with `login_session` and a token
// cache at ~/.aws/login/cache/<sha256 of the session ARN>.json, which the SDK
// refreshes at the sign-in service (POST /v1/token, a DPoP proof signed with
// the cache's key) when fewer than 5 minutes are left.

const LOGIN_ARN: &str = "arn:aws:iam::111111111111:user/console-me";

fn sha256_hex(text: &str) -> String {
    let out = Command::new("sh")
        .args(["-c", "printf %s \"$0\" | sha256sum", text])
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

fn login_cache(home: &Home) -> std::path::PathBuf {
    home.path()
        .join(".aws/login/cache")
        .join(format!("{}.json", sha256_hex(LOGIN_ARN)))
}

/// A profile `aws login` wrote, a role on it, and its login cache (as the AWS
/// CLI writes it) with credentials expiring at `expires`, unless `None`.
fn login_home(expires: Option<&str>) -> Home {
    let config = format!(
        "{CONFIG}\n[profile console]\nlogin_session = {LOGIN_ARN}\nregion = eu-west-3\n\n[profile on-console]\nrole_arn = arn:aws:iam::777777777777:role/deploy\nsource_profile = console\n"
    );
    let home = Home::with(&config, CREDENTIALS);
    if let Some(expires) = expires {
        let (id, secret, token) = login_cached();
        let cache = serde_json::json!({
            "accessToken": {
                "accessKeyId": id,
                "secretAccessKey": secret,
                "sessionToken": token,
                "accountId": "111111111111",
                "expiresAt": expires,
            },
            "tokenType": "aws_sigv4",
            "refreshToken": LOGIN_REFRESH_TOKEN,
            "idToken": "eyJhbGciOiJub25lIn0.e30.",
            "clientId": "arn:aws:signin:::devtools/same-device",
            "dpopKey": LOGIN_DPOP_KEY,
        });
        let path = login_cache(&home);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, cache.to_string()).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    }
    home
}

/// awscred with the sign-in service pointed at the fake (the SDK reads
/// `AWS_ENDPOINT_URL_SIGNIN`, service id "Signin"), so no test can reach AWS.
fn login_cmd(home: &Home, sts: &FakeSts) -> Command {
    let mut c = home.cmd(sts);
    c.env("AWS_ENDPOINT_URL_SIGNIN", sts.url());
    c
}

#[test]
fn an_aws_login_profile_hands_out_the_credentials_of_its_login_cache() {
    let (home, sts) = (login_home(Some("2099-01-01T00:00:00Z")), FakeSts::start());
    let (id, secret, token) = login_cached();
    let r = run(login_cmd(&home, &sts).args(["export", "--profile", "console"]));
    r.expect_ok();
    for line in [
        format!("export AWS_ACCESS_KEY_ID='{id}'\n"),
        format!("export AWS_SECRET_ACCESS_KEY='{secret}'\n"),
        format!("export AWS_SESSION_TOKEN='{token}'\n"),
        "export AWS_CREDENTIAL_EXPIRATION='2099-01-01T00:00:00Z'\n".into(),
        "export AWS_REGION='eu-west-3'\n".into(),
    ] {
        assert!(r.stdout.contains(&line), "{line} not in {}", r.stdout);
    }
    let r = run(login_cmd(&home, &sts).args(["credential-process", "--profile", "console"]));
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (v["AccessKeyId"].as_str(), v["SessionToken"].as_str()),
        (Some(id.as_str()), Some(token.as_str()))
    );
    let r = run(login_cmd(&home, &sts).args([
        "exec",
        "--profile",
        "console",
        "--",
        "sh",
        "-c",
        "echo \"$AWS_ACCESS_KEY_ID\"",
    ]));
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, format!("{id}\n").as_str()),
        "{}",
        r.stderr
    );
    assert!(sts.requests().is_empty(), "a fresh login needs no call");

    // A role on it: the SDK reads the cache, awscred assumes the role with it.
    let r = run(login_cmd(&home, &sts).args(["export", "--profile", "on-console"]));
    r.expect_ok();
    let reqs = sts.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].param("Action"), Some("AssumeRole"));
    assert_eq!(
        reqs[0].access_key_id, id,
        "signed with the login's credentials"
    );
    assert_eq!(reqs[0].session_token.as_deref(), Some(token.as_str()));
    assert!(r
        .stdout
        .contains(&format!("export AWS_ACCESS_KEY_ID='{}'", issued_role(1).0)));
}

#[test]
fn an_expired_aws_login_is_refreshed_at_the_sign_in_service() {
    let (home, sts) = (login_home(Some("2020-01-01T00:00:00Z")), FakeSts::start());
    let r = run(login_cmd(&home, &sts).args(["export", "--profile", "console"]));
    r.expect_ok();
    let (id, secret, token) = issued_login();
    assert!(
        r.stdout
            .contains(&format!("export AWS_ACCESS_KEY_ID='{id}'\n")),
        "{}",
        r.stdout
    );
    assert!(r
        .stdout
        .contains(&format!("export AWS_SECRET_ACCESS_KEY='{secret}'\n")));
    assert!(r
        .stdout
        .contains(&format!("export AWS_SESSION_TOKEN='{token}'\n")));
    let reqs = sts.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    let req = &reqs[0];
    assert_eq!(req.param("Action"), Some("CreateOAuth2Token"));
    assert_eq!(req.param("grantType"), Some("refresh_token"));
    assert_eq!(req.param("refreshToken"), Some(LOGIN_REFRESH_TOKEN));
    assert_eq!(
        req.param("clientId"),
        Some("arn:aws:signin:::devtools/same-device")
    );
    let proof = req.param("DPoP").expect("a DPoP proof");
    assert_eq!(proof.split('.').count(), 3, "a JWT: {proof}");
    // The SDK keeps the new refresh token in the cache, as the AWS CLI does.
    let cache = fs::read_to_string(login_cache(&home)).unwrap();
    assert!(cache.contains(LOGIN_NEW_REFRESH_TOKEN), "{cache}");
}

#[test]
fn a_missing_or_refused_aws_login_says_to_run_aws_login() {
    let want = "run `aws login --profile console`";
    let (home, sts) = (login_home(None), FakeSts::start());
    for (args, stdout) in [
        (&["export", "--profile", "console"][..], "false\n"),
        (&["credential-process", "--profile", "console"], ""),
        (&["exec", "--profile", "console", "--", "true"], ""),
        (&["export", "--profile", "on-console"], "false\n"),
    ] {
        let r = run(login_cmd(&home, &sts).args(args));
        r.expect_failure(7, stdout, want);
        assert!(
            r.stderr
                .starts_with("awscred: no valid AWS login for profile "),
            "{}",
            r.stderr
        );
    }
    assert!(sts.requests().is_empty());

    // Expired, and the sign-in service refuses the refresh token.
    let refused = Reply::Raw {
        status: 400,
        body: "{\"__type\":\"AccessDeniedException\",\"error\":\"TOKEN_EXPIRED\",\"message\":\"expired\"}".into(),
    };
    let (home, sts) = (
        login_home(Some("2020-01-01T00:00:00Z")),
        FakeSts::with(vec![refused]),
    );
    let r = run(login_cmd(&home, &sts).args(["export", "--profile", "console"]));
    r.expect_failure(7, "false\n", want);
    assert_eq!(sts.calls("CreateOAuth2Token"), 1);
}

#[test]
fn a_failing_or_hostile_sign_in_service_is_not_a_reason_to_log_in_again() {
    let down = || Reply::Raw {
        status: 500,
        body: "{\"__type\":\"InternalServerException\",\"message\":\"down\"}".into(),
    };
    let (home, sts) = (
        login_home(Some("2020-01-01T00:00:00Z")),
        FakeSts::with(vec![down(), down(), down()]),
    );
    let r = run(login_cmd(&home, &sts).args(["export", "--profile", "console"]));
    r.expect_failure(
        6,
        "false\n",
        "cannot refresh the AWS login of profile console",
    );
    assert!(r.stderr.contains("retry"), "{}", r.stderr);

    // An answer without credentials: refused by awscred's own check, no panic.
    let empty = Reply::Raw {
        status: 200,
        body: "{}".into(),
    };
    let (home, sts) = (
        login_home(Some("2020-01-01T00:00:00Z")),
        FakeSts::with(vec![empty]),
    );
    let r = run(login_cmd(&home, &sts).args(["export", "--profile", "console"]));
    r.expect_failure(
        6,
        "false\n",
        "the AWS login of profile console gave unusable credentials",
    );
}

/// A counting `credential_process` printing credentials that expire `in_secs` from now.
fn counting_process(home: &Home, in_secs: i64, extra: &str) -> std::path::PathBuf {
    let count = home.path().join("count");
    let script = home.path().join("proc.sh");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\necho x >> {}\n{extra}\nprintf '%s' '{{\"Version\":1,\"AccessKeyId\":\"ASIAPROC000000000001\",\"SecretAccessKey\":\"procsecretprocsecret\",\"SessionToken\":\"proctokenproctoken\",\"Expiration\":\"{}\"}}'\n",
            count.display(),
            rfc3339(now() + in_secs)
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    let config = format!(
        "{CONFIG}\n[profile proc]\ncredential_process = {} --seed SEEDSEEDSEED\n\n[profile on-proc]\nrole_arn = arn:aws:iam::999999999999:role/deploy\nsource_profile = proc\n",
        script.display()
    );
    fs::write(home.path().join(".aws/config"), config).unwrap();
    count
}

fn runs(count: &std::path::Path) -> usize {
    fs::read_to_string(count).map_or(0, |s| s.lines().count())
}

/// A wrapped `credential_process` runs once while its credentials last, however
/// many runs ask at once (issue 24); the cache entry names no command line.
#[test]
fn a_credential_process_runs_once_while_its_credentials_last() {
    let home = Home::new();
    let count = counting_process(&home, 3600, "sleep 0.3");
    let sts = FakeSts::start();
    let children: Vec<_> = (0..5)
        .map(|_| {
            home.cmd(&sts)
                .args(["export", "--profile", "proc"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("ASIAPROC000000000001"));
    }
    assert_eq!(runs(&count), 1, "five exports, one run");
    for entry in home.cache_entries() {
        let text = fs::read_to_string(entry).unwrap_or_default();
        assert!(
            !text.contains("SEEDSEED") && !text.contains("proc.sh"),
            "{text}"
        );
    }
    // A role above it: assumed once too, then cached with the chain.
    run(home.cmd(&sts).args(["export", "--profile", "on-proc"])).expect_ok();
    run(home.cmd(&sts).args(["export", "--profile", "on-proc"])).expect_ok();
    assert_eq!(sts.calls("AssumeRole"), 1);
}

/// Credentials within the margin are not handed out again, and a failure is
/// never cached: the process runs each time.
#[test]
fn a_credential_process_near_expiry_or_failing_runs_again() {
    let home = Home::new();
    let count = counting_process(&home, 300, "");
    let sts = FakeSts::start();
    run(home.cmd(&sts).args(["export", "--profile", "proc"])).expect_ok();
    run(home.cmd(&sts).args(["export", "--profile", "proc"])).expect_ok();
    assert_eq!(runs(&count), 2, "5 minutes left is within the margin");
    let home = Home::new();
    let count = counting_process(&home, 3600, "exit 1");
    run(home.cmd(&sts).args(["export", "--profile", "proc"])).expect_code(3);
    run(home.cmd(&sts).args(["export", "--profile", "proc"])).expect_code(3);
    assert_eq!(runs(&count), 2);
}

/// Web identity credentials are cached too: one AssumeRoleWithWebIdentity.
#[test]
fn web_identity_credentials_are_cached_while_they_last() {
    let home = Home::new();
    let token = home.path().join("token.jwt");
    fs::write(&token, "eyJhbGciOiJIUzI1NiJ9.e30.sig").unwrap();
    let config = format!(
        "{CONFIG}\n[profile ci]\nrole_arn = arn:aws:iam::888888888888:role/ci\nweb_identity_token_file = {}\n",
        token.display()
    );
    fs::write(home.path().join(".aws/config"), config).unwrap();
    let sts = FakeSts::start();
    for _ in 0..3 {
        run(home
            .cmd(&sts)
            .args(["credential-process", "--profile", "ci"]))
        .expect_ok();
    }
    assert_eq!(sts.calls("AssumeRoleWithWebIdentity"), 1);
}

/// What the command line names from the environment is part of the key: a
/// command printing the account of `$ACCT` is run again for another value; a
/// line that runs a command inside it is never cached (review finding).
#[test]
fn a_credential_process_that_depends_on_the_environment_is_keyed_by_it() {
    let home = Home::new();
    let count = home.path().join("count");
    let script = home.path().join("acct.sh");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\necho x >> {}\nprintf '%s' \"{{\\\"Version\\\":1,\\\"AccessKeyId\\\":\\\"ASIAPROC0000000$1\\\",\\\"SecretAccessKey\\\":\\\"procsecretprocsecret\\\",\\\"SessionToken\\\":\\\"proctokenproctoken\\\",\\\"Expiration\\\":\\\"{}\\\"}}\"\n",
            count.display(),
            rfc3339(now() + 3600)
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(
        home.path().join(".aws/config"),
        format!(
            "{CONFIG}\n[profile env]\ncredential_process = {s} $ACCT\n\n[profile sub]\ncredential_process = {s} $(echo 00001)\n",
            s = script.display()
        ),
    )
    .unwrap();
    let sts = FakeSts::start();
    let export = |profile: &str, acct: &str| {
        let r = run(home
            .cmd(&sts)
            .args(["export", "--profile", profile])
            .env("ACCT", acct));
        r.expect_ok();
        r.stdout
    };
    assert!(export("env", "00001").contains("ASIAPROC000000000001"));
    assert!(
        export("env", "00002").contains("ASIAPROC000000000002"),
        "another value: run again"
    );
    assert!(export("env", "00001").contains("ASIAPROC000000000001"));
    assert_eq!(
        runs(&count),
        2,
        "the first value's credentials came from the cache"
    );
    export("sub", "");
    export("sub", "");
    assert_eq!(runs(&count), 4, "a command inside the line: never cached");
}

/// Credentials a `credential_process` prints already expired are an error,
/// never handed out (review finding).
#[test]
fn a_credential_process_printing_expired_credentials_is_refused() {
    let home = Home::new();
    counting_process(&home, -60, "");
    let sts = FakeSts::start();
    run(home.cmd(&sts).args(["export", "--profile", "proc"])).expect_failure(
        3,
        "false\n",
        "printed credentials that expired at",
    );
}
