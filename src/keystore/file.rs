//! The encrypted-file key store, for machines without an OS credential store
//! (headless Linux, WSL, CI): `keys.age` in the keys directory, an age file
//! ([`super::age`]) encrypted with a passphrase (scrypt; `age -d` opens it),
//! written through [`fsafe`] (0600 in a
//! 0700 directory of the user's own, exclusive temp file, atomic rename, under
//! the keys lock).
//!
//! The passphrase comes from `AWSCRED_KEYS_PASSPHRASE` (for unattended use;
//! weaker: any process of the user can read a variable) or the terminal.
//!
//! [`fsafe`]: crate::fsafe

use super::{StoredKey, MAX_FILE};
use crate::env::{Env, AWSCRED_KEYS_PASSPHRASE};
use crate::error::{fail, Kind};
use crate::fsafe::{Dir, Found};
use crate::secret::Secret;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

pub const NAME: &str = "keys.age";
/// scrypt's cost when writing: 2^16 rounds, 64 MiB, a fraction of a second.
const WORK_FACTOR: u8 = 16;
/// The most a file may ask for when read: 2^20 (1 GiB of memory, a few
/// seconds), above the 2^18 that age and rage write by default and what
/// rage's "one second" target reaches on a fast machine, below the 2^22 that
/// would take 4 GiB: a planted file cannot make awscred spin for minutes or
/// take the machine's memory.
const MAX_WORK_FACTOR: u8 = 20;

#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Contents {
    version: u32,
    keys: BTreeMap<String, StoredKey>,
}

/// The passphrase once it has opened (or created) the file: asked once per run.
static KNOWN: std::sync::OnceLock<Secret> = std::sync::OnceLock::new();

fn passphrase(env: &Env, new_file: bool) -> Result<Secret> {
    if let Some(p) = env.awscred_keys_passphrase() {
        return Ok(p.into());
    }
    if let Some(p) = KNOWN.get() {
        return Ok(p.clone());
    }
    let no_terminal = || {
        fail(
            Kind::Input,
            format!(
                "the encrypted key file needs its passphrase and there is no terminal to ask on: set {AWSCRED_KEYS_PASSPHRASE} (weaker: see the README), or run in a terminal"
            ),
        )
    };
    if !crate::prompt::has_terminal() {
        return Err(no_terminal());
    }
    let first = crate::prompt::hidden("awscred: passphrase of the encrypted key file: ")?;
    if first.expose().is_empty() {
        return Err(fail(Kind::Input, "the passphrase is empty: type one"));
    }
    if new_file {
        let again = crate::prompt::hidden("awscred: the same passphrase again: ")?;
        if again != first {
            return Err(fail(
                Kind::Input,
                "the two passphrases differ: nothing was stored; run the command again",
            ));
        }
    }
    Ok(first)
}

fn damaged(dir: &Dir, why: &str) -> anyhow::Error {
    fail(
        Kind::Input,
        format!(
            "the encrypted key file {} {why}: restore it from a backup, or move it away and store your keys again with `awscred keys add --store file`",
            dir.path().join(NAME).display()
        ),
    )
}

fn decrypt(dir: &Dir, bytes: &[u8], pass: &Secret) -> Result<Contents> {
    use super::age::Error as E;
    let plain = super::age::decrypt(bytes, pass.expose().as_bytes(), MAX_WORK_FACTOR).map_err(|e| match e {
        E::WrongPassphrase => fail(
            Kind::Input,
            format!(
                "cannot decrypt the encrypted key file {}: wrong passphrase (check {AWSCRED_KEYS_PASSPHRASE} or what you typed), or the file is damaged",
                dir.path().join(NAME).display()
            ),
        ),
        E::TooMuchWork => damaged(
            dir,
            "asks for more scrypt work than awscred accepts (2^20): write it again with a smaller work factor",
        ),
        E::Damaged(why) => damaged(dir, why),
        E::Internal(why) => anyhow::anyhow!("cannot decrypt the key file: {why}"),
    })?;
    if plain.len() as u64 > MAX_FILE {
        return Err(damaged(dir, "is too large"));
    }
    let contents: Contents =
        serde_json::from_slice(&plain).map_err(|_| damaged(dir, "does not hold awscred keys"))?;
    if contents.version != 1 {
        return Err(damaged(dir, "has an unknown version"));
    }
    for (profile, key) in &contents.keys {
        key.check(&format!(
            "the key of profile {profile} in the encrypted key file"
        ))?;
    }
    Ok(contents)
}

fn encrypt(contents: &Contents, pass: &Secret) -> Result<Vec<u8>> {
    let plain = Zeroizing::new(serde_json::to_vec(contents)?);
    super::age::encrypt(&plain, pass.expose().as_bytes(), WORK_FACTOR)
        .map_err(|e| anyhow::anyhow!("cannot encrypt the key file: {e:?}"))
}

/// The file's contents and its passphrase (asked once); empty for no file.
fn open(env: &Env, dir: &Dir, new_ok: bool) -> Result<Option<(Contents, Secret)>> {
    match dir.read(NAME, MAX_FILE)? {
        Found::Missing if new_ok => {
            let pass = passphrase(env, true)?;
            if env.awscred_keys_passphrase().is_none() {
                let _ = KNOWN.set(pass.clone());
            }
            Ok(Some((
                Contents {
                    version: 1,
                    keys: BTreeMap::new(),
                },
                pass,
            )))
        }
        Found::Missing => Ok(None),
        Found::Refused(why) => Err(damaged(dir, &format!("cannot be used: {why}"))),
        Found::File(bytes) => {
            let pass = passphrase(env, false)?;
            let contents = decrypt(dir, &bytes, &pass)?;
            if env.awscred_keys_passphrase().is_none() {
                let _ = KNOWN.set(pass.clone());
            }
            Ok(Some((contents, pass)))
        }
    }
}

/// The profile's key, `None` when the file or the profile is not there.
pub fn get(env: &Env, dir: &Dir, profile: &str) -> Result<Option<StoredKey>> {
    Ok(open(env, dir, false)?.and_then(|(mut c, _)| c.keys.remove(profile)))
}

/// Adds or replaces the profile's key (the caller holds the keys lock).
pub fn set(env: &Env, dir: &Dir, profile: &str, key: &StoredKey) -> Result<()> {
    let (mut contents, pass) = open(env, dir, true)?
        .ok_or_else(|| anyhow::anyhow!("internal error: no key file contents"))?;
    contents.keys.insert(profile.to_string(), key.clone());
    dir.write_atomic(NAME, &encrypt(&contents, &pass)?, 0o600)
}

/// Removes the profile's key (the caller holds the keys lock).
pub fn delete(env: &Env, dir: &Dir, profile: &str) -> Result<()> {
    let Some((mut contents, pass)) = open(env, dir, false)? else {
        return Ok(());
    };
    if contents.keys.remove(profile).is_some() {
        dir.write_atomic(NAME, &encrypt(&contents, &pass)?, 0o600)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystore::{lock, Store};

    fn env(dir: &std::path::Path, pass: &str) -> Env {
        Env::from_pairs([
            ("AWSCRED_KEYS_DIR", dir.join("keys").to_str().unwrap()),
            ("AWSCRED_KEYS_PASSPHRASE", pass),
        ])
    }

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";

    fn key(id: &str) -> StoredKey {
        StoredKey {
            access_key_id: id.into(),
            secret_access_key: SECRET.into(),
        }
    }

    #[test]
    fn round_trip_private_file_and_ciphertext_only() {
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path(), "pass phrase 1");
        let locked = lock(&env).unwrap();
        set(&env, &locked.dir, "work", &key("AKIAWORK000000000001")).unwrap();
        set(&env, &locked.dir, "lab", &key("AKIALAB0000000000001")).unwrap();
        delete(&env, &locked.dir, "lab").unwrap();
        let got = get(&env, &locked.dir, "work").unwrap().unwrap();
        assert_eq!(got, key("AKIAWORK000000000001"));
        assert!(get(&env, &locked.dir, "lab").unwrap().is_none());
        let path = tmp.path().join("keys").join(NAME);
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.starts_with(b"age-encryption.org/v1"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("EXAMPLEKEY") && !text.contains("AKIAWORK"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode =
                |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(&tmp.path().join("keys")), 0o700);
        }
        assert_eq!(Store::File.name(), "file");
    }

    #[test]
    fn wrong_passphrase_and_damage_are_clear_errors_without_secrets() {
        let tmp = tempfile::tempdir().unwrap();
        let env_ok = env(tmp.path(), "right passphrase");
        let locked = lock(&env_ok).unwrap();
        set(&env_ok, &locked.dir, "work", &key("AKIAWORK000000000001")).unwrap();
        let e = get(&env(tmp.path(), "wrong passphrase"), &locked.dir, "work")
            .unwrap_err()
            .to_string();
        assert!(e.contains("wrong passphrase"), "{e}");
        let path = tmp.path().join("keys").join(NAME);
        let good = std::fs::read(&path).unwrap();
        // The payload flipped: authentication fails.
        let mut bad = good.clone();
        let last = bad.len() - 5;
        bad[last] ^= 0x55;
        std::fs::write(&path, &bad).unwrap();
        let e = get(&env_ok, &locked.dir, "work").unwrap_err().to_string();
        assert!(
            e.contains("damaged") && !e.contains("wrong passphrase"),
            "{e}"
        );
        // Not an age file at all.
        std::fs::write(&path, b"[default]\naws_access_key_id = x\n").unwrap();
        let e = get(&env_ok, &locked.dir, "work").unwrap_err().to_string();
        assert!(e.contains("is not an age passphrase file"), "{e}");
        // Truncated header.
        std::fs::write(&path, &good[..30]).unwrap();
        assert!(get(&env_ok, &locked.dir, "work").is_err());
        assert!(!e.contains("EXAMPLEKEY"));
    }

    /// A file written by another age implementation with a stronger work
    /// factor than awscred's own (rage's one-second target reaches 2^19 on a
    /// fast machine) is read; one asking for more than 2^20 is refused
    /// before any scrypt work.
    #[test]
    fn stronger_work_factors_of_other_implementations_are_read_up_to_2_20() {
        use std::io::Write as _;
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path(), "right passphrase");
        let locked = lock(&env).unwrap();
        set(&env, &locked.dir, "work", &key("AKIAWORK000000000001")).unwrap();
        let path = tmp.path().join("keys").join(NAME);
        let plain =
            super::super::age::decrypt(&std::fs::read(&path).unwrap(), b"right passphrase", 16)
                .unwrap();
        let written_by_age = |log_n: u8| {
            let mut r = age::scrypt::Recipient::new(age::secrecy::SecretString::from(
                "right passphrase".to_string(),
            ));
            r.set_work_factor(log_n);
            let mut out = Vec::new();
            let mut w = age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient))
                .unwrap()
                .wrap_output(&mut out)
                .unwrap();
            w.write_all(&plain).unwrap();
            w.finish().unwrap();
            out
        };
        std::fs::write(&path, written_by_age(19)).unwrap();
        let got = get(&env, &locked.dir, "work").unwrap().unwrap();
        assert_eq!(got.access_key_id, "AKIAWORK000000000001");
        // 2^21 is refused from the header alone: a hand-made header will do.
        let ours = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        let text = ours.replacen(" 19\n", " 21\n", 1);
        std::fs::write(&path, text.as_bytes()).unwrap();
        let started = std::time::Instant::now();
        let e = get(&env, &locked.dir, "work").unwrap_err().to_string();
        assert!(
            e.contains("more scrypt work than awscred accepts (2^20)"),
            "{e}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }
}
