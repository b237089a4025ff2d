#!/usr/bin/env bash
# End-to-end test of `cordon mcp` with the official MCP TypeScript SDK client (from npm).
# Usage: tests/mcp/run.sh [CORDON_BINARY]   (default: build/cordon)
# Installs the pinned client (package-lock.json) with `npm ci` into a cache directory
# keyed by the lock file, so later runs need no network. Exit 0 passed, 1 failed,
# 77 skipped (node or npm missing, or the install failed), with the reason printed.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cordon="${1:-$here/../../build/cordon}"
cordon="$(cd "$(dirname "$cordon")" && pwd)/$(basename "$cordon")"
skip() { echo "mcp e2e: skipped: $*"; exit 77; }
command -v node >/dev/null || skip "node is not installed"
command -v npm >/dev/null || skip "npm is not installed"
[ -x "$cordon" ] || { echo "mcp e2e: no cordon binary at $cordon"; exit 1; }

key=$(sha256sum "$here/package-lock.json" | cut -c1-16)
cache="${CORDON_MCP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cordon-mcp-e2e}/$key"
if [ ! -d "$cache/node_modules/@modelcontextprotocol/sdk" ]; then
  mkdir -p "$cache"
  cp "$here/package.json" "$here/package-lock.json" "$cache/"
  (cd "$cache" && npm ci --no-audit --no-fund --loglevel=error) || skip "npm ci failed (no registry access?)"
fi
cp "$here/client.mjs" "$here/ask.mjs" "$cache/"
cd "$cache" || exit 1
status=0
timeout 300 node client.mjs "$cordon" || status=1
timeout 300 node ask.mjs "$cordon" || status=1   # cordon mcp --ask (elicitation)
exit $status
