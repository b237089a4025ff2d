// git's config syntax as cordon parses it (core/git_config.hpp): the corner cases that
// decide which keys git sees, and the allowlist applied to a repository made inside.
#include "core/git_config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cordon::git_config {
namespace {

std::vector<std::string> names(std::string_view text) {
  auto p = parse(text);
  EXPECT_FALSE(p.error) << "line " << p.error->line << ": " << p.error->what;
  std::vector<std::string> out;
  for (const auto& e : p.entries) out.push_back(e.full_name() + "=" + (e.value ? *e.value : "<none>"));
  return out;
}

using V = std::vector<std::string>;

TEST(GitConfigParse, WhatGitInitWrites) {
  EXPECT_EQ(names("[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n"),
            (V{"core.repositoryformatversion=0", "core.filemode=true"}));
}

TEST(GitConfigParse, KeyOnTheSectionHeaderLine) {
  EXPECT_EQ(names("[core] hooksPath = /x\n"), (V{"core.hookspath=/x"}));
  EXPECT_EQ(names("[core]fsmonitor=touch m"), (V{"core.fsmonitor=touch m"}));
}

TEST(GitConfigParse, SectionsAndKeysAreCaseInsensitiveSubsectionsAreNot) {
  EXPECT_EQ(names("[CoRe]\nHooksPATH = a\n[Remote \"OrIgin\"]\nURL = u\n"),
            (V{"core.hookspath=a", "remote.OrIgin.url=u"}));
  // The deprecated [section.sub] form lower-cases the subsection too.
  EXPECT_EQ(names("[Alias.Sub]\nx = y\n"), (V{"alias.sub.x=y"}));
}

TEST(GitConfigParse, SubsectionEscapes) {
  EXPECT_EQ(names("[remote \"a\\\"b\\\\c\\d\"]\nurl = u\n"), (V{"remote.a\"b\\cd.url=u"}));
  EXPECT_TRUE(parse("[remote \"a\nb\"]\n").error);
  EXPECT_TRUE(parse("[remote \"a\" ]\n").error);
  EXPECT_TRUE(parse("[remote a]\n").error);
  EXPECT_TRUE(parse("[ x]\nq = 1\n").error);
}

TEST(GitConfigParse, ValuesQuotesEscapesAndComments) {
  EXPECT_EQ(names("[a]\nk = \"x ; y\" # c\n"), (V{"a.k=x ; y"}));
  EXPECT_EQ(names("[a]\nk = v ; comment\n"), (V{"a.k=v"}));
  EXPECT_EQ(names("[a]\nk = a\\tb\\nc\\\\d\\\"e\n"), (V{"a.k=a\tb\nc\\d\"e"}));
  EXPECT_EQ(names("[a]\nk =   x  \t  y   \n"), (V{"a.k=x     y"}));  // inner blanks kept, as spaces
  EXPECT_EQ(names("[a]\nk = \"  x  \"\n"), (V{"a.k=  x  "}));
  EXPECT_TRUE(parse("[a]\nk = \\q\n").error);      // unknown escape
  EXPECT_TRUE(parse("[a]\nk = \"open\n").error);   // unterminated quote
  EXPECT_TRUE(parse("[a]\nk # comment\n").error);  // git wants '=' or the end of line
}

TEST(GitConfigParse, BackslashNewlineContinuesAValue) {
  EXPECT_TRUE(parse("[core]\nfsmon\\\nitor = x\n").error);  // only values continue
  EXPECT_EQ(names("[a]\nk = one\\\ntwo\n[b]\nj\n"), (V{"a.k=onetwo", "b.j=<none>"}));
  EXPECT_EQ(names("[a]\nk = \"in \\\nquote\"\n"), (V{"a.k=in quote"}));
}

TEST(GitConfigParse, CrLfBomAndEndWithoutNewline) {
  EXPECT_EQ(names("\xEF\xBB\xBF[a]\r\nk = v\r\nj"), (V{"a.k=v", "a.j=<none>"}));
}

TEST(GitConfigParse, RejectsWhatGitRejectsOrCannotMeanTheSame) {
  EXPECT_TRUE(parse("[]\nk = v\n").error);
  EXPECT_TRUE(parse("[a]\n1k = v\n").error);
  EXPECT_TRUE(parse("[a\nk = v\n").error);
  EXPECT_TRUE(parse(std::string("[a]\nk = v\0w\n", 12)).error);
  EXPECT_TRUE(parse("k = v\n").error);
  EXPECT_TRUE(parse("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n").error);
}

TEST(GitConfigFilter, KeepsInertKeysDropsCodeRunningOnes) {
  auto p = parse(
      "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tfsmonitor = touch m\n\tsshCommand = evil\n"
      "\thooksPath = /outside\n\teditor = vi\n\tpager = less\n"
      "[include]\n\tpath = ../x\n[includeIf \"gitdir:/\"]\n\tpath = ../y\n"
      "[alias]\n\tst = !touch m\n[filter \"lfs\"]\n\tclean = touch m\n\tsmudge = touch m\n"
      "[remote \"origin\"]\n\turl = https://example.com/r.git\n\tfetch = "
      "+refs/heads/*:refs/remotes/origin/*\n"
      "\tuploadpack = touch m\n[remote \"evil\"]\n\turl = ext::sh -c touch% m\n"
      "[branch \"main\"]\n\tremote = origin\n\tmerge = refs/heads/main\n"
      "[user]\n\tname = A\n\temail = a@b\n[extensions]\n\tobjectformat = sha1\n\tworktreeConfig = true\n");
  ASSERT_FALSE(p.error);
  auto f = filter_inert(p.entries);
  EXPECT_EQ(f.dropped, (V{"core.fsmonitor", "core.sshcommand", "core.hookspath", "core.editor", "core.pager",
                          "include.path", "includeif.gitdir:/.path", "alias.st", "filter.lfs.clean",
                          "filter.lfs.smudge", "remote.origin.uploadpack", "remote.evil.url"}));
  EXPECT_EQ(
      serialize(f.kept),
      "[core]\n\trepositoryformatversion = 0\n\tbare = false\n"
      "[remote \"origin\"]\n\turl = https://example.com/r.git\n\tfetch = "
      "+refs/heads/*:refs/remotes/origin/*\n"
      "[branch \"main\"]\n\tremote = origin\n\tmerge = refs/heads/main\n"
      "[user]\n\tname = A\n\temail = a@b\n[extensions]\n\tobjectformat = sha1\n\tworktreeconfig = true\n");
}

TEST(GitConfigFilter, RemoteUrls) {
  auto url_ok = [](const std::string& url) {
    Entry e{"remote", "o", true, "url", url};
    return is_inert(e);
  };
  for (const char* ok :
       {"https://h/r.git", "ssh://git@h/r", "git@h:r.git", "/srv/r.git", "../r", "file:///r"})
    EXPECT_TRUE(url_ok(ok)) << ok;
  for (const char* bad : {"ext::sh -c x", "fd::3", "foo::bar", "-oProxyCommand=x", "evil://h/r", "", "h\n:r"})
    EXPECT_FALSE(url_ok(bad)) << bad;
  EXPECT_FALSE(is_inert(Entry{"remote", "o", true, "url", std::nullopt}));  // "url" with no value
}

TEST(GitConfigFilter, ControlCharactersAndSubsectionlessForms) {
  EXPECT_FALSE(is_inert(Entry{"user", "", false, "name", std::string("a\x1b[2Jb")}));
  EXPECT_FALSE(is_inert(Entry{"remote", "", false, "url", std::string("https://h")}));  // needs a name
  EXPECT_FALSE(is_inert(Entry{"core", "x", true, "bare", std::string("true")}));
}

TEST(GitConfigSerialize, RoundTripsThroughTheParser) {
  std::vector<Entry> entries = {
      {"a", "", false, "k", std::string(" lead; # \"q\" \\ tab\tnl\nbs\b ")},
      {"a", "", false, "flag", std::nullopt},
      {"remote", "we\"ird\\ name", true, "url", std::string("")},
  };
  auto p = parse(serialize(entries));
  ASSERT_FALSE(p.error) << serialize(entries);
  ASSERT_EQ(p.entries.size(), entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(p.entries[i].full_name(), entries[i].full_name());
    EXPECT_EQ(p.entries[i].value, entries[i].value);
  }
}

TEST(GitConfigEscape, NoRawControlBytes) {
  EXPECT_EQ(escape_name("alias.\x1b]0;x\x07\n.k\\"), "alias.\\x1b]0;x\\x07\\x0a.k\\x5c");
  EXPECT_EQ(escape_name("remote.origin.url"), "remote.origin.url");
}

}  // namespace
}  // namespace cordon::git_config

// A write is judged by what it adds or changes: the user's own keys, whatever they say,
// may stay; a new or changed key must be inert; removals are not counted.
TEST(GitConfigNewNonInert, OnlyAddedOrChangedEntriesAreJudged) {
  const auto before =
      cordon::git_config::parse(
          "[core]\n\tbare = false\n\thooksPath = .githooks\n[remote \"origin\"]\n\turl = x.git\n")
          .entries;
  auto after = cordon::git_config::parse(
                   "[core]\n\tbare = false\n\thooksPath = .githooks\n[remote \"origin\"]\n\turl = x.git\n"
                   "[branch \"main\"]\n\tremote = origin\n\tmerge = refs/heads/main\n\tdescription = hi\n")
                   .entries;
  EXPECT_TRUE(cordon::git_config::new_non_inert(before, after).empty());
  after = cordon::git_config::parse("[core]\n\tbare = false\n\tfsmonitor = touch x\n[alias]\n\tx = !sh\n")
              .entries;
  EXPECT_EQ(cordon::git_config::new_non_inert(before, after),
            (std::vector<std::string>{"core.fsmonitor", "alias.x"}));
  // The user's hooksPath changed to another value: a change, judged.
  after = cordon::git_config::parse("[core]\n\thooksPath = elsewhere\n").entries;
  EXPECT_EQ(cordon::git_config::new_non_inert(before, after), (std::vector<std::string>{"core.hookspath"}));
  after = cordon::git_config::parse("[remote \"evil\"]\n\turl = ext::sh -c x\n").entries;
  EXPECT_EQ(cordon::git_config::new_non_inert(before, after), (std::vector<std::string>{"remote.evil.url"}));
}

// The caller's own check keeps an entry the allowlist drops (a submodule's core.worktree
// the repair verified), in its place; every other non-inert entry is still dropped.
namespace cordon::git_config {
TEST(GitConfig, FilterKeepsWhatTheCallerCheckedInItsPlace) {
  auto p = parse("[core]\n\tbare = false\n\tworktree = ../../../lib\n\tfsmonitor = x\n[user]\n\tname = a\n");
  ASSERT_FALSE(p.error);
  auto f = filter_inert(p.entries, [](const Entry& e) { return e.key == "worktree"; });
  EXPECT_EQ(serialize(f.kept), "[core]\n\tbare = false\n\tworktree = ../../../lib\n[user]\n\tname = a\n");
  EXPECT_EQ(f.dropped, std::vector<std::string>{"core.fsmonitor"});
  EXPECT_EQ(filter_inert(p.entries).dropped, (std::vector<std::string>{"core.worktree", "core.fsmonitor"}));
}
}  // namespace cordon::git_config
