#include "core/policy.hpp"

namespace cordon {

std::string Origin::describe() const {
  if (line > 0) return source + ":" + std::to_string(line);
  return source;
}

std::vector<std::string> Policy::write_roots() const {
  std::vector<std::string> roots;
  if (mode != Mode::WorkspaceWrite) return roots;
  roots.push_back(workspace);
  for (const auto& w : writable)
    if (w != workspace) roots.push_back(w);
  return roots;
}

const char* to_string(Mode m) {
  switch (m) {
    case Mode::ReadOnly:
      return "read-only";
    case Mode::WorkspaceWrite:
      return "workspace-write";
    case Mode::FullAccess:
      return "full-access";
  }
  return "?";
}
const char* to_string(TmpMode m) {
  switch (m) {
    case TmpMode::Private:
      return "private";
    case TmpMode::Host:
      return "host";
    case TmpMode::None:
      return "none";
  }
  return "?";
}
const char* to_string(GitMode m) {
  switch (m) {
    case GitMode::ReadOnly:
      return "read-only";
    case GitMode::ConfigOnly:
      return "config-only";
    case GitMode::Writable:
      return "writable";
  }
  return "?";
}
const char* to_string(NetMode m) {
  switch (m) {
    case NetMode::Off:
      return "off";
    case NetMode::On:
      return "on";
    case NetMode::Proxy:
      return "proxy";
  }
  return "?";
}

const char* to_string(TtyMode m) {
  switch (m) {
    case TtyMode::Auto:
      return "auto";
    case TtyMode::Always:
      return "always";
    case TtyMode::Never:
      return "never";
  }
  return "?";
}

std::optional<Mode> parse_mode(const std::string& s) {
  if (s == "read-only") return Mode::ReadOnly;
  if (s == "workspace-write") return Mode::WorkspaceWrite;
  if (s == "full-access") return Mode::FullAccess;
  return std::nullopt;
}
std::optional<TmpMode> parse_tmp(const std::string& s) {
  if (s == "private") return TmpMode::Private;
  if (s == "host") return TmpMode::Host;
  if (s == "none") return TmpMode::None;
  return std::nullopt;
}
std::optional<TtyMode> parse_tty(const std::string& s) {
  if (s == "auto") return TtyMode::Auto;
  if (s == "always") return TtyMode::Always;
  if (s == "never") return TtyMode::Never;
  return std::nullopt;
}
std::optional<GitMode> parse_git(const std::string& s) {
  if (s == "read-only") return GitMode::ReadOnly;
  if (s == "config-only") return GitMode::ConfigOnly;
  if (s == "writable") return GitMode::Writable;
  return std::nullopt;
}
std::optional<NetMode> parse_net(const std::string& s) {
  if (s == "off") return NetMode::Off;
  if (s == "on") return NetMode::On;
  if (s == "proxy") return NetMode::Proxy;
  return std::nullopt;
}

}  // namespace cordon
