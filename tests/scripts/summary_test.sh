#!/usr/bin/env bash
# Self-test of scripts/test.sh's counting (scripts/lib/suites.sh, summarize.py): a suite
# that left no results, unreadable ones, or an exit code its results do not explain must
# fail the run and be named in its last line. Fast: fake suites only, nothing is rebuilt.
# Last line: "summary self-test: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib/suites.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/cordon-summary-test-XXXXXX")
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
check() {  # check NAME CONDITION-RESULT [DETAIL]
  if [ "$2" = 0 ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1 ${3:-}"; fi
}

# A fake googletest binary: writes a JSON file with PASS passed tests (and FAIL failed), exits RC.
fake_gtest() {
  cat >"$1" <<FAKE
#!/bin/sh
out=\${1#--gtest_output=json:}
printf '{"testsuites":[{"name":"S","testsuite":[' >"\$out"
sep=""
i=0; while [ \$i -lt $2 ]; do printf '%s{"name":"p%d","result":"COMPLETED"}' "\$sep" \$i >>"\$out"; sep=,; i=\$((i+1)); done
i=0; while [ \$i -lt $3 ]; do printf '%s{"name":"f%d","failures":[{"failure":"x"}]}' "\$sep" \$i >>"\$out"; sep=,; i=\$((i+1)); done
printf ']}]}' >>"\$out"
exit $4
FAKE
  chmod +x "$1"
}

# run_case NAME: a fresh results directory; then the caller's suites; sets $out and $rc.
new_case() { rm -rf "$work/r"; mkdir -p "$work/r"; suites_init "$work/r"; }
finish_case() { out=$(summarize 2>&1); rc=$?; last=$(tail -1 <<<"$out"); }

# 1. Everything present and passing: exit 0, the sum of all suites.
new_case
plan unit "fake"; plan e2e "fake"; plan lint "fake"; plan windows "fake"
fake_gtest "$work/unit" 3 0 0; fake_gtest "$work/e2e" 2 0 0
gtest_suite unit "$work/r/unit.json" "$work/unit" "--gtest_output=json:$work/r/unit.json" >/dev/null
gtest_suite e2e "$work/other.json" "$work/e2e" "--gtest_output=json:$work/other.json" >/dev/null
record lint 1 0
skip windows "no wine here" >/dev/null
finish_case
check "all present: exit 0" "$([ $rc = 0 ]; echo $?)" "$out"
check "all present: the sum" "$([ "$last" = "tests: 6 passed, 0 failed, 1 skipped" ]; echo $?)" "$last"
check "a skip says why" "$(grep -q 'windows: .*skipped: no wine here' <<<"$out"; echo $?)" "$out"

# 2. One test binary removed: the run fails and names it.
new_case
plan unit "fake"; plan e2e "fake"
fake_gtest "$work/unit" 3 0 0
rm -f "$work/e2e"
gtest_suite unit "$work/r/unit.json" "$work/unit" "--gtest_output=json:$work/r/unit.json" >/dev/null
gtest_suite e2e "$work/r/e2e.json" "$work/e2e" "--gtest_output=json:$work/r/e2e.json" >/dev/null 2>&1
finish_case
check "binary removed: exit 1" "$([ $rc = 1 ]; echo $?)" "$out"
check "binary removed: named in the last line" \
  "$(grep -qE '^tests: 3 passed, 1 failed, 0 skipped; failed: e2e \(no results \(not found\)\)$' <<<"$last"; echo $?)" "$last"

# 3. A suite that never ran at all (crashed before writing, or forgotten): failed by name.
new_case
plan unit "fake"; plan fuzz-config "fake"
record unit 5 0
finish_case
check "no results: named" "$(grep -q 'failed: fuzz-config (no results' <<<"$last"; echo $?)" "$last"

# 4. Unreadable results: truncated JSON, a garbled count, a JSON that lists no tests.
new_case
plan a "fake"; plan b "fake"; plan c "fake"
printf '{"testsuites":[{"name":' >"$work/r/a.json"
echo "many" >"$work/r/b.count"
echo '{"testsuites":[]}' >"$work/r/c.json"
finish_case
check "unreadable: all three named" \
  "$(grep -q 'failed: a (unreadable results.*b (unreadable results.*c (unreadable results' <<<"$last"; echo $?)" "$last"
check "unreadable: exit 1" "$([ $rc = 1 ]; echo $?)"

# 5. Crashed after writing passing results (exit code 134): failed.
new_case
plan unit "fake"
fake_gtest "$work/unit" 2 0 134
gtest_suite unit "$work/r/unit.json" "$work/unit" "--gtest_output=json:$work/r/unit.json" >/dev/null
finish_case
check "non-zero exit with passing results: failed" \
  "$(grep -q '^tests: 2 passed, 1 failed, 0 skipped; failed: unit (exit code 134' <<<"$last"; echo $?)" "$last"

# 6. Failed tests are counted one by one; the suite is named.
new_case
plan unit "fake"
fake_gtest "$work/unit" 2 3 1
gtest_suite unit "$work/r/unit.json" "$work/unit" "--gtest_output=json:$work/r/unit.json" >/dev/null
finish_case
check "failed tests counted" "$([ "$last" = "tests: 2 passed, 3 failed, 0 skipped; failed: unit" ]; echo $?)" "$last"

# 7. Results from a suite nobody planned: the plan must be complete.
new_case
plan unit "fake"
record unit 1 0
record extra 4 0
finish_case
check "unplanned results: failed" "$(grep -q 'extra (results for a suite that is not in the plan)' <<<"$last"; echo $?)" "$last"

# 8. abandon (the build failed): every suite without results fails with the reason.
new_case
plan build "fake"; plan unit "fake"; plan e2e "fake"
fail build "the build failed" >/dev/null
abandon "not run: the build failed" >/dev/null
finish_case
check "abandon names every suite" \
  "$([ "$last" = "tests: 0 passed, 3 failed, 0 skipped; failed: build (the build failed), unit (not run: the build failed), e2e (not run: the build failed)" ]; echo $?)" "$last"

# 9. A counting suite's own line ("N passed, N failed, N skipped") is taken as is;
#    one that dies before printing it is failed.
new_case
plan smoke "fake"; plan sdk "fake"
counted_suite smoke "$work/smoke.log" sh -c 'echo "PASS x"; echo "7 passed, 0 failed, 2 skipped"' >/dev/null
counted_suite sdk "$work/sdk.log" sh -c 'echo "ok one"; exit 1' >/dev/null
finish_case
check "counted suites" "$([ "$last" = "tests: 7 passed, 1 failed, 2 skipped; failed: sdk (no results (exit code 1))" ]; echo $?)" "$last"

# 10. CORDON_TEST_ONLY: the suites left out are skipped, and say so.
new_case
plan unit "fake"; plan e2e "fake"
(
  # shellcheck disable=SC2034 # read by want()
  CORDON_TEST_ONLY="unit"
  want unit && record unit 2 0
  want e2e && record e2e 9 0
) >/dev/null
finish_case
check "CORDON_TEST_ONLY skips the rest, saying why" \
  "$([ "$last" = "tests: 2 passed, 0 failed, 1 skipped" ] && grep -q 'e2e: .*not selected' <<<"$out"; echo $?)" "$out"

echo "summary self-test: $passed passed, $failed failed"
[ "$failed" = 0 ]
