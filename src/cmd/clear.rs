//! Removes cached sessions: the profile's (every base key and device), or all.

use crate::cli::ClearArgs;
use crate::cmd;
use crate::profile::{profile_name, Env, Options};
use anyhow::{Context, Result};

pub fn run(args: &ClearArgs, env: &Env) -> Result<String> {
    let cache = cmd::cache(env);
    let opts = Options {
        profile: args.profile.profile.as_deref(),
        ..Options::default()
    };
    let profile = (!args.all).then(|| profile_name(&opts, env).0);
    let mut removed = 0;
    for (path, key, _) in cache.entries() {
        if profile.is_none_or(|p| p == key.profile) {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
            removed += 1;
        }
    }
    let what = match profile {
        Some(p) => format!("for profile {p}"),
        None => "in total".to_string(),
    };
    crate::error::report(&format!(
        "removed {removed} cached session{} {what} from {}",
        if removed == 1 { "" } else { "s" },
        cache.dir().display()
    ));
    Ok(String::new())
}
