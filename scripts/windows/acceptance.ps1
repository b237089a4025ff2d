# cordon acceptance tests for a real Windows machine (stage 1, unelevated sandbox).
# Wine cannot run these: it does not enforce ACLs or restricted tokens.
#
#   powershell -ExecutionPolicy Bypass -File scripts\windows\acceptance.ps1 -Cordon .\build\cordon.exe
#
# Each case runs a command through `cordon run` and checks the outcome from outside
# the sandbox. Prints PASS/FAIL/SKIP per case and ends with "N passed, N failed".
# Run as a normal (unelevated) user. It creates and removes %USERPROFILE%\cordon_acceptance.
param(
  [string]$Cordon = "cordon.exe",
  [int]$TimeoutSeconds = 60
)
$ErrorActionPreference = 'Continue'
$script:pass = 0; $script:fail = 0; $script:skip = 0

function Report([string]$name, [bool]$ok, [string]$detail = '') {
  if ($ok) { $script:pass++; Write-Host "PASS  $name" }
  else { $script:fail++; Write-Host "FAIL  $name $detail" }
}
function Skip([string]$name, [string]$why) { $script:skip++; Write-Host "SKIP  $name ($why)" }

# Runs `cordon run <flags> -- cmd /c <command>` in $Dir; returns the exit code.
function Sbx([string]$Dir, [string[]]$Flags, [string]$Command) {
  Push-Location $Dir
  try {
    $args = @('run') + $Flags + @('--', 'cmd.exe', '/d', '/c', $Command)
    $p = Start-Process -FilePath $Cordon -ArgumentList $args -NoNewWindow -PassThru -Wait `
           -RedirectStandardOutput "$env:TEMP\cordon_acc_out.txt" -RedirectStandardError "$env:TEMP\cordon_acc_err.txt"
    return $p.ExitCode
  } finally { Pop-Location }
}
function SbxPs([string]$Dir, [string[]]$Flags, [string]$Script) {
  Push-Location $Dir
  try {
    & $Cordon run @Flags -- powershell.exe -NoProfile -NonInteractive -Command $Script *> $null
    return $LASTEXITCODE
  } finally { Pop-Location }
}
function Content([string]$Path) { if (Test-Path -LiteralPath $Path) { Get-Content -Raw -LiteralPath $Path } else { $null } }

# --- fixture -----------------------------------------------------------------------
$root = Join-Path $env:USERPROFILE 'cordon_acceptance'
if (Test-Path $root) { cmd /c "rmdir /s /q `"$root`"" | Out-Null }
$ws = Join-Path $root 'ws'; $wsB = Join-Path $root 'wsb'; $outside = Join-Path $root 'outside'
$extra = Join-Path $root 'extra'; $ww = Join-Path $root 'world_writable'
New-Item -ItemType Directory -Force $ws, $wsB, $outside, $extra, $ww, "$ws\.git\hooks", "$ws\.vscode" | Out-Null
Set-Content "$ws\.git\config" '[core]'
Set-Content "$ws\.vscode\settings.json" '{}'
Set-Content "$outside\keep.txt" 'original'
Set-Content "$outside\victim.txt" 'victim'
Set-Content "$ws\existing.txt" 'one'
icacls $ww /grant '*S-1-1-0:(OI)(CI)F' | Out-Null
$ws_ww = Join-Path $root 'ws_ww'; New-Item -ItemType Directory -Force $ws_ww | Out-Null

# --- writes in and out of the workspace -------------------------------------------
Report 'WS: write in workspace allowed' ((Sbx $ws @() 'echo x> new.txt') -eq 0 -and (Test-Path "$ws\new.txt"))
Report 'WS: write outside denied' ((Sbx $ws @() "echo x> `"$outside\new.txt`"") -ne 0 -and -not (Test-Path "$outside\new.txt"))
Report 'RO: write in workspace denied' ((Sbx $ws @('--mode', 'read-only') 'echo x> ro.txt') -ne 0 -and -not (Test-Path "$ws\ro.txt"))
Report 'WS: extra writable root allowed' ((Sbx $ws @('--writable', $extra) "echo x> `"$extra\x.txt`"") -eq 0 -and (Test-Path "$extra\x.txt"))
Report 'WS: extra root not writable without --writable' ((Sbx $ws @() "echo x> `"$extra\y.txt`"") -ne 0 -and -not (Test-Path "$extra\y.txt"))
Report 'WS: private TEMP writable' ((Sbx $ws @() 'echo x> "%TEMP%\t.txt"') -eq 0)
$hostTemp = [IO.Path]::GetTempPath()
Report 'WS --tmp host: TEMP writable' ((Sbx $ws @('--tmp', 'host') "echo x> `"$hostTemp\cordon_acc_host.txt`"") -eq 0)
Report 'RO: host TEMP denied' ((Sbx $ws @('--mode', 'read-only') "echo x> `"$hostTemp\cordon_acc_ro.txt`"") -ne 0 -and -not (Test-Path "$hostTemp\cordon_acc_ro.txt"))
Report 'WS: append allowed' ((Sbx $ws @() 'echo two>> existing.txt') -eq 0 -and ((Content "$ws\existing.txt") -match 'two'))
Report 'WS: append outside denied' ((Sbx $ws @() "echo bad>> `"$outside\keep.txt`"") -ne 0 -and ((Content "$outside\keep.txt").Trim() -eq 'original'))
Report 'WS: mkdir + write allowed' ((Sbx $ws @() 'mkdir d1\d2 && echo x> d1\d2\f.txt') -eq 0 -and (Test-Path "$ws\d1\d2\f.txt"))
Report 'WS: rename allowed' ((Sbx $ws @() 'ren new.txt renamed.txt') -eq 0 -and (Test-Path "$ws\renamed.txt"))
Report 'WS: delete allowed' ((Sbx $ws @() 'del renamed.txt') -eq 0 -and -not (Test-Path "$ws\renamed.txt"))
Report 'WS: delete outside denied' (((Sbx $ws @() "del `"$outside\victim.txt`"") -ge 0) -and (Test-Path "$outside\victim.txt"))
Report 'WS: move outside file into workspace denied' (((Sbx $ws @() "move /y `"$outside\victim.txt`" stolen.txt") -ge 0) -and (Test-Path "$outside\victim.txt"))
Report 'WS: icacls on outside file denied' (((Sbx $ws @() "icacls `"$outside\keep.txt`" /grant *S-1-1-0:F") -ne 0))

if (Get-Command python -ErrorAction SilentlyContinue) {
  Report 'WS: python write allowed' ((Sbx $ws @() 'python -c "open(''py.txt'',''w'').write(''x'')"') -eq 0 -and (Test-Path "$ws\py.txt"))
  Report 'RO: python write denied' ((Sbx $ws @('--mode', 'read-only') 'python -c "open(''py2.txt'',''w'').write(''x'')"') -ne 0 -and -not (Test-Path "$ws\py2.txt"))
} else { Skip 'python writes' 'python not on PATH' }
Report 'WS: PowerShell Set-Content allowed' ((SbxPs $ws @() "Set-Content ps.txt x") -eq 0 -and (Test-Path "$ws\ps.txt"))
Report 'RO: PowerShell Set-Content denied' (-not (Test-Path "$ws\ps_ro.txt") -and ((SbxPs $ws @('--mode', 'read-only') "Set-Content ps_ro.txt x; exit [int](-not `$?)") -ge 0) -and -not (Test-Path "$ws\ps_ro.txt"))
Report 'WS: PowerShell WriteAllBytes outside denied' (((SbxPs $ws @() "[IO.File]::WriteAllBytes('$outside\b.bin', [byte[]](1,2))") -ge 0) -and -not (Test-Path "$outside\b.bin"))

# --- protected paths ----------------------------------------------------------------
Report 'WS: .git\config write denied' ((Sbx $ws @() 'echo x>> .git\config') -ne 0 -and ((Content "$ws\.git\config").Trim() -eq '[core]'))
Report 'WS: .GiT\CONFIG case variant denied' ((Sbx $ws @() 'echo x>> .GiT\CONFIG') -ne 0)
Report 'WS: .git.\config trailing dot denied' ((Sbx $ws @() 'echo x>> .git.\config') -ne 0)
Report 'WS: .git\hooks\pre-commit create denied' ((Sbx $ws @() 'echo x> .git\hooks\pre-commit') -ne 0 -and -not (Test-Path "$ws\.git\hooks\pre-commit"))
$short = (cmd /c "for %I in (`"$ws\.git`") do @echo %~sI").Trim()
if ($short -and $short -ne "$ws\.git") {
  Report 'WS: .git via 8.3 short name denied' ((Sbx $ws @() "echo x>> `"$short\config`"") -ne 0)
} else { Skip '.git via 8.3 name' '8.3 names disabled on this volume' }
Report 'WS: ADS on .git\config denied' ((Sbx $ws @() 'echo x> .git\config:evil') -ne 0)
Report 'WS: ADS on outside file denied' ((Sbx $ws @() "echo x> `"$outside\keep.txt:evil`"") -ne 0)
Report 'WS: .vscode write denied' ((Sbx $ws @() 'echo x>> .vscode\settings.json') -ne 0)
Report 'WS: delete .git\config denied' (((Sbx $ws @() 'del .git\config') -ge 0) -and (Test-Path "$ws\.git\config"))
# Absent protected names: empty placeholders carry the deny ACEs (and stay after the run).
Report 'WS: .claude placeholder created' (Test-Path -PathType Container "$ws\.claude")
Report 'WS: create in absent .claude denied' ((Sbx $ws @() 'echo x> .claude\settings.json') -ne 0 -and -not (Test-Path "$ws\.claude\settings.json"))
Report 'WS: replacing .claude denied' (((Sbx $ws @() 'rmdir .claude & move existing.txt .claude') -ge 0) -and (Test-Path -PathType Container "$ws\.claude"))
Report 'WS: files at the root still creatable' ((Sbx $ws @() 'echo x> claude.md') -eq 0 -and (Test-Path "$ws\claude.md"))
$noGit = Join-Path $root 'nogit'; New-Item -ItemType Directory -Force $noGit | Out-Null
Report 'WS: missing .git stays creatable (git init)' ((Sbx $noGit @() 'mkdir .git && echo [core]> .git\config') -eq 0 -and (Test-Path "$noGit\.git\config"))
# Non-ASCII arguments (wmain): a Unicode file name created inside the workspace.
$uni = "h$([char]0xE9)llo-$([char]0x436)"
Report 'WS: non-ASCII argument reaches the command' ((Sbx $ws @() "echo x> $uni.txt") -eq 0 -and (Test-Path -LiteralPath "$ws\$uni.txt"))
$capFile = Join-Path $env:LOCALAPPDATA 'cordon\capability-sids.json'
$capBefore = Content $capFile
Report 'WS: capability-SID file tamper denied' (((Sbx $ws @() "echo x> `"$capFile`"") -ne 0) -and ((Content $capFile) -eq $capBefore))

# --- links, devices, prefixes ------------------------------------------------------------
cmd /c "mklink /J `"$ws\out_j`" `"$outside`"" | Out-Null
Report 'WS: junction to outside denied' ((Sbx $ws @() 'echo x> out_j\j.txt') -ne 0 -and -not (Test-Path "$outside\j.txt"))
cmd /c "mklink /J `"$ws\sys_link`" `"$env:SystemRoot`"" | Out-Null
Report 'WS: junction into Windows denied' ((Sbx $ws @() 'echo x> sys_link\System32\cordon_evil.txt') -ne 0)
$junctionCwd = Join-Path $root 'cwd_junction'
cmd /c "mklink /J `"$junctionCwd`" `"$outside`"" | Out-Null
Report 'WS: cwd junction to outside refused' ((Sbx $junctionCwd @() 'echo x> cwdj.txt') -ne 0 -and -not (Test-Path "$outside\cwdj.txt"))
cmd /c "mklink /D `"$ws\sym_out`" `"$outside`"" 2>$null | Out-Null
if (Test-Path "$ws\sym_out") {
  Report 'WS: symlink to outside denied' ((Sbx $ws @() 'echo x> sym_out\s.txt') -ne 0 -and -not (Test-Path "$outside\s.txt"))
  cmd /c "mklink /D `"$ws\unc_link`" `"\\localhost\C$\Users`"" 2>$null | Out-Null
  if (Test-Path "$ws\unc_link") { Report 'WS: UNC link escape denied' ((Sbx $ws @() "echo x> unc_link\$env:USERNAME\cordon_acceptance\outside\u.txt") -ne 0 -and -not (Test-Path "$outside\u.txt")) }
  else { Skip 'UNC link' 'admin share not reachable' }
  $other = Get-PSDrive -PSProvider FileSystem | Where-Object { $_.Root -ne "$env:SystemDrive\" -and $_.Free -gt 0 } | Select-Object -First 1
  if ($other) {
    cmd /c "mklink /D `"$ws\drive_link`" `"$($other.Root)`"" 2>$null | Out-Null
    Report 'WS: other-drive link escape denied' ((Sbx $ws @() 'echo x> drive_link\cordon_evil.txt') -ne 0)
  } else { Skip 'other-drive link' 'no second drive' }
} else { Skip 'symlink cases' 'no SeCreateSymbolicLinkPrivilege (enable Developer Mode)' }
Report 'WS: \\?\ long-path escape denied' ((Sbx $ws @() "echo x> `"\\?\$outside\long.txt`"") -ne 0 -and -not (Test-Path "$outside\long.txt"))
Report 'WS: \\.\ device-path escape denied' ((Sbx $ws @() "echo x> `"\\.\$outside\dev.txt`"") -ne 0 -and -not (Test-Path "$outside\dev.txt"))
Report 'WS: raw disk read denied' ((Sbx $ws @() 'type \\.\PhysicalDrive0 > nul') -ne 0)
Report 'WS: named pipe creation denied' ((Sbx $ws @() 'echo x> \\.\pipe\cordon_acceptance_pipe') -ne 0)
Report 'WS: NUL stays writable' ((Sbx $ws @() 'echo x> nul') -eq 0)

# --- world-writable directories, isolation, timeouts, cleanup ----------------------------
Report 'WS: world-writable dir outside denied' ((Sbx $ws @() "echo x> `"$ww\w.txt`"") -ne 0 -and -not (Test-Path "$ww\w.txt"))
Report 'RO: world-writable dir denied' ((Sbx $ws @('--mode', 'read-only') "echo x> `"$ww\r.txt`"") -ne 0 -and -not (Test-Path "$ww\r.txt"))
Sbx $wsB @() 'echo x> b_own.txt' | Out-Null
Report 'workspace B is writable from B' (Test-Path "$wsB\b_own.txt")
Report 'workspace A cannot write workspace B' ((Sbx $ws @() "echo x> `"$wsB\from_a.txt`"") -ne 0 -and -not (Test-Path "$wsB\from_a.txt"))
$t0 = Get-Date
$rc = Sbx $ws @('--timeout', '2') 'powershell -NoProfile -Command Start-Sleep 15'
Report 'timeout ends the run with 124' ($rc -eq 124 -and ((Get-Date) - $t0).TotalSeconds -lt 14) "rc=$rc"
Report 'after a timed-out run, outside writes still denied' ((Sbx $ws @() "echo x> `"$outside\after.txt`"") -ne 0 -and -not (Test-Path "$outside\after.txt"))
Report 'exit code passes through' ((Sbx $ws @() 'exit /b 42') -eq 42)

& $Cordon check | Out-Host
& $Cordon setup uninstall | Out-Host
$caps = if ($capBefore) { ($capBefore | ConvertFrom-Json) } else { $null }
$left = (icacls $ws) -join "`n"
$leftover = $false
if ($caps) { foreach ($p in $caps.roots.PSObject.Properties) { if ($left -match [regex]::Escape($p.Value)) { $leftover = $true } } }
Report 'uninstall leaves no capability-SID ACE on the workspace' (-not $leftover)
Report 'uninstall removes empty placeholders' (-not (Test-Path "$ws\.cordon") -and -not (Test-Path "$ws\.idea"))

cmd /c "rmdir `"$ws\out_j`" & rmdir `"$ws\sys_link`" & rmdir `"$junctionCwd`" & rmdir `"$ws\sym_out`" & rmdir `"$ws\unc_link`" & rmdir `"$ws\drive_link`"" 2>$null | Out-Null
cmd /c "rmdir /s /q `"$root`"" 2>$null | Out-Null
Write-Host "$($script:skip) skipped"
Write-Host "$($script:pass) passed, $($script:fail) failed"
if ($script:fail -gt 0) { exit 1 } else { exit 0 }
