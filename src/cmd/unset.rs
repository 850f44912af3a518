use crate::cli::UnsetArgs;
use crate::profile::Env;
use crate::shell::ALL_VARS;
use anyhow::Result;

pub fn run(args: &UnsetArgs, env: &Env) -> Result<String> {
    args.as_format_arg().get(env)?.renderer(env).unset(ALL_VARS)
}
