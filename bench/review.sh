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
#   bench/review.sh          # under a minute; BENCH_RUNS=N (default 20)
#
# Not measured yet (docs/review.md lists them): the copy-up of a large file, an npm install
# of 20,000 files into a change set, and apply of that set.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
RUNS=$(count BENCH_RUNS 20 1000)
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
