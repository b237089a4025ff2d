// Test helper, run inside the sandbox: the calls that make a name, in the forms a shell
// cannot make (tests/e2e/create_broker_test.cpp).
//
//   create_probe race NAME ITERATIONS [SECONDS]
//                                       one thread flips a path buffer between NAME and an
//                                       ordinary name while another makes a directory, a
//                                       file, a symlink and a rename target from it, for
//                                       ITERATIONS rounds or SECONDS (60), whichever ends first;
//                                       prints "made K refused K rounds K" (ordinary names
//                                       made, calls refused, rounds run)
//   create_probe tmpfile NAME           O_TMPFILE in ".", written, then linked as NAME
//   create_probe dirfd NAME             openat(open("."), NAME, O_CREAT), written
//   create_probe exchange A B           renameat2(A, B, RENAME_EXCHANGE)
//   create_probe whiteout A B           renameat2(A, B, RENAME_WHITEOUT)
//   create_probe flags NAME             open(NAME, O_PATH|O_CREAT) and O_TMPFILE|O_CREAT: no name
//   create_probe read PATH              open(PATH, O_CREAT|O_RDONLY), its contents printed
//   create_probe read-race A B N        one thread flips a path buffer between A and B while
//                                       another opens it for reading N times (or 60 s) and
//                                       prints each distinct content read ("content: ...")
//   create_probe fifo-writers N         N threads open a new FIFO "fifo" for writing (no
//                                       reader: each waits); prints how many started
//   create_probe tty N                  N sessions, each with its own pseudo-terminal as the
//                                       controlling one (numbered 0..N-1, as cordon's may
//                                       be), open /dev/tty with O_CREAT, and reopen their
//                                       own /dev/tty descriptor: one that is not their own
//                                       is written to; prints "other K" (how many)
//                                       and "own K" (plain opens that reached its own)
//   create_probe bind PATH              an AF_UNIX socket bound to PATH ("@NAME": abstract),
//                                       listening, and a second socket connected to it
// Exit status 0 when each call did what the kernel would do without cordon (see each mode).
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace {

int race(const char* bad, long iterations, long seconds) {
  static char buf[256];
  const std::string good = "ordinary";
  std::atomic<bool> stop{false};
  std::snprintf(buf, sizeof buf, "%s", good.c_str());
  std::thread flipper([&] {
    for (unsigned i = 0; !stop; ++i) {
      // Byte by byte, with no synchronisation: the broker must read the path once.
      const char* want = (i % 2) ? bad : good.c_str();
      std::memcpy(buf, want, std::strlen(want) + 1);
    }
  });
  // Bounded by time as well: on a loaded machine each brokered call waits for a CPU.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  long made = 0, refused = 0, rounds = 0;
  auto count = [&](bool ok) { ok ? ++made : errno == EACCES ? ++refused : 0; };
  for (; rounds < iterations && std::chrono::steady_clock::now() < deadline; ++rounds) {
    count(::mkdir(buf, 0755) == 0);
    ::rmdir(good.c_str());
    int fd = ::open(buf, O_CREAT | O_WRONLY, 0644);
    count(fd >= 0);
    if (fd >= 0) ::close(fd);
    ::unlink(good.c_str());
    count(::symlink("target", buf) == 0);
    ::unlink(good.c_str());
    fd = ::open("src", O_CREAT | O_WRONLY, 0644);
    if (fd >= 0) ::close(fd);
    count(::rename("src", buf) == 0);
    ::unlink(good.c_str());
  }
  stop = true;
  flipper.join();
  std::printf("made %ld refused %ld rounds %ld\n", made, refused, rounds);
  return 0;
}

int read_race(const char* a, const char* b, long iterations) {
  static char buf[256];
  std::atomic<bool> stop{false};
  std::snprintf(buf, sizeof buf, "%s", a);
  std::thread flipper([&] {
    // A pause between flips: a flip in a tight loop tears most reads of the buffer (a mix
    // of A and B names neither, so nothing is asked); the race this probes is the buffer
    // rewritten while a question waits, thousands of times a second all the same.
    for (unsigned i = 0; !stop; ++i) {
      const char* want = (i % 2) ? b : a;
      std::memcpy(buf, want, std::strlen(want) + 1);
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::vector<std::string> seen;
  long opened = 0, refused = 0;
  for (long i = 0; i < iterations && std::chrono::steady_clock::now() < deadline; ++i) {
    const int fd = ::open(buf, O_RDONLY);
    if (fd < 0) {
      ++refused;
      continue;
    }
    ++opened;
    char text[256];
    const ssize_t n = ::read(fd, text, sizeof text - 1);
    ::close(fd);
    const std::string got(text, n > 0 ? static_cast<size_t>(n) : 0);
    if (std::find(seen.begin(), seen.end(), got) == seen.end()) seen.push_back(got);
  }
  stop = true;
  flipper.join();
  for (const auto& c : seen) std::printf("content: %s\n", c.c_str());
  std::printf("opened %ld refused %ld\n", opened, refused);
  return 0;
}

// One session on pseudo-terminal `secondary`: 1 when /dev/tty opened with O_CREAT is
// another session's terminal (then written to), 2 when a plain open reached its own.
int tty_session(const char* secondary) {
  if (::setsid() < 0) return 0;
  // A session leader's terminal, made its controlling one as login_tty() does (an open()
  // made by cordon's broker carries O_NOCTTY: it never acquires one by itself).
  const int own = ::open(secondary, O_RDWR);
  if (own < 0 || ::ioctl(own, TIOCSCTTY, 0) != 0) return 0;
  auto ours = [](int fd) {
    pid_t sid = 0;
    return fd >= 0 && ::ioctl(fd, TIOCGSID, &sid) == 0 && sid == ::getsid(0);
  };
  int result = 0;
  auto other = [&](int fd) {
    if (fd < 0 || ours(fd)) return;
    const char marker[] = "\r\nCREATE-PROBE: WRITTEN TO ANOTHER TERMINAL\r\n";
    (void)!::write(fd, marker, sizeof marker - 1);
    result |= 1;
  };
  other(::open("/dev/tty", O_CREAT | O_WRONLY, 0644));
  const int plain = ::open("/dev/tty", O_WRONLY);
  if (ours(plain)) result |= 2;
  // Its own /dev/tty descriptor reopened (the broker reopens descriptors of the caller).
  other(::open(("/proc/self/fd/" + std::to_string(plain)).c_str(), O_CREAT | O_WRONLY, 0644));
  return result;
}

int tty(long n) {
  long other = 0, own = 0;
  std::vector<int> primaries;
  for (long i = 0; i < n && i < 64; ++i) {
    const int primary = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (primary < 0 || ::grantpt(primary) != 0 || ::unlockpt(primary) != 0) break;
    primaries.push_back(primary);
    const std::string secondary = ::ptsname(primary);
    const pid_t child = ::fork();
    if (child == 0) ::_exit(tty_session(secondary.c_str()));
    int status = 0;
    if (child < 0 || ::waitpid(child, &status, 0) != child || !WIFEXITED(status)) continue;
    other += WEXITSTATUS(status) & 1;
    own += (WEXITSTATUS(status) & 2) != 0;
  }
  std::printf("other %ld\nown %ld\n", other, own);
  return 0;
}

int write_all(int fd, const char* text) {
  return ::write(fd, text, std::strlen(text)) == static_cast<ssize_t>(std::strlen(text)) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const std::string mode = argv[1];
  if (mode == "race" && (argc == 4 || argc == 5))
    return race(argv[2], std::strtol(argv[3], nullptr, 10),
                argc == 5 ? std::strtol(argv[4], nullptr, 10) : 60);
  if (mode == "read-race" && argc == 5) return read_race(argv[2], argv[3], std::strtol(argv[4], nullptr, 10));
  if (mode == "tmpfile") {
    int fd = ::open(".", O_TMPFILE | O_WRONLY, 0644);
    if (fd < 0 || write_all(fd, "tmpfile\n")) return std::perror("O_TMPFILE"), 1;
    const std::string self = "/proc/self/fd/" + std::to_string(fd);
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, argv[2], AT_SYMLINK_FOLLOW) != 0)
      return std::perror("linkat"), 1;
    return 0;
  }
  if (mode == "dirfd") {
    int dir = ::open(".", O_RDONLY | O_DIRECTORY);
    int fd = ::openat(dir, argv[2], O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0 || write_all(fd, "dirfd\n")) return std::perror("openat"), 1;
    return 0;
  }
  if (mode == "whiteout" && argc == 4) {
    if (::syscall(SYS_renameat2, AT_FDCWD, argv[2], AT_FDCWD, argv[3], 4 /* RENAME_WHITEOUT */) != 0)
      return std::perror("renameat2"), 1;
    return 0;
  }
  if (mode == "exchange" && argc == 4) {
    if (::syscall(SYS_renameat2, AT_FDCWD, argv[2], AT_FDCWD, argv[3], 2 /* RENAME_EXCHANGE */) != 0)
      return std::perror("renameat2"), 1;
    return 0;
  }
  if (mode == "read") {
    int fd = ::open(argv[2], O_CREAT | O_RDONLY, 0644);
    if (fd < 0) return std::perror("open(O_CREAT|O_RDONLY)"), 1;
    char buf[256];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) std::fwrite(buf, 1, static_cast<size_t>(n), stdout);
    return 0;
  }
  if (mode == "fifo-writers") {
    if (::mkfifo("fifo", 0644) != 0) return std::perror("mkfifo"), 1;
    const long n = std::strtol(argv[2], nullptr, 10);
    long started = 0;
    for (long i = 0; i < n; ++i) {
      try {
        std::thread([] { ::open("fifo", O_CREAT | O_WRONLY, 0644); }).detach();
        ++started;
      } catch (const std::system_error&) {
        break;  // the process limit: what this mode is for
      }
    }
    std::printf("started %ld\n", started);
    std::fflush(stdout);
    ::usleep(500 * 1000);  // the waits reach the supervisor; exit ends the threads
    return 0;
  }
  if (mode == "tty") return tty(std::strtol(argv[2], nullptr, 10));
  if (mode == "bind") {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string name = argv[2];
    if (name.size() >= sizeof addr.sun_path) return 2;
    std::memcpy(addr.sun_path, name.c_str(), name.size());
    if (name[0] == '@') addr.sun_path[0] = '\0';
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (name[0] != '@'));
    const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (s < 0 || ::bind(s, reinterpret_cast<const sockaddr*>(&addr), len) != 0) return std::perror("bind"), 1;
    if (::listen(s, 1) != 0) return std::perror("listen"), 1;
    const int c = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (c < 0 || ::connect(c, reinterpret_cast<const sockaddr*>(&addr), len) != 0)
      return std::perror("connect"), 1;
    return 0;
  }
  if (mode == "flags") {
    // O_PATH ignores O_CREAT, and O_TMPFILE with O_CREAT is invalid: neither makes a name.
    int fd = ::open(argv[2], O_PATH | O_CREAT, 0644);
    if (fd >= 0 || errno != ENOENT) return std::fprintf(stderr, "O_PATH|O_CREAT: %d\n", errno), 1;
    fd = ::open(".", O_TMPFILE | O_CREAT | O_WRONLY, 0644);
    if (fd >= 0 || errno != EINVAL) return std::fprintf(stderr, "O_TMPFILE|O_CREAT: %d\n", errno), 1;
    return 0;
  }
  return 2;
}
