#!/usr/bin/env bash
# Quick start: install the build dependencies, build cordon, install it on your PATH
# (/usr/local as root, ~/.local otherwise; PREFIX=DIR chooses), and run one sandboxed
# command in a scratch workspace. The command writes inside the workspace (allowed) and
# tries to write to your home directory and read ~/.ssh (both denied by the kernel).
#   scripts/quickstart.sh               build, install, demo (run it again at any time)
#   scripts/quickstart.sh --uninstall   remove what it installed (same PREFIX rule)
# It builds in build/ with the `quickstart` preset: the same flags as scripts/test.sh's
# `ci` preset without the tests, so either script can run after the other.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then prefix=${PREFIX:-/usr/local}; else prefix=${PREFIX:-$HOME/.local}; fi
installed=("$prefix/bin/cordon" "$prefix/libexec/cordon" "$prefix/share/man/man1/cordon.1.gz"
           "$prefix/share/doc/cordon")

if [ "${1:-}" = --uninstall ]; then
  rm -rf "${installed[@]}"
  echo "quickstart: removed ${installed[*]}"
  exit 0
fi
[ $# -eq 0 ] || { echo "usage: $0 [--uninstall]" >&2; exit 2; }

scripts/install-deps.sh --core
cmake --preset quickstart >/dev/null
cmake --build --preset quickstart -j"$(nproc)" >/dev/null
cmake --install build --prefix "$prefix" --strip >/dev/null
cordon="$prefix/bin/cordon"
echo "installed: $cordon, its sandbox init ($prefix/libexec/cordon/cordon-init), its man page ($prefix/share/man/man1/cordon.1.gz) and docs ($prefix/share/doc/cordon)"
echo "uninstall: ${PREFIX:+PREFIX=$PREFIX }scripts/quickstart.sh --uninstall"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "note: $prefix/bin is not on your PATH; add it:  export PATH=\"$prefix/bin:\$PATH\"" ;;
esac
found=$(command -v cordon || true)
if [ -n "$found" ] && [ "$found" != "$cordon" ]; then
  echo "note: another cordon comes first on your PATH: $found"
fi

ws=$(mktemp -d "${TMPDIR:-/var/tmp}/cordon-demo-XXXXXX")
trap 'rm -rf "$ws"' EXIT
cd "$ws"
echo
echo "\$ cordon run -- sh -c '...'   (workspace: $ws)"
set +e
"$cordon" run -- sh -c '
  echo "hello from the sandbox" > hello.txt && echo "write in workspace: ok"
  echo x > "$HOME/cordon-was-here" 2>/dev/null && echo "write to \$HOME: ALLOWED (unexpected)" || echo "write to \$HOME: denied"
  ls "$HOME/.ssh" >/dev/null 2>&1 && echo "read ~/.ssh: ALLOWED (unexpected)" || echo "read ~/.ssh: denied"
  echo evil > .claude 2>/dev/null && echo "write .claude: ALLOWED (unexpected)" || echo "write .claude: denied"
'
rc=$?
set -e
echo "exit code: $rc; hello.txt: $(cat hello.txt)"
[ ! -e "$HOME/cordon-was-here" ] || { echo "quickstart: the sandbox wrote to \$HOME" >&2; exit 1; }
echo "Next: cordon explain -- true (what is enforced), cordon check (this host), man cordon"
exit "$rc"
