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
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return 2;
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
  } else {
    return 2;
  }
  std::printf("ok=%d refused=%d\n", ok, refused);
  return 0;
}
