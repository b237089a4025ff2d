// bench/timer.cpp: interleaved wall-clock timing of commands, for bench/run.sh.
//
//   timer --runs N --warmup N --json OUT.json --csv OUT.csv [--timeout SEC] SPEC
//
// SPEC holds NUL-terminated fields: for each command its name, its argv, then an empty field.
// A command named "@prepare" is not timed; it runs before every timed command (make clean).
//
// Why not a tool that runs each command's samples back to back (hyperfine): on a shared machine
// the load changes over a run, and then it lands on whichever command happened to be running.
// Here every round runs each command once, starting one later each round, so a busy phase
// slows all commands alike and their differences stay meaningful.
//
// The output mirrors hyperfine's export: per command mean, stddev, median, min, max (seconds),
// mean user and system CPU time of the command's process tree, and every sample. Commands run
// with stdin and stdout on /dev/null. A run that exits non-zero is not timed; it is counted,
// and its stderr kept, under "failures"; more than --max-failures per command (default 0), or
// a run that outlives --timeout, stops the whole measurement (exit 2) with the reason.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

extern char** environ;

namespace {

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "timer: %s\n", message.c_str());
  std::exit(2);
}

[[noreturn]] void die_errno(const char* call, const std::string& argument, int err) {
  die(std::string(call) + "(" + argument + "): " + std::strerror(err));
}

class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

struct Command {
  std::string name;
  std::vector<std::string> argv;
  std::vector<double> wall, user, system;
  int failures = 0;
  std::string first_failure;
};

struct Sample {
  double wall, user, system;
  std::string failure;  // empty when the command exited 0
};

// The commands' stderr, kept in memory so a failure can be reported with its message.
int stderr_fd() {
  static const int fd = [] {
    int f = ::memfd_create("timer-stderr", MFD_CLOEXEC);
    if (f < 0) die_errno("memfd_create", "timer-stderr", errno);
    return f;
  }();
  return fd;
}

std::string stderr_text() {
  char buf[400] = {};
  ssize_t n = ::pread(stderr_fd(), buf, sizeof buf - 1, 0);
  std::string text(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

double monotonic_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
}

Sample run_once(const Command& c, int timeout_seconds) {
  std::vector<char*> argv;
  for (const auto& a : c.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  for (int fd : {0, 1})
    ::posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, stderr_fd(), 2);
  if (::ftruncate(stderr_fd(), 0) != 0) die_errno("ftruncate", "timer-stderr", errno);
  ::lseek(stderr_fd(), 0, SEEK_SET);

  const double start = monotonic_seconds();
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) die_errno("posix_spawnp", c.argv[0], rc);

  // Bounded wait: a pidfd becomes readable when the process exits.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd.get() < 0) die_errno("pidfd_open", c.name, errno);
  pollfd p{pidfd.get(), POLLIN, 0};
  int ready = 0;
  do ready = ::poll(&p, 1, timeout_seconds * 1000);
  while (ready < 0 && errno == EINTR);
  if (ready == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    die(c.name + ": still running after " + std::to_string(timeout_seconds) + " s (--timeout)");
  }
  int status = 0;
  rusage usage{};
  if (::wait4(pid, &status, 0, &usage) != pid) die_errno("wait4", c.name, errno);
  const double wall = monotonic_seconds() - start;
  std::string failure;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    failure = (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                 : "killed by signal " + std::to_string(WTERMSIG(status))) +
              ": " + stderr_text();
  return {wall, seconds(usage.ru_utime), seconds(usage.ru_stime), failure};
}

std::vector<Command> read_spec(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) die_errno("open", path, errno);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Command> out;
  std::optional<Command> current;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\0', pos);
    if (end == std::string::npos) die(path + ": the last field is not NUL-terminated");
    std::string field = text.substr(pos, end - pos);
    pos = end + 1;
    if (!current) {
      if (field.empty()) die(path + ": empty command name");
      if (field.find_first_of(",\"\\") != std::string::npos)
        die(path + ": command name '" + field +
            "' has a comma, quote or backslash (it goes into CSV and JSON)");
      current = Command{field, {}, {}, {}, {}, 0, {}};
    } else if (field.empty()) {
      if (current->argv.empty()) die(path + ": command '" + current->name + "' has no argv");
      out.push_back(std::move(*current));
      current.reset();
    } else {
      current->argv.push_back(field);
    }
  }
  if (current) die(path + ": command '" + current->name + "' is not terminated by an empty field");
  return out;
}

double mean_of(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

struct Stats {
  double mean, stddev, median, min, max;
};

Stats stats_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  const double mean = mean_of(v);
  double squares = 0;
  for (double x : v) squares += (x - mean) * (x - mean);
  const double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return {mean, n > 1 ? std::sqrt(squares / static_cast<double>(n - 1)) : 0, median, v.front(), v.back()};
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) < 0x20) continue;
    out += ch;
  }
  return out + "\"";
}

std::string number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", x);
  return buf;
}

void write_outputs(const std::vector<Command>& commands, int runs, int warmup, const std::string& json_path,
                   const std::string& csv_path) {
  std::ofstream json(json_path), csv(csv_path);
  if (!json) die_errno("open", json_path, errno);
  if (!csv) die_errno("open", csv_path, errno);
  csv << "command,mean,stddev,median,user,system,min,max,failures\n";
  json << "{\"interleaved\": true, \"runs\": " << runs << ", \"warmup\": " << warmup << ", \"results\": [";
  bool first = true;
  for (const auto& c : commands) {
    const Stats s = stats_of(c.wall);
    csv << c.name << ',' << number(s.mean) << ',' << number(s.stddev) << ',' << number(s.median) << ','
        << number(mean_of(c.user)) << ',' << number(mean_of(c.system)) << ',' << number(s.min) << ','
        << number(s.max) << ',' << c.failures << '\n';
    json << (first ? "\n" : ",\n") << "{\"command\": " << json_string(c.name)
         << ", \"mean\": " << number(s.mean) << ", \"stddev\": " << number(s.stddev)
         << ", \"median\": " << number(s.median) << ", \"user\": " << number(mean_of(c.user))
         << ", \"system\": " << number(mean_of(c.system)) << ", \"min\": " << number(s.min)
         << ", \"max\": " << number(s.max) << ", \"failures\": " << c.failures
         << ", \"first_failure\": " << json_string(c.first_failure) << ", \"times\": [";
    for (size_t i = 0; i < c.wall.size(); ++i) json << (i ? ", " : "") << number(c.wall[i]);
    json << "]}";
    first = false;
  }
  json << "]}\n";
  // Human-readable lines for the log.
  for (const auto& c : commands) {
    const Stats s = stats_of(c.wall);
    const bool long_run = s.mean >= 1;
    const double scale = long_run ? 1 : 1000;
    std::printf("  %-22s %9.3f %s ± %8.3f   median %9.3f   min %9.3f   max %9.3f   (%zu runs)\n",
                c.name.c_str(), s.mean * scale, long_run ? "s " : "ms", s.stddev * scale, s.median * scale,
                s.min * scale, s.max * scale, c.wall.size());
    if (c.failures)
      std::printf("  %-22s %d failed run(s), not timed; first: %s\n", "", c.failures,
                  c.first_failure.c_str());
  }
}

int parse_count(const char* flag, const char* text, int max) {
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || v < 0 || v > max)
    die(std::string(flag) + ": expected 0.." + std::to_string(max));
  return static_cast<int>(v);
}

}  // namespace

constexpr const char* kUsage =
    "usage: timer --runs N --warmup N --json FILE --csv FILE [--timeout SEC] [--max-failures N] SPEC";

int main(int argc, char** argv) {
  int runs = 10, warmup = 0, timeout_seconds = 900, max_failures = 0;
  std::string json_path, csv_path, spec_path;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) die(a + ": missing value");
      return argv[++i];
    };
    if (a == "--runs")
      runs = parse_count("--runs", value(), 1000000);
    else if (a == "--warmup")
      warmup = parse_count("--warmup", value(), 1000000);
    else if (a == "--timeout")
      timeout_seconds = parse_count("--timeout", value(), 86400);
    else if (a == "--max-failures")
      max_failures = parse_count("--max-failures", value(), 1000000);
    else if (a == "--json")
      json_path = value();
    else if (a == "--csv")
      csv_path = value();
    else if (!a.empty() && a[0] != '-' && spec_path.empty())
      spec_path = a;
    else
      die(kUsage);
  }
  if (runs < 1 || json_path.empty() || csv_path.empty() || spec_path.empty()) die(kUsage);

  std::vector<Command> commands = read_spec(spec_path);
  std::optional<Command> prepare;
  auto it =
      std::find_if(commands.begin(), commands.end(), [](const Command& c) { return c.name == "@prepare"; });
  if (it != commands.end()) {
    prepare = std::move(*it);
    commands.erase(it);
  }
  if (commands.empty()) die(spec_path + ": no commands");

  const bool show_progress = ::isatty(STDERR_FILENO);
  const int rounds = warmup + runs;
  for (int round = 0; round < rounds; ++round) {
    for (size_t k = 0; k < commands.size(); ++k) {
      Command& c = commands[(k + static_cast<size_t>(round)) % commands.size()];
      if (prepare) {
        const Sample p = run_once(*prepare, timeout_seconds);
        if (!p.failure.empty()) die(prepare->name + ": " + p.failure);
      }
      const Sample s = run_once(c, timeout_seconds);
      if (!s.failure.empty()) {
        if (c.failures++ == 0) c.first_failure = s.failure;
        if (c.failures > max_failures) die(c.name + ": " + s.failure);
        continue;
      }
      if (round < warmup) continue;
      c.wall.push_back(s.wall);
      c.user.push_back(s.user);
      c.system.push_back(s.system);
    }
    if (show_progress)
      std::fprintf(stderr, "\r  round %d/%d%s", round + 1, rounds,
                   round < warmup ? " (warmup)" : "         ");
  }
  if (show_progress) std::fprintf(stderr, "\r%40s\r", "");
  write_outputs(commands, runs, warmup, json_path, csv_path);
  return 0;
}
