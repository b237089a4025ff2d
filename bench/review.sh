#!/usr/bin/env bash
# The start-up cost of `cordon run --review` (docs/review.md). Times, interleaved by
# bench/timer.cpp:
#
#   1. `cordon run -- /bin/true`: the cold start without a change set;
#   2. `cordon run --review -- /bin/true`: a new change set each time (made, the overlay
#      mounted, read at the end, removed again since it stayed empty);
#   3. `cordon run --review ID -- /bin/true`: on an existing change set holding one file (the
#      overlay, the read of the change set and of its base at the end).
#
# Then the costs that grow with the data (bench/review_heavy.py, interleaved round by round,
# each case prepared untimed before it runs):
#
#   4. the first write to a large file: append 1 byte to a 256 MiB file with `--review` (the
#      overlay copies the whole file up into the change set) against the same append in the
#      workspace (`cordon run` without --review) and bare;
#   5. an npm-install-like write of 20,000 small files (500 packages, a package tree like
#      node_modules) into a change set, against the same without --review and bare;
#   6. `cordon review apply` of that 20,000-file change set, against `cp -a` of the same
#      tree (the upper directory) into the workspace.
#
#   bench/review.sh          # BENCH_RUNS=N (default 20) start-up rounds;
#                            # BENCH_HEAVY_RUNS=N (default 3, 0 skips 4-6: ~2 min a round)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
RUNS=$(count BENCH_RUNS 20 1000)
HEAVY=${BENCH_HEAVY_RUNS:-3}
[[ $HEAVY =~ ^[0-9]+$ && $HEAVY -le 50 ]] || die "BENCH_HEAVY_RUNS must be an integer in 0..50 (got '$HEAVY')"
need_cordon
for t in c++ python3; do command -v "$t" >/dev/null || die "'$t' not found"; done

export TMPDIR=${BENCH_TMPDIR:-/var/tmp}
bench_setup bench-review
mkdir -p "$tmp/ws"
cd "$tmp/ws"
for i in $(seq 100); do echo "$i" >"$tmp/ws/file$i"; done
"$cordon" run --no-config --workspace "$tmp/ws" --review bench -- sh -c "echo x > staged" 2>/dev/null ||
  die "cordon run --review failed: see cordon check"

spec=$tmp/spec
: >"$spec"
add() { printf '%s\0' "$@" >>"$spec"; printf '\0' >>"$spec"; }
add cold-cordon "$cordon" run --no-config --workspace "$tmp/ws" -- /bin/true
add review-new "$cordon" run --no-config --workspace "$tmp/ws" --review -- /bin/true
add review-id "$cordon" run --no-config --workspace "$tmp/ws" --review bench -- /bin/true

echo "bench: $RUNS rounds, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$timer" --runs "$RUNS" --warmup 2 --timeout 120 --json "$tmp/out/review.json" --csv "$tmp/out/review.csv" "$spec"
python3 - "$tmp/out/review.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["results"]
base = {r["command"]: r["median"] for r in rows}["cold-cordon"]
print(f"{'command':<14} {'median ms':>10} {'min ms':>8} {'cpu ms':>8} {'+ ms':>8}")
for r in rows:
    print(f"{r['command']:<14} {r['median'] * 1000:>10.2f} {r['min'] * 1000:>8.2f} "
          f"{(r['user'] + r['system']) * 1000:>8.2f} {(r['median'] - base) * 1000:>8.2f}")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

[[ $HEAVY -ge 1 ]] || exit 0
mkdir -p "$tmp/heavy"
cd "$tmp/heavy"
python3 "$here/review_heavy.py" --cordon "$cordon" --dir "$tmp/heavy" --runs "$HEAVY" --json "$tmp/out/review_heavy.json"

