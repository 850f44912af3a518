//! The three IAM calls `rotate` makes (ListAccessKeys, CreateAccessKey,
//! DeleteAccessKey): Query-protocol POSTs signed with SigV4 by `aws-sigv4`
//! and sent through the same HTTP stack as STS (hyper, rustls with ring, the
//! 1 MiB body cap). Not `aws-sdk-iam`: its generated code for some 170
//! operations costs far more build time and binary than three form posts.
//!
//! No call is retried: CreateAccessKey is not idempotent (a retry could leave
//! a third key), and `rotate` reports every failure with the state it left.

use crate::credentials::Issued;
use crate::error::{fail, Kind};
use crate::keystore::StoredKey;
use crate::sts::{exchange, printable, root_cause, xml_text, Unanswered};
use anyhow::{Context, Result};
use aws_smithy_types::body::SdkBody;
use std::time::{Duration, SystemTime};

/// An access key of the user, as ListAccessKeys reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub id: String,
    /// `Active` or `Inactive`.
    pub status: String,
}

/// Where IAM is and the region its requests are signed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub url: String,
    pub signing_region: &'static str,
}

impl Endpoint {
    /// A configured endpoint, else AWS's (IAM is global: one endpoint and
    /// one signing region per partition).
    pub fn new(configured: Option<&str>, region: &str) -> Endpoint {
        let (default, signing_region) = match crate::sts::partition(region) {
            "aws-cn" => ("https://iam.cn-north-1.amazonaws.com.cn", "cn-north-1"),
            "aws-us-gov" => ("https://iam.us-gov.amazonaws.com", "us-gov-west-1"),
            _ => ("https://iam.amazonaws.com", "us-east-1"),
        };
        Endpoint {
            url: configured.unwrap_or(default).to_string(),
            signing_region,
        }
    }
}

pub struct Iam {
    endpoint: Endpoint,
    /// The profile whose key this is, for the commands in messages.
    profile: String,
    timeout: Duration,
    runtime: tokio::runtime::Runtime,
    connector: aws_smithy_http_client::Connector,
}

impl Iam {
    pub fn new(endpoint: Endpoint, timeout: Duration, profile: &str) -> Result<Iam> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let connector = crate::sts::plain_connector(timeout);
        Ok(Iam {
            endpoint,
            profile: profile.to_string(),
            timeout,
            runtime,
            connector,
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint.url
    }

    pub fn list_access_keys(&self, signer: &Issued, user: &str) -> Result<Vec<AccessKey>> {
        let body = self.call(signer, "ListAccessKeys", &[("UserName", user)])?;
        let mut keys = Vec::new();
        for member in body.split("<member>").skip(1) {
            let (Some(id), Some(status)) =
                (xml_text(member, "AccessKeyId"), xml_text(member, "Status"))
            else {
                continue;
            };
            if crate::validate::access_key_id(&id).is_err() || keys.len() >= 100 {
                return Err(self.unreadable("ListAccessKeys"));
            }
            keys.push(AccessKey { id, status });
        }
        if !body.contains("ListAccessKeysResult") {
            return Err(self.unreadable("ListAccessKeys"));
        }
        Ok(keys)
    }

    pub fn create_access_key(&self, signer: &Issued, user: &str) -> Result<StoredKey> {
        let body = self.call(signer, "CreateAccessKey", &[("UserName", user)])?;
        let body = body
            .split_once("<CreateAccessKeyResult>")
            .map(|(_, rest)| rest)
            .ok_or_else(|| self.unreadable("CreateAccessKey"))?;
        let key = StoredKey {
            access_key_id: xml_text(body, "AccessKeyId").unwrap_or_default(),
            secret_access_key: xml_text(body, "SecretAccessKey").unwrap_or_default().into(),
        };
        key.check("IAM's CreateAccessKey answer")
            .map_err(|_| self.unreadable("CreateAccessKey"))?;
        if crate::credentials::is_temporary_key_id(&key.access_key_id) {
            return Err(self.unreadable("CreateAccessKey"));
        }
        Ok(key)
    }

    pub fn delete_access_key(&self, signer: &Issued, user: &str, id: &str) -> Result<()> {
        self.call(
            signer,
            "DeleteAccessKey",
            &[("UserName", user), ("AccessKeyId", id)],
        )
        .map(|_| ())
    }

    fn unreadable(&self, action: &str) -> anyhow::Error {
        fail(
            Kind::Network,
            format!(
                "IAM at {} answered {action} with something awscred cannot read: check the endpoint",
                self.endpoint.url
            ),
        )
    }

    /// One signed POST; the body of a 2xx answer.
    fn call(&self, signer: &Issued, action: &str, params: &[(&str, &str)]) -> Result<String> {
        let mut form = format!("Action={action}&Version=2010-05-08");
        for (k, v) in params {
            form.push('&');
            form.push_str(k);
            form.push('=');
            form.push_str(&encode(v));
        }
        let url = format!("{}/", self.endpoint.url.trim_end_matches('/'));
        let mut request = http::Request::builder()
            .method("POST")
            .uri(&url)
            .header(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .body(form.clone())
            .with_context(|| {
                format!("the IAM endpoint {} is not a usable URL", self.endpoint.url)
            })?;
        self.sign(&mut request, signer)?;
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, SdkBody::from(body));
        let request = aws_smithy_runtime_api::http::Request::try_from(request)
            .map_err(|e| anyhow::anyhow!("cannot build the IAM request: {e}"))?;
        let endpoint = &self.endpoint.url;
        let sent = self
            .runtime
            .block_on(exchange(&self.connector, request, self.timeout));
        let (status, bytes) = match sent {
            Err(Unanswered::Timeout) => {
                return Err(fail(
                    Kind::Network,
                    format!(
                        "IAM at {endpoint} did not answer {action} within {} s: check your network or proxy",
                        self.timeout.as_secs()
                    ),
                ))
            }
            Err(Unanswered::Failed(e)) => {
                return Err(fail(
                    Kind::Network,
                    format!(
                        "cannot reach IAM at {endpoint} for {action}: {}: check the endpoint, network or proxy",
                        root_cause(&e)
                    ),
                ))
            }
            Ok(answer) => answer,
        };
        let body = String::from_utf8_lossy(&bytes).into_owned();
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let code = printable(&xml_text(&body, "Code").unwrap_or_default());
        let message = printable(&xml_text(&body, "Message").unwrap_or_default());
        let param = |k: &str| params.iter().find(|(p, _)| *p == k).map(|(_, v)| *v);
        Err(refusal(&Refused {
            status,
            code: &code,
            message: &message,
            action,
            user: param("UserName").unwrap_or("USER"),
            key_id: param("AccessKeyId"),
            profile: &self.profile,
        }))
    }

    fn sign(&self, request: &mut http::Request<String>, signer: &Issued) -> Result<()> {
        use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
        use aws_sigv4::sign::v4;
        let identity = aws_credential_types::Credentials::new(
            &signer.access_key_id,
            signer.secret_access_key.expose(),
            signer
                .session_token
                .as_ref()
                .map(|t| t.expose().to_string()),
            None,
            "awscred",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(self.endpoint.signing_region)
            .name("iam")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| anyhow::anyhow!("cannot sign the IAM request: {e}"))?
            .into();
        let headers: Vec<(String, String)> = request
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let uri = request.uri().to_string();
        let signable = SignableRequest::new(
            request.method().as_str(),
            &uri,
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(request.body().as_bytes()),
        )
        .map_err(|e| anyhow::anyhow!("cannot sign the IAM request: {e}"))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| anyhow::anyhow!("cannot sign the IAM request: {e}"))?
            .into_parts();
        instructions.apply_to_request_http1x(request);
        Ok(())
    }
}

/// An IAM error answer and the call it answers.
struct Refused<'a> {
    status: u16,
    code: &'a str,
    message: &'a str,
    action: &'a str,
    user: &'a str,
    key_id: Option<&'a str>,
    profile: &'a str,
}

/// An IAM error as one line that ends in what fixes it: the permission to
/// ask for, the command to run.
fn refusal(r: &Refused) -> anyhow::Error {
    let Refused {
        status,
        code,
        message,
        action,
        user,
        key_id,
        profile,
    } = *r;
    let what = format!("IAM refused {action} (HTTP {status}, {code}: {message})");
    let list = format!("aws iam list-access-keys --user-name {user}");
    let again =
        format!("awscred clear --profile {profile}`, then `awscred rotate --profile {profile}");
    let (kind, fix) = match code {
        "AccessDenied" | "AccessDeniedException" => (
            Kind::StsRejected,
            format!("user {user} needs iam:{action} on itself (resource arn:aws:iam::*:user/${{aws:username}}) in its policy, with MFA if the policy asks for it (mfa_serial in profile {profile}): ask your administrator"),
        ),
        "InvalidClientTokenId" | "ExpiredToken" => (
            Kind::StsRejected,
            format!("the session that signed it was revoked or has expired: run `{again}`"),
        ),
        "SignatureDoesNotMatch" => (
            Kind::StsRejected,
            format!("check aws_secret_access_key of profile {profile} (`awscred keys ls`, or the credentials file)"),
        ),
        "LimitExceeded" => (
            Kind::Input,
            format!("user {user} has two access keys, the most IAM allows: see them with `{list}`, delete the one nothing uses with `aws iam delete-access-key --user-name {user} --access-key-id ID`, then retry"),
        ),
        "NoSuchEntity" => match key_id {
            Some(id) => (
                Kind::Input,
                format!("user {user} has no key {id} (deleted already?): see the user's keys with `{list}`"),
            ),
            None => (
                Kind::Input,
                format!("IAM has no user {user}: check whom the key belongs to with `aws sts get-caller-identity --profile {profile}`"),
            ),
        },
        _ if status >= 500 || code.contains("Throttl") || code == "ServiceFailure" => {
            (Kind::Network, "retry in a minute".to_string())
        }
        // An error without a known fix: as IAM said it.
        _ => return fail(Kind::StsRejected, what),
    };
    fail(kind, format!("{what}: {fix}"))
}

/// RFC 3986 percent-encoding of a form value (unreserved characters kept).
fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The IAM user name in a user ARN (`arn:aws:iam::123456789012:user/path/NAME`).
pub fn user_name(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let (_partition, service, _region, _account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if service != "iam" {
        return None;
    }
    let name = resource.strip_prefix("user/")?.rsplit('/').next()?;
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    ok.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_come_from_user_arns_only() {
        assert_eq!(
            user_name("arn:aws:iam::123456789012:user/division/me@x.com"),
            Some("me@x.com")
        );
        assert_eq!(
            user_name("arn:aws:iam::123456789012:user/alice"),
            Some("alice")
        );
        assert_eq!(
            user_name("arn:aws:sts::123456789012:assumed-role/r/s"),
            None
        );
        assert_eq!(user_name("arn:aws:iam::123456789012:root"), None);
        assert_eq!(user_name("arn:aws:iam::123456789012:user/a b"), None);
    }

    #[test]
    fn endpoints_per_partition_and_encoding() {
        assert_eq!(
            Endpoint::new(None, "eu-west-1").url,
            "https://iam.amazonaws.com"
        );
        assert_eq!(
            Endpoint::new(None, "cn-northwest-1").signing_region,
            "cn-north-1"
        );
        assert_eq!(
            Endpoint::new(Some("http://127.0.0.1:5"), "us-gov-east-1").url,
            "http://127.0.0.1:5"
        );
        assert_eq!(encode("a+b=c@d.e/f g"), "a%2Bb%3Dc%40d.e%2Ff%20g");
    }
}
