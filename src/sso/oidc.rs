//! The Identity Center calls, through the SDK's own clients (aws-sdk-ssooidc,
//! aws-sdk-sso: aws-config's `sso` feature compiles them anyway) on awscred's
//! capped HTTPS client: every body at most 1 MiB, timeouts, and each answer
//! checked here before anything keeps it.

use super::Session;
use crate::credentials::{Issued, Timestamp};
use crate::error::{fail, Kind};
use crate::secret::Secret;
use crate::validate;
use anyhow::Result;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::time::Duration;

pub struct Registration {
    pub client_id: String,
    pub client_secret: Secret,
    pub expires_at: Timestamp,
}

pub struct Token {
    pub access_token: Secret,
    pub expires_at: Timestamp,
    pub refresh_token: Option<Secret>,
}

pub struct Device {
    pub device_code: Secret,
    pub user_code: String,
    pub verification_uri: String,
    pub expires_in: u64,
    pub interval: u64,
}

/// Why CreateToken did not give a token on a device code poll.
pub enum Poll {
    Pending,
    SlowDown,
    Failed(anyhow::Error),
}

pub const GRANT_DEVICE: &str = "urn:ietf:params:oauth:grant-type:device_code";
pub const GRANT_CODE: &str = "authorization_code";
pub const GRANT_REFRESH: &str = "refresh_token";
/// The redirect URI registered (RFC 8252: any port of the loopback address).
pub const REDIRECT_BASE: &str = "http://127.0.0.1/oauth/callback";

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            fail(
                Kind::Internal,
                format!("cannot start the async runtime: {e}"),
            )
        })
}

fn checked<'a>(v: Option<&'a str>, what: &str, max: usize) -> Result<&'a str> {
    let v = v.ok_or_else(|| bad(&format!("no {what}")))?;
    validate::text(v, max).map_err(|why| bad(&format!("the {what} {why}")))?;
    Ok(v)
}

fn bad(why: &str) -> anyhow::Error {
    fail(
        Kind::Network,
        format!("IAM Identity Center sent an unusable answer ({why}): retry; if it persists, check sso_region and AWS_ENDPOINT_URL_SSO_OIDC / AWS_ENDPOINT_URL_SSO"),
    )
}

/// A call that failed: the network, a too large body, or the service's error.
fn failed<E, R>(
    what: &str,
    err: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    if crate::sts::is_too_large(err) {
        return fail(
            Kind::Network,
            format!("IAM Identity Center sent a response over {} MiB, far more than any real answer: check the endpoint settings (AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL_SSO_OIDC, sso_region)", crate::sts::MAX_BODY >> 20),
        );
    }
    match err {
        SdkError::ServiceError(e) => {
            let e = e.err();
            let code = crate::sts::printable(e.code().unwrap_or(""));
            let kind = if code.contains("Unauthorized")
                || code.contains("InvalidGrant")
                || code.contains("ExpiredToken")
                || code.contains("InvalidClient")
                || code.contains("AccessDenied")
            {
                Kind::NoSession
            } else {
                Kind::Network
            };
            let msg = crate::sts::printable(e.message().unwrap_or(""));
            fail(
                kind,
                format!(
                    "{what} was refused ({code}{}{msg})",
                    if msg.is_empty() { "" } else { ": " }
                ),
            )
        }
        SdkError::TimeoutError(_) => fail(
            Kind::Network,
            format!("{what} did not answer in time: check your network or proxy, then retry"),
        ),
        _ => fail(
            Kind::Network,
            format!(
                "{what} failed ({}): check the network and sso_region / the endpoint, then retry",
                crate::sts::root_cause(err)
            ),
        ),
    }
}

fn lifetime(secs: i64, what: &str) -> Result<i64> {
    if (1..=90 * 86_400).contains(&secs) {
        Ok(secs)
    } else {
        Err(bad(&format!("a {what} of {secs} s")))
    }
}

pub struct Oidc {
    client: aws_sdk_ssooidc::Client,
    rt: Option<tokio::runtime::Runtime>,
}

fn timeouts(timeout: Duration) -> aws_smithy_types::timeout::TimeoutConfig {
    aws_smithy_types::timeout::TimeoutConfig::builder()
        .connect_timeout(timeout.min(Duration::from_secs(3)))
        .operation_timeout(timeout)
        .build()
}

fn http(url: Option<&str>) -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    crate::sts::client_for_endpoint(url)
}

impl Oidc {
    pub fn new(session: &Session, timeout: Duration) -> Oidc {
        use aws_sdk_ssooidc::config::{retry::RetryConfig, BehaviorVersion, Region};
        let mut c = aws_sdk_ssooidc::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(session.region.clone()))
            .http_client(http(session.oidc_url.as_deref()))
            .retry_config(RetryConfig::standard().with_max_attempts(3))
            .timeout_config(timeouts(timeout));
        if let Some(sleep) = aws_smithy_async::rt::sleep::default_async_sleep() {
            c = c.sleep_impl(sleep);
        }
        if let Some(url) = &session.oidc_url {
            c = c.endpoint_url(url);
        }
        Oidc {
            client: aws_sdk_ssooidc::Client::from_conf(c.build()),
            rt: runtime().ok(),
        }
    }

    fn block<T>(&self, f: impl std::future::Future<Output = T>) -> Result<T> {
        match &self.rt {
            Some(rt) => Ok(rt.block_on(f)),
            None => Err(fail(Kind::Internal, "cannot start the async runtime")),
        }
    }

    /// RegisterClient: a public client for every flow awscred uses.
    pub fn register(&self, session: &Session) -> Result<Registration> {
        let mut req = self
            .client
            .register_client()
            .client_name(format!("awscred-{}", Timestamp::now().0))
            .client_type("public")
            .grant_types(GRANT_CODE)
            .grant_types(GRANT_DEVICE)
            .grant_types(GRANT_REFRESH)
            .redirect_uris(REDIRECT_BASE)
            .issuer_url(&session.start_url);
        if !session.scopes.is_empty() {
            req = req.set_scopes(Some(session.scopes.clone()));
        }
        let out = self
            .block(req.send())?
            .map_err(|e| failed("IAM Identity Center's RegisterClient", &e))?;
        let expires = out.client_secret_expires_at();
        if expires <= Timestamp::now().0 {
            return Err(bad("a registration that has already expired"));
        }
        Ok(Registration {
            client_id: checked(out.client_id(), "clientId", 4096)?.to_string(),
            client_secret: Secret::new(checked(
                out.client_secret(),
                "clientSecret",
                validate::MAX_TOKEN_LEN,
            )?),
            expires_at: Timestamp(expires),
        })
    }

    pub fn start_device(&self, session: &Session, reg: &Registration) -> Result<Device> {
        let out = self
            .block(
                self.client
                    .start_device_authorization()
                    .client_id(&reg.client_id)
                    .client_secret(reg.client_secret.expose())
                    .start_url(&session.start_url)
                    .send(),
            )?
            .map_err(|e| failed("IAM Identity Center's StartDeviceAuthorization", &e))?;
        let uri = out.verification_uri_complete().or(out.verification_uri());
        let uri = checked(uri, "verificationUri", 2048)?;
        validate::endpoint_url(uri, "the verification URL")
            .map_err(|_| bad("a verification URL that is not https"))?;
        let user_code = checked(out.user_code(), "userCode", 64)?;
        Ok(Device {
            device_code: Secret::new(checked(
                out.device_code(),
                "deviceCode",
                validate::MAX_TOKEN_LEN,
            )?),
            user_code: user_code.to_string(),
            verification_uri: uri.to_string(),
            expires_in: lifetime(out.expires_in().into(), "device code lifetime")?.min(3600) as u64,
            interval: (out.interval().clamp(1, 60)) as u64,
        })
    }

    /// One device code poll.
    pub fn poll(&self, reg: &Registration, device: &Device) -> std::result::Result<Token, Poll> {
        let req = self
            .client
            .create_token()
            .client_id(&reg.client_id)
            .client_secret(reg.client_secret.expose())
            .grant_type(GRANT_DEVICE)
            .device_code(device.device_code.expose());
        let out = match self.block(req.send()) {
            Err(e) => return Err(Poll::Failed(e)),
            Ok(r) => r,
        };
        match out {
            Ok(out) => token(out).map_err(Poll::Failed),
            Err(e) => match e.as_service_error().and_then(|s| s.code()) {
                Some("AuthorizationPendingException") => Err(Poll::Pending),
                Some("SlowDownException") => Err(Poll::SlowDown),
                Some("ExpiredTokenException") => Err(Poll::Failed(fail(
                    Kind::NoSession,
                    "the sign-in code expired before it was confirmed: run the login again and confirm the code in time",
                ))),
                Some("AccessDeniedException") => Err(Poll::Failed(fail(
                    Kind::NoSession,
                    "the sign-in was denied in the browser: run the login again and allow it",
                ))),
                _ => Err(Poll::Failed(failed("IAM Identity Center's CreateToken", &e))),
            },
        }
    }

    pub fn exchange_code(
        &self,
        reg: &Registration,
        code: &Secret,
        verifier: &Secret,
        redirect: &str,
    ) -> Result<Token> {
        let req = self
            .client
            .create_token()
            .client_id(&reg.client_id)
            .client_secret(reg.client_secret.expose())
            .grant_type(GRANT_CODE)
            .code(code.expose())
            .code_verifier(verifier.expose())
            .redirect_uri(redirect);
        let out = self
            .block(req.send())?
            .map_err(|e| failed("IAM Identity Center's CreateToken", &e))?;
        token(out)
    }

    pub fn refresh(&self, reg: &Registration, refresh: &Secret) -> Result<Token> {
        let req = self
            .client
            .create_token()
            .client_id(&reg.client_id)
            .client_secret(reg.client_secret.expose())
            .grant_type(GRANT_REFRESH)
            .refresh_token(refresh.expose());
        let out = self
            .block(req.send())?
            .map_err(|e| failed("refreshing the IAM Identity Center token (CreateToken)", &e))?;
        token(out)
    }
}

fn token(out: aws_sdk_ssooidc::operation::create_token::CreateTokenOutput) -> Result<Token> {
    let access = checked(out.access_token(), "accessToken", validate::MAX_TOKEN_LEN)?;
    let secs = lifetime(out.expires_in().into(), "token lifetime")?;
    let refresh = match out.refresh_token() {
        None => None,
        Some(r) => Some(Secret::new(checked(
            Some(r),
            "refreshToken",
            validate::MAX_TOKEN_LEN,
        )?)),
    };
    Ok(Token {
        access_token: Secret::new(access),
        expires_at: Timestamp(Timestamp::now().0 + secs),
        refresh_token: refresh,
    })
}

pub struct Portal {
    client: aws_sdk_sso::Client,
    rt: Option<tokio::runtime::Runtime>,
}

pub struct Account {
    pub id: String,
    pub name: String,
}

impl Portal {
    pub fn new(session: &Session, timeout: Duration) -> Portal {
        use aws_sdk_sso::config::{retry::RetryConfig, BehaviorVersion, Region};
        let mut c = aws_sdk_sso::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(session.region.clone()))
            .http_client(http(session.portal_url.as_deref()))
            .retry_config(RetryConfig::standard().with_max_attempts(3))
            .timeout_config(timeouts(timeout));
        if let Some(sleep) = aws_smithy_async::rt::sleep::default_async_sleep() {
            c = c.sleep_impl(sleep);
        }
        if let Some(url) = &session.portal_url {
            c = c.endpoint_url(url);
        }
        Portal {
            client: aws_sdk_sso::Client::from_conf(c.build()),
            rt: runtime().ok(),
        }
    }

    fn block<T>(&self, f: impl std::future::Future<Output = T>) -> Result<T> {
        match &self.rt {
            Some(rt) => Ok(rt.block_on(f)),
            None => Err(fail(Kind::Internal, "cannot start the async runtime")),
        }
    }

    pub fn role_credentials(&self, token: &Secret, account: &str, role: &str) -> Result<Issued> {
        let out = self
            .block(
                self.client
                    .get_role_credentials()
                    .access_token(token.expose())
                    .account_id(account)
                    .role_name(role)
                    .send(),
            )?
            .map_err(|e| failed("the IAM Identity Center portal's GetRoleCredentials", &e))?;
        let c = out
            .role_credentials()
            .ok_or_else(|| bad("no roleCredentials"))?;
        // Checked as a whole by the caller (`Issued::validate`); presence here.
        let id = c.access_key_id().ok_or_else(|| bad("no accessKeyId"))?;
        let secret = c
            .secret_access_key()
            .ok_or_else(|| bad("no secretAccessKey"))?;
        let token = c.session_token().ok_or_else(|| bad("no sessionToken"))?;
        Ok(Issued {
            access_key_id: id.to_string(),
            secret_access_key: secret.into(),
            session_token: Some(token.into()),
            expiration: Some(Timestamp(c.expiration().div_euclid(1000))),
        })
    }

    /// Every account the login sees, every page.
    pub fn accounts(&self, token: &Secret) -> Result<Vec<Account>> {
        let mut all = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..1000 {
            let out = self
                .block(
                    self.client
                        .list_accounts()
                        .access_token(token.expose())
                        .set_next_token(next.take())
                        .max_results(100)
                        .send(),
                )?
                .map_err(|e| failed("the IAM Identity Center portal's ListAccounts", &e))?;
            for a in out.account_list() {
                let id = checked(a.account_id(), "accountId", 12)?;
                if !validate::is_account_id(id) {
                    return Err(bad("an accountId that is not 12 digits"));
                }
                let name = checked(a.account_name().or(Some(id)), "accountName", 256)?;
                all.push(Account {
                    id: id.to_string(),
                    name: name.to_string(),
                });
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => next = Some(t.to_string()),
                _ => return Ok(all),
            }
        }
        Err(bad("more than 1000 pages of accounts"))
    }

    pub fn roles(&self, token: &Secret, account: &str) -> Result<Vec<String>> {
        let mut all = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..1000 {
            let out = self
                .block(
                    self.client
                        .list_account_roles()
                        .access_token(token.expose())
                        .account_id(account)
                        .set_next_token(next.take())
                        .max_results(100)
                        .send(),
                )?
                .map_err(|e| failed("the IAM Identity Center portal's ListAccountRoles", &e))?;
            for r in out.role_list() {
                let name = checked(r.role_name(), "roleName", 64)?;
                if !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
                {
                    return Err(bad("a roleName with characters IAM does not allow"));
                }
                all.push(name.to_string());
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => next = Some(t.to_string()),
                _ => return Ok(all),
            }
        }
        Err(bad("more than 1000 pages of roles"))
    }

    pub fn logout(&self, token: &Secret) -> Result<()> {
        self.block(self.client.logout().access_token(token.expose()).send())?
            .map_err(|e| failed("the IAM Identity Center portal's Logout", &e))?;
        Ok(())
    }
}
