//! Getting a session: the cache check, the lock, the STS call and the write,
//! in the order that makes concurrent runs share one STS call.

use crate::cache::{self, Cache, Key, RoleKey};
use crate::credentials::{Credentials, Issued, Timestamp};
use crate::error::{fail, kind_of, Kind};
use crate::profile::Resolved;
use crate::secret::Secret;
use crate::sts::{IdentityRequest, RoleRequest, SessionRequest, Sts};
use anyhow::Result;

/// The cache key of what `res` describes: its MFA session, or its role
/// credentials (with every parameter of the whole chain).
pub fn key(res: &Resolved) -> Key {
    Key {
        profile: res.profile.clone(),
        base_access_key_id: res.keys.access_key_id.clone(),
        mfa_serial: res.mfa_serial.clone(),
        sts: crate::sts::answering(res.endpoint_url.as_deref(), &res.region),
        roles: res
            .roles
            .iter()
            .map(|r| RoleKey {
                arn: r.arn.clone(),
                session_name: r.session_name.clone(),
                external_id: r.external_id.clone(),
                duration_seconds: r.duration_seconds,
            })
            .collect(),
    }
}

/// The profile's MFA serial, or an error saying how to configure one.
pub fn require_serial<'a>(res: &'a Resolved, config_path: &str) -> Result<&'a str> {
    res.mfa_serial.as_deref().ok_or_else(|| {
        fail(
            Kind::Input,
            format!(
                "profile `{}` has no MFA device: add `mfa_serial = arn:aws:iam::ACCOUNT:mfa/NAME` to it in {config_path}, or pass --serial-number",
                res.profile
            ),
        )
    })
}

/// Whether a valid cached session may be used (`--force` says no).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Reuse {
    Cached,
    Never,
}

impl From<bool> for Reuse {
    /// From `--force`.
    fn from(force: bool) -> Reuse {
        if force {
            Reuse::Never
        } else {
            Reuse::Cached
        }
    }
}

pub struct Deps<'a> {
    pub cache: &'a Cache,
    pub sts: &'a dyn Sts,
    pub now: &'a dyn Fn() -> Timestamp,
}

/// A valid session: from the cache when one has more than the margin left
/// (unless `force`), else from STS (with the MFA serial and a code from `code`
/// when the profile has a device), then cached. Holding the lock from the
/// second cache check to the write means a concurrent run waits, then finds
/// this run's session instead of prompting and calling STS again.
pub fn obtain(
    res: &Resolved,
    deps: &Deps,
    reuse: Reuse,
    code: impl FnOnce(&str) -> Result<Secret>,
) -> Result<Credentials> {
    let key = key(res);
    if reuse == Reuse::Cached {
        if let Some(c) = deps.cache.load(&key, (deps.now)()) {
            return Ok(c);
        }
    }
    let lock = lock_or_warn(deps.cache, &key)?;
    if reuse == Reuse::Cached && lock.is_some() {
        if let Some(c) = deps.cache.load(&key, (deps.now)()) {
            return Ok(c);
        }
    }
    let creds = if res.roles.is_empty() {
        let serial = res.mfa_serial.as_deref();
        let code = serial.map(code).transpose()?;
        call(res, deps, serial, code.as_ref())?
    } else {
        assume_roles(res, deps, reuse, code)?
    };
    if lock.is_some() {
        store_or_warn(deps.cache, &key, &creds);
    }
    Ok(creds)
}

/// STS refuses to chain roles (assume with a session's credentials) for longer than this.
pub const ROLE_CHAINING_LIMIT: u32 = 3600;

/// Role credentials for `res` (whose `roles` is not empty). With an MFA device,
/// the base profile's MFA session is obtained once (cached, shared by every
/// role with the same source and device) and the roles are assumed with it, so
/// many roles cost one code. A single role asked for more than an hour cannot
/// be chained from a session: it is assumed directly with the long-term keys,
/// the serial and a code.
fn assume_roles(
    res: &Resolved,
    deps: &Deps,
    reuse: Reuse,
    code: impl FnOnce(&str) -> Result<Secret>,
) -> Result<Credentials> {
    let outer = res
        .roles
        .last()
        .ok_or_else(|| fail(Kind::Internal, "no role to assume"))?;
    // What signs the next call, and where it came from (for messages).
    let long_term = (Issued::from(&res.keys), res.keys.origin.clone());
    let direct = res.roles.len() == 1
        && outer
            .duration_seconds
            .is_some_and(|d| d > ROLE_CHAINING_LIMIT);
    let ((mut signer, mut origin), mut mfa) = match res.mfa_serial.as_deref() {
        Some(serial) if direct => (long_term, Some((serial, code(serial)?))),
        Some(_) => {
            let session = obtain(&res.base_session(), deps, reuse, code)?;
            let origin = format!("the MFA session of profile {}", res.base_profile);
            ((session.into(), origin), None)
        }
        None => (long_term, None),
    };
    let mut creds = None;
    for role in &res.roles {
        let (serial, token) = match mfa.take() {
            Some((s, c)) => (Some(s), Some(c)),
            None => (None, None),
        };
        let got = deps.sts.assume_role(&RoleRequest {
            signer: IdentityRequest {
                credentials: &signer,
                region: &res.region,
                endpoint_url: res.endpoint_url.as_deref(),
            },
            origin: &origin,
            role_arn: &role.arn,
            session_name: &role.session_name,
            external_id: role.external_id.as_deref(),
            serial_number: serial,
            token_code: token.as_ref(),
            duration_seconds: role.duration_seconds,
        })?;
        check_fresh(&got, deps)?;
        (signer, origin) = (got.clone().into(), format!("role {}", role.arn));
        creds = Some(got);
    }
    creds.ok_or_else(|| fail(Kind::Internal, "no role to assume"))
}

/// The cached session, never a new one. If another run is getting one right
/// now (it holds the lock), wait for it and take its result.
pub fn cached(res: &Resolved, cache: &Cache, now: &dyn Fn() -> Timestamp) -> Option<Credentials> {
    let key = key(res);
    cache.load(&key, now()).or_else(|| {
        let _lock = cache.lock(&key).ok()?;
        cache.load(&key, now())
    })
}

/// A new session from STS, always (get-session-token). Cached unless `cache` is false.
pub fn fresh(
    res: &Resolved,
    deps: &Deps,
    code: Option<&Secret>,
    cache: bool,
) -> Result<Credentials> {
    let serial = code.and(res.mfa_serial.as_deref());
    let creds = call(res, deps, serial, code)?;
    if cache {
        let key = key(res);
        if let Some(_lock) = lock_or_warn(deps.cache, &key)? {
            store_or_warn(deps.cache, &key, &creds);
        }
    }
    Ok(creds)
}

fn call(
    res: &Resolved,
    deps: &Deps,
    serial: Option<&str>,
    code: Option<&Secret>,
) -> Result<Credentials> {
    let creds = deps.sts.get_session_token(&SessionRequest {
        keys: &res.keys,
        region: &res.region,
        endpoint_url: res.endpoint_url.as_deref(),
        serial_number: serial,
        token_code: code,
        duration_seconds: res.duration_seconds,
    })?;
    check_fresh(&creds, deps)?;
    Ok(creds)
}

/// An answer that is already expired (or nearly) is refused, never cached.
fn check_fresh(creds: &Credentials, deps: &Deps) -> Result<()> {
    let now = (deps.now)();
    if !creds.is_fresh(now) {
        return Err(fail(
            Kind::Network,
            format!(
                "STS returned a session that expires at {}, which is not in the future (local time {now}): check the system clock and the endpoint",
                creds.expiration
            ),
        ));
    }
    Ok(())
}

/// A cache that cannot be written (a read-only disk, say) must not stop the
/// user: they get their credentials, uncached, and one warning. An unsafe one
/// (another user's directory, a planted file) is refused (exit 3).
fn lock_or_warn(cache: &Cache, key: &Key) -> Result<Option<cache::Lock>> {
    match cache.lock(key) {
        Ok(l) => Ok(Some(l)),
        Err(e) if kind_of(&e) == Kind::Input => Err(e),
        Err(e) => {
            cache::warn(&format!("{e:#}; the session will not be cached"));
            Ok(None)
        }
    }
}

fn store_or_warn(cache: &Cache, key: &Key, creds: &Credentials) {
    if let Err(e) = cache.store(key, creds) {
        cache::warn(&format!("{e:#}; the session was not cached"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::LongTermKeys;
    use crate::profile::Env;
    use std::cell::{Cell, RefCell};

    struct FakeSts {
        calls: RefCell<Vec<(Option<String>, Option<String>)>>,
        expires_in: Cell<i64>,
    }

    impl FakeSts {
        fn expiring_in(secs: i64) -> FakeSts {
            FakeSts {
                calls: RefCell::new(vec![]),
                expires_in: Cell::new(secs),
            }
        }
    }

    impl Sts for FakeSts {
        fn get_session_token(&self, req: &SessionRequest) -> Result<Credentials> {
            self.calls.borrow_mut().push((
                req.serial_number.map(Into::into),
                req.token_code.map(|c| c.expose().to_string()),
            ));
            Ok(Credentials {
                access_key_id: format!("ASIA{:016}", self.calls.borrow().len()),
                secret_access_key: "s".into(),
                session_token: "t".into(),
                expiration: Timestamp(NOW + self.expires_in.get()),
            })
        }

        fn assume_role(&self, _: &crate::sts::RoleRequest) -> Result<Credentials> {
            unreachable!("no roles here")
        }

        fn get_caller_identity(&self, _: &crate::sts::IdentityRequest) -> Result<String> {
            unreachable!("not used by sessions")
        }
    }

    const NOW: i64 = 1_800_000_000;

    fn resolved() -> Resolved {
        Resolved {
            profile: "work".into(),
            keys: LongTermKeys {
                access_key_id: "AKIA1000000000000000".into(),
                secret_access_key: "s".into(),
                origin: "test".into(),
            },
            mfa_serial: Some("arn:aws:iam::1:mfa/me".into()),
            mfa_process: None,
            duration_seconds: None,
            region: "us-east-1".into(),
            region_configured: false,
            endpoint_url: None,
            base_profile: "work".into(),
            roles: Vec::new(),
            configured_account: None,
        }
    }

    fn cache(dir: &std::path::Path) -> Cache {
        // A directory awscred makes itself (tempdir's own is 0755, which it refuses).
        Cache::open(&Env::from_pairs([(
            "AWSCRED_CACHE_DIR",
            dir.join("cache").to_str().unwrap(),
        )]))
        .unwrap()
    }

    #[test]
    fn second_mfa_uses_the_cache_and_force_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let (cache, sts) = (cache(dir.path()), FakeSts::expiring_in(3600));
        let now = || Timestamp(NOW);
        let deps = Deps {
            cache: &cache,
            sts: &sts,
            now: &now,
        };
        let a = obtain(&resolved(), &deps, Reuse::Cached, |_| Ok("123456".into())).unwrap();
        let b = obtain(&resolved(), &deps, Reuse::Cached, |_| {
            panic!("must not ask for a code")
        })
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(
            *sts.calls.borrow(),
            [(Some("arn:aws:iam::1:mfa/me".into()), Some("123456".into()))]
        );
        let c = obtain(&resolved(), &deps, Reuse::Never, |_| Ok("654321".into())).unwrap();
        assert_ne!(a, c);
        assert_eq!(sts.calls.borrow().len(), 2);
    }

    #[test]
    fn a_session_near_expiry_is_renewed() {
        let dir = tempfile::tempdir().unwrap();
        let (cache, sts) = (cache(dir.path()), FakeSts::expiring_in(3600));
        let deps = Deps {
            cache: &cache,
            sts: &sts,
            now: &|| Timestamp(NOW),
        };
        obtain(&resolved(), &deps, Reuse::Cached, |_| Ok("123456".into())).unwrap();
        sts.expires_in.set(7200);
        let later = Deps {
            cache: &cache,
            sts: &sts,
            now: &|| Timestamp(NOW + 3000),
        };
        obtain(&resolved(), &later, Reuse::Cached, |_| Ok("123456".into())).unwrap();
        assert_eq!(sts.calls.borrow().len(), 2);
    }

    #[test]
    fn an_already_expired_answer_is_rejected_and_not_cached() {
        let dir = tempfile::tempdir().unwrap();
        let (cache, sts) = (cache(dir.path()), FakeSts::expiring_in(-60));
        let deps = Deps {
            cache: &cache,
            sts: &sts,
            now: &|| Timestamp(NOW),
        };
        let e = obtain(&resolved(), &deps, Reuse::Cached, |_| Ok("123456".into())).unwrap_err();
        assert!(e.to_string().contains("not in the future"), "{e}");
        assert!(cache
            .load(&key(&resolved()), Timestamp(NOW - 7200))
            .is_none());
    }

    #[test]
    fn fresh_sends_serial_only_with_a_code() {
        let dir = tempfile::tempdir().unwrap();
        let (cache, sts) = (cache(dir.path()), FakeSts::expiring_in(3600));
        let deps = Deps {
            cache: &cache,
            sts: &sts,
            now: &|| Timestamp(NOW),
        };
        fresh(&resolved(), &deps, None, false).unwrap();
        fresh(&resolved(), &deps, Some(&"123456".into()), true).unwrap();
        assert_eq!(sts.calls.borrow()[0], (None, None));
        assert_eq!(sts.calls.borrow()[1].1.as_deref(), Some("123456"));
        assert!(cache.load(&key(&resolved()), Timestamp(NOW)).is_some());
    }
}
