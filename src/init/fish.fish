# awscred shell integration (fish): `awscred mfa`, `awscred export` and
# `awscred unset` change this shell directly. Other commands, --format, and
# --help pass through unchanged. Add to config.fish: awscred init fish | source
function awscred --wraps awscred --description 'awscred, changing this shell for mfa, export and unset'
    if not contains -- "$argv[1]" mfa export unset switch
        command awscred $argv
        return
    end
    if string match -q -r -- '^(-f|--format|-h$|--help$|-V$|--version$)' $argv
        command awscred $argv
        return
    end
    # AWSCRED_INIT: awscred then says on stderr which session this shell got.
    set -l __awscred_out (AWSCRED_INIT=1 command awscred $argv --format fish)
    or return
    string join \n -- $__awscred_out | source
end
