//! Session credentials and the little time arithmetic they need.
//!
//! Timestamps are whole seconds since the Unix epoch, written as RFC 3339 UTC
//! (`2026-11-23T17:38:35Z`) with the `time` crate, already compiled in
//! through the SDK.

use crate::keystore::KeySecret;
use crate::secret::Secret;
use crate::validate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Seconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// "11h 59m left", "expired 3m ago", for messages and tables.
    pub fn left_at(self, now: Timestamp) -> String {
        let d = self.0 - now.0;
        let span = |s: i64| {
            if s >= 3600 {
                format!("{}h {:02}m", s / 3600, s % 3600 / 60)
            } else {
                format!("{}m", s / 60)
            }
        };
        if d > 0 {
            format!("{} left", span(d))
        } else {
            format!("expired {} ago", span(-d))
        }
    }

    pub fn now() -> Timestamp {
        let secs = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            Err(e) => -(e.duration().as_secs() as i64),
        };
        Timestamp(secs)
    }

    /// Parses RFC 3339 (`Z` or `±HH:MM`, optional fraction), as STS, the AWS
    /// CLI and other tools write it; the fraction is dropped.
    pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
        OffsetDateTime::parse(s, &Rfc3339)
            .ok()
            .map(|t| Timestamp(t.unix_timestamp()))
    }

    /// RFC 3339 in UTC, whole seconds: `2026-11-23T17:38:35Z`, the shape
    /// `aws sts get-session-token` prints. Timestamps past the year 9999 are
    /// refused where they enter (see [`Timestamp::is_representable`]); one that
    /// got here anyway is shown as the last representable second, never a panic.
    pub fn to_rfc3339(self) -> String {
        let t = OffsetDateTime::from_unix_timestamp(self.0.clamp(MIN_SECS, MAX_SECS))
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }

    /// The local time, to the minute, with the zone's abbreviation
    /// (`2026-11-23 18:38 CET`), for people; UTC where the platform has no
    /// `localtime_r`.
    pub fn local_minute(self) -> String {
        #[cfg(unix)]
        {
            // SAFETY: localtime_r and strftime write only into the buffers
            // handed to them; `tm` is plain data, zeroed first.
            unsafe {
                let t: libc::time_t = self.0.clamp(MIN_SECS, MAX_SECS) as libc::time_t;
                let mut tm: libc::tm = std::mem::zeroed();
                if !libc::localtime_r(&t, &mut tm).is_null() {
                    let mut buf = [0u8; 64];
                    let n = libc::strftime(
                        buf.as_mut_ptr().cast(),
                        buf.len(),
                        c"%Y-%m-%d %H:%M %Z".as_ptr(),
                        &tm,
                    );
                    if n > 0 {
                        return String::from_utf8_lossy(&buf[..n]).into_owned();
                    }
                }
            }
        }
        let s = self.to_rfc3339();
        format!("{} {} UTC", &s[..10], &s[11..16])
    }

    /// An expiration as a credentials file records it, and the format it is
    /// in: RFC 3339 (awscred, saml2aws), or aws-mfa's `2026-11-24 06:44:27`
    /// (UTC, no zone), which aws-mfa reads back with `strptime`.
    pub fn parse_recorded(s: &str) -> Option<(Timestamp, TimeFormat)> {
        if let Some(t) = Timestamp::parse_rfc3339(s) {
            return Some((t, TimeFormat::Rfc3339));
        }
        // Exactly the aws-mfa shape: with a `T` and a `Z` it is RFC 3339.
        let b = s.as_bytes();
        if b.len() != 19 || b[10] != b' ' {
            return None;
        }
        let t = Timestamp::parse_rfc3339(&format!("{}T{}Z", &s[..10], &s[11..]))?;
        Some((t, TimeFormat::AwsMfa))
    }

    /// This time in `format`.
    pub fn format(self, format: TimeFormat) -> String {
        let s = self.to_rfc3339();
        match format {
            TimeFormat::Rfc3339 => s,
            TimeFormat::AwsMfa => format!("{} {}", &s[..10], &s[11..19]),
        }
    }

    /// True while more than `secs` are left at `now`.
    pub fn lasts_beyond(self, now: Timestamp, secs: i64) -> bool {
        self.0 - now.0 > secs
    }

    /// True when [`RENEW_AHEAD_SECS`] or less are left at `now`.
    pub fn due_for_renewal_at(self, now: Timestamp) -> bool {
        !self.lasts_beyond(now, RENEW_AHEAD_SECS)
    }

    /// Within years 0000–9999, the range RFC 3339 can write.
    pub fn is_representable(self) -> bool {
        (MIN_SECS..=MAX_SECS).contains(&self.0)
    }

    /// True while more than [`EXPIRY_MARGIN_SECS`] are left before this
    /// expiration at `now`: the one rule for "still valid", everywhere.
    pub fn fresh_at(self, now: Timestamp) -> bool {
        self.lasts_beyond(now, EXPIRY_MARGIN_SECS)
    }
}

/// How a credentials file records an expiration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFormat {
    /// `2026-11-24T06:44:27Z`: STS, the AWS CLI, awscred.
    Rfc3339,
    /// `2026-11-24 06:44:27` in UTC: aws-mfa.
    AwsMfa,
}

/// The keys tools record a session's expiration under in the credentials
/// file: aws-mfa and awscred, then saml2aws (and tools copying it). The SDKs
/// ignore them all.
pub const EXPIRATION_KEYS: [&str; 2] = ["expiration", "x_security_token_expires"];

/// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
const MIN_SECS: i64 = -62_167_219_200;
const MAX_SECS: i64 = 253_402_300_799;

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

/// A session is treated as expired when this little time, or less, is left.
pub const EXPIRY_MARGIN_SECS: i64 = 600;

/// The credential server hands out nothing with this little time, or less,
/// left: the longest refresh window among the SDKs (boto3 and the AWS CLI
/// refresh 15 minutes before expiry), and a minute for the request.
pub const SERVE_MIN_SECS: i64 = 960;

/// Role credentials with this little time, or less, left are renewed ahead
/// when that needs no code: consumers refresh before expiry (boto3 and the
/// AWS CLI 15 minutes before, the JavaScript and Rust SDKs 5), and would run
/// awscred on every call if handed credentials already inside that window.
pub const RENEW_AHEAD_SECS: i64 = 1200;

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
        self.expiration.fresh_at(now)
    }

    /// The checks every session passes before it is used or cached, whether it
    /// came from STS or from the cache: the error names the field, never its value.
    pub fn validate(&self) -> Result<(), String> {
        check_fields(
            &self.access_key_id,
            &self.secret_access_key,
            Some(&self.session_token),
            Some(self.expiration),
        )
    }
}

/// The field checks shared by sessions and handed-out credentials.
fn check_fields(
    id: &str,
    secret: &Secret,
    token: Option<&Secret>,
    expiration: Option<Timestamp>,
) -> Result<(), String> {
    let field = |what: &str, r: Result<(), &str>| r.map_err(|why| format!("the {what} {why}"));
    if expiration.is_some_and(|e| !e.is_representable()) {
        return Err("the expiration is outside the years 0000 to 9999".into());
    }
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
            self.expiration,
        )
    }

    /// These as a session, when they are one (a token and an expiration):
    /// what the session cache can hold.
    pub fn session(&self) -> Option<Credentials> {
        Some(Credentials {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            session_token: self.session_token.clone()?,
            expiration: self.expiration?,
        })
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
    /// At hand, or in a key store: read from it only when something is signed
    /// ([`KeySecret::get`]), never for a cached session.
    pub secret_access_key: KeySecret,
    /// Where the keys were found, for messages: "the environment", "profile work (~/.aws/credentials)".
    pub origin: String,
}

impl LongTermKeys {
    /// The keys as credentials to sign with or hand out: this reads a stored
    /// secret from its store (once per run).
    pub fn issued(&self) -> anyhow::Result<Issued> {
        Ok(Issued {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.get()?.clone(),
            session_token: None,
            expiration: None,
        })
    }
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
            "2022-02-31T00:00:00Z",
            "2022-02-27T22:10:04+99:99",
            "2022-02-27T24:00:00Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn recorded_expirations_keep_their_format() {
        let t = Timestamp::parse_rfc3339("2026-11-24T06:44:27Z").unwrap();
        for (s, f) in [
            ("2026-11-24T06:44:27Z", TimeFormat::Rfc3339),
            ("2026-11-24 06:44:27", TimeFormat::AwsMfa),
        ] {
            assert_eq!(Timestamp::parse_recorded(s), Some((t, f)), "{s}");
            assert_eq!(t.format(f), s);
        }
        assert_eq!(
            Timestamp::parse_recorded("2026-11-24T08:44:27+02:00"),
            Some((t, TimeFormat::Rfc3339))
        );
        for bad in [
            "2026-11-24 06:44",
            "2026-11-24 06:44:27.5",
            "2026-11-24 24:00:00",
            "2026-11-é 06:44:27",
            "2026-11-24x06:44:27",
        ] {
            assert_eq!(Timestamp::parse_recorded(bad), None, "{bad}");
        }
    }

    #[test]
    fn timestamps_beyond_rfc_3339_are_refused_never_a_panic() {
        let c = |e: i64| Credentials {
            access_key_id: "ASIAXXXXXXXXXXXXXXXX".into(),
            secret_access_key: "s".into(),
            session_token: "t".into(),
            expiration: Timestamp(e),
        };
        assert!(c(MAX_SECS).validate().is_ok());
        assert!(c(MAX_SECS + 1).validate().is_err());
        assert!(c(i64::MIN).validate().is_err());
        assert_eq!(Timestamp(i64::MAX).to_rfc3339(), "9999-12-31T23:59:59Z");
        assert_eq!(Timestamp(MIN_SECS).to_rfc3339(), "0000-01-01T00:00:00Z");
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
