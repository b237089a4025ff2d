// cordon (Windows setup): the sandbox accounts - local users, the group, SIDs, the
// logon-screen entry, profiles - and the elevation check.
//
//   SecretString pw = new_password();                   // BCryptGenRandom, zeroised
//   ensure_group(kSandboxGroup);                        // NetLocalGroupAdd (exists: ok)
//   ensure_user(kOfflineUser, pw);                      // NetUserAdd, or a new password
//   auto sid = lookup_sid(kOfflineUser);                // LookupAccountNameW
//   add_to_group(kSandboxGroup, *sid);                  // by SID
//   add_to_builtin_users(*sid);                         // name looked up from S-1-5-32-545
//   hide_from_logon(kOfflineUser);                      // ...\SpecialAccounts\UserList = 0
//
// Group names are never spelled out for built-in groups: "Users" is "Benutzer" or
// "Utilisateurs" on other locales, so the name is always looked up from the
// well-known SID (CreateWellKnownSid + LookupAccountSidW).
#pragma once

#include <string>

#include "plan/windows/sid.hpp"
#include "platform/windows/setup/outcome.hpp"

namespace cordon::winsys {

// A password in memory: zeroised (SecureZeroMemory) when destroyed.
class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::wstring s) : s_(std::move(s)) {}
  ~SecretString() { wipe(); }
  SecretString(SecretString&& o) noexcept : s_(std::move(o.s_)) { o.wipe(); }
  SecretString& operator=(SecretString&& o) noexcept {
    if (this != &o) {
      wipe();
      s_ = std::move(o.s_);
      o.wipe();
    }
    return *this;
  }
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  const wchar_t* c_str() const { return s_.c_str(); }
  const std::wstring& str() const { return s_; }
  bool empty() const { return s_.empty(); }
  void wipe() {
    if (!s_.empty()) SecureZeroMemory(s_.data(), s_.size() * sizeof(wchar_t));
    s_.clear();
  }

 private:
  std::wstring s_;
};

// True when this process runs with the Administrators group enabled (elevated).
bool is_elevated();

[[nodiscard]] SetupResult<SecretString> new_password();
[[nodiscard]] SetupStatus ensure_group(const std::string& name);
[[nodiscard]] SetupStatus ensure_user(const std::string& name, const SecretString& password);
[[nodiscard]] SetupResult<win::Sid> lookup_sid(const std::string& name);
[[nodiscard]] SetupStatus add_to_group(const std::string& group, const win::Sid& member);
[[nodiscard]] SetupStatus add_to_builtin_users(const win::Sid& member);
[[nodiscard]] SetupStatus hide_from_logon(const std::string& user);
// Removal: each returns Done when the object is already gone (`*existed` = false).
[[nodiscard]] SetupStatus delete_user(const std::string& name, bool* existed = nullptr);
[[nodiscard]] SetupStatus delete_group(const std::string& name, bool* existed = nullptr);
[[nodiscard]] SetupStatus delete_profile(const win::Sid& user, bool* existed = nullptr);
[[nodiscard]] SetupStatus delete_registry_value(const std::string& key, const std::string& value,
                                                bool* existed = nullptr);

}  // namespace cordon::winsys
