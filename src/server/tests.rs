use super::*;
use crate::credentials::Issued;
use std::sync::atomic::AtomicUsize;

const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const IMDS_TOKEN: &str = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
const HOST: &str = "127.0.0.1:4242";
const BOUND: &str = "172.17.0.1:4343";

#[test]
fn same_secret_accepts_only_the_whole_token() {
    let ours = Secret::new(TOKEN.to_string());
    assert!(same_secret(TOKEN, &ours));
    let mut first = TOKEN.to_string();
    first.replace_range(0..1, "f");
    let mut last = TOKEN.to_string();
    last.replace_range(63..64, "0");
    for wrong in [
        "",
        &first,
        &last,
        &TOKEN[..63],
        &format!("{TOKEN}0"),
        &TOKEN.to_uppercase(),
    ] {
        assert!(!same_secret(wrong, &ours), "{wrong}");
    }
}

/// The comparison looks at every byte pair whatever it finds: a guess wrong
/// in its first byte costs as much as one wrong only in its last.
#[test]
fn same_secret_does_not_stop_at_the_first_differing_byte() {
    struct Counted<'a, I> {
        inner: I,
        seen: &'a AtomicUsize,
    }
    impl<'a, I: Iterator<Item = (&'a u8, &'a u8)>> Iterator for Counted<'a, I> {
        type Item = I::Item;
        fn next(&mut self) -> Option<Self::Item> {
            let item = self.inner.next()?;
            self.seen.fetch_add(1, Ordering::Relaxed);
            Some(item)
        }
    }
    let ours = TOKEN.as_bytes();
    for differs_at in [0, 1, 31, 63, 64] {
        let mut guess = ours.to_vec();
        if let Some(b) = guess.get_mut(differs_at) {
            *b ^= 1;
        }
        let seen = AtomicUsize::new(0);
        let pairs = Counted {
            inner: guess.iter().zip(ours),
            seen: &seen,
        };
        assert_eq!(same_bytes(pairs, true), differs_at == 64);
        assert_eq!(seen.load(Ordering::Relaxed), 64, "differs at {differs_at}");
    }
}

/// Hands out what it is given, counting calls.
struct Fake {
    calls: AtomicUsize,
    expires_in: i64,
    fails: std::sync::atomic::AtomicBool,
}

impl Provide for Fake {
    fn provide(&self) -> Result<Served> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.fails.load(Ordering::SeqCst) {
            return Err(fail(
                Kind::MfaNeeded,
                "no code: run `awscred mfa` in a terminal",
            ));
        }
        Ok(Served {
            credentials: Issued {
                access_key_id: "ASIAFAKEFAKEFAKE".into(),
                secret_access_key: Secret::new("s3cr3t".to_string()),
                session_token: Some(Secret::new("t0k3n".to_string())),
                expiration: Some(Timestamp(Timestamp::now().0 + self.expires_in)),
            },
            account_id: Some("123456789012".into()),
        })
    }
}

fn state(imds: bool, expires_in: i64, fails: bool) -> (State, Arc<Fake>) {
    let fake = Arc::new(Fake {
        calls: AtomicUsize::new(0),
        expires_in,
        fails: fails.into(),
    });
    let state = State {
        host: HOST.into(),
        bound_host: Some(BOUND.into()),
        addr: HOST.parse().unwrap(),
        token: Secret::new(TOKEN.to_string()),
        imds_token: imds.then(|| Secret::new(IMDS_TOKEN.to_string())),
        current: Mutex::new(Current::default()),
        provider: Box::new(Arc::clone(&fake)),
        active: AtomicUsize::new(0),
        active_bound: AtomicUsize::new(0),
        #[cfg(target_os = "linux")]
        lookup: peer::Lookup::SockDiag,
    };
    (state, fake)
}

fn request(head: &str) -> Request {
    http::parse(head.replace('\n', "\r\n").as_bytes()).unwrap()
}

fn ask(state: &State, head: &str) -> Answer {
    // The peer's user is checked at accept, on the socket (tests/it/server.rs).
    answer(&request(head), state, Side::Loopback)
}

/// The `--bind` listener: its own Host, the container path, no IMDS.
#[test]
fn the_bound_listener_answers_its_own_host_and_the_container_path_only() {
    let (s, _) = state(true, 3600, false);
    let bound = |head: &str| answer(&request(head), &s, Side::Bound);
    let ok = bound(&format!(
        "GET /credentials HTTP/1.1\nHost: {BOUND}\nAuthorization: {TOKEN}"
    ));
    assert_eq!(ok.0, 200, "{}", ok.2);
    for head in [
        format!("GET /credentials HTTP/1.1\nHost: {BOUND}"),
        format!("GET /credentials HTTP/1.1\nHost: {HOST}\nAuthorization: {TOKEN}"),
        format!("PUT /latest/api/token HTTP/1.1\nHost: {BOUND}\nX-aws-ec2-metadata-token-ttl-seconds: 60"),
    ] {
        let a = bound(&head);
        assert!((400..500).contains(&a.0), "{head}: {}", a.0);
        assert!(!a.2.contains("s3cr3t"), "{head}");
    }
    // And the loopback listener does not take the bound address as its Host.
    let a = ask(
        &s,
        &format!("GET /credentials HTTP/1.1\nHost: {BOUND}\nAuthorization: {TOKEN}"),
    );
    assert_eq!(a.0, 403);
}

#[test]
fn bind_takes_private_addresses_only() {
    for ok in ["10.1.2.3", "172.17.0.1", "192.168.1.5", "fd00::1"] {
        assert!(check_bind(ok.parse().unwrap()).is_ok(), "{ok}");
    }
    for bad in [
        "0.0.0.0",
        "::",
        "8.8.8.8",
        "172.32.0.1",
        "169.254.169.254",
        "224.0.0.1",
        "2001:db8::1",
        "127.0.0.2",
        "::1",
        "::ffff:10.0.0.1",
    ] {
        let e = check_bind(bad.parse().unwrap()).unwrap_err().to_string();
        assert!(e.contains("never loopback"), "{bad}: {e}");
    }
}

#[test]
fn credentials_need_the_host_and_the_token() {
    let (s, fake) = state(false, 3600, false);
    let ok = ask(
        &s,
        &format!("GET /credentials HTTP/1.1\nHost: {HOST}\nAuthorization: {TOKEN}"),
    );
    assert_eq!(ok.0, 200, "{}", ok.2);
    let json: serde_json::Value = serde_json::from_str(&ok.2).unwrap();
    assert_eq!(json["AccessKeyId"], "ASIAFAKEFAKEFAKE");
    assert_eq!(json["SecretAccessKey"], "s3cr3t");
    assert_eq!(json["Token"], "t0k3n");
    assert_eq!(json["AccountId"], "123456789012");
    assert!(json["Expiration"].as_str().unwrap().ends_with('Z'));
    let wrong_token = format!("{}0", &TOKEN[..63]);
    for (head, status) in [
        (format!("GET /credentials HTTP/1.1\nHost: {HOST}"), 401),
        (format!("GET /credentials HTTP/1.1\nHost: {HOST}\nAuthorization: {wrong_token}"), 401),
        (format!("GET /credentials HTTP/1.1\nHost: {HOST}\nAuthorization: {TOKEN}\nAuthorization: {TOKEN}"), 401),
        (format!("GET /credentials HTTP/1.1\nHost: evil.example:4242\nAuthorization: {TOKEN}"), 403),
        (format!("GET /credentials HTTP/1.1\nHost: localhost:4242\nAuthorization: {TOKEN}"), 403),
        (format!("GET /credentials HTTP/1.1\nAuthorization: {TOKEN}"), 403),
        (format!("GET /credentials HTTP/1.1\nHost: {HOST}\nHost: {HOST}\nAuthorization: {TOKEN}"), 403),
        (format!("POST /credentials HTTP/1.1\nHost: {HOST}\nAuthorization: {TOKEN}"), 405),
        (format!("GET /credentials/ HTTP/1.1\nHost: {HOST}\nAuthorization: {TOKEN}"), 404),
        (format!("GET /credentials?x HTTP/1.1\nHost: {HOST}\nAuthorization: {TOKEN}"), 404),
        (format!("GET / HTTP/1.1\nHost: {HOST}\nAuthorization: {TOKEN}"), 404),
        // IMDS paths exist only with --imds.
        (format!("PUT /latest/api/token HTTP/1.1\nHost: {HOST}\nX-aws-ec2-metadata-token-ttl-seconds: 60"), 404),
    ] {
        let a = ask(&s, &head);
        assert_eq!(a.0, status, "{head}: {}", a.2);
        assert!(!a.2.contains("s3cr3t") && !a.2.contains(TOKEN), "{head}: {}", a.2);
    }
    assert_eq!(
        fake.calls.load(Ordering::SeqCst),
        1,
        "one fetch for one valid request"
    );
}

#[test]
fn credentials_are_reused_until_they_enter_the_refresh_window() {
    let head = format!("GET /credentials HTTP/1.1\nHost: {HOST}\nAuthorization: {TOKEN}");
    // Lasting more than SERVE_MIN_SECS: fetched once.
    let (s, fake) = state(false, SERVE_MIN_SECS + 120, false);
    for _ in 0..3 {
        assert_eq!(ask(&s, &head).0, 200);
    }
    assert_eq!(fake.calls.load(Ordering::SeqCst), 1);
    // Credentials that never lasted that long are still used until the margin.
    let (s, fake) = state(false, EXPIRY_MARGIN_SECS + 120, false);
    for _ in 0..3 {
        assert_eq!(ask(&s, &head).0, 200);
    }
    assert_eq!(fake.calls.load(Ordering::SeqCst), 1);
}

#[test]
fn a_failure_is_answered_clearly_and_not_retried_at_once() {
    let (s, fake) = state(false, 3600, true);
    let head = format!("GET /credentials HTTP/1.1\nHost: {HOST}\nAuthorization: {TOKEN}");
    for _ in 0..5 {
        let (status, _, body) = ask(&s, &head);
        assert_eq!(status, 503);
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["Code"], "MfaNeeded");
        assert_eq!(
            json["Message"],
            "awscred: no code: run `awscred mfa` in a terminal"
        );
    }
    assert_eq!(
        fake.calls.load(Ordering::SeqCst),
        1,
        "held for FAILURE_HOLD"
    );
}

#[test]
fn imds_v2_needs_a_token_from_put() {
    let (s, _) = state(true, 3600, false);
    let put = format!(
        "PUT /latest/api/token HTTP/1.1\nHost: {HOST}\nX-aws-ec2-metadata-token-ttl-seconds: 21600"
    );
    let own = |head: &str| {
        let r = request(head);
        if r.header("host") != Some(HOST) {
            return text(403, "wrong Host");
        }
        imds(&r, &s, s.imds_token.as_ref().unwrap())
    };
    let got = own(&put);
    assert_eq!((got.0, got.2.as_str()), (200, IMDS_TOKEN));
    for (head, status) in [
        (format!("PUT /latest/api/token HTTP/1.1\nHost: {HOST}"), 400),
        (format!("PUT /latest/api/token HTTP/1.1\nHost: {HOST}\nX-aws-ec2-metadata-token-ttl-seconds: 0"), 400),
        (format!("PUT /latest/api/token HTTP/1.1\nHost: {HOST}\nX-aws-ec2-metadata-token-ttl-seconds: 21601"), 400),
        (format!("PUT /latest/api/token HTTP/1.1\nHost: {HOST}\nX-aws-ec2-metadata-token-ttl-seconds: 60\nX-Forwarded-For: 10.0.0.1"), 403),
        (format!("GET /latest/api/token HTTP/1.1\nHost: {HOST}\nX-aws-ec2-metadata-token-ttl-seconds: 60"), 405),
        // IMDSv1 (no token) and a wrong one.
        (format!("GET {IMDS_ROLES_PATH} HTTP/1.1\nHost: {HOST}"), 401),
        (format!("GET {IMDS_ROLES_PATH} HTTP/1.1\nHost: {HOST}\nX-aws-ec2-metadata-token: {TOKEN}"), 401),
        (format!("GET /latest/meta-data/ami-id HTTP/1.1\nHost: {HOST}\nX-aws-ec2-metadata-token: {IMDS_TOKEN}"), 404),
        (format!("GET {IMDS_ROLES_PATH}other HTTP/1.1\nHost: {HOST}\nX-aws-ec2-metadata-token: {IMDS_TOKEN}"), 404),
    ] {
        let a = own(&head);
        assert_eq!(a.0, status, "{head}: {}", a.2);
        assert!(!a.2.contains("s3cr3t") && !a.2.contains(IMDS_TOKEN), "{head}: {}", a.2);
    }
    let list = own(&format!(
        "GET {IMDS_ROLES_PATH} HTTP/1.1\nHost: {HOST}\nX-aws-ec2-metadata-token: {IMDS_TOKEN}"
    ));
    assert_eq!((list.0, list.2.as_str()), (200, IMDS_ROLE));
    let creds = own(&format!(
        "GET {IMDS_ROLES_PATH}{IMDS_ROLE} HTTP/1.1\nHost: {HOST}\nX-aws-ec2-metadata-token: {IMDS_TOKEN}"
    ));
    assert_eq!(creds.0, 200);
    let json: serde_json::Value = serde_json::from_str(&creds.2).unwrap();
    assert_eq!(json["Code"], "Success");
    assert_eq!(json["AccessKeyId"], "ASIAFAKEFAKEFAKE");
    assert_eq!(json["Token"], "t0k3n");
    // The container token is not an IMDS token, nor the other way round.
    let a = ask(
        &s,
        &format!("GET /credentials HTTP/1.1\nHost: {HOST}\nAuthorization: {IMDS_TOKEN}"),
    );
    assert_eq!(a.0, 401);
}

fn served_for(secs: i64) -> Served {
    Served {
        credentials: Issued {
            access_key_id: "ASIAOLDOLDOLDOLD".into(),
            secret_access_key: Secret::new("old".to_string()),
            session_token: Some(Secret::new("old".to_string())),
            expiration: Some(Timestamp(Timestamp::now().0 + secs)),
        },
        account_id: None,
    }
}

#[test]
fn a_failed_renewal_hands_out_the_credentials_still_valid() {
    let head = format!("GET /credentials HTTP/1.1\nHost: {HOST}\nAuthorization: {TOKEN}");
    let (s, fake) = state(false, 3600, true);
    // Due for renewal (16 minutes or less left), still valid (more than 10).
    s.current.lock().unwrap().served = Some((served_for(EXPIRY_MARGIN_SECS + 60), true));
    for _ in 0..3 {
        let (status, _, body) = ask(&s, &head);
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("ASIAOLDOLDOLDOLD"), "{body}");
    }
    assert_eq!(
        fake.calls.load(Ordering::SeqCst),
        1,
        "tried once, then held"
    );
    // Inside the margin they are not handed out: the error is.
    s.current.lock().unwrap().served = Some((served_for(EXPIRY_MARGIN_SECS - 1), true));
    assert_eq!(ask(&s, &head).0, 503);
    // Renewal works again: the new credentials.
    fake.fails.store(false, Ordering::SeqCst);
    s.current.lock().unwrap().failed = None;
    let (status, _, body) = ask(&s, &head);
    assert_eq!(status, 200);
    assert!(body.contains("ASIAFAKEFAKEFAKE"), "{body}");
}

#[test]
fn credentials_near_their_end_or_without_one_are_not_served() {
    let head = format!("GET /credentials HTTP/1.1\nHost: {HOST}\nAuthorization: {TOKEN}");
    for (expires_in, code) in [(EXPIRY_MARGIN_SECS, "Expired"), (-60, "Expired")] {
        let (s, fake) = state(false, expires_in, false);
        for _ in 0..3 {
            let (status, _, body) = ask(&s, &head);
            assert_eq!(status, 503, "{body}");
            let json: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(json["Code"], code);
        }
        assert_eq!(
            fake.calls.load(Ordering::SeqCst),
            1,
            "held, not fetched per request"
        );
    }
    let no_expiry = |_| -> Result<(Served, bool)> {
        let mut served = served_for(0);
        served.credentials.expiration = None;
        usable(served, Timestamp::now())
    };
    let e = no_expiry(()).err().unwrap();
    assert!(
        e.to_string()
            .contains("use `awscred exec` without --server"),
        "{e}"
    );
}

#[test]
fn port_80_may_be_left_out_of_host() {
    let (mut s, _) = state(false, 3600, false);
    let head =
        |host: &str| format!("GET /credentials HTTP/1.1\nHost: {host}\nAuthorization: {TOKEN}");
    assert_eq!(
        ask(&s, &head("127.0.0.1")).0,
        403,
        "port 4242 must be named"
    );
    s.addr = "127.0.0.1:80".parse().unwrap();
    s.host = "127.0.0.1:80".into();
    assert_eq!(ask(&s, &head("127.0.0.1")).0, 200);
    assert_eq!(ask(&s, &head("127.0.0.1:80")).0, 200);
    assert_eq!(ask(&s, &head("localhost")).0, 403);
}
