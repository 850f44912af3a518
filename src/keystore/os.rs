//! The OS credential store through the `keyring` crate: the Secret Service
//! over D-Bus on Linux (GNOME Keyring, KWallet, KeePassXC), the Keychain on
//! macOS, the Credential Manager on Windows.
//!
//! One item per profile: service `awscred`, account the profile name, the
//! secret a small JSON document with the key id and the secret key, so an item
//! can be checked against the index. The item is read only right before
//! something is signed with it (see [`super::KeySecret`]), so a locked store
//! prompts at most once per run, and never on a session-cache hit.

use super::StoredKey;
use crate::error::{fail, Kind};
use anyhow::Result;

pub const DESCRIPTION: &str = "the OS credential store";
const SERVICE: &str = "awscred";
/// A stored item is a few hundred bytes; larger is not ours.
const MAX_ITEM: usize = 8 * 1024;

fn entry(profile: &str) -> Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, profile).map_err(|e| explain(e, profile, "open"))
}

/// What went wrong, in one line, without the item's contents (a
/// `BadEncoding` error carries the stored bytes: never shown).
fn explain(err: keyring::Error, profile: &str, doing: &str) -> anyhow::Error {
    use keyring::Error as E;
    let why = match &err {
        E::NoStorageAccess(e) => format!("it is locked or refused access ({})", one(e.as_ref())),
        E::PlatformFailure(e) => format!("it failed ({})", one(e.as_ref())),
        E::BadEncoding(_) => "its item is not text".to_string(),
        E::TooLong(attr, max) => format!("{attr} is longer than {max}"),
        E::Invalid(attr, why) => format!("{attr} is invalid: {why}"),
        E::Ambiguous(items) => format!("it holds {} items for the profile", items.len()),
        E::NoEntry => "it has no item for the profile".to_string(),
        _ => "unknown error".to_string(),
    };
    let hint = if cfg!(target_os = "linux") {
        "start or unlock your keyring (a Secret Service such as gnome-keyring on the D-Bus session bus), or use `--store file`"
    } else {
        "unlock it and allow awscred access, or use `--store file`"
    };
    fail(
        Kind::Input,
        format!("cannot {doing} the key of profile {profile} in {DESCRIPTION}: {why}: {hint}"),
    )
}

fn one(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s: String = e.to_string().chars().filter(|c| !c.is_control()).collect();
    s.truncate(200);
    s
}

pub fn set(profile: &str, key: &StoredKey) -> Result<()> {
    let text = zeroize::Zeroizing::new(serde_json::to_string(key)?);
    entry(profile)?
        .set_password(&text)
        .map_err(|e| explain(e, profile, "store"))
}

/// The profile's key, `None` when the store has no item for it.
pub fn get(profile: &str) -> Result<Option<StoredKey>> {
    let text = match entry(profile)?.get_password() {
        Ok(t) => zeroize::Zeroizing::new(t),
        Err(keyring::Error::NoEntry) => return Ok(None),
        Err(e) => return Err(explain(e, profile, "read")),
    };
    if text.len() > MAX_ITEM {
        return Err(corrupt(profile));
    }
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|_| corrupt(profile))
}

fn corrupt(profile: &str) -> anyhow::Error {
    fail(
        Kind::Input,
        format!(
            "the item of profile {profile} (service {SERVICE}) in {DESCRIPTION} is not an awscred key: run `awscred keys rm --profile {profile}`, then `awscred keys add --profile {profile}`"
        ),
    )
}

/// Deletes the profile's item; no item is not an error.
pub fn delete(profile: &str) -> Result<()> {
    match entry(profile)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(explain(e, profile, "delete")),
    }
}
