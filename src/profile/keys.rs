//! The long-term keys STS calls are signed with: from the environment (only
//! long-term ones) or a profile, never temporary credentials.

use super::{Env, Files, Setting};
use crate::credentials::{is_temporary_key_id, Issued, LongTermKeys, Timestamp, EXPIRATION_KEYS};
use crate::error::{fail, Kind};
use crate::keystore::KeySecret;
use crate::validate;
use anyhow::Result;

/// Where [`base_keys`] looks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum KeysFrom {
    /// Long-term keys in the environment, else the profile's.
    EnvironmentFirst,
    /// The profile's only.
    Profile,
}

/// The keys in the environment, as awscred may use them.
enum EnvKeys {
    None,
    /// A session (a token, or an `ASIA…` id): never used to sign.
    Temporary,
    LongTerm(LongTermKeys),
}

/// The one rule for keys in the environment: long-term only without a
/// session token and without a temporary key id.
fn env_keys(env: &Env) -> Result<EnvKeys> {
    let (Some(id), Some(secret)) = (env.aws_access_key_id(), env.aws_secret_access_key()) else {
        return Ok(EnvKeys::None);
    };
    if env.aws_session_token().is_some() || is_temporary_key_id(id) {
        return Ok(EnvKeys::Temporary);
    }
    validate::long_term_keys(id, secret, "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY")?;
    Ok(EnvKeys::LongTerm(LongTermKeys {
        access_key_id: id.to_string(),
        secret_access_key: secret.into(),
        origin: "the environment (AWS_ACCESS_KEY_ID)".into(),
    }))
}

/// `credential_source = Environment`: long-term keys from the environment.
pub(super) fn credential_source_keys(env: &Env) -> Result<LongTermKeys> {
    match env_keys(env)? {
        EnvKeys::LongTerm(keys) => Ok(keys),
        _ => Err(fail(
            Kind::Input,
            "credential_source = Environment needs long-term AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment (no session token)",
        )),
    }
}

/// The long-term keys STS calls are signed with. Temporary credentials are never
/// used: a shell that ran `eval "$(awscred mfa)"` has session keys in its
/// environment, and signing GetSessionToken with them fails.
pub(super) fn base_keys(
    files: &Files,
    env: &Env,
    profile: &str,
    from: KeysFrom,
) -> Result<LongTermKeys> {
    let mut ignored_env = false;
    if from == KeysFrom::EnvironmentFirst {
        match env_keys(env)? {
            EnvKeys::LongTerm(keys) => return Ok(keys),
            EnvKeys::Temporary => ignored_env = true,
            EnvKeys::None => {}
        }
    }
    let hint = if ignored_env {
        " (the AWS_* keys in the environment are temporary and were ignored)"
    } else {
        ""
    };
    // Keys moved to a key store (`awscred keys add`): the index says which
    // key; the secret is read only when something is signed with it.
    let stored = || -> Result<Option<LongTermKeys>> {
        let Some(entry) = crate::keystore::lookup(env, profile)? else {
            return Ok(None);
        };
        let origin = format!("profile {profile} ({})", entry.store.describe(env));
        Ok(Some(LongTermKeys {
            access_key_id: entry.access_key_id.clone(),
            secret_access_key: KeySecret::stored(env, profile, entry),
            origin,
        }))
    };
    if !files.has_profile(profile) {
        if let Some(keys) = stored()? {
            return Ok(keys);
        }
        if let Some(there) = files.misplaced(profile) {
            return Err(fail(
                Kind::Input,
                format!("no credentials: profile `{profile}` is not read: {there}"),
            ));
        }
        return Err(fail(
            Kind::Input,
            format!(
                "no credentials: profile `{profile}` is not in {} or {}{hint}: run `aws configure` or pass --profile",
                files.config.path.display(),
                files.credentials.path.display()
            ),
        ));
    }
    let id = files.get(profile, "aws_access_key_id");
    let secret = files.get(profile, "aws_secret_access_key");
    let half = |have: &Setting, set: &str, missing: &str| {
        fail(
            Kind::Input,
            format!(
                "{}: profile `{profile}` sets {set} but not {missing}{hint}: add {missing} to that section, or run `aws configure --profile {profile}`",
                have.origin
            ),
        )
    };
    let (id, secret) = match (id, secret) {
        (Some(id), Some(secret)) => (id, secret),
        // Half a pair: the half that is there (file and line) and the missing one.
        (Some(have), None) => {
            return Err(half(&have, "aws_access_key_id", "aws_secret_access_key"))
        }
        (None, Some(have)) => {
            return Err(half(&have, "aws_secret_access_key", "aws_access_key_id"))
        }
        (None, None) => {
            if let Some(keys) = stored()? {
                return Ok(keys);
            }
            return Err(fail(
                Kind::Input,
                format!(
                    "profile `{profile}` has no long-term keys{hint}: add aws_access_key_id and aws_secret_access_key to its section in {}",
                    files.credentials.path.display()
                ),
            ));
        }
    };
    let token = |k: &str| files.get(profile, k).is_some();
    if token("aws_session_token") || token("aws_security_token") || is_temporary_key_id(id.value) {
        return Err(fail(
            Kind::Input,
            format!(
                "profile `{profile}` holds temporary credentials ({}){hint}: awscred needs the IAM user's long-term access key there",
                id.origin
            ),
        ));
    }
    validate::long_term_keys(id.value, secret.value, &id.origin)?;
    Ok(LongTermKeys {
        access_key_id: id.value.to_string(),
        secret_access_key: secret.value.into(),
        origin: format!("profile {profile} ({})", id.origin),
    })
}

/// A session kept in a profile's own keys (key, secret and token, as
/// `--write-profile`, aws-mfa or a hand edit leave it): handed out as it is,
/// never used to sign.
#[derive(Debug)]
pub struct StoredSession {
    pub credentials: Issued,
    pub expiration: Recorded,
}

/// What the profile says about when a stored session ends.
#[derive(Debug, PartialEq, Eq)]
pub enum Recorded {
    /// No expiration key.
    Nothing,
    At(Timestamp),
    /// A key awscred cannot read as a time, at this origin (file:line).
    Unreadable(String),
}

/// The stored session of `profile`, if it holds one and its own keys are
/// what the profile resolves to (not a role profile; without `--profile`,
/// long-term keys in the environment come first, as in [`super::resolve`]).
pub(super) fn stored_session(
    files: &Files,
    env: &Env,
    profile: &str,
    named: bool,
) -> Result<Option<StoredSession>> {
    if files.get(profile, "role_arn").is_some() {
        return Ok(None);
    }
    if !named && matches!(env_keys(env)?, EnvKeys::LongTerm(_)) {
        return Ok(None);
    }
    let token = files
        .get(profile, "aws_session_token")
        .or_else(|| files.get(profile, "aws_security_token"));
    let (Some(id), Some(secret), Some(token)) = (
        files.get(profile, "aws_access_key_id"),
        files.get(profile, "aws_secret_access_key"),
        token,
    ) else {
        return Ok(None);
    };
    let expiration = match EXPIRATION_KEYS.iter().find_map(|k| files.get(profile, k)) {
        None => Recorded::Nothing,
        Some(s) => match Timestamp::parse_recorded(s.value) {
            Some((t, _)) if t.is_representable() => Recorded::At(t),
            _ => Recorded::Unreadable(s.origin),
        },
    };
    let credentials = Issued {
        access_key_id: id.value.to_string(),
        secret_access_key: secret.value.into(),
        session_token: Some(token.value.into()),
        expiration: match expiration {
            Recorded::At(t) => Some(t),
            _ => None,
        },
    };
    credentials.validate().map_err(|why| {
        fail(
            Kind::Input,
            format!(
                "profile `{profile}` holds a session ({}) that cannot be used: {why}: write it again, e.g. with `awscred mfa --write-profile {profile} --profile <the profile with your keys>`",
                id.origin
            ),
        )
    })?;
    Ok(Some(StoredSession {
        credentials,
        expiration,
    }))
}
