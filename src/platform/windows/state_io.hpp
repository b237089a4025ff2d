// cordon (Windows): the state dir on disk, a cross-process lock, and the CSPRNG.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "plan/windows/state.hpp"
#include "platform/windows/win32.hpp"

namespace cordon::winsys {

// An elevated `cordon setup` acts for another (unelevated) user: the state lock it
// creates must stay openable by that user, whose token would otherwise be refused by
// the elevated token's default DACL. Called once by the elevated setup child.
void set_state_lock_user(const win::Sid& user);

// Random bytes from BCryptGenRandom (the system-preferred RNG).
[[nodiscard]] Result<std::array<uint32_t, 4>> random_u32x4();

class FileStateIo : public win::StateIo {
 public:
  explicit FileStateIo(std::string dir) : dir_(std::move(dir)) {}
  Result<std::optional<std::string>> read(const std::string& name) override;
  // Writes name.tmp, flushes, then MoveFileExW(REPLACE_EXISTING|WRITE_THROUGH).
  Status write_atomic(const std::string& name, const std::string& text) override;
  // A named mutex per user session: Local\cordon-state-lock.
  Status lock() override;
  void unlock() override;
  std::array<uint32_t, 4> random() override;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  UniqueHandle mutex_;
};

}  // namespace cordon::winsys
