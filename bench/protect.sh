#!/usr/bin/env bash
# The cost of finding protected names at depth (docs/policy.md#protected-names): cordon walks
# every writable root before each run. Times `cordon run -- true` in
#
#   1. an empty workspace,
#   2. a workspace of N files (default 50,000: directories of 10 files, 10 directories wide),
#   3. the same with a sub/.vscode in every 100th directory (a bind and pinned parents each),
#
# with hyperfine. Knobs: CORDON (binary, default build/cordon), BENCH_FILES (default 50000),
# BENCH_RUNS (default 20). Everything lives in one temporary directory, removed on exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
FILES=$(count BENCH_FILES 50000 1000000)
RUNS=$(count BENCH_RUNS 20 1000)
need_cordon
command -v hyperfine >/dev/null || die "'hyperfine' not found"

bench_setup bench-protect
mkdir -p "$tmp/empty" "$tmp/tree" "$tmp/marked"
python3 - "$tmp/tree" "$tmp/marked" "$FILES" <<'PY'
import os, sys
tree, marked, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for root, mark in ((tree, False), (marked, True)):
    for d in range(n // 10):
        path = os.path.join(root, *[f"d{x}" for x in str(d).zfill(5)[:-1]], f"leaf{d}")
        os.makedirs(path, exist_ok=True)
        for f in range(10):
            open(os.path.join(path, f"f{f}.c"), "w").close()
        if mark and d % 100 == 0:
            os.makedirs(os.path.join(path, ".vscode"), exist_ok=True)
            open(os.path.join(path, ".vscode", "tasks.json"), "w").close()
PY
export CORDON_PLACEHOLDER_LINGER_MS=0
hyperfine -N -w 3 -r "$RUNS" \
  -n empty "$cordon run --no-config --workspace $tmp/empty -- /bin/true" \
  -n "$FILES files" "$cordon run --no-config --workspace $tmp/tree -- /bin/true" \
  -n "$FILES files, $((FILES / 1000)) .vscode at depth" "$cordon run --no-config --workspace $tmp/marked -- /bin/true"
