//! Writing a session into a section of the shared credentials file (`--write-profile`).
//!
//! Tools that read only `~/.aws/credentials` (not the environment) then use the
//! session. The file is the user's: unlike peers that re-serialise it (and so
//! drop comments and reorder keys), this edits it as text. Every byte outside
//! the target section stays as it was; inside it, only the lines of the keys we
//! own change, in place, and missing ones are added after the section's last
//! property. Sections and keys are found by the same rules as [`crate::ini`]
//! reads them with, and the result is parsed again before it is written.

use crate::credentials::{Credentials, TimeFormat, Timestamp, EXPIRATION_KEYS};
use crate::error::{fail, report, Kind};
use crate::fsafe::{Dir, Found};
use crate::ini;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long [`write_profile`] waits for another run writing the file.
pub const LOCK_WAIT: Duration = Duration::from_secs(30);

const ID: &str = "aws_access_key_id";
const SECRET: &str = "aws_secret_access_key";
const TOKEN: &str = "aws_session_token";
/// botocore's legacy name for the token, which it reads *before* `aws_session_token`:
/// updated when present so it cannot shadow the new token, never added.
const LEGACY_TOKEN: &str = "aws_security_token";

/// Pure: the new file text with `[name]` holding the session. Errors (Kind::Input) when the
/// text does not parse (say line), or when the section holds long-term keys (has
/// aws_access_key_id but no session token): those are never overwritten.
pub fn update(text: &str, name: &str, creds: &Credentials) -> Result<String> {
    update_file(text, "the credentials file", name, creds)
}

use crate::profile::MAX_FILE;

pub mod keys;

/// Writes the session into `[name]` of the credentials file at `path`.
///
/// The user's own symlink chain is followed (dotfile setups rely on it), and
/// what it ends at must be a regular file of the user's, or missing (then it is
/// created 0600 in a 0700 directory); a device, FIFO, directory or another
/// user's file is refused and left untouched. The write is atomic (see
/// [`fsafe::Dir::write_atomic`]) and the new file is 0600: a looser mode is
/// tightened with a notice. The lock is `credentials-file-<hash>.lock` in
/// `locks` (the cache directory), named after the file's canonical path, so
/// two spellings of one file share one lock.
pub fn write_profile(path: &Path, locks: &Dir, name: &str, creds: &Credentials) -> Result<()> {
    write_profile_waiting(path, locks, name, creds, LOCK_WAIT)
}

/// The credentials file, opened for a change: what `path`'s symlink chain
/// ends at, its directory (made if missing), and the credentials-file lock
/// held, named after the canonical path so two spellings of one file share
/// one lock (in `locks`, the cache directory).
struct Locked {
    target: PathBuf,
    dir: Dir,
    file: String,
    _lock: crate::fsafe::Lock,
}

fn open_locked(path: &Path, locks: &Dir, wait: Duration) -> Result<Locked> {
    let target = resolve_symlinks(path)?;
    let (dir_path, file) = split(&target)?;
    ensure_dir(&dir_path)?;
    let canonical = std::fs::canonicalize(&dir_path)
        .with_context(|| format!("cannot resolve {}", dir_path.display()))?
        .join(file);
    let lock_name = format!("credentials-file-{:016x}.lock", hash(&canonical));
    let lock = locks.lock(&lock_name, wait, "the credentials file")?;
    let dir = Dir::open(&dir_path)?;
    Ok(Locked {
        dir,
        file: file.to_string(),
        _lock: lock,
        target,
    })
}

fn write_profile_waiting(
    path: &Path,
    locks: &Dir,
    name: &str,
    creds: &Credentials,
    wait: Duration,
) -> Result<()> {
    // Cheap checks before touching the disk.
    check_name(name)?;
    check_values(creds)?;
    let Locked {
        target,
        dir,
        file,
        _lock,
    } = open_locked(path, locks, wait)?;
    let file = file.as_str();
    let shown = target.display().to_string();
    let refuse = |why: &str| {
        fail(
            Kind::Input,
            format!("refusing to write the session into {shown}: {why}: point AWS_SHARED_CREDENTIALS_FILE at a regular file of your own"),
        )
    };
    let (text, old_mode) = match dir.stat(file)? {
        None => (String::new(), None),
        Some(e) if !e.regular => return Err(refuse("it is not a regular file")),
        Some(e) if !e.own => return Err(refuse("it belongs to another user")),
        Some(e) => match dir.read(file, MAX_FILE)? {
            Found::File(bytes) => (ini::utf8(bytes, &target)?, Some(e.mode)),
            Found::Missing => (String::new(), None),
            Found::Refused(why) => return Err(refuse(why)),
        },
    };
    let new = update_file(&text, &shown, name, creds)?;
    dir.write_atomic(file, new.as_bytes(), 0o600)?;
    if old_mode.is_some_and(|m| m & 0o077 != 0) {
        report(&format!(
            "tightened permissions of {shown} to 600 (it holds secrets)"
        ));
    }
    Ok(())
}

/// Edits one of the AWS files as text (`sso populate` on the config file),
/// by the same rules as [`write_profile`]: the user's symlinks followed to a
/// regular file of theirs, the lock held, an atomic write. `edit` gets the
/// text and answers the new one; nothing is written when it is the same.
/// The file keeps its mode (a new one is 0600). True when it changed.
pub fn edit_file(
    path: &Path,
    locks: &Dir,
    edit: impl FnOnce(&str) -> Result<String>,
) -> Result<bool> {
    let Locked {
        target,
        dir,
        file,
        _lock,
    } = open_locked(path, locks, LOCK_WAIT)?;
    let file = file.as_str();
    let shown = target.display().to_string();
    let refuse = |why: &str| {
        fail(
            Kind::Input,
            format!("refusing to edit {shown}: {why}: point AWS_CONFIG_FILE at a regular file of your own"),
        )
    };
    let (text, mode) = match dir.stat(file)? {
        None => (String::new(), 0o600),
        Some(e) if !e.regular => return Err(refuse("it is not a regular file")),
        Some(e) if !e.own => return Err(refuse("it belongs to another user")),
        Some(e) => match dir.read(file, MAX_FILE)? {
            Found::File(bytes) => (ini::utf8(bytes, &target)?, e.mode & 0o777),
            Found::Missing => (String::new(), 0o600),
            Found::Refused(why) => return Err(refuse(why)),
        },
    };
    let new = edit(&text)?;
    if new == text {
        return Ok(false);
    }
    dir.write_atomic(file, new.as_bytes(), mode)?;
    Ok(true)
}

/// FNV-1a of a path, for lock names.
fn hash(path: &Path) -> u64 {
    let mut h = crate::cache::Fnv64::default();
    h.write(path.as_os_str().as_encoded_bytes());
    h.0
}

/// The directory and the file name of `path`.
fn split(path: &Path) -> Result<(PathBuf, &str)> {
    let file = path.file_name().and_then(|f| f.to_str()).ok_or_else(|| {
        fail(
            Kind::Input,
            format!(
                "{} does not name a file: set AWS_SHARED_CREDENTIALS_FILE to a file path",
                path.display()
            ),
        )
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, file))
}

/// Follows symlinks at the last path component (relative targets are relative to the
/// link's directory), so the rename replaces the target and the link stays. A dangling
/// link resolves to its missing target, which is then created.
fn resolve_symlinks(path: &Path) -> Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&p)
                    .with_context(|| format!("cannot read symlink {}", p.display()))?;
                p = match p.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(fail(
        Kind::Input,
        format!(
            "{}: too many levels of symbolic links: point it at a real file",
            path.display()
        ),
    ))
}

/// Creates `dir` (0700, with missing parents) if it is missing.
fn ensure_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("cannot create directory {}", dir.display()))
}

/// The file's text as the editors see it: a leading byte-order mark (kept
/// as it is), the rest, and its sections; a line that does not parse is an
/// error naming `label` and the line.
fn sections_of<'t>(
    text: &'t str,
    label: &str,
) -> Result<(&'static str, &'t str, Vec<ini::Section<'t>>)> {
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    };
    let sections = ini::parse(body).map_err(|e| {
        fail(
            Kind::Input,
            format!(
                "{label} line {}: {}: fix that line, then retry",
                e.line, e.message
            ),
        )
    })?;
    Ok((bom, body, sections))
}

/// [`update`], naming the file as `label` in messages.
fn update_file(text: &str, label: &str, name: &str, creds: &Credentials) -> Result<String> {
    check_name(name)?;
    check_values(creds)?;
    let (bom, body, sections) = sections_of(text, label)?;
    let target = sections.iter().position(|s| s.name == name);
    let expirations = expirations(target.map(|i| &sections[i]), creds);
    let mut values: Vec<(&str, &str)> = vec![
        (ID, &creds.access_key_id),
        (SECRET, creds.secret_access_key.expose()),
        (TOKEN, creds.session_token.expose()),
    ];
    values.extend(expirations.iter().map(|(k, v)| (*k, v.as_str())));
    let eol = match body.find('\n') {
        Some(i) if body[..i].ends_with('\r') => "\r\n",
        _ => "\n",
    };
    let lines = split_lines(body);

    let mut out = String::with_capacity(text.len() + 2048);
    out.push_str(bom);
    match target {
        None => {
            out.push_str(body);
            if !body.is_empty() {
                if !body.ends_with('\n') {
                    out.push_str(eol);
                }
                // One blank line before the new section, unless there is one already.
                if lines.last().is_some_and(|l| !l.content.trim().is_empty()) {
                    out.push_str(eol);
                }
            }
            out.push('[');
            out.push_str(name);
            out.push(']');
            out.push_str(eol);
            for (key, value) in &values {
                push_property(&mut out, key, value, eol);
            }
        }
        Some(i) => {
            let section = &sections[i];
            let has = |k: &str| section.get(k).is_some();
            // No flag turns a user's long-term keys into a session.
            if has(ID) && !has(TOKEN) && !has(LEGACY_TOKEN) {
                return Err(fail(
                    Kind::Input,
                    format!(
                        "section [{name}] in {label} holds long-term keys, which awscred never overwrites: write the session to another section, e.g. --write-profile {name}-mfa"
                    ),
                ));
            }
            let start = section.line; // 0-based index of the first line after the header
            let end = sections.get(i + 1).map_or(lines.len(), |s| s.line - 1);
            let layout = Layout::of(section, lines.len());

            let new_value = |key: &str| -> Option<&str> {
                if key == LEGACY_TOKEN {
                    return Some(creds.session_token.expose());
                }
                values.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
            };
            let replaced: Vec<usize> = layout
                .props
                .iter()
                .filter(|(_, key)| new_value(key).is_some())
                .map(|(idx, _)| *idx)
                .collect();
            let dropped = |idx: usize| layout.owner[idx].is_some_and(|o| replaced.contains(&o));
            // After the last kept property line (or the header), not after the blank lines
            // and comments that lead into the next section.
            let insert_after = (start..end)
                .rev()
                .find(|&idx| {
                    layout.props.iter().any(|(p, _)| *p == idx)
                        || (layout.owner[idx].is_some() && !dropped(idx))
                })
                .unwrap_or(start - 1);
            let missing: Vec<(&str, &str)> = values
                .iter()
                .filter(|(k, _)| !section.properties.iter().any(|p| p.key == *k))
                .copied()
                .collect();

            for (idx, line) in lines.iter().enumerate() {
                if (start..end).contains(&idx) && dropped(idx) {
                    continue;
                }
                match layout.props.iter().find(|(p, _)| *p == idx) {
                    Some((_, key)) if (start..end).contains(&idx) => match new_value(key) {
                        Some(v) => out.push_str(&rewrite(line.content, v)),
                        None => out.push_str(line.content),
                    },
                    _ => out.push_str(line.content),
                }
                if idx == insert_after && !missing.is_empty() {
                    out.push_str(if line.ending.contains('\n') {
                        line.ending
                    } else {
                        eol
                    });
                    for (key, value) in &missing {
                        push_property(&mut out, key, value, eol);
                    }
                } else {
                    out.push_str(line.ending);
                }
            }
        }
    }

    // Belt and braces: never write a file that would not read back as the session.
    let check = ini::parse(out.strip_prefix('\u{feff}').unwrap_or(&out));
    let ok = check.is_ok_and(|secs| {
        secs.iter().find(|s| s.name == name).is_some_and(|s| {
            values
                .iter()
                .all(|(k, v)| s.get(k).is_some_and(|p| p.value == *v))
        })
    });
    if !ok {
        anyhow::bail!(
            "internal error: the updated {label} would not read back as the session; nothing was written"
        );
    }
    Ok(out)
}

/// The expiration under each key the section already records it with, in the
/// format it uses there (aws-mfa crashes on any other), else `expiration` in
/// RFC 3339. Keeping every such key current means none can contradict another.
fn expirations(section: Option<&ini::Section>, creds: &Credentials) -> Vec<(&'static str, String)> {
    let format = |recorded: &str| {
        Timestamp::parse_recorded(recorded).map_or(TimeFormat::Rfc3339, |(_, f)| f)
    };
    let mut found: Vec<(&'static str, String)> = EXPIRATION_KEYS
        .iter()
        .filter_map(|&k| Some((k, section?.get(k)?)))
        .map(|(k, p)| (k, creds.expiration.format(format(&p.value))))
        .collect();
    if found.is_empty() {
        found.push((EXPIRATION_KEYS[0], creds.expiration.to_rfc3339()));
    }
    found
}

fn push_property(out: &mut String, key: &str, value: &str, eol: &str) {
    out.push_str(key);
    out.push_str(" = ");
    out.push_str(value);
    out.push_str(eol);
}

/// A section name we can write as `[name]` and find again by the reader's rules.
fn check_name(name: &str) -> Result<()> {
    let bad = name.is_empty()
        || name.trim() != name
        || name.contains(['[', ']', '\n', '\r'])
        || name.starts_with('\u{feff}');
    if bad {
        return Err(fail(
            Kind::Input,
            format!(
                "--write-profile name {name:?} cannot be a credentials file section: use a non-empty name without brackets, line breaks or edge spaces"
            ),
        ));
    }
    Ok(())
}

/// Values that read back unchanged: one line, no edge white space, nothing the reader
/// would take for an inline comment. Messages name the field, never the value.
fn check_values(creds: &Credentials) -> Result<()> {
    for (what, v) in [
        ("access key id", creds.access_key_id.as_str()),
        ("secret access key", creds.secret_access_key.expose()),
        ("session token", creds.session_token.expose()),
    ] {
        let inline_comment = v
            .as_bytes()
            .windows(2)
            .any(|w| matches!(w[0], b' ' | b'\t') && matches!(w[1], b'#' | b';'));
        if v.is_empty() || v.trim() != v || v.contains(['\r', '\n']) || inline_comment {
            return Err(fail(
                Kind::Input,
                format!(
                    "the session's {what} is empty or has a line break, edge white space or ` #`, so the credentials file cannot hold it: use the shell exports instead"
                ),
            ));
        }
    }
    Ok(())
}

/// One line of the file: `content` as the reader sees it, `ending` the bytes after it
/// (`\r\n`, `\n`, or for a last line without newline `\r` or nothing).
struct Line<'a> {
    content: &'a str,
    ending: &'a str,
}

/// Lines numbered as [`ini::parse`] numbers them (index + 1).
fn split_lines(body: &str) -> Vec<Line<'_>> {
    body.split_inclusive('\n')
        .map(|raw| {
            let cut = if raw.ends_with("\r\n") {
                2
            } else if raw.ends_with(['\n', '\r']) {
                1
            } else {
                0
            };
            let (content, ending) = raw.split_at(raw.len() - cut);
            Line { content, ending }
        })
        .collect()
}

/// What the lines of a section body are, as [`ini`] read them.
struct Layout {
    /// Top-level property lines: index and lower-cased key.
    props: Vec<(usize, String)>,
    /// For each line of the file: the top-level property line a continuation or
    /// sub-property line belongs to.
    owner: Vec<Option<usize>>,
}

impl Layout {
    /// From the reader's own account of `section` (line indexes are 0-based).
    fn of(section: &ini::Section, n_lines: usize) -> Layout {
        let mut layout = Layout {
            props: Vec::new(),
            owner: vec![None; n_lines],
        };
        for p in &section.properties {
            if p.nested {
                // A sub-property belongs to the top-level property before it.
                if let Some(&(parent, _)) = layout.props.last() {
                    layout.owner[p.line - 1] = Some(parent);
                }
                continue;
            }
            let idx = p.line - 1;
            for &more in &p.more {
                layout.owner[more - 1] = Some(idx);
            }
            layout.props.push((idx, p.key.to_string()));
        }
        layout
    }
}

/// A property line with its value replaced: the key's spelling, the delimiter and the
/// spacing around it, and any trailing inline comment stay.
fn rewrite(content: &str, value: &str) -> String {
    let at = content.find(['=', ':']).unwrap_or(content.len());
    let rest = content.get(at + 1..).unwrap_or("");
    let start = content.len() - rest.trim_start().len();
    let kept = ini::before_inline_comment(rest);
    let old = kept.trim();
    let mut line = content[..start].to_string();
    // `key =` with nothing after it: write `key = value`, not `key =value`.
    if old.is_empty()
        && !line.ends_with(char::is_whitespace)
        && content[..at].ends_with(char::is_whitespace)
    {
        line.push(' ');
    }
    line.push_str(value);
    // `key = # note`: the comment needs white space before it to stay one.
    if old.is_empty() && kept.len() < rest.len() {
        line.push(' ');
    }
    line.push_str(&content[start + old.len()..]);
    line
}

#[cfg(test)]
mod tests;
