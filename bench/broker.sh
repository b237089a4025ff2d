#!/usr/bin/env bash
# The cost of a brokered connect(): cordon's broker performs every connect() of the
# sandbox itself (platform/linux/broker.hpp). A small program, timed inside, connects N
# times to a unix socket it serves itself (in the workspace: resolved in the command's
# view, checked with a socket-diagnostics query, connected through the pinned inode)
# and, with --net on, N times to its own TCP listener on 127.0.0.1 (a worker thread).
# Prints microseconds per connect, bare and under cordon, the median of BENCH_RUNS.
#
#   bench/broker.sh                      # a few seconds
#   BENCH_RUNS=9 BENCH_CONNECTS=5000 bench/broker.sh
#
# Knobs: CORDON (binary, default build/cordon), BENCH_RUNS (default 5), BENCH_CONNECTS
# (default 2000), BENCH_NO_USERNS (the no_userns test helper, to measure the Landlock-only
# mode too). Needs c++. Everything lives in one temporary directory, removed on exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
RUNS=$(count BENCH_RUNS 5 100)
CONNECTS=$(count BENCH_CONNECTS 2000 100000)
repo=$(cd "$here/.." && pwd)
command -v c++ >/dev/null || die "'c++' not found"
cordon_src=${CORDON:-$repo/build/cordon}
[[ -x $cordon_src ]] || die "no cordon binary at $cordon_src (build first, or set CORDON)"
bench_setup bench-broker
ws=$tmp/ws
mkdir -p "$ws"
cat >"$tmp/connects.cpp" <<'CPP'
#include <netinet/in.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
// connects unix|unix-other|tcp N: microseconds per connect() to a listener of its own
// (unix-other: the listener is held and served by a child process).
int main(int argc, char** argv) {
  const bool tcp = std::strcmp(argv[1], "tcp") == 0;
  const bool other = std::strcmp(argv[1], "unix-other") == 0;
  const int n = std::atoi(argv[2]);
  sockaddr_storage ss{};
  socklen_t len;
  int l;
  if (tcp) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *a;
    l = socket(AF_INET, SOCK_STREAM, 0);
    if (bind(l, reinterpret_cast<sockaddr*>(&ss), len) != 0) return 3;
    getsockname(l, reinterpret_cast<sockaddr*>(&ss), &len);
  } else {
    auto* a = reinterpret_cast<sockaddr_un*>(&ss);
    a->sun_family = AF_UNIX;
    std::strcpy(a->sun_path, "bench.sock");
    unlink(a->sun_path);
    len = sizeof *a;
    l = socket(AF_UNIX, SOCK_STREAM, 0);
    if (bind(l, reinterpret_cast<sockaddr*>(&ss), len) != 0) return 3;
  }
  if (listen(l, 4096) != 0) return 3;
  pid_t server = -1;
  if (other) {
    server = fork();
    if (server == 0) {
      for (int i = 0; i < n; ++i) close(accept(l, nullptr, nullptr));
      _exit(0);
    }
    close(l);
  }
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    int c = socket(tcp ? AF_INET : AF_UNIX, SOCK_STREAM, 0);
    if (connect(c, reinterpret_cast<sockaddr*>(&ss), len) != 0) return 4;
    if (!other) close(accept(l, nullptr, nullptr));
    close(c);
  }
  if (other) waitpid(server, nullptr, 0);
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  std::printf("%.1f\n", us / n);
  return 0;
}
CPP
c++ -std=c++20 -O2 -o "$ws/connects" "$tmp/connects.cpp" || die "cannot compile the connect loop"
cd "$ws"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
measure() {  # measure LABEL CMD...: the median microseconds per connect over RUNS runs
  local label=$1; shift
  local i
  for ((i = 0; i < RUNS; i++)); do "$@" 2>/dev/null || die "$label failed"; done | median |
    xargs printf '%-44s %s us per connect\n' "$label"
}
measure "unix, bare" ./connects unix "$CONNECTS"
measure "unix, cordon (own network namespace)" "$cordon" run --no-config -- ./connects unix "$CONNECTS"
measure "unix, cordon --net on" "$cordon" run --no-config --net on -- ./connects unix "$CONNECTS"
measure "unix, other process, bare" ./connects unix-other "$CONNECTS"
measure "unix, other process, cordon" "$cordon" run --no-config -- ./connects unix-other "$CONNECTS"
measure "unix, other process, cordon --net on" "$cordon" run --no-config --net on -- ./connects unix-other "$CONNECTS"
if [[ -n ${BENCH_NO_USERNS:-} ]]; then  # tests/tools/no_userns: the Landlock-only mode
  measure "unix, other process, no user namespaces" "$BENCH_NO_USERNS" "$cordon" run --no-config --best-effort -- \
    ./connects unix-other "$CONNECTS"
fi
measure "tcp 127.0.0.1, bare" ./connects tcp "$CONNECTS"
measure "tcp 127.0.0.1, cordon --net on (worker)" "$cordon" run --no-config --net on -- ./connects tcp "$CONNECTS"
