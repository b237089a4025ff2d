#!/usr/bin/env bash
# Lint: clang-format over the whole tree, clang-tidy over the portable core and the
# Linux planner (the code every platform shares). Needs a configured build/ for
# compile_commands.json (scripts/test.sh configures it first).
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.cpp' '*.hpp' | grep -v '^build')
echo "clang-format: $(echo "$files" | wc -l) files"
clang-format --dry-run --Werror $files
tidy=$(git ls-files 'src/core/*.cpp' 'src/plan/*.cpp')
echo "clang-tidy: $(echo "$tidy" | wc -w) files"
clang-tidy -p build --quiet $tidy
