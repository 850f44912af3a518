# shellcheck shell=bash
# Shared by tests/e2e/moto.sh and scripts/demo: a Python venv with moto, boto3 and the
# AWS CLI, a moto server on a free loopback port, an IAM user with an MFA device, a
# throwaway HOME for awscred. Source it; it defines functions and a few variables only.
#
# Everything talks to 127.0.0.1: no real AWS endpoint is ever contacted.
#
# Needs: python3 with the venv module (Debian: python3-venv), curl, cargo.

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E_HELPER="$E2E_ROOT/tests/e2e/moto_helper.py"
# Cargo's target directory, as cargo finds it from the repository (where these
# scripts run it): CARGO_TARGET_DIR, relative to the repository if relative, else target/.
E2E_TARGET=${CARGO_TARGET_DIR:-target}
case $E2E_TARGET in
  /*) ;;
  *) E2E_TARGET=$E2E_ROOT/$E2E_TARGET ;;
esac
E2E_VENV=${AWSCRED_E2E_VENV:-$E2E_TARGET/e2e-venv}
# What the venv holds (exact versions, as verified; changing them reinstalls).
# moto 5 has the recorder and reset-auth APIs used here; aws-mfa reads back what
# --write-profile leaves in its sections.
E2E_REQUIREMENTS=("moto[server]==5.2.5" "boto3==1.44.5" "botocore==1.44.5" "awscli==1.46.3" "aws-mfa==0.0.12")
# The Node SDK v3's credential providers, in a node_modules beside the venv.
E2E_NODE=${AWSCRED_E2E_NODE:-$(dirname "$E2E_VENV")/e2e-node}
E2E_NODE_PACKAGES=("@aws-sdk/credential-provider-process@3.972.84" "@aws-sdk/credential-provider-env@3.972.84" "@aws-sdk/client-sts@3.1173.0")
E2E_PIDS=()    # processes we started, stopped by e2e_cleanup
E2E_TMP=""     # scratch dir, removed by e2e_cleanup
# Read by e2e_awscred: the HOME, the STS endpoint and (optional) cache dir awscred gets.
# shellcheck disable=SC2034
E2E_HOME="" E2E_STS="" E2E_CACHE=""
# Extra NAME=VALUE pairs e2e_awscred passes (rotate's knobs, a passphrase).
E2E_ENV=()

e2e_log() { printf '%s\n' "$*" >&2; }

# Create (once) and reuse the venv in the target directory (target/ is gitignored). A
# stamp file written after a successful install marks it complete; a half-built venv
# is rebuilt.
e2e_venv() {
  local stamp="$E2E_VENV/.awscred-e2e-stamp" want
  want=$(printf '%s\n' "${E2E_REQUIREMENTS[@]}")
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$E2E_VENV/bin/moto_server" ]; then
    return 0
  fi
  e2e_log "e2e: creating the Python venv in $E2E_VENV (moto, boto3, awscli; takes a minute once)"
  rm -rf "$E2E_VENV"
  local log
  log=$(mktemp)
  if ! python3 -m venv "$E2E_VENV" >"$log" 2>&1; then
    cat "$log" >&2
    e2e_log "e2e: python3 -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)"
    rm -f "$log"
    return 1
  fi
  if ! { "$E2E_VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip &&
    "$E2E_VENV/bin/python" -m pip install -q --disable-pip-version-check "${E2E_REQUIREMENTS[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    e2e_log "e2e: pip install failed"
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
  printf '%s\n' "$want" >"$stamp"
}

# Install (once) the Node SDK packages into $E2E_NODE/node_modules, like e2e_venv.
e2e_node() {
  local stamp="$E2E_NODE/.awscred-e2e-stamp" want log
  want=$(printf '%s\n' "${E2E_NODE_PACKAGES[@]}")
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  e2e_log "e2e: installing the Node SDK credential providers in $E2E_NODE"
  rm -rf "$E2E_NODE"
  mkdir -p "$E2E_NODE"
  log=$(mktemp)
  if ! npm install --prefix "$E2E_NODE" --no-audit --no-fund --loglevel=error "${E2E_NODE_PACKAGES[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    e2e_log "e2e: npm install failed"
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
  printf '%s\n' "$want" >"$stamp"
}

e2e_py() { "$E2E_VENV/bin/python" "$E2E_HELPER" "$@"; }

# Build awscred unless AWSCRED_BIN names a binary; sets AWSCRED.
e2e_build() {
  if [ -n "${AWSCRED_BIN:-}" ]; then
    AWSCRED=$AWSCRED_BIN
  else
    # The demo shows cargo's progress (a first build takes minutes); the suite does not.
    local quiet=--quiet
    [ -n "${E2E_BUILD_PROGRESS:-}" ] && quiet=""
    (cd "$E2E_ROOT" && cargo build $quiet) || return 1
    AWSCRED="$E2E_TARGET/debug/awscred"
  fi
  [ -x "$AWSCRED" ] || { e2e_log "e2e: $AWSCRED is not an executable"; return 1; }
}

e2e_tmp() {
  E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/awscred-e2e.XXXXXX")
}

# Stop what we started (by pid) and remove the scratch dir. Safe to call twice.
e2e_cleanup() {
  local pid _
  for pid in "${E2E_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  E2E_PIDS=()
  if [ -n "$E2E_TMP" ] && [ -z "${AWSCRED_E2E_KEEP:-}" ]; then
    rm -rf "$E2E_TMP"
  elif [ -n "$E2E_TMP" ]; then
    e2e_log "e2e: kept $E2E_TMP"
  fi
  E2E_TMP=""
}

# Start moto_server on 127.0.0.1 on a free port and wait until it answers.
# Sets MOTO_URL and MOTO_PID; its log is $E2E_TMP/moto.log, its recording
# (recorder API) goes to $E2E_TMP/moto_recording. Auth checks start off (moto's default).
moto_start() {
  local attempt port _
  for attempt in 1 2 3; do
    port=$(e2e_py free-port) || return 1
    MOTO_RECORDER_FILEPATH="$E2E_TMP/moto_recording" \
      "$E2E_VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$E2E_TMP/moto.log" 2>&1 </dev/null &
    MOTO_PID=$!
    E2E_PIDS+=("$MOTO_PID")
    MOTO_URL="http://127.0.0.1:$port"
    for _ in $(seq 150); do
      if curl -sf -o /dev/null --max-time 2 "$MOTO_URL/moto-api/data.json"; then
        return 0
      fi
      kill -0 "$MOTO_PID" 2>/dev/null || break   # died: port taken meanwhile? try another
      sleep 0.2
    done
    e2e_log "e2e: moto_server on port $port did not answer (attempt $attempt):"
    tail -n 20 "$E2E_TMP/moto.log" >&2 || true
    kill "$MOTO_PID" 2>/dev/null || true
    wait "$MOTO_PID" 2>/dev/null || true
  done
  return 1
}

# POST to moto's own API: moto_api PATH [BODY]
moto_api() {
  curl -sf --max-time 10 -X POST -H 'Content-Type: text/plain' --data "${2-}" "$MOTO_URL/moto-api/$1"
}

# Auth checks: moto verifies signatures, access keys and IAM policies once it has served
# INITIAL_NO_AUTH_ACTION_COUNT requests. POST /moto-api/reset-auth sets that count to the
# body (a float, so "inf" works) and zeroes the request counter:
# "0" = check every request from now on, "inf" = never check (moto's default).
moto_auth_on() { moto_api reset-auth 0 >/dev/null; }
moto_auth_off() { moto_api reset-auth inf >/dev/null; }

# The recorder appends each request (method, url, headers, body) to MOTO_RECORDER_FILEPATH
# while on; /moto-api/recorder/* calls themselves are not recorded.
moto_recorder_start() { moto_api recorder/start-recording >/dev/null && moto_api recorder/reset-recording >/dev/null; }
moto_recorder_reset() { moto_api recorder/reset-recording >/dev/null; }
moto_count() { e2e_py count "$MOTO_URL" "$1"; }

# Create IAM user NAME (policy allowing sts:*, access key, enabled virtual MFA device).
# Sets E2E_ACCESS_KEY_ID, E2E_SECRET_ACCESS_KEY, E2E_MFA_SERIAL, E2E_USER_ARN
# (PREFIX_… instead with a second argument; a third, `iam`, also allows the
# user's own access-key calls).
moto_setup_user() {
  local out
  out=$(e2e_py setup-user "$MOTO_URL" "$1" "${2:-E2E}" "${3:-}") || return 1
  eval "$out"
}

# Write HOME/.aws/{config,credentials}: profile `default` with the user's keys and
# mfa_serial. Extra profiles: e2e_add_profile.
e2e_write_home() {
  local home=$1
  mkdir -p "$home/.aws"
  : >"$home/.aws/config"
  : >"$home/.aws/credentials"
  chmod 600 "$home/.aws/credentials"
  e2e_add_profile "$home" default "$E2E_ACCESS_KEY_ID" "$E2E_SECRET_ACCESS_KEY" "$E2E_MFA_SERIAL"
}

# e2e_add_profile HOME NAME KEY SECRET [MFA_SERIAL]
e2e_add_profile() {
  local home=$1 name=$2 key=$3 secret=$4 serial=${5:-} section
  if [ "$name" = default ]; then section="[default]"; else section="[profile $name]"; fi
  {
    echo "$section"
    echo "region = us-east-1"
    [ -z "$serial" ] || echo "mfa_serial = $serial"
  } >>"$home/.aws/config"
  {
    echo "[$name]"
    echo "aws_access_key_id = $key"
    echo "aws_secret_access_key = $secret"
  } >>"$home/.aws/credentials"
}

# Run awscred in a clean environment, without a terminal (setsid, stdin /dev/null):
#   E2E_HOME=… E2E_STS=URL e2e_awscred OUTPREFIX ARGS…
# Writes OUTPREFIX.out, OUTPREFIX.err, OUTPREFIX.rc; returns 0.
e2e_awscred() {
  local prefix=$1 rc=0
  shift
  env -i HOME="$E2E_HOME" PATH="$PATH" \
    AWSCRED_CACHE_DIR="${E2E_CACHE:-$E2E_HOME/cache}" \
    AWS_ENDPOINT_URL_STS="$E2E_STS" AWS_ENDPOINT_URL_IAM="$E2E_STS" AWSCRED_TIMEOUT=20 \
    ${E2E_ENV[@]+"${E2E_ENV[@]}"} \
    setsid -w "$AWSCRED" "$@" </dev/null >"$prefix.out" 2>"$prefix.err" || rc=$?
  echo "$rc" >"$prefix.rc"
}
