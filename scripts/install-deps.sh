#!/usr/bin/env bash
# Installs cordon's build and test dependencies from Debian's packages.
# Needs root (or sudo). Idempotent: only missing packages are installed.
set -euo pipefail

# --core: only what building and running cordon on Linux needs (the quick start).
core=(build-essential cmake pkg-config git python3 make tar util-linux procps
      libseccomp-dev libcli11-dev nlohmann-json3-dev libtomlplusplus-dev)
packages=("${core[@]}")
if [ "${1:-}" != "--core" ]; then
  packages+=(
    strace libgtest-dev libgmock-dev libbenchmark-dev
    clang clang-format clang-tidy libclang-rt-14-dev    # libFuzzer target, lint
    bubblewrap hyperfine                                # bench/ compares against bubblewrap
    man-db                                              # the package test finds and renders cordon(1)
    tmux                                                # a terminal emulator whose screen a test reads
    g++-mingw-w64-x86-64-posix mingw-w64 wine wine64    # Windows cross build + smoke tests
  )
  # The MCP end-to-end test runs the official client on Node.js (any node >= 18 will do).
  command -v node >/dev/null || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
