//! Session credentials and the little time arithmetic they need.
//!
//! Timestamps are whole seconds since the Unix epoch, written as RFC 3339 UTC
//! (`2026-11-23T17:38:35Z`). Doing this by hand keeps a date crate out of the
//! binary; the calendar maths is the well-known days-from-civil algorithm.

use crate::secret::Secret;
use crate::validate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Timestamp {
        let secs = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            Err(e) => -(e.duration().as_secs() as i64),
        };
        Timestamp(secs)
    }

    /// Parses RFC 3339 with a `Z` or `±HH:MM` offset and optional fractional seconds.
    pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
        let b = s.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let part = s.get(r)?;
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&month)
            || !(1..=31).contains(&day)
            || hour > 23
            || min > 59
            || sec > 60
        {
            return None;
        }
        let mut rest = &s[19..];
        if let Some(frac) = rest.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            rest = &frac[digits..];
        }
        let offset = match rest {
            "Z" | "z" => 0,
            _ => {
                let ob = rest.as_bytes();
                if ob.len() != 6 || ob[3] != b':' {
                    return None;
                }
                let sign = match ob[0] {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                let h: i64 = rest.get(1..3)?.parse().ok()?;
                let m: i64 = rest.get(4..6)?.parse().ok()?;
                sign * (h * 3600 + m * 60)
            }
        };
        let days = days_from_civil(year, month, day);
        Some(Timestamp(
            days * 86_400 + hour * 3600 + min * 60 + sec - offset,
        ))
    }

    pub fn to_rfc3339(self) -> String {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse_rfc3339(&s)
            .ok_or_else(|| serde::de::Error::custom("not an RFC 3339 timestamp"))
    }
}

// Howard Hinnant's algorithms, proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A session is treated as expired when this little time, or less, is left.
pub const EXPIRY_MARGIN_SECS: i64 = 600;

/// Temporary credentials as STS returns them. Field names match the STS JSON
/// shape (`aws sts get-session-token`), so this serialises straight into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    pub expiration: Timestamp,
}

impl Credentials {
    /// True while more than [`EXPIRY_MARGIN_SECS`] remain.
    pub fn is_fresh(&self, now: Timestamp) -> bool {
        self.expiration.0 - now.0 > EXPIRY_MARGIN_SECS
    }

    /// The checks every session passes before it is used or cached, whether it
    /// came from STS or from the cache: the error names the field, never its value.
    pub fn validate(&self) -> Result<(), String> {
        check_fields(
            &self.access_key_id,
            &self.secret_access_key,
            Some(&self.session_token),
        )
    }
}

/// The field checks shared by sessions and handed-out credentials.
fn check_fields(id: &str, secret: &Secret, token: Option<&Secret>) -> Result<(), String> {
    let field = |what: &str, r: Result<(), &str>| r.map_err(|why| format!("the {what} {why}"));
    field("access key id", validate::access_key_id(id))?;
    field(
        "secret access key",
        validate::secret_access_key(secret.expose()),
    )?;
    match token {
        Some(t) => field("session token", validate::session_token(t.expose())),
        None => Ok(()),
    }
}

/// Credentials as handed out: a session (token and expiration) or, for a
/// profile without an MFA device, whatever the AWS SDK chain resolves (which
/// may be long-term keys, with neither).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    pub expiration: Option<Timestamp>,
}

impl Issued {
    /// The checks of [`Credentials::validate`] (a token only when there is one),
    /// for credentials from the AWS SDK: the error names the field, never its value.
    pub fn validate(&self) -> Result<(), String> {
        check_fields(
            &self.access_key_id,
            &self.secret_access_key,
            self.session_token.as_ref(),
        )
    }
}

impl From<Credentials> for Issued {
    fn from(c: Credentials) -> Issued {
        Issued {
            access_key_id: c.access_key_id,
            secret_access_key: c.secret_access_key,
            session_token: Some(c.session_token),
            expiration: Some(c.expiration),
        }
    }
}

/// An IAM user's long-term access key: the only thing awscred signs STS calls with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongTermKeys {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    /// Where the keys were found, for messages: "the environment", "profile work (~/.aws/credentials)".
    pub origin: String,
}

/// True for key ids of temporary credentials (STS issues `ASIA…`).
pub fn is_temporary_key_id(id: &str) -> bool {
    id.starts_with("ASIA")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_across_eras() {
        for t in [
            0,
            1,
            86_399,
            86_400,
            951_782_400,
            1_798_000_000,
            4_102_444_800,
            -1,
        ] {
            let s = Timestamp(t).to_rfc3339();
            assert_eq!(Timestamp::parse_rfc3339(&s), Some(Timestamp(t)), "{s}");
        }
        assert_eq!(Timestamp(0).to_rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(Timestamp(951_782_400).to_rfc3339(), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn rfc3339_accepts_offsets_and_fractions_like_the_aws_cli_prints() {
        let z = Timestamp::parse_rfc3339("2022-02-27T22:10:04Z").unwrap();
        assert_eq!(
            Timestamp::parse_rfc3339("2022-02-27T22:10:04+00:00"),
            Some(z)
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2022-02-27T23:10:04+01:00"),
            Some(z)
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2022-02-27T22:10:04.123Z"),
            Some(z)
        );
        for bad in [
            "",
            "2022-02-27",
            "2022-13-27T22:10:04Z",
            "2022-02-27T22:10:04",
            "2022-02-27T22:10:04+0000",
            "２022-02-27T22:10:04Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn freshness_uses_a_ten_minute_margin() {
        let c = Credentials {
            access_key_id: "ASIA".into(),
            secret_access_key: "s".into(),
            session_token: "t".into(),
            expiration: Timestamp(10_000),
        };
        assert!(c.is_fresh(Timestamp(10_000 - 601)));
        assert!(!c.is_fresh(Timestamp(10_000 - 600)));
        assert!(!c.is_fresh(Timestamp(20_000)));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credentials {
            access_key_id: "ASIAX".into(),
            secret_access_key: "SECRETSECRET".into(),
            session_token: "TOKENTOKEN".into(),
            expiration: Timestamp(0),
        };
        let d = format!("{c:?}");
        assert!(d.contains("ASIAX") && !d.contains("SECRETSECRET") && !d.contains("TOKENTOKEN"));
        let k = LongTermKeys {
            access_key_id: "AKIA".into(),
            secret_access_key: "SECRETSECRET".into(),
            origin: "env".into(),
        };
        assert!(!format!("{k:?}").contains("SECRETSECRET"));
    }
}
