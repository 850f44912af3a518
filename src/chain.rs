//! Profiles whose base credentials awscred does not make with its own STS
//! calls: `credential_process` (run here, bounded: [`run_process`]), IAM
//! Identity Center (`crate::sso`), and what the AWS SDK's own providers
//! answer (web identity, `aws login`'s `login_session`, the instance or
//! container role of `credential_source`). Only this path loads aws-config;
//! the MFA and cache-hit paths never do.
//!
//! Only the profile at the end of the `source_profile` chain is resolved
//! that way; awscred checks what comes back and assumes the roles above it
//! with its own STS client. Left to the SDK, the next AssumeRole would be
//! signed with unchecked credentials, and a control byte in a key id panics
//! the SDK's signer. What comes back is cached like awscred's own sessions
//! ([`cache_key`]), under the same single flight.

use crate::cache::{Cache, Key, RoleKey};
use crate::credentials::{Issued, Timestamp};
use crate::env::Env;
use crate::error::{fail, kind_of, Kind};
use crate::process::{Job, Limits};
use crate::profile::{self, Files, Role, Source};
use crate::sts::{IdentityRequest, RoleRequest, SdkSts, Sts};
use anyhow::Result;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_credential_types::provider::ProvideCredentials;
use std::time::{Duration, UNIX_EPOCH};

pub struct Request<'a> {
    pub files: &'a Files,
    pub env: &'a Env,
    pub profile: &'a str,
    pub region: &'a str,
    /// The profile uses IAM Identity Center (sso_session / sso_start_url).
    pub sso: bool,
    pub timeout: Duration,
    /// Whether an SSO profile without a usable token may start a login.
    pub login: crate::sso::Login,
}

/// The profiles whose `credential_process` awscred is resolving, outermost
/// first, one per line (a profile name cannot hold a newline). The AWS CLI
/// carries `_AWS_CLI_PROFILE_CHAIN` for the same reason: a `credential_process`
/// that runs awscred for a profile already on the way would spawn without end.
pub use crate::env::AWSCRED_PROFILE_CHAIN as PROFILE_CHAIN_VAR;

/// Nested `credential_process` profiles allowed before awscred stops.
pub const MAX_CHAIN_DEPTH: usize = 8;

const LOOP: &str = "credential_process loop: ";
const TOO_DEEP: &str = "credential_process chain deeper than ";

pub fn profile_credentials(req: &Request) -> Result<Issued> {
    let (base, roles) = plan(req.files, req.profile)?;
    // Before any lock: a nested awscred for a profile on the way would wait
    // for the lock its parent holds.
    let chain = extend_chain(req.env.awscred_profile_chain(), req.profile)?;
    let Some(key) = cache_key(req, base, &roles)? else {
        return resolve(req, base, &roles, chain);
    };
    // One run at a time gets them; the others wait and take its entry.
    let cache = Cache::open(req.env)?;
    let now = Timestamp::now();
    if let Some(c) = cache.load(&key, now) {
        return Ok(c.into());
    }
    // An SSO profile's holder may be logging in (a browser, a device code).
    let wait = if own_sso(req.files, base) {
        crate::sso::LOGIN_LOCK_WAIT
    } else {
        crate::cache::LOCK_WAIT
    };
    let lock = match cache.lock_waiting(&key, wait) {
        Ok(l) => Some(l),
        Err(e) if kind_of(&e) == Kind::Input => return Err(e),
        Err(e) => {
            crate::error::warn(&format!("{e:#}; the credentials will not be cached"));
            None
        }
    };
    if lock.is_some() {
        if let Some(c) = cache.load(&key, Timestamp::now()) {
            return Ok(c.into());
        }
    }
    let got = resolve(req, base, &roles, chain)?;
    if let (Some(_), Some(c)) = (&lock, got.session()) {
        if let Err(e) = cache.store(&key, &c, Timestamp::now()) {
            crate::error::warn(&format!("{e:#}; the credentials were not cached"));
        }
    }
    Ok(got)
}

/// The cache key of what `credential_process`, web identity or an instance's
/// or container's role gives `base` (and the roles above it): `None` for what
/// the SDK refreshes itself (`aws login`). The command line is hashed:
/// it may carry a seed or token.
fn cache_key(req: &Request, base: &str, roles: &[Role]) -> Result<Option<Key>> {
    let env = req.env;
    let mut h = crate::cache::Fnv64::default();
    let mut mix = |label: &str, value: Option<&str>| {
        h.write(label.as_bytes());
        h.write(&[0]);
        h.write(value.unwrap_or("\u{0}unset").as_bytes());
        h.write(&[0]);
    };
    // Everything the answer depends on, hashed: values may be secrets.
    let kind = if let Some(command) = own_process(req.files, base) {
        // A command that runs another command inside its line may print
        // anything each time: never cached.
        if command.value.contains('`') || command.value.contains("$(") {
            return Ok(None);
        }
        mix("command", Some(command.value));
        for name in named_variables(command.value) {
            mix(name, env.named_in_command(name));
        }
        "credential_process"
    } else if let Some(file) = req.files.get(base, "web_identity_token_file") {
        mix("token file", Some(file.value));
        mix("role", req.files.get(base, "role_arn").map(|r| r.value));
        mix(
            "name",
            req.files.get(base, "role_session_name").map(|r| r.value),
        );
        "web_identity"
    } else if let (true, Some(account), Some(role)) = (
        own_sso(req.files, base),
        req.files.get(base, "sso_account_id"),
        req.files.get(base, "sso_role_name"),
    ) {
        // Not hashed: `sso logout` finds the entries of a start URL by it.
        let session = crate::sso::Session::for_profile(req.files, req.env, base)?;
        return key_for(
            req,
            roles,
            crate::sso::cache_source(&session, account.value, role.value),
        );
    } else if let Some(named) = named_source(req.files, base) {
        match named {
            Named::Instance => {
                mix("endpoint", env.aws_ec2_metadata_service_endpoint());
                "credential_source Ec2InstanceMetadata"
            }
            Named::Container => {
                mix("full", env.aws_container_credentials_full_uri());
                mix("relative", env.aws_container_credentials_relative_uri());
                mix("token", env.aws_container_authorization_token());
                mix("token file", env.aws_container_authorization_token_file());
                "credential_source EcsContainer"
            }
        }
    } else {
        return Ok(None);
    };
    key_for(req, roles, format!("{kind} {:016x}", h.0))
}

/// The cache key of the roles above a base that `source` names.
fn key_for(req: &Request, roles: &[Role], source: String) -> Result<Option<Key>> {
    let endpoint_url = profile::endpoint_url(req.files, req.env, req.profile)?;
    Ok(Some(Key {
        profile: req.profile.to_string(),
        base_access_key_id: String::new(),
        mfa_serial: None,
        sts: crate::sts::answering(endpoint_url.as_deref(), req.region),
        roles: roles
            .iter()
            .map(|r| RoleKey {
                arn: r.arn.clone(),
                session_name: r.session_name.clone(),
                external_id: r.external_id.clone(),
                duration_seconds: None,
                options: r.options.clone(),
            })
            .collect(),
        source: Some(source),
    }))
}

/// The variables a command line names: `$NAME`, `${NAME}` and `%NAME%`.
fn named_variables(line: &str) -> Vec<&str> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut names = Vec::new();
    for (i, c) in line.char_indices() {
        let rest = &line[i + c.len_utf8()..];
        let name = match c {
            '$' => rest.strip_prefix('{').unwrap_or(rest),
            '%' => rest,
            _ => continue,
        };
        let end = name.find(|c: char| !word(c)).unwrap_or(name.len());
        if end > 0 && !name.starts_with(|c: char| c.is_ascii_digit()) {
            names.push(&name[..end]);
        }
    }
    names
}

/// The credentials of `base`, then the roles above it assumed with them.
fn resolve(req: &Request, base: &str, roles: &[Role], chain: String) -> Result<Issued> {
    let resolved = match own_process(req.files, base) {
        Some(command) => run_process(req, base, command.value, chain),
        None if own_sso(req.files, base) => {
            crate::sso::role_credentials(req.files, req.env, base, req.login, req.timeout)
        }
        None => resolve_base(req, base),
    };
    let mut creds = resolved?;
    creds
        .validate()
        .map_err(|why| unusable(req.files, base, &why))?;
    if roles.is_empty() {
        return Ok(creds);
    }
    let endpoint_url = profile::endpoint_url(req.files, req.env, req.profile)?;
    let sts = SdkSts::new(req.timeout);
    let mut origin = format!("the credentials of profile {base}");
    for role in roles {
        let got = sts.assume_role(&RoleRequest {
            signer: IdentityRequest {
                credentials: &creds,
                region: req.region,
                endpoint_url: endpoint_url.as_deref(),
            },
            origin: &origin,
            role_arn: &role.arn,
            session_name: &role.session_name,
            external_id: role.external_id.as_deref(),
            serial_number: None,
            token_code: None,
            // STS's default hour, as the SDK asked for: `duration_seconds`
            // over an hour is refused when the signer is itself temporary.
            duration_seconds: None,
            options: &role.options,
        })?;
        origin = format!("role {}", role.arn);
        creds = got.into();
    }
    Ok(creds)
}

/// The profile the SDK resolves (the end of the `source_profile` chain) and
/// the roles above it, innermost first, read as the SDK reads them: a profile
/// with `role_arn` (but no `web_identity_token_file`) is a role on its
/// `source_profile`.
fn plan<'f>(files: &'f Files, profile: &'f str) -> Result<(&'f str, Vec<Role>)> {
    let mut roles = Vec::new();
    let mut end = profile;
    for hop in files.sources(profile) {
        let hop = hop?;
        let current = hop.profile;
        end = current;
        let arn = match files.get(current, "role_arn") {
            // A source with keys is the SDK's to resolve, as it is.
            Some(arn)
                if files.get(current, "web_identity_token_file").is_none()
                    && !matches!(hop.source, Source::Keys) =>
            {
                arn
            }
            _ => break,
        };
        roles.push(profile::role(files, current, &arn)?);
        match hop.source {
            Source::Other(_) | Source::Keys => {}
            // The instance's or container's role signs this one.
            Source::None if named_source(files, current).is_some() => break,
            Source::None => {
                return Err(fail(
                    Kind::Input,
                    format!("{}: profile `{current}` has role_arn but no source_profile: add `source_profile = NAME`", arn.origin),
                ));
            }
            // Like the AWS CLI: only a profile holding keys may be its own source.
            Source::Itself(source) => {
                return Err(fail(
                    Kind::Input,
                    format!("{}: profile `{current}` names itself as source_profile but holds no keys: point it at the profile with the SSO, credential_process or web identity settings", source.origin),
                ));
            }
        }
    }
    files.check_sso_role(end)?;
    roles.reverse();
    Ok((end, roles))
}

/// The marker for a child of this run: `chain` (the parent's, if any) with
/// `profile` added, or the error when `profile` is already on it (a loop) or
/// the chain is [`MAX_CHAIN_DEPTH`] long.
fn extend_chain(chain: Option<&str>, profile: &str) -> Result<String> {
    let names: Vec<&str> = chain
        .unwrap_or("")
        .split('\n')
        .filter(|n| !n.is_empty())
        .collect();
    if let Some(start) = names.iter().position(|n| *n == profile) {
        let mut path = names[start..].to_vec();
        path.push(profile);
        return Err(fail(
            Kind::Input,
            format!(
                "{LOOP}{}: a profile's credential_process runs awscred for a profile already on the way: point one of them at a profile with its own credentials",
                path.join(" → ")
            ),
        ));
    }
    if names.len() >= MAX_CHAIN_DEPTH {
        return Err(fail(
            Kind::Input,
            format!(
                "{TOO_DEEP}{MAX_CHAIN_DEPTH} profiles ({} → {profile}): let a profile nearer the start get its credentials directly",
                names.join(" → ")
            ),
        ));
    }
    let mut names = names;
    names.push(profile);
    Ok(names.join("\n"))
}

/// An IAM Identity Center profile awscred resolves itself (`sso/`): its own
/// token file, refreshed under a lock, and role credentials cached like every
/// other. `credential_source` comes first in the SDK's order.
fn own_sso(files: &Files, profile: &str) -> bool {
    files.get(profile, "credential_source").is_none()
        && files.get(profile, "web_identity_token_file").is_none()
        && (files.get(profile, "sso_session").is_some()
            || files.get(profile, "sso_start_url").is_some())
}

/// How long a `credential_process` may run by default: long enough for one
/// that asks for a code or a touch (a nested awscred, aws-vault), short
/// enough that a hung one does not hold an IDE or `terraform` for ever.
const PROCESS_TIMEOUT: u64 = 120;
/// The most a `credential_process` may print: a session token is a few KiB.
const PROCESS_MAX_OUTPUT: usize = 64 * 1024;

/// The `credential_process` of `profile` when it is what the SDK would run
/// for it: nothing before it in the SDK's order (web identity, SSO, `aws
/// login`). awscred runs it itself, bounded (see [`run_process`]).
fn own_process(files: &Files, profile: &str) -> Option<profile::Setting<'static>> {
    let earlier = [
        "credential_source",
        "web_identity_token_file",
        "sso_session",
        "sso_start_url",
        "sso_account_id",
        "sso_role_name",
        "sso_region",
        "login_session",
    ];
    if earlier.iter().any(|k| files.get(profile, k).is_some()) {
        return None;
    }
    files.get(profile, "credential_process")
}

/// Runs `profile`'s `credential_process` as the SDKs do (through the shell,
/// its stdout one JSON document) but bounded: a timeout, an output cap, its
/// own process group killed with everything it started, its arguments never
/// in a message. `chain` is the loop marker its own awscred reads.
fn run_process(req: &Request, profile: &str, command: &str, chain: String) -> Result<Issued> {
    let job = Job {
        setting: "credential_process",
        command,
        vars: vec![(PROFILE_CHAIN_VAR, chain)],
        capture_stderr: true,
        limits: Limits {
            timeout: req.env.seconds(
                crate::env::AWSCRED_CREDENTIAL_PROCESS_TIMEOUT,
                PROCESS_TIMEOUT,
            )?,
            max_output: PROCESS_MAX_OUTPUT,
        },
        timeout_var: crate::env::AWSCRED_CREDENTIAL_PROCESS_TIMEOUT,
        prints: "one JSON document with the credentials",
        kind: Kind::Input,
        cancel: None,
    };
    let name = format!("the {} of profile {profile}", job.name());
    let out = job.run()?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr);
        // A nested awscred stopped a loop: its line says which profiles and
        // what to do, however deep it was.
        if let Some(at) = said.rfind(LOOP).or_else(|| said.rfind(TOO_DEEP)) {
            let line = said[at..].lines().next().unwrap_or_default();
            return Err(fail(Kind::Input, crate::error::one_line(line)));
        }
        let last = said.lines().rev().find(|l| !l.trim().is_empty());
        let detail = match last {
            Some(l) => format!(
                "; its last line: {}",
                crate::error::one_line(&l.chars().take(300).collect::<String>())
            ),
            None => String::new(),
        };
        return Err(fail(
            Kind::Input,
            format!("{name} {}{detail}", crate::process::why_failed(out.status)),
        ));
    }
    let got = parse_process_output(&out.stdout).map_err(|why| {
        fail(
            Kind::Input,
            format!("{name} printed {why}: fix the command it runs"),
        )
    })?;
    // Credentials already expired would fail every call they sign.
    if let Some(e) = got.expiration.filter(|e| *e <= Timestamp::now()) {
        return Err(fail(
            Kind::Input,
            format!("{name} printed credentials that expired at {e}: renew them where it gets them, or fix the command"),
        ));
    }
    Ok(got)
}

/// The `credential_process` answer, read as the SDKs read it: one JSON
/// object, keys in any case, `Version` 1, `AccessKeyId` and
/// `SecretAccessKey`, and `SessionToken` and `Expiration` (RFC 3339) when
/// the credentials are temporary. What is wrong is said without a value.
fn parse_process_output(bytes: &[u8]) -> std::result::Result<Issued, String> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|_| "no valid JSON".to_string())?;
    let serde_json::Value::Object(map) = value else {
        return Err("JSON that is not an object".into());
    };
    let field = |name: &str| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    // Keys are read in any case: one written twice would be a guess.
    for name in [
        "Version",
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    ] {
        if map.keys().filter(|k| k.eq_ignore_ascii_case(name)).count() > 1 {
            return Err(format!("{name} twice, in different cases"));
        }
    }
    let text = |name: &'static str| -> std::result::Result<Option<&str>, String> {
        match field(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(format!("a {name} that is not a string")),
        }
    };
    match field("Version").and_then(serde_json::Value::as_i64) {
        Some(1) => {}
        Some(_) => return Err("an unknown Version (awscred reads Version 1)".into()),
        None => return Err("no Version (it must be 1)".into()),
    }
    let access_key_id = text("AccessKeyId")?.ok_or("no AccessKeyId")?;
    let secret_access_key = text("SecretAccessKey")?.ok_or("no SecretAccessKey")?;
    let expiration = match text("Expiration")? {
        Some(t) => {
            Some(Timestamp::parse_rfc3339(t).ok_or("an Expiration that is not an RFC 3339 time")?)
        }
        None => None,
    };
    Ok(Issued {
        access_key_id: access_key_id.to_string(),
        secret_access_key: secret_access_key.into(),
        session_token: text("SessionToken")?.map(Into::into),
        expiration,
    })
}

/// The SDK's credentials for `profile`, which is not a role on another profile.
fn resolve_base(req: &Request, profile: &str) -> Result<Issued> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            fail(
                Kind::Internal,
                format!("cannot start the async runtime: {e}"),
            )
        })?;
    let got = rt.block_on(load(req, profile));
    drop(rt);
    got
}

async fn load(req: &Request<'_>, profile: &str) -> Result<Issued> {
    use aws_config::timeout::TimeoutConfig;
    let mut config = ProviderConfig::empty()
        .with_http_client(crate::sts::https_client())
        .with_region(Some(aws_config::Region::new(req.region.to_string())))
        .with_timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(req.timeout)
                .build(),
        );
    if let Some(sleep) = aws_smithy_async::rt::sleep::default_async_sleep() {
        config = config.with_sleep_impl(sleep);
    }
    let got = match named_source(req.files, profile) {
        Some(Named::Instance) => {
            aws_config::imds::credentials::ImdsCredentialsProvider::builder()
                .configure(&config)
                .build()
                .provide_credentials()
                .await
        }
        Some(Named::Container) => {
            aws_config::ecs::EcsCredentialsProvider::builder()
                .configure(&config)
                .build()
                .provide_credentials()
                .await
        }
        None => {
            ProfileFileCredentialsProvider::builder()
                .profile_name(profile)
                .configure(&config)
                .build()
                .provide_credentials()
                .await
        }
    };
    let c = got.map_err(|e| match named_source(req.files, profile) {
        Some(named) => named.failed(&e, profile),
        None => explain(&e, req, profile),
    })?;
    let expiration = c
        .expiry()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| Timestamp(d.as_secs() as i64));
    Ok(Issued {
        access_key_id: c.access_key_id().to_string(),
        secret_access_key: c.secret_access_key().into(),
        session_token: c.session_token().map(Into::into),
        expiration,
    })
}

/// A `credential_source` the SDK's own providers answer: the EC2 instance
/// role (IMDSv2 only: the SDK's client never falls back to v1) or the ECS /
/// EKS container endpoint (`AWS_CONTAINER_CREDENTIALS_FULL_URI` or
/// `_RELATIVE_URI`, with the authorization token or its file). Only a profile
/// naming one ever reaches either: no other path probes IMDS.
#[derive(Clone, Copy)]
enum Named {
    Instance,
    Container,
}

fn named_source(files: &Files, profile: &str) -> Option<Named> {
    match files.get(profile, "credential_source")?.value {
        "Ec2InstanceMetadata" => Some(Named::Instance),
        "EcsContainer" => Some(Named::Container),
        _ => None,
    }
}

impl Named {
    fn failed(
        self,
        err: &aws_credential_types::provider::error::CredentialsError,
        profile: &str,
    ) -> anyhow::Error {
        let detail: String = crate::error::one_line(&causes(err).join(": "))
            .chars()
            .take(300)
            .collect();
        let (what, fix) = match self {
            Named::Instance => ("the EC2 instance metadata service (IMDSv2)", "run it on EC2 with an instance role, or give the profile another source where it runs elsewhere"),
            Named::Container => ("the container credentials endpoint", "run it in an ECS task or EKS pod with a role, or check AWS_CONTAINER_CREDENTIALS_FULL_URI / _RELATIVE_URI and the authorization token"),
        };
        fail(
            Kind::Network,
            format!("profile {profile}: no credentials from {what} ({detail}): {fix}"),
        )
    }
}

/// The texts of `err` and its sources, each once (the SDK repeats them).
fn causes(err: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut text: Vec<String> = Vec::new();
    let mut e = Some(err);
    while let Some(cur) = e {
        let s = cur.to_string();
        if !text.contains(&s) {
            text.push(s);
        }
        e = cur.source();
    }
    text
}

/// Credentials from the SDK that fail [`Issued::validate`]: a local program's
/// output is the user's configuration to fix (exit 3); a server's answer is
/// an unusable response, as from STS (exit 6).
fn unusable(files: &Files, base: &str, why: &str) -> anyhow::Error {
    if files.get(base, "credential_process").is_some() {
        fail(
            Kind::Input,
            format!("the credential_process of profile {base} printed unusable credentials ({why}): fix the command it runs"),
        )
    } else if files.uses_sso(base) {
        fail(
            Kind::Network,
            format!("the SSO portal answered for profile {base} with unusable credentials ({why}): retry; if it persists, check sso_region and the endpoint"),
        )
    } else if files.get(base, "login_session").is_some() {
        // From the login cache, or from the sign-in service that refreshed it.
        fail(
            Kind::Network,
            format!("the AWS login of profile {base} gave unusable credentials ({why}): run `aws login --profile {base}`; if it persists, check the sign-in endpoint"),
        )
    } else {
        fail(
            Kind::Network,
            format!("STS answered the web identity call of profile {base} with unusable credentials ({why}): retry; if it persists, check the endpoint"),
        )
    }
}

fn explain(
    err: &aws_credential_types::provider::error::CredentialsError,
    req: &Request,
    base: &str,
) -> anyhow::Error {
    if crate::sts::is_too_large(err) {
        return fail(
            Kind::Network,
            format!(
                "the AWS endpoint for profile {} sent a response over {} MiB, far more than any real answer: check the endpoint settings (AWS_ENDPOINT_URL_*, sso_region)",
                req.profile,
                crate::sts::MAX_BODY >> 20
            ),
        );
    }
    let text = causes(err);
    let all: String = text
        .join(": ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    // A nested awscred stopped a loop: its line (the end of its stderr, which
    // the SDK quotes) says which profiles and what to do, however deep it was.
    if let Some(at) = all.rfind(LOOP).or_else(|| all.rfind(TOO_DEEP)) {
        return fail(Kind::Input, all[at..].trim_end().to_string());
    }
    let detail: String = all.chars().take(300).collect();
    // The SDK's own words for a call that failed on the way (its `SdkError`
    // and an operation error without a code, an unreadable answer), whatever
    // the operation: generic, so not a type to downcast to.
    let network = [
        "dispatch failure",
        "request has timed out",
        "response error",
        "unhandled error",
    ];
    if req.files.get(base, "credential_process").is_none()
        && text.iter().any(|t| network.contains(&t.as_str()))
    {
        return fail(
            Kind::Network,
            format!(
                "cannot get credentials for profile {} ({detail}): check the network and the endpoint settings, then retry",
                req.profile
            ),
        );
    }
    let lower = detail.to_lowercase();
    if req.sso && (lower.contains("token") || lower.contains("expired") || lower.contains("cache"))
    {
        return fail(
            Kind::NoSession,
            format!(
                "no valid SSO login for profile {} ({detail}): run `awscred sso login --profile {}`",
                req.profile, req.profile
            ),
        );
    }
    // `aws login` (the SDK tries SSO first, so not both): a missing, unreadable
    // or expired login cache, or a refresh the sign-in service refused, needs a
    // new login; its other failures (5xx, throttling) a retry.
    if !req.sso && req.files.get(base, "login_session").is_some() {
        let refused = all.contains("AccessDeniedException");
        if all.contains("failed to refresh cached Login token") && !refused {
            return fail(
                Kind::Network,
                format!(
                    "cannot refresh the AWS login of profile {} ({detail}): retry; if it persists, run `aws login --profile {base}`",
                    req.profile
                ),
            );
        }
        return fail(
            Kind::NoSession,
            format!(
                "no valid AWS login for profile {} ({detail}): run `aws login --profile {base}`",
                req.profile
            ),
        );
    }
    fail(
        Kind::Input,
        format!(
            "cannot get credentials for profile {}: {detail}",
            req.profile
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::kind_of;
    use crate::profile::File;

    fn files(config: &str) -> Files {
        let f = |p: &str, t: &str| File::parse(p.into(), t.to_string()).unwrap();
        Files::new(f("/h/.aws/config", config), f("/h/.aws/credentials", ""))
    }

    #[test]
    fn the_sdk_resolves_the_end_of_the_chain_and_awscred_the_roles_above_it() {
        let f = files("[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = R\n[profile r1]\nrole_arn = arn:aws:iam::111111111111:role/one\nsource_profile = sso\nexternal_id = ext-1\n[profile r2]\nrole_arn = arn:aws:iam::222222222222:role/two\nsource_profile = r1\nrole_session_name = me\n[profile web]\nrole_arn = arn:aws:iam::333333333333:role/web\nweb_identity_token_file = /t\n[profile on-web]\nrole_arn = arn:aws:iam::444444444444:role/x\nsource_profile = web\n");
        let (base, roles) = plan(&f, "r2").unwrap();
        assert_eq!(base, "sso");
        let hop = |arn: &str, name: &str, ext: Option<&str>| Role {
            profile: if arn.ends_with("one") { "r1" } else { "r2" }.into(),
            arn: arn.into(),
            session_name: name.into(),
            external_id: ext.map(Into::into),
            duration_seconds: None,
            options: Default::default(),
        };
        assert_eq!(
            roles,
            [
                hop(
                    "arn:aws:iam::111111111111:role/one",
                    "awscred-r1",
                    Some("ext-1")
                ),
                hop("arn:aws:iam::222222222222:role/two", "me", None),
            ]
        );
        assert_eq!(plan(&f, "sso").unwrap(), ("sso", vec![]));
        assert_eq!(plan(&f, "web").unwrap(), ("web", vec![]));
        let (base, roles) = plan(&f, "on-web").unwrap();
        assert_eq!((base, roles.len()), ("web", 1));
    }

    /// `aws login` writes `login_session`; before aws-config's
    /// `credentials-login` feature such a profile fell through to awscred's
    /// own "no keys" error.
    #[test]
    fn an_aws_login_profile_and_roles_on_it_go_to_the_sdk() {
        let f = files("[profile console]\nlogin_session = arn:aws:iam::111111111111:user/me\nregion = eu-west-1\n[profile on-console]\nrole_arn = arn:aws:iam::222222222222:role/r\nsource_profile = console\n");
        assert!(f.uses_sdk_chain("console") && f.uses_sdk_chain("on-console"));
        assert!(!f.uses_sso("console"));
        assert_eq!(plan(&f, "console").unwrap(), ("console", vec![]));
        let (base, roles) = plan(&f, "on-console").unwrap();
        assert_eq!((base, roles.len()), ("console", 1));
    }

    #[test]
    fn a_self_reference_a_loop_or_a_missing_source_is_refused() {
        let f = files("[profile me]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = me\ncredential_process = x\n[profile a]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = a\n[profile lone]\nrole_arn = arn:aws:iam::111111111111:role/r\n[profile bad]\nrole_arn = not-an-arn\nsource_profile = me\n");
        for (profile, text) in [
            ("me", "names itself as source_profile but holds no keys"),
            ("a", "source_profile loop: a → b → a"),
            ("lone", "has role_arn but no source_profile"),
            ("bad", "not a role ARN"),
        ] {
            let e = plan(&f, profile).unwrap_err();
            assert_eq!(kind_of(&e), Kind::Input, "{profile}");
            assert!(e.to_string().contains(text), "{profile}: {e}");
        }
    }

    #[test]
    fn the_chain_marker_grows_and_stops_loops_and_depth() {
        assert_eq!(extend_chain(None, "a").unwrap(), "a");
        assert_eq!(extend_chain(Some("a"), "b").unwrap(), "a\nb");
        assert_eq!(extend_chain(Some(""), "a b,c").unwrap(), "a b,c");
        let e = extend_chain(Some("x\na\nb"), "a").unwrap_err();
        assert_eq!(kind_of(&e), Kind::Input);
        assert!(
            e.to_string()
                .starts_with("credential_process loop: a → b → a: "),
            "{e}"
        );
        let e = extend_chain(Some("a"), "a").unwrap_err();
        assert!(e
            .to_string()
            .starts_with("credential_process loop: a → a: "));
        let eight: Vec<String> = (1..=8).map(|i| format!("p{i}")).collect();
        assert!(extend_chain(Some(&eight[..7].join("\n")), "p8").is_ok());
        let e = extend_chain(Some(&eight.join("\n")), "p9").unwrap_err();
        assert_eq!(kind_of(&e), Kind::Input);
        assert!(
            e.to_string()
                .starts_with("credential_process chain deeper than 8 profiles (p1 → p2"),
            "{e}"
        );
    }

    #[test]
    fn a_process_answer_naming_a_field_twice_in_other_cases_is_refused() {
        let twice = br#"{"Version":1,"AccessKeyId":"ASIAPROC000000000001","accesskeyid":"ASIAPROC000000000002","SecretAccessKey":"s"}"#;
        assert_eq!(
            parse_process_output(twice).unwrap_err(),
            "AccessKeyId twice, in different cases"
        );
        let once = br#"{"version":1,"accesskeyid":"ASIAPROC000000000001","secretaccesskey":"s"}"#;
        assert_eq!(
            parse_process_output(once).unwrap().access_key_id,
            "ASIAPROC000000000001"
        );
    }

    #[test]
    fn variables_a_command_line_names() {
        assert_eq!(
            named_variables("tool $A ${B_1} %C% $1 $ {x} 100%"),
            ["A", "B_1", "C"]
        );
    }
}
