// cordon (Windows): the sandbox token.
//
//   auto token = create_sandbox_token(plan.token);   // UniqueHandle (primary token)
//
// CreateRestrictedToken(own token, WRITE_RESTRICTED | DISABLE_MAX_PRIVILEGE |
// LUA_TOKEN, restricting SIDs = capability SIDs + logon SID + Everyone), then a
// default DACL (GENERIC_ALL for the user, SYSTEM, the logon SID and the capability
// SIDs) so the child can use the pipes, threads and processes it creates. A process
// may launch a restricted copy of its own token without SeAssignPrimaryTokenPrivilege.
#pragma once

#include "core/error.hpp"
#include "plan/windows/planner.hpp"
#include "platform/windows/win32.hpp"

namespace cordon::winsys {

[[nodiscard]] Result<UniqueHandle> create_sandbox_token(const win::TokenSpec& spec);

}  // namespace cordon::winsys
