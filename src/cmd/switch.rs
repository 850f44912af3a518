//! `awscred switch [PROFILE]`: the credentials `credential-process` hands
//! out for a profile, as exports (the `init` wrappers eval them); without a
//! name, a fuzzy picker on the terminal, valid sessions first, then the
//! profiles used most recently (`recent.json` in the cache directory).

use crate::cli::SwitchArgs;
use crate::cmd;
use crate::credentials::Timestamp;
use crate::env::Env;
use crate::error::{fail, Kind};
use crate::profile::{self, Files, Options};
use crate::session;
use crate::shell::{self, Exports};
use anyhow::Result;
use std::collections::BTreeMap;

pub fn run(args: &SwitchArgs, env: &Env) -> Result<cmd::Output> {
    let name = match args.name.as_deref().or(args.profile.profile.as_deref()) {
        Some(name) => name.to_string(),
        None => pick(env)?,
    };
    let h = cmd::handout(env, Some(&name), cmd::NoSession::Obtain)?;
    remember(env, &h.profile);
    let exports = Exports::new(&h.credentials, &h.about(args.legacy.legacy_vars));
    let text = shell::set(args.format.get(env)?, env, exports)?;
    let explicit = args.format.format.is_some();
    let profile = h.profile.clone();
    cmd::deliver(env, "switch", explicit, &profile, &h.credentials, text)
}

/// One picker row.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    name: String,
    kind: &'static str,
    account: Option<String>,
    /// When its cached session (or stored session) expires, if it has one.
    expires: Option<Timestamp>,
    /// When `switch` last handed it out.
    used: Option<i64>,
}

fn rows(env: &Env) -> Result<Vec<Row>> {
    let files = Files::load(env)?;
    let cache = cmd::cache(env)?;
    let recent = recent(env);
    let mut rows = Vec::new();
    for name in files.profile_names() {
        let opts = Options {
            profile: Some(&name),
            ..Options::default()
        };
        let get = |k: &str| files.get(&name, k).is_some();
        let (kind, account, expires) = if files.uses_sdk_chain(&name) {
            let kind = if files.uses_sso(&name) {
                "SSO"
            } else if get("credential_process") {
                "process"
            } else {
                "SDK"
            };
            (
                kind,
                profile::sdk_account_id(&files, &name).ok().flatten(),
                None,
            )
        } else {
            match profile::resolve(&files, env, &opts) {
                Ok(res) => {
                    let kind = match (res.roles.is_empty(), res.mfa_serial.is_some()) {
                        (false, _) => "role",
                        (true, true) => "MFA user",
                        (true, false) => "keys",
                    };
                    let expires = cache.read(&session::key(&res)).map(|c| c.expiration);
                    (kind, res.account_id(), expires)
                }
                Err(_) => ("broken", None, None),
            }
        };
        rows.push(Row {
            used: recent.get(&name).copied(),
            name,
            kind,
            account,
            expires,
        });
    }
    Ok(rows)
}

/// Valid sessions first (longest left first), then the most recently
/// used, then by name.
fn order(rows: &mut [Row], now: Timestamp) {
    rows.sort_by(|a, b| {
        let valid = |r: &Row| r.expires.filter(|e| e.fresh_at(now));
        valid(b)
            .is_some()
            .cmp(&valid(a).is_some())
            .then(b.used.cmp(&a.used))
            .then(a.name.cmp(&b.name))
    });
}

fn label(row: &Row, width: usize, now: Timestamp) -> String {
    let left = match row.expires {
        Some(e) if e.fresh_at(now) => e.left_at(now),
        Some(_) => "expired".to_string(),
        None => "-".to_string(),
    };
    crate::error::one_line(&format!(
        "{:<width$}  {:<8}  {:<12}  {left}",
        row.name,
        row.kind,
        row.account.as_deref().unwrap_or("-"),
    ))
}

/// The picker on the terminal; without one, the profiles on stderr (exit 2).
fn pick(env: &Env) -> Result<String> {
    use std::io::IsTerminal;
    let now = cmd::now();
    let mut rows = rows(env)?;
    order(&mut rows, now);
    if rows.is_empty() {
        return Err(fail(
            Kind::Input,
            "there are no profiles to switch to: add one to ~/.aws/config",
        ));
    }
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    if !crate::prompt::has_terminal() || !std::io::stderr().is_terminal() {
        return Err(fail(
            Kind::Usage,
            format!(
                "name the profile: `awscred switch PROFILE` (profiles: {})",
                names.join(", ")
            ),
        ));
    }
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let labels: Vec<String> = rows.iter().map(|r| label(r, width, now)).collect();
    let chosen = dialoguer::FuzzySelect::with_theme(&dialoguer::theme::SimpleTheme)
        .with_prompt("awscred: switch to (type to filter, Enter picks, Esc cancels)")
        .items(&labels)
        .default(0)
        .interact_opt()
        .map_err(|e| fail(Kind::Input, format!("the profile picker failed: {e}")))?;
    match chosen {
        Some(i) => Ok(rows[i].name.clone()),
        None => Err(fail(
            Kind::Interrupted,
            "no profile picked: nothing was changed",
        )),
    }
}

const RECENT: &str = "recent.json";

/// When each profile was last handed out by `switch` (unix seconds).
fn recent(env: &Env) -> BTreeMap<String, i64> {
    let Ok(cache) = cmd::cache(env) else {
        return BTreeMap::new();
    };
    match cache.ensure_dir().and_then(|d| d.read(RECENT, 1 << 16)) {
        Ok(crate::fsafe::Found::File(bytes)) => serde_json::from_slice(&bytes).unwrap_or_default(),
        _ => BTreeMap::new(),
    }
}

/// Records `profile` as used now; a failure is a warning (it only orders the picker).
fn remember(env: &Env, profile: &str) {
    let mut recent = recent(env);
    recent.insert(profile.to_string(), cmd::now().0);
    // Only the 50 most recent: the file stays small.
    while recent.len() > 50 {
        if let Some(oldest) = recent
            .iter()
            .min_by_key(|(_, t)| **t)
            .map(|(k, _)| k.clone())
        {
            recent.remove(&oldest);
        }
    }
    let written = cmd::cache(env).and_then(|c| {
        let bytes = serde_json::to_vec(&recent)?;
        c.ensure_dir()?.write_atomic(RECENT, &bytes, 0o600)
    });
    if let Err(e) = written {
        crate::error::warn(&format!("{e:#}; the picker's order is not updated"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, expires: Option<i64>, used: Option<i64>) -> Row {
        Row {
            name: name.into(),
            kind: "role",
            account: None,
            expires: expires.map(Timestamp),
            used,
        }
    }

    #[test]
    fn valid_sessions_first_then_recent_then_name() {
        let now = Timestamp(10_000);
        let mut rows = vec![
            row("b", None, None),
            row("a", None, None),
            row("old", None, Some(1)),
            row("new", None, Some(5)),
            row("expired", Some(10_100), Some(9)),
            row("valid", Some(20_000), None),
        ];
        order(&mut rows, now);
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["valid", "expired", "new", "old", "a", "b"]);
    }

    #[test]
    fn labels_show_kind_account_and_time_left() {
        let now = Timestamp(0);
        let mut r = row("prod", Some(7200), None);
        r.account = Some("123456789012".into());
        assert_eq!(
            label(&r, 6, now),
            "prod    role      123456789012  2h 00m left"
        );
        assert_eq!(
            label(&row("x\u{1b}", None, None), 2, now),
            "x\\u{1b}  role      -             -"
        );
    }
}
