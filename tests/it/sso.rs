//! IAM Identity Center without the AWS CLI: `sso login` (device code, PKCE in
//! a real browser), the token file as the AWS CLI writes it, the refresh and
//! the role credentials under one lock, login when needed, `logout`,
//! `populate`, hostile answers, against the fake in tests/support.

use crate::support::identity_center::{FakeIdentityCenter, Hostile, Poll, ROLE_KEY_ID};
use crate::support::*;
use sha1::Digest as _;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const SSO_CONFIG: &str = "[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\nregion = eu-west-3\n\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n";

fn sha1_hex(s: &str) -> String {
    sha1::Sha1::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn token_path(home: &Home) -> PathBuf {
    home.path()
        .join(".aws/sso/cache")
        .join(format!("{}.json", sha1_hex("corp")))
}

fn token_json(home: &Home) -> serde_json::Value {
    serde_json::from_slice(&fs::read(token_path(home)).unwrap()).unwrap()
}

/// The binary with both Identity Center endpoints at the fake, no browser,
/// no desktop, no terminal (see `Home::cmd_url`).
fn cmd(home: &Home, idc: &FakeIdentityCenter) -> Command {
    let mut c = home.cmd_url("http://127.0.0.1:9");
    c.env("AWS_ENDPOINT_URL_SSO_OIDC", idc.url())
        .env("AWS_ENDPOINT_URL_SSO", idc.url())
        .env("AWSCRED_TIMEOUT", "5");
    c
}

/// No issued token, refresh token or client secret on stderr.
fn no_token_on(stderr: &str, idc: &FakeIdentityCenter) {
    for s in idc.secrets() {
        assert!(!stderr.contains(&s), "a secret reached stderr: {stderr}");
    }
}

/// A token file as a login left it, expiring at `expires`.
fn logged_in(home: &Home, idc: &FakeIdentityCenter, expires: i64) -> (String, String) {
    let (id, secret, access, refresh) = idc.issue(expires);
    let dir = home.path().join(".aws/sso/cache");
    fs::create_dir_all(&dir).unwrap();
    let body = serde_json::json!({
        "startUrl": "https://example.awsapps.com/start", "region": "eu-west-1",
        "accessToken": access, "expiresAt": rfc3339(expires),
        "clientId": id, "clientSecret": secret,
        "registrationExpiresAt": rfc3339(now() + 30 * 86400), "refreshToken": refresh,
    });
    fs::write(token_path(home), body.to_string()).unwrap();
    fs::set_permissions(token_path(home), fs::Permissions::from_mode(0o600)).unwrap();
    (access, refresh)
}

#[test]
fn a_device_code_login_writes_the_token_file_exactly_as_the_aws_cli_does() {
    let (home, idc) = (Home::with(SSO_CONFIG, ""), FakeIdentityCenter::start());
    idc.polls(&[Poll::Pending, Poll::Pending]);
    let r = run(cmd(&home, &idc).args(["sso", "login", "--profile", "dev", "--use-device-code"]));
    r.expect_ok();
    assert_eq!(r.stdout, "", "stdout carries nothing");
    assert!(
        r.stderr.contains(
            "open http://127.0.0.1/device?user_code=WXYZ-1234 and confirm the code WXYZ-1234"
        ),
        "{}",
        r.stderr
    );
    no_token_on(&r.stderr, &idc);
    assert_eq!(
        idc.calls("CreateToken"),
        3,
        "two pending polls, then the token"
    );
    let reg = &idc.params("RegisterClient")[0];
    assert_eq!(reg["clientType"], "public");
    assert_eq!(reg["issuerUrl"], "https://example.awsapps.com/start");
    assert!(reg["grantTypes"].contains("refresh_token"), "{reg:?}");
    assert_eq!(reg["scopes"], "[\"sso:account:access\"]");

    let t = token_json(&home);
    let access = t["accessToken"].as_str().unwrap();
    assert!(idc.is_valid_token(access));
    assert_eq!(t["startUrl"], "https://example.awsapps.com/start");
    assert_eq!(t["region"], "eu-west-1");
    for k in ["expiresAt", "registrationExpiresAt"] {
        let v = t[k].as_str().unwrap();
        assert!(v.len() == 20 && v.ends_with('Z'), "{k}: {v}");
    }
    assert!(t["clientId"].as_str().unwrap().starts_with("cid-"));
    assert!(t["clientSecret"].as_str().is_some() && t["refreshToken"].as_str().is_some());
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&token_path(&home)), 0o600);
    assert_eq!(mode(token_path(&home).parent().unwrap()), 0o700);

    // The role credentials come with it, and the registration is reused.
    let r = run(cmd(&home, &idc).args(["credential-process", "--profile", "dev"]));
    r.expect_ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["AccessKeyId"], ROLE_KEY_ID);
    assert_eq!(idc.params("GetRoleCredentials")[0]["bearer"], access);
    run(cmd(&home, &idc).args(["sso", "login", "--sso-session", "corp", "--no-browser"]))
        .expect_ok();
    assert_eq!(idc.calls("RegisterClient"), 1, "the registration is reused");
}

#[test]
fn slow_down_adds_five_seconds_and_an_expired_or_denied_code_stops() {
    let (home, idc) = (Home::with(SSO_CONFIG, ""), FakeIdentityCenter::start());
    idc.polls(&[Poll::SlowDown]);
    let start = Instant::now();
    run(cmd(&home, &idc).args(["sso", "login", "--use-device-code", "--profile", "dev"]))
        .expect_ok();
    let took = start.elapsed();
    // 1 s, slow_down, then 1 + 5 s: without the extra 5 s it is 2 s.
    assert!(took >= Duration::from_millis(6500), "{took:?}");
    assert_eq!(idc.calls("CreateToken"), 2);

    for (poll, text) in [
        (Poll::Expired, "the sign-in code expired"),
        (Poll::Denied, "the sign-in was denied"),
    ] {
        let (home, idc) = (Home::with(SSO_CONFIG, ""), FakeIdentityCenter::start());
        idc.polls(&[Poll::Pending, poll, Poll::Pending]);
        let r =
            run(cmd(&home, &idc).args(["sso", "login", "--use-device-code", "--profile", "dev"]));
        r.expect_code(7);
        assert!(r.stderr.contains(text), "{}", r.stderr);
        assert_eq!(idc.calls("CreateToken"), 2, "no poll after {poll:?}");
        assert!(!token_path(&home).exists());
    }
}

/// A BROWSER that reads the private page (and its stylesheet, as a browser
/// does), takes the URL it redirects to and follows it and its redirect.
fn follower(dir: &Path) -> String {
    let path = dir.join("follow");
    fs::write(
        &path,
        "#!/bin/sh\nexec python3 -c '\nimport json, os, re, sys, urllib.parse, urllib.request\npage = urllib.parse.unquote(sys.argv[1][len(\"file://\"):])\ntext = open(page).read()\nopen(os.path.join(os.path.dirname(page), re.search(r\"href=\\\"([^\\\"]+\\.css)\\\"\", text).group(1))).read()\nurl = json.loads(re.search(r\"location.replace\\((.*?)\\);\", text).group(1))\nurllib.request.urlopen(url, timeout=10).read()\n' \"$1\"\n",
    )
    .unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    format!("{} %s", path.display())
}

#[test]
fn pkce_in_headless_chromium_follows_the_authorize_redirect_to_awscreds_listener() {
    assert!(
        Command::new("chromium").arg("--version").output().is_ok(),
        "chromium is not installed: scripts/test installs Debian's chromium"
    );
    let (home, idc) = (Home::with(SSO_CONFIG, ""), FakeIdentityCenter::start());
    let tmp = tempfile::tempdir().unwrap();
    let dom = tmp.path().join("dom.html");
    let browser = tmp.path().join("browser");
    fs::write(
        &browser,
        format!(
            "#!/bin/sh\nchromium --headless=new --no-sandbox --disable-gpu --no-first-run --user-data-dir='{profile}' --dump-dom \"$1\" > '{dom}.part' 2>/dev/null && mv '{dom}.part' '{dom}'\n",
            profile = tmp.path().join("profile").display(),
            dom = dom.display(),
        ),
    )
    .unwrap();
    fs::set_permissions(&browser, fs::Permissions::from_mode(0o755)).unwrap();
    let start = Instant::now();
    let r = run(cmd(&home, &idc)
        .args(["sso", "login", "--profile", "dev"])
        .env("BROWSER", format!("{} %s", browser.display())));
    r.expect_ok();
    no_token_on(&r.stderr, &idc);
    let authorize = &idc.params("Authorize")[0];
    assert_eq!(authorize["code_challenge_method"], "S256");
    assert!(authorize["redirect_uri"].starts_with("http://127.0.0.1:"));
    assert!(authorize["redirect_uri"].ends_with("/oauth/callback"));
    let exchange = &idc.params("CreateToken")[0];
    assert_eq!(exchange["grantType"], "authorization_code");
    assert_eq!(exchange["redirectUri"], authorize["redirect_uri"]);
    assert!(idc.is_valid_token(token_json(&home)["accessToken"].as_str().unwrap()));
    // Chromium landed on awscred's answer.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !dom.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let page = fs::read_to_string(&dom).expect("chromium dumped the page it landed on");
    assert!(page.contains("Signed in to AWS"), "{page}");
    eprintln!("PKCE login in headless Chromium: {:?}", start.elapsed());
}

#[test]
fn a_redirect_with_a_forged_state_is_refused() {
    let (home, idc) = (Home::with(SSO_CONFIG, ""), FakeIdentityCenter::start());
    idc.wrong_state();
    let tmp = tempfile::tempdir().unwrap();
    let mut c = cmd(&home, &idc);
    c.args(["sso", "login", "--profile", "dev"])
        .env("BROWSER", follower(tmp.path()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = c.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while idc.calls("Authorize") == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(idc.calls("Authorize"), 1);
    assert_eq!(
        idc.calls("CreateToken"),
        0,
        "the forged callback's code is never exchanged"
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "still waiting for the real one"
    );
    child.kill().unwrap();
    let _ = child.wait();
    assert!(!token_path(&home).exists());
}

#[test]
fn ten_parallel_credential_process_calls_on_an_expired_token_refresh_once_and_fetch_once() {
    let (home, idc) = (Home::with(SSO_CONFIG, ""), FakeIdentityCenter::start());
    let (old, _) = logged_in(&home, &idc, now() - 60);
    // A slow refresh: the other nine arrive while it runs.
    idc.token_delay(Duration::from_millis(500));
    let children: Vec<_> = (0..10)
        .map(|_| {
            cmd(&home, &idc)
                .args(["credential-process", "--profile", "dev"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "{stderr}");
        no_token_on(&stderr, &idc);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["AccessKeyId"], ROLE_KEY_ID);
    }
    assert_eq!(idc.calls("CreateToken"), 1, "one refresh");
    assert_eq!(idc.params("CreateToken")[0]["grantType"], "refresh_token");
    assert_eq!(idc.calls("GetRoleCredentials"), 1, "one role call");
    let t = token_json(&home);
    assert_ne!(t["accessToken"], old.as_str());
    assert!(idc.is_valid_token(t["accessToken"].as_str().unwrap()));
    assert_eq!(
        t["clientId"].as_str().unwrap().get(..7),
        Some("cid-pre"),
        "fields kept"
    );
}

#[test]
fn export_never_logs_in_and_nothing_does_without_a_terminal_or_browser() {
    let (home, idc) = (Home::with(SSO_CONFIG, ""), FakeIdentityCenter::start());
    let r = run(cmd(&home, &idc)
        .args(["export", "--profile", "dev"])
        .env("DISPLAY", ":0"));
    r.expect_failure(7, "false\n", "run `awscred sso login --profile dev`");
    let r = run(cmd(&home, &idc).args(["credential-process", "--profile", "dev"]));
    r.expect_failure(7, "", "run `awscred sso login --profile dev`");
    assert_eq!(idc.calls("RegisterClient") + idc.calls("CreateToken"), 0);
}

#[test]
fn credential_process_logs_in_through_the_browser_when_needed_with_no_aws_on_path() {
    let (home, idc) = (Home::with(SSO_CONFIG, ""), FakeIdentityCenter::start());
    let tmp = tempfile::tempdir().unwrap();
    // PATH holds python3 only (for the BROWSER stand-in): no `aws`.
    let bin = tmp.path().join("bin");
    fs::create_dir(&bin).unwrap();
    // The interpreter itself (a pyenv shim would need pyenv on PATH).
    let python = String::from_utf8(
        Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    std::os::unix::fs::symlink(python.trim(), bin.join("python3")).unwrap();
    assert!(!bin.join("aws").exists());
    let r = run(cmd(&home, &idc)
        .args(["credential-process", "--profile", "dev"])
        .env("PATH", &bin)
        .env("BROWSER", follower(tmp.path())));
    r.expect_ok();
    let first = r.stderr.lines().next().unwrap_or_default();
    assert!(
        first.contains("no valid IAM Identity Center login for sso-session `corp`: signing in (in the browser)"),
        "{}",
        r.stderr
    );
    no_token_on(&r.stderr, &idc);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["AccessKeyId"], ROLE_KEY_ID);
    assert_eq!(idc.calls("Authorize"), 1);
    // Cached now: neither the portal nor a login again.
    run(cmd(&home, &idc)
        .args(["export", "--profile", "dev"])
        .env("PATH", &bin))
    .expect_ok();
    assert_eq!(idc.calls("GetRoleCredentials"), 1);
}

#[test]
fn logout_calls_the_portal_and_removes_the_token_and_the_cached_role_credentials() {
    let (home, idc) = (Home::with(SSO_CONFIG, ""), FakeIdentityCenter::start());
    let (access, _) = logged_in(&home, &idc, now() + 8 * 3600);
    run(cmd(&home, &idc).args(["export", "--profile", "dev"])).expect_ok();
    assert_eq!(home.cache_entries().len(), 1);
    // `mfa` on an SSO profile hands out the same (cached) role credentials.
    let r = run(cmd(&home, &idc).args(["mfa", "--profile", "dev"]));
    r.expect_ok();
    assert!(
        r.stdout
            .contains(&format!("export AWS_ACCESS_KEY_ID='{ROLE_KEY_ID}'")),
        "{}",
        r.stdout
    );
    assert_eq!(idc.calls("GetRoleCredentials"), 1);
    // `status` and `list` show the session, never a token.
    let r = run(cmd(&home, &idc).arg("status"));
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with("sso-session  corp: valid until "))
        .unwrap_or_else(|| panic!("{}", r.stdout));
    assert!(line.ends_with(", refreshable"), "{line}");
    let r = run(cmd(&home, &idc).arg("list"));
    assert!(
        r.stdout
            .contains("IAM Identity Center sessions:\n  corp: valid until "),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains(&access));
    let r = run(cmd(&home, &idc).args(["sso", "logout", "--profile", "dev"]));
    r.expect_ok();
    assert_eq!(idc.params("Logout")[0]["bearer"], access);
    assert!(!idc.is_valid_token(&access));
    assert!(!token_path(&home).exists());
    assert!(
        home.cache_entries().is_empty(),
        "{:?}",
        home.cache_entries()
    );
    run(cmd(&home, &idc).args(["export", "--profile", "dev"])).expect_code(7);
}

#[test]
fn hostile_token_answers_are_refused_and_nothing_is_written() {
    for (h, text) in [
        (Hostile::HugeToken(20_000), "accessToken"),
        (Hostile::ControlInToken, "accessToken"),
        (Hostile::ExpiresIn(0), "token lifetime"),
        (Hostile::HugeBody, "over 1 MiB"),
    ] {
        let (home, idc) = (Home::with(SSO_CONFIG, ""), FakeIdentityCenter::start());
        idc.hostile(h.clone());
        let r =
            run(cmd(&home, &idc).args(["sso", "login", "--use-device-code", "--profile", "dev"]));
        r.expect_code(6);
        assert!(r.stderr.contains(text), "{h:?}: {}", r.stderr);
        assert!(
            !r.stderr.lines().any(|l| l.chars().any(char::is_control)),
            "{h:?}: {:?}",
            r.stderr
        );
        assert!(!token_path(&home).exists(), "{h:?}");
    }
}

#[test]
fn populate_lists_every_page_and_edits_the_config_byte_preservingly() {
    let config = format!(
        "\u{feff}# my config\r\n{}\r\n[profile mine] ; comment\r\nregion = us-east-1\r\n",
        SSO_CONFIG.replace('\n', "\r\n")
    );
    let (home, idc) = (Home::with(&config, ""), FakeIdentityCenter::start());
    logged_in(&home, &idc, now() + 8 * 3600);
    idc.accounts(
        &[
            ("111111111111", "dev", &["Admin", "ReadOnly", "Billing"]),
            ("222222222222", "Prod EU", &["ReadOnly"]),
            ("333333333333", "sandbox", &["Admin"]),
        ],
        1,
    );
    let path = home.path().join(".aws/config");
    let r = run(cmd(&home, &idc).args(["sso", "populate", "--dry-run"]));
    r.expect_ok();
    assert!(
        r.stdout.contains("+ [profile Prod-EU-ReadOnly]"),
        "{}",
        r.stdout
    );
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        config,
        "--dry-run writes nothing"
    );
    assert_eq!(idc.calls("ListAccounts"), 3, "every page");
    assert_eq!(
        idc.calls("ListAccountRoles"),
        5,
        "every page of every account"
    );

    run(cmd(&home, &idc).args(["sso", "populate"])).expect_ok();
    let once = fs::read_to_string(&path).unwrap();
    assert!(once.starts_with(&config), "every byte before is kept");
    for p in [
        "dev-Admin",
        "dev-ReadOnly",
        "dev-Billing",
        "Prod-EU-ReadOnly",
        "sandbox-Admin",
    ] {
        assert!(
            once.contains(&format!("[profile {p}]\r\nsso_session = corp\r\n")),
            "{p}: {once:?}"
        );
    }
    assert_eq!(
        once.matches("sso_start_url").count(),
        1,
        "the start URL is never copied"
    );
    assert_eq!(once.matches("awscred_sso_populate = corp").count(), 5);
    run(cmd(&home, &idc).args(["sso", "populate"])).expect_ok();
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        once,
        "a second run changes no byte"
    );
    // A generated profile works like a written one.
    let r = run(cmd(&home, &idc).args(["credential-process", "--profile", "sandbox-Admin"]));
    r.expect_ok();

    idc.accounts(
        &[("111111111111", "dev", &["Admin", "ReadOnly", "Billing"])],
        2,
    );
    run(cmd(&home, &idc).args(["sso", "populate"])).expect_ok();
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        once,
        "without --prune nothing goes"
    );
    run(cmd(&home, &idc).args(["sso", "populate", "--prune"])).expect_ok();
    let pruned = fs::read_to_string(&path).unwrap();
    assert!(
        !pruned.contains("Prod-EU") && !pruned.contains("sandbox"),
        "{pruned:?}"
    );
    assert!(pruned.contains("[profile dev-Billing]") && pruned.starts_with(&config));
    assert!(
        !pruned.contains("\n\n") && !pruned.replace("\r\n", "").contains('\n'),
        "CRLF throughout"
    );
}

/// boto3 in a venv outside the repository (scripts/test makes it, pinned,
/// like Nushell): `AWSCRED_TEST_BOTO3_PYTHON`, else the default place.
fn boto3_python() -> PathBuf {
    let p = std::env::var_os("AWSCRED_TEST_BOTO3_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").unwrap_or_default();
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| Path::new(&home).join(".cache"));
            cache.join("awscred-test/boto3-1.44.8/bin/python")
        });
    assert!(
        p.exists(),
        "{} is missing: scripts/test makes the boto3 venv",
        p.display()
    );
    p
}

/// boto3's credentials for profile `dev`: its SSO token provider reads (and
/// near its end refreshes and rewrites) the token file.
fn boto3_credentials(home: &Home, idc: &FakeIdentityCenter) -> serde_json::Value {
    let out = Command::new(boto3_python())
        .env_clear()
        .env("HOME", home.path())
        .env("AWS_ENDPOINT_URL_SSO_OIDC", idc.url())
        .env("AWS_ENDPOINT_URL_SSO", idc.url())
        .args([
            "-c",
            "import boto3, json\nc = boto3.Session(profile_name='dev').get_credentials().get_frozen_credentials()\nprint(json.dumps({'id': c.access_key}))",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn boto3_uses_awscreds_login_and_awscred_uses_the_token_boto3_refreshed() {
    let (home, idc) = (Home::with(SSO_CONFIG, ""), FakeIdentityCenter::start());
    run(cmd(&home, &idc).args(["sso", "login", "--use-device-code", "--profile", "dev"]))
        .expect_ok();
    let ours = token_json(&home)["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(boto3_credentials(&home, &idc)["id"], ROLE_KEY_ID);
    assert_eq!(
        idc.params("GetRoleCredentials").last().unwrap()["bearer"],
        ours,
        "boto3 used awscred's token"
    );

    // Near its end: boto3 refreshes it and rewrites the file.
    let mut t = token_json(&home);
    t["expiresAt"] = rfc3339(now() + 300).into();
    fs::write(token_path(&home), t.to_string()).unwrap();
    assert_eq!(boto3_credentials(&home, &idc)["id"], ROLE_KEY_ID);
    assert_eq!(
        idc.params("CreateToken").last().unwrap()["grantType"],
        "refresh_token"
    );
    let theirs = token_json(&home)["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(theirs, ours, "boto3 rewrote the file");
    let refreshes = idc.calls("CreateToken");

    run(cmd(&home, &idc).args(["clear", "--profile", "dev"])).expect_ok();
    let r = run(cmd(&home, &idc).args(["credential-process", "--profile", "dev"]));
    r.expect_ok();
    assert_eq!(
        idc.params("GetRoleCredentials").last().unwrap()["bearer"],
        theirs,
        "awscred used boto3's token"
    );
    assert_eq!(
        idc.calls("CreateToken"),
        refreshes,
        "and did not refresh it again"
    );
}

#[test]
fn parallel_callers_of_two_profiles_without_a_login_open_one_browser_tab() {
    let config = format!("{SSO_CONFIG}\n[profile ro]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = ReadOnly\n");
    let (home, idc) = (Home::with(&config, ""), FakeIdentityCenter::start());
    let tmp = tempfile::tempdir().unwrap();
    let browser = follower(tmp.path());
    let children: Vec<_> = ["dev", "ro", "dev", "ro", "ro"]
        .iter()
        .map(|p| {
            cmd(&home, &idc)
                .args(["credential-process", "--profile", p])
                .env("BROWSER", &browser)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "{stderr}");
        no_token_on(&stderr, &idc);
    }
    assert_eq!(idc.calls("Authorize"), 1, "one browser tab");
    assert_eq!(idc.calls("CreateToken"), 1);
    assert_eq!(idc.calls("GetRoleCredentials"), 2, "one per profile");
}

#[test]
fn endpoints_follow_the_sdks_order_and_are_validated_and_a_legacy_profile_names_the_file_by_its_start_url(
) {
    // AWS_ENDPOINT_URL alone reaches both services.
    let (home, idc) = (Home::with(SSO_CONFIG, ""), FakeIdentityCenter::start());
    let mut c = cmd(&home, &idc);
    c.env_remove("AWS_ENDPOINT_URL_SSO_OIDC")
        .env_remove("AWS_ENDPOINT_URL_SSO")
        .env("AWS_ENDPOINT_URL", idc.url());
    run(c.args(["sso", "login", "--use-device-code", "--profile", "dev"])).expect_ok();
    assert_eq!(idc.calls("CreateToken"), 1);
    // The specific variable wins, and is checked like every endpoint.
    let r = run(cmd(&home, &idc)
        .args(["sso", "login", "--use-device-code", "--profile", "dev"])
        .env("AWS_ENDPOINT_URL_SSO_OIDC", "http://example.com"));
    r.expect_failure(
        3,
        "",
        "AWS_ENDPOINT_URL_SSO_OIDC: the endpoint URL is plain http to another machine",
    );

    let legacy = "[profile old]\nsso_start_url = https://legacy.awsapps.com/start\nsso_region = eu-west-1\nsso_account_id = 111111111111\nsso_role_name = Admin\n";
    let (home, idc) = (Home::with(legacy, ""), FakeIdentityCenter::start());
    run(cmd(&home, &idc).args(["sso", "login", "--use-device-code", "--profile", "old"]))
        .expect_ok();
    let file = home.path().join(".aws/sso/cache").join(format!(
        "{}.json",
        sha1_hex("https://legacy.awsapps.com/start")
    ));
    let t: serde_json::Value = serde_json::from_slice(&fs::read(file).unwrap()).unwrap();
    assert_eq!(t["startUrl"], "https://legacy.awsapps.com/start");
    assert!(
        !idc.params("RegisterClient")[0].contains_key("scopes"),
        "no scopes for a legacy profile"
    );
    run(cmd(&home, &idc).args(["credential-process", "--profile", "old"])).expect_ok();
}
