#!/usr/bin/env bash
# The release artefacts as a user gets them: scripts/dist builds them, then
# the .deb is checked by lintian (no errors) and installed into a scratch root
# (dpkg -x), where the binary runs, the man page goes through groff with
# warnings on (none allowed) and each completion file through its shell's
# parser; the archive holds what the README says, SHA256SUMS verifies and
# the Homebrew formula parses. Run by scripts/test (Debian: dpkg, lintian,
# groff, ruby, dpkg-dev for dpkg-shlibdeps).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
scripts/dist
target_dir=${CARGO_TARGET_DIR:-target}
case "$target_dir" in /*) ;; *) target_dir=$PWD/$target_dir ;; esac
dist=$target_dir/dist
version=$(sed -n '/^\[package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
arch=$(dpkg --print-architecture)
host=$(rustc -vV | sed -n 's/^host: //p')
deb=$dist/awscred_${version}_$arch.deb
tgz=$dist/awscred-$version-$host.tar.gz
fail() { echo "tests/dist.sh: $*" >&2; exit 1; }
[ -f "$deb" ] || fail "no $deb"
[ -f "$tgz" ] || fail "no $tgz"

echo "tests/dist.sh: lintian $(basename "$deb")" >&2
lintian --fail-on error --tag-display-limit 0 "$deb" >&2 || fail "lintian reports errors"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
root=$scratch/root
dpkg -x "$deb" "$root"
for f in usr/bin/awscred usr/share/man/man1/awscred.1.gz \
  usr/share/bash-completion/completions/awscred usr/share/zsh/vendor-completions/_awscred \
  usr/share/fish/vendor_completions.d/awscred.fish usr/share/doc/awscred/copyright; do
  [ -f "$root/$f" ] || fail "the .deb has no /$f"
done
[ -x "$root/usr/bin/awscred" ] || fail "/usr/bin/awscred is not executable"
"$root/usr/bin/awscred" --version | grep -qx "awscred $version" || fail "the installed binary does not say version $version"
# The installed binary works in a clean HOME: unset needs no files.
HOME=$scratch/home "$root/usr/bin/awscred" unset --format env | grep -q '^unset AWS_SESSION_TOKEN$' ||
  fail "the installed binary does not print unset lines"

warnings=$(zcat "$root/usr/share/man/man1/awscred.1.gz" | groff -ww -man -Tutf8 -z 2>&1) || fail "groff failed: $warnings"
[ -z "$warnings" ] || fail "groff -ww warns about the man page: $warnings"
man_text=$(zcat "$root/usr/share/man/man1/awscred.1.gz" | groff -man -Tutf8 -P-cbou 2>/dev/null)
grep -q "keys export" <<<"$man_text" || fail "the man page does not document keys export"

bash -n "$root/usr/share/bash-completion/completions/awscred" || fail "bash rejects the bash completion"
zsh -n "$root/usr/share/zsh/vendor-completions/_awscred" || fail "zsh rejects the zsh completion"
fish --no-execute "$root/usr/share/fish/vendor_completions.d/awscred.fish" || fail "fish rejects the fish completion"
# Loaded, each offers the subcommands.
bash -c ". '$root/usr/share/bash-completion/completions/awscred'; COMP_WORDS=(awscred ke); COMP_CWORD=1; _awscred_profiles awscred ke awscred; printf '%s\n' \"\${COMPREPLY[@]}\"" |
  grep -qx keys || fail "the bash completion does not complete keys"
fish --no-config -c "source '$root/usr/share/fish/vendor_completions.d/awscred.fish'; complete -C 'awscred ke'" |
  grep -q '^keys' || fail "the fish completion does not complete keys"

listing=$(tar -tzf "$tgz" | sort)
for f in awscred awscred.1 LICENSE README.md completions/awscred.bash completions/_awscred \
  completions/awscred.fish completions/_awscred.ps1 completions/awscred.elv; do
  grep -qx "awscred-$version-$host/$f" <<<"$listing" || fail "$(basename "$tgz") has no $f"
done
tar -xzf "$tgz" -C "$scratch"
cmp "$scratch/awscred-$version-$host/awscred" "$root/usr/bin/awscred" || fail "the archive and the .deb hold different binaries"
(cd "$dist" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not verify"
for f in "$dist"/*.tar.gz "$dist"/*.deb "$dist"/awscred.rb; do
  grep -q " $(basename "$f")\$" "$dist/SHA256SUMS" || fail "SHA256SUMS does not cover $(basename "$f")"
done
ruby -c "$dist/awscred.rb" >/dev/null || fail "awscred.rb is not valid Ruby"
sum=$(sha256sum "$tgz" | cut -d' ' -f1)
grep -q "sha256 \"$sum\"" "$dist/awscred.rb" || fail "awscred.rb does not carry the archive's checksum"
grep -q "releases/download/v$version/$(basename "$tgz")\"" "$dist/awscred.rb" || fail "awscred.rb does not point at the archive"

echo "tests/dist.sh: ok in $((SECONDS - started)) s: $(du -k "$deb" | cut -f1) KiB .deb, $(du -k "$tgz" | cut -f1) KiB archive" >&2
