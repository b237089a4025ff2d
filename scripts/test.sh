#!/usr/bin/env bash
# The whole test suite (the README's second quick-start command; .ci/run calls it):
#   1. installs missing Debian packages, builds with warnings as errors
#   2. unit tests (policy, config, planners for Linux and Windows)
#   3. end-to-end sandbox tests as the current user and, when run as root, again as an
#      unprivileged user (created if needed: cordon-ci), since real users are not root
#      (the no-user-namespace mode runs inside both, under a real seccomp refusal)
#   4. a bounded libFuzzer run of the config parser
#   5. the Windows cross build and its smoke tests under Wine
# Ends with one line: "tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
root_dir=$(pwd)
results=$(mktemp -d "${TMPDIR:-/tmp}/cordon-results-XXXXXX")
stage=""
cleanup() { rm -rf "$results"; [ -n "$stage" ] && rm -rf "$stage"; }
trap cleanup EXIT

step() { printf '\n=== %s ===\n' "$*"; }
extra_passed=0; extra_failed=0; extra_skipped=0; notes=()

step "dependencies"
scripts/install-deps.sh || exit 1

step "build (warnings as errors)"
cmake --preset ci >/dev/null || exit 1
cmake --build --preset ci -j"$(nproc)" || exit 1

step "lint (clang-format, clang-tidy)"
if scripts/lint.sh >"$results/lint.log" 2>&1; then
  extra_passed=$((extra_passed + 1)); echo "lint: clean"
else
  extra_failed=$((extra_failed + 1)); tail -40 "$results/lint.log"
fi

step "unit tests"
./build/tests/cordon_unit_tests --gtest_brief=1 --gtest_output="json:$results/unit.json"

step "sandbox tests as $(id -un)"
./build/tests/cordon_e2e_tests --gtest_output="json:$results/e2e-$(id -un).json"

if [ "$(id -u)" -eq 0 ]; then
  step "sandbox tests as an unprivileged user (cordon-ci)"
  id cordon-ci >/dev/null 2>&1 || useradd --create-home --shell /bin/sh cordon-ci
  # The build tree may sit under a directory that user cannot read: stage a copy.
  stage=$(mktemp -d /var/tmp/cordon-stage-XXXXXX)
  cp build/cordon build/tests/cordon_e2e_tests build/tests/no_userns build/tests/no_openat2 "$stage/"
  chmod 755 "$stage"
  chown cordon-ci "$stage"
  runuser -u cordon-ci -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/home/cordon-ci USER=cordon-ci \
    LANG=C.UTF-8 CORDON_BIN="$stage/cordon" CORDON_NO_USERNS="$stage/no_userns" \
    CORDON_NO_OPENAT2="$stage/no_openat2" sh -c "cd '$stage' && ./cordon_e2e_tests --gtest_output=json:$stage/e2e-unprivileged.json"
  cp "$stage/e2e-unprivileged.json" "$results/" 2>/dev/null || true
else
  notes+=("the root pass of the sandbox tests needs root (this pass ran as $(id -un), unprivileged)")
fi

step "MCP end-to-end (official TypeScript SDK client from npm)"
mcp_count() {
  case $1 in
    0) extra_passed=$((extra_passed + 1)) ;;
    77) extra_skipped=$((extra_skipped + 1)); notes+=("MCP SDK e2e skipped ($2)") ;;
    *) extra_failed=$((extra_failed + 1)); echo "MCP SDK e2e FAILED ($2)" ;;
  esac
}
tests/mcp/run.sh "$root_dir/build/cordon"; mcp_count $? "as $(id -un)"
if [ "$(id -u)" -eq 0 ]; then
  cp -r tests/mcp "$stage/mcp"
  chown -R cordon-ci "$stage/mcp"
  runuser -u cordon-ci -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/home/cordon-ci USER=cordon-ci LANG=C.UTF-8 \
    sh -c "cd '$stage' && ./mcp/run.sh '$stage/cordon'"
  mcp_count $? "as cordon-ci"
fi

# run_fuzzer TARGET LABEL NAME SEEDS: build one libFuzzer target in build-fuzz and run it, bounded.
run_fuzzer() {
  local log="$results/fuzz-$3.log"
  if cmake --build build-fuzz -j"$(nproc)" --target "$1" >"$log" 2>&1 &&
     mkdir -p "build-fuzz/fuzz/$3-corpus" &&
     "./build-fuzz/fuzz/$1" -max_total_time="${CORDON_FUZZ_SECONDS:-30}" -timeout=10 -max_len=4096 \
       -artifact_prefix=build-fuzz/fuzz/ "build-fuzz/fuzz/$3-corpus" "$4" >>"$log" 2>&1; then
    extra_passed=$((extra_passed + 1)); echo "fuzz ($2): no crash"
  else
    extra_failed=$((extra_failed + 1)); tail -30 "$log"
  fi
}

step "fuzz the config, JSON-RPC and domain parsers, the Windows runner frames and ledger (bounded)"
if [ -x scripts/fuzz.sh ] && command -v clang++ >/dev/null; then
  if scripts/fuzz.sh "${CORDON_FUZZ_SECONDS:-30}" >"$results/fuzz.log" 2>&1; then
    extra_passed=$((extra_passed + 1)); echo "fuzz (config): no crash"
  else
    extra_failed=$((extra_failed + 1)); tail -30 "$results/fuzz.log"
  fi
  run_fuzzer cordon_jsonrpc_fuzz "JSON-RPC" jsonrpc fuzz/corpus-jsonrpc
  run_fuzzer cordon_domain_fuzz "domains, proxy parsers" domain fuzz/corpus-domain
  run_fuzzer cordon_runner_frame_fuzz "Windows runner frames" runner fuzz/corpus-runner
  run_fuzzer cordon_ledger_fuzz "Windows ledger, uninstall replay" ledger fuzz/corpus-ledger
  run_fuzzer cordon_git_config_fuzz "git config parser, allowlist" git-config fuzz/corpus-git-config
else
  extra_skipped=$((extra_skipped + 1)); notes+=("fuzzing skipped: clang++ or scripts/fuzz.sh missing")
fi

step "Windows cross build and Wine smoke tests"
if [ -x scripts/windows/smoke.sh ]; then
  scripts/windows/smoke.sh 2>&1 | tee "$results/windows.log"
  line=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$results/windows.log" | tail -1)
  if [ -n "$line" ]; then
    p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
    f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
    s=$(echo "$line" | grep -oE '[0-9]+ skipped' | grep -oE '[0-9]+' || echo 0)
    extra_passed=$((extra_passed + p)); extra_failed=$((extra_failed + f)); extra_skipped=$((extra_skipped + ${s:-0}))
  else
    extra_failed=$((extra_failed + 1)); echo "windows smoke: no result line"
  fi
else
  extra_skipped=$((extra_skipped + 1)); notes+=("Windows smoke tests skipped: scripts/windows/smoke.sh missing")
fi

step "summary"
python3 - "$results" "$extra_passed" "$extra_failed" "$extra_skipped" "${notes[@]+"${notes[@]}"}" <<'PY'
import json, os, sys
results, ep, ef, es = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
notes = sys.argv[5:]
passed, failed, skipped = ep, ef, es
for name in sorted(os.listdir(results)):
    if not name.endswith(".json"):
        continue
    suite_file = os.path.join(results, name)
    try:
        data = json.load(open(suite_file))
    except Exception as e:
        print(f"{name}: unreadable results ({e})"); failed += 1; continue
    p = f = s = 0
    for suite in data.get("testsuites", []):
        for t in suite.get("testsuite", []):
            if t.get("result") == "SKIPPED" or t.get("status") == "NOTRUN":
                s += 1
                reason = " ".join(x.get("failure", "") for x in t.get("failures", [])).strip().splitlines()
                print(f"  skipped {name[:-5]}: {suite['name']}.{t['name']} {reason[-1] if reason else ''}".rstrip())
            elif t.get("failures") and t.get("result") != "SKIPPED":
                f += 1
                print(f"  FAILED {name[:-5]}: {suite['name']}.{t['name']}")
            else:
                p += 1
    print(f"{name[:-5]}: {p} passed, {f} failed, {s} skipped")
    passed += p; failed += f; skipped += s
for n in notes:
    print("note:", n)
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
