//! A profile's long-term key lines in the credentials file: taken out (`keys
//! add` moves them to a key store), put back (`keys export`) or replaced
//! (`rotate`). Same rules as the
//! session writer: every byte outside those lines stays, the file is found,
//! locked and written the same way, and the result is parsed again first.

use super::{rewrite, split_lines, LOCK_WAIT};
use super::{Layout, ID, LEGACY_TOKEN, SECRET, TOKEN};
use crate::error::{fail, Kind};
use crate::fsafe::{Dir, Found};
use crate::ini;
use crate::keystore::StoredKey;
use crate::profile::MAX_FILE;
use anyhow::Result;
use std::path::Path;

/// What to do with the section's key lines.
pub enum Edit<'a> {
    /// Take both lines out.
    Remove,
    /// Put this key in their place.
    Replace(&'a StoredKey),
    /// Add the two lines to a section that has none (right after its header;
    /// a missing section is appended). `expect_id` is not looked at.
    Insert(&'a StoredKey),
}

/// Pure: `text` with `[profile]`'s key lines edited. `expect_id` is the key
/// id the section must hold now: anything else (a concurrent change, a
/// session) is refused and nothing is written.
pub fn edit_text(
    text: &str,
    label: &str,
    profile: &str,
    expect_id: &str,
    edit: &Edit,
) -> Result<String> {
    let (bom, body, sections) = super::sections_of(text, label)?;
    let found: Vec<usize> = (0..sections.len())
        .filter(|&i| sections[i].name == profile)
        .collect();
    let refuse = |why: String| fail(Kind::Input, format!("{label}: section [{profile}] {why}"));
    if let Edit::Insert(k) = edit {
        let out = insert(text, bom, body, &sections, &found, profile, k)
            .map_err(|why| refuse(why.to_string()))?;
        return checked(out, label, profile, edit);
    }
    let i = match found.as_slice() {
        [i] => *i,
        [] => return Err(refuse("is not there".into())),
        _ => {
            return Err(refuse(
                "appears more than once: merge the sections, then retry".into(),
            ))
        }
    };
    let section = &sections[i];
    if section.get(TOKEN).is_some() || section.get(LEGACY_TOKEN).is_some() {
        return Err(refuse(
            "holds a session (a session token), not long-term keys".into(),
        ));
    }
    match (section.get(ID), section.get(SECRET)) {
        (Some(id), Some(_)) if id.value == expect_id => {}
        (Some(id), Some(_)) => {
            return Err(refuse(format!(
                "holds access key {}, not {expect_id}: it changed meanwhile; check it, then retry",
                id.value
            )))
        }
        _ => {
            return Err(refuse(
                "does not hold both aws_access_key_id and aws_secret_access_key".into(),
            ))
        }
    }
    let lines = split_lines(body);
    let layout = Layout::of(section, lines.len());
    let start = section.line;
    let end = sections.get(i + 1).map_or(lines.len(), |s| s.line - 1);
    let new_value = |key: &str| -> Option<&str> {
        match edit {
            Edit::Remove => None,
            Edit::Replace(k) if key == ID => Some(k.access_key_id.as_str()),
            Edit::Replace(k) if key == SECRET => Some(k.secret_access_key.expose()),
            Edit::Replace(_) | Edit::Insert(_) => None,
        }
    };
    let ours: Vec<usize> = layout
        .props
        .iter()
        .filter(|(idx, key)| (start..end).contains(idx) && (key == ID || key == SECRET))
        .map(|(idx, _)| *idx)
        .collect();
    let mut out = String::with_capacity(text.len());
    out.push_str(bom);
    for (idx, line) in lines.iter().enumerate() {
        let owned_by_ours = layout.owner[idx].is_some_and(|o| ours.contains(&o));
        if ours.contains(&idx) {
            let key = layout
                .props
                .iter()
                .find(|(p, _)| *p == idx)
                .map(|(_, k)| k.as_str())
                .unwrap_or("");
            // Without a new value the line goes, with its ending.
            if let Some(v) = new_value(key) {
                out.push_str(&rewrite(line.content, v));
                out.push_str(line.ending);
            }
        } else if owned_by_ours {
            // Continuation lines of a key line: go with it.
        } else {
            out.push_str(line.content);
            out.push_str(line.ending);
        }
    }
    checked(out, label, profile, edit)
}

/// `text` with `k`'s two lines added to `[profile]` (the sections at
/// `found`): after its header, in the file's line ending; or a new section at
/// the end. A section that holds any key already is refused.
fn insert(
    text: &str,
    bom: &str,
    body: &str,
    sections: &[ini::Section],
    found: &[usize],
    profile: &str,
    k: &StoredKey,
) -> std::result::Result<String, &'static str> {
    let eol = match body.find('\n') {
        Some(i) if body[..i].ends_with('\r') => "\r\n",
        _ => "\n",
    };
    let two = format!(
        "{ID} = {}{eol}{SECRET} = {}{eol}",
        k.access_key_id,
        k.secret_access_key.expose()
    );
    let mut out = String::with_capacity(text.len() + two.len() + profile.len() + 4);
    out.push_str(bom);
    match found {
        [] => {
            out.push_str(body);
            if !body.is_empty() {
                if !body.ends_with('\n') {
                    out.push_str(eol);
                }
                if !body.ends_with("\n\n") && !body.ends_with("\r\n\r\n") {
                    out.push_str(eol);
                }
            }
            out.push_str(&format!("[{profile}]{eol}"));
            out.push_str(&two);
        }
        [i] => {
            let s = &sections[*i];
            if [ID, SECRET, TOKEN, LEGACY_TOKEN]
                .iter()
                .any(|key| s.get(key).is_some())
            {
                return Err(
                    "already holds keys: remove them first, or leave the stored key where it is",
                );
            }
            let lines = split_lines(body);
            // `s.line` is the 0-based index of the line after the header.
            for (idx, line) in lines.iter().enumerate() {
                out.push_str(line.content);
                if idx + 1 == s.line {
                    out.push_str(if line.ending.contains('\n') {
                        line.ending
                    } else {
                        eol
                    });
                    out.push_str(&two);
                } else {
                    out.push_str(line.ending);
                }
            }
        }
        _ => return Err("appears more than once: merge the sections, then retry"),
    }
    Ok(out)
}

/// Never write a file that would not read back as intended.
fn checked(out: String, label: &str, profile: &str, edit: &Edit) -> Result<String> {
    let check = ini::parse(out.strip_prefix('\u{feff}').unwrap_or(&out));
    let ok = check.is_ok_and(|secs| {
        let s = secs.iter().find(|s| s.name == profile);
        match edit {
            Edit::Remove => s.is_none_or(|s| s.get(ID).is_none() && s.get(SECRET).is_none()),
            Edit::Replace(k) | Edit::Insert(k) => s.is_some_and(|s| {
                s.get(ID).is_some_and(|p| p.value == k.access_key_id)
                    && s.get(SECRET)
                        .is_some_and(|p| p.value == k.secret_access_key.expose())
            }),
        }
    });
    if !ok {
        anyhow::bail!(
            "internal error: the edited {label} would not read back as intended; nothing was written"
        );
    }
    Ok(out)
}

/// Edits `[profile]`'s key lines in the credentials file at `path`, under the
/// credentials-file lock in `locks` (the one `--write-profile` takes).
pub fn edit(path: &Path, locks: &Dir, profile: &str, expect_id: &str, edit: &Edit) -> Result<()> {
    if let Edit::Replace(k) | Edit::Insert(k) = edit {
        k.check("the new key")?;
        let v = k.secret_access_key.expose();
        if v.trim() != v || v.contains([' ', '\t', '#', ';']) {
            return Err(fail(
                Kind::Input,
                "the new secret key has characters the credentials file cannot hold",
            ));
        }
    }
    let super::Locked {
        target,
        dir,
        file,
        _lock,
    } = super::open_locked(path, locks, LOCK_WAIT)?;
    let file = file.as_str();
    let shown = target.display().to_string();
    let refuse = |why: &str| {
        fail(
            Kind::Input,
            format!("refusing to change {shown}: {why}: point AWS_SHARED_CREDENTIALS_FILE at a regular file of your own"),
        )
    };
    let text = match dir.stat(file)? {
        // `keys export` may be the first key the file gets.
        None if matches!(edit, Edit::Insert(_)) => String::new(),
        None => return Err(refuse("it does not exist")),
        Some(e) if !e.regular => return Err(refuse("it is not a regular file")),
        Some(e) if !e.own => return Err(refuse("it belongs to another user")),
        Some(_) => match dir.read(file, MAX_FILE)? {
            Found::File(bytes) => ini::utf8(bytes, &target)?,
            Found::Missing => return Err(refuse("it does not exist")),
            Found::Refused(why) => return Err(refuse(why)),
        },
    };
    let new = edit_text(&text, &shown, profile, expect_id, edit)?;
    dir.write_atomic(file, new.as_bytes(), 0o600)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# mine\r\n[default]\r\nregion = x\r\n\r\n[work]\r\n; keep\r\naws_access_key_id = AKIAOLD0000000000001 ; note\r\nmfa_serial = arn:aws:iam::1:mfa/me\r\naws_secret_access_key=oldSECRET\r\n  more\r\n\r\n[plain]\r\naws_access_key_id = AKIAPLAIN00000000001\r\naws_secret_access_key = p\r\n";

    #[test]
    fn remove_takes_out_exactly_the_key_lines() {
        let out = edit_text(FILE, "f", "work", "AKIAOLD0000000000001", &Edit::Remove).unwrap();
        assert_eq!(
            out,
            "# mine\r\n[default]\r\nregion = x\r\n\r\n[work]\r\n; keep\r\nmfa_serial = arn:aws:iam::1:mfa/me\r\n\r\n[plain]\r\naws_access_key_id = AKIAPLAIN00000000001\r\naws_secret_access_key = p\r\n"
        );
    }

    #[test]
    fn replace_keeps_spacing_and_comments() {
        let new = StoredKey {
            access_key_id: "AKIANEW0000000000001".into(),
            secret_access_key: "newSECRET/x+y".into(),
        };
        let out = edit_text(
            FILE,
            "f",
            "work",
            "AKIAOLD0000000000001",
            &Edit::Replace(&new),
        )
        .unwrap();
        assert_eq!(
            out,
            FILE.replace("AKIAOLD0000000000001", "AKIANEW0000000000001")
                .replace("oldSECRET\r\n  more", "newSECRET/x+y")
        );
    }

    #[test]
    fn insert_puts_the_lines_after_the_header_or_appends_a_section() {
        let k = StoredKey {
            access_key_id: "AKIANEW0000000000001".into(),
            secret_access_key: "s/x".into(),
        };
        let removed = edit_text(FILE, "f", "work", "AKIAOLD0000000000001", &Edit::Remove).unwrap();
        let back = edit_text(&removed, "f", "work", "", &Edit::Insert(&k)).unwrap();
        assert_eq!(
            back,
            removed.replace(
                "[work]\r\n",
                "[work]\r\naws_access_key_id = AKIANEW0000000000001\r\naws_secret_access_key = s/x\r\n"
            )
        );
        let added = edit_text("[a]\nx = 1", "f", "new", "", &Edit::Insert(&k)).unwrap();
        assert_eq!(
            added,
            "[a]\nx = 1\n\n[new]\naws_access_key_id = AKIANEW0000000000001\naws_secret_access_key = s/x\n"
        );
        let e = edit_text(FILE, "f", "plain", "", &Edit::Insert(&k)).unwrap_err();
        assert!(e.to_string().contains("already holds keys"), "{e}");
        assert!(!format!("{e:#}").contains('p') || !format!("{e:#}").contains("= p"));
    }

    #[test]
    fn a_changed_or_session_section_is_refused() {
        let e = edit_text(FILE, "f", "work", "AKIAOTHER00000000001", &Edit::Remove).unwrap_err();
        assert!(e.to_string().contains("not AKIAOTHER00000000001"), "{e}");
        let session = "[s]\naws_access_key_id = AKIAOLD0000000000001\naws_secret_access_key = x\naws_session_token = t\n";
        let e = edit_text(session, "f", "s", "AKIAOLD0000000000001", &Edit::Remove).unwrap_err();
        assert!(e.to_string().contains("session"), "{e}");
        let e = edit_text(FILE, "f", "nope", "AKIAOLD0000000000001", &Edit::Remove).unwrap_err();
        assert!(e.to_string().contains("is not there"), "{e}");
        assert!(!format!("{e:#}").contains("oldSECRET"));
    }
}
