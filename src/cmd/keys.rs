//! `keys add|ls|rm|export`: long-term keys into a key store and out of the
//! credentials file, and back (see `keystore`). stdout stays empty except for `ls`.

use crate::cli::{KeysAddArgs, KeysArgs, KeysCommand, KeysExportArgs, KeysRmArgs};
use crate::cmd;
use crate::credentials::is_temporary_key_id;
use crate::credfile::keys::{edit, Edit};
use crate::env::Env;
use crate::error::{fail, report, Kind};
use crate::keystore::{self, Store, StoredKey};
use crate::profile::{profile_name, tilde, Files, Options};
use crate::secret::Secret;
use anyhow::Result;

pub fn run(args: &KeysArgs, env: &Env) -> Result<String> {
    match &args.command {
        KeysCommand::Add(a) => add(a, env),
        KeysCommand::Ls => ls(env),
        KeysCommand::Rm(a) => rm(a, env),
        KeysCommand::Export(a) => export(a, env),
    }
}

fn chosen_profile<'a>(profile: Option<&'a str>, env: &'a Env) -> Result<&'a str> {
    let opts = Options {
        profile,
        ..Options::default()
    };
    Ok(profile_name(&opts, env)?.0)
}

/// Where `keys add` takes the keys from.
enum Source {
    /// The profile's section of the credentials file: the key lines leave it.
    File,
    Typed,
}

fn add(args: &KeysAddArgs, env: &Env) -> Result<String> {
    let profile = chosen_profile(args.profile.profile.as_deref(), env)?;
    let store = Store::choose(args.store, env)?;
    let files = Files::load(env)?;
    let path = Files::credentials_path(env);
    let shown = tilde(&path, env);
    let setting = |k: &str| files.in_credentials(profile, k);
    let (key, source) = match (setting("aws_access_key_id"), setting("aws_secret_access_key")) {
        (Some(id), Some(secret)) => {
            let token = setting("aws_session_token").or_else(|| setting("aws_security_token"));
            if token.is_some() || is_temporary_key_id(id.value) {
                return Err(fail(
                    Kind::Input,
                    format!("section [{profile}] in {shown} holds a session, not long-term keys: only an IAM user's access key can be stored"),
                ));
            }
            let key = StoredKey {
                access_key_id: id.value.to_string(),
                secret_access_key: secret.value.into(),
            };
            key.check(&id.origin)?;
            (key, Source::File)
        }
        (None, None) => {
            if files.get(profile, "aws_access_key_id").is_some() {
                return Err(fail(
                    Kind::Input,
                    format!("profile {profile} has its keys in {}: move them to [{profile}] in {shown} first", tilde(&Files::config_path(env), env)),
                ));
            }
            let key = typed(profile)?;
            key.check("the typed key")?;
            (key, Source::Typed)
        }
        _ => {
            return Err(fail(
                Kind::Input,
                format!("section [{profile}] in {shown} has only one of aws_access_key_id and aws_secret_access_key: fix it, then retry"),
            ))
        }
    };
    let locked = keystore::lock(env)?;
    keystore::put(env, &locked, store, profile, &key)?;
    let place = store.describe(env);
    if let Source::File = source {
        let cache = cmd::cache(env)?;
        if let Err(e) = edit(
            &path,
            cache.ensure_dir()?,
            profile,
            &key.access_key_id,
            &Edit::Remove,
        ) {
            return Err(fail(
                crate::error::kind_of(&e),
                format!("stored key {} of profile {profile} in {place}, but could not take it out of {shown} ({e:#}): remove its two key lines from [{profile}] yourself", key.access_key_id),
            ));
        }
        report(&format!(
            "moved key {} of profile {profile} from {shown} to {place}",
            key.access_key_id
        ));
    } else {
        report(&format!(
            "stored key {} of profile {profile} in {place}",
            key.access_key_id
        ));
    }
    Ok(String::new())
}

/// Keys typed on the terminal (the secret hidden), else two lines on stdin.
fn typed(profile: &str) -> Result<StoredKey> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() && crate::prompt::has_terminal() {
        let id = crate::prompt::hidden(&format!("awscred: access key id of profile {profile}: "))?;
        let secret = crate::prompt::hidden("awscred: secret access key: ")?;
        return Ok(StoredKey {
            access_key_id: id.expose().trim().to_string(),
            secret_access_key: secret.expose().trim().into(),
        });
    }
    let mut text = zeroize::Zeroizing::new(String::new());
    {
        use std::io::Read;
        std::io::stdin()
            .lock()
            .take(4096)
            .read_to_string(&mut text)
            .map_err(|_| fail(Kind::Input, "cannot read the keys from stdin (not text?)"))?;
    }
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    match (lines.next(), lines.next(), lines.next()) {
        (Some(id), Some(secret), None) => Ok(StoredKey {
            access_key_id: id.to_string(),
            secret_access_key: Secret::from(secret),
        }),
        _ => Err(fail(
            Kind::Input,
            format!("profile {profile} has no keys in the credentials file: give them on stdin as two lines (access key id, then secret access key), or run `awscred keys add --profile {profile}` in a terminal"),
        )),
    }
}

fn ls(env: &Env) -> Result<String> {
    let mut out = String::new();
    for (profile, entry) in keystore::list(env)? {
        out.push_str(&format!(
            "{profile}\t{}\t{}\n",
            entry.access_key_id,
            entry.store.name()
        ));
    }
    Ok(out)
}

/// Deletes stored keys. The store may hold the only copy of a secret, so the
/// profile is never guessed (`--profile` or `--all`), a terminal is asked
/// first, and without one `--yes` must say it.
fn rm(args: &KeysRmArgs, env: &Env) -> Result<String> {
    let stored = keystore::list(env)?;
    let chosen: Vec<(String, keystore::Entry)> = match &args.profile {
        Some(p) => stored.into_iter().filter(|(name, _)| name == p).collect(),
        None => stored,
    };
    if chosen.is_empty() {
        return Err(fail(
            Kind::Input,
            match &args.profile {
                Some(p) => format!("profile {p} has no key in a key store: see `awscred keys ls`"),
                None => "no key is in a key store: nothing to delete".to_string(),
            },
        ));
    }
    let names: Vec<&str> = chosen.iter().map(|(n, _)| n.as_str()).collect();
    let again = match &args.profile {
        Some(p) => format!("--profile {p}"),
        None => "--all".to_string(),
    };
    if !args.yes {
        let what = match chosen.as_slice() {
            [(p, e)] => format!(
                "key {} of profile {p} from {}",
                e.access_key_id,
                e.store.describe(env)
            ),
            _ => format!(
                "the stored keys of {} profiles ({})",
                names.len(),
                names.join(", ")
            ),
        };
        let first = names.first().copied().unwrap_or("PROFILE");
        if !crate::prompt::has_terminal() {
            return Err(fail(
                Kind::Usage,
                format!("keys rm would delete {what}, maybe the only copy: run `awscred keys export --profile {first}` to move it back to the credentials file, or `awscred keys rm {again} --yes` to delete it"),
            ));
        }
        let question = format!(
            "awscred: delete {what}? It may be the only copy of the secret (`awscred keys export --profile {first}` moves it back to the credentials file instead). [y/N] "
        );
        if !crate::prompt::confirm(&question)? {
            return Err(fail(Kind::Input, "nothing was deleted"));
        }
    }
    for (profile, _) in &chosen {
        if let Some(entry) = keystore::remove(env, profile)? {
            report(&format!(
                "deleted key {} of profile {profile} from {} (it is still active in IAM)",
                entry.access_key_id,
                entry.store.describe(env)
            ));
        }
    }
    Ok(String::new())
}

/// `keys add` undone: the stored key's two lines back into the profile's
/// section of the credentials file, then out of the store. The file is
/// written first, so a failure in between leaves the key in both places,
/// never in neither.
fn export(args: &KeysExportArgs, env: &Env) -> Result<String> {
    let profile = args.profile.as_deref().unwrap_or("default");
    let path = Files::credentials_path(env);
    let shown = tilde(&path, env);
    let locked = keystore::lock(env)?;
    let Some(entry) = keystore::list(env)?
        .into_iter()
        .find_map(|(name, e)| (name == profile).then_some(e))
    else {
        return Err(fail(
            Kind::Input,
            format!("profile {profile} has no key in a key store: see `awscred keys ls`"),
        ));
    };
    let key = keystore::peek(env, &locked, entry.store, profile)?
        .ok_or_else(|| {
            fail(
                Kind::Input,
                format!("the key index lists profile {profile}, but {} has no key for it: run `awscred keys rm --profile {profile} --yes` to drop the entry", entry.store.describe(env)),
            )
        })?;
    key.check(&format!("the key of profile {profile}"))?;
    let cache = cmd::cache(env)?;
    edit(
        &path,
        cache.ensure_dir()?,
        profile,
        &key.access_key_id,
        &Edit::Insert(&key),
    )?;
    drop(locked);
    let place = entry.store.describe(env);
    if let Err(e) = keystore::remove(env, profile) {
        return Err(fail(
            crate::error::kind_of(&e),
            format!("wrote key {} of profile {profile} into {shown}, but could not delete it from {place} ({e:#}): run `awscred keys rm --profile {profile} --yes`", key.access_key_id),
        ));
    }
    report(&format!(
        "moved key {} of profile {profile} from {place} to {shown}",
        key.access_key_id
    ));
    Ok(String::new())
}
