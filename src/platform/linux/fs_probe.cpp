#include "platform/linux/fs_probe.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>

#include "platform/linux/unique_fd.hpp"

namespace cordon {
namespace {

FileKind from_mode(mode_t m) {
  if (S_ISDIR(m)) return FileKind::Dir;
  if (S_ISREG(m)) return FileKind::File;
  if (S_ISLNK(m)) return FileKind::Symlink;
  return FileKind::Other;
}

}  // namespace

FileKind RealFsProbe::lkind(const std::string& path) const {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 ? from_mode(st.st_mode) : FileKind::Missing;
}

FileKind RealFsProbe::kind(const std::string& path) const {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? from_mode(st.st_mode) : FileKind::Missing;
}

std::vector<std::string> RealFsProbe::list(const std::string& dir) const {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  return names;
}

std::vector<DirEntry> RealFsProbe::list_typed(const std::string& dir) const {
  auto all = list_typed_upto(dir, SIZE_MAX);
  return all ? std::move(*all) : std::vector<DirEntry>{};
}

std::optional<std::vector<DirEntry>> RealFsProbe::list_typed_upto(const std::string& dir,
                                                                  size_t max_entries) const {
  std::vector<DirEntry> out;
  // O_NOFOLLOW: a directory swapped for a link since it was listed is not walked through.
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) return out;
  DIR* d = ::fdopendir(fd.get());
  if (!d) return out;
  (void)fd.release();  // closedir closes it
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    FileKind k = FileKind::Other;
    switch (e->d_type) {
      case DT_DIR:
        k = FileKind::Dir;
        break;
      case DT_REG:
        k = FileKind::File;
        break;
      case DT_LNK:
        k = FileKind::Symlink;
        break;
      case DT_UNKNOWN: {
        struct stat st {};
        k = ::fstatat(::dirfd(d), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 ? from_mode(st.st_mode)
                                                                            : FileKind::Missing;
        break;
      }
      default:
        break;
    }
    if (out.size() == max_entries) {
      ::closedir(d);
      return std::nullopt;
    }
    out.push_back({std::move(n), k});
  }
  ::closedir(d);
  return out;
}

std::optional<std::string> RealFsProbe::read_small(const std::string& path, size_t max_bytes) const {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd.valid()) return std::nullopt;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  // Sized from the file, not from the limit: a 1 MiB buffer zeroed for every git config
  // read cost more than the read. The file may grow meanwhile: read on until end of file
  // or the limit, as one read of max_bytes would.
  const size_t hint = st.st_size > 0 ? static_cast<size_t>(st.st_size) + 1 : 4096;
  std::string out(std::min(max_bytes, hint), '\0');
  size_t done = 0;
  while (done < max_bytes) {
    if (done == out.size()) out.resize(std::min(max_bytes, out.size() * 2));
    const ssize_t n = ::read(fd.get(), out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

std::optional<std::string> RealFsProbe::realpath(const std::string& path) const {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) return std::nullopt;
  return std::string(buf);
}

}  // namespace cordon
