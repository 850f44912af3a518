//! `{"Credentials": {...}}`, the shape `aws sts get-session-token` prints
//! (4-space indent like the AWS CLI), so `jq -r .Credentials.AccessKeyId` works.

use super::{Exports, Render};
use crate::credentials::Credentials;
use crate::error::{fail, Kind};
use anyhow::Result;
use serde::Serialize;

pub struct Json;

#[derive(Serialize)]
struct StsShape<'a> {
    #[serde(rename = "Credentials")]
    credentials: &'a Credentials,
}

pub fn sts_json(credentials: &Credentials) -> Result<String> {
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    StsShape { credentials }.serialize(&mut ser)?;
    out.push(b'\n');
    Ok(String::from_utf8(out)?)
}

impl Render for Json {
    fn set(&self, exports: &Exports) -> Result<String> {
        sts_json(exports.credentials)
    }

    fn unset(&self, _names: &[&str]) -> Result<String> {
        Err(fail(
            Kind::Usage,
            "the json format has nothing to unset: use a shell format such as --format env",
        ))
    }

    fn failure(&self) -> &'static str {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Timestamp;

    #[test]
    fn exact_sts_shape() {
        let c = Credentials {
            access_key_id: "ASIA1".into(),
            secret_access_key: "s\"\\".into(),
            session_token: "t".into(),
            expiration: Timestamp(0),
        };
        assert_eq!(
            sts_json(&c).unwrap(),
            "{\n    \"Credentials\": {\n        \"AccessKeyId\": \"ASIA1\",\n        \"SecretAccessKey\": \"s\\\"\\\\\",\n        \"SessionToken\": \"t\",\n        \"Expiration\": \"1970-01-01T00:00:00Z\"\n    }\n}\n"
        );
    }
}
