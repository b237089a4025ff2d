#!/usr/bin/env bash
# Per-command overhead of `cordon mcp` (a warm server) against a fresh `cordon run` and
# bare exec, in one run. Usage: bench/mcp.sh [N] [CORDON_BINARY]   (default 50, build/cordon)
# Each mode runs `true` N times sequentially in a scratch workspace (MCP calls are spaced by
# CORDON_BENCH_THINK_MS, default 20, as an agent thinks between commands); the report gives
# median and p90 wall time per command, the overhead over bare exec, and the ratio of
# the MCP server's overhead to a fresh `cordon run`'s (target: at most 0.5).
set -euo pipefail
n="${1:-50}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cordon="$(realpath "${2:-$root/build/cordon}")"
ws=$(mktemp -d "${CORDON_BENCH_TMP:-/var/tmp}/cordon-bench-mcp-XXXXXX")
trap 'rm -rf "$ws"' EXIT
# Protected names that exist need no placeholders: keeps back-to-back runs clear of the
# placeholder cleaner (and measures the common case of a real project).
mkdir -p "$ws"/{.cordon,.codex,.claude,.agents,.cursor,.vscode,.idea}
python3 - "$n" "$cordon" "$ws" <<'PY'
import json, os, statistics, subprocess, sys, time
n, cordon, ws = int(sys.argv[1]), sys.argv[2], sys.argv[3]
true_bin = "/bin/true"
think = float(os.environ.get("CORDON_BENCH_THINK_MS", "20")) / 1000

def stats(samples):
    s = sorted(samples)
    return statistics.median(s), s[int(0.9 * (len(s) - 1))]

def timed(argv):
    out = []
    for _ in range(n + 3):
        t = time.perf_counter()
        subprocess.run(argv, cwd=ws, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out.append((time.perf_counter() - t) * 1000)
    return out[3:]  # warm-up runs dropped

bare = timed([true_bin])
fresh = timed([cordon, "run", "--no-config", "--", true_bin])

server = subprocess.Popen([cordon, "mcp", "--no-config", "--workspace", ws], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ws, text=True, bufsize=1)
def rpc(i, method, params):
    server.stdin.write(json.dumps({"jsonrpc": "2.0", "id": i, "method": method, "params": params}) + "\n")
    server.stdin.flush()
    reply = json.loads(server.stdout.readline())
    assert "result" in reply, reply
    return reply["result"]
rpc(0, "initialize", {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}})
server.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
mcp = []
for i in range(n + 3):
    time.sleep(think)  # an agent thinks between commands; lets the next sandbox get ready
    t = time.perf_counter()
    r = rpc(i + 1, "tools/call", {"name": "run_command", "arguments": {"argv": [true_bin]}})
    mcp.append((time.perf_counter() - t) * 1000)
    assert r["structuredContent"]["classification"] == "ok", r
mcp = mcp[3:]
server.stdin.close()
server.wait()

b, _ = stats(bare)
print(f"bench/mcp.sh: {n} x `true`, median / p90 wall ms per command")
rows = [("bare exec", bare), ("cordon run (fresh)", fresh), ("cordon mcp (warm)", mcp)]
for name, s in rows:
    med, p90 = stats(s)
    print(f"  {name:20s} {med:7.2f} / {p90:7.2f}   overhead {med - b:6.2f} ms")
fo, mo = stats(fresh)[0] - b, stats(mcp)[0] - b
print(f"  mcp overhead / fresh run overhead = {mo / fo:.2f} (target <= 0.50)")
PY
