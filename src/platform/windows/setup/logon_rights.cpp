#include "platform/windows/setup/logon_rights.hpp"

// clang-format off
#include <windows.h>
#include <ntsecapi.h>
// clang-format on

#include <string>

#include "plan/windows/setup_plan.hpp"
#include "platform/windows/security.hpp"
#include "platform/windows/win32.hpp"

namespace cordon::winsys {
namespace {

using win::SetupErrorCode;

constexpr NTSTATUS kObjectNameNotFound = static_cast<NTSTATUS>(0xC0000034L);
constexpr NTSTATUS kNoMoreEntries = static_cast<NTSTATUS>(0x8000001AL);

win::SetupError lsa_error(const std::string& call, const std::string& what, NTSTATUS status) {
  return setup_error(SetupErrorCode::LogonRights, call, what, LsaNtStatusToWinError(status));
}

// An LSA policy handle, closed on every path.
class Policy {
 public:
  ~Policy() {
    if (h_) LsaClose(h_);
  }
  Policy() = default;
  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;
  NTSTATUS open(ACCESS_MASK access) {
    LSA_OBJECT_ATTRIBUTES attributes{};
    return LsaOpenPolicy(nullptr, &attributes, access, &h_);
  }
  LSA_HANDLE get() const { return h_; }

 private:
  LSA_HANDLE h_ = nullptr;
};

// An LSA_UNICODE_STRING over `text`, which must outlive it.
LSA_UNICODE_STRING lsa_string(std::wstring& text) {
  LSA_UNICODE_STRING s{};
  s.Buffer = text.data();
  s.Length = static_cast<USHORT>(text.size() * sizeof(wchar_t));
  s.MaximumLength = s.Length;
  return s;
}

std::string from_lsa(const LSA_UNICODE_STRING& s) {
  return narrow(std::wstring(s.Buffer, s.Length / sizeof(wchar_t)));
}

// The rights `sid` holds, as the LSA reports them (none: empty).
SetupResult<std::vector<std::string>> rights_of(const Policy& policy, const win::Sid& sid) {
  NativeSid native(sid);
  PLSA_UNICODE_STRING rights = nullptr;
  ULONG count = 0;
  NTSTATUS st = LsaEnumerateAccountRights(policy.get(), native.get(), &rights, &count);
  std::vector<std::string> out;
  if (st == kObjectNameNotFound) return out;
  if (st != 0) return lsa_error("LsaEnumerateAccountRights", sid.str(), st);
  for (ULONG i = 0; i < count; ++i) out.push_back(from_lsa(rights[i]));
  LsaFreeMemory(rights);
  return out;
}

// The SIDs that hold `right` (none: empty).
SetupResult<std::vector<win::Sid>> holders_of(const Policy& policy, const std::string& right) {
  std::wstring name = widen(right);
  LSA_UNICODE_STRING s = lsa_string(name);
  void* buffer = nullptr;
  ULONG count = 0;
  NTSTATUS st = LsaEnumerateAccountsWithUserRight(policy.get(), &s, &buffer, &count);
  std::vector<win::Sid> out;
  if (st == kNoMoreEntries || st == kObjectNameNotFound) return out;
  if (st != 0) return lsa_error("LsaEnumerateAccountsWithUserRight", right, st);
  auto* info = static_cast<LSA_ENUMERATION_INFORMATION*>(buffer);
  for (ULONG i = 0; i < count; ++i) out.push_back(from_native(info[i].Sid));
  LsaFreeMemory(buffer);
  return out;
}

}  // namespace

SetupStatus deny_other_logons(const win::Sid& group) {
  Policy policy;
  if (NTSTATUS st = policy.open(POLICY_CREATE_ACCOUNT | POLICY_LOOKUP_NAMES); st != 0)
    return lsa_error("LsaOpenPolicy", "", st);
  std::vector<std::wstring> names;
  for (const auto& r : win::denied_logon_rights()) names.push_back(widen(r));
  std::vector<LSA_UNICODE_STRING> rights;
  for (auto& n : names) rights.push_back(lsa_string(n));
  NativeSid native(group);
  if (NTSTATUS st =
          LsaAddAccountRights(policy.get(), native.get(), rights.data(), static_cast<ULONG>(rights.size()));
      st != 0)
    return lsa_error("LsaAddAccountRights", group.str(), st);
  // Read back: what the LSA holds now, not what was asked.
  auto held = rights_of(policy, group);
  if (!held) return held.error();
  auto missing = win::missing_rights(win::denied_logon_rights(), *held);
  if (!missing.empty())
    return setup_error(SetupErrorCode::LogonRights, "LsaEnumerateAccountRights", group.str(), 0,
                       "set but not read back: " + missing.front());
  return Done{};
}

SetupStatus check_local_logon(const std::vector<win::Sid>& principals) {
  Policy policy;
  if (NTSTATUS st = policy.open(POLICY_LOOKUP_NAMES | POLICY_VIEW_LOCAL_INFORMATION); st != 0)
    return lsa_error("LsaOpenPolicy", "", st);
  auto allowed = holders_of(policy, "SeInteractiveLogonRight");
  if (!allowed) return allowed.error();
  auto denied = holders_of(policy, "SeDenyInteractiveLogonRight");
  if (!denied) return denied.error();
  std::string problem = win::interactive_logon_problem(principals, *allowed, *denied);
  if (!problem.empty())
    return setup_error(SetupErrorCode::LogonRights, "LsaEnumerateAccountsWithUserRight",
                       "SeInteractiveLogonRight", 0, problem);
  return Done{};
}

SetupStatus remove_logon_rights(const win::Sid& sid, bool* existed) {
  if (existed) *existed = false;
  Policy policy;
  if (NTSTATUS st = policy.open(POLICY_LOOKUP_NAMES | POLICY_CREATE_ACCOUNT); st != 0)
    return lsa_error("LsaOpenPolicy", "", st);
  NativeSid native(sid);
  NTSTATUS st = LsaRemoveAccountRights(policy.get(), native.get(), TRUE, nullptr, 0);
  if (st == kObjectNameNotFound) return Done{};
  if (st != 0) return lsa_error("LsaRemoveAccountRights", sid.str(), st);
  if (existed) *existed = true;
  return Done{};
}

}  // namespace cordon::winsys
