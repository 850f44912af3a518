//! Trust I: the security review's attacks on files, the cache and secrets, one
//! test each. Tests that need a second user run as root (CI runs as root); as
//! another user they fail, they never skip.

use crate::support::*;
use std::fs;
use std::os::unix::fs::{chown, symlink, MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A uid with no passwd entry (and no files of its own).
const STRANGER: u32 = 4242;
/// Another user, owner of the attacker's files.
const NOBODY: u32 = 65534;

fn require_root() {
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this test plays a second user and needs root (CI runs as root)"
    );
}

fn mode(p: &Path) -> u32 {
    fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

fn set_mode(p: &Path, m: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(m)).unwrap();
}

/// A home with one valid cached session for `default`; returns its entry.
fn with_session() -> (Home, FakeSts, PathBuf) {
    let (home, sts) = (Home::new(), FakeSts::start());
    let r = run(home.cmd(&sts).args(["mfa", "123456"]));
    r.expect_ok();
    let entry = home.cache_entries().remove(0);
    (home, sts, entry)
}

/// Runs with a deadline: a run that hangs (on a FIFO, say) is killed and fails the test.
fn run_within(c: &mut Command, limit: Duration) -> Run {
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("awscred still running after {limit:?}: it hung");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    assert_no_secret(&r.stderr);
    r
}

fn mkfifo(p: &Path) {
    assert!(Command::new("mkfifo").arg(p).status().unwrap().success());
}

/// A character device like /dev/zero (root only).
fn mkzero(p: &Path) {
    require_root();
    assert!(Command::new("mknod")
        .arg(p)
        .args(["c", "1", "5"])
        .status()
        .unwrap()
        .success());
}

fn assert_refused(r: &Run, needle: &str) {
    r.expect_failure(3, "false\n", needle);
}

// ---- where sessions live ----

#[test]
fn another_users_cache_directory_is_refused_before_any_request() {
    require_root();
    let (home, sts, entry) = with_session();
    let foreign = home.path().join("foreign");
    fs::create_dir(&foreign).unwrap();
    // The attacker's directory holds a session of theirs for our key.
    let planted = foreign.join(entry.file_name().unwrap());
    fs::copy(&entry, &planted).unwrap();
    for p in [&foreign, &planted] {
        chown(p, Some(NOBODY), Some(NOBODY)).unwrap();
    }
    set_mode(&foreign, 0o755);
    for args in [
        &["export"][..],
        &["mfa", "123456"],
        &["mfa", "--force", "123456"],
    ] {
        let r = run(home.cmd(&sts).args(args).env("AWSCRED_CACHE_DIR", &foreign));
        assert_refused(&r, &format!("{}", foreign.display()));
        assert!(r.stderr.contains("belongs to uid 65534"), "{}", r.stderr);
    }
    assert_eq!(sts.session_calls(), 1, "no request after the refusal");
    let names: Vec<_> = fs::read_dir(&foreign).unwrap().flatten().collect();
    assert_eq!(names.len(), 1, "nothing written there");
}

#[test]
fn a_directory_others_can_write_is_refused_and_left_as_it_is() {
    let (home, sts) = (Home::new(), FakeSts::start());
    for m in [0o777, 0o1777, 0o770] {
        let shared = home.path().join(format!("shared-{m:o}"));
        fs::create_dir(&shared).unwrap();
        set_mode(&shared, m);
        let r = run(home
            .cmd(&sts)
            .args(["mfa", "123456"])
            .env("AWSCRED_CACHE_DIR", &shared));
        assert_refused(&r, "others can write to it");
        assert_eq!(mode(&shared), m, "never chmod-ed");
        assert_eq!(fs::read_dir(&shared).unwrap().count(), 0);
    }
    assert_eq!(sts.session_calls(), 0);
}

#[test]
fn without_a_home_there_is_no_shared_fallback() {
    require_root();
    let (home, sts) = (Home::new(), FakeSts::start());
    // The stranger must be able to read the AWS files.
    set_mode(home.path(), 0o755);
    set_mode(&home.path().join(".aws"), 0o755);
    let tmp = home.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    set_mode(&tmp, 0o1777);
    let mut c = home.cmd(&sts);
    c.env_remove("HOME")
        .env_remove("AWSCRED_CACHE_DIR")
        .env("TMPDIR", &tmp)
        .env("AWS_CONFIG_FILE", home.path().join(".aws/config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join(".aws/credentials"),
        )
        .args(["mfa", "123456"]);
    unsafe {
        c.pre_exec(|| {
            if libc::setgroups(0, std::ptr::null()) != 0
                || libc::setgid(STRANGER) != 0
                || libc::setuid(STRANGER) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let r = run(&mut c);
    assert_refused(&r, "no private place for the session cache");
    assert!(r.stderr.contains("AWSCRED_CACHE_DIR"), "{}", r.stderr);
    assert_eq!(fs::read_dir(&tmp).unwrap().count(), 0, "nothing in TMPDIR");
    assert!(!Path::new("/tmp/awscred").exists());
    assert_eq!(sts.session_calls(), 0);
}

#[test]
fn a_relative_xdg_cache_home_is_ignored() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let cwd = home.path().join("cwd");
    fs::create_dir(&cwd).unwrap();
    let r = run(home
        .cmd(&sts)
        .args(["mfa", "123456"])
        .env_remove("AWSCRED_CACHE_DIR")
        .env("XDG_CACHE_HOME", "rel/cache")
        .current_dir(&cwd));
    r.expect_ok();
    assert!(
        !cwd.join("rel").exists(),
        "relative to the working directory"
    );
    let dir = home.path().join(".cache/awscred");
    assert_eq!(
        fs::read_dir(&dir).unwrap().flatten().count(),
        2,
        "entry and lock"
    );
    assert_eq!(mode(&dir), 0o700);
    // An absolute one is used.
    let xdg = home.path().join("xdg");
    let r = run(home
        .cmd(&sts)
        .args(["mfa", "--force", "123456"])
        .env_remove("AWSCRED_CACHE_DIR")
        .env("XDG_CACHE_HOME", &xdg));
    r.expect_ok();
    assert!(xdg.join("awscred").is_dir());
}

#[test]
fn every_directory_awscred_creates_is_private() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let deep = home.path().join("a/b/c");
    let r = run(home
        .cmd(&sts)
        .args(["mfa", "123456"])
        .env("AWSCRED_CACHE_DIR", &deep));
    r.expect_ok();
    for d in ["a", "a/b", "a/b/c"] {
        assert_eq!(mode(&home.path().join(d)), 0o700, "{d}");
    }
}

// ---- nothing in the cache directory is followed ----

#[test]
fn a_symlinked_entry_is_never_read_or_chmod_ed() {
    let (home, sts, entry) = with_session();
    let target = home.path().join("victim");
    fs::copy(&entry, &target).unwrap();
    set_mode(&target, 0o644);
    fs::remove_file(&entry).unwrap();
    symlink(&target, &entry).unwrap();
    for args in [&["export"][..], &["list"], &["mfa"]] {
        let r = run(home.cmd(&sts).args(args));
        assert_eq!(mode(&target), 0o644, "{args:?} changed the link's target");
        if args[0] != "list" {
            assert_ne!(r.code, 0, "{args:?}: the link is a miss: {}", r.stdout);
            assert!(r.stderr.contains("is a symbolic link"), "{}", r.stderr);
        }
    }
    let before = fs::read(&target).unwrap();
    let r = run(home.cmd(&sts).args(["mfa", "123456"]));
    r.expect_ok();
    assert!(fs::symlink_metadata(&entry).unwrap().file_type().is_file());
    assert_eq!(fs::read(&target).unwrap(), before, "not written through");
    assert_eq!(mode(&target), 0o644);
}

#[test]
fn planted_temp_and_lock_links_are_never_written_through() {
    let (home, sts, entry) = with_session();
    let name = entry.file_name().unwrap().to_str().unwrap().to_string();
    let stem = name.strip_suffix(".json").unwrap();
    // The temp name older versions used, and a lock pointing outside.
    let target = home.path().join("target");
    fs::write(&target, "keep").unwrap();
    symlink(
        &target,
        home.cache_dir().join(format!(".{name}.awscred-tmp")),
    )
    .unwrap();
    let r = run(home.cmd(&sts).args(["mfa", "--force", "123456"]));
    r.expect_ok();
    assert_eq!(fs::read_to_string(&target).unwrap(), "keep");

    let lock = home.cache_dir().join(format!("{stem}.lock"));
    fs::remove_file(&lock).unwrap();
    let created = home.path().join("created-by-a-lock");
    symlink(&created, &lock).unwrap();
    let r = run(home.cmd(&sts).args(["mfa", "--force", "123456"]));
    assert!(!created.exists(), "the lock link was followed");
    assert_refused(&r, "is not a regular file of yours");
    // clear --all removes the planted links.
    let r = run(home.cmd(&sts).args(["clear", "--all"]));
    r.expect_ok();
    assert!(fs::symlink_metadata(&lock).is_err());
    assert_eq!(fs::read_to_string(&target).unwrap(), "keep");
}

// ---- entries that are not ours ----

#[test]
fn fifo_and_device_entries_are_misses_not_hangs() {
    require_root();
    let (home, sts, entry) = with_session();
    fs::remove_file(&entry).unwrap();
    mkfifo(&entry);
    let r = run_within(home.cmd(&sts).arg("export"), Duration::from_secs(5));
    r.expect_code(7);
    assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
    fs::remove_file(&entry).unwrap();
    mkzero(&entry);
    let r = run_within(home.cmd(&sts).arg("export"), Duration::from_secs(5));
    r.expect_code(7);
    // The next session replaces it.
    let r = run_within(
        home.cmd(&sts).args(["mfa", "123456"]),
        Duration::from_secs(5),
    );
    r.expect_ok();
    assert!(fs::symlink_metadata(&entry).unwrap().file_type().is_file());
}

#[test]
fn an_oversized_entry_is_a_miss_even_when_it_parses() {
    let (home, sts, entry) = with_session();
    let mut padded = " ".repeat(100 * 1024).into_bytes();
    padded.extend(fs::read(&entry).unwrap());
    fs::write(&entry, padded).unwrap();
    let r = run(home.cmd(&sts).arg("export"));
    assert_eq!(r.code, 7, "{}", r.stdout);
    assert!(r.stderr.contains("too large"), "{}", r.stderr);
}

#[test]
fn an_entry_owned_by_another_user_is_a_miss_and_clear_removes_it() {
    require_root();
    let (home, sts, entry) = with_session();
    chown(&entry, Some(NOBODY), Some(NOBODY)).unwrap();
    let r = run(home.cmd(&sts).arg("export"));
    assert_eq!(r.code, 7, "{}", r.stdout);
    assert!(r.stderr.contains("belongs to another user"), "{}", r.stderr);
    let r = run(home.cmd(&sts).arg("clear"));
    r.expect_ok();
    assert!(!entry.exists(), "clear removes it");
}

#[test]
fn an_entry_failing_sts_validation_is_a_miss() {
    let (home, sts, entry) = with_session();
    let text = fs::read_to_string(&entry).unwrap();
    for (from, to) in [
        (issued(1).0, "ASIA\\u001b[31mFAKE0000".to_string()),
        (issued(1).0, "ASIA".to_string()),
        (issued(1).1, "se\\u0000cret".to_string()),
        (issued(1).2, "tok\\nen".to_string()),
    ] {
        let bad = text.replace(&from, &to);
        assert_ne!(bad, text);
        fs::write(&entry, bad).unwrap();
        let r = run(home.cmd(&sts).arg("export"));
        assert_eq!(r.code, 7, "{to}: {}", r.stdout);
        assert!(r.stderr.contains("is corrupt"), "{}", r.stderr);
        assert!(!r.stderr.contains('\u{1b}'));
    }
}

#[test]
fn clear_all_removes_everything_awscred_made_and_nothing_else() {
    let (home, sts, _) = with_session();
    run(home.cmd(&sts).args(["mfa", "654321", "--profile", "work"]));
    let dir = home.cache_dir();
    fs::write(dir.join("zzz-0123456789abcdef.json"), "{").unwrap();
    fs::write(
        dir.join(".zzz-0123456789abcdef.json.00000000000000ff.awscred-tmp"),
        "half",
    )
    .unwrap();
    fs::write(dir.join("old-0123456789abcdef.json"), "{\"version\":1}").unwrap();
    fs::write(dir.join("notes.txt"), "mine").unwrap();
    let r = run(home.cmd(&sts).args(["clear", "--all"]));
    r.expect_ok();
    let left: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    assert_eq!(left, ["notes.txt"]);
}

#[test]
fn clear_for_a_profile_removes_its_corrupt_entries_too() {
    let (home, sts, entry) = with_session();
    run(home.cmd(&sts).args(["mfa", "654321", "--profile", "work"]));
    fs::write(&entry, "{").unwrap();
    let r = run(home.cmd(&sts).arg("clear"));
    r.expect_ok();
    assert!(!entry.exists());
    assert_eq!(home.cache_entries().len(), 1, "work's session stays");
}

// ---- the cache key is everything that changes the credentials ----

#[test]
fn role_credentials_are_keyed_by_every_assume_role_parameter() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let role = "arn:aws:iam::123456789012:role/admin";
    let base = ["assume-role", "--role-arn", role, "--token-code", "123456"];
    let variants: [&[&str]; 4] = [
        &[],
        &["--role-session-name", "bob"],
        &["--role-session-name", "bob", "--external-id", "X2"],
        &[
            "--role-session-name",
            "bob",
            "--external-id",
            "X2",
            "--duration-seconds",
            "900",
        ],
    ];
    let mut keys = Vec::new();
    for extra in variants {
        let r = run(home.cmd(&sts).args(base).args(extra));
        assert_eq!(r.code, 0, "{extra:?}: {}", r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        keys.push(
            v["Credentials"]["AccessKeyId"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    keys.dedup();
    assert_eq!(
        keys.len(),
        4,
        "each variant got its own credentials: {keys:?}"
    );
    let roles: Vec<_> = sts
        .requests()
        .into_iter()
        .filter(|r| r.param("Action") == Some("AssumeRole"))
        .collect();
    assert_eq!(roles.len(), 4);
    assert_eq!(roles[2].param("RoleSessionName"), Some("bob"));
    assert_eq!(roles[2].param("ExternalId"), Some("X2"));
    assert_eq!(roles[3].param("DurationSeconds"), Some("900"));
    // Asked again, each is a cache hit.
    for extra in variants {
        assert_eq!(run(home.cmd(&sts).args(base).args(extra)).code, 0);
    }
    assert_eq!(sts.calls("AssumeRole"), 4);
}

#[test]
fn a_session_from_one_endpoint_is_not_handed_out_for_another() {
    let (home, a, b) = (Home::new(), FakeSts::start(), FakeSts::start());
    assert_eq!(run(home.cmd(&a).args(["mfa", "123456"])).code, 0);
    let r = run(home.cmd(&b).arg("export"));
    assert_eq!(r.code, 7, "A's session handed out for B: {}", r.stdout);
    let r = run(home.cmd(&b).args(["mfa", "123456"]));
    r.expect_ok();
    assert_eq!((a.session_calls(), b.session_calls()), (1, 1));
    // Each endpoint keeps its own session; the region alone does not split AWS's.
    assert_eq!(run(home.cmd(&a).arg("export")).code, 0);
}

// ---- --write-profile and the credentials file ----

#[test]
fn write_profile_refuses_fifos_devices_and_directories() {
    require_root();
    let (home, sts) = (Home::new(), FakeSts::start());
    let fifo = home.path().join("fifo");
    mkfifo(&fifo);
    let link = home.path().join("link-to-fifo");
    symlink(&fifo, &link).unwrap();
    let zero = home.path().join("zero");
    mkzero(&zero);
    let dir = home.path().join("dir");
    fs::create_dir(&dir).unwrap();
    for target in [&fifo, &link, &zero, &dir] {
        let before = fs::symlink_metadata(target).unwrap();
        let r = run_within(
            home.cmd(&sts)
                .args(["mfa", "123456", "--write-profile", "mfa"])
                .env("AWS_SHARED_CREDENTIALS_FILE", target),
            Duration::from_secs(5),
        );
        assert_eq!(r.code, 3, "{target:?}: {}", r.stderr);
        let after = fs::symlink_metadata(target).unwrap();
        assert_eq!(before.ino(), after.ino(), "{target:?} replaced");
        assert_eq!(before.mode(), after.mode(), "{target:?} changed");
    }
    assert!(fs::read_dir(home.path())
        .unwrap()
        .flatten()
        .all(|e| !e.file_name().to_string_lossy().contains("awscred-tmp")));
}

#[test]
fn write_profile_makes_the_file_private_with_a_notice() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let creds = home.path().join(".aws/credentials");
    set_mode(&creds, 0o644);
    let r = run(home
        .cmd(&sts)
        .args(["mfa", "123456", "--write-profile", "mfa"]));
    r.expect_ok();
    assert_eq!(mode(&creds), 0o600);
    assert!(
        r.stderr.contains("tightened permissions of") && r.stderr.contains("to 600"),
        "{}",
        r.stderr
    );
}

#[test]
fn two_spellings_of_the_credentials_file_take_one_lock() {
    let (home, sts) = (Home::new(), FakeSts::start());
    for spelling in [".aws/credentials", ".aws/../.aws/credentials"] {
        let r = run(home
            .cmd(&sts)
            .args(["mfa", "123456", "--write-profile", "mfa"])
            .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join(spelling)));
        r.expect_ok();
    }
    let locks = fs::read_dir(home.cache_dir())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("credentials-file-")
        })
        .count();
    assert_eq!(locks, 1);
}

// ---- secrets never reach stderr ----

#[test]
fn no_fragment_of_a_config_line_is_echoed() {
    let sts = FakeSts::start();
    for (config, credentials) in [
        (
            CONFIG.to_string(),
            format!(
                "[default]\naws_access_key_id = AKIADEFAULTKEY000001\n{}\n",
                PLANTED[0]
            ),
        ),
        (CONFIG.to_string(), format!("[default] {}\n", PLANTED[0])),
        (
            format!("[{0}]\n[{0}]\n", PLANTED[1]),
            CREDENTIALS.to_string(),
        ),
        (
            format!("[default]\nregion = {}\n", PLANTED[2]),
            CREDENTIALS.to_string(),
        ),
    ] {
        let home = Home::with(&config, &credentials);
        // run() fails the test on any 8-character piece of a planted secret.
        let r = run(home.cmd(&sts).args(["mfa", "123456"]));
        r.expect_code(3);
        assert!(r.stderr.contains(":"), "names file and line: {}", r.stderr);
    }
    // A broken endpoint_url in the file: refused before any request, so the
    // override can go (there is no network to reach anyway).
    let home = Home::with(
        &format!("[default]\nendpoint_url = x{}\n", PLANTED[2]),
        CREDENTIALS,
    );
    let r = run(home
        .cmd(&sts)
        .args(["mfa", "123456"])
        .env_remove("AWS_ENDPOINT_URL_STS"));
    r.expect_code(3);
    assert!(r.stderr.contains("config:2"), "{}", r.stderr);
    assert!(sts.requests().is_empty());
}

#[test]
fn an_endpoint_password_is_never_printed_or_used() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let url = sts
        .url()
        .replace("http://", "http://me:hunter2hunter2PASSWORD@");
    let r = run(home.cmd_url(&url).args(["mfa", "123456"]));
    assert_refused(
        &r,
        "AWS_ENDPOINT_URL_STS: the endpoint URL must not contain a user name or password",
    );
    assert!(sts.requests().is_empty());
}
