# awscred shell integration (PowerShell): `awscred mfa`, `awscred export` and
# `awscred unset` change this session directly. Other commands, --format, and
# --help pass through unchanged.
# Add to $PROFILE: Invoke-Expression (& awscred init powershell | Out-String)
function awscred {
    $exe = Get-Command -Name awscred -CommandType Application -ErrorAction Stop | Select-Object -First 1
    $passthrough = ($args.Count -eq 0) -or (@('mfa', 'export', 'unset', 'switch') -notcontains $args[0]) -or
        ($args | Where-Object { "$_" -match '^(-f|--format|-h$|--help$|-V$|--version$)' })
    if ($passthrough) {
        & $exe @args
        return
    }
    # AWSCRED_INIT: awscred then says on stderr which session this shell got.
    $Env:AWSCRED_INIT = '1'
    try { $out = & $exe @args --format powershell } finally { Remove-Item -LiteralPath Env:AWSCRED_INIT -ErrorAction SilentlyContinue }
    if ($LASTEXITCODE -ne 0) {
        throw "awscred failed (exit $LASTEXITCODE): see the message above"
    }
    Invoke-Expression (($out | Out-String))
}
