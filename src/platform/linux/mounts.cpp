#include "platform/linux/mounts.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <map>
#include <vector>

#include "platform/linux/syscalls.hpp"
#include "platform/linux/unique_fd.hpp"

namespace cordon::linux_mounts {
namespace {

constexpr const char* kEmptyFile = "/dev/.cordon-empty";

struct Clone {
  std::string target;
  UniqueFd fd;
};

UniqueFd clone_tree(const char* path, bool recursive, bool nofollow = false) {
  unsigned flags = sys::kOpenTreeClone | sys::kOpenTreeCloexec | (recursive ? sys::kAtRecursive : 0) |
                   (nofollow ? sys::kAtSymlinkNofollow : 0);
  return UniqueFd(sys::open_tree(AT_FDCWD, path, flags));
}

bool set_attr(int fd, uint64_t set, bool recursive) {
  sys::MountAttr attr{set, 0, 0, 0};
  return sys::mount_setattr(fd, "", sys::kAtEmptyPath | (recursive ? sys::kAtRecursive : 0), &attr) == 0;
}

bool attach(const UniqueFd& fd, const std::string& target) {
  return sys::move_mount(fd.get(), "", AT_FDCWD, target.c_str(), sys::kMoveMountFEmptyPath) == 0;
}

// Makes a cloned tree read-only, nosuid, nodev and attaches it on `target`.
// `missing_ok`: a target that vanished since planning needs no mount (masks only).
bool attach_read_only(const UniqueFd& fd, const std::string& target, bool recursive, const ChildReporter& rep,
                      const char* step, bool missing_ok = false) {
  if (!fd.valid()) return rep.fail(step, "open_tree", target.c_str());
  if (!set_attr(fd.get(), sys::kMountAttrRdonly | sys::kMountAttrNosuid | sys::kMountAttrNodev, recursive))
    return rep.fail(step, "mount_setattr", target.c_str());
  if (!attach(fd, target)) {
    if (missing_ok && errno == ENOENT) return true;
    return rep.fail(step, "move_mount", target.c_str());
  }
  return true;
}

bool setup_dev(std::vector<Clone>& devices, const ChildReporter& rep) {
  if (::mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=256k") != 0)
    return rep.fail("dev", "mount(tmpfs)", "/dev");
  for (auto& d : devices) {
    UniqueFd f(::open(d.target.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0666));
    if (!f.valid()) return rep.fail("dev", "open(O_CREAT)", d.target.c_str());
    if (!attach(d.fd, d.target)) return rep.fail("dev", "move_mount", d.target.c_str());
  }
  if (::mkdir("/dev/pts", 0755) != 0) return rep.fail("dev", "mkdir", "/dev/pts");
  if (::mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") !=
      0)
    return rep.fail("dev", "mount(devpts)", "/dev/pts");
  if (::symlink("pts/ptmx", "/dev/ptmx") != 0) return rep.fail("dev", "symlink", "/dev/ptmx");
  if (::mkdir("/dev/shm", 01777) != 0) return rep.fail("dev", "mkdir", "/dev/shm");
  if (::mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0)
    return rep.fail("dev", "mount(tmpfs)", "/dev/shm");
  const char* links[][2] = {{"/proc/self/fd", "/dev/fd"},
                            {"/proc/self/fd/0", "/dev/stdin"},
                            {"/proc/self/fd/1", "/dev/stdout"},
                            {"/proc/self/fd/2", "/dev/stderr"}};
  for (auto& l : links)
    if (::symlink(l[0], l[1]) != 0) return rep.fail("dev", "symlink", l[1]);
  UniqueFd empty(::open(kEmptyFile, O_CREAT | O_WRONLY | O_CLOEXEC, 0444));
  if (!empty.valid()) return rep.fail("dev", "open(O_CREAT)", kEmptyFile);
  // Bound read-only, nosuid, nodev onto itself, once: every mask is a clone of this
  // mount and inherits its flags, so a mask costs a clone and an attach, not a third
  // call to set the flags (thousands of --deny-read paths).
  return attach_read_only(clone_tree(kEmptyFile, false, true), kEmptyFile, false, rep, "dev");
}

// A masked file's settings without its secrets (core/secret_filter.hpp): the text the
// planner was given, written to a file of the sandbox's own /dev (frozen read-only in step
// 7) and bound read-only over the file. The host's file is never opened in here.
bool filtered_copy(const MountStep& m, size_t index, const ChildReporter& rep) {
  char name[64];
  std::snprintf(name, sizeof name, "/dev/.cordon-filtered-%zu", index);
  {
    UniqueFd f(::open(name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0444));
    if (!f.valid()) return rep.fail("deny-read", "open(O_CREAT)", name);
    size_t done = 0;
    while (done < m.text.size()) {
      const ssize_t n = ::write(f.get(), m.text.data() + done, m.text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return rep.fail("deny-read", "write", name);
      done += static_cast<size_t>(n);
    }
  }
  return attach_read_only(clone_tree(name, false, true), m.target, false, rep, "deny-read", true);
}

// An empty, read-only, unlistable tmpfs over a denied directory; --allow-read
// exceptions below it are cloned first and bound back read-only inside the mask.
bool mask_dir(const MountStep& m, const ChildReporter& rep) {
  std::vector<Clone> keep;
  for (const auto& path : m.reexpose) {
    UniqueFd fd = clone_tree(path.c_str(), true);
    if (!fd.valid()) {
      if (errno == ENOENT) continue;
      return rep.fail("allow-read", "open_tree", path.c_str());
    }
    if (!set_attr(fd.get(), sys::kMountAttrRdonly | sys::kMountAttrNosuid | sys::kMountAttrNodev, true))
      return rep.fail("allow-read", "mount_setattr", path.c_str());
    keep.push_back({path, std::move(fd)});
  }
  const char* target = m.target.c_str();
  const char* options = keep.empty() ? "size=4k,mode=0000" : "size=64k,mode=0711";
  if (::mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, options) != 0) {
    if (errno == ENOENT) return true;  // vanished since planning: nothing left to hide
    return rep.fail("deny-read", "mount(tmpfs)", target);
  }
  for (auto& k : keep) {
    // Mount point: intermediate directories, then an empty dir or file like the source.
    struct stat st {};
    const bool dir = ::fstat(k.fd.get(), &st) == 0 && S_ISDIR(st.st_mode);
    for (size_t i = m.target.size() + 1; i < k.target.size(); ++i)
      if (k.target[i] == '/') ::mkdir(k.target.substr(0, i).c_str(), 0711);
    int rc = dir ? ::mkdir(k.target.c_str(), 0755)
                 : ::close(::open(k.target.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0444));
    if (rc != 0 && errno != EEXIST) return rep.fail("allow-read", "mkdir", k.target.c_str());
    if (!attach(k.fd, k.target)) return rep.fail("allow-read", "move_mount", k.target.c_str());
  }
  sys::MountAttr attr{sys::kMountAttrRdonly, 0, 0, 0};
  if (sys::mount_setattr(AT_FDCWD, target, 0, &attr) != 0)
    return rep.fail("deny-read", "mount_setattr(RDONLY)", target);
  return true;
}

// The directory of protected paths, open in the live tree and in the detached copy.
constexpr size_t kMaxParentDirs = 64;
struct ParentDirs {
  const Clone* copy = nullptr;
  UniqueFd live;
  UniqueFd detached;
};

// `path` is `dir` or below it.
bool paths_within(const std::string& path, const std::string& dir) {
  return path.compare(0, dir.size(), dir) == 0 && (path.size() == dir.size() || path[dir.size()] == '/');
}

// `target` is strictly below `dir`.
bool strictly_below(const std::string& target, const std::string& dir) {
  return target.size() > dir.size() && target.compare(0, dir.size(), dir) == 0 && target[dir.size()] == '/';
}

// The detached copy of the innermost writable root strictly above `target`, if any: none
// when that root has no copies (a few paths; cloned from the live tree).
const Clone* innermost_copy(const std::vector<Clone>& copies, const std::string& target) {
  const Clone* best = nullptr;
  for (const auto& c : copies)
    if (strictly_below(target, c.target) && (!best || c.target.size() > best->target.size())) best = &c;
  return best && best->fd.valid() ? best : nullptr;
}

// The innermost of the writable roots (BindWritable) strictly above `target`, if any.
const MountStep* innermost_root(const std::vector<const MountStep*>& roots, const std::string& target) {
  const MountStep* best = nullptr;
  for (const auto* r : roots)
    if (r->kind == MountKind::BindWritable && strictly_below(target, r->target) &&
        (!best || r->target.size() > best->target.size()))
      best = r;
  return best;
}

// From this many pins and protected paths in one writable root, they are cloned from
// detached copies of it (apply(), step 2); below it, from the live tree.
constexpr size_t kDetachedCopyMin = 16;

// mkdir -p for a mount point inside a writable /tmp.
bool make_mount_point(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i != path.size() && path[i] != '/') continue;
    std::string prefix = path.substr(0, i);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) return false;
  }
  return true;
}

// --review (docs/review.md): the workspace (and with --review-all each other writable
// root, none nested in another) becomes an overlay, the real workspace its
// read-only lower layer and the change set its upper one. Mounted before step 2 clones
// the writable roots, so the root, every pin and every protected bind below are cloned
// from the overlay: the protected binds stay read-only on top of it, and nothing in the
// sandbox keeps a path to the real workspace's writable mount.
bool mount_review_overlay(const ReviewOverlay& review, const ChildReporter& rep) {
  if (::mount("overlay", review.target.c_str(), "overlay", MS_NOSUID | MS_NODEV, review.options.c_str()) != 0)
    return rep.fail("review", "mount(overlay)", review.target.c_str());
  return true;
}

}  // namespace

bool apply(const LinuxPlan& plan, const std::string& cwd, const ChildReporter& rep) {
  // 1. Nothing we do may propagate to the host.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return rep.fail("mounts", "mount(MS_REC|MS_PRIVATE)", "/");
  if (plan.review && !mount_review_overlay(*plan.review, rep)) return false;
  for (const auto& root : plan.review_roots)
    if (!mount_review_overlay(root, rep)) return false;

  // 2. Clone what must stay writable (and the devices) before the root goes read-only.
  std::vector<const MountStep*> writable;
  for (const auto& m : plan.mounts)
    if (m.kind == MountKind::BindWritable || m.kind == MountKind::BindVisibleReadOnly) writable.push_back(&m);
  // Outermost first, so an inner root is attached on top of an outer one.
  std::stable_sort(writable.begin(), writable.end(), [](const MountStep* a, const MountStep* b) {
    return a->target.size() < b->target.size();
  });
  std::vector<Clone> roots;
  // Two more, never-attached copies of a writable root that holds many pins and
  // protected paths: pins are cloned from the first (nosuid, nodev), protected paths
  // from the second (read-only as well). Cloning from the live tree would make the kernel
  // walk every bind placed so far (copy_tree), which is quadratic with thousands of
  // protected paths; and a clone inherits its source's flags, so the flags are set once
  // per root here instead of once per path. A root with a few of them (a workspace's
  // .git and its config and hooks) clones them from the live tree instead: closing a
  // copy that was never attached unmounts it, and every unmount waits for an RCU grace
  // period (synchronize_rcu_expedited, 0.1-0.7 ms of wall time here) on every run.
  // A root without copies keeps an entry with no descriptor, so that a path inside it is
  // never cloned from an outer root's copy.
  const auto wants_copies = [&](const MountStep& root) {
    size_t n = 0;
    for (const auto& s : plan.mounts)
      if ((s.kind == MountKind::Pin || s.kind == MountKind::BindReadOnly) &&
          innermost_root(writable, s.target) == &root && ++n >= kDetachedCopyMin)
        return true;
    return false;
  };
  std::vector<Clone> pin_sources;
  std::vector<Clone> ro_sources;
  for (const auto* m : writable) {
    if (m->kind == MountKind::BindWritable) {
      const bool copies = wants_copies(*m);
      for (auto* list : {&pin_sources, &ro_sources}) {
        if (!copies) {
          list->push_back({m->target, UniqueFd()});
          continue;
        }
        UniqueFd src = clone_tree(m->source.c_str(), true);
        if (!src.valid()) return rep.fail("writable-root", "open_tree", m->source.c_str());
        const uint64_t ro = list == &ro_sources ? sys::kMountAttrRdonly : 0;
        if (!set_attr(src.get(), ro | sys::kMountAttrNosuid | sys::kMountAttrNodev, true))
          return rep.fail("writable-root", "mount_setattr", m->source.c_str());
        list->push_back({m->target, std::move(src)});
      }
    }
    UniqueFd fd = clone_tree(m->source.c_str(), true);
    if (!fd.valid()) return rep.fail("writable-root", "open_tree", m->source.c_str());
    const uint64_t ro = m->kind == MountKind::BindVisibleReadOnly ? sys::kMountAttrRdonly : 0;
    if (!set_attr(fd.get(), ro | sys::kMountAttrNosuid | sys::kMountAttrNodev, true))
      return rep.fail("writable-root", "mount_setattr", m->source.c_str());
    roots.push_back({m->target, std::move(fd)});
  }
  const MountStep* tmp = nullptr;
  for (const auto& m : plan.mounts)
    if (m.kind == MountKind::Tmp) tmp = &m;
  UniqueFd tmp_fd;
  if (tmp && !tmp->source.empty()) {
    const std::string src = tmp->source == "host" ? "/tmp" : tmp->source;
    tmp_fd = clone_tree(src.c_str(), true);
    if (!tmp_fd.valid()) return rep.fail("tmp", "open_tree", src.c_str());
    if (!set_attr(tmp_fd.get(), sys::kMountAttrNosuid | sys::kMountAttrNodev, true))
      return rep.fail("tmp", "mount_setattr", src.c_str());
  }
  std::vector<Clone> devices;
  for (const char* dev : {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"}) {
    UniqueFd fd = clone_tree(dev, false);
    if (!fd.valid()) {
      if (errno == ENOENT) continue;
      return rep.fail("dev", "open_tree", dev);
    }
    devices.push_back({dev, std::move(fd)});
  }

  // 3. The whole inherited tree becomes read-only, nosuid, nodev.
  {
    sys::MountAttr attr{sys::kMountAttrRdonly | sys::kMountAttrNosuid | sys::kMountAttrNodev, 0, 0, 0};
    if (sys::mount_setattr(AT_FDCWD, "/", sys::kAtRecursive, &attr) != 0)
      return rep.fail("read-only-root", "mount_setattr(AT_RECURSIVE)", "/");
  }

  // 4. A minimal /dev.
  if (!setup_dev(devices, rep)) return false;

  // 5. /tmp and the writable roots, outermost first: a workspace under /tmp must be
  //    attached on top of the private /tmp, not hidden by it. A missing mount point
  //    inside the private (or empty) /tmp is created there.
  bool tmp_attached = tmp == nullptr;
  auto attach_tmp = [&]() {
    tmp_attached = true;
    if (tmp_fd.valid()) return attach(tmp_fd, "/tmp") || rep.fail("tmp", "move_mount", "/tmp");
    if (::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k,mode=0755") != 0)
      return rep.fail("tmp", "mount(tmpfs)", "/tmp");
    return true;
  };
  for (auto& r : roots) {
    if (!tmp_attached && r.target.size() > 4 && r.target.compare(0, 5, "/tmp/") == 0 && !attach_tmp())
      return false;
    if (!tmp_attached && r.target == "/tmp") tmp_attached = true;  // the root replaces /tmp
    if (::access(r.target.c_str(), F_OK) != 0 && !make_mount_point(r.target))
      return rep.fail("writable-root", "mkdir", r.target.c_str());
    if (!attach(r.fd, r.target)) return rep.fail("writable-root", "move_mount", r.target.c_str());
  }
  if (!tmp_attached && !attach_tmp()) return false;
  if (tmp && !tmp_fd.valid()) {
    // --tmp none: the empty /tmp becomes read-only once mount points exist.
    sys::MountAttr attr{sys::kMountAttrRdonly, 0, 0, 0};
    if (sys::mount_setattr(AT_FDCWD, "/tmp", 0, &attr) != 0)
      return rep.fail("tmp", "mount_setattr(RDONLY)", "/tmp");
  }

  // Clone `target` from the detached copy (`sources`) of the innermost writable root
  // holding it; the clone has that copy's flags. Outside every root, from the live tree.
  auto clone_protected = [](const Clone* copy, const std::string& target) {
    if (!copy) return clone_tree(target.c_str(), true, true);
    const std::string rel = target.substr(copy->target.size() + 1);
    return UniqueFd(sys::open_tree(
        copy->fd.get(), rel.c_str(),
        sys::kOpenTreeClone | sys::kOpenTreeCloexec | sys::kAtRecursive | sys::kAtSymlinkNofollow));
  };

  // Protected paths in one directory (thousands of --protect paths sit in a few
  // directories) share the walk to it: the directory is opened once in the live tree and
  // once in the root's detached copy, and each path is cloned and attached by its name.
  // An open directory is used only while nothing has been mounted on it or above it since
  // it was opened: any step other than a protected bind or a file mask forgets them all,
  // and those two forget the ones at or below their own target. At most kMaxParentDirs are
  // kept open. A file mask uses only the live directory (its source is the empty file's
  // bind); one it opened has no detached copy (`copy` null), so a protected bind there
  // opens its own pair.
  std::map<std::string, ParentDirs> dirs;
  // Whatever was open at or below `target` is covered once it is mounted on.
  // (Keys at or below it share its text as a prefix, and sort together from it.)
  auto forget_at_or_below = [&dirs](const std::string& target) {
    for (auto it = dirs.lower_bound(target);
         it != dirs.end() && it->first.compare(0, target.size(), target) == 0;)
      it = paths_within(it->first, target) ? dirs.erase(it) : std::next(it);
  };
  UniqueFd empty_bind;  // the empty file's read-only bind, opened at the first mask

  // 6. Pins, protected paths, masks, in plan order.
  for (const auto& m : plan.mounts) {
    const char* target = m.target.c_str();
    if (m.kind != MountKind::BindReadOnly && m.kind != MountKind::MaskFile) dirs.clear();
    switch (m.kind) {
      // Protected paths and pins never follow a final symlink: the planner refused
      // symlinks, so one here was swapped in since; mounting its target would leave
      // the link itself replaceable. Fail closed instead.
      case MountKind::Pin: {
        // Without a detached copy (outside every writable root, where the host's flags
        // are kept, or in a root with few paths), nosuid, nodev are set on the clone itself.
        const Clone* copy = innermost_copy(pin_sources, m.target);
        UniqueFd fd = clone_protected(copy, m.target);
        if (!fd.valid()) return rep.fail("pin", "open_tree", target);
        if (!copy && !set_attr(fd.get(), sys::kMountAttrNosuid | sys::kMountAttrNodev, true))
          return rep.fail("pin", "mount_setattr", target);
        if (!attach(fd, m.target)) return rep.fail("pin", "move_mount", target);
        break;
      }
      case MountKind::BindReadOnly: {
        const Clone* copy = innermost_copy(ro_sources, m.target);
        forget_at_or_below(m.target);
        if (!copy) {
          if (!attach_read_only(clone_protected(copy, m.target), m.target, true, rep, "protect"))
            return false;
          break;
        }
        const size_t slash = m.target.rfind('/');
        const std::string parent = m.target.substr(0, slash);
        const char* name = target + slash + 1;
        auto at = dirs.find(parent);
        if (at == dirs.end() || at->second.copy != copy) {
          if (dirs.size() >= kMaxParentDirs) dirs.clear();
          ParentDirs d{copy, UniqueFd(::open(parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)), {}};
          if (!d.live.valid()) return rep.fail("protect", "open(O_PATH)", parent.c_str());
          const std::string rel =
              parent.size() > copy->target.size() ? parent.substr(copy->target.size() + 1) : ".";
          d.detached.reset(::openat(copy->fd.get(), rel.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
          if (!d.detached.valid()) return rep.fail("protect", "openat(O_PATH)", parent.c_str());
          at = dirs.insert_or_assign(parent, std::move(d)).first;
        }
        UniqueFd fd(sys::open_tree(
            at->second.detached.get(), name,
            sys::kOpenTreeClone | sys::kOpenTreeCloexec | sys::kAtRecursive | sys::kAtSymlinkNofollow));
        if (!fd.valid()) return rep.fail("protect", "open_tree", target);
        if (sys::move_mount(fd.get(), "", at->second.live.get(), name, sys::kMoveMountFEmptyPath) != 0)
          return rep.fail("protect", "move_mount", target);
        break;
      }
      case MountKind::MaskDir:
        if (!mask_dir(m, rep)) return false;
        break;
      case MountKind::MaskFile: {
        // A clone of the read-only empty file's own bind (setup_dev), taken from its
        // descriptor (no walk to it): its flags come along. Attached by name in its
        // directory, which masks in one directory share (thousands of --deny-read paths).
        forget_at_or_below(m.target);
        if (!empty_bind.valid()) {
          empty_bind.reset(::open(kEmptyFile, O_PATH | O_NOFOLLOW | O_CLOEXEC));
          if (!empty_bind.valid()) return rep.fail("deny-read", "open(O_PATH)", kEmptyFile);
        }
        UniqueFd fd(sys::open_tree(empty_bind.get(), "",
                                   sys::kOpenTreeClone | sys::kOpenTreeCloexec | sys::kAtEmptyPath));
        if (!fd.valid()) return rep.fail("deny-read", "open_tree", kEmptyFile);
        const size_t slash = m.target.rfind('/');
        const std::string parent = slash == 0 ? "/" : m.target.substr(0, slash);
        auto at = dirs.find(parent);
        if (at == dirs.end()) {
          if (dirs.size() >= kMaxParentDirs) dirs.clear();
          ParentDirs d{nullptr, UniqueFd(::open(parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)), {}};
          if (!d.live.valid()) {
            if (errno == ENOENT) break;  // vanished since planning: nothing left to hide
            return rep.fail("deny-read", "open(O_PATH)", parent.c_str());
          }
          at = dirs.insert_or_assign(parent, std::move(d)).first;
        }
        if (sys::move_mount(fd.get(), "", at->second.live.get(), target + slash + 1,
                            sys::kMoveMountFEmptyPath) != 0) {
          if (errno == ENOENT) break;  // vanished since planning: nothing left to hide
          return rep.fail("deny-read", "move_mount", target);
        }
        break;
      }
      case MountKind::FilteredFile:
        if (!filtered_copy(m, static_cast<size_t>(&m - plan.mounts.data()), rep)) return false;
        break;
      case MountKind::EmptyWritableDir:
        if (::mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=0700") != 0) {
          if (errno == ENOENT) break;
          return rep.fail("deny-ipc", "mount(tmpfs)", target);
        }
        break;
      default:
        break;
    }
  }

  // 7. /proc for the new pid namespace; its kernel-settings entries read-only (bound
  //    onto themselves, never following a link); /dev frozen; cwd re-resolved.
  if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    return rep.fail("proc", "mount(proc)", "/proc");
  for (const auto& m : plan.mounts) {
    if (m.kind != MountKind::ProcReadOnly) continue;
    UniqueFd fd = clone_tree(m.target.c_str(), true, /*nofollow=*/true);
    if (!fd.valid() && errno == ENOENT) continue;  // not built into this kernel: nothing to write
    if (!attach_read_only(fd, m.target, true, rep, "proc")) return false;
  }
  {
    sys::MountAttr attr{sys::kMountAttrRdonly, 0, 0, 0};
    if (sys::mount_setattr(AT_FDCWD, "/dev", 0, &attr) != 0)
      return rep.fail("dev", "mount_setattr(RDONLY)", "/dev");
  }
  if (::chdir(cwd.c_str()) != 0) return rep.fail("chdir", "chdir", cwd.c_str());
  return true;
}

}  // namespace cordon::linux_mounts
