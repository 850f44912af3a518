#!/usr/bin/env bash
# The README's install lines and shell-integration lines, run as written in a
# clean HOME: the blocks marked `<!-- readme-test: NAME -->` and the `init`
# table. Two stand-ins, both for the network: `curl -fLO URL` copies the
# archive scripts/dist built (the host's target for the README's), and
# `cargo install` reuses the release build (CARGO_TARGET_DIR) and installs
# under a scratch CARGO_INSTALL_ROOT, not the developer's ~/.cargo/bin.
# Needs tests/dist.sh's artefacts (scripts/test runs it first), man-db.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
target_dir=${CARGO_TARGET_DIR:-target}
case "$target_dir" in /*) ;; *) target_dir=$repo/$target_dir ;; esac
dist=$target_dir/dist
version=$(sed -n '/^\[package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
host=$(rustc -vV | sed -n 's/^host: //p')
fail() { echo "tests/readme.sh: $*" >&2; exit 1; }

# block NAME: the sh block after the marker.
block() {
  awk -v m="<!-- readme-test: $1 -->" '$0 == m { on = 1; next } on && /^```sh$/ { body = 1; next } body && /^```$/ { exit } body' README.md
}
[ -n "$(block install-archive)" ] || fail "README has no install-archive block"
block install-archive | grep -q "v$version/awscred-$version-" ||
  fail "the README's install lines are not for version $version (Cargo.toml): update them"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# The toolchain stays the developer's (rustup finds it through RUSTUP_HOME).
[ -d "$HOME/.rustup" ] && export RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}
export HOME=$scratch/home
mkdir -p "$HOME"
cargo_bin=$(dirname "$(command -v cargo)")
export CARGO_HOME=${CARGO_HOME:-$(dirname "$cargo_bin")}
export CARGO_TARGET_DIR=$target_dir
export PATH="$HOME/.local/bin:$scratch/cargo/bin:$cargo_bin:/usr/local/bin:/usr/bin:/bin"
unset MANPATH XDG_DATA_HOME XDG_CACHE_HOME AWS_PROFILE

# From source.
(cd "$repo" && CARGO_INSTALL_ROOT=$scratch/cargo bash -euo pipefail -c "$(block install-source)") ||
  fail "the from-source install lines failed"
[ "$(command -v awscred)" = "$scratch/cargo/bin/awscred" ] || fail "cargo install did not put awscred on PATH"
MANPATH="$HOME/.local/share/man:" man -w awscred | grep -qx "$HOME/.local/share/man/man1/awscred.1" ||
  fail "man does not find the page with the README's MANPATH"
awscred man | man -l - 2>/dev/null | grep -q "keys export" || fail "awscred man | man -l - shows no page"
bash -n "$HOME/.local/share/bash-completion/completions/awscred" || fail "the installed bash completion does not parse"

# From the release archive, as a user without Rust: the README's lines, the
# archive copied from dist/ instead of downloaded, for this machine's target.
rm -rf "$HOME/.local" "$scratch/cargo"
lines=$(block install-archive | sed -E "s#^curl -fLO .*/([^/]+)\$#cp '$dist/\1' .#; s#awscred-$version-x86_64-unknown-linux-musl#awscred-$version-$host#g")
mkdir -p "$scratch/download"
(cd "$scratch/download" && bash -euo pipefail -c "$lines") || fail "the release-archive install lines failed"
[ "$(command -v awscred)" = "$HOME/.local/bin/awscred" ] || fail "the archive's awscred is not on PATH"
awscred --version | grep -qx "awscred $version" || fail "the installed awscred is not $version"
MANPATH="$HOME/.local/share/man:" man -w awscred >/dev/null || fail "man does not find the archive's page"

# The init lines of the shell-integration table, in each shell: afterwards
# `awscred` is the wrapper function.
row() { grep -F "| $1 (" README.md | sed -E 's/.*\| `(.*)` \|$/\1/; s/\\\|/|/g'; }
bash --noprofile --norc -c "$(row bash); declare -F awscred >/dev/null" || fail "the bash init line does not define awscred"
zsh -f -c "$(row zsh); whence -w awscred | grep -q function" || fail "the zsh init line does not define awscred"
fish --no-config -c "$(row fish); functions -q awscred" || fail "the fish init line does not define awscred"
echo "tests/readme.sh: ok" >&2
