//! Validation at the boundary, in one place: every value that comes from
//! outside (flags, environment, the AWS files, the cache, STS) is checked here
//! before it is used, so the rest of the code never re-checks and never panics
//! on it.
//!
//! Messages name where a value came from (a flag, a variable, `file:line`),
//! never the value: a pasted secret in the wrong place must not reach stderr.

use crate::error::{fail, Kind};
use anyhow::Result;

/// AWS's documented constraint for access key ids: 16 to 128 word characters.
pub fn access_key_id(id: &str) -> Result<(), &'static str> {
    let ok = words(id, 16..=128, b"");
    ok.then_some(())
        .ok_or("is not an access key id (16 to 128 letters, digits or _)")
}

/// Secret access keys are 40 characters today; the bound leaves room and stops garbage.
pub const MAX_SECRET_LEN: usize = 1024;
/// Session tokens have no documented size; real ones are a few KiB at most.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

pub fn secret_access_key(s: &str) -> Result<(), &'static str> {
    text(s, MAX_SECRET_LEN)
        .map_err(|_| "is not a secret access key (1 to 1024 printable characters)")
}

pub fn session_token(s: &str) -> Result<(), &'static str> {
    text(s, MAX_TOKEN_LEN).map_err(|_| "is not a session token (1 to 16384 printable characters)")
}

/// One printable line of at most `max` bytes: no NUL, no C0 or C1 control
/// character (newline, CR, tab, ESC and DEL included). Every other character,
/// quotes, `$`, backticks and non-ASCII included, is allowed: the output
/// formats quote them.
pub fn text(s: &str, max: usize) -> Result<(), &'static str> {
    if s.is_empty() {
        Err("is empty")
    } else if s.len() > max {
        Err("is too long")
    } else if s.chars().any(char::is_control) {
        Err("contains a control character")
    } else {
        Ok(())
    }
}

/// AWS's usual constraint: a length in `len` of word characters (`\w`) and `extra`.
fn words(s: &str, len: std::ops::RangeInclusive<usize>, extra: &[u8]) -> bool {
    len.contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || extra.contains(&b))
}

/// A profile name: 1 to 256 printable characters. Names reach file names,
/// messages, the environment and the shell.
pub fn profile_name<'a>(name: &'a str, origin: &str) -> Result<&'a str> {
    text(name, 256).map(|()| name).map_err(|why| {
        fail(
            Kind::Input,
            format!("{origin}: the profile name {why}: use a name from your AWS files"),
        )
    })
}

/// Long-term keys from the files or the environment, before anything signs
/// with them. `origin` says where they were found.
pub fn long_term_keys(id: &str, secret: &str, origin: &str) -> Result<()> {
    let check = |what: &str, r: Result<(), &str>| {
        r.map_err(|why| {
            fail(
                Kind::Input,
                format!("{origin}: the {what} {why}: copy the key again from the IAM console"),
            )
        })
    };
    check("access key id", access_key_id(id))?;
    check("secret access key", secret_access_key(secret))
}

/// An AWS account id: twelve digits.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The account id in an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:…`), if it has one.
pub fn arn_account(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:")?
        .split(':')
        .nth(3)
        .filter(|a| is_account_id(a))
}

/// An MFA code: exactly six ASCII digits.
pub fn code(code: &str) -> Result<&str> {
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code)
    } else {
        Err(fail(
            Kind::Input,
            "the MFA code must be exactly 6 digits: type the current code from your MFA device",
        ))
    }
}

/// GetSessionToken takes 900 seconds to 36 hours.
pub const SESSION_DURATION: std::ops::RangeInclusive<u32> = 900..=129_600;

pub fn session_duration(d: u32, origin: &str) -> Result<u32> {
    if SESSION_DURATION.contains(&d) {
        Ok(d)
    } else {
        Err(fail(
            Kind::Input,
            format!("{origin}: duration {d} is out of range: GetSessionToken takes 900 to 129600 seconds"),
        ))
    }
}

/// AssumeRole takes 900 seconds to 12 hours (the role's maximum may be lower).
pub fn role_duration(d: u32, origin: &str) -> Result<u32> {
    if (900..=43_200).contains(&d) {
        Ok(d)
    } else {
        Err(fail(
            Kind::Input,
            format!(
                "{origin}: duration {d} is out of range: AssumeRole takes 900 to 43200 seconds"
            ),
        ))
    }
}

/// STS accepts 9–256 characters of `[\w+=/:,.@-]`: an ARN or a hardware serial.
pub fn serial<'a>(s: &'a str, origin: &str) -> Result<&'a str> {
    if words(s, 9..=256, b"+=/:,.@-") {
        Ok(s)
    } else {
        Err(fail(
            Kind::Input,
            format!("{origin}: not an MFA serial number: use the device ARN, like arn:aws:iam::123456789012:mfa/me"),
        ))
    }
}

pub fn region<'a>(r: &'a str, origin: &str) -> Result<&'a str> {
    if !r.is_empty() && r.len() <= 64 && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        Ok(r)
    } else {
        Err(fail(
            Kind::Input,
            format!("{origin}: not an AWS region name: use one like eu-west-1"),
        ))
    }
}

/// `arn:PARTITION:iam::ACCOUNT:role/NAME`, printable, within STS's 20–2048.
pub fn role_arn<'a>(arn: &'a str, origin: &str) -> Result<&'a str> {
    if arn.starts_with("arn:")
        && arn.contains(":role/")
        && (20..=2048).contains(&arn.len())
        && arn.bytes().all(|b| b.is_ascii_graphic())
    {
        Ok(arn)
    } else {
        Err(fail(
            Kind::Input,
            format!("{origin}: not a role ARN: use one like arn:aws:iam::123456789012:role/NAME"),
        ))
    }
}

/// STS: `[\w+=,.@-]{2,64}`.
pub fn session_name<'a>(name: &'a str, origin: &str) -> Result<&'a str> {
    if words(name, 2..=64, b"+=,.@-") {
        Ok(name)
    } else {
        Err(fail(
            Kind::Input,
            format!("{origin}: a role session name must be 2 to 64 of A-Z a-z 0-9 _+=,.@-"),
        ))
    }
}

/// STS: `[\w+=,.@:/-]{2,1224}`.
pub fn external_id<'a>(id: &'a str, origin: &str) -> Result<&'a str> {
    if words(id, 2..=1224, b"+=,.@:/-") {
        Ok(id)
    } else {
        Err(fail(
            Kind::Input,
            format!("{origin}: an external id must be 2 to 1224 of A-Z a-z 0-9 _+=,.@:/-"),
        ))
    }
}

/// STS's session tag characters: letters, numbers, spaces and `_.:/=+-@`.
fn tag_chars(s: &str) -> bool {
    s.chars().all(|c| {
        c.is_alphanumeric() || (c.is_whitespace() && !c.is_control()) || "_.:/=+-@".contains(c)
    })
}

/// Session tags (`session_tags = team=infra,env=dev`, or `--tag KEY=VALUE`
/// each): at most 50, a key 1–128 and a value 0–256 of STS's characters,
/// no key twice (STS compares keys without case).
pub fn session_tags(pairs: &[&str], origin: &str) -> Result<Vec<(String, String)>> {
    let bad = |why: String| fail(Kind::Input, format!("{origin}: {why}"));
    if pairs.len() > 50 {
        return Err(bad(format!(
            "{} session tags, STS takes at most 50",
            pairs.len()
        )));
    }
    let mut tags: Vec<(String, String)> = Vec::new();
    for pair in pairs {
        let Some((k, v)) = pair.split_once('=') else {
            return Err(bad("a session tag must be KEY=VALUE".into()));
        };
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() || k.chars().count() > 128 || !tag_chars(k) {
            return Err(bad(
                "a session tag key must be 1 to 128 letters, digits, spaces or _.:/=+-@".into(),
            ));
        }
        if v.chars().count() > 256 || !tag_chars(v) {
            return Err(bad(format!("the value of session tag {k} must be at most 256 letters, digits, spaces or _.:/=+-@")));
        }
        if tags
            .iter()
            .any(|(t, _)| t.to_lowercase() == k.to_lowercase())
        {
            return Err(bad(format!(
                "session tag {k} is set twice (STS compares keys without case)"
            )));
        }
        tags.push((k.to_string(), v.to_string()));
    }
    Ok(tags)
}

/// Transitive tag keys: each one of `tags`' keys.
pub fn transitive_tags(
    keys: &[&str],
    tags: &[(String, String)],
    origin: &str,
) -> Result<Vec<String>> {
    // Each names a session tag (at most 50 of them, each once): so at most 50.
    let mut seen: Vec<String> = Vec::new();
    keys.iter()
        .map(|k| {
            let k = k.trim();
            if seen.iter().any(|s| s.to_lowercase() == k.to_lowercase()) {
                return Err(fail(
                    Kind::Input,
                    format!("{origin}: transitive tag {k} is named twice"),
                ));
            }
            seen.push(k.to_string());
            match tags.iter().find(|(t, _)| t.to_lowercase() == k.to_lowercase()) {
                Some(_) => Ok(k.to_string()),
                None => Err(fail(
                    Kind::Input,
                    format!("{origin}: transitive tag {k} is not one of the session tags: add it to session_tags (or --tag)"),
                )),
            }
        })
        .collect()
}

/// STS: a source identity is `[\w+=,.@-]{2,64}`.
pub fn source_identity<'a>(id: &'a str, origin: &str) -> Result<&'a str> {
    if words(id, 2..=64, b"+=,.@-") {
        Ok(id)
    } else {
        Err(fail(
            Kind::Input,
            format!("{origin}: a source identity must be 2 to 64 of A-Z a-z 0-9 _+=,.@-"),
        ))
    }
}

/// Managed session policies: at most 10 IAM policy ARNs
/// (`arn:PARTITION:iam::ACCOUNT|aws:policy/…`).
pub fn policy_arns(arns: &[&str], origin: &str) -> Result<Vec<String>> {
    if arns.len() > 10 {
        return Err(fail(
            Kind::Input,
            format!(
                "{origin}: {} session policies, STS takes at most 10",
                arns.len()
            ),
        ));
    }
    arns.iter()
        .map(|a| {
            let a = a.trim();
            let parts: Vec<&str> = a.splitn(6, ':').collect();
            let ok = (20..=2048).contains(&a.len())
                && text(a, 2048).is_ok()
                && !a.contains(char::is_whitespace)
                && matches!(parts[..], ["arn", p, "iam", "", acct, res]
                    if p.starts_with("aws")
                        && (acct == "aws" || (acct.len() == 12 && acct.bytes().all(|b| b.is_ascii_digit())))
                        && res.starts_with("policy/") && res.len() > 7);
            if ok {
                Ok(a.to_string())
            } else {
                Err(fail(
                    Kind::Input,
                    format!("{origin}: `{}` is not an IAM policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)", printable(a, 80)),
                ))
            }
        })
        .collect()
}

/// An inline session policy: one JSON object of at most 2,048 characters
/// (STS's plaintext limit) of tab, newline, carriage return and U+0020–U+00FF.
pub fn session_policy(policy: &str, origin: &str) -> Result<String> {
    let bad = |why: &str| fail(Kind::Input, format!("{origin}: the session policy {why}"));
    if policy.chars().count() > 2048 {
        return Err(bad("is over 2,048 characters, STS's limit"));
    }
    if !policy
        .chars()
        .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'))
    {
        return Err(bad(
            "holds a character STS refuses (only tab, newlines and U+0020 to U+00FF)",
        ));
    }
    match serde_json::from_str::<serde_json::Value>(policy) {
        Ok(serde_json::Value::Object(_)) => Ok(policy.to_string()),
        _ => Err(bad("is not a JSON object")),
    }
}

/// `s` cut to `max` characters with control characters dropped, for a message.
fn printable(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// An AWS endpoint (STS, IAM, any service awscred calls): `https://`, or
/// plain `http://` to this machine only (a local test server such as moto or
/// LocalStack): every answer carries session secrets, and CreateAccessKey's
/// a long-term secret key. Printable, and no user-info (it would be a
/// password in every message that names the endpoint).
pub fn endpoint_url<'a>(url: &'a str, origin: &str) -> Result<&'a str> {
    let problem = if !url.starts_with("https://") && !url.starts_with("http://") {
        Some("must start with http:// or https://")
    } else if text(url, 2048).is_err() || url.contains(char::is_whitespace) {
        Some("must be one printable word of at most 2048 bytes")
    } else {
        match url::Url::parse(url) {
            Err(_) => Some("is not a valid URL"),
            Ok(u) if !u.username().is_empty() || u.password().is_some() => {
                Some("must not contain a user name or password (user:password@)")
            }
            Ok(u) if u.scheme() == "http" && !is_loopback(&u) => Some(
                "is plain http to another machine, and its answers carry secrets: use https (plain http is for a server on this machine only)",
            ),
            Ok(_) => None,
        }
    };
    match problem {
        None => Ok(url),
        Some(why) => Err(fail(
            Kind::Input,
            format!("{origin}: the endpoint URL {why}: fix the setting"),
        )),
    }
}

/// `localhost` or a loopback address (127.0.0.0/8, ::1).
fn is_loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_key_ids_follow_the_documented_constraint() {
        assert!(access_key_id("AKIAIOSFODNN7EXAMPLE").is_ok());
        assert!(access_key_id(&"A".repeat(16)).is_ok());
        assert!(access_key_id(&"A".repeat(128)).is_ok());
        for bad in [
            "".to_string(),
            "A".repeat(15),
            "A".repeat(129),
            "AKIAIOSFODNN7EXAMP\x01E".into(),
            "AKIAIOSFODNN7EXAMPLE\n".into(),
            "AKIAIOSFODNN7-EXAMPLE".into(),
            "AKIAIOSFODNN7ÉXAMPLE".into(),
        ] {
            assert!(access_key_id(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn text_refuses_every_control_character_and_keeps_printables() {
        for c in (0u32..0x20).chain(0x7f..0xa0) {
            let s = format!("ab{}cd", char::from_u32(c).unwrap());
            assert!(text(&s, 100).is_err(), "U+{c:04X}");
        }
        assert!(text("'\"$`!%\\ ‘’ 🦀 é", 100).is_ok());
        assert!(text("", 100).is_err());
        assert!(text("abc", 2).is_err());
        assert!(secret_access_key(&"s".repeat(MAX_SECRET_LEN)).is_ok());
        assert!(secret_access_key(&"s".repeat(MAX_SECRET_LEN + 1)).is_err());
        assert!(session_token(&"t".repeat(MAX_TOKEN_LEN + 1)).is_err());
    }

    #[test]
    fn flag_and_file_values_are_checked_without_echoing_them() {
        for bad in ["12345", "1234567", "12a456", " 12345", "１２３４５６"] {
            assert!(code(bad).is_err(), "{bad}");
        }
        assert!(code("012345").is_ok());
        assert!(session_duration(899, "x").is_err() && session_duration(129_601, "x").is_err());
        assert!(session_duration(900, "x").is_ok() && session_duration(129_600, "x").is_ok());
        assert!(region("eu-west-1", "x").is_ok());
        let e = region("eu west SECRET", "--region")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("--region: not an AWS region") && !e.contains("SECRET"),
            "{e}"
        );
        assert!(role_arn("arn:aws:iam::123456789012:role/admin", "x").is_ok());
        assert!(role_arn("admin", "x").is_err());
        assert!(role_arn("arn:aws:iam::123456789012:user/me", "x").is_err());
        assert!(role_arn("arn:aws:iam::123456789012:role/a\nb", "x").is_err());
        assert!(session_name("me@example.com", "x").is_ok());
        assert!(session_name("a", "x").is_err() && session_name("has space", "x").is_err());
        assert!(external_id("X2", "x").is_ok() && external_id("a\tb", "x").is_err());
        assert!(endpoint_url("https://sts.eu-west-1.amazonaws.com", "x").is_ok());
        for ok in [
            "http://127.0.0.1:4566/path?q=a@b",
            "http://127.9.9.9/",
            "http://localhost:4566/x",
            "http://[::1]:4566",
            "https://iam.example.com",
        ] {
            assert!(endpoint_url(ok, "x").is_ok(), "{ok}");
        }
        for bad in [
            "ftp://x",
            "http://user:SECRETPASS@127.0.0.1:1",
            "http://127.0.0.1:1/\x1b[2J",
            "http://a b",
            "http://sts.example.com",
            "http://10.0.0.1:4566",
            "http://127.0.0.1.evil.example",
            "http://[2001:db8::1]:80",
        ] {
            let e = endpoint_url(bad, "AWS_ENDPOINT_URL")
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("AWS_ENDPOINT_URL: the endpoint URL"), "{e}");
            assert!(!e.contains("SECRET") && !e.contains("ftp"), "{e}");
        }
        let e = serial("x SECRETSECRET", "f:2").unwrap_err().to_string();
        assert!(
            e.starts_with("f:2: not an MFA serial") && !e.contains("SECRET"),
            "{e}"
        );
    }

    #[test]
    fn a_transitive_tag_is_named_once() {
        let tags = session_tags(&["team=a"], "x").unwrap();
        assert!(transitive_tags(&["team"], &tags, "x").is_ok());
        let e = transitive_tags(&["team", "Team"], &tags, "x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("transitive tag Team is named twice"), "{e}");
    }
}
