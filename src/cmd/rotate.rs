//! `rotate`: a new access key for the profile's IAM user, stored where the
//! old one is, proven, then the old one deleted. The order keeps a working
//! key stored after any failure, and every failure says what IAM and the
//! files hold:
//!
//! 1. who the key belongs to (STS GetCallerIdentity with the old key: no MFA
//!    needed), and the MFA session that signs the IAM calls (cached, or a code);
//! 2. IAM ListAccessKeys: a user with two keys already is told to delete one;
//! 3. IAM CreateAccessKey; the new key replaces the old one in its place
//!    (the credentials file's section, or the key store), atomically;
//! 4. proof: GetCallerIdentity signed with the new key, retried with backoff
//!    for up to `AWSCRED_ROTATE_WAIT` seconds (new keys take a few seconds);
//!    on failure the old key is put back and the new one deleted;
//! 5. IAM DeleteAccessKey of the old key, signed with the MFA session.

use crate::cli::RotateArgs;
use crate::cmd;
use crate::credentials::Issued;
use crate::credfile::keys::{edit, Edit};
use crate::env::Env;
use crate::error::{fail, kind_of, report, Kind};
use crate::iam::{self, Endpoint, Iam};
use crate::keystore::{self, Locked, Store, StoredKey};
use crate::profile::{self, tilde, Files, Resolved};
use crate::session::Reuse;
use crate::sts::{IdentityRequest, SdkSts, Sts};
use anyhow::Result;
use std::time::{Duration, Instant};

/// Where the profile's key is kept.
#[derive(Clone, Copy)]
enum Place {
    CredentialsFile,
    Store(Store),
}

pub fn run(args: &RotateArgs, env: &Env) -> Result<String> {
    let (files, res) = cmd::resolve(env, args.profile.profile.as_deref(), None)?;
    let profile = res.profile.clone();
    if !res.roles.is_empty() {
        return Err(fail(
            Kind::Input,
            format!(
                "profile {profile} assumes a role: rotate the key of its source instead: `awscred rotate --profile {}`",
                res.base_profile
            ),
        ));
    }
    let path = Files::credentials_path(env);
    let place = match res.keys.secret_access_key.store() {
        Some(store) => Place::Store(store),
        None => match files.in_credentials(&profile, "aws_access_key_id") {
            Some(id) if id.value == res.keys.access_key_id => Place::CredentialsFile,
            _ => {
                return Err(fail(
                    Kind::Input,
                    format!(
                        "the key of profile {profile} comes from {}, which awscred does not manage: rotate a key kept in {} or a key store (name the profile with --profile)",
                        res.keys.origin,
                        tilde(&path, env)
                    ),
                ))
            }
        },
    };
    let shown = match place {
        Place::CredentialsFile => format!("[{profile}] in {}", tilde(&path, env)),
        Place::Store(s) => s.describe(env),
    };
    // Other profiles with the same key stop working once it is deleted in
    // IAM: say so before anything changes, so the user can stop here.
    let sharing: Vec<String> = files
        .profile_names()
        .into_iter()
        .filter(|p| *p != profile)
        .filter(|p| {
            files
                .get(p, "aws_access_key_id")
                .is_some_and(|id| id.value == res.keys.access_key_id)
        })
        .collect();
    if !sharing.is_empty() {
        report(&format!(
            "warning: profile{} {} also hold{} key {}: {} stop working once rotate deletes it in IAM; afterwards give {} the new key, or `source_profile = {profile}`",
            if sharing.len() == 1 { "" } else { "s" },
            sharing.join(", "),
            if sharing.len() == 1 { "s" } else { "" },
            res.keys.access_key_id,
            if sharing.len() == 1 { "it will" } else { "they will" },
            if sharing.len() == 1 { "it" } else { "them" },
        ));
    }
    // Every setting is read and checked before anything is written anywhere:
    // a typo found halfway would leave two keys in IAM.
    let wait = env.seconds(crate::env::AWSCRED_ROTATE_WAIT, 30)?;
    let timeout = env.timeout()?;
    let endpoint = profile::iam_endpoint_url(&files, env, &profile)?;
    let cache = match place {
        Place::CredentialsFile => Some(cmd::cache(env)?),
        Place::Store(_) => None,
    };
    // One rotation (and no `keys add`) at a time.
    let locked = keystore::lock(env)?;
    let sts = cmd::sts(env)?;
    let old = res.keys.issued()?;
    let old_id = old.access_key_id.clone();
    let arn = sts.get_caller_identity(&identity(&res, &old))?;
    let user = iam::user_name(&arn).ok_or_else(|| {
        fail(
            Kind::Input,
            format!("the key of profile {profile} belongs to {arn}, not to an IAM user: only an IAM user's access keys can be rotated"),
        )
    })?;
    // IAM takes GetSessionToken credentials only with MFA: without a device, the key itself signs.
    let signer: Issued = match res.mfa_serial {
        Some(_) => {
            let hint = cmd::code_hint(&cmd::command_for(
                env,
                "rotate --token-code 123456",
                &profile,
            ));
            cmd::obtain(env, &res, Reuse::Cached, args.token_code.as_deref(), hint)?.into()
        }
        None => old.clone(),
    };
    let iam = Iam::new(
        Endpoint::new(endpoint.as_deref(), &res.region),
        timeout,
        &profile,
    )?;
    let delete_cmd =
        |id: &str| format!("aws iam delete-access-key --user-name {user} --access-key-id {id}");

    let keys = iam.list_access_keys(&signer, user)?;
    if keys.len() >= 2 {
        let other = keys
            .iter()
            .find(|k| k.id != old_id)
            .map_or("OTHER", |k| k.id.as_str());
        let listed: Vec<String> = keys
            .iter()
            .map(|k| format!("{} ({})", k.id, k.status))
            .collect();
        return Err(fail(
            Kind::Input,
            format!(
                "IAM user {user} already has two access keys, the most IAM allows: {}; profile {profile} uses {old_id}: delete the other one if nothing uses it (`{}`), then retry; nothing was changed",
                listed.join(", "),
                delete_cmd(other)
            ),
        ));
    }
    if !keys.iter().any(|k| k.id == old_id) {
        return Err(fail(
            Kind::Input,
            format!("IAM does not list key {old_id} of profile {profile} for user {user}: nothing was changed"),
        ));
    }

    let new = iam.create_access_key(&signer, user)?;
    let new_id = new.access_key_id.clone();
    if new_id == old_id {
        // Deleting "the new key" would delete the only one.
        return Err(fail(
            Kind::Network,
            format!("IAM answered CreateAccessKey with the id of the old key {old_id}: nothing was stored or deleted; check the IAM endpoint, and list the user's keys with `aws iam list-access-keys --user-name {user}`"),
        ));
    }
    let old_key = StoredKey {
        access_key_id: old_id.clone(),
        secret_access_key: old.secret_access_key.clone(),
    };
    let put = |key: &StoredKey, expect: &str| -> Result<()> {
        match place {
            Place::CredentialsFile => {
                let cache = cache
                    .as_ref()
                    .ok_or_else(|| anyhow::anyhow!("internal error: no cache for the lock"))?;
                edit(
                    &path,
                    cache.ensure_dir()?,
                    &profile,
                    expect,
                    &Edit::Replace(key),
                )
            }
            Place::Store(store) => put_in_store(env, &locked, store, &profile, key),
        }
    };

    // What a run would sign with now, read again: before any key is deleted
    // in IAM, the key that stays must be the one stored.
    let stored = || stored_id(env, &locked, place, &profile);
    if let Err(e) = injected(env, "store").and_then(|()| put(&new, &old_id)) {
        let kind = kind_of(&e);
        let now = stored();
        if now.as_deref() == Some(new_id.as_str()) {
            // The write reported an error but is in place: go on with it.
            report(&format!(
                "storing the new key in {shown} reported an error ({e:#}), but it holds the new key {new_id}: going on"
            ));
        } else if now.as_deref() != Some(old_id.as_str()) {
            return Err(fail(
                kind,
                format!(
                    "could not store the new key in {shown} ({e:#}), and it may hold the new key {new_id} now: IAM keeps both keys ({old_id} and {new_id}) and nothing was deleted; see which one it holds with `awscred keys ls`, then delete the other with `{}`",
                    delete_cmd("OTHER")
                ),
            ));
        } else {
            return Err(match iam.delete_access_key(&signer, user, &new_id) {
                Ok(()) => fail(
                    kind,
                    format!("could not store the new key in {shown} ({e:#}); it was deleted in IAM again: nothing changed, the old key {old_id} is still stored and active"),
                ),
                Err(d) => fail(
                    kind,
                    format!(
                        "could not store the new key in {shown} ({e:#}), nor delete it in IAM ({d:#}): the old key {old_id} is still stored and works; IAM also has the new key {new_id}, unused: delete it with `{}`",
                        delete_cmd(&new_id)
                    ),
                ),
            });
        }
    }

    let new_issued = Issued {
        access_key_id: new_id.clone(),
        secret_access_key: new.secret_access_key.clone(),
        session_token: None,
        expiration: None,
    };
    if let Err(why) = prove(env, &sts, &res, &new_issued, &arn, wait) {
        let kind = kind_of(&why);
        let waited = wait.as_secs();
        let back = put(&old_key, &new_id);
        let now = stored();
        if now.as_deref() == Some(old_id.as_str()) {
            if let Err(r) = &back {
                report(&format!("putting the old key back in {shown} reported an error ({r:#}), but it holds the old key {old_id}"));
            }
            return Err(match iam.delete_access_key(&signer, user, &new_id) {
                Ok(()) => fail(
                    kind,
                    format!("the new key {new_id} did not work within {waited} s ({why:#}): the old key {old_id} is stored again in {shown} and still active, and the new key was deleted in IAM: nothing changed; retry later"),
                ),
                Err(d) => fail(
                    kind,
                    format!(
                        "the new key {new_id} did not work within {waited} s ({why:#}): the old key {old_id} is stored again in {shown} and still active; deleting the new key failed ({d:#}): delete it with `{}`",
                        delete_cmd(&new_id)
                    ),
                ),
            });
        }
        let r = back
            .err()
            .map_or_else(|| "it does not read back".to_string(), |r| format!("{r:#}"));
        return Err(fail(
            kind,
            format!(
                "the new key {new_id} did not work within {waited} s ({why:#}) and the old key could not be put back ({r}): {shown} holds the new key {new_id}; IAM has both keys and the old one {old_id} still works; once `aws sts get-caller-identity --profile {profile}` works, delete the old key with `{}`",
                delete_cmd(&old_id)
            ),
        ));
    }

    if stored().as_deref() != Some(new_id.as_str()) {
        return Err(fail(
            Kind::Internal,
            format!(
                "the new key {new_id} works, but {shown} does not read back as holding it: IAM keeps both keys and nothing was deleted; check with `awscred keys ls` or the credentials file, then delete the key it does not hold with `{}`",
                delete_cmd("OTHER")
            ),
        ));
    }
    // A crash could still bring the old file back until its directory is
    // synced: the old key is deleted only once the new one is durable.
    let durable = match place {
        Place::CredentialsFile => crate::fsafe::sync_dir_of(&path),
        Place::Store(Store::File) => keystore::dir(env)
            .and_then(|d| crate::fsafe::sync_dir_of(&d.join(keystore::file::NAME))),
        Place::Store(Store::Os) => Ok(()),
    };
    if let Err(e) = durable {
        return Err(fail(
            Kind::Internal,
            format!(
                "the new key {new_id} works and is stored in {shown}, but the write cannot be made durable ({e:#}): IAM keeps both keys, so a crash cannot lose the one stored; once the disk is fine (`sync` succeeds), delete the old key with `{}`",
                delete_cmd(&old_id)
            ),
        ));
    }
    if let Err(e) =
        injected(env, "delete").and_then(|()| iam.delete_access_key(&signer, user, &old_id))
    {
        return Err(fail(
            kind_of(&e),
            format!(
                "the new key {new_id} works and is stored in {shown}, but deleting the old key {old_id} in IAM failed ({e:#}): IAM still has both keys; delete the old one with `{}`",
                delete_cmd(&old_id)
            ),
        ));
    }
    report(&format!(
        "rotated the key of profile {profile}: the new key {new_id} is stored in {shown}; the old key {old_id} is deleted in IAM"
    ));
    Ok(String::new())
}

fn identity<'a>(res: &'a Resolved, credentials: &'a Issued) -> IdentityRequest<'a> {
    IdentityRequest {
        credentials,
        region: &res.region,
        endpoint_url: res.endpoint_url.as_deref(),
    }
}

/// The key id a run would sign with for `profile` from `place`, read again
/// from disk (and the store): `None` when it cannot be read or the index and
/// the store disagree, so nothing is deleted on a guess.
fn stored_id(env: &Env, locked: &Locked, place: Place, profile: &str) -> Option<String> {
    match place {
        Place::CredentialsFile => Files::load(env)
            .ok()?
            .in_credentials(profile, "aws_access_key_id")
            .map(|s| s.value.to_string()),
        Place::Store(store) => {
            let entry = keystore::lookup(env, profile).ok()??;
            let key = keystore::peek(env, locked, store, profile).ok()??;
            (entry.store == store && entry.access_key_id == key.access_key_id)
                .then_some(key.access_key_id)
        }
    }
}

fn put_in_store(
    env: &Env,
    locked: &Locked,
    store: Store,
    profile: &str,
    key: &StoredKey,
) -> Result<()> {
    keystore::put(env, locked, store, profile, key)
}

/// The new key works: STS GetCallerIdentity with it names the same user.
/// A new IAM key takes a few seconds to work everywhere: retried with
/// backoff (0.5 s doubling to 5 s) until `wait` is up.
fn prove(
    env: &Env,
    sts: &SdkSts,
    res: &Resolved,
    new: &Issued,
    arn: &str,
    wait: Duration,
) -> Result<()> {
    injected(env, "proof")?;
    let start = Instant::now();
    let mut delay = Duration::from_millis(500);
    loop {
        match sts.get_caller_identity(&identity(res, new)) {
            Ok(a) if a == arn => return Ok(()),
            Ok(a) => {
                return Err(fail(
                    Kind::StsRejected,
                    format!("STS says the new key belongs to {a}, not {arn}"),
                ))
            }
            Err(e) if start.elapsed() + delay < wait => {
                let _ = e;
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            // sts.rs names the signer of GetCallerIdentity "the environment".
            Err(e) => {
                let text = format!("{e:#}").replace(" from the environment", " (the new key)");
                return Err(fail(kind_of(&e), text));
            }
        }
    }
}

/// Debug builds only: the failure `AWSCRED_DEBUG_ROTATE_FAIL` asks for at `step`.
fn injected(env: &Env, step: &str) -> Result<()> {
    #[cfg(debug_assertions)]
    if env.awscred_debug_rotate_fail() == Some(step) {
        return Err(fail(
            Kind::Network,
            format!("{step} failed on purpose (AWSCRED_DEBUG_ROTATE_FAIL)"),
        ));
    }
    let _ = (env, step);
    Ok(())
}
