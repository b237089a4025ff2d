// cordon (Windows plan): what the planner needs to know about the host.
//
// The planner never calls Windows. The real backend fills WinHost from the system
// (src/platform/windows/host_probe.cpp implements FsView with CreateFileW and
// GetSecurityInfo); tests fill it from a ModelFs (plan/windows/model_fs.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "plan/windows/access.hpp"
#include "plan/windows/sid.hpp"

namespace cordon::win {

struct FsEntry {
  enum class Kind { Missing, File, Directory };
  Kind kind = Kind::Missing;
  bool reparse = false;    // junction or symbolic link (the entry itself)
  std::string final_path;  // canonical long-name path after every link, "" if missing
};

// One entry of a directory listing, typed as the listing itself reports it (the entry,
// not a link's target).
struct DirEntry {
  std::string name;
  bool directory = false;
  bool link = false;  // a junction or symbolic link: never followed by a walk
};

class FsView {
 public:
  virtual ~FsView() = default;
  // Looks a path up (following links) and reports the object and its final path.
  virtual FsEntry stat(const std::string& path) const = 0;
  // True when the entry itself (not its target) is a junction or symbolic link.
  virtual bool is_link(const std::string& path) const = 0;
  // Names of a directory's entries (long names), or empty.
  virtual std::vector<std::string> list(const std::string& dir) const = 0;
  // The entries with their kind. The real host answers from the listing's own attributes
  // (no open per entry: the depth walk reads whole trees); this default asks per entry.
  virtual std::vector<DirEntry> list_typed(const std::string& dir) const {
    std::vector<DirEntry> out;
    for (auto& name : list(dir)) {
      std::string path = dir;
      if (!path.empty() && path.back() != '\\') path += '\\';
      path += name;
      bool link = is_link(path);
      bool directory = !link && stat(path).kind == FsEntry::Kind::Directory;
      out.push_back({std::move(name), directory, link});
    }
    return out;
  }
  // The DACL, or nullopt when it cannot be read. An empty vector is an empty DACL.
  virtual std::optional<std::vector<Ace>> dacl(const std::string& path) const = 0;
  // Up to max_bytes of a small text file (a ".git" pointer file, a git config), or nullopt.
  virtual std::optional<std::string> read_small(const std::string& path, size_t max_bytes) const = 0;
};

struct WinHost {
  Sid user;   // the invoking user
  Sid logon;  // S-1-5-5-X-Y of this logon session
  std::string system_drive = "C:";
  std::string windows_dir = "C:\\Windows";
  std::string user_profile;    // %USERPROFILE%
  std::string local_app_data;  // %LOCALAPPDATA%
  std::string public_dir;      // %PUBLIC%
  std::string temp;            // %TEMP%
  std::string tmp;             // %TMP%
  std::string state_dir;       // cordon's state (%LOCALAPPDATA%\cordon)
  // The directory of the user config the CLI reads (XDG_CONFIG_HOME\cordon, else
  // HOME or USERPROFILE\.config\cordon): a sandbox that could write it would choose
  // the next run's mode.
  std::string config_dir;
  std::vector<std::string> path_entries;  // %PATH%
  // The configuration files git for Windows reads before a repository's own, in its order
  // (%ProgramData%\Git\config, the installation's etc\gitconfig, the global and XDG
  // files): their core.hooksPath, includes and programs can name paths in a writable root.
  std::vector<std::string> git_configs;
  std::string git_home;         // HOME as git for Windows takes it (HOME, else USERPROFILE): "~/" in values
  std::string xdg_config_home;  // XDG_CONFIG_HOME when absolute: read instead of HOME\.config
  // GIT_CONFIG_COUNT with GIT_CONFIG_KEY_<n> and GIT_CONFIG_VALUE_<n> of the caller's
  // environment: entries git run later by the same user reads after every file (a
  // core.hooksPath set there is as real as one in a file). GIT_CONFIG_GLOBAL and
  // GIT_CONFIG_SYSTEM name files, which are in git_configs.
  std::vector<std::pair<std::string, std::string>> git_parameters;
  std::vector<std::string> program_dirs;  // Program Files, ProgramData ...
  bool ssh_session = false;               // SSH_CONNECTION/SSH_CLIENT/SSH_TTY set
  uint32_t windows_build = 0;             // 0 = unknown; ConPTY needs 17763
  // The rights the kernel's restricted pass covers for WRITE_RESTRICTED tokens, as
  // probed with AccessCheck; nullopt = not probed (Wine, tests).
  std::optional<uint32_t> restricted_pass_rights;
  // Whether the sandbox token passes both access checks for input (JOURNALPLAYBACK,
  // WRITEOBJECTS) on this session's Default desktop, as probed; nullopt = not probed.
  std::optional<bool> default_desktop_input;
  const FsView* fs = nullptr;
};

}  // namespace cordon::win
