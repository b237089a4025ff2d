#!/usr/bin/env python3
"""The costs of `cordon run --review` that grow with the data (bench/review.sh runs this).

Interleaved like bench/timer.cpp: every round runs every case once, starting one later
each round, so a busy phase of the shared machine slows all cases alike. Each case has an
untimed preparation (a file truncated back, a change set discarded, a 20,000-file change
set made for apply to write) that runs right before it.

  copy-up   append 1 byte to a 256 MiB file: bare, `cordon run` (the workspace written),
            `cordon run --review` on a fresh change set (the overlay copies the file up, and
            cordon records the file's base, a SHA-256 of its 256 MiB), and a second
            append on a change set that already holds the copy (neither happens again)
  npm       write 20,000 small files in a package tree (500 packages of 40 files, like
            node_modules): bare, `cordon run`, `cordon run --review`
  apply     `cordon review apply` of that 20,000-file change set, against `cp -a` of the
            same tree (apply also renames each file into place, journals and syncs in batches)

Everything lives under --dir (the bench's temporary directory); cordon's state is
$XDG_STATE_HOME, set by bench/lib.sh.
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

BIG = 256 << 20
GEN = r'''
import os, sys
root = sys.argv[1]
for p in range(500):
    pkg = os.path.join(root, "pkg-%03d" % p)
    for d in ("lib", "dist"):
        os.makedirs(os.path.join(pkg, d), exist_ok=True)
    def put(rel, n):
        with open(os.path.join(pkg, rel), "w") as f:
            f.write(("// %s %s\n" % (p, rel)) * n)
    put("package.json", 12)
    put("README.md", 40)
    put("LICENSE", 20)
    put("index.js", 8)
    for i in range(30):
        put("lib/m%02d.js" % i, 10 + i)
    for i in range(6):
        put("dist/b%d.js" % i, 60)
'''


def run(argv, cwd, check=True):
    r = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=900)
    if check and r.returncode != 0:
        sys.exit("bench: %s failed (%d): %s" % (" ".join(argv), r.returncode, r.stderr.decode()[-2000:]))
    return r.returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cordon", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", required=True)
    a = ap.parse_args()
    if not 1 <= a.runs <= 50:
        sys.exit("bench: --runs must be in 1..50")
    d = os.path.abspath(a.dir)
    ws, bare, src = (os.path.join(d, n) for n in ("ws", "bare", "src"))
    for p in (ws, bare, src):
        os.makedirs(p, exist_ok=True)
    gen = os.path.join(d, "gen.py")
    with open(gen, "w") as f:
        f.write(GEN)
    chunk = b"x" * (1 << 20)
    for p in (ws, bare):
        with open(os.path.join(p, "big"), "wb") as f:
            for _ in range(BIG >> 20):
                f.write(chunk)
    run([sys.executable, gen, os.path.join(src, "node_modules")], d)
    cordon = [a.cordon, "run", "--no-config"]
    review = [a.cordon, "review"]
    reviews = os.path.join(os.environ["XDG_STATE_HOME"], "cordon", "reviews")
    append = ["sh", "-c", "printf x >> big"]

    def truncate(p):
        return lambda: os.truncate(os.path.join(p, "big"), BIG)

    def discard(id_):
        return lambda: run(review + ["discard", id_], ws, check=False)

    def rm(p):
        return lambda: shutil.rmtree(p, ignore_errors=True)

    def both(*fs):
        def f():
            for g in fs:
                g()
        return f

    def ensure_again():  # a change set that holds the copied-up file already
        truncate(ws)()
        if not os.path.isdir(os.path.join(reviews, "again")):
            run(cordon + ["--review", "again", "--"] + append, ws)

    def make_apply_set():
        discard("ap")()
        rm(os.path.join(ws, "node_modules"))()
        run(cordon + ["--review", "ap", "--", sys.executable, gen, "node_modules"], ws)

    cases = [
        ("copy-up", "bare", truncate(bare), append, bare),
        ("copy-up", "cordon", truncate(ws), cordon + ["--"] + append, ws),
        ("copy-up", "review-new", both(truncate(ws), discard("cu")), cordon + ["--review", "cu", "--"] + append,
         ws),
        ("copy-up", "review-again", ensure_again, cordon + ["--review", "again", "--"] + append, ws),
        ("npm", "bare", rm(os.path.join(bare, "node_modules")), [sys.executable, gen, "node_modules"], bare),
        ("npm", "cordon", rm(os.path.join(ws, "node_modules")),
         cordon + ["--", sys.executable, gen, "node_modules"], ws),
        ("npm", "review", both(discard("npm"), rm(os.path.join(ws, "node_modules"))),
         cordon + ["--review", "npm", "--", sys.executable, gen, "node_modules"], ws),
        ("apply", "cp-a", rm(os.path.join(bare, "node_modules")),
         ["cp", "-a", os.path.join(src, "node_modules"), os.path.join(bare, "node_modules")], bare),
        ("apply", "review-apply", make_apply_set, review + ["apply", "ap"], ws),
    ]
    samples = {(g, n): [] for g, n, *_ in cases}
    cpu = {(g, n): [] for g, n, *_ in cases}
    loads = []
    print("bench: %d heavy rounds, load %s" % (a.runs, open("/proc/loadavg").read().split()[:3]), file=sys.stderr)
    for r in range(a.runs):
        order = cases[r % len(cases):] + cases[:r % len(cases)]
        for g, n, prep, argv, cwd in order:
            prep()
            loads.append(float(open("/proc/loadavg").read().split()[0]))
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            run(argv, cwd)
            samples[(g, n)].append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[(g, n)].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        print("bench: round %d done, load %.1f" % (r + 1, loads[-1]), file=sys.stderr)
    # What apply left, and the change sets: the next run of the bench starts clean.
    for id_ in ("cu", "again", "npm", "ap"):
        discard(id_)()
    refs = {"copy-up": "cordon", "npm": "cordon", "apply": "cp-a"}
    rows = []
    print("%-8s %-13s %10s %10s %9s %9s" % ("case", "command", "median", "min", "cpu", "/ ref"))
    for g, n, *_ in cases:
        med = statistics.median(samples[(g, n)])
        ref = statistics.median(samples[(g, refs[g])])
        rows.append({"case": g, "command": n, "median": med, "min": min(samples[(g, n)]),
                     "cpu": statistics.median(cpu[(g, n)]), "ratio": med / ref, "samples": samples[(g, n)]})
        print("%-8s %-13s %9.3fs %9.3fs %8.3fs %8.2fx" % (g, n, med, min(samples[(g, n)]),
                                                         statistics.median(cpu[(g, n)]), med / ref))
    print("load average (1 min) while timing: median %.1f, min %.1f, max %.1f" %
          (statistics.median(loads), min(loads), max(loads)))
    with open(a.json, "w") as f:
        json.dump({"rows": rows, "load": {"median": statistics.median(loads), "min": min(loads),
                                          "max": max(loads)}}, f, indent=1)


if __name__ == "__main__":
    main()
