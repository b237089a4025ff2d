#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` CMake preset) and fuzzes the config parser
# for a bounded time. Usage: scripts/fuzz.sh [SECONDS]   (default 60)
# Exits non-zero when the fuzzer finds a crash; the input is saved under build-fuzz/fuzz/.
set -euo pipefail

seconds="${1:-60}"
case "$seconds" in
  '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

cmake --preset fuzz >/dev/null
cmake --build build-fuzz -j "$(nproc 2>/dev/null || echo 2)" --target cordon_config_fuzz

# New inputs go to a scratch corpus so the checked-in seeds stay small.
work="build-fuzz/fuzz/corpus"
mkdir -p "$work"
./build-fuzz/fuzz/cordon_config_fuzz \
  -max_total_time="$seconds" \
  -timeout=10 \
  -max_len=4096 \
  -print_final_stats=1 \
  -dict=fuzz/config.dict \
  -artifact_prefix=build-fuzz/fuzz/ \
  "$work" fuzz/corpus
