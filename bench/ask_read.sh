#!/usr/bin/env bash
# The cost of asking about reads (`cordon run --ask`/`--learn` with a file the user added to
# `--deny-read`, docs/architecture.md, "Asking instead of failing"): then every open and
# openat of the run is routed to the supervisor, reads too, and a read of the denied file
# granted for the run is opened by cordon and installed (issue 21).
#
#   1. One open for reading, timed inside by a small program: BENCH_OPENS opens of one
#      file (O_RDONLY), each closed:
#        bare       no cordon
#        plain      cordon run, the workspace file (reads stay in the kernel)
#        routed     cordon run --learn --deny-read OTHER, the workspace file: every read
#                   open makes the round trip and the broker's lookup, then CONTINUE
#        granted    cordon run --learn --deny-read FILE, that file: each open resolved,
#                   covered by the run's grant, opened by cordon and installed
#        below-dir  cordon run --learn --deny-read DIR, a file below it: each open fails in
#                   the command's view, is resolved again to the mask and beneath the real
#                   directory, covered by the run's grant, copied and installed
#      Microseconds per open (the first open left out), median over rounds.
#   2. A whole command that opens many files: `cat` of BENCH_FILES small files through
#      xargs, bare, plain and routed (interleaved by bench/timer.cpp).
#
#   bench/ask_read.sh        # a few minutes on 2 busy vCPUs; BENCH_RUNS=N (default 10)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
RUNS=$(count BENCH_RUNS 10 1000)
FILES=$(count BENCH_FILES 2000 100000)
OPENS=$(count BENCH_OPENS 2000 100000)
need_cordon
for t in c++ python3; do command -v "$t" >/dev/null || die "'$t' not found"; done

export TMPDIR=${BENCH_TMPDIR:-/var/tmp}
bench_setup bench-ask-read
ws=$tmp/ws
mkdir -p "$ws/many" "$tmp/home"
echo content >"$ws/f"
echo secret >"$tmp/home/denied"
echo other >"$tmp/home/other"
mkdir -p "$tmp/home/vault"
echo secret >"$tmp/home/vault/denied"
for ((i = 0; i < FILES; i++)); do echo "$i" >"$ws/many/f$i"; done

cat >"$tmp/reads.cpp" <<'CPP'
#include <fcntl.h>
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
// reads PATH N: N opens of PATH for reading, each read and closed; prints the mean
// microseconds per open after the first.
int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const int n = std::atoi(argv[2]);
  char buf[64];
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  for (int i = 0; i < n; ++i) {
    const int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::perror(argv[1]), 3;
    if (read(fd, buf, sizeof buf) <= 0) return 4;
    close(fd);
    if (i == 0) t0 = clock::now();
  }
  std::printf("%.3f\n", std::chrono::duration<double, std::micro>(clock::now() - t0).count() / (n - 1));
  return 0;
}
CPP
c++ -std=c++20 -O2 -o "$ws/reads" "$tmp/reads.cpp" || die "cannot compile the open loop"

run() { "$cordon" run --no-config --workspace "$ws" "$@"; }
echo "bench: $RUNS rounds, $OPENS opens, $FILES files, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

variants=(bare plain routed granted below-dir)
: >"$tmp/reads.txt"
for ((round = 0; round < RUNS; round++)); do
  for ((k = 0; k < 5; k++)); do
    v=${variants[$(((round + k) % 5))]}
    case $v in
      bare) r=$("$ws/reads" "$ws/f" "$OPENS") ;;
      plain) r=$(run -- "$ws/reads" "$ws/f" "$OPENS") ;;
      routed) r=$(run --learn "$tmp/l.toml" --deny-read "$tmp/home/other" -- "$ws/reads" "$ws/f" "$OPENS") ;;
      granted) r=$(run --learn "$tmp/l.toml" --deny-read "$tmp/home/denied" -- \
        "$ws/reads" "$tmp/home/denied" "$OPENS" 2>/dev/null) ;;
      below-dir) r=$(run --learn "$tmp/l.toml" --deny-read "$tmp/home/vault" -- \
        "$ws/reads" "$tmp/home/vault/denied" "$OPENS" 2>/dev/null) ;;
    esac
    [[ $r =~ ^[0-9.]+$ ]] || die "$v: the open loop printed '$r'"
    echo "$round $v $r" >>"$tmp/reads.txt"
  done
done

spec=$tmp/spec
: >"$spec"
add() { printf '%s\0' "$@" >>"$spec"; printf '\0' >>"$spec"; }
cat_all="cd $(printf '%q' "$ws/many") && ls | xargs cat >/dev/null"
add cat-bare sh -c "$cat_all"
add cat-plain "$cordon" run --no-config --workspace "$ws" -- sh -c "$cat_all"
add cat-routed "$cordon" run --no-config --learn "$tmp/l.toml" --deny-read "$tmp/home/other" --workspace "$ws" \
  -- sh -c "$cat_all"
"$timer" --runs "$RUNS" --warmup 1 --timeout 300 --json "$tmp/out/read.json" --csv "$tmp/out/read.csv" "$spec"

python3 - "$tmp/reads.txt" "$tmp/out/read.json" "$FILES" <<'PY'
import json, statistics, sys
by = {}
for line in open(sys.argv[1]):
    round_, v, us = line.split()
    by.setdefault(int(round_), {})[v] = float(us)
med = statistics.median
print("1. one open for reading (microseconds per open; median over rounds)")
print(f"{'variant':<10} {'per open':>9} {'x plain (per round)':>20}")
for v in ("bare", "plain", "routed", "granted", "below-dir"):
    per = [r[v] for r in by.values()]
    ratio = [r[v] / r["plain"] for r in by.values()]
    print(f"{v:<10} {med(per):>9.2f} {med(ratio):>20.2f}")
results = json.load(open(sys.argv[2]))["results"]
samples = {r["command"]: r["times"] for r in results}
print(f"2. cat of {sys.argv[3]} files through xargs (milliseconds per run; ratios per round)")
print(f"{'command':<12} {'median':>8} {'min':>8} {'x plain':>8}")
for r in results:
    c = r["command"]
    xs = [a / b for a, b in zip(samples[c], samples["cat-plain"])]
    print(f"{c:<12} {r['median'] * 1000:>8.1f} {r['min'] * 1000:>8.1f} {med(xs):>8.2f}")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
