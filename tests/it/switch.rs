//! `awscred switch`: a named profile's credentials as exports through every
//! shell's `init` wrapper; without a name, the fuzzy picker under tmux.

use crate::support::*;
use std::path::Path;
use std::process::Command;

fn path_with_awscred() -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_awscred")).parent().unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// `switch plain` changes the shell in bash, zsh, fish and Nushell.
#[test]
fn switch_by_name_changes_the_shell_through_init() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let init_nu = run(home.cmd(&sts).args(["init", "nu"]));
    std::fs::write(home.path().join("awscred.nu"), &init_nu.expect_ok().stdout).unwrap();
    let cases: &[(&str, &[&str], &str)] = &[
        ("bash", &["--noprofile", "--norc", "-c"], "eval \"$(awscred init bash)\"; awscred switch plain; echo \"id=$AWS_ACCESS_KEY_ID p=$AWSCRED_PROFILE\""),
        ("zsh", &["-f", "-c"], "eval \"$(awscred init zsh)\"; awscred switch plain; echo \"id=$AWS_ACCESS_KEY_ID p=$AWSCRED_PROFILE\""),
        ("fish", &["--no-config", "-c"], "awscred init fish | source; awscred switch plain; echo \"id=$AWS_ACCESS_KEY_ID p=$AWSCRED_PROFILE\""),
        ("nu", &["--no-config-file", "--no-std-lib", "-c"], "source ~/awscred.nu; awscred switch plain; print $\"id=($env.AWS_ACCESS_KEY_ID) p=($env.AWSCRED_PROFILE)\""),
    ];
    for (shell, args, script) in cases {
        let out = Command::new(shell)
            .args(*args)
            .arg(script)
            .env_clear()
            .env("PATH", path_with_awscred())
            .env("HOME", home.path())
            .env("AWSCRED_CACHE_DIR", home.cache_dir())
            .env("AWS_ENDPOINT_URL_STS", sts.url())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("id=AKIAPLAINKEY00000003 p=plain"),
            "{shell}: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A profile with an MFA device and no session: switch gets one (as
/// credential-process does); no name and no terminal: the list, exit 2.
#[test]
fn switch_gets_a_session_and_lists_without_a_terminal() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let r = run(home
        .cmd(&sts)
        .env("AWS_MFA_TOKEN_CODE", "123456")
        .args(["switch", "work", "--format", "env"]));
    r.expect_ok();
    assert!(r.stdout.contains(&issued(1).0), "{}", r.stdout);
    assert_eq!(sts.requests()[0].param("TokenCode"), Some("123456"));
    run(home.cmd(&sts).arg("switch")).expect_failure(
        2,
        "false\n",
        "name the profile: `awscred switch PROFILE` (profiles: work, default, plain)",
    );
}

/// The picker under tmux: rows with kind, account and time left; valid
/// sessions first, then the most recent; typing filters, Enter picks and the
/// wrapper changes the shell; Esc cancels with nothing changed.
#[test]
fn the_picker_orders_filters_picks_and_cancels() {
    let (home, sts) = (Home::new(), FakeSts::start());
    // work: a valid session; plain: used last.
    run(home
        .cmd(&sts)
        .args(["mfa", "--profile", "work", "123456", "--format", "env"]))
    .expect_ok();
    run(home.cmd(&sts).args(["switch", "plain", "--format", "env"])).expect_ok();
    let vars = |tmux_cmd: &str| {
        Tmux::start(
            tmux_cmd,
            &[
                ("HOME", &home.path().display().to_string()),
                ("AWSCRED_CACHE_DIR", &home.cache_dir().display().to_string()),
                ("AWS_ENDPOINT_URL_STS", &sts.url()),
                ("PATH", &path_with_awscred()),
            ],
        )
    };
    let script = "bash --noprofile --norc -c 'eval \"$(awscred init bash)\"; awscred switch; echo \"rc=$? p=${AWSCRED_PROFILE-none}\"; exec sleep 600'";
    let tmux = vars(script);
    let screen = tmux.wait_for("switch to");
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| ["work", "plain", "default"].iter().any(|n| l.contains(n)))
        .collect();
    assert_eq!(rows.len(), 3, "{screen}");
    assert!(
        rows[0].contains("work")
            && rows[0].contains("MFA user")
            && rows[0].contains("210987654321")
            && rows[0].contains("left"),
        "{screen}"
    );
    assert!(
        rows[1].contains("plain") && rows[1].contains("keys"),
        "{screen}"
    );
    assert!(
        rows[2].contains("default")
            && rows[2].contains("MFA user")
            && rows[2].contains("123456789012"),
        "{screen}"
    );
    tmux.type_text("pla");
    tmux.wait_for("pla");
    tmux.press(&["Enter"]);
    let screen = tmux.wait_for("rc=");
    assert!(screen.contains("rc=0 p=plain"), "{screen}");
    assert!(
        screen.contains("awscred: profile plain: AKIAPLAI… long-term key"),
        "{screen}"
    );
    drop(tmux);

    let tmux = vars(script);
    tmux.wait_for("switch to");
    tmux.press(&["Escape"]);
    let screen = tmux.wait_for("rc=");
    assert!(screen.contains("rc=130 p=none"), "{screen}");
    assert!(
        screen.contains("awscred: no profile picked: nothing was changed"),
        "{screen}"
    );
}
