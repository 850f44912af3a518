//! The credential server of `exec --server` and `serve`: a loopback HTTP
//! server that hands out a profile's credentials in the container-credentials
//! format every SDK reads (`AWS_CONTAINER_CREDENTIALS_FULL_URI`), and with
//! `--imds` the IMDSv2 protocol, so a long command gets new credentials
//! whenever its SDK asks, instead of static variables that expire under it.
//!
//! What it trusts: nothing but its own answers. Every container request must
//! carry the per-run token (256 random bits, compared in constant time) and
//! name the server's own address in `Host` (a DNS-rebinding page cannot).
//! On Linux every connection must also come from a socket of this user,
//! looked up once at accept (see `peer.rs`): another user's is answered 403
//! before a byte of it is read and never takes one of the owner's
//! [`MAX_CONNECTIONS`]. Requests are bounded in size and time, only the
//! credential paths answer, and nothing is logged but one line per failure
//! to get credentials.

mod http;
#[cfg(target_os = "linux")]
mod peer;

use crate::credentials::{Issued, Timestamp, EXPIRY_MARGIN_SECS, SERVE_MIN_SECS};
use crate::error::{fail, kind_of, one_line, Kind};
use crate::secret::Secret;
use anyhow::{Context, Result};
use http::{Bad, Request};
#[cfg(target_os = "linux")]
use peer::Lookup;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The path of the container-credentials endpoint.
pub const CREDENTIALS_PATH: &str = "/credentials";

/// IMDS: the role name the instance "has" (any name does; SDKs list, then fetch it).
const IMDS_ROLE: &str = "awscred";
const IMDS_TOKEN_PATH: &str = "/latest/api/token";
const IMDS_ROLES_PATH: &str = "/latest/meta-data/iam/security-credentials/";

/// The owner's connections served at once; more are answered 503 at once.
/// SDKs make one request at a time per client. Other users' connections are
/// refused at accept and never count.
const MAX_CONNECTIONS: usize = 64;

/// Credentials as the server hands them out.
#[derive(Clone)]
pub struct Served {
    pub credentials: Issued,
    pub account_id: Option<String>,
}

/// Where the server's credentials come from. Called with the server's lock
/// held, so one refresh (and one MFA prompt) serves every waiting request.
pub trait Provide: Send + Sync {
    fn provide(&self) -> Result<Served>;
}

impl<P: Provide + ?Sized> Provide for Arc<P> {
    fn provide(&self) -> Result<Served> {
        (**self).provide()
    }
}

pub struct Options {
    /// 0: any free port.
    pub port: u16,
    pub imds: bool,
    /// Also listen on this address (a container network's), for the
    /// container endpoint only: see [`check_bind`].
    pub bind: Option<IpAddr>,
}

/// Where `serve --bind` may listen: a private address (a docker bridge such
/// as 172.17.0.1, a VPN's), never the wildcard or a public one, where any
/// machine that reaches this one could try the token.
pub fn check_bind(addr: IpAddr) -> Result<IpAddr> {
    // Not loopback: the server is there already, with the caller's user
    // checked; a second, unchecked loopback listener would only weaken it.
    let ok = match addr {
        IpAddr::V4(a) => a.is_private(),
        // fc00::/7, unique local addresses.
        IpAddr::V6(a) => (a.segments()[0] & 0xfe00) == 0xfc00,
    };
    if ok {
        Ok(addr)
    } else {
        Err(fail(
            Kind::Input,
            format!("--bind {addr}: --bind takes a private network's address (10/8, 172.16/12, 192.168/16, fc00::/7), never loopback (the server is there already), the wildcard or a public one: name the container network's address, such as docker0's 172.17.0.1"),
        ))
    }
}

/// A running server: its address and token, for the environment of the
/// command that uses it. It serves until the process ends.
pub struct Server {
    pub addr: SocketAddr,
    /// The `--bind` listener's address, when there is one.
    pub bound: Option<SocketAddr>,
    token: Secret,
    imds: bool,
}

impl Server {
    /// Binds 127.0.0.1, gets the first credentials now (so a code prompt comes
    /// before the command takes the terminal, and a broken profile fails
    /// before it starts), and serves from a thread of its own.
    pub fn start(options: Options, provider: impl Provide + 'static) -> Result<Server> {
        if options.imds && !cfg!(target_os = "linux") {
            return Err(fail(
                Kind::Input,
                "--imds needs Linux, where the server can tell which user a connection is from: drop --imds (every SDK reads the container endpoint)",
            ));
        }
        let listener =
            TcpListener::bind((Ipv4Addr::LOCALHOST, options.port)).with_context(|| {
                format!(
                    "cannot listen on 127.0.0.1:{}: choose another --port",
                    options.port
                )
            })?;
        let addr = listener.local_addr()?;
        #[cfg(target_os = "linux")]
        let lookup = probe(&listener)?;
        // The container network's listener: its own port, chosen freely.
        let remote = match options.bind {
            Some(ip) => {
                let l = TcpListener::bind((check_bind(ip)?, 0)).with_context(|| {
                    format!("cannot listen on {ip}: is it this machine's address?")
                })?;
                Some((l.local_addr()?, l))
            }
            None => None,
        };
        let state = Arc::new(State {
            host: addr.to_string(),
            bound_host: remote.as_ref().map(|(a, _)| a.to_string()),
            token: random_token()?,
            imds_token: options.imds.then(random_token).transpose()?,
            addr,
            current: Mutex::new(Current::default()),
            provider: Box::new(provider),
            active: AtomicUsize::new(0),
            active_bound: AtomicUsize::new(0),
            #[cfg(target_os = "linux")]
            lookup,
        });
        state.current(false)?;
        let server = Server {
            addr,
            bound: remote.as_ref().map(|(a, _)| *a),
            token: state.token.clone(),
            imds: options.imds,
        };
        if let Some((_, l)) = remote {
            let state = Arc::clone(&state);
            std::thread::Builder::new()
                .name("awscred-server-bound".into())
                .spawn(move || accept(l, state, Side::Bound))
                .context("cannot start the credential server")?;
        }
        std::thread::Builder::new()
            .name("awscred-server".into())
            .spawn(move || accept(listener, state, Side::Loopback))
            .context("cannot start the credential server")?;
        Ok(server)
    }

    /// The variables a command needs to use the server (and no others: the
    /// caller removes the static credential variables).
    pub fn variables(&self) -> Vec<(&'static str, Option<String>)> {
        let mut vars = vec![
            (
                crate::env::AWS_CONTAINER_CREDENTIALS_FULL_URI,
                Some(format!("http://{}{CREDENTIALS_PATH}", self.addr)),
            ),
            (
                crate::env::AWS_CONTAINER_AUTHORIZATION_TOKEN,
                Some(self.token.expose().to_string()),
            ),
        ];
        vars.push((
            crate::env::AWS_EC2_METADATA_SERVICE_ENDPOINT,
            self.imds.then(|| format!("http://{}/", self.addr)),
        ));
        vars
    }
}

/// 256 bits from the OS, as hex: fit for a header and a variable.
fn random_token() -> Result<Secret> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("cannot get random bytes from the OS: {e}"))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(Secret::new(hex))
}

/// Whether `given` is `ours`, in time that depends on the lengths only
/// (which are public: every token is 64 hex digits): every byte pair is
/// compared, with `subtle`'s constant-time equality and no early exit, so
/// how long a refusal takes says nothing about how much of a guess was right.
fn same_secret(given: &str, ours: &Secret) -> bool {
    let (given, ours) = (given.as_bytes(), ours.expose().as_bytes());
    same_bytes(given.iter().zip(ours), given.len() == ours.len())
}

fn same_bytes<'a>(pairs: impl Iterator<Item = (&'a u8, &'a u8)>, same_len: bool) -> bool {
    use subtle::{Choice, ConstantTimeEq};
    let mut same = Choice::from(u8::from(same_len));
    for (a, b) in pairs {
        same &= a.ct_eq(b);
    }
    same.into()
}

/// How long a failure to get credentials is the answer, without trying
/// again: an SDK retrying at once must not make a prompt, an `mfa_process` or
/// an STS call per request.
const FAILURE_HOLD: Duration = Duration::from_secs(5);

#[derive(Default)]
struct Current {
    /// The credentials last handed out, and whether they lasted more than
    /// [`SERVE_MIN_SECS`] when they came.
    served: Option<(Served, bool)>,
    /// The last failure: when, what kind and what message.
    failed: Option<(Instant, Kind, String)>,
    /// The last message on stderr: a failure repeated is not reported again.
    reported: Option<String>,
}

struct State {
    /// `127.0.0.1:PORT`: the only `Host` accepted on the loopback listener.
    host: String,
    /// `ADDR:PORT` of the `--bind` listener: the only `Host` accepted there.
    bound_host: Option<String>,
    addr: SocketAddr,
    token: Secret,
    imds_token: Option<Secret>,
    current: Mutex<Current>,
    provider: Box<dyn Provide>,
    /// The owner's connections being served.
    active: AtomicUsize,
    /// The `--bind` listener's connections: a budget of their own, so what
    /// reaches the container network cannot crowd out the owner's loopback.
    active_bound: AtomicUsize,
    /// How a connection's user is found (decided once, at start).
    #[cfg(target_os = "linux")]
    lookup: Lookup,
}

impl State {
    /// Credentials with more than [`SERVE_MIN_SECS`] left, so no SDK gets
    /// them already inside its refresh window; credentials that never lasted
    /// that long (a short role duration) until the usual margin. A refresh
    /// holds the lock: requests that arrive meanwhile wait for its result.
    /// A failure is reported on stderr when `report`, once until it changes
    /// or credentials come; while it is held, or if it happens, credentials
    /// still valid are handed out again.
    fn current(&self, report: bool) -> Result<Served> {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let now = Timestamp::now();
        if let Some((served, long)) = current.served.as_ref() {
            let left = if *long {
                SERVE_MIN_SECS
            } else {
                EXPIRY_MARGIN_SECS
            };
            if served
                .credentials
                .expiration
                .is_some_and(|e| e.lasts_beyond(now, left))
            {
                return Ok(served.clone());
            }
        }
        let held = current
            .failed
            .as_ref()
            .filter(|(at, _, _)| at.elapsed() < FAILURE_HOLD)
            .map(|(_, kind, message)| fail(*kind, message.clone()));
        let error = match held {
            Some(e) => e,
            None => match self.provider.provide().and_then(|s| usable(s, now)) {
                Ok((served, long)) => {
                    current.served = Some((served.clone(), long));
                    current.failed = None;
                    current.reported = None;
                    return Ok(served);
                }
                Err(e) => {
                    let message = one_line(&format!("{e:#}"));
                    if report && current.reported.as_ref() != Some(&message) {
                        crate::error::report(&format!("credential server: {message}"));
                        current.reported = Some(message.clone());
                    }
                    current.failed = Some((Instant::now(), kind_of(&e), message));
                    e
                }
            },
        };
        // New credentials could not be had: the current ones while they are
        // still valid (an SDK asking early gets them again), then the error.
        match current.served.as_ref() {
            Some((served, _))
                if served
                    .credentials
                    .expiration
                    .is_some_and(|e| e.fresh_at(now)) =>
            {
                Ok(served.clone())
            }
            _ => Err(error),
        }
    }
}

/// `served` with whether it lasts more than [`SERVE_MIN_SECS`], or why it
/// cannot be served: no expiration (long-term keys), or 10 minutes or less
/// left (a stored session, SSO or `credential_process` handing out old ones).
fn usable(served: Served, now: Timestamp) -> Result<(Served, bool)> {
    let Some(expiration) = served.credentials.expiration else {
        return Err(fail(
            Kind::Input,
            "this profile gives credentials with no expiration (long-term keys?), and the credential server hands out sessions only: use `awscred exec` without --server",
        ));
    };
    if !expiration.fresh_at(now) {
        return Err(fail(
            Kind::Expired,
            format!("the credentials this profile gives expire at {expiration}, in 10 minutes or less: renew them where they come from (`awscred sso login`, `awscred mfa --write-profile`, the credential_process)"),
        ));
    }
    Ok((served, expiration.lasts_beyond(now, SERVE_MIN_SECS)))
}

/// Which listener a connection came to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    /// 127.0.0.1: this machine's own processes, checked to be the user's.
    Loopback,
    /// `--bind`: a container network, whose processes live in other network
    /// namespaces where the kernel cannot name their user. The token is the
    /// only proof there, and only the container endpoint answers.
    Bound,
}

fn accept(listener: TcpListener, state: Arc<State>, side: Side) {
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        // Another user: refused before anything is read or counted, on the
        // accepting thread (one kernel lookup; no thread, no slot).
        if side == Side::Loopback && !state.is_owners(&stream) {
            http::refuse(&mut stream, 403, OTHER_USER);
            continue;
        }
        let active = match side {
            Side::Loopback => &state.active,
            Side::Bound => &state.active_bound,
        };
        if active.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::AcqRel);
            http::respond(&mut stream, 503, "text/plain", "busy\n");
            continue;
        }
        let worker = Arc::clone(&state);
        let spawned = std::thread::Builder::new().spawn(move || {
            handle(&mut stream, &worker, side);
            match side {
                Side::Loopback => &worker.active,
                Side::Bound => &worker.active_bound,
            }
            .fetch_sub(1, Ordering::AcqRel);
        });
        if spawned.is_err() {
            active.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

fn handle(stream: &mut TcpStream, state: &State, side: Side) {
    let request = match http::read_request(stream) {
        Ok(r) => r,
        Err(Bad::Timeout) => return,
        Err(Bad::TooLarge) => {
            http::respond(stream, 413, "text/plain", "request too large\n");
            return http::linger(stream);
        }
        Err(_) => return http::respond(stream, 400, "text/plain", "bad request\n"),
    };
    let (status, content_type, body) = answer(&request, state, side);
    http::respond(stream, status, content_type, &body);
}

type Answer = (u16, &'static str, String);

fn text(status: u16, body: &str) -> Answer {
    (status, "text/plain", format!("{body}\n"))
}

/// The answer to one request. Checks first the address it names (DNS
/// rebinding), then the path, then the caller's proof.
fn answer(request: &Request, state: &State, side: Side) -> Answer {
    // A client leaves out the default port (80) from `Host`.
    let own = |h: &str| match side {
        Side::Loopback => h == state.host || (state.addr.port() == 80 && h == "127.0.0.1"),
        Side::Bound => state.bound_host.as_deref() == Some(h),
    };
    if !request.header("host").is_some_and(own) {
        return text(
            403,
            "wrong Host: this server answers only to its own address",
        );
    }
    let path = request.path.as_str();
    if path == CREDENTIALS_PATH {
        if request.method != "GET" {
            return text(405, "GET only");
        }
        let authorized = request
            .header("authorization")
            .is_some_and(|t| same_secret(t, &state.token));
        if !authorized {
            return text(401, "missing or wrong authorization token");
        }
        return credentials(state, container_json);
    }
    match &state.imds_token {
        // IMDS stays on loopback, where the caller's user is checked.
        Some(token) if side == Side::Loopback && path.starts_with("/latest/") => {
            imds(request, state, token)
        }
        _ => text(404, "not found"),
    }
}

/// IMDSv2: a token from `PUT /latest/api/token`, then the role's credentials
/// with it. IMDSv1 (no token) is refused, and so is a proxied token request
/// (`X-Forwarded-For`), as EC2 does. The caller is of this user (checked at
/// accept; `--imds` is Linux only).
fn imds(request: &Request, state: &State, token: &Secret) -> Answer {
    let path = request.path.as_str();
    if path == IMDS_TOKEN_PATH {
        if request.method != "PUT" {
            return text(405, "PUT only");
        }
        if request.has_header("x-forwarded-for") {
            return text(403, "forwarded token requests are refused");
        }
        let ttl = request
            .header("x-aws-ec2-metadata-token-ttl-seconds")
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|t| (1..=21_600).contains(t));
        return match ttl {
            Some(_) => (200, "text/plain", token.expose().to_string()),
            None => text(
                400,
                "X-aws-ec2-metadata-token-ttl-seconds must be 1 to 21600",
            ),
        };
    }
    if request.method != "GET" {
        return text(405, "GET only");
    }
    let authorized = request
        .header("x-aws-ec2-metadata-token")
        .is_some_and(|t| same_secret(t, token));
    if !authorized {
        return text(401, "missing or wrong metadata token (IMDSv2 only)");
    }
    match path.strip_prefix(IMDS_ROLES_PATH) {
        Some("") => (200, "text/plain", IMDS_ROLE.to_string()),
        Some(IMDS_ROLE) => credentials(state, imds_json),
        _ => text(404, "not found"),
    }
}

/// The current credentials in `shape`, or why there are none, in the
/// answer (which SDKs show; awscred's stderr has it once, see [`State::current`]).
fn credentials(state: &State, shape: fn(&Served) -> serde_json::Value) -> Answer {
    match state.current(true) {
        Ok(served) => (200, "application/json", shape(&served).to_string()),
        Err(e) => {
            let message = one_line(&format!("{e:#}"));
            let body = serde_json::json!({
                "Code": format!("{:?}", kind_of(&e)),
                "Message": format!("awscred: {message}"),
            });
            (503, "application/json", body.to_string())
        }
    }
}

/// The container-credentials shape (what ECS serves, and SDKs read from
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI`).
fn container_json(served: &Served) -> serde_json::Value {
    let c = &served.credentials;
    let mut json = serde_json::json!({
        "AccessKeyId": c.access_key_id,
        "SecretAccessKey": c.secret_access_key.expose(),
        "Token": c.session_token.as_ref().map(Secret::expose),
        "Expiration": c.expiration.map(|e| e.to_rfc3339()),
    });
    if let Some(account) = &served.account_id {
        json["AccountId"] = account.as_str().into();
    }
    json
}

/// The instance-metadata shape.
fn imds_json(served: &Served) -> serde_json::Value {
    let c = &served.credentials;
    serde_json::json!({
        "Code": "Success",
        "LastUpdated": Timestamp::now().to_rfc3339(),
        "Type": "AWS-HMAC",
        "AccessKeyId": c.access_key_id,
        "SecretAccessKey": c.secret_access_key.expose(),
        "Token": c.session_token.as_ref().map(Secret::expose),
        "Expiration": c.expiration.map(|e| e.to_rfc3339()),
    })
}

/// The answer to a connection of another user.
const OTHER_USER: &str = "only processes of the user running awscred may use this server\n";

impl State {
    /// Whether `stream` comes from a socket of this user. Linux asks the
    /// kernel; a connection that cannot be found (gone already) is refused.
    #[cfg(target_os = "linux")]
    fn is_owners(&self, stream: &TcpStream) -> bool {
        let (Ok(peer), Ok(local)) = (stream.peer_addr(), stream.local_addr()) else {
            return false;
        };
        self.lookup.uid_of(peer, local) == Some(rustix::process::geteuid().as_raw())
    }

    /// macOS and Windows give the owner of a unix socket's peer (getpeereid,
    /// SO_PEERCRED) but not of a TCP one: the token is the only check there
    /// (docs/SECURITY.md says so).
    #[cfg(not(target_os = "linux"))]
    fn is_owners(&self, _stream: &TcpStream) -> bool {
        true
    }
}

/// How this machine tells a connection's user: the server connects to
/// itself and finds its own socket. Fails when no way works (no sock_diag,
/// no `/proc/net/tcp`), rather than serving without the check.
#[cfg(target_os = "linux")]
fn probe(listener: &TcpListener) -> Result<Lookup> {
    let cannot = || {
        fail(
            Kind::Internal,
            "the credential server cannot tell which user a connection comes from (neither NETLINK_SOCK_DIAG nor /proc/net/tcp answers): run it where /proc is mounted, or use `awscred exec` without --server",
        )
    };
    let client = TcpStream::connect(listener.local_addr()?)
        .context("the credential server cannot connect to itself")?;
    let ours = client.local_addr()?;
    // Another process may have connected first: its connection is dropped.
    for _ in 0..MAX_CONNECTIONS {
        let (accepted, peer) = listener
            .accept()
            .context("the credential server cannot connect to itself")?;
        if peer == ours {
            let uid = rustix::process::geteuid().as_raw();
            return Lookup::probe(peer, accepted.local_addr()?, uid).ok_or_else(cannot);
        }
    }
    Err(cannot())
}

#[cfg(test)]
mod tests;
