// Fuzzes the Windows runner's frame decoder (plan/windows/runner_protocol.hpp) in both
// directions.
//
// The first input byte picks a chunk size; the rest is the byte stream. Besides the
// sanitizers, it checks the decoder's promises: no exception escapes, a framing error
// poisons the stream for good, feeding in chunks gives exactly what feeding at once
// gives, and every accepted message re-encodes to a frame that decodes to itself.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "plan/windows/runner_protocol.hpp"

namespace {

using namespace cordon::win::runner;

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "invariant violated: %s\n", what);
  std::abort();
}

// Every outcome of decoding `bytes` fed `chunk` bytes at a time (0 = all at once).
std::vector<std::string> outcomes(std::string_view bytes, size_t chunk, Direction d) {
  FrameDecoder decoder(d, 4096);
  std::vector<std::string> out;
  auto drain = [&] {
    while (auto m = decoder.next()) {
      if (!*m) {
        out.push_back("error: " + m->error().detail);
        // Framing errors (the length) poison the stream; body errors do not.
        if (m->error().detail.rfind("frame length", 0) == 0) {
          require(decoder.failed(), "a framing error did not poison the decoder");
          auto again = decoder.next();
          require(again && !*again, "a poisoned decoder recovered");
          return false;
        }
        continue;
      }
      auto wire = encode(**m, 1u << 20);
      require(wire.ok(), "an accepted message does not re-encode");
      FrameDecoder back(d, 1u << 20);
      back.feed(*wire);
      auto again = back.next();
      require(again && *again && **again == **m, "re-encoded message differs");
      out.push_back(std::string(type_name(**m)));
    }
    return true;
  };
  if (chunk == 0) chunk = bytes.size() + 1;
  for (size_t i = 0; i < bytes.size(); i += chunk) {
    decoder.feed(bytes.substr(i, chunk));
    if (!drain()) break;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = data[0] % 17 + 1;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  for (Direction d : {Direction::ToRunner, Direction::ToCaller}) {
    auto whole = outcomes(bytes, 0, d);
    auto pieces = outcomes(bytes, chunk, d);
    require(whole == pieces, "chunking changed the decoded messages");
  }
  return 0;
}
