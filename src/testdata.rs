//! Tests only: the directory of a package in Cargo.lock, for the test suites
//! other projects ship in their packages (the AWS SDKs' profile-file suite in
//! `aws-runtime`, age's testkit in `age`). Found through `cargo metadata`,
//! offline, once per test run: nothing is copied into this repository.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The directory of `package` (its `Cargo.toml`'s), as cargo has it locally.
/// Only this platform's packages: the others (Windows-only crates) were never
/// downloaded, and `--offline` keeps cargo off the network.
pub fn package_dir(package: &str) -> &'static Path {
    static DIRS: OnceLock<BTreeMap<String, PathBuf>> = OnceLock::new();
    let dirs = DIRS.get_or_init(|| {
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        let version = Command::new(rustc)
            .arg("-vV")
            .output()
            .expect("run rustc -vV");
        let version = String::from_utf8_lossy(&version.stdout).into_owned();
        let host = version
            .lines()
            .find_map(|l| l.strip_prefix("host: "))
            .expect("rustc's host triple");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--offline", "--locked"])
            .args(["--filter-platform", host])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("run cargo metadata");
        assert!(
            out.status.success(),
            "cargo metadata: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata's JSON");
        meta["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| {
                let dir = Path::new(p["manifest_path"].as_str()?).parent()?;
                Some((p["name"].as_str()?.to_string(), dir.to_path_buf()))
            })
            .collect()
    });
    dirs.get(package)
        .unwrap_or_else(|| panic!("{package} is not in Cargo.lock"))
}
