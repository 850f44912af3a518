//! Runs a command with the session in its environment, so tools that only
//! read variables work without touching the calling shell.

use crate::cli::ExecArgs;
use crate::cmd::{self, serve};
use crate::env::Env;
use crate::error::{fail, Kind};
use crate::profile::{profile_name, Options};
use crate::server;
use crate::shell::{check, Exports};
use anyhow::Result;
use std::process::Command;

/// A program by that name exists where `Command` would look: a path, or a
/// file in a `PATH` directory. Such a word is a command even if a profile
/// has its name.
fn on_path(program: &str) -> bool {
    if program.contains(std::path::MAIN_SEPARATOR) || program.contains('/') {
        return std::path::Path::new(program).exists();
    }
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

pub fn run(args: &ExecArgs, env: &Env) -> Result<String> {
    if let (None, Some((word, rest))) = (&args.profile.profile, args.command.split_first()) {
        if !on_path(word) && cmd::names_profile(env, word) {
            let rest = rest.strip_prefix(&["--".to_string()]).unwrap_or(rest);
            let mut fixed = format!("awscred exec --profile {}", crate::shell::word(word));
            if !rest.is_empty() {
                fixed.push_str(" --");
                for a in rest {
                    fixed.push(' ');
                    fixed.push_str(&crate::shell::word(a));
                }
            }
            return Err(cmd::positional_profile(word, "a command", &fixed));
        }
    }
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
    // The command gets credentials, never awscred's own secret inputs.
    crate::process::scrub(&mut child);
    // SDKs prefer a named profile over the variables: drop it, and any stale
    // session or server names.
    for name in crate::env::SET
        .iter()
        .chain(crate::env::SERVER)
        .chain(&[crate::env::AWS_PROFILE, crate::env::AWS_DEFAULT_PROFILE])
    {
        child.env_remove(name);
    }
    let (mut vars, server) = if args.server {
        let options = server::Options {
            port: 0,
            imds: args.imds,
            bind: None,
        };
        let started = serve::start(env, args.profile.profile.as_deref(), options)?;
        let mut vars = serve::variables(&started);
        vars.extend(serve::shadowing(env)?);
        (vars, Some(started))
    } else {
        let h = cmd::handout(env, args.profile.profile.as_deref(), cmd::NoSession::Obtain)?;
        (Exports::new(&h.credentials, &h.about(false)).vars, None)
    };
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
    match server {
        // The server lives in this process: run the command beside it.
        Some(_server) => run_beside(child, &program),
        None => run_replacing(child, &program),
    }
}

fn cannot_run(program: &str, e: &std::io::Error) -> anyhow::Error {
    fail(
        Kind::Exec,
        format!("cannot run `{program}`: {e}: check the command name and PATH"),
    )
}

/// Runs the command as a child and ends as it does: its exit code, or its
/// signal raised again, so the caller sees 128 + signal as if it ran alone.
/// Signals sent to awscred are passed on to the command (see [`forward`]).
#[cfg(unix)]
fn run_beside(mut child: Command, program: &str) -> Result<String> {
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    // Without a terminal (CI) the command gets a process group of its own:
    // a signal to awscred's group (a runner's timeout) then reaches it once,
    // through awscred, with everything it started. At a terminal it stays in
    // awscred's group, the foreground one, so it can read the terminal.
    let own_group = std::fs::File::open("/dev/tty").is_err();
    if own_group {
        child.process_group(0);
    }
    let forwarding = forward::Forwarding::install();
    let running = child.spawn();
    let mut running = running.map_err(|e| cannot_run(program, &e))?;
    forwarding.to(running.id(), own_group);
    let status = running.wait().map_err(|e| cannot_run(program, &e))?;
    drop(forwarding);
    // A prompt for a new code may be on the terminal: put it back.
    crate::signals::undo();
    if let Some(sig) = status.signal() {
        // SAFETY: restores the default action of a valid signal number and
        // raises it; the process is meant to end here.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
    }
    std::process::exit(status.code().unwrap_or(1));
}

#[cfg(not(unix))]
fn run_beside(child: Command, program: &str) -> Result<String> {
    run_replacing(child, program)
}

/// On Unix the command replaces awscred (signals and exit status are its own).
#[cfg(unix)]
fn run_replacing(mut child: Command, program: &str) -> Result<String> {
    use std::os::unix::process::CommandExt;
    let err = child.exec();
    Err(cannot_run(program, &err))
}

#[cfg(not(unix))]
fn run_replacing(mut child: Command, program: &str) -> Result<String> {
    let status = child.status().map_err(|e| cannot_run(program, &e))?;
    std::process::exit(status.code().unwrap_or(1));
}

/// Passing signals on to the command: those another process sent to awscred
/// (`kill`, a CI runner's timeout) go to the command too. Those the terminal
/// sends (Ctrl-C, Ctrl-\, a hangup) reach the whole foreground group, the
/// command included, so they are not sent twice; awscred itself waits for the
/// command to end either way. (At a terminal, a signal sent to the whole
/// group by a process, `kill -- -PGID`, reaches the command twice.)
#[cfg(unix)]
mod forward {
    use std::sync::atomic::{AtomicI32, Ordering};

    const SIGNALS: [libc::c_int; 6] = [
        libc::SIGINT,
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGQUIT,
        libc::SIGUSR1,
        libc::SIGUSR2,
    ];

    /// Where signals go once the command runs: its pid, or its group (-pid).
    static TARGET: AtomicI32 = AtomicI32::new(0);
    /// A signal that came before the command ran, for [`Forwarding::to`].
    static PENDING: AtomicI32 = AtomicI32::new(0);

    extern "C" fn on_signal(sig: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
        // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler.
        let code = unsafe { (*info).si_code };
        // si_code <= 0: sent by a process (SI_USER, SI_QUEUE, SI_TKILL).
        if code > 0 {
            return;
        }
        // Whoever takes PENDING back passes it on: this handler, or `to`.
        PENDING.store(sig, Ordering::SeqCst);
        let target = TARGET.load(Ordering::SeqCst);
        if target != 0 {
            let sig = PENDING.swap(0, Ordering::SeqCst);
            if sig != 0 {
                // SAFETY: kill() is async-signal-safe.
                unsafe {
                    libc::kill(target, sig);
                }
            }
        }
    }

    /// The handlers while it lives; the earlier dispositions after. Installed
    /// before the command starts, so no signal in between ends awscred and
    /// leaves the command without its server. The prompt leaves them in place
    /// meanwhile (`signals::set_forwarding`).
    pub struct Forwarding {
        previous: Vec<(libc::c_int, libc::sigaction)>,
    }

    impl Forwarding {
        pub fn install() -> Forwarding {
            crate::signals::set_forwarding(true);
            let mut previous = Vec::new();
            for sig in SIGNALS {
                // SAFETY: a zeroed sigaction is valid; the handler only uses
                // atomics and kill().
                unsafe {
                    let mut action: libc::sigaction = std::mem::zeroed();
                    action.sa_sigaction = on_signal
                        as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void)
                        as libc::sighandler_t;
                    action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
                    libc::sigemptyset(&mut action.sa_mask);
                    let mut old: libc::sigaction = std::mem::zeroed();
                    if libc::sigaction(sig, &action, &mut old) == 0 {
                        previous.push((sig, old));
                    }
                }
            }
            Forwarding { previous }
        }

        /// The command runs as `pid` (leading its own group if `group`):
        /// from now on signals go there, and one that came before goes now.
        pub fn to(&self, pid: u32, group: bool) {
            let pid = i32::try_from(pid).unwrap_or(0);
            TARGET.store(if group { -pid } else { pid }, Ordering::SeqCst);
            let sig = PENDING.swap(0, Ordering::SeqCst);
            if sig != 0 && pid > 0 {
                // SAFETY: kill() of the command we started.
                unsafe {
                    libc::kill(TARGET.load(Ordering::SeqCst), sig);
                }
            }
        }
    }

    impl Drop for Forwarding {
        fn drop(&mut self) {
            TARGET.store(0, Ordering::SeqCst);
            for (sig, old) in &self.previous {
                // SAFETY: puts back the disposition sigaction() returned.
                unsafe {
                    libc::sigaction(*sig, old, std::ptr::null_mut());
                }
            }
            crate::signals::set_forwarding(false);
        }
    }
}
