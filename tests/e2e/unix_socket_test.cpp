// Pathname unix sockets: a socket made outside the run is a host service, reached only
// by grant (--allow-unix-socket); one the command made itself works. Each checked from
// outside: the outside server counts the connections it accepted.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <thread>

#include "e2e/harness.hpp"

using namespace cordon_test;

namespace {

// The probe runs inside the sandbox, whose /tmp is private: a build tree under /tmp (a
// checkout there) would be invisible. So it is copied once into a TempDir (under /var/tmp
// unless CORDON_TEST_TMP says otherwise), removed when the tests end.
std::string unix_probe() {
  static const TempDir dir;
  static const std::string staged = [] {
    const char* env = std::getenv("CORDON_UNIX_PROBE");
    const std::string built = env && *env ? env : CORDON_UNIX_PROBE_BINARY;
    const std::string copy = dir / "unix_probe";
    std::error_code ec;
    fs::copy_file(built, copy, fs::copy_options::overwrite_existing, ec);
    if (ec) return built;  // the tests then fail, naming the path they tried
    ::chmod(copy.c_str(), 0755);
    return copy;
  }();
  return staged;
}

// A server on a pathname socket, outside any sandbox, counting what it accepts.
class OutsideServer {
 public:
  explicit OutsideServer(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    ok_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(fd_, 128) == 0;
    ::chmod(path.c_str(), 0777);
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 20) <= 0) continue;
        int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) {
          ++connections_;
          ssize_t w = ::send(c, "out", 3, MSG_NOSIGNAL);
          (void)w;
          ::close(c);
        }
      }
    });
  }
  ~OutsideServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  bool ok() const { return ok_; }
  // Connections so far, after letting any in flight arrive.
  int connections() const {
    ::usleep(100 * 1000);
    return connections_;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool ok_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

std::string hold_listener() {
  const char* env = std::getenv("CORDON_HOLD_LISTENER");
  return env && *env ? env : CORDON_HOLD_LISTENER_BINARY;
}

std::string probe(const std::string& args) {
  return sh_quote(unix_probe()) + " " + args;
}

// The three shapes of a run, each with its own way to tell "made in this run".
struct RunShape {
  const char* name;
  std::vector<std::string> opts;
  bool no_userns;
};

const std::vector<RunShape>& shapes() {
  static const std::vector<RunShape> s = {
      {"own network namespace", {}, false},
      {"host network (--net on)", {"--net", "on"}, false},
      {"no user namespaces (Landlock only)", {"--best-effort"}, true},
  };
  return s;
}

Outcome run_in(const Sandbox& box, const RunShape& shape, const std::string& script,
               std::vector<std::string> opts = {}, std::vector<std::string> env = {}) {
  std::vector<std::string> argv;
  if (shape.no_userns) argv.push_back(no_userns_binary());
  argv.insert(argv.end(), {cordon_binary(), "run", "--no-config"});
  argv.insert(argv.end(), shape.opts.begin(), shape.opts.end());
  argv.insert(argv.end(), opts.begin(), opts.end());
  argv.insert(argv.end(), {"--", "sh", "-c", script});
  return run_process(argv, box.ws.path(), "", box.env(std::move(env)));
}

}  // namespace

TEST(UnixSockets, OutsideServerSeesNoConnectionDirectlyOrThroughALinkMadeInside) {
  for (const auto& shape : shapes()) {
    SCOPED_TRACE(shape.name);
    Sandbox box;
    OutsideDir outside;
    const std::string sock = outside / "service.sock";
    OutsideServer server(sock);
    ASSERT_TRUE(server.ok());
    // Outside, the probe reaches the server: it can see a leak.
    auto bare = run_process({unix_probe(), "connect", sock}, box.ws.path());
    ASSERT_TRUE(contains(bare.out, sock + " connected")) << bare.out;
    ASSERT_EQ(server.connections(), 1);

    auto o = run_in(box, shape,
                    "ln -s " + sh_quote(sock) + " link && " + probe("connect " + sh_quote(sock) + " link"),
                    {"--json", "--report-denials", "full"});
    EXPECT_TRUE(contains(o.out, sock + " refused 13")) << o.out << o.err;
    EXPECT_TRUE(contains(o.out, "link refused 13")) << o.out << o.err;
    EXPECT_EQ(server.connections(), 1);
    EXPECT_TRUE(contains(o.err, "cordon: denied connect " + sock +
                                    " (a host service outside the sandbox); allow with --allow-unix-socket " +
                                    sock))
        << o.err;
    EXPECT_TRUE(contains(o.err, "\"operation\":\"connect\"")) << o.err;
  }
}

TEST(UnixSockets, SocketsTheCommandMadeItselfWork) {
  for (const auto& shape : shapes()) {
    SCOPED_TRACE(shape.name);
    Sandbox box;
    // Without user namespaces /tmp is the host's and read-only: $TMPDIR is the private one.
    const std::string tmp = shape.no_userns ? "\"$TMPDIR\"" : "/tmp";
    auto o = run_in(box, shape, probe("own ws.sock") + "; " + probe("own " + tmp + "/tmp.sock"));
    EXPECT_TRUE(contains(o.out, "ws.sock round-trip")) << o.out << o.err;
    EXPECT_TRUE(contains(o.out, "tmp.sock round-trip")) << o.out << o.err;
    EXPECT_FALSE(contains(o.err, "denied connect")) << o.err;
  }
}

TEST(UnixSockets, AnAllowedSocketWorksAndItsSiblingDoesNot) {
  for (const auto& shape : shapes()) {
    SCOPED_TRACE(shape.name);
    Sandbox box;
    OutsideDir outside;
    OutsideServer allowed(outside / "allowed.sock"), sibling(outside / "sibling.sock");
    ASSERT_TRUE(allowed.ok() && sibling.ok());
    auto o = run_in(
        box, shape,
        probe("connect " + sh_quote(outside / "allowed.sock") + " " + sh_quote(outside / "sibling.sock")),
        {"--allow-unix-socket", outside / "allowed.sock"});
    EXPECT_TRUE(contains(o.out, "allowed.sock connected")) << o.out << o.err;
    EXPECT_TRUE(contains(o.out, "sibling.sock refused 13")) << o.out << o.err;
    EXPECT_EQ(allowed.connections(), 1);
    EXPECT_EQ(sibling.connections(), 0);
  }
}

// A directory swapped for a link to the outside directory while the command connects
// in a loop: every connect is decided and made on the inode it resolved to.
TEST(UnixSockets, ADirectorySwappedDuringAConnectLoopNeverReachesOutside) {
  for (const auto& shape : shapes()) {
    SCOPED_TRACE(shape.name);
    Sandbox box;
    OutsideDir outside;
    OutsideServer server(outside / "s");
    ASSERT_TRUE(server.ok());
    auto o = run_in(box, shape, probe("race-dir " + sh_quote(outside.path()) + " 2000"));
    EXPECT_TRUE(contains(o.out, "ok=")) << o.out << o.err;
    EXPECT_FALSE(contains(o.out, "ok=0 ")) << "the inside server was never reached: " << o.out;
    EXPECT_EQ(server.connections(), 0) << o.out;
  }
}

// The address rewritten by another thread, and the descriptor number reused, while the
// command connects in a loop: the broker reads the address once and connects the socket
// it took.
TEST(UnixSockets, AnAddressRewrittenDuringAConnectLoopNeverReachesOutside) {
  for (const auto& shape : shapes()) {
    SCOPED_TRACE(shape.name);
    Sandbox box;
    OutsideDir outside;
    OutsideServer server(outside / "s");
    ASSERT_TRUE(server.ok());
    auto o = run_in(box, shape, probe("race-addr " + sh_quote(outside / "s") + " 2000"));
    EXPECT_TRUE(contains(o.out, "ok=")) << o.out << o.err;
    EXPECT_EQ(server.connections(), 0) << o.out;
  }
}

TEST(UnixSockets, AFifoOrAFileAtTheSocketPathIsRefusedWithoutHanging) {
  Sandbox box;
  OutsideDir outside;
  ASSERT_EQ(::mkfifo((outside / "fifo").c_str(), 0666), 0);
  write_file(outside / "file", "x\n");
  const auto start = std::chrono::steady_clock::now();
  auto o = box.sh(probe("connect " + sh_quote(outside / "fifo") + " " + sh_quote(outside / "file")));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_TRUE(contains(o.out, "fifo refused 111")) << o.out << o.err;  // ECONNREFUSED, as the kernel says
  EXPECT_TRUE(contains(o.out, "file refused 111")) << o.out << o.err;
}

TEST(UnixSockets, SshAgentRoundTripWithAllowUnixSocket) {
  for (const char* tool : {"ssh-agent", "ssh-add", "ssh-keygen"})
    if (!have_tool(tool)) GTEST_SKIP() << tool << " is not installed";
  Sandbox box;
  // Under /tmp: the sandbox's /tmp is private, so the agent's path is not even visible
  // inside; the grant names it.
  std::string tmpl = "/tmp/cordon-agent-XXXXXX";
  ASSERT_TRUE(::mkdtemp(tmpl.data()));
  const std::string dir = tmpl, sock = dir + "/agent.sock", key = dir + "/key";
  pid_t agent = spawn_detached({"/usr/bin/ssh-agent", "-D", "-a", sock}, dir, {});
  ASSERT_TRUE(wait_for_file(sock, 5000));
  ASSERT_EQ(
      run_process({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "cordon-test-key", "-f", key}, dir)
          .code,
      0);
  const std::vector<std::string> env = {"SSH_AUTH_SOCK=" + sock};
  ASSERT_EQ(run_process({"ssh-add", "-q", key}, dir, "", env).code, 0);

  auto granted = box.sh("ssh-add -l", {"--allow-unix-socket", sock}, "", env);
  auto scrubbed = box.sh("echo sock=${SSH_AUTH_SOCK:-unset}; ssh-add -l", {}, "", env);
  auto kept = box.sh("ssh-add -l", {"--env-keep", "SSH_AUTH_SOCK"}, "", env);
  ::kill(agent, SIGTERM);
  ::waitpid(agent, nullptr, 0);
  std::error_code ec;
  fs::remove_all(dir, ec);

  EXPECT_EQ(granted.code, 0) << granted.out << granted.err;
  EXPECT_TRUE(contains(granted.out, "cordon-test-key")) << granted.out << granted.err;
  EXPECT_TRUE(contains(scrubbed.out, "sock=unset")) << scrubbed.out;
  EXPECT_NE(scrubbed.code, 0);
  EXPECT_NE(kept.code, 0) << kept.out;
  EXPECT_FALSE(contains(kept.out, "cordon-test-key")) << kept.out;
}

// A hard link made beforehand (outside) to the outside socket, and an O_PATH descriptor
// of it named through /proc/self/fd: both are the outside inode.
TEST(UnixSockets, AHardLinkOrAMagicLinkToTheOutsideSocketIsRefused) {
  Sandbox box;
  OutsideDir outside;
  const std::string sock = outside / "service.sock";
  OutsideServer server(sock);
  ASSERT_TRUE(server.ok());
  if (::link(sock.c_str(), (box.ws / "hardlink.sock").c_str()) != 0)
    GTEST_SKIP() << "the workspace and the outside directory are on different file systems";
  auto o = box.sh(probe("connect hardlink.sock") + "; exec 3<" + sh_quote(outside.path()) + "; " +
                  probe("connect /proc/self/fd/3/service.sock"));
  EXPECT_TRUE(contains(o.out, "hardlink.sock refused 13")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "service.sock refused")) << o.out << o.err;
  EXPECT_EQ(server.connections(), 0);
}

// Below another seccomp listener (an outer supervisor) cordon's broker cannot be
// installed: the run fails closed and says why; --best-effort runs it unbrokered.
TEST(UnixSockets, WithoutItsListenerTheRunFailsClosed) {
  Sandbox box;
  auto refused = run_process({hold_listener(), cordon_binary(), "run", "--no-config", "--", "echo", "ran"},
                             box.ws.path(), "", box.env());
  EXPECT_EQ(refused.code, 125) << refused.out << refused.err;
  EXPECT_FALSE(contains(refused.out, "ran"));
  EXPECT_TRUE(contains(refused.err, "broker")) << refused.err;
  auto allowed = run_process(
      {hold_listener(), cordon_binary(), "run", "--no-config", "--best-effort", "--", "echo", "ran"},
      box.ws.path(), "", box.env());
  EXPECT_EQ(allowed.code, 0) << allowed.err;
  EXPECT_EQ(allowed.out, "ran\n");
}

// A granted server that never accepts (its backlog full): the broker connects on its own
// thread, and the command flipped O_NONBLOCK on the socket between the broker's look and
// its connect, which then waited as long as the server lived: every later connect of the
// run waited behind it, and cordon itself stayed after the command ended and after
// SIGTERM. Each connect must end within the broker's bound, and the run with it.
TEST(UnixSockets, AGrantedServerThatNeverAcceptsCannotHangTheBroker) {
  Sandbox box;
  OutsideDir outside;
  const std::string path = outside / "full.sock";
  int server = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  ASSERT_EQ(::bind(server, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ::chmod(path.c_str(), 0777);
  ASSERT_EQ(::listen(server, 0), 0);  // never accepted: the backlog stays full
  for (const auto& shape : shapes()) {
    SCOPED_TRACE(shape.name);
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::string> argv;
    if (shape.no_userns) argv.push_back(no_userns_binary());
    argv.insert(argv.end(), {cordon_binary(), "run", "--no-config", "--allow-unix-socket", path});
    argv.insert(argv.end(), shape.opts.begin(), shape.opts.end());
    argv.insert(argv.end(), {"--", unix_probe(), "flip-connect", path, "6"});
    auto o = run_process(argv, box.ws.path(), "", box.env(), /*timeout_s=*/40);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(o.code, 0) << o.out << o.err;
    EXPECT_TRUE(contains(o.out, "filled=")) << o.out << o.err;
    EXPECT_LT(took, std::chrono::seconds(30)) << o.out << o.err;
  }
  ::close(server);
  ::unlink(path.c_str());
}

// A datagram server on a pathname socket, outside any sandbox, counting what it receives.
class OutsideDgramServer {
 public:
  explicit OutsideDgramServer(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    ok_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::chmod(path.c_str(), 0777);
  }
  ~OutsideDgramServer() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  bool ok() const { return ok_; }
  // Datagrams received so far (drained), after letting any in flight arrive.
  int received() {
    ::usleep(100 * 1000);
    char buf[512];
    while (::recv(fd_, buf, sizeof buf, 0) >= 0) ++received_;
    return received_;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool ok_ = false;
  int received_ = 0;
};

// sendto()/sendmsg()/sendmmsg() with a pathname destination on an unconnected datagram
// socket is a connect() for one message: the broker performs each, on the inode it
// resolved in the command's view. Directly, through a link made inside, through a magic
// link (/proc/self/fd/N/...), and from python: the outside server receives nothing.
TEST(UnixSockets, ADatagramSentToAnOutsidePathIsNotReceived) {
  for (const auto& shape : shapes()) {
    SCOPED_TRACE(shape.name);
    Sandbox box;
    OutsideDir outside;
    const std::string sock = outside / "dgram.sock";
    OutsideDgramServer server(sock);
    ASSERT_TRUE(server.ok());
    // Outside, the probe reaches the server: it can see a leak.
    auto bare = run_process({unix_probe(), "send", sock}, box.ws.path());
    ASSERT_TRUE(contains(bare.out, sock + " sendmmsg sent")) << bare.out;
    ASSERT_EQ(server.received(), 3);

    std::string script = "ln -s " + sh_quote(sock) + " link && exec 3<" + sh_quote(outside.path()) + " && " +
                         probe("send " + sh_quote(sock) + " link /proc/self/fd/3/dgram.sock");
    if (::access("/usr/bin/python3", X_OK) == 0)
      script +=
          "; python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); "
          "s.sendto(b\"from-inside\", sys.argv[1])' " +
          sh_quote(sock) + " 2>/dev/null";
    auto o = run_in(box, shape, script, {"--json"});
    for (const char* how : {"sendto", "sendmsg", "sendmmsg"}) {
      EXPECT_TRUE(contains(o.out, sock + " " + how + " refused 13")) << o.out << o.err;
      EXPECT_TRUE(contains(o.out, std::string("link ") + how + " refused 13")) << o.out << o.err;
      EXPECT_TRUE(contains(o.out, std::string("/proc/self/fd/3/dgram.sock ") + how + " refused"))
          << o.out << o.err;
    }
    EXPECT_FALSE(contains(o.out, " sent")) << o.out;
    EXPECT_EQ(server.received(), 3) << o.out << o.err;
    EXPECT_TRUE(contains(o.err, "cordon: denied send " + sock +
                                    " (a host service outside the sandbox); allow with --allow-unix-socket " +
                                    sock))
        << o.err;
    EXPECT_TRUE(contains(o.err, "\"operation\":\"send\"")) << o.err;
  }
}

// A datagram server the command made itself gets sendto, sendmsg with a descriptor
// passed along (SCM_RIGHTS: the receiver writes through it) and sendmmsg.
TEST(UnixSockets, DatagramsToSocketsTheCommandMadeWork) {
  for (const auto& shape : shapes()) {
    SCOPED_TRACE(shape.name);
    Sandbox box;
    const std::string tmp = shape.no_userns ? "\"$TMPDIR\"" : "/tmp";
    auto o =
        run_in(box, shape, probe("own-dgram ws.dgram") + "; " + probe("own-dgram " + tmp + "/tmp.dgram"));
    EXPECT_TRUE(contains(o.out, "ws.dgram dgram round-trip")) << o.out << o.err;
    EXPECT_TRUE(contains(o.out, "tmp.dgram dgram round-trip")) << o.out << o.err;
    EXPECT_FALSE(contains(o.err, "denied send")) << o.err;
  }
}

TEST(UnixSockets, AnAllowedDatagramServerGetsItAndItsSiblingDoesNot) {
  for (const auto& shape : shapes()) {
    SCOPED_TRACE(shape.name);
    Sandbox box;
    OutsideDir outside;
    OutsideDgramServer allowed(outside / "allowed.dgram"), sibling(outside / "sibling.dgram");
    ASSERT_TRUE(allowed.ok() && sibling.ok());
    auto o = run_in(
        box, shape,
        probe("send " + sh_quote(outside / "allowed.dgram") + " " + sh_quote(outside / "sibling.dgram")),
        {"--allow-unix-socket", outside / "allowed.dgram"});
    EXPECT_TRUE(contains(o.out, "allowed.dgram sendto sent")) << o.out << o.err;
    EXPECT_TRUE(contains(o.out, "allowed.dgram sendmmsg sent")) << o.out << o.err;
    EXPECT_TRUE(contains(o.out, "sibling.dgram sendmsg refused 13")) << o.out << o.err;
    EXPECT_EQ(allowed.received(), 3);
    EXPECT_EQ(sibling.received(), 0);
  }
}

// Another thread rewrites the destination (own.sock <-> the outside path), msg_name (NULL
// <-> it), msg_namelen and msg_iovlen during 2,000 sendmsg, sendto and sendmmsg; and a
// directory is swapped for a link to the outside directory during 2,000 sendto. Every
// message is read once, and sent to the inode decided on.
TEST(UnixSockets, ADatagramDestinationRewrittenOrSwappedNeverReachesOutside) {
  for (const auto& shape : shapes()) {
    SCOPED_TRACE(shape.name);
    Sandbox box;
    OutsideDir outside;
    OutsideDgramServer server(outside / "s");
    ASSERT_TRUE(server.ok());
    auto o = run_in(box, shape,
                    probe("race-dgram " + sh_quote(outside / "s") + " 2000") + "; " +
                        probe("race-dgram-dir " + sh_quote(outside.path()) + " 2000"));
    EXPECT_TRUE(contains(o.out, "ok=")) << o.out << o.err;
    EXPECT_FALSE(contains(o.out, "inside=0 ")) << "the inside server got nothing: " << o.out;
    EXPECT_EQ(server.received(), 0) << o.out;
  }
}

// Bogus pointers, 1,025 iovecs, a name longer than a sockaddr_storage, a negative one,
// an iovec past the user half, a datagram of 8 MiB, a control buffer of 1 GiB, a closed
// descriptor in SCM_RIGHTS, a sendmmsg of 2,000, a full receiver (MSG_DONTWAIT, then
// SO_SNDTIMEO, then a blocking send that waits for room), EPIPE with and without
// SIGPIPE, an 8 MiB stream send: the broker answers each as the kernel does outside.
TEST(UnixSockets, BrokeredSendsAnswerAsTheKernelDoes) {
  Sandbox box;
  auto bare = run_process({unix_probe(), "edge", "edge.sock"}, box.ws.path(), "", {}, /*timeout_s=*/60);
  ASSERT_TRUE(contains(bare.out, "stream-8MiB all")) << bare.out << bare.err;
  for (const auto& shape : shapes()) {
    SCOPED_TRACE(shape.name);
    auto o = run_in(box, shape, probe("edge edge.sock"));
    EXPECT_EQ(o.out, bare.out) << o.err;
  }
}

// The broker sends with cordon's credentials. A netlink message with a destination is
// checked against the sender's capabilities only, so as root cordon would lend it
// CAP_NET_ADMIN over the host's network (--net on shares it): the broker drops the name,
// and the kernel checks the capabilities of the socket's opener too. `ip link set lo up`
// needs CAP_NET_ADMIN and changes nothing where lo is up already; a dump needs none.
TEST(UnixSockets, ANetlinkRequestSentThroughTheBrokerCarriesNoCapabilityOfCordons) {
  if (!have_tool("ip")) GTEST_SKIP() << "ip (iproute2) is not installed";
  Sandbox box;
  auto bare_lo = run_process({"ip", "-o", "link", "show", "lo"}, box.ws.path());
  if (!contains(bare_lo.out, "UP")) GTEST_SKIP() << "lo is not up on this host: " << bare_lo.out;
  auto o = box.sh("ip -o link show lo >/dev/null && echo dump-ok; ip link set lo up; echo set=$?",
                  {"--net", "on"});
  EXPECT_TRUE(contains(o.out, "dump-ok")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "set=2")) << o.out << o.err;
  EXPECT_TRUE(contains(o.err, "Operation not permitted")) << o.err;
}

// The broker performs the call; a signal that reached the caller while it waited used to
// end the wait, and the restarted call was performed again: 2,500 duplicates in 20,000
// sendmsg on a seqpacket pair with a thread signalling the sender every 50 us. Once the
// supervisor holds a call, only a fatal signal ends the wait (WAIT_KILLABLE_RECV).
TEST(UnixSockets, ASignalDuringABrokeredSendNeverSendsItTwice) {
  for (const auto& shape : shapes()) {
    SCOPED_TRACE(shape.name);
    Sandbox box;
    auto o = run_in(box, shape, probe("signal-sends 20000"));
    EXPECT_TRUE(contains(o.out, "sent=20000 received=20000 dups=0")) << o.out << o.err;
  }
}
