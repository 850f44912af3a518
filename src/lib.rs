//! awscred: AWS MFA session credentials for the shell.

pub mod cache;
pub mod cli;
pub mod cmd;
pub mod credentials;
pub mod error;
pub mod ini;
pub mod profile;
pub mod prompt;
pub mod session;
pub mod shell;
pub mod sts;

use anyhow::Result;
use cli::Command;
use profile::Env;

/// Runs one command and returns its stdout.
pub fn run(command: &Command, env: &Env) -> Result<String> {
    match command {
        Command::GetSessionToken(a) => cmd::get_session_token::run(a, env),
        Command::Mfa(a) => cmd::mfa::run(a, env),
        Command::Export(a) => cmd::export::run(a, env),
        Command::Unset(a) => cmd::unset::run(a, env),
        Command::Init(a) => cmd::init::run(a),
    }
}
