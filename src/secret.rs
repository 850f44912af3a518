//! A string that must never be shown: secret keys, session tokens, MFA codes,
//! `mfa_process` command lines.
//!
//! `Debug` prints `<redacted>`, there is no `Display`, reading the value takes
//! an explicit [`Secret::expose`] (so every exposure is greppable), and the
//! bytes are wiped on drop. Built on `zeroize` (already compiled in through the
//! SDK) rather than `secrecy`, whose `SecretString` has no `Clone`, `PartialEq`
//! or `Serialize` without ceremony at every use; the cache and the output
//! formats need all three.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use zeroize::Zeroizing;

#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(Zeroizing::new(value.into()))
    }

    /// The value itself. Only for output the user asked for, the credentials
    /// file, the cache and request signing: never for a message.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret::new(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret::new(s)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Transparent: the cache entry and the JSON formats hold the value itself.
impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_and_serde_is_transparent() {
        let s = Secret::from("wJalrXUtnFEMI/K7MDENG");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(&s)), "Some(<redacted>)");
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, "\"wJalrXUtnFEMI/K7MDENG\"");
        assert_eq!(serde_json::from_str::<Secret>(&json).unwrap(), s);
        assert_eq!(s.expose(), "wJalrXUtnFEMI/K7MDENG");
    }
}
