// cordon (Windows setup): the setup directory and the sandbox users' passwords.
//
//   lock_setup_dir(dir, real_user);                    // protected DACL, created if missing
//   auto blob = dpapi_protect(password);                // CryptProtectData, machine scope
//   SecretString pw = *dpapi_unprotect(blob);           // zeroised when it goes away
//
// The blobs are machine-scope DPAPI (CRYPTPROTECT_LOCAL_MACHINE): setup may run as a
// different administrator than the user who later decrypts them, so user-scope DPAPI
// would not do. Any local process could decrypt a machine-scope blob, so their secrecy
// rests on the directory: its DACL is protected (nothing inherited) and names only the
// real user, SYSTEM and Administrators. The sandbox users are not in it, so they can
// neither list nor open the files (no deny ACE is needed, so none can be orphaned).
#pragma once

#include <string>

#include "plan/windows/sid.hpp"
#include "platform/windows/setup/accounts.hpp"
#include "platform/windows/setup/outcome.hpp"

namespace cordon::winsys {

[[nodiscard]] SetupStatus lock_setup_dir(const std::string& dir, const win::Sid& real_user);
[[nodiscard]] SetupResult<std::string> dpapi_protect(const SecretString& secret);
[[nodiscard]] SetupResult<SecretString> dpapi_unprotect(const std::string& blob);

}  // namespace cordon::winsys
