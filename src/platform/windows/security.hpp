// cordon (Windows): conversions between the planner's value types (win::Sid,
// win::Ace) and native SIDs/ACLs, and token queries.
#pragma once

#include <windows.h>

#include <optional>
#include <vector>

#include "core/error.hpp"
#include "plan/windows/access.hpp"
#include "plan/windows/sid.hpp"

namespace cordon::winsys {

// A native SID in a byte buffer (no LocalFree needed).
class NativeSid {
 public:
  explicit NativeSid(const win::Sid& sid);
  PSID get() const { return const_cast<BYTE*>(bytes_.data()); }

 private:
  std::vector<BYTE> bytes_;
};

win::Sid from_native(PSID sid);
// The ACEs of a DACL (allow/deny only; other ACE types are skipped). nullptr = null DACL.
std::vector<win::Ace> read_dacl(const ACL* dacl);
// Builds a DACL holding exactly `aces`, in order.
[[nodiscard]] Result<std::vector<BYTE>> build_acl(const std::vector<win::Ace>& aces);

// Token facts: the user SID and the logon SID (TokenGroups, falling back to the
// linked token of a UAC split token).
[[nodiscard]] Result<win::Sid> token_user(HANDLE token);
[[nodiscard]] Result<win::Sid> token_logon_sid(HANDLE token);

}  // namespace cordon::winsys
