//! What `unset` puts back. A session's exports replace the user's own region
//! settings; the first exports in a shell record their earlier values in
//! `AWSCRED_SAVED` (`AWS_REGION=eu-north-1,AWS_DEFAULT_REGION=`, empty for
//! none), later ones add only what is not recorded yet, and `unset` restores
//! them, as direnv does. Only region names are recorded, so the record can be
//! written in every shell format (cmd.exe refuses quotes) and restoring it
//! cannot fail. Credentials are never recorded: a copy of a secret key in
//! another variable would reach every program run during the session, so
//! `unset` removes them.

use super::Vars;
use crate::env::{self, Env, AWSCRED_SAVED, AWS_DEFAULT_REGION, AWS_REGION};
use crate::validate;

/// The settings whose earlier values are recorded and restored.
const RESTORED: [&str; 2] = [AWS_REGION, AWS_DEFAULT_REGION];

/// Earlier values by name; `None`: the setting did not exist.
type Record = Vec<(&'static str, Option<String>)>;

/// The value of restored setting `name` in `env`.
fn current<'e>(env: &'e Env, name: &str) -> Option<&'e str> {
    match name {
        AWS_REGION => env.aws_region(),
        AWS_DEFAULT_REGION => env.aws_default_region(),
        _ => None,
    }
}

fn is_region(value: &str) -> bool {
    validate::region(value, "").is_ok()
}

/// The record in the environment, if there is one awscred could have written:
/// each restored name at most once, with a region name or nothing. Anything
/// else is ignored, with a warning.
fn read(env: &Env) -> Option<Record> {
    let raw = env.awscred_saved()?;
    let mut record = Record::new();
    for item in raw.split(',') {
        let entry = item.split_once('=').and_then(|(name, value)| {
            let name = *RESTORED.iter().find(|r| **r == name)?;
            let fresh = !record.iter().any(|(n, _)| *n == name);
            let value = (!value.is_empty()).then(|| value.to_string());
            (fresh && value.as_deref().is_none_or(is_region)).then_some((name, value))
        });
        match entry {
            Some(entry) => record.push(entry),
            None => {
                crate::error::report(&format!(
                    "warning: ignoring {AWSCRED_SAVED}: it is not a record awscred wrote, so the region settings are left as they are"
                ));
                return None;
            }
        }
    }
    Some(record)
}

fn write(record: &Record) -> String {
    let items: Vec<String> = record
        .iter()
        .map(|(name, value)| format!("{name}={}", value.as_deref().unwrap_or("")))
        .collect();
    items.join(",")
}

/// The record for exports that write `vars`: the one in the environment,
/// plus the current value of each restored setting they change that it does
/// not hold yet (a value that is not a region name, which only a `--region`
/// flag could have let past, is not recorded: `unset` leaves that setting
/// alone). `None` when there is nothing to record.
pub fn record(env: &Env, vars: &Vars) -> Option<String> {
    full(env, vars).map(|(record, _)| write(&record))
}

/// [`record`], only when it holds more than the environment's: exports
/// print a record only when it changes.
pub fn changed(env: &Env, vars: &Vars) -> Option<String> {
    match full(env, vars)? {
        (record, true) => Some(write(&record)),
        (_, false) => None,
    }
}

fn full(env: &Env, vars: &Vars) -> Option<(Record, bool)> {
    let mut record = read(env).unwrap_or_default();
    let mut added = false;
    for (name, _) in vars.iter().filter(|(n, _)| RESTORED.contains(n)) {
        let earlier = current(env, name);
        if !record.iter().any(|(n, _)| n == name) && earlier.is_none_or(is_region) {
            record.push((name, earlier.map(str::to_string)));
            added = true;
        }
    }
    (!record.is_empty()).then_some((record, added))
}

/// What `unset` writes: each restored setting the record holds gets its
/// earlier value back (or is removed if it had none); one it does not hold is
/// left alone (it was never awscred's to change, or a session from before
/// records existed set it); every other variable a session sets is removed,
/// and so are the credential server's.
pub fn plan(env: &Env) -> Vec<(&'static str, Option<String>)> {
    let record = read(env);
    let mut vars = Vec::new();
    for &name in env::SET {
        if !RESTORED.contains(&name) {
            vars.push((name, None));
        } else if let Some((_, earlier)) = record.iter().flatten().find(|(n, _)| *n == name) {
            vars.push((name, earlier.clone()));
        }
    }
    vars.extend(env::SERVER.iter().map(|&name| (name, None)));
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
        let record = changed(&before, &exports()).unwrap();
        assert_eq!(record, "AWS_REGION=us-west-2,AWS_DEFAULT_REGION=");
        // Exports again in that shell: the record stays as it is.
        let during = env(&[(AWS_REGION, "eu-west-1"), (AWSCRED_SAVED, &record)]);
        assert_eq!(changed(&during, &exports()), None);
        assert_eq!(
            super::record(&during, &exports()).as_deref(),
            Some(&*record)
        );
        // Exports that set no region record nothing.
        assert_eq!(changed(&before, &exports()[..1]), None);
        // A value that is not a region name is not recorded.
        let odd = env(&[(AWS_REGION, "not a region")]);
        assert_eq!(changed(&odd, &exports()).unwrap(), "AWS_DEFAULT_REGION=");
    }

    #[test]
    fn unset_restores_what_was_recorded_and_removes_the_rest() {
        let during = env(&[(AWSCRED_SAVED, "AWS_DEFAULT_REGION=,AWS_REGION=us-west-2")]);
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
    fn without_a_record_awscred_wrote_the_region_settings_are_left_alone() {
        for raw in [
            None,
            Some("not a record"),
            Some("PATH=/tmp/evil"),
            Some("AWS_REGION=$(id)"),
            Some("AWS_REGION=a\nb"),
            Some("AWS_REGION=x,AWS_REGION=y"),
            Some("AWS_REGION=eu-west-1,"),
        ] {
            let mut pairs = vec![(AWS_REGION, "us-west-2")];
            if let Some(raw) = raw {
                pairs.push((AWSCRED_SAVED, raw));
            }
            let plan = plan(&env(&pairs));
            assert_eq!(restored(&plan), [], "{raw:?}");
            assert!(
                plan.iter()
                    .all(|(n, _)| env::SET.contains(n) || env::SERVER.contains(n)),
                "{raw:?}"
            );
        }
    }
}
