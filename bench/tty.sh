#!/usr/bin/env bash
# The cost of a pty (`cordon run --tty`, docs/architecture.md, "A terminal of the command's
# own"). Times, interleaved by bench/timer.cpp (stdin and stdout on /dev/null, so `auto`
# gives no pty):
#
#   1. `cordon run -- /bin/true` (the cold start, no terminal), and the same with CORDON_OLD
#      (another cordon binary, e.g. one built before the pty) if set;
#   2. `cordon run --tty always -- /bin/true`: the pair, the master's trip to cordon, the relay;
#   3. BENCH_BYTES (default 20 MB) written by the command, through pipes and through the pty.
#
#   bench/tty.sh             # under a minute; BENCH_RUNS=N (default 20)
#   CORDON_OLD=old/cordon bench/tty.sh
#
# Everything lives in one temporary directory, removed on exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
RUNS=$(count BENCH_RUNS 20 1000)
BYTES=$(count BENCH_BYTES 20000000 1000000000)
need_cordon
for t in c++ python3; do command -v "$t" >/dev/null || die "'$t' not found"; done

export TMPDIR=${BENCH_TMPDIR:-/var/tmp}
bench_setup bench-tty
mkdir -p "$tmp/ws" "$tmp/ws-old"

spec=$tmp/spec
: >"$spec"
add() { printf '%s\0' "$@" >>"$spec"; printf '\0' >>"$spec"; }
add cold-cordon "$cordon" run --no-config --workspace "$tmp/ws" -- /bin/true
if [[ -n ${CORDON_OLD:-} ]]; then
  mkdir -p "$tmp/old"
  copy_cordon "$CORDON_OLD" "$tmp/old"
  add cold-old env XDG_STATE_HOME="$XDG_STATE_HOME/old" "$tmp/old/cordon" run --no-config --workspace "$tmp/ws-old" -- /bin/true
fi
add cold-pty "$cordon" run --no-config --tty always --workspace "$tmp/ws" -- /bin/true
add bulk-pipe "$cordon" run --no-config --workspace "$tmp/ws" -- head -c "$BYTES" /dev/zero
add bulk-pty "$cordon" run --no-config --tty always --workspace "$tmp/ws" -- head -c "$BYTES" /dev/zero

echo "bench: $RUNS rounds, $BYTES bytes, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$timer" --runs "$RUNS" --warmup 2 --timeout 120 --json "$tmp/out/tty.json" --csv "$tmp/out/tty.csv" "$spec"
python3 - "$tmp/out/tty.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["results"]
base = {r["command"]: r["median"] for r in rows}
print(f"{'command':<14} {'median ms':>10} {'min ms':>8} {'cpu ms':>8} {'x no pty':>9}")
for r in rows:
    ref = base.get("cold-cordon") if r["command"].startswith("cold") else base.get("bulk-pipe")
    print(f"{r['command']:<14} {r['median'] * 1000:>10.2f} {r['min'] * 1000:>8.2f} "
          f"{(r['user'] + r['system']) * 1000:>8.2f} {r['median'] / ref:>9.2f}")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
