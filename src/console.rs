//! Console sign-in: a session exchanged at the AWS federation endpoint for a
//! sign-in token (`getSigninToken`), and the login URL made from it
//! (`Action=login`), as AWS documents for a custom identity broker:
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_enable-console-custom-url.html>.
//!
//! The endpoint takes role sessions (AssumeRole, SSO, web identity) and
//! GetFederationToken sessions; it refuses long-term keys and GetSessionToken
//! sessions, which is why an IAM user with MFA and no role cannot open the
//! console with its MFA (see `cmd/console.rs`).
//!
//! The answer is bounded like STS's: the timeouts of `AWSCRED_TIMEOUT`, at
//! most [`MAX_BODY`] read, no redirect followed, JSON parsed strictly, and the
//! token checked before it goes into a URL.

use crate::credentials::Issued;
use crate::error::{fail, Kind};
use crate::secret::Secret;
use crate::sts::{exchange, printable, root_cause, Unanswered, MAX_BODY};
use anyhow::{Context, Result};
use aws_smithy_types::body::SdkBody;
use std::time::Duration;
use zeroize::Zeroizing;

/// Where a partition signs in and where its console is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub name: &'static str,
    pub signin: &'static str,
    pub console: &'static str,
    /// The console region when none is configured.
    pub default_region: &'static str,
}

pub const AWS: Partition = Partition {
    name: "aws",
    signin: "signin.aws.amazon.com",
    console: "console.aws.amazon.com",
    default_region: "us-east-1",
};
pub const AWS_CN: Partition = Partition {
    name: "aws-cn",
    signin: "signin.amazonaws.cn",
    console: "console.amazonaws.cn",
    default_region: "cn-north-1",
};
pub const AWS_US_GOV: Partition = Partition {
    name: "aws-us-gov",
    signin: "signin.amazonaws-us-gov.com",
    console: "console.amazonaws-us-gov.com",
    default_region: "us-gov-west-1",
};

/// The partition of a name (`aws-cn`); `None` for one without a public
/// console sign-in (the ISO partitions) or an unknown one.
pub fn partition_named(name: &str) -> Option<Partition> {
    [AWS, AWS_CN, AWS_US_GOV]
        .into_iter()
        .find(|p| p.name == name)
}

/// The partition an ARN names (`arn:aws-us-gov:iam::…`).
pub fn arn_partition(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:")?.split(':').next()
}

/// The console's services by the names people type, with their paths.
/// Anything else is taken as a console path of its own (`NAME/home`).
pub const SERVICES: &[(&str, &str)] = &[
    ("apigateway", "apigateway/home"),
    ("athena", "athena/home"),
    ("billing", "billing/home"),
    ("cloudformation", "cloudformation/home"),
    ("cloudfront", "cloudfront/v4/home"),
    ("cloudshell", "cloudshell/home"),
    ("cloudtrail", "cloudtrail/home"),
    ("cloudwatch", "cloudwatch/home"),
    ("codebuild", "codesuite/codebuild/home"),
    ("codepipeline", "codesuite/codepipeline/home"),
    ("dynamodb", "dynamodbv2/home"),
    ("ec2", "ec2/home"),
    ("ecr", "ecr/home"),
    ("ecs", "ecs/v2/home"),
    ("eks", "eks/home"),
    ("glue", "glue/home"),
    ("iam", "iam/home"),
    ("kms", "kms/home"),
    ("lambda", "lambda/home"),
    ("logs", "cloudwatch/home#logsV2:log-groups"),
    ("organizations", "organizations/v2/home"),
    ("rds", "rds/home"),
    ("route53", "route53/v2/home"),
    ("s3", "s3/home"),
    ("sagemaker", "sagemaker/home"),
    ("secretsmanager", "secretsmanager/home"),
    ("sns", "sns/v3/home"),
    ("sqs", "sqs/v3/home"),
    ("ssm", "systems-manager/home"),
    ("stepfunctions", "states/home"),
    ("vpc", "vpc/home"),
];

/// Where the console opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place<'a> {
    Home,
    Service(&'a str),
    Path(&'a str),
}

/// The destination URL: the console of `partition` in `region`, at `place`,
/// with `region=` in the query (the console's region selector reads it).
pub fn destination(partition: Partition, region: &str, place: &Place) -> Result<String> {
    let path = match place {
        Place::Home => "console/home".to_string(),
        Place::Service(name) => {
            let name = name.to_ascii_lowercase();
            match SERVICES.iter().find(|(n, _)| *n == name) {
                Some((_, path)) => path.to_string(),
                None if !name.is_empty()
                    && name.len() <= 64
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
                {
                    format!("{name}/home")
                }
                None => {
                    return Err(fail(
                        Kind::Usage,
                        "--service takes a console service name (letters, digits and -, like s3 or ec2): use --path for anything else",
                    ))
                }
            }
        }
        Place::Path(path) => {
            let path = path.trim_start_matches('/');
            if crate::validate::text(path, 2000).is_err()
                || path.contains(char::is_whitespace)
                || path.contains('\\')
                || path.starts_with('/')
            {
                return Err(fail(
                    Kind::Usage,
                    "--path takes a console path like ec2/home#Instances: one word of printable characters",
                ));
            }
            path.to_string()
        }
    };
    let (before, fragment) = match path.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (path.as_str(), None),
    };
    let mut url = format!("https://{region}.{}/{before}", partition.console);
    if !before.contains("region=") {
        url.push(if before.contains('?') { '&' } else { '?' });
        url.push_str("region=");
        url.push_str(region);
    }
    if let Some(f) = fragment {
        url.push('#');
        url.push_str(f);
    }
    Ok(url)
}

/// The federation endpoint: `AWS_ENDPOINT_URL_SIGNIN` (validated by the
/// caller) + `/federation`, else the partition's sign-in host.
pub fn federation_url(configured: Option<&str>, partition: Partition) -> String {
    match configured {
        Some(url) => format!("{}/federation", url.trim_end_matches('/')),
        None => format!("https://{}/federation", partition.signin),
    }
}

/// What `getSigninToken` is asked for.
pub struct TokenRequest<'a> {
    pub federation_url: &'a str,
    pub credentials: &'a Issued,
    /// `SessionDuration`: only where the endpoint accepts it (see `cmd/console.rs`).
    pub session_duration: Option<u32>,
    pub timeout: Duration,
}

/// The request URL, with the session: it holds the secret key and token,
/// and is only ever sent (TLS, or plain http to this machine), never shown.
fn token_request_url(req: &TokenRequest) -> Result<Secret> {
    let token = req.credentials.session_token.as_ref().ok_or_else(|| {
        fail(
            Kind::Input,
            "the federation endpoint takes temporary credentials only (these have no session token)",
        )
    })?;
    // Copies of the secrets are wiped when dropped.
    let session = Zeroizing::new(
        serde_json::json!({
            "sessionId": req.credentials.access_key_id,
            "sessionKey": req.credentials.secret_access_key.expose(),
            "sessionToken": token.expose(),
        })
        .to_string(),
    );
    let encoded = Zeroizing::new(encode(&session));
    let mut url = format!("{}?Action=getSigninToken", req.federation_url);
    if let Some(d) = req.session_duration {
        url.push_str(&format!("&SessionDuration={d}"));
    }
    let mut url = Zeroizing::new(url);
    url.reserve(10 + encoded.len());
    url.push_str("&Session=");
    url.push_str(&encoded);
    Ok(Secret::new(std::mem::take(&mut *url)))
}

/// The longest sign-in token accepted (real ones are under 2 KiB).
pub const MAX_SIGNIN_TOKEN: usize = 16 * 1024;

/// The sign-in token for the session: one GET, bounded like an STS call.
pub fn signin_token(req: &TokenRequest) -> Result<Secret> {
    let url = token_request_url(req)?;
    let endpoint = req.federation_url;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let connector = crate::sts::plain_connector(req.timeout);
    let request = http::Request::builder()
        .method("GET")
        .uri(url.expose())
        .header("accept", "application/json")
        .body(SdkBody::empty())
        .map_err(|_| {
            fail(
                Kind::Input,
                format!("the federation endpoint {endpoint} is not a usable URL: check AWS_ENDPOINT_URL_SIGNIN"),
            )
        })?;
    let request = aws_smithy_runtime_api::http::Request::try_from(request)
        .map_err(|e| anyhow::anyhow!("cannot build the sign-in request: {e}"))?;
    let timed_out = || {
        fail(
            Kind::Network,
            format!(
                "the federation endpoint {endpoint} did not answer within {} s: check your network or proxy (AWSCRED_TIMEOUT)",
                req.timeout.as_secs()
            ),
        )
    };
    let sent = runtime.block_on(exchange(&connector, request, req.timeout));
    let (status, bytes) = match sent {
        Err(Unanswered::Timeout) => return Err(timed_out()),
        Err(Unanswered::Failed(e)) if e.is_timeout() => return Err(timed_out()),
        Err(Unanswered::Failed(e)) if crate::sts::is_too_large(&e) => {
            return Err(fail(
                Kind::Network,
                format!("the federation endpoint {endpoint} sent a response over {} MiB, far more than a sign-in token: check AWS_ENDPOINT_URL_SIGNIN", MAX_BODY >> 20),
            ))
        }
        Err(Unanswered::Failed(e)) => {
            return Err(fail(
                Kind::Network,
                format!(
                    "cannot reach the federation endpoint {endpoint}: {}: check the network, proxy or AWS_ENDPOINT_URL_SIGNIN",
                    root_cause(&e)
                ),
            ))
        }
        Ok(answer) => answer,
    };
    read_answer(status, &bytes, endpoint)
}

/// The sign-in token in the endpoint's answer, or why there is none.
fn read_answer(status: u16, body: &[u8], endpoint: &str) -> Result<Secret> {
    let unreadable = || {
        fail(
            Kind::Network,
            format!("the federation endpoint {endpoint} answered with something that is not a sign-in token: check AWS_ENDPOINT_URL_SIGNIN"),
        )
    };
    match status {
        200 => {}
        400..=499 => {
            // AWS answers a refused session with a short text or HTML page:
            // one printable line of it, no markup, says enough.
            let text = String::from_utf8_lossy(body);
            // A page that echoes the request (a proxy's or a firewall's) would
            // hold the session itself: such a text is not shown at all.
            let lower = text.to_ascii_lowercase();
            let echoes = ["session=", "%22session", "\"sessionid\"", "\"sessionkey\"", "\"sessiontoken\""]
                .iter()
                .any(|w| lower.contains(w));
            let text = if echoes { Default::default() } else { text };
            let said: String = printable(&strip_tags(&text)).chars().take(160).collect();
            let said = said.trim();
            let said = if said.is_empty() { String::new() } else { format!(": {said}") };
            return Err(fail(
                Kind::StsRejected,
                format!("the federation endpoint refused the session (HTTP {status}{said}): it takes role, SSO and GetFederationToken sessions, which must not have expired"),
            ));
        }
        500..=599 => {
            return Err(fail(
                Kind::Network,
                format!("the federation endpoint {endpoint} is unavailable (HTTP {status}): try again later"),
            ))
        }
        _ => {
            return Err(fail(
                Kind::Network,
                format!("the federation endpoint {endpoint} answered HTTP {status}: check AWS_ENDPOINT_URL_SIGNIN"),
            ))
        }
    }
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "SigninToken")]
        signin_token: String,
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|_| unreadable())?;
    let token = Secret::from(answer.signin_token);
    let t = token.expose();
    // Only URL-safe printable ASCII goes into the login URL and the page.
    if t.is_empty() || t.len() > MAX_SIGNIN_TOKEN || !t.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(unreadable());
    }
    Ok(token)
}

/// Text without `<…>` markup.
fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in s.chars() {
        match c {
            '<' => inside = true,
            '>' => {
                inside = false;
                out.push(' ');
            }
            _ if !inside => out.push(if c.is_whitespace() { ' ' } else { c }),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The login URL: a bearer token for 15 minutes (it never goes to argv or stderr).
pub fn login_url(federation_url: &str, destination: &str, token: &Secret) -> Secret {
    format!(
        "{federation_url}?Action=login&Issuer=awscred&Destination={}&SigninToken={}",
        encode(destination),
        encode(token.expose())
    )
    .into()
}

/// The login URL behind a sign-out of the browser's current console session
/// (`--logout`): without the console's multi-session support, a browser
/// signed in to one account shows "log out first" for a second. The
/// endpoint is the one aws-vault's fork uses for `--auto-logout`; known for
/// the `aws` partition only.
pub fn after_logout(
    configured: Option<&str>,
    partition: Partition,
    login: &Secret,
) -> Result<Secret> {
    let base = match (configured, partition.name) {
        (Some(url), _) => url.trim_end_matches('/').to_string(),
        (None, "aws") => "https://us-east-1.signin.aws.amazon.com".to_string(),
        (None, other) => {
            return Err(fail(
                Kind::Usage,
                format!("--logout works in the aws partition only, not {other}: sign out in the browser, or turn on the console's multi-session support"),
            ))
        }
    };
    Ok(format!(
        "{base}/oauth?Action=logout&redirect_uri={}",
        encode(login.expose())
    )
    .into())
}

/// The URL that opens `url` in the Firefox container `name`, through the
/// "Open external links in a container" extension (`ext+container:`).
pub fn container_url(name: &str, url: &Secret) -> Secret {
    format!(
        "ext+container:name={}&url={}",
        encode(name),
        encode(url.expose())
    )
    .into()
}

/// RFC 3986 percent-encoding (unreserved characters kept).
pub fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len() * 3);
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_per_place_and_partition() {
        let d = |p, r, place| destination(p, r, &place).unwrap();
        assert_eq!(
            d(AWS, "eu-west-1", Place::Home),
            "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1"
        );
        assert_eq!(
            d(AWS_CN, "cn-north-1", Place::Service("S3")),
            "https://cn-north-1.console.amazonaws.cn/s3/home?region=cn-north-1"
        );
        assert_eq!(
            d(AWS_US_GOV, "us-gov-west-1", Place::Service("guardduty")),
            "https://us-gov-west-1.console.amazonaws-us-gov.com/guardduty/home?region=us-gov-west-1"
        );
        assert_eq!(
            d(AWS, "us-east-1", Place::Path("/ec2/home?x=1#Instances:")),
            "https://us-east-1.console.aws.amazon.com/ec2/home?x=1&region=us-east-1#Instances:"
        );
        assert_eq!(
            d(AWS, "us-east-1", Place::Service("logs")),
            "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups"
        );
        for bad in [
            Place::Service("s3/../x"),
            Place::Path("a b"),
            Place::Path("a\u{1b}b"),
            Place::Service(""),
        ] {
            assert!(destination(AWS, "us-east-1", &bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn each_partition_signs_in_at_its_own_host_unless_configured() {
        assert_eq!(
            federation_url(None, AWS),
            "https://signin.aws.amazon.com/federation"
        );
        assert_eq!(
            federation_url(None, AWS_CN),
            "https://signin.amazonaws.cn/federation"
        );
        assert_eq!(
            federation_url(None, AWS_US_GOV),
            "https://signin.amazonaws-us-gov.com/federation"
        );
        assert_eq!(
            federation_url(Some("http://127.0.0.1:9/"), AWS_CN),
            "http://127.0.0.1:9/federation"
        );
        assert_eq!(partition_named("aws-iso"), None);
        assert_eq!(arn_partition("arn:aws-cn:iam::1:role/x"), Some("aws-cn"));
    }

    #[test]
    fn answers_are_checked_before_use() {
        let ok = read_answer(200, br#"{"SigninToken":"abc-DEF_123"}"#, "e").unwrap();
        assert_eq!(ok.expose(), "abc-DEF_123");
        for (status, body) in [
            (200, &br#"{"SigninToken":"a\u001bb"}"#[..]),
            (200, br#"{"SigninToken":"a b"}"#),
            (200, br#"{"SigninToken":""}"#),
            (200, b"<html>"),
            (200, br#"{"Other":"x"}"#),
            (302, b""),
        ] {
            let e = read_answer(status, body, "e").unwrap_err();
            assert_eq!(crate::error::kind_of(&e), Kind::Network, "{body:?}");
        }
        let e =
            read_answer(400, b"<html><body>Bad\x1b[31m Request</body></html>", "e").unwrap_err();
        assert_eq!(crate::error::kind_of(&e), Kind::StsRejected);
        assert!(e.to_string().contains("(HTTP 400: Bad[31m Request)"), "{e}");
    }

    #[test]
    fn urls_are_encoded() {
        let token: Secret = "t/k+n=".to_string().into();
        let url = login_url(
            "https://signin.aws.amazon.com/federation",
            "https://x/?a=b&c",
            &token,
        );
        assert_eq!(
            url.expose(),
            "https://signin.aws.amazon.com/federation?Action=login&Issuer=awscred&Destination=https%3A%2F%2Fx%2F%3Fa%3Db%26c&SigninToken=t%2Fk%2Bn%3D"
        );
        assert!(container_url("my work", &url)
            .expose()
            .starts_with("ext+container:name=my%20work&url=https%3A%2F%2Fsignin"));
        assert!(after_logout(None, AWS_CN, &url).is_err());
        assert!(after_logout(None, AWS, &url).unwrap().expose().starts_with(
            "https://us-east-1.signin.aws.amazon.com/oauth?Action=logout&redirect_uri=https%3A"
        ));
    }

    /// A refusal page that echoes the request URL (a proxy's block page) never
    /// puts the session on stderr.
    #[test]
    fn a_refusal_that_echoes_the_request_shows_none_of_it() {
        for body in [
            "Blocked: GET /federation?Action=getSigninToken&Session=%7B%22sessionId%22%3A%22ASIAX%22%2C%22sessionKey%22%3A%22SECRETSECRET%22%7D",
            "<p>denied {\"sessionId\":\"ASIAX\",\"sessionKey\":\"SECRETSECRET\"}</p>",
        ] {
            let e = read_answer(403, body.as_bytes(), "https://signin.example").unwrap_err().to_string();
            assert!(!e.contains("SECRET") && !e.contains("ASIAX"), "{e}");
            assert!(e.contains("HTTP 403"), "{e}");
        }
        let e = read_answer(400, b"Invalid session duration", "x")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("Invalid session duration"),
            "an ordinary refusal is shown: {e}"
        );
    }
}
