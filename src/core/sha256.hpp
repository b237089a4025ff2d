// cordon: SHA-256 (FIPS 180-4), for the base of a review's change set: the content of a
// workspace file when the change set first touched it, compared again at apply.
//
//   Sha256 h; h.update(data); std::string hex = h.hex();
// Pure: no system calls.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace cordon {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view data);
  // The digest as 64 lowercase hex digits; the object is finished afterwards.
  [[nodiscard]] std::string hex();

 private:
  void block(const unsigned char* p);
  std::array<uint32_t, 8> h_{};
  std::array<unsigned char, 64> buf_{};
  size_t used_ = 0;
  uint64_t total_ = 0;
};

}  // namespace cordon
