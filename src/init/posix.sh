# awscred shell integration (bash, zsh): `awscred mfa`, `awscred export`,
# `awscred switch` and `awscred unset` change this shell directly. Other commands, --format, and
# --help pass through unchanged. Add to your rc file: eval "$(awscred init SHELL)"
awscred() {
  case "${1-}" in
    mfa | export | unset | switch) ;;
    *)
      command awscred "$@"
      return
      ;;
  esac
  local __awscred_arg __awscred_out
  for __awscred_arg in "$@"; do
    case "$__awscred_arg" in
      -f* | --format* | -h | --help | -V | --version)
        command awscred "$@"
        return
        ;;
    esac
  done
  # AWSCRED_INIT: awscred then says on stderr which session this shell got.
  __awscred_out="$(AWSCRED_INIT=1 command awscred "$@" --format env)" || return
  eval "$__awscred_out"
}
