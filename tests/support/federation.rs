//! A fake AWS federation endpoint (the console sign-in service) on
//! 127.0.0.1, for `awscred console` (`AWS_ENDPOINT_URL_SIGNIN`):
//! - `GET /federation?Action=getSigninToken&Session=…` checks the session
//!   JSON (three non-empty strings, nothing else) and answers a SigninToken;
//!   like AWS, it refuses a GetSessionToken session (the fake STS's `ASIAFAKE…`
//!   ids) with HTTP 400;
//! - `GET /federation?Action=login&…&SigninToken=…` takes a token it issued,
//!   once, and redirects to the fake console page;
//! - `GET /oauth?Action=logout&redirect_uri=…` redirects to `redirect_uri`;
//! - `GET /console?destination=…` is the fake console page.

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// Every SigninToken the fake hands out starts with this (a secret fixture).
pub const SIGNIN_TOKEN: &str = "SigninTok3nQx7Zp4Wm";

/// What the fake console page says, to recognise it in a browser's DOM.
pub const CONSOLE_MARK: &str = "FAKE-AWS-CONSOLE-PAGE";

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `/federation`, `/oauth`, `/console`…
    pub path: String,
    pub params: BTreeMap<String, String>,
    /// getSigninToken's `Session`, parsed.
    pub session: Option<serde_json::Value>,
}

impl Seen {
    pub fn param(&self, k: &str) -> Option<&str> {
        self.params.get(k).map(String::as_str)
    }
}

/// How the fake answers a getSigninToken request.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Any status and body.
    Raw { status: u16, body: String },
    /// A valid answer padded with this many bytes of white space.
    Huge(usize),
    /// Accept and never answer (for 60 s).
    Hang,
    /// A redirect.
    Redirect(String),
}

#[derive(Default)]
struct State {
    seen: Vec<Seen>,
    script: VecDeque<Answer>,
    issued: Vec<String>,
    used: Vec<String>,
}

pub struct FakeSignin {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl FakeSignin {
    pub fn start() -> FakeSignin {
        Self::with(vec![])
    }

    /// Answers getSigninToken with `script` in order, then with tokens.
    pub fn with(script: Vec<Answer>) -> FakeSignin {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            script: script.into(),
            ..State::default()
        }));
        let shared = state.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = shared.clone();
                thread::spawn(move || {
                    let _ = serve(stream, &shared, addr);
                });
            }
        });
        FakeSignin { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// The getSigninToken requests.
    pub fn token_requests(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.path == "/federation" && s.param("Action") == Some("getSigninToken"))
            .collect()
    }

    /// The tokens handed out, in order.
    pub fn issued(&self) -> Vec<String> {
        self.state.lock().unwrap().issued.clone()
    }

    /// The destinations the fake console page was shown for.
    pub fn console_visits(&self) -> Vec<String> {
        self.seen()
            .into_iter()
            .filter(|s| s.path == "/console")
            .filter_map(|s| s.param("destination").map(String::from))
            .collect()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>, addr: SocketAddr) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
            break;
        }
    }
    let target = request_line.split(' ').nth(1).unwrap_or("").to_string();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let params = decode_query(query);
    let mut seen = Seen {
        path: path.to_string(),
        params: params.clone(),
        session: None,
    };
    let param = |k: &str| params.get(k).cloned().unwrap_or_default();
    let mut stream = stream;
    match (path, param("Action").as_str()) {
        ("/federation", "getSigninToken") => {
            seen.session = serde_json::from_str(&param("Session")).ok();
            let scripted = {
                let mut st = state.lock().unwrap();
                st.seen.push(seen.clone());
                st.script.pop_front()
            };
            match scripted {
                Some(Answer::Raw { status, body }) => {
                    reply(&mut stream, status, "application/json", &body, None)
                }
                Some(Answer::Hang) => {
                    thread::sleep(Duration::from_secs(60));
                    Ok(())
                }
                Some(Answer::Redirect(to)) => reply(&mut stream, 302, "text/plain", "", Some(&to)),
                Some(Answer::Huge(n)) => {
                    let body = format!("{{\"SigninToken\":\"{SIGNIN_TOKEN}0\"{}}}", " ".repeat(n));
                    reply(&mut stream, 200, "application/json", &body, None)
                }
                None => match check_session(seen.session.as_ref()) {
                    Err(why) => reply(
                        &mut stream,
                        400,
                        "text/html",
                        &format!("<html><body>{why}</body></html>"),
                        None,
                    ),
                    Ok(()) => {
                        let token = {
                            let mut st = state.lock().unwrap();
                            let t = format!("{SIGNIN_TOKEN}{}-_x", st.issued.len() + 1);
                            st.issued.push(t.clone());
                            t
                        };
                        reply(
                            &mut stream,
                            200,
                            "application/json",
                            &format!("{{\"SigninToken\":\"{token}\"}}"),
                            None,
                        )
                    }
                },
            }
        }
        ("/federation", "login") => {
            let token = param("SigninToken");
            let ok = {
                let mut st = state.lock().unwrap();
                st.seen.push(seen);
                let ok = st.issued.contains(&token) && !st.used.contains(&token);
                st.used.push(token);
                ok
            };
            if ok {
                let to = format!("/console?destination={}", encode(&param("Destination")));
                reply(&mut stream, 302, "text/plain", "", Some(&to))
            } else {
                reply(
                    &mut stream,
                    400,
                    "text/html",
                    "<html><body>invalid or used sign-in token</body></html>",
                    None,
                )
            }
        }
        ("/oauth", "logout") => {
            state.lock().unwrap().seen.push(seen);
            let to = param("redirect_uri");
            if to.starts_with(&format!("http://{addr}/")) {
                reply(&mut stream, 302, "text/plain", "", Some(&to))
            } else {
                reply(&mut stream, 400, "text/plain", "foreign redirect", None)
            }
        }
        ("/console", _) => {
            let page = format!(
                "<!DOCTYPE html><html><head><title>Fake AWS console</title></head><body><p id=\"mark\">{CONSOLE_MARK}</p><p id=\"destination\">{}</p></body></html>",
                param("destination").replace('&', "&amp;").replace('<', "&lt;")
            );
            state.lock().unwrap().seen.push(seen);
            reply(&mut stream, 200, "text/html", &page, None)
        }
        _ => {
            state.lock().unwrap().seen.push(seen);
            reply(&mut stream, 404, "text/plain", "not found", None)
        }
    }
}

/// What the real endpoint needs: exactly the three strings, and a session
/// it takes (not a GetSessionToken one).
fn check_session(session: Option<&serde_json::Value>) -> Result<(), &'static str> {
    let obj = session
        .and_then(|s| s.as_object())
        .ok_or("Session is not JSON")?;
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort();
    if keys != ["sessionId", "sessionKey", "sessionToken"] {
        return Err("Session needs sessionId, sessionKey, sessionToken");
    }
    if obj.values().any(|v| v.as_str().is_none_or(str::is_empty)) {
        return Err("empty session field");
    }
    if obj["sessionId"].as_str().unwrap().starts_with("ASIAFAKE") {
        return Err("Bad Request: a GetSessionToken session cannot sign in");
    }
    Ok(())
}

fn reply(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &str,
    location: Option<&str>,
) -> std::io::Result<()> {
    let location = location
        .map(|l| format!("Location: {l}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\n{location}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}

/// A query string's parameters, percent-decoded (`+` is a space).
pub fn decode_query(q: &str) -> BTreeMap<String, String> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

pub fn decode(v: &str) -> String {
    let v = v.replace('+', " ");
    let bytes = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
