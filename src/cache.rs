//! The session cache: one JSON file per session key in the user's own private
//! directory, written atomically, guarded by an OS file lock so concurrent runs
//! make one STS call between them. All file access goes through [`fsafe::Dir`].
//!
//! Layout: `<dir>/<profile>-<hash>.json` and its lock `<dir>/<profile>-<hash>.lock`.
//! The profile part is sanitised (it can never leave the directory) and the hash
//! covers the whole key; the entry stores the full key too, and an entry whose
//! key differs is not used. An entry that is not a regular file of the user's,
//! is over [`MAX_ENTRY`], does not parse or fails the checks an STS answer
//! passes, is a miss.

use crate::credentials::{Credentials, Timestamp};
use crate::env::Env;
use crate::error::{fail, kind_of, warn, Kind};
use crate::fsafe::{Dir, Found, IfMissing, TEMP_SUFFIX};
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::cell::OnceCell;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Everything that changes the credentials a session key stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Key {
    pub profile: String,
    pub base_access_key_id: String,
    pub mfa_serial: Option<String>,
    /// Which STS answers: a configured endpoint URL, or `aws:<partition>` for
    /// AWS's own regional endpoints (see [`crate::sts::answering`]).
    pub sts: String,
    /// For role credentials: the whole chain, innermost first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<RoleKey>,
    /// What the base credentials come from when awscred does not make them
    /// itself (`credential_process` and a hash of its command line, web
    /// identity and its token file); absent for awscred's own sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// One role of a chain, with every AssumeRole parameter awscred sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleKey {
    pub arn: String,
    pub session_name: String,
    pub external_id: Option<String>,
    pub duration_seconds: Option<u32>,
    /// Absent when empty: a key without options is what it was before they existed.
    #[serde(default, skip_serializing_if = "crate::sts::RoleOptions::is_empty")]
    pub options: crate::sts::RoleOptions,
}

impl Key {
    /// File stem: a readable profile part plus a hash of the whole key.
    fn stem(&self) -> String {
        let mut h = Fnv64::default();
        // serde_json writes the fields in declaration order: stable for a given key.
        h.write(&serde_json::to_vec(self).unwrap_or_default());
        format!("{}-{:016x}", readable(&self.profile), h.0)
    }
}

/// The profile as it appears in file names: at most 48 of `[A-Za-z0-9_-]`.
fn readable(profile: &str) -> String {
    profile
        .chars()
        .take(48)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// FNV-1a 64: tiny and stable across Rust versions (std's hasher is not).
pub struct Fnv64(pub u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv64 {
    pub fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    version: u32,
    key: Key,
    #[serde(rename = "Credentials")]
    credentials: Credentials,
    /// When this run got the credentials, by the local clock: with the
    /// expiration, how long they last (see `session::due_for_renewal`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    obtained: Option<Timestamp>,
}

/// A cached session and when it was obtained (unknown for older entries).
pub struct Cached {
    pub credentials: Credentials,
    pub obtained: Option<Timestamp>,
}

/// Version 2: the key covers the endpoint and the whole role chain. Entries of
/// version 1 are misses (and `clear --all` removes them).
const ENTRY_VERSION: u32 = 2;

/// An entry is a few hundred bytes; anything larger is not ours.
pub const MAX_ENTRY: u64 = 64 * 1024;

/// How long a run waits for another run holding the same session's lock
/// (which may be waiting for a person to type a code).
pub const LOCK_WAIT: Duration = Duration::from_secs(120);

pub use crate::fsafe::Lock;

pub struct Cache {
    path: PathBuf,
    /// Opened and checked once; created on first write.
    dir: OnceCell<Dir>,
    /// The variable that chose `path`, if one did: the fix a refusal names.
    chosen_by: Option<&'static str>,
}

/// fsafe's refusal of the cache directory speaks of `AWSCRED_CACHE_DIR`;
/// when that variable did not choose the directory, "unset it" is no fix.
fn name_the_variable(e: anyhow::Error, chosen_by: Option<&'static str>) -> anyhow::Error {
    const TAIL: &str = ", or unset it";
    let Some(f) = e.downcast_ref::<crate::error::Fail>() else {
        return e;
    };
    if !f.message.ends_with(TAIL) || chosen_by == Some(crate::env::AWSCRED_CACHE_DIR) {
        return e;
    }
    let head = &f.message[..f.message.len() - TAIL.len()];
    let message = match chosen_by {
        Some(var) => format!("{head}, or change {var}, which chose this directory"),
        None => head.to_string(),
    };
    fail(f.kind, message)
}

/// A cache file as `list` and `clear` see it.
pub struct Listed {
    pub name: String,
    /// The session, when the entry is readable, valid and of this version.
    pub entry: Option<(Key, Credentials)>,
}

impl Cache {
    /// The cache at its configured place (see [`location`]). An existing
    /// directory is checked now, so an unsafe one is refused (exit 3) before
    /// any prompt or network call.
    pub fn open(env: &Env) -> Result<Cache> {
        let chosen_by = if env.awscred_cache_dir().is_some() {
            Some(crate::env::AWSCRED_CACHE_DIR)
        } else if env
            .xdg_cache_home()
            .is_some_and(|x| std::path::Path::new(x).is_absolute())
        {
            Some(crate::env::XDG_CACHE_HOME)
        } else {
            None
        };
        let cache = Cache {
            path: location(env)?,
            dir: OnceCell::new(),
            chosen_by,
        };
        match Dir::private(&cache.path, IfMissing::Skip)
            .map_err(|e| name_the_variable(e, chosen_by))
        {
            Ok(Some(dir)) => {
                let _ = cache.dir.set(dir);
            }
            Ok(None) => {}
            Err(e) if kind_of(&e) == Kind::Input => return Err(e),
            // Unreadable for another reason: a miss; the write path says why.
            Err(_) => {}
        }
        Ok(cache)
    }

    pub fn dir(&self) -> &Path {
        &self.path
    }

    /// The directory, created (0700, with its missing parents) if needed.
    pub fn ensure_dir(&self) -> Result<&Dir> {
        if let Some(dir) = self.dir.get() {
            return Ok(dir);
        }
        let dir = Dir::private(&self.path, IfMissing::Create)
            .map_err(|e| name_the_variable(e, self.chosen_by))?
            .ok_or_else(|| {
                anyhow::anyhow!("cannot create cache directory {}", self.path.display())
            })?;
        Ok(self.dir.get_or_init(|| dir))
    }

    fn name(key: &Key, ext: &str) -> String {
        format!("{}.{ext}", key.stem())
    }

    /// The cached session for `key` if it is still fresh at `now`. Anything odd
    /// (missing, corrupt, another key, expired) is a miss; odd ones say so on stderr.
    pub fn load(&self, key: &Key, now: Timestamp) -> Option<Credentials> {
        self.load_cached(key, now).map(|c| c.credentials)
    }

    /// [`Cache::load`], with when the session was obtained.
    pub fn load_cached(&self, key: &Key, now: Timestamp) -> Option<Cached> {
        self.read_cached(key)
            .filter(|c| c.credentials.is_fresh(now))
    }

    /// The cached session for `key`, fresh or not.
    pub fn read(&self, key: &Key) -> Option<Credentials> {
        self.read_cached(key).map(|c| c.credentials)
    }

    fn read_cached(&self, key: &Key) -> Option<Cached> {
        let (stored, cached) = self.read_entry(&Self::name(key, "json"), true)?;
        (stored == *key).then_some(cached)
    }

    /// The entry `name`, if it is a readable, valid entry of this version; with
    /// `tell`, says on stderr why one that exists is not.
    fn read_entry(&self, name: &str, tell: bool) -> Option<(Key, Cached)> {
        let dir = self.dir.get()?;
        let path = dir.path().join(name);
        let bytes = match dir.read(name, MAX_ENTRY) {
            Ok(Found::File(bytes)) => bytes,
            Ok(Found::Missing) => return None,
            Ok(Found::Refused(why)) => {
                if tell {
                    warn(&format!("ignoring cache entry {}: {why}", path.display()));
                }
                return None;
            }
            Err(e) => {
                if tell {
                    warn(&format!("{e:#}; ignoring it"));
                }
                return None;
            }
        };
        let problem = match serde_json::from_slice::<Entry>(&bytes) {
            Ok(e) if e.version != ENTRY_VERSION => return None,
            Ok(e) => match e.credentials.validate() {
                Ok(()) => {
                    let cached = Cached {
                        credentials: e.credentials,
                        obtained: e.obtained,
                    };
                    return Some((e.key, cached));
                }
                Err(why) => why,
            },
            // serde's message may quote file content, which may be a secret: the position only.
            Err(e) => format!("line {}, column {}", e.line(), e.column()),
        };
        if tell {
            warn(&format!(
                "cache entry {} is corrupt ({problem}); ignoring it",
                path.display()
            ));
        }
        None
    }

    /// Every cache file awscred made (entries, locks, temp files), by name,
    /// with its session when it is a valid entry.
    pub fn list(&self) -> Vec<Listed> {
        let Some(dir) = self.dir.get() else {
            return Vec::new();
        };
        dir.names()
            .unwrap_or_default()
            .into_iter()
            .filter(|n| is_ours(n))
            .map(|name| Listed {
                entry: name
                    .ends_with(".json")
                    .then(|| self.read_entry(&name, false))
                    .flatten()
                    .map(|(key, cached)| (key, cached.credentials)),
                name,
            })
            .collect()
    }

    /// Removes one cache file. A lock file is removed only while nobody holds
    /// it: removing a held one would let a third run take a second lock.
    pub fn remove(&self, name: &str) -> Result<()> {
        let dir = self.ensure_dir()?;
        let lock_file = dir.stat(name)?.is_some_and(|e| e.regular && e.own);
        if name.ends_with(".lock") && lock_file {
            return match dir.try_lock(name) {
                Ok(Some(_held)) => dir.remove(name),
                _ => Ok(()),
            };
        }
        dir.remove(name)
    }

    /// Removes the entry for `key` if it still holds the session of
    /// `access_key_id` (another run may have put a new one there meanwhile);
    /// true when it did. The caller holds the key's lock.
    pub fn forget(&self, key: &Key, access_key_id: &str) -> Result<bool> {
        match self.read(key) {
            Some(c) if c.access_key_id == access_key_id => {
                self.remove(&Self::name(key, "json"))?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// True when `name` is an entry file of `profile` (by its readable part).
    pub fn belongs_to(name: &str, profile: &str) -> bool {
        name.strip_suffix(".json")
            .and_then(|stem| stem.rsplit_once('-'))
            .is_some_and(|(p, _)| p == readable(profile))
    }

    /// The lock for `key` if it is free now (for work that may be skipped).
    pub fn try_lock(&self, key: &Key) -> Result<Option<Lock>> {
        self.ensure_dir()?.try_lock(&Self::name(key, "lock"))
    }

    /// Takes the exclusive lock for `key`, waiting up to [`LOCK_WAIT`].
    pub fn lock(&self, key: &Key) -> Result<Lock> {
        self.lock_waiting(key, LOCK_WAIT)
    }

    /// [`Cache::lock`], waiting up to `wait` (an SSO login takes minutes).
    pub fn lock_waiting(&self, key: &Key, wait: Duration) -> Result<Lock> {
        let what = format!("profile `{}`", key.profile);
        self.ensure_dir()?
            .lock(&Self::name(key, "lock"), wait, &what)
    }

    /// Writes the entry atomically (the caller holds the key's lock), with the
    /// time the credentials were `obtained`. Whatever else sits at its name (a
    /// planted directory, FIFO or link) is removed first.
    pub fn store(&self, key: &Key, credentials: &Credentials, obtained: Timestamp) -> Result<()> {
        let dir = self.ensure_dir()?;
        let entry = Entry {
            version: ENTRY_VERSION,
            key: key.clone(),
            credentials: credentials.clone(),
            obtained: Some(obtained),
        };
        let json = serde_json::to_vec_pretty(&entry)?;
        let name = Self::name(key, "json");
        if dir.stat(&name)?.is_some_and(|e| !e.regular || !e.own) {
            dir.remove(&name)?;
        }
        dir.write_atomic(&name, &json, 0o600)
    }
}

/// The names awscred creates in its directory, and only those: entries and
/// locks `<profile>-<16 hex>.json|.lock`, the credentials-file locks and temp files.
fn is_ours(name: &str) -> bool {
    if name.starts_with('.') {
        return name.ends_with(TEMP_SUFFIX);
    }
    let Some(stem) = name
        .strip_suffix(".json")
        .or_else(|| name.strip_suffix(".lock"))
    else {
        return false;
    };
    let Some((profile, hash)) = stem.rsplit_once('-') else {
        return false;
    };
    hash.len() == 16
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && profile
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Where sessions live: `AWSCRED_CACHE_DIR` (absolute, `~/` allowed), else an
/// absolute `XDG_CACHE_HOME` (a relative one is ignored, as the XDG spec says),
/// else the platform cache directory under the home directory. There is no
/// shared fallback such as `/tmp`: with no home directory, awscred refuses.
pub fn location(env: &Env) -> Result<PathBuf> {
    if let Some(d) = env.awscred_cache_dir() {
        let path = env.expand(d);
        if !path.is_absolute() {
            return Err(fail(
                Kind::Input,
                "AWSCRED_CACHE_DIR must be an absolute path (or start with ~/): set it to a directory of your own",
            ));
        }
        return Ok(path);
    }
    if let Some(xdg) = env
        .xdg_cache_home()
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
    {
        return Ok(xdg.join("awscred"));
    }
    let home = env.home().filter(|h| h.is_absolute()).ok_or_else(|| {
        fail(
            Kind::Input,
            "no private place for the session cache: HOME is not set and your user has no home directory: set HOME or AWSCRED_CACHE_DIR to a directory of your own",
        )
    })?;
    let base = if cfg!(target_os = "macos") {
        home.join("Library/Caches")
    } else {
        home.join(".cache")
    };
    Ok(base.join("awscred"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(profile: &str, id: &str) -> Key {
        Key {
            profile: profile.into(),
            base_access_key_id: id.into(),
            mfa_serial: Some("arn:aws:iam::1:mfa/me".into()),
            sts: "aws:aws".into(),
            roles: Vec::new(),
            source: None,
        }
    }

    fn creds(exp: i64) -> Credentials {
        Credentials {
            access_key_id: "ASIAXXXXXXXXXXXXXXXX".into(),
            secret_access_key: "s".into(),
            session_token: "t".into(),
            expiration: Timestamp(exp),
        }
    }

    /// A cache in a directory awscred makes itself (tempdir's own is 0755).
    fn cache(dir: &Path) -> Cache {
        Cache {
            path: dir.join("cache"),
            dir: OnceCell::new(),
            chosen_by: None,
        }
    }

    #[test]
    fn fnv_matches_the_published_test_vectors() {
        // From the FNV reference (isthe.com/chongo/tech/comp/fnv): FNV-1a 64.
        for (input, want) in [
            ("", 0xcbf2_9ce4_8422_2325),
            ("a", 0xaf63_dc4c_8601_ec8c),
            ("foobar", 0x8594_4171_f739_67e8),
        ] {
            let mut h = Fnv64::default();
            h.write(input.as_bytes());
            assert_eq!(h.0, want, "{input:?}");
        }
    }

    #[test]
    fn stems_are_safe_and_differ_for_every_field() {
        let base = key("work", "AKIA1");
        let mut variants = vec![key("work", "AKIA2"), key("a/b", "AKIA1")];
        let mut v = base.clone();
        v.mfa_serial = None;
        variants.push(v);
        let mut v = base.clone();
        v.sts = "http://127.0.0.1:1".into();
        variants.push(v);
        let role = RoleKey {
            arn: "arn:aws:iam::1:role/r".into(),
            session_name: "alice".into(),
            external_id: None,
            duration_seconds: None,
            options: Default::default(),
        };
        // A key without options is written as before they existed, so the
        // entries cached then keep their file names.
        assert!(!serde_json::to_string(&role).unwrap().contains("options"));
        for change in [
            |r: &mut RoleKey| r.session_name = "bob".into(),
            |r: &mut RoleKey| r.options.tags = vec![("team".into(), "infra".into())],
            |r: &mut RoleKey| r.options.transitive_tag_keys = vec!["team".into()],
            |r: &mut RoleKey| r.options.source_identity = Some("alice".into()),
            |r: &mut RoleKey| r.options.policy_arns = vec!["arn:aws:iam::aws:policy/P".into()],
            |r: &mut RoleKey| r.options.policy = Some("{}".into()),
            |r: &mut RoleKey| r.external_id = Some("X2".into()),
            |r: &mut RoleKey| r.duration_seconds = Some(900),
            |r: &mut RoleKey| r.arn = "arn:aws:iam::1:role/s".into(),
        ] {
            let mut v = base.clone();
            let mut r = role.clone();
            change(&mut r);
            v.roles.push(r);
            variants.push(v);
        }
        let mut stems: Vec<String> = variants.iter().map(Key::stem).collect();
        stems.push(base.stem());
        let n = stems.len();
        stems.sort();
        stems.dedup();
        assert_eq!(stems.len(), n, "every field changes the file name");
        let s = key("../../x", "AKIA1").stem();
        assert!(s.starts_with("______x-") && !s.contains('/'), "{s}");
        assert_eq!(key(&"p".repeat(500), "A").stem().len(), 48 + 1 + 16);
        assert!(is_ours(&format!("{s}.json")) && is_ours(&format!("{s}.lock")));
    }

    #[test]
    fn only_awscred_names_are_ours() {
        for name in [
            "work-0123456789abcdef.json",
            "a_b-c-0123456789abcdef.lock",
            "credentials-file-0123456789abcdef.lock",
            ".work-0123456789abcdef.json.00000000deadbeef.awscred-tmp",
        ] {
            assert!(is_ours(name), "{name}");
        }
        for name in [
            "notes.txt",
            "work.json",
            "work-0123456789ABCDEF.json",
            "work-0123456789abcde.json",
            "wo rk-0123456789abcdef.json",
            ".hidden",
        ] {
            assert!(!is_ours(name), "{name}");
        }
    }

    #[test]
    fn store_then_load_with_expiry_and_key_checks() {
        let dir = tempfile::tempdir().unwrap();
        let cache = cache(dir.path());
        let now = Timestamp(1_000_000);
        let k = key("w", "AKIA1");
        let _lock = cache.lock(&k).unwrap();
        cache.store(&k, &creds(now.0 + 3600), now).unwrap();
        assert_eq!(cache.load(&k, now), Some(creds(now.0 + 3600)));
        assert_eq!(cache.load(&key("w", "AKIA2"), now), None);
        assert_eq!(
            cache.load(&k, Timestamp(now.0 + 3000)),
            None,
            "within the 10-minute margin"
        );
    }

    #[test]
    fn corrupt_and_invalid_entries_are_misses() {
        let dir = tempfile::tempdir().unwrap();
        let cache = cache(dir.path());
        let k = key("w", "AKIA1");
        cache.ensure_dir().unwrap();
        let path = dir.path().join("cache").join(Cache::name(&k, "json"));
        let valid = serde_json::to_string(&Entry {
            version: ENTRY_VERSION,
            key: k.clone(),
            credentials: creds(4_000_000_000),
            obtained: None,
        })
        .unwrap();
        std::fs::write(&path, &valid).unwrap();
        assert!(
            cache.load(&k, Timestamp(0)).is_some(),
            "the valid one is read"
        );
        let bad_id = valid.replace("ASIAXXXXXXXXXXXXXXXX", "ASIA\\u0001XXXXXXXXXXXXXXX");
        assert_ne!(bad_id, valid);
        for junk in [
            "",
            "{",
            "null",
            "{\"version\":2}",
            &bad_id,
            &valid.replace("\"s\"", "\"s\\u001b[2J\""),
        ] {
            std::fs::write(&path, junk).unwrap();
            assert_eq!(cache.load(&k, Timestamp(0)), None, "{junk}");
        }
    }
}
