#!/usr/bin/env python3
"""Benchmark of thag-analyze on big folded files. Prints ratios against a baseline run on
the same file in the same run (awk summing the values: a lower bound for any tool that reads
every line), never asserts a time.
Usage: python3 tests/analyze/bench_analyze.py [BUILD_DIR]"""
import os
import subprocess
import sys
import time

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
TOOL = os.path.join(BUILD, "thag-analyze")
DIR = os.path.join(BUILD, "analyze", "bench")


def gen(path, lines, distinct):
    with open(path, "w") as f:
        f.write("# thag_profiler 0.1.0: kind=time program=bench unit=ns\n")
        for i in range(lines):
            k = i % distinct
            f.write("main (src/main.c:1);worker%d (src/w.c:%d);step%d;leaf%d %d\n" % (k % 8, k % 8, k % 1000, k, i % 10 + 1))


def timed(cmd):
    t0 = time.time()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    return time.time() - t0


def main():
    os.makedirs(DIR, exist_ok=True)
    for lines, distinct in ((1000000, 1000), (1000000, 1000000)):
        p = os.path.join(DIR, "bench-%d-%d.folded" % (lines, distinct))
        if not os.path.exists(p):
            gen(p, lines, distinct)
        base = min(timed(["awk", "{s += $NF} END {print s}", p]) for _ in range(2))
        rep = min(timed([TOOL, "report", p, "--limit", "10"]) for _ in range(2))
        grp = min(timed([TOOL, "report", p, "--group-by", "file", "--format", "json"]) for _ in range(2))
        print("thag-analyze report, %d lines, %d distinct stacks: %.2f s = %.2fx awk (%.2f s); "
              "--group-by file --format json: %.2f s = %.2fx awk" % (lines, distinct, rep, rep / base, base, grp, grp / base))


if __name__ == "__main__":
    main()
