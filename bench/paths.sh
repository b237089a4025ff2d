#!/usr/bin/env bash
# The cost of many protected and denied paths, as a curve: `cordon run -- /bin/true` with N
# `--protect` paths and with N `--deny-read` paths (existing files in the workspace, 100 in
# each directory, so N/100 directories), minus the same run with none, for each N.
#
#   bench/paths.sh                                   # about 2 minutes on 2 vCPUs
#   BENCH_CURVE="100 1000" BENCH_RUNS=10 bench/paths.sh
#   CORDON_OLD=/path/to/older/cordon bench/paths.sh  # the same curve for another binary, same run
#
# Interleaved round by round by bench/timer.cpp, so load from other work hits every command
# alike. Prints, per N, the median wall time and the CPU time (user+system of the waited-for
# tree) added by the paths, and the same per path in microseconds. Target (issue 19): 1000 of
# either add under 5 ms, 10,000 under 50 ms (linear). Knobs: CORDON (default build/cordon),
# CORDON_OLD, BENCH_CURVE (default "100 1000 10000"), BENCH_RUNS (default 20, warmup 3).
# Everything lives in one temporary directory, removed on exit (cordon's state too).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
RUNS=$(count BENCH_RUNS 20 10000)
CURVE=${BENCH_CURVE:-100 1000 10000}
max=0
for n in $CURVE; do
  [[ $n =~ ^[0-9]+$ && $n -ge 1 && $n -le 20000 ]] || die "BENCH_CURVE: each N must be 1..20000 (got '$n')"
  ((n > max)) && max=$n
done
((max > 0)) || die "BENCH_CURVE is empty"
need_cordon
bench_setup bench-paths
if [[ -n ${CORDON_OLD:-} ]]; then
  [[ -x $CORDON_OLD ]] || die "CORDON_OLD='$CORDON_OLD' is not executable"
  mkdir "$tmp/old"
  copy_cordon "$CORDON_OLD" "$tmp/old"
fi

ws=$tmp/ws
mkdir -p "$ws"
git -C "$ws" init -q
for ((i = 0; i < max; i++)); do
  d=$ws/c/$((i / 100))
  [[ -d $d ]] || mkdir -p "$d"
  printf 'secret\n' >"$d/$i"
done
cd "$ws"

spec=$tmp/out/paths.spec
: >"$spec"
add() { printf '%s\0' "$@" "" >>"$spec"; }
binaries=("new:$cordon")
[[ -n ${CORDON_OLD:-} ]] && binaries+=("old:$tmp/old/cordon")
for b in "${binaries[@]}"; do
  name=${b%%:*} bin=${b#*:}
  run=("$bin" run --no-config --workspace "$ws")
  "${run[@]}" -- /bin/true || die "$name: cordon cannot run here"
  add "$name-0" "${run[@]}" -- /bin/true
  for n in $CURVE; do
    protect=() deny=()
    for ((i = 0; i < n; i++)); do
      protect+=(--protect "$ws/c/$((i / 100))/$i")
      deny+=(--deny-read "$ws/c/$((i / 100))/$i")
    done
    # Preflight: the last path really is read-only, resp. reads as empty.
    last=$ws/c/$(((n - 1) / 100))/$((n - 1))
    "${run[@]}" "${protect[@]}" -- /bin/sh -c "! (echo x >>'$last') 2>/dev/null" 2>/dev/null ||
      die "$name: --protect x $n did not protect $last"
    "${run[@]}" "${deny[@]}" -- /bin/sh -c "test -z \"\$(cat '$last' 2>/dev/null)\"" ||
      die "$name: --deny-read x $n did not deny $last"
    add "$name-protect-$n" "${run[@]}" "${protect[@]}" -- /bin/true
    add "$name-deny-$n" "${run[@]}" "${deny[@]}" -- /bin/true
  done
done

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
"$timer" --runs "$RUNS" --warmup 3 --max-failures $((RUNS / 10 + 1)) \
  --json "$tmp/out/paths.json" --csv "$tmp/out/paths.csv" "$spec" >/dev/null
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

echo "$RUNS interleaved rounds; load average $load_start -> $load_end (nproc $(nproc))"
printf '  %-4s %6s  %-10s %12s %12s %14s %14s\n' "bin" "N" "paths" "added median" "added cpu" "us/path median" "us/path cpu"
awk -F, 'NR > 1 { med[$1] = $4; cpu[$1] = $5 + $6; if ($9 > 0) failed[$1] = $9; order[++k] = $1 }
END {
  for (i = 1; i <= k; i++) {
    c = order[i]
    if (c ~ /-0$/) continue
    split(c, p, "-"); base = p[1] "-0"; n = p[3]
    dm = (med[c] - med[base]) * 1000; dc = (cpu[c] - cpu[base]) * 1000
    printf "  %-4s %6d  %-10s %9.2f ms %9.2f ms %14.2f %14.2f%s\n", p[1], n, p[2] == "deny" ? "deny-read" : "protect",
           dm, dc, dm * 1000 / n, dc * 1000 / n, failed[c] ? sprintf("   (%d failed runs not timed)", failed[c]) : ""
  }
  for (i = 1; i <= k; i++) if (order[i] ~ /-0$/)
    printf "  %-4s none: median %.2f ms, cpu %.2f ms\n", substr(order[i], 1, length(order[i]) - 2), med[order[i]] * 1000, cpu[order[i]] * 1000
}' "$tmp/out/paths.csv"
