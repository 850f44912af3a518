//! csh and tcsh: `setenv K 'v';` (the `;` matters: eval of a backquote
//! substitution joins the lines). Single quotes cannot hold a newline, and
//! history substitution sees `!` even inside them, so such values are refused.

use super::{refuse, Shell};
use anyhow::Result;

pub struct Csh;

impl Shell for Csh {
    fn assign(&self, name: &str, value: &str) -> Result<String> {
        if value.contains(['\n', '\r']) {
            return Err(refuse("csh", name, "a line break"));
        }
        if value.contains('!') {
            return Err(refuse("csh", name, "`!` (history substitution)"));
        }
        Ok(format!("setenv {name} '{}';", value.replace('\'', "'\\''")))
    }

    fn remove(&self, name: &str) -> String {
        format!("unsetenv {name};")
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
    fn exact_output_and_refusals() {
        let cases = [
            ("", "setenv K '';\n"),
            ("a+b/c=", "setenv K 'a+b/c=';\n"),
            ("it's", "setenv K 'it'\\''s';\n"),
            ("$x `id` ; \\", "setenv K '$x `id` ; \\';\n"),
        ];
        for (value, out) in cases {
            assert_eq!(one(Format::Csh, "K", value).unwrap(), out, "{value:?}");
        }
        for bad in ["a\nb", "a\rb", "bang!"] {
            let e = one(Format::Csh, "K", bad).unwrap_err();
            assert!(e.to_string().starts_with("cannot write K for csh"), "{e}");
        }
        assert_eq!(
            Format::Csh
                .renderer(&Env::default())
                .unset(&[("A", None)])
                .unwrap(),
            "unsetenv A;\n"
        );
    }
}
