//! fish: inside single quotes only `\\` and `\'` are escapes, so `\` becomes
//! `\\` first, then `'` becomes `\'`. Newlines are fine inside the quotes.

use super::Shell;
use anyhow::Result;

pub struct Fish;

impl Shell for Fish {
    fn assign(&self, name: &str, value: &str) -> Result<String> {
        Ok(format!(
            "set -gx {name} '{}'",
            value.replace('\\', "\\\\").replace('\'', "\\'")
        ))
    }

    /// `set -e` of a variable that is not set fails, and fish's `set` keeps the
    /// last status, so one absent variable would fail the whole `source`.
    fn remove(&self, name: &str) -> String {
        format!("set -e {name}; or true")
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
            ("", "set -gx K ''\n"),
            ("a+b/c=", "set -gx K 'a+b/c='\n"),
            ("it's", "set -gx K 'it\\'s'\n"),
            ("back\\slash\\", "set -gx K 'back\\\\slash\\\\'\n"),
            ("\\'", "set -gx K '\\\\\\''\n"),
            ("$(id) (id) `id` ; !", "set -gx K '$(id) (id) `id` ; !'\n"),
            ("a\nb", "set -gx K 'a\nb'\n"),
        ];
        for (value, out) in cases {
            assert_eq!(one(Format::Fish, "K", value).unwrap(), out, "{value:?}");
        }
        assert_eq!(
            Format::Fish
                .renderer(&Env::default())
                .unset(&[("A", None)])
                .unwrap(),
            "set -e A; or true\n"
        );
    }
}
