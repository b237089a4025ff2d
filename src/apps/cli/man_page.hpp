// cordon: the manual page cordon(1), generated from the same CLI11 option table as
// --help, so the two cannot disagree. `cordon --help-man` (hidden) prints it; the build
// runs that to make cordon.1.gz for `make install` and the Debian package.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace cordon::cli {

// roff (man(7) macros) for the whole command: every subcommand and option of `app`.
[[nodiscard]] std::string man_page(const CLI::App& app, const std::string& version);

}  // namespace cordon::cli
