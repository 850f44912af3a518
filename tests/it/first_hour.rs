//! What a new user hits in the first hour (issue 25): a bare `awscred`,
//! habits from aws-vault and awsume, secrets printed to a terminal.

use crate::support::*;
use std::process::{Command, Stdio};

#[test]
fn a_bare_awscred_prints_the_short_help() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let r = run(&mut home.cmd(&sts));
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
    for part in [
        "Usage: awscred <COMMAND>",
        "Commands:",
        "  mfa ",
        "Examples:",
    ] {
        assert!(r.stderr.contains(part), "{part}: {}", r.stderr);
    }
    assert!(
        !r.stderr.contains("get-session-token --"),
        "short help only"
    );
}

/// `awscred exec work -- …` and `awscred mfa work`: the exact `--profile`
/// command, before anything is run or sent.
#[test]
fn a_profile_given_as_a_positional_argument_gets_the_profile_command() {
    let (home, sts) = (Home::new(), FakeSts::start());
    run(home
        .cmd(&sts)
        .args(["exec", "work", "--", "sh", "-c", "echo $0"]))
    .expect_failure(
        2,
        "",
        "`work` is a profile, not a command: run `awscred exec --profile work -- sh -c 'echo $0'`",
    );
    run(home.cmd(&sts).args(["exec", "plain"])).expect_failure(
        2,
        "",
        "run `awscred exec --profile plain`",
    );
    run(home.cmd(&sts).args(["mfa", "work"])).expect_failure(
        2,
        "false\n",
        "`work` is a profile, not an MFA code: run `awscred mfa --profile work`",
    );
    assert_eq!(sts.requests().len(), 0);
    // A word that is no profile stays what it was: a bad code, a command.
    run(home.cmd(&sts).args(["mfa", "nope"])).expect_failure(3, "false\n", "code");
    let r = run(home
        .cmd(&sts)
        .args(["exec", "--profile", "plain", "--", "true"]));
    r.expect_ok();
}

/// Runs `awscred ARGS` with stdout on a pseudo-terminal (util-linux
/// `script`): what the terminal shows, and the exit status.
fn on_terminal(home: &Home, sts: &FakeSts, args: &str) -> (Option<i32>, String) {
    let inner = format!("{} {args}", env!("CARGO_BIN_EXE_awscred"));
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &inner, "/dev/null"])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("SHELL", "/usr/bin/zsh")
        .env("AWSCRED_CACHE_DIR", home.cache_dir())
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .stdin(Stdio::null())
        .output()
        .expect("`script` (util-linux) is required");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// `awscred mfa 123456` typed without eval: the session is cached, the
/// secrets are not shown, and one line says how to load them.
#[test]
fn mfa_and_export_on_a_terminal_give_a_hint_instead_of_the_secrets() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let (code, shown) = on_terminal(&home, &sts, "mfa 123456");
    let (_, secret, _) = issued(1);
    assert_eq!(code, Some(2), "{shown}");
    assert!(!shown.contains(&secret), "{shown}");
    assert!(shown.contains("not printing credentials to the terminal (the session stays cached): run `eval \"$(awscred mfa)\"`, or add `eval \"$(awscred init zsh)\"` to ~/.zshrc"), "{shown}");
    assert_eq!(shown.lines().count(), 1, "{shown}");
    let (code, shown) = on_terminal(&home, &sts, "export --profile plain");
    assert_eq!(code, Some(2), "{shown}");
    assert!(!shown.contains("plainSecret"), "{shown}");
    assert!(
        shown.contains("`eval \"$(awscred export --profile plain)\"`"),
        "{shown}"
    );
    // Asked for by name, a format is printed wherever stdout is.
    let (code, shown) = on_terminal(&home, &sts, "export --format env");
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains(&secret), "{shown}");
    assert_eq!(sts.session_calls(), 1);
}

/// `list` with no profile anywhere says where it looked.
#[test]
fn list_without_profiles_names_the_files() {
    let (home, sts) = (Home::with("", ""), FakeSts::start());
    let r = run(home.cmd(&sts).arg("list"));
    r.expect_ok();
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.contains("no profiles in ~/.aws/config or ~/.aws/credentials: add one there (`aws configure`), or point AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE at your files"),
        "{}",
        r.stderr
    );
}

/// An unsafe cache directory that `XDG_CACHE_HOME` or the default chose:
/// the message names that, not "unset" a variable nobody set.
#[test]
fn an_unsafe_cache_directory_names_the_variable_that_chose_it() {
    use std::os::unix::fs::PermissionsExt;
    let (home, sts) = (Home::new(), FakeSts::start());
    let xdg = home.path().join("xdg");
    std::fs::create_dir_all(xdg.join("awscred")).unwrap();
    std::fs::set_permissions(xdg.join("awscred"), std::fs::Permissions::from_mode(0o777)).unwrap();
    let mut c = home.cmd(&sts);
    c.env_remove("AWSCRED_CACHE_DIR")
        .env("XDG_CACHE_HOME", &xdg);
    let r = run(c.args(["mfa", "123456"]));
    r.expect_failure(
        3,
        "false\n",
        "or change XDG_CACHE_HOME, which chose this directory",
    );
    assert!(!r.stderr.contains("unset it"), "{}", r.stderr);
    let default = home.path().join(".cache/awscred");
    std::fs::create_dir_all(&default).unwrap();
    std::fs::set_permissions(&default, std::fs::Permissions::from_mode(0o777)).unwrap();
    let mut c = home.cmd(&sts);
    c.env_remove("AWSCRED_CACHE_DIR");
    let r = run(c.args(["mfa", "123456"]));
    r.expect_failure(
        3,
        "false\n",
        "point AWSCRED_CACHE_DIR at a directory of your own (mkdir -m 700 DIR)",
    );
    assert!(!r.stderr.contains("unset it"), "{}", r.stderr);
}

/// `[work]` in the config file and `[profile lab]` in the credentials file
/// are no profile `work` or `lab`: asked for, the error names the file, the
/// line and the header to write; a misspelt key is named by `list`, with
/// the key it was meant to be and never a value.
#[test]
fn a_profile_in_the_wrong_form_and_a_misspelt_key_are_named() {
    let config = "[default]\nregion = eu-west-1\n\n[work]\nregion = eu-central-1\n\n[profile admin]\nrole_arm = arn:aws:iam::123456789012:role/admin\nsource_profil = default\nmfa_serail = arn:aws:iam::123456789012:mfa/alice\n";
    let credentials = "[default]\naws_access_key_id = AKIADEFAULTKEY000001\naws_secret_access_key = defaultSecret/abc+def\n\n[profile lab]\naws_access_key_id = AKIAPLAINKEY00000003\naws_secret_access_key = plainSecret\n";
    let (home, sts) = (Home::with(config, credentials), FakeSts::start());
    let cfg = home.path().join(".aws/config");
    let cred = home.path().join(".aws/credentials");
    run(home.cmd(&sts).args(["export", "--profile", "work"])).expect_failure(
        3,
        "false\n",
        &format!(
            "unknown profile `work`: {}:4 has [work], which the config file does not read as a profile: write [profile work] there",
            cfg.display()
        ),
    );
    run(home.cmd(&sts).args(["mfa", "--profile", "lab", "123456"])).expect_failure(
        3,
        "false\n",
        &format!(
            "unknown profile `lab`: {}:5 has [profile lab], which the credentials file reads as profile `profile lab`: write [lab] there",
            cred.display()
        ),
    );
    let r = run(home.cmd(&sts).arg("list"));
    r.expect_ok();
    let block = r
        .stdout
        .split("Keys no AWS tool reads (misspelt?):\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no block: {}", r.stdout));
    let c = cfg.display();
    assert_eq!(
        block,
        format!(
            "  {c}:8: [profile admin] `role_arm`: no AWS tool or awscred reads this key: did you mean `role_arn`?\n  {c}:9: [profile admin] `source_profil`: no AWS tool or awscred reads this key: did you mean `source_profile`?\n  {c}:10: [profile admin] `mfa_serail`: no AWS tool or awscred reads this key: did you mean `mfa_serial`?\n"
        )
    );
    assert!(
        !r.stdout.contains("arn:aws:iam::123456789012:role/admin"),
        "never a value"
    );
    assert_eq!(sts.requests().len(), 0);
}

/// A key in the encrypted file and an MFA device: on the terminal, the
/// passphrase is asked first, then the code (a code typed first could
/// expire while the passphrase is typed). Typed into a pseudo-terminal
/// (util-linux `script`), each answer only once its prompt is up.
#[test]
fn the_passphrase_is_asked_before_the_mfa_code() {
    use std::io::Write;
    use std::time::{Duration, Instant};
    const PASS: &str = "correct horse battery staple";
    let (home, sts) = (Home::new(), FakeSts::start());
    run(home.cmd(&sts).env("AWSCRED_KEYS_PASSPHRASE", PASS).args([
        "keys",
        "add",
        "--profile",
        "work",
        "--store",
        "file",
    ]))
    .expect_ok();
    let file = |name: &str| home.path().join(name);
    let inner = format!(
        "tty > '{tty}'; '{bin}' mfa --profile work > '{out}'; echo rc=$?",
        tty = file("tty").display(),
        bin = env!("CARGO_BIN_EXE_awscred"),
        out = file("out").display(),
    );
    let transcript = file("transcript");
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &inner, "/dev/null"])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWSCRED_CACHE_DIR", home.cache_dir())
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .stdin(Stdio::piped())
        .stdout(std::fs::File::create(&transcript).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("`script` (util-linux) is required");
    let start = Instant::now();
    let shown = || std::fs::read_to_string(&transcript).unwrap_or_default();
    let wait = |what: &str, done: &dyn Fn() -> bool| {
        while !done() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "waited too long for {what}: {:?}",
                shown()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let read = |name: &str| std::fs::read_to_string(file(name)).unwrap_or_default();
    wait("the terminal", &|| !read("tty").trim().is_empty());
    let tty = std::ffi::CString::new(read("tty").trim()).unwrap();
    let prompt_up = |label: &str| shown().contains(label) && !echo_is_on(&tty);
    let mut stdin = child.stdin.take().unwrap();
    wait("the first prompt", &|| {
        shown().contains("awscred: ") && !echo_is_on(&tty)
    });
    let first = shown();
    assert!(
        first.contains("passphrase of the encrypted key file") && !first.contains("MFA code"),
        "the passphrase first: {first:?}"
    );
    writeln!(stdin, "{PASS}").unwrap();
    wait("the MFA prompt", &|| prompt_up("MFA code for"));
    writeln!(stdin, "123456").unwrap();
    wait("the end", &|| shown().contains("rc="));
    let _ = child.wait();
    let all = shown();
    assert!(all.contains("rc=0"), "{all:?}");
    assert!(read("out").contains("AWS_SESSION_TOKEN"), "{all:?}");
    let reqs = sts.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].param("TokenCode"), Some("123456"));
    assert_eq!(reqs[0].access_key_id, "AKIAWORKKEY000000002");
}

/// Without a terminal (and no AWSCRED_KEYS_PASSPHRASE) the encrypted file
/// cannot open: `mfa` and `get-session-token` stop there, before
/// `mfa_process` is run for a code that would be wasted.
#[test]
fn no_code_is_asked_for_when_the_passphrase_cannot_be() {
    let marker = tempfile::tempdir().unwrap();
    let ran = marker.path().join("ran");
    let config = CONFIG.replace(
        "[profile work]\n",
        &format!(
            "[profile work]\nmfa_process = sh -c 'touch {}; echo 123456'\n",
            ran.display()
        ),
    );
    let (home, sts) = (Home::with(&config, CREDENTIALS), FakeSts::start());
    run(home
        .cmd(&sts)
        .env("AWSCRED_KEYS_PASSPHRASE", "correct horse battery staple")
        .args(["keys", "add", "--profile", "work", "--store", "file"]))
    .expect_ok();
    for (args, stdout) in [
        (&["mfa", "--profile", "work"][..], "false\n"),
        (&["get-session-token", "--profile", "work"][..], ""),
    ] {
        run(home.cmd(&sts).args(args)).expect_failure(
            3,
            stdout,
            "the encrypted key file needs its passphrase and there is no terminal to ask on",
        );
        assert!(
            !ran.exists(),
            "{args:?}: mfa_process ran before the passphrase"
        );
    }
    assert_eq!(sts.requests().len(), 0);
}

/// `list` says what each profile is, where its credentials come from and
/// where its key is kept, beside the columns it had.
#[test]
fn list_shows_the_kind_source_and_key_store_of_each_profile() {
    let config = format!(
        "{CONFIG}\n[profile admin]\nrole_arn = arn:aws:iam::111111111111:role/admin\nsource_profile = default\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n\n[profile deep]\nrole_arn = arn:aws:iam::111111111111:role/deep\nsource_profile = admin\n\n[profile box]\nrole_arn = arn:aws:iam::111111111111:role/box\ncredential_source = Ec2InstanceMetadata\n\n[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = ReadOnly\n\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n\n[profile proc]\ncredential_process = /bin/false --secret-arg\n\n[profile web]\nrole_arn = arn:aws:iam::111111111111:role/web\nweb_identity_token_file = /tmp/token\n\n[profile bare]\nregion = eu-west-1\n"
    );
    let (home, sts) = (Home::with(&config, CREDENTIALS), FakeSts::start());
    run(home
        .cmd(&sts)
        .env("AWSCRED_KEYS_PASSPHRASE", "correct horse battery staple")
        .args(["keys", "add", "--profile", "work", "--store", "file"]))
    .expect_ok();
    let r = run(home.cmd(&sts).arg("list"));
    r.expect_ok();
    let lines: Vec<Vec<char>> = r.stdout.lines().map(|l| l.chars().collect()).collect();
    let header: String = lines[0].iter().collect();
    let headers = [
        "PROFILE",
        "KIND",
        "SOURCE",
        "KEY STORE",
        "MFA SERIAL",
        "REGION",
        "SESSION",
    ];
    let starts: Vec<usize> = headers
        .iter()
        .map(|h| header.find(h).unwrap_or_else(|| panic!("{h}: {header}")))
        .collect();
    // Each row as its cells, cut at the header's columns.
    let rows: Vec<Vec<String>> = lines[1..]
        .iter()
        .take_while(|l| !l.is_empty())
        .map(|l| {
            (0..headers.len())
                .map(|i| {
                    let end = starts.get(i + 1).copied().unwrap_or(l.len()).min(l.len());
                    l[starts[i].min(end)..end]
                        .iter()
                        .collect::<String>()
                        .trim()
                        .to_string()
                })
                .collect()
        })
        .collect();
    let row = |name: &str| {
        rows.iter()
            .find(|r| r[0] == name)
            .unwrap_or_else(|| panic!("{name}: {}", r.stdout))
            .clone()
    };
    for (name, kind, source, store) in [
        ("default", "MFA user", "-", "credentials file"),
        ("plain", "IAM user", "-", "credentials file"),
        ("work", "MFA user", "-", "encrypted file"),
        ("admin", "role", "default", "credentials file"),
        ("deep", "role", "admin → default", "credentials file"),
        ("box", "role", "instance role", "-"),
        ("sso", "SSO", "-", "-"),
        ("proc", "process", "-", "-"),
        ("web", "web identity", "-", "-"),
        ("bare", "-", "-", "-"),
    ] {
        assert_eq!(
            row(name)[1..4],
            [kind, source, store],
            "{name}: {}",
            r.stdout
        );
    }
    assert_eq!(row("default")[4], "arn:aws:iam::123456789012:mfa/alice");
    assert_eq!(row("work")[5], "eu-central-1");
    assert_eq!(row("plain")[6], "none");
    assert!(!r.stdout.contains("--secret-arg"), "never a command line");
}
