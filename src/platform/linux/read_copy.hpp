#pragma once

// The sealed copies a granted read of a --deny-read file, or of a file below a --deny-read
// directory, gets (create_broker.cpp, install_copy): made by cordon, in cordon's memory, so
// outside the sandbox's memory limit.
// A command granted a file for the run opens it as often as it likes and holds every
// descriptor: one copy per version of the file, shared by every open of it, and a bound
// on all the copies of the run, keep that from filling the host's memory.

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <tuple>

#include "platform/linux/unique_fd.hpp"

namespace cordon {

class ReadCopies {
 public:
  static constexpr off_t kMaxFile = off_t{64} << 20;          // one file's copy
  static constexpr uint64_t kMaxTotal = uint64_t{256} << 20;  // every copy of the run

  // A new read-only descriptor of the sealed copy of `fd` (a regular file open for reading,
  // `st` its fstat): the copy made for this version of the file before, else a new one.
  // Invalid with errno set when none can be had: EFBIG when the file, or the run's copies
  // with it, would pass their bounds (the caller refuses the read as without a grant).
  UniqueFd copy_of(int fd, const struct stat& st);

 private:
  // A version of a file: the same inode, size and times (a change of the content moves
  // the modification or change time).
  using Version = std::tuple<dev_t, ino_t, off_t, time_t, long, time_t, long>;
  std::mutex mutex_;
  std::map<Version, UniqueFd> copies_;  // sealed memfds, bounded by kMaxTotal
  uint64_t total_ = 0;
};

}  // namespace cordon
