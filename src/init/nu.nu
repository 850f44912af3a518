# awscred shell integration (Nushell): `awscred mfa`, `awscred export` and
# `awscred unset` change this shell's environment directly. Other commands,
# --format, and --help pass through unchanged. Nushell has no eval: save this
# where it is sourced at startup. Add to config.nu:
#   mkdir ($nu.user-autoload-dirs | first)
#   awscred init nu | save -f ($nu.user-autoload-dirs | first | path join awscred.nu)
def --env --wrapped awscred [...args: string] {
    let passthrough = ($args | is-empty) or ($args.0 not-in [mfa export unset switch]) or ($args | any {|a| $a =~ '^(-f|--format|-h$|--help$|-V$|--version$)' })
    # The last expression of each branch, so passthrough output streams (a
    # terminal stays a terminal) and pipes like the program's own.
    if $passthrough {
        ^awscred ...$args
    } else {
        # A failing awscred stops here: its exit status is an error, and its
        # failure line is not JSON.
        # AWSCRED_INIT: awscred then says on stderr which session this shell got.
        let update = with-env { AWSCRED_INIT: '1' } { ^awscred ...$args --format nu } | from json
        let gone = $update | columns | where {|k| ($update | get $k) == null }
        hide-env --ignore-errors ...$gone
        load-env ($update | reject ...$gone)
    }
}
