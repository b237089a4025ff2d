#include "platform/linux/review_diff.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "core/terminal_text.hpp"

namespace cordon {
namespace {

constexpr size_t kMaxDiffBytes = 8u << 20;
constexpr long kMaxEdits = 4000;  // beyond this, one hunk replaces the whole file

struct Content {
  bool ok = false;
  std::string text;
};

// The file or symlink `rel` beneath `root` (a link's content is its target, as git shows it).
Content read_entry(int root, const std::string& rel, EntryType type) {
  Content c;
  const size_t slash = rel.rfind('/');
  const std::string parent = slash == std::string::npos ? "." : rel.substr(0, slash);
  const std::string name = slash == std::string::npos ? rel : rel.substr(slash + 1);
  UniqueFd dir(openat2_beneath(root, parent, O_RDONLY | O_DIRECTORY, 0));
  if (!dir.valid()) return c;
  if (type == EntryType::Symlink) {
    char buf[4097];
    const ssize_t n = ::readlinkat(dir.get(), name.c_str(), buf, sizeof buf - 1);
    if (n < 0) return c;
    c.text.assign(buf, static_cast<size_t>(n));
    c.ok = true;
    return c;
  }
  struct stat st {};
  if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<size_t>(st.st_size) > kMaxDiffBytes)
    return c;
  UniqueFd f(openat2_beneath(dir.get(), name, O_RDONLY, 0));
  if (!f.valid() || ::fstat(f.get(), &st) != 0 || !S_ISREG(st.st_mode)) return c;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(f.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return c;
    if (n == 0) break;
    c.text.append(buf, static_cast<size_t>(n));
    if (c.text.size() > kMaxDiffBytes) return c;
  }
  c.ok = true;
  return c;
}

bool binary(const std::string& s) {
  return s.substr(0, 8000).find('\0') != std::string::npos;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  size_t from = 0;
  while (from < s.size()) {
    const size_t nl = s.find('\n', from);
    if (nl == std::string::npos) {
      out.push_back(s.substr(from));  // no newline at the end: marked when printed
      break;
    }
    out.push_back(s.substr(from, nl - from + 1));
    from = nl + 1;
  }
  return out;
}

// Myers' O((N+M)D) diff: the edit script as (op, index) with op ' ', '-' or '+'.
std::vector<std::pair<char, size_t>> edit_script(const std::vector<std::string>& a,
                                                 const std::vector<std::string>& b) {
  const long n = static_cast<long>(a.size()), m = static_cast<long>(b.size());
  const long max = std::min(n + m, kMaxEdits);
  std::vector<long> v(static_cast<size_t>(2 * max + 2), 0);
  std::vector<std::vector<long>> trace;
  const long off = max + 1;
  bool found = false;
  for (long d = 0; d <= max && !found; ++d) {
    trace.push_back(v);
    for (long k = -d; k <= d; k += 2) {
      long x =
          (k == -d || (k != d && v[static_cast<size_t>(off + k - 1)] < v[static_cast<size_t>(off + k + 1)]))
              ? v[static_cast<size_t>(off + k + 1)]
              : v[static_cast<size_t>(off + k - 1)] + 1;
      long y = x - k;
      while (x < n && y < m && a[static_cast<size_t>(x)] == b[static_cast<size_t>(y)]) ++x, ++y;
      v[static_cast<size_t>(off + k)] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  std::vector<std::pair<char, size_t>> script;
  if (!found) {  // too different: everything removed, everything added
    for (size_t i = 0; i < a.size(); ++i) script.emplace_back('-', i);
    for (size_t j = 0; j < b.size(); ++j) script.emplace_back('+', j);
    return script;
  }
  long x = n, y = m;
  for (long d = static_cast<long>(trace.size()) - 1; d >= 0; --d) {
    const auto& vd = trace[static_cast<size_t>(d)];
    const long k = x - y;
    const bool down =
        k == -d || (k != d && vd[static_cast<size_t>(off + k - 1)] < vd[static_cast<size_t>(off + k + 1)]);
    const long pk = down ? k + 1 : k - 1;
    const long px = d == 0 ? 0 : vd[static_cast<size_t>(off + pk)];
    const long py = px - pk;
    while (x > px && y > py && x > 0 && y > 0) script.emplace_back(' ', static_cast<size_t>(--x)), --y;
    if (d == 0) break;
    if (down)
      script.emplace_back('+', static_cast<size_t>(--y));
    else
      script.emplace_back('-', static_cast<size_t>(--x));
  }
  while (x > 0 && y > 0) script.emplace_back(' ', static_cast<size_t>(--x)), --y;
  std::reverse(script.begin(), script.end());
  return script;
}

std::string line_out(char op, const std::string& line) {
  std::string out(1, op);
  out += line;
  if (line.empty() || line.back() != '\n') out += "\n\\ No newline at end of file\n";
  return out;
}

std::string mode_text(EntryType t, mode_t mode) {
  if (t == EntryType::Symlink) return "120000";
  char buf[16];
  std::snprintf(buf, sizeof buf, "100%03o", static_cast<unsigned>(mode & 0777));
  return buf;
}

std::string plural(size_t n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

// The entries of a deleted workspace directory, each as a deletion (git lists the files
// of a removed directory one by one). Bounded depth; links are not followed.
void expand_deleted(int lower_fd, const std::string& rel, std::vector<Change>& out, int depth) {
  if (depth > 64) return;
  UniqueFd dir(openat2_beneath(lower_fd, rel, O_RDONLY | O_DIRECTORY, 0));
  if (!dir.valid()) return;
  UniqueFd list(::openat(dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  DIR* d = list.valid() ? ::fdopendir(list.release()) : nullptr;
  if (!d) return;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    struct stat st {};
    if (::fstatat(dir.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    Change c;
    c.path = rel + "/" + n;
    c.kind = ChangeKind::Deleted;
    c.lower_type = S_ISDIR(st.st_mode)   ? EntryType::Dir
                   : S_ISREG(st.st_mode) ? EntryType::File
                   : S_ISLNK(st.st_mode) ? EntryType::Symlink
                                         : EntryType::Other;
    c.lower_mode = st.st_mode & 07777;
    if (c.lower_type == EntryType::Dir)
      expand_deleted(lower_fd, c.path, out, depth + 1);
    else if (c.lower_type != EntryType::Other)
      out.push_back(std::move(c));
  }
}

}  // namespace

std::string quote_path(const std::string& path) {
  bool plain = true;
  for (unsigned char c : path)
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') plain = false;
  if (plain) return path;
  std::string out = "\"";
  for (unsigned char c : path) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string unified_hunks(const std::vector<std::string>& a, const std::vector<std::string>& b, size_t* added,
                          size_t* removed) {
  const auto script = edit_script(a, b);
  std::string out;
  size_t plus = 0, minus = 0;
  constexpr size_t kContext = 3;
  size_t i = 0;
  while (i < script.size()) {
    if (script[i].first == ' ') {
      ++i;
      continue;
    }
    // A hunk: from kContext lines before this change to kContext after the last change
    // that is within 2*kContext of the one before.
    size_t start = i >= kContext ? i - kContext : 0;
    while (start < i && script[start].first != ' ') ++start;
    size_t end = i;
    size_t last_change = i;
    while (end < script.size()) {
      if (script[end].first != ' ') last_change = end;
      if (end - last_change > 2 * kContext) break;
      ++end;
    }
    end = std::min(script.size(), last_change + kContext + 1);
    size_t a_start = 0, b_start = 0, a_len = 0, b_len = 0;
    // Line numbers: count what came before `start`.
    for (size_t j = 0; j < start; ++j) {
      if (script[j].first != '+') ++a_start;
      if (script[j].first != '-') ++b_start;
    }
    std::string body;
    for (size_t j = start; j < end; ++j) {
      const auto& [op, idx] = script[j];
      if (op == ' ') {
        ++a_len, ++b_len;
        body += line_out(' ', a[idx]);
      } else if (op == '-') {
        ++a_len, ++minus;
        body += line_out('-', a[idx]);
      } else {
        ++b_len, ++plus;
        body += line_out('+', b[idx]);
      }
    }
    auto range = [](size_t s, size_t len) {
      return std::to_string(len == 0 ? s : s + 1) + (len == 1 ? "" : "," + std::to_string(len));
    };
    out += "@@ -" + range(a_start, a_len) + " +" + range(b_start, b_len) + " @@\n" + body;
    i = end;
  }
  if (added) *added = plus;
  if (removed) *removed = minus;
  return out;
}

std::string review_diff(const std::vector<Change>& given, int upper_fd, int lower_fd,
                        const DiffOptions& options) {
  return review_diff({DiffLayer{&given, upper_fd, lower_fd, ""}}, options);
}

std::string review_diff(const std::vector<DiffLayer>& layers, const DiffOptions& options) {
  std::string out, stat;
  size_t files = 0, total_plus = 0, total_minus = 0;
  for (const auto& layer : layers) {
    const int upper_fd = layer.upper_fd, lower_fd = layer.lower_fd;
    // Another root's paths are shown absolute; in a header, as git shows an absolute path
    // (a/home/u/.npm/x).
    auto shown = [&](const std::string& rel) {
      return layer.prefix.empty() ? rel : layer.prefix.substr(1) + "/" + rel;
    };
    std::vector<Change> changes;
    for (const auto& c : *layer.changes) {
      changes.push_back(c);
      if (c.kind == ChangeKind::Deleted && c.lower_type == EntryType::Dir)
        expand_deleted(lower_fd, c.path, changes, 0);
    }
    for (const auto& c : changes) {
      const std::string p = quote_path(shown_path(layer.prefix, c.path));
      if (c.type == EntryType::Dir || (c.kind == ChangeKind::Deleted && c.lower_type == EntryType::Dir)) {
        if (c.kind == ChangeKind::Mode && c.type == EntryType::Dir && c.mode != c.lower_mode) {
          char buf[64];
          std::snprintf(buf, sizeof buf, "directory mode %04o -> %04o: ", static_cast<unsigned>(c.lower_mode),
                        static_cast<unsigned>(c.mode));
          out += "# " + std::string(buf) + p + "\n";
        } else if (c.kind != ChangeKind::Mode) {
          out += "# directory " + std::string(to_string(c.kind)) + ": " + p + "\n";
        }
        continue;
      }
      if (c.kind == ChangeKind::Special) {
        out += "# special file (FIFO, socket or device), never applied: " + p + "\n";
        continue;
      }
      ++files;
      const bool old_exists =
          c.kind != ChangeKind::Added && c.lower_type != EntryType::None && c.lower_type != EntryType::Dir;
      const bool new_exists = c.kind != ChangeKind::Deleted && c.type != EntryType::None;
      std::string head =
          "diff --git " + quote_path("a/" + shown(c.path)) + " " + quote_path("b/" + shown(c.path)) + "\n";
      if (!old_exists)
        head += "new file mode " + mode_text(c.type, c.mode) + "\n";
      else if (!new_exists)
        head += "deleted file mode " + mode_text(c.lower_type, c.lower_mode) + "\n";
      else if (mode_text(c.type, c.mode) != mode_text(c.lower_type, c.lower_mode))
        head += "old mode " + mode_text(c.lower_type, c.lower_mode) + "\nnew mode " +
                mode_text(c.type, c.mode) + "\n";
      Content before, after;
      if (old_exists) before = read_entry(lower_fd, c.path, c.lower_type);
      if (new_exists) after = read_entry(upper_fd, c.path, c.type);
      if ((old_exists && !before.ok) || (new_exists && !after.ok)) {
        out += head + "# not shown: larger than 8 MiB, or unreadable\n";
        stat += " " + p + " | (not shown)\n";
        continue;
      }
      const std::string a_name = old_exists ? quote_path("a/" + shown(c.path)) : "/dev/null";
      const std::string b_name = new_exists ? quote_path("b/" + shown(c.path)) : "/dev/null";
      if (binary(before.text) || binary(after.text)) {
        out += head + "Binary files " + a_name + " and " + b_name + " differ\n";
        stat += " " + p + " | Bin " + std::to_string(before.text.size()) + " -> " +
                std::to_string(after.text.size()) + " bytes\n";
        continue;
      }
      size_t plus = 0, minus = 0;
      std::string hunks = unified_hunks(lines_of(before.text), lines_of(after.text), &plus, &minus);
      if (options.escape_content) {
        std::string visible;
        size_t from = 0;
        while (from < hunks.size()) {
          size_t nl = hunks.find('\n', from);
          if (nl == std::string::npos) nl = hunks.size();
          visible += escape_for_terminal(std::string_view(hunks).substr(from, nl - from)) + "\n";
          from = nl + 1;
        }
        hunks = std::move(visible);
      }
      if (!hunks.empty()) hunks = "--- " + a_name + "\n+++ " + b_name + "\n" + hunks;
      out += head + hunks;
      total_plus += plus;
      total_minus += minus;
      stat += " " + p + " | " + std::to_string(plus + minus) + " " +
              std::string(std::min<size_t>(plus, 40), '+') + std::string(std::min<size_t>(minus, 40), '-') +
              "\n";
    }
  }
  if (!options.stat) return out;
  return stat + " " + plural(files, "file") + " changed, " + plural(total_plus, "insertion") + "(+), " +
         plural(total_minus, "deletion") + "(-)\n";
}

}  // namespace cordon
