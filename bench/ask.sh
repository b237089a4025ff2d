#!/usr/bin/env bash
# The cost of a granted write (`cordon run --ask` and `--learn`, docs/architecture.md,
# "Asking instead of failing"), against the same writes in the workspace (issue 21). A
# granted call is made by the creation broker on the host: the open is refused by the
# read-only mount in the command's view, the gate decides, the directory is opened again
# where it is writable and the call made there.
#
#   1. One open, timed inside by a small program: BENCH_OPENS opens of one file for
#      writing (O_WRONLY|O_CREAT|O_TRUNC), bare, in the workspace under cordon, and outside
#      it under `cordon run --learn` (the first open is granted for the run, the others
#      are covered by that grant). Microseconds per open, and the first open alone.
#   2. 1,000 files written into an empty directory (BENCH_FILES), interleaved by
#      bench/timer.cpp: bare; in the workspace under cordon; outside it under `--ask`
#      with the one question (the first file) answered "d" (its directory) by a program
#      that plays the user on a pty of cordon's own; under `--learn` (every file a grant
#      of its own);
#      and under `--policy` with the fragment `--learn` wrote (the directory a writable
#      root: no grant at all).
#
#   bench/ask.sh             # about 5 minutes on 2 busy vCPUs; BENCH_RUNS=N (default 10)
#
# Ratios are taken round by round (each round runs every command once, in a rotating
# order), so a busy phase of a loaded machine slows all of them alike; the load is
# printed before and after. Needs c++ and python3. Everything lives in one temporary
# directory, removed on exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
RUNS=$(count BENCH_RUNS 10 1000)
FILES=$(count BENCH_FILES 1000 100000)
OPENS=$(count BENCH_OPENS 2000 100000)
need_cordon
for t in c++ python3; do command -v "$t" >/dev/null || die "'$t' not found"; done

# Asking covers paths below the home or /var/tmp: the outside directory lives there.
export TMPDIR=${BENCH_TMPDIR:-/var/tmp}
bench_setup bench-ask
ws=$tmp/ws
out=$tmp/outside
mkdir -p "$ws" "$out" "$tmp/bare"

cat >"$tmp/opens.cpp" <<'CPP'
#include <fcntl.h>
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
// opens DIR N: N opens of DIR/f for writing, each closed; prints the first open's
// microseconds and the mean of the others.
int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const std::string path = std::string(argv[1]) + "/f";
  const int n = std::atoi(argv[2]);
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  double first = 0;
  for (int i = 0; i < n; ++i) {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return std::perror(path.c_str()), 3;
    close(fd);
    if (i == 0) {
      first = std::chrono::duration<double, std::micro>(clock::now() - t0).count();
      t0 = clock::now();
    }
  }
  const double rest = std::chrono::duration<double, std::micro>(clock::now() - t0).count() / (n - 1);
  std::printf("%.2f %.3f\n", first, rest);
  return 0;
}
CPP
cat >"$tmp/answer.cpp" <<'CPP'
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
// answer KEY QUESTIONS CORDON ARGS...: runs cordon on a pty (its controlling terminal and
// standard streams), answers each question with KEY as a user would, and exits with
// cordon's status; 3 if the number of questions was not QUESTIONS. Bounded: 120 s.
int main(int argc, char** argv) {
  if (argc < 4) return 2;
  const char key = argv[1][0];
  const int expected = std::atoi(argv[2]);
  const int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) return std::perror("pty"), 2;
  const int slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) return std::perror("pty slave"), 2;
  const pid_t pid = fork();
  if (pid == 0) {
    setsid();
    ioctl(slave, TIOCSCTTY, 0);
    dup2(slave, 0), dup2(slave, 1), dup2(slave, 2);
    execv(argv[3], argv + 3);
    _exit(127);
  }
  close(slave);
  const std::string end_of_question = "[n] deny";
  std::string screen;
  size_t seen = 0;
  int questions = 0, status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (;;) {
    pollfd p{master, POLLIN, 0};
    if (poll(&p, 1, 50) > 0) {
      char buf[4096];
      const ssize_t n = read(master, buf, sizeof buf);
      if (n > 0) screen.append(buf, static_cast<size_t>(n));
    }
    for (size_t at; (at = screen.find(end_of_question, seen)) != std::string::npos;) {
      seen = at + end_of_question.size();
      ++questions;
      // cordon takes a key only after 500 ms with none (ask.cpp): a user reads first.
      usleep(600 * 1000);
      (void)!write(master, &key, 1);
    }
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      std::fprintf(stderr, "answer: cordon still running after 120 s\n");
      return 2;
    }
  }
  if (questions != expected) {
    std::fprintf(stderr, "answer: %d questions, expected %d\n%s\n", questions, expected, screen.c_str());
    return 3;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
CPP
c++ -std=c++20 -O2 -o "$tmp/opens" "$tmp/opens.cpp" || die "cannot compile opens.cpp"
c++ -std=c++20 -O2 -o "$tmp/answer" "$tmp/answer.cpp" || die "cannot compile answer.cpp"
cp "$tmp/opens" "$ws/opens"  # the sandbox's /tmp is private: the program goes where it can see it

run() { "$cordon" run --no-config --workspace "$ws" "$@"; }
echo "bench: $RUNS rounds, $OPENS opens, $FILES files, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# 1. One open. Each round runs the three in a rotating order.
variants=(bare workspace granted)
: >"$tmp/opens.txt"
for ((round = 0; round < RUNS; round++)); do
  for ((k = 0; k < 3; k++)); do
    v=${variants[$(((round + k) % 3))]}
    rm -f "$tmp/bare/f" "$ws/f" "$out/f"
    case $v in
      bare) r=$("$ws/opens" "$tmp/bare" "$OPENS") ;;
      workspace) r=$(run -- "$ws/opens" "$ws" "$OPENS") ;;
      granted) r=$(run --learn "$tmp/opens.toml" -- "$ws/opens" "$out" "$OPENS" 2>/dev/null) ;;
    esac
    [[ $r =~ ^[0-9.]+\ [0-9.]+$ ]] || die "$v: opens printed '$r'"
    echo "$round $v $r" >>"$tmp/opens.txt"
  done
done

# 2. 1,000 new files in an empty directory (made before each run: the --policy variant
# names it as a writable root, which must exist).
writer="import sys
d = sys.argv[1]
for i in range($FILES):
    with open(f'{d}/f{i}', 'w') as f:
        f.write('x\n')"
printf '%s\n' "$writer" >"$ws/write.py"
# The fragment --learn writes for this task, for the --policy variant.
mkdir -p "$out/d"
run --learn "$tmp/learned.toml" -- python3 "$ws/write.py" "$out/d" 2>/dev/null
grep -q "writable" "$tmp/learned.toml" || die "--learn wrote no rule: $(cat "$tmp/learned.toml")"

spec=$tmp/spec
: >"$spec"
add() { printf '%s\0' "$@" >>"$spec"; printf '\0' >>"$spec"; }
add @prepare sh -c "$(printf 'rm -rf %q %q %q && mkdir %q %q %q' "$tmp/bare/d" "$ws/d" "$out/d" "$tmp/bare/d" "$ws/d" "$out/d")"
add files-bare python3 "$ws/write.py" "$tmp/bare/d"
add files-workspace "$cordon" run --no-config --workspace "$ws" -- python3 "$ws/write.py" "$ws/d"
add files-ask-dir "$tmp/answer" d 1 "$cordon" run --no-config --ask --workspace "$ws" -- \
  python3 "$ws/write.py" "$out/d"
add files-learn "$cordon" run --no-config --learn "$tmp/files.toml" --workspace "$ws" -- \
  python3 "$ws/write.py" "$out/d"
add files-policy "$cordon" run --no-config --policy "$tmp/learned.toml" --workspace "$ws" -- \
  python3 "$ws/write.py" "$out/d"
"$timer" --runs "$RUNS" --warmup 1 --timeout 300 --json "$tmp/out/ask.json" --csv "$tmp/out/ask.csv" "$spec"

python3 - "$tmp/opens.txt" "$tmp/out/ask.json" <<'PY'
import json, statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
by = {}
for round_, v, first, rest in rows:
    by.setdefault(int(round_), {})[v] = (float(first), float(rest))
med = lambda xs: statistics.median(xs)
print("1. one open for writing (microseconds; median over rounds)")
print(f"{'variant':<12} {'per open':>9} {'first':>9} {'x workspace (per round)':>24}")
for v in ("bare", "workspace", "granted"):
    per = [r[v][1] for r in by.values()]
    first = [r[v][0] for r in by.values()]
    ratio = [r[v][1] / r["workspace"][1] for r in by.values()]
    print(f"{v:<12} {med(per):>9.2f} {med(first):>9.1f} {med(ratio):>24.3f}")
results = json.load(open(sys.argv[2]))["results"]
samples = {r["command"]: r["times"] for r in results}
print("2. files written into an empty directory (milliseconds per run; ratios per round)")
print(f"{'command':<16} {'median':>8} {'min':>8} {'cpu':>8} {'x workspace':>12} {'x bare':>7}")
for r in results:
    c = r["command"]
    xs = [a / b for a, b in zip(samples[c], samples["files-workspace"])]
    xb = [a / b for a, b in zip(samples[c], samples["files-bare"])]
    print(f"{c:<16} {r['median'] * 1000:>8.1f} {r['min'] * 1000:>8.1f} {(r['user'] + r['system']) * 1000:>8.1f} "
          f"{med(xs):>12.2f} {med(xb):>7.2f}")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
