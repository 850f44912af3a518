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
//!   spaces around key and value are trimmed. Like the Rust and JavaScript
//!   SDKs (not the AWS CLI), a `#` or `;` preceded by white space ends the
//!   value of a property line (an inline comment); continuation lines and
//!   sub-properties keep it, as both read them.
//! - An indented line after `key =` with an empty value is a sub-property
//!   (`[services]`, `s3 =` blocks); it is stored as `key.sub`. An indented line
//!   after a non-empty value continues that value.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// One `key = value`, borrowed from the file's text: a key is copied only when
/// it has upper-case letters or is a sub-property (`sts.endpoint_url`), a value
/// only when continuation lines make it span several lines.
#[derive(Clone, PartialEq, Eq)]
pub struct Property<'a> {
    pub key: Cow<'a, str>,
    pub value: Cow<'a, str>,
    /// 1-based line number in the file.
    pub line: usize,
    /// The continuation lines folded into the value (usually none).
    pub more: Vec<usize>,
    /// A sub-property (`key.sub`) of the last property before it that is not.
    pub nested: bool,
    /// An inline comment was dropped from the value, as the SDKs read it; the
    /// AWS CLI keeps it as part of the value.
    pub commented: bool,
    /// Written `key: value`, which the AWS CLI reads and the Rust SDK refuses.
    pub colon: bool,
}

/// Key and line only: a value may be a secret key.
impl fmt::Debug for Property<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Property")
            .field("key", &self.key)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section<'a> {
    /// The text between the brackets, trimmed (`profile work`, `default`).
    pub name: &'a str,
    pub line: usize,
    pub properties: Vec<Property<'a>>,
}

impl<'a> Section<'a> {
    pub fn get(&self, key: &str) -> Option<&Property<'a>> {
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

/// Sections of this many properties or fewer look for a duplicate key by
/// scanning; larger ones (only a hostile file has them) keep a hash set, so
/// the cost stays linear in the size of the file.
const SCAN_KEYS: usize = 16;

/// A checked file. Every line is read once, as the AWS CLI refuses a broken
/// file whatever profile is asked for, but only where each section is, is
/// kept: a section's properties are read again when it is looked up, so a
/// file of thousands of profiles costs one pass and almost no memory.
pub struct Doc<'a> {
    text: &'a str,
    places: Vec<Place>,
    index: HashMap<&'a str, usize>,
}

/// Where a section is in the text, in 20 bytes (a file is at most 16 MiB):
/// files of thousands of profiles keep one per section.
#[derive(Debug, Clone, Copy)]
struct Place {
    name: (u32, u32),
    body: (u32, u32),
    line: u32,
}

/// A section header and the text of its body (up to the next header), whose
/// first line is the one after the header.
#[derive(Clone, Copy)]
struct Head<'a> {
    name: &'a str,
    line: usize,
    body: &'a str,
}

/// Section names only: the text holds keys.
impl fmt::Debug for Doc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

/// Name and line only: a body holds keys.
impl fmt::Debug for Head<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Head")
            .field("name", &self.name)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

impl<'a> Doc<'a> {
    /// Checks the whole of `text` (a leading BOM is skipped). Linear in its
    /// size: duplicate sections are found through a hash map, duplicate keys
    /// by a short scan or a hash set.
    pub fn parse(text: &'a str) -> Result<Doc<'a>, ParseError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // Sized once from the `[`s (an upper bound on the sections): growing
        // would hash every name again at each doubling.
        let most = memchr::memchr_iter(b'[', text.as_bytes()).count();
        let mut doc = Doc {
            text,
            places: Vec::with_capacity(most),
            index: HashMap::with_capacity(most),
        };
        // Offsets of slices of `text` (never out of range: they come from it).
        let span = |s: &str| {
            let start = s.as_ptr() as usize - text.as_ptr() as usize;
            (start as u32, s.len() as u32)
        };
        scan(text, 1, None, Mode::Check, |event| match event {
            // The section gets the next place when it ends.
            Event::Header(name, line) => match doc.index.entry(name) {
                Entry::Occupied(first) => Err(ParseError {
                    line,
                    message: format!(
                        "duplicate section (first at line {}): merge the two",
                        doc.places[*first.get()].line
                    ),
                }),
                Entry::Vacant(place) => {
                    place.insert(doc.places.len());
                    Ok(())
                }
            },
            Event::End(head, _) => {
                doc.places.push(Place {
                    name: span(head.name),
                    body: span(head.body),
                    line: head.line as u32,
                });
                Ok(())
            }
        })?;
        Ok(doc)
    }

    fn head(&self, i: usize) -> Head<'a> {
        let p = self.places[i];
        let at = |(start, len): (u32, u32)| &self.text[start as usize..(start + len) as usize];
        Head {
            name: at(p.name),
            line: p.line as usize,
            body: at(p.body),
        }
    }

    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// Section names, in file order.
    pub fn names(&self) -> impl Iterator<Item = &'a str> + '_ {
        (0..self.places.len()).map(|i| self.head(i).name)
    }

    /// Whether the `i`th section's header has white space inside its
    /// brackets (`[ profile a ]`), which the AWS CLI keeps in the name.
    pub fn padded(&self, i: usize) -> bool {
        let (start, len) = self.places[i].name;
        let (start, end) = (start as usize, (start + len) as usize);
        // The name is a trimmed slice of its header line, inside `[` and `]`.
        self.text.as_bytes().get(start.wrapping_sub(1)) != Some(&b'[')
            || self.text.as_bytes().get(end) != Some(&b']')
    }

    /// The whole text (after a byte-order mark).
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The line of the `i`th section's header.
    pub fn line(&self, i: usize) -> usize {
        self.places[i].line as usize
    }

    pub fn position(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// The `i`th section with its properties.
    pub fn section(&self, i: usize) -> Section<'a> {
        let head = self.head(i);
        let mut properties = Vec::new();
        // The body passed the whole-file check, so reading it again cannot fail.
        let _ = scan(head.body, head.line + 1, Some(head), Mode::Read, |event| {
            if let Event::End(_, props) = event {
                properties = props;
            }
            Ok(())
        });
        Section {
            name: head.name,
            line: head.line,
            properties,
        }
    }

    /// Every section with its properties, in file order.
    pub fn sections(&self) -> Vec<Section<'a>> {
        (0..self.places.len()).map(|i| self.section(i)).collect()
    }
}

/// Parses a whole file into its sections, borrowing from `text`.
pub fn parse(text: &str) -> Result<Vec<Section<'_>>, ParseError> {
    Ok(Doc::parse(text)?.sections())
}

/// What [`scan`] reports: a header as it is read, and a section with its
/// properties when it ends.
enum Event<'a> {
    Header(&'a str, usize),
    End(Head<'a>, Vec<Property<'a>>),
}

/// What [`scan`] does with the properties it reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Check the grammar only: values stay raw (their trimming and inline
    /// comments matter only where the continuation rule asks), and the
    /// sections are reported without properties.
    Check,
    /// Read the properties and report them with each section.
    Read,
}

/// The line state machine, in one place for both passes: reads `text` (whose
/// first line is `first_line`, already inside section `open` if given) and
/// reports each header and each section's end to `each`.
fn scan<'a>(
    text: &'a str,
    first_line: usize,
    open: Option<Head<'a>>,
    mode: Mode,
    mut each: impl FnMut(Event<'a>) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    // A property's value as the grammar reads it, and whether an inline
    // comment was dropped from it; in check mode values are kept raw.
    // Continuation lines and sub-properties keep their comments, as the Rust
    // SDK and the AWS CLI read them.
    let value = |raw: &'a str| match mode {
        Mode::Check => (raw, false),
        Mode::Read => {
            let kept = before_inline_comment(raw);
            (trim(kept), kept.len() != raw.len())
        }
    };
    // The open section, where its body starts in `text`, its properties, and
    // (for a large section) its keys.
    let mut current = open.map(|h| (h, 0, Vec::new()));
    let mut keys: HashSet<Cow<str>> = HashSet::new();
    // Index of the last top-level property of the current section, for continuation lines.
    let mut last_prop: Option<usize> = None;
    // Line ends, found with one memchr pass: files of thousands of profiles
    // are read on every run, so this loop works on bytes wherever the grammar
    // allows. A last line without a newline ends at the end of the text.
    let newlines = memchr::memchr_iter(b'\n', text.as_bytes());
    let last = (!text.is_empty() && !text.ends_with('\n')).then_some(text.len());
    let mut at = 0;
    for (i, end) in newlines.chain(last).enumerate() {
        let (start, line_no) = (at, first_line + i);
        at = end + 1;
        let line = &text[start..end];
        let line = line.strip_suffix('\r').unwrap_or(line);
        let trimmed = trim(line);
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let err = |message: String| ParseError {
            line: line_no,
            message,
        };
        let indented = matches!(line.as_bytes()[0], b' ' | b'\t');

        if indented {
            if let (Some((_, _, properties)), Some(idx)) = (current.as_mut(), last_prop) {
                let properties: &mut Vec<Property> = properties;
                let parent = &properties[idx];
                let empty = match mode {
                    Mode::Check => trim(before_inline_comment(&parent.value)).is_empty(),
                    Mode::Read => parent.value.is_empty(),
                };
                if empty || parent.key.contains('.') {
                    let base = parent.key.split('.').next().unwrap_or(&parent.key);
                    let (key, raw, colon) = split_property(trimmed).ok_or_else(|| {
                        err(format!("expected `key = value` in the `{base}` block"))
                    })?;
                    let full: Cow<str> = Cow::Owned(format!("{base}.{key}"));
                    if has_key(properties, &mut keys, &full) {
                        return Err(err(format!("duplicate key `{full}`")));
                    }
                    let value = match mode {
                        Mode::Check => raw,
                        Mode::Read => trim(raw),
                    };
                    properties.push(Property {
                        key: full,
                        value: Cow::Borrowed(value),
                        line: line_no,
                        more: Vec::new(),
                        nested: true,
                        commented: false,
                        colon,
                    });
                } else if mode == Mode::Read {
                    let parent = &mut properties[idx];
                    let value = parent.value.to_mut();
                    value.push('\n');
                    value.push_str(trimmed);
                    parent.more.push(line_no);
                }
                continue;
            }
        }

        if let Some(rest) = trimmed.strip_prefix('[') {
            let end = rest
                .find(']')
                .ok_or_else(|| err("section header has no closing `]`".into()))?;
            let after = trim(&rest[end + 1..]);
            if !(after.is_empty() || after.starts_with('#') || after.starts_with(';')) {
                return Err(err("unexpected text after the section header's `]`".into()));
            }
            let name = trim(&rest[..end]);
            if name.is_empty() {
                return Err(err("empty section name `[]`".into()));
            }
            let mut properties = Vec::new();
            if let Some((head, body_start, mut ended)) = current.take() {
                let body = &text[body_start..start];
                if mode == Mode::Check {
                    // Reported without properties; the vector serves the next section.
                    ended.clear();
                    properties = ended;
                    each(Event::End(Head { body, ..head }, Vec::new()))?;
                } else {
                    each(Event::End(Head { body, ..head }, ended))?;
                }
            }
            each(Event::Header(name, line_no))?;
            keys.clear();
            let head = Head {
                name,
                line: line_no,
                body: "",
            };
            current = Some((head, at.min(text.len()), properties));
            last_prop = None;
            continue;
        }

        let Some((_, _, properties)) = current.as_mut() else {
            return Err(err(
                "setting outside any section: add a `[profile NAME]` header above it".into(),
            ));
        };
        // Never quote the line: it may be a secret pasted on its own.
        let (key, raw, colon) = split_property(trimmed)
            .ok_or_else(|| err("expected `key = value` or a `[section]` header".into()))?;
        let key = if key.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(key.to_ascii_lowercase())
        } else {
            Cow::Borrowed(key)
        };
        if has_key(properties, &mut keys, &key) {
            let first = properties
                .iter()
                .find(|p| p.key == key)
                .map_or(0, |p| p.line);
            return Err(err(format!(
                "duplicate key `{key}` (first at line {first})"
            )));
        }
        let (value, commented) = value(raw);
        properties.push(Property {
            key,
            value: Cow::Borrowed(value),
            line: line_no,
            more: Vec::new(),
            nested: false,
            commented,
            colon,
        });
        last_prop = Some(properties.len() - 1);
    }
    if let Some((head, body_start, mut properties)) = current {
        let body = &text[body_start..];
        if mode == Mode::Check {
            properties = Vec::new();
        }
        each(Event::End(Head { body, ..head }, properties))?;
    }
    Ok(())
}

/// Whether `properties` already has `key`; for a large section, also records it.
#[allow(clippy::ptr_arg)] // a `Cow`, so that recording a borrowed key does not copy it
fn has_key<'a>(
    properties: &[Property<'a>],
    keys: &mut HashSet<Cow<'a, str>>,
    key: &Cow<'a, str>,
) -> bool {
    if properties.len() < SCAN_KEYS {
        return properties.iter().any(|p| p.key == *key);
    }
    if keys.is_empty() {
        keys.extend(properties.iter().map(|p| p.key.clone()));
    }
    !keys.insert(key.clone())
}

/// Splits `key = value` (or `key: value`) at the first delimiter: the key,
/// trimmed, the raw rest of the line, and whether the delimiter was `:`.
fn split_property(line: &str) -> Option<(&str, &str, bool)> {
    let at = memchr::memchr2(b'=', b':', line.as_bytes())?;
    let key = trim(&line[..at]);
    if key.is_empty() {
        return None;
    }
    Some((key, &line[at + 1..], line.as_bytes()[at] == b':'))
}

/// `str::trim` (Unicode white space, as Python's `strip` that the AWS CLI
/// uses), done on ASCII bytes when what is left starts and ends with an ASCII
/// character, as nearly every line does.
fn trim(s: &str) -> &str {
    let t = s.trim_ascii();
    match (t.as_bytes().first(), t.as_bytes().last()) {
        (Some(a), Some(z)) if !(a.is_ascii() && z.is_ascii()) => s.trim(),
        _ => t,
    }
}

/// `raw`, the text after a property's `=`, up to a `#` or `;` that follows
/// white space: the rest is an inline comment, as the AWS SDKs read a
/// property line (`a = # c` is empty, `a=#c` is `#c`). Shared with the
/// credentials-file writer, which must read values exactly as this reader does.
pub(crate) fn before_inline_comment(raw: &str) -> &str {
    for i in memchr::memchr2_iter(b'#', b';', raw.as_bytes()) {
        if raw[..i]
            .chars()
            .next_back()
            .is_some_and(char::is_whitespace)
        {
            return &raw[..i];
        }
    }
    raw
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props<'a>(s: &'a Section) -> Vec<(&'a str, &'a str)> {
        s.properties.iter().map(|p| (&*p.key, &*p.value)).collect()
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
        let commented: Vec<bool> = s[1].properties.iter().map(|p| p.commented).collect();
        assert_eq!(commented, [false, true]);
    }

    /// Inline comments as the Rust SDK reads them: after white space (any
    /// Unicode white space) on a property's own line, even right after `=`;
    /// continuation lines and sub-properties keep theirs, as the AWS CLI does.
    #[test]
    fn inline_comments_as_the_sdks_read_them() {
        let text = "[p]\na = # pick one\nb=#not\nc = x\u{a0}# nbsp\nd = x\n  more # kept\ns =\n  k = v # kept\n";
        let s = parse(text).unwrap();
        assert_eq!(
            props(&s[0]),
            [
                ("a", ""),
                ("b", "#not"),
                ("c", "x"),
                ("d", "x\nmore # kept"),
                ("s", ""),
                ("s.k", "v # kept")
            ]
        );
        let commented: Vec<bool> = s[0].properties.iter().map(|p| p.commented).collect();
        assert_eq!(commented, [true, false, true, false, false, false]);
    }

    #[test]
    fn colons_and_padded_headers_are_marked() {
        let doc = Doc::parse("[a]\nk: v\nj = x:y\ns =\n  t : u\n[ b ]\n[\tc]\n").unwrap();
        let colon: Vec<bool> = doc.section(0).properties.iter().map(|p| p.colon).collect();
        assert_eq!(colon, [true, false, false, true]);
        let padded: Vec<bool> = (0..doc.len()).map(|i| doc.padded(i)).collect();
        assert_eq!(padded, [false, true, true]);
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
    fn duplicates_are_found_in_large_sections_too() {
        let mut text = String::from("[big]\n");
        for i in 0..40 {
            text.push_str(&format!("key{i} = v\n"));
        }
        assert_eq!(parse(&text).unwrap()[0].properties.len(), 40);
        for dup in ["KEY3 = again\n", "key39 = again\n"] {
            let e = parse(&format!("{text}{dup}")).unwrap_err();
            assert_eq!(e.line, 42, "{dup}");
            assert!(e.message.contains("duplicate key"), "{}", e.message);
        }
        let e = parse(&format!("{text}s3 =\n  a = 1\n  a = 2\n")).unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (44, "duplicate key `s3.a`"));
        // A new section starts with no keys.
        assert!(parse(&format!("{text}[next]\nkey3 = v\n")).is_ok());
    }

    #[test]
    fn empty_and_comment_only_files_have_no_sections() {
        assert!(parse("").unwrap().is_empty());
        assert!(parse("# nothing\n;here\n\n").unwrap().is_empty());
    }
}
