use awscred::cli::{guess_format, Cli};
use awscred::env::Env;
use awscred::error::{kind_of, Kind};
use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(on_panic));
    let args: Vec<_> = std::env::args_os().collect();
    let env = Env::from_process();
    // The completion scripts' query for profile names: not a clap subcommand,
    // which clap_complete would offer even hidden. It never fails.
    if args.len() == 2 && args[1] == awscred::cmd::docs::COMPLETE_PROFILES {
        print(&awscred::cmd::docs::profile_names(&env));
        return ExitCode::SUCCESS;
    }
    // A bare `awscred`: the short help, where clap would say one line about
    // a missing subcommand.
    if args.len() == 1 {
        use clap::CommandFactory;
        // Our own text, no outside input: not through error::report's one line.
        let help = Cli::command().render_help().to_string();
        let _ = std::io::stderr().lock().write_all(help.as_bytes());
        return ExitCode::from(Kind::Usage.code());
    }
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            if !e.use_stderr() {
                // --help, --version: their text is what was asked for.
                let _ = e.print();
                return ExitCode::from(e.exit_code() as u8);
            }
            if let Some(format) = guess_format(&args, env.awscred_format()) {
                print(format.renderer(&env).failure());
            }
            awscred::error::report(&awscred::cli::usage_error_line(&e, &args));
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    // What stdout carries if anything fails from here on: an error, a panic, a signal.
    if let Some(format) = cli.command.format(&env) {
        awscred::error::set_failure_line(format.renderer(&env).failure());
    }
    #[cfg(debug_assertions)]
    debug_hooks(&env);
    match awscred::run(&cli.command, &env) {
        Ok(out) => {
            print(&out.stdout);
            out.exit
                .map_or(ExitCode::SUCCESS, |k| ExitCode::from(k.code()))
        }
        Err(e) => {
            print(awscred::error::failure_line());
            awscred::error::report(&format!("{e:#}"));
            ExitCode::from(kind_of(&e).code())
        }
    }
}

/// Writes all of stdout at once. A closed pipe (`awscred … | head -c0`) is not an error.
fn print(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes()).and_then(|()| out.flush());
}

/// A panic is a bug, but `set -e; eval "$(awscred mfa)"` must still stop: print
/// the failure line, put the terminal back and stop `mfa_process` if one is
/// running, say so in one line and exit 1 (not abort, as the release profile
/// would: 134, and maybe a core file holding the keys). The panic's message
/// is not shown: it may have been formatted from a key, a token or a config
/// line. Its location is code, so it is safe and enough for a report.
fn on_panic(info: &std::panic::PanicHookInfo) {
    #[cfg(unix)]
    awscred::signals::undo();
    print(awscred::error::failure_line());
    let place = info
        .location()
        .map(|l| format!(" at {}:{}", l.file(), l.line()))
        .unwrap_or_default();
    awscred::error::report(&format!(
        "internal error{place}: this is a bug in awscred, please report it"
    ));
    std::process::exit(i32::from(Kind::Internal.code()));
}

/// The tests need a real panic to prove `on_panic` works, and no input may
/// cause one; so debug builds (the ones `cargo test` runs) panic on request.
/// The payload holds a fake key that the hook must not print. Likewise the
/// kill-during-write tests widen the window they aim at.
#[cfg(debug_assertions)]
fn debug_hooks(env: &Env) {
    if let Some(ms) = env.awscred_debug_slow_write().and_then(|v| v.parse().ok()) {
        let _ = awscred::fsafe::WRITE_DELAY.set(std::time::Duration::from_millis(ms));
    }
    if env.awscred_debug_panic() == Some("1") {
        panic!("AWSCRED_DEBUG_PANIC with a fake secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
    }
}
