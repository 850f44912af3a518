//! The OS credential store: the Secret Service over D-Bus on Linux (GNOME
//! Keyring, KWallet, KeePassXC; [`super::secret_service`]), the Keychain on
//! macOS and the Credential Manager on Windows through the `keyring` crate.
//!
//! One item per profile: service `awscred`, account (user name) the profile
//! name, the secret a small JSON document with the key id and the secret key,
//! so an item can be checked against the index. The item is read only right
//! before something is signed with it (see [`super::KeySecret`]), so a locked
//! store prompts at most once per run, and never on a session-cache hit.

use super::StoredKey;
use crate::env::Env;
use crate::error::{fail, Kind};
use anyhow::Result;

pub const DESCRIPTION: &str = "the OS credential store";
/// A stored item is a few hundred bytes; larger is not ours.
const MAX_ITEM: usize = 8 * 1024;

fn corrupt(profile: &str) -> anyhow::Error {
    fail(
        Kind::Input,
        format!(
            "the item of profile {profile} (service awscred) in {DESCRIPTION} is not an awscred key: run `awscred keys rm --profile {profile}`, then `awscred keys add --profile {profile}`"
        ),
    )
}

fn parse(profile: &str, bytes: &[u8]) -> Result<StoredKey> {
    if bytes.len() > MAX_ITEM {
        return Err(corrupt(profile));
    }
    serde_json::from_slice(bytes).map_err(|_| corrupt(profile))
}

#[cfg(target_os = "linux")]
mod imp {
    use super::*;
    use crate::keystore::secret_service::SecretService;

    fn connect(env: &Env) -> Result<SecretService> {
        SecretService::connect(env.dbus_session_bus_address(), env.xdg_runtime_dir())
    }

    pub fn set(env: &Env, profile: &str, key: &StoredKey) -> Result<()> {
        let text = zeroize::Zeroizing::new(serde_json::to_vec(key)?);
        connect(env)?.set(profile, &text)
    }

    pub fn get(env: &Env, profile: &str) -> Result<Option<StoredKey>> {
        match connect(env)?.get(profile)? {
            Some(bytes) => parse(profile, &bytes).map(Some),
            None => Ok(None),
        }
    }

    pub fn delete(env: &Env, profile: &str) -> Result<()> {
        connect(env)?.delete(profile)
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::*;

    const SERVICE: &str = "awscred";

    fn entry(profile: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(SERVICE, profile).map_err(|e| explain(e, profile, "open"))
    }

    /// What went wrong, in one line, without the item's contents (a
    /// `BadEncoding` error carries the stored bytes: never shown).
    fn explain(err: keyring::Error, profile: &str, doing: &str) -> anyhow::Error {
        use keyring::Error as E;
        let one = |e: &(dyn std::error::Error + 'static)| -> String {
            e.to_string()
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect()
        };
        let why = match &err {
            E::NoStorageAccess(e) => {
                format!("it is locked or refused access ({})", one(e.as_ref()))
            }
            E::PlatformFailure(e) => format!("it failed ({})", one(e.as_ref())),
            E::BadEncoding(_) => "its item is not text".to_string(),
            E::TooLong(attr, max) => format!("{attr} is longer than {max}"),
            E::Invalid(attr, why) => format!("{attr} is invalid: {why}"),
            E::Ambiguous(items) => format!("it holds {} items for the profile", items.len()),
            E::NoEntry => "it has no item for the profile".to_string(),
            _ => "unknown error".to_string(),
        };
        fail(
            Kind::Input,
            format!("cannot {doing} the key of profile {profile} in {DESCRIPTION}: {why}: unlock it and allow awscred access, or use `--store file`"),
        )
    }

    pub fn set(_: &Env, profile: &str, key: &StoredKey) -> Result<()> {
        let text = zeroize::Zeroizing::new(serde_json::to_string(key)?);
        entry(profile)?
            .set_password(&text)
            .map_err(|e| explain(e, profile, "store"))
    }

    pub fn get(_: &Env, profile: &str) -> Result<Option<StoredKey>> {
        let text = match entry(profile)?.get_password() {
            Ok(t) => zeroize::Zeroizing::new(t),
            Err(keyring::Error::NoEntry) => return Ok(None),
            Err(e) => return Err(explain(e, profile, "read")),
        };
        parse(profile, text.as_bytes()).map(Some)
    }

    pub fn delete(_: &Env, profile: &str) -> Result<()> {
        match entry(profile)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(explain(e, profile, "delete")),
        }
    }
}

/// Stores `key` as `profile`'s item, replacing one there.
pub fn set(env: &Env, profile: &str, key: &StoredKey) -> Result<()> {
    imp::set(env, profile, key)
}

/// The profile's key, `None` when the store has no item for it.
pub fn get(env: &Env, profile: &str) -> Result<Option<StoredKey>> {
    imp::get(env, profile).map_err(|e| context(e, profile))
}

/// Deletes the profile's item; no item is not an error.
pub fn delete(env: &Env, profile: &str) -> Result<()> {
    imp::delete(env, profile)
}

/// Reading names the profile (the resolution error the user sees first).
fn context(e: anyhow::Error, profile: &str) -> anyhow::Error {
    match e.downcast_ref::<crate::error::Fail>() {
        Some(f) if !f.message.contains(profile) => fail(
            f.kind,
            format!("cannot read the key of profile {profile}: {}", f.message),
        ),
        _ => e,
    }
}
