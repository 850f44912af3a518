//! Role profiles: source_profile chains, one MFA session shared by many roles,
//! role credentials cached per profile, and `assume-role`.

use crate::support::*;

const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";

fn roles_home(extra: &str) -> Home {
    let config = format!(
        "{CONFIG}\n[profile admin]\nrole_arn = arn:aws:iam::111111111111:role/admin\nsource_profile = default\nmfa_serial = {SERIAL}\nregion = us-west-2\n\n[profile reader]\nrole_arn = arn:aws:iam::222222222222:role/reader\nsource_profile = default\nmfa_serial = {SERIAL}\nexternal_id = ext-42\nrole_session_name = alice\n{extra}"
    );
    Home::with(&config, CREDENTIALS)
}

#[test]
fn many_roles_share_one_mfa_session_and_one_code() {
    let (home, sts) = (roles_home(""), FakeSts::start());
    let r = run(home
        .cmd(&sts)
        .args(["export", "--profile", "admin"])
        .env("AWS_MFA_TOKEN_CODE", "123456"));
    r.expect_ok();
    let reqs = sts.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].param("Action"), Some("GetSessionToken"));
    assert_eq!(reqs[0].param("SerialNumber"), Some(SERIAL));
    assert_eq!(reqs[0].access_key_id, "AKIADEFAULTKEY000001");
    assert_eq!(reqs[1].param("Action"), Some("AssumeRole"));
    assert_eq!(
        reqs[1].param("RoleArn"),
        Some("arn:aws:iam::111111111111:role/admin")
    );
    assert_eq!(reqs[1].param("RoleSessionName"), Some("awscred-admin"));
    assert_eq!(
        reqs[1].param("SerialNumber"),
        None,
        "the MFA session carries MFA"
    );
    let (sid, _, stoken) = issued(1);
    assert_eq!(reqs[1].access_key_id, sid, "signed with the MFA session");
    assert_eq!(reqs[1].session_token.as_deref(), Some(stoken.as_str()));
    let (rid, rsecret, rtoken) = issued_role(2);
    assert!(
        r.stdout
            .contains(&format!("export AWS_ACCESS_KEY_ID='{rid}'")),
        "{}",
        r.stdout
    );
    assert!(r
        .stdout
        .contains(&format!("export AWS_SECRET_ACCESS_KEY='{rsecret}'")));
    assert!(r
        .stdout
        .contains(&format!("export AWS_SESSION_TOKEN='{rtoken}'")));
    assert!(r.stdout.contains("export AWSCRED_PROFILE='admin'"));
    assert!(r.stdout.contains("export AWS_REGION='us-west-2'"));

    // A second role with the same source and device: one AssumeRole, no code needed.
    let r = run(home.cmd(&sts).args(["export", "--profile", "reader"]));
    r.expect_ok();
    let reqs = sts.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[2].param("Action"), Some("AssumeRole"));
    assert_eq!(reqs[2].param("ExternalId"), Some("ext-42"));
    assert_eq!(reqs[2].param("RoleSessionName"), Some("alice"));
    assert_eq!(reqs[2].access_key_id, sid);

    // Role credentials are cached per role profile; the source's MFA session serves `mfa` too.
    for profile in ["admin", "reader", "default"] {
        let r = run(home.cmd(&sts).args(["mfa", "--profile", profile]));
        assert_eq!(r.code, 0, "{profile}: {}", r.stderr);
    }
    let r = run(home
        .cmd(&sts)
        .args(["credential-process", "--profile", "reader"]));
    assert!(r.stdout.contains(&issued_role(3).0), "{}", r.stdout);
    assert_eq!(sts.requests().len(), 3, "everything came from the cache");
}

#[test]
fn a_role_over_one_hour_is_assumed_directly_with_the_code() {
    let extra = "\n[profile long]\nrole_arn = arn:aws:iam::333333333333:role/long\nsource_profile = default\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nduration_seconds = 14400\n";
    let (home, sts) = (roles_home(extra), FakeSts::start());
    let r = run(home.cmd(&sts).args(["mfa", "--profile", "long", "123456"]));
    r.expect_ok();
    let reqs = sts.requests();
    assert_eq!(
        reqs.len(),
        1,
        "no GetSessionToken: STS refuses chaining beyond an hour"
    );
    assert_eq!(reqs[0].param("Action"), Some("AssumeRole"));
    assert_eq!(reqs[0].param("SerialNumber"), Some(SERIAL));
    assert_eq!(reqs[0].param("TokenCode"), Some("123456"));
    assert_eq!(reqs[0].param("DurationSeconds"), Some("14400"));
    assert_eq!(reqs[0].access_key_id, "AKIADEFAULTKEY000001");
    assert_eq!(reqs[0].session_token, None);
}

#[test]
fn a_role_without_mfa_uses_the_long_term_keys_and_chains_follow_source_profile() {
    let extra = "\n[profile plainrole]\nrole_arn = arn:aws:iam::444444444444:role/plain\nsource_profile = plain\n\n[profile chained]\nrole_arn = arn:aws:iam::555555555555:role/chained\nsource_profile = plainrole\n";
    let (home, sts) = (roles_home(extra), FakeSts::start());
    let r = run(home
        .cmd(&sts)
        .args(["credential-process", "--profile", "chained"]));
    r.expect_ok();
    let reqs = sts.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[0].param("RoleArn"),
        Some("arn:aws:iam::444444444444:role/plain")
    );
    assert_eq!(reqs[0].access_key_id, "AKIAPLAINKEY00000003");
    assert_eq!(
        reqs[1].param("RoleArn"),
        Some("arn:aws:iam::555555555555:role/chained")
    );
    assert_eq!(reqs[1].access_key_id, issued_role(1).0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["AccessKeyId"], issued_role(2).0);
}

#[test]
fn source_profile_loops_and_unsupported_credential_sources_are_clear_errors() {
    let extra = "\n[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n[profile ec2]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Ec2Metadata\n[profile orphan]\nrole_arn = arn:aws:iam::1:role/x\n[profile dangling]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = nowhere\n";
    let (home, sts) = (roles_home(extra), FakeSts::start());
    let cases = [
        ("a", "source_profile loop: a → b → a"),
        (
            "ec2",
            "credential_source = Ec2Metadata is not one awscred knows",
        ),
        ("orphan", "has role_arn but no source_profile"),
        ("dangling", "source_profile `nowhere` does not exist"),
    ];
    for (profile, msg) in cases {
        let r = run(home.cmd(&sts).args(["mfa", "--profile", profile, "123456"]));
        assert_eq!(r.code, 3, "{profile}: {}", r.stderr);
        assert!(r.stderr.contains(msg), "{profile}: {}", r.stderr);
        assert!(
            r.stderr.contains("config:"),
            "names the file and line: {}",
            r.stderr
        );
    }
    assert!(sts.requests().is_empty());
}

#[test]
fn credential_source_environment_uses_long_term_env_keys() {
    let extra = "\n[profile envrole]\nrole_arn = arn:aws:iam::1:role/env\ncredential_source = Environment\n";
    let (home, sts) = (roles_home(extra), FakeSts::start());
    let r = run(home
        .cmd(&sts)
        .args(["credential-process", "--profile", "envrole"])
        .env("AWS_ACCESS_KEY_ID", "AKIAFROMENVIRONMENT1")
        .env("AWS_SECRET_ACCESS_KEY", "x"));
    r.expect_ok();
    assert_eq!(sts.requests()[0].access_key_id, "AKIAFROMENVIRONMENT1");
}

#[test]
fn assume_role_command_prints_json_by_default_and_caches() {
    let (home, sts) = (roles_home(""), FakeSts::start());
    let args = [
        "assume-role",
        "--role-arn",
        "arn:aws:iam::666666666666:role/ops",
        "--token-code",
        "123456",
    ];
    let r = run(home.cmd(&sts).args(args));
    r.expect_ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["Credentials"]["AccessKeyId"], issued_role(2).0);
    assert_eq!(
        sts.calls("GetSessionToken"),
        1,
        "default has an MFA device: its session assumes the role"
    );
    let r2 = run(home.cmd(&sts).args([
        "assume-role",
        "--role-arn",
        "arn:aws:iam::666666666666:role/ops",
        "--format",
        "env",
    ]));
    assert_eq!(r2.code, 0, "{}", r2.stderr);
    assert!(
        r2.stdout.contains(&issued_role(2).0),
        "cached: {}",
        r2.stdout
    );
    assert_eq!(sts.requests().len(), 2);
    let r = run(home.cmd(&sts).args(["assume-role", "--role-arn", "ops"]));
    assert_eq!((r.code, r.stdout.as_str()), (3, ""));
    let r = run(home.cmd(&sts).args([
        "assume-role",
        "--role-arn",
        "arn:aws:iam::1:role/x",
        "--duration-seconds",
        "50000",
    ]));
    r.expect_code(3);
    assert!(
        r.stderr.contains("AssumeRole takes 900 to 43200 seconds"),
        "{}",
        r.stderr
    );
}

#[test]
fn list_shows_role_profiles_with_their_own_state() {
    let (home, sts) = (roles_home(""), FakeSts::start());
    run(home
        .cmd(&sts)
        .args(["export", "--profile", "admin"])
        .env("AWS_MFA_TOKEN_CODE", "123456"));
    let r = run(home.cmd(&sts).arg("list"));
    let admin = r.stdout.lines().find(|l| l.contains("admin")).unwrap();
    assert!(admin.contains("valid until"), "{admin}");
    let reader = r.stdout.lines().find(|l| l.contains("reader")).unwrap();
    assert!(reader.ends_with("none"), "{reader}");
}

/// `assume-role` exports say which role they are (`AWSCRED_ROLE`), `status`
/// shows it, and every format carries the account when it is known: the
/// role's, the profile's `aws_account_id`, or the MFA device's.
#[test]
fn exports_name_the_role_and_the_account() {
    let config = "\n[profile pinned]\naws_account_id = 999999999999\nregion = eu-west-1\n";
    let (home, sts) = (roles_home(config), FakeSts::start());
    let role = "arn:aws:iam::666666666666:role/ops";
    let r = run(home.cmd(&sts).args([
        "assume-role",
        "--role-arn",
        role,
        "--token-code",
        "123456",
        "--format",
        "env",
    ]));
    r.expect_ok();
    assert!(
        r.stdout
            .contains(&format!("export AWSCRED_ROLE='{role}'\n")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("export AWS_ACCOUNT_ID='666666666666'\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("export AWSCRED_PROFILE='default'\n"));
    let vars = eval_in_bash(
        &r.stdout,
        "",
        &[
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWSCRED_PROFILE",
            "AWSCRED_ROLE",
        ],
    );
    let status = run(home.cmd(&sts).arg("status").envs(&vars));
    assert!(
        status.stdout.contains(&format!("role         {role}\n")),
        "{}",
        status.stdout
    );

    // A role profile: the role's account, in the env formats and the process JSON.
    let r = run(home
        .cmd(&sts)
        .args(["credential-process", "--profile", "admin"]));
    r.expect_ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["AccountId"], "111111111111");
    // An MFA session: the device's account; a later session without one removes it.
    let r = run(home.cmd(&sts).args(["export", "--profile", "default"]));
    assert!(
        r.stdout.contains("export AWS_ACCOUNT_ID='123456789012'\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("unset AWSCRED_ROLE\n"),
        "no stale role: {}",
        r.stdout
    );
    let creds = format!("{CREDENTIALS}\n[pinned]\naws_access_key_id = AKIAPINNEDKEY0000009\naws_secret_access_key = pinnedSecret\n[nodevice]\naws_access_key_id = AKIANODEVICEKEY00010\naws_secret_access_key = noDeviceSecret\n");
    std::fs::write(home.path().join(".aws/credentials"), creds).unwrap();
    let r = run(home.cmd(&sts).args(["export", "--profile", "pinned"]));
    assert!(
        r.stdout.contains("export AWS_ACCOUNT_ID='999999999999'\n"),
        "{}",
        r.stdout
    );
    let r = run(home.cmd(&sts).args(["export", "--profile", "nodevice"]));
    assert!(
        r.stdout.contains("unset AWS_ACCOUNT_ID\n"),
        "unknown: removed, never stale: {}",
        r.stdout
    );
}

/// GetSessionToken is the IAM user's call: on a role profile it is refused
/// before any request, and nothing is cached as the role's credentials.
#[test]
fn get_session_token_refuses_a_role_profile() {
    let (home, sts) = (roles_home(""), FakeSts::start());
    let r = run(home.cmd(&sts).args([
        "get-session-token",
        "--profile",
        "admin",
        "--token-code",
        "123456",
    ]));
    r.expect_failure(
        3,
        "",
        "profile admin assumes a role, and GetSessionToken gets an IAM user's session: run `awscred get-session-token` for the session of its source, or `awscred export --profile admin` for the role's credentials",
    );
    assert_eq!(sts.requests().len(), 0);
    assert!(home.cache_entries().is_empty());
}

/// A cached MFA session STS refuses when it signs AssumeRole (revoked, or
/// expired early): the message says it was dropped from the cache, and the
/// next run gets a new one with a code instead of failing the same way.
#[test]
fn a_cached_session_sts_rejects_is_dropped_from_the_cache() {
    for (code, message) in [
        (
            "ExpiredToken",
            "The security token included in the request is expired",
        ),
        (
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        ),
    ] {
        let home = roles_home("");
        let sts = FakeSts::by_action(vec![("AssumeRole", error(403, code, message))]);
        run(home
            .cmd(&sts)
            .args(["mfa", "--profile", "default", "123456"]))
        .expect_ok();
        assert_eq!(home.cache_entries().len(), 1);
        run(home.cmd(&sts).args(["export", "--profile", "admin"])).expect_failure(
            5,
            "false\n",
            &format!("STS rejected the cached MFA session of profile default ({code}): it was dropped from the cache: run the command again for a new one"),
        );
        assert_eq!(home.cache_entries().len(), 0, "{code}");
        run(home
            .cmd(&sts)
            .args(["export", "--profile", "admin"])
            .env("AWS_MFA_TOKEN_CODE", "123456"))
        .expect_ok();
        assert_eq!(sts.session_calls(), 2, "a new session, with a code");
    }
}
