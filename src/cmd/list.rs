//! Every profile in both files with its MFA device, region and cached session.

use crate::cmd;
use crate::credentials::Timestamp;
use crate::profile::{self, Env, Files, Options};
use crate::session;
use anyhow::Result;

pub fn run(env: &Env) -> Result<String> {
    let files = Files::load(env)?;
    let cache = cmd::cache(env)?;
    let now = cmd::now();
    let active = env.awscred_profile();
    // Each role profile's AssumeRole options (tags, source identity, policies).
    let mut options = Vec::new();
    let mut rows = vec![[
        "".to_string(),
        "PROFILE".into(),
        "MFA SERIAL".into(),
        "REGION".into(),
        "SESSION".into(),
    ]];
    for name in files.profile_names() {
        let get = |k: &str| files.get(&name, k).map(|s| s.value.to_string());
        // Each profile as `export --profile NAME` would see it, so roles show their own state.
        let opts = Options {
            profile: Some(&name),
            ..Options::default()
        };
        let failed = |e: anyhow::Error| format!("({})", short(&e.to_string()));
        let (serial, state) = if files.uses_sdk_chain(&name) {
            match files.uses_sso(&name) {
                true => (None, sso_state(&files, env, &name, now)),
                false => (None, "(resolved by the AWS SDK)".to_string()),
            }
        } else {
            match profile::stored(&files, env, &opts) {
                Ok(Some(stored)) => (get("mfa_serial"), stored_state(&stored, now)),
                Err(e) => (get("mfa_serial"), failed(e)),
                Ok(None) => match profile::resolve(&files, env, &opts) {
                    Ok(res) => {
                        if let Some(o) = res.roles.last().map(|r| r.options.describe()) {
                            if !o.is_empty() {
                                options.push(format!("{name}: {}", o.join("; ")));
                            }
                        }
                        let expiration = cache.read(&session::key(&res)).map(|c| c.expiration);
                        (res.mfa_serial, session_state(expiration, now))
                    }
                    Err(e) => (get("mfa_serial"), failed(e)),
                },
            }
        };
        let mark = if active == Some(name.as_str()) {
            "*"
        } else {
            ""
        };
        let region = get("region").unwrap_or_else(|| "-".into());
        rows.push([
            mark.into(),
            name,
            serial.unwrap_or_else(|| "-".into()),
            region,
            state,
        ]);
    }
    let mut out = table(&rows);
    // File and line, never a value: a setting may be a secret key.
    for (title, lines) in [
        ("IAM Identity Center sessions:", crate::sso::sessions(&files, env, now)),
        ("Role options (sent with AssumeRole):", options),
        ("Inline comments: awscred drops them, like the Rust and JavaScript SDKs; the AWS CLI and boto3 keep them in the value:", files.inline_comments()),
        ("Read differently by the AWS CLI and the SDKs:", files.differences()),
    ] {
        if lines.is_empty() {
            continue;
        }
        out.push('\n');
        out.push_str(title);
        out.push('\n');
        for line in lines {
            out.push_str("  ");
            out.push_str(&crate::error::one_line(&line));
            out.push('\n');
        }
    }
    Ok(out)
}

/// An SSO profile (or a role on one): its login's state, never a token.
fn sso_state(files: &Files, env: &Env, name: &str, now: Timestamp) -> String {
    let mut end = name;
    for hop in files.sources(name) {
        match hop {
            Ok(h) => end = h.profile,
            Err(e) => return format!("({})", short(&e.to_string())),
        }
    }
    match crate::sso::Session::for_profile(files, env, end) {
        Ok(s) => format!("(SSO: {})", crate::sso::state(env, &s, now)),
        Err(e) => format!("({})", short(&e.to_string())),
    }
}

/// The first clause of an error, for a table cell: "profile `x` has no long-term keys".
fn short(message: &str) -> &str {
    message.split(": ").next().unwrap_or(message)
}

/// A session kept in the profile's own keys (see [`profile::StoredSession`]).
fn stored_state(stored: &profile::StoredSession, now: Timestamp) -> String {
    match stored.expiration {
        profile::Recorded::At(t) => format!("stored session, {}", session_state(Some(t), now)),
        profile::Recorded::Nothing => "stored session, no expiration recorded".into(),
        profile::Recorded::Unreadable(_) => "stored session, expiration unreadable".into(),
    }
}

fn session_state(expiration: Option<Timestamp>, now: Timestamp) -> String {
    match expiration {
        Some(exp) if exp.fresh_at(now) => {
            format!("valid until {exp} ({})", cmd::time_left(exp, now))
        }
        Some(exp) => format!("expired ({exp})"),
        None => "none".to_string(),
    }
}

/// Aligned columns. Cells come from the AWS files, so they are shown escaped.
fn table(rows: &[[String; 5]]) -> String {
    let rows: Vec<[String; 5]> = rows
        .iter()
        .map(|row| row.clone().map(|cell| crate::error::one_line(&cell)))
        .collect();
    let mut widths = [0; 5];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(line.join(" ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_alignment() {
        assert_eq!(session_state(None, Timestamp(0)), "none");
        assert_eq!(
            session_state(Some(Timestamp(100)), Timestamp(0)),
            "expired (1970-01-01T00:01:40Z)"
        );
        assert_eq!(
            session_state(Some(Timestamp(7200)), Timestamp(0)),
            "valid until 1970-01-01T02:00:00Z (2h 00m left)"
        );
        let rows = [
            [
                "*".into(),
                "a".into(),
                "x".into(),
                "-".into(),
                "none".into(),
            ],
            ["".into(), "long".into(), "-".into(), "r".into(), "s".into()],
        ];
        assert_eq!(table(&rows), "* a    x - none\n  long - r s\n");
    }
}
