//! A fake IAM Identity Center on 127.0.0.1, built from the services'
//! documented REST-JSON shapes: the OIDC service (RegisterClient
//! `POST /client/register`, StartDeviceAuthorization `POST
//! /device_authorization`, CreateToken `POST /token` for the device code,
//! authorization code + PKCE and refresh token grants, and the browser's
//! `GET /authorize`) and the portal (GetRoleCredentials `GET
//! /federation/credentials`, ListAccounts `GET /assignment/accounts`,
//! ListAccountRoles `GET /assignment/roles`, Logout `POST /logout`, the
//! token in `x-amz-sso_bearer_token`). One address serves both.
//!
//! It checks what the real service checks: the client and its secret, the
//! PKCE verifier against the challenge (S256), the redirect URI against the
//! one authorized, a refresh token used once, a bearer token it issued and
//! that has not expired or been logged out.

use sha2::Digest as _;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// What a device code poll answers, in turn (then a token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Poll {
    Pending,
    SlowDown,
    Expired,
    Denied,
}

/// A deliberately broken answer to the next CreateToken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hostile {
    /// An access token of this many bytes.
    HugeToken(usize),
    /// A control byte (JSON-escaped) inside the access token.
    ControlInToken,
    /// `expiresIn` of this many seconds.
    ExpiresIn(i64),
    /// A body over 1 MiB.
    HugeBody,
}

pub const ROLE_KEY_ID: &str = "ASIAIDCENTERROLE0001";
pub const ROLE_SECRET: &str = "idc/Role+Secret9xQ";
pub const ROLE_TOKEN: &str = "IdcRoleTok3nZq8==";

#[derive(Default)]
struct State {
    /// Every call: operation and its parameters (no secret values kept out: tests look).
    calls: Vec<(String, BTreeMap<String, String>)>,
    clients: HashMap<String, (String, Vec<String>)>,
    polls: VecDeque<Poll>,
    devices: HashMap<String, ()>,
    /// code → (client, challenge, redirect uri)
    codes: HashMap<String, (String, String, String)>,
    /// access token → expiry (unix seconds)
    tokens: HashMap<String, i64>,
    refresh_tokens: HashMap<String, String>,
    next: u64,
    token_secs: i64,
    hostile: VecDeque<Hostile>,
    /// (id, name, roles)
    accounts: Vec<(String, String, Vec<String>)>,
    page: usize,
    /// Where /authorize redirects instead (a hostile page): state replaced.
    wrong_state: bool,
    /// How long CreateToken takes (to widen races).
    token_delay: Duration,
}

pub struct FakeIdentityCenter {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl FakeIdentityCenter {
    pub fn start() -> FakeIdentityCenter {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            token_secs: 8 * 3600,
            page: 2,
            accounts: vec![(
                "111111111111".into(),
                "dev".into(),
                vec!["Admin".into(), "ReadOnly".into()],
            )],
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
        FakeIdentityCenter { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The device code polls' answers before the token.
    pub fn polls(&self, polls: &[Poll]) -> &Self {
        self.state.lock().unwrap().polls = polls.iter().copied().collect();
        self
    }

    pub fn hostile(&self, h: Hostile) -> &Self {
        self.state.lock().unwrap().hostile.push_back(h);
        self
    }

    pub fn token_secs(&self, secs: i64) -> &Self {
        self.state.lock().unwrap().token_secs = secs;
        self
    }

    pub fn token_delay(&self, d: Duration) -> &Self {
        self.state.lock().unwrap().token_delay = d;
        self
    }

    pub fn wrong_state(&self) -> &Self {
        self.state.lock().unwrap().wrong_state = true;
        self
    }

    /// Accounts (id, name, roles), listed `page` to a page.
    pub fn accounts(&self, accounts: &[(&str, &str, &[&str])], page: usize) -> &Self {
        let mut st = self.state.lock().unwrap();
        st.accounts = accounts
            .iter()
            .map(|(id, name, roles)| {
                (
                    id.to_string(),
                    name.to_string(),
                    roles.iter().map(|r| r.to_string()).collect(),
                )
            })
            .collect();
        st.page = page;
        self
    }

    /// A client, access token and refresh token as a login left them, for a
    /// token file a test writes (the access token expiring at `expires`).
    pub fn issue(&self, expires: i64) -> (String, String, String, String) {
        let mut st = self.state.lock().unwrap();
        st.next += 1;
        let n = st.next;
        let (id, secret) = (format!("cid-pre{n}"), format!("csec-pre{n}"));
        st.clients.insert(
            id.clone(),
            (
                secret.clone(),
                vec!["refresh_token".into(), "authorization_code".into()],
            ),
        );
        let access = format!("aoa-pre{n}-Tk9Qw2Lx");
        let refresh = format!("aor-pre{n}-Rf3Zm8Vb");
        st.tokens.insert(access.clone(), expires);
        st.refresh_tokens.insert(refresh.clone(), id.clone());
        (id, secret, access, refresh)
    }

    pub fn calls(&self, op: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .calls
            .iter()
            .filter(|(o, _)| o == op)
            .count()
    }

    /// The parameters of each call of `op`, in order.
    pub fn params(&self, op: &str) -> Vec<BTreeMap<String, String>> {
        self.state
            .lock()
            .unwrap()
            .calls
            .iter()
            .filter(|(o, _)| o == op)
            .map(|(_, p)| p.clone())
            .collect()
    }

    /// Every access and refresh token it issued, for the no-secret checks.
    pub fn secrets(&self) -> Vec<String> {
        let st = self.state.lock().unwrap();
        let mut v: Vec<String> = st.tokens.keys().cloned().collect();
        v.extend(st.refresh_tokens.keys().cloned());
        v.extend(st.clients.values().map(|(s, _)| s.clone()));
        v.extend([ROLE_SECRET.to_string(), ROLE_TOKEN.to_string()]);
        v
    }

    pub fn is_valid_token(&self, token: &str) -> bool {
        self.state
            .lock()
            .unwrap()
            .tokens
            .get(token)
            .is_some_and(|e| *e > super::now())
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0usize;
    let mut bearer = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let lower = l.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("x-amz-sso_bearer_token:") {
            bearer = Some(l["x-amz-sso_bearer_token:".len()..].trim().to_string());
        }
    }
    let mut body = vec![0; length.min(1 << 20)];
    reader.read_exact(&mut body)?;
    let mut words = request_line.split_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query: BTreeMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let reply = answer(state, method, path, &query, &json, bearer.as_deref());
    let mut stream = stream;
    let Reply {
        status,
        error,
        body,
        location,
    } = reply;
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(e) = error {
        head.push_str(&format!("x-amzn-ErrorType: {e}\r\n"));
    }
    if let Some(l) = location {
        head.push_str(&format!("Location: {l}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    Ok(())
}

struct Reply {
    status: u16,
    error: Option<&'static str>,
    body: String,
    location: Option<String>,
}

fn ok(body: serde_json::Value) -> Reply {
    Reply {
        status: 200,
        error: None,
        body: body.to_string(),
        location: None,
    }
}

/// An OIDC error as the service sends it (`error` in the body, the type in the header).
fn err(status: u16, kind: &'static str, error: &str) -> Reply {
    Reply {
        status,
        error: Some(kind),
        body: serde_json::json!({"error": error, "error_description": error}).to_string(),
        location: None,
    }
}

fn text(v: &serde_json::Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_string()
}

fn b64url(bytes: &[u8]) -> String {
    aws_smithy_types::base64::encode(bytes)
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_")
}

fn answer(
    state: &Mutex<State>,
    method: &str,
    path: &str,
    query: &BTreeMap<String, String>,
    json: &serde_json::Value,
    bearer: Option<&str>,
) -> Reply {
    let now = super::now();
    let op = match (method, path) {
        ("POST", "/client/register") => "RegisterClient",
        ("POST", "/device_authorization") => "StartDeviceAuthorization",
        ("POST", "/token") => "CreateToken",
        ("GET", "/authorize") => "Authorize",
        ("GET", "/federation/credentials") => "GetRoleCredentials",
        ("GET", "/assignment/accounts") => "ListAccounts",
        ("GET", "/assignment/roles") => "ListAccountRoles",
        ("POST", "/logout") => "Logout",
        _ => return err(404, "ResourceNotFoundException", "no such operation"),
    };
    let mut params: BTreeMap<String, String> = query.clone();
    if let serde_json::Value::Object(m) = json {
        for (k, v) in m {
            params.insert(
                k.clone(),
                match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            );
        }
    }
    if let Some(b) = bearer {
        params.insert("bearer".into(), b.into());
    }
    let delay = {
        let mut st = state.lock().unwrap();
        st.calls.push((op.to_string(), params.clone()));
        st.token_delay
    };
    if op == "CreateToken" && !delay.is_zero() {
        thread::sleep(delay);
    }
    let mut st = state.lock().unwrap();
    st.next += 1;
    let n = st.next;
    let client_ok = |st: &State, v: &serde_json::Value| {
        st.clients
            .get(&text(v, "clientId"))
            .is_some_and(|(s, _)| *s == text(v, "clientSecret"))
    };
    match op {
        "RegisterClient" => {
            if text(json, "clientType") != "public" {
                return err(400, "InvalidClientMetadataException", "clientType");
            }
            let grants: Vec<String> = json["grantTypes"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|g| g.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            let (id, secret) = (format!("cid-{n}"), format!("csec-{n}-Sx7Kp2Wq"));
            st.clients.insert(id.clone(), (secret.clone(), grants));
            ok(serde_json::json!({
                "clientId": id, "clientSecret": secret,
                "clientIdIssuedAt": now, "clientSecretExpiresAt": now + 90 * 86400,
            }))
        }
        "StartDeviceAuthorization" => {
            if !client_ok(&st, json) {
                return err(400, "InvalidClientException", "invalid_client");
            }
            let code = format!("dev-{n}-Dc5Yt");
            st.devices.insert(code.clone(), ());
            let base = format!("http://{}", "127.0.0.1");
            ok(serde_json::json!({
                "deviceCode": code, "userCode": "WXYZ-1234",
                "verificationUri": format!("{base}/device"),
                "verificationUriComplete": format!("{base}/device?user_code=WXYZ-1234"),
                "expiresIn": 600, "interval": 1,
            }))
        }
        "Authorize" => {
            let client = query.get("client_id").cloned().unwrap_or_default();
            let redirect = query.get("redirect_uri").cloned().unwrap_or_default();
            let registered = st
                .clients
                .get(&client)
                .is_some_and(|(_, g)| g.iter().any(|g| g == "authorization_code"));
            if !registered
                || !redirect.starts_with("http://127.0.0.1:")
                || query.get("code_challenge_method").map(String::as_str) != Some("S256")
                || query.get("response_type").map(String::as_str) != Some("code")
            {
                return err(400, "InvalidRequestException", "bad authorize request");
            }
            let code = format!("code-{n}-Ac8Rq");
            let challenge = query.get("code_challenge").cloned().unwrap_or_default();
            st.codes
                .insert(code.clone(), (client, challenge, redirect.clone()));
            let state_param = if st.wrong_state {
                "forged".to_string()
            } else {
                query.get("state").cloned().unwrap_or_default()
            };
            let location = format!(
                "{redirect}?code={}&state={}",
                code,
                url::form_urlencoded::byte_serialize(state_param.as_bytes()).collect::<String>()
            );
            Reply {
                status: 302,
                error: None,
                body: String::new(),
                location: Some(location),
            }
        }
        "CreateToken" => {
            if !client_ok(&st, json) {
                return err(400, "InvalidClientException", "invalid_client");
            }
            let client = text(json, "clientId");
            match text(json, "grantType").as_str() {
                "urn:ietf:params:oauth:grant-type:device_code" => {
                    if !st.devices.contains_key(&text(json, "deviceCode")) {
                        return err(400, "InvalidGrantException", "invalid_grant");
                    }
                    match st.polls.pop_front() {
                        Some(Poll::Pending) => {
                            return err(
                                400,
                                "AuthorizationPendingException",
                                "authorization_pending",
                            )
                        }
                        Some(Poll::SlowDown) => return err(400, "SlowDownException", "slow_down"),
                        Some(Poll::Expired) => {
                            return err(400, "ExpiredTokenException", "expired_token")
                        }
                        Some(Poll::Denied) => {
                            return err(400, "AccessDeniedException", "access_denied")
                        }
                        None => {}
                    }
                    st.devices.remove(&text(json, "deviceCode"));
                }
                "authorization_code" => {
                    let Some((c, challenge, redirect)) = st.codes.remove(&text(json, "code"))
                    else {
                        return err(400, "InvalidGrantException", "invalid_grant");
                    };
                    let verifier = text(json, "codeVerifier");
                    let computed = b64url(&sha2::Sha256::digest(verifier.as_bytes()));
                    if c != client || computed != challenge || text(json, "redirectUri") != redirect
                    {
                        return err(400, "InvalidGrantException", "invalid_grant");
                    }
                }
                "refresh_token" => {
                    let r = text(json, "refreshToken");
                    if st.refresh_tokens.get(&r) != Some(&client) {
                        return err(400, "InvalidGrantException", "invalid_grant");
                    }
                    // Used once: a refresh hands out a new refresh token.
                    st.refresh_tokens.remove(&r);
                }
                _ => {
                    return err(
                        400,
                        "UnsupportedGrantTypeException",
                        "unsupported_grant_type",
                    )
                }
            }
            let access = format!("aoa-{n}-Ak4Jd9Hs");
            let refresh = format!("aor-{n}-Rk2Lp7Nd");
            let secs = st.token_secs;
            st.tokens.insert(access.clone(), now + secs);
            st.refresh_tokens.insert(refresh.clone(), client);
            let mut body = serde_json::json!({
                "accessToken": access, "tokenType": "Bearer", "expiresIn": secs,
                "refreshToken": refresh,
            });
            match st.hostile.pop_front() {
                None => {}
                Some(Hostile::HugeToken(len)) => body["accessToken"] = "A".repeat(len).into(),
                Some(Hostile::ControlInToken) => body["accessToken"] = "aoa-\u{1b}[2J".into(),
                Some(Hostile::ExpiresIn(s)) => body["expiresIn"] = s.into(),
                Some(Hostile::HugeBody) => body["padding"] = "x".repeat(2 << 20).into(),
            }
            ok(body)
        }
        _ => {
            // The portal: a bearer token it issued, unexpired.
            let valid = bearer.is_some_and(|b| st.tokens.get(b).is_some_and(|e| *e > now));
            if !valid {
                return err(
                    401,
                    "UnauthorizedException",
                    "Session token not found or invalid",
                );
            }
            let page = st.page.max(1);
            let start: usize = query
                .get("next_token")
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            let paged = |len: usize| -> (usize, Option<String>) {
                let end = (start + page).min(len);
                (end, (end < len).then(|| end.to_string()))
            };
            match op {
                "GetRoleCredentials" => {
                    let account = query.get("account_id").cloned().unwrap_or_default();
                    let role = query.get("role_name").cloned().unwrap_or_default();
                    let known = st
                        .accounts
                        .iter()
                        .any(|(id, _, roles)| *id == account && roles.contains(&role));
                    if !known {
                        return err(403, "ForbiddenException", "No access");
                    }
                    ok(serde_json::json!({"roleCredentials": {
                        "accessKeyId": ROLE_KEY_ID, "secretAccessKey": ROLE_SECRET,
                        "sessionToken": ROLE_TOKEN, "expiration": (now + 3600) * 1000,
                    }}))
                }
                "ListAccounts" => {
                    let (end, next) = paged(st.accounts.len());
                    let list: Vec<serde_json::Value> = st.accounts[start.min(end)..end]
                        .iter()
                        .map(|(id, name, _)| {
                            serde_json::json!({"accountId": id, "accountName": name, "emailAddress": "a@example.com"})
                        })
                        .collect();
                    ok(serde_json::json!({"accountList": list, "nextToken": next}))
                }
                "ListAccountRoles" => {
                    let account = query.get("account_id").cloned().unwrap_or_default();
                    let roles = st
                        .accounts
                        .iter()
                        .find(|(id, _, _)| *id == account)
                        .map(|(_, _, r)| r.clone())
                        .unwrap_or_default();
                    let (end, next) = paged(roles.len());
                    let list: Vec<serde_json::Value> = roles[start.min(end)..end]
                        .iter()
                        .map(|r| serde_json::json!({"roleName": r, "accountId": account}))
                        .collect();
                    ok(serde_json::json!({"roleList": list, "nextToken": next}))
                }
                _ => {
                    if let Some(b) = bearer {
                        st.tokens.remove(b);
                    }
                    ok(serde_json::json!({}))
                }
            }
        }
    }
}
