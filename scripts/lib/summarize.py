#!/usr/bin/env python3
"""The final count of scripts/test.sh, from a results directory (see scripts/lib/suites.sh).

    summarize.py RESULTS_DIR

RESULTS_DIR/plan lists every suite the run intended, one "NAME<TAB>what" a line, in order.
For each NAME the directory may hold:
  NAME.skip   skipped on purpose; the file says why (counts one skipped)
  NAME.fail   did not run; the file says why (counts one failed)
  NAME.json   googletest results (--gtest_output=json)
  NAME.count  "PASSED FAILED SKIPPED" from a suite that counts itself
  NAME.rc     the suite's exit code
A planned suite with no results (missing binary, build failure, crash before writing),
unreadable results, or a non-zero exit code with no failed test counts as failed, by name,
in the final line: "tests: N passed, N failed, N skipped" then "; failed: NAME (why), ...".
Results for a suite that is not in the plan are an error too: the plan must be complete.
Exit status: 0 when nothing failed, 1 otherwise.
"""
import json
import os
import sys


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read().strip()


def gtest_counts(path, name):
    """(passed, failed, skipped) from a googletest JSON file; raises on unreadable ones."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    p = f_ = s = 0
    for suite in data["testsuites"]:
        for t in suite["testsuite"]:
            if t.get("result") == "SKIPPED" or t.get("status") == "NOTRUN":
                s += 1
                why = " ".join(x.get("failure", "") for x in t.get("failures", [])).strip().splitlines()
                print(f"  skipped {name}: {suite['name']}.{t['name']} {why[-1] if why else ''}".rstrip())
            elif t.get("failures"):
                f_ += 1
                print(f"  FAILED {name}: {suite['name']}.{t['name']}")
            else:
                p += 1
    if p + f_ + s == 0:
        raise ValueError("it lists no tests")
    return p, f_, s


def suite_result(results, name):
    """(passed, failed, skipped, why) for one planned suite; why explains a failure or skip."""
    base = os.path.join(results, name)
    rc = None
    if os.path.exists(base + ".rc"):
        text = read(base + ".rc")
        rc = int(text) if text.lstrip("-").isdigit() else None
    if os.path.exists(base + ".skip"):
        return 0, 0, 1, "skipped: " + (read(base + ".skip") or "no reason given")
    if os.path.exists(base + ".fail"):
        return 0, 1, 0, read(base + ".fail") or "failed"
    if os.path.exists(base + ".json"):
        try:
            p, f, s = gtest_counts(base + ".json", name)
        except Exception as e:  # noqa: BLE001 - any unreadable file is a failure
            return 0, 1, 0, f"unreadable results ({e})"
    elif os.path.exists(base + ".count"):
        try:
            p, f, s = (int(x) for x in read(base + ".count").split())
        except ValueError:
            return 0, 1, 0, "unreadable results (" + repr(read(base + ".count")) + ")"
    else:
        if rc == 127:
            return 0, 1, 0, "no results (not found)"
        return 0, 1, 0, "no results" + (f" (exit code {rc})" if rc is not None else
                                        " (missing, did not build, or crashed before writing them)")
    if rc and not f:
        return p, f + 1, s, f"exit code {rc} although no test failed"
    return p, f, s, "failed" if f else ""


def main():
    results = sys.argv[1]
    plan = []
    try:
        for line in read(os.path.join(results, "plan")).splitlines():
            if line.strip():
                plan.append(line.split("\t")[0])
    except OSError as e:
        print(f"tests: 0 passed, 1 failed, 0 skipped; failed: plan (unreadable: {e})")
        return 1
    passed = failed = skipped = 0
    failures = []
    for name in plan:
        p, f, s, why = suite_result(results, name)
        print(f"{name}: {p} passed, {f} failed, {s} skipped" + (f" ({why})" if why and why != "failed" else ""))
        passed, failed, skipped = passed + p, failed + f, skipped + s
        if f:
            failures.append(f"{name} ({why})" if why != "failed" else name)
    known = set(plan) | {"plan"}
    for entry in sorted(os.listdir(results)):
        stem, ext = os.path.splitext(entry)
        if ext in (".json", ".count", ".skip", ".fail", ".rc") and stem not in known:
            failed += 1
            failures.append(f"{stem} (results for a suite that is not in the plan)")
            known.add(stem)
    notes = os.path.join(results, "notes")
    if os.path.exists(notes):
        for n in read(notes).splitlines():
            print("note:", n)
    line = f"tests: {passed} passed, {failed} failed, {skipped} skipped"
    if failures:
        line += "; failed: " + ", ".join(failures)
    print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
