//! awscred: AWS MFA session credentials for the shell.

pub mod browser;
pub mod cache;
pub mod chain;
pub mod cli;
pub mod cmd;
pub mod console;
pub mod credentials;
pub mod credfile;
pub mod dialog;
pub mod env;
pub mod error;
pub mod fsafe;
pub mod iam;
pub mod ini;
pub mod keystore;
pub mod process;
pub mod profile;
pub mod prompt;
pub mod secret;
pub mod server;
pub mod session;
pub mod shell;
#[cfg(unix)]
pub mod signals;
pub mod sso;
pub mod sts;
#[cfg(test)]
mod testdata;
pub mod validate;

use anyhow::Result;
use cli::Command;
use env::Env;

/// Runs one command and returns its stdout and exit.
pub fn run(command: &Command, env: &Env) -> Result<cmd::Output> {
    env.check()?;
    // --mfa-prompt is read as the variable it overrides, in one place.
    let flag = match command {
        Command::Mfa(a) => a.prompt.mfa_prompt.as_deref(),
        Command::CredentialProcess(a) => a.prompt.mfa_prompt.as_deref(),
        Command::Exec(a) => a.prompt.mfa_prompt.as_deref(),
        Command::Serve(a) => a.prompt.mfa_prompt.as_deref(),
        Command::Console(a) => a.prompt.mfa_prompt.as_deref(),
        Command::Switch(a) => a.prompt.mfa_prompt.as_deref(),
        _ => None,
    };
    let with_flag;
    let env = match flag {
        Some(how) => {
            prompt::Mode::parse(how, "--mfa-prompt")?;
            with_flag = env.clone().with(env::AWSCRED_MFA_PROMPT, how);
            &with_flag
        }
        None => env,
    };
    Ok(match command {
        Command::GetSessionToken(a) => cmd::get_session_token::run(a, env)?.into(),
        Command::Mfa(a) => cmd::mfa::run(a, env)?,
        Command::AssumeRole(a) => cmd::assume_role::run(a, env)?.into(),
        Command::Export(a) => cmd::export::run(a, env)?,
        Command::Unset(a) => cmd::unset::run(a, env)?.into(),
        Command::Switch(a) => cmd::switch::run(a, env)?,
        Command::CredentialProcess(a) => cmd::credential_process::run(a, env)?.into(),
        Command::Exec(a) => cmd::exec::run(a, env)?.into(),
        Command::Serve(a) => cmd::serve::run(a, env)?.into(),
        Command::Console(a) => cmd::console::run(a, env)?.into(),
        Command::Status(a) => cmd::status::run(a, env)?,
        Command::List => cmd::list::run(env)?.into(),
        Command::Clear(a) => cmd::clear::run(a, env)?.into(),
        Command::Init(a) => cmd::init::run(a)?.into(),
        Command::Keys(a) => cmd::keys::run(a, env)?.into(),
        Command::Sso(a) => cmd::sso::run(a, env)?.into(),
        Command::Rotate(a) => cmd::rotate::run(a, env)?.into(),
        Command::Completions(a) => cmd::docs::completions(a)?.into(),
        Command::Man => cmd::docs::man()?.into(),
    })
}
