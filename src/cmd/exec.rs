//! Runs a command with the session in its environment, so tools that only
//! read variables work without touching the calling shell.

use crate::cli::ExecArgs;
use crate::cmd;
use crate::error::{fail, Kind};
use crate::profile::{profile_name, Env, Options};
use crate::shell::{check, Exports};
use anyhow::Result;
use std::process::Command;

pub fn run(args: &ExecArgs, env: &Env) -> Result<String> {
    let (name, _) = profile_name(
        &Options {
            profile: args.profile.profile.as_deref(),
            ..Options::default()
        },
        env,
    )?;
    if let Some(active) = env.awscred_profile() {
        if active != name && !args.force {
            return Err(fail(
                Kind::Input,
                format!("this shell is already in an awscred session for profile {active}: leave it first, or pass --force to nest {name}"),
            ));
        }
    }
    let h = cmd::handout(env, args.profile.profile.as_deref(), cmd::NoSession::Obtain)?;

    let (program, rest) = match args.command.split_first() {
        Some((p, rest)) => (p.clone(), rest.to_vec()),
        None => (
            env.shell()
                .unwrap_or(if cfg!(windows) { "cmd" } else { "/bin/sh" })
                .to_string(),
            vec![],
        ),
    };
    let mut child = Command::new(&program);
    child.args(&rest);
    // SDKs prefer a named profile over the variables: drop it, and any stale session names.
    for name in crate::env::SET
        .iter()
        .chain(&[crate::env::AWS_PROFILE, crate::env::AWS_DEFAULT_PROFILE])
    {
        child.env_remove(name);
    }
    let mut vars = Exports::new(&h.credentials, &h.about(false)).vars;
    // So that `unset` in the command's shell puts back this shell's settings.
    if let Some(record) = crate::shell::saved::record(env, &vars) {
        vars.push((crate::env::AWSCRED_SAVED, Some(record)));
    }
    for (name, value) in vars {
        if let Some(value) = value {
            check(name, &value)?;
            child.env(name, value);
        }
    }
    run_replacing(child, &program)
}

/// On Unix the command replaces awscred (signals and exit status are its own).
#[cfg(unix)]
fn run_replacing(mut child: Command, program: &str) -> Result<String> {
    use std::os::unix::process::CommandExt;
    let err = child.exec();
    Err(fail(
        Kind::Exec,
        format!("cannot run `{program}`: {err}: check the command name and PATH"),
    ))
}

#[cfg(not(unix))]
fn run_replacing(mut child: Command, program: &str) -> Result<String> {
    let status = child.status().map_err(|e| {
        fail(
            Kind::Exec,
            format!("cannot run `{program}`: {e}: check the command name and PATH"),
        )
    })?;
    std::process::exit(status.code().unwrap_or(1));
}
