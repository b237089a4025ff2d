#!/usr/bin/env bash
# Quick start: install dependencies, build cordon, and run one sandboxed command in a
# scratch workspace. The command writes inside the workspace (allowed) and tries to
# write to your home directory and read ~/.ssh (both denied by the kernel).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --core
cmake --preset default -DCORDON_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target cordon >/dev/null
ws=$(mktemp -d "${TMPDIR:-/var/tmp}/cordon-demo-XXXXXX")
trap 'rm -rf "$ws"' EXIT
cd "$ws"
echo "\$ cordon run -- sh -c '...'   (workspace: $ws)"
set +e
"$OLDPWD/build/cordon" run -- sh -c '
  echo "hello from the sandbox" > hello.txt && echo "write in workspace: ok"
  echo x > "$HOME/cordon-was-here" 2>/dev/null && echo "write to \$HOME: ALLOWED (unexpected)" || echo "write to \$HOME: denied"
  ls "$HOME/.ssh" >/dev/null 2>&1 && echo "read ~/.ssh: ALLOWED (unexpected)" || echo "read ~/.ssh: denied"
  echo evil > .claude 2>/dev/null && echo "write .claude: ALLOWED (unexpected)" || echo "write .claude: denied"
'
rc=$?
set -e
echo "exit code: $rc; hello.txt: $(cat hello.txt)"
[ ! -e "$HOME/cordon-was-here" ] || { echo "quickstart: the sandbox wrote to \$HOME" >&2; exit 1; }
echo "See what was enforced: $OLDPWD/build/cordon explain -- true ; host report: $OLDPWD/build/cordon check"
exit "$rc"
