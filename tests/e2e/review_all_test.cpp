// `cordon run --review-all` (docs/review.md): the writable roots other than the workspace
// (--writable DIR) staged in the same change set, checked from outside. Both the workspace
// and the other root stay unchanged; diff shows both; apply of one root's path changes
// only it; discard leaves nothing; without --review-all the other root is written
// directly and the summary says so; chained runs keep one set of roots; what overlay
// cannot stage is refused; protected paths in a staged root stay refused, by the run and
// by apply; and a staged root whose ancestor became a link is never written through.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "e2e/harness.hpp"
#include "e2e/review_harness.hpp"

using namespace cordon_test;

namespace {

// A workspace, a fake home, and a cache directory outside both (a --writable root).
struct ReviewAll {
  Sandbox box;
  OutsideDir outside;
  std::string cache = outside / "cache";

  ReviewAll() {
    write_file(box.ws.path() + "/keep.txt", "keep\n");
    write_file(cache + "/a.txt", "a\n");
    write_file(cache + "/b.txt", "b\n");
    write_file(cache + "/pkg/index.js", "module.exports = 1;\n");
    ::chmod(outside.path().c_str(), 0777);
    std::error_code ec;
    for (auto& e : fs::recursive_directory_iterator(outside.path(), ec)) ::chmod(e.path().c_str(), 0777);
  }
  Outcome run(const std::string& script, std::vector<std::string> opts) const { return box.sh(script, opts); }
  Outcome cmd(std::vector<std::string> args) const {
    args.insert(args.begin(), {cordon_binary(), "review"});
    return run_process(args, box.ws.path(), "", box.env());
  }
  std::string reviews() const { return box.home.path() + "/.local/state/cordon/reviews"; }
};

const char* kWrites =
    "set -e; echo ws > new.txt; echo A2 > \"$C/a.txt\"; echo c > \"$C/c.txt\"; rm \"$C/b.txt\"; "
    "mkdir \"$C/pkg/lib\"; echo lib > \"$C/pkg/lib/x.js\"; cat \"$C/a.txt\" \"$C/c.txt\"";

std::string with_cache(const std::string& cache, const char* script) {
  return "C=" + sh_quote(cache) + "; " + script;
}

}  // namespace

TEST(ReviewAll, StagesEveryWritableRootAndAppliesOnePathOfOne) {
  ReviewAll r;
  const std::string ws = r.box.ws.path();
  const auto ws_before = tree_of(ws);
  const auto cache_before = tree_of(r.cache);
  auto o = r.run(with_cache(r.cache, kWrites), {"--review-all", "--writable", r.cache});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "A2\nc\n") << "the command sees its own writes in the staged root";
  EXPECT_EQ(tree_of(ws), ws_before) << "the workspace changed";
  EXPECT_EQ(tree_of(r.cache), cache_before) << "the staged root changed";
  const std::string id = review_id_of(o.err);
  ASSERT_FALSE(id.empty()) << o.err;
  EXPECT_TRUE(contains(o.err, "staged: the workspace, " + r.cache)) << o.err;
  EXPECT_FALSE(contains(o.err, "written directly")) << o.err;

  // diff shows both roots' changes, the other root's paths absolute.
  auto d = r.cmd({"diff", id});
  ASSERT_EQ(d.code, 0) << d.err;
  EXPECT_TRUE(contains(d.out, "diff --git a/new.txt b/new.txt")) << d.out;
  const std::string c = r.cache.substr(1);
  EXPECT_TRUE(contains(d.out, "diff --git a/" + c + "/a.txt b/" + c + "/a.txt")) << d.out;
  EXPECT_TRUE(contains(d.out, "+A2")) << d.out;
  EXPECT_TRUE(contains(d.out, "deleted file mode")) << d.out;
  auto js = r.cmd({"show", "--json", id});
  auto j = nlohmann::json::parse(js.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << js.out;
  EXPECT_EQ(j["staged_roots"], nlohmann::json::array({ws, r.cache})) << js.out;
  bool saw_c = false;
  for (const auto& e : j["changes"]) saw_c = saw_c || e["path"] == r.cache + "/c.txt";
  EXPECT_TRUE(saw_c) << js.out;

  // apply of one path of the other root changes only that path.
  auto a = r.cmd({"apply", id, r.cache + "/c.txt"});
  ASSERT_EQ(a.code, 0) << a.out << a.err;
  auto expected = cache_before;
  expected["c.txt"] = tree_of(r.cache)["c.txt"];
  EXPECT_EQ(read_file(r.cache + "/c.txt"), "c\n");
  EXPECT_EQ(tree_of(r.cache), expected);
  EXPECT_EQ(tree_of(ws), ws_before);
  // A directory of it: everything below it, nothing else.
  auto p = r.cmd({"apply", id, r.cache + "/pkg"});
  ASSERT_EQ(p.code, 0) << p.out << p.err;
  EXPECT_EQ(read_file(r.cache + "/pkg/lib/x.js"), "lib\n");
  EXPECT_EQ(read_file(r.cache + "/a.txt"), "a\n");
  EXPECT_TRUE(exists(r.cache + "/b.txt"));
  EXPECT_FALSE(exists(ws + "/new.txt"));
  // "." is the workspace's changes only.
  auto w = r.cmd({"apply", id, "."});
  ASSERT_EQ(w.code, 0) << w.out << w.err;
  EXPECT_EQ(read_file(ws + "/new.txt"), "ws\n");
  EXPECT_EQ(read_file(r.cache + "/a.txt"), "a\n");

  // discard leaves no state, and the rest of the staged root as it was.
  auto x = r.cmd({"discard", id});
  EXPECT_EQ(x.code, 0) << x.err;
  EXPECT_FALSE(exists(r.reviews() + "/" + id));
  EXPECT_TRUE(fs::is_empty(r.reviews()));
  EXPECT_EQ(read_file(r.cache + "/a.txt"), "a\n");
  EXPECT_TRUE(exists(r.cache + "/b.txt"));
}

TEST(ReviewAll, ApplyOfEverythingWritesEveryRootAndConflictsPerPath) {
  ReviewAll r;
  auto o = r.run(with_cache(r.cache, kWrites), {"--review-all", "--writable", r.cache});
  ASSERT_EQ(o.code, 0) << o.err;
  const std::string id = review_id_of(o.err);
  write_file(r.cache + "/a.txt", "edited outside\n");  // a conflict in the staged root
  auto a = r.cmd({"apply", id});
  EXPECT_EQ(a.code, 1) << a.out << a.err;
  EXPECT_TRUE(contains(a.err, "conflict: " + r.cache + "/a.txt")) << a.err;
  EXPECT_EQ(read_file(r.cache + "/a.txt"), "edited outside\n");
  EXPECT_EQ(read_file(r.cache + "/c.txt"), "c\n");
  EXPECT_FALSE(exists(r.cache + "/b.txt"));
  EXPECT_EQ(read_file(r.box.ws.path() + "/new.txt"), "ws\n");
  auto f = r.cmd({"apply", "--force", id});
  EXPECT_EQ(f.code, 0) << f.out << f.err;
  EXPECT_EQ(read_file(r.cache + "/a.txt"), "A2\n");
  EXPECT_FALSE(exists(r.reviews() + "/" + id)) << "everything applied: the change set is gone";
}

TEST(ReviewAll, WithoutItTheOtherRootIsWrittenDirectlyAndTheSummarySaysSo) {
  ReviewAll r;
  const auto ws_before = tree_of(r.box.ws.path());
  auto o = r.run(with_cache(r.cache, "echo ws > new.txt; echo direct > \"$C/d.txt\""),
                 {"--review", "--writable", r.cache});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(read_file(r.cache + "/d.txt"), "direct\n");
  EXPECT_EQ(tree_of(r.box.ws.path()), ws_before);
  EXPECT_TRUE(contains(o.err, "staged: the workspace; written directly, not staged")) << o.err;
  EXPECT_TRUE(contains(o.err, r.cache)) << o.err;
  // A root inside the workspace is cloned from the workspace's overlay: staged with it, and
  // not named as written directly.
  fs::create_directories(r.box.ws.path() + "/nm");
  const auto ws_nm = tree_of(r.box.ws.path());
  auto in = r.run("echo q > nm/q", {"--review", "--writable", r.box.ws.path() + "/nm"});
  ASSERT_EQ(in.code, 0) << in.err;
  EXPECT_EQ(tree_of(r.box.ws.path()), ws_nm);
  EXPECT_FALSE(contains(in.err, "written directly")) << in.err;
}

TEST(ReviewAll, ChainedRunsKeepOneSetOfRoots) {
  ReviewAll r;
  OutsideDir second;
  ::chmod(second.path().c_str(), 0777);
  auto one = r.run(with_cache(r.cache, "echo 1 > \"$C/one\""),
                   {"--review", "chain", "--review-all", "--writable", r.cache});
  ASSERT_EQ(one.code, 0) << one.err;
  auto two = r.run(with_cache(r.cache, "cat \"$C/one\"; echo 2 > \"$C/two\""),
                   {"--review", "chain", "--review-all", "--writable", r.cache});
  ASSERT_EQ(two.code, 0) << two.err;
  EXPECT_EQ(two.out, "1\n");
  for (const auto& opts : std::vector<std::vector<std::string>>{
           {"--review", "chain", "--writable", r.cache},
           {"--review", "chain", "--review-all"},
           {"--review", "chain", "--review-all", "--writable", r.cache, "--writable", second.path()}}) {
    auto bad = r.run(with_cache(r.cache, "echo 3 > \"$C/three\""), opts);
    EXPECT_EQ(bad.code, 125) << bad.err;
    EXPECT_TRUE(contains(bad.err, "stages the other writable roots")) << bad.err;
  }
  EXPECT_FALSE(exists(r.cache + "/one"));
  EXPECT_FALSE(exists(r.cache + "/three"));
  EXPECT_TRUE(fs::is_empty(second.path()));
}

TEST(ReviewAll, RefusedWhereOverlayCannotStageARoot) {
  ReviewAll r;
  const std::string ws = r.box.ws.path();
  fs::create_directories(ws + "/node_modules");
  fs::create_symlink(r.cache, r.outside / "link");
  const auto before = tree_of(ws);
  struct Case {
    std::string root, why;
  };
  for (const auto& c : std::vector<Case>{{ws + "/node_modules", "nested with"},
                                         {r.box.home.path(), "holds cordon's state directory"},
                                         {r.outside / "missing", "does not exist"},
                                         {r.outside / "link", "goes through a symbolic link"}}) {
    auto o = r.run("echo x > staged.txt; echo x > node_modules/x", {"--review-all", "--writable", c.root});
    EXPECT_NE(o.code, 0) << c.root << ": " << o.err;  // 125, or 2 for a root the policy refuses
    EXPECT_TRUE(o.code == 125 || o.code == 2) << o.code;
    EXPECT_TRUE(contains(o.err, c.why)) << o.err;
  }
  // On overlayfs (the root of a container, often): refused the same way.
  if (auto o = run_process({"stat", "-f", "-c", "%T", "/usr"}, "/"); contains(o.out, "overlay")) {
    auto u = r.run("true", {"--review-all", "--writable", "/usr/share"});
    EXPECT_EQ(u.code, 125) << u.err;
    EXPECT_TRUE(contains(u.err, "overlayfs")) << u.err;
  }
  EXPECT_EQ(tree_of(ws), before);
  auto l = r.cmd({"list", "--json"});
  EXPECT_EQ(nlohmann::json::parse(l.out, nullptr, false), nlohmann::json::array()) << l.out;
}

// A staged root's protected paths (a repository's hooks, an editor's settings, the home's
// shell and git configuration) stay read-only on top of its overlay, and apply never
// writes them, whatever the change set holds.
TEST(ReviewAll, ProtectedPathsInAStagedRootStayRefused) {
  ReviewAll r;
  const std::string config = r.box.home.path() + "/.config";
  write_file(config + "/git/config", "[user]\n\tname = me\n");
  write_file(config + "/tool/settings", "old\n");
  write_file(r.cache + "/.vscode/settings.json", "{}\n");
  const bool git = have_tool("git");
  if (git) {
    auto g = run_process({"git", "init", "-q", r.cache + "/repo"}, r.cache);
    ASSERT_EQ(g.code, 0) << g.err;
    run_process({"chmod", "-R", "a+rwX", r.cache + "/repo"}, r.cache);
  }
  const auto config_before = tree_of(config);
  const auto cache_before = tree_of(r.cache);
  auto o = r.run("C=" + sh_quote(r.cache) + "; G=" + sh_quote(config) +
                     "; echo pwned >> \"$G/git/config\" || echo refused-git; "
                     "echo pwned > \"$C/.vscode/settings.json\" || echo refused-vscode; "
                     "echo pwned > \"$C/repo/.git/hooks/pre-commit\" || echo refused-hook; "
                     "echo new > \"$G/tool/settings\"; echo ok",
                 {"--review-all", "--writable", r.cache, "--writable", config});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "refused-git")) << o.out;
  EXPECT_TRUE(contains(o.out, "refused-vscode")) << o.out;
  if (git) {
    EXPECT_TRUE(contains(o.out, "refused-hook")) << o.out;
  }
  EXPECT_TRUE(contains(o.out, "ok")) << o.out;
  EXPECT_EQ(tree_of(config), config_before);
  EXPECT_EQ(tree_of(r.cache), cache_before);
  const std::string id = review_id_of(o.err);
  ASSERT_FALSE(id.empty()) << o.err;
  // Planted into the staged roots' upper directories from outside: roots/1 is the cache,
  // roots/2 the home's .config (the order of --writable).
  const std::string set = r.reviews() + "/" + id;
  write_file(set + "/roots/1/upper/.envrc", "touch pwned\n");
  write_file(set + "/roots/1/upper/repo/.git/hooks/post-checkout", "touch pwned\n");
  write_file(set + "/roots/1/upper/repo/.git/config", "[core]\n\tfsmonitor = touch pwned\n");
  write_file(set + "/roots/2/upper/git/attributes", "* filter=pwn\n");
  write_file(set + "/roots/2/upper/fish/config.fish", "touch pwned\n");
  ASSERT_EQ(::mkfifo((set + "/roots/1/upper/fifo").c_str(), 0644), 0);
  ASSERT_EQ(::symlink((r.outside / "elsewhere").c_str(), (set + "/roots/1/upper/out-link").c_str()), 0);
  auto a = r.cmd({"apply", "--force", id});
  EXPECT_EQ(a.code, 1) << a.out << a.err;
  EXPECT_TRUE(contains(a.err, "not applied: " + r.cache + "/.envrc")) << a.err;
  if (git) {  // refused with its directory, which git's allowlist refuses whole
    EXPECT_TRUE(contains(a.err, "not applied: " + r.cache + "/repo/.git/hooks: in a git directory")) << a.err;
  }
  EXPECT_TRUE(contains(a.err, "not applied: " + r.cache + "/repo/.git/config: in a git directory")) << a.err;
  EXPECT_TRUE(contains(a.err, "not applied: " + config + "/git/attributes: protected in the home")) << a.err;
  EXPECT_TRUE(contains(a.err, "not applied: " + config + "/fish: protected in the home")) << a.err;
  EXPECT_TRUE(contains(a.err, "not applied: " + r.cache + "/fifo")) << a.err;
  EXPECT_FALSE(exists(r.cache + "/.envrc"));
  EXPECT_FALSE(exists(r.cache + "/repo/.git/hooks/post-checkout"));
  EXPECT_TRUE(!exists(r.cache + "/repo/.git/config") ||
              !contains(read_file(r.cache + "/repo/.git/config"), "pwned"));
  EXPECT_FALSE(exists(config + "/git/attributes"));
  EXPECT_FALSE(exists(config + "/fish"));
  EXPECT_FALSE(exists(r.cache + "/fifo"));
  struct stat st {};
  ASSERT_EQ(::lstat((r.cache + "/out-link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode)) << "a planted link is recreated as a link, never followed";
  EXPECT_FALSE(exists(r.outside / "elsewhere"));
  EXPECT_EQ(read_file(config + "/tool/settings"), "new\n") << "the unprotected file is applied";
}

// Between the run and apply the staged root's parent is renamed and a link to another
// directory put in its place: apply refuses the root (no link in its path is followed)
// and writes nothing anywhere.
TEST(ReviewAll, ARootWhoseAncestorBecameALinkIsNeverWrittenThrough) {
  ReviewAll r;
  const std::string parent = r.outside / "deep";
  const std::string root = parent + "/cache";
  write_file(root + "/f", "f\n");
  ::chmod(parent.c_str(), 0777);
  ::chmod(root.c_str(), 0777);
  auto o = r.run("echo new > " + sh_quote(root + "/added") + "; echo ws > ws.txt",
                 {"--review-all", "--writable", root});
  ASSERT_EQ(o.code, 0) << o.err;
  const std::string id = review_id_of(o.err);
  ASSERT_FALSE(id.empty()) << o.err;
  const std::string elsewhere = r.outside / "elsewhere";
  fs::create_directories(elsewhere + "/cache");
  fs::rename(parent, r.outside / "moved");
  fs::create_symlink(elsewhere, parent);
  auto a = r.cmd({"apply", id});
  EXPECT_NE(a.code, 0) << a.out << a.err;
  EXPECT_FALSE(exists(elsewhere + "/cache/added"));
  EXPECT_FALSE(exists(r.outside / "moved/cache/added"));
  EXPECT_FALSE(exists(r.box.ws.path() + "/ws.txt")) << "refused whole, before any root is written";
  EXPECT_TRUE(exists(r.reviews() + "/" + id)) << "the change set is kept";
  // Put back, apply finishes.
  fs::remove(parent);
  fs::rename(r.outside / "moved", parent);
  auto b = r.cmd({"apply", id});
  EXPECT_EQ(b.code, 0) << b.out << b.err;
  EXPECT_EQ(read_file(root + "/added"), "new\n");
  EXPECT_EQ(read_file(r.box.ws.path() + "/ws.txt"), "ws\n");
}
