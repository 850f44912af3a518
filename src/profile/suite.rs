//! The AWS SDKs' shared test suites for reading the AWS files, run through
//! awscred's reader. They ship in the `aws-runtime` package already in
//! Cargo.lock (`test-data/profile-parser-tests.json`,
//! `test-data/file-location-tests.json`), found through `cargo metadata`
//! offline: no copy in this repository, no network. Every case must agree,
//! except the ones in [`DIVERGES`], which must still diverge: a new
//! difference, or one that went away, fails.

use super::{profile_name, Env, File, Files, Options};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Parser cases where awscred reads the files otherwise than the Rust SDK, on
/// purpose (docs/ARCHITECTURE.md, "Reading the AWS files"), with the reason.
const DIVERGES: &[(&str, &str)] = &[
    (
        "Profile names support alphanumeric characters and - / . % @ _ : +",
        "awscred reads every name the AWS CLI reads (`foo!bar`); a name is checked only when it is used",
    ),
    (
        "Property definitions must contain an equals sign.",
        "`key : value`: the AWS CLI reads it; awscred does too rather than refuse a file the CLI uses, and `list` names the line",
    ),
    (
        "Duplicate profiles in the same file merge properties.",
        "a repeated section is an error (as in the AWS CLI), not a silent merge",
    ),
    (
        "Duplicate properties in a profile use the last one defined.",
        "a repeated key is an error (as in the AWS CLI), not a silent pick",
    ),
    (
        "Duplicate properties in duplicate profiles use the last one defined.",
        "a repeated section is an error (as in the AWS CLI)",
    ),
    (
        "Duplicate properties in duplicate profiles use the last one defined (case insensitive).",
        "a repeated section is an error (as in the AWS CLI)",
    ),
    (
        "Invalid profile names are ignored.",
        "the credentials file's `[in valid 2]` is a profile, as the AWS CLI reads it",
    ),
    (
        "Invalid property names are ignored.",
        "`in valid = value` is kept, as the AWS CLI reads it; awscred ignores keys it does not know anyway",
    ),
    (
        "Default profiles with mixed prefixes in the config file ignore the one without prefix when merging.",
        "`[profile default]` twice is a repeated section: an error",
    ),
    (
        "Default profiles with mixed prefixes merge with credentials",
        "`[profile default]` twice is a repeated section: an error",
    ),
    (
        "profile name with extra whitespace in credentials",
        "its `[profile bar]` in the credentials file is profile `profile bar`, as the AWS CLI reads it",
    ),
    (
        "Credentials profiles with prefix are ignored.",
        "`[profile foo]` in the credentials file is profile `profile foo`, as the AWS CLI reads it; `list` says so",
    ),
];

/// The `test-data` directory of the `aws-runtime` package in Cargo.lock.
fn test_data() -> PathBuf {
    crate::testdata::package_dir("aws-runtime").join("test-data")
}

fn suite(name: &str) -> Vec<Value> {
    let path = test_data().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: Value = serde_json::from_str(&text).expect("the suite's JSON");
    json["tests"].as_array().expect("a `tests` list").clone()
}

/// Profiles and their properties as the suite writes them, or `None` for a
/// refused file. A sub-property block is its parent's raw text again
/// (`"\nname = value"`), as the suite keeps it.
fn read(config: &str, credentials: &str) -> Option<BTreeMap<String, BTreeMap<String, String>>> {
    let f = |p: &str, t: &str| File::parse(PathBuf::from(p), t.to_string()).ok();
    let files = Files::new(
        f("/h/.aws/config", config)?,
        f("/h/.aws/credentials", credentials)?,
    );
    let mut out = BTreeMap::new();
    for name in files.profile_names() {
        let mut props = BTreeMap::new();
        // The credentials file wins, so it goes last.
        for section in files.sections_of(&name) {
            for p in &section.properties {
                let (key, value) = match p.nested {
                    false => (p.key.to_string(), p.value.to_string()),
                    true => {
                        let (parent, sub) = p.key.split_once('.').unwrap_or(("", &p.key));
                        let block: &mut String = props.entry(parent.to_string()).or_default();
                        block.push_str(format!("\n{sub} = {}", p.value).trim_end());
                        continue;
                    }
                };
                props.insert(key, value);
            }
        }
        out.insert(name, props);
    }
    Some(out)
}

/// What the suite expects: profiles, or `None` for an error.
fn expected(output: &Value) -> Option<BTreeMap<String, BTreeMap<String, String>>> {
    if output.get("errorContaining").is_some() {
        return None;
    }
    let profiles = output["config"]["profiles"].as_object().expect("profiles");
    Some(
        profiles
            .iter()
            .map(|(name, props)| {
                let props = props.as_object().expect("properties");
                let props = props
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect();
                (name.clone(), props)
            })
            .collect(),
    )
}

#[test]
fn the_sdks_profile_parser_suite() {
    let cases = suite("profile-parser-tests.json");
    assert!(cases.len() >= 60, "{} cases", cases.len());
    let mut wrong = Vec::new();
    let mut diverged = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap_or_default();
        let input = &case["input"];
        let text = |k: &str| input[k].as_str().unwrap_or_default().to_string();
        let got = read(&text("configFile"), &text("credentialsFile"));
        let want = expected(&case["output"]);
        let listed = DIVERGES.iter().any(|(n, _)| *n == name);
        match (got == want, listed) {
            (true, false) => {}
            (false, true) => diverged.push(name),
            (true, true) => wrong.push(format!(
                "{name}: listed as diverging, but agrees now: take it off DIVERGES"
            )),
            (false, false) => {
                wrong.push(format!("{name}: awscred reads {got:?}, the SDKs {want:?}"))
            }
        }
    }
    for (name, _) in DIVERGES {
        if !cases.iter().any(|c| c["name"] == *name) {
            wrong.push(format!("{name}: in DIVERGES but no longer in the suite"));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
    assert_eq!(diverged.len(), DIVERGES.len());
}

#[test]
fn the_sdks_file_location_suite() {
    let platform = if cfg!(windows) { "windows" } else { "linux" };
    let mut ran = 0;
    for case in suite("file-location-tests.json") {
        if case["platform"] != platform {
            continue;
        }
        let name = case["name"].as_str().unwrap_or_default();
        let vars: Vec<(String, String)> = case["environment"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect();
        let env = Env::from_pairs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let path = |p: PathBuf| p.display().to_string();
        assert_eq!(
            path(Files::config_path(&env)),
            case["configLocation"],
            "{name}"
        );
        assert_eq!(
            path(Files::credentials_path(&env)),
            case["credentialsLocation"],
            "{name}"
        );
        if let Some(want) = case["profile"].as_str() {
            let (got, _) = profile_name(&Options::default(), &env).expect("a profile name");
            assert_eq!(got, want, "{name}");
        }
        ran += 1;
    }
    assert!(ran > 0, "no {platform} case");
}
