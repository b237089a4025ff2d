// cordon: the mount-namespace applier (child side, after clone()).
//
// Order (each step named in failures):
//   1. make every mount private (nothing propagates back to the host); with --review,
//      the workspace's overlay (mount_review_overlay())
//   2. clone the writable roots, /tmp's source and the device nodes while the
//      tree is still as the host has it, and two detached copies of each writable
//      root: nosuid+nodev (pins are cloned from it) and read-only as well
//      (protected paths): a clone inherits its source's flags
//   3. re-mount the whole tree read-only, nosuid, nodev (mount_setattr AT_RECURSIVE)
//   4. minimal /dev (tmpfs + device binds + new devpts + /dev/shm), and the empty
//      file masks are cloned from, bound read-only onto itself
//   5. writable roots and /tmp moved back in, outermost first
//   6. pins, read-only binds of protected paths, masks of secrets and host IPC:
//      a clone and an attach each (open_tree, move_mount), no per-path flag change;
//      protected paths and file masks attached by name under their directory, opened once
//   7. fresh /proc for the new pid namespace, its kernel settings (/proc/sys,
//      sysrq-trigger, irq, bus, fs) bound read-only; /dev read-only; chdir(cwd)
#pragma once

#include <string>

#include "plan/linux_planner.hpp"
#include "platform/linux/child_report.hpp"

namespace cordon::linux_mounts {

// Returns false after reporting the failed step through `rep`.
bool apply(const LinuxPlan& plan, const std::string& cwd, const ChildReporter& rep);

}  // namespace cordon::linux_mounts
