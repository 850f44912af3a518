use super::files::config_profile_name;
use super::*;
use crate::error::kind_of;
use std::path::PathBuf;

fn files(config: &str, credentials: &str) -> Files {
    let f = |p: &str, t: &str| File::parse(PathBuf::from(p), t.to_string()).unwrap();
    Files::new(
        f("/h/.aws/config", config),
        f("/h/.aws/credentials", credentials),
    )
}

const CONFIG: &str = "[default]\nregion = eu-west-1\n[profile work]\nmfa_serial = arn:aws:iam::111111111111:mfa/me\nduration_seconds = 7200\nregion = eu-central-1\n[profile nokeys]\nregion = us-west-2\n[profile temp]\n[sso-session x]\n";
const CREDS: &str = "[default]\naws_access_key_id = AKIADEFAULT000000000\naws_secret_access_key = sd\n[work]\naws_access_key_id = AKIAWORK000000000000\naws_secret_access_key = sw\n[temp]\naws_access_key_id = ASIATEMP\naws_secret_access_key = st\naws_session_token = tok\n";

fn resolve_with(env: &[(&str, &str)], opts: Options) -> Result<Resolved> {
    resolve(
        &files(CONFIG, CREDS),
        &Env::from_pairs(env.iter().copied()),
        &opts,
    )
}

#[test]
fn profile_precedence_flag_env_default() {
    let env = Env::from_pairs([("AWS_PROFILE", "a"), ("AWS_DEFAULT_PROFILE", "b")]);
    assert_eq!(
        profile_name(
            &Options {
                profile: Some("f"),
                ..Default::default()
            },
            &env
        )
        .unwrap(),
        ("f", Some("--profile"))
    );
    assert_eq!(
        profile_name(&Options::default(), &env).unwrap(),
        ("a", Some("AWS_PROFILE"))
    );
    let env = Env::from_pairs([("AWS_PROFILE", ""), ("AWS_DEFAULT_PROFILE", "b")]);
    assert_eq!(
        profile_name(&Options::default(), &env).unwrap(),
        ("b", Some("AWS_DEFAULT_PROFILE"))
    );
    // The shell's awscred session comes after the AWS CLI's variables.
    let env = Env::from_pairs([("AWSCRED_PROFILE", "lab")]);
    assert_eq!(
        profile_name(&Options::default(), &env).unwrap(),
        ("lab", Some("AWSCRED_PROFILE"))
    );
    let env = Env::from_pairs([("AWSCRED_PROFILE", "lab"), ("AWS_PROFILE", "a")]);
    assert_eq!(profile_name(&Options::default(), &env).unwrap().0, "a");
    assert_eq!(
        profile_name(&Options::default(), &Env::default()).unwrap(),
        ("default", None)
    );
}

#[test]
fn profile_settings_come_from_both_files() {
    let r = resolve_with(&[("AWS_PROFILE", "work")], Options::default()).unwrap();
    assert_eq!(r.profile, "work");
    assert_eq!(r.keys.access_key_id, "AKIAWORK000000000000");
    assert_eq!(
        r.mfa_serial.as_deref(),
        Some("arn:aws:iam::111111111111:mfa/me")
    );
    assert_eq!(r.duration_seconds, Some(7200));
    assert_eq!(
        (r.region.as_str(), r.region_configured),
        ("eu-central-1", true)
    );
    assert_eq!(r.endpoint_url, None);
}

#[test]
fn flags_beat_env_beat_files() {
    let env = [
        ("AWS_PROFILE", "work"),
        ("AWS_MFA_SERIAL_NUMBER", "arn:aws:iam::2:mfa/env"),
        ("AWS_REGION", "ap-south-1"),
        ("AWS_DEFAULT_REGION", "sa-east-1"),
    ];
    let r = resolve_with(&env, Options::default()).unwrap();
    assert_eq!(r.mfa_serial.as_deref(), Some("arn:aws:iam::2:mfa/env"));
    assert_eq!(r.region, "ap-south-1");
    let opts = Options {
        serial_number: Some("arn:aws:iam::3:mfa/flag"),
        duration_seconds: Some(900),
        region: Some("us-west-1"),
        ..Default::default()
    };
    let r = resolve_with(&env, opts).unwrap();
    assert_eq!(r.mfa_serial.as_deref(), Some("arn:aws:iam::3:mfa/flag"));
    assert_eq!(r.duration_seconds, Some(900));
    assert_eq!(r.region, "us-west-1");
    let r = resolve_with(&[("AWS_DEFAULT_REGION", "sa-east-1")], Options::default()).unwrap();
    assert_eq!(r.region, "sa-east-1");
}

#[test]
fn region_falls_back_to_us_east_1_unexported() {
    let f = files(
        "",
        "[default]\naws_access_key_id = AKIA1000000000000000\naws_secret_access_key = s\n",
    );
    let r = resolve(&f, &Env::default(), &Options::default()).unwrap();
    assert_eq!(
        (r.region.as_str(), r.region_configured),
        ("us-east-1", false)
    );
}

#[test]
fn long_term_env_keys_are_the_base_without_a_profile_flag() {
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIAENV0000000000000"),
        ("AWS_SECRET_ACCESS_KEY", "se"),
        ("AWS_PROFILE", "work"),
    ];
    assert_eq!(
        resolve_with(&env, Options::default())
            .unwrap()
            .keys
            .access_key_id,
        "AKIAENV0000000000000"
    );
    let opts = Options {
        profile: Some("work"),
        ..Default::default()
    };
    assert_eq!(
        resolve_with(&env, opts).unwrap().keys.access_key_id,
        "AKIAWORK000000000000"
    );
}

#[test]
fn session_keys_in_env_are_ignored() {
    for env in [
        vec![
            ("AWS_ACCESS_KEY_ID", "ASIASESSION"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
            ("AWS_SESSION_TOKEN", "t"),
        ],
        vec![
            ("AWS_ACCESS_KEY_ID", "AKIALOOKSLONG0000000"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
            ("AWS_SESSION_TOKEN", "t"),
        ],
        vec![
            ("AWS_ACCESS_KEY_ID", "ASIANOTOKEN"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
        ],
    ] {
        let r = resolve_with(&env, Options::default()).unwrap();
        assert_eq!(r.keys.access_key_id, "AKIADEFAULT000000000", "{env:?}");
    }
}

#[test]
fn only_temporary_credentials_is_an_error() {
    let env = [
        ("AWS_ACCESS_KEY_ID", "ASIA1"),
        ("AWS_SECRET_ACCESS_KEY", "x"),
        ("AWS_SESSION_TOKEN", "t"),
    ];
    let e = resolve(&files("", ""), &Env::from_pairs(env), &Options::default()).unwrap_err();
    assert!(e.to_string().contains("temporary and were ignored"), "{e}");
    let e = resolve_with(
        &[],
        Options {
            profile: Some("temp"),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("holds temporary credentials"), "{e}");
    assert_eq!(kind_of(&e), Kind::Input);
    // botocore's older name for the token marks a session too, whatever the key id.
    let legacy = "[old]\naws_access_key_id = AKIAOLD0000000000000\naws_secret_access_key = s\naws_security_token = tok\n";
    let opts = Options {
        profile: Some("old"),
        ..Default::default()
    };
    let e = resolve(&files("", legacy), &Env::default(), &opts).unwrap_err();
    assert!(e.to_string().contains("holds temporary credentials"), "{e}");
}

#[test]
fn debug_output_never_holds_a_secret() {
    let env = [
        ("AWS_SECRET_ACCESS_KEY", "envSECRETenvSECRET"),
        ("AWS_PROFILE", "work"),
    ];
    let f = files(
        "[profile work]\nmfa_serial = arn:aws:iam::1:mfa/me\nmfa_process = oathtool --totp SEEDSEEDSEED\n",
        "[work]\naws_access_key_id = AKIAWORKWORKWORK\naws_secret_access_key = fileSECRETfileSECRET\n",
    );
    let r = resolve(&f, &Env::from_pairs(env), &Options::default()).unwrap();
    let shown = format!("{:?} {r:?} {f:?}", Env::from_pairs(env));
    for secret in ["envSECRET", "fileSECRET", "SEEDSEED"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("AWS_PROFILE") && shown.contains("AKIAWORKWORKWORK"));
}

#[test]
fn unknown_profile_lists_known_ones() {
    let e = resolve_with(&[("AWS_PROFILE", "nope")], Options::default()).unwrap_err();
    assert_eq!(e.to_string(), "unknown profile `nope` (known profiles: default, nokeys, temp, work): check AWS_PROFILE, or add it to /h/.aws/credentials");
}

/// A source profile written in the other file's form is named with the
/// header to write, as an asked-for one is.
#[test]
fn a_misplaced_source_profile_names_the_header_to_write() {
    let f = files(
        "[profile admin]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = base\n[base]\n",
        "[profile other]\naws_access_key_id = AKIAOTHER00000000000\naws_secret_access_key = so\n",
    );
    let admin = Options {
        profile: Some("admin"),
        ..Default::default()
    };
    let e = resolve(&f, &Env::default(), &admin).unwrap_err();
    assert_eq!(e.to_string(), "/h/.aws/config:3: source_profile `base` does not exist: /h/.aws/config:4 has [base], which the config file does not read as a profile: write [profile base] there");
    assert_eq!(
        f.misplaced("other").as_deref(),
        Some("/h/.aws/credentials:1 has [profile other], which the credentials file reads as profile `profile other`: write [other] there")
    );
    assert_eq!(f.misplaced("admin"), None);
    assert!(f.misspelled().is_empty());
}

#[test]
fn profile_without_keys_is_an_error() {
    let e = resolve_with(
        &[],
        Options {
            profile: Some("nokeys"),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("profile `nokeys` has no long-term keys"),
        "{e}"
    );
}

#[test]
fn validation_errors_name_the_origin() {
    let f = files(
        "[default]\nduration_seconds = 60\n",
        "[default]\naws_access_key_id = AKIA1000000000000000\naws_secret_access_key = s\n",
    );
    let e = resolve(&f, &Env::default(), &Options::default()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/h/.aws/config:2: duration 60 is out of range"),
        "{e}"
    );
    let f = files("[default]\nduration_seconds = 1h\n", CREDS);
    let e = resolve(&f, &Env::default(), &Options::default()).unwrap_err();
    assert!(
        e.to_string()
            .contains("/h/.aws/config:2: duration_seconds `1h` is not a whole number"),
        "{e}"
    );
    let e = resolve(
        &files("[default]\nmfa_serial = x y\n", CREDS),
        &Env::default(),
        &Options::default(),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("/h/.aws/config:2: not an MFA serial"),
        "{e}"
    );
}

#[test]
fn endpoint_precedence() {
    let cfg = "[default]\nservices = dev\nendpoint_url = http://127.0.0.1:3\n[services dev]\nsts =\n  endpoint_url = http://127.0.0.1:2\n";
    let f = files(
        cfg,
        "[default]\naws_access_key_id = AKIA1000000000000000\naws_secret_access_key = s\n",
    );
    let ep = |env: &[(&str, &str)]| {
        endpoint_url(&f, &Env::from_pairs(env.iter().copied()), "default").unwrap()
    };
    assert_eq!(ep(&[]).as_deref(), Some("http://127.0.0.1:2"));
    assert_eq!(
        ep(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:1")]).as_deref(),
        Some("http://127.0.0.1:1")
    );
    assert_eq!(
        ep(&[
            ("AWS_ENDPOINT_URL", "http://localhost:9"),
            ("AWS_ENDPOINT_URL_STS", "https://b")
        ])
        .as_deref(),
        Some("https://b")
    );
    assert_eq!(
        ep(&[
            ("AWS_ENDPOINT_URL_STS", "https://b"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
        ]),
        None
    );
    let f2 = files("[default]\nendpoint_url = http://127.0.0.1:3\n", "");
    assert_eq!(
        endpoint_url(&f2, &Env::default(), "default")
            .unwrap()
            .as_deref(),
        Some("http://127.0.0.1:3")
    );
    assert!(endpoint_url(
        &f2,
        &Env::from_pairs([("AWS_ENDPOINT_URL", "ftp://x")]),
        "default"
    )
    .is_err());
}

#[test]
fn which_profiles_go_to_the_sdk_chain() {
    let cfg = "[profile sso]\nsso_session = corp\n[profile on-sso]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = sso\n[profile proc]\ncredential_process = x\n[profile web]\nrole_arn = arn:aws:iam::1:role/w\nweb_identity_token_file = /t\n[profile mfa-on-sso]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = sso\nmfa_serial = arn:aws:iam::1:mfa/me\n[profile on-keys]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = default\n[profile l1]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = l2\n[profile l2]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = l1\n";
    let f = files(cfg, CREDS);
    for p in ["sso", "on-sso", "proc", "web"] {
        assert!(f.uses_sdk_chain(p), "{p}");
    }
    for p in ["default", "work", "mfa-on-sso", "on-keys", "l1", "nope"] {
        assert!(!f.uses_sdk_chain(p), "{p}");
    }
    assert!(f.uses_sso("on-sso") && !f.uses_sso("proc") && !f.uses_sso("l1"));
}

#[test]
fn config_profile_sections() {
    assert_eq!(config_profile_name("default"), Some("default"));
    assert_eq!(config_profile_name("profile  a"), Some("a"));
    assert_eq!(config_profile_name("sso-session a"), None);
    assert_eq!(config_profile_name("profile a b"), None);
    assert_eq!(config_profile_name("work"), None);
}

/// `[profile foo]` and `[profile  foo]` (or a tab, or `"foo"`) name one
/// profile: a duplicate section, like an exact repeat. The SDKs and the AWS
/// CLI take the last; awscred took the first without a word.
#[test]
fn headers_naming_one_profile_are_a_duplicate_section() {
    for (text, line, first) in [
        ("[profile foo]\na = 1\n[profile  foo]\nb = 2\n", 3, 1),
        ("[profile\tfoo]\n[profile foo]\n", 2, 1),
        ("[profile foo]\n[profile \"foo\"]\n", 2, 1),
        ("[profile  foo]\n\n[profile   foo ]\n", 3, 1),
        ("[profile 'foo']\n[profile \"foo\"]\n", 2, 1),
    ] {
        let e = File::parse(PathBuf::from("/h/.aws/config"), text.to_string()).unwrap_err();
        assert_eq!(kind_of(&e), crate::error::Kind::Input);
        let want = format!(
            "/h/.aws/config:{line}: duplicate section (profile `foo`, first at line {first}): merge the two"
        );
        assert_eq!(e.to_string(), want, "{text:?}");
    }
    // Not the same profile to the SDKs: `[default]` and `[profile default]`.
    assert!(File::parse(
        PathBuf::from("/h/.aws/config"),
        "[default]\n[profile default]\n".into()
    )
    .is_ok());
}

/// The AWS CLI splits a header as a shell would: `[profile "foo bar"]` is
/// profile `foo bar`. awscred reads it so; anything a shell would unquote
/// otherwise is no profile.
#[test]
fn quoted_profile_names_are_read_as_the_aws_cli_reads_them() {
    let f = files(
        "[profile \"foo bar\"]\nregion = eu-west-1\n[profile 'baz']\nregion = us-west-2\n[profile \"bad]\nregion = x\n[profile a\"b\"]\n",
        "",
    );
    assert_eq!(f.get("foo bar", "region").unwrap().value, "eu-west-1");
    assert_eq!(f.get("baz", "region").unwrap().value, "us-west-2");
    assert_eq!(f.profile_names(), ["baz", "foo bar"]);
    assert_eq!(config_profile_name("profile \"a b\""), Some("a b"));
    for name in [
        "profile \"\"",
        "profile \"a",
        "profile a\\b",
        "profile \"a\\\"b\"",
    ] {
        assert_eq!(config_profile_name(name), None, "{name}");
    }
}

/// `AWSCRED_MFA_PROMPT` > the profile's `mfa_prompt` > its source's > auto;
/// a value awscred does not know names where it was set (exit 3).
#[test]
fn mfa_prompt_precedence_and_validation() {
    use crate::dialog::Dialog;
    use crate::prompt::Mode;
    let f = files(
        "[profile base]\nmfa_prompt = kdialog\n[profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n[profile own]\nmfa_prompt = terminal\n[profile bad]\nmfa_prompt = popup\n",
        "[base]\naws_access_key_id = AKIABASEBASEBASE\naws_secret_access_key = s\n[own]\naws_access_key_id = AKIAOWNOWNOWNOWN\naws_secret_access_key = s\n[bad]\naws_access_key_id = AKIABADBADBADBAD\naws_secret_access_key = s\n",
    );
    let mode = |env: &[(&str, &str)], profile: &str| {
        resolve(
            &f,
            &Env::from_pairs(env.iter().copied()),
            &Options {
                profile: Some(profile),
                ..Options::default()
            },
        )
        .map(|r| r.mfa_prompt)
    };
    assert_eq!(mode(&[], "own").unwrap(), Mode::Terminal);
    assert_eq!(
        mode(&[], "role").unwrap(),
        Mode::Dialog(Dialog::Kdialog),
        "from the source"
    );
    assert_eq!(
        mode(&[("AWSCRED_MFA_PROMPT", "zenity")], "own").unwrap(),
        Mode::Dialog(Dialog::Zenity)
    );
    assert_eq!(
        mode(&[("AWSCRED_MFA_PROMPT", "")], "own").unwrap(),
        Mode::Terminal,
        "empty is unset"
    );
    let e = mode(&[], "bad").unwrap_err();
    assert!(e.to_string().contains("mfa_prompt must be auto, terminal, zenity, kdialog, osascript, windows or none, not `popup`"), "{e}");
    assert!(e.to_string().contains("config"), "names the file: {e}");
    let e = mode(&[("AWSCRED_MFA_PROMPT", "Zenity")], "own").unwrap_err();
    assert!(e.to_string().starts_with("AWSCRED_MFA_PROMPT: "), "{e}");
    for name in [
        "auto",
        "terminal",
        "zenity",
        "kdialog",
        "osascript",
        "windows",
        "none",
    ] {
        assert!(Mode::parse(name, "x").is_ok(), "{name}");
    }
}
