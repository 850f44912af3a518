//! Role profiles: the chain of `role_arn` / `source_profile` from a profile
//! down to the one with long-term keys.

use super::{parse_seconds, Files, Role, Setting, Source};
use crate::error::{fail, Kind};
use crate::sts::RoleOptions;
use crate::validate;
use anyhow::Result;

/// Where a role chain's long-term keys come from.
#[derive(Debug, Clone, Copy)]
pub(super) enum Base<'a> {
    Profile(&'a str),
    /// `credential_source = Environment`.
    Environment,
}

/// Follows `role_arn` / `source_profile` from `profile` to the profile with
/// long-term keys. Returns the roles innermost first (the one assumed first).
pub(super) fn role_chain<'a>(files: &'a Files, profile: &'a str) -> Result<(Vec<Role>, Base<'a>)> {
    let mut roles = Vec::new();
    let mut base = Base::Profile(profile);
    for hop in files.sources(profile) {
        let hop = hop?;
        let current = hop.profile;
        base = Base::Profile(current);
        let arn = match (&hop.source, files.get(current, "role_arn")) {
            // A source with keys signs the role above it, as it is.
            (Source::Keys, _) | (_, None) => break,
            (_, Some(arn)) => arn,
        };
        roles.push(role(files, current, &arn)?);
        match (hop.source, files.get(current, "credential_source")) {
            // A profile may hold keys and name itself as its source.
            (Source::Itself(_), None) => break,
            (Source::Other(s), None) => {
                if !files.has_profile(s.value) {
                    let fix = files.misplaced(s.value).unwrap_or_else(|| "add it or fix the name".into());
                    return Err(fail(Kind::Input, format!("{}: source_profile `{}` does not exist: {fix}", s.origin, s.value)));
                }
            }
            // (`Keys` ended the walk above.)
            (Source::None | Source::Keys, Some(c)) if c.value == "Environment" => {
                base = Base::Environment;
                break;
            }
            (Source::None | Source::Keys, Some(c)) => {
                return Err(fail(
                    Kind::Input,
                    format!(
                        "{}: credential_source = {} is not one awscred knows (Environment, Ec2InstanceMetadata, EcsContainer): fix it, or use source_profile",
                        c.origin, c.value
                    ),
                ))
            }
            (Source::Itself(s) | Source::Other(s), Some(_)) => {
                return Err(fail(Kind::Input, format!("{}: profile `{current}` sets both source_profile and credential_source: keep one", s.origin)))
            }
            (Source::None | Source::Keys, None) => {
                return Err(fail(Kind::Input, format!("{}: profile `{current}` has role_arn but no source_profile: add `source_profile = NAME`", arn.origin)))
            }
        }
    }
    roles.reverse();
    Ok((roles, base))
}

/// The role of `profile` (whose `role_arn` is `arn`) with every AssumeRole
/// parameter its settings give, each validated, errors naming file and line.
pub fn role(files: &Files, profile: &str, arn: &Setting) -> Result<Role> {
    let duration_seconds = match files.get(profile, "duration_seconds") {
        Some(s) => Some(validate::role_duration(parse_seconds(&s)?, &s.origin)?),
        None => None,
    };
    let session_name = match files.get(profile, "role_session_name") {
        Some(s) => validate::session_name(s.value, &s.origin)?.to_string(),
        None => default_session_name(profile),
    };
    let external_id = match files.get(profile, "external_id") {
        Some(s) => Some(validate::external_id(s.value, &s.origin)?.to_string()),
        None => None,
    };
    Ok(Role {
        profile: profile.to_string(),
        arn: validate::role_arn(arn.value, &arn.origin)?.to_string(),
        session_name,
        external_id,
        duration_seconds,
        options: options(files, profile)?,
    })
}

/// aws-vault's keys: `session_tags = k=v,…`, `transitive_session_tags = k,…`,
/// `source_identity`, and `policy_arns = arn,…` (comma-separated lists).
fn options(files: &Files, profile: &str) -> Result<RoleOptions> {
    let list = |v: &'static str| -> Vec<&'static str> {
        v.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .collect()
    };
    let tags = match files.get(profile, "session_tags") {
        Some(s) => validate::session_tags(&list(s.value), &s.origin)?,
        None => Vec::new(),
    };
    let transitive_tag_keys = match files.get(profile, "transitive_session_tags") {
        Some(s) => validate::transitive_tags(&list(s.value), &tags, &s.origin)?,
        None => Vec::new(),
    };
    let source_identity = match files.get(profile, "source_identity") {
        Some(s) => Some(validate::source_identity(s.value, &s.origin)?.to_string()),
        None => None,
    };
    let policy_arns = match files.get(profile, "policy_arns") {
        Some(s) => validate::policy_arns(&list(s.value), &s.origin)?,
        None => Vec::new(),
    };
    Ok(RoleOptions {
        tags,
        transitive_tag_keys,
        source_identity,
        policy_arns,
        policy: None,
    })
}

/// `awscred-PROFILE`, within STS's `[\w+=,.@-]{2,64}`.
pub fn default_session_name(profile: &str) -> String {
    let clean: String = profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("awscred-{clean}").chars().take(64).collect()
}
