// cordon: the Linux planner. Pure: Policy + probed host + filesystem answers ->
// the exact list of mounts, Landlock rules and seccomp rules, plus the report of
// what is enforced by which mechanism.
//
//   LinuxPlan plan = plan_linux(policy, caps, fs, inputs).value();
//   // platform/linux/launcher.cpp applies it in one fixed order.
//
// Two shapes:
//  - Namespaces (primary): user+mount+pid+ipc(+net) namespaces; the root re-bound
//    read-only; writable roots bound back read-write; protected paths bound read-only
//    (missing ones get a placeholder so they cannot be created); secrets masked;
//    fresh /proc and minimal /dev; Landlock as a second layer; seccomp last.
//  - LandlockOnly (no user namespaces): Landlock confines writes and reads, seccomp
//    the rest. Carve-outs inside writable roots are impossible there, so the plan
//    refuses unless the policy says best_effort.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/policy.hpp"
#include "plan/fs_probe.hpp"
#include "plan/git_hooks_path.hpp"
#include "plan/host_caps.hpp"
#include "plan/limits_plan.hpp"
#include "plan/net_plan.hpp"
#include "plan/report.hpp"

namespace cordon {

enum class LinuxSandbox { Namespaces, LandlockOnly, None };

enum class MountKind {
  BindWritable,         // clone the host tree before the root goes read-only, move it back
  BindVisibleReadOnly,  // same, read-only: a read-only workspace under /tmp stays visible
  Pin,                  // self-bind (read-write): the directory cannot be renamed or removed
  BindReadOnly,         // protected path: read-only bind of itself
  MaskDir,              // empty read-only tmpfs over a denied directory
  MaskFile,             // empty read-only file over a denied file
  EmptyWritableDir,     // empty private tmpfs (XDG runtime dir: keeps tools working, hides host IPC)
  Tmp,                  // /tmp: source is the private dir, "host", or "" for an empty read-only /tmp
  ProcReadOnly,         // after the fresh /proc: read-only self-bind of a kernel-settings entry
  FilteredFile,         // a masked file shown as `text` (its settings without the secrets), read-only
};

struct MountStep {
  MountKind kind;
  std::string target;
  std::string source;  // BindWritable of /tmp: the host directory
  std::string reason;
  // MaskDir: --allow-read exceptions below the masked directory, bound back read-only.
  std::vector<std::string> reexpose = {};
  // FilteredFile: what the command reads there (core/secret_filter.hpp).
  std::string text = {};
};

// A protected path that does not exist yet: cordon creates an empty one on the host
// before the run (and removes it after, if still empty) so a read-only bind can sit
// on it and the sandbox cannot create it.
struct Placeholder {
  std::string path;
  bool directory = true;
};

// A protected path that does not exist: with seccomp in the namespace mode, cordon's
// creation broker refuses to make it (platform/linux/create_broker.hpp), and nothing
// is put in the user's directory for it. Without seccomp, a Placeholder instead.
struct RefusedCreation {
  std::string path;
  std::string reason;
};

struct LandlockRule {
  std::string path;
  uint64_t access = 0;
};

// A TCP port rule (ABI >= 4). Landlock names ports only, never addresses.
struct LandlockPortRule {
  uint16_t port = 0;
  uint64_t access = 0;  // landlock::kNetConnectTcp, kNetBindTcp
};

struct LandlockPlan {
  int abi = 0;
  uint64_t handled_fs = 0;
  uint64_t handled_net = 0;
  uint64_t scoped = 0;
  std::vector<LandlockRule> rules;
  std::vector<LandlockPortRule> ports;
  bool enabled() const { return abi > 0; }
};

enum class ArgCheck { None, MaskedEq, NotEq, Eq, Gt };

// One comparison on a system call argument (a register: BPF cannot follow pointers).
struct SeccompArg {
  ArgCheck check = ArgCheck::None;
  unsigned arg = 0;
  uint64_t mask = 0;
  uint64_t value = 0;
};

struct SeccompRule {
  std::string syscall;
  int errno_value = 1;  // EPERM
  ArgCheck check = ArgCheck::None;
  unsigned arg = 0;
  uint64_t mask = 0;
  uint64_t value = 0;
  std::string reason;
  SeccompArg also = {};  // a second comparison that must hold too (None: no second one)
};

// The reason recorded for cordon's own state and config dirs and its binaries (denial
// reports match it).
inline constexpr const char* kOwnPathReason = "cordon's own state, config and binaries";
// The start of the reason recorded for the user's startup files under a writable home.
inline constexpr const char* kHomeEntryReason = "read outside later: ";
// The reason recorded for a directory pinned because a protected path lies below it.
inline constexpr const char* kPinAboveProtectedReason = "a protected path lies below it";

// Everything the planner needs from the host besides its capabilities and the file
// system: gathered before planning, so the plan is final when it leaves plan_linux().
struct LinuxPlanInputs {
  std::string private_tmp;  // host directory backing the private /tmp
  std::string home;
  // cordon's own state and config directories and binaries: protected inside any
  // writable root.
  std::vector<std::string> own_paths = {};
  // cordon's per-user state directory (platform/linux/state.hpp): every workspace's
  // private /tmp, the locks and the placeholder ledgers. Hidden inside the sandbox,
  // except this run's own private /tmp. "" when there is none (tests).
  std::string state_root = {};
  HostProxyPorts host_proxy = {};  // used only when the plan puts the proxy on the host
  // $XDG_CONFIG_HOME when set and absolute: the home entries under ~/.config are read
  // from there instead (git, fish, systemd), and protected there too.
  std::string xdg_config_home = {};
  // GIT_CONFIG_GLOBAL, GIT_CONFIG_SYSTEM and GIT_CONFIG_NOSYSTEM of the caller's
  // environment: git run outside after the run reads the files they name.
  git_hooks::ConfigEnv git_config_env = {};
  // Masked files that also hold settings (core/secret_filter.hpp), read and filtered on the
  // host: with a mount namespace the command sees `text` there instead of an empty file.
  struct FilteredSecret {
    std::string path;  // absolute, a regular file (not a link) when it was read
    std::string text;
    std::vector<std::string> removed;
    bool operator==(const FilteredSecret&) const = default;
  };
  std::vector<FilteredSecret> filtered_secrets = {};
  // `cordon run --review` (docs/review.md): the change set's upper and work directories,
  // on the host, in cordon's state. Empty: no review.
  std::string review_upper = {};
  std::string review_work = {};
  // `--review-all`: the other writable roots staged too, each with its own upper and work
  // directories in the change set. Each `root` must be one of the policy's writable roots.
  struct ReviewRoot {
    std::string root, upper, work;
    bool operator==(const ReviewRoot&) const = default;
  };
  std::vector<ReviewRoot> review_roots = {};
  // cordon run --ask (not --learn): the longest a question waits for its answer, in
  // seconds; 0: no questions. The sandbox's name server asks about names that are not
  // allowed, and the resolver inside must wait for it (resolv_conf_for_asking()).
  int ask_timeout_seconds = 0;
  // Compared by cordon mcp: a plan is made again when any input differs.
  bool operator==(const LinuxPlanInputs&) const = default;
};

// The sandbox's resolv.conf when its name server may ask (the proxy in a namespace, with
// --ask). glibc gives up on a lookup after `timeout` seconds for each of `attempts` sends
// (5 s x 2 by default), long before a user answers; it caps timeout at 30
// (RES_MAXRETRANS) and attempts at 5 (RES_MAXRETRY). The fewest attempts, each at most
// 30 s, that together wait `ask_timeout_seconds` and a margin: at most 150 s.
[[nodiscard]] std::string resolv_conf_for_asking(int ask_timeout_seconds);

// The workspace as an overlay (docs/review.md): the real workspace the lower layer, the
// change set the upper one. Mounted by the sandbox's first process before anything is
// cloned from the workspace (mounts.cpp, mount_review_overlay()).
struct ReviewOverlay {
  std::string target;   // the workspace
  std::string options;  // mount(2) data for "overlay", every path escaped
};

// The overlay's mount data: `\`, `,` and `:` in a path are escaped with a backslash
// (overlay splits options on `,` and layers on `:`).
std::string review_overlay_options(const std::string& lower, const std::string& upper,
                                   const std::string& work);

struct LinuxPlan {
  LinuxSandbox sandbox = LinuxSandbox::Namespaces;
  bool new_netns = true;
  std::vector<MountStep> mounts;  // applied in this order
  std::vector<Placeholder> placeholders;
  std::vector<RefusedCreation> refused_creations;
  // cordon's creation broker makes every name (namespace mode with seccomp and openat2):
  // the absent protected paths above, and the protected names below the top of the
  // workspace and --writable roots, are refused.
  bool creation_broker = false;
  LandlockPlan landlock;
  std::vector<SeccompRule> seccomp;
  NetPlan net;         // proxy ports and forwarded localhost ports (plan/net_plan.hpp)
  LimitsPlan limits;   // which mechanism enforces each resource limit (plan/limits_plan.hpp)
  std::string tmpdir;  // TMPDIR inside the sandbox ("" = leave unset)
  // Writable roots with no .git before the run: a repository created inside the
  // sandbox is inspected when the command ends (hooks and config that run code).
  std::vector<std::string> git_watch;
  // Every git directory that exists in a writable root when the run starts (the roots'
  // own, nested repositories at any depth, linked worktrees' and their common directory,
  // submodules' under modules/): with the creation broker, names in them are made only
  // for git's everyday data (core/git_layout.hpp); after the run, a commondir or
  // config.worktree that appeared in one is renamed away (git_guard.hpp).
  std::vector<std::string> gitdirs;
  // --review: the workspace is an overlay whose writes go to the change set.
  std::optional<ReviewOverlay> review;
  // --review-all: the other writable roots as overlays too, mounted like the workspace's.
  std::vector<ReviewOverlay> review_roots;
  // With the creation broker: `.git` pointer files below the top of a writable root (a
  // linked worktree's, a submodule's checkout). No read-only bind, so that `git worktree
  // remove` and `prune` can delete them: the broker refuses every write to the file itself
  // (its inode, whatever name reaches it), and a `.git` made in its place is recorded and
  // checked after the run (CreateBroker::new_git_pointers, git_guard.hpp).
  std::vector<std::string> guarded_pointers;
  PlanReport report;
};

// Errors: a guarantee the policy requires cannot be met on this host and the
// policy did not ask for best_effort (the message lists each loss and its fix), or
// a protected path is a symlink that cannot be pinned.
[[nodiscard]] Result<LinuxPlan> plan_linux(const Policy& policy, const LinuxHostCaps& caps, const FsProbe& fs,
                                           const LinuxPlanInputs& inputs);

// What plan_linux()'s walk for protected names at depth uses of a typed listing
// (FsProbe::list_typed), for a record of its questions (plan/fs_record.hpp: ListingUse):
// every directory (it descends, or looks for a repository in a tool cache), .git, HEAD
// (a bare repository) and every protected name, whatever their kinds. Every other entry
// it only counts, against kLinuxWalkBudget entries in all.
[[nodiscard]] bool linux_walk_uses(const DirEntry& entry);
inline constexpr size_t kLinuxWalkBudget = 200000;

// Will plan_linux() put the proxy on the host's loopback (NetPlan::on_host)? Then the
// caller binds its listeners first and passes their ports in LinuxPlanInputs::host_proxy.
[[nodiscard]] bool plan_needs_host_proxy_ports(const Policy& policy, const LinuxHostCaps& caps);

// The guarantee table for a host, under a given policy (used by `cordon check`).
PlanReport linux_guarantees(const Policy& policy, const LinuxHostCaps& caps);

}  // namespace cordon
