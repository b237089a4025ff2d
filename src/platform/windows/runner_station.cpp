#include "platform/windows/runner_station.hpp"

#include <sddl.h>

#include <cwchar>

#include "platform/windows/security.hpp"
#include "platform/windows/state_io.hpp"
#include "platform/windows/win32.hpp"

namespace cordon::winsys {
namespace {

constexpr DWORD kCreateOnly = 0x0001;  // CWF_CREATE_ONLY: a station of that name must not exist

// Puts the station back as the process's window station, whatever happened in between.
class StationSwitch {
 public:
  explicit StationSwitch(HWINSTA to) : old_(GetProcessWindowStation()) {
    ok_ = SetProcessWindowStation(to) != 0;
  }
  ~StationSwitch() {
    if (ok_ && old_) SetProcessWindowStation(old_);
  }
  StationSwitch(const StationSwitch&) = delete;
  StationSwitch& operator=(const StationSwitch&) = delete;
  bool ok() const { return ok_; }

 private:
  HWINSTA old_;
  bool ok_ = false;
};

}  // namespace

std::wstring current_station_name() {
  wchar_t name[256];
  DWORD needed = 0;
  if (!GetUserObjectInformationW(GetProcessWindowStation(), UOI_NAME, name, sizeof(name), &needed)) return {};
  return name;
}

RunnerStation::~RunnerStation() {
  if (desktop_) CloseDesktop(desktop_);
  if (station_) CloseWindowStation(station_);
}

Result<std::unique_ptr<RunnerStation>> RunnerStation::create(const std::vector<win::Sid>& grantees) {
  HANDLE raw = nullptr;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &raw)) return win32_error("OpenProcessToken", "");
  UniqueHandle token(raw);
  auto me = token_user(token.get());
  if (!me) return me.error();
  // Protected DACLs: nothing inherited, nobody else (not the logon SID of the user's
  // session, which other sandboxes carry as a restricting SID).
  std::wstring sddl = L"D:P(A;;GA;;;SY)(A;;GA;;;" + widen(me->str()) + L")";
  for (const auto& sid : grantees)
    if (!sid.empty()) sddl += L"(A;;GA;;;" + widen(sid.str()) + L")";
  LocalPtr<void> sd;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1, sd.out(), nullptr))
    return win32_error("ConvertStringSecurityDescriptorToSecurityDescriptorW", narrow(sddl));
  SECURITY_ATTRIBUTES sa{sizeof(sa), sd.get(), FALSE};

  auto rnd = random_u32x4();
  if (!rnd) return rnd.error();
  wchar_t suffix[40];
  swprintf(suffix, std::size(suffix), L"%08x%08x", (*rnd)[0], (*rnd)[1]);
  const std::wstring name = std::wstring(L"CordonRunner-") + suffix;

  std::unique_ptr<RunnerStation> s(new RunnerStation());
  s->station_ = CreateWindowStationW(name.c_str(), kCreateOnly, GENERIC_ALL, &sa);
  if (!s->station_) return win32_error("CreateWindowStationW", narrow(name));
  {
    // CreateDesktopW creates on the calling process's window station.
    StationSwitch on(s->station_);
    if (!on.ok()) return win32_error("SetProcessWindowStation", narrow(name));
    s->desktop_ = CreateDesktopW(L"Default", nullptr, nullptr, 0, GENERIC_ALL, &sa);
    if (!s->desktop_) return win32_error("CreateDesktopW", narrow(name) + "\\Default");
  }
  s->path_ = name + L"\\Default";
  return s;
}

}  // namespace cordon::winsys
