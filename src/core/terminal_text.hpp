// Text that reaches a terminal from data the sandbox controls (file and host names,
// argv, key names) is escaped first, so a command cannot erase, hide or forge cordon's
// own report lines with control sequences or embedded newlines.
#pragma once

#include <string>
#include <string_view>

namespace cordon {

// One printable line: C0 and C1 controls, DEL, bytes that are not valid UTF-8, and the
// Unicode format characters that reorder or hide text (bidirectional overrides and
// isolates, zero-width characters, the line and paragraph separators) become visible
// escapes (\n, \t, \e, \xNN, \u{NNNN}); a backslash becomes "\\" so an escape cannot be
// forged either. Printable text, including other UTF-8, is kept as is.
[[nodiscard]] std::string escape_for_terminal(std::string_view text);

}  // namespace cordon
