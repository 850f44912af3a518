//! awscred's output evaluated by the real shells, with strict flags and no rc
//! files: every value must come back byte for byte and nothing in it may run.
//!
//! The shells come from `AWSCRED_TEST_SHELLS` (default: bash dash zsh mksh fish
//! tcsh nu). A listed shell that is not installed fails the test; it is never skipped.

use crate::support::*;
use awscred::credentials::{Issued, Timestamp};
use awscred::env::Env;
use awscred::shell::{Exports, Format};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

#[derive(Clone, Copy, Debug)]
struct Sh {
    name: &'static str,
    format: Format,
}

const ALL: &[Sh] = &[
    Sh {
        name: "bash",
        format: Format::Env,
    },
    Sh {
        name: "dash",
        format: Format::Env,
    },
    Sh {
        name: "zsh",
        format: Format::Env,
    },
    Sh {
        name: "mksh",
        format: Format::Env,
    },
    Sh {
        name: "fish",
        format: Format::Fish,
    },
    Sh {
        name: "tcsh",
        format: Format::Csh,
    },
    Sh {
        name: "pwsh",
        format: Format::Powershell,
    },
    Sh {
        name: "nu",
        format: Format::Nu,
    },
];

fn shells() -> Vec<Sh> {
    let list = std::env::var("AWSCRED_TEST_SHELLS")
        .unwrap_or_else(|_| "bash dash zsh mksh fish tcsh nu".into());
    list.split_whitespace()
        .map(|n| {
            *ALL.iter()
                .find(|s| s.name == n)
                .unwrap_or_else(|| panic!("unknown shell {n} in AWSCRED_TEST_SHELLS"))
        })
        .collect()
}

/// The command that evaluates the file `out` the way our README tells users to,
/// then prints the environment NUL-separated (perl, since `env -0` is not on every platform).
fn driver(sh: Sh, dir: &Path) -> Command {
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    let mut c = match sh.name {
        "bash" => cmd("bash", &["--noprofile", "--norc", "-euo", "pipefail", "-c"]),
        "dash" | "mksh" => cmd(sh.name, &["-eu", "-c"]),
        "zsh" => cmd("zsh", &["-f", "-eu", "-c"]),
        "fish" => cmd("fish", &["--no-config", "-c"]),
        "tcsh" => cmd("tcsh", &["-f", "-e", "-c"]),
        "pwsh" => cmd("pwsh", &["-NoProfile", "-NonInteractive", "-Command"]),
        "nu" => cmd("nu", &["--no-config-file", "--no-std-lib", "-c"]),
        other => panic!("no driver for {other}"),
    };
    let script = match sh.name {
        "fish" => format!("source '{out}'; or exit 1; {DUMP_ENV}"),
        "tcsh" => format!("eval \"`cat '{out}'`\"; {DUMP_ENV}"),
        "pwsh" => format!(
            "$ErrorActionPreference = 'Stop'; Invoke-Expression (Get-Content -Raw -LiteralPath '{out}'); Get-ChildItem Env: | ForEach-Object {{ [Console]::Out.Write($_.Name + '=' + $_.Value + [char]0) }}"
        ),
        // Nushell has no eval: each run prints one record on one line for
        // `from json | load-env`, and these tests join the output of several.
        "nu" => format!(
            "for line in (open --raw '{out}' | lines) {{ $line | from json | load-env }}; {DUMP_ENV}"
        ),
        _ => format!("eval \"$(cat '{out}')\"; {DUMP_ENV}"),
    };
    c.arg(script)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    c.env("LANG", "C.UTF-8")
        .env("LC_ALL", "C.UTF-8")
        .env("HOME", dir);
    c
}

/// Prints every environment variable as `NAME=value\0`, quoted the same way in
/// every shell used here (single quotes, no `'` or `!` inside).
const DUMP_ENV: &str = "perl -e 'print map { $_ . chr(61) . $ENV{$_} . chr(0) } keys %ENV'";

fn cmd(program: &str, args: &[&str]) -> Command {
    let mut c = Command::new(program);
    c.args(args);
    c
}

/// Runs `output` (awscred's stdout) in `sh`; returns the variables starting with `prefix`.
fn eval(
    sh: Sh,
    dir: &Path,
    output: &str,
    prefix: &str,
) -> Result<BTreeMap<String, String>, String> {
    std::fs::write(dir.join("out"), output).unwrap();
    let res = driver(sh, dir).output().unwrap_or_else(|e| {
        panic!(
            "{} is required for these tests and could not run: {e}",
            sh.name
        )
    });
    if !res.status.success() {
        return Err(format!(
            "{} exited {:?}: {}",
            sh.name,
            res.status.code(),
            String::from_utf8_lossy(&res.stderr)
        ));
    }
    let stdout = String::from_utf8(res.stdout)
        .map_err(|e| format!("{}: env output not UTF-8: {e}", sh.name))?;
    Ok(stdout
        .split('\0')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| k.starts_with(prefix))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect())
}

fn creds() -> Issued {
    Issued {
        access_key_id: "A".into(),
        secret_access_key: "S".into(),
        session_token: Some("T".into()),
        expiration: Some(Timestamp(0)),
    }
}

/// Renders `values` as T_0, T_1, … in the shell's format. `None` for values the
/// format refuses (each refusal is checked to be a documented one).
fn render(sh: Sh, values: &[String]) -> (String, Vec<(String, String)>) {
    let c = creds();
    let r = sh.format.renderer(&Env::default());
    let mut out = String::new();
    let mut expected = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let name: &'static str = Box::leak(format!("T_{i}").into_boxed_str());
        let e = Exports {
            vars: vec![(name, Some(v.clone()))],
            credentials: &c,
        };
        match r.set(&e) {
            Ok(line) => {
                out.push_str(&line);
                expected.push((name.to_string(), v.clone()));
            }
            Err(err) => assert!(
                sh.format == Format::Csh && v.contains(['\n', '\r', '!']),
                "{} refused {v:?}: {err}",
                sh.name
            ),
        }
    }
    (out, expected)
}

fn check_round_trip(sh: Sh, values: &[String]) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let (out, expected) = render(sh, values);
    let got = eval(sh, dir.path(), &out, "T_")?;
    let want: BTreeMap<String, String> = expected.into_iter().collect();
    if got != want {
        let diff: Vec<_> = want
            .iter()
            .filter(|(k, v)| got.get(*k) != Some(v))
            .map(|(k, v)| (k, v, got.get(k)))
            .collect();
        return Err(format!(
            "{}: values differ (name, want, got): {diff:?}",
            sh.name
        ));
    }
    if dir.path().join("canary").exists() {
        return Err(format!(
            "{}: a command inside a value ran (canary created)",
            sh.name
        ));
    }
    Ok(())
}

fn awkward_values() -> Vec<String> {
    let mut v: Vec<String> = [
        "AKIA+/=abc/def+ghi==",
        "",
        "'",
        "''",
        "\"",
        "\\",
        "trailing backslash\\",
        "\\'",
        "'\\",
        "$(touch canary)",
        "`touch canary`",
        "${HOME}",
        "$HOME",
        "a; touch canary",
        "a && touch canary",
        "a | touch canary",
        "!",
        "!!",
        "!$",
        "%",
        "%PATH%",
        "line\nbreak",
        "\n",
        "tab\there",
        "cr\rhere",
        "crlf\r\n",
        " leading and trailing ",
        "  two  spaces  ",
        "*",
        "?",
        "~",
        "#comment",
        "\u{2018}curly\u{2019} \u{201A}low\u{201B} \u{201C}double\u{201D}",
        "emoji 🦀🎉",
        "ünïcödé 日本語",
        "\u{1b}[31mred\u{1b}[0m",
        "\u{7f}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let punct: String = (0x21u8..0x7f)
        .map(char::from)
        .filter(|c| !c.is_ascii_alphanumeric())
        .collect();
    v.push(punct);
    v.push("x".repeat(4096));
    v.push("'\"\\$`!%\n".repeat(512));
    v
}

#[test]
fn awkward_values_round_trip_in_every_shell() {
    for sh in shells() {
        check_round_trip(sh, &awkward_values()).unwrap();
    }
}

#[test]
fn env_no_export_round_trips_with_set_a() {
    let dir = tempfile::tempdir().unwrap();
    let c = creds();
    let values = awkward_values();
    let vars: Vec<(&'static str, String)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (&*Box::leak(format!("T_{i}").into_boxed_str()), v.clone()))
        .collect();
    let out = Format::EnvNoExport
        .renderer(&Env::default())
        .set(&Exports {
            vars: vars.iter().map(|(k, v)| (*k, Some(v.clone()))).collect(),
            credentials: &c,
        })
        .unwrap();
    for sh in ["bash", "dash"] {
        std::fs::write(dir.path().join("out"), format!("set -a\n{out}")).unwrap();
        let got = eval(
            Sh {
                name: sh,
                format: Format::EnvNoExport,
            },
            dir.path(),
            &format!("set -a\n{out}"),
            "T_",
        )
        .unwrap();
        let want: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        assert_eq!(got, want, "{sh}");
    }
}

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<char>()
            .prop_filter("NUL cannot be in a variable", |c| *c != '\0')
            .prop_map(String::from),
        prop::sample::select(vec![
            "'",
            "\"",
            "\\",
            "$(touch canary)",
            "`touch canary`",
            ";",
            "&&",
            "||",
            "!",
            "%",
            "\n",
            "\t",
            "\r",
            " ",
            "\u{2018}",
            "\u{2019}",
            "\u{201A}",
            "\u{201B}",
            "\u{201C}",
            "🦀",
            "$HOME",
            "${x}",
            "*",
            "?",
            "~",
            "#",
            "\\'",
            "'\\",
            "%PATH%",
            "^",
            "|",
            ">",
            "<",
            "(",
            ")",
            "{",
            "}",
            "[",
            "]",
            "=",
            "+",
            "/",
        ])
        .prop_map(String::from),
        "[ -~]{0,8}",
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..12).prop_map(|v| v.concat())
}

proptest! {
    // 20 batches of 100 values: 2,000 random values per shell.
    #![proptest_config(ProptestConfig { cases: 20, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn random_values_round_trip_in_every_shell(values in prop::collection::vec(value(), 100)) {
        for sh in shells() {
            if let Err(e) = check_round_trip(sh, &values) {
                return Err(TestCaseError::fail(e));
            }
        }
    }
}

/// The whole binary: exports and unset, evaluated in each shell.
#[test]
fn binary_output_sets_and_unsets_in_every_shell() {
    let (home, sts) = (Home::new(), FakeSts::start());
    for sh in shells() {
        let fmt = match sh.format {
            Format::Env => "env",
            Format::Fish => "fish",
            Format::Csh => "csh",
            Format::Powershell => "powershell",
            Format::Nu => "nu",
            _ => unreachable!(),
        };
        let set = run(home
            .cmd(&sts)
            .args(["mfa", "123456", "--legacy-vars", "--format", fmt]));
        assert_eq!(set.code, 0, "{}", set.stderr);
        let dir = tempfile::tempdir().unwrap();
        let got = eval(sh, dir.path(), &set.stdout, "AWS").unwrap();
        let (id, secret, token) = issued(1);
        assert_eq!(got["AWS_ACCESS_KEY_ID"], id, "{}", sh.name);
        assert_eq!(got["AWS_SECRET_ACCESS_KEY"], secret);
        assert_eq!(got["AWS_SESSION_TOKEN"], token);
        assert_eq!(got["AWS_SECURITY_TOKEN"], token);
        assert_eq!(got["AWS_SECRET_KEY"], secret);
        assert_eq!(got["AWS_REGION"], "eu-west-1");

        // As `eval "$(awscred unset)"` runs it in that shell: with its record.
        let unset = run(home
            .cmd(&sts)
            .args(["unset", "--format", fmt])
            .env("AWSCRED_SAVED", &got["AWSCRED_SAVED"]));
        assert_eq!(unset.code, 0, "{}", unset.stderr);
        let got = eval(
            sh,
            dir.path(),
            &format!("{}{}", set.stdout, unset.stdout),
            "AWS",
        )
        .unwrap();
        assert!(got.is_empty(), "{}: left {got:?}", sh.name);

        // A failing run's stdout makes the evaluation fail in this shell's own syntax.
        let failed = run(home.cmd(&sts).args(["mfa", "12345", "--format", fmt]));
        assert_eq!(failed.code, 3);
        assert!(
            eval(sh, dir.path(), &failed.stdout, "AWS").is_err(),
            "{}: eval of failure output succeeded",
            sh.name
        );
    }
}

#[test]
fn awscred_format_environment_variable_selects_the_format() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let r = run(home
        .cmd(&sts)
        .args(["mfa", "123456"])
        .env("AWSCRED_FORMAT", "fish"));
    assert!(
        r.stdout.starts_with("set -gx AWS_ACCESS_KEY_ID "),
        "{}",
        r.stdout
    );
    let r = run(home
        .cmd(&sts)
        .args(["export", "--format", "dotenv"])
        .env("AWSCRED_FORMAT", "fish"));
    assert!(
        r.stdout.starts_with("AWS_ACCESS_KEY_ID=ASIA"),
        "the flag wins: {}",
        r.stdout
    );
    let r = run(home
        .cmd(&sts)
        .args(["export", "--bogus"])
        .env("AWSCRED_FORMAT", "powershell"));
    assert_eq!(r.stdout, "throw 'awscred failed: see the message above'\n");
}

#[test]
fn process_and_github_formats_through_the_binary() {
    let (home, sts) = (Home::new(), FakeSts::start());
    run(home.cmd(&sts).args(["mfa", "123456"]));
    let r = run(home.cmd(&sts).args(["export", "--format", "process"]));
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["Version"], 1);
    assert_eq!(v["SessionToken"], issued(1).2);

    let r = run(home.cmd(&sts).args(["export", "--format", "github"]));
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (3, ""),
        "GITHUB_ENV unset: {}",
        r.stderr
    );
    let env_file = home.path().join("github_env");
    let r = run(home
        .cmd(&sts)
        .args(["export", "--format", "github"])
        .env("GITHUB_ENV", &env_file));
    r.expect_ok();
    let (id, secret, token) = issued(1);
    assert_eq!(
        r.stdout,
        format!("::add-mask::{id}\n::add-mask::{secret}\n::add-mask::{token}\n")
    );
    let text = std::fs::read_to_string(&env_file).unwrap();
    assert!(text.contains(&format!("\n{secret}\n")), "{text}");
    assert!(!r.stdout.contains("AWS_SECRET"), "stdout has masks only");
}

#[test]
fn shellcheck_accepts_env_output_and_the_bash_init_code() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let out = run(home.cmd(&sts).args(["mfa", "123456", "--legacy-vars"])).stdout;
    let unset = run(home.cmd(&sts).arg("unset")).stdout;
    let init = run(home.cmd(&sts).args(["init", "bash"])).stdout;
    for (dialect, text) in [("sh", out), ("sh", unset), ("bash", init.clone())] {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("script");
        std::fs::write(&f, format!("#!/bin/{dialect}\n{text}")).unwrap();
        let r = Command::new("shellcheck")
            .args(["-s", dialect])
            .arg(&f)
            .output()
            .expect("shellcheck is required");
        assert!(
            r.status.success(),
            "shellcheck: {}",
            String::from_utf8_lossy(&r.stdout)
        );
    }
    assert!(init.contains("awscred()"));
}

/// `awscred init SHELL` in that shell: the wrapper sets and unsets variables
/// in the current shell and returns non-zero when awscred fails.
#[test]
fn init_wrappers_change_the_current_shell() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_awscred"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let wanted: Vec<&str> = shells().iter().map(|s| s.name).collect();
    // Nushell sources only files named when the script is parsed (no eval).
    let init_nu = run(home.cmd(&sts).args(["init", "nu"]));
    init_nu.expect_ok();
    std::fs::write(home.path().join("awscred.nu"), &init_nu.stdout).unwrap();
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "bash",
            &["--noprofile", "--norc", "-c"],
            "eval \"$(awscred init bash)\"; awscred mfa 123456; echo \"id=$AWS_ACCESS_KEY_ID\"; awscred unset; echo \"after=${AWS_ACCESS_KEY_ID-none}\"; if awscred mfa 12345; then echo bad=0; else echo bad=$?; fi; awscred export --format json | head -c 1; echo",
        ),
        (
            "zsh",
            &["-f", "-c"],
            "eval \"$(awscred init zsh)\"; awscred mfa 123456; echo \"id=$AWS_ACCESS_KEY_ID\"; awscred unset; echo \"after=${AWS_ACCESS_KEY_ID-none}\"; if awscred mfa 12345; then echo bad=0; else echo bad=$?; fi; awscred export --format json | head -c 1; echo",
        ),
        (
            "fish",
            &["--no-config", "-c"],
            "awscred init fish | source; awscred mfa 123456; echo \"id=$AWS_ACCESS_KEY_ID\"; awscred unset; set -q AWS_ACCESS_KEY_ID; and echo after=set; or echo after=none; awscred mfa 12345; echo bad=$status; awscred export --format json | head -c 1; echo",
        ),
        (
            "nu",
            &["--no-config-file", "--no-std-lib", "-c"],
            "source ~/awscred.nu; awscred mfa 123456; print $\"id=($env.AWS_ACCESS_KEY_ID)\"; awscred unset; print $\"after=(if 'AWS_ACCESS_KEY_ID' in $env { 'set' } else { 'none' })\"; try { awscred mfa 12345; print bad=0 } catch { print $\"bad=($env.LAST_EXIT_CODE)\" }; awscred export --format json | str substring 0..0 | print",
        ),
    ];
    for (shell, args, script) in cases {
        if !wanted.contains(shell) {
            continue;
        }
        let out = Command::new(shell)
            .args(*args)
            .arg(script)
            .env_clear()
            .env("PATH", &path)
            .env("HOME", home.path())
            .env("AWSCRED_CACHE_DIR", home.cache_dir())
            .env("AWS_ENDPOINT_URL_STS", sts.url())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!("id={}\n", issued(1).0)),
            "{shell}: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("after=none\n"), "{shell}: {stdout}");
        assert!(stdout.contains("bad=3\n"), "{shell}: {stdout}");
        // The shell shows nothing else: one line says what it now holds.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let said: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("awscred: profile default: ASIAFAKE… valid until 20"))
            .collect();
        assert_eq!(said.len(), 1, "{shell}: {stderr}");
        assert!(
            stdout.ends_with("{\n"),
            "{shell}: --format passes through: {stdout}"
        );
    }
}

/// `unset` puts back the user's own region settings that awscred's exports
/// replaced, and removes everything else a session set, in each shell with
/// its `init` wrapper (the record travels in the shell's own environment).
#[test]
fn unset_restores_the_users_own_region_in_every_shell() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_awscred")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let init_nu = run(home.cmd(&sts).args(["init", "nu"]));
    std::fs::write(home.path().join("awscred.nu"), &init_nu.stdout).unwrap();
    let dump = "env | grep -E '^(AWS_REGION|AWS_DEFAULT_REGION|AWS_ACCESS_KEY_ID|AWSCRED_[A-Z]+)=' | sort; echo --";
    // Set twice (the second must not overwrite the record), then unset.
    let steps = "awscred mfa 123456 --region eu-west-1; awscred export";
    let cases: Vec<(&str, Vec<&str>, String)> = vec![
        (
            "bash",
            vec!["--noprofile", "--norc", "-c"],
            format!("eval \"$(awscred init bash)\"; {steps}; sh -c \"{dump}\"; awscred unset; sh -c \"{dump}\""),
        ),
        (
            "zsh",
            vec!["-f", "-c"],
            format!("eval \"$(awscred init zsh)\"; {steps}; sh -c \"{dump}\"; awscred unset; sh -c \"{dump}\""),
        ),
        (
            "fish",
            vec!["--no-config", "-c"],
            format!("awscred init fish | source; {steps}; sh -c \"{dump}\"; awscred unset; sh -c \"{dump}\""),
        ),
        (
            "nu",
            vec!["--no-config-file", "--no-std-lib", "-c"],
            format!("source ~/awscred.nu; awscred mfa 123456 --region eu-west-1; awscred export; ^sh -c \"{dump}\"; awscred unset; ^sh -c \"{dump}\""),
        ),
    ];
    let wanted: Vec<&str> = shells().iter().map(|s| s.name).collect();
    for (shell, args, script) in cases {
        if !wanted.contains(&shell) {
            continue;
        }
        let out = Command::new(shell)
            .args(&args)
            .arg(&script)
            .env_clear()
            .env("PATH", &path)
            .env("HOME", home.path())
            .env("AWSCRED_CACHE_DIR", home.cache_dir())
            .env("AWS_ENDPOINT_URL_STS", sts.url())
            // The user's own setting, from before awscred.
            .env("AWS_DEFAULT_REGION", "ap-south-1")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let parts: Vec<&str> = stdout.split("--\n").collect();
        assert_eq!(parts.len(), 3, "{shell}: {stdout} {stderr}");
        assert!(
            parts[0].contains("AWS_REGION=eu-west-1\n")
                && parts[0].contains("AWS_DEFAULT_REGION=eu-west-1\n")
                && parts[0].contains(&format!("AWS_ACCESS_KEY_ID={}\n", issued(1).0)),
            "{shell}, during the session: {}",
            parts[0]
        );
        assert_eq!(
            parts[1], "AWS_DEFAULT_REGION=ap-south-1\n",
            "{shell}, after unset ({stderr})"
        );
    }
}

/// Every format writes a whole session, region and `unset`'s record
/// included (cmd.exe refuses quotes, so the record has none).
#[test]
fn every_format_writes_a_session_with_a_region() {
    let (home, sts) = (Home::new(), FakeSts::start());
    run(home.cmd(&sts).args(["mfa", "123456"])).expect_ok();
    for format in [
        "env",
        "env-no-export",
        "fish",
        "csh",
        "powershell",
        "nu",
        "windows-cmd",
        "dotenv",
        "json",
        "process",
    ] {
        let r = run(home
            .cmd(&sts)
            .args(["export", "--format", format])
            .env("AWS_DEFAULT_REGION", "ap-south-1"));
        r.expect_ok();
        assert!(r.stdout.contains(&issued(1).0), "{format}: {}", r.stdout);
        let shell = !["dotenv", "json", "process"].contains(&format);
        assert_eq!(
            r.stdout
                .contains("AWS_REGION=,AWS_DEFAULT_REGION=ap-south-1"),
            shell,
            "{format}: {}",
            r.stdout
        );
    }
}
