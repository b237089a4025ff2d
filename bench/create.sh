#!/usr/bin/env bash
# The cost of cordon's creation broker (docs/architecture.md, "The creation broker"): every
# call that makes a name is made by cordon, so nothing is put in the workspace for absent
# protected names. Times, interleaved by bench/timer.cpp:
#
#   1. `cordon run -- /bin/true` in a fresh git workspace (the cold start), and the same
#      with CORDON_OLD (another cordon binary, e.g. one built before the broker) if set;
#   2. untarring BENCH_FILES files (default 20,000, in directories of 100) into the
#      workspace: bare `tar`, `unshare` (the namespace floor), `cordon run -- tar`, and
#      `cordon run --report-denials off -- tar` (creation brokered, nothing observed);
#   3. BENCH_FILES opens of an existing file for writing (python), bare and in `cordon run`:
#      the cost of one brokered open.
#
#   bench/create.sh          # about a minute; BENCH_RUNS=N (default 20), BENCH_FILES=N
#   BENCH_TMPDIR=/dev/shm BENCH_STATE=/var/tmp CORDON_OLD=old/cordon bench/create.sh
#
# Everything lives in one temporary directory, removed on exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
FILES=$(count BENCH_FILES 20000 1000000)
RUNS=$(count BENCH_RUNS 20 1000)
need_cordon
for t in c++ git tar unshare python3; do command -v "$t" >/dev/null || die "'$t' not found"; done

# Not under /tmp: the sandbox's /tmp is private. BENCH_TMPDIR=/dev/shm measures on tmpfs,
# without the disk file system's own cost (ext4 under churn spends seconds allocating inodes).
export TMPDIR=${BENCH_TMPDIR:-/var/tmp}
bench_setup bench-create
# cordon's state elsewhere, if asked (an older cordon cannot hide a state directory under /dev/shm).
if [[ -n ${BENCH_STATE:-} ]]; then
  XDG_STATE_HOME=$(mktemp -d "$BENCH_STATE/cordon-bench-state.XXXXXX")
  export XDG_STATE_HOME
  trap 'bench_cleanup; rm -rf -- "$XDG_STATE_HOME"' EXIT
fi
mkdir -p "$tmp/src" "$tmp/ws-new" "$tmp/ws-old" "$tmp/x-bare" "$tmp/x-floor" "$tmp/x-cordon" "$tmp/x-quiet" "$tmp/x-old"
git init -q "$tmp/ws-new"
git init -q "$tmp/ws-old"
python3 - "$tmp/src" "$FILES" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, f"d{i // 100}")
    if i % 100 == 0:
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i}"), "w") as f:
        f.write("x\n")
PY
tar -C "$tmp/src" -cf "$tmp/files.tar" .
# Each variant untars a copy that lies in its own workspace (the sandbox sees only that).
for x in x-bare x-floor x-cordon x-quiet x-old; do
  cp "$tmp/files.tar" "$tmp/$x/files.tar"
  mkdir -p "$tmp/$x/out"
done

# One field per line, NUL-separated for the timer: NAME ARGV... then an empty field.
spec=$tmp/spec
: >"$spec"
add() { printf '%s\0' "$@" >>"$spec"; printf '\0' >>"$spec"; }
add cold-cordon "$cordon" run --no-config --workspace "$tmp/ws-new" -- /bin/true
if [[ -n ${CORDON_OLD:-} ]]; then
  mkdir -p "$tmp/old"
  copy_cordon "$CORDON_OLD" "$tmp/old"
  add cold-old env XDG_STATE_HOME="$XDG_STATE_HOME/old" "$tmp/old/cordon" run --no-config --workspace "$tmp/ws-old" -- /bin/true
fi
untar() { printf 'rm -rf %q/out && mkdir %q/out && tar -C %q/out -xf %q/files.tar' "$1" "$1" "$1" "$1"; }
add untar-bare sh -c "$(untar "$tmp/x-bare")"
add untar-floor unshare -Urnmpi --fork --mount-proc sh -c "$(untar "$tmp/x-floor")"
add untar-cordon "$cordon" run --no-config --workspace "$tmp/x-cordon" -- sh -c "$(untar "$tmp/x-cordon")"
add untar-cordon-quiet "$cordon" run --no-config --report-denials off --workspace "$tmp/x-quiet" -- \
  sh -c "$(untar "$tmp/x-quiet")"
# One brokered call, many times: an existing file opened for writing (O_WRONLY|O_TRUNC).
opens="for i in range($FILES): open('f', 'w').close()"
add open-bare sh -c "cd $(printf %q "$tmp/x-bare") && python3 -c $(printf %q "$opens")"
add open-cordon "$cordon" run --no-config --workspace "$tmp/x-cordon" -- \
  sh -c "cd $(printf %q "$tmp/x-cordon") && python3 -c $(printf %q "$opens")"
if [[ -n ${CORDON_OLD:-} ]]; then
  add untar-old env XDG_STATE_HOME="$XDG_STATE_HOME/old" "$tmp/old/cordon" run --no-config --workspace "$tmp/x-old" -- \
    sh -c "$(untar "$tmp/x-old")"
fi

echo "bench: $FILES files, $RUNS rounds, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$timer" --runs "$RUNS" --warmup 2 --timeout 300 --json "$tmp/out/create.json" --csv "$tmp/out/create.csv" "$spec"
python3 - "$tmp/out/create.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["results"]
base = {r["command"]: r["median"] for r in rows}
print(f"{'command':<22} {'median ms':>10} {'cpu ms':>8} {'x bare':>7}")
for r in rows:
    ref = base.get("untar-bare") if r["command"].startswith("untar") else \
        base.get("open-bare") if r["command"].startswith("open") else None
    ratio = f"{r['median'] / ref:.2f}" if ref else ""
    print(f"{r['command']:<22} {r['median'] * 1000:>10.2f} {(r['user'] + r['system']) * 1000:>8.2f} {ratio:>7}")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
