//! The keys a profile section may hold: the AWS CLI's and the SDKs' shared
//! settings and awscred's own, in one list, so a misspelt key (`mfa_serail`)
//! can be named with the key it was meant to be.

/// Every key the AWS CLI (botocore and its `cli_*` settings), the SDKs'
/// shared configuration and awscred read in a profile. A key missing here
/// that is one or two letters from another would be reported as a typo, so
/// the list errs on the side of too many.
pub const KEYS: &[&str] = &[
    // Credentials and sessions.
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
    "aws_account_id",
    "aws_credential_expiration",
    // Roles.
    "role_arn",
    "role_session_name",
    "source_profile",
    "credential_source",
    "external_id",
    "mfa_serial",
    "duration_seconds",
    "web_identity_token_file",
    "credential_process",
    // IAM Identity Center and `aws login`.
    "sso_session",
    "sso_start_url",
    "sso_region",
    "sso_account_id",
    "sso_role_name",
    "sso_registration_scopes",
    "login_session",
    // Region, endpoints and transport.
    "region",
    "output",
    "ca_bundle",
    "endpoint_url",
    "ignore_configured_endpoint_urls",
    "services",
    "sts_regional_endpoints",
    "use_dualstack_endpoint",
    "use_fips_endpoint",
    "endpoint_discovery_enabled",
    "account_id_endpoint_mode",
    "tcp_keepalive",
    "max_attempts",
    "retry_mode",
    "defaults_mode",
    "parameter_validation",
    "api_versions",
    "s3",
    "sigv4a_signing_region_set",
    "auth_scheme_preference",
    "request_checksum_calculation",
    "response_checksum_validation",
    "disable_request_compression",
    "request_min_compression_size_bytes",
    "sdk_ua_app_id",
    "disable_host_prefix_injection",
    "metadata_service_timeout",
    "metadata_service_num_attempts",
    "ec2_metadata_service_endpoint",
    "ec2_metadata_service_endpoint_mode",
    "ec2_metadata_v1_disabled",
    "csm_enabled",
    "csm_host",
    "csm_port",
    "csm_client_id",
    // The AWS CLI itself.
    "cli_pager",
    "cli_auto_prompt",
    "cli_binary_format",
    "cli_follow_urlparam",
    "cli_history",
    "cli_timestamp_format",
    "cli_help_output",
    // awscred (and aws-vault's role options it shares).
    "mfa_process",
    "session_tags",
    "transitive_session_tags",
    "source_identity",
    "policy_arns",
    // Sessions other tools write into the credentials file.
    "expiration",
    "x_security_token_expires",
    "x_principal_arn",
    "assumed_role",
    "assumed_role_arn",
];

/// The known key `key` is most likely a misspelling of: the nearest by edit
/// distance, at most 2 (1 for keys of four letters or fewer, where 2 would
/// match almost anything). `None` for a known key and for one near nothing
/// (another tool's key, not a typo).
pub fn suggestion(key: &str) -> Option<&'static str> {
    if KEYS.contains(&key) {
        return None;
    }
    let limit = if key.chars().count() <= 4 { 1 } else { 2 };
    KEYS.iter()
        .map(|k| (distance(key, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance, with a swap of two neighbours counting as one edit
/// (`serail` → `serial`), as people mistype.
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // d[i][j]: distance between a[..i] and b[..j].
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_the_nearest_key_and_others_nothing() {
        for (typo, meant) in [
            ("mfa_serail", "mfa_serial"),
            ("source_profil", "source_profile"),
            ("role_arm", "role_arn"),
            ("regoin", "region"),
            ("aws_acces_key_id", "aws_access_key_id"),
            ("sso_acount_id", "sso_account_id"),
            ("mfa_proces", "mfa_process"),
        ] {
            assert_eq!(suggestion(typo), Some(meant), "{typo}");
        }
        for fine in ["region", "mfa_serial", "s3", "x_principal_arn"] {
            assert_eq!(suggestion(fine), None, "{fine}");
        }
        // Another tool's key, far from every known one; a short word near a short key.
        for other in ["granted_sso_start_url_x", "team", "foo", "s7x"] {
            assert_eq!(suggestion(other), None, "{other}");
        }
    }

    /// Every key awscred reads is in the list (else it would call its own key a typo).
    #[test]
    fn awscred_s_own_keys_are_known() {
        for k in crate::credentials::EXPIRATION_KEYS {
            assert!(KEYS.contains(&k), "{k}");
        }
        let src = [
            include_str!("mod.rs"),
            include_str!("keys.rs"),
            include_str!("roles.rs"),
            include_str!("files.rs"),
        ];
        for text in src {
            for piece in text.split("get(profile, \"").skip(1) {
                let key = piece.split('"').next().unwrap_or("");
                assert!(KEYS.contains(&key), "{key}");
            }
        }
    }
}
