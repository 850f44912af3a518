//! `.env` files: `K=v` bare when the value is plainly safe (docker's
//! `--env-file` takes the rest of the line literally, quotes included);
//! else `K='v'` (dotenv loaders and docker compose read single quotes
//! literally) when the value has no `'`, `\`, CR or LF; else refused.

use super::{no_unset, refuse, Exports, Render};
use anyhow::Result;

pub struct Dotenv;

fn bare(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+-./:=@_,~%^".contains(c)
}

impl Render for Dotenv {
    fn set(&self, exports: &Exports) -> Result<String> {
        let mut out = String::new();
        // A .env file cannot remove a variable: absent ones are left out.
        for (name, value) in exports
            .vars
            .iter()
            .filter_map(|(n, v)| Some((n, v.as_ref()?)))
        {
            super::check(name, value)?;
            if value.chars().all(bare) {
                out.push_str(&format!("{name}={value}\n"));
            } else if let Some(c) = value
                .chars()
                .find(|c| matches!(c, '\'' | '\\' | '\r' | '\n'))
            {
                return Err(refuse("dotenv", name, &format!("{c:?}")));
            } else {
                out.push_str(&format!("{name}='{value}'\n"));
            }
        }
        Ok(out)
    }

    fn unset(&self, _vars: &super::Vars) -> Result<String> {
        Err(no_unset("dotenv"))
    }

    fn failure(&self) -> &'static str {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::super::{tests::one, Format};

    #[test]
    fn exact_output_and_refusals() {
        assert_eq!(one(Format::Dotenv, "K", "a+b/c=").unwrap(), "K=a+b/c=\n");
        assert_eq!(one(Format::Dotenv, "K", "").unwrap(), "K=\n");
        assert_eq!(
            one(Format::Dotenv, "K", "a b#c $x \"q\"").unwrap(),
            "K='a b#c $x \"q\"'\n"
        );
        for bad in ["it's", "a\\b", "a\nb", "a\rb"] {
            assert!(one(Format::Dotenv, "K", bad).is_err(), "{bad:?}");
        }
    }
}
