#!/usr/bin/env bash
# End-to-end conformance suite: awscred against moto's STS server on 127.0.0.1.
#
#   tests/e2e/moto.sh            (from any directory; builds awscred unless AWSCRED_BIN is set)
#
# Needs python3 with venv (Debian: python3-venv), curl and cargo. The venv with moto,
# boto3 and the AWS CLI v1 lives in ${AWSCRED_E2E_VENV:-TARGET/e2e-venv} and is reused
# (TARGET: $CARGO_TARGET_DIR, else target/).
# AWSCRED_E2E_KEEP=1 keeps the scratch dir (moto.log, outputs) for a look afterwards.
# Each check prints PASS/FAIL; the last line is "N passed, M failed"; exit 1 if M > 0.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source-path=SCRIPTDIR/../.. source=tests/e2e/common.sh
. tests/e2e/common.sh

passed=0
failed=0
REASON=""

summary() { echo "$passed passed, $failed failed"; }

# check NAME FUNCTION [ARGS…]: FUNCTION returns non-zero and sets REASON on failure.
# (set -e does not apply inside it: every step says `|| return 1` itself.)
check() {
  local name=$1
  shift
  REASON=""
  if "$@"; then
    passed=$((passed + 1))
    echo "PASS $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name: ${REASON:-failed}"
  fi
}

# setup NAME FUNCTION…: like check, but the suite cannot go on without it.
setup() {
  check "$@"
  if [ "$failed" -gt 0 ]; then
    summary
    exit 1
  fi
}

trap 'e2e_cleanup' EXIT
trap 'exit 130' INT TERM

# ---- assertions on an e2e_awscred run (files PREFIX.out/.err/.rc) ----

show() { tr '\n' ' ' <"$1" | cut -c1-400; }

want_rc() {
  local rc
  rc=$(cat "$1.rc")
  [ "$rc" = "$2" ] || { REASON="exit $rc, want $2; stdout: $(show "$1.out"); stderr: $(show "$1.err")"; return 1; }
}

want_out() {
  [ "$(cat "$1.out")" = "$2" ] || { REASON="stdout is '$(show "$1.out")', want '$2'"; return 1; }
}

# stderr is exactly one line "awscred: …" containing TEXT
want_err() {
  local lines
  lines=$(wc -l <"$1.err")
  { [ "$lines" = 1 ] && grep -q '^awscred: ' "$1.err"; } ||
    { REASON="stderr is not one 'awscred: …' line: $(show "$1.err")"; return 1; }
  grep -qF -- "$2" "$1.err" || { REASON="stderr lacks '$2': $(show "$1.err")"; return 1; }
}

# A refusal: exit 5, stdout exactly "false", one-line message containing TEXT.
want_refusal() { want_rc "$1" 5 && want_out "$1" false && want_err "$1" "$2"; }

# ---- 1. setup ----

T=""   # scratch dir, set below
do_build() { e2e_build 2>"$T/build.log" || { REASON="build failed: $(tail -c 400 "$T/build.log")"; return 1; }; }
do_venv() { e2e_venv || { REASON="see the output above"; return 1; }; }
do_moto() {
  moto_start || { REASON="moto_server did not start"; return 1; }
  echo "     moto at $MOTO_URL (pid $MOTO_PID)"
}
do_user() {
  moto_setup_user awscred-e2e || { REASON="boto3 IAM setup failed"; return 1; }
  case $E2E_MFA_SERIAL in
    arn:aws:iam::*:mfa/awscred-e2e) ;;
    *) REASON="unexpected MFA serial '$E2E_MFA_SERIAL'"; return 1 ;;
  esac
  E2E_HOME="$T/home"
  e2e_write_home "$E2E_HOME"
  e2e_add_profile "$E2E_HOME" nomfa "$E2E_ACCESS_KEY_ID" "$E2E_SECRET_ACCESS_KEY"
  e2e_add_profile "$E2E_HOME" badsecret "$E2E_ACCESS_KEY_ID" "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzWRONGKEY" "$E2E_MFA_SERIAL"
  e2e_add_profile "$E2E_HOME" badkey "AKIAUNKNOWNE2EKEY000" "$E2E_SECRET_ACCESS_KEY" "$E2E_MFA_SERIAL"
  E2E_STS=$MOTO_URL
  moto_recorder_start || { REASON="cannot start moto's recorder"; return 1; }
}
# Turn on moto's signature / access-key / IAM policy checks, then prove they are on:
# a request signed with the user's real keys passes, one with a wrong secret does not.
do_auth_on() {
  moto_auth_on || { REASON="POST /moto-api/reset-auth failed"; return 1; }
  e2e_py raw-error "$MOTO_URL" "$E2E_ACCESS_KEY_ID" "$E2E_SECRET_ACCESS_KEY" >"$T/raw-good" ||
    { REASON="signed request failed"; return 1; }
  [ "$(head -n1 "$T/raw-good")" = 200 ] || { REASON="correctly signed GetSessionToken got: $(show "$T/raw-good")"; return 1; }
  e2e_py raw-error "$MOTO_URL" "$E2E_ACCESS_KEY_ID" "wrong-secret" >"$T/raw-sig" || { REASON="request failed"; return 1; }
  [ "$(head -n1 "$T/raw-sig")" = 403 ] || { REASON="badly signed GetSessionToken got: $(show "$T/raw-sig")"; return 1; }
}

e2e_tmp
T=$E2E_TMP
setup "setup: build awscred" do_build
setup "setup: venv with moto[server], boto3, awscli" do_venv
setup "setup: moto_server on 127.0.0.1 answers" do_moto
setup "setup: IAM user with sts:* policy, access key, virtual MFA device; HOME written" do_user
setup "setup: moto auth checks on (reset-auth 0)" do_auth_on

# ---- 3. get-session-token: same JSON structure as `aws sts get-session-token` ----

# aws_cli PREFIX ARGS…: the venv's AWS CLI v1, keys from the environment, no config files.
aws_cli() {
  local prefix=$1 rc=0
  shift
  mkdir -p "$T/clihome"
  env -i HOME="$T/clihome" PATH="$PATH" AWS_ACCESS_KEY_ID="$E2E_ACCESS_KEY_ID" \
    AWS_SECRET_ACCESS_KEY="$E2E_SECRET_ACCESS_KEY" AWS_DEFAULT_REGION=us-east-1 \
    "$E2E_VENV/bin/aws" --endpoint-url "$MOTO_URL" --output json --cli-connect-timeout 5 --cli-read-timeout 20 "$@" \
    </dev/null >"$prefix.out" 2>"$prefix.err" || rc=$?
  echo "$rc" >"$prefix.rc"
}

same_shape() {
  local a=$1 b=$2
  e2e_py shape "$a.out" >"$a.shape" 2>&1 || { REASON="not JSON: $(show "$a.out")"; return 1; }
  e2e_py shape "$b.out" >"$b.shape" 2>&1 || { REASON="aws CLI output not JSON: $(show "$b.out")"; return 1; }
  grep -qx '.Credentials.SessionToken: string' "$b.shape" || { REASON="aws CLI output lacks Credentials: $(show "$b.out")"; return 1; }
  diff -u "$b.shape" "$a.shape" >"$a.diff" || { REASON="structure differs (- aws, + awscred): $(grep '^[-+][^-+]' "$a.diff" | tr '\n' ' ')"; return 1; }
}

gst_plain() {
  e2e_awscred "$T/gst1" get-session-token --profile nomfa --no-cache
  want_rc "$T/gst1" 0 || return 1
  aws_cli "$T/cli1" sts get-session-token
  want_rc "$T/cli1" 0 || return 1
  same_shape "$T/gst1" "$T/cli1"
}
gst_mfa() {
  e2e_awscred "$T/gst2" get-session-token --profile nomfa --no-cache \
    --serial-number "$E2E_MFA_SERIAL" --token-code 123456
  want_rc "$T/gst2" 0 || return 1
  # The request moto saw carried the device and the code.
  local p
  p=$(e2e_py params "$MOTO_URL" GetSessionToken) || { REASON="no GetSessionToken recorded"; return 1; }
  [ "$(jq -r '.SerialNumber + " " + .TokenCode' <<<"$p")" = "$E2E_MFA_SERIAL 123456" ] ||
    { REASON="recorded request parameters: $p"; return 1; }
  aws_cli "$T/cli2" sts get-session-token --serial-number "$E2E_MFA_SERIAL" --token-code 123456
  want_rc "$T/cli2" 0 || return 1
  same_shape "$T/gst2" "$T/cli2"
}
check "get-session-token without MFA: JSON structure equals aws sts get-session-token's" gst_plain
check "get-session-token --serial-number --token-code: sent to STS, JSON structure equals the aws CLI's" gst_mfa

# ---- 4. mfa CODE, then mfa: one STS call, same output ----

mfa_first() {
  E2E_CACHE="$T/cache-mfa"
  moto_recorder_reset || { REASON="reset-recording failed"; return 1; }
  e2e_awscred "$T/mfa1" mfa 123456
  want_rc "$T/mfa1" 0 || return 1
  grep -q "^export AWS_SESSION_TOKEN='" "$T/mfa1.out" || { REASON="no AWS_SESSION_TOKEN export: $(show "$T/mfa1.out")"; return 1; }
}
mfa_second() {
  e2e_awscred "$T/mfa2" mfa
  want_rc "$T/mfa2" 0 || return 1
  cmp -s "$T/mfa1.out" "$T/mfa2.out" || { REASON="stdout differs from the first run's: $(show "$T/mfa2.out")"; return 1; }
}
mfa_one_call() {
  local n
  n=$(moto_count GetSessionToken) || { REASON="cannot read moto's recording"; return 1; }
  [ "$n" = 1 ] || { REASON="moto recorded $n GetSessionToken calls, want 1"; return 1; }
}
export_cached() {
  e2e_awscred "$T/export" export
  want_rc "$T/export" 0 || return 1
  cmp -s "$T/mfa1.out" "$T/export.out" || { REASON="export differs from mfa's output: $(show "$T/export.out")"; return 1; }
  mfa_one_call
}
check "mfa 123456: exports a new session" mfa_first
check "mfa (no code) again: exit 0, stdout identical to the first run's" mfa_second
check "mfa 123456 + mfa: moto's recorder saw exactly one GetSessionToken" mfa_one_call
check "export: prints the cached session, no STS call" export_cached
E2E_CACHE=""   # back to $E2E_HOME/cache (read by e2e_awscred)

# ---- 5./6. wrong secret key, unknown access key ----

moto_says() {   # moto_says RAWFILE CODE: moto's raw answer was HTTP 403 with CODE
  { [ "$(head -n1 "$1")" = 403 ] && grep -q "<Code>$2</Code>" "$1"; } ||
    { REASON="moto answered: $(show "$1")"; return 1; }
}
raw_sig() { moto_says "$T/raw-sig" SignatureDoesNotMatch; }
raw_key() {
  e2e_py raw-error "$MOTO_URL" AKIAUNKNOWNE2EKEY000 "$E2E_SECRET_ACCESS_KEY" >"$T/raw-key" || { REASON="request failed"; return 1; }
  moto_says "$T/raw-key" InvalidClientTokenId
}
bad_secret() {
  e2e_awscred "$T/badsecret" mfa --profile badsecret 123456
  want_refusal "$T/badsecret" "rejected the secret key"
}
bad_key() {
  e2e_awscred "$T/badkey" mfa --profile badkey 123456
  want_refusal "$T/badkey" "does not know the access key"
}
check "moto answers a wrong secret key with SignatureDoesNotMatch" raw_sig
check "wrong secret key: exit 5, stdout 'false', 'rejected the secret key'" bad_secret
check "moto answers an unknown access key with InvalidClientTokenId" raw_key
check "unknown access key: exit 5, stdout 'false', 'does not know the access key'" bad_key

# ---- 7. both error body shapes ----
# moto 5 answers auth failures (SignatureDoesNotMatch, InvalidClientTokenId, AccessDenied:
# moto/core/exceptions.py _RESTError, raised from moto/iam/access_control.py) with
#   <?xml …?><ErrorResponse><Errors><Error><Code/><Message/><Type/></Error></Errors></ErrorResponse>
# while real STS (and moto's own query-protocol serializer, for STS ServiceExceptions) uses
#   <ErrorResponse xmlns=…><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>
# GetSessionToken in moto has no error of the second kind, so each captured moto body is
# served verbatim and rewritten into the other shape by a tiny local server (moto_helper.py serve).

shape_known() {
  local s
  for f in raw-sig raw-key; do
    tail -n +2 "$T/$f" >"$T/$f.xml"
    s=$(e2e_py error-shape "$T/$f.xml" 2>&1) || { REASON="$f: $s"; return 1; }
    echo "     moto's $f body shape: $s"
  done
}
check "moto's STS error bodies are <ErrorResponse> documents of a known shape" shape_known

FAKE_BODY="$T/fake-body.xml"
start_fake() {
  cp "$T/raw-sig.xml" "$FAKE_BODY"
  # Not through the e2e_py function: `func &` would fork a subshell and $! be its pid.
  "$E2E_VENV/bin/python" "$E2E_HELPER" serve "$T/fake.port" "$FAKE_BODY" >"$T/fake.log" 2>&1 </dev/null &
  E2E_PIDS+=("$!")
  local _
  for _ in $(seq 100); do
    [ -s "$T/fake.port" ] && break
    sleep 0.1
  done
  [ -s "$T/fake.port" ] || { REASON="fake STS did not start: $(show "$T/fake.log")"; return 1; }
  FAKE_URL="http://127.0.0.1:$(cat "$T/fake.port")"
}
# fake_case NAME BODYFILE PROFILE TEXT
fake_case() {
  local name=$1 body=$2 profile=$3 text=$4
  cp "$body" "$FAKE_BODY"
  E2E_STS=$FAKE_URL e2e_awscred "$T/fake-$name" mfa --profile "$profile" 123456
  want_refusal "$T/fake-$name" "$text"
}
reshape_bodies() {
  local f out
  for f in sig key; do
    out=$(e2e_py reshape "$T/raw-$f.xml" 2>&1) || { REASON="raw-$f: $out"; return 1; }
    printf '%s' "$out" >"$T/raw-$f.other.xml"
    [ "$(e2e_py error-shape "$T/raw-$f.other.xml")" != "$(e2e_py error-shape "$T/raw-$f.xml")" ] ||
      { REASON="raw-$f: the rewritten body has the same shape"; return 1; }
  done
  RESHAPED=1
}
shape_label() { [ "$1" = errors ] && echo "<ErrorResponse><Errors><Error>" || echo "<ErrorResponse><Error>"; }
shape_cases() {
  local label_kind label_other
  label_kind=$(shape_label "$(e2e_py error-shape "$T/raw-sig.xml")")
  label_other=$(shape_label "$(e2e_py error-shape "$T/raw-sig.other.xml")")
  check "SignatureDoesNotMatch as $label_kind (moto's body verbatim): proper message" \
    fake_case sig-native "$T/raw-sig.xml" badsecret "rejected the secret key"
  check "SignatureDoesNotMatch as $label_other (rewritten): proper message" \
    fake_case sig-other "$T/raw-sig.other.xml" badsecret "rejected the secret key"
  check "InvalidClientTokenId as $label_kind (moto's body verbatim): proper message" \
    fake_case key-native "$T/raw-key.xml" badkey "does not know the access key"
  check "InvalidClientTokenId as $label_other (rewritten): proper message" \
    fake_case key-other "$T/raw-key.other.xml" badkey "does not know the access key"
}
FAKE_URL=""
RESHAPED=""
check "captured bodies rewritten into the other shape" reshape_bodies
check "fake STS server on 127.0.0.1 serving captured bodies" start_fake
if [ -n "$FAKE_URL" ] && [ -n "$RESHAPED" ]; then shape_cases; fi

# ---- 8. a real consumer: eval "$(awscred export)", then the AWS CLI ----
# The session keys moto's GetSessionToken returns are fixed strings that no IAM user owns,
# so with auth checks on moto would refuse them (InvalidClientTokenId): checks go off again.
# How the signing key is proved: moto's recorder keeps every request's headers; the
# GetCallerIdentity request's SigV4 Authorization header names the signing key
# (Credential=KEYID/date/region/sts/aws4_request) and carries X-Amz-Security-Token. Both must
# be the session's AccessKeyId and SessionToken as exported by awscred. In addition the
# identity moto returns must not be the IAM user's: signing with the long-term key would
# have made moto answer with the user's ARN (moto maps known access keys to their user).

consumer() {
  moto_auth_off || { REASON="reset-auth inf failed"; return 1; }
  moto_recorder_reset || { REASON="reset-recording failed"; return 1; }
  # awscred makes its own cache directory (0700); it refuses one others can read.
  local rc=0
  # shellcheck disable=SC2016 # expanded by the inner bash
  env -i HOME="$E2E_HOME" PATH="$PATH" AWSCRED_CACHE_DIR="$T/cache-consumer" \
    AWS_ENDPOINT_URL_STS="$MOTO_URL" AWSCRED_TIMEOUT=20 \
    AWSCRED="$AWSCRED" AWSCLI="$E2E_VENV/bin/aws" MOTO_URL="$MOTO_URL" OUT="$T/consumer" \
    setsid -w bash -c '
      set -euo pipefail
      "$AWSCRED" mfa 123456 >/dev/null
      eval "$("$AWSCRED" export)"
      printf "%s %s\n" "$AWS_ACCESS_KEY_ID" "$AWS_SESSION_TOKEN" >"$OUT.session"
      "$AWSCLI" sts get-caller-identity --endpoint-url "$MOTO_URL" --output json \
        --cli-connect-timeout 5 --cli-read-timeout 20 >"$OUT.identity"
    ' </dev/null >"$T/consumer.out" 2>"$T/consumer.err" || rc=$?
  [ "$rc" = 0 ] || { REASON="bash exited $rc: $(show "$T/consumer.err")"; return 1; }
  jq -e '.Arn and .Account and .UserId' "$T/consumer.identity" >/dev/null 2>&1 ||
    { REASON="get-caller-identity printed: $(show "$T/consumer.identity")"; return 1; }
}
consumer_key() {
  local session signer arn
  session=$(cat "$T/consumer.session" 2>/dev/null) || { REASON="no session exported"; return 1; }
  signer=$(e2e_py signer "$MOTO_URL" GetCallerIdentity 2>&1) || { REASON="$signer"; return 1; }
  [ "$signer" = "$session" ] ||
    { REASON="moto saw key/token '${signer:0:60}…', the session is '${session:0:60}…'"; return 1; }
  [ "${session%% *}" != "$E2E_ACCESS_KEY_ID" ] || { REASON="the session key is the long-term key"; return 1; }
  arn=$(jq -r .Arn "$T/consumer.identity")
  [ "$arn" != "$E2E_USER_ARN" ] || { REASON="identity is the IAM user's ($arn): signed with the long-term key"; return 1; }
  echo "     signed with ${session%% *} + session token; moto's identity: $arn"
}
check "eval \"\$(awscred export)\" under set -euo pipefail, then aws sts get-caller-identity succeeds" consumer
check "get-caller-identity was signed with the session's key and token" consumer_key

# ---- 10. credential_process under parallel use (issue 5) ----
# Ten AWS CLI processes at once, each running `awscred credential-process` through a
# credential_process profile, on a cold cache: exactly one GetSessionToken reaches moto,
# and the code source (a counting mfa_process) is asked once. Auth checks are off: moto's
# session keys are fixed and unregistered, so they could not sign the calls otherwise.
parallel_cli() {
  moto_auth_off || { REASON="reset-auth inf failed"; return 1; }
  moto_recorder_reset || { REASON="reset-recording failed"; return 1; }
  local home="$T/home-parallel" i rc=0 failures=0
  mkdir -p "$home/.aws"
  printf '#!/bin/sh\necho asked >> "%s/asked"\necho 123456\n' "$home" >"$home/code.sh"
  chmod +x "$home/code.sh"
  {
    echo "[default]"
    echo "region = us-east-1"
    echo "mfa_serial = $E2E_MFA_SERIAL"
    echo "mfa_process = $home/code.sh"
    echo "[profile via-awscred]"
    echo "region = us-east-1"
    echo "credential_process = $AWSCRED credential-process --profile default"
  } >"$home/.aws/config"
  printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
    "$E2E_ACCESS_KEY_ID" "$E2E_SECRET_ACCESS_KEY" >"$home/.aws/credentials"
  for i in $(seq 10); do
    env -i HOME="$home" PATH="$PATH" AWSCRED_CACHE_DIR="$home/cache" AWS_ENDPOINT_URL_STS="$MOTO_URL" \
      AWS_PROFILE=via-awscred setsid -w "$E2E_VENV/bin/aws" sts get-caller-identity \
      --endpoint-url "$MOTO_URL" --output json </dev/null >"$T/par.$i.out" 2>"$T/par.$i.err" &
  done
  for i in $(seq 10); do
    wait -n || failures=$((failures + 1))
  done
  [ "$failures" = 0 ] || { REASON="$failures of 10 aws calls failed: $(show "$T/par.1.err")"; return 1; }
  for i in $(seq 10); do
    jq -e .Arn "$T/par.$i.out" >/dev/null || { REASON="call $i printed $(show "$T/par.$i.out")"; return 1; }
  done
  rc=$(moto_count GetSessionToken) || { REASON="cannot read moto's recording: $rc"; return 1; }
  [ "$rc" = 1 ] || { REASON="moto saw $rc GetSessionToken calls, want 1"; return 1; }
  [ "$(wc -l <"$home/asked")" = 1 ] || { REASON="the code source was asked $(wc -l <"$home/asked") times"; return 1; }
}
check "10 parallel aws CLI calls through credential_process: one GetSessionToken, one code" parallel_cli

# ---- 11. roles with one MFA prompt (issue 6) ----
# Two role profiles share the source profile and its MFA device. The first `export` asks
# for one code (a counting mfa_process) and makes GetSessionToken + AssumeRole; the second
# makes only AssumeRole and asks for nothing. The AWS CLI, given the exported role
# credentials, is told the assumed-role ARN. Auth checks are off: moto's GetSessionToken
# returns fixed, unregistered keys, which could not sign the AssumeRole call otherwise.
roles_setup() {
  moto_auth_off || { REASON="reset-auth inf failed"; return 1; }
  moto_recorder_reset || { REASON="reset-recording failed"; return 1; }
  ROLES_HOME="$T/home-roles"
  mkdir -p "$ROLES_HOME/.aws"
  printf '#!/bin/sh\necho asked >> "%s/asked"\necho 123456\n' "$ROLES_HOME" >"$ROLES_HOME/code.sh"
  chmod +x "$ROLES_HOME/code.sh"
  {
    echo "[default]"
    echo "region = us-east-1"
    echo "mfa_serial = $E2E_MFA_SERIAL"
    echo "mfa_process = $ROLES_HOME/code.sh"
    echo "[profile admin]"
    echo "role_arn = arn:aws:iam::123456789012:role/admin"
    echo "source_profile = default"
    echo "mfa_serial = $E2E_MFA_SERIAL"
    echo "[profile reader]"
    echo "role_arn = arn:aws:iam::123456789012:role/reader"
    echo "source_profile = default"
    echo "mfa_serial = $E2E_MFA_SERIAL"
  } >"$ROLES_HOME/.aws/config"
  printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
    "$E2E_ACCESS_KEY_ID" "$E2E_SECRET_ACCESS_KEY" >"$ROLES_HOME/.aws/credentials"
}
asked() { wc -l <"$ROLES_HOME/asked" 2>/dev/null || echo 0; }
role_first() {
  E2E_HOME="$ROLES_HOME" E2E_STS="$MOTO_URL" E2E_CACHE="$ROLES_HOME/cache" e2e_awscred "$T/admin" export --profile admin
  want_rc "$T/admin" 0 || return 1
  [ "$(asked)" = 1 ] || { REASON="asked for $(asked) codes, want 1"; return 1; }
  [ "$(moto_count GetSessionToken)" = 1 ] || { REASON="$(moto_count GetSessionToken) GetSessionToken calls, want 1"; return 1; }
  [ "$(moto_count AssumeRole)" = 1 ] || { REASON="$(moto_count AssumeRole) AssumeRole calls, want 1"; return 1; }
}
role_second() {
  E2E_HOME="$ROLES_HOME" E2E_STS="$MOTO_URL" E2E_CACHE="$ROLES_HOME/cache" e2e_awscred "$T/reader" export --profile reader
  want_rc "$T/reader" 0 || return 1
  [ "$(asked)" = 1 ] || { REASON="asked again: $(asked) codes in all"; return 1; }
  [ "$(moto_count GetSessionToken)" = 1 ] || { REASON="a second GetSessionToken was made"; return 1; }
  [ "$(moto_count AssumeRole)" = 2 ] || { REASON="$(moto_count AssumeRole) AssumeRole calls, want 2"; return 1; }
}
role_consumer() {
  local arn rc=0
  # shellcheck disable=SC2016 # expanded by the inner bash
  env -i PATH="$PATH" OUT="$T/admin.out" AWSCLI="$E2E_VENV/bin/aws" MOTO_URL="$MOTO_URL" AWS_DEFAULT_REGION=us-east-1 \
    bash -c 'set -euo pipefail; eval "$(cat "$OUT")"; "$AWSCLI" sts get-caller-identity --endpoint-url "$MOTO_URL" --output json' \
    </dev/null >"$T/role.identity" 2>"$T/role.err" || rc=$?
  [ "$rc" = 0 ] || { REASON="aws exited $rc: $(show "$T/role.err")"; return 1; }
  arn=$(jq -r .Arn "$T/role.identity")
  case "$arn" in
    arn:aws:sts::123456789012:assumed-role/admin/awscred-admin) echo "     identity: $arn" ;;
    *) REASON="identity is '$arn', want the assumed admin role"; return 1 ;;
  esac
}
check "roles: setup with two role profiles sharing a source and MFA device" roles_setup
check "first role export: one code, GetSessionToken + AssumeRole" role_first
check "second role export: only AssumeRole, no code" role_second
check "aws sts get-caller-identity with the exported role credentials: the assumed-role ARN" role_consumer

# ---- 12. SDK consumers: refresh windows and account ids (issue 12) ----
# boto3 refreshes credential_process credentials 15 minutes before they expire, and
# would run awscred on every call if handed credentials already inside that window.
# The admin role's cached credentials are set to 14 minutes left: awscred renews them
# (AssumeRole with the cached MFA session, no code) before handing them out, so 20
# boto3 calls cost one awscred run. boto3 and the Node SDK v3 read the account from
# AccountId (credential_process) and AWS_ACCOUNT_ID (the environment).
sdk_setup() {
  printf '#!/bin/sh\necho run >>"%s/runs"\nexec "%s" credential-process --profile admin\n' \
    "$ROLES_HOME" "$AWSCRED" >"$ROLES_HOME/runs.sh"
  chmod +x "$ROLES_HOME/runs.sh"
  printf '[profile via-admin]\nregion = us-east-1\ncredential_process = %s\n' \
    "$ROLES_HOME/runs.sh" >>"$ROLES_HOME/.aws/config"
}
# Runs "$@" in the roles HOME with a clean environment and no terminal.
in_roles_home() {
  env -i HOME="$ROLES_HOME" PATH="$PATH" AWSCRED_CACHE_DIR="$ROLES_HOME/cache" \
    AWS_ENDPOINT_URL_STS="$MOTO_URL" AWSCRED_TIMEOUT=20 AWSCRED="$AWSCRED" \
    NODE_PATH="$E2E_NODE/node_modules" PY="$E2E_VENV/bin/python" setsid -w "$@" </dev/null
}
sdk_window() {
  moto_recorder_reset || { REASON="reset-recording failed"; return 1; }
  e2e_py expire-in "$ROLES_HOME/cache" admin 840 2>"$T/expire.err" ||
    { REASON="cannot age the cache entry: $(show "$T/expire.err")"; return 1; }
  local account runs rc=0
  account=$(in_roles_home "$E2E_VENV/bin/python" "$E2E_HELPER" boto3-calls via-admin "$MOTO_URL" 20 2>"$T/boto3.err") || rc=$?
  [ "$rc" = 0 ] || { REASON="boto3 exited $rc: $(show "$T/boto3.err")"; return 1; }
  runs=$(wc -l <"$ROLES_HOME/runs")
  [ "$runs" = 1 ] || { REASON="20 boto3 calls ran awscred $runs times, want 1"; return 1; }
  [ "$(moto_count AssumeRole)" = 1 ] || { REASON="$(moto_count AssumeRole) AssumeRole calls, want 1 (the renewal)"; return 1; }
  [ "$(moto_count GetSessionToken)" = 0 ] || { REASON="a GetSessionToken was made"; return 1; }
  [ "$(asked)" = 1 ] || { REASON="asked for a code again: $(asked) in all"; return 1; }
  [ "$account" = 123456789012 ] || { REASON="boto3's account_id from credential_process is '$account'"; return 1; }
  echo "     20 calls, 1 awscred run, 1 AssumeRole; boto3 account_id $account"
}
sdk_accounts() {
  e2e_node || { REASON="npm install failed (see above)"; return 1; }
  local out rc=0
  # shellcheck disable=SC2016 # expanded by the inner bash
  out=$(in_roles_home bash -c '
    set -euo pipefail
    eval "$("$AWSCRED" export --profile admin)"
    "$PY" -c "import boto3; print(\"boto3-env\", boto3.Session().get_credentials().get_frozen_credentials().account_id)"
    node -e "
      const { fromProcess } = require(\"@aws-sdk/credential-provider-process\");
      const { fromEnv } = require(\"@aws-sdk/credential-provider-env\");
      (async () => {
        console.log(\"node-env\", (await fromEnv()()).accountId);
        console.log(\"node-process\", (await fromProcess({ profile: \"via-admin\" })()).accountId);
      })().catch((e) => { console.error(String(e)); process.exit(1); });
    "
  ' 2>"$T/accounts.err") || rc=$?
  [ "$rc" = 0 ] || { REASON="exited $rc: $(show "$T/accounts.err")"; return 1; }
  local want
  want=$(printf 'boto3-env 123456789012\nnode-env 123456789012\nnode-process 123456789012')
  [ "$out" = "$want" ] || { REASON="read: $(echo "$out" | tr '\n' ' ')"; return 1; }
  echo "     $(echo "$out" | tr '\n' ' ')"
}
check "SDK consumers: a credential_process profile over the admin role" sdk_setup
check "20 boto3 calls with the role's cached credentials 14 minutes from expiry: one awscred run" sdk_window
check "boto3 (environment) and the Node SDK v3 (environment, credential_process) read the account id" sdk_accounts

# ---- 13. aws-mfa reads back what --write-profile wrote into its section ----
# aws-mfa keeps its session in [NAME] with `expiration = YYYY-MM-DD HH:MM:SS` (UTC) and
# parses it with strptime: awscred writing RFC 3339 there made aws-mfa crash. Here
# awscred renews an expired aws-mfa section; aws-mfa (offline: it sees a valid session
# and calls nothing) must then report it still valid.
aws_mfa_section() {
  local home="$T/home-aws-mfa" rc=0
  mkdir -p "$home/.aws"
  : >"$home/.aws/config"
  printf '[work-long-term]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_mfa_device = %s\nmfa_serial = %s\n\n[work]\nassumed_role = False\naws_access_key_id = ASIAOLDSESSION000001\naws_secret_access_key = oldSecret\naws_session_token = oldToken\naws_security_token = oldToken\nexpiration = 2026-01-02 03:04:05\n' \
    "$E2E_ACCESS_KEY_ID" "$E2E_SECRET_ACCESS_KEY" "$E2E_MFA_SERIAL" "$E2E_MFA_SERIAL" >"$home/.aws/credentials"
  chmod 600 "$home/.aws/credentials"
  E2E_HOME="$home" E2E_STS="$MOTO_URL" E2E_CACHE="$home/cache" \
    e2e_awscred "$T/aws-mfa" mfa 123456 --profile work-long-term --write-profile work
  want_rc "$T/aws-mfa" 0 || return 1
  grep -Eq '^expiration = [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$' "$home/.aws/credentials" ||
    { REASON="the section's format was not kept: $(grep expiration "$home/.aws/credentials")"; return 1; }
  env -i HOME="$home" PATH="$PATH" setsid -w "$E2E_VENV/bin/aws-mfa" --profile work \
    </dev/null >"$T/aws-mfa.said" 2>&1 || rc=$?
  if [ "$rc" != 0 ] || ! grep -q 'still valid' "$T/aws-mfa.said"; then
    REASON="aws-mfa exited $rc: $(tail -n 3 "$T/aws-mfa.said" | tr '\n' ' ')"
    return 1
  fi
  echo "     aws-mfa: $(grep -o 'still valid for [0-9.]* seconds' "$T/aws-mfa.said")"
}
check "aws-mfa reads back the session awscred wrote into its section" aws_mfa_section

# ---- 14. the credential server (issue 13) ----
# Real consumers through `exec --server --profile admin`, each with its default
# credential chain and no static keys: boto3, the AWS CLI v1 (pip), the AWS CLI v2
# (Debian) and the Node SDK v3 read the container endpoint; boto3 alone, with the
# container variables removed, reads the IMDSv2 endpoint of `--imds`. Each must be
# told the assumed admin role. Auth checks are off, as above.
ADMIN_ARN=arn:aws:sts::123456789012:assumed-role/admin/awscred-admin
server_consumers() {
  e2e_node || { REASON="npm install failed (see above)"; return 1; }
  moto_recorder_reset || { REASON="reset-recording failed"; return 1; }
  local out rc=0 want keys
  # shellcheck disable=SC2016 # expanded by the inner bash
  out=$(in_roles_home env AWS_DEFAULT_REGION=us-east-1 MOTO_URL="$MOTO_URL" AWSCLI1="$E2E_VENV/bin/aws" \
    "$AWSCRED" exec --server --imds --profile admin -- bash -c '
    set -euo pipefail
    [ -z "${AWS_ACCESS_KEY_ID-}${AWS_SECRET_ACCESS_KEY-}${AWS_SESSION_TOKEN-}" ]
    echo "boto3 $("$PY" -c "import boto3, os; print(boto3.client(\"sts\", endpoint_url=os.environ[\"MOTO_URL\"]).get_caller_identity()[\"Arn\"])")"
    echo "cli-v1 $("$AWSCLI1" sts get-caller-identity --endpoint-url "$MOTO_URL" --query Arn --output text)"
    echo "cli-v2 $(/usr/bin/aws sts get-caller-identity --endpoint-url "$MOTO_URL" --query Arn --output text)"
    echo "node $(node -e "
      const { STSClient, GetCallerIdentityCommand } = require(\"@aws-sdk/client-sts\");
      new STSClient({ endpoint: process.env.MOTO_URL }).send(new GetCallerIdentityCommand({}))
        .then((r) => console.log(r.Arn), (e) => { console.error(String(e)); process.exit(1); });
    ")"
    echo "boto3-imds $(env -u AWS_CONTAINER_CREDENTIALS_FULL_URI -u AWS_CONTAINER_AUTHORIZATION_TOKEN \
      "$PY" -c "import boto3, os; s = boto3.Session(); print(s.get_credentials().method, boto3.client(\"sts\", endpoint_url=os.environ[\"MOTO_URL\"]).get_caller_identity()[\"Arn\"])")"
  ' 2>"$T/server.err") || rc=$?
  [ "$rc" = 0 ] || { REASON="exited $rc: $(show "$T/server.err")"; return 1; }
  want=$(printf 'boto3 %s\ncli-v1 %s\ncli-v2 %s\nnode %s\nboto3-imds iam-role %s' "$ADMIN_ARN" "$ADMIN_ARN" "$ADMIN_ARN" "$ADMIN_ARN" "$ADMIN_ARN")
  [ "$out" = "$want" ] || { REASON="told: $(echo "$out" | tr '\n' ' ')"; return 1; }
  keys=$(e2e_py signers "$MOTO_URL" GetCallerIdentity | sort -u)
  [ "$(e2e_py signers "$MOTO_URL" GetCallerIdentity | wc -l)" = 5 ] || { REASON="moto saw $(e2e_py signers "$MOTO_URL" GetCallerIdentity | wc -l) calls, want 5"; return 1; }
  case "$keys" in
    ASIA*) [ "$(echo "$keys" | wc -l)" = 1 ] || { REASON="signed with several keys: $keys"; return 1; } ;;
    *) REASON="signed with '$keys', not the role's session key"; return 1 ;;
  esac
  echo "     boto3, AWS CLI v1 and v2, Node SDK v3 (container) and boto3 (IMDSv2): $ADMIN_ARN, signed with $keys"
}
# A role whose credentials last 965 s (moto honours DurationSeconds): the server hands
# them out with more than boto3's 15-minute window left, and renews them (AssumeRole
# with the cached MFA session, no code) when boto3 comes back a minute later. boto3
# calls once a second for 75 s and never sees an error or credentials inside its window.
server_renewal() {
  printf '[profile short]\nrole_arn = arn:aws:iam::123456789012:role/short\nsource_profile = default\nmfa_serial = %s\nduration_seconds = 965\n' \
    "$E2E_MFA_SERIAL" >>"$ROLES_HOME/.aws/config"
  moto_recorder_reset || { REASON="reset-recording failed"; return 1; }
  local out rc=0
  out=$(in_roles_home "$AWSCRED" exec --server --profile short -- \
    "$E2E_VENV/bin/python" "$E2E_HELPER" server-renewal "$MOTO_URL" 75 2>"$T/renewal.err") || rc=$?
  [ "$rc" = 0 ] || { REASON="exited $rc: $(show "$T/renewal.err")"; return 1; }
  [ "$out" = 2 ] || { REASON="boto3 was handed $out credentials, want 2 (one renewal)"; return 1; }
  [ "$(moto_count AssumeRole)" = 2 ] || { REASON="$(moto_count AssumeRole) AssumeRole calls, want 2"; return 1; }
  [ "$(moto_count GetSessionToken)" = 0 ] || { REASON="a GetSessionToken was made"; return 1; }
  [ "$(asked)" = 1 ] || { REASON="asked for a code again: $(asked) in all"; return 1; }
  [ ! -s "$T/renewal.err" ] || { REASON="stderr: $(show "$T/renewal.err")"; return 1; }
  echo "     75 s of boto3 calls: 2 credentials, 2 AssumeRole, 0 GetSessionToken, no code asked"
}
check "exec --server: boto3, AWS CLI v1/v2 and Node SDK v3 (container), boto3 (IMDSv2) get the role" server_consumers
check "exec --server over 965-second role credentials: boto3 sees one renewal, no error, never its refresh window" server_renewal
# ---- 15. rotate: moto's IAM and STS ----
# moto cannot authenticate GetSessionToken's credentials (its answer is a fixed
# example key no IAM user owns), so the rotation itself runs with auth checks off;
# what it leaves is then checked with them on: the old key is refused
# (InvalidClientTokenId), the new one signs.

rot_keys() { e2e_py access-keys "$MOTO_URL" awscred-rot; }
rot_stored_id() { sed -n '/^\[rot\]/,/^\[/s/^aws_access_key_id = //p' "$E2E_HOME/.aws/credentials"; }
rot_stored_secret() { sed -n '/^\[rot\]/,/^\[/s/^aws_secret_access_key = //p' "$E2E_HOME/.aws/credentials"; }
# rot_signs KEY SECRET STATUS: with auth on, GetSessionToken signed with KEY/SECRET gets STATUS.
rot_signs() {
  moto_auth_on || { REASON="reset-auth 0 failed"; return 1; }
  e2e_py raw-error "$MOTO_URL" "$1" "$2" >"$T/rot-raw" || { moto_auth_off; REASON="request failed"; return 1; }
  moto_auth_off || { REASON="reset-auth inf failed"; return 1; }
  [ "$(head -n1 "$T/rot-raw")" = "$3" ] || { REASON="signed with $1: $(show "$T/rot-raw"), want $3"; return 1; }
}
rot_setup() {
  moto_auth_off || { REASON="reset-auth inf failed"; return 1; }
  moto_setup_user awscred-rot ROT iam || { REASON="boto3 IAM setup failed"; return 1; }
  e2e_add_profile "$E2E_HOME" rot "$ROT_ACCESS_KEY_ID" "$ROT_SECRET_ACCESS_KEY" "$ROT_MFA_SERIAL"
  E2E_CACHE="$T/cache-rot"
  [ "$(rot_keys)" = "$ROT_ACCESS_KEY_ID" ] || { REASON="IAM lists: $(rot_keys | tr '\n' ' ')"; return 1; }
}
rot_ok() {
  cp "$E2E_HOME/.aws/credentials" "$T/rot-before"
  e2e_awscred "$T/rot1" rotate --profile rot --token-code 123456
  want_rc "$T/rot1" 0 || return 1
  ROT_NEW_ID=$(rot_stored_id)
  ROT_NEW_SECRET=$(rot_stored_secret)
  { [ -n "$ROT_NEW_ID" ] && [ "$ROT_NEW_ID" != "$ROT_ACCESS_KEY_ID" ]; } || { REASON="[rot] holds '$ROT_NEW_ID'"; return 1; }
  [ "$(rot_keys)" = "$ROT_NEW_ID" ] || { REASON="IAM lists $(rot_keys | tr '\n' ' '), want only $ROT_NEW_ID"; return 1; }
  # Only [rot]'s two key lines changed.
  local other
  other=$(diff "$T/rot-before" "$E2E_HOME/.aws/credentials" | grep '^[<>]' | grep -v -e "$ROT_ACCESS_KEY_ID" -e "$ROT_NEW_ID" \
    -e "$ROT_SECRET_ACCESS_KEY" -e "$ROT_NEW_SECRET" || true)
  [ -z "$other" ] || { REASON="other lines changed: $other"; return 1; }
}
rot_old_refused() { rot_signs "$ROT_ACCESS_KEY_ID" "$ROT_SECRET_ACCESS_KEY" 403 && grep -q InvalidClientTokenId "$T/rot-raw"; }
rot_new_works() { rot_signs "$ROT_NEW_ID" "$ROT_NEW_SECRET" 200; }
rot_mfa_new() {
  E2E_CACHE="$T/cache-rot2"
  moto_recorder_reset || { REASON="reset-recording failed"; return 1; }
  e2e_awscred "$T/rot-mfa" mfa --profile rot 123456
  want_rc "$T/rot-mfa" 0 || return 1
  [ "$(e2e_py signer "$MOTO_URL" GetSessionToken | cut -d' ' -f1)" = "$ROT_NEW_ID" ] || { REASON="GetSessionToken not signed with the new key"; return 1; }
}
# A failure injected after CreateAccessKey (debug builds: AWSCRED_DEBUG_ROTATE_FAIL=proof):
# the stored key is still the working one and IAM holds only it.
rot_fail_proof() {
  cp "$E2E_HOME/.aws/credentials" "$T/rot-before2"
  E2E_ENV=(AWSCRED_DEBUG_ROTATE_FAIL=proof)
  e2e_awscred "$T/rot2" rotate --profile rot --token-code 123456
  E2E_ENV=()
  want_rc "$T/rot2" 6 && want_err "$T/rot2" "is stored again" || return 1
  cmp -s "$T/rot-before2" "$E2E_HOME/.aws/credentials" || { REASON="the credentials file changed"; return 1; }
  [ "$(rot_keys)" = "$ROT_NEW_ID" ] || { REASON="IAM lists $(rot_keys | tr '\n' ' '), want only $ROT_NEW_ID"; return 1; }
  rot_signs "$ROT_NEW_ID" "$ROT_NEW_SECRET" 200
}
# The key in the encrypted file: rotated there, the credentials file untouched.
rot_store() {
  E2E_ENV=(AWSCRED_KEYS_PASSPHRASE=e2e-passphrase AWSCRED_KEY_STORE=file)
  e2e_awscred "$T/rot-add" keys add --profile rot
  want_rc "$T/rot-add" 0 || { E2E_ENV=(); return 1; }
  [ -z "$(rot_stored_id)" ] || { E2E_ENV=(); REASON="[rot] still holds a key"; return 1; }
  cp "$E2E_HOME/.aws/credentials" "$T/rot-before3"
  e2e_awscred "$T/rot3" rotate --profile rot --token-code 123456
  want_rc "$T/rot3" 0 || { E2E_ENV=(); return 1; }
  e2e_awscred "$T/rot-ls" keys ls
  E2E_ENV=()
  local id
  id=$(cut -f2 "$T/rot-ls.out")
  { [ "$(cut -f1,3 "$T/rot-ls.out")" = "rot	file" ] && [ "$id" != "$ROT_NEW_ID" ]; } || { REASON="keys ls: $(show "$T/rot-ls.out")"; return 1; }
  [ "$(rot_keys)" = "$id" ] || { REASON="IAM lists $(rot_keys | tr '\n' ' '), want only $id"; return 1; }
  cmp -s "$T/rot-before3" "$E2E_HOME/.aws/credentials" || { REASON="the credentials file changed"; return 1; }
  rot_signs "$ROT_NEW_ID" "$ROT_NEW_SECRET" 403
}
check "rotate: setup, an IAM user allowed its own access-key calls (auth checks off)" rot_setup
check "rotate --profile rot: exit 0, [rot] holds a new key, IAM lists only it" rot_ok
check "rotate: the old key is refused (auth checks on)" rot_old_refused
check "rotate: the new key signs (auth checks on)" rot_new_works
check "rotate: mfa afterwards signs GetSessionToken with the new key" rot_mfa_new
check "rotate with the proof failing after CreateAccessKey: the stored key still works, IAM holds only it" rot_fail_proof
check "rotate a key in the encrypted file: the file store holds the new key, IAM only it, the old one refused" rot_store
E2E_CACHE=""

# ---- 9. summary ----
summary
[ "$failed" -eq 0 ]
