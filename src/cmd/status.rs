//! What the current shell holds: which awscred session, its key id (never a
//! secret), region and time left, or the credential server SDKs ask
//! (`exec --server`, `. serve.env`). The exit code says valid (0), expired
//! (8) or none (7).

use crate::cli::StatusArgs;
use crate::cmd::{self, Output};
use crate::credentials::{is_temporary_key_id, Issued, Timestamp};
use crate::env::Env;
use crate::error::{one_line, Kind};
use crate::profile::{self, Files, Options};
use crate::sts::{IdentityRequest, Sts};
use anyhow::Result;
use std::fmt::Write;

/// The AssumeRole options of this shell's awscred role profile, as its
/// settings give them now; `None` when there are none or it cannot be read.
fn role_options(env: &Env) -> Option<String> {
    let files = Files::load(env).ok()?;
    let opts = Options {
        profile: env.awscred_profile(),
        ..Options::default()
    };
    let res = profile::resolve(&files, env, &opts).ok()?;
    let described = res.roles.last()?.options.describe();
    (!described.is_empty()).then(|| described.join("; "))
}

/// One line per `[sso-session]`: its login's state (never a token).
fn sso_sessions(env: &Env, out: &mut String) {
    let Ok(files) = Files::load(env) else { return };
    for line in crate::sso::sessions(&files, env, Timestamp::now()) {
        let _ = writeln!(out, "sso-session  {}", one_line(&line));
    }
}

pub fn run(args: &StatusArgs, env: &Env) -> Result<Output> {
    let mut out = String::new();
    // The profile a bare awscred command would use here, and why. `status`
    // reports on the environment, so a bad name is shown, not an error.
    let picked = match profile::profile_name(&Options::default(), env) {
        Ok((picked, Some(origin))) => format!("{picked} (from {origin})"),
        Ok((picked, None)) => format!("{picked} (no --profile, AWS_PROFILE or awscred session)"),
        Err(e) => format!("none ({e})"),
    };
    let (Some(id), Some(secret)) = (env.aws_access_key_id(), env.aws_secret_access_key()) else {
        if let Some(uri) = env.aws_container_credentials_full_uri() {
            return Ok(server(env, uri, &picked, args.check));
        }
        out.push_str("no AWS credentials in the environment\n");
        let _ = writeln!(out, "commands use {}", one_line(&picked));
        sso_sessions(env, &mut out);
        return Ok(Output {
            stdout: out,
            exit: Some(Kind::NoSession),
        });
    };
    let token = env.aws_session_token();
    let session = token.is_some() || is_temporary_key_id(id);
    let profile = match (env.awscred_profile(), env.aws_profile()) {
        (Some(p), _) => format!("{p} (awscred session)"),
        (None, Some(p)) if session => format!("{p} (session not from awscred)"),
        (None, _) if session => "(session not from awscred)".to_string(),
        (None, _) => "(long-term keys, no session)".to_string(),
    };
    let region = env.aws_region().or_else(|| env.aws_default_region());
    // Values from the environment, shown escaped: one may hold escape sequences.
    let _ = writeln!(out, "profile      {}", one_line(&profile));
    if let Some(role) = env.awscred_role() {
        let _ = writeln!(out, "role         {}", one_line(role));
        if let Some(options) = role_options(env) {
            let _ = writeln!(out, "role options {}", one_line(&options));
        }
    }
    let _ = writeln!(out, "access key   {}", one_line(id));
    let _ = writeln!(
        out,
        "region       {}",
        one_line(region.unwrap_or("(not set)"))
    );

    let now = cmd::now();
    let exit = match env
        .aws_credential_expiration()
        .map(|e| (e, Timestamp::parse_rfc3339(e)))
    {
        Some((_, Some(exp))) if exp.fresh_at(now) => {
            let _ = writeln!(out, "expires      {exp} ({})", exp.left_at(now));
            None
        }
        // Exit 8 covers both: awscred renews a session with 10 minutes or less left.
        Some((_, Some(exp))) => {
            let state = if exp > now {
                format!(
                    "{}: counts as expired, awscred renews sessions with 10 minutes or less left",
                    exp.left_at(now)
                )
            } else {
                exp.left_at(now)
            };
            let _ = writeln!(out, "expires      {exp} ({state})");
            Some(Kind::Expired)
        }
        Some((raw, None)) => {
            let _ = writeln!(out, "expires      unreadable ({})", one_line(raw));
            None
        }
        None if session => {
            let _ = writeln!(out, "expires      unknown");
            None
        }
        None => {
            let _ = writeln!(out, "expires      never (long-term keys)");
            Some(Kind::NoSession)
        }
    };

    let _ = writeln!(out, "commands use {}", one_line(&picked));

    if args.check {
        // The endpoint of the session's profile, by the same precedence as every call.
        let files = Files::load(env)?;
        let opts = Options {
            profile: env.awscred_profile(),
            ..Options::default()
        };
        let (name, _) = profile::profile_name(&opts, env)?;
        let endpoint = profile::endpoint_url(&files, env, name)?;
        let credentials = Issued {
            access_key_id: id.to_string(),
            secret_access_key: secret.into(),
            session_token: token.map(Into::into),
            expiration: None,
        };
        let arn = cmd::sts(env)?.get_caller_identity(&IdentityRequest {
            credentials: &credentials,
            region: region.unwrap_or(crate::profile::DEFAULT_REGION),
            endpoint_url: endpoint.as_deref(),
        })?;
        let _ = writeln!(out, "identity     {arn}");
    }
    sso_sessions(env, &mut out);
    Ok(Output { stdout: out, exit })
}

/// A shell or command pointed at a credential server: what it is, never its
/// token. The server is not asked: after `serve` stopped, another program
/// may hold its port (`unset` clears the variables).
fn server(env: &Env, uri: &str, picked: &str, check: bool) -> Output {
    let mut out = String::new();
    let profile = match env.awscred_profile() {
        Some(p) => format!("{p} (awscred credential server)"),
        None => "(credential server not from awscred)".to_string(),
    };
    let region = env.aws_region().or_else(|| env.aws_default_region());
    let _ = writeln!(out, "profile      {}", one_line(&profile));
    let _ = writeln!(
        out,
        "server       {} (it renews the credentials; status does not ask it)",
        one_line(uri)
    );
    let _ = writeln!(
        out,
        "region       {}",
        one_line(region.unwrap_or("(not set)"))
    );
    let _ = writeln!(out, "commands use {}", one_line(picked));
    if check {
        out.push_str("identity     not checked: the credentials are the server's (run `aws sts get-caller-identity`)\n");
    }
    Output {
        stdout: out,
        exit: None,
    }
}
