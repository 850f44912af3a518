//! Getting a session: the cache check, the lock, the STS call and the write,
//! in the order that makes concurrent runs share one STS call.

use crate::cache::{self, Cache, Cached, Key, RoleKey};
use crate::credentials::{Credentials, Issued, Timestamp, EXPIRY_MARGIN_SECS, RENEW_AHEAD_SECS};
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
                options: r.options.clone(),
            })
            .collect(),
        source: None,
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
    obtain_lasting(res, deps, reuse, EXPIRY_MARGIN_SECS, code)
}

/// [`obtain`], with more than `min_left` seconds left (the credential server
/// asks for more than the margin). Never long-term keys: a profile without
/// an MFA device gets a session without MFA.
pub fn obtain_lasting(
    res: &Resolved,
    deps: &Deps,
    reuse: Reuse,
    min_left: i64,
    code: impl FnOnce(&str) -> Result<Secret>,
) -> Result<Credentials> {
    let key = key(res);
    let lasts = |c: &Credentials| c.expiration.lasts_beyond((deps.now)(), min_left);
    if reuse == Reuse::Cached {
        if let Some(c) = deps.cache.load_cached(&key, (deps.now)()) {
            let c = renewed_if_due(res, deps, c);
            if lasts(&c) {
                return Ok(c);
            }
        }
    }
    let lock = lock_or_warn(deps.cache, &key)?;
    if reuse == Reuse::Cached && lock.is_some() {
        if let Some(c) = deps.cache.load(&key, (deps.now)()).filter(lasts) {
            return Ok(c);
        }
    }
    let creds = if res.roles.is_empty() {
        let serial = res.mfa_serial.as_deref();
        // A stored secret is read (its passphrase asked) before the code: a
        // code typed first could expire while the passphrase is typed.
        res.keys.secret_access_key.get()?;
        let code = serial.map(code).transpose()?;
        call(res, deps, serial, code.as_ref())?
    } else {
        assume_roles(res, deps, reuse, code)?
    };
    if lock.is_some() {
        store_or_warn(deps.cache, &key, &creds, deps);
    }
    Ok(creds)
}

/// Whether cached role credentials are renewed ahead of their expiry (see
/// [`RENEW_AHEAD_SECS`]): they are due, and they last (from when they were
/// obtained, by the local clock) more than twice that, so renewed ones are
/// not due at once. A failed renewal stores them again as just obtained,
/// which ends renewing them: one attempt per credentials.
fn due_for_renewal(cached: &Cached, now: Timestamp) -> bool {
    let expiration = cached.credentials.expiration;
    cached
        .obtained
        .is_some_and(|obtained| expiration.0 - obtained.0 > 2 * RENEW_AHEAD_SECS)
        && expiration.due_for_renewal_at(now)
}

/// The cached credentials of `res`, never new ones but role credentials
/// renewed ahead (see [`renewed_if_due`]). If another run is getting them
/// right now (it holds the lock), wait for it and take its result.
pub fn cached(res: &Resolved, deps: &Deps) -> Option<Credentials> {
    let key = key(res);
    let found = deps.cache.load_cached(&key, (deps.now)()).or_else(|| {
        let _lock = deps.cache.lock(&key).ok()?;
        deps.cache.load_cached(&key, (deps.now)())
    })?;
    Some(renewed_if_due(res, deps, found))
}

/// `found` (cached, valid), or role credentials renewed ahead of expiry when
/// they are due and that needs no code: no MFA device, or a valid cached MFA
/// session of the source. Renewing is optional, so it never waits for
/// another run's lock and never asks for a code; when it fails, `found` is
/// used, with a warning.
fn renewed_if_due(res: &Resolved, deps: &Deps, found: Cached) -> Credentials {
    let (key, now) = (key(res), (deps.now)());
    if res.roles.is_empty() || !due_for_renewal(&found, now) {
        return found.credentials;
    }
    let needs_code = res.mfa_serial.is_some()
        && (assumed_directly(res)
            || deps
                .cache
                .load(&self::key(&res.base_session()), now)
                .is_none());
    if needs_code {
        return found.credentials;
    }
    let Ok(Some(_lock)) = deps.cache.try_lock(&key) else {
        return found.credentials;
    };
    if let Some(c) = deps.cache.load_cached(&key, now) {
        if !due_for_renewal(&c, now) {
            return c.credentials; // renewed by another run meanwhile
        }
    }
    let no_code = |_: &str| {
        Err(fail(
            Kind::MfaNeeded,
            "renewing ahead never asks for a code",
        ))
    };
    match assume_roles(res, deps, Reuse::Cached, no_code) {
        Ok(renewed) => {
            store_or_warn(deps.cache, &key, &renewed, deps);
            renewed
        }
        Err(e) => {
            crate::error::warn(&format!(
                "could not renew the role credentials ahead of expiry ({e:#}); using the cached ones, valid until {}",
                found.credentials.expiration
            ));
            store_or_warn(deps.cache, &key, &found.credentials, deps);
            found.credentials
        }
    }
}

/// A single role asked for more than an hour: STS refuses to chain it from a
/// session, so it is assumed with the long-term keys, the serial and a code.
fn assumed_directly(res: &Resolved) -> bool {
    res.roles.len() == 1
        && res
            .roles
            .last()
            .and_then(|r| r.duration_seconds)
            .is_some_and(|d| d > ROLE_CHAINING_LIMIT)
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
    // What signs the next call, and where it came from (for messages).
    // Read only when they sign: a stored secret stays in its store otherwise.
    let long_term =
        || -> Result<(Issued, String)> { Ok((res.keys.issued()?, res.keys.origin.clone())) };
    let direct = assumed_directly(res);
    // The cached MFA session that signs the first call, if one does.
    let mut cached_signer = None;
    let ((mut signer, mut origin), mut mfa) = match res.mfa_serial.as_deref() {
        Some(serial) if direct => (long_term()?, Some((serial, code(serial)?))),
        Some(_) => {
            let base = res.base_session();
            let was_cached =
                reuse == Reuse::Cached && deps.cache.load(&key(&base), (deps.now)()).is_some();
            let session = obtain(&base, deps, reuse, code)?;
            if was_cached {
                cached_signer = Some((key(&base), session.access_key_id.clone()));
            }
            let origin = format!("the MFA session of profile {}", res.base_profile);
            ((session.into(), origin), None)
        }
        None => (long_term()?, None),
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
            options: &role.options,
        });
        let got = match (got, cached_signer.take()) {
            (Err(e), Some((base, id))) => {
                return Err(match crate::sts::signer_rejected(&e).map(str::to_string) {
                    Some(code) => drop_rejected(deps, &base, &id, &code, &res.base_profile, &e),
                    None => e,
                })
            }
            (got, _) => got?,
        };
        check_fresh(&got, deps)?;
        (signer, origin) = (got.clone().into(), format!("role {}", role.arn));
        creds = Some(got);
    }
    creds.ok_or_else(|| fail(Kind::Internal, "no role to assume"))
}

/// The cached MFA session of `profile` STS refused (`code`: expired or
/// revoked before its time) leaves the cache, so the next run asks for a
/// new one instead of failing the same way until it expires.
fn drop_rejected(
    deps: &Deps,
    base: &Key,
    access_key_id: &str,
    code: &str,
    profile: &str,
    err: &anyhow::Error,
) -> anyhow::Error {
    let forgotten = deps
        .cache
        .lock(base)
        .and_then(|_lock| deps.cache.forget(base, access_key_id));
    let what = match forgotten {
        Ok(_) => "it was dropped from the cache: run the command again for a new one".to_string(),
        Err(e) => format!("dropping it from the cache failed ({e:#}): run `awscred clear --profile {profile}`, then the command again"),
    };
    fail(
        kind_of(err),
        format!("STS rejected the cached MFA session of profile {profile} ({code}): {what}"),
    )
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
            store_or_warn(deps.cache, &key, &creds, deps);
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
        let left = creds.expiration.0 - now.0;
        // Still in the future, but inside the margin every use needs.
        let why = if left > 0 {
            format!(
                "which leaves {}m, not more than the {m} minutes awscred needs (it renews a session with {m} minutes or less left): check the system clock, the endpoint and the duration",
                left / 60,
                m = EXPIRY_MARGIN_SECS / 60
            )
        } else {
            format!("which is not in the future (local time {now}): check the system clock and the endpoint")
        };
        return Err(fail(
            Kind::Network,
            format!(
                "STS returned a session that expires at {}, {why}",
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
            crate::error::warn(&format!("{e:#}; the session will not be cached"));
            Ok(None)
        }
    }
}

/// Stores `creds` as obtained now.
fn store_or_warn(cache: &Cache, key: &Key, creds: &Credentials, deps: &Deps) {
    if let Err(e) = cache.store(key, creds, (deps.now)()) {
        crate::error::warn(&format!("{e:#}; the session was not cached"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::LongTermKeys;
    use crate::env::Env;
    use std::cell::{Cell, RefCell};

    struct FakeSts {
        calls: RefCell<Vec<(Option<String>, Option<String>)>>,
        expires_in: Cell<i64>,
        /// AssumeRole calls, and the time they are made at (for expirations).
        role_calls: Cell<usize>,
        clock: Cell<i64>,
        /// How long role credentials last, when not as asked (0: as asked).
        role_lasts: Cell<i64>,
        /// AssumeRole fails (STS unreachable).
        role_fails: Cell<bool>,
    }

    impl FakeSts {
        fn expiring_in(secs: i64) -> FakeSts {
            FakeSts {
                calls: RefCell::new(vec![]),
                expires_in: Cell::new(secs),
                role_calls: Cell::new(0),
                clock: Cell::new(NOW),
                role_lasts: Cell::new(0),
                role_fails: Cell::new(false),
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

        fn assume_role(&self, req: &crate::sts::RoleRequest) -> Result<Credentials> {
            assert!(
                req.signer.credentials.session_token.is_some(),
                "signed with the MFA session"
            );
            self.role_calls.set(self.role_calls.get() + 1);
            if self.role_fails.get() {
                return Err(fail(Kind::Network, "cannot reach STS"));
            }
            let lasts = match self.role_lasts.get() {
                0 => i64::from(req.duration_seconds.unwrap_or(3600)),
                n => n,
            };
            Ok(Credentials {
                access_key_id: format!("ASIAROLE{:012}", self.role_calls.get()),
                secret_access_key: "s".into(),
                session_token: "t".into(),
                expiration: Timestamp(self.clock.get() + lasts),
            })
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
            mfa_prompt: crate::prompt::Mode::Auto,
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
    fn an_answer_inside_the_margin_names_the_margin() {
        let dir = tempfile::tempdir().unwrap();
        let (cache, sts) = (cache(dir.path()), FakeSts::expiring_in(9 * 60));
        let deps = Deps {
            cache: &cache,
            sts: &sts,
            now: &|| Timestamp(NOW),
        };
        let e = obtain(&resolved(), &deps, Reuse::Cached, |_| Ok("123456".into())).unwrap_err();
        let m = e.to_string();
        assert!(!m.contains("not in the future"), "{m}");
        assert!(
            m.contains("which leaves 9m, not more than the 10 minutes awscred needs"),
            "{m}"
        );
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

    fn role(duration_seconds: Option<u32>) -> Resolved {
        Resolved {
            profile: "admin".into(),
            roles: vec![crate::profile::Role {
                profile: "admin".into(),
                arn: "arn:aws:iam::1:role/admin".into(),
                session_name: "awscred-admin".into(),
                external_id: None,
                duration_seconds,
                options: Default::default(),
            }],
            ..resolved()
        }
    }

    /// Role credentials inside the SDKs' refresh window are renewed with the
    /// cached MFA session, without a code; never when that would need one,
    /// and never for roles so short that renewed ones would be due at once.
    #[test]
    fn role_credentials_are_renewed_ahead_when_that_needs_no_code() {
        let dir = tempfile::tempdir().unwrap();
        let (cache, sts) = (cache(dir.path()), FakeSts::expiring_in(5400));
        let at = |t: i64| {
            sts.clock.set(NOW + t);
            move || Timestamp(NOW + t)
        };
        let no_code = |_: &str| -> Result<Secret> { panic!("must not ask for a code") };
        let get = |res: &Resolved, t: i64| {
            let now = at(t);
            let deps = Deps {
                cache: &cache,
                sts: &sts,
                now: &now,
            };
            obtain(res, &deps, Reuse::Cached, no_code).unwrap()
        };
        let now = at(0);
        let deps = Deps {
            cache: &cache,
            sts: &sts,
            now: &now,
        };
        let first = obtain(&role(None), &deps, Reuse::Cached, |_| Ok("123456".into())).unwrap();
        let calls = || (sts.calls.borrow().len(), sts.role_calls.get());
        assert_eq!(calls(), (1, 1));

        // 21 minutes left: reused as they are.
        assert_eq!(get(&role(None), 3600 - 1260), first);
        assert_eq!(calls(), (1, 1));
        // 19 minutes left: renewed once, with the cached MFA session; then reused.
        let renewed = get(&role(None), 3600 - 1140);
        assert_ne!(renewed, first);
        assert_eq!(renewed.expiration, Timestamp(NOW + 3600 - 1140 + 3600));
        assert_eq!(get(&role(None), 3600 - 1100), renewed);
        assert_eq!(calls(), (1, 2));

        // A 15-minute role is not renewed ahead: new credentials would be due at once.
        let short = get(&role(Some(900)), 3600 - 1100);
        assert_eq!(get(&role(Some(900)), 3600 - 1000), short);
        assert_eq!(calls(), (1, 3));

        // Due again (19 minutes left) when the MFA session (90 minutes) has 8 minutes
        // left: renewing would need a code, so the cached ones serve.
        assert_eq!(get(&role(None), 6060 - 1140), renewed);
        assert_eq!(calls(), (1, 3));
    }

    /// Role credentials that last 15 minutes, whatever was asked (an STS
    /// stand-in, or a clock 45 minutes fast), are never renewed ahead; a
    /// failed renewal is tried once, not on every run; another run holding
    /// the lock means no renewal now, not a wait.
    #[test]
    fn renewing_ahead_never_storms_retries_or_waits() {
        let dir = tempfile::tempdir().unwrap();
        let (cache, sts) = (cache(dir.path()), FakeSts::expiring_in(43_200));
        let get = |t: i64| {
            sts.clock.set(NOW + t);
            let now = move || Timestamp(NOW + t);
            let deps = Deps {
                cache: &cache,
                sts: &sts,
                now: &now,
            };
            obtain(&role(None), &deps, Reuse::Cached, |_| Ok("123456".into())).unwrap()
        };
        sts.role_lasts.set(900);
        let short = get(0);
        assert_eq!(get(10), short);
        assert_eq!(get(200), short);
        assert_eq!(
            sts.role_calls.get(),
            1,
            "15-minute credentials are not renewed ahead"
        );

        // Expired at 900 s (10-minute margin: at 300 s they count as expired): new ones.
        sts.role_lasts.set(0);
        let hour = get(400);
        assert_eq!(sts.role_calls.get(), 2);

        // Due at 400 + 2400: another run holds the lock, so they are handed out as they are.
        let held = cache.lock(&key(&role(None))).unwrap();
        assert_eq!(get(2900), hour);
        drop(held);
        assert_eq!(sts.role_calls.get(), 2);

        // STS fails: one attempt, the cached credentials meanwhile, and no more attempts.
        sts.role_fails.set(true);
        assert_eq!(get(2910), hour);
        assert_eq!(get(2920), hour);
        assert_eq!(get(3000), hour);
        assert_eq!(sts.role_calls.get(), 3);
    }
}
