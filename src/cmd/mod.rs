//! One file per subcommand. Each `run` returns what goes to stdout; printing it,
//! and printing the failure line instead on error, is the caller's job, so no
//! command can leave half its output behind.

pub mod export;
pub mod get_session_token;
pub mod init;
pub mod mfa;
pub mod unset;

use crate::cache::Cache;
use crate::credentials::Timestamp;
use crate::error::{fail, Kind};
use crate::profile::Env;
use crate::sts::SdkSts;
use anyhow::Result;
use std::time::Duration;

/// The real STS client with the timeout from `AWSCRED_TIMEOUT` (seconds, default 10).
pub fn sts(env: &Env) -> Result<SdkSts> {
    let secs = match env.get("AWSCRED_TIMEOUT") {
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|s| (1..=600).contains(s))
            .ok_or_else(|| {
                fail(
                    Kind::Input,
                    format!("AWSCRED_TIMEOUT `{v}` must be whole seconds from 1 to 600"),
                )
            })?,
        None => 10,
    };
    Ok(SdkSts {
        timeout: Duration::from_secs(secs),
    })
}

pub fn now() -> Timestamp {
    Timestamp::now()
}

pub fn cache(env: &Env) -> Cache {
    Cache::new(env)
}
