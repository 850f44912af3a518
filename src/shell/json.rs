//! The JSON formats: `json` is `{"Credentials": {...}}`, the shape
//! `aws sts get-session-token` prints (4-space indent like the AWS CLI), so
//! `jq -r .Credentials.AccessKeyId` works; `process` is what the AWS SDKs
//! expect from a `credential_process`.

use super::{no_unset, Exports, Render};
use crate::credentials::{Issued, Timestamp};
use crate::secret::Secret;
use anyhow::Result;
use serde::Serialize;

pub struct Json;

pub struct Process;

/// The credential fields, in STS's order; long-term keys have no token or expiration.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Fields<'a> {
    access_key_id: &'a str,
    secret_access_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration: Option<Timestamp>,
}

impl<'a> From<&'a Issued> for Fields<'a> {
    fn from(c: &'a Issued) -> Fields<'a> {
        Fields {
            access_key_id: &c.access_key_id,
            secret_access_key: c.secret_access_key.expose(),
            session_token: c.session_token.as_ref().map(Secret::expose),
            expiration: c.expiration,
        }
    }
}

#[derive(Serialize)]
struct StsShape<'a> {
    #[serde(rename = "Credentials")]
    credentials: Fields<'a>,
}

#[derive(Serialize)]
struct ProcessShape<'a> {
    #[serde(rename = "Version")]
    version: u8,
    #[serde(flatten)]
    credentials: Fields<'a>,
    /// Read by boto3 (`account_id`) and the SDKs for account-based endpoints.
    #[serde(rename = "AccountId", skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
}

pub fn sts_json(credentials: &Issued) -> Result<String> {
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    StsShape {
        credentials: credentials.into(),
    }
    .serialize(&mut ser)?;
    out.push(b'\n');
    Ok(String::from_utf8(out)?)
}

pub fn process_json(credentials: &Issued, account_id: Option<&str>) -> Result<String> {
    let mut s = serde_json::to_string(&ProcessShape {
        version: 1,
        credentials: credentials.into(),
        account_id,
    })?;
    s.push('\n');
    Ok(s)
}

impl Render for Json {
    fn set(&self, exports: &Exports) -> Result<String> {
        sts_json(exports.credentials)
    }

    fn unset(&self, _vars: &super::Vars) -> Result<String> {
        Err(no_unset("json"))
    }

    fn failure(&self) -> &'static str {
        ""
    }
}

impl Render for Process {
    fn set(&self, exports: &Exports) -> Result<String> {
        process_json(
            exports.credentials,
            exports.value(crate::env::AWS_ACCOUNT_ID),
        )
    }

    fn unset(&self, _vars: &super::Vars) -> Result<String> {
        Err(no_unset("process"))
    }

    fn failure(&self) -> &'static str {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Issued {
        Issued {
            access_key_id: "ASIA1".into(),
            secret_access_key: "s\"\\\n".into(),
            session_token: Some("t".into()),
            expiration: Some(Timestamp(0)),
        }
    }

    #[test]
    fn long_term_keys_omit_token_and_expiration() {
        let c = Issued {
            session_token: None,
            expiration: None,
            ..creds()
        };
        assert_eq!(
            process_json(&c, None).unwrap(),
            "{\"Version\":1,\"AccessKeyId\":\"ASIA1\",\"SecretAccessKey\":\"s\\\"\\\\\\n\"}\n"
        );
    }

    #[test]
    fn exact_sts_shape() {
        assert_eq!(
            sts_json(&creds()).unwrap(),
            "{\n    \"Credentials\": {\n        \"AccessKeyId\": \"ASIA1\",\n        \"SecretAccessKey\": \"s\\\"\\\\\\n\",\n        \"SessionToken\": \"t\",\n        \"Expiration\": \"1970-01-01T00:00:00Z\"\n    }\n}\n"
        );
    }

    #[test]
    fn exact_process_shape() {
        assert_eq!(
            process_json(&creds(), Some("123456789012")).unwrap(),
            "{\"Version\":1,\"AccessKeyId\":\"ASIA1\",\"SecretAccessKey\":\"s\\\"\\\\\\n\",\"SessionToken\":\"t\",\"Expiration\":\"1970-01-01T00:00:00Z\",\"AccountId\":\"123456789012\"}\n"
        );
    }
}
