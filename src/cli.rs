//! Command-line definitions only (clap derive), kept apart so completions and
//! the man page can be generated from them.

use crate::env::Env;
use crate::error::{fail, Kind};
use crate::shell::Format;
use anyhow::Result;
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "awscred",
    version,
    about = "AWS MFA session credentials for your shell: cached, locked, safely quoted",
    long_about = "AWS MFA session credentials for your shell: cached, locked, safely quoted.\n\nawscred gets MFA sessions and role credentials from AWS STS for the profiles in your AWS CLI files, reuses them until 10 minutes before they expire, and prints them as shell code to eval, or as JSON for tools. Concurrent runs wait for one another: one code prompt, one STS call.",
    after_help = "Examples:\n  eval \"$(awscred mfa 123456)\"        start an MFA session (cached until it expires)\n  eval \"$(awscred export)\"            export the cached session again\n  awscred get-session-token > s.json  raw STS JSON\n  eval \"$(awscred unset)\"             clear the variables awscred set"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Call STS GetSessionToken and print its JSON, as `aws sts get-session-token` does
    ///
    /// Always calls STS, with the MFA device and a code when the profile has
    /// a device (a role profile: its source's keys). The session is cached for
    /// `mfa` and `export` unless --no-cache.
    #[command(
        after_help = "Examples:\n  awscred get-session-token > session.json\n  awscred get-session-token --serial-number arn:aws:iam::123456789012:mfa/me --token-code 123456\n  jq -r .Credentials.AccessKeyId session.json"
    )]
    GetSessionToken(GetSessionTokenArgs),
    /// Print exports for the profile's MFA session (a role profile: its role credentials), cached or new from STS
    ///
    /// Cached credentials with more than 10 minutes left are reused: no code,
    /// no network. Otherwise awscred gets a code (the argument,
    /// $AWS_MFA_TOKEN_CODE, the profile's mfa_process, else a prompt on the
    /// terminal), calls STS GetSessionToken and caches the session. A role
    /// profile's role is assumed with its source's MFA session (cached and
    /// shared by every role with that source and device), or with the source's
    /// keys when it has no device.
    #[command(
        after_help = "Examples:\n  eval \"$(awscred mfa 123456)\"\n  eval \"$(awscred mfa --profile work)\"   reuse the cached session, or ask for the code\n  eval \"$(awscred mfa --force 123456)\"  always get a new session"
    )]
    Mfa(MfaArgs),
    /// Print exports for the profile's credentials: its cached MFA session, role credentials or its own keys
    ///
    /// A profile with an MFA device: its cached session only. export never
    /// asks for that profile's code and never calls STS for it; without a
    /// valid session it fails with exit code 7 (run `awscred mfa`), and it
    /// never exports the long-term keys of such a profile.
    ///
    /// A role profile: its cached role credentials, else new ones from STS
    /// AssumeRole, signed with the source's MFA session (which may ask for a
    /// code, as mfa does) or the source's keys.
    ///
    /// A profile without an MFA device: a session cached by get-session-token,
    /// else its long-term keys. An SSO profile: role credentials from the
    /// portal with the token in ~/.aws/sso/cache (refreshed when near its
    /// end), cached; without a usable token export fails with exit code 7
    /// (run `awscred sso login`): it never opens a browser. credential_process
    /// and web identity profiles: the command or the STS call.
    #[command(
        after_help = "Examples:\n  eval \"$(awscred export)\"\n  awscred export --profile work --format json"
    )]
    Export(ExportArgs),
    /// Print lines that remove every variable awscred sets
    #[command(after_help = "Example:\n  eval \"$(awscred unset)\"")]
    Unset(UnsetArgs),
    /// Print exports for a profile, asking for a code if needed; without a name, pick one
    ///
    /// With a name: what credential-process hands out for it (the cached
    /// session or role credentials, else a new session with a code), as
    /// exports. Through `awscred init`'s wrappers it changes the shell. Without
    /// a name on a terminal: a fuzzy picker over every profile (valid
    /// sessions first, then the most recently used); without a terminal the
    /// profiles are listed on stderr.
    #[command(
        after_help = "Examples:\n  awscred switch prod      (with `eval \"$(awscred init bash)\"` in ~/.bashrc)\n  awscred switch           pick a profile\n  eval \"$(awscred switch prod)\""
    )]
    Switch(SwitchArgs),
    /// Assume a role with the profile's keys (or its MFA session) and print the credentials
    #[command(
        after_help = "Examples:\n  awscred assume-role --role-arn arn:aws:iam::123456789012:role/admin\n  eval \"$(awscred assume-role --role-arn arn:aws:iam::123456789012:role/admin --format env)\""
    )]
    AssumeRole(AssumeRoleArgs),
    /// Print credential_process JSON (for `credential_process = awscred credential-process` in ~/.aws/config)
    ///
    /// The credentials export would print, except that a profile with an MFA
    /// device and no valid session gets a new one: the code comes from
    /// $AWS_MFA_TOKEN_CODE, mfa_process or a prompt on the terminal (not on
    /// stdout, which carries only the JSON), so it works under any SDK.
    #[command(
        after_help = "Example, in ~/.aws/config:\n  [profile work-mfa]\n  credential_process = awscred credential-process --profile work"
    )]
    CredentialProcess(CredentialProcessArgs),
    /// Run a command with the profile's credentials in its environment (default: $SHELL)
    ///
    /// The credentials are those credential-process gets (asking for a code
    /// when a new MFA session is needed). AWS_PROFILE and AWS_DEFAULT_PROFILE
    /// are removed, and the command replaces awscred: its exit code is the
    /// command's. With --server the command gets no keys but the address of a
    /// credential server that awscred runs until the command ends, renewing
    /// the credentials whenever its SDK asks: for commands that outlast them.
    #[command(
        after_help = "Examples:\n  awscred exec --profile work -- terraform plan\n  awscred exec --server --profile admin -- terraform apply   runs for hours\n  awscred exec              a shell with the session"
    )]
    Exec(ExecArgs),
    /// Run a credential server in the foreground and print the variables that point SDKs at it
    ///
    /// The server answers on 127.0.0.1 only, to requests that carry its
    /// random token, with the profile's credentials in the container format
    /// every AWS SDK reads (and, with --imds, as an EC2 instance's metadata
    /// service). It renews them before they expire, asking for a new MFA code
    /// on this terminal (or through mfa_process) when the MFA session ends.
    /// Ctrl-C stops it.
    #[command(
        after_help = "Examples:\n  (umask 077; awscred serve --profile admin > ~/.aws/admin.env)     then, in other shells: . ~/.aws/admin.env\n  awscred serve --format fish     (a random port: a fixed --port can be taken by another user once serve stops)"
    )]
    Serve(ServeArgs),
    /// Open the AWS console signed in with the profile's credentials (or print the sign-in URL)
    ///
    /// The credentials are those credential-process gets (role credentials,
    /// SSO, web identity…, asking for a code only where it would), exchanged
    /// at the AWS federation endpoint for a sign-in URL that is valid for 15
    /// minutes. The URL is a bearer token: awscred never puts it in a command
    /// line; it opens a private page that redirects to it in $BROWSER (else
    /// xdg-open, open, start) and removes the page once the browser has loaded
    /// it. An IAM user without a role is refused: the console takes no
    /// GetSessionToken session, so its MFA cannot carry over;
    /// --federation-token opts in to a session without MFA.
    #[command(
        after_help = "Examples:\n  awscred console --profile admin\n  awscred console --profile admin --service s3 --region eu-west-1\n  awscred console --profile admin --print     only the URL, on stdout\n  BROWSER=firefox awscred console --profile prod --container   a Firefox container per profile"
    )]
    Console(ConsoleArgs),
    /// Show the session in this shell: profile, access key id, region, time left
    #[command(
        after_help = "Examples:\n  awscred status\n  awscred status --check     also ask STS who these credentials are\nExit code: 0 valid, 8 expired (10 minutes or less left), 7 none or long-term keys."
    )]
    Status(StatusArgs),
    /// List every profile with its kind, source, key store, MFA device, region and cached session
    #[command(after_help = "Example:\n  awscred list")]
    List,
    /// Remove the profile's cached sessions and role credentials, or with --all everything cached
    #[command(after_help = "Examples:\n  awscred clear --profile work\n  awscred clear --all")]
    Clear(ClearArgs),
    /// Sign in to IAM Identity Center (SSO) without the AWS CLI: login, logout, populate
    ///
    /// The token is written where the AWS CLI and every SDK read it
    /// (~/.aws/sso/cache), so each uses the other's login. Role credentials
    /// from the portal are cached by awscred like every other session.
    #[command(
        after_help = "Examples:\n  awscred sso login --profile dev           the browser (PKCE), or a device code without one\n  awscred sso login --sso-session corp --use-device-code\n  awscred sso populate --sso-session corp --dry-run\n  awscred sso logout --sso-session corp"
    )]
    Sso(SsoArgs),
    /// Keep long-term keys in a key store instead of the credentials file: add, ls, export, rm
    ///
    /// The OS credential store (Secret Service, Keychain, Credential Manager)
    /// or a passphrase-encrypted file. A stored profile's keys are read only
    /// when awscred must call STS with them: never for a cached session.
    #[command(
        after_help = "Examples:\n  awscred keys add --profile work              move work's keys out of ~/.aws/credentials\n  awscred keys add --profile ci --store file    the encrypted file (headless machines)\n  printf '%s\\n' \"$ID\" \"$SECRET\" | awscred keys add --profile new   keys from stdin\n  awscred keys ls\n  awscred keys export --profile work           move work's keys back into ~/.aws/credentials\n  awscred keys rm --profile work"
    )]
    Keys(KeysArgs),
    /// Replace the profile's access key with a new one, then delete the old one in IAM
    ///
    /// With the profile's MFA session (asking for a code if there is no valid
    /// one): IAM CreateAccessKey, the new key stored where the old one is (the
    /// credentials file or the key store), proven with STS GetCallerIdentity,
    /// then IAM DeleteAccessKey of the old key. Every failure leaves a working
    /// key stored and says what IAM and the files hold. A user who already
    /// has two keys must delete one first.
    #[command(after_help = "Example:\n  awscred rotate --profile work")]
    Rotate(RotateArgs),
    /// Print a shell completion script (it completes --profile from your AWS files)
    #[command(
        after_help = "Examples:\n  awscred completions bash > ~/.local/share/bash-completion/completions/awscred\n  awscred completions zsh > \"${fpath[1]}/_awscred\"\n  awscred completions fish > ~/.config/fish/completions/awscred.fish"
    )]
    Completions(CompletionsArgs),
    /// Print the man page (roff)
    #[command(after_help = "Example:\n  awscred man > ~/.local/share/man/man1/awscred.1")]
    Man,
    /// Print shell code that lets `awscred mfa/export/unset` change the shell without eval
    #[command(
        after_help = "Examples:\n  eval \"$(awscred init bash)\"      in ~/.bashrc\n  eval \"$(awscred init zsh)\"       in ~/.zshrc\n  awscred init fish | source        in ~/.config/fish/config.fish\n  Invoke-Expression (& awscred init powershell | Out-String)   in $PROFILE\n  awscred init nu | save -f ($nu.user-autoload-dirs | first | path join awscred.nu)   once, from Nushell (mkdir the directory first)\nAn alias cannot do this: `awscred mfa 123456` needs the code as an argument and must change this shell."
    )]
    Init(InitArgs),
}

#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Move the profile's keys from the credentials file (or stdin, or a prompt) into a key store
    ///
    /// The key lines leave the profile's section of the credentials file;
    /// every other byte stays. Without keys there: two lines on stdin (key
    /// id, secret key), or a prompt on the terminal (the secret hidden).
    Add(KeysAddArgs),
    /// List the profiles whose keys are in a key store: profile, key id, store (never a secret)
    Ls,
    /// Delete the profile's keys from its key store (asks first on a terminal; --yes for scripts)
    ///
    /// The store may hold the only copy of the secret: `keys export` moves it
    /// back to the credentials file instead. The key stays active in IAM.
    Rm(KeysRmArgs),
    /// Move the profile's keys from its key store back into the credentials file
    ///
    /// The two key lines go into the profile's section of the credentials
    /// file (every other byte stays; the section or the file is created when
    /// missing), then the key leaves the store: what `keys add` did, undone.
    Export(KeysExportArgs),
}

#[derive(Debug, Args)]
pub struct SsoArgs {
    #[command(subcommand)]
    pub command: SsoCommand,
}

#[derive(Debug, Subcommand)]
pub enum SsoCommand {
    /// Sign in: the browser with PKCE where one opens, else a device code; the token into ~/.aws/sso/cache
    Login(SsoLoginArgs),
    /// Sign out: the portal's Logout, the token file and awscred's cached SSO role credentials removed
    Logout(SsoWhich),
    /// Write one `[profile NAME]` per account and role the login may use (every page of ListAccounts / ListAccountRoles)
    ///
    /// Each refers to the sso_session (never a copy of the start URL) and is
    /// marked `awscred_sso_populate = SESSION`, so --prune removes only
    /// generated profiles whose role has gone. The config file is edited in
    /// place: every other byte (comments, order, CRLF, a BOM) stays; a second
    /// run changes nothing.
    Populate(SsoPopulateArgs),
}

#[derive(Debug, Args)]
pub struct SsoWhich {
    /// The profile whose SSO settings to use
    #[command(flatten)]
    pub profile: ProfileArg,
    /// An [sso-session NAME] section of the config file (instead of a profile's)
    #[arg(long, value_name = "NAME", conflicts_with = "profile")]
    pub sso_session: Option<String>,
}

#[derive(Debug, Args)]
pub struct SsoLoginArgs {
    #[command(flatten)]
    pub which: SsoWhich,
    /// Sign in with a device code (a URL and a code on stderr) instead of the browser's redirect
    #[arg(long)]
    pub use_device_code: bool,
    /// Open no browser: print the URL and a code to confirm on any device (the device code flow)
    #[arg(long)]
    pub no_browser: bool,
}

#[derive(Debug, Args)]
pub struct SsoPopulateArgs {
    /// The [sso-session NAME] to list accounts and roles of [default: the only one in the config file]
    #[arg(long, value_name = "NAME")]
    pub sso_session: Option<String>,
    /// Show the change (a diff of the config file) and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Remove generated profiles of this session whose account or role is gone
    #[arg(long)]
    pub prune: bool,
    /// Profile names: {account_name}, {account_id}, {role_name}, {session} [default: {account_name}-{role_name}]
    #[arg(long, value_name = "TEMPLATE")]
    pub name: Option<String>,
    /// The region of the generated profiles [default: the session's sso_region]
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

#[derive(Debug, Args)]
pub struct KeysAddArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    /// Where to keep the keys [default: $AWSCRED_KEY_STORE, else os on macOS, Windows and a Linux desktop session, file otherwise]
    #[arg(long, value_enum)]
    pub store: Option<crate::keystore::Store>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["profile", "all"])))]
pub struct KeysRmArgs {
    /// Profile whose stored key to delete (never guessed from $AWS_PROFILE or the session)
    #[arg(short, long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Delete every stored key
    #[arg(long, conflicts_with = "profile")]
    pub all: bool,
    /// Do not ask: for scripts (without a terminal, rm refuses to run without it)
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct KeysExportArgs {
    /// Profile whose stored key goes back to the credentials file
    #[arg(short, long, value_name = "NAME", required = true)]
    pub profile: Option<String>,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    /// The 6-digit MFA code, when the profile has an MFA device and no valid session [default: $AWS_MFA_TOKEN_CODE, the profile's mfa_process, then a prompt on the terminal]
    #[arg(long, value_name = "CODE")]
    pub token_code: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InitShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Nu,
}

#[derive(Debug, Args)]
pub struct AssumeRoleArgs {
    /// The role to assume
    #[arg(long, value_name = "ARN")]
    pub role_arn: String,
    /// The source profile whose keys (or MFA session) assume the role
    #[command(flatten)]
    pub profile: ProfileArg,
    /// Session name in CloudTrail [default: awscred-PROFILE]
    #[arg(long, value_name = "NAME")]
    pub role_session_name: Option<String>,
    /// Role session length, 900 to 43200 seconds [default: 3600]; over 3600 with MFA assumes the role directly with the code
    #[arg(long, value_name = "N")]
    pub duration_seconds: Option<u32>,
    /// External id the role's trust policy requires
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,
    /// A session tag, for attribute-based access control (repeatable; at most 50)
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// A session tag key passed on to roles assumed with these credentials (repeatable)
    #[arg(long = "transitive-tag", value_name = "KEY")]
    pub transitive_tags: Vec<String>,
    /// The source identity CloudTrail records for this session and every role assumed from it
    #[arg(long, value_name = "NAME")]
    pub source_identity: Option<String>,
    /// A managed policy that scopes the session down (repeatable; at most 10)
    #[arg(long = "policy-arn", value_name = "ARN")]
    pub policy_arns: Vec<String>,
    /// A file with an inline session policy (JSON) that scopes the session down
    #[arg(long, value_name = "FILE")]
    pub policy: Option<std::path::PathBuf>,
    /// The 6-digit MFA code, when the source has an MFA device and no valid session [default: $AWS_MFA_TOKEN_CODE, the profile's mfa_process, then a prompt on the terminal]
    #[arg(long, value_name = "CODE")]
    pub token_code: Option<String>,
    /// Get new role credentials even if cached ones are valid (and, when the source has an MFA device, a new MFA session: a code is needed)
    #[arg(long)]
    pub force: bool,
    /// Output format
    #[arg(short, long, value_enum, default_value = "json")]
    pub format: Format,
    #[command(flatten)]
    pub legacy: LegacyArg,
    #[command(flatten)]
    pub write: WriteProfileArg,
}

#[derive(Debug, Args)]
pub struct CredentialProcessArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    #[command(flatten)]
    pub prompt: PromptArg,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    #[command(flatten)]
    pub prompt: PromptArg,
    /// Run even inside an awscred session for another profile
    #[arg(long)]
    pub force: bool,
    /// Give the command a credential server (renewing credentials) instead of static keys
    #[arg(long)]
    pub server: bool,
    /// With --server: also answer as an EC2 metadata service (IMDSv2)
    #[arg(long, requires = "server")]
    pub imds: bool,
    /// The command and its arguments (`--` before it is optional, as in aws-vault)
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    #[command(flatten)]
    pub prompt: PromptArg,
    /// Port on 127.0.0.1 [default: a free one]
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
    /// Also answer as an EC2 metadata service (IMDSv2); prints AWS_EC2_METADATA_SERVICE_ENDPOINT too
    #[arg(long)]
    pub imds: bool,
    /// Also listen on a container network's address (an IP such as 172.17.0.1, or an interface such as docker0) for containers; private addresses only; prints a docker-compose `environment:` snippet on stderr
    #[arg(long, value_name = "ADDR|INTERFACE")]
    pub bind: Option<String>,
    /// The shell syntax to print [default: $AWSCRED_FORMAT, then env]
    #[arg(short, long, value_parser = shell_formats())]
    pub format: Option<Format>,
}

#[derive(Debug, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    #[command(flatten)]
    pub prompt: PromptArg,
    /// Open this service's console: s3, ec2, iam, lambda, cloudwatch, cloudformation, dynamodb, rds, vpc, … (another name opens NAME/home)
    #[arg(long, value_name = "NAME", conflicts_with = "path")]
    pub service: Option<String>,
    /// Open this console path, like ec2/home#Instances:
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,
    /// The console's region [default: $AWS_REGION, $AWS_DEFAULT_REGION, the profile's region, the partition's first]
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Print the sign-in URL on stdout instead of opening a browser (it signs in whoever has it, for 15 minutes)
    #[arg(long)]
    pub print: bool,
    /// Console session length in seconds (900-43200; not for role chains) [default: as long as the credentials]; with --federation-token, the token's (900-129600) [default: 3600]
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<u32>,
    /// Open in a Firefox container named after the profile (needs the "Open external links in a container" extension)
    #[arg(long)]
    pub container: bool,
    /// Sign out of the browser's console session first (without the console's multi-session support, a second account otherwise asks you to log out)
    #[arg(long)]
    pub logout: bool,
    /// For an IAM user without a role: sign in with GetFederationToken (signed with the long-term key), a console session WITHOUT MFA
    #[arg(long)]
    pub federation_token: bool,
    /// With --federation-token: a managed policy that limits the session (repeatable) [default: an inline policy allowing all the user may do]
    #[arg(long, value_name = "ARN", requires = "federation_token")]
    pub policy_arn: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Also call STS GetCallerIdentity with the credentials and print the ARN
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct ClearArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    /// Remove every cached session
    #[arg(long, conflicts_with = "profile")]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The shell to integrate with
    #[arg(value_enum)]
    pub shell: InitShell,
}

#[derive(Debug, Args)]
pub struct SwitchArgs {
    /// The profile to switch to [default: pick one on the terminal]
    #[arg(value_name = "PROFILE", conflicts_with = "profile")]
    pub name: Option<String>,
    #[command(flatten)]
    pub profile: ProfileArg,
    #[command(flatten)]
    pub prompt: PromptArg,
    #[command(flatten)]
    pub format: FormatArg,
    #[command(flatten)]
    pub legacy: LegacyArg,
}

#[derive(Debug, Args)]
pub struct PromptArg {
    /// How to ask for an MFA code that is not given: auto (the terminal, else a desktop dialog), terminal, zenity, kdialog, osascript, windows or none [default: $AWSCRED_MFA_PROMPT, the profile's mfa_prompt, then auto]
    #[arg(long, value_name = "HOW")]
    pub mfa_prompt: Option<String>,
}

#[derive(Debug, Args)]
pub struct ProfileArg {
    /// Profile to use [default: $AWS_PROFILE, $AWS_DEFAULT_PROFILE, the awscred session's ($AWSCRED_PROFILE), then `default`]
    #[arg(short, long, value_name = "NAME")]
    pub profile: Option<String>,
}

#[derive(Debug, Args)]
pub struct SessionArgs {
    /// MFA device ARN [default: $AWS_MFA_SERIAL_NUMBER, then the profile's mfa_serial]
    #[arg(long, value_name = "ARN")]
    pub serial_number: Option<String>,
    /// Session length, 900 to 129600 seconds [default: the profile's duration_seconds, then STS's 12 h]; for a role profile, the role's, 900 to 43200
    #[arg(long, value_name = "N")]
    pub duration_seconds: Option<u32>,
    /// Region of the STS endpoint; mfa also exports it [default: $AWS_REGION, $AWS_DEFAULT_REGION, the profile's region, us-east-1 (not exported)]
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

#[derive(Debug, Args)]
pub struct FormatArg {
    /// Output format [default: $AWSCRED_FORMAT, then env]
    #[arg(short, long, value_enum)]
    pub format: Option<Format>,
}

impl FormatArg {
    /// `--format`, else `AWSCRED_FORMAT` (empty counts as unset, as every
    /// variable does), else `env`.
    pub fn get(&self, env: &Env) -> Result<Format> {
        use clap::ValueEnum;
        match (self.format, env.awscred_format()) {
            (Some(f), _) => Ok(f),
            (None, Some(v)) => Format::from_str(v, false).map_err(|_| {
                let names: Vec<String> = Format::value_variants()
                    .iter()
                    .filter_map(|f| f.to_possible_value())
                    .map(|p| p.get_name().to_string())
                    .collect();
                fail(
                    Kind::Input,
                    format!(
                        "AWSCRED_FORMAT is not an output format: set it to one of {}",
                        names.join(", ")
                    ),
                )
            }),
            (None, None) => Ok(Format::Env),
        }
    }
}

#[derive(Debug, Args)]
pub struct WriteProfileArg {
    /// Also write the session into section [NAME] of the credentials file (for tools that only read that file)
    #[arg(long, value_name = "NAME")]
    pub write_profile: Option<String>,
}

#[derive(Debug, Args)]
pub struct LegacyArg {
    /// Also set AWS_SECURITY_TOKEN (boto 2) and AWS_ACCESS_KEY, AWS_SECRET_KEY, AWS_DELEGATION_TOKEN (EC2 API tools)
    #[arg(long)]
    pub legacy_vars: bool,
}

#[derive(Debug, Args)]
pub struct GetSessionTokenArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    #[command(flatten)]
    pub session: SessionArgs,
    /// The 6-digit MFA code, when the profile has an MFA device [default: $AWS_MFA_TOKEN_CODE, the profile's mfa_process, then a prompt on the terminal]
    #[arg(long, value_name = "CODE")]
    pub token_code: Option<String>,
    /// Do not store the session in the cache
    #[arg(long)]
    pub no_cache: bool,
}

#[derive(Debug, Args)]
pub struct MfaArgs {
    /// The 6-digit MFA code [default: $AWS_MFA_TOKEN_CODE, the profile's mfa_process, then a prompt on the terminal]; not needed while the cached session is valid
    pub code: Option<String>,
    #[command(flatten)]
    pub profile: ProfileArg,
    #[command(flatten)]
    pub prompt: PromptArg,
    #[command(flatten)]
    pub session: SessionArgs,
    /// Get a new session from STS even if the cached one is valid (a role profile: new role credentials, and a new MFA session when it has a device)
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub format: FormatArg,
    #[command(flatten)]
    pub legacy: LegacyArg,
    #[command(flatten)]
    pub write: WriteProfileArg,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    #[command(flatten)]
    pub format: FormatArg,
    #[command(flatten)]
    pub legacy: LegacyArg,
    #[command(flatten)]
    pub write: WriteProfileArg,
}

#[derive(Debug, Args)]
pub struct UnsetArgs {
    /// The shell syntax to write [default: $AWSCRED_FORMAT, then env]
    #[arg(short, long, value_parser = shell_formats())]
    pub format: Option<Format>,
}

impl UnsetArgs {
    /// `--format` with `AWSCRED_FORMAT` and `env` as for every command (a
    /// data format from the variable is refused by its renderer).
    pub fn as_format_arg(&self) -> FormatArg {
        FormatArg {
            format: self.format,
        }
    }
}

/// `unset`'s and `serve`'s `--format` values: the formats whose renderer can
/// remove a variable, so clap refuses the others and `--help` lists only these.
fn shell_formats() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser;
    use clap::ValueEnum;
    let values = Format::value_variants()
        .iter()
        .filter(|f| f.is_shell())
        .filter_map(ValueEnum::to_possible_value);
    clap::builder::PossibleValuesParser::new(values)
        .map(|name: String| Format::from_str(&name, false).expect("a value listed from Format"))
}

impl Command {
    /// The output format of a command with `--format`; decides what stdout
    /// carries on failure (`env`'s when `AWSCRED_FORMAT` is unusable). The
    /// others print nothing on failure.
    pub fn format(&self, env: &Env) -> Option<Format> {
        let or_env = |f: &FormatArg| Some(f.get(env).unwrap_or(Format::Env));
        match self {
            Command::Mfa(a) => or_env(&a.format),
            Command::AssumeRole(a) => Some(a.format),
            Command::Export(a) => or_env(&a.format),
            Command::Switch(a) => or_env(&a.format),
            Command::Unset(a) => or_env(&a.as_format_arg()),
            Command::Serve(a) => or_env(&FormatArg { format: a.format }),
            Command::GetSessionToken(_)
            | Command::Init(_)
            | Command::CredentialProcess(_)
            | Command::Exec(_)
            | Command::Console(_)
            | Command::Status(_)
            | Command::List
            | Command::Clear(_)
            | Command::Keys(_)
            | Command::Sso(_)
            | Command::Rotate(_)
            | Command::Completions(_)
            | Command::Man => None,
        }
    }
}

/// clap's error as one line: what is wrong, clap's tip if it has one, and the
/// `--help` that shows the right usage (clap's own text is a page of usage).
pub fn usage_error_line(e: &clap::Error, args: &[std::ffi::OsString]) -> String {
    use clap::CommandFactory;
    let text = e.render().to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines
        .next()
        .map(|l| l.strip_prefix("error: ").unwrap_or(l))
        .unwrap_or("invalid command line");
    // "the following required arguments were not provided:" names them on the next line.
    let what = match first.strip_suffix(':') {
        Some(head) => match lines.next().filter(|l| !l.starts_with("Usage:")) {
            Some(missing) => format!("{head}: {missing}"),
            None => head.to_string(),
        },
        None => first.to_string(),
    };
    let tip = lines
        .find_map(|l| {
            l.strip_prefix("tip: ")
                .or_else(|| l.strip_prefix('[').and_then(|l| l.strip_suffix(']')))
        })
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    // The deepest subcommand typed (`keys rm`), whose --help shows its usage.
    let mut path = vec!["awscred".to_string()];
    let mut cmd = Cli::command();
    for a in args.iter().skip(1).filter_map(|a| a.to_str()) {
        match cmd.find_subcommand(a) {
            Some(sub) => {
                path.push(a.to_string());
                cmd = sub.clone();
            }
            None => break,
        }
    }
    let help = format!("{} --help", path.join(" "));
    format!("{what}{tip}: see `{help}`")
}

/// For a command line clap rejected: the format the user probably meant, so
/// that `eval "$(awscred mfa --typo)"` still gets a failing `false` line.
pub fn guess_format(args: &[std::ffi::OsString], env_format: Option<&str>) -> Option<Format> {
    use clap::ValueEnum;
    let args: Vec<&str> = args.iter().filter_map(|a| a.to_str()).collect();
    // The subcommand is the first argument (`keys export` prints no exports).
    let mut guess = match env_format.and_then(|v| Format::from_str(v, false).ok()) {
        _ if !args
            .get(1)
            .is_some_and(|a| ["mfa", "export", "unset"].contains(a)) =>
        {
            None
        }
        Some(f) => Some(f),
        None => Some(Format::Env),
    };
    for (i, a) in args.iter().enumerate() {
        let value = match *a {
            "--format" | "-f" => args.get(i + 1).copied(),
            _ => a.strip_prefix("--format=").or_else(|| a.strip_prefix("-f")),
        };
        if let Some(f) = value.and_then(|v| Format::from_str(v, false).ok()) {
            guess = Some(f);
        }
    }
    guess
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_subcommand_has_a_description_and_an_example() {
        for sub in Cli::command().get_subcommands() {
            let name = sub.get_name();
            assert!(
                sub.get_about().is_some_and(|a| !a.to_string().is_empty()),
                "{name}: no description"
            );
            let after = sub
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            assert!(after.contains("Example"), "{name}: no example in --help");
            assert!(
                after.contains("awscred"),
                "{name}: the example does not show a command"
            );
        }
    }

    #[test]
    fn completions_and_man_page_cover_every_subcommand() {
        use clap_complete::Shell;
        let names: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .collect();
        for shell in [
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::PowerShell,
            Shell::Elvish,
        ] {
            let text = crate::cmd::docs::completions(&CompletionsArgs { shell }).unwrap();
            for n in &names {
                assert!(text.contains(n.as_str()), "{shell}: {n} missing");
            }
        }
        let man = crate::cmd::docs::man().unwrap().replace("\\-", "-");
        assert!(man.starts_with(".ie") && man.contains(".SH NAME"));
        for n in &names {
            assert!(man.contains(n.as_str()), "man: {n} missing");
        }
    }

    fn long_help(name: &str) -> String {
        let mut cli = Cli::command();
        let sub = cli.find_subcommand_mut(name).unwrap();
        sub.render_long_help().to_string()
    }

    #[test]
    fn unset_accepts_and_lists_only_the_formats_that_can_unset() {
        use clap::ValueEnum;
        let env = Env::default();
        let help = long_help("unset");
        for f in Format::value_variants() {
            let name = f.to_possible_value().unwrap().get_name().to_string();
            let parsed = Cli::try_parse_from(["awscred", "unset", "--format", &name]);
            if f.renderer(&env).unset(&[("A", None)]).is_ok() {
                assert_eq!(parsed.unwrap().command.format(&env), Some(*f));
                assert!(help.contains(&format!("- {name}:")), "{name} not in {help}");
            } else {
                let e = parsed.unwrap_err();
                assert_eq!(e.kind(), clap::error::ErrorKind::InvalidValue, "{name}");
                assert!(!help.contains(&format!("- {name}:")), "{name} in {help}");
            }
        }
    }

    #[test]
    fn export_help_tells_what_each_kind_of_profile_does() {
        let help = long_help("export");
        assert!(!help.contains("never prompts"), "{help}");
        assert!(!help.contains("--force"), "{help}");
        for what in [
            "MFA device",
            "role profile",
            "AssumeRole",
            "SSO",
            "credential_process",
        ] {
            assert!(help.contains(what), "`{what}` not in {help}");
        }
    }

    /// A code can come from four places; every code argument says so.
    #[test]
    fn every_code_argument_names_every_code_source() {
        for sub in Cli::command().get_subcommands() {
            for arg in sub.get_arguments() {
                let is_code = arg
                    .get_value_names()
                    .is_some_and(|v| v.iter().any(|n| n == "CODE"));
                if !is_code {
                    continue;
                }
                let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
                for source in ["$AWS_MFA_TOKEN_CODE", "mfa_process", "prompt"] {
                    assert!(
                        help.contains(source),
                        "{} {}: `{source}` not in {help:?}",
                        sub.get_name(),
                        arg.get_id()
                    );
                }
            }
        }
    }

    #[test]
    fn guesses_the_format_of_a_bad_command_line() {
        let g = |s: &str| guess_format(&s.split(' ').map(Into::into).collect::<Vec<_>>(), None);
        assert_eq!(
            guess_format(&["awscred".into(), "mfa".into(), "-x".into()], Some("fish")),
            Some(Format::Fish)
        );
        assert_eq!(g("awscred mfa --bogus"), Some(Format::Env));
        assert_eq!(g("awscred get-session-token --bogus"), None);
        assert_eq!(g("awscred list --bogus"), None);
        assert_eq!(
            g("awscred export --format json --bogus"),
            Some(Format::Json)
        );
        assert_eq!(
            g("awscred export --format=env-no-export -x"),
            Some(Format::EnvNoExport)
        );
        assert_eq!(g("awscred export -fjson -x"), Some(Format::Json));
        assert_eq!(g("awscred assume-role --format env -x"), Some(Format::Env));
        assert_eq!(g("awscred keys export -x"), None);
    }
}
