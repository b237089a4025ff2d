// libFuzzer target: git's config syntax (core/git_config.hpp) on arbitrary bytes.
// Checks invariants, not just crashes:
//  - what cordon writes back parses to the same entries (no key appears or changes);
//  - after the allowlist, every entry git would read from the rewritten file is inert;
//  - an escaped name holds no control byte.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/git_config.hpp"

using namespace cordon::git_config;

namespace {

void require(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const Parsed parsed = parse(text);
  const Filtered filtered = filter_inert(parsed.entries);
  const std::string out = serialize(filtered.kept);
  const Parsed again = parse(out);
  require(!again.error);
  require(again.entries.size() == filtered.kept.size());
  for (size_t i = 0; i < again.entries.size(); ++i) {
    require(again.entries[i].full_name() == filtered.kept[i].full_name());
    require(again.entries[i].value == filtered.kept[i].value);
    require(is_inert(again.entries[i]));
  }
  for (const auto& name : filtered.dropped)
    for (char c : escape_name(name)) require(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
  return 0;
}
