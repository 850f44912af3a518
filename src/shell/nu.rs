//! Nushell has no `eval`, so this format is data, not code: one JSON record,
//! `{"K": "v", "GONE": null}`, for `from json | load-env` (the `init nu`
//! wrapper turns each `null` into `hide-env`; bare `load-env` sets it to
//! nothing, which Nushell leaves out of the environment of the programs it
//! runs). JSON escapes every character that needs it, so any value comes back
//! exactly and nothing in one can run.

use super::{check, Exports, Render};
use anyhow::Result;

pub struct Nu;

/// `from json` reads Hjson, where a line like `error: text` is a record: a
/// failure line of that shape would set a variable. A leading `]` is an error
/// in JSON, Hjson and NUON alike, and Nushell prints the line with the error.
const FAILURE: &str = "] awscred failed: see the message above\n";

fn record<'a>(vars: impl Iterator<Item = (&'a str, Option<&'a str>)>) -> Result<String> {
    let mut out = String::from("{");
    for (i, (name, value)) in vars.enumerate() {
        check(name, value.unwrap_or(""))?;
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(name)?);
        out.push(':');
        out.push_str(&serde_json::to_string(&value)?);
    }
    out.push_str("}\n");
    Ok(out)
}

impl Render for Nu {
    fn set(&self, exports: &Exports) -> Result<String> {
        self.unset(&exports.vars)
    }

    fn unset(&self, vars: &super::Vars) -> Result<String> {
        record(vars.iter().map(|(n, v)| (*n, v.as_deref())))
    }

    fn failure(&self) -> &'static str {
        FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::super::{tests::one, Format};
    use crate::env::Env;

    /// The exact text for hostile values; the real round trip through
    /// `from json | load-env` is in tests/it/shells.rs.
    #[test]
    fn exact_output() {
        let cases = [
            ("", r#"{"K":""}"#),
            ("a+b/c=", r#"{"K":"a+b/c="}"#),
            ("it's \"q\"", r#"{"K":"it's \"q\""}"#),
            ("back\\slash\\", r#"{"K":"back\\slash\\"}"#),
            (
                "$(id) `id` ; (id) {x} #c !",
                r#"{"K":"$(id) `id` ; (id) {x} #c !"}"#,
            ),
            ("a\nb\r\tc", r#"{"K":"a\nb\r\tc"}"#),
            ("\u{1b}[31m\u{7f}", "{\"K\":\"\\u001b[31m\u{7f}\"}"),
            ("ünï 🦀 \u{2018}", "{\"K\":\"ünï 🦀 \u{2018}\"}"),
            ("key: value", r#"{"K":"key: value"}"#),
            ("'''", r#"{"K":"'''"}"#),
        ];
        for (value, out) in cases {
            assert_eq!(
                one(Format::Nu, "K", value).unwrap(),
                format!("{out}\n"),
                "{value:?}"
            );
        }
        assert!(one(Format::Nu, "K", "x\0y").is_err());
    }

    #[test]
    fn absent_values_and_unset_are_null() {
        let c = super::super::tests::creds();
        let e = super::super::Exports {
            vars: vec![("A", Some("1".into())), ("B", None)],
            credentials: &c,
        };
        let r = Format::Nu.renderer(&Env::default());
        assert_eq!(r.set(&e).unwrap(), "{\"A\":\"1\",\"B\":null}\n");
        assert_eq!(
            r.unset(&[("A", None), ("B", None)]).unwrap(),
            "{\"A\":null,\"B\":null}\n"
        );
        assert!(r.unset(&[("A B", None)]).is_err());
    }
}
