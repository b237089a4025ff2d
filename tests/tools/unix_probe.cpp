// unix_probe: the client (and attacker) side of the unix-socket tests, run inside the
// sandbox. Prints one line per result; exits 0 unless its own setup failed.
//
//   unix_probe connect PATH...           "PATH connected" or "PATH refused ERRNO"
//   unix_probe own PATH                  a server at PATH and a client round trip: "PATH round-trip"
//   unix_probe race-dir OUTSIDE_DIR N    own/s served here; a thread swaps own/ with a link to
//                                        OUTSIDE_DIR while N connects to own/s run: "ok=A refused=B"
//   unix_probe race-addr OUTSIDE N       own.sock served here; a thread rewrites the address (own.sock
//                                        <-> OUTSIDE) and moves descriptors while N connects run
//   unix_probe flip-connect PATH N       PATH's backlog filled, N blocking connects (10 s at most)
//                                        while a thread flips O_NONBLOCK: "filled=F slowest_ms=M ..."
//   unix_probe send PATH...              a datagram to PATH by sendto, sendmsg and sendmmsg:
//                                        "PATH sendto sent" or "PATH sendto refused ERRNO" (and so on)
//   unix_probe own-dgram PATH            a datagram server at PATH and a client: sendto, sendmsg with a
//                                        descriptor (SCM_RIGHTS) and sendmmsg of two: "PATH dgram round-trip"
//   unix_probe race-dgram OUTSIDE N      own.sock served here; threads rewrite the address (own.sock <->
//                                        OUTSIDE), msg_name (NULL <-> it) and the iovec while N sendmsg
//                                        and N sendto run
//   unix_probe race-dgram-dir OUTSIDE_DIR N   own/s served here; own/ swapped with a link to
//                                        OUTSIDE_DIR while N sendto run
//   unix_probe signal-sends N            N numbered sendmsg on a seqpacket pair while another thread
//                                        signals the sender (a restarting handler): "sent=S received=R
//                                        dups=D"
//   unix_probe edge                      bogus pointers, huge counts and lengths, a full receiver, a
//                                        peer gone (SIGPIPE): one "name errno" line each, for comparing
//                                        with the same run outside cordon
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

std::atomic<bool> stop{false};

sockaddr_un address(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  return a;
}

// A listening socket at `path`, accepting in a thread until `stop`.
int serve(const std::string& path, std::thread& acceptor) {
  ::unlink(path.c_str());
  int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a = address(path);
  if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s, 128) != 0) {
    std::printf("serve %s failed %d\n", path.c_str(), errno);
    std::exit(3);
  }
  acceptor = std::thread([s] {
    while (!stop) {
      pollfd p{s, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int c = ::accept4(s, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) {
        ssize_t w = ::send(c, "in", 2, MSG_NOSIGNAL);
        (void)w;
        ::close(c);
      }
    }
  });
  return s;
}

int connect_once(const sockaddr_un& a) {
  int c = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int rc = ::connect(c, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0 ? 0 : errno;
  ::close(c);
  return rc;
}

int dgram_server(const std::string& path) {
  ::unlink(path.c_str());
  int s = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un a = address(path);
  if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::printf("serve %s failed %d\n", path.c_str(), errno);
    std::exit(3);
  }
  return s;
}

// One datagram "from-inside" to `a`, by `how`: 0 sendto, 1 sendmsg, 2 sendmmsg.
int send_one(int how, const sockaddr_un& a) {
  int c = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  char text[] = "from-inside";
  iovec iov{text, sizeof text - 1};
  msghdr m{};
  m.msg_name = const_cast<sockaddr_un*>(&a);
  m.msg_namelen = sizeof a;
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  int rc = 0;
  if (how == 0) {
    rc = ::sendto(c, text, sizeof text - 1, 0, reinterpret_cast<const sockaddr*>(&a), sizeof a) >= 0 ? 0
                                                                                                     : errno;
  } else if (how == 1) {
    rc = ::sendmsg(c, &m, 0) >= 0 ? 0 : errno;
  } else {
    mmsghdr mm{};
    mm.msg_hdr = m;
    rc = ::sendmmsg(c, &mm, 1, 0) == 1 ? 0 : errno;
  }
  ::close(c);
  return rc;
}

// Drains a datagram socket in a thread until `stop`; counts what it got.
void drain(int s, std::atomic<int>& got) {
  while (!stop) {
    pollfd p{s, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    char buf[256];
    if (::recv(s, buf, sizeof buf, MSG_DONTWAIT) >= 0) ++got;
  }
}

int edge_send(int c, msghdr* m, int flags = 0) {
  return ::sendmsg(c, m, flags) >= 0 ? 0 : errno;
}

void edge(const std::string& own) {
  const int server = dgram_server(own);
  const sockaddr_un a = address(own);
  int c = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  char byte = 'x';
  iovec iov{&byte, 1};
  auto fresh = [&] {
    msghdr m{};
    m.msg_name = const_cast<sockaddr_un*>(&a);
    m.msg_namelen = sizeof a;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    return m;
  };
  auto report = [](const char* name, int err) { std::printf("%s %d\n", name, err); };
  char* bogus = static_cast<char*>(::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  msghdr m = fresh();
  report("plain", edge_send(c, &m));
  m.msg_iovlen = 1025;
  report("iovlen-1025", edge_send(c, &m));
  std::vector<iovec> many(1024, iovec{&byte, 1});
  m = fresh();
  m.msg_iov = many.data();
  m.msg_iovlen = many.size();
  report("iovlen-1024", edge_send(c, &m));
  m = fresh();
  iovec bad{bogus, 16};
  m.msg_iov = &bad;
  report("iov-base-bogus", edge_send(c, &m));
  m = fresh();
  m.msg_iov = reinterpret_cast<iovec*>(bogus);
  report("iov-array-bogus", edge_send(c, &m));
  report("msghdr-bogus", edge_send(c, reinterpret_cast<msghdr*>(bogus)));
  m = fresh();
  m.msg_name = bogus;
  report("name-bogus", edge_send(c, &m));
  m = fresh();
  m.msg_namelen = 4000;  // cut to a sockaddr_storage: the path still ends at its NUL
  report("namelen-4000", edge_send(c, &m));
  m = fresh();
  m.msg_namelen = 0x80000000U;
  report("namelen-negative", edge_send(c, &m));
  m = fresh();
  iovec huge{&byte, static_cast<size_t>(1) << 62};
  m.msg_iov = &huge;
  // EFAULT (access_ok) or EMSGSIZE: the kernel gave either here, by the user it ran as.
  const int huge_err = edge_send(c, &m);
  std::printf("iov-len-huge %s\n", huge_err == EFAULT || huge_err == EMSGSIZE ? "refused" : "other");
  std::vector<char> big(8 << 20);
  iovec large{big.data(), big.size()};
  m = fresh();
  m.msg_iov = &large;
  report("datagram-8MiB", edge_send(c, &m));
  m = fresh();
  m.msg_control = bogus;
  m.msg_controllen = 64;
  report("control-bogus", edge_send(c, &m));
  m = fresh();
  m.msg_control = big.data();
  m.msg_controllen = static_cast<size_t>(1) << 30;
  report("controllen-1GiB", edge_send(c, &m));
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  m = fresh();
  m.msg_control = control;
  m.msg_controllen = sizeof control;
  cmsghdr* h = CMSG_FIRSTHDR(&m);
  h->cmsg_level = SOL_SOCKET;
  h->cmsg_type = SCM_RIGHTS;
  h->cmsg_len = CMSG_LEN(sizeof(int));
  const int closed = 1000;
  std::memcpy(CMSG_DATA(h), &closed, sizeof closed);
  report("rights-bad-fd", edge_send(c, &m));
  h->cmsg_len = sizeof control + 8;
  report("cmsg-len-past-end", edge_send(c, &m));
  std::vector<mmsghdr> batch(2000);
  for (auto& e : batch) e.msg_hdr = fresh();
  // The receiver queues net.unix.max_dgram_qlen (512 by default): not blocking, and drained.
  auto empty = [server] {
    char buf[16];
    while (::recv(server, buf, sizeof buf, MSG_DONTWAIT) >= 0) {
    }
  };
  empty();
  const int sent = ::sendmmsg(c, batch.data(), batch.size(), MSG_DONTWAIT);
  std::printf("sendmmsg-2000 %d len0=%u\n", sent, batch[0].msg_len);
  empty();
  batch[1].msg_hdr.msg_iov = &bad;
  std::printf("sendmmsg-second-bogus %d\n", static_cast<int>(::sendmmsg(c, batch.data(), 2, 0)));
  empty();
  // The receiver is full (1,000 datagrams and more): MSG_DONTWAIT, then a blocking send
  // bounded by SO_SNDTIMEO.
  int full = 0;
  m = fresh();
  while (full < 100000 && ::sendmsg(c, &m, MSG_DONTWAIT) >= 0) ++full;
  report("full-dontwait", errno);
  timeval t{0, 200 * 1000};
  ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &t, sizeof t);
  const auto start = std::chrono::steady_clock::now();
  report("full-sndtimeo", edge_send(c, &m));
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  std::printf("full-sndtimeo-waited %s\n", ms >= 150 && ms < 5000 ? "yes" : "no");
  // A blocking send that waits until the receiver reads one.
  t = {0, 0};
  ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &t, sizeof t);
  std::thread reader([server] {
    ::usleep(100 * 1000);
    char buf[16];
    (void)::recv(server, buf, sizeof buf, 0);
  });
  report("full-blocking-then-room", edge_send(c, &m));
  reader.join();
  // A stream whose peer is gone: EPIPE and SIGPIPE, unless MSG_NOSIGNAL.
  static std::atomic<int> pipes{0};
  signal(SIGPIPE, [](int) { ++pipes; });
  int pair[2];
  ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair);
  ::close(pair[1]);
  m = fresh();
  m.msg_name = nullptr;
  m.msg_namelen = 0;
  report("epipe", edge_send(pair[0], &m));
  report("epipe-nosignal", edge_send(pair[0], &m, MSG_NOSIGNAL));
  std::printf("sigpipes %d\n", pipes.load());
  // A stream larger than the broker reads at once: a short count, then the rest.
  ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair);
  std::atomic<size_t> received{0};
  std::thread sink([&] {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(pair[1], buf, sizeof buf)) > 0) received += static_cast<size_t>(n);
  });
  size_t done = 0;
  while (done < big.size()) {
    iovec rest{big.data() + done, big.size() - done};
    msghdr s{};
    s.msg_iov = &rest;
    s.msg_iovlen = 1;
    const ssize_t n = ::sendmsg(pair[0], &s, 0);
    if (n <= 0) {
      std::printf("stream-send-failed %d after %zu\n", errno, done);
      break;
    }
    done += static_cast<size_t>(n);
  }
  ::close(pair[0]);
  sink.join();
  ::close(pair[1]);
  std::printf("stream-8MiB %s\n", received == big.size() ? "all" : "short");
  // A blocking stream send that fits the socket's buffer, to a reader that starts late:
  // one call sends it all (the kernel waits for room; so does the broker, on a worker).
  ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair);
  std::thread late([&] {
    ::usleep(100 * 1000);
    char buf[65536];
    ssize_t n;
    while ((n = ::read(pair[1], buf, sizeof buf)) > 0) {
    }
  });
  iovec part{big.data(), 200 * 1024};
  msghdr one{};
  one.msg_iov = &part;
  one.msg_iovlen = 1;
  std::printf("stream-200KiB-one-call %zd\n", ::sendmsg(pair[0], &one, 0));
  ::close(pair[0]);
  late.join();
  ::close(pair[1]);
  ::close(c);
  ::close(server);
  ::unlink(own.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each line out as it is printed
  const std::string mode = argv[1];
  if (mode == "connect") {
    for (int i = 2; i < argc; ++i) {
      int c = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_un a = address(argv[i]);
      if (::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0)
        std::printf("%s connected\n", argv[i]);
      else
        std::printf("%s refused %d\n", argv[i], errno);
      ::close(c);
    }
    return 0;
  }
  if (mode == "own") {
    std::thread acceptor;
    int s = serve(argv[2], acceptor);
    int c = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a = address(argv[2]);
    char buf[2] = {};
    if (::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::read(c, buf, 2) == 2)
      std::printf("%s round-trip\n", argv[2]);
    else
      std::printf("%s failed %d\n", argv[2], errno);
    stop = true;
    acceptor.join();
    ::close(s);
    ::unlink(argv[2]);
    return 0;
  }
  if (mode == "send") {
    for (int i = 2; i < argc; ++i) {
      const sockaddr_un a = address(argv[i]);
      const char* names[] = {"sendto", "sendmsg", "sendmmsg"};
      for (int how = 0; how < 3; ++how) {
        const int rc = send_one(how, a);
        if (rc == 0)
          std::printf("%s %s sent\n", argv[i], names[how]);
        else
          std::printf("%s %s refused %d\n", argv[i], names[how], rc);
      }
    }
    return 0;
  }
  if (mode == "signal-sends") {
    // A call the broker performed must not be made again when a signal restarts it.
    const int n = std::atoi(argv[2]);
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return 3;
    struct sigaction sa {};
    sa.sa_handler = [](int) {};
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGUSR1, &sa, nullptr);
    const pthread_t sender = ::pthread_self();
    std::atomic<int> received{0}, dups{0};
    std::thread reader([&] {
      int last = -1, v = 0;
      while (::read(pair[1], &v, sizeof v) == sizeof v) {
        if (v <= last) ++dups;
        last = v;
        ++received;
      }
    });
    std::thread signaller([&] {
      while (!stop) {
        ::pthread_kill(sender, SIGUSR1);
        ::usleep(50);
      }
    });
    int sent = 0;
    for (int i = 0; i < n; ++i) {
      iovec iov{&i, sizeof i};
      msghdr m{};
      m.msg_iov = &iov;
      m.msg_iovlen = 1;
      if (::sendmsg(pair[0], &m, 0) == sizeof i) ++sent;
    }
    stop = true;
    signaller.join();
    ::shutdown(pair[0], SHUT_WR);
    reader.join();
    std::printf("sent=%d received=%d dups=%d\n", sent, received.load(), dups.load());
    return 0;
  }
  if (mode == "edge") {
    edge(argv[2]);
    return 0;
  }
  if (mode == "own-dgram") {
    const int s = dgram_server(argv[2]);
    const sockaddr_un a = address(argv[2]);
    bool ok = send_one(0, a) == 0 && send_one(1, a) == 0 && send_one(2, a) == 0;
    char buf[64];
    for (int i = 0; i < 3 && ok; ++i) ok = ::recv(s, buf, sizeof buf, MSG_DONTWAIT) == 11;
    // A descriptor passed along: the receiver writes through it.
    int pipe_fds[2];
    ok = ok && ::pipe2(pipe_fds, O_CLOEXEC) == 0;
    int c = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    char byte = 'r';
    iovec iov{&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr m{};
    m.msg_name = const_cast<sockaddr_un*>(&a);
    m.msg_namelen = sizeof a;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    cmsghdr* h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(h), &pipe_fds[1], sizeof(int));
    ok = ok && ::sendmsg(c, &m, 0) == 1;
    alignas(cmsghdr) char got[CMSG_SPACE(sizeof(int))] = {};
    msghdr r{};
    r.msg_iov = &iov;
    r.msg_iovlen = 1;
    r.msg_control = got;
    r.msg_controllen = sizeof got;
    ok = ok && ::recvmsg(s, &r, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) == 1;
    cmsghdr* gh = CMSG_FIRSTHDR(&r);
    int passed = -1;
    if (ok && gh && gh->cmsg_type == SCM_RIGHTS) std::memcpy(&passed, CMSG_DATA(gh), sizeof passed);
    ok = ok && passed >= 0 && ::write(passed, "p", 1) == 1 && ::read(pipe_fds[0], buf, 1) == 1 &&
         buf[0] == 'p';
    std::printf(ok ? "%s dgram round-trip\n" : "%s dgram failed %d\n", argv[2], errno);
    ::close(c);
    ::close(s);
    ::unlink(argv[2]);
    return 0;
  }
  if (argc < 4) return 2;
  const int rounds = std::atoi(argv[3]);
  int ok = 0, refused = 0;
  if (mode == "race-dir") {
    ::mkdir("own", 0755);
    std::thread acceptor;
    int s = serve("own/s", acceptor);
    ::unlink("evil");
    if (::symlink(argv[2], "evil") != 0) return 3;
    std::thread swapper([] {
      while (!stop) {
        // own/ (the sandbox's server) and own -> OUTSIDE_DIR, in turn.
        if (::rename("own", "parked") == 0) {
          ::rename("evil", "own");
          ::rename("own", "evil");
          ::rename("parked", "own");
        }
      }
    });
    const sockaddr_un a = address("own/s");
    for (int i = 0; i < rounds; ++i) (connect_once(a) == 0 ? ok : refused)++;
    stop = true;
    swapper.join();
    acceptor.join();
    ::close(s);
  } else if (mode == "race-addr") {
    std::thread acceptor;
    int s = serve("own.sock", acceptor);
    static sockaddr_un shared = address("own.sock");
    const std::string outside = argv[2];
    int spare = ::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    std::thread flipper([&] {
      volatile char* p = shared.sun_path;
      for (unsigned n = 0; !stop; ++n) {
        const std::string& next = n % 2 ? outside : std::string("own.sock");
        for (size_t i = 0; i <= next.size() && i < sizeof shared.sun_path; ++i) p[i] = next.c_str()[i];
      }
    });
    // Descriptor numbers reused under the call: a directory, then a fresh socket, at the
    // number the main thread connects with.
    std::atomic<int> current{-1};
    std::thread mover([&] {
      while (!stop) {
        const int fd = current.load();
        if (fd < 0) continue;
        int fresh = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ::dup3(spare, fd, O_CLOEXEC);
        ::dup3(fresh, fd, O_CLOEXEC);
        ::close(fresh);
      }
    });
    for (int i = 0; i < rounds; ++i) {
      int c = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      current = c;
      int rc = ::connect(c, reinterpret_cast<const sockaddr*>(&shared), sizeof shared);
      current = -1;
      (rc == 0 ? ok : refused)++;
      ::close(c);
    }
    stop = true;
    flipper.join();
    mover.join();
    acceptor.join();
    ::close(s);
  } else if (mode == "flip-connect") {
    // PATH's server never accepts: its backlog is filled first. Then blocking connects,
    // while a thread flips O_NONBLOCK on the connecting socket, so the broker may see it
    // non-blocking and connect it blocking. Each connect must end (the broker bounds it).
    const sockaddr_un a = address(argv[2]);
    std::vector<int> filled;
    for (int i = 0; i < 8; ++i) {
      int f = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (::connect(f, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
        ::close(f);
        break;
      }
      filled.push_back(f);
    }
    std::atomic<int> current{-1};
    std::thread flipper([&] {
      while (!stop) {
        const int fd = current.load();
        if (fd < 0) continue;
        ::fcntl(fd, F_SETFL, O_NONBLOCK);
        ::fcntl(fd, F_SETFL, 0);
      }
    });
    long slowest_ms = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < rounds && std::chrono::steady_clock::now() - start < std::chrono::seconds(10); ++i) {
      int c = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      const auto t0 = std::chrono::steady_clock::now();
      current = c;
      const int rc = ::connect(c, reinterpret_cast<const sockaddr*>(&a), sizeof a);
      current = -1;
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
              .count();
      slowest_ms = std::max<long>(slowest_ms, static_cast<long>(ms));
      (rc == 0 ? ok : refused)++;
      ::close(c);
    }
    stop = true;
    flipper.join();
    for (int f : filled) ::close(f);
    std::printf("filled=%zu slowest_ms=%ld ", filled.size(), slowest_ms);
  } else if (mode == "race-dgram") {
    const int s = dgram_server("own.sock");
    std::atomic<int> got{0};
    std::thread drainer([&] { drain(s, got); });
    static sockaddr_un shared = address("own.sock");
    const std::string outside = argv[2];
    char text[] = "race";
    static iovec iov{text, 4};
    static msghdr m{};
    m.msg_name = &shared;
    m.msg_namelen = sizeof shared;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    std::thread flipper([&] {
      volatile char* p = shared.sun_path;
      for (unsigned n = 0; !stop; ++n) {
        const std::string& next = n % 2 ? outside : std::string("own.sock");
        for (size_t i = 0; i <= next.size() && i < sizeof shared.sun_path; ++i) p[i] = next.c_str()[i];
      }
    });
    std::thread namer([&] {
      volatile msghdr* v = &m;
      for (unsigned n = 0; !stop; ++n) {
        v->msg_name = n % 3 == 0 ? nullptr : &shared;
        v->msg_namelen = n % 5 == 0 ? 0 : sizeof shared;
        v->msg_iovlen = n % 7 == 0 ? 1025 : 1;
      }
    });
    int c = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    for (int i = 0; i < rounds; ++i) {
      (::sendmsg(c, &m, MSG_DONTWAIT) >= 0 ? ok : refused)++;
      (::sendto(c, text, 4, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&shared), sizeof shared) >= 0
           ? ok
           : refused)++;
      mmsghdr mm[2] = {};
      mm[0].msg_hdr = m;
      mm[1].msg_hdr = m;
      (::sendmmsg(c, mm, 2, MSG_DONTWAIT) > 0 ? ok : refused)++;
    }
    stop = true;
    flipper.join();
    namer.join();
    drainer.join();
    ::close(c);
    ::close(s);
    std::printf("inside=%d ", got.load());
  } else if (mode == "race-dgram-dir") {
    ::mkdir("own", 0755);
    const int s = dgram_server("own/s");
    std::atomic<int> got{0};
    std::thread drainer([&] { drain(s, got); });
    ::unlink("evil");
    if (::symlink(argv[2], "evil") != 0) return 3;
    std::thread swapper([] {
      while (!stop) {
        if (::rename("own", "parked") == 0) {
          ::rename("evil", "own");
          ::rename("own", "evil");
          ::rename("parked", "own");
        }
      }
    });
    const sockaddr_un a = address("own/s");
    int c = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    for (int i = 0; i < rounds; ++i)
      (::sendto(c, "d", 1, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&a), sizeof a) >= 0 ? ok
                                                                                               : refused)++;
    stop = true;
    swapper.join();
    drainer.join();
    ::close(c);
    ::close(s);
    std::printf("inside=%d ", got.load());
  } else {
    return 2;
  }
  std::printf("ok=%d refused=%d\n", ok, refused);
  return 0;
}
