#include "platform/linux/read_copy.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

namespace cordon {
namespace {

// Copies what `from` reads into `to`, at most `limit` bytes: false with errno set, EFBIG
// when there is more (the file grew meanwhile).
bool copy_bounded(int from, int to, off_t limit) {
  char buf[65536];
  for (off_t total = 0;;) {
    const ssize_t n = ::read(from, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    total += n;
    if (total > limit) {
      errno = EFBIG;
      return false;
    }
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(to, buf + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        if (w == 0) errno = EIO;
        return false;
      }
      done += w;
    }
  }
}

// A new open file description of the sealed copy, for reading only (never the memfd's
// own, which could write until sealed and shares its offset).
UniqueFd reopen_read_only(int memfd) {
  return UniqueFd(::open(("/proc/self/fd/" + std::to_string(memfd)).c_str(), O_RDONLY | O_CLOEXEC));
}

}  // namespace

UniqueFd ReadCopies::copy_of(int fd, const struct stat& st) {
  if (st.st_size > kMaxFile) {
    errno = EFBIG;
    return UniqueFd();
  }
  const Version version{st.st_dev,          st.st_ino,         st.st_size,        st.st_mtim.tv_sec,
                        st.st_mtim.tv_nsec, st.st_ctim.tv_sec, st.st_ctim.tv_nsec};
  // One copy at a time: two opens of the same version share the first one's copy.
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = copies_.find(version); it != copies_.end()) return reopen_read_only(it->second.get());
  if (total_ + static_cast<uint64_t>(st.st_size) > kMaxTotal) {
    errno = EFBIG;
    return UniqueFd();
  }
  UniqueFd copy(::memfd_create("cordon-read", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!copy.valid()) return UniqueFd();
  // A file that grows while it is read is copied up to both bounds.
  const off_t room = static_cast<off_t>(std::min<uint64_t>(kMaxFile, kMaxTotal - total_));
  if (!copy_bounded(fd, copy.get(), room)) return UniqueFd();
  struct stat after {};
  if (::fstat(copy.get(), &after) != 0) return UniqueFd();
  total_ += static_cast<uint64_t>(after.st_size);
  if (::fcntl(copy.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
    return UniqueFd();
  UniqueFd ro = reopen_read_only(copy.get());
  // Kept for the next open only when the file did not change while it was read (a copy
  // torn by a writer is given to this open alone).
  struct stat now {};
  if (ro.valid() && ::fstat(fd, &now) == 0 && now.st_size == st.st_size &&
      now.st_mtim.tv_sec == st.st_mtim.tv_sec && now.st_mtim.tv_nsec == st.st_mtim.tv_nsec &&
      now.st_ctim.tv_sec == st.st_ctim.tv_sec && now.st_ctim.tv_nsec == st.st_ctim.tv_nsec)
    copies_.emplace(version, std::move(copy));
  return ro;
}

}  // namespace cordon
