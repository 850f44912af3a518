//! Profile names in the completion scripts, through the real bash and fish
//! (and zsh's hook), from `awscred __complete-profiles`.

use crate::support::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const CONFIG: &str = "[default]\nregion = eu-west-1\n\n[profile dev]\nregion = eu-west-1\n\n[profile prod]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n\n[sso-session corp]\nsso_region = eu-west-1\n\n[services local]\nsts =\n  endpoint_url = http://127.0.0.1:9\n";
const CREDENTIALS: &str =
    "[lab]\naws_access_key_id = AKIALABKEY0000000001\naws_secret_access_key = labSecret\n";
const NAMES: &str = "default\ndev\nlab\nprod\n";

/// Never reached: nothing here calls STS.
const NOWHERE: &str = "http://127.0.0.1:9";

fn complete_profiles(home: &Home, env: &[(&str, &str)]) -> Run {
    let mut c = home.cmd_url(NOWHERE);
    c.arg("__complete-profiles");
    for (k, v) in env {
        c.env(k, v);
    }
    run(&mut c)
}

/// `awscred completions SHELL`, saved in the home directory.
fn script(home: &Home, shell: &str) -> PathBuf {
    let r = run(home.cmd_url(NOWHERE).args(["completions", shell]));
    r.expect_ok();
    let path = home.path().join(format!("awscred.{shell}"));
    fs::write(&path, &r.stdout).unwrap();
    path
}

/// A shell in a clean environment: the home, and PATH with awscred's directory
/// first. It runs in `cwd`, which holds a file: completing file names instead
/// of profiles shows.
fn shell(home: &Home, program: &str, cwd: &Path) -> Command {
    let bin = Path::new(env!("CARGO_BIN_EXE_awscred")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut c = Command::new(program);
    c.env_clear()
        .env("HOME", home.path())
        .env("PATH", path)
        .env("AWSCRED_CACHE_DIR", home.cache_dir())
        .current_dir(cwd);
    c
}

fn workdir(home: &Home) -> PathBuf {
    let dir = home.path().join("work");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("notes.txt"), "").unwrap();
    dir
}

/// Loads the bash script and calls the function it registered for awscred,
/// as bash does on <TAB> with the cursor at the end of `words`' last one.
const BASH_COMPLETE: &str = r#"
source "$1"
shift
read -ra spec <<<"$(complete -p awscred)"
for i in "${!spec[@]}"; do
    [[ ${spec[i]} == -F ]] && func=${spec[i+1]}
done
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
"$func" awscred "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"#;

fn bash_complete(home: &Home, words: &[&str]) -> Vec<String> {
    let script = script(home, "bash");
    let out = shell(home, "bash", &workdir(home))
        .args(["--norc", "--noprofile", "-c", BASH_COMPLETE, "bash"])
        .arg(&script)
        .args(words)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.is_empty(), "{stderr}");
    let mut got: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    got.sort();
    got
}

/// What fish offers for the command line `line` (the cursor at its end).
fn fish_complete(home: &Home, line: &str) -> Vec<String> {
    let script = script(home, "fish");
    let out = shell(home, "fish", &workdir(home))
        .args(["--no-config", "-c", "source $argv[1]; complete -C $argv[2]"])
        .arg(&script)
        .arg(line)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.is_empty(), "{stderr}");
    let mut got: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    got.sort();
    got
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn complete_profiles_prints_the_profiles_of_both_files() {
    let home = Home::with(CONFIG, CREDENTIALS);
    let r = complete_profiles(&home, &[]);
    r.expect_ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), (NAMES, ""));
}

#[test]
fn complete_profiles_reads_the_files_the_variables_name() {
    let home = Home::with(CONFIG, CREDENTIALS);
    let elsewhere = home.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    fs::write(elsewhere.join("config"), "[profile ops]\n").unwrap();
    fs::write(elsewhere.join("credentials"), "[ci]\n").unwrap();
    let config = elsewhere.join("config");
    let credentials = elsewhere.join("credentials");
    let r = complete_profiles(
        &home,
        &[
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
            ("AWS_SHARED_CREDENTIALS_FILE", credentials.to_str().unwrap()),
        ],
    );
    r.expect_ok();
    assert_eq!(r.stdout, "ci\nops\n");
}

/// Completion runs inside the user's command line: whatever is wrong, no
/// names and not a word on stderr.
#[test]
fn complete_profiles_is_silent_when_the_files_or_the_environment_are_broken() {
    let home = Home::with(CONFIG, CREDENTIALS);
    let broken = home.path().join("broken");
    fs::write(&broken, "[profile dev]\n[profile dev]\n").unwrap();
    let dir = home.path().to_str().unwrap().to_string();
    for (name, value) in [
        ("AWS_CONFIG_FILE", broken.to_str().unwrap()),
        ("AWS_SHARED_CREDENTIALS_FILE", broken.to_str().unwrap()),
        ("AWS_CONFIG_FILE", dir.as_str()),
    ] {
        let r = complete_profiles(&home, &[(name, value)]);
        r.expect_ok();
        assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""), "{name}");
    }
    // A variable awscred reads that is not UTF-8.
    use std::os::unix::ffi::OsStrExt;
    let r = run(home
        .cmd_url(NOWHERE)
        .arg("__complete-profiles")
        .env("AWS_PROFILE", std::ffi::OsStr::from_bytes(b"\xff")));
    r.expect_ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""));
}

#[test]
fn bash_completes_profile_names_after_profile_options() {
    let home = Home::with(CONFIG, CREDENTIALS);
    let all = strings(&["default", "dev", "lab", "prod"]);
    assert_eq!(
        bash_complete(&home, &["awscred", "export", "--profile", ""]),
        all
    );
    assert_eq!(
        bash_complete(&home, &["awscred", "mfa", "-p", "d"]),
        strings(&["default", "dev"])
    );
    // `--profile=p`: bash splits the word at `=`.
    assert_eq!(
        bash_complete(&home, &["awscred", "clear", "--profile", "=", "p"]),
        strings(&["prod"])
    );
    assert_eq!(
        bash_complete(&home, &["awscred", "exec", "--profile", "="]),
        all
    );
    assert_eq!(
        bash_complete(&home, &["awscred", "keys", "add", "-p", "d"]),
        strings(&["default", "dev"])
    );
    assert_eq!(
        bash_complete(&home, &["awscred", "rotate", "--profile", ""]),
        all
    );
    // No profile matches: nothing, not file names.
    assert!(bash_complete(&home, &["awscred", "export", "-p", "n"]).is_empty());
    // Everything else is still clap's completion.
    assert_eq!(
        bash_complete(&home, &["awscred", "exp"]),
        strings(&["export"])
    );
    assert!(bash_complete(&home, &["awscred", "export", "--"]).contains(&"--profile".to_string()));
    // After `--` the words are exec's command's.
    assert_eq!(
        bash_complete(&home, &["awscred", "exec", "--", "tool", "-p", ""]),
        strings(&["notes.txt"])
    );
}

/// A name is data: bash neither expands nor runs it, and inserts it quoted.
#[test]
fn bash_quotes_profile_names_and_never_runs_them() {
    let credentials = "[it's $(touch pwned) `touch pwned2`]\n[ok]\n";
    let home = Home::with("", credentials);
    let got = bash_complete(&home, &["awscred", "export", "--profile", ""]);
    assert_eq!(
        got,
        strings(&[
            "it\\'s\\ \\$\\(touch\\ pwned\\)\\ \\`touch\\ pwned2\\`",
            "ok"
        ])
    );
    let work = workdir(&home);
    assert!(!work.join("pwned").exists() && !work.join("pwned2").exists());
}

#[test]
fn fish_completes_profile_names_after_profile_options() {
    let home = Home::with(CONFIG, CREDENTIALS);
    let all = strings(&["default", "dev", "lab", "prod"]);
    assert_eq!(fish_complete(&home, "awscred export --profile "), all);
    assert_eq!(fish_complete(&home, "awscred assume-role -p "), all);
    assert_eq!(
        fish_complete(&home, "awscred clear -p l"),
        strings(&["lab"])
    );
    assert_eq!(
        fish_complete(&home, "awscred keys add -p l"),
        strings(&["lab"])
    );
    assert_eq!(fish_complete(&home, "awscred rotate --profile "), all);
    assert_eq!(
        fish_complete(&home, "awscred mfa --profile=pr"),
        strings(&["--profile=prod"])
    );
    assert!(fish_complete(&home, "awscred ex").contains(&"export".to_string()));
}

/// zsh: each -p/--profile spec's action is the function that asks awscred;
/// the function, run with compadd stubbed, offers the names.
#[test]
fn zsh_completes_profile_options_with_the_names() {
    let home = Home::with(CONFIG, CREDENTIALS);
    let script = script(&home, "zsh");
    let text = fs::read_to_string(&script).unwrap();
    assert!(text.starts_with("#compdef awscred\n"));
    let specs: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("-p+[") || l.contains("--profile=["))
        .collect();
    // get-session-token, mfa, export, assume-role, credential-process, exec,
    // serve, console, clear, keys add, keys rm, keys export, rotate, sso login, sso logout, switch
    assert_eq!(specs.len(), 32, "{specs:#?}");
    for spec in specs {
        assert!(spec.ends_with(":NAME:_awscred_profiles' \\"), "{spec}");
    }
    let check = r#"
        autoload -Uz compinit && compinit -D -u
        source "$1"
        _wanted() { shift 3; "$@" }
        compadd() { [[ $1 == -a ]] && print -rl -- "${(@P)2}" }
        _awscred_profiles
    "#;
    let out = shell(&home, "zsh", home.path())
        .args(["-f", "-c", check, "zsh"])
        .arg(&script)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), NAMES);
}
