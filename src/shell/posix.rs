//! POSIX sh and its descendants (bash, zsh, dash, ksh): single quotes hold
//! every byte literally; a `'` is written as `'\''`. Never `$'…'` (not POSIX).

use super::Shell;
use anyhow::Result;

pub struct Posix {
    pub export: bool,
}

pub fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
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
    use super::super::{tests::one, Format};
    use crate::env::Env;

    #[test]
    fn exact_output() {
        let cases = [
            ("", "export K=''\n"),
            ("a+b/c=", "export K='a+b/c='\n"),
            ("it's", "export K='it'\\''s'\n"),
            ("''", "export K=''\\'''\\'''\n"),
            (
                "$(touch x) `id` ; && ! %",
                "export K='$(touch x) `id` ; && ! %'\n",
            ),
            ("back\\slash\\", "export K='back\\slash\\'\n"),
            ("line\nbreak\r\t", "export K='line\nbreak\r\t'\n"),
            ("‘curly’ 🦀", "export K='‘curly’ 🦀'\n"),
        ];
        for (value, out) in cases {
            assert_eq!(one(Format::Env, "K", value).unwrap(), out, "{value:?}");
        }
        assert_eq!(one(Format::EnvNoExport, "K", "v'").unwrap(), "K='v'\\'''\n");
        assert_eq!(
            Format::Env
                .renderer(&Env::default())
                .unset(&[("A", None), ("B", None)])
                .unwrap(),
            "unset A\nunset B\n"
        );
    }
}
