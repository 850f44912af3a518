//! AssumeRole options for organisations (issue 24): session tags, transitive
//! tags, source identity and session policies, from a profile's keys (as
//! aws-vault spells them) and from `assume-role`'s flags; validated before
//! any request; part of the role credentials' cache key.

use crate::support::*;
use std::fs;

const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";
const POLICY_A: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const POLICY_B: &str = "arn:aws:iam::111111111111:policy/team/Deploy";

fn home_with(options: &str) -> Home {
    let config = format!(
        "{CONFIG}\n[profile tagged]\nrole_arn = arn:aws:iam::111111111111:role/admin\nsource_profile = default\nmfa_serial = {SERIAL}\n{options}"
    );
    Home::with(&config, CREDENTIALS)
}

fn export(home: &Home, sts: &FakeSts) -> Run {
    run(home
        .cmd(sts)
        .args(["export", "--profile", "tagged"])
        .env("AWS_MFA_TOKEN_CODE", "123456"))
}

fn assume_roles(sts: &FakeSts) -> Vec<Request> {
    sts.requests()
        .into_iter()
        .filter(|r| r.param("Action") == Some("AssumeRole"))
        .collect()
}

#[test]
fn profile_options_reach_assume_role_and_are_part_of_the_cache_key() {
    let options = format!("session_tags = team=infra, env=dev\ntransitive_session_tags = team\nsource_identity = alice\npolicy_arns = {POLICY_A},{POLICY_B}\n");
    let (home, sts) = (home_with(&options), FakeSts::start());
    export(&home, &sts).expect_ok();
    let roles = assume_roles(&sts);
    assert_eq!(roles.len(), 1);
    let p = |k: &str| roles[0].param(k).map(str::to_string);
    assert_eq!(p("Tags.member.1.Key").as_deref(), Some("team"));
    assert_eq!(p("Tags.member.1.Value").as_deref(), Some("infra"));
    assert_eq!(p("Tags.member.2.Key").as_deref(), Some("env"));
    assert_eq!(p("Tags.member.2.Value").as_deref(), Some("dev"));
    assert_eq!(p("Tags.member.3.Key"), None);
    assert_eq!(p("TransitiveTagKeys.member.1").as_deref(), Some("team"));
    assert_eq!(p("SourceIdentity").as_deref(), Some("alice"));
    assert_eq!(p("PolicyArns.member.1.arn").as_deref(), Some(POLICY_A));
    assert_eq!(p("PolicyArns.member.2.arn").as_deref(), Some(POLICY_B));
    assert_eq!(p("Policy"), None);

    // The same options: the cached role credentials.
    export(&home, &sts).expect_ok();
    assert_eq!(assume_roles(&sts).len(), 1, "a cache hit");
    // `list` shows them.
    let list = run(home.cmd(&sts).arg("list"));
    list.expect_ok();
    assert!(
        list.stdout.contains("tagged: tags team=infra,env=dev; transitive team; source identity alice; policies arn:aws:iam::aws:policy/ReadOnlyAccess,"),
        "{}",
        list.stdout
    );

    // A changed tag is another session: assumed again (from the cached MFA session).
    let changed = options.replace("env=dev", "env=prod");
    fs::write(
        home.path().join(".aws/config"),
        format!("{CONFIG}\n[profile tagged]\nrole_arn = arn:aws:iam::111111111111:role/admin\nsource_profile = default\nmfa_serial = {SERIAL}\n{changed}"),
    )
    .unwrap();
    run(home.cmd(&sts).args(["export", "--profile", "tagged"])).expect_ok();
    let roles = assume_roles(&sts);
    assert_eq!(roles.len(), 2);
    assert_eq!(roles[1].param("Tags.member.2.Value"), Some("prod"));
    assert_eq!(sts.session_calls(), 1, "one MFA session for both");
}

#[test]
fn assume_role_flags_send_the_same_options_and_an_inline_policy() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let policy = home.path().join("policy.json");
    let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    fs::write(&policy, text).unwrap();
    let r = run(home.cmd(&sts).args([
        "assume-role",
        "--role-arn",
        "arn:aws:iam::111111111111:role/deploy",
        "--tag",
        "team=infra",
        "--tag",
        "cost center=42",
        "--transitive-tag",
        "team",
        "--source-identity",
        "alice@example.com",
        "--policy-arn",
        POLICY_A,
        "--policy",
        policy.to_str().unwrap(),
        "--token-code",
        "123456",
    ]));
    r.expect_ok();
    let roles = assume_roles(&sts);
    let p = |k: &str| roles[0].param(k);
    assert_eq!(p("Tags.member.2.Key"), Some("cost center"));
    assert_eq!(p("Tags.member.2.Value"), Some("42"));
    assert_eq!(p("TransitiveTagKeys.member.1"), Some("team"));
    assert_eq!(p("SourceIdentity"), Some("alice@example.com"));
    assert_eq!(p("PolicyArns.member.1.arn"), Some(POLICY_A));
    assert_eq!(p("Policy"), Some(text));
}

/// STS's limits, checked before any request, each error naming the
/// setting's file and line (or the flag).
#[test]
fn options_beyond_stss_limits_fail_before_any_request() {
    let many_tags: Vec<String> = (0..51).map(|i| format!("k{i}=v")).collect();
    let many_arns = [POLICY_A; 11].join(",");
    let long_key = "k".repeat(129);
    for (options, message) in [
        (
            format!("session_tags = {}\n", many_tags.join(",")),
            "51 session tags, STS takes at most 50",
        ),
        (
            format!("session_tags = {long_key}=v\n"),
            "a session tag key must be 1 to 128",
        ),
        (
            "session_tags = team\n".to_string(),
            "a session tag must be KEY=VALUE",
        ),
        (
            "session_tags = team=a,Team=b\n".to_string(),
            "session tag Team is set twice",
        ),
        (
            "session_tags = team=a;b\n".to_string(),
            "the value of session tag team must be",
        ),
        (
            "session_tags = team=a\ntransitive_session_tags = env\n".to_string(),
            "transitive tag env is not one of the session tags",
        ),
        (
            "source_identity = a\n".to_string(),
            "a source identity must be 2 to 64",
        ),
        (
            "source_identity = alice smith\n".to_string(),
            "a source identity must be 2 to 64",
        ),
        (
            format!("policy_arns = {many_arns}\n"),
            "11 session policies, STS takes at most 10",
        ),
        (
            "policy_arns = arn:aws:iam::111111111111:role/not-a-policy\n".to_string(),
            "is not an IAM policy ARN",
        ),
    ] {
        let (home, sts) = (home_with(&options), FakeSts::start());
        let r = export(&home, &sts);
        r.expect_failure(3, "false\n", message);
        assert!(
            r.stderr.contains(".aws/config:"),
            "names the file and line: {}",
            r.stderr
        );
        assert!(sts.requests().is_empty(), "{options}: no request");
    }
    let home = Home::new();
    let sts = FakeSts::start();
    let big = home.path().join("big.json");
    fs::write(&big, format!("{{\"Statement\":\"{}\"}}", "x".repeat(2100))).unwrap();
    let not_json = home.path().join("not.json");
    fs::write(&not_json, "Allow everything").unwrap();
    for (path, message) in [
        (big, "is over 2,048 characters"),
        (not_json, "is not a JSON object"),
        (home.path().join("missing.json"), "there is no such file"),
    ] {
        let r = run(home.cmd(&sts).args([
            "assume-role",
            "--role-arn",
            "arn:aws:iam::111111111111:role/deploy",
            "--policy",
            path.to_str().unwrap(),
            "--token-code",
            "123456",
        ]));
        r.expect_failure(3, "", message);
    }
    assert!(sts.requests().is_empty());
}
