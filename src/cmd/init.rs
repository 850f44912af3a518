//! Shell integration code, one template per shell (src/init/).

use crate::cli::{InitArgs, InitShell};
use anyhow::Result;

pub fn run(args: &InitArgs) -> Result<String> {
    Ok(match args.shell {
        InitShell::Bash | InitShell::Zsh => include_str!("../init/posix.sh"),
        InitShell::Fish => include_str!("../init/fish.fish"),
        InitShell::Powershell => include_str!("../init/powershell.ps1"),
        InitShell::Nu => include_str!("../init/nu.nu"),
    }
    .to_string())
}
