//! `credential_process = awscred credential-process --profile P`: the SDKs and
//! the AWS CLI run this for credentials. stdout is the JSON and nothing else;
//! the code prompt goes to the terminal, so it works under any SDK.

use crate::cli::CredentialProcessArgs;
use crate::cmd;
use crate::env::Env;
use crate::shell::json::process_json;
use anyhow::Result;

pub fn run(args: &CredentialProcessArgs, env: &Env) -> Result<String> {
    let h = cmd::handout(env, args.profile.profile.as_deref(), cmd::NoSession::Obtain)?;
    process_json(&h.credentials, h.account_id.as_deref())
}
