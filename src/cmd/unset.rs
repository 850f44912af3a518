use crate::cli::UnsetArgs;
use crate::shell::ALL_VARS;
use anyhow::Result;

pub fn run(args: &UnsetArgs) -> Result<String> {
    args.format.format.renderer().unset(ALL_VARS)
}
