use awscred::cli::{guess_format, Cli};
use awscred::error::kind_of;
use awscred::profile::Env;
use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().collect();
    let env = Env::from_process();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            if !e.use_stderr() {
                // --help, --version: their text is what was asked for.
                let _ = e.print();
                return ExitCode::from(e.exit_code() as u8);
            }
            if let Some(format) = guess_format(&args, env.get("AWSCRED_FORMAT")) {
                print(format.renderer(&env).failure());
            }
            awscred::error::report(&awscred::cli::usage_error_line(&e, &args));
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    match awscred::run(&cli.command, &env) {
        Ok(out) => {
            print(&out.stdout);
            out.exit
                .map_or(ExitCode::SUCCESS, |k| ExitCode::from(k.code()))
        }
        Err(e) => {
            if let Some(format) = cli.command.format(&env) {
                print(format.renderer(&env).failure());
            }
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
