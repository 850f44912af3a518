//! `awscred console`: the session each kind of profile gives, exchanged at a
//! fake federation endpoint (`support/federation.rs`); destinations,
//! partitions, the SessionDuration rule, the refused IAM user and the
//! GetFederationToken opt-in, hostile answers, and a real browser (headless
//! Chromium) opening what awscred hands it while no process's argv holds the
//! sign-in token.

use crate::support::federation::{self, Answer, FakeSignin, CONSOLE_MARK, SIGNIN_TOKEN};
use crate::support::*;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::{Duration, Instant};

const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";

fn home() -> Home {
    let config = format!(
        "{CONFIG}\n[profile admin]\nrole_arn = arn:aws:iam::111111111111:role/admin\nsource_profile = default\nmfa_serial = {SERIAL}\nregion = us-west-2\n\n[profile chained]\nrole_arn = arn:aws:iam::222222222222:role/second\nsource_profile = admin\nregion = eu-north-1\n\n[profile cn]\nrole_arn = arn:aws-cn:iam::333333333333:role/cn\nsource_profile = default\nmfa_serial = {SERIAL}\n\n[profile gov]\nrole_arn = arn:aws-us-gov:iam::444444444444:role/gov\nsource_profile = default\nmfa_serial = {SERIAL}\nregion = us-gov-east-1\n\n[profile stored]\nregion = eu-west-3\n"
    );
    let credentials = format!(
        "{CREDENTIALS}\n[stored]\naws_access_key_id = ASIAFAKE00000099\naws_secret_access_key = {}\naws_session_token = {}\n",
        PLANTED[1], PLANTED[2]
    );
    Home::with(&config, &credentials)
}

/// `awscred console` with STS and the sign-in service pointed at the fakes.
fn console(home: &Home, sts: &FakeSts, signin: &FakeSignin) -> Command {
    let mut c = home.cmd(sts);
    c.env("AWS_ENDPOINT_URL_SIGNIN", signin.url())
        .env("AWS_MFA_TOKEN_CODE", "123456")
        .arg("console");
    c
}

/// The printed URL: exactly one line, one URL; its query.
#[track_caller]
fn printed(r: &Run) -> (url::Url, BTreeMap<String, String>) {
    r.expect_ok();
    assert_eq!(r.stdout.lines().count(), 1, "{:?}", r.stdout);
    assert!(r.stdout.ends_with('\n') && !r.stdout.trim_end().contains(char::is_whitespace));
    let url = url::Url::parse(r.stdout.trim_end()).expect("one URL");
    let query = url.query_pairs().into_owned().collect();
    (url, query)
}

#[track_caller]
fn no_token_on_stderr(r: &Run) {
    assert!(!r.stderr.contains(&SIGNIN_TOKEN[..8]), "{}", r.stderr);
}

#[test]
fn a_role_profile_prints_one_login_url_from_the_role_session() {
    let (home, sts, signin) = (home(), FakeSts::start(), FakeSignin::start());
    let r = run(console(&home, &sts, &signin).args(["--profile", "admin", "--print"]));
    let (url, q) = printed(&r);
    no_token_on_stderr(&r);
    assert_eq!(url.origin().ascii_serialization(), signin.url());
    assert_eq!(url.path(), "/federation");
    assert_eq!(q["Action"], "login");
    assert_eq!(q["Issuer"], "awscred");
    assert_eq!(
        q["Destination"],
        "https://us-west-2.console.aws.amazon.com/console/home?region=us-west-2"
    );
    assert_eq!(signin.issued(), vec![q["SigninToken"].clone()]);
    // The session handed over is the role's (AssumeRole with the MFA session).
    assert_eq!(sts.calls("GetSessionToken"), 1);
    assert_eq!(sts.calls("AssumeRole"), 1);
    let reqs = signin.token_requests();
    assert_eq!(reqs.len(), 1);
    let (id, secret, token) = issued_role(2);
    assert_eq!(
        reqs[0].session,
        Some(serde_json::json!({"sessionId": id, "sessionKey": secret, "sessionToken": token}))
    );
    assert_eq!(
        reqs[0].param("SessionDuration"),
        None,
        "no --duration: none sent"
    );
    // Cached role credentials: the next sign-in calls no STS at all.
    let r = run(console(&home, &sts, &signin).args(["--profile", "admin", "--print"]));
    printed(&r);
    assert_eq!(sts.requests().len(), 2);
}

#[test]
fn every_destination() {
    let (home, sts, signin) = (home(), FakeSts::start(), FakeSignin::start());
    let console_of = "https://us-west-2.console.aws.amazon.com";
    let cases: &[(&[&str], String)] = &[
        (&[], format!("{console_of}/console/home?region=us-west-2")),
        (
            &["--region", "ap-south-1"],
            "https://ap-south-1.console.aws.amazon.com/console/home?region=ap-south-1".into(),
        ),
        (&["--service", "s3"], format!("{console_of}/s3/home?region=us-west-2")),
        (&["--service", "EC2"], format!("{console_of}/ec2/home?region=us-west-2")),
        (&["--service", "iam"], format!("{console_of}/iam/home?region=us-west-2")),
        (&["--service", "lambda"], format!("{console_of}/lambda/home?region=us-west-2")),
        (&["--service", "cloudwatch"], format!("{console_of}/cloudwatch/home?region=us-west-2")),
        (
            &["--service", "cloudformation"],
            format!("{console_of}/cloudformation/home?region=us-west-2"),
        ),
        (&["--service", "dynamodb"], format!("{console_of}/dynamodbv2/home?region=us-west-2")),
        (&["--service", "guardduty"], format!("{console_of}/guardduty/home?region=us-west-2")),
        (
            &["--path", "ec2/home#Instances:"],
            format!("{console_of}/ec2/home?region=us-west-2#Instances:"),
        ),
        (
            &["--path", "/s3/buckets/my-bucket?tab=objects", "--region", "eu-west-1"],
            "https://eu-west-1.console.aws.amazon.com/s3/buckets/my-bucket?tab=objects&region=eu-west-1".into(),
        ),
    ];
    for (args, want) in cases {
        let r = run(console(&home, &sts, &signin)
            .args(["--profile", "admin", "--print"])
            .args(*args));
        let (_, q) = printed(&r);
        assert_eq!(&q["Destination"], want, "{args:?}");
    }
    // Bad destinations are refused before any call.
    let before = signin.seen().len();
    for args in [
        &["--service", "s3/../x"][..],
        &["--path", "a b"],
        &["--service", "s3", "--path", "x"],
    ] {
        let r = run(console(&home, &sts, &signin)
            .args(["--profile", "admin", "--print"])
            .args(args));
        r.expect_code(2);
        assert_eq!(r.stdout, "");
    }
    assert_eq!(signin.seen().len(), before);
}

#[test]
fn every_partition_from_the_region_or_the_role_arn() {
    let (home, sts, signin) = (home(), FakeSts::start(), FakeSignin::start());
    for (args, want) in [
        // The ARN's partition, and its first region when none is configured.
        (
            &["--profile", "cn"][..],
            "https://cn-north-1.console.amazonaws.cn/console/home?region=cn-north-1",
        ),
        (
            &[
                "--profile",
                "cn",
                "--region",
                "cn-northwest-1",
                "--service",
                "s3",
            ],
            "https://cn-northwest-1.console.amazonaws.cn/s3/home?region=cn-northwest-1",
        ),
        (
            &["--profile", "gov"],
            "https://us-gov-east-1.console.amazonaws-us-gov.com/console/home?region=us-gov-east-1",
        ),
        (
            &["--profile", "admin", "--region", "eu-central-1"],
            "https://eu-central-1.console.aws.amazon.com/console/home?region=eu-central-1",
        ),
    ] {
        let r = run(console(&home, &sts, &signin).arg("--print").args(args));
        let (_, q) = printed(&r);
        assert_eq!(q["Destination"], want, "{args:?}");
    }
    // A region of another partition than the credentials': refused, nothing asked.
    let calls = (sts.requests().len(), signin.seen().len());
    let r = run(console(&home, &sts, &signin).args([
        "--profile",
        "gov",
        "--region",
        "eu-west-1",
        "--print",
    ]));
    r.expect_failure(
        3,
        "",
        "region eu-west-1 is in partition aws, but profile gov's credentials are in aws-us-gov",
    );
    assert_eq!((sts.requests().len(), signin.seen().len()), calls);
}

#[test]
fn session_duration_only_where_aws_takes_it() {
    let (home, sts, signin) = (home(), FakeSts::start(), FakeSignin::start());
    // One role: SessionDuration is the console session's length.
    let r = run(console(&home, &sts, &signin).args([
        "--profile",
        "admin",
        "--print",
        "--duration",
        "7200",
    ]));
    printed(&r);
    assert_eq!(
        signin.token_requests()[0].param("SessionDuration"),
        Some("7200")
    );
    // Out of the endpoint's range: refused before any call.
    for d in ["899", "43201"] {
        let r = run(console(&home, &sts, &signin).args([
            "--profile",
            "admin",
            "--print",
            "--duration",
            d,
        ]));
        r.expect_failure(3, "", "900 to 43200 seconds");
    }
    // A role chain: never; asking for it says why.
    let r = run(console(&home, &sts, &signin).args([
        "--profile",
        "chained",
        "--print",
        "--duration",
        "1800",
    ]));
    r.expect_failure(3, "", "role chain (chained → admin → default)");
    assert_eq!(signin.token_requests().len(), 1);
    let r = run(console(&home, &sts, &signin).args(["--profile", "chained", "--print"]));
    printed(&r);
    let reqs = signin.token_requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].param("SessionDuration"), None);
    let last = sts
        .requests()
        .into_iter()
        .rfind(|r| r.param("Action") == Some("AssumeRole"))
        .unwrap();
    assert_eq!(
        last.param("RoleArn"),
        Some("arn:aws:iam::222222222222:role/second")
    );
    assert!(
        last.access_key_id.starts_with("ASIAROLE"),
        "chained: signed with admin's role credentials"
    );
}

#[test]
fn an_iam_user_without_a_role_is_refused_with_what_works() {
    let (home, sts, signin) = (home(), FakeSts::start(), FakeSignin::start());
    // Even with a valid cached MFA session: the endpoint would refuse it.
    run(home.cmd(&sts).args(["mfa", "123456"])).expect_ok();
    let before = sts.requests().len();
    for (profile, mfa) in [("default", true), ("plain", false)] {
        let r = run(console(&home, &sts, &signin).args(["--profile", profile]));
        r.expect_failure(
            3,
            "",
            &format!("profile {profile} is an IAM user without a role"),
        );
        for what in [
            "role_arn, source_profile",
            "`aws login`",
            "--federation-token",
        ] {
            assert!(r.stderr.contains(what), "{what}: {}", r.stderr);
        }
        assert_eq!(
            r.stderr.contains("MFA of its session cannot carry over"),
            mfa,
            "{}",
            r.stderr
        );
    }
    assert_eq!(sts.requests().len(), before, "no STS call");
    assert!(signin.seen().is_empty(), "no sign-in call");
}

/// The fake STS's GetFederationToken answer (its secrets are fixtures).
fn federation_answer() -> Reply {
    let exp = rfc3339(now() + 3600);
    Reply::Raw {
        status: 200,
        body: format!(
            "<GetFederationTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetFederationTokenResult><Credentials><AccessKeyId>ASIAFEDERATED0000001</AccessKeyId><SecretAccessKey>fedSecr3t/Key+Zq8</SecretAccessKey><SessionToken>FedTok3nWq9Pz==</SessionToken><Expiration>{exp}</Expiration></Credentials><FederatedUser><FederatedUserId>123456789012:awscred-default</FederatedUserId><Arn>arn:aws:sts::123456789012:federated-user/awscred-default</Arn></FederatedUser><PackedPolicySize>1</PackedPolicySize></GetFederationTokenResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetFederationTokenResponse>"
        ),
    }
}

#[test]
fn federation_token_is_an_opt_in_signed_with_the_long_term_key_and_warned_about() {
    let home = home();
    let sts = FakeSts::by_action(vec![
        ("GetFederationToken", federation_answer()),
        ("GetFederationToken", federation_answer()),
    ]);
    let signin = FakeSignin::start();
    // A cached MFA session is there, and is not what signs.
    run(home.cmd(&sts).args(["mfa", "123456"])).expect_ok();
    let r = run(console(&home, &sts, &signin).args([
        "--profile",
        "default",
        "--federation-token",
        "--print",
    ]));
    let (_, q) = printed(&r);
    no_token_on_stderr(&r);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("warning: GetFederationToken with the long-term key of profile default: this console session has no MFA"), "{}", r.stderr);
    assert_eq!(
        q["Destination"],
        "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1"
    );
    let fed: Vec<Request> = sts
        .requests()
        .into_iter()
        .filter(|r| r.param("Action") == Some("GetFederationToken"))
        .collect();
    assert_eq!(fed.len(), 1);
    assert_eq!(
        fed[0].access_key_id, "AKIADEFAULTKEY000001",
        "the long-term key"
    );
    assert_eq!(fed[0].session_token, None, "never a session");
    assert_eq!(fed[0].param("Name"), Some("awscred-default"));
    assert_eq!(fed[0].param("DurationSeconds"), Some("3600"));
    assert_eq!(
        fed[0].param("Policy"),
        Some(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        )
    );
    let reqs = signin.token_requests();
    assert_eq!(
        reqs[0].session.as_ref().unwrap()["sessionId"],
        "ASIAFEDERATED0000001"
    );
    assert_eq!(
        reqs[0].param("SessionDuration"),
        None,
        "a federation token's console session is the token's"
    );

    // --duration is the token's; a managed policy replaces the inline one.
    let r = run(console(&home, &sts, &signin).args([
        "--profile",
        "default",
        "--federation-token",
        "--print",
        "--duration",
        "7200",
        "--policy-arn",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ]));
    printed(&r);
    let fed = sts
        .requests()
        .into_iter()
        .rfind(|r| r.param("Action") == Some("GetFederationToken"))
        .unwrap();
    assert_eq!(fed.param("DurationSeconds"), Some("7200"));
    assert_eq!(
        fed.param("PolicyArns.member.1.arn"),
        Some("arn:aws:iam::aws:policy/ReadOnlyAccess")
    );
    assert_eq!(fed.param("Policy"), None);
    assert_eq!(signin.token_requests()[1].param("SessionDuration"), None);

    // Not for a role profile.
    let r = run(console(&home, &sts, &signin).args([
        "--profile",
        "admin",
        "--federation-token",
        "--print",
    ]));
    r.expect_failure(
        2,
        "",
        "--federation-token is for an IAM user without a role",
    );
}

#[test]
fn a_session_the_endpoint_refuses_and_hostile_answers() {
    let home = home();
    let sts = FakeSts::start();
    // A stored GetSessionToken session: the endpoint says no, awscred says why.
    let signin = FakeSignin::start();
    let r = run(console(&home, &sts, &signin).args(["--profile", "stored", "--print"]));
    r.expect_failure(5, "", "the federation endpoint refused the session (HTTP 400: Bad Request: a GetSessionToken session cannot sign in)");
    assert_eq!(signin.token_requests().len(), 1);

    let raw = |status: u16, body: &str| Answer::Raw {
        status,
        body: body.to_string(),
    };
    let cases: Vec<(Answer, i32, &str)> = vec![
        (
            raw(200, "{\"SigninToken\":\"a\\u001b[2Jb\"}"),
            6,
            "not a sign-in token",
        ),
        (
            raw(200, "{\"SigninToken\":\"has space\"}"),
            6,
            "not a sign-in token",
        ),
        (
            raw(200, "{\"SigninToken\":\"\u{1b}[31mx\"}"),
            6,
            "not a sign-in token",
        ),
        (raw(200, "<html>"), 6, "not a sign-in token"),
        (raw(200, "{\"Other\":1}"), 6, "not a sign-in token"),
        (
            raw(400, "<html><body>Bad\u{1b}[2J\nRequest</body></html>"),
            5,
            "refused the session (HTTP 400: Bad[2J Request)",
        ),
        (raw(403, ""), 5, "refused the session (HTTP 403)"),
        (raw(503, "x"), 6, "is unavailable (HTTP 503)"),
        (
            Answer::Huge(2 * 1024 * 1024),
            6,
            "sent a response over 1 MiB",
        ),
        (
            Answer::Redirect("https://evil.example/".into()),
            6,
            "answered HTTP 302",
        ),
        (Answer::Hang, 6, "did not answer within 2 s"),
    ];
    for (answer, code, message) in cases {
        let signin = FakeSignin::with(vec![answer.clone()]);
        let start = Instant::now();
        let r = run(console(&home, &sts, &signin)
            .args(["--profile", "admin", "--print"])
            .env("AWSCRED_TIMEOUT", "2"));
        r.expect_failure(code, "", message);
        assert!(start.elapsed() < Duration::from_secs(8), "{answer:?}");
    }
    // Nothing listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = run(home
        .cmd(&sts)
        .args(["console", "--profile", "admin", "--print"])
        .env(
            "AWS_ENDPOINT_URL_SIGNIN",
            format!("http://127.0.0.1:{port}"),
        ));
    r.expect_failure(6, "", "cannot reach the federation endpoint");
    // The endpoint setting is checked like every AWS endpoint: no plain http elsewhere.
    let r = run(home
        .cmd(&sts)
        .args(["console", "--profile", "admin", "--print"])
        .env("AWS_ENDPOINT_URL_SIGNIN", "http://signin.example.com"));
    r.expect_failure(
        3,
        "",
        "AWS_ENDPOINT_URL_SIGNIN: the endpoint URL is plain http to another machine",
    );
}

#[test]
fn logout_and_container_urls() {
    let (home, sts, signin) = (home(), FakeSts::start(), FakeSignin::start());
    let r = run(console(&home, &sts, &signin).args(["--profile", "admin", "--print", "--logout"]));
    let (url, q) = printed(&r);
    assert_eq!(url.path(), "/oauth");
    assert_eq!(q["Action"], "logout");
    let login = url::Url::parse(&q["redirect_uri"]).unwrap();
    assert_eq!(login.origin().ascii_serialization(), signin.url());
    let inner: BTreeMap<String, String> = login.query_pairs().into_owned().collect();
    assert_eq!(inner["Action"], "login");
    assert_eq!(signin.issued(), vec![inner["SigninToken"].clone()]);

    let r =
        run(console(&home, &sts, &signin).args(["--profile", "admin", "--print", "--container"]));
    r.expect_ok();
    let out = r.stdout.trim_end();
    assert_eq!(r.stdout.lines().count(), 1);
    let rest = out.strip_prefix("ext+container:").expect(out);
    let q = federation::decode_query(rest);
    assert_eq!(q["name"], "admin");
    let login = url::Url::parse(&q["url"]).unwrap();
    assert_eq!(login.path(), "/federation");
    assert!(login.query().unwrap().contains("Action=login"));
}

#[test]
fn no_browser_says_print() {
    let (home, sts, signin) = (home(), FakeSts::start(), FakeSignin::start());
    let empty = tempfile::tempdir().unwrap();
    // No BROWSER and no xdg-open on PATH.
    let r = run(console(&home, &sts, &signin)
        .args(["--profile", "admin"])
        .env("PATH", empty.path()));
    r.expect_failure(
        127,
        "",
        "cannot open a browser: the platform's opener `xdg-open` (arguments hidden) was not found",
    );
    assert!(
        r.stderr.contains("`awscred console --print`"),
        "{}",
        r.stderr
    );
    // Every BROWSER entry fails: the last failure is named.
    let r = run(console(&home, &sts, &signin)
        .args(["--profile", "admin"])
        .env("BROWSER", "no-such-browser-x:false"));
    r.expect_failure(
        127,
        "",
        "BROWSER `false` (arguments hidden) failed (exit status: 1)",
    );
    // Either way the page is gone.
    let pages = std::fs::read_dir(home.cache_dir().join("console"))
        .unwrap()
        .count();
    assert_eq!(pages, 0);
}

/// Every process's command line now, as one string per process.
fn command_lines() -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(bytes) = std::fs::read(entry.path().join("cmdline")) {
            out.push(String::from_utf8_lossy(&bytes).replace('\0', " "));
        }
    }
    out
}

#[test]
fn chromium_opens_the_console_and_no_argv_ever_holds_the_token() {
    assert!(
        Command::new("chromium").arg("--version").output().is_ok(),
        "chromium is not installed: scripts/test installs Debian's chromium"
    );
    let (home, sts, signin) = (home(), FakeSts::start(), FakeSignin::start());
    let tmp = tempfile::tempdir().unwrap();
    let dom = tmp.path().join("dom.html");
    let mode = tmp.path().join("mode");
    let browser = tmp.path().join("browser");
    // The BROWSER command: records the page's and its directory's modes,
    // then headless Chromium (as root it needs --no-sandbox) follows the
    // redirect and dumps the page it lands on.
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\npage=\"${{1#file://}}\"\nstat -c '%a' \"$page\" \"$(dirname \"$page\")\" | tr '\\n' ' ' > '{mode}'\nchromium --headless=new --no-sandbox --disable-gpu --no-first-run --user-data-dir='{profile}' --dump-dom \"$1\" > '{dom}.part' 2>/dev/null && mv '{dom}.part' '{dom}'\n",
            mode = mode.display(),
            profile = tmp.path().join("profile").display(),
            dom = dom.display(),
        ),
    )
    .unwrap();
    std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();

    let mut c = console(&home, &sts, &signin);
    c.args(["--profile", "admin", "--service", "s3"])
        .env("BROWSER", format!("{} %s", browser.display()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    // Scan every command line until awscred has exited and Chromium has
    // written the page (or 90 s): the token is known once issued.
    let (role_id, role_secret, role_token) = issued_role(2);
    let start = Instant::now();
    let mut scans = 0;
    let mut awscred_done = None;
    let mut secrets_seen = Vec::new();
    while start.elapsed() < Duration::from_secs(90) {
        let tokens = signin.issued();
        for line in command_lines() {
            for t in tokens.iter().chain([&role_secret, &role_token]) {
                if line.contains(t.as_str()) || line.contains(&federation::encode(t)) {
                    secrets_seen.push(line.clone());
                }
            }
        }
        scans += 1;
        if awscred_done.is_none() {
            awscred_done = child.try_wait().unwrap();
        }
        if awscred_done.is_some() && dom.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert_no_secret(&stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout, "", "nothing on stdout without --print");
    assert!(
        stderr.contains("opened the AWS console (us-west-2) for profile admin"),
        "{stderr}"
    );
    assert!(
        secrets_seen.is_empty(),
        "a command line held a secret: {secrets_seen:?}"
    );
    assert!(scans > 20, "only {scans} scans");

    let page = std::fs::read_to_string(&dom).expect("chromium dumped the page it landed on");
    assert!(page.contains(CONSOLE_MARK), "{page}");
    assert!(
        page.contains("https://us-west-2.console.aws.amazon.com/s3/home?region=us-west-2"),
        "{page}"
    );
    assert_eq!(
        signin.console_visits(),
        vec!["https://us-west-2.console.aws.amazon.com/s3/home?region=us-west-2".to_string()]
    );
    assert_eq!(signin.issued().len(), 1);
    let _ = role_id;
    // The page was private while it existed, and is gone now.
    assert_eq!(std::fs::read_to_string(&mode).unwrap().trim(), "600 700");
    let left: Vec<_> = std::fs::read_dir(home.cache_dir().join("console"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
