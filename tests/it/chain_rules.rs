//! The SDKs' assume-role rules, one row per case, against the fake STS: for
//! each profile, which key signed which AssumeRole (or the one-line error).
//! The rules are those of aws-config's `resolve_chain` and botocore's
//! `AssumeRoleProvider`, where the two agree.

use crate::support::*;
use std::fs;

/// One STS call: action, role (if any), the key id that signed it, and
/// parameters it must carry.
type Call = (
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static [(&'static str, &'static str)],
);

enum Expect {
    /// These calls in order; `credential-process` prints this key id.
    Calls(&'static [Call], &'static str),
    /// Exit code and a piece of the one stderr line.
    Fails(i32, &'static str),
}
use Expect::*;

struct Case {
    name: &'static str,
    config: &'static str,
    credentials: &'static str,
    profile: &'static str,
    env: &'static [(&'static str, &'static str)],
    expect: Expect,
}

const A_KEY: &str = "AKIAAAAAAAAAAAAAAAA1";
const B_KEY: &str = "AKIABBBBBBBBBBBBBBB2";
const C_KEY: &str = "AKIACCCCCCCCCCCCCCC3";
const ENV_KEY: &str = "AKIAENVENVENVENVENV4";
const ROLE_A: &str = "arn:aws:iam::111111111111:role/a";
const ROLE_B: &str = "arn:aws:iam::222222222222:role/b";
const ROLE_C: &str = "arn:aws:iam::333333333333:role/c";
/// The first and second role credentials the fake issues.
const ROLE_1: &str = "ASIAROLE00000001";
const ROLE_2: &str = "ASIAROLE00000002";
const ASSUME: &str = "AssumeRole";

/// Keys for profiles a, b and c in the credentials file.
const KEYS: &str = "[a]\naws_access_key_id = AKIAAAAAAAAAAAAAAAA1\naws_secret_access_key = secretA\n[b]\naws_access_key_id = AKIABBBBBBBBBBBBBBB2\naws_secret_access_key = secretB\n[c]\naws_access_key_id = AKIACCCCCCCCCCCCCCC3\naws_secret_access_key = secretC\n";
const B_AND_C_KEYS: &str = "[b]\naws_access_key_id = AKIABBBBBBBBBBBBBBB2\naws_secret_access_key = secretB\n[c]\naws_access_key_id = AKIACCCCCCCCCCCCCCC3\naws_secret_access_key = secretC\n";
const C_KEYS: &str =
    "[c]\naws_access_key_id = AKIACCCCCCCCCCCCCCC3\naws_secret_access_key = secretC\n";

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "static keys are used as they are",
            config: "[profile a]\nregion = eu-west-1\n",
            credentials: KEYS,
            profile: "a",
            env: &[],
            expect: Calls(&[], A_KEY),
        },
        Case {
            name: "the selected profile's keys are ignored when it sets source_profile",
            config: "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = b\n",
            credentials: KEYS,
            profile: "a",
            env: &[],
            expect: Calls(&[(ASSUME, Some(ROLE_A), B_KEY, &[("RoleSessionName", "awscred-a")])], ROLE_1),
        },
        Case {
            name: "role_session_name",
            config: "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = b\nrole_session_name = alice\n",
            credentials: B_AND_C_KEYS,
            profile: "a",
            env: &[],
            expect: Calls(&[(ASSUME, Some(ROLE_A), B_KEY, &[("RoleSessionName", "alice")])], ROLE_1),
        },
        Case {
            name: "external_id",
            config: "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = b\nexternal_id = ext-7\n",
            credentials: B_AND_C_KEYS,
            profile: "a",
            env: &[],
            expect: Calls(&[(ASSUME, Some(ROLE_A), B_KEY, &[("ExternalId", "ext-7")])], ROLE_1),
        },
        Case {
            name: "a profile naming itself as its source signs with its own keys",
            config: "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = a\n",
            credentials: KEYS,
            profile: "a",
            env: &[],
            expect: Calls(&[(ASSUME, Some(ROLE_A), A_KEY, &[])], ROLE_1),
        },
        Case {
            name: "credential_source = Environment signs with the environment's keys",
            config: "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\ncredential_source = Environment\n",
            credentials: KEYS,
            profile: "a",
            env: &[("AWS_ACCESS_KEY_ID", ENV_KEY), ("AWS_SECRET_ACCESS_KEY", "secretEnv")],
            expect: Calls(&[(ASSUME, Some(ROLE_A), ENV_KEY, &[])], ROLE_1),
        },
        Case {
            name: "credential_source = Environment without keys in the environment",
            config: "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\ncredential_source = Environment\n",
            credentials: KEYS,
            profile: "a",
            env: &[],
            expect: Fails(3, "credential_source = Environment needs long-term AWS_ACCESS_KEY_ID"),
        },
        // Ec2InstanceMetadata and EcsContainer: tests/it/metadata_sources.rs,
        // against fake endpoints (never the real 169.254.169.254).
        Case {
            name: "an unknown credential_source is refused",
            config: "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\ncredential_source = Ec2Metadata\n",
            credentials: KEYS,
            profile: "a",
            env: &[],
            expect: Fails(3, "credential_source = Ec2Metadata is not one awscred knows"),
        },
        Case {
            name: "role_arn without a source",
            config: "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\n",
            credentials: B_AND_C_KEYS,
            profile: "a",
            env: &[],
            expect: Fails(3, "profile `a` has role_arn but no source_profile"),
        },
        Case {
            name: "source_profile and credential_source both",
            config: "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = b\ncredential_source = Environment\n",
            credentials: KEYS,
            profile: "a",
            env: &[],
            expect: Fails(3, "profile `a` sets both source_profile and credential_source"),
        },
        Case {
            name: "partial keys: no secret",
            config: "",
            credentials: "[a]\naws_access_key_id = AKIAAAAAAAAAAAAAAAA1\n",
            profile: "a",
            env: &[],
            expect: Fails(3, "sets aws_access_key_id but not aws_secret_access_key"),
        },
        Case {
            name: "partial keys: no key id, on a source",
            config: "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = b\n",
            credentials: "[b]\naws_secret_access_key = secretB\n",
            profile: "a",
            env: &[],
            expect: Fails(3, "sets aws_secret_access_key but not aws_access_key_id"),
        },
        Case {
            name: "an empty source profile",
            config: "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = b\n[profile b]\n",
            credentials: C_KEYS,
            profile: "a",
            env: &[],
            expect: Fails(3, "profile `b` has no long-term keys"),
        },
        Case {
            name: "a missing source profile",
            config: "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = nowhere\n",
            credentials: KEYS,
            profile: "a",
            env: &[],
            expect: Fails(3, "source_profile `nowhere` does not exist"),
        },
        Case {
            name: "a chain of two roles",
            config: "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::222222222222:role/b\nsource_profile = c\n",
            credentials: C_KEYS,
            profile: "a",
            env: &[],
            expect: Calls(
                &[(ASSUME, Some(ROLE_B), C_KEY, &[]), (ASSUME, Some(ROLE_A), ROLE_1, &[])],
                ROLE_2,
            ),
        },
        Case {
            name: "a source with its own keys is used as it is, though it has role_arn",
            config: "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::222222222222:role/b\nsource_profile = c\n",
            credentials: B_AND_C_KEYS,
            profile: "a",
            env: &[],
            expect: Calls(&[(ASSUME, Some(ROLE_A), B_KEY, &[])], ROLE_1),
        },
        Case {
            name: "a source with its own keys, three roles deep",
            config: "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::222222222222:role/b\nsource_profile = c\n[profile c]\nrole_arn = arn:aws:iam::333333333333:role/c\nsource_profile = a\n",
            credentials: C_KEYS,
            profile: "a",
            env: &[],
            expect: Calls(
                &[(ASSUME, Some(ROLE_B), C_KEY, &[]), (ASSUME, Some(ROLE_A), ROLE_1, &[])],
                ROLE_2,
            ),
        },
        Case {
            name: "a loop without keys",
            config: "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::222222222222:role/b\nsource_profile = a\n",
            credentials: C_KEYS,
            profile: "a",
            env: &[],
            expect: Fails(3, "source_profile loop: a → b → a"),
        },
        Case {
            name: "a loop back to the selected profile, which has keys",
            config: "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::222222222222:role/b\nsource_profile = a\n",
            credentials: KEYS.split("[b]").next().unwrap_or(""),
            profile: "a",
            env: &[],
            expect: Fails(3, "source_profile loop: a → b → a"),
        },
        Case {
            name: "a loop that a source with keys ends",
            config: "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::222222222222:role/b\nsource_profile = a\n",
            credentials: B_AND_C_KEYS,
            profile: "a",
            env: &[],
            expect: Calls(&[(ASSUME, Some(ROLE_A), B_KEY, &[])], ROLE_1),
        },
        Case {
            name: "a self-referential source without keys",
            config: "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::222222222222:role/b\nsource_profile = b\n",
            credentials: C_KEYS,
            profile: "a",
            env: &[],
            expect: Fails(3, "profile `b` has no long-term keys"),
        },
        Case {
            name: "role C's keys are in the config file",
            config: "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = c\n[profile c]\naws_access_key_id = AKIACCCCCCCCCCCCCCC3\naws_secret_access_key = secretC\nrole_arn = arn:aws:iam::333333333333:role/c\nsource_profile = b\n",
            credentials: "",
            profile: "a",
            env: &[],
            expect: Calls(&[(ASSUME, Some(ROLE_A), C_KEY, &[])], ROLE_1),
        },
    ]
}

#[test]
fn assume_role_chains_sign_with_the_key_the_sdks_use() {
    let _ = ROLE_C;
    let mut failures = Vec::new();
    for case in cases() {
        let home = Home::with(case.config, case.credentials);
        let sts = FakeSts::start();
        let r = run(home
            .cmd(&sts)
            .args(["credential-process", "--profile", case.profile])
            .envs(case.env.iter().copied()));
        if let Err(why) = check(&case, &r, &sts) {
            failures.push(format!("{}: {why}", case.name));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn check(case: &Case, r: &Run, sts: &FakeSts) -> Result<(), String> {
    let seen: Vec<String> = sts
        .requests()
        .iter()
        .map(|q| {
            format!(
                "{} {} by {}",
                q.param("Action").unwrap_or("-"),
                q.param("RoleArn").unwrap_or("-"),
                q.access_key_id
            )
        })
        .collect();
    match &case.expect {
        Fails(code, message) => {
            if r.code != *code || !r.stderr.contains(message) || r.stderr.lines().count() != 1 {
                return Err(format!(
                    "expected exit {code} with `{message}`, got {} {:?} (calls {seen:?})",
                    r.code, r.stderr
                ));
            }
        }
        Calls(calls, key) => {
            if r.code != 0 {
                return Err(format!("exit {}: {:?} (calls {seen:?})", r.code, r.stderr));
            }
            let reqs = sts.requests();
            let want: Vec<String> = calls
                .iter()
                .map(|(a, role, by, _)| format!("{a} {} by {by}", role.unwrap_or("-")))
                .collect();
            if want != seen {
                return Err(format!("calls {seen:?}, expected {want:?}"));
            }
            for ((_, _, _, params), q) in calls.iter().zip(&reqs) {
                for (k, v) in params.iter() {
                    if q.param(k) != Some(v) {
                        return Err(format!("{k} = {:?}, expected {v}", q.param(k)));
                    }
                }
            }
            let out: serde_json::Value =
                serde_json::from_str(&r.stdout).map_err(|e| format!("{e}: {}", r.stdout))?;
            if out["AccessKeyId"] != *key {
                return Err(format!("handed out {}, expected {key}", out["AccessKeyId"]));
            }
        }
    }
    Ok(())
}

/// Web identity, as the profile and as a source: the SDK makes the
/// AssumeRoleWithWebIdentity call (unsigned), awscred the roles above it.
#[test]
fn web_identity_as_the_profile_and_as_a_source() {
    let home = Home::new();
    let token = home.path().join("token.jwt");
    fs::write(&token, "eyJhbGciOiJIUzI1NiJ9.e30.sig").unwrap();
    let config = format!(
        "[profile ci]\nrole_arn = {ROLE_C}\nweb_identity_token_file = {}\n[profile on-ci]\nrole_arn = {ROLE_A}\nsource_profile = ci\nexternal_id = ext-ci\n",
        token.display()
    );
    fs::write(home.path().join(".aws/config"), config).unwrap();
    for (profile, want, key) in [
        (
            "ci",
            vec![("AssumeRoleWithWebIdentity", ROLE_C, "")],
            ROLE_1,
        ),
        (
            "on-ci",
            vec![
                ("AssumeRoleWithWebIdentity", ROLE_C, ""),
                ("AssumeRole", ROLE_A, ROLE_1),
            ],
            ROLE_2,
        ),
    ] {
        let sts = FakeSts::start();
        let r = run(home
            .cmd(&sts)
            .args(["credential-process", "--profile", profile]));
        r.expect_ok();
        let seen: Vec<(String, String, String)> = sts
            .requests()
            .iter()
            .map(|q| {
                (
                    q.param("Action").unwrap_or("").to_string(),
                    q.param("RoleArn").unwrap_or("").to_string(),
                    q.access_key_id.clone(),
                )
            })
            .collect();
        let want: Vec<(String, String, String)> = want
            .iter()
            .map(|(a, r, k)| (a.to_string(), r.to_string(), k.to_string()))
            .collect();
        assert_eq!(seen, want, "{profile}");
        if profile == "on-ci" {
            assert_eq!(sts.requests()[1].param("ExternalId"), Some("ext-ci"));
        }
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["AccessKeyId"], key, "{profile}");
    }
}

/// An SSO profile that names no account or role is a configuration error
/// (exit 3), whatever the state of the login, not "log in again".
#[test]
fn an_sso_profile_without_account_or_role_is_a_configuration_error() {
    let session = "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n";
    for (settings, missing) in [
        ("", "sso_account_id and sso_role_name"),
        ("sso_account_id = 123456789012\n", "sso_role_name"),
        ("sso_role_name = ReadOnly\n", "sso_account_id"),
    ] {
        for profile in ["sso", "on-sso"] {
            let config = format!(
                "[profile sso]\nsso_session = corp\n{settings}[profile on-sso]\nrole_arn = {ROLE_A}\nsource_profile = sso\n{session}"
            );
            let (home, sts) = (Home::with(&config, ""), FakeSts::start());
            let r = run(home
                .cmd(&sts)
                .args(["export", "--profile", profile])
                .env("AWS_ENDPOINT_URL_SSO", sts.url()));
            r.expect_failure(
                3,
                "false\n",
                &format!("profile `sso` uses IAM Identity Center but names no {missing}"),
            );
            assert!(
                r.stderr.contains("or run `awscred sso populate`"),
                "{}",
                r.stderr
            );
            assert!(sts.requests().is_empty());
        }
    }
}
