use crate::cli::UnsetArgs;
use crate::env::Env;
use crate::shell;
use anyhow::Result;

pub fn run(args: &UnsetArgs, env: &Env) -> Result<String> {
    shell::unset(args.as_format_arg().get(env)?, env)
}
