// cordon (Windows): fills win::WinHost from the running system.
//
//   WinFs fs;                                   // FsView over the real filesystem
//   auto host = probe_host(fs);                 // user/logon SIDs, known folders, build
//   host->restricted_pass_rights = probe_restricted_scope(token);  // after the token exists
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "plan/windows/host.hpp"

namespace cordon::winsys {

class WinFs : public win::FsView {
 public:
  win::FsEntry stat(const std::string& path) const override;
  bool is_link(const std::string& path) const override;
  std::vector<std::string> list(const std::string& dir) const override;
  std::vector<win::DirEntry> list_typed(const std::string& dir) const override;
  std::optional<std::vector<win::Ace>> dacl(const std::string& path) const override;
  std::optional<std::string> read_small(const std::string& path, size_t max_bytes) const override;
};

std::string env(const char* name);
[[nodiscard]] Result<win::WinHost> probe_host(const WinFs& fs);

// Asks the kernel which rights the restricted pass of `restricted_token` covers:
// AccessCheck against an in-memory descriptor that grants the user everything and
// the restricting SIDs nothing. nullopt when the check itself fails (e.g. Wine).
std::optional<uint32_t> probe_restricted_scope(void* restricted_token);

// Asks the kernel whether `restricted_token` passes both access checks for input on
// this session's Default desktop (DESKTOP_JOURNALPLAYBACK | DESKTOP_WRITEOBJECTS, the
// rights SendInput and window messages need): AccessCheck against that desktop's own
// security descriptor (F5). nullopt when it cannot be asked (no Default desktop on this
// window station, e.g. a service or SSH session; Wine).
std::optional<bool> probe_default_desktop(void* restricted_token);

}  // namespace cordon::winsys
