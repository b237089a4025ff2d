// The attack pass on what the second session landed (asked reads of --deny-read files,
// the --policy/--config refusal, MCP questions), as a command that wants more than it was
// given. Each test runs a real sandboxed child and checks the effect from outside; every
// wait is bounded.
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "e2e/harness.hpp"

namespace {

using namespace cordon_test;

// Shmem in /proc/meminfo, in KiB (memfds are shared memory); -1 when unknown.
long shmem_kib() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  long value = 0;
  std::string unit;
  while (in >> key >> value) {
    if (key == "Shmem:") return value;
    std::getline(in, unit);
  }
  return -1;
}

std::string learn_unavailable(const Sandbox& box) {
  OutsideDir kept;  // what --learn writes: outside the writable roots
  Outcome o = cordon_sh(box.ws.path(), "true", {"--learn", kept / "probe.toml"}, "", box.env());
  return o.code == 0 ? std::string() : "cordon run --learn cannot work here: " + o.err;
}

// A granted read installs a copy of the file made in cordon's memory, outside the sandbox
// (and its memory limit). A command granted a file for the run that opens it again and
// again, holding every descriptor, must not make cordon hold a copy per open: 48 opens of
// a 16 MiB file were 768 MiB of the host's memory.
TEST(Attack2, ReopeningAGrantedReadDoesNotCopyItAgain) {
  OutsideDir kept;
  Sandbox box;
  if (auto why = learn_unavailable(box); !why.empty()) GTEST_SKIP() << why;
  if (!have_tool("bash")) GTEST_SKIP() << "no bash to hold many descriptors";
  const std::string home = box.home.path();
  const std::string big = home + "/big.bin";
  {
    std::string chunk(1 << 20, 'x');
    std::ofstream out(big, std::ios::binary);
    out << "BIGFILE-HEADER";
    for (int i = 0; i < 16; ++i) out << chunk;
  }
  write_file(box.ws / "hold.sh",
             "F=\"$HOME/big.bin\"; i=0\n"
             "while [ $i -lt 48 ]; do exec {fd}<\"$F\" || exit 3; i=$((i+1)); done\n"
             "head -c 14 <&$fd > got; echo >> got\n"
             "touch ready; n=0\n"
             "while [ ! -e go ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done\n");
  const long before = shmem_kib();
  if (before < 0) GTEST_SKIP() << "no Shmem line in /proc/meminfo";
  std::vector<std::string> argv = {cordon_binary(), "run", "--no-config", "--learn", kept / "l.toml",
                                   "--deny-read",   big,   "--",          "bash",    "hold.sh"};
  const pid_t pid = spawn_detached(argv, box.ws.path(), box.env());
  ASSERT_GT(pid, 0);
  const bool ready = wait_for_file(box.ws / "ready", 60000);
  const long during = shmem_kib();
  write_file(box.ws / "go", "");
  int status = 0;
  for (int i = 0; i < 600 && ::waitpid(pid, &status, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (::waitpid(pid, &status, WNOHANG) == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    ADD_FAILURE() << "cordon did not end";
  }
  ASSERT_TRUE(ready) << "the command never held its descriptors";
  EXPECT_EQ(read_file(box.ws / "got"), "BIGFILE-HEADER\n");  // the grant works
  // One copy is 16 MiB; a copy per open, 768 MiB. Other processes' shared memory moves
  // the figure a little, never by hundreds of MiB.
  EXPECT_LT(during - before, 256L * 1024) << "Shmem grew by " << (during - before) / 1024 << " MiB";
}

}  // namespace
