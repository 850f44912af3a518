//! cmd.exe: `set "K=v"`. `%` and `!` expand even inside the quotes, and `"`,
//! CR and LF cannot be escaped there, so only a safe set of characters is
//! written and anything else is refused. AWS keys, tokens, regions and
//! timestamps all fall in the set.

use super::{refuse, Shell};
use anyhow::Result;

pub struct Cmd;

fn safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || " +-./:=@_,~#$'(){}[];".contains(c)
}

impl Shell for Cmd {
    fn assign(&self, name: &str, value: &str) -> Result<String> {
        match value.chars().find(|c| !safe(*c)) {
            Some(c) => Err(refuse(
                "windows-cmd",
                name,
                &format!("{c:?}, which cmd.exe cannot hold safely"),
            )),
            None => Ok(format!("set \"{name}={value}\"")),
        }
    }

    fn remove(&self, name: &str) -> String {
        format!("set \"{name}=\"")
    }

    fn failure(&self) -> &'static str {
        "exit /b 1\n"
    }
}

#[cfg(test)]
mod tests {
    use super::super::{tests::one, Format};
    use crate::env::Env;

    #[test]
    fn exact_output_and_refusals() {
        assert_eq!(
            one(Format::WindowsCmd, "K", "a+b/c=").unwrap(),
            "set \"K=a+b/c=\"\n"
        );
        assert_eq!(one(Format::WindowsCmd, "K", "").unwrap(), "set \"K=\"\n");
        assert_eq!(
            one(Format::WindowsCmd, "K", "2026-01-01T00:00:00Z").unwrap(),
            "set \"K=2026-01-01T00:00:00Z\"\n"
        );
        for bad in [
            "%PATH%", "!x!", "a\"b", "a\nb", "a\rb", "a^b", "a&b", "a|b", "a<b", "é", "\t",
        ] {
            assert!(one(Format::WindowsCmd, "K", bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Format::WindowsCmd
                .renderer(&Env::default())
                .unset(&[("A", None)])
                .unwrap(),
            "set \"A=\"\n"
        );
    }
}
