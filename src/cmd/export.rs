use crate::cli::ExportArgs;
use crate::cmd;
use crate::error::{fail, Kind};
use crate::profile::Env;
use crate::session::{self, Deps};
use crate::shell::Exports;
use anyhow::Result;

/// Exports the cached session. Never prompts, never calls STS, and never falls
/// back to the profile's long-term keys. If another run is fetching the
/// session right now, waits for it.
pub fn run(args: &ExportArgs, env: &Env) -> Result<String> {
    let (_, res) = cmd::resolve(env, args.profile.profile.as_deref(), None)?;
    let cache = cmd::cache(env);
    let deps = Deps {
        cache: &cache,
        sts: &NoSts,
        now: &cmd::now,
    };
    let creds = session::cached(&res, &deps).ok_or_else(|| {
        fail(
            Kind::NoSession,
            format!(
                "no valid session for profile {}: run `awscred mfa`",
                res.profile
            ),
        )
    })?;
    let region = res.region_configured.then_some(res.region.as_str());
    args.format.format.renderer(env).set(&Exports::new(
        &creds,
        &res.profile,
        region,
        args.legacy.legacy_vars,
    ))
}

/// `export` never calls STS; this makes that a property of the types.
struct NoSts;

impl crate::sts::Sts for NoSts {
    fn get_session_token(
        &self,
        _: &crate::sts::SessionRequest,
    ) -> Result<crate::credentials::Credentials> {
        Err(fail(Kind::Internal, "export must not call STS"))
    }

    fn get_caller_identity(&self, _: &crate::sts::IdentityRequest) -> Result<String> {
        Err(fail(Kind::Internal, "export must not call STS"))
    }
}
