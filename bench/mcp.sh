#!/usr/bin/env bash
# Per-command overhead of `cordon mcp` (a warm server) against a fresh `cordon run`, bubblewrap
# (cold; bench/run.sh's profile but the .git/hooks bind, as the scratch workspace is no
# repository) and bare exec, in one run. Usage: bench/mcp.sh [N] [CORDON_BINARY] (default 50,
# build/cordon). Each of N rounds runs `true` once in each mode, in turn, in a scratch
# workspace, so load from other work hits every mode alike (MCP calls are also spaced by
# CORDON_BENCH_THINK_MS, default 20, as an agent thinks between commands). The report gives the
# median and p90 wall time per command, the overhead over bare exec, the ratio of the MCP
# server's overhead to a fresh `cordon run`'s, and to bwrap's (issue 19's target: at most 0.25;
# bwrap is skipped when it is missing or cannot run here, BENCH_BWRAP=off skips it too).
# BENCH_MCP_WRITES=1: each command makes a new file in a directory of the workspace instead
# (`touch out/<mode>-<round>`), as a build or an edit does between an agent's calls.
set -euo pipefail
n="${1:-50}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cordon="$(realpath "${2:-$root/build/cordon}")"
ws=$(mktemp -d "${CORDON_BENCH_TMP:-/var/tmp}/cordon-bench-mcp-XXXXXX")
trap 'rm -rf "$ws"' EXIT
# Protected names that exist need no placeholders: keeps back-to-back runs clear of the
# placeholder cleaner (and measures the common case of a real project).
mkdir -p "$ws"/{.cordon,.codex,.claude,.agents,.cursor,.vscode,.idea} "$ws/out"
python3 - "$n" "$cordon" "$ws" <<'PY'
import json, os, shutil, statistics, subprocess, sys, time
n, cordon, ws = int(sys.argv[1]), sys.argv[2], sys.argv[3]
true_bin = "/bin/true"
writes = os.environ.get("BENCH_MCP_WRITES", "0") == "1"
def cmd(mode, i):
    return ["/usr/bin/touch", f"{ws}/out/{mode}-{i}"] if writes else [true_bin]
think = float(os.environ.get("CORDON_BENCH_THINK_MS", "20")) / 1000

def stats(samples):
    s = sorted(samples)
    return statistics.median(s), s[int(0.9 * (len(s) - 1))]

bwrap = None
if os.environ.get("BENCH_BWRAP", "on") != "off" and shutil.which("bwrap"):
    bwrap = ["bwrap", "--ro-bind", "/", "/", "--tmpfs", "/tmp", "--bind", ws, ws, "--dev", "/dev",
             "--proc", "/proc", "--unshare-all", "--die-with-parent", "--new-session"]
    if subprocess.run(bwrap + [true_bin], cwd=ws, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
        bwrap = None

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

import resource
def child_cpu_ms():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r.ru_utime + r.ru_stime) * 1000

cpu = {"bare": 0.0, "fresh": 0.0, "bwrap": 0.0}
def once(argv, mode):
    c, t = child_cpu_ms(), time.perf_counter()
    subprocess.run(argv, cwd=ws, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cpu[mode] += child_cpu_ms() - c
    return (time.perf_counter() - t) * 1000

modes = {"bare": [], "fresh": [], "bwrap": [], "mcp": []}
for i in range(n + 3):  # the first 3 rounds are warm-up, dropped
    modes["bare"].append(once(cmd("bare", i), "bare"))
    modes["fresh"].append(once([cordon, "run", "--no-config", "--"] + cmd("fresh", i), "fresh"))
    if bwrap:
        modes["bwrap"].append(once(bwrap + cmd("bwrap", i), "bwrap"))
    time.sleep(think)  # an agent thinks between commands; lets the next sandbox get ready
    t = time.perf_counter()
    r = rpc(i + 1, "tools/call", {"name": "run_command", "arguments": {"argv": cmd("mcp", i)}})
    modes["mcp"].append((time.perf_counter() - t) * 1000)
    assert r["structuredContent"]["classification"] == "ok", r
server.stdin.close()
c = child_cpu_ms()
server.wait()
# The server's CPU with its workers' and their sandboxes' (all reaped by then), per call:
# it includes the warm-up calls and the workers started ahead that no call took.
cpu["mcp"] = child_cpu_ms() - c
for k in modes:
    modes[k] = modes[k][3:]

load = open("/proc/loadavg").read().split()[:3]
b, _ = stats(modes["bare"])
what = "`touch out/<new name>`" if writes else "`true`"
print(f"bench/mcp.sh: {n} interleaved rounds of {what}, median / p90 wall ms per command (load {' '.join(load)})")
rows = [("bare exec", "bare"), ("cordon run (fresh)", "fresh"), ("bwrap (cold)", "bwrap"), ("cordon mcp (warm)", "mcp")]
for name, k in rows:
    if not modes[k]:
        print(f"  {name:20s} skipped (bwrap missing or cannot run here)")
        continue
    med, p90 = stats(modes[k])
    print(f"  {name:20s} {med:7.2f} / {p90:7.2f}   overhead {med - b:6.2f} ms   CPU {cpu[k] / (n + 3):6.2f} ms mean")
fo, mo = stats(modes["fresh"])[0] - b, stats(modes["mcp"])[0] - b
print(f"  mcp overhead / fresh run overhead = {mo / fo:.2f}")
if modes["bwrap"]:
    wo = stats(modes["bwrap"])[0] - b
    print(f"  mcp overhead / bwrap (cold) overhead = {mo / wo:.2f} (target <= 0.25)")
PY
