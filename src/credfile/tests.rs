use super::*;
use crate::credentials::Timestamp;
use crate::error::kind_of;
use proptest::strategy::Strategy;
use std::fs;

fn creds() -> Credentials {
    Credentials {
        access_key_id: "ASIANEWKEY".into(),
        secret_access_key: "newSecret/+=".into(),
        session_token: "newToken+/==".into(),
        expiration: Timestamp::parse_rfc3339("2026-11-23T18:00:00Z").unwrap(),
    }
}

const NEW_KEYS: &str = "aws_access_key_id = ASIANEWKEY\naws_secret_access_key = newSecret/+=\naws_session_token = newToken+/==\nexpiration = 2026-11-23T18:00:00Z\n";

/// Asserts that only lines of section `name` differ between `before` and `after`
/// (for a new section: `before` is kept whole, bar a final line ending).
fn assert_only_section_changed(before: &str, after: &str, name: &str) {
    let b: Vec<&str> = before.split_inclusive('\n').collect();
    let a: Vec<&str> = after.split_inclusive('\n').collect();
    let range = |text: &str, n: usize| {
        let secs = ini::parse(text.strip_prefix('\u{feff}').unwrap_or(text)).unwrap();
        let i = secs.iter().position(|s| s.name == name)?;
        Some((secs[i].line - 1, secs.get(i + 1).map_or(n, |s| s.line - 1)))
    };
    let (a_start, a_end) = range(after, a.len()).expect("section in the output");
    match range(before, b.len()) {
        Some((b_start, b_end)) => {
            assert_eq!(b[..b_start], a[..a_start], "lines before [{name}]");
            assert_eq!(b[b_end..], a[a_end..], "lines after [{name}]");
        }
        None => {
            assert_eq!(a_end, a.len(), "a new section goes last");
            assert!(after.starts_with(before), "the old text is kept whole");
        }
    }
}

/// Updates, then checks the invariants every result must have.
fn apply(text: &str, name: &str) -> String {
    let out = update(text, name, &creds()).unwrap();
    assert_only_section_changed(text, &out, name);
    let secs = ini::parse(out.strip_prefix('\u{feff}').unwrap_or(&out)).unwrap();
    let s = secs.iter().find(|s| s.name == name).unwrap();
    let c = creds();
    for (k, v) in [
        (ID, c.access_key_id.as_str()),
        (SECRET, c.secret_access_key.expose()),
        (TOKEN, c.session_token.expose()),
        ("expiration", "2026-11-23T18:00:00Z"),
    ] {
        assert_eq!(s.get(k).map(|p| &*p.value), Some(v), "{k}");
    }
    assert_eq!(
        update(&out, name, &c).unwrap(),
        out,
        "a second update changes nothing"
    );
    out
}

const GOLDEN_IN: &str = "\
# AWS credentials
; edited by hand

[default]
aws_access_key_id=AKIADEFAULTDEFAULT
aws_secret_access_key=defaultsecret
region = eu-west-1

[ work ]
# session for work
  AWS_Access_Key_ID   =   ASIAOLD
aws_secret_access_key\t=\toldsecret
region: us-east-1 ; mine
aws_session_token = oldtoken
  continued
; note inside work
Expiration=2020-01-01T00:00:00Z

# about prod
[prod]
aws_access_key_id = AKIAPRODPRODPROD
aws_secret_access_key = prodsecret
[last]
x = 1
";

const GOLDEN_OUT: &str = "\
# AWS credentials
; edited by hand

[default]
aws_access_key_id=AKIADEFAULTDEFAULT
aws_secret_access_key=defaultsecret
region = eu-west-1

[ work ]
# session for work
  AWS_Access_Key_ID   =   ASIANEWKEY
aws_secret_access_key\t=\tnewSecret/+=
region: us-east-1 ; mine
aws_session_token = newToken+/==
; note inside work
Expiration=2026-11-23T18:00:00Z

# about prod
[prod]
aws_access_key_id = AKIAPRODPRODPROD
aws_secret_access_key = prodsecret
[last]
x = 1
";

#[test]
fn golden_session_section_replaced_in_place() {
    assert_eq!(apply(GOLDEN_IN, "work"), GOLDEN_OUT);
}

#[test]
fn golden_crlf_and_bom_variants() {
    let crlf = |s: &str| s.replace('\n', "\r\n");
    assert_eq!(apply(&crlf(GOLDEN_IN), "work"), crlf(GOLDEN_OUT));
    let bom = |s: &str| format!("\u{feff}{s}");
    assert_eq!(apply(&bom(GOLDEN_IN), "work"), bom(GOLDEN_OUT));
    assert_eq!(
        apply(&bom(&crlf(GOLDEN_IN)), "work"),
        bom(&crlf(GOLDEN_OUT))
    );
}

#[test]
fn golden_new_section_appended() {
    let out = apply(GOLDEN_IN, "new");
    assert_eq!(out, format!("{GOLDEN_IN}\n[new]\n{NEW_KEYS}"));
    let crlf_in = GOLDEN_IN.replace('\n', "\r\n");
    let out = apply(&crlf_in, "new");
    assert_eq!(
        out,
        format!("{crlf_in}\r\n[new]\r\n{}", NEW_KEYS.replace('\n', "\r\n"))
    );
    // No second blank line when the file already ends with one.
    assert_eq!(
        apply("[a]\nx = 1\n\n", "new"),
        format!("[a]\nx = 1\n\n[new]\n{NEW_KEYS}")
    );
}

#[test]
fn missing_keys_go_after_the_last_property_not_after_trailing_comments() {
    let text = "[a]\nx = 1\n\n[t]\nregion = eu-west-1\naws_access_key_id = ASIAOLD\naws_session_token = old\n  more\n# about next\n\n[next]\ny = 2\n";
    let out = apply(text, "t");
    assert_eq!(
        out,
        "[a]\nx = 1\n\n[t]\nregion = eu-west-1\naws_access_key_id = ASIANEWKEY\naws_session_token = newToken+/==\naws_secret_access_key = newSecret/+=\nexpiration = 2026-11-23T18:00:00Z\n# about next\n\n[next]\ny = 2\n"
    );
    // A section with no keys at all: right after the header.
    let out = apply("[t]\n# nothing yet\n\n[next]\n", "t");
    assert_eq!(out, format!("[t]\n{NEW_KEYS}# nothing yet\n\n[next]\n"));
    // A kept key's sub-properties stay with it; ours go after them.
    let out = apply("[t]\ns3 =\n  max_concurrent_requests = 4\n[n]\n", "t");
    assert_eq!(
        out,
        format!("[t]\ns3 =\n  max_concurrent_requests = 4\n{NEW_KEYS}[n]\n")
    );
}

#[test]
fn long_term_sections_are_never_overwritten() {
    let text = "[default]\naws_access_key_id = AKIALONGTERMLONGT\naws_secret_access_key = longtermsecret\nregion = us-west-2\n";
    let e = update(text, "default", &creds()).unwrap_err();
    assert_eq!(kind_of(&e), Kind::Input);
    assert_eq!(
        e.to_string(),
        "section [default] in the credentials file holds long-term keys, which awscred never overwrites: write the session to another section, e.g. --write-profile default-mfa"
    );
    assert!(!e.to_string().contains("longtermsecret"));
    // The legacy token name counts as a session too, and is kept in step.
    let out = apply(
        "[t]\naws_access_key_id = ASIAOLD\naws_security_token = old\n",
        "t",
    );
    assert_eq!(
        out,
        "[t]\naws_access_key_id = ASIANEWKEY\naws_security_token = newToken+/==\naws_secret_access_key = newSecret/+=\naws_session_token = newToken+/==\nexpiration = 2026-11-23T18:00:00Z\n"
    );
}

#[test]
fn files_without_final_newline() {
    // Target last: its last line gains a line ending.
    assert_eq!(
        apply("[a]\nx = 1\n[t]\nregion = r", "t"),
        format!("[a]\nx = 1\n[t]\nregion = r\n{NEW_KEYS}")
    );
    assert_eq!(apply("[t]", "t"), format!("[t]\n{NEW_KEYS}"));
    // Target elsewhere: the missing final newline stays missing.
    assert_eq!(
        apply("[t]\nregion = r\n[a]\nx = 1", "t"),
        format!("[t]\nregion = r\n{NEW_KEYS}[a]\nx = 1")
    );
    // New section.
    assert_eq!(
        apply("[a]\nx = 1", "t"),
        format!("[a]\nx = 1\n\n[t]\n{NEW_KEYS}")
    );
    assert_eq!(
        apply("[a]\r\nx = 1", "t"),
        format!(
            "[a]\r\nx = 1\r\n\r\n[t]\r\n{}",
            NEW_KEYS.replace('\n', "\r\n")
        )
    );
}

#[test]
fn empty_files() {
    assert_eq!(apply("", "t"), format!("[t]\n{NEW_KEYS}"));
    assert_eq!(apply("\u{feff}", "t"), format!("\u{feff}[t]\n{NEW_KEYS}"));
    assert_eq!(
        apply("# only a comment", "t"),
        format!("# only a comment\n\n[t]\n{NEW_KEYS}")
    );
}

#[test]
fn header_with_spaces_is_the_same_section() {
    let out = apply("[a]\nx=1\n[  t\t]  # mine\naws_session_token=old\n", "t");
    assert_eq!(
        out,
        format!("[a]\nx=1\n[  t\t]  # mine\naws_session_token=newToken+/==\naws_access_key_id = ASIANEWKEY\naws_secret_access_key = newSecret/+=\nexpiration = 2026-11-23T18:00:00Z\n")
    );
}

#[test]
fn value_spacing_and_inline_comments_are_kept() {
    let out = apply(
        "[t]\naws_access_key_id=\naws_secret_access_key =\naws_session_token = old # rotated daily\nexpiration:   old   \n",
        "t");
    assert_eq!(
        out,
        "[t]\naws_access_key_id=ASIANEWKEY\naws_secret_access_key = newSecret/+=\naws_session_token = newToken+/== # rotated daily\nexpiration:   2026-11-23T18:00:00Z   \n"
    );
    // An empty value followed by an indented block: the block was its sub-properties.
    let out = apply("[t]\naws_session_token =\n  a = b\nregion = r\n", "t");
    assert_eq!(
        out,
        "[t]\naws_session_token = newToken+/==\nregion = r\naws_access_key_id = ASIANEWKEY\naws_secret_access_key = newSecret/+=\nexpiration = 2026-11-23T18:00:00Z\n"
    );
}

#[test]
fn names_are_validated() {
    for bad in ["", "a]b", "[a", "a\nb", "a\rb", " a", "a ", "\u{feff}a"] {
        let e = update("", bad, &creds()).unwrap_err();
        assert_eq!(kind_of(&e), Kind::Input, "{bad:?}");
        assert!(e.to_string().contains("--write-profile"), "{e}");
    }
    for good in ["a", "profile x", "a#b", "dev-1.x"] {
        apply("[z]\nk = v\n", good);
    }
}

#[test]
fn values_that_cannot_round_trip_are_refused_without_echoing_them() {
    let cases: [fn(&mut Credentials); 6] = [
        |c| c.secret_access_key = " SECRETSECRET".into(),
        |c| c.secret_access_key = "SECRETSECRET ".into(),
        |c| c.secret_access_key = "SECRET\nSECRET".into(),
        |c| c.session_token = "SECRET\rSECRET".into(),
        |c| c.session_token = "SECRET #SECRET".into(),
        |c| c.access_key_id = String::new(),
    ];
    for change in cases {
        let mut c = creds();
        change(&mut c);
        let e = update("", "t", &c).unwrap_err();
        assert_eq!(kind_of(&e), Kind::Input);
        assert!(!e.to_string().contains("SECRET"), "{e}");
    }
}

#[test]
fn unparseable_files_are_refused_with_the_line() {
    let e = update("[a]\nx = 1\nbogus line\n", "t", &creds()).unwrap_err();
    assert_eq!(kind_of(&e), Kind::Input);
    assert!(
        e.to_string().starts_with("the credentials file line 3: "),
        "{e}"
    );
    let e = update("[t]\nx = 1\n[t]\n", "t", &creds()).unwrap_err();
    assert!(e.to_string().contains("line 3"), "{e}");
}

#[test]
fn indented_first_line_and_indented_header_follow_the_reader() {
    // Right after a header an indented line is a property; after a property an
    // indented `[x]`-looking line is a continuation, not a header.
    let text = "[t]\n  expiration = old\n  [notaheader]\n[u]\n";
    assert_eq!(
        apply(text, "t"),
        "[t]\n  expiration = 2026-11-23T18:00:00Z\naws_access_key_id = ASIANEWKEY\naws_secret_access_key = newSecret/+=\naws_session_token = newToken+/==\n[u]\n"
    );
}

/// The properties every update must have, for any input text.
fn check_any(text: &str) -> Result<(), proptest::test_runner::TestCaseError> {
    use proptest::{prop_assert, prop_assert_eq};
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Ok(before) = ini::parse(body) else {
        let e = update(text, "t", &creds()).unwrap_err();
        prop_assert_eq!(kind_of(&e), Kind::Input);
        prop_assert!(e.to_string().starts_with("the credentials file line "));
        return Ok(());
    };
    if let Err(e) = update(text, "t", &creds()) {
        let target = before.iter().find(|s| s.name == "t");
        let long_term = target.is_some_and(|s| {
            s.get(ID).is_some() && s.get(TOKEN).is_none() && s.get(LEGACY_TOKEN).is_none()
        });
        prop_assert!(long_term, "refused a section without long-term keys: {}", e);
        prop_assert!(e.to_string().contains("long-term keys"), "{}", e);
        return Ok(());
    }
    let out = apply(text, "t");
    let after = ini::parse(out.strip_prefix('\u{feff}').unwrap_or(&out)).unwrap();
    type View = Vec<(String, Vec<(String, String)>)>;
    let view = |secs: &[ini::Section]| -> View {
        secs.iter()
            .filter(|s| s.name != "t")
            .map(|s| {
                let props = s.properties.iter();
                (
                    s.name.to_string(),
                    props
                        .map(|p| (p.key.to_string(), p.value.to_string()))
                        .collect(),
                )
            })
            .collect()
    };
    prop_assert_eq!(view(&before), view(&after));
    // Keys we do not own keep their values in the target section.
    if let Some(old) = before.iter().find(|s| s.name == "t") {
        let new = after.iter().find(|s| s.name == "t").unwrap();
        let ours = [ID, SECRET, TOKEN, LEGACY_TOKEN];
        let owned = |key: &str| {
            let base = key.split('.').next().unwrap_or(key);
            ours.contains(&base) || crate::credentials::EXPIRATION_KEYS.contains(&base)
        };
        for p in old.properties.iter().filter(|p| !owned(&p.key)) {
            prop_assert_eq!(new.get(&p.key).map(|q| &*q.value), Some(&*p.value));
        }
    }
    Ok(())
}

fn finish(mut text: String, crlf: bool, bom: bool, final_newline: bool) -> String {
    if crlf {
        text = text.replace('\n', "\r\n");
    }
    if !final_newline && text.ends_with('\n') {
        text.truncate(text.trim_end_matches(['\r', '\n']).len());
    }
    if bom {
        text.insert(0, '\u{feff}');
    }
    text
}

const BODY_LINES: [&str; 17] = [
    "",
    "# c",
    "  ; c",
    "region = r",
    "AWS_ACCESS_KEY_ID=ASIAOLD",
    "aws_secret_access_key : s",
    "aws_session_token =",
    "  k = v",
    "  Expiration\t=\tx",
    "  cont",
    "x = 1 # c",
    "\t",
    "aws_security_token = tok",
    "s3 =",
    "  max = 4",
    "y:",
    "expiration = old ; c",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

    // Well-formed files: distinct sections with shuffled, awkward bodies.
    #[test]
    fn any_well_formed_file_updates_cleanly(
        headers in proptest::sample::subsequence(vec!["[a]", "[b] ; c", "[c]", "T"], 0..=4)
            .prop_shuffle(),
        t_header in proptest::sample::select(vec!["[t]", "[ t ]", "[\tt ]  # c"]),
        bodies in proptest::collection::vec(
            proptest::sample::subsequence(BODY_LINES.to_vec(), 0..=BODY_LINES.len())
                .prop_shuffle(),
            4,
        ),
        preamble in proptest::bool::ANY,
        crlf in proptest::bool::ANY,
        bom in proptest::bool::ANY,
        final_newline in proptest::bool::ANY,
    ) {
        let mut text = String::new();
        if preamble {
            text.push_str("# top\n\n");
        }
        for (header, body) in headers.iter().zip(&bodies) {
            text.push_str(if *header == "T" { t_header } else { header });
            text.push('\n');
            for line in body {
                text.push_str(line);
                text.push('\n');
            }
        }
        check_any(&finish(text, crlf, bom, final_newline))?;
    }

    // Anything assembled from awkward lines, including broken ones.
    #[test]
    fn any_file_updates_cleanly_or_is_refused(
        picks in proptest::collection::vec(0usize..BODY_LINES.len() + 4, 0..16),
        crlf in proptest::bool::ANY,
        bom in proptest::bool::ANY,
        final_newline in proptest::bool::ANY,
    ) {
        let extra = ["[t]", "[ t ]", "[a]", "junk"];
        let text: String = picks
            .iter()
            .map(|&i| format!("{}\n", BODY_LINES.get(i).copied().unwrap_or_else(|| extra[i - BODY_LINES.len()])))
            .collect();
        check_any(&finish(text, crlf, bom, final_newline))?;
    }
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// A private lock directory for the tests.
fn locks(dir: &Path) -> Dir {
    Dir::private(&dir.join("locks"), crate::fsafe::IfMissing::Create)
        .unwrap()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn write_profile_creates_a_private_file_and_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aws/credentials");
    write_profile(&path, &locks(dir.path()), "t", &creds()).unwrap();
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        format!("[t]\n{NEW_KEYS}")
    );
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["credentials"], "no temp files left");
}

#[cfg(unix)]
#[test]
fn write_profile_keeps_content_and_tightens_a_loose_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    fs::write(&path, GOLDEN_IN).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    write_profile(&path, &locks(dir.path()), "work", &creds()).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), GOLDEN_OUT);
    assert_eq!(mode(&path), 0o600);
    // Refusals leave the file alone.
    let e = write_profile(&path, &locks(dir.path()), "prod", &creds()).unwrap_err();
    assert_eq!(kind_of(&e), Kind::Input);
    assert_eq!(fs::read_to_string(&path).unwrap(), GOLDEN_OUT);
}

#[cfg(unix)]
#[test]
fn write_profile_follows_the_users_symlink_chain() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("dotfiles/aws-credentials");
    fs::create_dir(dir.path().join("dotfiles")).unwrap();
    fs::write(&real, "[a]\nx = 1\n").unwrap();
    let aws = dir.path().join(".aws");
    fs::create_dir(&aws).unwrap();
    let link = aws.join("credentials");
    std::os::unix::fs::symlink("../dotfiles/aws-credentials", &link).unwrap();
    write_profile(&link, &locks(dir.path()), "t", &creds()).unwrap();
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::read_to_string(&real).unwrap(),
        format!("[a]\nx = 1\n\n[t]\n{NEW_KEYS}")
    );
    // A dangling link: its target is created.
    let dangling = aws.join("other");
    std::os::unix::fs::symlink(dir.path().join("new/creds"), &dangling).unwrap();
    write_profile(&dangling, &locks(dir.path()), "t", &creds()).unwrap();
    assert!(fs::symlink_metadata(&dangling)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::read_to_string(dir.path().join("new/creds")).unwrap(),
        format!("[t]\n{NEW_KEYS}")
    );
}

#[cfg(unix)]
#[test]
fn special_files_are_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let ok = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(ok.success());
    let sub = dir.path().join("adir");
    fs::create_dir(&sub).unwrap();
    for target in [Path::new("/dev/null"), &fifo, &sub] {
        let before = fs::symlink_metadata(target).unwrap();
        let e = write_profile(target, &locks(dir.path()), "t", &creds()).unwrap_err();
        assert_eq!(kind_of(&e), Kind::Input, "{target:?}");
        assert!(
            e.to_string().contains("is not a regular file"),
            "{target:?}: {e}"
        );
        let after = fs::symlink_metadata(target).unwrap();
        assert_eq!(before.file_type(), after.file_type(), "{target:?}");
        use std::os::unix::fs::MetadataExt;
        assert_eq!(before.ino(), after.ino(), "{target:?} was replaced");
    }
}

#[cfg(unix)]
#[test]
fn two_spellings_of_one_file_share_one_lock() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("aws")).unwrap();
    let plain = dir.path().join("aws/credentials");
    let other = dir.path().join("aws/../aws/./credentials");
    let locks = locks(dir.path());
    let canonical = fs::canonicalize(dir.path().join("aws"))
        .unwrap()
        .join("credentials");
    let name = format!("credentials-file-{:016x}.lock", hash(&canonical));
    let held = locks.lock(&name, Duration::ZERO, "test").unwrap();
    for path in [&plain, &other] {
        let e = write_profile_waiting(path, &locks, "t", &creds(), Duration::from_millis(50))
            .unwrap_err();
        assert!(e.to_string().contains("held the lock"), "{path:?}: {e}");
    }
    assert!(!plain.exists(), "nothing written without the lock");
    drop(held);
    write_profile(&other, &locks, "t", &creds()).unwrap();
    assert!(plain.exists());
}

#[test]
fn write_profile_refuses_non_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    fs::write(&path, b"[a]\nx = \xff\n").unwrap();
    let e = write_profile(&path, &locks(dir.path()), "t", &creds()).unwrap_err();
    assert_eq!(kind_of(&e), Kind::Input);
    assert!(e.to_string().contains("UTF-8"), "{e}");
}

#[test]
fn a_section_keeps_the_expiration_format_and_keys_it_records() {
    let get = |text: &str, key: &str| -> Option<String> {
        let secs = ini::parse(text).unwrap();
        let s = secs.iter().find(|s| s.name == "s").unwrap();
        s.get(key).map(|p| p.value.to_string())
    };
    // As aws-mfa writes it: its own format, read back with strptime.
    let aws_mfa = "[s]\nassumed_role = False\naws_access_key_id = ASIAOLD\naws_secret_access_key = old\naws_session_token = oldtoken\naws_security_token = oldtoken\nexpiration = 2026-11-22 06:44:27\n\n";
    let out = update(aws_mfa, "s", &creds()).unwrap();
    assert_eq!(get(&out, "expiration").unwrap(), "2026-11-23 18:00:00");
    assert_eq!(get(&out, "aws_security_token").unwrap(), "newToken+/==");
    assert_eq!(get(&out, "assumed_role").unwrap(), "False");
    assert_only_section_changed(aws_mfa, &out, "s");
    // saml2aws's key is kept current (and is the only one), in RFC 3339.
    let saml = "[s]\naws_session_token = t\nx_security_token_expires = 2030-01-02T00:47:31+02:00\n";
    let out = update(saml, "s", &creds()).unwrap();
    assert_eq!(
        get(&out, "x_security_token_expires").unwrap(),
        "2026-11-23T18:00:00Z"
    );
    assert_eq!(get(&out, "expiration"), None);
    // A value awscred cannot read is replaced in RFC 3339.
    let odd = "[s]\naws_session_token = t\nexpiration = tomorrow\n";
    let out = update(odd, "s", &creds()).unwrap();
    assert_eq!(get(&out, "expiration").unwrap(), "2026-11-23T18:00:00Z");
}
