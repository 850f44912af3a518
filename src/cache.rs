//! The session cache: one JSON file per session key, written atomically, guarded
//! by an OS file lock so concurrent runs make one STS call between them.
//!
//! Layout: `<dir>/<profile>-<hash>.json` and its lock `<dir>/<profile>-<hash>.lock`.
//! The profile part is sanitised (it can never leave the directory) and the hash
//! covers the whole key; the entry stores the full key too, and an entry whose
//! key differs (another base access key, another MFA device) is not used.

use crate::credentials::{Credentials, Timestamp};
use crate::profile::Env;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a cached session belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    pub profile: String,
    pub base_access_key_id: String,
    pub mfa_serial: Option<String>,
    /// For role credentials: the role (a changed `role_arn` must not reuse them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}

impl Key {
    /// File stem: readable profile part plus a stable hash of the whole key.
    fn stem(&self) -> String {
        let readable: String = self
            .profile
            .chars()
            .take(48)
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let mut h = Fnv64::default();
        for part in [
            self.profile.as_str(),
            &self.base_access_key_id,
            self.mfa_serial.as_deref().unwrap_or(""),
            self.role_arn.as_deref().unwrap_or(""),
        ] {
            h.write(part.as_bytes());
            h.write(&[0]);
        }
        format!("{readable}-{:016x}", h.0)
    }
}

/// A stable short name for a path (lock files of other files live in the cache dir).
pub fn path_hash(path: &Path) -> String {
    let mut h = Fnv64::default();
    h.write(path.to_string_lossy().as_bytes());
    format!("{:016x}", h.0)
}

/// FNV-1a: tiny and stable across Rust versions (std's hasher is not).
struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv64 {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Entry {
    version: u32,
    #[serde(flatten)]
    key: Key,
    #[serde(rename = "Credentials")]
    credentials: Credentials,
}

const ENTRY_VERSION: u32 = 1;

/// How long a run waits for another run holding the same session's lock
/// (which may be waiting for a person to type a code).
pub const LOCK_WAIT: Duration = Duration::from_secs(120);

pub struct Cache {
    dir: PathBuf,
}

/// Holds the lock until dropped; the OS releases it if the process dies.
pub struct Lock {
    _file: File,
}

impl Cache {
    /// `AWSCRED_CACHE_DIR`, else the platform cache directory (`~/.cache/awscred` on Linux).
    pub fn new(env: &Env) -> Cache {
        let dir = match env.get("AWSCRED_CACHE_DIR") {
            Some(d) => env.expand(d),
            None => env
                .get("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(dirs::cache_dir)
                .or_else(|| env.home().map(|h| h.join(".cache")))
                .unwrap_or_else(std::env::temp_dir)
                .join("awscred"),
        };
        Cache { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, key: &Key, ext: &str) -> PathBuf {
        self.dir.join(format!("{}.{ext}", key.stem()))
    }

    /// The cached session for `key` if it is still fresh at `now`. Anything odd
    /// (missing, corrupt, another key, expired) is a miss; odd ones say so on stderr.
    pub fn load(&self, key: &Key, now: Timestamp) -> Option<Credentials> {
        self.read(key).filter(|c| c.is_fresh(now))
    }

    /// The cached session for `key`, fresh or not.
    pub fn read(&self, key: &Key) -> Option<Credentials> {
        let entry = self.read_entry(&self.path(key, "json"))?;
        (entry.key == *key).then_some(entry.credentials)
    }

    fn read_entry(&self, path: &Path) -> Option<Entry> {
        let bytes = match fs::read(path) {
            Ok(b) => b,
            // A missing entry, or a cache dir that cannot exist (a file in the way): a plain
            // miss here; the write path reports the directory problem once.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return None
            }
            Err(e) => {
                warn(&format!(
                    "cannot read cache entry {}: {e}; ignoring it",
                    path.display()
                ));
                return None;
            }
        };
        tighten(path, 0o600);
        match serde_json::from_slice::<Entry>(&bytes) {
            Ok(entry) if entry.version == ENTRY_VERSION => Some(entry),
            Ok(_) => None,
            // serde's message may quote file content, which may be a secret: give the position only.
            Err(e) => {
                warn(&format!(
                    "cache entry {} is corrupt (line {}, column {}); ignoring it",
                    path.display(),
                    e.line(),
                    e.column()
                ));
                None
            }
        }
    }

    /// Every readable entry: its file, key and session.
    pub fn entries(&self) -> Vec<(PathBuf, Key, Credentials)> {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut v: Vec<_> = dir
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .filter_map(|p| self.read_entry(&p).map(|e| (p, e.key, e.credentials)))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// Takes the exclusive lock for `key`, waiting up to [`LOCK_WAIT`].
    pub fn lock(&self, key: &Key) -> Result<Lock> {
        self.ensure_dir()?;
        let path = self.path(key, "lock");
        let file = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot open lock file {}", path.display()))?;
        let start = Instant::now();
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Lock { _file: file }),
                Err(fs::TryLockError::WouldBlock) => {
                    if start.elapsed() >= LOCK_WAIT {
                        anyhow::bail!(
                            "another awscred run has held the lock for profile `{}` for {} s: finish or stop it",
                            key.profile,
                            LOCK_WAIT.as_secs()
                        );
                    }
                    if !told {
                        warn(&format!(
                            "waiting for another awscred run (profile `{}`)",
                            key.profile
                        ));
                        told = true;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("cannot lock {}", path.display()))
                }
            }
        }
    }

    /// Writes the entry atomically: temp file (0600) in the same directory, fsync, rename, fsync dir.
    pub fn store(&self, key: &Key, credentials: &Credentials) -> Result<()> {
        self.ensure_dir()?;
        let entry = Entry {
            version: ENTRY_VERSION,
            key: key.clone(),
            credentials: credentials.clone(),
        };
        let json = serde_json::to_vec_pretty(&entry)?;
        write_atomic(&self.path(key, "json"), &json)
    }

    fn ensure_dir(&self) -> Result<()> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(&self.dir)
            .with_context(|| format!("cannot create cache directory {}", self.dir.display()))?;
        tighten(&self.dir, 0o700);
        Ok(())
    }
}

/// Replaces `path` with `bytes` so that a reader sees the old file or the new
/// one, never a mix, even if this process is killed at any instruction. The new
/// file is private (0600). Callers hold the target's lock, so the temp name can
/// be fixed: a run killed mid-write leaves at most one temp file, which the
/// next write reuses.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_mode(path, bytes, 0o600)
}

/// [`write_atomic`] giving the new file the permission bits `mode` (Unix; ignored
/// elsewhere). The temp file stays 0600 while written; `mode` is set exactly (not
/// through the umask) just before the rename.
pub fn write_atomic_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("entry");
    let tmp = dir.join(format!(".{name}.awscred-tmp"));
    let result = (|| -> std::io::Result<()> {
        let mut f = private_options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(fs::Permissions::from_mode(mode & 0o7777))?;
        }
        #[cfg(not(unix))]
        let _ = mode;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        #[cfg(unix)]
        File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

fn private_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o
}

/// Tightens group/other permission bits (a cache copied with `cp` may be 0644).
fn tighten(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                if fs::set_permissions(path, fs::Permissions::from_mode(mode)).is_ok() {
                    warn(&format!(
                        "tightened permissions of {} to {mode:o}",
                        path.display()
                    ));
                } else {
                    warn(&format!(
                        "{} is readable by others and cannot be tightened",
                        path.display()
                    ));
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

pub fn warn(message: &str) {
    crate::error::report(&format!("warning: {message}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(profile: &str, id: &str) -> Key {
        Key {
            profile: profile.into(),
            base_access_key_id: id.into(),
            mfa_serial: Some("arn:aws:iam::1:mfa/me".into()),
            role_arn: None,
        }
    }

    fn creds(exp: i64) -> Credentials {
        Credentials {
            access_key_id: "ASIAX".into(),
            secret_access_key: "s".into(),
            session_token: "t".into(),
            expiration: Timestamp(exp),
        }
    }

    #[test]
    fn stems_are_stable_safe_and_distinct() {
        assert_eq!(key("work", "AKIA1").stem(), key("work", "AKIA1").stem());
        assert_ne!(key("work", "AKIA1").stem(), key("work", "AKIA2").stem());
        assert_ne!(key("a/b", "AKIA1").stem(), key("a_b", "AKIA1").stem());
        let s = key("../../x", "AKIA1").stem();
        assert!(
            s.starts_with("______x-") && !s.contains('/') && !s.contains(".."),
            "{s}"
        );
        assert_eq!(key(&"p".repeat(500), "A").stem().len(), 48 + 1 + 16);
    }

    #[test]
    fn store_then_load_with_expiry_and_key_checks() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache {
            dir: dir.path().join("c"),
        };
        let now = Timestamp(1_000_000);
        cache
            .store(&key("w", "AKIA1"), &creds(now.0 + 3600))
            .unwrap();
        assert_eq!(
            cache.load(&key("w", "AKIA1"), now),
            Some(creds(now.0 + 3600))
        );
        assert_eq!(cache.load(&key("w", "AKIA2"), now), None);
        assert_eq!(
            cache.load(&key("w", "AKIA1"), Timestamp(now.0 + 3000)),
            None,
            "within the 10-minute margin"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&cache.dir), 0o700);
            assert_eq!(mode(&cache.path(&key("w", "AKIA1"), "json")), 0o600);
        }
    }

    #[test]
    fn entry_of_another_key_at_the_same_path_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache {
            dir: dir.path().to_path_buf(),
        };
        let now = Timestamp(1_000_000);
        cache
            .store(&key("w", "AKIA1"), &creds(now.0 + 3600))
            .unwrap();
        fs::rename(
            cache.path(&key("w", "AKIA1"), "json"),
            cache.path(&key("w", "AKIA2"), "json"),
        )
        .unwrap();
        assert_eq!(cache.load(&key("w", "AKIA2"), now), None);
    }

    #[test]
    fn corrupt_entries_are_misses() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache {
            dir: dir.path().to_path_buf(),
        };
        let k = key("w", "AKIA1");
        for junk in [&b""[..], b"{", b"null", b"{\"version\":1}", b"\xff\xfe"] {
            fs::write(cache.path(&k, "json"), junk).unwrap();
            assert_eq!(cache.load(&k, Timestamp(0)), None);
        }
    }

    #[test]
    fn lock_is_exclusive_between_handles() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache {
            dir: dir.path().to_path_buf(),
        };
        let k = key("w", "AKIA1");
        let held = cache.lock(&k).unwrap();
        let f = File::open(cache.path(&k, "lock")).unwrap();
        assert!(matches!(f.try_lock(), Err(fs::TryLockError::WouldBlock)));
        drop(held);
        assert!(f.try_lock().is_ok());
    }
}
