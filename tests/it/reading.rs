//! Where the AWS CLI and the SDKs read the AWS files differently, awscred
//! takes one side on purpose and `list` says where (file and line, never a
//! value). The sides are in docs/ARCHITECTURE.md.

use crate::support::*;

#[test]
fn list_names_each_place_the_cli_and_the_sdks_read_differently() {
    let config = "[profile default]\nregion = eu-west-1\n[default]\nregion = us-east-2 # hunter2hunter2PASSWORD\n[   profile padded    ]\nregion : eu-north-1\n[profile \"foo bar\"]\nregion = eu-west-3\n[work]\nregion = x\n[sso-session corp]\nsso_region = us-east-1 ; hunter2hunter2PASSWORD\n[services dev]\nsts =\n  endpoint_url : http://127.0.0.1:1\n[profile a b]\n";
    let credentials = "[   plain    ]\naws_access_key_id = AKIAPLAINKEY00000003\naws_secret_access_key = plainSecret\n[profile work]\naws_access_key_id = AKIAWORKKEY000000002\naws_secret_access_key = workSecret\n";
    let (home, sts) = (Home::with(config, credentials), FakeSts::start());
    let r = run(home.cmd(&sts).arg("list"));
    r.expect_ok();
    let (c, k) = (
        home.path().join(".aws/config").display().to_string(),
        home.path().join(".aws/credentials").display().to_string(),
    );
    let notes = r.stdout.split_once("\n\n").map(|(_, n)| n).unwrap_or("");
    let want = format!(
        "IAM Identity Center sessions:
  corp: sso-session `corp` has no sso_start_url: add `sso_start_url = https://….awsapps.com/start`

Inline comments: awscred drops them, like the Rust and JavaScript SDKs; the AWS CLI and boto3 keep them in the value:
  default: region ({c}:4)
  [sso-session corp]: sso_region ({c}:12)

Read differently by the AWS CLI and the SDKs:
  {c}:1: [profile default] and [default] (line 3): awscred and the SDKs read [profile default], the AWS CLI the later of the two: merge them into one
  {c}:5: [   profile padded    ]: awscred and the SDKs read profile `padded`, the AWS CLI sees no profile: take the spaces out of the brackets
  {c}:6: `region :`: awscred and the AWS CLI read `key: value`, the Rust SDK refuses the whole file: write `region =`
  {c}:7: [profile \"foo bar\"]: awscred and the AWS CLI read profile `foo bar`, the SDKs skip the quoted name: rename it to one without quotes or spaces
  {c}:9: [work]: no profile to awscred, the SDKs or the AWS CLI: write [profile work] in the config file
  {c}:15: `sts.endpoint_url :`: awscred and the AWS CLI read `key: value`, the Rust SDK refuses the whole file: write `endpoint_url =`
  {c}:16: [profile a b]: no profile to awscred or the SDKs (a space, a quote or a backslash in the name): rename it
  {k}:1: [   plain    ]: awscred and the SDKs read profile `plain`, the AWS CLI sees no profile: take the spaces out of the brackets
  {k}:4: [profile work]: awscred and the AWS CLI read profile `profile work`, the SDKs skip it: write [work] in the credentials file
"
    );
    assert_eq!(notes, want, "{}", r.stdout);
    for secret in ["hunter2", "plainSecret", "workSecret", "127.0.0.1:1"] {
        assert!(!r.stdout.contains(secret), "{secret}: {}", r.stdout);
    }
}

#[test]
fn list_says_nothing_more_for_files_everyone_reads_alike() {
    let (home, sts) = (Home::new(), FakeSts::start());
    let r = run(home.cmd(&sts).arg("list"));
    r.expect_ok();
    assert!(!r.stdout.contains("\n\n"), "{}", r.stdout);
}
