//! `awscred sso populate`: one `[profile …]` per account and role the login
//! may use, written into the config file as text (every other byte kept).
//!
//! A generated profile carries `awscred_sso_populate = SESSION` (the SDKs and
//! the CLI ignore keys they do not know): only such profiles of this session
//! are ever rewritten or, with `--prune`, removed. A generated profile's own
//! lines (its header to its last property) are regenerated whole; comments
//! and blank lines after it stay. A profile of the same name without the
//! marker is the user's and is left alone, with a warning.

use super::{access_token, Login, Session};
use crate::cli::SsoPopulateArgs;
use crate::env::Env;
use crate::error::{fail, report, Kind};
use crate::ini;
use crate::profile::Files;
use anyhow::Result;

pub const MARKER: &str = "awscred_sso_populate";
const DEFAULT_TEMPLATE: &str = "{account_name}-{role_name}";

pub struct Wanted {
    pub name: String,
    pub account_id: String,
    pub role: String,
}

pub fn run(args: &SsoPopulateArgs, env: &Env) -> Result<String> {
    let files = Files::load(env)?;
    let name = match &args.sso_session {
        Some(n) => n.clone(),
        None => only_session(&files)?,
    };
    let session = Session::named(&files, env, &name)?;
    let region = match &args.region {
        Some(r) => crate::validate::region(r, "--region")?.to_string(),
        None => session.region.clone(),
    };
    let template = args.name.as_deref().unwrap_or(DEFAULT_TEMPLATE);
    check_template(template)?;
    let timeout = env.timeout()?;
    let token = access_token(env, &session, Login::IfPossible, timeout)?;
    let portal = super::oidc::Portal::new(&session, timeout);
    let mut wanted = Vec::new();
    for account in portal.accounts(&token)? {
        for role in portal.roles(&token, &account.id)? {
            let profile = profile_name(template, &account.name, &account.id, &role, &name);
            wanted.push(Wanted {
                name: profile,
                account_id: account.id.clone(),
                role,
            });
        }
    }
    wanted.sort_by(|a, b| a.name.cmp(&b.name));
    wanted.dedup_by(|a, b| {
        let same = a.name == b.name;
        if same {
            report(&format!("warning: two roles make the profile name `{}`: only the first is written; use --name with {{account_id}}", a.name));
        }
        same
    });
    let path = Files::config_path(env);
    let mut shown = String::new();
    let mut edit = |text: &str| -> Result<String> {
        let (new, diff) = apply(text, &name, &region, &wanted, args.prune)?;
        shown = diff;
        Ok(new)
    };
    if args.dry_run {
        let text = match crate::fsafe::read_path(&path, crate::profile::MAX_FILE)? {
            crate::fsafe::Found::File(b) => ini::utf8(b, &path)?,
            _ => String::new(),
        };
        edit(&text)?;
        return Ok(shown);
    }
    let cache = crate::cache::Cache::open(env)?;
    let changed = crate::credfile::edit_file(&path, cache.ensure_dir()?, edit)?;
    report(&format!(
        "{} profiles for sso-session `{name}` in {}{}",
        wanted.len(),
        crate::profile::tilde(&path, env),
        if changed {
            ""
        } else {
            " (already up to date: nothing changed)"
        }
    ));
    Ok(String::new())
}

fn only_session(files: &Files) -> Result<String> {
    let names: Vec<&str> = files
        .config
        .section_names()
        .filter_map(|n| n.strip_prefix("sso-session "))
        .map(str::trim)
        .collect();
    match names.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(fail(Kind::Input, "the config file has no [sso-session NAME] section: add one with sso_start_url and sso_region")),
        _ => Err(fail(Kind::Input, format!("the config file has several sso-sessions ({}): name one with --sso-session", names.join(", ")))),
    }
}

fn check_template(t: &str) -> Result<()> {
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').map(|c| open + c).ok_or_else(|| {
            fail(Kind::Input, "--name: a `{` without `}`: use {account_name}, {account_id}, {role_name}, {session}")
        })?;
        let field = &rest[open + 1..close];
        if !["account_name", "account_id", "role_name", "session"].contains(&field) {
            return Err(fail(Kind::Input, format!("--name: unknown field {{{field}}}: use {{account_name}}, {{account_id}}, {{role_name}}, {{session}}")));
        }
        rest = &rest[close + 1..];
    }
    Ok(())
}

/// The template filled in and made safe for a profile name (and a section
/// header): letters, digits and `-_.@+=` kept, anything else becomes `-`.
pub fn profile_name(
    template: &str,
    account_name: &str,
    account_id: &str,
    role: &str,
    session: &str,
) -> String {
    let filled = template
        .replace("{account_name}", account_name)
        .replace("{account_id}", account_id)
        .replace("{role_name}", role)
        .replace("{session}", session);
    let safe: String = filled
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.@+=".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = safe.trim_matches('-');
    if trimmed.is_empty() {
        account_id.to_string()
    } else {
        trimmed.to_string()
    }
}

fn block(w: &Wanted, session: &str, region: &str, nl: &str) -> String {
    format!(
        "[profile {}]{nl}sso_session = {session}{nl}sso_account_id = {}{nl}sso_role_name = {}{nl}region = {region}{nl}{MARKER} = {session}{nl}",
        w.name, w.account_id, w.role
    )
}

/// Pure: the new text and a diff of what changes (`-`/`+` lines).
pub fn apply(
    text: &str,
    session: &str,
    region: &str,
    wanted: &[Wanted],
    prune: bool,
) -> Result<(String, String)> {
    let doc = ini::Doc::parse(text).map_err(|e| {
        fail(
            Kind::Input,
            format!(
                "the config file, line {}: {}: fix it first",
                e.line, e.message
            ),
        )
    })?;
    let bom = if text.starts_with('\u{feff}') {
        "\u{feff}"
    } else {
        ""
    };
    let body = &text[bom.len()..];
    let nl = if body.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = body.split_inclusive('\n').collect();
    // Each generated section of this session: (profile, first line, end line), 0-based, end exclusive.
    let mut generated = Vec::new();
    let mut taken = std::collections::HashSet::new();
    for s in doc.sections() {
        let Some(profile) = s.name.strip_prefix("profile ").map(str::trim) else {
            continue;
        };
        taken.insert(profile.to_string());
        if s.get(MARKER).is_some_and(|p| p.value.trim() == session) {
            let last = s
                .properties
                .iter()
                .flat_map(|p| std::iter::once(p.line).chain(p.more.iter().copied()))
                .max()
                .unwrap_or(s.line);
            generated.push((profile.to_string(), s.line - 1, last));
        }
    }
    let mut out = String::from(bom);
    let mut diff = String::new();
    let mut at = 0;
    let want = |name: &str| wanted.iter().find(|w| w.name == name);
    for (profile, start, end) in &generated {
        out.extend(lines[at..*start].iter().copied());
        let old: String = lines[*start..*end].concat();
        match want(profile) {
            Some(w) => {
                let new = block(w, session, region, nl);
                if old != new {
                    push_diff(&mut diff, '-', &old);
                    push_diff(&mut diff, '+', &new);
                }
                out.push_str(&new);
            }
            None if prune => push_diff(&mut diff, '-', &old),
            None => out.push_str(&old),
        }
        at = *end;
    }
    out.extend(lines[at..].iter().copied());
    let mut added = String::new();
    for w in wanted {
        if generated.iter().any(|(p, _, _)| *p == w.name) {
            continue;
        }
        if taken.contains(&w.name) {
            report(&format!("warning: profile `{}` exists and was not made by `awscred sso populate`: left as it is (use --name for other names)", w.name));
            continue;
        }
        let b = block(w, session, region, nl);
        push_diff(&mut diff, '+', &b);
        added.push_str(nl);
        added.push_str(&b);
    }
    if !added.is_empty() {
        if !out[bom.len()..].is_empty() && !out.ends_with('\n') {
            out.push_str(nl);
        }
        if out[bom.len()..].is_empty() {
            // A new file starts with the block, not a blank line.
            added = added[nl.len()..].to_string();
        }
        out.push_str(&added);
    }
    Ok((out, diff))
}

fn push_diff(diff: &mut String, sign: char, text: &str) {
    for line in text.lines() {
        diff.push(sign);
        diff.push(' ');
        diff.push_str(line.trim_end_matches('\r'));
        diff.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(name: &str, id: &str, role: &str) -> Wanted {
        Wanted {
            name: name.into(),
            account_id: id.into(),
            role: role.into(),
        }
    }

    #[test]
    fn adds_updates_and_prunes_only_generated_profiles_keeping_every_other_byte() {
        let text = "\u{feff}# top\r\n[sso-session corp]\r\nsso_start_url = https://x.awsapps.com/start\r\nsso_region = eu-west-1\r\n\r\n[profile mine]\r\nregion = us-east-1 ; note\r\n";
        let wanted = [
            w("dev-Admin", "111111111111", "Admin"),
            w("mine", "222222222222", "Read"),
        ];
        let (once, diff) = apply(text, "corp", "eu-west-1", &wanted, false).unwrap();
        assert!(
            once.starts_with(text),
            "every byte before is kept: {once:?}"
        );
        assert!(once.ends_with("[profile dev-Admin]\r\nsso_session = corp\r\nsso_account_id = 111111111111\r\nsso_role_name = Admin\r\nregion = eu-west-1\r\nawscred_sso_populate = corp\r\n"), "{once:?}");
        assert!(
            !once.contains("222222222222"),
            "the user's own `mine` is left alone"
        );
        assert!(diff.contains("+ [profile dev-Admin]"));
        let (twice, diff2) = apply(&once, "corp", "eu-west-1", &wanted, false).unwrap();
        assert_eq!(twice, once, "a second run changes no byte");
        assert_eq!(diff2, "");
        // The role vanished: kept without --prune, removed with it.
        let (kept, _) = apply(&once, "corp", "eu-west-1", &[], false).unwrap();
        assert_eq!(kept, once);
        let (pruned, diff3) = apply(&once, "corp", "eu-west-1", &[], true).unwrap();
        assert_eq!(pruned, format!("{text}\r\n"));
        assert!(diff3.contains("- sso_account_id = 111111111111"));
        // Another session's generated profiles are never touched.
        let (other, _) = apply(&once, "other", "eu-west-1", &[], true).unwrap();
        assert_eq!(other, once);
    }

    #[test]
    fn names_are_made_safe() {
        assert_eq!(
            profile_name(
                DEFAULT_TEMPLATE,
                "My Prod (EU)",
                "123456789012",
                "Admin",
                "c"
            ),
            "My-Prod--EU--Admin"
        );
        assert_eq!(
            profile_name("{account_id}/{role_name}", "x", "123456789012", "R", "c"),
            "123456789012-R"
        );
        assert_eq!(
            profile_name("[]", "x", "123456789012", "R", "c"),
            "123456789012"
        );
        assert!(check_template("{account_name}-{oops}").is_err());
        assert!(check_template("{session}-{account_id}-{role_name}").is_ok());
    }
}
