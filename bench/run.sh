#!/usr/bin/env bash
# One command for cordon's benchmarks. Each comparison runs in the same invocation:
#
#   1. startup latency of /bin/true: bare exec vs the namespace floor (`unshare -Urnmpi --fork
#      --mount-proc`) vs `cordon run` vs bubblewrap (same profile)
#   2. the cost of N protected paths and N denied paths (default 1000), vs bwrap's N --ro-bind
#   3. a real build: N small generated C files with `make -j2`, native vs cordon vs bwrap
#   4. real work: `git status` in a repository of N files, and extracting a tarball of M small
#      files into the workspace, bare vs cordon vs bwrap
#   5. warm calls: a `cordon mcp` call vs a fresh `cordon run`, bwrap (cold) and bare exec
#      (bench/mcp.sh; issue 19's target: at most 0.25 of bwrap's added latency)
#   6. the allowed network: a 1 GiB loopback stream and connection set-up, direct vs through
#      cordon's proxy and its direct route (bench/net.sh; needs python3)
#
#   bench/run.sh                                    # about 3-5 minutes on 2 vCPUs
#   BENCH_LATENCY_RUNS=50 BENCH_BUILD_RUNS=2 bench/run.sh   # a quick pass
#   su cordon-ci -c 'BENCH_OUT=/tmp/latest.json bench/run.sh'  # as an unprivileged user
#
# Timing is done by bench/timer.cpp (compiled here), which interleaves the commands of each
# comparison round by round, so load from other work on the machine hits them alike.
# Needs c++, make, cc and git; bwrap is optional (its rows are skipped without it, and as an
# unprivileged user it needs unprivileged user namespaces). Prints a summary table and writes
# every sample plus the summary to bench/results/latest.json (BENCH_OUT overrides).
# Everything else lives in one temporary directory that is removed on exit, including cordon's
# state (XDG_STATE_HOME points into it).
#
# Knobs (environment):
#   CORDON                 cordon binary (default: build/cordon, built if missing)
#   BENCH_LATENCY_RUNS     runs per command for /bin/true          (default 200, warmup 20)
#   BENCH_LATENCY_WARMUP
#   BENCH_PATHS            protected / denied paths                 (default 1000)
#   BENCH_PATHS_RUNS       runs for the cordon many-path cases      (default 50, warmup 5)
#   BENCH_BWRAP_PATHS_RUNS runs for bwrap + N --ro-bind (~1 s each) (default 5)
#   BENCH_BUILD_FILES      generated C files                        (default 200)
#   BENCH_BUILD_RUNS       builds per variant                       (default 5)
#   BENCH_BUILD_JOBS       make -j                                  (default 2)
#   BENCH_WORK_FILES       files in the git-status repository       (default 3000)
#   BENCH_TAR_FILES        files in the extracted tarball           (default 20000)
#   BENCH_WORK_RUNS        runs per variant of each work command    (default 5)
#   BENCH_MAX_FAILURES     % of runs per command that may fail (reported, not timed) (default 5)
#   BENCH_WARM_ROUNDS      rounds of bench/mcp.sh                   (default 50)
#   BENCH_NET_MB, BENCH_NET_ROUNDS, ...  passed on to bench/net.sh (see there)
#   BENCH_SECTIONS         which comparisons to run (default "latency paths build work warm net")
#   BENCH_BWRAP=off        skip bubblewrap
#   BENCH_OUT              where to write the JSON
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
say() { printf '\n== %s\n' "$*"; }

LATENCY_RUNS=$(count BENCH_LATENCY_RUNS 200 100000)
LATENCY_WARMUP=$(count BENCH_LATENCY_WARMUP 20 10000)
NPATHS=$(count BENCH_PATHS 1000 2500)  # bwrap refuses more than 9000 arguments
PATHS_RUNS=$(count BENCH_PATHS_RUNS 50 10000)
BWRAP_PATHS_RUNS=$(count BENCH_BWRAP_PATHS_RUNS 5 1000)
BUILD_FILES=$(count BENCH_BUILD_FILES 200 5000)
BUILD_RUNS=$(count BENCH_BUILD_RUNS 5 100)
BUILD_JOBS=$(count BENCH_BUILD_JOBS 2 256)
WORK_FILES=$(count BENCH_WORK_FILES 3000 100000)
TAR_FILES=$(count BENCH_TAR_FILES 20000 200000)
WORK_RUNS=$(count BENCH_WORK_RUNS 5 1000)
WARM_ROUNDS=$(count BENCH_WARM_ROUNDS 50 10000)
MAX_FAILURES=${BENCH_MAX_FAILURES:-5}
[[ $MAX_FAILURES =~ ^[0-9]+$ && $MAX_FAILURES -le 100 ]] || die "BENCH_MAX_FAILURES must be a percentage 0..100"
SECTIONS=${BENCH_SECTIONS:-latency paths build work warm net}
for s in $SECTIONS; do [[ $s =~ ^(latency|paths|build|work|warm|net)$ ]] || die "BENCH_SECTIONS: unknown section '$s'"; done
[[ -n ${SECTIONS// /} ]] || die "BENCH_SECTIONS is empty"
want() { [[ " $SECTIONS " == *" $1 "* ]]; }

repo=$(cd "$here/.." && pwd)
out=${BENCH_OUT:-$here/results/latest.json}

# --- tools ---------------------------------------------------------------------------------
for t in c++:g++ make:make cc:gcc git:git awk:mawk; do
  command -v "${t%%:*}" >/dev/null || die "'${t%%:*}' not found (Debian: apt-get install ${t#*:})"
done
if ! mkdir -p "$(dirname "$out")" 2>/dev/null || [[ ! -w $(dirname "$out") || (-e $out && ! -w $out) ]]; then
  die "cannot write '$out'; set BENCH_OUT to a writable file"
fi

cordon_src=${CORDON:-$repo/build/cordon}
if [[ ! -x $cordon_src ]]; then
  [[ -z ${CORDON:-} ]] || die "CORDON='$CORDON' is not executable"
  say "building cordon"
  (cd "$repo" && cmake --preset default >/dev/null && cmake --build build -j"$(nproc)" --target cordon) ||
    die "build failed; build cordon first or set CORDON"
fi

bench_setup bench
rev=$(git -C "$repo" describe --always --dirty 2>/dev/null) || rev=unknown  # when the copy was taken

# --- workspace: a git repository (so .git/hooks exists), N small files, a C project ----------
ws=$tmp/ws
mkdir -p "$ws"
git -C "$ws" init -q
mkdir -p "$ws/.git/hooks"
mkdir -p "$ws"/m/{0..9}
many=()
for ((i = 0; i < NPATHS; i++)); do
  f=$ws/m/$((i % 10))/$i
  printf 'secret\n' >"$f"
  many+=("$f")
done
mkdir -p "$ws/build/src"
for ((i = 0; i < BUILD_FILES; i++)); do
  cat >"$ws/build/src/f$i.c" <<EOF
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int cmp$i(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
int f${i}_work(int n) {
  int v[64];
  for (int k = 0; k < 64; ++k) v[k] = (k * $((i + 7))) % 97 + n;
  qsort(v, 64, sizeof v[0], cmp$i);
  char buf[128];
  snprintf(buf, sizeof buf, "%d:%d:%s", v[0], v[63], "f$i");
  return (int)strlen(buf) + v[n & 63];
}
EOF
done
{
  for ((i = 0; i < BUILD_FILES; i++)); do printf 'int f%d_work(int);\n' "$i"; done
  printf 'int main(int argc, char **argv) {\n  (void)argv;\n  int s = 0;\n'
  for ((i = 0; i < BUILD_FILES; i++)); do printf '  s += f%d_work(argc);\n' "$i"; done
  printf '  return s == 0;\n}\n'
} >"$ws/build/src/main.c"
cat >"$ws/build/Makefile" <<'EOF'
OBJS := $(patsubst src/%.c,obj/%.o,$(wildcard src/*.c))
prog: $(OBJS)
	$(CC) -o $@ $^
obj/%.o: src/%.c | obj
	$(CC) -O2 -c -o $@ $<
obj:
	mkdir -p obj
clean:
	rm -rf obj prog
EOF
# Real work (section 4): a committed repository of WORK_FILES files in 30 directories, and a
# tarball of TAR_FILES small files in 100 directories in the workspace (as a downloaded archive
# would be; /tmp is private in both sandboxes, so it could not be read from there).
if want work; then
  mkdir -p "$ws/repo" "$tmp/tarsrc/extract"
  for ((d = 0; d < 30; d++)); do mkdir -p "$ws/repo/d$d"; done
  for ((i = 0; i < WORK_FILES; i++)); do printf 'line %d\n' "$i" >"$ws/repo/d$((i % 30))/f$i.txt"; done
  git -C "$ws/repo" init -q
  git -C "$ws/repo" add -A
  git -C "$ws/repo" -c user.name=bench -c user.email=bench@localhost commit -q -m files
  for ((d = 0; d < 100; d++)); do mkdir -p "$tmp/tarsrc/extract/d$d"; done
  for ((i = 0; i < TAR_FILES; i++)); do printf '%d\n' "$i" >"$tmp/tarsrc/extract/d$((i % 100))/f$i"; done
  tar -cf "$ws/files.tar" -C "$tmp/tarsrc" extract
  rm -rf "$tmp/tarsrc"
fi
cd "$ws"

# --- the commands ---------------------------------------------------------------------------
cordon_run=("$cordon" run --no-config)
# The issue's bwrap profile, with --tmpfs /tmp moved before the workspace bind: the workspace
# lives under /tmp here and would otherwise be hidden. Same mounts, same cost.
bwrap_run=(bwrap --ro-bind / / --tmpfs /tmp --bind "$ws" "$ws" --ro-bind "$ws/.git/hooks" "$ws/.git/hooks"
  --dev /dev --proc /proc --unshare-all --die-with-parent --new-session)
bwrap_profile="bwrap --ro-bind / / --tmpfs /tmp --bind WS WS --ro-bind WS/.git/hooks WS/.git/hooks"
bwrap_profile+=" --dev /dev --proc /proc --unshare-all --die-with-parent --new-session CMD"
protect=() deny=() binds=()
for f in "${many[@]}"; do protect+=(--protect "$f"); deny+=(--deny-read "$f"); binds+=(--ro-bind "$f" "$f"); done
make_cmd=(make -s -j"$BUILD_JOBS" -C build)

# --- preflight: each sandbox really applies its profile (not timed) ---------------------------
check() {  # check COMMAND...: run once, must exit 0
  local err
  if ! err=$("$@" 2>&1 >/dev/null); then printf 'bench: preflight failed: %s\n%s\n' "$1" "$err" >&2; return 1; fi
}
say "preflight"
first=${many[0]}
probe='test -w . && ! touch .git/hooks/bench-probe 2>/dev/null'
check "${cordon_run[@]}" -- /bin/sh -c "$probe" || die "cordon cannot run here"
check "${cordon_run[@]}" "${protect[@]}" -- /bin/sh -c "! touch '$first' 2>/dev/null" ||
  die "cordon --protect x $NPATHS failed"
check "${cordon_run[@]}" "${deny[@]}" -- /bin/sh -c "test -z \"\$(cat '$first' 2>/dev/null)\"" ||
  die "cordon --deny-read x $NPATHS failed"
have_bwrap=0 bwrap_note=""
if [[ ${BENCH_BWRAP:-auto} == off ]]; then
  bwrap_note="skipped (BENCH_BWRAP=off)"
elif ! command -v bwrap >/dev/null; then
  bwrap_note="skipped (bwrap not installed; Debian: apt-get install bubblewrap)"
elif ! check "${bwrap_run[@]}" /bin/sh -c "$probe"; then
  bwrap_note="skipped (bwrap cannot run here: unprivileged user namespaces off?)"
else
  check "${bwrap_run[@]}" "${binds[@]}" /bin/sh -c "! touch '$first' 2>/dev/null" || die "bwrap + $NPATHS --ro-bind failed"
  have_bwrap=1
fi
floor_run=(unshare -Urnmpi --fork --mount-proc)
have_floor=0 floor_note=""
if ! command -v unshare >/dev/null; then
  floor_note="skipped (unshare not installed; Debian: apt-get install util-linux)"
elif ! check "${floor_run[@]}" /bin/true; then
  floor_note="skipped (unshare -Urnmpi cannot run here: unprivileged user namespaces off?)"
else
  have_floor=1
fi
echo "cordon ok; bwrap ${bwrap_note:-ok}; namespace floor ${floor_note:-ok}"

# --- measurement ----------------------------------------------------------------------------
# group NAME starts a comparison; add NAME ARGV... adds a command to it; measure RUNS WARMUP runs
# it. "@prepare" is run, untimed, before every timed command.
group() { current=$1; : >"$tmp/out/$current.spec"; }
add() { printf '%s\0' "$@" "" >>"$tmp/out/$current.spec"; }
measure() {  # a failed run is reported and not timed; more than BENCH_MAX_FAILURES % (at least 1) stops
  local allowed=$((($1 + $2) * MAX_FAILURES / 100))
  ((allowed >= 1 || MAX_FAILURES == 0)) || allowed=1
  "$timer" --runs "$1" --warmup "$2" --max-failures "$allowed" \
    --json "$tmp/out/$current.json" --csv "$tmp/out/$current.csv" "$tmp/out/$current.spec"
}
pressure() { awk '/^some/ { sub("avg60=", "", $3); print $3 }' /proc/pressure/cpu 2>/dev/null || echo unknown; }
load_start=$(cut -d' ' -f1-3 /proc/loadavg) pressure_start=$(pressure)

if want latency; then
  say "1. startup latency: /bin/true ($LATENCY_RUNS runs, $LATENCY_WARMUP warmup, interleaved)"
  group latency
  add bare /bin/true
  # The namespace floor (issue 19): the namespaces cordon makes and a fresh /proc, nothing else.
  ((have_floor)) && add floor "${floor_run[@]}" /bin/true
  add cordon "${cordon_run[@]}" -- /bin/true
  ((have_bwrap)) && add bwrap "${bwrap_run[@]}" /bin/true
  measure "$LATENCY_RUNS" "$LATENCY_WARMUP"
fi

if want paths; then
  say "2. $NPATHS protected / denied paths ($PATHS_RUNS runs, interleaved)"
  group paths
  add cordon-0 "${cordon_run[@]}" -- /bin/true
  add cordon-protect-N "${cordon_run[@]}" "${protect[@]}" -- /bin/true
  add cordon-deny-N "${cordon_run[@]}" "${deny[@]}" -- /bin/true
  measure "$PATHS_RUNS" 5
  if ((have_bwrap)); then
    say "2b. bwrap + $NPATHS --ro-bind ($BWRAP_PATHS_RUNS runs, interleaved)"
    group bwrap_paths
    add bwrap-0 "${bwrap_run[@]}" /bin/true
    add bwrap-ro-bind-N "${bwrap_run[@]}" "${binds[@]}" /bin/true
    measure "$BWRAP_PATHS_RUNS" 1
  fi
fi

if want build; then
  say "3. build: $BUILD_FILES C files, make -j$BUILD_JOBS ($BUILD_RUNS runs each, interleaved)"
  "${make_cmd[@]}" >/dev/null && make -s -C build clean  # warm the page cache, untimed
  group build
  add @prepare make -s -C build clean
  add build-native "${make_cmd[@]}"
  add build-cordon "${cordon_run[@]}" -- "${make_cmd[@]}"
  ((have_bwrap)) && add build-bwrap "${bwrap_run[@]}" "${make_cmd[@]}"
  measure "$BUILD_RUNS" 0
fi
if want work; then
  say "4a. git status, $WORK_FILES files ($WORK_RUNS runs each, interleaved)"
  git -C repo status --porcelain >/dev/null  # refresh the index and warm the page cache, untimed
  group work_git
  add git-bare git -C repo status --porcelain
  add git-cordon "${cordon_run[@]}" -- git -C repo status --porcelain
  ((have_bwrap)) && add git-bwrap "${bwrap_run[@]}" git -C repo status --porcelain
  measure "$WORK_RUNS" 2
  say "4b. tar -x of $TAR_FILES files into the workspace ($WORK_RUNS runs each, interleaved)"
  tar -xf files.tar && rm -rf extract  # warm the page cache, untimed
  group work_tar
  add @prepare rm -rf extract
  add tar-bare tar -xf files.tar
  add tar-cordon "${cordon_run[@]}" -- tar -xf files.tar
  ((have_bwrap)) && add tar-bwrap "${bwrap_run[@]}" tar -xf files.tar
  measure "$WORK_RUNS" 1
fi
# Sections 5 and 6 are scripts of their own, each interleaving its modes round by round; their
# reports are kept as text (and their headline figures picked out) for the summary and the JSON.
: >"$tmp/out/warm.txt"
: >"$tmp/out/net.txt"
if want warm; then
  say "5. warm calls: bench/mcp.sh, $WARM_ROUNDS rounds"
  if command -v python3 >/dev/null; then
    "$here/mcp.sh" "$WARM_ROUNDS" "$cordon" | tee "$tmp/out/warm.txt" || die "bench/mcp.sh failed"
  else
    echo "skipped (python3 not installed)" | tee "$tmp/out/warm.txt"
  fi
fi
if want net; then
  say "6. the allowed network: bench/net.sh"
  if command -v python3 >/dev/null; then
    CORDON=$cordon "$here/net.sh" | tee "$tmp/out/net.txt" || die "bench/net.sh failed"
  else
    echo "skipped (python3 not installed)" | tee "$tmp/out/net.txt"
  fi
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg) pressure_end=$(pressure)

# --- summary and JSON -------------------------------------------------------------------------
shopt -s nullglob
csvs=("$tmp"/out/*.csv)
shopt -u nullglob
summarize() {  # summarize text|json: the timed sections' table (none when only sections 5-6 ran)
  if ((${#csvs[@]} == 0)); then [[ $1 == json ]] && printf '{}'; return 0; fi
  awk -F, -v mode="$1" -v npaths="$NPATHS" -v nfiles="$BUILD_FILES" -v jobs="$BUILD_JOBS" \
  -v build_runs="$BUILD_RUNS" -v work_files="$WORK_FILES" -v tar_files="$TAR_FILES" -f "$here/summary.awk" "${csvs[@]}"
}
say "summary"
summarize text
# The headline figures of sections 5 and 6, as their scripts print them.
headline() {  # headline FILE: the lines that carry a target or the direct route's rows
  grep -E 'mcp overhead / bwrap|mcp overhead / fresh|direct route|direct \(host\)' "$1" || true
}
if want warm; then printf '\n5. warm calls (bench/mcp.sh)\n'; headline "$tmp/out/warm.txt"; fi
if want net; then printf '\n6. the allowed network (bench/net.sh; target: direct route >= 90%% of direct, <= 1.2x its CPU, set-up < 0.5 ms)\n'; headline "$tmp/out/net.txt"; fi
echo "load average: start $load_start, end $load_end; CPU pressure (avg60 %): $pressure_start -> $pressure_end (nproc $(nproc))"
[[ -n $bwrap_note ]] && echo "bwrap: $bwrap_note"

jstr() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
raw() { if [[ -f $tmp/out/$1.json ]]; then cat "$tmp/out/$1.json"; else printf 'null'; fi; }
lines() {  # lines FILE: a JSON array of its lines
  local first=1 l
  printf '['
  while IFS= read -r l; do
    ((first)) || printf ', '
    first=0
    jstr "$l"
  done <"$1"
  printf ']'
}
os=$(awk -F= '$1 == "PRETTY_NAME" { gsub(/"/, "", $2); print $2 }' /etc/os-release 2>/dev/null) || os=unknown
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
{
  printf '{\n"schema": 1,\n"date": %s,\n' "$(jstr "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
  printf '"host": {"nproc": %s, "cpu": %s, "os": %s, "kernel": %s, "uid": %s,\n' \
    "$(nproc)" "$(jstr "$cpu")" "$(jstr "$os")" "$(jstr "$(uname -r)")" "$(id -u)"
  printf '  "loadavg_start": %s, "loadavg_end": %s, "cpu_pressure_avg60_start": %s, "cpu_pressure_avg60_end": %s},\n' \
    "$(jstr "$load_start")" "$(jstr "$load_end")" "$(jstr "$pressure_start")" "$(jstr "$pressure_end")"
  printf '"tools": {"cordon": %s, "cordon_git": %s, "bwrap": %s, "timer": "bench/timer.cpp (interleaved)", "cc": %s},\n' \
    "$(jstr "$("$cordon" --version 2>&1 | head -n1)")" "$(jstr "$rev")" \
    "$(jstr "$( ((have_bwrap)) && bwrap --version || echo "$bwrap_note")")" \
    "$(jstr "$(cc --version | head -n1)")"
  printf '"params": {"sections": %s, "latency_runs": %s, "latency_warmup": %s, "paths": %s, "paths_runs": %s, "bwrap_paths_runs": %s, "build_files": %s, "build_runs": %s, "build_jobs": %s, "work_files": %s, "tar_files": %s, "work_runs": %s},\n' \
    "$(jstr "$SECTIONS")" "$LATENCY_RUNS" "$LATENCY_WARMUP" "$NPATHS" "$PATHS_RUNS" "$BWRAP_PATHS_RUNS" "$BUILD_FILES" "$BUILD_RUNS" "$BUILD_JOBS" \
    "$WORK_FILES" "$TAR_FILES" "$WORK_RUNS"
  printf '"bwrap_profile": %s,\n' "$(jstr "$bwrap_profile")"
  printf '"summary": '
  summarize json
  printf ',\n"reports": {"warm": %s,\n"net": %s}' "$(lines "$tmp/out/warm.txt")" "$(lines "$tmp/out/net.txt")"
  printf ',\n"raw": {"latency": %s,\n"paths": %s,\n"bwrap_paths": %s,\n"build": %s,\n"work_git": %s,\n"work_tar": %s}\n}\n' \
    "$(raw latency)" "$(raw paths)" "$(raw bwrap_paths)" "$(raw build)" "$(raw work_git)" "$(raw work_tar)"
} >"$out"
echo "raw numbers: $out"
