#!/usr/bin/env bash
# The cost of denial reporting (the seccomp user-notification supervisor), on write-heavy work:
#
#   1. untar: extract a tarball of N small files into the workspace (every file is an
#      open(O_CREAT|O_WRONLY) and a directory per 50 files, each one a notification)
#   2. build: N generated C files with `make -j2` (compilers open few files for writing)
#   3. per call: 20000 opens for writing and 20000 for reading, timed inside the sandbox
#
# each as bare exec and as `cordon run --report-denials off | on | full` (full also watches
# every open for reads of secrets), interleaved round by round by bench/timer.cpp.
#
#   bench/deny.sh                                   # about 2 minutes on 2 vCPUs
#   BENCH_RUNS=3 BENCH_UNTAR_FILES=2000 bench/deny.sh   # a quick pass
#
# Knobs: CORDON (binary, default build/cordon), BENCH_RUNS (default 10, warmup 2),
# BENCH_UNTAR_FILES (default 5000), BENCH_BUILD_FILES (default 100), BENCH_OUT (JSON, default
# bench/results/deny.json). Needs c++, make, cc, tar, python3. Everything else lives in one
# temporary directory, removed on exit (cordon's state too: XDG_STATE_HOME points into it).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
RUNS=$(count BENCH_RUNS 10 1000)
UNTAR_FILES=$(count BENCH_UNTAR_FILES 5000 100000)
BUILD_FILES=$(count BENCH_BUILD_FILES 100 5000)

out=${BENCH_OUT:-$here/results/deny.json}
for t in c++ make cc tar python3; do command -v "$t" >/dev/null || die "'$t' not found"; done
mkdir -p "$(dirname "$out")" || die "cannot create $(dirname "$out")"
need_cordon

bench_setup bench-deny

# --- workspace: a tarball of small files, a C project ---------------------------------------
ws=$tmp/ws
mkdir -p "$ws/src-tree" "$ws/build/src"
for ((i = 0; i < UNTAR_FILES; i++)); do
  d=$ws/src-tree/d$((i / 50))
  [[ -d $d ]] || mkdir "$d"
  printf 'file %d\n' "$i" >"$d/f$i.txt"
done
tar -C "$ws" -cf "$ws/tree.tar" src-tree
rm -rf "$ws/src-tree"
for ((i = 0; i < BUILD_FILES; i++)); do
  printf '#include <stdio.h>\nint f%d(int n) { char b[32]; return snprintf(b, sizeof b, "%%d", n * %d); }\n' "$i" "$i" \
    >"$ws/build/src/f$i.c"
done
{
  for ((i = 0; i < BUILD_FILES; i++)); do printf 'int f%d(int);\n' "$i"; done
  printf 'int main(void) {\n  int s = 0;\n'
  for ((i = 0; i < BUILD_FILES; i++)); do printf '  s += f%d(%d);\n' "$i" "$i"; done
  printf '  return s == 0;\n}\n'
} >"$ws/build/src/main.c"
cat >"$ws/build/Makefile" <<'EOF'
OBJS := $(patsubst src/%.c,obj/%.o,$(wildcard src/*.c))
prog: $(OBJS)
	$(CC) -o $@ $^
obj/%.o: src/%.c | obj
	$(CC) -O1 -c -o $@ $<
obj:
	mkdir -p obj
clean:
	rm -rf obj prog
EOF
cd "$ws"

untar=(tar -xf tree.tar)
build=(make -s -j2 -C build)
"$cordon" run --no-config --report-denials on -- "${untar[@]}" || die "cordon cannot run here"
rm -rf src-tree

spec() {  # spec NAME PREPARE... -- CMD...: one comparison, bare vs the three levels
  local name=$1; shift
  local prepare=() cmd=()
  while [[ $1 != -- ]]; do prepare+=("$1"); shift; done
  shift
  cmd=("$@")
  : >"$tmp/out/$name.spec"
  add() { printf '%s\0' "$@" "" >>"$tmp/out/$name.spec"; }
  add @prepare "${prepare[@]}"
  add bare "${cmd[@]}"
  add off "$cordon" run --no-config --report-denials off -- "${cmd[@]}"
  add on "$cordon" run --no-config --report-denials on -- "${cmd[@]}"
  add full "$cordon" run --no-config --report-denials full -- "${cmd[@]}"
  printf '\n== %s (%d runs, interleaved)\n' "$name" "$RUNS"
  "$timer" --runs "$RUNS" --warmup 2 --json "$tmp/out/$name.json" --csv "$tmp/out/$name.csv" "$tmp/out/$name.spec"
}
spec untar rm -rf src-tree -- "${untar[@]}"
spec build make -s -C build clean -- "${build[@]}"

# --- 3. per call: the round trip to the supervisor, without the noise of a whole workload ------
# N opens for writing (watched at "on") and N opens for reading (watched only at "full"); the
# program times its own loops, so process start-up and load elsewhere weigh less. It lives in
# the workspace: the sandbox has its own /tmp.
cat >"$ws/percall.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  int fd = open("percall.tmp", O_CREAT | O_WRONLY, 0644);
  if (fd < 0) return 1;
  close(fd);
  double a = now();
  for (int i = 0; i < n; ++i) { fd = open("percall.tmp", O_WRONLY | O_TRUNC); if (fd >= 0) close(fd); }
  double b = now();
  for (int i = 0; i < n; ++i) { fd = open("percall.tmp", O_RDONLY); if (fd >= 0) close(fd); }
  double c = now();
  printf("%.3f %.3f\n", (b - a) / n, (c - b) / n);
  return 0;
}
C
cc -O2 -o "$ws/percall" "$ws/percall.c" || die "cannot compile the per-call probe"
printf '\n== per call (%d rounds of 20000 opens each way)\n' "$RUNS"
: >"$tmp/out/percall.txt"
for ((r = 0; r < RUNS; r++)); do
  printf 'bare %s\n' "$("$ws/percall" 20000)" >>"$tmp/out/percall.txt"
  for level in off on full; do
    printf '%s %s\n' "$level" "$("$cordon" run --no-config --report-denials "$level" -- "$ws/percall" 20000)" \
      >>"$tmp/out/percall.txt"
  done
done

python3 - "$tmp/out" "$out" "$UNTAR_FILES" "$BUILD_FILES" "$RUNS" <<'PY'
import json, os, platform, statistics, sys
outdir, dest, nuntar, nbuild, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
summary = {"kernel": platform.release(), "cpus": os.cpu_count(), "runs": runs,
           "untar_files": nuntar, "build_files": nbuild, "workloads": {}, "per_call_us": {}}
samples = {}
for line in open(os.path.join(outdir, "percall.txt")):
    parts = line.split()
    if len(parts) != 3:  # a run that failed (its stderr was shown)
        continue
    level, w, r = parts
    samples.setdefault(level, []).append((float(w), float(r)))
print(f"{'per call':<8} {'variant':<5} {'open for write, us min / median':>32} {'open for read, us min / median':>32}")
for level in ("bare", "off", "on", "full"):
    ws, rs = [s[0] for s in samples[level]], [s[1] for s in samples[level]]
    summary["per_call_us"][level] = {"write_min": min(ws), "write_median": statistics.median(ws),
                                     "read_min": min(rs), "read_median": statistics.median(rs)}
    print(f"{'':<8} {level:<5} {min(ws):23.2f} / {statistics.median(ws):6.2f} {min(rs):23.2f} / {statistics.median(rs):6.2f}")
print()
print()
print(f"{'workload':<8} {'variant':<5} {'median s':>9} {'vs off':>8} {'vs bare':>8} {'cpu s':>7} {'cpu vs off':>10}")
for name in ("untar", "build"):
    data = json.load(open(os.path.join(outdir, name + ".json")))
    res = {r["command"]: r for r in data["results"]}
    summary["workloads"][name] = {k: {"median": v["median"], "mean": v["mean"], "stddev": v["stddev"],
                                      "cpu": v["user"] + v["system"], "times": v["times"]} for k, v in res.items()}
    off, bare = res["off"]["median"], res["bare"]["median"]
    # CPU time of the whole tree (the supervisor thread is cordon's): steadier than wall time
    # on a shared machine.
    off_cpu = res["off"]["user"] + res["off"]["system"]
    for variant in ("bare", "off", "on", "full"):
        m, cpu = res[variant]["median"], res[variant]["user"] + res[variant]["system"]
        print(f"{name:<8} {variant:<5} {m:9.3f} {100 * (m / off - 1):+7.1f}% {100 * (m / bare - 1):+7.1f}%"
              f" {cpu:7.3f} {100 * (cpu / off_cpu - 1):+9.1f}%")
json.dump(summary, open(dest, "w"), indent=1)
print(f"\nwritten: {dest}")
PY
