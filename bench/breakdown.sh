#!/usr/bin/env bash
# Where `cordon run -- /bin/true` spends its time: a ladder of commands that each add one
# stage, timed interleaved by bench/timer.cpp. Companion to bench/run.sh.
#
#   bench/breakdown.sh                 # about 1 minute; BREAKDOWN_RUNS=N (default 150)
#
# Prints each step's median wall time (ms), its CPU time (user+system of the waited-for tree)
# and its median minus bare /bin/true's. Everything lives in a temporary directory removed on exit.
set -euo pipefail

die() { printf 'breakdown: %s\n' "$*" >&2; exit 1; }
runs=${BREAKDOWN_RUNS:-150}
[[ $runs =~ ^[0-9]+$ && $runs -ge 1 && $runs -le 100000 ]] || die "BREAKDOWN_RUNS must be 1..100000"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cordon_src=${CORDON:-$here/../build/cordon}
[[ -x $cordon_src ]] || die "no cordon binary at '$cordon_src' (build it, or set CORDON)"
for t in c++ git unshare; do command -v "$t" >/dev/null || die "'$t' not found"; done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cordon-breakdown.XXXXXX")
cleanup() {  # cordon may still be removing its placeholders: retry, bounded
  for _ in 1 2 3 4 5 6; do
    rm -rf -- "$tmp" 2>/dev/null
    [[ -e $tmp ]] || return 0
    sleep 0.5
  done
  echo "breakdown: could not remove $tmp" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export XDG_STATE_HOME=$tmp/state
mkdir -p "$XDG_STATE_HOME"
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
copy_cordon "$cordon_src" "$tmp"
# The same cordon alone, without cordon-init beside it: its own image is the sandbox's init.
mkdir "$tmp/alone" && cp "$cordon_src" "$tmp/alone/cordon"
c++ -std=c++20 -O2 -o "$tmp/timer" "$here/timer.cpp"
printf '#include <iostream>\nint main() { std::cout << "hi\\n"; }\n' >"$tmp/hello.cpp"
c++ -O2 -o "$tmp/hello-shared" "$tmp/hello.cpp"
c++ -O2 -static-libstdc++ -static-libgcc -o "$tmp/hello-static" "$tmp/hello.cpp"

# Two workspaces: in "ready" the placeholder directories cordon creates for absent protected
# names already exist, so that run skips creating them.
for w in plain ready; do git -C "$tmp" init -q "$w"; done
(cd "$tmp/ready" && mkdir .cordon .codex .claude .agents .cursor .vscode .idea)
cd /  # the workspaces are named with --workspace; / stays visible in every sandbox

spec=$tmp/spec
add() { printf '%s\0' "$@" "" >>"$spec"; }
c=("$tmp/cordon")
ws=(--no-config --workspace "$tmp/plain")
add "bare /bin/true" /bin/true
add "C++ hello (shared libstdc++)" "$tmp/hello-shared"
add "C++ hello (static libstdc++)" "$tmp/hello-static"
add "unshare -Urn" unshare -Urn /bin/true
add "unshare -Urnmpi --mount-proc" unshare -Urnmpi --fork --mount-proc /bin/true
add "cordon --version" "${c[@]}" --version
add "cordon explain" "${c[@]}" explain "${ws[@]}" -- /bin/true
add "cordon run --mode full-access" "${c[@]}" run "${ws[@]}" --mode full-access -- /bin/true
add "cordon run --net on" "${c[@]}" run "${ws[@]}" --net on -- /bin/true
add "cordon run" "${c[@]}" run "${ws[@]}" -- /bin/true
add "cordon run (placeholders exist)" "${c[@]}" run --no-config --workspace "$tmp/ready" -- /bin/true
add "cordon run (init: own image)" "$tmp/alone/cordon" run "${ws[@]}" -- /bin/true
# The same two on one CPU: on an idle VM every hand-over between cordon's processes can
# wake a halted vCPU, which pinning avoids; on a busy one pinning only serializes.
if command -v taskset >/dev/null; then
  add "unshare -Urnmpi ... (taskset -c 0)" taskset -c 0 unshare -Urnmpi --fork --mount-proc /bin/true
  add "cordon run (taskset -c 0)" taskset -c 0 "${c[@]}" run "${ws[@]}" -- /bin/true
fi
if command -v bwrap >/dev/null; then
  add "bwrap (bench profile)" bwrap --ro-bind / / --tmpfs /tmp --bind "$tmp/plain" "$tmp/plain" \
    --ro-bind "$tmp/plain/.git/hooks" "$tmp/plain/.git/hooks" --dev /dev --proc /proc \
    --unshare-all --die-with-parent --new-session /bin/true
fi

"$tmp/timer" --runs "$runs" --warmup 10 --max-failures $((runs / 10 + 1)) \
  --json "$tmp/out.json" --csv "$tmp/out.csv" "$spec" >/dev/null
echo "$runs interleaved runs; cpu is n/a for bwrap (its sandbox is not its waited-for child)"
printf '  %-34s %8s %9s   %7s\n' "" "median" "cpu" "vs bare"
awk -F, 'NR > 1 {
  cpu = ($1 ~ /bwrap/) ? "      n/a" : sprintf("%9.2f", ($5 + $6) * 1000)
  note = ($9 > 0) ? sprintf("   (%d failed runs not timed)", $9) : ""
  if (NR == 2) bare = $4
  printf "  %-34s %8.2f %s   %+7.2f%s\n", $1, $4 * 1000, cpu, ($4 - bare) * 1000, note
}' "$tmp/out.csv"
