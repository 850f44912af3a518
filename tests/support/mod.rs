//! Test support: an in-process fake STS on 127.0.0.1 and a runner for the real
//! binary in a clean environment with a temporary HOME.
#![allow(dead_code)]

pub mod federation;
pub mod identity_center;
pub mod metadata;

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Request {
    pub params: BTreeMap<String, String>,
    /// From `Authorization: AWS4-HMAC-SHA256 Credential=AKID/...`.
    pub access_key_id: String,
    /// `X-Amz-Security-Token`, when a session signed the request.
    pub session_token: Option<String>,
}

impl Request {
    pub fn param(&self, k: &str) -> Option<&str> {
        self.params.get(k).map(String::as_str)
    }
}

/// How the fake answers one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A real GetSessionTokenResponse; expiration = now + DurationSeconds (default 43200) + `shift`.
    Session { shift: i64 },
    /// An STS error document (`<ErrorResponse><Error>…`).
    Error {
        status: u16,
        code: &'static str,
        message: &'static str,
    },
    /// Any status and body.
    Raw { status: u16, body: String },
    /// Wait, then answer.
    Delay(Duration, Box<Reply>),
    /// Close the connection without answering.
    Drop,
    /// Accept and never answer (for 60 s).
    Hang,
    /// Send headers and half the body, then reset.
    Truncate,
    /// A session whose `Date` header is this many seconds off the real clock.
    Skewed(i64),
    /// A well-formed answer to the request's action (GetSessionToken,
    /// AssumeRole…; JSON from the SSO portal) carrying these fields verbatim,
    /// unescaped, so a test can put `&#0;`, `\u001b` or raw control bytes in;
    /// expiring in an hour.
    Hostile {
        id: String,
        secret: String,
        token: String,
    },
    /// A valid answer (a session, or the SSO portal's) with this many bytes of
    /// padding inside the document (announced in Content-Length).
    Huge(usize),
    /// A chunked body that never ends: 256 MiB of padding inside a document,
    /// then silence until the client hangs up (no final chunk).
    Endless,
    /// A valid session sent one byte a second.
    Trickle,
    /// A redirect to `location`.
    Redirect { status: u16, location: String },
}

pub fn session() -> Reply {
    Reply::Session { shift: 0 }
}

pub fn error(status: u16, code: &'static str, message: &'static str) -> Reply {
    Reply::Error {
        status,
        code,
        message,
    }
}

#[derive(Default)]
struct State {
    requests: Vec<Request>,
    script: VecDeque<Reply>,
    /// Replies by `Action`, before the positional script: for runs whose
    /// order of calls depends on where they fail.
    by_action: BTreeMap<String, VecDeque<Reply>>,
    issued: u64,
}

pub struct FakeSts {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl FakeSts {
    /// Answers every request with a fresh session unless `script` says otherwise.
    pub fn start() -> FakeSts {
        Self::with(vec![])
    }

    /// Answers with `script` in order, then with fresh sessions.
    pub fn with(script: Vec<Reply>) -> FakeSts {
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
                    let _ = serve(stream, &shared);
                });
            }
        });
        FakeSts { addr, state }
    }

    /// Answers each `Action` with its own replies in turn (then the script,
    /// then a session).
    pub fn by_action(replies: Vec<(&str, Reply)>) -> FakeSts {
        let fake = Self::start();
        let mut st = fake.state.lock().unwrap();
        for (action, reply) in replies {
            st.by_action
                .entry(action.to_string())
                .or_default()
                .push_back(reply);
        }
        drop(st);
        fake
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Waits (up to 10 s) until `n` requests have arrived: the client is then
    /// inside its STS call, holding its lock.
    pub fn wait_for_requests(&self, n: usize) {
        let start = std::time::Instant::now();
        while self.requests().len() < n {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the fake saw {} requests, not {n}",
                self.requests().len()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// How many GetSessionToken calls arrived.
    pub fn session_calls(&self) -> usize {
        self.calls("GetSessionToken")
    }

    /// How many calls of `action` arrived.
    pub fn calls(&self, action: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.param("Action") == Some(action))
            .count()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0usize;
    let mut access_key_id = String::new();
    let mut session_token = None;
    let mut line = String::new();
    let mut request_line = String::new();
    let mut bearer = None;
    let mut dpop = None;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let l = line.trim_end();
        if request_line.is_empty() {
            request_line = l.to_string();
        }
        if let Some(v) = l
            .to_ascii_lowercase()
            .strip_prefix("x-amz-sso_bearer_token:")
        {
            bearer = Some(l[l.len() - v.len()..].trim().to_string());
        }
        if l.is_empty() {
            break;
        }
        let lower = l.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("dpop:") {
            dpop = Some(l[l.len() - v.len()..].trim().to_string());
        }
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if let Some(v) = lower.strip_prefix("x-amz-security-token:") {
            let start = l.len() - v.len();
            session_token = Some(l[start..].trim().to_string());
        }
        if lower.starts_with("authorization:") {
            if let Some(rest) = l.split("Credential=").nth(1) {
                access_key_id = rest.split('/').next().unwrap_or("").to_string();
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    // The AWS sign-in service (`aws login`'s refresh): POST /v1/token, JSON in and out.
    if request_line.starts_with("POST /v1/token ") {
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let mut params = BTreeMap::new();
        params.insert("Action".into(), "CreateOAuth2Token".into());
        for key in ["clientId", "grantType", "refreshToken"] {
            if let Some(v) = json[key].as_str() {
                params.insert(key.into(), v.into());
            }
        }
        if let Some(proof) = dpop {
            params.insert("DPoP".into(), proof);
        }
        let request = Request {
            params,
            access_key_id: String::new(),
            session_token: None,
        };
        // A scripted reply is for the sign-in service too; without one it hands out `issued_login()`.
        let scripted = {
            let mut st = state.lock().unwrap();
            st.requests.push(request.clone());
            st.script.pop_front()
        };
        if let Some(reply) = scripted {
            return respond(stream, reply, &request, state);
        }
        let (id, secret, token) = issued_login();
        let body = signin_json(&id, &secret, &token);
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let mut stream = stream;
        stream.write_all(head.as_bytes())?;
        stream.write_all(body.as_bytes())?;
        return stream.flush();
    }
    // The IAM Identity Center portal: GET /federation/credentials?account_id=…&role_name=…
    if let Some(query) = request_line.strip_prefix("GET /federation/credentials?") {
        let mut params = form_decode(query.split(' ').next().unwrap_or(""));
        params.insert("Action".into(), "GetRoleCredentials".into());
        params.insert("Bearer".into(), bearer.unwrap_or_default());
        let request = Request {
            params,
            access_key_id: String::new(),
            session_token: None,
        };
        // A scripted reply is for the portal too; without one it hands out `issued_sso()`.
        let scripted = {
            let mut st = state.lock().unwrap();
            st.requests.push(request.clone());
            st.script.pop_front()
        };
        if let Some(reply) = scripted {
            return respond(stream, reply, &request, state);
        }
        let (id, secret, token) = issued_sso();
        let body = portal_json(&id, &secret, &token);
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let mut stream = stream;
        stream.write_all(head.as_bytes())?;
        stream.write_all(body.as_bytes())?;
        return stream.flush();
    }
    let params = form_decode(&String::from_utf8_lossy(&body));
    let request = Request {
        params,
        access_key_id,
        session_token,
    };
    let reply = {
        let mut st = state.lock().unwrap();
        st.requests.push(request.clone());
        let action = request.param("Action").unwrap_or_default().to_string();
        st.by_action
            .get_mut(&action)
            .and_then(VecDeque::pop_front)
            .or_else(|| st.script.pop_front())
            .unwrap_or_else(session)
    };
    respond(stream, reply, &request, state)
}

fn respond(
    mut stream: TcpStream,
    reply: Reply,
    req: &Request,
    state: &Mutex<State>,
) -> std::io::Result<()> {
    let (status, body) = match reply {
        Reply::Delay(d, inner) => {
            thread::sleep(d);
            return respond(stream, *inner, req, state);
        }
        Reply::Drop => return Ok(()),
        Reply::Hang => {
            thread::sleep(Duration::from_secs(60));
            return Ok(());
        }
        Reply::Truncate => {
            let body = session_xml(state, req, 0);
            let head = format!("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n", body.len());
            stream.write_all(head.as_bytes())?;
            stream.write_all(&body.as_bytes()[..body.len() / 2])?;
            return stream.shutdown(std::net::Shutdown::Both);
        }
        Reply::Session { .. } if req.param("Action") == Some("GetCallerIdentity") => (
            200,
            format!(
                "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:sts::123456789012:federated-user/{0}</Arn><UserId>{0}</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
                req.access_key_id
            ),
        ),
        Reply::Session { shift } => (200, session_xml(state, req, shift)),
        Reply::Skewed(offset) => {
            let body = session_xml(state, req, 0);
            let head = format!(
                "HTTP/1.1 200 OK\r\nDate: {}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                http_date(now() + offset),
                body.len()
            );
            stream.write_all(head.as_bytes())?;
            stream.write_all(body.as_bytes())?;
            return stream.flush();
        }
        Reply::Error { status, code, message } => (
            status,
            format!("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"),
        ),
        Reply::Raw { status, body } => (status, body),
        Reply::Hostile { id, secret, token } => (200, hostile_body(req, &id, &secret, &token)),
        Reply::Huge(bytes) => {
            // The padding goes where the SDK skips it (an unknown element, JSON
            // white space), so only the size is wrong.
            let (body, cut, open, close) = if req.param("Action") == Some("GetRoleCredentials") {
                let (id, secret, token) = issued_sso();
                let body = portal_json(&id, &secret, &token);
                let cut = body.len() - 1;
                (body, cut, "", "")
            } else {
                let body = session_xml(state, req, 0);
                let cut = body.find("</ResponseMetadata>").unwrap_or(body.len());
                (body, cut, "<Padding>", "</Padding>")
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len() + open.len() + bytes + close.len()
            );
            stream.set_write_timeout(Some(Duration::from_secs(30)))?;
            stream.write_all(head.as_bytes())?;
            stream.write_all(&body.as_bytes()[..cut])?;
            stream.write_all(open.as_bytes())?;
            let spaces = [b' '; 64 * 1024];
            let mut left = bytes;
            while left > 0 {
                let n = left.min(spaces.len());
                stream.write_all(&spaces[..n])?;
                left -= n;
            }
            stream.write_all(close.as_bytes())?;
            stream.write_all(&body.as_bytes()[cut..])?;
            return stream.flush();
        }
        Reply::Endless => {
            stream.set_write_timeout(Some(Duration::from_secs(30)))?;
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n")?;
            let open = "<GetSessionTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetSessionTokenResult><Credentials><AccessKeyId>";
            stream.write_all(format!("{:x}\r\n{open}\r\n", open.len()).as_bytes())?;
            // Bounded so a client without a cap cannot take the test machine's memory.
            let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "A".repeat(64 * 1024));
            for _ in 0..4096 {
                stream.write_all(chunk.as_bytes())?;
            }
            // Never the final chunk: wait for the client to hang up.
            let mut sink = [0u8; 1];
            stream.set_read_timeout(Some(Duration::from_secs(60)))?;
            let _ = stream.read(&mut sink);
            return Ok(());
        }
        Reply::Trickle => {
            let body = session_xml(state, req, 0);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes())?;
            for b in body.as_bytes() {
                stream.write_all(&[*b])?;
                stream.flush()?;
                thread::sleep(Duration::from_secs(1));
            }
            return Ok(());
        }
        Reply::Redirect { status, location } => {
            let body = session_xml(state, req, 0);
            let head = format!(
                "HTTP/1.1 {status} Moved\r\nLocation: {location}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes())?;
            stream.write_all(body.as_bytes())?;
            return stream.flush();
        }
    };
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}

/// The credentials the fake issues as its `n`th session.
pub fn issued(n: u64) -> (String, String, String) {
    (
        format!("ASIAFAKE{n:08}"),
        format!("se+cr/et={n}"),
        format!("FwoGZXIvYXdzE//token+{n}=="),
    )
}

/// A GetSessionTokenResponse, or the response to AssumeRole(WithWebIdentity), with the
/// next credentials in the fake's numbering; expiration = now + the requested
/// duration (STS's default otherwise) + `shift`.
fn session_xml(state: &Mutex<State>, req: &Request, shift: i64) -> String {
    let action = req.param("Action").unwrap_or("").to_string();
    let role = action.starts_with("AssumeRole");
    let n = {
        let mut st = state.lock().unwrap();
        st.issued += 1;
        st.issued
    };
    let default = if role { 3600 } else { 43_200 };
    let duration: i64 = req
        .param("DurationSeconds")
        .and_then(|d| d.parse().ok())
        .unwrap_or(default);
    let (id, secret, token) = if role { issued_role(n) } else { issued(n) };
    let exp = rfc3339(now() + duration + shift);
    let credentials = format!(
        "<Credentials><AccessKeyId>{id}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey><SessionToken>{token}</SessionToken><Expiration>{exp}</Expiration></Credentials>"
    );
    let meta = format!("<ResponseMetadata><RequestId>r-{n}</RequestId></ResponseMetadata>");
    let ns = "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"";
    if role {
        let arn = req.param("RoleArn").unwrap_or("");
        let name = req.param("RoleSessionName").unwrap_or("");
        format!(
            "<{action}Response {ns}><{action}Result><AssumedRoleUser><AssumedRoleId>AROA:{name}</AssumedRoleId><Arn>{arn}/{name}</Arn></AssumedRoleUser>{credentials}</{action}Result>{meta}</{action}Response>"
        )
    } else {
        format!("<GetSessionTokenResponse {ns}><GetSessionTokenResult>{credentials}</GetSessionTokenResult>{meta}</GetSessionTokenResponse>")
    }
}

/// The body of [`Reply::Hostile`]: the request's kind of answer with the
/// fields pasted in as they are.
fn hostile_body(req: &Request, id: &str, secret: &str, token: &str) -> String {
    let action = req.param("Action").unwrap_or("");
    if action == "GetRoleCredentials" {
        return portal_json(id, secret, token);
    }
    let exp = rfc3339(now() + 3600);
    let credentials = format!(
        "<Credentials><AccessKeyId>{id}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey><SessionToken>{token}</SessionToken><Expiration>{exp}</Expiration></Credentials>"
    );
    let user = if action.starts_with("AssumeRole") {
        "<AssumedRoleUser><AssumedRoleId>AROA:x</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/r/x</Arn></AssumedRoleUser>"
    } else {
        ""
    };
    format!(
        "<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><{action}Result>{user}{credentials}</{action}Result><ResponseMetadata><RequestId>r-h</RequestId></ResponseMetadata></{action}Response>"
    )
}

/// The SSO portal's GetRoleCredentials answer, expiring in an hour.
fn portal_json(id: &str, secret: &str, token: &str) -> String {
    format!(
        "{{\"roleCredentials\":{{\"accessKeyId\":\"{id}\",\"secretAccessKey\":\"{secret}\",\"sessionToken\":\"{token}\",\"expiration\":{}}}}}",
        (now() + 3600) * 1000
    )
}

/// What the fake SSO portal hands out.
pub fn issued_sso() -> (String, String, String) {
    (
        "ASIASSOPORTAL0000001".into(),
        "sso/secret+key".into(),
        "SsoTok3nQw9Zx7==".into(),
    )
}

/// The sign-in service's CreateOAuth2Token answer: new credentials for 15
/// minutes and a new refresh token.
fn signin_json(id: &str, secret: &str, token: &str) -> String {
    format!(
        "{{\"accessToken\":{{\"accessKeyId\":\"{id}\",\"secretAccessKey\":\"{secret}\",\"sessionToken\":\"{token}\"}},\"tokenType\":\"aws_sigv4\",\"expiresIn\":900,\"refreshToken\":\"{LOGIN_NEW_REFRESH_TOKEN}\"}}"
    )
}

/// What the fake sign-in service hands out on a refresh.
pub fn issued_login() -> (String, String, String) {
    (
        "ASIASIGNINREFRESH001".into(),
        "s1gn/Rf7+Qz9xKey".into(),
        "SgnTk3nRf8Wq==".into(),
    )
}

/// What a test login cache (as `aws login` writes it) holds.
pub fn login_cached() -> (String, String, String) {
    (
        "ASIALOGINCACHED00001".into(),
        "l0g/Cch+9xWq2vK".into(),
        "LgnTk3nCc7Pz==".into(),
    )
}

/// The refresh token of a test login cache.
pub const LOGIN_REFRESH_TOKEN: &str = "lrt-Q1w2E3r4T5y6";

/// The refresh token the fake sign-in service hands out with [`issued_login`].
pub const LOGIN_NEW_REFRESH_TOKEN: &str = "lrt-Z9x8C7v6B5n4";

/// A throwaway P-256 key for the DPoP proofs of a test login cache (made for
/// these tests; it signs nothing real).
pub const LOGIN_DPOP_KEY: &str = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIGHjrYPClLeMbS4gCIo46lpu/mZHGRVXxy98dbMFROn0oAoGCCqGSM49\nAwEHoUQDQgAEjfGS3/sqDRpngnH9dyHDxfXpoNjq1T73D1LsUkz0G/RLJ8za5j+b\n4/2CKnbprkMjCcAdpVloWxq+YjFNZnRXbg==\n-----END EC PRIVATE KEY-----\n";

/// Role credentials: the same numbering as sessions, `ASIAROLE…` key ids.
pub fn issued_role(n: u64) -> (String, String, String) {
    (
        format!("ASIAROLE{n:08}"),
        format!("role+secret/{n}"),
        format!("RoleToken{n}=="),
    )
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// RFC 3339 UTC, computed independently of the crate under test.
pub fn rfc3339(t: i64) -> String {
    let out = Command::new("date")
        .args(["-u", "-d", &format!("@{t}"), "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// IMF-fixdate, as in HTTP's Date header.
pub fn http_date(t: i64) -> String {
    let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
        [t.div_euclid(86_400).rem_euclid(7) as usize];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let iso = rfc3339(t); // YYYY-MM-DDTHH:MM:SSZ
    let month = months[iso[5..7].parse::<usize>().unwrap() - 1];
    format!(
        "{days}, {} {month} {} {} GMT",
        &iso[8..10],
        &iso[0..4],
        &iso[11..19]
    )
}

fn form_decode(s: &str) -> BTreeMap<String, String> {
    let decode = |v: &str| {
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
    };
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// A temporary HOME with ~/.aws files and a cache dir.
pub struct Home {
    pub dir: tempfile::TempDir,
}

pub const CONFIG: &str = "[default]\nregion = eu-west-1\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n\n[profile work]\nmfa_serial = arn:aws:iam::210987654321:mfa/alice\nregion = eu-central-1\nduration_seconds = 3600\n\n[profile plain]\n";
pub const CREDENTIALS: &str = "[default]\naws_access_key_id = AKIADEFAULTKEY000001\naws_secret_access_key = defaultSecret/abc+def\n\n[work]\naws_access_key_id = AKIAWORKKEY000000002\naws_secret_access_key = workSecret\n\n[plain]\naws_access_key_id = AKIAPLAINKEY00000003\naws_secret_access_key = plainSecret\n";

impl Home {
    pub fn new() -> Home {
        Self::with(CONFIG, CREDENTIALS)
    }

    pub fn with(config: &str, credentials: &str) -> Home {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".aws")).unwrap();
        std::fs::write(dir.path().join(".aws/config"), config).unwrap();
        std::fs::write(dir.path().join(".aws/credentials"), credentials).unwrap();
        Home { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// Cache entry files (`*.json`), sorted.
    pub fn cache_entries(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.cache_dir())
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    /// The real binary, in a cleared environment: HOME, cache dir and STS endpoint set.
    pub fn cmd(&self, sts: &FakeSts) -> Command {
        self.cmd_url(&sts.url())
    }

    pub fn cmd_url(&self, url: &str) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_awscred"));
        c.env_clear()
            .env("HOME", self.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWSCRED_CACHE_DIR", self.cache_dir())
            .env("AWS_ENDPOINT_URL_STS", url)
            .stdin(Stdio::null());
        detach_from_terminal(&mut c);
        c
    }
}

/// No controlling terminal, so nothing can prompt on the developer's tty.
fn detach_from_terminal(c: &mut Command) {
    use std::os::unix::process::CommandExt;
    unsafe {
        c.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code, showing stdout and stderr when it differs.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "exit code; stdout: {:?}; stderr: {:?}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn expect_ok(&self) -> &Run {
        self.expect_code(0)
    }

    /// A clean failure: exit `code`, stdout exactly `stdout` (the format's
    /// failure line), and one `awscred:` line on stderr that holds `message`
    /// and no raw control character.
    #[track_caller]
    pub fn expect_failure(&self, code: i32, stdout: &str, message: &str) -> &Run {
        self.expect_code(code);
        assert_eq!(self.stdout, stdout, "stdout; stderr: {:?}", self.stderr);
        assert_eq!(
            self.stderr.lines().count(),
            1,
            "one line: {:?}",
            self.stderr
        );
        assert!(
            self.stderr.starts_with("awscred: ") && self.stderr.contains(message),
            "`{message}` not in {:?}",
            self.stderr
        );
        assert!(
            !self.stderr.trim_end().chars().any(char::is_control),
            "raw control character on stderr: {:?}",
            self.stderr
        );
        self
    }
}

/// Runs awscred to the end. Every run in every suite, failing or not, is
/// checked for secrets on stderr (see [`assert_no_secret`]).
pub fn run(c: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = c.output().expect("run awscred");
    let r = Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    };
    assert_no_secret(&r.stderr);
    r
}

/// Every secret the fixtures and the fakes hold: the credentials files'
/// secret keys, the sessions, role and SSO credentials the fakes issue, and
/// [`PLANTED`]. Access key ids are not secrets (status prints them).
pub fn secret_fixtures() -> Vec<String> {
    let mut all: Vec<String> = PLANTED.iter().map(|s| s.to_string()).collect();
    for text in [CREDENTIALS] {
        for line in text.lines() {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim() == "aws_secret_access_key" {
                    all.push(v.trim().to_string());
                }
            }
        }
    }
    for n in 1..=3 {
        let (_, secret, token) = issued(n);
        let (_, rsecret, rtoken) = issued_role(n);
        all.extend([secret, token, rsecret, rtoken]);
    }
    let (_, secret, token) = issued_sso();
    all.extend([secret, token]);
    for (_, secret, token) in [issued_login(), login_cached()] {
        all.extend([secret, token]);
    }
    all.extend([LOGIN_REFRESH_TOKEN, LOGIN_NEW_REFRESH_TOKEN].map(String::from));
    all.extend(
        LOGIN_DPOP_KEY
            .lines()
            .filter(|l| !l.starts_with('-'))
            .map(String::from),
    );
    all
}

/// Secrets tests plant in files, arguments and answers to see that none leaks.
pub const PLANTED: &[&str] = &[
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "JBSWY3DPEHPK3PXPSEEDSEED",
    "hunter2hunter2PASSWORD",
    // The fake federation endpoint's sign-in tokens (`console`), and the
    // secret of the GetFederationToken answer its tests script.
    federation::SIGNIN_TOKEN,
    "fedSecr3t/Key+Zq8",
    "FedTok3nWq9Pz==",
];

/// No 8-character piece of any secret fixture appears in `stderr`.
pub fn assert_no_secret(stderr: &str) {
    for secret in secret_fixtures() {
        let chars: Vec<char> = secret.chars().collect();
        for piece in chars.windows(8) {
            let piece: String = piece.iter().collect();
            assert!(
                !stderr.contains(&piece),
                "stderr holds `{piece}`, a piece of a secret fixture: {stderr}"
            );
        }
    }
}

/// A finished run with its wall time and the child's peak resident set size.
pub struct Measured {
    pub run: Run,
    pub took: Duration,
    pub peak_rss_kib: u64,
}

/// Runs a command from [`Home::cmd`] like [`run`], under `/usr/bin/time -f %M`
/// for its peak RSS. Reaping it here would not do: Linux counts the test
/// process's own size, which the forked child starts as, in the child's
/// `ru_maxrss`, while `time` is small when it forks.
pub fn run_measured(c: &mut Command) -> Measured {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("rss");
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report)
        .arg(c.get_program())
        .args(c.get_args())
        .env_clear()
        .stdin(Stdio::null());
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => timed.env(k, v),
            None => timed.env_remove(k),
        };
    }
    detach_from_terminal(&mut timed);
    let start = std::time::Instant::now();
    let out = timed
        .output()
        .expect("run /usr/bin/time (Debian package `time`)");
    let took = start.elapsed();
    let text = std::fs::read_to_string(&report).unwrap();
    // A failing command adds a line before the number ("Command exited with…").
    let peak_rss_kib = text
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no RSS in {text:?}"));
    let signalled = text.contains("terminated by signal");
    Measured {
        run: Run {
            code: if signalled {
                -1
            } else {
                out.status.code().unwrap_or(-1)
            },
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        },
        took,
        peak_rss_kib,
    }
}

/// Evaluates `script` (after `eval` of `stdout`) in bash with strict flags, returning
/// the listed variables NUL-separated as name=value pairs (unset ones as absent).
pub fn eval_in_bash(stdout: &str, pre: &str, names: &[&str]) -> BTreeMap<String, String> {
    let mut script = String::from("set -eu\n");
    script.push_str(pre);
    script.push_str("\neval \"$AWSCRED_OUT\"\n");
    for n in names {
        script.push_str(&format!(
            "if [ \"${{{n}+set}}\" = set ]; then printf '%s=%s\\0' {n} \"${n}\"; fi\n"
        ));
    }
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-c", &script])
        .env_clear()
        .env("AWSCRED_OUT", stdout)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bash failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// Whether the terminal `tty` echoes input; awscred's prompt turns echo off,
/// so a test waits for this to be false before it types or signals.
pub fn echo_is_on(tty: &std::ffi::CStr) -> bool {
    // SAFETY: opens the pseudo-terminal without making it our controlling
    // terminal; tcgetattr fills a termios on success only.
    unsafe {
        let fd = libc::open(
            tty.as_ptr(),
            libc::O_RDONLY | libc::O_NOCTTY | libc::O_NONBLOCK,
        );
        assert!(fd >= 0, "cannot open {tty:?}");
        let mut modes: libc::termios = std::mem::zeroed();
        let ok = libc::tcgetattr(fd, &mut modes) == 0;
        libc::close(fd);
        assert!(ok, "tcgetattr {tty:?}");
        modes.c_lflag & libc::ECHO != 0
    }
}

/// Temp files awscred left in `dir` (by a run killed while writing).
pub fn temp_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".awscred-tmp"))
                .count()
        })
        .unwrap_or(0)
}

/// A pseudo-terminal a test types into and reads, as a user at a terminal
/// would: a private tmux server (its own socket, no config) running one
/// shell command in an 150x40 window, in a cleared environment.
pub struct Tmux {
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmux {
    /// Runs `command` under `sh -c` with `vars` (and PATH, TERM) set, then
    /// prints `rc=STATUS` and keeps the window open.
    pub fn start(command: &str, vars: &[(&str, &str)]) -> Tmux {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("tmux.sock");
        let wrapped = format!("{command}\necho rc=$?\nexec sleep 600");
        let mut c = Command::new("tmux");
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("TERM", "xterm")
            .envs(vars.iter().copied())
            .arg("-S")
            .arg(&socket)
            .args([
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "150",
                "-y",
                "40",
                "sh",
                "-c",
                &wrapped,
            ]);
        let status = c.status().expect("tmux is required");
        assert!(status.success(), "tmux new-session failed");
        Tmux { socket, _dir: dir }
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux is required");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// What the window shows, with its history, lines joined where wrapped.
    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-J", "-S", "-200"])
    }

    /// Waits up to 15 s for `text` on the screen, and returns the screen.
    #[track_caller]
    pub fn wait_for(&self, text: &str) -> String {
        let start = std::time::Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "{text:?} never shown; the screen: {screen}"
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// Types `keys` literally (no key names).
    pub fn type_text(&self, keys: &str) {
        self.tmux(&["send-keys", "-l", keys]);
    }

    /// Presses named keys (`Enter`, `Escape`, `Down`, `C-c`).
    pub fn press(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}
