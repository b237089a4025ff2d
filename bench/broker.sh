#!/usr/bin/env bash
# The cost of a brokered connect(): cordon's broker performs every connect() of the
# sandbox itself (platform/linux/broker.hpp). A small program, timed inside, connects N
# times to a unix socket it serves itself (in the workspace: resolved in the command's
# view, checked with a socket-diagnostics query, connected through the pinned inode)
# and, with --net on, N times to its own TCP listener on 127.0.0.1 (a worker thread).
# Prints microseconds per connect, bare and under cordon, the median of BENCH_RUNS.
# Then the sends the broker performs (sendto with a destination, every sendmsg): a
# datagram to a unix socket served in the workspace (resolved and checked per send), a
# sendmsg on a connected datagram pair and, with --net on, on a TCP connection to itself;
# and send() (sendto without a destination, never routed) for comparison.
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
command -v c++ >/dev/null || die "'c++' not found"
need_cordon
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
cat >"$tmp/sends.cpp" <<'CPP'
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
// sends sendto|sendmsg|send|tcp-sendmsg N: microseconds per 64-byte message (sent and
// received by this process): sendto to a datagram socket it bound in the working
// directory; sendmsg or send() on a connected datagram pair; sendmsg on a TCP connection.
int main(int argc, char** argv) {
  const char* mode = argv[1];
  const int n = std::atoi(argv[2]);
  char buf[64] = {};
  int tx = -1, rx = -1;
  sockaddr_un named{};
  named.sun_family = AF_UNIX;
  std::strcpy(named.sun_path, "bench.dgram");
  if (std::strcmp(mode, "sendto") == 0) {
    unlink(named.sun_path);
    rx = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (bind(rx, reinterpret_cast<sockaddr*>(&named), sizeof named) != 0) return 3;
    tx = socket(AF_UNIX, SOCK_DGRAM, 0);
  } else if (std::strcmp(mode, "tcp-sendmsg") == 0) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (bind(l, reinterpret_cast<sockaddr*>(&a), len) != 0 || listen(l, 1) != 0) return 3;
    getsockname(l, reinterpret_cast<sockaddr*>(&a), &len);
    tx = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(tx, reinterpret_cast<sockaddr*>(&a), len) != 0) return 3;
    rx = accept(l, nullptr, nullptr);
  } else {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) != 0) return 3;
    tx = pair[0];
    rx = pair[1];
  }
  const bool plain_send = std::strcmp(mode, "send") == 0;
  const bool to = std::strcmp(mode, "sendto") == 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    iovec iov{buf, sizeof buf};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    ssize_t sent = plain_send ? send(tx, buf, sizeof buf, 0)
                   : to       ? sendto(tx, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&named), sizeof named)
                              : sendmsg(tx, &m, 0);
    if (sent != sizeof buf) return 4;
    for (size_t got = 0; got < sizeof buf;) {
      ssize_t r = read(rx, buf, sizeof buf - got);
      if (r <= 0) return 5;
      got += static_cast<size_t>(r);
    }
  }
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  std::printf("%.1f\n", us / n);
  return 0;
}
CPP
c++ -std=c++20 -O2 -o "$ws/sends" "$tmp/sends.cpp" || die "cannot compile the send loop"
cd "$ws"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
measure() {  # measure LABEL CMD...: the median microseconds per connect over RUNS runs
  local label=$1; shift
  local i
  for ((i = 0; i < RUNS; i++)); do "$@" 2>/dev/null || die "$label failed"; done | median |
    xargs printf '%-44s %s us per '"${UNIT:-connect}"'\n' "$label"
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
UNIT=send
measure "send() on a unix datagram pair, bare" ./sends send "$CONNECTS"
measure "send() on a unix datagram pair, cordon" "$cordon" run --no-config -- ./sends send "$CONNECTS"
measure "sendmsg on a unix datagram pair, bare" ./sends sendmsg "$CONNECTS"
measure "sendmsg on a unix datagram pair, cordon" "$cordon" run --no-config -- ./sends sendmsg "$CONNECTS"
measure "sendto a unix path, bare" ./sends sendto "$CONNECTS"
measure "sendto a unix path, cordon" "$cordon" run --no-config -- ./sends sendto "$CONNECTS"
measure "sendto a unix path, cordon --net on" "$cordon" run --no-config --net on -- ./sends sendto "$CONNECTS"
measure "sendmsg on tcp 127.0.0.1, bare" ./sends tcp-sendmsg "$CONNECTS"
measure "sendmsg on tcp 127.0.0.1, cordon --net on" "$cordon" run --no-config --net on -- ./sends tcp-sendmsg "$CONNECTS"
