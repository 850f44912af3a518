//! What `unset` puts back. A session's exports replace the user's own region
//! settings; the first exports in a shell record their earlier values in
//! `AWSCRED_SAVED` (`{"AWS_REGION":"eu-north-1","AWS_DEFAULT_REGION":null}`),
//! later ones add only what is not recorded yet, and `unset` restores them,
//! as direnv does. Credentials are never recorded: a copy of a secret key in
//! another variable would reach every program run during the session, so
//! `unset` removes them.

use super::Vars;
use crate::env::{self, Env, AWSCRED_SAVED, AWS_DEFAULT_REGION, AWS_REGION};
use std::collections::BTreeMap;

/// The settings whose earlier values are recorded and restored.
const RESTORED: [&str; 2] = [AWS_REGION, AWS_DEFAULT_REGION];

/// The value of restored setting `name` in `env`.
fn current<'e>(env: &'e Env, name: &str) -> Option<&'e str> {
    match name {
        AWS_REGION => env.aws_region(),
        AWS_DEFAULT_REGION => env.aws_default_region(),
        _ => None,
    }
}

/// A record is two short values; anything much larger is not awscred's.
const MAX_RECORD: usize = 4096;

type Record = BTreeMap<String, Option<String>>;

/// The record in the environment, if there is one that awscred wrote: a JSON
/// object of restored names only. Anything else is ignored, with a warning.
fn read(env: &Env) -> Option<Record> {
    let raw = env.awscred_saved()?;
    let record = (raw.len() <= MAX_RECORD)
        .then(|| serde_json::from_str::<Record>(raw).ok())
        .flatten()
        .filter(|r| r.keys().all(|k| RESTORED.contains(&k.as_str())));
    if record.is_none() {
        crate::error::report(&format!(
            "warning: ignoring {AWSCRED_SAVED}: it is not a record awscred wrote, so the region settings are left as they are"
        ));
    }
    record
}

/// The new `AWSCRED_SAVED` for exports that write `vars`, or `None` when the
/// record in the environment already covers every setting they change.
pub fn record(env: &Env, vars: &Vars) -> Option<String> {
    let mut record = read(env).unwrap_or_default();
    let mut added = false;
    for (name, _) in vars.iter().filter(|(n, _)| RESTORED.contains(n)) {
        if !record.contains_key(*name) {
            record.insert(name.to_string(), current(env, name).map(str::to_string));
            added = true;
        }
    }
    // Serialising a map of strings cannot fail.
    added.then(|| serde_json::to_string(&record).unwrap_or_default())
}

/// What `unset` writes: each restored setting the record holds gets its
/// earlier value back (or is removed if it had none); one it does not hold is
/// left alone (it was never awscred's to change, or a session from before
/// records existed set it); every other variable a session sets is removed.
pub fn plan(env: &Env) -> Vec<(&'static str, Option<String>)> {
    let record = read(env);
    let mut vars = Vec::new();
    for &name in env::SET {
        if !RESTORED.contains(&name) {
            vars.push((name, None));
        } else if let Some(earlier) = record.as_ref().and_then(|r| r.get(name)) {
            vars.push((name, earlier.clone()));
        }
    }
    vars
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    fn exports() -> Vec<(&'static str, Option<String>)> {
        vec![
            (env::AWS_ACCESS_KEY_ID, Some("ASIA".into())),
            (AWS_REGION, Some("eu-west-1".into())),
            (AWS_DEFAULT_REGION, Some("eu-west-1".into())),
        ]
    }

    fn restored(plan: &[(&'static str, Option<String>)]) -> Vec<(&'static str, Option<String>)> {
        plan.iter()
            .filter(|(n, _)| RESTORED.contains(n))
            .cloned()
            .collect()
    }

    #[test]
    fn the_first_exports_record_the_users_settings_and_later_ones_keep_them() {
        let before = env(&[(AWS_REGION, "us-west-2")]);
        let record = record(&before, &exports()).unwrap();
        assert_eq!(
            record,
            r#"{"AWS_DEFAULT_REGION":null,"AWS_REGION":"us-west-2"}"#
        );
        // Exports again in that shell: the record stays as it is.
        let during = env(&[(AWS_REGION, "eu-west-1"), (AWSCRED_SAVED, &record)]);
        assert_eq!(super::record(&during, &exports()), None);
        // Exports that set no region record nothing.
        assert_eq!(super::record(&before, &exports()[..1]), None);
    }

    #[test]
    fn unset_restores_what_was_recorded_and_removes_the_rest() {
        let during = env(&[(
            AWSCRED_SAVED,
            r#"{"AWS_DEFAULT_REGION":null,"AWS_REGION":"us-west-2"}"#,
        )]);
        let plan = plan(&during);
        assert_eq!(
            restored(&plan),
            [
                (AWS_REGION, Some("us-west-2".to_string())),
                (AWS_DEFAULT_REGION, None)
            ]
        );
        let removed: Vec<&str> = plan
            .iter()
            .filter(|(_, v)| v.is_none())
            .map(|(n, _)| *n)
            .collect();
        assert!(removed.contains(&AWSCRED_SAVED) && removed.contains(&env::AWS_SESSION_TOKEN));
    }

    #[test]
    fn without_a_record_the_region_settings_are_left_alone() {
        for raw in [None, Some("not json"), Some(r#"{"PATH":"/tmp/evil"}"#)] {
            let mut pairs = vec![(AWS_REGION, "us-west-2")];
            if let Some(raw) = raw {
                pairs.push((AWSCRED_SAVED, raw));
            }
            let plan = plan(&env(&pairs));
            assert_eq!(restored(&plan), [], "{raw:?}");
            assert!(plan.iter().all(|(n, _)| env::SET.contains(n)), "{raw:?}");
        }
    }
}
