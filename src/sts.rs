//! The one STS call awscred makes, behind a small trait so the domain logic can
//! be tested without a network, and the SDK client that implements it.
//!
//! The client is built by hand rather than through aws-config: awscred has
//! already resolved region, keys and endpoint, so no provider chain, profile
//! re-read or EC2 metadata probe runs, and one TLS stack (rustls + ring) is linked.

use crate::credentials::{Credentials, Issued, LongTermKeys, Timestamp};
use crate::error::{fail, Fail, Kind};
use crate::secret::Secret;
use anyhow::{Context, Result};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use std::cell::OnceCell;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct SessionRequest<'a> {
    pub keys: &'a LongTermKeys,
    pub region: &'a str,
    pub endpoint_url: Option<&'a str>,
    pub serial_number: Option<&'a str>,
    pub token_code: Option<&'a Secret>,
    pub duration_seconds: Option<u32>,
}

impl SessionRequest<'_> {
    fn endpoint(&self) -> String {
        endpoint(self.endpoint_url, self.region)
    }
}

/// Any credentials to sign with (long-term or a session), and where to.
#[derive(Debug, Clone)]
pub struct IdentityRequest<'a> {
    pub credentials: &'a Issued,
    pub region: &'a str,
    pub endpoint_url: Option<&'a str>,
}

/// AssumeRole, signed with `signer` (long-term keys or a session).
#[derive(Debug, Clone)]
pub struct RoleRequest<'a> {
    pub signer: IdentityRequest<'a>,
    /// Where the signing credentials came from, for messages.
    pub origin: &'a str,
    pub role_arn: &'a str,
    pub session_name: &'a str,
    pub external_id: Option<&'a str>,
    pub serial_number: Option<&'a str>,
    pub token_code: Option<&'a Secret>,
    pub duration_seconds: Option<u32>,
    pub options: &'a RoleOptions,
}

/// AssumeRole's options for organisations (aws-vault's profile keys):
/// session tags for attribute-based access, the tags passed on through a
/// chain, the source identity CloudTrail records, and session policies that
/// scope the session down. Validated to STS's limits where they are read
/// (`validate::role_options`); part of the role credentials' cache key.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleOptions {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitive_tag_keys: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy_arns: Vec<String>,
    /// An inline session policy (JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

impl RoleOptions {
    pub fn is_empty(&self) -> bool {
        *self == RoleOptions::default()
    }

    /// For `list` and `status`: what is set, never the policy's text.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.tags.is_empty() {
            let tags: Vec<String> = self.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            out.push(format!("tags {}", tags.join(",")));
        }
        if !self.transitive_tag_keys.is_empty() {
            out.push(format!("transitive {}", self.transitive_tag_keys.join(",")));
        }
        if let Some(s) = &self.source_identity {
            out.push(format!("source identity {s}"));
        }
        if !self.policy_arns.is_empty() {
            out.push(format!("policies {}", self.policy_arns.join(",")));
        }
        if self.policy.is_some() {
            out.push("inline policy".to_string());
        }
        out
    }
}

/// GetFederationToken, signed with an IAM user's long-term keys (STS refuses
/// a session): only for `console --federation-token`, whose session carries no MFA.
#[derive(Debug, Clone)]
pub struct FederationRequest<'a> {
    pub keys: &'a LongTermKeys,
    pub region: &'a str,
    pub endpoint_url: Option<&'a str>,
    /// The federated user's name (`[\w+=,.@-]{2,32}`).
    pub name: &'a str,
    /// An inline session policy (JSON).
    pub policy: Option<&'a str>,
    /// Managed session policies.
    pub policy_arns: &'a [String],
    pub duration_seconds: Option<u32>,
}

pub trait Sts {
    fn get_session_token(&self, req: &SessionRequest) -> Result<Credentials>;
    /// The ARN the credentials belong to.
    fn get_caller_identity(&self, req: &IdentityRequest) -> Result<String>;
    fn assume_role(&self, req: &RoleRequest) -> Result<Credentials>;
}

/// The real client (aws-sdk-sts). `timeout` bounds each call, retries included.
///
/// The async runtime and the HTTP client (with its TLS roots and open
/// connections) are made on the first call and kept: a role profile's
/// GetSessionToken and AssumeRole share them, and the cache-hit path, which
/// makes no call, never pays for either.
pub struct SdkSts {
    timeout: Duration,
    runtime: OnceCell<tokio::runtime::Runtime>,
    /// The client, and whether it is the plain-HTTP one without TLS roots.
    http: OnceCell<(bool, SharedHttpClient)>,
}

impl SdkSts {
    pub fn new(timeout: Duration) -> SdkSts {
        SdkSts {
            timeout,
            runtime: OnceCell::new(),
            http: OnceCell::new(),
        }
    }

    fn block_on<T>(&self, fut: impl std::future::Future<Output = Result<T>>) -> Result<T> {
        let runtime = match self.runtime.get() {
            Some(rt) => rt,
            None => {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .context("cannot start the async runtime")?;
                self.runtime.get_or_init(|| rt)
            }
        };
        runtime.block_on(fut)
    }

    /// The HTTP client for `endpoint_url`: the one made for the first call,
    /// unless that one has no TLS roots (a plain `http://` stand-in) and this
    /// call needs them.
    fn http(&self, endpoint_url: Option<&str>) -> SharedHttpClient {
        let plain = is_plain(endpoint_url);
        let (cached_plain, client) = self.http.get_or_init(|| (plain, client_for(endpoint_url)));
        if *cached_plain && !plain {
            return client_for(endpoint_url);
        }
        client.clone()
    }
}

impl SdkSts {
    /// GetFederationToken (see [`FederationRequest`]).
    pub fn get_federation_token(&self, req: &FederationRequest) -> Result<Credentials> {
        req.keys.secret_access_key.get()?;
        self.block_on(self.federation_token(req))
    }
}

impl Sts for SdkSts {
    fn get_session_token(&self, req: &SessionRequest) -> Result<Credentials> {
        // A stored secret is read before the runtime starts: the OS store's
        // client runs its own.
        req.keys.secret_access_key.get()?;
        self.block_on(self.session_token(req))
    }

    fn get_caller_identity(&self, req: &IdentityRequest) -> Result<String> {
        self.block_on(self.caller_identity(req))
    }

    fn assume_role(&self, req: &RoleRequest) -> Result<Credentials> {
        self.block_on(self.role(req))
    }
}

/// The one HTTP client awscred uses: hyper with rustls and ring, trusting the
/// system's root certificates, every response body capped at [`MAX_BODY`].
pub fn https_client() -> SharedHttpClient {
    client_for(None)
}

/// The most awscred reads of any response body (STS, the SSO portal). Real
/// answers are a few KiB; a bigger or endless body fails as it streams in
/// instead of being buffered whole by the SDK, which reads bodies to the end.
pub const MAX_BODY: usize = 1024 * 1024;

/// The connector of the calls awscred makes outside an SDK client (IAM for
/// `rotate`, the federation endpoint for `console`): rustls with ring, at
/// most 5 s to connect, `timeout` per read.
pub fn plain_connector(timeout: Duration) -> aws_smithy_http_client::Connector {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    use aws_smithy_runtime_api::client::http::HttpConnectorSettings;
    aws_smithy_http_client::Connector::builder()
        .connector_settings(
            HttpConnectorSettings::builder()
                .connect_timeout(timeout.min(Duration::from_secs(5)))
                .read_timeout(timeout)
                .build(),
        )
        .sleep_impl(aws_smithy_async::rt::sleep::TokioSleep::new())
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build()
}

/// Why [`exchange`] has no answer.
pub enum Unanswered {
    /// `timeout` passed.
    Timeout,
    /// The connection failed, or the body was over [`MAX_BODY`] ([`is_too_large`]).
    Failed(aws_smithy_runtime_api::client::result::ConnectorError),
}

/// One request through `connector` within `timeout`: the status and the
/// body, read only up to [`MAX_BODY`].
pub async fn exchange(
    connector: &aws_smithy_http_client::Connector,
    request: aws_smithy_runtime_api::http::Request,
    timeout: Duration,
) -> std::result::Result<(u16, Vec<u8>), Unanswered> {
    use aws_smithy_runtime_api::client::http::HttpConnector;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use http_body_util::{BodyExt, Limited};
    let call = async {
        let response = connector.call(request).await?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| ConnectorError::other(e, None))?;
        Ok::<_, ConnectorError>((status, Vec::from(body.to_bytes())))
    };
    match tokio::time::timeout(timeout, call).await {
        Err(_) => Err(Unanswered::Timeout),
        Ok(Err(e)) => Err(Unanswered::Failed(e)),
        Ok(Ok(answer)) => Ok(answer),
    }
}

/// An [`HttpClient`] whose connectors read every response body, at most
/// [`MAX_BODY`] of it. Wrapping the connector covers every call made through
/// the client, the SDK's own (SSO portal, web identity) included.
#[derive(Debug)]
struct Capped(SharedHttpClient);

impl HttpClient for Capped {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(CappedConnector(self.0.http_connector(settings, components)))
    }

    fn validate_base_client_config(
        &self,
        components: &RuntimeComponentsBuilder,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.validate_base_client_config(components, cfg)
    }

    fn validate_final_config(
        &self,
        components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.validate_final_config(components, cfg)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

#[derive(Debug)]
struct CappedConnector(SharedHttpConnector);

impl HttpConnector for CappedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let response = self.0.call(request);
        HttpConnectorFuture::new(async move {
            let mut response = response.await?;
            // Read here rather than left to the SDK, so that a body over the cap
            // is a dispatch failure the SDK does not retry (it retries any
            // error reading a body), while a broken connection stays an I/O
            // error it does retry. No operation awscred calls streams.
            let body = Limited::new(response.take_body(), MAX_BODY)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<LengthLimitError>() {
                        ConnectorError::other(e, None)
                    } else {
                        ConnectorError::io(e)
                    }
                })?;
            *response.body_mut() = SdkBody::from(body.to_bytes());
            Ok(response)
        })
    }
}

/// True when `err` comes from a response body over [`MAX_BODY`].
pub fn is_too_large(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut e = Some(err);
    while let Some(cur) = e {
        if cur.is::<LengthLimitError>() {
            return true;
        }
        e = cur.source();
    }
    false
}

/// The client for `endpoint_url`. A plain `http://` endpoint (a local STS
/// stand-in) never does TLS, so it skips loading the system's root
/// certificates, which costs milliseconds and most of a megabyte per process.
pub(crate) fn client_for_endpoint(endpoint_url: Option<&str>) -> SharedHttpClient {
    client_for(endpoint_url)
}

fn client_for(endpoint_url: Option<&str>) -> SharedHttpClient {
    use aws_smithy_http_client::tls::{
        rustls_provider::CryptoMode, Provider, TlsContext, TrustStore,
    };
    let builder =
        aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring));
    let client = match TlsContext::builder()
        .with_trust_store(TrustStore::empty())
        .build()
    {
        Ok(ctx) if is_plain(endpoint_url) => builder.tls_context(ctx).build_https(),
        _ => builder.build_https(),
    };
    SharedHttpClient::new(Capped(client))
}

fn is_plain(endpoint_url: Option<&str>) -> bool {
    endpoint_url.is_some_and(|u| u.starts_with("http://"))
}

/// Who answers an STS call, for the cache key: a configured endpoint, or
/// AWS's own regional endpoints of a partition, whose sessions are valid in
/// every region of it (so switching `AWS_REGION` keeps the session, and a role
/// profile shares its source's MFA session whatever their regions).
pub fn answering(endpoint_url: Option<&str>, region: &str) -> String {
    match endpoint_url {
        Some(url) => url.to_string(),
        None => format!("aws:{}", partition(region)),
    }
}

/// The AWS partition of a region name.
pub(crate) fn partition(region: &str) -> &'static str {
    [
        ("us-gov-", "aws-us-gov"),
        ("cn-", "aws-cn"),
        ("us-isob-", "aws-iso-b"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-isof-", "aws-iso-f"),
    ]
    .iter()
    .find(|(prefix, _)| region.starts_with(prefix))
    .map_or("aws", |(_, p)| p)
}

fn endpoint(endpoint_url: Option<&str>, region: &str) -> String {
    match endpoint_url {
        Some(u) => u.to_string(),
        None => format!("https://sts.{region}.amazonaws.com"),
    }
}

impl SdkSts {
    fn client(
        &self,
        keys: aws_credential_types::Credentials,
        region: &str,
        endpoint_url: Option<&str>,
    ) -> aws_sdk_sts::Client {
        use aws_sdk_sts::config::{
            retry::RetryConfig, timeout::TimeoutConfig, BehaviorVersion, Region,
        };

        let http = self.http(endpoint_url);
        let attempt = self.timeout.min(Duration::from_secs(5));
        let mut config = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .credentials_provider(keys)
            .http_client(http)
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(Duration::from_millis(200)),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(attempt.min(Duration::from_secs(3)))
                    .operation_attempt_timeout(attempt)
                    .operation_timeout(self.timeout)
                    .build(),
            );
        if let Some(url) = endpoint_url {
            config = config.endpoint_url(url);
        }
        aws_sdk_sts::Client::from_conf(config.build())
    }

    async fn caller_identity(&self, req: &IdentityRequest<'_>) -> Result<String> {
        let keys = sdk_credentials(req.credentials);
        let out = self
            .client(keys, req.region, req.endpoint_url)
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| {
                self.explain(
                    e,
                    &endpoint(req.endpoint_url, req.region),
                    "the environment",
                )
            })?;
        out.arn.ok_or_else(|| {
            fail(
                Kind::Network,
                "STS answered GetCallerIdentity without an ARN",
            )
        })
    }

    async fn role(&self, req: &RoleRequest<'_>) -> Result<Credentials> {
        let s = &req.signer;
        let keys = sdk_credentials(s.credentials);
        let endpoint = endpoint(s.endpoint_url, s.region);
        let out = self
            .client(keys, s.region, s.endpoint_url)
            .assume_role()
            .role_arn(req.role_arn)
            .role_session_name(req.session_name)
            .set_external_id(req.external_id.map(str::to_string))
            .set_serial_number(req.serial_number.map(str::to_string))
            .set_token_code(req.token_code.map(|c| c.expose().to_string()))
            .set_duration_seconds(req.duration_seconds.map(|d| d as i32))
            .set_tags(tags(&req.options.tags)?)
            .set_transitive_tag_keys(
                (!req.options.transitive_tag_keys.is_empty())
                    .then(|| req.options.transitive_tag_keys.clone()),
            )
            .set_source_identity(req.options.source_identity.clone())
            .set_policy_arns(policy_arns(&req.options.policy_arns)?)
            .set_policy(req.options.policy.clone())
            .send()
            .await
            .map_err(|e| self.explain(e, &endpoint, req.origin))?;
        convert(out.credentials, &endpoint)
    }

    async fn federation_token(&self, req: &FederationRequest<'_>) -> Result<Credentials> {
        use aws_sdk_sts::types::PolicyDescriptorType;
        // Long-term keys only: `issued()` of LongTermKeys never carries a token.
        let keys = sdk_credentials(&req.keys.issued()?);
        let endpoint = endpoint(req.endpoint_url, req.region);
        let arns = req
            .policy_arns
            .iter()
            .map(|arn| PolicyDescriptorType::builder().arn(arn).build())
            .collect::<Vec<_>>();
        let out = self
            .client(keys, req.region, req.endpoint_url)
            .get_federation_token()
            .name(req.name)
            .set_policy(req.policy.map(str::to_string))
            .set_policy_arns((!arns.is_empty()).then_some(arns))
            .set_duration_seconds(req.duration_seconds.map(|d| d as i32))
            .send()
            .await
            .map_err(|e| self.explain(e, &endpoint, &req.keys.origin))?;
        convert(out.credentials, &endpoint)
    }

    async fn session_token(&self, req: &SessionRequest<'_>) -> Result<Credentials> {
        // GetSessionToken is signed with long-term keys only: no session token here.
        let keys = sdk_credentials(&req.keys.issued()?);
        let out = self
            .client(keys, req.region, req.endpoint_url)
            .get_session_token()
            .set_serial_number(req.serial_number.map(str::to_string))
            .set_token_code(req.token_code.map(|c| c.expose().to_string()))
            .set_duration_seconds(req.duration_seconds.map(|d| d as i32))
            .send()
            .await
            .map_err(|e| self.explain(e, &req.endpoint(), &req.keys.origin))?;
        convert(out.credentials, &req.endpoint())
    }

    fn explain<E>(
        &self,
        err: aws_sdk_sts::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
        endpoint: &str,
        origin: &str,
    ) -> anyhow::Error
    where
        E: aws_sdk_sts::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        use aws_sdk_sts::error::SdkError;
        match &err {
            SdkError::ServiceError(se) => {
                // The SDK reads `<ErrorResponse><Error>`; some STS implementations
                // (moto) wrap it as `<ErrorResponse><Errors><Error>`: read the body then.
                let body = se.raw().body().bytes().map(String::from_utf8_lossy).unwrap_or_default();
                let code = se.err().code().map(str::to_string).or_else(|| xml_text(&body, "Code"));
                let message = se.err().message().map(str::to_string).or_else(|| xml_text(&body, "Message"));
                classify(
                    se.raw().status().as_u16(),
                    code.as_deref().unwrap_or(""),
                    message.as_deref().unwrap_or(""),
                    origin,
                )
            }
            SdkError::TimeoutError(_) => fail(
                Kind::Network,
                format!("STS at {endpoint} did not answer within {} s: check your network or proxy, then retry", self.timeout.as_secs()),
            ),
            SdkError::DispatchFailure(_) if is_too_large(&err) => fail(
                Kind::Network,
                format!("STS at {endpoint} sent a response over {} MiB, far more than any STS answer: check the endpoint", MAX_BODY >> 20),
            ),
            SdkError::DispatchFailure(d) if d.is_timeout() => fail(
                Kind::Network,
                format!("STS at {endpoint} did not answer in time: check your network or proxy, then retry"),
            ),
            SdkError::DispatchFailure(_) => fail(
                Kind::Network,
                format!("cannot reach STS at {endpoint}: {}: check the endpoint, network or proxy, then retry", root_cause(&err)),
            ),
            SdkError::ResponseError(_) => fail(
                Kind::Network,
                format!("STS at {endpoint} sent a response awscred cannot read: retry; if it persists, check the endpoint"),
            ),
            _ => fail(Kind::Internal, format!("the STS call could not be made: {}", root_cause(&err))),
        }
    }
}

/// The SDK's credentials for signing one call.
fn sdk_credentials(c: &Issued) -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new(
        &c.access_key_id,
        c.secret_access_key.expose(),
        c.session_token.as_ref().map(|t| t.expose().to_string()),
        None,
        "awscred",
    )
}

/// STS's credentials as awscred's, validated before anything uses or caches
/// them. The SDK's reader fills absent fields with empty strings; absent, empty
/// or malformed ones (a control byte in a key id would crash the signer of every
/// later call) are refused as an unusable answer.
/// Session tags as the SDK takes them (`None` for none: no empty list is sent).
fn tags(tags: &[(String, String)]) -> Result<Option<Vec<aws_sdk_sts::types::Tag>>> {
    if tags.is_empty() {
        return Ok(None);
    }
    tags.iter()
        .map(|(k, v)| {
            aws_sdk_sts::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| fail(Kind::Internal, format!("cannot build a session tag: {e}")))
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

fn policy_arns(arns: &[String]) -> Result<Option<Vec<aws_sdk_sts::types::PolicyDescriptorType>>> {
    if arns.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        arns.iter()
            .map(|a| {
                aws_sdk_sts::types::PolicyDescriptorType::builder()
                    .arn(a)
                    .build()
            })
            .collect(),
    ))
}

fn convert(c: Option<aws_sdk_sts::types::Credentials>, endpoint: &str) -> Result<Credentials> {
    let unusable = |what: &str| {
        fail(
            Kind::Network,
            format!(
                "STS answered with {what} ({endpoint}): retry; if it persists, check the endpoint"
            ),
        )
    };
    let c = c.ok_or_else(|| unusable("incomplete credentials"))?;
    if c.access_key_id.is_empty() || c.secret_access_key.is_empty() || c.session_token.is_empty() {
        return Err(unusable("incomplete credentials"));
    }
    let creds = Credentials {
        access_key_id: c.access_key_id,
        secret_access_key: c.secret_access_key.into(),
        session_token: c.session_token.into(),
        expiration: Timestamp(c.expiration.secs()),
    };
    creds
        .validate()
        .map_err(|why| unusable(&format!("unusable credentials ({why})")))?;
    Ok(creds)
}

/// The text of the first `<tag>…</tag>` in an XML body, entities decoded.
pub(crate) fn xml_text(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = start + body[start..].find(&format!("</{tag}>"))?;
    let text = body[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

/// The innermost error's text: "Connection refused (os error 111)".
pub(crate) fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut e = err;
    while let Some(next) = e.source() {
        e = next;
    }
    printable(&e.to_string())
}

/// STS refused the credentials that signed the call themselves: expired
/// (`ExpiredToken`) or unknown to it (`InvalidClientTokenId`: a revoked
/// session, a deleted key). Wraps the [`Fail`] (same text and exit code), so
/// that a caller that signed with a cached session knows to drop it.
#[derive(Debug)]
pub struct SignerRejected {
    pub code: String,
    fail: Fail,
}

impl std::fmt::Display for SignerRejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.fail.fmt(f)
    }
}

impl std::error::Error for SignerRejected {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.fail)
    }
}

/// The code of a [`SignerRejected`] in `err`'s chain.
pub fn signer_rejected(err: &anyhow::Error) -> Option<&str> {
    err.chain()
        .find_map(|e| e.downcast_ref::<SignerRejected>())
        .map(|r| r.code.as_str())
}

/// Maps an STS error response to a message and exit kind. `origin` says where
/// the signing keys came from, so the message can point at them.
pub fn classify(status: u16, code: &str, message: &str, origin: &str) -> anyhow::Error {
    let e = classify_fail(status, code, message, origin);
    let code = printable(code);
    match code.as_str() {
        "ExpiredToken" | "ExpiredTokenException" | "InvalidClientTokenId" => {
            match e.downcast::<Fail>() {
                Ok(fail) => SignerRejected { code, fail }.into(),
                Err(e) => e,
            }
        }
        _ => e,
    }
}

fn classify_fail(status: u16, code: &str, message: &str, origin: &str) -> anyhow::Error {
    let (code, message) = (printable(code), printable(message));
    let code = code.as_str();
    let (kind, text) = match code {
        "AccessDenied" if message.contains("MultiFactorAuthentication") || message.contains("MFA") => (
            Kind::StsRejected,
            "STS rejected the MFA code: wait for a fresh code and check the MFA serial (mfa_serial / --serial-number)".to_string(),
        ),
        "AccessDenied" => (Kind::StsRejected, format!("STS denied access ({message}): check the IAM user's policy")),
        "InvalidClientTokenId" => (
            Kind::StsRejected,
            format!("STS does not know the access key from {origin} (InvalidClientTokenId): check aws_access_key_id or create a new key"),
        ),
        "SignatureDoesNotMatch" => (
            Kind::StsRejected,
            format!("STS rejected the secret key from {origin} (SignatureDoesNotMatch): check aws_secret_access_key"),
        ),
        "ExpiredToken" | "ExpiredTokenException" => (
            Kind::StsRejected,
            format!("STS says the signing credentials have expired (ExpiredToken): make sure {origin} holds long-term keys"),
        ),
        "RequestExpired" | "RequestTimeTooSkewed" => (
            Kind::StsRejected,
            format!("STS rejected the request time ({code}): set your system clock right"),
        ),
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded" => {
            (Kind::Network, "STS is throttling requests: wait a minute, then retry".to_string())
        }
        _ if status >= 500 || code == "InternalFailure" || code == "ServiceUnavailable" => {
            (Kind::Network, format!("STS is unavailable (HTTP {status}): try again later"))
        }
        "" if status < 300 => (
            Kind::Network,
            format!("STS sent a response awscred cannot read (HTTP {status}): retry; if it persists, check the endpoint"),
        ),
        "" => (Kind::Network, format!("STS answered HTTP {status} with no error code: check the endpoint")),
        _ => (Kind::StsRejected, format!("STS refused the request ({code}: {message})")),
    };
    fail(kind, text)
}

/// Server text goes to a terminal: drop control characters (escape sequences).
pub(crate) fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::kind_of;

    #[test]
    fn xml_text_reads_both_error_shapes() {
        let wrapped = "<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>a &amp; b</Message></Error></Errors></ErrorResponse>";
        assert_eq!(
            xml_text(wrapped, "Code").as_deref(),
            Some("SignatureDoesNotMatch")
        );
        assert_eq!(xml_text(wrapped, "Message").as_deref(), Some("a & b"));
        assert_eq!(xml_text("<a><Code></Code></a>", "Code"), None);
        assert_eq!(xml_text("<a><Code>x</a>", "Code"), None);
    }

    #[test]
    fn classify_maps_codes_to_messages_and_kinds() {
        let cases = [
            (
                403,
                "AccessDenied",
                "MultiFactorAuthentication failed with invalid MFA one time pass code.",
                Kind::StsRejected,
                "rejected the MFA code",
            ),
            (
                403,
                "AccessDenied",
                "User is not authorized",
                Kind::StsRejected,
                "denied access (User is not authorized)",
            ),
            (
                403,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
                Kind::StsRejected,
                "does not know the access key from profile p",
            ),
            (
                403,
                "SignatureDoesNotMatch",
                "x",
                Kind::StsRejected,
                "rejected the secret key from profile p",
            ),
            (400, "ExpiredToken", "x", Kind::StsRejected, "expired"),
            (
                400,
                "Throttling",
                "Rate exceeded",
                Kind::Network,
                "throttling",
            ),
            (
                500,
                "InternalFailure",
                "",
                Kind::Network,
                "unavailable (HTTP 500)",
            ),
            (503, "", "", Kind::Network, "unavailable (HTTP 503)"),
            (
                400,
                "ValidationError",
                "bad\x1b[31m",
                Kind::StsRejected,
                "(ValidationError: bad[31m)",
            ),
            (
                400,
                "Evil\x1b[31m\nCode",
                "m",
                Kind::StsRejected,
                "(Evil[31mCode: m)",
            ),
        ];
        for (status, code, msg, kind, text) in cases {
            let e = classify(status, code, msg, "profile p");
            assert_eq!(kind_of(&e), kind, "{code}");
            assert!(e.to_string().contains(text), "{code}: {e}");
            assert!(!e.to_string().contains(['\x1b', '\n']));
        }
    }
}
