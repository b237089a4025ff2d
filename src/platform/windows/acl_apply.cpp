#include "platform/windows/acl_apply.hpp"

#include <windows.h>
// SDK headers that need <windows.h> above (kept apart so include sorting keeps the order).
#include <aclapi.h>

#include <algorithm>
#include <cerrno>

#include "plan/windows/raw_acl.hpp"
#include "plan/windows/win_path.hpp"
#include "platform/windows/remove_tree_win32.hpp"
#include "platform/windows/security.hpp"
#include "platform/windows/win32.hpp"

namespace cordon::winsys {
namespace {

bool is_device(const std::string& path) {
  auto p = win::parse_path(path);
  return p && p->kind == win::PathKind::Device;
}

struct OpenObject {
  UniqueHandle handle;
  SE_OBJECT_TYPE type = SE_FILE_OBJECT;
};

Result<OpenObject> open_for_dacl(const std::string& path) {
  OpenObject o;
  const bool device = is_device(path);
  o.type = device ? SE_KERNEL_OBJECT : SE_FILE_OBJECT;
  DWORD flags = device ? 0 : (FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT);
  o.handle = UniqueHandle(CreateFileW(widen(path).c_str(), READ_CONTROL | WRITE_DAC,
                                      FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                      OPEN_EXISTING, flags, nullptr));
  if (!o.handle) return win32_error("CreateFileW", path + " (READ_CONTROL|WRITE_DAC)");
  return o;
}

// The DACL as bytes (plan/windows/raw_acl.hpp): ACEs cordon does not model (callback,
// conditional, object, compound) stay as they were; only plain allow/deny ACEs are
// compared, inserted or removed.
struct Dacl {
  win::RawAcl acl;
  bool null_dacl = false;
  bool protected_dacl = false;
};

Result<Dacl> read(const OpenObject& o, const std::string& path) {
  PACL acl = nullptr;
  LocalPtr<void> sd;
  DWORD rc = GetSecurityInfo(o.handle.get(), o.type, DACL_SECURITY_INFORMATION, nullptr, nullptr, &acl,
                             nullptr, sd.out());
  if (rc != ERROR_SUCCESS) return win32_error("GetSecurityInfo", path, rc);
  Dacl d;
  if (acl) {
    auto parsed = win::parse_acl(reinterpret_cast<const uint8_t*>(acl), acl->AclSize);
    if (!parsed) return usage_error("DACL of '" + path + "'", parsed.error().message(), "left unchanged");
    d.acl = std::move(*parsed);
  } else {
    d.null_dacl = true;
  }
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  DWORD revision = 0;
  if (GetSecurityDescriptorControl(sd.get(), &control, &revision))
    d.protected_dacl = control & SE_DACL_PROTECTED;
  return d;
}

Status write(const OpenObject& o, const std::string& path, const Dacl& d) {
  // A NULL DACL grants everyone everything; replacing it by a DACL of cordon's ACEs
  // alone would deny the user, so such an object is left as it is.
  if (d.null_dacl)
    return usage_error("DACL of '" + path + "'", "is a NULL DACL (everyone has full access)",
                       "give it a DACL first; cordon does not replace it");
  std::vector<uint8_t> bytes = win::serialize(d.acl);
  if (!IsValidAcl(reinterpret_cast<ACL*>(bytes.data())))
    return usage_error("DACL of '" + path + "'", "the edited ACL is not valid", "left unchanged");
  SECURITY_INFORMATION info = DACL_SECURITY_INFORMATION;
  if (o.type == SE_FILE_OBJECT)
    info |= d.protected_dacl ? PROTECTED_DACL_SECURITY_INFORMATION : UNPROTECTED_DACL_SECURITY_INFORMATION;
  DWORD rc = SetSecurityInfo(o.handle.get(), o.type, info, nullptr, nullptr,
                             reinterpret_cast<ACL*>(bytes.data()), nullptr);
  if (rc != ERROR_SUCCESS) return win32_error("SetSecurityInfo", path, rc);
  return Ok{};
}

}  // namespace

Result<ApplyStats> apply_aces(const std::vector<win::PlannedAce>& planned, win::Ledger& ledger,
                              win::StateIo& io) {
  ApplyStats stats;
  for (const auto& p : planned) {
    // The private temp is new for every run: one that already exists was made by
    // someone else (another sandbox, a planted junction), so it is refused, not reused.
    if (p.create_dir && !CreateDirectoryW(widen(p.path).c_str(), nullptr))
      return win32_error(
          "CreateDirectoryW", p.path, GetLastError(),
          GetLastError() == ERROR_ALREADY_EXISTS ? "a private temp must not exist before its run" : "");
    auto object = open_for_dacl(p.path);
    if (!object && p.best_effort) {
      stats.skipped.push_back(p.path + " (" + p.reason + "): " + object.error().message());
      continue;
    }
    if (!object) return object.error();
    if (p.create_dir) {
      FILE_ATTRIBUTE_TAG_INFO tag{};
      if (!GetFileInformationByHandleEx(object->handle.get(), FileAttributeTagInfo, &tag, sizeof(tag)))
        return win32_error("GetFileInformationByHandleEx", p.path + " (FileAttributeTagInfo)");
      if ((tag.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) ||
          !(tag.FileAttributes & FILE_ATTRIBUTE_DIRECTORY))
        return usage_error("private temp '" + p.path + "'",
                           "was replaced by a link or a file after it was created");
    }
    auto dacl = read(*object, p.path);
    if (!dacl) return dacl.error();
    if (win::contains_explicit(dacl->acl, p.ace)) {
      ++stats.present;
      continue;
    }
    // Write-ahead: the ledger knows about the ACE before the object carries it.
    if (ledger.add(p.path, p.ace, p.reason)) {
      auto saved = win::save_ledger(io, ledger);
      if (!saved) return saved.error();
    }
    win::insert_canonical(dacl->acl, p.ace);
    auto w = write(*object, p.path, *dacl);
    if (!w && p.best_effort) {
      stats.skipped.push_back(p.path + " (" + p.reason + "): " + w.error().message());
      continue;
    }
    if (!w) return w.error();
    ++stats.added;
  }
  return stats;
}

Result<ApplyStats> create_placeholders(const std::vector<win::Placeholder>& placeholders, win::Ledger& ledger,
                                       win::StateIo& io) {
  ApplyStats stats;
  for (const auto& ph : placeholders) {
    const bool recorded_before = ledger.has_placeholder(ph.path);
    // Write-ahead: the ledger names the placeholder before it exists.
    if (!recorded_before) {
      ledger.add_placeholder(ph);
      auto saved = win::save_ledger(io, ledger);
      if (!saved) return saved.error();
    }
    std::wstring path = widen(ph.path);
    bool made = false;
    if (ph.directory) {
      made = CreateDirectoryW(path.c_str(), nullptr);
    } else {
      UniqueHandle file(CreateFileW(path.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW,
                                    FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
      made = static_cast<bool>(file);
    }
    if (made) {
      ++stats.created;
      continue;
    }
    DWORD code = GetLastError();
    // Someone else made it since the probe: it is theirs, not a placeholder, and the
    // deny ACEs still go on it; unless it is a junction or symbolic link (a concurrent
    // sandbox on the same root made one), whose ACEs would guard the link, not what is
    // written through it: refused, as the planner refuses a protected link.
    if (code == ERROR_ALREADY_EXISTS || code == ERROR_FILE_EXISTS) {
      if (!recorded_before) {
        ledger.remove_placeholder(ph.path);
        auto saved = win::save_ledger(io, ledger);
        if (!saved) return saved.error();
      }
      const DWORD attributes = GetFileAttributesW(path.c_str());
      if (attributes == INVALID_FILE_ATTRIBUTES || (attributes & FILE_ATTRIBUTE_REPARSE_POINT))
        return usage_error("protected path '" + ph.path + "'",
                           "appeared as a junction or symbolic link (or vanished) after the plan",
                           "run again: the plan then refuses the link, or protects it with --best-effort");
      ++stats.present;
      continue;
    }
    return win32_error(
        ph.directory ? "CreateDirectoryW" : "CreateFileW", ph.path, code,
        "cordon creates an empty placeholder so the sandbox cannot create this protected name");
  }
  return stats;
}

namespace {

enum class Emptiness { Missing, Empty, NotEmpty };

// Decides and deletes on one object (F19: a check by name followed by RemoveDirectoryW by
// name could be raced through a swapped path): the placeholder is opened without
// following a reparse point, checked through that handle (kind, not a link, no entries
// or no bytes) and deleted through it.
Emptiness remove_if_empty(const win::PlaceholderEntry& ph) {
  WinTreeOps ops;
  auto object = ops.open(nullptr, ph.path);
  if (!object) return object.error().code == ENOENT ? Emptiness::Missing : Emptiness::NotEmpty;
  auto info = ops.info(**object);
  // A link or an object of the other kind is not what cordon created.
  if (!info || info->reparse || info->directory != ph.directory) return Emptiness::NotEmpty;
  if (ph.directory) {
    auto entries = ops.list(**object);
    if (!entries || !entries->empty()) return Emptiness::NotEmpty;
  } else if (!ops.read_small(**object, 0)) {  // fails once it holds a single byte
    return Emptiness::NotEmpty;
  }
  return ops.remove(**object) ? Emptiness::Empty : Emptiness::NotEmpty;
}

}  // namespace

Result<ApplyStats> remove_placeholders(win::Ledger& ledger, win::StateIo& io) {
  ApplyStats stats;
  auto entries = ledger.placeholders;
  for (const auto& ph : entries) {
    switch (remove_if_empty(ph)) {
      case Emptiness::Missing:
        stats.missing.push_back(ph.path);
        break;
      case Emptiness::Empty:
        ++stats.removed;
        break;
      case Emptiness::NotEmpty:
        stats.kept.push_back(ph.path);
        break;
    }
    ledger.remove_placeholder(ph.path);
  }
  auto saved = win::save_ledger(io, ledger);
  if (!saved) return saved.error();
  return stats;
}

Result<ApplyStats> remove_aces(const std::vector<win::LedgerEntry>& entries, win::Ledger& ledger,
                               win::StateIo& io) {
  ApplyStats stats;
  for (const auto& e : entries) {
    auto object = open_for_dacl(e.path);
    if (!object) {
      DWORD code = GetLastError();
      // ERROR_INVALID_NAME: a path that cannot exist (a damaged ledger's): gone as well.
      if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND || code == ERROR_INVALID_NAME) {
        stats.missing.push_back(e.path);
        ledger.remove(e.path, e.ace);
        continue;
      }
      return object.error();
    }
    auto dacl = read(*object, e.path);
    if (!dacl) return dacl.error();
    if (win::erase_explicit(dacl->acl, e.ace)) {
      auto w = write(*object, e.path, *dacl);
      if (!w) return w.error();
      ++stats.removed;
    }
    ledger.remove(e.path, e.ace);
  }
  auto saved = win::save_ledger(io, ledger);
  if (!saved) return saved.error();
  return stats;
}

Result<ApplyStats> remove_sids(const std::string& path, const std::vector<win::Sid>& sids) {
  ApplyStats stats;
  auto object = open_for_dacl(path);
  if (!object) {
    DWORD code = GetLastError();
    if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND || code == ERROR_INVALID_NAME) {
      stats.missing.push_back(path);
      return stats;
    }
    return object.error();
  }
  auto dacl = read(*object, path);
  if (!dacl) return dacl.error();
  stats.removed = win::erase_explicit_sids(dacl->acl, sids);
  if (stats.removed > 0) {
    auto w = write(*object, path, *dacl);
    if (!w) return w.error();
  }
  return stats;
}

}  // namespace cordon::winsys
