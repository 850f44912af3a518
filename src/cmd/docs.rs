//! Shell completions and the man page, generated from the clap definitions.

use crate::cli::{Cli, CompletionsArgs};
use crate::env;
use crate::env::Env;
use crate::error::Kind;
use crate::profile::Files;
use crate::validate;
use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell;
use clap_mangen::roff::{bold, roman, Inline, Roff};
use clap_mangen::Man;
use std::io::Write;

/// clap_complete's static script, plus (bash, zsh, fish) profile names after
/// `-p`/`--profile`, which the script gets from `awscred __complete-profiles`
/// on each <TAB>. clap_complete's own dynamic completion is still behind its
/// `unstable-dynamic` feature.
pub fn completions(args: &CompletionsArgs) -> Result<String> {
    let mut cli = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cli, "awscred", &mut out);
    let script = String::from_utf8(out)?;
    Ok(match args.shell {
        Shell::Bash => script + BASH_PROFILES,
        Shell::Zsh => zsh_profiles(&script),
        Shell::Fish => {
            let commands: Vec<&str> = cli
                .get_subcommands()
                .filter(|s| {
                    // `keys`: its `add` and `rm` take --profile.
                    let has = |c: &clap::Command| {
                        c.get_arguments().any(|a| a.get_long() == Some("profile"))
                    };
                    has(s) || s.get_subcommands().any(has)
                })
                .map(|s| s.get_name())
                .collect();
            script + &FISH_PROFILES.replace("COMMANDS", &commands.join(" "))
        }
        _ => script,
    })
}

/// `awscred __complete-profiles` prints [`profile_names`] (see main.rs).
pub const COMPLETE_PROFILES: &str = "__complete-profiles";

/// The profile names of the AWS files (`AWS_CONFIG_FILE`,
/// `AWS_SHARED_CREDENTIALS_FILE` or `~/.aws`), one a line: those awscred
/// accepts as `--profile`. Completion must never print an error into the
/// user's command line, so an unreadable environment or file gives none.
pub fn profile_names(env: &Env) -> String {
    if env.check().is_err() {
        return String::new();
    }
    let Ok(files) = Files::load(env) else {
        return String::new();
    };
    let mut out = String::new();
    for name in files.profile_names() {
        if validate::profile_name(&name, "").is_ok() {
            out.push_str(&name);
            out.push('\n');
        }
    }
    out
}

/// Wraps clap's `_awscred`: after `-p`/`--profile` (not after `--`, where
/// exec's command starts), the names from the AWS files, shell-quoted; no
/// file names. `compgen -W` is not used: it would expand `$(…)` in a name.
const BASH_PROFILES: &str = r#"
_awscred_profiles() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} i name quoted
    # bash splits `--profile=NA` at the `=`
    if [[ $cur == = ]]; then
        cur=
    elif [[ $prev == = ]]; then
        prev=${COMP_WORDS[COMP_CWORD-2]}
    fi
    for ((i = 1; i < COMP_CWORD; i++)); do
        [[ ${COMP_WORDS[i]} == -- ]] && break
    done
    if ((i < COMP_CWORD)) || [[ $prev != -p && $prev != --profile ]]; then
        _awscred "$@"
        return
    fi
    COMPREPLY=()
    compopt +o default +o bashdefault 2>/dev/null
    while IFS= read -r name; do
        if [[ $name == "$cur"* ]]; then
            printf -v quoted %q "$name"
            COMPREPLY+=("$quoted")
        fi
    done < <(command awscred __complete-profiles 2>/dev/null)
}

if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _awscred_profiles -o nosort -o bashdefault -o default awscred
else
    complete -F _awscred_profiles -o bashdefault -o default awscred
fi
"#;

/// The action of zsh's `-p`/`--profile` specs; `compadd` quotes the names.
const ZSH_PROFILES: &str = r#"
(( $+functions[_awscred_profiles] )) ||
_awscred_profiles() {
    local -a profiles
    profiles=(${(f)"$(command awscred __complete-profiles 2>/dev/null)"})
    _wanted profiles expl profile compadd -a profiles
}
"#;

/// zsh's `_arguments` handles `-p NAME`, `-pNAME` and `--profile=NAME` itself,
/// so the profile options' action (clap writes `_default`, which completes
/// file names) becomes `_awscred_profiles`, defined after `#compdef`.
fn zsh_profiles(script: &str) -> String {
    let mut out = String::with_capacity(script.len() + ZSH_PROFILES.len());
    for (i, line) in script.split_inclusive('\n').enumerate() {
        // A spec is `'(EXCLUDED)-p+[HELP]:NAME:ACTION' \`; EXCLUDED is optional.
        let spec = line.trim_start_matches('\'');
        let spec = match spec.strip_prefix('(') {
            Some(rest) => rest.split_once(')').map_or(spec, |(_, s)| s),
            None => spec,
        };
        let profile = spec.starts_with("-p+[") || spec.starts_with("--profile=[");
        match line.rsplit_once(":_default'") {
            Some((head, tail)) if profile => {
                out.push_str(head);
                out.push_str(":_awscred_profiles'");
                out.push_str(tail);
            }
            _ => out.push_str(line),
        }
        if i == 0 {
            out.push_str(ZSH_PROFILES);
        }
    }
    out
}

/// fish merges this with clap's line for the same option; `-f`: no file names.
const FISH_PROFILES: &str = r#"
complete -c awscred -n "__fish_seen_subcommand_from COMMANDS" -s p -l profile -r -f -a "(command awscred __complete-profiles 2>/dev/null)"
"#;

/// One page for everything: clap_mangen's title, NAME, SYNOPSIS, DESCRIPTION
/// and OPTIONS, then each command with its options and examples (clap_mangen
/// alone renders only the top level), then what clap does not know about:
/// ENVIRONMENT (env.rs), FILES, EXIT STATUS (error.rs) and EXAMPLES.
pub fn man() -> Result<String> {
    let cli = Cli::command();
    let top = Man::new(cli.clone());
    let mut page = Roff::new().render(); // the preamble, once
    page += &part(&top, Man::render_title)?;
    page += &part(&top, Man::render_name_section)?;
    page += &part(&top, Man::render_synopsis_section)?;
    page += &part(&top, Man::render_description_section)?;
    page += &part(&top, Man::render_options_section)?;

    page += &body(Roff::new().control("SH", ["COMMANDS"]));
    for sub in cli.get_subcommands().filter(|s| !s.is_hide_set()) {
        page += &command(sub, "awscred")?;
    }

    let mut roff = Roff::new();
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, doc) in env::DOCS {
        roff.control("TP", [])
            .text([bold(*name)])
            .text(code_spans(doc));
    }
    roff.control("SH", ["FILES"]);
    for (path, what) in FILES {
        roff.control("TP", [])
            .text([bold(*path)])
            .text(code_spans(what));
    }
    roff.control("SH", ["EXIT STATUS"]);
    roff.text(code_spans(
        "Once its command runs, `exec` exits with that command's code (with `--server`, a command ended by a signal ends awscred by the same signal). Otherwise:",
    ));
    roff.control("TP", []).text([bold("0")]).text([roman(
        "Success (status: the session in the environment is valid).",
    )]);
    for (kind, doc) in Kind::DOCS {
        roff.control("TP", [])
            .text([bold(kind.code().to_string())])
            .text(code_spans(doc));
    }
    roff.control("TP", [])
        .text([bold("129, 131, 143")])
        .text(code_spans(SIGNALS));
    roff.control("SH", ["EXAMPLES"]);
    if let Some(examples) = cli.get_after_help() {
        let text = examples.to_string();
        preformatted(&mut roff, text.strip_prefix("Examples:\n").unwrap_or(&text));
    }
    page += &body(&roff);
    page += &part(&top, Man::render_version_section)?;
    Ok(ascii(&page))
}

/// The page in ASCII, other characters as roff's `\[uXXXX]`, so that man
/// renders it in any locale; `…` as `...`, which groff's ASCII output lacks.
fn ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            _ if c.is_ascii() => out.push(c),
            '…' => out.push_str("..."),
            _ => out.push_str(&format!("\\[u{:04X}]", u32::from(c))),
        }
    }
    out
}

/// The files awscred reads and writes, for the FILES section.
const FILES: &[(&str, &str)] = &[
    (
        "~/.aws/config",
        "Profiles (`[profile NAME]`, `[default]`) and their settings: `mfa_serial`, `mfa_process`, `region`, `duration_seconds`, `role_arn`, `source_profile`, `endpoint_url`, SSO. Elsewhere with `AWS_CONFIG_FILE`.",
    ),
    (
        "~/.aws/credentials",
        "Long-term keys per profile (`[NAME]`); `--write-profile NAME` writes a session into section `[NAME]`. Elsewhere with `AWS_SHARED_CREDENTIALS_FILE`.",
    ),
    (
        "~/.cache/awscred/",
        "The session cache: sessions and role credentials (mode 0600), their locks, in a directory of your own (0700). `AWSCRED_CACHE_DIR`, else `$XDG_CACHE_HOME/awscred`; on macOS `~/Library/Caches/awscred`. `awscred clear` empties it. `console/` holds `awscred console`'s sign-in page (0600, 0700) only until the browser has loaded it.",
    ),
    (
        "~/.local/share/awscred/",
        "Keys moved out of the credentials file (`awscred keys add`): `keys.json`, the index (profile, key id, store; never a secret), `keys.age`, the encrypted-file store (age, scrypt passphrase), both 0600 in a directory of your own (0700). `AWSCRED_KEYS_DIR`, else `$XDG_DATA_HOME/awscred`; on macOS `~/Library/Application Support/awscred`. Keys in the OS credential store are items of service `awscred`, one per profile.",
    ),
    (
        "~/.aws/sso/cache/",
        "The IAM Identity Center tokens, shared with the AWS CLI and the SDKs: `<sha1 of the sso-session name>.json` (a legacy profile: of the start URL), written by `awscred sso login` and its refreshes (0600; a missing directory is made 0700), beside awscred's client registration (`<sha1>.json` of what it was made for). awscred reads what `aws sso login` wrote, and they read what awscred wrote.",
    ),
];

const SIGNALS: &str = "SIGHUP, SIGQUIT, SIGTERM while awscred waits for an MFA code (128 + the signal): the terminal is restored, `mfa_process` killed, the failure line printed.";

/// One command as a subsection: description, synopsis, options, examples.
fn command(sub: &clap::Command, parent: &str) -> Result<String> {
    let name = format!("{parent} {}", sub.get_name());
    // Every command has -h; listing it thirteen times says nothing.
    let man = Man::new(sub.clone().bin_name(name.clone()).disable_help_flag(true));
    let mut out = body(Roff::new().control("SS", [name.as_str()]));
    out += &heading_removed(part(&man, Man::render_description_section)?, "DESCRIPTION");
    out += &body(Roff::new().control("PP", []));
    out += &heading_removed(part(&man, Man::render_synopsis_section)?, "SYNOPSIS");
    if sub.get_arguments().any(|a| !a.is_hide_set()) {
        out += &heading_removed(part(&man, Man::render_options_section)?, "OPTIONS");
    }
    if let Some(examples) = sub.get_after_help() {
        let mut roff = Roff::new();
        roff.control("PP", []);
        preformatted(&mut roff, &examples.to_string());
        out += &body(&roff);
    }
    // `keys add`, `keys ls`, `keys rm`: a subsection each.
    for nested in sub
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        out += &command(nested, &name)?;
    }
    Ok(out)
}

/// A section clap_mangen renders, without the preamble each rendering repeats.
fn part(man: &Man, render: fn(&Man, &mut dyn Write) -> std::io::Result<()>) -> Result<String> {
    let mut out = Vec::new();
    render(man, &mut out)?;
    Ok(without_preamble(String::from_utf8(out)?))
}

fn body(roff: &Roff) -> String {
    without_preamble(roff.render())
}

fn without_preamble(text: String) -> String {
    let preamble = Roff::new().render();
    match text.strip_prefix(&preamble) {
        Some(rest) => rest.to_string(),
        None => text,
    }
}

/// Inside a command's subsection its own `.SH` would end the COMMANDS section.
fn heading_removed(text: String, heading: &str) -> String {
    match text.strip_prefix(&format!(".SH {heading}\n")) {
        Some(rest) => rest.to_string(),
        None => text,
    }
}

/// Lines kept as they are (examples are aligned by hand).
fn preformatted(roff: &mut Roff, text: &str) {
    roff.control("nf", []);
    for line in text.lines() {
        roff.text([roman(line)]);
    }
    roff.control("fi", []);
}

/// A doc comment's text with its `code` spans in bold (the doc comments are
/// Markdown; a man page has fonts).
fn code_spans(doc: &str) -> Vec<Inline> {
    doc.trim()
        .split('`')
        .enumerate()
        .filter(|(_, s)| !s.is_empty())
        .map(|(i, s)| if i % 2 == 1 { bold(s) } else { roman(s) })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page's text with roff's escapes and font changes undone.
    fn plain(man: &str) -> String {
        let mut text = String::new();
        let mut rest = man;
        while let Some(at) = rest.find("\\[u") {
            let (hex, after) = rest[at + 3..].split_once(']').unwrap();
            text.push_str(&rest[..at]);
            text.push(char::from_u32(u32::from_str_radix(hex, 16).unwrap()).unwrap());
            rest = after;
        }
        text.push_str(rest);
        text.replace("\\-", "-")
            .replace("\\*(Aq", "'")
            .replace("\\&", "")
            .replace("\\fB", "")
            .replace("\\fI", "")
            .replace("\\fR", "")
    }

    /// From the line starting with `start` to the next section or subsection.
    fn part_of<'a>(text: &'a str, start: &str) -> &'a str {
        let at = text
            .find(&format!("\n{start}\n"))
            .unwrap_or_else(|| panic!("no `{start}` in the man page"));
        let rest = &text[at + start.len() + 2..];
        let end = [rest.find("\n.SS "), rest.find("\n.SH ")]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(rest.len());
        &rest[..end]
    }

    #[test]
    fn the_man_page_documents_every_command_flag_variable_file_and_exit_code() {
        let page = man().unwrap();
        assert!(page.is_ascii());
        let text = plain(&page);
        let cli = Cli::command();
        let mut subs: Vec<(String, &clap::Command)> = Vec::new();
        for sub in cli.get_subcommands().filter(|s| !s.is_hide_set()) {
            subs.push((sub.get_name().to_string(), sub));
            for nested in sub.get_subcommands().filter(|s| s.get_name() != "help") {
                subs.push((format!("{} {}", sub.get_name(), nested.get_name()), nested));
            }
        }
        for (name, sub) in subs {
            let part = part_of(&text, &format!(".SS \"awscred {name}\""));
            let about = sub.get_about().unwrap().to_string();
            assert!(part.contains(&plain(&about)), "{name}: no description");
            for arg in sub.get_arguments() {
                let shown = match (arg.get_long(), arg.get_value_names()) {
                    (Some(long), _) => format!("--{long}"),
                    (None, Some(names)) => names[0].to_string(),
                    (None, None) => continue,
                };
                assert!(part.contains(&shown), "{name}: no {shown}");
            }
            if name.contains(' ') {
                continue; // `keys add`: the examples are `keys`'s
            }
            let example = sub.get_after_help().unwrap().to_string();
            let last = example.lines().last().unwrap();
            assert!(part.contains(last), "{name}: no example");
        }
        let environment = part_of(&text, ".SH ENVIRONMENT");
        for (name, doc) in env::DOCS {
            assert!(environment.contains(&format!("\n{name}\n")), "{name}");
            let doc = doc.trim().replace('`', "").replace('…', "...");
            let first_words: String = doc.chars().take(20).collect();
            assert!(environment.contains(&first_words), "{name}: {first_words}");
        }
        let files = part_of(&text, ".SH FILES");
        for path in [
            "~/.aws/config",
            "~/.aws/credentials",
            "awscred/",
            "AWSCRED_CACHE_DIR",
            "AWSCRED_KEYS_DIR",
        ] {
            assert!(files.contains(path), "{path}");
        }
        let exit = part_of(&text, ".SH \"EXIT STATUS\"");
        for code in Kind::DOCS.iter().map(|(k, _)| k.code()).chain([0]) {
            assert!(exit.contains(&format!("\n{code}\n")), "exit code {code}");
        }
        assert!(part_of(&text, ".SH EXAMPLES").contains("eval \"$(awscred mfa 123456)\""));
        for heading in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS"] {
            assert_eq!(
                text.matches(&format!("\n.SH {heading}\n")).count(),
                1,
                "{heading}"
            );
        }
    }
}
