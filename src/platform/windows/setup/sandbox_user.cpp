#include "platform/windows/setup/sandbox_user.hpp"

#include "plan/windows/win_path.hpp"
#include "platform/windows/setup/accounts.hpp"
#include "platform/windows/setup/secrets.hpp"
#include "platform/windows/setup/stage2.hpp"
#include "platform/windows/state_io.hpp"

namespace cordon::winsys {

using win::SetupErrorCode;

namespace {

SetupResult<win::SetupMarker> current_marker(const std::string& state_dir) {
  auto stage = read_stage(state_dir);
  if (!stage.stage2)
    return setup_error(SetupErrorCode::Marker, "read setup marker", setup_dir(state_dir), ERROR_NOT_FOUND,
                       stage.reason);
  return *stage.marker;
}

SetupResult<SecretString> password_for(const std::string& state_dir, const win::SandboxAccount& account,
                                       bool online) {
  FileStateIo io(setup_dir(state_dir));
  auto text = io.read(win::kSecretsFile);
  if (!text) return setup_error(SetupErrorCode::Secrets, text.error());
  if (!*text)
    return setup_error(SetupErrorCode::Secrets, "read secrets", win::kSecretsFile, ERROR_FILE_NOT_FOUND,
                       "no secrets file; run `cordon setup` again");
  auto secrets = win::parse_secrets(**text);
  if (!secrets)
    return setup_error(SetupErrorCode::Secrets, "parse secrets", win::kSecretsFile, ERROR_INVALID_DATA,
                       "the secrets file is damaged; run `cordon setup` again");
  const std::string& name = online ? secrets->online_name : secrets->offline_name;
  if (win::fold_case(name) != win::fold_case(account.name))
    return setup_error(
        SetupErrorCode::Secrets, "parse secrets", win::kSecretsFile, ERROR_INVALID_DATA,
        "the secrets name " + name + ", the marker " + account.name + "; run `cordon setup` again");
  return dpapi_unprotect(online ? secrets->online_blob : secrets->offline_blob);
}

std::wstring environment_block(const std::vector<std::wstring>& env) {
  std::wstring block;
  for (const auto& e : env) {
    block += e;
    block.push_back(L'\0');
  }
  block.push_back(L'\0');
  return block;
}

}  // namespace

SetupResult<win::SandboxAccount> sandbox_account(const std::string& state_dir, bool online) {
  auto marker = current_marker(state_dir);
  if (!marker) return marker.error();
  return online ? marker->online : marker->offline;
}

SetupResult<win::SandboxAccount> sandbox_group(const std::string& state_dir) {
  auto marker = current_marker(state_dir);
  if (!marker) return marker.error();
  return marker->group;
}

SetupResult<SandboxProcess> start_as_sandbox_user(const SandboxLaunch& r) {
  auto account = sandbox_account(r.state_dir, r.online);
  if (!account) return account.error();
  auto password = password_for(r.state_dir, *account, r.online);
  if (!password) return password.error();

  std::wstring user = widen(account->name);
  std::wstring cmdline = r.command_line;  // CreateProcessWithLogonW may write to it
  std::wstring desktop = r.desktop.empty() ? L"Winsta0\\Default" : r.desktop;
  std::wstring env = environment_block(r.env);
  STARTUPINFOW si{};
  si.cb = sizeof(si);
  si.lpDesktop = desktop.data();
  if (r.std_input && r.std_output && r.std_error) {
    si.dwFlags |= STARTF_USESTDHANDLES;
    si.hStdInput = r.std_input;
    si.hStdOutput = r.std_output;
    si.hStdError = r.std_error;
  }
  // No Windows Error Reporting dialog for a crashing child in a hidden session.
  UINT old_mode = SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
  PROCESS_INFORMATION pi{};
  DWORD code = ERROR_SUCCESS;
  for (int attempt = 0; attempt < 2; ++attempt) {
    BOOL ok = CreateProcessWithLogonW(user.c_str(), L".", password->c_str(), LOGON_WITH_PROFILE,
                                      r.application.empty() ? nullptr : r.application.c_str(), cmdline.data(),
                                      r.creation_flags | (r.env.empty() ? 0 : CREATE_UNICODE_ENVIRONMENT),
                                      r.env.empty() ? nullptr : env.data(),
                                      r.cwd.empty() ? nullptr : r.cwd.c_str(), &si, &pi);
    code = ok ? ERROR_SUCCESS : GetLastError();
    // 1312: the logon session went stale; one retry, same account, same parameters.
    if (code != ERROR_NO_SUCH_LOGON_SESSION || !r.retry_stale_logon) break;
  }
  SetErrorMode(old_mode);
  password->wipe();
  if (code != ERROR_SUCCESS) {
    std::string hint;
    if (code == ERROR_LOGON_FAILURE || code == ERROR_PASSWORD_EXPIRED || code == ERROR_ACCOUNT_DISABLED)
      hint = "the sandbox account's password or state changed; run `cordon setup` again";
    return win::SetupError{SetupErrorCode::Logon, "CreateProcessWithLogonW", code, account->name, "", hint};
  }
  SandboxProcess p;
  p.process = UniqueHandle(pi.hProcess);
  p.thread = UniqueHandle(pi.hThread);
  p.pid = pi.dwProcessId;
  p.user = *account;
  return p;
}

}  // namespace cordon::winsys
