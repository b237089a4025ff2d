// cordon (Windows plan): security identifiers as plain values.
//
//   auto sid = win::Sid::parse("S-1-5-21-1-2-3-4");      // std::optional<Sid>
//   win::Sid cap = win::sids::capability({a, b, c, d});   // a synthetic S-1-5-21-a-b-c-d
//   cap.str() == "S-1-5-21-...";
//
// Pure data, no <windows.h>: the planner and the access-check model use it on every
// host; src/platform/windows converts it to and from a binary SID.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cordon::win {

struct Sid {
  uint64_t authority = 0;     // 48-bit identifier authority (5 = NT, 1 = world)
  std::vector<uint32_t> sub;  // sub-authorities, at most 15

  // "S-1-<authority>-<sub>..."; nullopt when malformed.
  static std::optional<Sid> parse(std::string_view text);
  std::string str() const;
  bool empty() const { return authority == 0 && sub.empty(); }

  friend bool operator==(const Sid&, const Sid&) = default;
  friend auto operator<=>(const Sid&, const Sid&) = default;
};

namespace sids {
Sid everyone();             // S-1-1-0
Sid authenticated_users();  // S-1-5-11
Sid users();                // S-1-5-32-545
Sid administrators();       // S-1-5-32-544
Sid local_system();         // S-1-5-18
Sid creator_owner();        // S-1-3-0
// A synthetic capability SID S-1-5-21-a-b-c-d: the domain-account shape, matching no
// real account (real ones carry a fifth, relative-id sub-authority).
Sid capability(const std::array<uint32_t, 4>& random);
bool is_capability(const Sid& sid);
// S-1-5-5-X-Y: the logon-session SID.
bool is_logon(const Sid& sid);
}  // namespace sids

}  // namespace cordon::win
