//! A security key racing the keyboard, under a real pseudo-terminal (tmux):
//! a profile with `mfa_process` and a terminal starts both; the prompt shows
//! only when `mfa_process` is slow; the first valid code wins and the other
//! side is cancelled.

use crate::support::*;
use std::fs;
use std::path::PathBuf;

/// `awscred credential-process` for a profile whose `mfa_process` is
/// `mfa_process`, in tmux; stdout to `out.json`, then the terminal's modes.
fn racing(mfa_process: &str) -> (Home, FakeSts, Tmux) {
    let config = format!(
        "[default]\nregion = eu-west-1\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nmfa_process = {mfa_process}\n"
    );
    let (home, sts) = (Home::with(&config, CREDENTIALS), FakeSts::start());
    let command = format!(
        // A shell at a prompt survives the Ctrl-C meant for its command.
        "trap : INT; '{}' credential-process > '{}'; echo rc=$?; stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(echo|icanon|isig)' | sort | tr '\\n' ' '; echo; echo 'press Enter'; head -n 1 | sed 's/^/left=[/; s/$/]/'",
        env!("CARGO_BIN_EXE_awscred"),
        home.path().join("out.json").display()
    );
    let home_dir = home.path().display().to_string();
    let cache = home.cache_dir().display().to_string();
    let tmux = Tmux::start(
        &command,
        &[
            ("HOME", &home_dir),
            ("AWSCRED_CACHE_DIR", &cache),
            ("AWS_ENDPOINT_URL_STS", &sts.url()),
        ],
    );
    (home, sts, tmux)
}

const PROMPT: &str = "awscred: MFA code for default (arn:aws:iam::123456789012:mfa/alice), touch your key or type the code: ";

fn file(home: &Home, name: &str) -> PathBuf {
    home.path().join(name)
}

/// Whether process `pid` still runs (a zombie does not).
fn alive(pid: &str) -> bool {
    fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
        .map(|s| !s.contains(") Z "))
        .unwrap_or(false)
}

fn done(tmux: &Tmux) -> String {
    tmux.wait_for("rc=");
    // The terminal's modes, printed after rc=.
    tmux.wait_for("isig")
}

/// Typing first wins at once: the typed code reaches STS and mfa_process
/// (a key waiting for a touch) is killed with what it started.
#[test]
fn typing_first_wins_and_mfa_process_is_gone() {
    let pids = tempfile::tempdir().unwrap();
    let pid_file = pids.path().join("pid");
    let (home, sts, tmux) = racing(&format!(
        "sh -c 'sleep 300 & echo $! > {}; wait'",
        pid_file.display()
    ));
    tmux.wait_for(PROMPT);
    let pid = fs::read_to_string(&pid_file).unwrap();
    assert!(alive(&pid), "mfa_process runs beside the prompt");
    tmux.type_text("123456");
    tmux.press(&["Enter"]);
    let screen = done(&tmux);
    assert!(screen.contains("rc=0"), "{screen}");
    assert!(
        screen.contains("echo icanon isig"),
        "terminal put back: {screen}"
    );
    assert!(
        !screen.contains("code: 123456"),
        "no echo of the code: {screen}"
    );
    assert_eq!(sts.requests()[0].param("TokenCode"), Some("123456"));
    assert!(!alive(&pid), "mfa_process's child is gone");
    let out = fs::read_to_string(file(&home, "out.json")).unwrap();
    assert!(out.contains(&issued(1).0), "{out}");
}

/// Not typing: mfa_process's code wins, the prompt is closed and the
/// terminal put back, and what was half typed is not left for the shell.
#[test]
fn a_slow_mfa_process_wins_when_nobody_types() {
    let (home, sts, tmux) = racing("sh -c 'sleep 2; echo 222222'");
    tmux.wait_for(PROMPT);
    tmux.type_text("99");
    let screen = done(&tmux);
    assert!(screen.contains("rc=0"), "{screen}");
    assert!(
        screen.contains("echo icanon isig"),
        "terminal put back: {screen}"
    );
    assert_eq!(sts.requests().len(), 1);
    assert_eq!(sts.requests()[0].param("TokenCode"), Some("222222"));
    assert!(fs::read_to_string(file(&home, "out.json"))
        .unwrap()
        .contains(&issued(1).0));
    // The half-typed "99" was discarded, not left for whatever reads next.
    tmux.wait_for("press Enter");
    tmux.press(&["Enter"]);
    let screen = tmux.wait_for("left=[");
    assert!(screen.contains("left=[]"), "{screen}");
}

/// mfa_process failing leaves the prompt, with one line saying so.
#[test]
fn a_failing_mfa_process_leaves_the_prompt() {
    let (_home, sts, tmux) = racing("sh -c 'sleep 1; exit 3'");
    tmux.wait_for(PROMPT);
    let screen = tmux.wait_for("type the code instead");
    assert!(
        screen.contains("awscred: mfa_process `sh` (arguments hidden) failed (exit status: 3): run it by hand to see why; type the code instead"),
        "{screen}"
    );
    tmux.type_text("333333");
    tmux.press(&["Enter"]);
    let screen = done(&tmux);
    assert!(screen.contains("rc=0"), "{screen}");
    assert_eq!(sts.requests()[0].param("TokenCode"), Some("333333"));
}

/// An instant mfa_process (oathtool) never shows a prompt.
#[test]
fn an_instant_mfa_process_shows_no_prompt() {
    let (_home, sts, tmux) = racing("echo 444444");
    let screen = done(&tmux);
    assert!(screen.contains("rc=0"), "{screen}");
    assert!(!screen.contains("MFA code for"), "{screen}");
    assert_eq!(sts.requests()[0].param("TokenCode"), Some("444444"));
}

/// Ctrl-C during the race: exit 130, both sides stopped, nothing sent.
#[test]
fn ctrl_c_during_the_race_stops_both() {
    let pids = tempfile::tempdir().unwrap();
    let pid_file = pids.path().join("pid");
    let (home, sts, tmux) = racing(&format!(
        "sh -c 'sleep 300 & echo $! > {}; wait'",
        pid_file.display()
    ));
    tmux.wait_for(PROMPT);
    let pid = fs::read_to_string(&pid_file).unwrap();
    tmux.press(&["C-c"]);
    let screen = done(&tmux);
    assert!(screen.contains("rc=130"), "{screen}");
    assert!(
        screen.contains("echo icanon isig"),
        "terminal put back: {screen}"
    );
    assert!(!alive(&pid), "mfa_process's child is gone");
    assert!(sts.requests().is_empty());
    assert!(home.cache_entries().is_empty());
}
