//! `awscred console`: the AWS console signed in with the profile's session.
//!
//! Credentials are what `credential-process` hands out (a code only where it
//! would ask), exchanged at the federation endpoint (`console.rs`) for a
//! login URL, which is printed (`--print`) or opened through a private page
//! (`browser.rs`), never put in argv.
//!
//! An IAM user without a role is refused: the endpoint takes no
//! GetSessionToken session, and the one session it takes for a user,
//! GetFederationToken's, must be signed with the long-term key and carries no
//! MFA. `--federation-token` asks for it anyway, with a warning.
//!
//! `SessionDuration` (how long the console session lasts; without it, as
//! long as the credentials) is sent only where AWS documents it: sessions
//! from AssumeRole (SSO's role credentials and web identity included). Not
//! for GetFederationToken sessions, whose console session lasts as long as
//! the token ("Don't use the SessionDuration HTTP parameter if you got the
//! temporary credentials with GetFederationToken"), and not for role-chained
//! ones, which AWS limits to one hour (IAM User Guide, "Enable custom identity
//! broker access to the AWS console", and "Role chaining" in "Methods to
//! assume a role").

use crate::cli::ConsoleArgs;
use crate::cmd;
use crate::console::{self, Partition, Place};
use crate::credentials::Issued;
use crate::env::Env;
use crate::error::{fail, report, Kind};
use crate::profile::{self, Files, Options, Resolved};
use crate::sts::FederationRequest;
use crate::validate;
use anyhow::Result;

/// The inline session policy of `--federation-token` without `--policy-arn`:
/// everything the user's own policies allow (a session policy only narrows).
const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// The federation token's length without `--duration` (aws-vault's `login` default).
const FEDERATION_DEFAULT_SECS: u32 = 3600;

/// What the profile's credentials are, for the endpoint.
enum What {
    /// An IAM user without a role: keys, maybe an MFA device.
    User(Box<Resolved>),
    /// One role assumed with a user's keys or MFA session, or SSO or web
    /// identity role credentials: `SessionDuration` applies.
    Role,
    /// A role assumed with another role's credentials.
    Chained(String),
    /// `credential_process`, `aws login`, a stored session: the endpoint judges.
    Other,
}

pub fn run(args: &ConsoleArgs, env: &Env) -> Result<String> {
    let files = Files::load(env)?;
    let opts = Options {
        profile: args.profile.profile.as_deref(),
        ..Options::default()
    };
    let name = profile::profile_name(&opts, env)?.0.to_string();
    let (what, arn) = what(&files, env, &opts, &name)?;
    let (partition, region) = place(&files, env, &name, args.region.as_deref(), arn.as_deref())?;
    let target = match (&args.service, &args.path) {
        (Some(s), _) => Place::Service(s),
        (None, Some(p)) => Place::Path(p),
        (None, None) => Place::Home,
    };
    let destination = console::destination(partition, &region, &target)?;
    let configured = signin_endpoint(env)?;
    let federation = console::federation_url(configured.as_deref(), partition);
    if args.federation_token && !matches!(what, What::User(_)) {
        return Err(fail(
            Kind::Usage,
            format!("--federation-token is for an IAM user without a role, and profile {name} gives role or session credentials: drop it"),
        ));
    }
    let session_duration = match &what {
        What::Chained(chain) => match args.duration {
            Some(_) => return Err(fail(
                Kind::Input,
                format!("profile {name} is a role chain ({chain}): AWS limits role-chained sessions to one hour and takes no console SessionDuration for them: drop --duration"),
            )),
            None => None,
        },
        What::User(_) => None,
        What::Role | What::Other => args
            .duration
            .map(|d| {
                (900..=43_200).contains(&d).then_some(d).ok_or_else(|| {
                    fail(Kind::Input, "--duration: a console session lasts 900 to 43200 seconds")
                })
            })
            .transpose()?,
    };

    let credentials: Issued = match what {
        What::User(res) if !args.federation_token => return Err(refusal(&res)),
        What::User(res) => federation_token(env, &res, args)?.into(),
        _ => cmd::handout(env, Some(&name), cmd::NoSession::Obtain)?.credentials,
    };
    if credentials.session_token.is_none() {
        return Err(fail(
            Kind::Input,
            format!("profile {name} gives long-term keys, and the console signs in with temporary credentials only: use a role profile, SSO or `aws login`"),
        ));
    }
    let token = console::signin_token(&console::TokenRequest {
        federation_url: &federation,
        credentials: &credentials,
        session_duration,
        timeout: env.timeout()?,
    })?;
    let mut url = console::login_url(&federation, &destination, &token);
    if args.logout {
        url = console::after_logout(configured.as_deref(), partition, &url)?;
    }
    if args.container {
        url = console::container_url(&name, &url);
    }
    if args.print {
        return Ok(format!("{}\n", url.expose()));
    }
    let cache = cmd::cache(env)?;
    crate::browser::open(
        cache.ensure_dir()?,
        &url,
        env.browser(),
        "`awscred console --print` and open the URL yourself",
    )?;
    report(&format!(
        "opened the AWS console ({region}) for profile {name} in the browser"
    ));
    Ok(String::new())
}

/// What the profile's credentials will be, and the ARN that names its
/// partition (the role's, else the MFA device's), before any code or call.
fn what(files: &Files, env: &Env, opts: &Options, name: &str) -> Result<(What, Option<String>)> {
    let setting = |k: &str| files.get(name, k).map(|s| s.value.to_string());
    if files.uses_sdk_chain(name) {
        let arn = setting("role_arn");
        let what = match (&arn, setting("web_identity_token_file")) {
            (Some(_), None) => What::Chained(format!(
                "{name} → {}",
                setting("source_profile").unwrap_or_default()
            )),
            (Some(_), Some(_)) => What::Role,
            (None, _) if files.uses_sso(name) => What::Role,
            (None, _) => What::Other,
        };
        return Ok((what, arn));
    }
    if profile::stored(files, env, opts)?.is_some() {
        return Ok((What::Other, None));
    }
    let res = profile::resolve(files, env, opts)?;
    let what = match res.roles.len() {
        0 => {
            let arn = res.mfa_serial.clone();
            return Ok((What::User(Box::new(res)), arn));
        }
        1 => What::Role,
        _ => What::Chained(
            res.roles
                .iter()
                .rev()
                .map(|r| r.profile.as_str())
                .chain([res.base_profile.as_str()])
                .collect::<Vec<_>>()
                .join(" → "),
        ),
    };
    Ok((what, res.roles.last().map(|r| r.arn.clone())))
}

/// The partition and console region: the region (flag, environment, profile)
/// and the partition of the ARN must agree; without a region, the
/// partition's first.
fn place(
    files: &Files,
    env: &Env,
    name: &str,
    flag: Option<&str>,
    arn: Option<&str>,
) -> Result<(Partition, String)> {
    let (region, configured) = profile::region(files, env, name, flag)?;
    let of_region = crate::sts::partition(&region);
    let of_arn = arn.and_then(console::arn_partition);
    let chosen = match of_arn {
        Some(p) if configured && p != of_region => {
            return Err(fail(
                Kind::Input,
                format!("region {region} is in partition {of_region}, but profile {name}'s credentials are in {p}: pass --region with a region of {p}"),
            ))
        }
        Some(p) => p,
        None => of_region,
    };
    let partition = console::partition_named(chosen).ok_or_else(|| {
        fail(
            Kind::Input,
            format!("partition {chosen} has no public console sign-in awscred knows: use your partition's own sign-in page"),
        )
    })?;
    let region = if configured || of_arn.is_none() {
        region
    } else {
        partition.default_region.to_string()
    };
    Ok((partition, region))
}

/// `AWS_ENDPOINT_URL_SIGNIN`, checked (off with `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`).
fn signin_endpoint(env: &Env) -> Result<Option<String>> {
    if env
        .aws_ignore_configured_endpoint_urls()
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return Ok(None);
    }
    env.aws_endpoint_url_signin()
        .map(|u| validate::endpoint_url(u, crate::env::AWS_ENDPOINT_URL_SIGNIN).map(str::to_string))
        .transpose()
}

/// Why an IAM user without a role gets no console session, and what works.
fn refusal(res: &Resolved) -> anyhow::Error {
    let p = &res.profile;
    let (why, mfa) = match res.mfa_serial {
        Some(_) => (
            "the console takes no GetSessionToken session, so the MFA of its session cannot carry over",
            ", mfa_serial",
        ),
        None => (
            "the console takes neither long-term keys nor a GetSessionToken session",
            "",
        ),
    };
    fail(
        Kind::Input,
        format!("profile {p} is an IAM user without a role: {why}; use a role profile (role_arn, source_profile = {p}{mfa}), or `aws login`, or pass --federation-token for a console session without MFA"),
    )
}

/// GetFederationToken signed with the user's long-term key (never a
/// session), with a warning: the console session has no MFA.
fn federation_token(
    env: &Env,
    res: &Resolved,
    args: &ConsoleArgs,
) -> Result<crate::credentials::Credentials> {
    let duration = match args.duration {
        Some(d) if (900..=129_600).contains(&d) => d,
        Some(_) => {
            return Err(fail(
                Kind::Input,
                "--duration: GetFederationToken takes 900 to 129600 seconds",
            ))
        }
        None => FEDERATION_DEFAULT_SECS,
    };
    for arn in &args.policy_arn {
        if !(arn.starts_with("arn:")
            && arn.contains(":policy/")
            && validate::text(arn, 2048).is_ok())
        {
            return Err(fail(
                Kind::Usage,
                "--policy-arn takes a managed policy ARN, like arn:aws:iam::aws:policy/ReadOnlyAccess",
            ));
        }
    }
    let user: String = format!("awscred-{}", res.profile)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(32)
        .collect();
    report(&format!(
        "warning: GetFederationToken with the long-term key of profile {}: this console session has no MFA, so actions that require MFA are denied",
        res.profile
    ));
    cmd::sts(env)?.get_federation_token(&FederationRequest {
        keys: &res.keys,
        region: &res.region,
        endpoint_url: res.endpoint_url.as_deref(),
        name: &user,
        policy: args.policy_arn.is_empty().then_some(ALLOW_ALL),
        policy_arns: &args.policy_arn,
        duration_seconds: Some(duration),
    })
}
