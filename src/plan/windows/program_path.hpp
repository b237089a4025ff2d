// cordon (Windows plan): which file a bare command name starts, looked up as the
// sandboxed child would see it.
//
//   auto exe = resolve_program("git", cwd, child_env, [&](const std::string& p) { return is_file(p); });
//
// cordon.exe used SearchPathW(nullptr, ...), which searches cordon's own PATH (so the
// child's `denybin` stubs for ssh/scp/sftp were bypassed at the top level), the
// application directory, and, in safe search mode, the current directory, which is
// the workspace: a git.exe planted there by an earlier sandbox run shadowed the real
// one, even for full-access runs (F20 of the Windows review). This lookup:
//   - uses the child's PATH and PATHEXT only (the environment the command gets);
//   - never the current directory, nor a relative PATH entry (which would resolve
//     against it), as NoDefaultCurrentDirectoryInExePath does;
//   - takes a name with a separator as a path, relative to the command's cwd (not
//     cordon's own);
//   - tries only extensions CreateProcess can start (.com, .exe, .bat, .cmd), in the
//     order PATHEXT lists them;
//   - fails with a clear error when nothing is found, so CreateProcess never falls back
//     to its own search order.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace cordon::win {

[[nodiscard]] Result<std::string> resolve_program(const std::string& name, const std::string& cwd,
                                                  const std::vector<std::string>& env,
                                                  const std::function<bool(const std::string&)>& is_file);

}  // namespace cordon::win
