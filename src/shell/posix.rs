//! POSIX sh and its descendants (bash, zsh, dash, ksh): single quotes hold
//! every byte literally; a `'` is written as `'\''`. Never `$'…'` (not POSIX).

use super::Shell;
use anyhow::Result;

pub struct Posix {
    pub export: bool,
}

pub fn quote(value: &str) -> String {
    let mut q = String::with_capacity(value.len() + 2);
    q.push('\'');
    for c in value.chars() {
        if c == '\'' {
            q.push_str("'\\''");
        } else {
            q.push(c);
        }
    }
    q.push('\'');
    q
}

impl Shell for Posix {
    fn assign(&self, name: &str, value: &str) -> Result<String> {
        let export = if self.export { "export " } else { "" };
        Ok(format!("{export}{name}={}", quote(value)))
    }

    fn remove(&self, name: &str) -> String {
        format!("unset {name}")
    }

    fn failure(&self) -> &'static str {
        "false\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_table() {
        let cases = [
            ("", "''"),
            ("plain", "'plain'"),
            ("a+b/c=", "'a+b/c='"),
            ("it's", "'it'\\''s'"),
            ("''", "''\\'''\\'''"),
            ("$(touch x) `id` ; && !", "'$(touch x) `id` ; && !'"),
            ("back\\slash\\", "'back\\slash\\'"),
            ("line\nbreak\r\t", "'line\nbreak\r\t'"),
            ("‘curly’ 🦀", "'‘curly’ 🦀'"),
        ];
        for (value, quoted) in cases {
            assert_eq!(quote(value), quoted, "{value:?}");
        }
    }

    #[test]
    fn export_and_plain_lines() {
        let e = Posix { export: true };
        assert_eq!(e.assign("K", "v'").unwrap(), "export K='v'\\'''");
        assert_eq!(e.remove("K"), "unset K");
        assert_eq!(Posix { export: false }.assign("K", "v").unwrap(), "K='v'");
        assert_eq!(Shell::failure(&e), "false\n");
    }
}
