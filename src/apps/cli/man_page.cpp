#include "apps/cli/man_page.hpp"

#include <CLI/CLI.hpp>
#include <string_view>

namespace cordon::cli {
namespace {

// Text as roff shows it: backslashes and hyphens escaped, no line read as a request.
std::string roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\')
      out += "\\e";
    else if (c == '-')
      out += "\\-";
    else
      out += c;
    line_start = c == '\n';
  }
  return out;
}

std::string strip_prefix(std::string text, std::string_view prefix) {
  if (text.rfind(prefix, 0) == 0) text.erase(0, prefix.size());
  return text;
}

// "--mode TEXT" (bold name, italic value), or a flag's bare name.
std::string option_term(const CLI::Option& o) {
  std::string names = o.get_name(false, true);  // "-h,--help"
  for (size_t at = names.find(','); at != std::string::npos; at = names.find(',', at + 2))
    names.insert(at + 1, " ");
  std::string term = "\\fB" + roff(names) + "\\fR";
  if (o.get_expected_min() != 0 && !o.get_type_name().empty())
    term += " \\fI" + roff(o.get_type_name()) + "\\fR";
  return term;
}

// `with_help`: -h, --help is listed once, for cordon itself.
void options_of(const CLI::App& app, std::string& out, bool with_help) {
  for (const CLI::Option* o : app.get_options()) {
    if (o->get_positional() || (!with_help && o == app.get_help_ptr())) continue;
    out += ".TP\n" + option_term(*o) + "\n" + roff(o->get_description()) + "\n";
  }
}

std::string synopsis_of(const CLI::App& sub) {
  std::string s = ".B cordon " + roff(sub.get_name()) + "\n[\\fIOPTIONS\\fR]";
  for (const CLI::Option* o : sub.get_options())
    if (o->get_positional()) s += " \\fB\\-\\-\\fR \\fICOMMAND\\fR [\\fIARGS\\fR...]";
  if (sub.get_prefix_command()) s += " [\\fIARGS\\fR...]";
  return s + "\n.br\n";
}

}  // namespace

std::string man_page(const CLI::App& app, const std::string& version) {
  const auto subs = app.get_subcommands([](const CLI::App*) { return true; });
  std::string out = ".TH CORDON 1 \"\" \"" + roff(version) + "\" \"User Commands\"\n";
  out += ".SH NAME\ncordon \\- " + roff(strip_prefix(app.get_description(), "cordon: ")) + "\n";
  out += ".SH SYNOPSIS\n";
  for (const CLI::App* sub : subs) out += synopsis_of(*sub);
  out +=
      ".SH DESCRIPTION\n"
      "cordon runs the commands a coding agent chose on the real machine, in the real workspace, while "
      "the kernel confines the whole process tree: writes only in the workspace and the roots you name, "
      "secrets unreadable, network off unless allowed, nothing outliving the command. When it cannot "
      "enforce a guarantee on this host it says which and refuses to run unless "
      "\\fB\\-\\-best\\-effort\\fR is given.\n";
  if (!app.get_footer().empty()) out += ".PP\n" + roff(app.get_footer()) + "\n";
  out += ".SH OPTIONS\n";
  options_of(app, out, true);
  out += ".SH COMMANDS\n";
  for (const CLI::App* sub : subs) {
    out += ".SS \"cordon " + roff(sub->get_name()) + "\"\n" + roff(sub->get_description()) + "\n";
    options_of(*sub, out, false);
  }
  out +=
      ".SH EXIT STATUS\n"
      "The command's own exit code; 128+N when it was killed by signal N; 124 on \\fB\\-\\-timeout\\fR; "
      "127 when the command was not found; 125 when the sandbox could not be set up (the command did not "
      "run; the message names the failed call and the fix); 2 for a usage or configuration error.\n";
  out +=
      ".SH FILES\n.TP\n\\fI~/.config/cordon/config.toml\\fR\nthe user's configuration "
      "(\\fB$XDG_CONFIG_HOME/cordon/config.toml\\fR when set)\n"
      ".TP\n\\fIWORKSPACE/.cordon/config.toml\\fR\nthe project's configuration (it can only narrow)\n"
      ".TP\n\\fI~/.local/state/cordon\\fR\ncordon's state (\\fB$XDG_STATE_HOME/cordon\\fR when set): each "
      "workspace's private /tmp, kept between runs; \\fBcordon gc\\fR removes those of deleted workspaces "
      "and of workspaces with no run for 30 days (\\fB\\-\\-older\\-than\\fR), never one in use\n";
  out +=
      ".SH SEE ALSO\n\\fBbwrap\\fR(1), \\fBlandlock\\fR(7), \\fBseccomp\\fR(2); the policy reference, "
      "architecture and agent integration notes in \\fIshare/doc/cordon\\fR under the installation prefix "
      "(\\fI/usr/share/doc/cordon\\fR from the Debian package).\n";
  return out;
}

}  // namespace cordon::cli
