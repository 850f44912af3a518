//! PowerShell: single-quoted strings are literal except for the quote itself,
//! and PowerShell counts U+2018..U+201B as single quotes too; each is doubled.

use super::Shell;
use anyhow::Result;

pub struct PowerShell;

const QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];

impl Shell for PowerShell {
    fn assign(&self, name: &str, value: &str) -> Result<String> {
        let mut q = String::with_capacity(value.len() + 2);
        for c in value.chars() {
            if QUOTES.contains(&c) {
                q.push(c);
            }
            q.push(c);
        }
        Ok(format!("$Env:{name} = '{q}'"))
    }

    fn remove(&self, name: &str) -> String {
        format!("Remove-Item -LiteralPath Env:{name} -ErrorAction SilentlyContinue")
    }

    fn failure(&self) -> &'static str {
        "throw 'awscred failed: see the message above'\n"
    }
}

#[cfg(test)]
mod tests {
    use super::super::{tests::one, Format};
    use crate::env::Env;

    #[test]
    fn exact_output() {
        let cases = [
            ("", "$Env:K = ''\n"),
            ("a+b/c=", "$Env:K = 'a+b/c='\n"),
            ("it's", "$Env:K = 'it''s'\n"),
            (
                "\u{2018}a\u{2019}\u{201A}\u{201B}",
                "$Env:K = '\u{2018}\u{2018}a\u{2019}\u{2019}\u{201A}\u{201A}\u{201B}\u{201B}'\n",
            ),
            (
                "\u{201C}dq\u{201D} $x $(id) `n",
                "$Env:K = '\u{201C}dq\u{201D} $x $(id) `n'\n",
            ),
            ("a\nb", "$Env:K = 'a\nb'\n"),
        ];
        for (value, out) in cases {
            assert_eq!(
                one(Format::Powershell, "K", value).unwrap(),
                out,
                "{value:?}"
            );
        }
        assert_eq!(
            Format::Powershell
                .renderer(&Env::default())
                .unset(&[("A", None)])
                .unwrap(),
            "Remove-Item -LiteralPath Env:A -ErrorAction SilentlyContinue\n"
        );
    }
}
