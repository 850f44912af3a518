//! Long-term keys out of the credentials file: the key stores and their index.
//!
//! A profile's secret lives in one store: the OS credential store
//! ([`os`]: Secret Service, Keychain, Credential Manager) or an encrypted file
//! ([`file`]: age with a passphrase). What is not secret, the key id and which
//! store holds the secret, is in an index file (`keys.json`) in the keys
//! directory, so resolution and the session cache need only the index: the
//! store itself is opened (and may prompt) only right before something is
//! signed with the key ([`KeySecret::get`]), and at most once per run.
//!
//! Layout of the keys directory (0700, the user's own; see [`dir`]):
//! `keys.json` (the index), `keys.age` (the encrypted-file store),
//! `keys.lock` (held while either is changed).

mod age;
#[cfg(target_os = "linux")]
mod dbus;
pub mod file;
pub mod os;
#[cfg(target_os = "linux")]
mod secret_service;

use crate::env::Env;
use crate::error::{fail, Kind};
use crate::fsafe::{Dir, Found, IfMissing};
use crate::secret::Secret;
use crate::validate;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Where a profile's secret is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Store {
    /// The OS credential store: Secret Service (Linux), Keychain (macOS),
    /// Credential Manager (Windows).
    Os,
    /// A file encrypted with a passphrase (age, scrypt) in the keys directory.
    File,
}

impl Store {
    pub fn name(self) -> &'static str {
        match self {
            Store::Os => "os",
            Store::File => "file",
        }
    }

    /// For messages: where the secret is.
    pub fn describe(self, env: &Env) -> String {
        match self {
            Store::Os => os::DESCRIPTION.to_string(),
            Store::File => match dir(env) {
                Ok(d) => format!("the encrypted file {}", d.join(file::NAME).display()),
                Err(_) => "the encrypted key file".to_string(),
            },
        }
    }

    /// The store `keys add` uses when neither `--store` nor
    /// `AWSCRED_KEY_STORE` says: the OS store on macOS and Windows and on a
    /// Linux desktop (a D-Bus session bus is there); the encrypted file on
    /// headless Linux, WSL and CI, which have no Secret Service.
    pub fn default_for(env: &Env) -> Store {
        if cfg!(any(target_os = "macos", windows)) || env.dbus_session_bus_address().is_some() {
            Store::Os
        } else {
            Store::File
        }
    }

    /// `--store`, else `AWSCRED_KEY_STORE`, else [`Store::default_for`].
    pub fn choose(flag: Option<Store>, env: &Env) -> Result<Store> {
        if let Some(s) = flag {
            return Ok(s);
        }
        match env.awscred_key_store() {
            Some("os") => Ok(Store::Os),
            Some("file") => Ok(Store::File),
            Some(_) => Err(fail(
                Kind::Input,
                "AWSCRED_KEY_STORE must be `os` or `file`: fix or unset it",
            )),
            None => Ok(Store::default_for(env)),
        }
    }
}

/// A long-term key as the stores hold it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredKey {
    pub access_key_id: String,
    pub secret_access_key: Secret,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl StoredKey {
    /// The checks keys from the files pass, for keys read from a store.
    pub fn check(&self, origin: &str) -> Result<()> {
        validate::long_term_keys(&self.access_key_id, self.secret_access_key.expose(), origin)
    }
}

/// One profile in the index: its key id and the store holding the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub access_key_id: String,
    pub store: Store,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Index {
    version: u32,
    profiles: BTreeMap<String, Entry>,
}

const INDEX: &str = "keys.json";
const LOCK: &str = "keys.lock";
/// The index and the encrypted file are small; anything larger is not ours.
pub const MAX_FILE: u64 = 1024 * 1024;
/// How long a change waits for another run's change.
const LOCK_WAIT: Duration = Duration::from_secs(30);

/// The keys directory: `AWSCRED_KEYS_DIR`, else `$XDG_DATA_HOME/awscred`,
/// else `~/.local/share/awscred` (macOS: `~/Library/Application
/// Support/awscred`; Windows: the roaming AppData folder).
pub fn dir(env: &Env) -> Result<PathBuf> {
    if let Some(d) = env.awscred_keys_dir() {
        let path = env.expand(d);
        if !path.is_absolute() {
            return Err(fail(
                Kind::Input,
                "AWSCRED_KEYS_DIR must be an absolute path (or start with ~/): set it to a directory of your own",
            ));
        }
        return Ok(path);
    }
    if let Some(xdg) = env
        .xdg_data_home()
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
    {
        return Ok(xdg.join("awscred"));
    }
    if cfg!(windows) {
        if let Some(d) = dirs::data_dir() {
            return Ok(d.join("awscred"));
        }
    }
    let home = env.home().filter(|h| h.is_absolute()).ok_or_else(|| {
        fail(
            Kind::Input,
            "no private place for the key index: HOME is not set: set HOME or AWSCRED_KEYS_DIR",
        )
    })?;
    let base = if cfg!(target_os = "macos") {
        home.join("Library/Application Support")
    } else {
        home.join(".local/share")
    };
    Ok(base.join("awscred"))
}

/// The keys directory, opened and checked (the user's own, 0700); `None`
/// when it does not exist and `missing` says not to create it.
pub fn open_dir(env: &Env, missing: IfMissing) -> Result<Option<Dir>> {
    // fsafe's refusals speak of the session cache; these are about keys.
    Dir::private(&dir(env)?, missing).map_err(|e| match e.downcast_ref::<crate::error::Fail>() {
        Some(f) => fail(
            f.kind,
            f.message
                .replace("for sessions", "for keys")
                .replace("AWSCRED_CACHE_DIR", "AWSCRED_KEYS_DIR")
                .replace("cache directory", "keys directory"),
        ),
        None => e,
    })
}

/// Holds the keys directory's lock: one change at a time.
pub struct Locked {
    pub dir: Dir,
    _lock: crate::fsafe::Lock,
}

pub fn lock(env: &Env) -> Result<Locked> {
    let dir = open_dir(env, IfMissing::Create)?
        .ok_or_else(|| anyhow::anyhow!("cannot create the keys directory"))?;
    let lock = dir.lock(LOCK, LOCK_WAIT, "the key store")?;
    Ok(Locked { dir, _lock: lock })
}

fn corrupt(dir: &Dir, why: &str) -> anyhow::Error {
    fail(
        Kind::Input,
        format!(
            "the key index {} {why}: move it away and run `awscred keys add` again for each stored profile",
            dir.path().join(INDEX).display()
        ),
    )
}

fn read_index(dir: &Dir) -> Result<Index> {
    let bytes = match dir.read(INDEX, MAX_FILE)? {
        Found::Missing => return Ok(Index::default()),
        Found::File(b) => b,
        Found::Refused(why) => return Err(corrupt(dir, &format!("cannot be used: {why}"))),
    };
    let index: Index =
        serde_json::from_slice(&bytes).map_err(|_| corrupt(dir, "is not a valid key index"))?;
    if index.version != 1 {
        return Err(corrupt(dir, "has an unknown version"));
    }
    for (profile, entry) in &index.profiles {
        if validate::text(profile, 256).is_err()
            || validate::access_key_id(&entry.access_key_id).is_err()
        {
            return Err(corrupt(dir, "holds an invalid profile name or key id"));
        }
    }
    Ok(index)
}

fn write_index(dir: &Dir, index: &Index) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(index)?;
    dir.write_atomic(INDEX, &bytes, 0o600)
}

/// The index entry of `profile`, if its keys are in a store. Reads only the
/// index: never a store.
pub fn lookup(env: &Env, profile: &str) -> Result<Option<Entry>> {
    let Some(dir) = open_dir(env, IfMissing::Skip)? else {
        return Ok(None);
    };
    Ok(read_index(&dir)?.profiles.remove(profile))
}

/// Every stored profile and its entry, by name.
pub fn list(env: &Env) -> Result<Vec<(String, Entry)>> {
    let Some(dir) = open_dir(env, IfMissing::Skip)? else {
        return Ok(Vec::new());
    };
    Ok(read_index(&dir)?.profiles.into_iter().collect())
}

/// Stores `key` for `profile` in `store` and records it in the index,
/// replacing what the profile had (in whichever store). The store is written
/// first; if the index then cannot be written, the store gets back what it
/// held, so a failure leaves both as they were (the secret it replaced is
/// never lost). [`peek`] tells what the store holds if even that failed.
pub fn put(env: &Env, locked: &Locked, store: Store, profile: &str, key: &StoredKey) -> Result<()> {
    key.check("the key to store")?;
    let mut index = read_index(&locked.dir)?;
    index.version = 1;
    let old = index.profiles.get(profile).cloned();
    let previous = peek(env, locked, store, profile)?;
    set_in(env, locked, store, profile, key)?;
    index.profiles.insert(
        profile.to_string(),
        Entry {
            access_key_id: key.access_key_id.clone(),
            store,
        },
    );
    if let Err(e) = index_failure(env).and_then(|()| write_index(&locked.dir, &index)) {
        let restored = match &previous {
            Some(p) => set_in(env, locked, store, profile, p),
            None => delete_from(env, locked, store, profile),
        };
        return Err(match restored {
            Ok(()) => e,
            Err(r) => e.context(format!(
                "and {} could not be put back ({r:#})",
                store.describe(env)
            )),
        });
    }
    // Moved to another store: the old copy goes.
    if let Some(old) = old.filter(|o| o.store != store) {
        if let Err(e) = delete_from(env, locked, old.store, profile) {
            crate::error::warn(&format!(
                "the key of profile {profile} is now in {}, but removing it from {} failed ({e:#}): remove it there by hand",
                store.describe(env),
                old.store.describe(env)
            ));
        }
    }
    Ok(())
}

/// Debug builds only: `AWSCRED_DEBUG_ROTATE_FAIL=index` fails the index
/// write that follows a store write (a full disk, an I/O error).
fn index_failure(env: &Env) -> Result<()> {
    #[cfg(debug_assertions)]
    if env.awscred_debug_rotate_fail() == Some("index") {
        return Err(anyhow::anyhow!(
            "cannot write the key index: failed on purpose (AWSCRED_DEBUG_ROTATE_FAIL)"
        ));
    }
    let _ = env;
    Ok(())
}

fn set_in(env: &Env, locked: &Locked, store: Store, profile: &str, key: &StoredKey) -> Result<()> {
    match store {
        Store::Os => os::set(env, profile, key),
        Store::File => file::set(env, &locked.dir, profile, key),
    }
}

/// What `store` holds for `profile`, whatever the index says.
pub fn peek(env: &Env, locked: &Locked, store: Store, profile: &str) -> Result<Option<StoredKey>> {
    match store {
        Store::Os => os::get(env, profile),
        Store::File => file::get(env, &locked.dir, profile),
    }
}

fn delete_from(env: &Env, locked: &Locked, store: Store, profile: &str) -> Result<()> {
    match store {
        Store::Os => os::delete(env, profile),
        Store::File => file::delete(env, &locked.dir, profile),
    }
}

/// Deletes `profile`'s key from its store and the index: the entry it had, or
/// `None` when it had none.
pub fn remove(env: &Env, profile: &str) -> Result<Option<Entry>> {
    let locked = lock(env)?;
    let mut index = read_index(&locked.dir)?;
    let Some(entry) = index.profiles.get(profile).cloned() else {
        return Ok(None);
    };
    delete_from(env, &locked, entry.store, profile)?;
    index.profiles.remove(profile);
    index.version = 1;
    write_index(&locked.dir, &index)?;
    Ok(Some(entry))
}

/// The secret of `profile` from its store, checked against the index entry.
pub fn fetch(env: &Env, profile: &str, entry: &Entry) -> Result<Secret> {
    let origin = format!(
        "the key of profile {profile} in {}",
        entry.store.describe(env)
    );
    let key = match entry.store {
        Store::Os => os::get(env, profile)?,
        Store::File => {
            let dir = open_dir(env, IfMissing::Skip)?.ok_or_else(|| missing(profile, env))?;
            file::get(env, &dir, profile)?
        }
    };
    let key = key.ok_or_else(|| missing(profile, env))?;
    key.check(&origin)?;
    if key.access_key_id != entry.access_key_id {
        return Err(fail(
            Kind::Input,
            format!(
                "{origin} is for access key {}, but the key index says {}: run `awscred keys add --profile {profile}` to store the right key",
                key.access_key_id, entry.access_key_id
            ),
        ));
    }
    Ok(key.secret_access_key)
}

fn missing(profile: &str, env: &Env) -> anyhow::Error {
    let _ = env;
    fail(
        Kind::Input,
        format!(
            "the key index lists profile {profile}, but its key store has no key for it: run `awscred keys rm --profile {profile}`, then `awscred keys add --profile {profile}`"
        ),
    )
}

/// The secret of a long-term key: at hand (from a file or the environment),
/// or in a key store, fetched on first use and kept for the rest of the run.
#[derive(Clone)]
pub enum KeySecret {
    Here(Secret),
    Stored(Arc<Lazy>),
}

/// A secret in a store, fetched at most once.
pub struct Lazy {
    pub profile: String,
    pub entry: Entry,
    env: Env,
    cell: OnceLock<Secret>,
}

impl KeySecret {
    pub fn stored(env: &Env, profile: &str, entry: Entry) -> KeySecret {
        KeySecret::Stored(Arc::new(Lazy {
            profile: profile.to_string(),
            entry,
            env: env.clone(),
            cell: OnceLock::new(),
        }))
    }

    /// The secret, fetched from its store on the first call.
    pub fn get(&self) -> Result<&Secret> {
        match self {
            KeySecret::Here(s) => Ok(s),
            KeySecret::Stored(lazy) => {
                if let Some(s) = lazy.cell.get() {
                    return Ok(s);
                }
                let s = fetch(&lazy.env, &lazy.profile, &lazy.entry)?;
                Ok(lazy.cell.get_or_init(|| s))
            }
        }
    }

    /// The store holding the secret, when it is in one.
    pub fn store(&self) -> Option<Store> {
        match self {
            KeySecret::Here(_) => None,
            KeySecret::Stored(lazy) => Some(lazy.entry.store),
        }
    }

    /// Whether the secret has been read from its store in this run (tests).
    pub fn fetched(&self) -> bool {
        match self {
            KeySecret::Here(_) => true,
            KeySecret::Stored(lazy) => lazy.cell.get().is_some(),
        }
    }
}

impl From<Secret> for KeySecret {
    fn from(s: Secret) -> KeySecret {
        KeySecret::Here(s)
    }
}

impl From<&str> for KeySecret {
    fn from(s: &str) -> KeySecret {
        KeySecret::Here(s.into())
    }
}

impl std::fmt::Debug for KeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySecret::Here(_) => f.write_str("<redacted>"),
            KeySecret::Stored(lazy) => write!(f, "<in the {} key store>", lazy.entry.store.name()),
        }
    }
}

impl PartialEq for KeySecret {
    fn eq(&self, other: &KeySecret) -> bool {
        match (self, other) {
            (KeySecret::Here(a), KeySecret::Here(b)) => a == b,
            (KeySecret::Stored(a), KeySecret::Stored(b)) => {
                a.profile == b.profile && a.entry == b.entry
            }
            _ => false,
        }
    }
}

impl Eq for KeySecret {}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(dir: &std::path::Path) -> Env {
        Env::from_pairs([
            ("AWSCRED_KEYS_DIR", dir.join("keys").to_str().unwrap()),
            ("AWSCRED_KEYS_PASSPHRASE", "correct horse battery staple"),
        ])
    }

    fn key(id: &str) -> StoredKey {
        StoredKey {
            access_key_id: id.into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY".into(),
        }
    }

    #[test]
    fn the_index_holds_ids_only_and_a_lazy_secret_reads_the_store_once() {
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path());
        assert_eq!(lookup(&env, "work").unwrap(), None);
        let locked = lock(&env).unwrap();
        put(
            &env,
            &locked,
            Store::File,
            "work",
            &key("AKIAWORK000000000001"),
        )
        .unwrap();
        drop(locked);
        let index = std::fs::read_to_string(tmp.path().join("keys/keys.json")).unwrap();
        assert!(index.contains("AKIAWORK000000000001") && !index.contains("EXAMPLEKEY"));
        let entry = lookup(&env, "work").unwrap().unwrap();
        assert_eq!(entry.store, Store::File);
        let lazy = KeySecret::stored(&env, "work", entry);
        assert!(!lazy.fetched());
        assert_eq!(format!("{lazy:?}"), "<in the file key store>");
        assert!(lazy.get().unwrap().expose().ends_with("EXAMPLEKEY"));
        assert!(lazy.fetched());
        assert_eq!(
            list(&env)
                .unwrap()
                .iter()
                .map(|(p, _)| p.as_str())
                .collect::<Vec<_>>(),
            ["work"]
        );
        assert!(remove(&env, "work").unwrap().is_some());
        assert_eq!(lookup(&env, "work").unwrap(), None);
        assert!(remove(&env, "work").unwrap().is_none());
    }

    #[test]
    fn a_corrupt_index_is_a_clear_error() {
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path());
        drop(lock(&env).unwrap());
        for bad in [
            "not json",
            "{\"version\":2,\"profiles\":{}}",
            "{\"version\":1,\"profiles\":{\"w\":{\"access_key_id\":\"short\",\"store\":\"os\"}}}",
            "{\"version\":1,\"profiles\":{\"w\":{\"access_key_id\":\"AKIAWORK000000000001\",\"store\":\"vault\"}}}",
        ] {
            std::fs::write(tmp.path().join("keys/keys.json"), bad).unwrap();
            let e = lookup(&env, "w").unwrap_err().to_string();
            assert!(e.starts_with("the key index ") && e.contains("keys add"), "{e}");
        }
    }

    #[test]
    fn a_store_holding_another_key_than_the_index_says_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path());
        let locked = lock(&env).unwrap();
        put(
            &env,
            &locked,
            Store::File,
            "work",
            &key("AKIAWORK000000000001"),
        )
        .unwrap();
        let e = fetch(
            &env,
            "work",
            &Entry {
                access_key_id: "AKIAOTHER00000000001".into(),
                store: Store::File,
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("the key index says AKIAOTHER00000000001"), "{e}");
        assert!(!e.contains("EXAMPLEKEY"));
    }
}
