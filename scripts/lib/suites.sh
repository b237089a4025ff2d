# shellcheck shell=bash
# Bookkeeping for scripts/test.sh: every suite is planned up front, then leaves its
# results in one directory, and scripts/lib/summarize.py counts them, naming every
# planned suite that left none. Sourced; the self-test is tests/scripts/summary_test.sh.
#
#   suites_init DIR                      # the results directory (created by the caller)
#   plan NAME "what it runs"             # before anything runs
#   skip NAME "why"                      # skipped on purpose
#   fail NAME "why"                      # could not run
#   record NAME PASSED FAILED [SKIPPED]  # a suite that counts itself
#   gtest_suite NAME JSON CMD...         # a googletest run writing JSON; keeps it and the exit code
#   counted_suite NAME LOG CMD...        # CMD prints "N passed, N failed[, N skipped]" last
#   abandon "why"                        # every planned suite without results fails with this
#   want NAME                            # false (and skipped, with why) when CORDON_TEST_ONLY leaves it out
#   note "text"                          # printed before the final line
#   summarize                            # per-suite lines and the final line; 1 if anything failed

suites_init() {
  SUITE_RESULTS=$1
  : >"$SUITE_RESULTS/plan"
}

plan() { printf '%s\t%s\n' "$1" "$2" >>"$SUITE_RESULTS/plan"; }
skip() { printf '%s\n' "$2" >"$SUITE_RESULTS/$1.skip"; echo "$1: skipped ($2)"; }
fail() { printf '%s\n' "$2" >"$SUITE_RESULTS/$1.fail"; echo "$1: FAILED ($2)"; }
note() { printf '%s\n' "$1" >>"$SUITE_RESULTS/notes"; }
record() { echo "$2 $3 ${4:-0}" >"$SUITE_RESULTS/$1.count"; }

# CORDON_TEST_ONLY="unit package ...": run only these suites (a developer's shortcut; the
# others are reported as skipped, so the count still says what did not run).
want() {
  [ -z "${CORDON_TEST_ONLY:-}" ] && return 0
  case " $CORDON_TEST_ONLY " in *" $1 "*) return 0 ;; esac
  skip "$1" "not selected by CORDON_TEST_ONLY"
  return 1
}

planned() { cut -f1 "$SUITE_RESULTS/plan"; }

has_results() {
  local f
  for f in json count skip fail; do [ -e "$SUITE_RESULTS/$1.$f" ] && return 0; done
  return 1
}

gtest_suite() {
  local name=$1 json=$2
  shift 2
  rm -f "$json"
  "$@"
  local rc=$?
  echo "$rc" >"$SUITE_RESULTS/$name.rc"
  if [ -f "$json" ] && [ "$json" != "$SUITE_RESULTS/$name.json" ]; then
    cp "$json" "$SUITE_RESULTS/$name.json"
  fi
  return "$rc"
}

counted_suite() {
  local name=$1 log=$2
  shift 2
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]} line p f s
  echo "$rc" >"$SUITE_RESULTS/$name.rc"
  line=$(grep -E '(^|: )[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
  if [ -n "$line" ]; then
    p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+')
    f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+')
    s=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+' || true)
    record "$name" "$p" "$f" "${s:-0}"
  fi
  return "$rc"
}

abandon() {
  local name
  for name in $(planned); do has_results "$name" || fail "$name" "$1"; done
}

summarize() {
  python3 "$(dirname "${BASH_SOURCE[0]}")/summarize.py" "$SUITE_RESULTS"
}
