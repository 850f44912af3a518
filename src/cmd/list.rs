//! Every profile in both files with its kind, source, key store, MFA device, region and cached session.

use crate::cmd;
use crate::credentials::Timestamp;
use crate::env::Env;
use crate::keystore;
use crate::profile::{self, Files, Options};
use crate::session;
use anyhow::Result;
use std::collections::HashMap;

pub fn run(env: &Env) -> Result<String> {
    let files = Files::load(env)?;
    let cache = cmd::cache(env)?;
    let now = cmd::now();
    let active = env.awscred_profile();
    // Each role profile's AssumeRole options (tags, source identity, policies).
    let mut options = Vec::new();
    // Which key store holds each profile's key (`keys add`); read once.
    let stored_keys = keystore::list(env).map(|l| l.into_iter().collect::<HashMap<_, _>>());
    let mut rows = vec![[
        "".to_string(),
        "PROFILE".into(),
        "KIND".into(),
        "SOURCE".into(),
        "KEY STORE".into(),
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
        let about = describe(&files, &name, &stored_keys);
        rows.push([
            mark.into(),
            name,
            about.kind.into(),
            about.source,
            about.key_store.into(),
            serial.unwrap_or_else(|| "-".into()),
            region,
            state,
        ]);
    }
    if rows.len() == 1 {
        // An empty table says nothing about where awscred looked.
        crate::error::report(&format!(
            "no profiles in {} or {}: add one there (`aws configure`), or point AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE at your files",
            profile::tilde(&Files::config_path(env), env),
            profile::tilde(&Files::credentials_path(env), env)
        ));
        return Ok(String::new());
    }
    let mut out = table(&rows);
    // File and line, never a value: a setting may be a secret key.
    for (title, lines) in [
        ("IAM Identity Center sessions:", crate::sso::sessions(&files, env, now)),
        ("Role options (sent with AssumeRole):", options),
        ("Inline comments: awscred drops them, like the Rust and JavaScript SDKs; the AWS CLI and boto3 keep them in the value:", files.inline_comments()),
        ("Read differently by the AWS CLI and the SDKs:", files.differences()),
        ("Keys no AWS tool reads (misspelt?):", files.misspelled()),
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

/// What a profile is, where its credentials come from, and where the
/// long-term key that signs for it is kept, for `list`'s columns.
struct About {
    kind: &'static str,
    /// The profiles a role is assumed from (`dev → default`), or what
    /// `credential_source` names; `-` for the rest.
    source: String,
    key_store: &'static str,
}

fn describe(files: &Files, name: &str, stored: &Result<HashMap<String, keystore::Entry>>) -> About {
    let has = |p: &str, k: &str| files.get(p, k).is_some();
    let kind = if has(name, "aws_session_token") || has(name, "aws_security_token") {
        "stored session"
    } else if has(name, "web_identity_token_file") {
        "web identity"
    } else if has(name, "role_arn") {
        "role"
    } else if has(name, "sso_session") || has(name, "sso_start_url") {
        "SSO"
    } else if has(name, "login_session") {
        "aws login"
    } else if has(name, "credential_process") {
        "process"
    } else if has(name, "mfa_serial") {
        "MFA user"
    } else {
        "IAM user"
    };
    // The walk of a role's sources; its last profile holds the key.
    let mut chain = Vec::new();
    let mut end = Some(name.to_string());
    let mut source = None;
    if kind == "role" {
        for hop in files.sources(name) {
            match hop {
                Ok(hop) => chain.push(hop.profile.to_string()),
                Err(_) => {
                    source = Some("(source_profile loop)".to_string());
                    end = None;
                    break;
                }
            }
        }
        let last = chain.last().cloned().unwrap_or_else(|| name.to_string());
        match files.get(&last, "credential_source").map(|s| s.value) {
            Some(c) => {
                let what = match c {
                    "Ec2InstanceMetadata" => "instance role",
                    "EcsContainer" => "container role",
                    "Environment" => "environment",
                    _ => "(unknown credential_source)",
                };
                chain.push(what.to_string());
                end = None;
            }
            None if end.is_some() => end = Some(last),
            None => {}
        }
    }
    let source = source.unwrap_or_else(|| match chain.len() {
        0 | 1 => "-".to_string(),
        _ => chain[1..].join(" → "),
    });
    let key_store = match (&end, chain.last().map(String::as_str)) {
        (None, Some("environment")) => "environment",
        (None, _) => "-",
        (Some(p), _) if files.in_credentials(p, "aws_access_key_id").is_some() => {
            "credentials file"
        }
        (Some(p), _) if has(p, "aws_access_key_id") => "config file",
        (Some(p), _) => match stored {
            Ok(index) => match index.get(p.as_str()).map(|e| e.store) {
                Some(keystore::Store::Os) => "OS store",
                Some(keystore::Store::File) => "encrypted file",
                None => "-",
            },
            Err(_) => "(key index unreadable)",
        },
    };
    // Settings but no key anywhere (a region-only section): no kind to name.
    let kind = match (kind, key_store) {
        ("IAM user", "-") => "-",
        (k, _) => k,
    };
    About {
        kind,
        source,
        key_store,
    }
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
            format!("valid until {exp} ({})", exp.left_at(now))
        }
        Some(exp) => format!("expired ({exp})"),
        None => "none".to_string(),
    }
}

/// Aligned columns. Cells come from the AWS files, so they are shown escaped.
fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let rows: Vec<[String; N]> = rows
        .iter()
        .map(|row| row.clone().map(|cell| crate::error::one_line(&cell)))
        .collect();
    let mut widths = [0; N];
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
