//! Reader for the AWS shared `config` and `credentials` files.
//!
//! Written here rather than taken from rust-ini or aws-config because awscred
//! needs what neither gives together: the AWS CLI's reading rules, errors that
//! name the line, and no async runtime on the hot path. The rules, as the AWS
//! CLI (botocore, Python's configparser) applies them:
//! - `#` and `;` start a comment line; blank lines are ignored; CRLF and a
//!   leading UTF-8 BOM are accepted.
//! - `[name]` opens a section; a duplicate section or a duplicate key within a
//!   section is an error (the CLI refuses such files too).
//! - `key = value` or `key: value`; keys are case-insensitive (lower-cased),
//!   spaces around key and value are trimmed. Like the AWS SDKs, a `#` or `;`
//!   preceded by white space ends the value (an inline comment).
//! - An indented line after `key =` with an empty value is a sub-property
//!   (`[services]`, `s3 =` blocks); it is stored as `key.sub`. An indented line
//!   after a non-empty value continues that value.

use std::collections::{HashMap, HashSet};
use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct Property {
    pub key: String,
    pub value: String,
    /// 1-based line number in the file.
    pub line: usize,
}

/// Key and line only: a value may be a secret key.
impl fmt::Debug for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Property")
            .field("key", &self.key)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The text between the brackets, trimmed (`profile work`, `default`).
    pub name: String,
    pub line: usize,
    pub properties: Vec<Property>,
}

impl Section {
    pub fn get(&self, key: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.key == key)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// The text of a file's bytes, or an error that names the file and the first bad byte.
pub fn utf8(bytes: Vec<u8>, path: &std::path::Path) -> anyhow::Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        crate::error::fail(
            crate::error::Kind::Input,
            format!(
                "{}: not valid UTF-8 (byte {}): save it as UTF-8",
                path.display(),
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Parses a whole file. Linear in its size: duplicates are found through hash
/// sets, never by scanning what came before.
pub fn parse(text: &str) -> Result<Vec<Section>, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sections: Vec<Section> = Vec::new();
    // Line of each section name, and the keys of the current section.
    let mut names: HashMap<&str, usize> = HashMap::new();
    let mut keys: HashSet<String> = HashSet::new();
    // Index of the last top-level property of the current section, for continuation lines.
    let mut last_prop: Option<usize> = None;

    for (i, raw) in text.split('\n').enumerate() {
        let line_no = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let err = |message: String| ParseError {
            line: line_no,
            message,
        };
        let indented = line.starts_with([' ', '\t']);

        if indented {
            if let (Some(section), Some(idx)) = (sections.last_mut(), last_prop) {
                let parent = &section.properties[idx];
                if parent.value.is_empty() || parent.key.contains('.') {
                    let base = parent.key.split('.').next().unwrap_or(&parent.key);
                    let (key, value) = split_property(trimmed).ok_or_else(|| {
                        err(format!("expected `key = value` in the `{base}` block"))
                    })?;
                    let full = format!("{base}.{key}");
                    if !keys.insert(full.clone()) {
                        return Err(err(format!("duplicate key `{full}`")));
                    }
                    section.properties.push(Property {
                        key: full,
                        value,
                        line: line_no,
                    });
                } else {
                    let value = &mut section.properties[idx].value;
                    value.push('\n');
                    value.push_str(strip_inline_comment(trimmed));
                }
                continue;
            }
        }

        if let Some(rest) = trimmed.strip_prefix('[') {
            let close = rest
                .find(']')
                .ok_or_else(|| err("section header has no closing `]`".into()))?;
            let after = rest[close + 1..].trim_start();
            if !(after.is_empty() || after.starts_with('#') || after.starts_with(';')) {
                return Err(err("unexpected text after the section header's `]`".into()));
            }
            let name = rest[..close].trim();
            if name.is_empty() {
                return Err(err("empty section name `[]`".into()));
            }
            if let Some(first) = names.insert(name, line_no) {
                return Err(err(format!(
                    "duplicate section (first at line {first}): merge the two"
                )));
            }
            keys.clear();
            sections.push(Section {
                name: name.to_string(),
                line: line_no,
                properties: Vec::new(),
            });
            last_prop = None;
            continue;
        }

        let section = sections.last_mut().ok_or_else(|| {
            err("setting outside any section: add a `[profile NAME]` header above it".into())
        })?;
        // Never quote the line: it may be a secret pasted on its own.
        let (key, value) = split_property(trimmed)
            .ok_or_else(|| err("expected `key = value` or a `[section]` header".into()))?;
        if !keys.insert(key.clone()) {
            let first = section.get(&key).map_or(0, |p| p.line);
            return Err(err(format!(
                "duplicate key `{key}` (first at line {first})"
            )));
        }
        section.properties.push(Property {
            key,
            value,
            line: line_no,
        });
        last_prop = Some(section.properties.len() - 1);
    }
    Ok(sections)
}

/// Splits `key = value` (or `key: value`) at the first delimiter.
fn split_property(line: &str) -> Option<(String, String)> {
    let at = line.find(['=', ':'])?;
    let key = line[..at].trim();
    if key.is_empty() {
        return None;
    }
    let value = strip_inline_comment(line[at + 1..].trim());
    Some((key.to_ascii_lowercase(), value.to_string()))
}

/// Drops a `#` or `;` comment that follows white space. Shared with the
/// credentials-file writer, which must read values exactly as this reader does.
pub(crate) fn strip_inline_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    for i in 1..bytes.len() {
        if matches!(bytes[i], b'#' | b';') && matches!(bytes[i - 1], b' ' | b'\t') {
            return value[..i].trim_end();
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(s: &Section) -> Vec<(&str, &str)> {
        s.properties
            .iter()
            .map(|p| (p.key.as_str(), p.value.as_str()))
            .collect()
    }

    #[test]
    fn reads_sections_keys_comments_bom_and_crlf() {
        let text = "\u{feff}# top\r\n[default]\r\nregion = eu-west-1\r\n; note\r\n\r\n[profile  work ]\r\nAWS_Access_Key_ID=AKIA1 \r\nmfa_serial : arn:aws:iam::1:mfa/me # mine\r\n";
        let s = parse(text).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].name, "default");
        assert_eq!(props(&s[0]), [("region", "eu-west-1")]);
        assert_eq!(s[1].name, "profile  work");
        assert_eq!(
            props(&s[1]),
            [
                ("aws_access_key_id", "AKIA1"),
                ("mfa_serial", "arn:aws:iam::1:mfa/me")
            ]
        );
        assert_eq!(s[1].properties[1].line, 8);
    }

    #[test]
    fn keeps_hash_without_preceding_space_in_values() {
        let s = parse("[a]\nk = abc#def;ghi\nj = x ;c\n").unwrap();
        assert_eq!(props(&s[0]), [("k", "abc#def;ghi"), ("j", "x")]);
    }

    #[test]
    fn sub_properties_and_continuations() {
        let s = parse("[services dev]\nsts =\n  endpoint_url = http://127.0.0.1:1\n  x=y\n[b]\nk = one\n  two\n").unwrap();
        assert_eq!(
            props(&s[0]),
            [
                ("sts", ""),
                ("sts.endpoint_url", "http://127.0.0.1:1"),
                ("sts.x", "y")
            ]
        );
        assert_eq!(props(&s[1]), [("k", "one\ntwo")]);
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("[a]\nregion\n", 2, "expected `key = value`"),
            ("k = v\n", 1, "outside any section"),
            ("[a]\n[b\n", 2, "no closing"),
            ("[a]\nx=1\n[a]\n", 3, "duplicate section (first at line 1)"),
            ("[a]\nx=1\nX = 2\n", 3, "duplicate key `x`"),
            ("[]\n", 1, "empty section"),
            ("[a] junk\n", 1, "unexpected text"),
            ("[a]\n= v\n", 2, "expected `key = value`"),
        ];
        for (text, line, msg) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}");
            assert!(e.message.contains(msg), "{text:?}: {}", e.message);
        }
    }

    #[test]
    fn error_messages_never_quote_the_file() {
        for text in [
            "[a]\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
            "[a]\nwJalrXUt\n",
            "[a] wJalrXUtnFEMI\n",
            "[wJalrXUtnFEMI]\n[wJalrXUtnFEMI]\n",
        ] {
            let e = parse(text).unwrap_err();
            assert!(!e.message.contains("wJalrXUt"), "{}", e.message);
        }
    }

    #[test]
    fn empty_and_comment_only_files_have_no_sections() {
        assert!(parse("").unwrap().is_empty());
        assert!(parse("# nothing\n;here\n\n").unwrap().is_empty());
    }
}
