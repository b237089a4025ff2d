#!/usr/bin/env bash
# One command for the proxied network's numbers (docs/network.md), all on loopback:
#
#   1. added latency per connection: N sequential connect + 1-byte echo round trips,
#      directly from the host vs from inside `cordon run --allow-domain` through the
#      HTTP CONNECT tunnel, through SOCKS5, and by the direct route (the name resolved
#      inside, the connect dialled by cordon and the socket installed in the command);
#   2. bulk throughput: one stream of BENCH_NET_MB MiB from the host's loopback, read
#      directly on the host, directly inside `cordon run --net on` (same client, same
#      seccomp filters, no proxy), through the HTTP CONNECT and SOCKS5 tunnels, and by
#      the direct route;
#      interleaved round by round. Besides MB/s it reports CPU seconds per GiB of the
#      server, the client and the cordon process (the proxy thread): wall-clock ratios
#      swing with other load on a shared machine, CPU per GiB much less;
#   3. proxy start: `cordon run -- true` with --net off vs with an allowlist (same
#      namespaces; the difference is the socketpair, the thread, `lo` up and the
#      listeners): median wall time and mean CPU time (cordon and the sandbox);
#   4. 200 concurrent tunnels through the proxy, each echoing 64 KiB: all must finish,
#      with cordon's soft descriptor limit at 1024 (the usual default).
#
#   bench/net.sh                       # about 20 s on 2 vCPUs
#   BENCH_NET_MB=256 bench/net.sh      # a quick pass
#
# Needs python3 (client and servers). Fake names map to the host's loopback through
# cordon's test-only resolver override (CORDON_TEST_RESOLVE); nothing leaves the host.
# Knobs: CORDON (binary, default build/cordon), BENCH_NET_MB (default 1024),
# BENCH_NET_CONNS (sequential connections, default 500), BENCH_NET_CONCURRENT (200),
# BENCH_NET_RUNS (start-up runs per variant, default 50), BENCH_NET_ROUNDS (throughput
# rounds, default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
cordon=${CORDON:-build/cordon}
[ -x "$cordon" ] || { echo "bench: $cordon not built (cmake --preset default && cmake --build build)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "bench: python3 is needed" >&2; exit 1; }
cordon=$(cd "$(dirname "$cordon")" && pwd)/$(basename "$cordon")
mb=${BENCH_NET_MB:-1024}
conns=${BENCH_NET_CONNS:-500}
concurrent=${BENCH_NET_CONCURRENT:-200}
runs=${BENCH_NET_RUNS:-50}
rounds=${BENCH_NET_ROUNDS:-3}

work=$(mktemp -d /var/tmp/cordon-bench-net-XXXXXX)
chmod 755 "$work"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export XDG_STATE_HOME="$work/state"
# The sandboxed commands run in a scratch workspace, never in the repository.
# Its protected names exist already, so no run waits on placeholders (see docs/architecture.md).
mkdir -p "$work/ws" && (cd "$work/ws" && mkdir -p .cordon .codex .claude .agents .cursor .vscode .idea)

# --- servers on the host's loopback: echo (one byte at a time is fine) and bulk source ---
cat >"$work/servers.py" <<'PY'
import resource, socket, sys, threading
def serve(sock, handler):
    while True:
        c, _ = sock.accept()
        threading.Thread(target=handler, args=(c,), daemon=True).start()
def echo(c):
    with c:
        while True:
            d = c.recv(65536)
            if not d: return
            c.sendall(d)
def bulk(c):
    # The CPU time this transfer cost the server is appended to bulk-cpu before the
    # socket closes, so it is there when the client sees the end of the stream.
    with c:
        r0 = resource.getrusage(resource.RUSAGE_THREAD)
        n = int(c.recv(64).decode().strip()) * 1024 * 1024
        block = b"x" * (1 << 20)
        while n > 0:
            c.sendall(block if n >= len(block) else block[:n]); n -= len(block)
        r1 = resource.getrusage(resource.RUSAGE_THREAD)
        with open(sys.argv[1], "a") as f:
            print(f"{r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime:.4f}", file=f)
socks = []
for h in (echo, bulk):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0)); s.listen(1024); socks.append(s)
    threading.Thread(target=serve, args=(s, h), daemon=True).start()
print(socks[0].getsockname()[1], socks[1].getsockname()[1], flush=True)
threading.Event().wait()
PY

# --- the client: run directly on the host, or inside the sandbox with a proxy mode ---
cat >"$work/client.py" <<'PY'
import os, socket, statistics, sys, time, threading
mode, what, host, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
arg = int(sys.argv[5])
def proxied(h, p):
    if mode == "direct":
        return socket.create_connection(("127.0.0.1", p))
    if mode == "dial":  # the name resolved inside, the connect dialled by cordon (the direct route)
        return socket.create_connection((h, p))
    if mode == "http":
        s = socket.create_connection(("127.0.0.1", int(os.environ["HTTPS_PROXY"].rsplit(":", 1)[1])))
        s.sendall(f"CONNECT {h}:{p} HTTP/1.1\r\nHost: {h}:{p}\r\n\r\n".encode())
        buf = b""
        while b"\r\n\r\n" not in buf: buf += s.recv(4096)
        assert b" 200 " in buf.split(b"\r\n")[0], buf
        return s
    s = socket.create_connection(("127.0.0.1", int(os.environ["ALL_PROXY"].rsplit(":", 1)[1])))
    s.sendall(b"\x05\x01\x00"); assert s.recv(2) == b"\x05\x00"
    hb = h.encode()
    s.sendall(b"\x05\x01\x00\x03" + bytes([len(hb)]) + hb + p.to_bytes(2, "big"))
    r = b""
    while len(r) < 10: r += s.recv(10 - len(r))
    assert r[1] == 0, r
    return s
if what == "latency":
    samples = []
    for _ in range(arg):
        t = time.perf_counter()
        s = proxied(host, port); s.sendall(b"x"); assert s.recv(1) == b"x"; s.close()
        samples.append((time.perf_counter() - t) * 1e6)
    samples.sort()
    print(f"{statistics.median(samples):.0f} {samples[int(len(samples) * 0.95)]:.0f}")
elif what == "bulk":
    s = proxied(host, port)
    r0 = os.times()
    t = time.perf_counter(); s.sendall(f"{arg}\n".encode())
    buf = bytearray(1 << 20); view = memoryview(buf); got = 0
    while True:
        n = s.recv_into(view)
        if not n: break
        got += n
    dt = time.perf_counter() - t
    assert got == arg * 1024 * 1024, got
    r1 = os.times()
    print(f"{got / dt / 1e6:.0f} {r1.user + r1.system - r0.user - r0.system:.4f}")
elif what == "concurrent":
    payload = b"y" * 65536; errors = []
    def one():
        try:
            s = proxied(host, port); s.sendall(payload); got = 0
            while got < len(payload):
                d = s.recv(65536)
                if not d: raise RuntimeError("closed early")
                got += len(d)
            s.close()
        except Exception as e:
            errors.append(repr(e))
    t = time.perf_counter()
    threads = [threading.Thread(target=one) for _ in range(arg)]
    for th in threads: th.start()
    for th in threads: th.join(timeout=30)
    stuck = sum(th.is_alive() for th in threads)
    print(f"{(time.perf_counter() - t) * 1000:.0f} {len(errors)} {stuck}")
    if errors: print(errors[:3], file=sys.stderr)
PY

python3 "$work/servers.py" "$work/bulk-cpu" >"$work/ports" &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/ports" ] && break; sleep 0.05; done
read -r echo_port bulk_port <"$work/ports"

export CORDON_TEST_RESOLVE="bench.test=127.0.0.1"
inside() {  # inside MODE WHAT HOST PORT ARG
  (cd "$work/ws" && "$cordon" run --no-config --allow-domain bench.test -- python3 "$work/client.py" "$@" 2>"$work/err") ||
    { cat "$work/err" >&2; exit 1; }
}
direct() { python3 "$work/client.py" direct "$1" bench.test "$2" "$3"; }

printf '== latency: %s sequential connect + 1-byte echo (median / p95, microseconds)\n' "$conns"
read -r d50 d95 < <(direct latency "$echo_port" "$conns")
read -r h50 h95 < <(inside http latency bench.test "$echo_port" "$conns")
read -r s50 s95 < <(inside socks latency bench.test "$echo_port" "$conns")
read -r r50 r95 < <(inside dial latency bench.test "$echo_port" "$conns")
printf '  direct          %6s / %6s\n  HTTP CONNECT    %6s / %6s   (+%s us)\n  SOCKS5          %6s / %6s   (+%s us)\n  direct route    %6s / %6s   (+%s us)\n' \
  "$d50" "$d95" "$h50" "$h95" "$((h50 - d50))" "$s50" "$s95" "$((s50 - d50))" "$r50" "$r95" "$((r50 - d50))"

printf '== throughput: one stream of %s MiB, %s rounds interleaved (MB/s best and median; CPU s per GiB)\n' "$mb" "$rounds"
(cd "$work/ws" && python3 - "$cordon" "$work" "$bulk_port" "$mb" "$rounds") <<'PY'
import os, statistics, subprocess, sys, time
cordon, work, port, mb, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
client = ["python3", f"{work}/client.py"]
run = [cordon, "run", "--no-config"]
modes = {
    "direct (host)": (None, ["direct", "bulk", "bench.test", port, str(mb)]),
    "direct (cordon --net on)": (run + ["--net", "on", "--"], ["direct", "bulk", "bench.test", port, str(mb)]),
    "HTTP CONNECT": (run + ["--allow-domain", "bench.test", "--"], ["http", "bulk", "bench.test", port, str(mb)]),
    "SOCKS5": (run + ["--allow-domain", "bench.test", "--"], ["socks", "bulk", "bench.test", port, str(mb)]),
    "direct route": (run + ["--allow-domain", "bench.test", "--"], ["dial", "bulk", "bench.test", port, str(mb)]),
}
def cpu_of(pid):  # utime + stime of the process itself (all threads, not its children)
    try:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None
def server_cpu():
    with open(f"{work}/bulk-cpu") as f:
        return float(f.read().split()[-1])
results = {m: [] for m in modes}
for _ in range(rounds):
    for name, (prefix, args) in modes.items():
        p = subprocess.Popen((prefix or []) + client + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        proxy = 0.0
        while p.poll() is None:
            c = cpu_of(p.pid) if prefix else None
            proxy = c if c is not None else proxy
            time.sleep(0.01)
        out, err = p.communicate()
        if p.returncode != 0:
            sys.exit(f"bench: {name} failed: {err}")
        mbs, ccpu = out.split()
        results[name].append((float(mbs), float(ccpu), server_cpu(), proxy if prefix else 0.0))
gib = mb / 1024
best_direct = max(r[0] for r in results["direct (host)"])
for name, rs in results.items():
    best = max(r[0] for r in rs)
    med = statistics.median(r[0] for r in rs)
    c, sv, px = (statistics.median(r[i] for r in rs) / gib for i in (1, 2, 3))
    print(f"  {name:26} {best:6.0f} / {med:6.0f} MB/s ({100 * best / best_direct:3.0f}% of direct)"
          f"   CPU/GiB client {c:.2f} server {sv:.2f} cordon {px:.2f} total {c + sv + px:.2f}")
PY

printf '== proxy start: cordon run -- true, %s runs each, interleaved (median wall ms, mean CPU ms)\n' "$runs"
(cd "$work/ws" && python3 - "$cordon" "$runs") <<'PY'
import resource, statistics, subprocess, sys, time
cordon, runs = sys.argv[1], int(sys.argv[2])
variants = {"--net off": ["--net", "off"], "--allow-domain": ["--allow-domain", "bench.test"]}
samples = {k: [] for k in variants}
cpu = {k: [] for k in variants}
def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
for i in range(runs + 5):
    for name, opts in variants.items():
        c, t = children_cpu(), time.perf_counter()
        subprocess.run([cordon, "run", "--no-config", *opts, "--", "true"], check=True, stderr=subprocess.PIPE)
        if i >= 5:
            samples[name].append((time.perf_counter() - t) * 1000)
            cpu[name].append((children_cpu() - c) * 1000)
off, prox = statistics.median(samples["--net off"]), statistics.median(samples["--allow-domain"])
coff, cprox = statistics.mean(cpu["--net off"]), statistics.mean(cpu["--allow-domain"])
print(f"  --net off       {off:6.2f}   CPU {coff:5.2f}")
print(f"  --allow-domain  {prox:6.2f}   CPU {cprox:5.2f}   (wall {prox - off:+.2f} ms, CPU {cprox - coff:+.2f} ms)")
PY

printf '== %s concurrent tunnels, 64 KiB echo each, soft descriptor limit 1024\n' "$concurrent"
ulimit -Sn 1024
read -r ms errors stuck < <(inside http concurrent bench.test "$echo_port" "$concurrent")
printf '  HTTP CONNECT    %s ms, %s errors, %s stuck\n' "$ms" "$errors" "$stuck"
read -r ms errors stuck < <(inside socks concurrent bench.test "$echo_port" "$concurrent")
printf '  SOCKS5          %s ms, %s errors, %s stuck\n' "$ms" "$errors" "$stuck"
read -r ms errors stuck < <(inside dial concurrent bench.test "$echo_port" "$concurrent")
printf '  direct route    %s ms, %s errors, %s stuck\n' "$ms" "$errors" "$stuck"
