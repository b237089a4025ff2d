// Helpers shared by the review tests (review_test.cpp, review_all_test.cpp): a tree listed
// from outside, and the review id cordon names on stderr.
#pragma once

#include <sys/stat.h>

#include <map>
#include <regex>
#include <string>

#include "e2e/harness.hpp"

namespace cordon_test {

// Every entry below `root` with its type, mode, and content or target: "unchanged" and
// "equal to what the command saw" are one comparison each.
inline std::map<std::string, std::string> tree_of(const std::string& root) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const std::string path = it->path().string();
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) continue;
    std::string v = std::to_string(st.st_mode & 07777) + " ";
    if (S_ISLNK(st.st_mode))
      v += "-> " + fs::read_symlink(path, ec).string();
    else if (S_ISDIR(st.st_mode))
      v += "dir";
    else if (S_ISREG(st.st_mode))
      v += read_file(path);
    else
      v += "special";
    out[fs::relative(it->path(), root, ec).string()] = v;
  }
  return out;
}

// The id in cordon's "review ID: ..." line, or "" when there is none.
inline std::string review_id_of(const std::string& err) {
  std::smatch m;
  static const std::regex re("review ([A-Za-z0-9._-]+): ");
  return std::regex_search(err, m, re) ? m[1].str() : "";
}

}  // namespace cordon_test
