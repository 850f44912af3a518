//! Key stores (`keys add|ls|rm`, resolution from a store, the secret read
//! only right before signing) and `rotate`'s states, against the fake STS
//! (which answers the IAM calls too) and a real Secret Service
//! (gnome-keyring in a private D-Bus session).

use crate::support::*;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PASS: &str = "correct horse battery staple";
const NEW_ID: &str = "AKIANEWKEY0000000009";
/// Planted: the fixtures' leak check covers it.
const NEW_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const OLD_ID: &str = "AKIAWORKKEY000000002";
const USER_ARN: &str = "arn:aws:iam::210987654321:user/alice";

/// The fixture home with a private credentials file (a looser one is
/// tightened with a warning line of its own).
fn private_home() -> Home {
    let home = Home::new();
    use std::os::unix::fs::PermissionsExt;
    let path = home.path().join(".aws/credentials");
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
    home
}

fn credentials(home: &Home) -> String {
    fs::read_to_string(home.path().join(".aws/credentials")).unwrap()
}

fn keys_dir(home: &Home) -> PathBuf {
    home.path().join(".local/share/awscred")
}

/// The fixture with `[work]`'s two key lines gone.
fn without_work_keys() -> String {
    CREDENTIALS.replace(
        "[work]\naws_access_key_id = AKIAWORKKEY000000002\naws_secret_access_key = workSecret\n",
        "[work]\n",
    )
}

fn file_store(home: &Home, sts: &FakeSts) -> Command {
    let mut c = home.cmd(sts);
    c.env("AWSCRED_KEYS_PASSPHRASE", PASS);
    c
}

#[test]
fn keys_add_moves_the_keys_to_the_encrypted_file_and_mfa_signs_with_them() {
    let home = Home::new();
    let sts = FakeSts::start();
    run(file_store(&home, &sts).args(["keys", "add", "--profile", "work", "--store", "file"]))
        .expect_ok();
    assert_eq!(credentials(&home), without_work_keys());
    let file = keys_dir(&home).join("keys.age");
    let bytes = fs::read(&file).unwrap();
    assert!(!String::from_utf8_lossy(&bytes).contains("workSecret"));
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!((mode(&file), mode(&keys_dir(&home))), (0o600, 0o700));
    let ls = run(home.cmd(&sts).args(["keys", "ls"]));
    ls.expect_ok();
    assert_eq!(ls.stdout, "work\tAKIAWORKKEY000000002\tfile\n");

    run(file_store(&home, &sts).args(["mfa", "--profile", "work", "123456"])).expect_ok();
    let signed: Vec<String> = sts
        .requests()
        .iter()
        .map(|r| r.access_key_id.clone())
        .collect();
    assert_eq!(signed, [OLD_ID]);

    // A cache hit never opens the store: a wrong passphrase does not matter.
    let mut wrong = home.cmd(&sts);
    wrong.env("AWSCRED_KEYS_PASSPHRASE", "not the passphrase");
    run(wrong.args(["mfa", "--profile", "work"])).expect_ok();
    assert_eq!(sts.session_calls(), 1);
    // A new session needs the secret: now it does.
    let mut wrong = home.cmd(&sts);
    wrong.env("AWSCRED_KEYS_PASSPHRASE", "not the passphrase");
    run(wrong.args(["mfa", "--profile", "work", "--force", "123456"])).expect_failure(
        3,
        "false\n",
        "wrong passphrase",
    );
    // No passphrase and no terminal: says what to do.
    run(home
        .cmd(&sts)
        .args(["mfa", "--profile", "work", "--force", "123456"]))
    .expect_failure(3, "false\n", "set AWSCRED_KEYS_PASSPHRASE");
    assert_eq!(sts.session_calls(), 1);

    run(file_store(&home, &sts).args(["keys", "rm", "--profile", "work", "--yes"])).expect_ok();
    assert_eq!(run(home.cmd(&sts).args(["keys", "ls"])).stdout, "");
    run(home
        .cmd(&sts)
        .args(["mfa", "--profile", "work", "--force", "123456"]))
    .expect_failure(3, "false\n", "has no long-term keys");
}

/// `keys rm` may delete the only copy of a secret: it never guesses the
/// profile, and without a terminal it needs `--yes`.
#[test]
fn keys_rm_needs_a_named_profile_and_a_yes() {
    let home = private_home();
    let sts = FakeSts::start();
    run(file_store(&home, &sts).args(["keys", "add", "--profile", "work", "--store", "file"]))
        .expect_ok();
    let listed = "work\tAKIAWORKKEY000000002\tfile\n";
    // The profile from the environment or the session is not enough.
    let mut guessed = file_store(&home, &sts);
    guessed
        .env("AWS_PROFILE", "work")
        .env("AWSCRED_PROFILE", "work");
    run(guessed.args(["keys", "rm"])).expect_failure(2, "", "--profile");
    // No terminal, no --yes: refused, with both ways out.
    run(file_store(&home, &sts).args(["keys", "rm", "--profile", "work"])).expect_failure(
        2,
        "",
        "`awscred keys export --profile work` to move it back to the credentials file, or `awscred keys rm --profile work --yes`",
    );
    run(file_store(&home, &sts).args(["keys", "rm", "--all"])).expect_failure(2, "", "--all --yes");
    assert_eq!(run(home.cmd(&sts).args(["keys", "ls"])).stdout, listed);
    run(file_store(&home, &sts).args(["keys", "rm", "--all", "--yes"])).expect_ok();
    assert_eq!(run(home.cmd(&sts).args(["keys", "ls"])).stdout, "");
}

/// On a terminal `keys rm` asks; only `y` deletes.
#[test]
fn keys_rm_asks_on_a_terminal() {
    let home = private_home();
    let sts = FakeSts::start();
    run(file_store(&home, &sts).args(["keys", "add", "--profile", "work", "--store", "file"]))
        .expect_ok();
    let under_pty = |answer: &str| {
        let inner = format!("{} keys rm --profile work", env!("CARGO_BIN_EXE_awscred"));
        let mut child = Command::new("script")
            .args(["-q", "-e", "-c", &inner, "/dev/null"])
            .env_clear()
            .env("HOME", home.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWSCRED_CACHE_DIR", home.cache_dir())
            .env("AWSCRED_KEYS_PASSPHRASE", PASS)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("`script` (util-linux) is required");
        // The terminal holds the typed line until awscred reads it.
        child
            .stdin
            .take()
            .unwrap()
            .write_all(answer.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
        )
    };
    let (code, shown) = under_pty("n\n");
    assert_eq!(code, Some(3), "{shown}");
    assert!(
        shown.contains("delete key AKIAWORKKEY000000002 of profile work from the encrypted file"),
        "{shown}"
    );
    assert!(shown.contains("nothing was deleted"), "{shown}");
    assert_eq!(
        run(home.cmd(&sts).args(["keys", "ls"])).stdout,
        "work\tAKIAWORKKEY000000002\tfile\n"
    );
    let (code, shown) = under_pty("y\n");
    assert_eq!(code, Some(0), "{shown}");
    assert_eq!(run(home.cmd(&sts).args(["keys", "ls"])).stdout, "");
}

/// `keys export` undoes `keys add`: the credentials file is byte for byte
/// what it was, and the store no longer holds the key; a section without one
/// and a file that is not there get the two lines too.
#[test]
fn keys_export_moves_the_key_back_byte_for_byte() {
    let home = private_home();
    let sts = FakeSts::start();
    let path = home.path().join(".aws/credentials");
    let crlf = CREDENTIALS.replace('\n', "\r\n");
    fs::write(&path, &crlf).unwrap();
    run(file_store(&home, &sts).args(["keys", "add", "--profile", "work", "--store", "file"]))
        .expect_ok();
    assert!(!credentials(&home).contains("workSecret"));
    let r = run(file_store(&home, &sts).args(["keys", "export", "--profile", "work"]));
    r.expect_ok();
    assert!(
        r.stderr
            .contains("moved key AKIAWORKKEY000000002 of profile work from the encrypted file"),
        "{}",
        r.stderr
    );
    assert_eq!(credentials(&home), crlf);
    assert_eq!(run(home.cmd(&sts).args(["keys", "ls"])).stdout, "");
    run(file_store(&home, &sts).args(["mfa", "--profile", "work", "123456"])).expect_ok();
    assert_eq!(sts.requests()[0].access_key_id, OLD_ID);

    // Exported into a file that no longer exists: created, 0600.
    run(file_store(&home, &sts).args(["keys", "add", "--profile", "plain", "--store", "file"]))
        .expect_ok();
    fs::remove_file(&path).unwrap();
    run(file_store(&home, &sts).args(["keys", "export", "--profile", "plain"])).expect_ok();
    assert_eq!(
        credentials(&home),
        "[plain]\naws_access_key_id = AKIAPLAINKEY00000003\naws_secret_access_key = plainSecret\n"
    );
    // Nothing stored: says so.
    run(file_store(&home, &sts).args(["keys", "export", "--profile", "plain"])).expect_failure(
        3,
        "",
        "has no key in a key store",
    );
    run(home.cmd(&sts).args(["keys", "export"])).expect_failure(2, "", "--profile");
}

#[test]
fn keys_add_takes_typed_keys_from_stdin_and_never_echoes_them() {
    let home = Home::with(
        "[profile fresh]\nregion = eu-west-1\n",
        "[fresh]\nregion = x\n",
    );
    let sts = FakeSts::start();
    let mut c = file_store(&home, &sts);
    c.args(["keys", "add", "--profile", "fresh", "--store", "file"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("AKIAFRESHKEY00000005\n{NEW_SECRET}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_no_secret(&stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("stored key AKIAFRESHKEY00000005"),
        "{stderr}"
    );
    assert_eq!(credentials(&home), "[fresh]\nregion = x\n");
    run(file_store(&home, &sts).args(["get-session-token", "--profile", "fresh"])).expect_ok();
    assert_eq!(sts.requests()[0].access_key_id, "AKIAFRESHKEY00000005");
}

#[test]
fn keys_add_without_a_passphrase_or_with_a_broken_index_changes_nothing() {
    let home = Home::new();
    let sts = FakeSts::start();
    run(home
        .cmd(&sts)
        .args(["keys", "add", "--profile", "work", "--store", "file"]))
    .expect_failure(3, "", "set AWSCRED_KEYS_PASSPHRASE");
    assert_eq!(credentials(&home), CREDENTIALS);
    run(file_store(&home, &sts).args(["keys", "add", "--profile", "work", "--store", "file"]))
        .expect_ok();
    fs::write(
        keys_dir(&home).join("keys.json"),
        "{\"version\":1,\"profiles\":",
    )
    .unwrap();
    run(file_store(&home, &sts).args(["mfa", "--profile", "work", "123456"])).expect_failure(
        3,
        "false\n",
        "is not a valid key index",
    );
    // The encrypted file damaged: a clear error, never a panic.
    fs::write(keys_dir(&home).join("keys.json"), format!("{{\"version\":1,\"profiles\":{{\"work\":{{\"access_key_id\":\"{OLD_ID}\",\"store\":\"file\"}}}}}}")).unwrap();
    let age = keys_dir(&home).join("keys.age");
    let mut bytes = fs::read(&age).unwrap();
    let n = bytes.len();
    bytes[n - 3] ^= 0x41;
    fs::write(&age, bytes).unwrap();
    run(file_store(&home, &sts).args(["mfa", "--profile", "work", "123456"])).expect_failure(
        3,
        "false\n",
        "is damaged",
    );
    assert_eq!(sts.session_calls(), 0);
}

// ---- the OS store: a real Secret Service ----

/// A private D-Bus session bus with gnome-keyring's Secret Service on it,
/// its login keyring unlocked with a known password. Stopped on drop.
struct SecretService {
    dir: tempfile::TempDir,
    bus: Child,
    keyring: Child,
}

impl SecretService {
    fn start() -> SecretService {
        let dir = tempfile::tempdir().unwrap();
        let runtime = dir.path().join("run");
        fs::create_dir(&runtime).unwrap();
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&runtime, fs::Permissions::from_mode(0o700)).unwrap();
        let socket = dir.path().join("bus");
        let bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile"])
            .arg(format!("--address=unix:path={}", socket.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (Debian: dbus) must be installed: scripts/test installs it");
        let start = Instant::now();
        while !socket.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "dbus-daemon did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let address = format!("unix:path={}", socket.display());
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--unlock", "--components=secrets", "--foreground"])
            .env_clear()
            .env("HOME", dir.path())
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon (Debian: gnome-keyring) must be installed: scripts/test installs it");
        let mut stdin = keyring.stdin.take().unwrap();
        stdin.write_all(b"keyring-test-password").unwrap();
        drop(stdin);
        let service = SecretService { dir, bus, keyring };
        // Wait until the Secret Service owns its name on the bus.
        let start = Instant::now();
        loop {
            let out = Command::new("dbus-send")
                .env("DBUS_SESSION_BUS_ADDRESS", service.address())
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    "string:org.freedesktop.secrets",
                ])
                .output()
                .expect("dbus-send (Debian: dbus-bin)");
            if String::from_utf8_lossy(&out.stdout).contains("boolean true") {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "no Secret Service on the bus"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        service
    }

    fn address(&self) -> String {
        format!("unix:path={}", self.dir.path().join("bus").display())
    }

    /// What the store holds for `profile` (secret-tool, from libsecret-tools).
    fn lookup(&self, profile: &str) -> String {
        let out = Command::new("secret-tool")
            .env("DBUS_SESSION_BUS_ADDRESS", self.address())
            .args(["lookup", "service", "awscred", "username", profile])
            .output()
            .expect("secret-tool (Debian: libsecret-tools)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        let _ = self.keyring.kill();
        let _ = self.keyring.wait();
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}

#[test]
fn the_os_store_on_a_real_secret_service_add_use_list_remove() {
    let service = SecretService::start();
    let home = Home::new();
    let sts = FakeSts::start();
    let os = |args: &[&str]| {
        let mut c = home.cmd(&sts);
        c.env("DBUS_SESSION_BUS_ADDRESS", service.address())
            .args(args);
        run(&mut c)
    };
    // With a session bus, the OS store is the default.
    let added = os(&["keys", "add", "--profile", "work"]);
    added.expect_ok();
    assert!(
        added.stderr.contains("to the OS credential store"),
        "{}",
        added.stderr
    );
    assert_eq!(credentials(&home), without_work_keys());
    let item = service.lookup("work");
    assert!(
        item.contains(OLD_ID) && item.contains("workSecret"),
        "stored item: {item:?}"
    );
    assert!(!fs::read_to_string(keys_dir(&home).join("keys.json"))
        .unwrap()
        .contains("workSecret"));
    assert_eq!(
        os(&["keys", "ls"]).stdout,
        "work\tAKIAWORKKEY000000002\tos\n"
    );

    os(&["mfa", "--profile", "work", "123456"]).expect_ok();
    assert_eq!(sts.requests()[0].access_key_id, OLD_ID);
    // A cache hit needs no D-Bus at all: a bus that is not there is fine.
    let mut c = home.cmd(&sts);
    c.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .args(["mfa", "--profile", "work"]);
    run(&mut c).expect_ok();
    // A new session needs the store: without a bus, a clear error.
    let mut c = home.cmd(&sts);
    c.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .args(["mfa", "--profile", "work", "--force", "123456"]);
    run(&mut c).expect_failure(
        3,
        "false\n",
        "cannot read the key of profile work: no D-Bus session bus",
    );
    assert_eq!(sts.session_calls(), 1);

    // A corrupt item (written by another tool): a clear error, no STS call.
    let mut store = Command::new("secret-tool")
        .env("DBUS_SESSION_BUS_ADDRESS", service.address())
        .args([
            "store",
            "--label=x",
            "service",
            "awscred",
            "username",
            "work",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    store.stdin.take().unwrap().write_all(b"not json").unwrap();
    assert!(store.wait().unwrap().success());
    os(&["mfa", "--profile", "work", "--force", "123456"]).expect_failure(
        3,
        "false\n",
        "the item of profile work (service awscred) in the OS credential store is not an awscred key",
    );
    assert_eq!(sts.session_calls(), 1);

    os(&["keys", "rm", "--profile", "work", "--yes"]).expect_ok();
    assert_eq!(service.lookup("work"), "");
    assert_eq!(os(&["keys", "ls"]).stdout, "");
    os(&["keys", "rm", "--profile", "work", "--yes"]).expect_failure(
        3,
        "",
        "has no key in a key store",
    );
}

// ---- rotate, against the fake (which answers IAM's Query calls too) ----

fn raw(body: String) -> Reply {
    Reply::Raw { status: 200, body }
}

fn identity() -> Reply {
    raw(format!("<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>{USER_ARN}</Arn><UserId>AIDAALICE</UserId><Account>210987654321</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>"))
}

fn listed(ids: &[&str]) -> Reply {
    let members: String = ids
        .iter()
        .map(|id| format!("<member><UserName>alice</UserName><AccessKeyId>{id}</AccessKeyId><Status>Active</Status><CreateDate>2026-01-01T00:00:00Z</CreateDate></member>"))
        .collect();
    raw(format!("<ListAccessKeysResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ListAccessKeysResult><IsTruncated>false</IsTruncated><AccessKeyMetadata>{members}</AccessKeyMetadata></ListAccessKeysResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListAccessKeysResponse>"))
}

fn created() -> Reply {
    raw(format!("<CreateAccessKeyResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><CreateAccessKeyResult><AccessKey><UserName>alice</UserName><AccessKeyId>{NEW_ID}</AccessKeyId><Status>Active</Status><SecretAccessKey>{NEW_SECRET}</SecretAccessKey><CreateDate>2026-01-01T00:00:00Z</CreateDate></AccessKey></CreateAccessKeyResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></CreateAccessKeyResponse>"))
}

fn deleted() -> Reply {
    raw("<DeleteAccessKeyResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DeleteAccessKeyResponse>".into())
}

fn rotate(home: &Home, sts: &FakeSts) -> Command {
    rotate_profile(home, sts, "work")
}

fn rotate_profile(home: &Home, sts: &FakeSts, profile: &str) -> Command {
    let mut c = home.cmd(sts);
    c.env("AWS_ENDPOINT_URL_IAM", sts.url())
        .env("AWSCRED_ROTATE_WAIT", "1")
        .env("AWSCRED_KEYS_PASSPHRASE", PASS)
        .args(["rotate", "--profile", profile, "--token-code", "123456"]);
    c
}

fn actions(sts: &FakeSts) -> Vec<(String, String)> {
    sts.requests()
        .iter()
        .map(|r| {
            (
                r.param("Action").unwrap_or("").to_string(),
                r.access_key_id.clone(),
            )
        })
        .collect()
}

fn new_keys_file() -> String {
    CREDENTIALS.replace(
        "aws_access_key_id = AKIAWORKKEY000000002\naws_secret_access_key = workSecret",
        &format!("aws_access_key_id = {NEW_ID}\naws_secret_access_key = {NEW_SECRET}"),
    )
}

#[test]
fn rotate_replaces_the_key_in_the_credentials_file_and_deletes_the_old_one() {
    let home = private_home();
    let sts = FakeSts::with(vec![
        identity(),
        session(),
        listed(&[OLD_ID]),
        created(),
        identity(),
        deleted(),
    ]);
    let r = run(&mut rotate(&home, &sts));
    r.expect_ok();
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr
            .contains(&format!("the new key {NEW_ID} is stored in [work]")),
        "{}",
        r.stderr
    );
    assert_eq!(credentials(&home), new_keys_file());
    let (session_id, _, _) = issued(1);
    let a = actions(&sts);
    let want = [
        ("GetCallerIdentity", OLD_ID),
        ("GetSessionToken", OLD_ID),
        ("ListAccessKeys", session_id.as_str()),
        ("CreateAccessKey", session_id.as_str()),
        ("GetCallerIdentity", NEW_ID),
        ("DeleteAccessKey", session_id.as_str()),
    ];
    assert_eq!(a, want.map(|(x, k)| (x.to_string(), k.to_string())),);
    let reqs = sts.requests();
    assert_eq!(reqs[5].param("AccessKeyId"), Some(OLD_ID));
    assert_eq!(reqs[5].param("UserName"), Some("alice"));
    assert!(
        reqs[3].session_token.is_some(),
        "IAM signed with the MFA session"
    );
    // The next session is signed with the new key.
    run(home
        .cmd(&sts)
        .args(["mfa", "--profile", "work", "--force", "123456"]))
    .expect_ok();
    assert_eq!(sts.requests().last().unwrap().access_key_id, NEW_ID);
}

#[test]
fn rotate_stops_when_the_user_already_has_two_keys() {
    let home = private_home();
    let sts = FakeSts::with(vec![
        identity(),
        session(),
        listed(&[OLD_ID, "AKIASPAREKEY00000007"]),
    ]);
    run(&mut rotate(&home, &sts)).expect_failure(
        3,
        "",
        "already has two access keys, the most IAM allows: AKIAWORKKEY000000002 (Active), AKIASPAREKEY00000007 (Active); profile work uses AKIAWORKKEY000000002: delete the other one if nothing uses it (`aws iam delete-access-key --user-name alice --access-key-id AKIASPAREKEY00000007`)",
    );
    assert_eq!(sts.calls("CreateAccessKey"), 0);
    assert_eq!(credentials(&home), CREDENTIALS);
}

#[test]
fn rotate_keeps_the_old_key_when_the_new_one_does_not_work() {
    let home = private_home();
    let bad = || {
        error(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
    };
    let sts = FakeSts::with(vec![
        identity(),
        session(),
        listed(&[OLD_ID]),
        created(),
        bad(),
        bad(),
        deleted(),
    ]);
    let r = run(&mut rotate(&home, &sts));
    r.expect_failure(
        5,
        "",
        &format!("the new key {NEW_ID} did not work within 1 s"),
    );
    assert!(
        r.stderr
            .contains(&format!("the old key {OLD_ID} is stored again in [work]")),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("the new key was deleted in IAM: nothing changed"),
        "{}",
        r.stderr
    );
    assert_eq!(credentials(&home), CREDENTIALS);
    let reqs = sts.requests();
    let last = reqs.last().unwrap();
    assert_eq!(
        (last.param("Action"), last.param("AccessKeyId")),
        (Some("DeleteAccessKey"), Some(NEW_ID))
    );
    assert_eq!(sts.calls("GetCallerIdentity"), 3);
}

#[test]
fn rotate_says_both_keys_exist_when_deleting_the_old_one_fails() {
    let home = private_home();
    let sts = FakeSts::with(vec![
        identity(),
        session(),
        listed(&[OLD_ID]),
        created(),
        identity(),
        error(403, "AccessDenied", "not allowed to DeleteAccessKey"),
    ]);
    let r = run(&mut rotate(&home, &sts));
    r.expect_failure(5, "", &format!("the new key {NEW_ID} works and is stored in [work] in ~/.aws/credentials, but deleting the old key {OLD_ID} in IAM failed"));
    assert!(r.stderr.contains(&format!("IAM still has both keys; delete the old one with `aws iam delete-access-key --user-name alice --access-key-id {OLD_ID}`")), "{}", r.stderr);
    assert_eq!(credentials(&home), new_keys_file());
}

#[test]
fn rotate_deletes_the_new_key_when_it_cannot_be_stored() {
    let home = private_home();
    let sts = FakeSts::with(vec![
        identity(),
        session(),
        listed(&[OLD_ID]),
        created(),
        deleted(),
    ]);
    let r = run(rotate(&home, &sts).env("AWSCRED_DEBUG_ROTATE_FAIL", "store"));
    r.expect_failure(6, "", "could not store the new key in [work]");
    assert!(r.stderr.contains(&format!("it was deleted in IAM again: nothing changed, the old key {OLD_ID} is still stored and active")), "{}", r.stderr);
    assert_eq!(credentials(&home), CREDENTIALS);
    assert_eq!(
        sts.requests().last().unwrap().param("AccessKeyId"),
        Some(NEW_ID)
    );
}

#[test]
fn rotate_a_key_in_the_encrypted_file_keeps_it_there() {
    let home = private_home();
    let sts = FakeSts::with(vec![
        identity(),
        session(),
        listed(&[OLD_ID]),
        created(),
        identity(),
        deleted(),
    ]);
    run(file_store(&home, &sts).args(["keys", "add", "--profile", "work", "--store", "file"]))
        .expect_ok();
    run(&mut rotate(&home, &sts)).expect_ok();
    assert_eq!(
        run(home.cmd(&sts).args(["keys", "ls"])).stdout,
        format!("work\t{NEW_ID}\tfile\n")
    );
    assert_eq!(credentials(&home), without_work_keys());
    run(file_store(&home, &sts).args(["mfa", "--profile", "work", "--force", "123456"]))
        .expect_ok();
    assert_eq!(sts.requests().last().unwrap().access_key_id, NEW_ID);
}

#[test]
fn rotate_without_an_mfa_device_signs_iam_with_the_key_itself() {
    let home = private_home();
    let sts = FakeSts::with(vec![
        identity(),
        listed(&["AKIAPLAINKEY00000003"]),
        created(),
        identity(),
        deleted(),
    ]);
    run(&mut rotate_profile(&home, &sts, "plain")).expect_ok();
    let want = [
        ("GetCallerIdentity", "AKIAPLAINKEY00000003"),
        ("ListAccessKeys", "AKIAPLAINKEY00000003"),
        ("CreateAccessKey", "AKIAPLAINKEY00000003"),
        ("GetCallerIdentity", NEW_ID),
        ("DeleteAccessKey", "AKIAPLAINKEY00000003"),
    ];
    assert_eq!(
        actions(&sts),
        want.map(|(a, k)| (a.to_string(), k.to_string()))
    );
    assert!(credentials(&home).contains(&format!("[plain]\naws_access_key_id = {NEW_ID}\n")));
}

#[test]
fn rotate_a_key_in_the_secret_service_keeps_it_there() {
    let service = SecretService::start();
    let home = private_home();
    let sts = FakeSts::with(vec![
        identity(),
        session(),
        listed(&[OLD_ID]),
        created(),
        identity(),
        deleted(),
    ]);
    let os = |c: &mut Command| {
        c.env("DBUS_SESSION_BUS_ADDRESS", service.address());
        run(c)
    };
    os(home
        .cmd(&sts)
        .args(["keys", "add", "--profile", "work", "--store", "os"]))
    .expect_ok();
    os(&mut rotate(&home, &sts)).expect_ok();
    let item = service.lookup("work");
    assert!(
        item.contains(NEW_ID) && item.contains(NEW_SECRET),
        "stored item: {item:?}"
    );
    assert_eq!(
        os(home.cmd(&sts).args(["keys", "ls"])).stdout,
        format!("work\t{NEW_ID}\tos\n")
    );
    assert_eq!(credentials(&home), without_work_keys());
}

/// The new key was written to the store but the index could not be: the
/// store gets the old key back, so deleting the new key in IAM loses
/// nothing, and the profile still works with the old key. (Before, the store
/// kept the new key, IAM deleted it, and the old secret was gone.)
#[test]
fn rotate_puts_the_old_key_back_when_the_index_cannot_be_written() {
    let home = private_home();
    let sts = FakeSts::with(vec![
        identity(),
        session(),
        listed(&[OLD_ID]),
        created(),
        deleted(),
    ]);
    run(file_store(&home, &sts).args(["keys", "add", "--profile", "work", "--store", "file"]))
        .expect_ok();
    let r = run(rotate(&home, &sts).env("AWSCRED_DEBUG_ROTATE_FAIL", "index"));
    assert_ne!(r.code, 0);
    assert!(
        r.stderr
            .contains("it was deleted in IAM again: nothing changed"),
        "{}",
        r.stderr
    );
    assert_eq!(
        run(home.cmd(&sts).args(["keys", "ls"])).stdout,
        format!("work\t{OLD_ID}\tfile\n")
    );
    run(file_store(&home, &sts).args(["mfa", "--profile", "work", "--force", "123456"]))
        .expect_ok();
    assert_eq!(sts.requests().last().unwrap().access_key_id, OLD_ID);
}

/// `c` under strace, every `fsync` of the directory `dir` failing with EIO
/// from the `when`-th on (`1+`: all of them), as a full or failing disk does.
fn with_dir_fsync_failing(c: &Command, dir: &Path, when: &str) -> Command {
    with_failing(c, dir, "fsync", when)
}

/// A directory sync that fails after the rename: the file is written, so
/// rotate goes on with the new key (a warning says the sync failed) instead
/// of deleting it in IAM while the file holds it (issue 19's first finding:
/// the old secret was then stored nowhere).
#[test]
fn a_failed_directory_sync_after_the_rename_keeps_the_new_key_stored_and_working() {
    for file_store_case in [false, true] {
        let home = private_home();
        let sts = FakeSts::with(vec![
            identity(),
            session(),
            listed(&[OLD_ID]),
            created(),
            identity(),
            deleted(),
        ]);
        let dir = if file_store_case {
            run(file_store(&home, &sts).args([
                "keys",
                "add",
                "--profile",
                "work",
                "--store",
                "file",
            ]))
            .expect_ok();
            keys_dir(&home)
        } else {
            home.path().join(".aws")
        };
        let before = sts.requests().len();
        // The file store: the second sync (the index after the encrypted file),
        // where the old code put the old key back in the file but left the
        // index naming the new one; the credentials file: the first.
        let when = if file_store_case { "2" } else { "1" };
        let r = run(&mut with_dir_fsync_failing(
            &rotate(&home, &sts),
            &dir,
            when,
        ));
        let what = format!("file store {file_store_case}: {}", r.stderr);
        r.expect_ok();
        assert!(
            r.stderr.contains("its directory could not be synced"),
            "{what}"
        );
        assert!(
            r.stderr
                .contains(&format!("the new key {NEW_ID} is stored")),
            "{what}"
        );
        let deletes: Vec<_> = sts.requests()[before..]
            .iter()
            .filter(|q| q.param("Action") == Some("DeleteAccessKey"))
            .map(|q| q.param("AccessKeyId").unwrap_or_default().to_string())
            .collect();
        assert_eq!(deletes, [OLD_ID], "{what}");
        if file_store_case {
            assert_eq!(
                run(home.cmd(&sts).args(["keys", "ls"])).stdout,
                format!("work\t{NEW_ID}\tfile\n")
            );
        } else {
            assert_eq!(credentials(&home), new_keys_file());
        }
        run(file_store(&home, &sts).args(["mfa", "--profile", "work", "--force", "123456"]))
            .expect_ok();
        assert_eq!(
            sts.requests().last().unwrap().access_key_id,
            NEW_ID,
            "{what}"
        );
    }
}

/// Every sync of the directory failing: the new key is stored and works,
/// but until its directory is durable a crash could bring the old file back,
/// so the old key is not deleted: IAM keeps both, and the message says how
/// to finish.
#[test]
fn a_directory_that_never_syncs_keeps_both_keys_in_iam() {
    let home = private_home();
    let sts = FakeSts::with(vec![
        identity(),
        session(),
        listed(&[OLD_ID]),
        created(),
        identity(),
        deleted(),
    ]);
    let r = run(&mut with_dir_fsync_failing(
        &rotate(&home, &sts),
        &home.path().join(".aws"),
        "1+",
    ));
    assert_ne!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("the new key {NEW_ID} works and is stored")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("IAM keeps both keys"), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("--access-key-id {OLD_ID}")),
        "{}",
        r.stderr
    );
    assert_eq!(sts.calls("DeleteAccessKey"), 0);
    assert_eq!(credentials(&home), new_keys_file());
}

/// CreateAccessKey answering with the old key's id: nothing is stored, and
/// nothing deleted (deleting "the new key" would delete the only one).
#[test]
fn a_new_key_with_the_old_id_is_refused_and_nothing_is_deleted() {
    let home = private_home();
    let same = raw(format!("<CreateAccessKeyResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><CreateAccessKeyResult><AccessKey><UserName>alice</UserName><AccessKeyId>{OLD_ID}</AccessKeyId><Status>Active</Status><SecretAccessKey>{NEW_SECRET}</SecretAccessKey><CreateDate>2026-01-01T00:00:00Z</CreateDate></AccessKey></CreateAccessKeyResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></CreateAccessKeyResponse>"));
    let sts = FakeSts::with(vec![
        identity(),
        session(),
        listed(&[OLD_ID]),
        same,
        deleted(),
        deleted(),
    ]);
    run(&mut rotate(&home, &sts)).expect_failure(
        6,
        "",
        "IAM answered CreateAccessKey with the id of the old key AKIAWORKKEY000000002: nothing was stored or deleted",
    );
    assert_eq!(sts.calls("DeleteAccessKey"), 0);
    assert_eq!(credentials(&home), CREDENTIALS);
}

/// A bad setting is found before anything is written anywhere: no key is
/// created in IAM, nothing stored.
#[test]
fn rotate_checks_every_setting_before_the_first_write() {
    let home = private_home();
    let sts = FakeSts::with(vec![
        identity(),
        session(),
        listed(&[OLD_ID]),
        created(),
        identity(),
        deleted(),
    ]);
    run(rotate(&home, &sts).env("AWSCRED_ROTATE_WAIT", "soon")).expect_failure(
        3,
        "",
        "AWSCRED_ROTATE_WAIT must be whole seconds from 1 to 600",
    );
    assert_eq!(sts.calls("CreateAccessKey"), 0);
    assert!(sts.requests().is_empty(), "no call at all");
    assert_eq!(credentials(&home), CREDENTIALS);
}

/// `c` under strace, `syscalls` on the directory `dir` failing with EIO at
/// their `when`-th call (strace's `when` syntax).
fn with_failing(c: &Command, dir: &Path, syscalls: &str, when: &str) -> Command {
    let mut s = Command::new("strace");
    s.args(["-f", "-qq", "-e", "signal=none", "-o", "/dev/null", "-P"])
        .arg(dir)
        .args(["-e", &format!("trace={syscalls}"), "-e"])
        .arg(format!("inject={syscalls}:error=EIO:when={when}"))
        .arg(c.get_program())
        .args(c.get_args())
        .env_clear()
        .stdin(Stdio::null());
    for (k, v) in c.get_envs() {
        if let Some(v) = v {
            s.env(k, v);
        }
    }
    s
}

/// The README's rotation table, checked at every failure point: each
/// directory sync, rename and open in the directory of the file that holds
/// the key (the credentials file, or the encrypted file and its index), the
/// proof and each IAM delete. After each, the stored key is one IAM still has, it signs, and the
/// message says truly which key is stored.
#[test]
fn after_any_failure_the_stored_key_is_one_iam_has_and_the_message_says_which() {
    let rename = "rename,renameat,renameat2";
    let mut cases: Vec<(&str, &str, &str)> = Vec::new();
    for when in ["1", "2", "3", "4", "1+"] {
        cases.push(("fsync", when, "ok"));
        cases.push((rename, when, "ok"));
    }
    // Every open in the directory: the reads, the lock, the temp file.
    for when in ["1", "2", "3", "4", "5", "6", "7", "8"] {
        cases.push(("openat", when, "ok"));
    }
    cases.push(("", "", "proof"));
    cases.push(("", "", "delete-new"));
    cases.push(("", "", "delete-old"));
    for file_store_case in [false, true] {
        for &(syscalls, when, iam) in &cases {
            let home = private_home();
            let fail = || error(500, "ServiceFailure", "down");
            let denied = || {
                error(
                    403,
                    "InvalidClientTokenId",
                    "The security token included in the request is invalid.",
                )
            };
            let mut replies = vec![
                ("GetCallerIdentity", identity()),
                ("ListAccessKeys", listed(&[OLD_ID])),
                ("CreateAccessKey", created()),
            ];
            match iam {
                "proof" => replies.extend((0..20).map(|_| ("GetCallerIdentity", denied()))),
                _ => replies.push(("GetCallerIdentity", identity())),
            }
            // The first delete: the new key's on a rollback, else the old one's.
            match iam {
                "delete-new" | "delete-old" => {
                    replies.extend((0..5).map(|_| ("DeleteAccessKey", fail())))
                }
                _ => replies.extend((0..3).map(|_| ("DeleteAccessKey", deleted()))),
            }
            let sts = FakeSts::by_action(replies);
            let dir = if file_store_case {
                run(file_store(&home, &sts).args([
                    "keys",
                    "add",
                    "--profile",
                    "work",
                    "--store",
                    "file",
                ]))
                .expect_ok();
                keys_dir(&home)
            } else {
                home.path().join(".aws")
            };
            let mut c = rotate(&home, &sts);
            let r = if syscalls.is_empty() {
                run(&mut c)
            } else {
                run(&mut with_failing(&c, &dir, syscalls, when))
            };
            let what = format!(
                "file store {file_store_case}, {syscalls} {when} {iam}: exit {}: {}",
                r.code, r.stderr
            );
            // What IAM holds: the old key, the new one once created, less what was deleted.
            let reqs = sts.requests();
            let mut in_iam = vec![OLD_ID.to_string()];
            if reqs
                .iter()
                .any(|q| q.param("Action") == Some("CreateAccessKey"))
            {
                in_iam.push(NEW_ID.to_string());
            }
            if !iam.starts_with("delete") {
                for q in reqs
                    .iter()
                    .filter(|q| q.param("Action") == Some("DeleteAccessKey"))
                {
                    in_iam.retain(|k| Some(k.as_str()) != q.param("AccessKeyId"));
                }
            }
            let stored = if file_store_case {
                let ls = run(home.cmd(&sts).args(["keys", "ls"])).stdout;
                ls.split('\t').nth(1).unwrap_or_default().to_string()
            } else {
                credentials(&home)
                    .split("[work]\naws_access_key_id = ")
                    .nth(1)
                    .and_then(|t| t.lines().next())
                    .unwrap_or_default()
                    .to_string()
            };
            assert!(
                in_iam.contains(&stored),
                "stored {stored} is not in IAM {in_iam:?}: {what}"
            );
            if r.code == 0 {
                assert_eq!((stored.as_str(), in_iam.len()), (NEW_ID, 1), "{what}");
            } else if !reqs
                .iter()
                .any(|q| q.param("Action") == Some("CreateAccessKey"))
            {
                // Failed before IAM was changed: nothing is, whatever the message.
                assert_eq!((stored.as_str(), in_iam.len()), (OLD_ID, 1), "{what}");
            } else {
                assert_eq!(r.stdout, "", "{what}");
                assert!(
                    r.stderr.contains(&stored),
                    "the message names the stored key: {what}"
                );
                if r.stderr.contains("nothing changed") {
                    assert_eq!((stored.as_str(), in_iam.len()), (OLD_ID, 1), "{what}");
                }
                if r.stderr
                    .contains(&format!("old key {OLD_ID} is still stored"))
                    || r.stderr
                        .contains(&format!("old key {OLD_ID} is stored again"))
                {
                    assert_eq!(stored, OLD_ID, "{what}");
                }
                if r.stderr
                    .contains(&format!("new key {NEW_ID} works and is stored"))
                {
                    assert_eq!(stored, NEW_ID, "{what}");
                }
            }
            // The stored key signs.
            run(file_store(&home, &sts).args(["mfa", "--profile", "work", "--force", "123456"]))
                .expect_ok();
            assert_eq!(
                sts.requests().last().unwrap().access_key_id,
                stored,
                "{what}"
            );
        }
    }
}

/// IAM's refusals end in what fixes them: the permission, the command.
#[test]
fn rotate_says_how_to_fix_what_iam_refuses() {
    let cases = [
        (
            vec![identity(), session(), error(403, "AccessDenied", "User: arn:aws:iam::210987654321:user/alice is not authorized to perform: iam:ListAccessKeys")],
            5,
            "IAM refused ListAccessKeys (HTTP 403, AccessDenied: User: arn:aws:iam::210987654321:user/alice is not authorized to perform: iam:ListAccessKeys): user alice needs iam:ListAccessKeys on itself (resource arn:aws:iam::*:user/${aws:username}) in its policy, with MFA if the policy asks for it (mfa_serial in profile work): ask your administrator",
        ),
        (
            vec![identity(), session(), error(403, "InvalidClientTokenId", "The security token included in the request is invalid")],
            5,
            "the session that signed it was revoked or has expired: run `awscred clear --profile work`, then `awscred rotate --profile work`",
        ),
        (
            vec![identity(), session(), listed(&[OLD_ID]), error(409, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")],
            3,
            "IAM refused CreateAccessKey (HTTP 409, LimitExceeded: Cannot exceed quota for AccessKeysPerUser: 2): user alice has two access keys, the most IAM allows: see them with `aws iam list-access-keys --user-name alice`, delete the one nothing uses with `aws iam delete-access-key --user-name alice --access-key-id ID`, then retry",
        ),
        (
            vec![identity(), session(), error(404, "NoSuchEntity", "The user with name alice cannot be found.")],
            3,
            "IAM has no user alice: check whom the key belongs to with `aws sts get-caller-identity --profile work`",
        ),
    ];
    for (script, code, message) in cases {
        let home = private_home();
        let sts = FakeSts::with(script);
        run(&mut rotate(&home, &sts)).expect_failure(code, "", message);
        assert_eq!(credentials(&home), CREDENTIALS);
    }
}

/// Another section holding the same key id stops working once the old key
/// is deleted: one warning line before anything changes, naming it.
#[test]
fn rotate_warns_about_other_sections_holding_the_old_key() {
    let home = private_home();
    let path = home.path().join(".aws/credentials");
    let shared = format!("{CREDENTIALS}\n[backup]\naws_access_key_id = {OLD_ID}\naws_secret_access_key = workSecret\n");
    fs::write(&path, &shared).unwrap();
    let sts = FakeSts::with(vec![
        identity(),
        session(),
        listed(&[OLD_ID]),
        created(),
        identity(),
        deleted(),
    ]);
    let r = run(&mut rotate(&home, &sts));
    r.expect_ok();
    let first = r.stderr.lines().next().unwrap_or("");
    assert_eq!(
        first,
        format!("awscred: warning: profile backup also holds key {OLD_ID}: it will stop working once rotate deletes it in IAM; afterwards give it the new key, or `source_profile = work`"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 2, "{}", r.stderr);
    // Without another holder: no warning.
    let home = private_home();
    let sts = FakeSts::with(vec![
        identity(),
        session(),
        listed(&[OLD_ID]),
        created(),
        identity(),
        deleted(),
    ]);
    let r = run(&mut rotate(&home, &sts));
    r.expect_ok();
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
}
