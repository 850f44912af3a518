//! Profiles awscred does not resolve itself (SSO, `credential_process`, web
//! identity) go through the AWS SDK's own profile provider, so `export` and
//! `credential-process` work for any profile (what aws-export-credentials did).
//! Only this path loads aws-config; the MFA and cache paths never do.

use crate::credentials::{Issued, Timestamp};
use crate::error::{fail, Kind};
use anyhow::Result;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_credential_types::provider::ProvideCredentials;
use std::time::{Duration, UNIX_EPOCH};

pub struct Request<'a> {
    pub profile: &'a str,
    pub region: &'a str,
    /// The profile uses IAM Identity Center (sso_session / sso_start_url).
    pub sso: bool,
    pub timeout: Duration,
}

pub fn profile_credentials(req: &Request) -> Result<Issued> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            fail(
                Kind::Internal,
                format!("cannot start the async runtime: {e}"),
            )
        })?;
    rt.block_on(load(req))
}

async fn load(req: &Request<'_>) -> Result<Issued> {
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
    let provider = ProfileFileCredentialsProvider::builder()
        .profile_name(req.profile)
        .configure(&config)
        .build();
    let c = provider
        .provide_credentials()
        .await
        .map_err(|e| explain(&e, req))?;
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

fn explain(
    err: &aws_credential_types::provider::error::CredentialsError,
    req: &Request,
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
    let mut text = Vec::new();
    let mut e: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(cur) = e {
        let s = cur.to_string();
        if !text.contains(&s) {
            text.push(s);
        }
        e = cur.source();
    }
    let detail: String = text
        .join(": ")
        .chars()
        .filter(|c| !c.is_control())
        .take(300)
        .collect();
    let lower = detail.to_lowercase();
    if req.sso && (lower.contains("token") || lower.contains("expired") || lower.contains("cache"))
    {
        return fail(
            Kind::NoSession,
            format!(
                "no valid SSO login for profile {} ({detail}): run `aws sso login --profile {}`",
                req.profile, req.profile
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
