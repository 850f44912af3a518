//! Profiles without an MFA device: long-term keys, credential_process and SSO
//! go out through `export` and `credential-process` (the SDK chain for the last two).

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
    assert!(line.ends_with("(SSO: resolved by the AWS SDK)"), "{line}");

    let r = run(home
        .cmd(&sts)
        .args(["credential-process", "--profile", "sso"])
        .env("AWS_ENDPOINT_URL_SSO", sts.url()));
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["AccessKeyId"], id);
}

#[test]
fn an_expired_or_missing_sso_login_says_to_run_aws_sso_login() {
    let (home, sts) = (sso_home("2020-01-01T00:00:00Z"), FakeSts::start());
    let r = run(home
        .cmd(&sts)
        .args(["export", "--profile", "sso"])
        .env("AWS_ENDPOINT_URL_SSO", sts.url()));
    r.expect_code(7);
    assert_eq!(r.stdout, "false\n");
    assert!(
        r.stderr.contains("run `aws sso login --profile sso`"),
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
        r.stderr.contains("run `aws sso login --profile sso`"),
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
