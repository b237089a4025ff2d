#!/usr/bin/env bash
# The whole test suite (the README's second quick-start command; .ci/run calls it):
#   1. installs missing Debian packages, builds with warnings as errors (the `ci` preset)
#   2. lint, and a self-test of this script's own counting
#   3. each googletest binary (unit, end-to-end sandbox tests) as the current user and,
#      when run as root, the sandbox tests again as an unprivileged user (created if
#      needed: cordon-ci), since real users are not root
#   4. the official MCP SDK client against `cordon mcp`, as both users
#   5. bounded libFuzzer runs (config, JSON-RPC, domains, Windows runner frames, ledger)
#   6. the Windows cross build and its smoke tests under Wine
#   7. the Debian package (cpack): its contents and man page; installed, checked and
#      removed again when CORDON_TEST_INSTALL_PACKAGE=1 (CI's fresh machine, as root)
# Every suite is listed before anything runs; one that is missing, fails to build, crashes
# before writing its results or writes unreadable ones counts as failed, by name, in the
# last line: "tests: N passed, N failed, N skipped[; failed: NAME (why), ...]".
# Add a suite in the block below. For a quicker run while developing:
#   CORDON_TEST_ONLY="unit e2e" GTEST_FILTER='McpServer.*' scripts/test.sh
# (the suites left out are reported as skipped; GTEST_FILTER reaches both users' passes).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root_dir=$(pwd)
. scripts/lib/suites.sh

# ---- The suites: the one place to add one --------------------------------------------
# googletest binaries built in build/tests, as BINARY:NAME; each runs as the current user.
GTEST_SUITES=(cordon_unit_tests:unit cordon_e2e_tests:e2e)
# Of those, the ones run again as the unprivileged user cordon-ci (when this runs as root).
UNPRIVILEGED_SUITES=(cordon_e2e_tests:e2e)
# Helpers from build/tests that the unprivileged pass needs, as FILE:VARIABLE: each is
# staged next to the tests and its path passed in VARIABLE (see tests/e2e/harness.hpp).
STAGED_TOOLS=(no_userns:CORDON_NO_USERNS no_landlock:CORDON_NO_LANDLOCK no_openat2:CORDON_NO_OPENAT2
              unix_probe:CORDON_UNIX_PROBE create_probe:CORDON_CREATE_PROBE hold_listener:CORDON_HOLD_LISTENER)
# libFuzzer targets (fuzz/CMakeLists.txt), as TARGET:NAME:SEEDS[:DICTIONARY].
FUZZERS=(cordon_config_fuzz:config:fuzz/corpus:fuzz/config.dict
         cordon_jsonrpc_fuzz:jsonrpc:fuzz/corpus-jsonrpc
         cordon_domain_fuzz:domain:fuzz/corpus-domain
         cordon_runner_frame_fuzz:runner:fuzz/corpus-runner
         cordon_ledger_fuzz:ledger:fuzz/corpus-ledger
         cordon_git_config_fuzz:git-config:fuzz/corpus-git-config
         cordon_control_fuzz:control:fuzz/corpus-control)
ci_user=cordon-ci
# ----------------------------------------------------------------------------------------

results=$(mktemp -d "${TMPDIR:-/tmp}/cordon-results-XXXXXX")
stage=""
cleanup() { rm -rf "$results"; [ -n "$stage" ] && rm -rf "$stage"; }
trap cleanup EXIT
step() { printf '\n=== %s ===\n' "$*"; }
as_root() { [ "$(id -u)" -eq 0 ]; }
me=$(id -un)

suites_init "$results"
plan build "configure and build with warnings as errors (cmake --preset ci)"
plan lint "clang-format, clang-tidy (scripts/lint.sh)"
plan test-runner "this script's counting (tests/scripts/summary_test.sh)"
for entry in "${GTEST_SUITES[@]}"; do plan "${entry#*:}" "build/tests/${entry%%:*} as $me"; done
for entry in "${UNPRIVILEGED_SUITES[@]}"; do
  plan "${entry#*:}-as-$ci_user" "build/tests/${entry%%:*} as the unprivileged $ci_user"
done
plan mcp-sdk "the official MCP SDK client against cordon mcp (tests/mcp) as $me"
plan "mcp-sdk-as-$ci_user" "the official MCP SDK client as $ci_user"
for entry in "${FUZZERS[@]}"; do IFS=: read -r target name _ <<<"$entry"; plan "fuzz-$name" "$target, bounded"; done
plan windows-smoke "Windows cross build and Wine smoke tests (scripts/windows/smoke.sh)"
plan package "Debian package from cpack: binary, cordon(1), docs"
echo "suites planned:"
sed 's/^/  /; s/\t/: /' "$results/plan"

step "dependencies"
if ! scripts/install-deps.sh; then abandon "dependencies could not be installed"; summarize; exit 1; fi

step "build (warnings as errors)"
if cmake --preset ci >/dev/null && cmake --build --preset ci -j"$(nproc)"; then
  record build 1 0
else
  fail build "the build failed (see above)"
  abandon "not run: the build failed"
  summarize
  exit 1
fi

step "lint (clang-format, clang-tidy)"
if ! want lint; then
  :
elif scripts/lint.sh >"$results/lint.log" 2>&1; then
  record lint 1 0; echo "lint: clean"
else
  record lint 0 1; tail -40 "$results/lint.log"
fi

step "test runner self-test"
want test-runner && counted_suite test-runner "$results/test-runner.log" tests/scripts/summary_test.sh

for entry in "${GTEST_SUITES[@]}"; do
  binary=${entry%%:*} name=${entry#*:}
  want "$name" || continue
  step "$name ($binary) as $me"
  gtest_suite "$name" "$results/$name.json" "./build/tests/$binary" --gtest_brief=1 \
    --gtest_output="json:$results/$name.json"
done

# The build tree may sit under a directory cordon-ci cannot read: stage a copy.
if as_root; then
  id "$ci_user" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$ci_user"
  stage=$(mktemp -d /var/tmp/cordon-stage-XXXXXX)
  cp build/cordon build/cordon-init "$stage/"  # the init's own image, found next to cordon
  tool_env=()
  for entry in "${STAGED_TOOLS[@]}"; do
    cp "build/tests/${entry%%:*}" "$stage/" && tool_env+=("${entry#*:}=$stage/${entry%%:*}")
  done
  cp -r tests/mcp "$stage/mcp"
  chmod 755 "$stage"
  chown -R "$ci_user" "$stage"
fi
as_ci_user() {
  runuser -u "$ci_user" -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="/home/$ci_user" USER="$ci_user" \
    LANG=C.UTF-8 CORDON_BIN="$stage/cordon" "${tool_env[@]}" ${GTEST_FILTER:+GTEST_FILTER="$GTEST_FILTER"} \
    sh -c "cd '$stage' && $1"
}
for entry in "${UNPRIVILEGED_SUITES[@]}"; do
  binary=${entry%%:*} name="${entry#*:}-as-$ci_user"
  if ! as_root; then
    skip "$name" "switching to $ci_user needs root; this run is $me, unprivileged already"
    continue
  fi
  want "$name" || continue
  step "$name ($binary) as the unprivileged $ci_user"
  cp "build/tests/$binary" "$stage/" && chown "$ci_user" "$stage/$binary"
  gtest_suite "$name" "$stage/$name.json" as_ci_user "./$binary --gtest_brief=1 --gtest_output=json:$stage/$name.json"
done

step "MCP end-to-end (official TypeScript SDK client from npm)"
# Exit 77 from tests/mcp/run.sh: skipped, with the reason on its last line.
mcp_suite() {
  local name=$1
  shift
  want "$name" || return 0
  counted_suite "$name" "$results/$name.log" "$@"
  [ "$(cat "$results/$name.rc")" = 77 ] && skip "$name" "$(grep 'skipped:' "$results/$name.log" | tail -1)"
}
mcp_suite mcp-sdk tests/mcp/run.sh "$root_dir/build/cordon"
if as_root; then
  mcp_suite "mcp-sdk-as-$ci_user" as_ci_user "./mcp/run.sh '$stage/cordon'"
else
  skip "mcp-sdk-as-$ci_user" "switching to $ci_user needs root"
fi

step "fuzz the parsers (bounded, ${CORDON_FUZZ_SECONDS:-30} s each)"
fuzz_ready=""
if ! command -v clang++ >/dev/null; then
  fuzz_ready="clang++ is not installed"
elif ! cmake --preset fuzz >"$results/fuzz-configure.log" 2>&1; then
  tail -20 "$results/fuzz-configure.log"
  fuzz_ready=failed
fi
for entry in "${FUZZERS[@]}"; do
  IFS=: read -r target name seeds dict <<<"$entry"
  want "fuzz-$name" || continue
  if [ "$fuzz_ready" = failed ]; then fail "fuzz-$name" "cmake --preset fuzz failed"; continue; fi
  if [ -n "$fuzz_ready" ]; then skip "fuzz-$name" "$fuzz_ready"; continue; fi
  log="$results/fuzz-$name.log"
  work="build-fuzz/fuzz/$name-corpus"
  if cmake --build build-fuzz -j"$(nproc)" --target "$target" >"$log" 2>&1 && mkdir -p "$work" &&
     "./build-fuzz/fuzz/$target" -max_total_time="${CORDON_FUZZ_SECONDS:-30}" -timeout=10 -max_len=4096 \
       ${dict:+-dict="$dict"} -artifact_prefix=build-fuzz/fuzz/ "$work" "$seeds" >>"$log" 2>&1; then
    record "fuzz-$name" 1 0; echo "fuzz-$name: no crash"
  else
    record "fuzz-$name" 0 1; tail -30 "$log"
  fi
done

step "Windows cross build and Wine smoke tests"
if ! want windows-smoke; then
  :
elif [ -x scripts/windows/smoke.sh ]; then
  counted_suite windows-smoke "$results/windows.log" scripts/windows/smoke.sh
else
  skip windows-smoke "scripts/windows/smoke.sh is missing"
fi

step "Debian package (cpack)"
install_flag=()
[ "${CORDON_TEST_INSTALL_PACKAGE:-}" = 1 ] && install_flag=(--install)
rm -f build/cordon_*.deb
if ! want package; then
  :
elif (cd build && cpack -G DEB >"$results/cpack.log" 2>&1); then
  counted_suite package "$results/package.log" tests/package/check.sh build/cordon_*.deb "${install_flag[@]}"
else
  tail -30 "$results/cpack.log"
  fail package "cpack failed"
fi

step "summary"
summarize
