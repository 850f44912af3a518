//! `credential_source = Ec2InstanceMetadata | EcsContainer` (issue 24): the
//! instance's or container's role credentials, from the SDK's own providers
//! against fake endpoints on 127.0.0.1 (never 169.254.169.254), sign the
//! profile's AssumeRole; the answer is validated like every other.

use crate::support::metadata::*;
use crate::support::*;
use std::fs;

const INSTANCE_KEY: &str = "ASIAINSTANCE00000001";
const CONTAINER_KEY: &str = "ASIACONTAINER0000001";
const ROLE: &str = "arn:aws:iam::111111111111:role/deploy";

fn home(source: &str) -> Home {
    let home = Home::new();
    fs::write(
        home.path().join(".aws/config"),
        format!("{CONFIG}\n[profile ci]\nrole_arn = {ROLE}\ncredential_source = {source}\n"),
    )
    .unwrap();
    home
}

fn creds(id: &str) -> String {
    credentials_json(
        id,
        "hunter2hunter2PASSWORD",
        "metadata-session-token",
        &rfc3339(now() + 3600),
    )
}

#[test]
fn the_instance_role_from_imdsv2_signs_the_profiles_role() {
    let (home, sts) = (home("Ec2InstanceMetadata"), FakeSts::start());
    let imds = FakeMetadata::imds(creds(INSTANCE_KEY), true);
    let r = run(home
        .cmd(&sts)
        .args(["credential-process", "--profile", "ci"])
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()));
    r.expect_ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["AccessKeyId"], issued_role(1).0);
    let reqs = sts.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].param("Action"), Some("AssumeRole"));
    assert_eq!(reqs[0].param("RoleArn"), Some(ROLE));
    assert_eq!(reqs[0].access_key_id, INSTANCE_KEY);
    assert_eq!(
        reqs[0].session_token.as_deref(),
        Some("metadata-session-token")
    );
    let seen = imds.seen();
    assert_eq!(seen[0].method, "PUT", "a token first: IMDSv2");
    assert!(
        seen.iter()
            .skip(1)
            .all(|s| s.token.as_deref() == Some(IMDS_TOKEN)),
        "{seen:?}"
    );
}

#[test]
fn an_instance_without_imdsv2_is_an_error_never_a_v1_request() {
    let (home, sts) = (home("Ec2InstanceMetadata"), FakeSts::start());
    let imds = FakeMetadata::imds(creds(INSTANCE_KEY), false);
    let r = run(home
        .cmd(&sts)
        .args(["export", "--profile", "ci"])
        .env("AWSCRED_TIMEOUT", "3")
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()));
    r.expect_failure(
        6,
        "false\n",
        "profile ci: no credentials from the EC2 instance metadata service (IMDSv2)",
    );
    assert!(
        imds.seen().iter().all(|s| s.method == "PUT"),
        "no GET without a token: {:?}",
        imds.seen()
    );
    assert!(sts.requests().is_empty());
}

#[test]
fn the_container_role_signs_the_profiles_role_with_the_authorization_token() {
    let (home, sts) = (home("EcsContainer"), FakeSts::start());
    let ecs = FakeMetadata::container(creds(CONTAINER_KEY), "container-auth-token");
    let uri = format!("{}/creds", ecs.url());
    let r = run(home
        .cmd(&sts)
        .args(["credential-process", "--profile", "ci"])
        .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri)
        .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth-token"));
    r.expect_ok();
    assert_eq!(sts.requests()[0].access_key_id, CONTAINER_KEY);
    // The token from a file, as EKS Pod Identity gives it.
    let token_file = home.path().join("eks-token");
    fs::write(&token_file, "container-auth-token").unwrap();
    let other = home_cleared(&home);
    run(other
        .cmd(&sts)
        .args(["credential-process", "--profile", "ci"])
        .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri)
        .env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", &token_file))
    .expect_ok();
    // A wrong token: the endpoint refuses, awscred says so in one line.
    let third = home_cleared(&home);
    let r = run(third
        .cmd(&sts)
        .args(["export", "--profile", "ci"])
        .env("AWSCRED_TIMEOUT", "3")
        .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri)
        .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong"));
    r.expect_failure(
        6,
        "false\n",
        "no credentials from the container credentials endpoint",
    );
    assert_eq!(sts.calls("AssumeRole"), 2);
}

/// A home with the same config and an empty cache.
fn home_cleared(like: &Home) -> Home {
    let home = Home::new();
    fs::copy(
        like.path().join(".aws/config"),
        home.path().join(".aws/config"),
    )
    .unwrap();
    home
}

/// Hostile answers are refused like STS's: control characters, a short key id.
#[test]
fn a_hostile_metadata_answer_is_refused_before_any_request() {
    for (what, id) in [
        ("ESC in the key id", "ASIA\\u001b[2J00000001"),
        ("short key id", "ASIA"),
    ] {
        let (home, sts) = (home("EcsContainer"), FakeSts::start());
        let ecs = FakeMetadata::container(creds(id), "t0ken");
        let r = run(home
            .cmd(&sts)
            .args(["export", "--profile", "ci"])
            .env(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                format!("{}/creds", ecs.url()),
            )
            .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", "t0ken"));
        assert_ne!(r.code, 0, "{what}");
        assert_eq!(r.stdout, "false\n", "{what}");
        assert_eq!(r.stderr.lines().count(), 1, "{what}: {}", r.stderr);
        assert!(!r.stderr.chars().any(|c| c == '\u{1b}'), "{what}");
        assert!(sts.requests().is_empty(), "{what}: never signed with them");
    }
}

/// The role credentials are cached: the instance is asked once.
#[test]
fn role_credentials_on_the_instance_role_are_cached() {
    let (home, sts) = (home("Ec2InstanceMetadata"), FakeSts::start());
    let imds = FakeMetadata::imds(creds(INSTANCE_KEY), true);
    for _ in 0..3 {
        run(home
            .cmd(&sts)
            .args(["export", "--profile", "ci"])
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()))
        .expect_ok();
    }
    assert_eq!(sts.calls("AssumeRole"), 1);
}

/// Another container endpoint (or token) is another source: not the first
/// one's cached role credentials (review finding).
#[test]
fn another_container_endpoint_is_not_the_cached_one() {
    let (home, sts) = (home("EcsContainer"), FakeSts::start());
    let one = FakeMetadata::container(creds("ASIACONTAINERONE0001"), "t0ken");
    let two = FakeMetadata::container(creds("ASIACONTAINERTWO0002"), "t0ken");
    for ecs in [&one, &two, &one] {
        run(home
            .cmd(&sts)
            .args(["export", "--profile", "ci"])
            .env(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                format!("{}/creds", ecs.url()),
            )
            .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", "t0ken"))
        .expect_ok();
    }
    let signers: Vec<String> = sts
        .requests()
        .iter()
        .map(|r| r.access_key_id.clone())
        .collect();
    assert_eq!(
        signers,
        ["ASIACONTAINERONE0001", "ASIACONTAINERTWO0002"],
        "the third from the cache"
    );
}
