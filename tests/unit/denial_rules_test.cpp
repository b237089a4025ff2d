// Table tests for the denial classifier: a real plan (from the planner, on a fake host
// and filesystem) plus an operation -> the record and suggestion, or nothing.
#include "plan/denial_rules.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "core/paths.hpp"
#include "plan/linux_planner.hpp"

namespace cordon {
namespace {

class MapFs : public FsProbe {
 public:
  MapFs& dir(const std::string& p) { return add(p, FileKind::Dir); }
  MapFs& file(const std::string& p) { return add(p, FileKind::File); }
  FileKind lkind(const std::string& p) const override {
    auto it = kinds_.find(p);
    return it == kinds_.end() ? FileKind::Missing : it->second;
  }
  FileKind kind(const std::string& p) const override { return lkind(p); }
  std::vector<std::string> list(const std::string& d) const override {
    std::vector<std::string> out;
    for (const auto& [p, k] : kinds_)
      if (p != d && paths::parent(p) == d) out.push_back(paths::basename(p));
    return out;
  }
  std::optional<std::string> read_small(const std::string&, size_t) const override { return std::nullopt; }
  std::optional<std::string> realpath(const std::string& p) const override {
    if (lkind(p) == FileKind::Missing) return std::nullopt;
    return p;
  }

 private:
  MapFs& add(const std::string& p, FileKind k) {
    for (const auto& a : paths::ancestors(p)) kinds_.emplace(a, FileKind::Dir);
    kinds_[p] = k;
    return *this;
  }
  std::map<std::string, FileKind> kinds_;
};

const std::string kHome = "/home/u";
const std::string kWs = "/home/u/proj";

MapFs host_fs() {
  MapFs fs;
  fs.dir(kWs + "/src").dir(kWs + "/.git/hooks").file(kWs + "/.git/config").file(kWs + "/.git/HEAD");
  fs.dir(kWs + "/.vscode")
      .dir(kHome + "/.aws")
      .file(kHome + "/.aws/config")
      .file(kHome + "/.aws/credentials");
  fs.dir(kHome + "/.ssh").file(kHome + "/.netrc").dir(kHome + "/.npm").dir(kHome + "/.cache").dir("/tmp");
  fs.dir("/var/tmp/out").dir("/usr/lib");
  return fs;
}

Policy policy_with(void (*edit)(Policy&) = nullptr) {
  Policy p;
  p.workspace = kWs;
  p.deny_read = {kHome + "/.ssh", kHome + "/.aws", kHome + "/.netrc"};
  if (edit) edit(p);
  return p;
}

DenialRules rules_for(const Policy& policy, bool userns = true) {
  LinuxHostCaps caps;
  caps.userns = userns;
  caps.landlock_abi = 6;
  caps.seccomp = true;
  caps.uid = 1000;
  MapFs fs = host_fs();
  Policy p = policy;
  p.best_effort = !userns;
  auto plan = plan_linux(p, caps, fs, LinuxPlanInputs{"/home/u/.local/state/cordon/tmp/x", kHome});
  EXPECT_TRUE(plan) << (plan ? "" : plan.error().message());
  return denial_rules(p, *plan, kHome);
}

struct Case {
  Operation op;
  std::string path;
  bool mkdir = false;
  // Empty rule: no denial expected.
  std::string rule = {};
  std::string suggestion = {};
};

void expect_cases(const DenialRules& rules, const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(to_string(c.op)) + " " + c.path);
    auto d = classify(rules, c.op, c.path, c.mkdir);
    if (c.rule.empty()) {
      EXPECT_FALSE(d) << "unexpected denial: " << (d ? to_text(*d) : "");
      continue;
    }
    ASSERT_TRUE(d);
    EXPECT_EQ(d->operation, to_string(c.op));
    EXPECT_EQ(d->path, paths::normalize(c.path));
    EXPECT_EQ(d->rule.rfind(c.rule, 0), 0u) << d->rule;
    EXPECT_EQ(d->suggestion.rfind(c.suggestion, 0), 0u) << d->suggestion;
  }
}

using O = Operation;

TEST(DenialRules, DefaultPolicy) {
  expect_cases(
      rules_for(policy_with()),
      {
          // allowed: the workspace, temp, /dev/shm, pseudo filesystems, relative paths
          {O::Write, kWs + "/src/main.c"},
          {O::Create, kWs + "/build", true},
          {O::Delete, kWs + "/src"},
          {O::Rename, kWs + "/.git/index.lock"},
          {O::Create, kWs + "/.git/objects/ab/cdef"},
          {O::Create, "/tmp/cc123.o"},
          {O::Create, "/dev/shm/sem.x"},
          {O::Write, "/dev/null"},
          {O::Write, "/proc/self/fd/1"},
          {O::Write, "relative/path"},
          // outside the writable roots: the tool's directory under home
          {O::Create, kHome + "/.npm/_cacache/index/ab", false, "outside the writable roots",
           "--writable ~/.npm"},
          {O::Create, kHome + "/.npm", true, "outside the writable roots",
           "--writable ~/.npm (create the directory first)"},
          {O::Write, kHome + "/.cache/pip/http/x", false, "outside the writable roots",
           "--writable ~/.cache/pip"},
          {O::Create, kHome + "/.local/share/virtualenv/x/y", false, "outside the writable roots",
           "--writable ~/.local/share/virtualenv"},
          {O::Write, kHome + "/.bashrc", false, "outside the writable roots", "--writable ~"},
          {O::Create, "/var/tmp/out/file", false, "outside the writable roots", "--writable /var/tmp/out"},
          {O::Delete, "/usr/lib/libx.so", false, "outside the writable roots", "--writable /usr/lib"},
          {O::Write, "/var/tmp/../../etc/passwd", false, "outside the writable roots", "--writable /etc"},
          // protected paths inside the workspace
          {O::Create, kWs + "/.git/hooks/pre-commit", false, "protected path: git hooks", "--git writable"},
          {O::Write, kWs + "/.git/config", false, "protected path: git config", "--git writable"},
          {O::Create, kWs + "/.claude/settings.json", false, "protected path: Claude Code",
           "--unprotect .claude"},
          {O::Delete, kWs + "/.vscode", false, "protected path", "--unprotect .vscode"},
          // pinned: .git cannot be renamed away or removed, but its contents can change
          {O::Rename, kWs + "/.git", false, "cannot be renamed or removed", "--git writable"},
          {O::Delete, kWs + "/.git", false, "cannot be renamed or removed", "--git writable"},
          {O::Rename, kWs, false, "a writable root cannot be renamed", "none"},
          // secrets: writes have no option, reads name the exact path
          {O::Write, kHome + "/.aws/credentials", false, "masked secret", "none: secrets"},
          {O::Read, kHome + "/.aws/credentials", false, "masked secret", "--allow-read ~/.aws/credentials"},
          {O::Read, kHome + "/.ssh", false, "masked secret", "--allow-read ~/.ssh"},
          {O::Read, kHome + "/.netrc", false, "masked secret", "--allow-read ~/.netrc"},
          {O::Read, kHome + "/.bashrc"},
          {O::Read, kWs + "/src/main.c"},
      });
}

TEST(DenialRules, WritableRootsAndAllowReadExceptions) {
  auto rules = rules_for(policy_with([](Policy& p) {
    p.writable = {kHome + "/.npm"};
    p.allow_read = {kHome + "/.aws/config"};
  }));
  expect_cases(
      rules,
      {
          {O::Create, kHome + "/.npm/_cacache/x"},
          {O::Read, kHome + "/.aws/config"},
          {O::Read, kHome + "/.aws/credentials", false, "masked secret", "--allow-read ~/.aws/credentials"},
          {O::Create, kHome + "/.npm/.claude/x", false, "protected path", "--unprotect .claude"},
      });
}

TEST(DenialRules, GitModes) {
  expect_cases(rules_for(policy_with([](Policy& p) { p.git = GitMode::ReadOnly; })),
               {
                   {O::Create, kWs + "/.git/objects/ab/cd", false, "protected path", "--git config-only"},
                   {O::Write, kWs + "/.git/index", false, "protected path", "--git config-only"},
                   {O::Create, kWs + "/.git/hooks/post-checkout", false, "protected path", "--git writable"},
                   {O::Write, kWs + "/.git/config", false, "protected path", "--git writable"},
               });
  expect_cases(
      rules_for(policy_with([](Policy& p) { p.git = GitMode::Writable; })),
      {
          {O::Create, kWs + "/.git/hooks/pre-commit"},
          {O::Rename, kWs + "/.git"},
          {O::Create, kWs + "/.claude/settings.json", false, "protected path", "--unprotect .claude"},
      });
}

TEST(DenialRules, ExtraProtectedPath) {
  expect_cases(rules_for(policy_with([](Policy& p) { p.protect = {kWs + "/src"}; })),
               {{O::Write, kWs + "/src/main.c", false, "protected path: --protect", "none: drop --protect"}});
}

TEST(DenialRules, ReadOnlyMode) {
  expect_cases(rules_for(policy_with([](Policy& p) { p.mode = Mode::ReadOnly; })),
               {
                   {O::Write, kWs + "/src/main.c", false, "read-only mode", "--mode workspace-write"},
                   {O::Create, kHome + "/.npm/x", false, "outside the writable roots (read-only mode)",
                    "--mode workspace-write --writable ~/.npm"},
                   {O::Create, "/tmp/x"},
               });
}

TEST(DenialRules, TempModes) {
  expect_cases(rules_for(policy_with([](Policy& p) { p.tmp = TmpMode::None; })),
               {{O::Create, "/tmp/x", false, "no temp directory (--tmp none)", "--tmp private"}});
  expect_cases(rules_for(policy_with([](Policy& p) { p.tmp = TmpMode::Host; })), {{O::Create, "/tmp/x"}});
}

TEST(DenialRules, LandlockOnlyHasNoCarveOuts) {
  // Without a mount namespace nothing inside a writable root is protected, and /tmp is
  // the host's (read-only); $TMPDIR is the private directory.
  expect_cases(rules_for(policy_with(), /*userns=*/false),
               {
                   {O::Create, kWs + "/.git/hooks/pre-commit"},
                   {O::Create, "/home/u/.local/state/cordon/tmp/x/a.o"},
                   {O::Create, "/tmp/x", false, "/tmp is the host's", "none: use $TMPDIR"},
                   {O::Read, kHome + "/.ssh/id_rsa", false, "masked secret", "--allow-read ~/.ssh/id_rsa"},
               });
}

TEST(DenialRules, FullAccessRefusesNothing) {
  auto rules = rules_for(policy_with([](Policy& p) { p.mode = Mode::FullAccess; }));
  expect_cases(rules, {{O::Write, "/etc/passwd"}, {O::Read, kHome + "/.ssh/id_rsa"}});
  EXPECT_FALSE(classify_network(rules, "socket(AF_INET, SOCK_STREAM)"));
}

TEST(DenialRules, Network) {
  // With user namespaces the network off is a loopback of the sandbox's own: nothing to refuse.
  EXPECT_FALSE(classify_network(rules_for(policy_with()), "socket(AF_INET, SOCK_STREAM)"));
  // Without them, IP sockets are refused, and the denial says why.
  auto d = classify_network(rules_for(policy_with(), false), "socket(AF_INET, SOCK_STREAM)");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->operation, "network");
  EXPECT_NE(d->rule.find("without user namespaces there is no loopback of the sandbox's own"),
            std::string::npos)
      << d->rule;
  EXPECT_EQ(d->suggestion, "--net on");
  EXPECT_FALSE(classify_network(rules_for(policy_with([](Policy& p) { p.net.mode = NetMode::On; })), "x"));
}

TEST(DenialRules, ConnectsInTheProxiedNetworkOnTheHost) {
  Policy p = policy_with([](Policy& q) {
    q.net.mode = NetMode::Proxy;
    q.net.allow_domains = {"example.com"};
    q.net.allow_localhost_ports = {5432};
  });
  LinuxHostCaps caps;
  caps.userns = false;
  caps.landlock_abi = 6;
  caps.uid = 1000;
  p.best_effort = true;
  MapFs fs = host_fs();
  LinuxPlanInputs inputs{"/home/u/.local/state/cordon/tmp/x", kHome};
  inputs.host_proxy = HostProxyPorts{40001, 40002};
  auto plan = plan_linux(p, caps, fs, inputs);
  ASSERT_TRUE(plan) << plan.error().message();
  auto rules = denial_rules(p, *plan, kHome);
  EXPECT_TRUE(rules.proxy_on_host);
  // The proxy and the --allow-localhost port, on loopback: allowed.
  for (uint16_t port : {40001, 40002, 5432}) EXPECT_FALSE(classify_connect(rules, "127.0.0.1", true, port));
  EXPECT_FALSE(classify_connect(rules, "::1", true, 40001));
  // Another loopback port: Landlock refuses it; the suggestion names the port.
  auto local = classify_connect(rules, "127.0.0.1", true, 8080);
  ASSERT_TRUE(local);
  EXPECT_EQ(local->operation, "connect");
  EXPECT_EQ(local->address, "127.0.0.1:8080");
  EXPECT_EQ(local->suggestion, "--allow-localhost 8080");
  // Any other address, even on an allowed port number: refused, go through the proxy.
  auto remote = classify_connect(rules, "2001:db8::1", false, 40001);
  ASSERT_TRUE(remote);
  EXPECT_EQ(remote->address, "[2001:db8::1]:40001");
  EXPECT_NE(remote->suggestion.find("--allow-domain"), std::string::npos);
  // A TCP listen: refused in this mode, nothing to suggest but another mode.
  auto listen = classify_listen(rules);
  ASSERT_TRUE(listen);
  EXPECT_EQ(listen->operation, "listen");
  // Not this mode: nothing to classify.
  EXPECT_FALSE(classify_connect(rules_for(policy_with()), "192.0.2.1", false, 80));
  EXPECT_FALSE(classify_listen(rules_for(policy_with())));
}

TEST(DenialRules, TextAndLog) {
  Denial d{"write", "/home/u/.npm/x", "", "outside the writable roots", "--writable ~/.npm"};
  EXPECT_EQ(to_text(d),
            "denied write /home/u/.npm/x (outside the writable roots); allow with --writable ~/.npm");
  Denial none{"create", "/w/.claude/x", "", "protected path", "none: change it outside"};
  EXPECT_EQ(to_text(none), "denied create /w/.claude/x (protected path); none: change it outside");

  DenialLog log(2);
  log.add(d);
  log.add(d);  // duplicate: kept once
  EXPECT_FALSE(log.truncated());
  log.add(none);
  log.add(Denial{"delete", "/x", "", "r", "s"});
  EXPECT_EQ(log.entries().size(), 2u);
  EXPECT_TRUE(log.truncated());
}

}  // namespace
}  // namespace cordon

namespace cordon {
namespace {

// cordon's state directory is hidden: no option reopens it, and none is suggested.
TEST(DenialRules, CordonsStateHasNoOption) {
  LinuxHostCaps caps;
  caps.userns = true;
  caps.landlock_abi = 6;
  caps.seccomp = true;
  caps.uid = 1000;
  MapFs fs = host_fs();
  const Policy p = policy_with();
  const std::string state = kHome + "/.local/state/cordon";
  auto plan = plan_linux(p, caps, fs, LinuxPlanInputs{state + "/tmp/x", kHome, {}, state});
  ASSERT_TRUE(plan) << plan.error().message();
  expect_cases(denial_rules(p, *plan, kHome),
               {{O::Create, state + "/locks/x.lock", false, "cordon's own state", "none:"},
                {O::Read, state + "/tmp/other-123/secret", false, "cordon's own state", "none:"}});
}

}  // namespace
}  // namespace cordon

namespace cordon {
namespace {

std::string unix_address(const std::string& path, size_t extra = 0) {
  std::string b(2, '\0');
  const uint16_t family = 1;  // AF_UNIX
  std::memcpy(b.data(), &family, sizeof family);
  return b + path + std::string(extra, '\0');
}

TEST(UnixAddress, ParsedAsTheKernelReadsIt) {
  using K = UnixAddress::Kind;
  struct AddressCase {
    std::string bytes;
    K kind;
    std::string name;
  } cases[] = {
      {unix_address("/run/a.sock"), K::Path, "/run/a.sock"},
      {unix_address("/run/a.sock", 5), K::Path, "/run/a.sock"},                       // NUL-padded
      {unix_address(std::string("rel\0/etc/x", 10)), K::Path, "rel"},                 // ends at the first NUL
      {unix_address(std::string("\0name", 5)), K::Abstract, "name"},                  // abstract
      {unix_address(std::string("\0a\0b", 4)), K::Abstract, std::string("a\0b", 3)},  // NULs are part of it
      {unix_address(""), K::Unnamed, ""},
      {unix_address(std::string(108, 'x')), K::Path, std::string(108, 'x')},  // no NUL: the length ends it
      {unix_address(std::string(109, 'x')), K::Invalid, ""},                  // longer than sockaddr_un
      {std::string(1, '\1'), K::Invalid, ""},                                 // shorter than the family
      {std::string("\2\0\0\0", 4), K::Invalid, ""},                           // AF_INET
  };
  for (const auto& c : cases) {
    const UnixAddress a = parse_unix_address(c.bytes.data(), c.bytes.size());
    EXPECT_EQ(a.kind, c.kind) << c.bytes.size();
    EXPECT_EQ(a.name, c.name);
  }
}

TEST(UnixAddress, GrantsMatchTheNormalisedAbsolutePathOnly) {
  DenialRules r;
  r.allowed_unix_sockets = {"/tmp/ssh-x/agent.1", "/run/user/1000/gnupg/S.gpg-agent"};
  EXPECT_EQ(unix_socket_grant(r, "/tmp/ssh-x/agent.1"), 0);
  EXPECT_EQ(unix_socket_grant(r, "/tmp/ssh-x/./agent.1"), 0);
  EXPECT_EQ(unix_socket_grant(r, "/tmp//ssh-x/../ssh-x/agent.1"), 0);
  EXPECT_EQ(unix_socket_grant(r, "/run/user/1000/gnupg/S.gpg-agent"), 1);
  EXPECT_EQ(unix_socket_grant(r, "/tmp/ssh-x/agent.2"), -1);  // a sibling
  EXPECT_EQ(unix_socket_grant(r, "/tmp/ssh-x"), -1);          // its directory
  EXPECT_EQ(unix_socket_grant(r, "tmp/ssh-x/agent.1"), -1);   // relative: never
}

TEST(UnixAddress, RefusalNamesTheSocketAndTheOption) {
  EXPECT_EQ(to_text(unix_socket_denial("/run/docker.sock")),
            "denied connect /run/docker.sock (a host service outside the sandbox); allow with "
            "--allow-unix-socket /run/docker.sock");
  // A datagram sent to a path (sendto/sendmsg/sendmmsg): the same rule, its own operation.
  const Denial d = unix_socket_denial("/run/systemd/journal/socket", Operation::Send);
  EXPECT_EQ(d.operation, "send");
  EXPECT_EQ(to_text(d),
            "denied send /run/systemd/journal/socket (a host service outside the sandbox); allow with "
            "--allow-unix-socket /run/systemd/journal/socket");
  // Never a file-system classification.
  EXPECT_FALSE(classify(DenialRules{}, Operation::Send, "/run/systemd/journal/socket"));
}

}  // namespace
}  // namespace cordon
