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
