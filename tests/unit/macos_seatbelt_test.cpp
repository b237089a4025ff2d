// The macOS planner (plan/macos/seatbelt.cpp), checked by meaning, not by text: a small
// evaluator for the subset of SBPL the planner emits answers "may this operation touch this
// path?" with the plan's -D parameters bound, the way Seatbelt would for a profile made of
// (deny default) and allow rules only.
#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <set>

#include "core/paths.hpp"
#include "plan/macos/seatbelt.hpp"

namespace cordon::mac {
namespace {

// --- a tiny SBPL reader and evaluator ---------------------------------------------------

struct Node {
  bool list = false;
  std::string atom;  // symbol, or string contents (quoted strings keep a leading '"')
  std::vector<Node> items;
};

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  std::vector<Node> all() {
    std::vector<Node> out;
    while (skip(), i_ < s_.size()) out.push_back(read());
    return out;
  }

 private:
  void skip() {
    while (i_ < s_.size()) {
      if (s_[i_] == ';') {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else if (std::isspace(static_cast<unsigned char>(s_[i_]))) {
        ++i_;
      } else {
        break;
      }
    }
  }
  Node read() {
    skip();
    if (i_ >= s_.size()) throw std::runtime_error("unexpected end of profile");
    Node n;
    if (s_[i_] == '(') {
      ++i_;
      n.list = true;
      while (skip(), i_ < s_.size() && s_[i_] != ')') n.items.push_back(read());
      if (i_ >= s_.size()) throw std::runtime_error("unbalanced parentheses");
      ++i_;
      return n;
    }
    if (s_[i_] == ')') throw std::runtime_error("stray ')'");
    const bool regex = s_[i_] == '#';
    if (regex) ++i_;
    if (s_[i_] == '"') {
      ++i_;
      std::string v = regex ? "#" : "\"";
      while (i_ < s_.size() && s_[i_] != '"') {
        if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
        v += s_[i_++];
      }
      if (i_ >= s_.size()) throw std::runtime_error("unterminated string");
      ++i_;
      n.atom = v;
      return n;
    }
    while (i_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[i_])) && s_[i_] != '(' &&
           s_[i_] != ')')
      n.atom += s_[i_++];
    return n;
  }
  std::string_view s_;
  size_t i_ = 0;
};

class Profile {
 public:
  explicit Profile(const MacPlan& plan) : plan_(plan), forms_(Reader(plan.profile).all()) {}

  // Allowed iff some allow rule names the operation (or its family*) and its filters match.
  bool allows(const std::string& op, const std::string& path) const {
    for (const auto& f : forms_) {
      if (!f.list || f.items.empty()) continue;
      if (f.items[0].atom == "deny") {
        // Only (deny default) is emitted: the profile must not depend on rule order.
        EXPECT_EQ(f.items.size(), 2u);
        continue;
      }
      if (f.items[0].atom != "allow") continue;
      bool op_match = false;
      std::vector<const Node*> filters;
      for (size_t k = 1; k < f.items.size(); ++k) {
        const Node& it = f.items[k];
        if (it.list) {
          filters.push_back(&it);
        } else if (it.atom == op ||
                   (it.atom.back() == '*' && op.rfind(it.atom.substr(0, it.atom.size() - 1), 0) == 0)) {
          op_match = true;
        }
      }
      if (!op_match) continue;
      if (filters.empty()) return true;
      for (const Node* flt : filters)
        if (match(*flt, path)) return true;
    }
    return false;
  }
  bool may_read(const std::string& p) const { return allows("file-read-data", p); }
  bool may_write(const std::string& p) const { return allows("file-write-data", p); }
  bool may_create(const std::string& p) const { return allows("file-write-create", p); }
  bool may_unlink(const std::string& p) const { return allows("file-write-unlink", p); }

 private:
  std::string value(const Node& n) const {
    if (!n.list) {
      EXPECT_EQ(n.atom.substr(0, 1), "\"") << "a path must be a string or a param";
      return n.atom.substr(1);
    }
    EXPECT_EQ(n.items.at(0).atom, "param");
    const std::string key = n.items.at(1).atom.substr(1);
    const std::string v = plan_.param(key);
    EXPECT_FALSE(v.empty()) << "unbound parameter " << key;
    return v;
  }
  bool match(const Node& f, const std::string& path) const {
    const std::string& head = f.items.at(0).atom;
    if (head == "require-all") {
      for (size_t k = 1; k < f.items.size(); ++k)
        if (!match(f.items[k], path)) return false;
      return true;
    }
    if (head == "require-any") {
      for (size_t k = 1; k < f.items.size(); ++k)
        if (match(f.items[k], path)) return true;
      return false;
    }
    if (head == "require-not") return !match(f.items.at(1), path);
    if (head == "subpath") return paths::is_within(path, value(f.items.at(1)));
    if (head == "literal") return path == value(f.items.at(1));
    if (head == "regex") return std::regex_search(path, std::regex(f.items.at(1).atom.substr(1)));
    if (head == "vnode-type") return true;
    return false;  // extension, target, global-name, remote, iokit...: not path filters
  }
  MacPlan plan_;
  std::vector<Node> forms_;
};

// --- fixtures ------------------------------------------------------------------------------

Policy base_policy() {
  Policy p;
  p.workspace = "/Users/u/proj";
  p.deny_read = {"/Users/u/.ssh", "/Users/u/.aws"};
  return p;
}

MacHost base_host() {
  MacHost h;
  h.home = "/Users/u";
  h.state_dir = "/Users/u/Library/Application Support/cordon";
  h.private_tmp = "/private/var/folders/xy/T/cordon-1";
  h.host_tmp = "/private/var/folders/xy/T";
  h.cache_dir = "/private/var/folders/xy/C";
  h.kind = [](const std::string& p) {
    static const std::set<std::string> dirs = {"/Users/u/proj/.git", "/Users/u/other/.git"};
    if (dirs.count(p)) return PathKind::Dir;
    if (p == "/Users/u/wt/.git") return PathKind::File;
    return PathKind::Missing;
  };
  return h;
}

MacPlan plan_ok(const Policy& p, const MacHost& h = base_host()) {
  auto r = plan_macos(p, h);
  EXPECT_TRUE(static_cast<bool>(r)) << (r ? "" : r.error().message());
  return r ? *r : MacPlan{};
}

std::string env_of(const MacPlan& plan, const std::string& name) {
  for (const auto& [k, v] : plan.env)
    if (k == name) return v;
  return "<unset>";
}

// --- tests ----------------------------------------------------------------------------

TEST(MacSeatbelt, WorkspaceWritableNeighboursNot) {
  MacPlan plan = plan_ok(base_policy());
  Profile prof(plan);
  EXPECT_TRUE(prof.may_write("/Users/u/proj/src/a.c"));
  EXPECT_TRUE(prof.may_create("/Users/u/proj/new.txt"));
  EXPECT_TRUE(prof.may_unlink("/Users/u/proj/src/a.c"));
  EXPECT_FALSE(prof.may_write("/Users/u/proj2/a.c"));  // prefix, not a subpath
  EXPECT_FALSE(prof.may_write("/Users/u/.zshrc"));
  EXPECT_FALSE(prof.may_create("/usr/local/bin/x"));
  EXPECT_TRUE(prof.may_write("/dev/null"));
  EXPECT_TRUE(prof.may_write("/private/var/folders/xy/T/cordon-1/cc.o"));
  EXPECT_FALSE(prof.may_write("/private/var/folders/xy/T/other"));  // the host temp stays shut
  EXPECT_EQ(env_of(plan, "TMPDIR"), "/private/var/folders/xy/T/cordon-1/");
}

TEST(MacSeatbelt, SecretsUnreadableEverythingElseReadable) {
  Policy p = base_policy();
  p.allow_read = {"/Users/u/Library/Cookies"};
  Profile prof(plan_ok(p));
  EXPECT_TRUE(prof.may_read("/usr/bin/git"));
  EXPECT_TRUE(prof.may_read("/Users/u/proj/README"));
  EXPECT_FALSE(prof.may_read("/Users/u/.ssh/id_ed25519"));
  EXPECT_FALSE(prof.may_read("/Users/u/.aws"));
  EXPECT_FALSE(prof.may_read("/Users/u/Library/Keychains/login.keychain-db"));
  EXPECT_TRUE(prof.may_read("/Users/u/Library/Cookies/x"));  // --allow-read wins over the macOS list
}

TEST(MacSeatbelt, GitHooksAndConfigProtectedEvenWhenMissing) {
  Profile prof(plan_ok(base_policy()));
  EXPECT_TRUE(prof.may_write("/Users/u/proj/.git/index"));
  EXPECT_TRUE(prof.may_create("/Users/u/proj/.git/objects/ab/cd"));
  EXPECT_FALSE(prof.may_write("/Users/u/proj/.git/config"));
  EXPECT_FALSE(prof.may_create("/Users/u/proj/.git/hooks/pre-commit"));
  EXPECT_FALSE(prof.may_create("/Users/u/proj/.git/config.worktree"));  // missing: still refused
  EXPECT_FALSE(prof.may_create("/Users/u/proj/.claude/settings.json"));
  EXPECT_FALSE(prof.may_create("/Users/u/proj/.vscode/tasks.json"));
  // `mv .git .git2` would carry hooks out from under the rule: the directory is pinned.
  EXPECT_FALSE(prof.may_unlink("/Users/u/proj/.git"));
  EXPECT_FALSE(prof.allows("file-write-mode", "/Users/u/proj/.git"));
}

TEST(MacSeatbelt, GitInitStillWorksWithoutRepository) {
  Policy p = base_policy();
  p.workspace = "/Users/u/fresh";
  Profile prof(plan_ok(p));
  EXPECT_TRUE(prof.may_create("/Users/u/fresh/.git"));
  EXPECT_TRUE(prof.may_create("/Users/u/fresh/.git/hooks/pre-commit.sample"));
  EXPECT_FALSE(prof.may_create("/Users/u/fresh/.cordon"));  // agent/cordon config still protected
}

TEST(MacSeatbelt, GitModes) {
  Policy ro = base_policy();
  ro.git = GitMode::ReadOnly;
  Profile r(plan_ok(ro));
  EXPECT_FALSE(r.may_write("/Users/u/proj/.git/index"));
  Policy w = base_policy();
  w.git = GitMode::Writable;
  Profile wr(plan_ok(w));
  EXPECT_TRUE(wr.may_create("/Users/u/proj/.git/hooks/pre-commit"));
  EXPECT_FALSE(wr.may_create("/Users/u/proj/.codex/config.toml"));
}

TEST(MacSeatbelt, WorktreePointerFileProtected) {
  Policy p = base_policy();
  p.workspace = "/Users/u/wt";
  MacPlan plan = plan_ok(p);
  Profile prof(plan);
  EXPECT_FALSE(prof.may_write("/Users/u/wt/.git"));
  EXPECT_TRUE(prof.may_write("/Users/u/wt/main.c"));
  EXPECT_FALSE(plan.notes.empty());
}

TEST(MacSeatbelt, ReadOnlyModeWritesNothingButTemp) {
  Policy p = base_policy();
  p.mode = Mode::ReadOnly;
  Profile prof(plan_ok(p));
  EXPECT_FALSE(prof.may_write("/Users/u/proj/src/a.c"));
  EXPECT_TRUE(prof.may_write("/private/var/folders/xy/T/cordon-1/x"));
  p.tmp = TmpMode::None;
  Profile none(plan_ok(p));
  EXPECT_FALSE(none.may_write("/private/var/folders/xy/T/cordon-1/x"));
  EXPECT_TRUE(none.may_write("/dev/null"));
}

TEST(MacSeatbelt, ExtraRootsProtectStateAndSecretsInside) {
  Policy p = base_policy();
  p.writable = {"/Users/u"};  // --writable ~
  p.protect = {"/Users/u/proj/generated"};
  Profile prof(plan_ok(p));
  EXPECT_TRUE(prof.may_write("/Users/u/notes.txt"));
  EXPECT_FALSE(prof.may_write("/Users/u/Library/Application Support/cordon/config.toml"));
  EXPECT_FALSE(prof.may_write("/Users/u/.ssh/authorized_keys"));  // a secret is masked for writes too
  EXPECT_FALSE(prof.may_unlink("/Users/u/.ssh"));
  EXPECT_FALSE(prof.may_create("/Users/u/proj/generated/x"));
  EXPECT_FALSE(prof.may_unlink("/Users/u/Library/Application Support"));  // pinned ancestor
  EXPECT_TRUE(prof.may_write("/Users/u/Library/Preferences/x.plist"));
}

TEST(MacSeatbelt, PathsOnlyAsParameters) {
  Policy p = base_policy();
  p.workspace = "/Users/u/my \"proj\") (allow file-write*";
  p.writable = {"/Users/u/a b"};
  MacPlan plan = plan_ok(p);
  EXPECT_EQ(plan.profile.find("my \\\"proj"), std::string::npos);
  EXPECT_EQ(plan.profile.find("/Users/u"), std::string::npos) << plan.profile;
  Profile prof(plan);
  EXPECT_TRUE(prof.may_write("/Users/u/my \"proj\") (allow file-write*/x"));
  EXPECT_TRUE(prof.may_write("/Users/u/a b/y"));
  EXPECT_FALSE(prof.may_write("/Users/u/z"));
  auto argv = plan.sandbox_exec_argv({"make", "-j2"});
  ASSERT_GE(argv.size(), 6u);
  EXPECT_EQ(argv[0], "/usr/bin/sandbox-exec");
  EXPECT_EQ(argv[1], "-p");
  EXPECT_EQ(argv[argv.size() - 3], "--");
  EXPECT_EQ(argv.back(), "-j2");
}

TEST(MacSeatbelt, CanonicalPaths) {
  Policy p = base_policy();
  p.workspace = "/var/folders/w";
  MacHost h = base_host();
  h.canonical = [](const std::string& s) {
    for (const char* pre : {"/var", "/tmp"})
      if (paths::is_within(s, pre)) return "/private" + s;
    return s;
  };
  Profile prof(plan_ok(p, h));
  EXPECT_TRUE(prof.may_write("/private/var/folders/w/x"));
}

TEST(MacSeatbelt, NetworkModes) {
  Policy off = base_policy();
  MacPlan off_plan = plan_ok(off);
  EXPECT_EQ(off_plan.profile.find("network-outbound"), std::string::npos);
  EXPECT_EQ(env_of(off_plan, "CORDON_SANDBOX_NETWORK_DISABLED"), "1");

  Policy on = base_policy();
  on.net.mode = NetMode::On;
  MacPlan on_plan = plan_ok(on);
  EXPECT_NE(on_plan.profile.find("(allow network-outbound)\n"), std::string::npos);
  EXPECT_TRUE(Profile(on_plan).may_write("/private/var/folders/xy/C/com.apple.nsurlsessiond"));

  Policy proxy = base_policy();
  proxy.net.mode = NetMode::Proxy;
  proxy.net.allow_domains = {"registry.npmjs.org"};
  proxy.net.allow_localhost_ports = {5432};
  MacHost h = base_host();
  h.proxy_ports = {41000, 41001};
  MacPlan px = plan_ok(proxy, h);
  EXPECT_NE(px.profile.find("(remote tcp \"localhost:41000\")"), std::string::npos);
  EXPECT_NE(px.profile.find("(remote tcp \"localhost:41001\")"), std::string::npos);
  EXPECT_NE(px.profile.find("(remote tcp \"localhost:5432\")"), std::string::npos);
  EXPECT_EQ(px.profile.find("(allow network-outbound)"), std::string::npos);
  EXPECT_EQ(px.profile.find("network-inbound"), std::string::npos);
  EXPECT_EQ(env_of(px, "HTTPS_PROXY"), "http://127.0.0.1:41000");

  h.proxy_ports = {};
  EXPECT_FALSE(static_cast<bool>(plan_macos(proxy, h)));
}

TEST(MacSeatbelt, FullAccessRunsUnsandboxed) {
  Policy p = base_policy();
  p.mode = Mode::FullAccess;
  MacPlan plan = plan_ok(p);
  EXPECT_TRUE(plan.unsandboxed);
  EXPECT_EQ(plan.sandbox_exec_argv({"ls"}), std::vector<std::string>{"ls"});
}

TEST(MacSeatbelt, ProfileIsWellFormed) {
  Policy p = base_policy();
  p.net.mode = NetMode::On;
  p.writable = {"/Users/u/other"};
  MacPlan plan = plan_ok(p);
  EXPECT_NO_THROW(Reader(plan.profile).all());
  std::set<std::string> keys;
  for (const auto& [k, v] : plan.params) {
    EXPECT_TRUE(keys.insert(k).second) << "duplicate parameter " << k;
    EXPECT_TRUE(paths::is_absolute(v)) << k << "=" << v;
  }
}

}  // namespace
}  // namespace cordon::mac
