//! `serve`, and the profile behind every credential server (`exec --server`
//! too): each time the server needs credentials it gets them as
//! [`cmd::lasting`] does, from the cache, STS, or one new MFA code.

use crate::cli::ServeArgs;
use crate::cmd;
use crate::credentials::SERVE_MIN_SECS;
use crate::env::Env;
use crate::profile::{File, Files};
use crate::server::{self, Provide, Served, Server};
use anyhow::Result;
use std::io::Write;
use std::sync::Mutex;

/// A profile as the server's source of credentials.
struct Profile {
    /// `AWS_MFA_TOKEN_CODE` is in it for the first call only: a code gets
    /// one session, and a later one must come from mfa_process or the terminal.
    env: Mutex<Env>,
    profile: Option<String>,
    /// What the last credentials were for (profile, configured region).
    about: Mutex<Option<(String, Option<String>)>>,
}

impl Provide for Profile {
    fn provide(&self) -> Result<Served> {
        let mut env = self.env.lock().unwrap_or_else(|e| e.into_inner());
        let handout = cmd::lasting(&env, self.profile.as_deref(), SERVE_MIN_SECS, None);
        *env = std::mem::take(&mut *env).without(crate::env::AWS_MFA_TOKEN_CODE);
        let h = handout?;
        *self.about.lock().unwrap_or_else(|e| e.into_inner()) = Some((h.profile, h.region));
        Ok(Served {
            credentials: h.credentials,
            account_id: h.account_id,
        })
    }
}

/// A running server for `profile`, and the profile and configured region of
/// its first credentials (for the command's environment).
pub struct Started {
    pub server: Server,
    pub profile: String,
    pub region: Option<String>,
}

/// Starts a server for `profile`; it has its first credentials when this returns.
pub fn start(env: &Env, profile: Option<&str>, options: server::Options) -> Result<Started> {
    let provider = std::sync::Arc::new(Profile {
        env: Mutex::new(env.clone()),
        profile: profile.map(str::to_string),
        about: Mutex::new(None),
    });
    let server = Server::start(options, std::sync::Arc::clone(&provider))?;
    let (profile, region) = provider
        .about
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_default();
    Ok(Started {
        server,
        profile,
        region,
    })
}

/// The variables that point a command at `started`'s server, and remove the
/// static ones a session sets (SDKs prefer those).
pub fn variables(started: &Started) -> Vec<(&'static str, Option<String>)> {
    let mut vars: Vec<_> = crate::env::SET.iter().map(|&name| (name, None)).collect();
    let set = |vars: &mut Vec<(&'static str, Option<String>)>, name, value| {
        if let Some(v) = vars.iter_mut().find(|(n, _)| *n == name) {
            v.1 = value;
        }
    };
    set(
        &mut vars,
        crate::env::AWSCRED_PROFILE,
        Some(started.profile.clone()),
    );
    // The user's own region settings stay; a configured one is set.
    vars.retain(|(n, _)| ![crate::env::AWS_REGION, crate::env::AWS_DEFAULT_REGION].contains(n));
    if let Some(region) = &started.region {
        vars.push((crate::env::AWS_REGION, Some(region.clone())));
        vars.push((crate::env::AWS_DEFAULT_REGION, Some(region.clone())));
    }
    vars.extend(started.server.variables());
    vars
}

/// What a command using the server must not see: SDKs read the shared files'
/// default profile before a credential server, so `exec --server` gives its
/// command an empty credentials file (the long-term keys in `[default]` would
/// win otherwise). Credentials the config file's default profile gets by
/// itself cannot be hidden without hiding its settings: a warning says so.
pub fn shadowing(env: &Env) -> Result<Vec<(&'static str, Option<String>)>> {
    let empty = if cfg!(windows) { "NUL" } else { "/dev/null" };
    let name = crate::env::AWS_SHARED_CREDENTIALS_FILE;
    let config = Files::new(
        File::load(Files::config_path(env))?,
        File::parse(Files::credentials_path(env), String::new())?,
    );
    let own = [
        "aws_access_key_id",
        "role_arn",
        "credential_process",
        "sso_session",
        "sso_start_url",
        "login_session",
        "web_identity_token_file",
    ];
    if let Some(key) = own.iter().find(|k| config.get("default", k).is_some()) {
        crate::error::warn(&format!(
            "the default profile in {} sets {key}: SDKs in the command use it before the credential server; move it to a named profile",
            Files::config_path(env).display()
        ));
    }
    Ok(vec![(name, Some(empty.to_string()))])
}

/// Serves until Ctrl-C: prints the variables, closes stdout (so a reader of
/// a pipe or a file gets all of it at once) and waits.
pub fn run(args: &ServeArgs, env: &Env) -> Result<String> {
    let format = crate::cli::FormatArg {
        format: args.format,
    }
    .get(env)?;
    let options = server::Options {
        port: args.port.unwrap_or(0),
        imds: args.imds,
        bind: args.bind.as_deref().map(bind_address).transpose()?,
    };
    let started = start(env, args.profile.profile.as_deref(), options)?;
    let text = format.renderer(env).unset(&sourced(variables(&started)))?;
    tighten_stdout()?;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| anyhow::anyhow!("cannot write the variables to stdout: {e}"))?;
    drop(out);
    close_stdout();
    let region = match &started.region {
        Some(r) => format!(" (the output sets no region; the profile's is {r})"),
        None => String::new(),
    };
    crate::error::report(&format!(
        "serving profile {} on {} until Ctrl-C{region}",
        started.profile, started.server.addr
    ));
    if let Some(bound) = started.server.bound {
        // For the user to copy: the token is a secret, so the snippet names
        // the variable that holds it in the shell that sourced the output.
        let ip = match bound.ip() {
            std::net::IpAddr::V6(v6) => format!("[{v6}]"),
            v4 => v4.to_string(),
        };
        crate::error::report(&format!(
            "for containers on {}: docker-compose `environment:` entries AWS_CONTAINER_CREDENTIALS_FULL_URI: \"http://{ip}:{}/credentials\" and AWS_CONTAINER_AUTHORIZATION_TOKEN: \"${{AWS_CONTAINER_AUTHORIZATION_TOKEN}}\" (from the sourced output)",
            bound.ip(),
            bound.port()
        ));
    }
    loop {
        std::thread::park();
    }
}

/// `--bind`'s address: an IP address, or the first IPv4 address of a network
/// interface (`docker0`), checked by [`server::check_bind`].
fn bind_address(given: &str) -> Result<std::net::IpAddr> {
    let ip = match given.parse::<std::net::IpAddr>() {
        Ok(ip) => ip,
        Err(_) => interface_address(given)?,
    };
    server::check_bind(ip)
}

#[cfg(unix)]
fn interface_address(name: &str) -> Result<std::net::IpAddr> {
    use crate::error::{fail, Kind};
    let unknown = || {
        fail(
            Kind::Input,
            format!("--bind {}: neither an IP address nor a network interface with an IPv4 address: see `ip -4 addr`", crate::error::one_line(name)),
        )
    };
    if name.is_empty() || name.len() > 15 || name.contains(['/', '\0']) {
        return Err(unknown());
    }
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list` with a linked list it owns, freed below
    // with freeifaddrs; every node and address is read only while it lives.
    unsafe {
        if libc::getifaddrs(&mut list) != 0 {
            return Err(unknown());
        }
        let mut found = None;
        let mut node = list;
        while !node.is_null() && found.is_none() {
            let ifa = &*node;
            let addr = ifa.ifa_addr;
            if !addr.is_null()
                && i32::from((*addr).sa_family) == libc::AF_INET
                && std::ffi::CStr::from_ptr(ifa.ifa_name).to_bytes() == name.as_bytes()
            {
                let sin = &*(addr as *const libc::sockaddr_in);
                found = Some(std::net::Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)));
            }
            node = ifa.ifa_next;
        }
        libc::freeifaddrs(list);
        found.map(std::net::IpAddr::V4).ok_or_else(unknown)
    }
}

#[cfg(not(unix))]
fn interface_address(name: &str) -> Result<std::net::IpAddr> {
    Err(crate::error::fail(
        crate::error::Kind::Input,
        format!(
            "--bind {}: give the IP address (interface names are read on Unix only)",
            crate::error::one_line(name)
        ),
    ))
}

/// `serve`'s variables are for another shell, whose region settings this
/// process cannot know: they are left alone (neither set nor recorded), and
/// so is the record of an earlier session there (`AWSCRED_SAVED`), so that
/// `unset` puts that shell back exactly.
fn sourced(mut vars: Vec<(&'static str, Option<String>)>) -> Vec<(&'static str, Option<String>)> {
    use crate::env::{AWSCRED_SAVED, AWS_DEFAULT_REGION, AWS_REGION};
    vars.retain(|(n, _)| ![AWS_REGION, AWS_DEFAULT_REGION, AWSCRED_SAVED].contains(n));
    vars
}

/// `awscred serve > ~/.aws/admin.env` creates the file under the umask
/// (0644 usually) and it gets the server's token: a regular file of this
/// user on stdout is made 0600 first, with a notice. (Someone who opened it
/// before still can read it: the README's example sets `umask 077`.)
#[cfg(unix)]
fn tighten_stdout() -> Result<()> {
    use rustix::fs::{fchmod, fstat, FileType, Mode};
    use std::os::fd::AsFd;
    let stdout = std::io::stdout();
    let fd = stdout.as_fd();
    let Ok(stat) = fstat(fd) else {
        return Ok(());
    };
    let mine = stat.st_uid == rustix::process::geteuid().as_raw();
    let open = stat.st_mode & 0o077 != 0;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile || !mine || !open {
        return Ok(());
    }
    fchmod(fd, Mode::from_raw_mode(0o600)).map_err(|e| {
        anyhow::anyhow!(
            "cannot make the file on stdout private ({e}): it would hold the server's token; run `chmod 600` on it, or `umask 077` before `awscred serve > FILE`"
        )
    })?;
    crate::error::report(&format!(
        "made the file on stdout 0600 (it was {:o}): it holds the server's token",
        stat.st_mode & 0o777
    ));
    Ok(())
}

#[cfg(not(unix))]
fn tighten_stdout() -> Result<()> {
    Ok(())
}

/// Points stdout at /dev/null, so `awscred serve > file &` and
/// `awscred serve | …` see the end of the output while the server runs.
#[cfg(unix)]
fn close_stdout() {
    use std::os::fd::AsRawFd;
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        // SAFETY: dup2 onto fd 1 with a descriptor that is open; stdout was
        // flushed and its lock released above.
        unsafe {
            libc::dup2(null.as_raw_fd(), 1);
        }
    }
}

#[cfg(not(unix))]
fn close_stdout() {}
