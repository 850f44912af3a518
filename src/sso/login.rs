//! The two sign-in flows: the authorization code with PKCE (a browser, and a
//! listener on 127.0.0.1 for its redirect) and the device code (a URL and a
//! code on stderr, for SSH sessions and containers).
//!
//! The listener takes exactly one valid callback: `GET /oauth/callback` with
//! the `state` this run made. Any other path, a wrong or missing state, a
//! request over 8 KiB or slower than 10 s is answered with an error and
//! ignored; after the valid one the listener is closed, so a second callback
//! finds nothing. The whole wait is bounded ([`PKCE_WAIT`]).

use super::oidc::{self, Oidc, Poll, Registration};
use super::{read_in, sha1_hex, token_dir, write_in, Session, TokenFile};
use crate::cache::Cache;
use crate::credentials::Timestamp;
use crate::env::Env;
use crate::error::{fail, report, Kind};
use crate::fsafe::{Dir, Found, IfMissing};
use crate::secret::Secret;
use anyhow::Result;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

/// The longest awscred waits for the browser's redirect.
pub const PKCE_WAIT: Duration = Duration::from_secs(300);
/// The most of one callback request awscred reads.
const MAX_REQUEST: usize = 8 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum How {
    /// Authorization code with PKCE, the browser opened by awscred.
    Pkce,
    /// Device code; `true`: awscred also opens the verification URL.
    Device(bool),
}

impl How {
    pub fn describe(self) -> &'static str {
        match self {
            How::Pkce => "in the browser",
            How::Device(_) => "with a device code",
        }
    }
}

/// A browser awscred can open: `BROWSER`, or a desktop session's opener.
pub fn can_open_browser(env: &Env) -> bool {
    if env.browser().is_some_and(|b| !b.trim().is_empty()) {
        return true;
    }
    if cfg!(target_os = "macos") || cfg!(windows) {
        return env.ssh_connection().is_none();
    }
    env.display().is_some() || env.wayland_display().is_some()
}

/// The flow a run that needs a login uses without being asked: the browser
/// where one opens, else the device code on a terminal, else none (exit 7).
pub fn automatic(env: &Env) -> Option<How> {
    if can_open_browser(env) {
        Some(How::Pkce)
    } else if crate::prompt::has_terminal() {
        Some(How::Device(false))
    } else {
        None
    }
}

/// `awscred sso login`: the flow the flags ask for, under the lock.
pub fn login(
    env: &Env,
    session: &Session,
    use_device_code: bool,
    no_browser: bool,
    timeout: Duration,
) -> Result<Timestamp> {
    let browser = can_open_browser(env) && !no_browser;
    // --no-browser: the device code, which works wherever the terminal is
    // (SSH, a container), where a pasted 127.0.0.1 redirect would not.
    let how = if use_device_code || !browser {
        How::Device(browser)
    } else {
        How::Pkce
    };
    if no_browser {
        report("--no-browser: signing in with a device code (open the URL below on any device; a 127.0.0.1 redirect would not reach this machine over SSH)");
    }
    let cache = Cache::open(env)?;
    let _lock = cache.lock_waiting(&session.lock_key(), super::LOGIN_LOCK_WAIT)?;
    let dir = token_dir(env, IfMissing::Create)?
        .ok_or_else(|| anyhow::anyhow!("cannot create ~/.aws/sso/cache"))?;
    let current = read_in(&dir, session)?;
    let file = run_locked(env, session, &dir, current, how, timeout)?;
    file.expires_at()
        .ok_or_else(|| anyhow::anyhow!("internal error: a login without an expiry"))
}

/// Runs `how` (the caller holds the session's lock) and writes the token file.
pub(super) fn run_locked(
    env: &Env,
    session: &Session,
    dir: &Dir,
    current: Option<TokenFile>,
    how: How,
    timeout: Duration,
) -> Result<TokenFile> {
    let client = Oidc::new(session, timeout);
    let reg = registration(dir, session, &client)?;
    let got = match how {
        How::Pkce => pkce(env, session, &client, &reg)?,
        How::Device(open) => device(env, session, &client, &reg, open)?,
    };
    let mut file = current.unwrap_or_else(TokenFile::new);
    // A new login's refresh token replaces any old one.
    file.map.remove("refreshToken");
    file.record(session, &got, &reg);
    write_in(dir, session, &file)?;
    Ok(file)
}

/// awscred's client registration for this start URL, region and scopes,
/// reused until a day before it expires: a file beside the tokens, named as
/// botocore names its own (sha1 of what it stands for).
fn registration(dir: &Dir, session: &Session, client: &Oidc) -> Result<Registration> {
    let what = serde_json::json!({
        "tool": "awscred",
        "startUrl": session.start_url,
        "region": session.region,
        "scopes": session.scopes,
        "session_name": session.name,
    });
    let name = format!("{}.json", sha1_hex(what.to_string().as_bytes()));
    let now = Timestamp::now();
    if let Ok(Found::File(bytes)) = dir.read(&name, 64 * 1024) {
        if let Ok(serde_json::Value::Object(m)) =
            serde_json::from_slice::<serde_json::Value>(&bytes)
        {
            let text = |k: &str| {
                m.get(k)
                    .and_then(|v| v.as_str())
                    .filter(|s| crate::validate::text(s, crate::validate::MAX_TOKEN_LEN).is_ok())
            };
            let expires = text("expiresAt").and_then(Timestamp::parse_rfc3339);
            if let (Some(id), Some(secret), Some(exp)) =
                (text("clientId"), text("clientSecret"), expires)
            {
                if exp.lasts_beyond(now, 86_400) {
                    return Ok(Registration {
                        client_id: id.to_string(),
                        client_secret: Secret::new(secret),
                        expires_at: exp,
                    });
                }
            }
        }
    }
    let reg = client.register(session)?;
    let json = serde_json::json!({
        "clientId": reg.client_id,
        "clientSecret": reg.client_secret.expose(),
        "expiresAt": reg.expires_at.to_rfc3339(),
        "scopes": session.scopes,
        "grantTypes": [oidc::GRANT_CODE, oidc::GRANT_DEVICE, oidc::GRANT_REFRESH],
    });
    dir.write_atomic(
        &name,
        &serde_json::to_vec_pretty(&json).unwrap_or_default(),
        0o600,
    )?;
    Ok(reg)
}

fn device(
    env: &Env,
    _session: &Session,
    client: &Oidc,
    reg: &Registration,
    open: bool,
) -> Result<oidc::Token> {
    let d = client.start_device(_session, reg)?;
    let uri = crate::sts::printable(&d.verification_uri);
    let code = crate::sts::printable(&d.user_code);
    report(&format!(
        "to sign in, open {uri} and confirm the code {code}"
    ));
    if open {
        if let Ok(cache) = Cache::open(env) {
            if let Ok(dir) = cache.ensure_dir() {
                let _ = crate::browser::open(
                    dir,
                    &Secret::new(d.verification_uri.clone()),
                    env.browser(),
                    "the URL above",
                );
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(d.expires_in);
    let mut interval = d.interval;
    loop {
        std::thread::sleep(Duration::from_secs(interval));
        if Instant::now() >= deadline {
            return Err(fail(Kind::NoSession, "the sign-in code expired before it was confirmed: run the login again and confirm the code in time"));
        }
        match client.poll(reg, &d) {
            Ok(t) => return Ok(t),
            Err(Poll::Pending) => {}
            // RFC 8628 3.5: five seconds more for this and every later poll.
            Err(Poll::SlowDown) => interval = (interval + 5).min(60),
            Err(Poll::Failed(e)) => return Err(e),
        }
    }
}

fn random_b64(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)
        .map_err(|e| anyhow::anyhow!("cannot get random bytes from the OS: {e}"))?;
    Ok(b64url(&buf))
}

/// base64url without padding (RFC 7636 appendix A).
fn b64url(bytes: &[u8]) -> String {
    aws_smithy_types::base64::encode(bytes)
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_")
}

/// The S256 challenge of a verifier.
pub fn challenge(verifier: &str) -> String {
    use sha2::Digest as _;
    b64url(&sha2::Sha256::digest(verifier.as_bytes()))
}

fn authorize_base(session: &Session) -> String {
    match &session.oidc_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => {
            let suffix = match crate::sts::partition(&session.region) {
                "aws-cn" => "amazonaws.com.cn",
                _ => "amazonaws.com",
            };
            format!("https://oidc.{}.{suffix}", session.region)
        }
    }
}

fn pkce(env: &Env, session: &Session, client: &Oidc, reg: &Registration) -> Result<oidc::Token> {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .map_err(|e| fail(Kind::Exec, format!("cannot listen on 127.0.0.1 for the sign-in redirect ({e}): use `awscred sso login --use-device-code`")))?;
    let port = listener.local_addr()?.port();
    let redirect = format!("http://127.0.0.1:{port}/oauth/callback");
    let verifier = Secret::new(random_b64(48)?);
    let state = Secret::new(random_b64(24)?);
    let enc = crate::console::encode;
    let mut url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&state={}&code_challenge_method=S256&code_challenge={}",
        authorize_base(session),
        enc(&reg.client_id),
        enc(&redirect),
        enc(state.expose()),
        challenge(verifier.expose()),
    );
    if !session.scopes.is_empty() {
        url.push_str(&format!("&scopes={}", enc(&session.scopes.join(" "))));
    }
    let cache = Cache::open(env)?;
    crate::browser::open(
        cache.ensure_dir()?,
        &Secret::new(url),
        env.browser(),
        "`awscred sso login --use-device-code`",
    )?;
    report("waiting for the sign-in in the browser");
    let code = callback(&listener, &state, PKCE_WAIT)?;
    drop(listener);
    client.exchange_code(reg, &code, &verifier, &redirect)
}

/// Waits for the one valid redirect; see the module comment.
pub fn callback(listener: &TcpListener, state: &Secret, wait: Duration) -> Result<Secret> {
    let deadline = Instant::now() + wait;
    listener.set_nonblocking(true)?;
    loop {
        if Instant::now() >= deadline {
            return Err(fail(
                Kind::NoSession,
                format!("the browser did not come back within {} s: run the login again, or use `awscred sso login --use-device-code`", wait.as_secs()),
            ));
        }
        let (mut conn, _) = match listener.accept() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            Err(e) => {
                return Err(fail(
                    Kind::Exec,
                    format!(
                    "the sign-in listener failed ({e}): use `awscred sso login --use-device-code`"
                ),
                ))
            }
        };
        let _ = conn.set_nonblocking(false);
        let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
        let _ = conn.set_write_timeout(Some(Duration::from_secs(10)));
        let head = read_head(&mut conn);
        let answer = |conn: &mut std::net::TcpStream, status: &str, text: &str| {
            let body = format!("<!doctype html><title>awscred</title><p>{text}</p>\n");
            let _ = write!(
                conn,
                "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{body}",
                body.len()
            );
        };
        let Some(query) = head.as_deref().and_then(callback_query) else {
            answer(&mut conn, "404 Not Found", "Not found.");
            continue;
        };
        let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let state_ok = get("state").is_some_and(|s| {
            use subtle::ConstantTimeEq as _;
            bool::from(s.as_bytes().ct_eq(state.expose().as_bytes()))
        });
        if !state_ok {
            answer(
                &mut conn,
                "400 Bad Request",
                "This sign-in is not the one awscred started (wrong state).",
            );
            continue;
        }
        if let Some(err) = get("error") {
            answer(
                &mut conn,
                "200 OK",
                "The sign-in did not complete. You can close this tab.",
            );
            return Err(fail(
                Kind::NoSession,
                format!(
                    "the sign-in failed in the browser ({}): run the login again",
                    crate::sts::printable(err)
                ),
            ));
        }
        match get("code")
            .filter(|c| crate::validate::text(c, crate::validate::MAX_TOKEN_LEN).is_ok())
        {
            Some(code) => {
                answer(
                    &mut conn,
                    "200 OK",
                    "Signed in to AWS. You can close this tab.",
                );
                return Ok(Secret::new(code));
            }
            None => answer(&mut conn, "400 Bad Request", "No authorization code."),
        }
    }
}

/// The request line and headers, at most [`MAX_REQUEST`] bytes.
fn read_head(conn: &mut std::net::TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 || buf.len() + n > MAX_REQUEST {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8(buf).ok()
}

/// The query of `GET /oauth/callback?… HTTP/1.x`, and nothing else.
fn callback_query(head: &str) -> Option<&str> {
    let line = head.lines().next()?;
    let mut words = line.split(' ');
    let (method, target, version) = (words.next()?, words.next()?, words.next()?);
    if method != "GET" || !version.starts_with("HTTP/1.") || words.next().is_some() {
        return None;
    }
    let (path, query) = target.split_once('?')?;
    (path == "/oauth/callback").then_some(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636s() {
        // Python: base64.urlsafe_b64encode(hashlib.sha256(v).digest()).rstrip(b"=")
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K9uhvxbzvWR9EC63K7a9TnUs7Y"),
            "-J9YOCaFtvUI3vDrAV1S2yohC7UuwrGgm-GLG7_M5l4"
        );
    }

    #[test]
    fn only_a_get_of_the_callback_path_is_read() {
        assert_eq!(
            callback_query("GET /oauth/callback?code=a&state=b HTTP/1.1\r\n"),
            Some("code=a&state=b")
        );
        for bad in [
            "POST /oauth/callback?code=a HTTP/1.1",
            "GET /oauth/callbackx?code=a HTTP/1.1",
            "GET /other?code=a HTTP/1.1",
            "GET /oauth/callback HTTP/1.1",
            "GET /oauth/callback?code=a HTTP/1.1 x",
        ] {
            assert_eq!(callback_query(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_listener_refuses_a_wrong_state_then_takes_the_right_one_once() {
        let l = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = l.local_addr().unwrap().port();
        let state = Secret::new("s-123");
        let t = std::thread::spawn(move || {
            let get = |path: &str| {
                let mut c = std::net::TcpStream::connect(("127.0.0.1", port))?;
                write!(c, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n")?;
                let mut s = String::new();
                c.read_to_string(&mut s)?;
                Ok::<String, std::io::Error>(s)
            };
            let a = get("/oauth/callback?code=evil&state=wrong").unwrap();
            let b = get("/favicon.ico").unwrap();
            let c = get("/oauth/callback?code=good&state=s-123").unwrap();
            (a, b, c)
        });
        let code = callback(&l, &state, Duration::from_secs(10)).unwrap();
        assert_eq!(code.expose(), "good");
        let (a, b, c) = t.join().unwrap();
        assert!(a.starts_with("HTTP/1.1 400"), "{a}");
        assert!(b.starts_with("HTTP/1.1 404"), "{b}");
        assert!(c.starts_with("HTTP/1.1 200"), "{c}");
        drop(l);
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "a second callback finds nothing"
        );
    }
}
