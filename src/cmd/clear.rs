//! Removes cached sessions: the profile's (every base key, device, endpoint and
//! role), or, with `--all`, everything awscred made in its directory (entries,
//! locks nobody holds, temp files left by killed runs) and nothing else.

use crate::cache::Cache;
use crate::cli::ClearArgs;
use crate::cmd;
use crate::env::Env;
use crate::profile::{profile_name, Options};
use anyhow::Result;

pub fn run(args: &ClearArgs, env: &Env) -> Result<String> {
    let cache = cmd::cache(env)?;
    let opts = Options {
        profile: args.profile.profile.as_deref(),
        ..Options::default()
    };
    let profile = match args.all {
        true => None,
        false => Some(profile_name(&opts, env)?.0),
    };
    let mut removed = 0;
    for listed in cache.list() {
        let chosen = match (profile, &listed.entry) {
            (None, _) => true,
            (Some(p), Some((key, _))) => key.profile == p,
            // Unreadable, corrupt or foreign: the profile part of its name tells.
            (Some(p), None) => Cache::belongs_to(&listed.name, p),
        };
        if chosen {
            cache.remove(&listed.name)?;
            removed += usize::from(listed.name.ends_with(".json"));
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
