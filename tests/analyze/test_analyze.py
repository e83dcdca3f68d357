#!/usr/bin/env python3
"""Tests of thag-analyze (tools/analyze.c): reports and statistics against profiles with known
exact numbers, the JSON schema, compare's exit statuses, hostile input, and the interactive
menus driven end to end in a real terminal (tmux).
Usage: python3 tests/analyze/test_analyze.py [BUILD_DIR]   (run from the repository root)"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import schema_check  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
TOOL = os.path.abspath(os.path.join(BUILD, "thag-analyze"))
FIX = os.path.join(HERE, "fixtures")
WORK = os.path.abspath(os.path.join(BUILD, "analyze", "work"))
REPORT_SCHEMA = json.load(open(os.path.join(HERE, "report.schema.json")))
COMPARE_SCHEMA = json.load(open(os.path.join(HERE, "compare.schema.json")))

T1 = os.path.join(FIX, "demo-20261122-002055.folded")
T2 = os.path.join(FIX, "demo-20261122-003000.folded")
M1 = os.path.join(FIX, "memdemo-20261122-010000-memory.folded")
M2 = os.path.join(FIX, "memdemo-20261122-020000-memory.folded")
MD = os.path.join(FIX, "memdemo-20261122-010000-memory_detail.folded")
PLAIN = os.path.join(FIX, "plain.folded")

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def run(*args, env=None, stdin=None):
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    if env:
        e.update(env)
    p = subprocess.run([TOOL] + list(args), capture_output=True, text=True, env=e, input=stdin,
                       errors="replace", timeout=120)
    return p.returncode, p.stdout, p.stderr


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def eq(a, b, what=""):
    if a != b:
        raise AssertionError("%s: expected %r, got %r" % (what, b, a))


def report_json(*args):
    rc, out, err = run("report", *args, "--format", "json")
    eq(rc, 0, "exit status of report (stderr: %s)" % err)
    doc = json.loads(out)
    errors = schema_check.check(REPORT_SCHEMA, doc)
    check(not errors, "report JSON does not match its schema: %s" % errors)
    return doc


def compare_json(*args):
    rc, out, err = run("compare", *args, "--format", "json")
    check(rc in (0, 1), "compare failed: %s" % err)
    doc = json.loads(out)
    errors = schema_check.check(COMPARE_SCHEMA, doc)
    check(not errors, "compare JSON does not match its schema: %s" % errors)
    return rc, doc


def rows(doc):
    return {r["name"]: (r["count"], r["self"], r["total"]) for r in doc["rows"]}


def names(doc):
    return [r["name"] for r in doc["rows"]]


def work_dir(name):
    d = os.path.join(WORK, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def write(path, text, mode="w"):
    with open(path, mode) as f:
        f.write(text)
    return path


# ---------------------------------------------------------------- time statistics

@test
def time_rows_exact():
    d = report_json(T1)
    # main 1 call; load 2; read 4; fib recursive: 1+2+4 calls, total 600 not 600+550+400.
    eq(rows(d), {"main": (1, 100, 1000), "load": (2, 200, 300), "read": (4, 100, 100), "fib": (7, 600, 600)},
       "rows")
    eq(d["totals"]["value"], 1000, "total")
    eq(d["totals"]["count"], 14, "total calls")
    eq(d["totals"]["stacks"], 6, "stacks")
    eq(d["kind"], "time", "kind")
    eq(d["unit"], "ns", "unit")
    eq(d["counts_known"], True, "counts known")
    fib = [r for r in d["rows"] if r["name"] == "fib"][0]
    eq(round(fib["average"], 6), round(600 / 7, 6), "fib average")
    eq(fib["total_percent"], 60, "fib percent")
    eq((fib["file"], fib["line"]), ("src/math.c", 5), "fib location")
    eq(names(d), ["main", "fib", "load", "read"], "default order (total time)")


@test
def time_totals_from_exclusive_equal_inclusive():
    d = work_dir("noincl")
    for suffix in ("", "-calls"):
        shutil.copy(os.path.join(FIX, "demo-20261122-002055%s.folded" % suffix), d)
    doc = report_json(os.path.join(d, "demo-20261122-002055.folded"))
    eq(rows(doc), {"main": (1, 100, 1000), "load": (2, 200, 300), "read": (4, 100, 100), "fib": (7, 600, 600)},
       "rows derived without the inclusive file")


@test
def time_inclusive_sibling_is_used():
    d = work_dir("incl")
    for suffix in ("", "-calls", "-inclusive"):
        shutil.copy(os.path.join(FIX, "demo-20261122-002055%s.folded" % suffix), d)
    p = os.path.join(d, "demo-20261122-002055-inclusive.folded")
    text = open(p).read().replace("main (src/main.c:1) 1000", "main (src/main.c:1) 1234")
    write(p, text)
    eq(rows(report_json(os.path.join(d, "demo-20261122-002055.folded")))["main"], (1, 100, 1234),
       "main's total read from the inclusive file")


@test
def time_without_calls_file_has_unknown_counts():
    d = work_dir("nocalls")
    shutil.copy(T1, d)
    doc = report_json(os.path.join(d, os.path.basename(T1)))
    eq(doc["counts_known"], False, "counts_known")
    eq(doc["totals"]["count"], None, "total count")
    check(all(r["count"] is None and r["average"] is None for r in doc["rows"]), "counts must be null, not 1")
    rc, out, _ = run("report", os.path.join(d, os.path.basename(T1)))
    check("counts unknown" in out, "text report says counts are unknown")


@test
def sort_orders():
    eq(names(report_json(T1, "--sort-by", "name")), ["fib", "load", "main", "read"], "by name")
    eq(names(report_json(T1, "--sort-by", "count")), ["fib", "read", "load", "main"], "by count")
    eq(names(report_json(T1, "--sort-by", "time")), ["main", "fib", "load", "read"], "by time")
    eq(names(report_json(T1, "--sort-by", "size")), ["fib", "load", "main", "read"], "by size (self)")
    eq(names(report_json(T1, "--sort-by", "self")), ["fib", "load", "main", "read"], "by self")


@test
def filters_and_limit():
    eq(names(report_json(T1, "--limit", "2")), ["main", "fib"], "limit")
    eq(names(report_json(T1, "--min-count", "3")), ["fib", "read"], "min-count")
    eq(names(report_json(T1, "--threshold-bytes", "150")), ["fib", "load"], "threshold")
    eq(names(report_json(T1, "--filter", "ea")), ["read"], "filter")
    d = report_json(T1, "--filter", "i", "--min-count", "2", "--limit", "1")
    eq(names(d), ["fib"], "filters combined")
    eq(d["filters"], {"filter": "i", "min_count": 2, "threshold_bytes": None, "limit": 1, "remove": []}, "filters")
    eq(d["totals"]["value"], 1000, "totals are not filtered")


@test
def group_by_file_and_module():
    d = report_json(T1, "--group-by", "file")
    eq(rows(d), {"src/main.c": (1, 100, 1000), "src/io.c": (6, 300, 300), "src/math.c": (7, 600, 600)}, "by file")
    eq(d["group_by"], "file", "group_by")
    d = report_json(T1, "--group-by", "module")
    eq(rows(d), {"main": (1, 100, 1000), "io": (6, 300, 300), "math": (7, 600, 600)}, "by module")
    p = write(os.path.join(work_dir("cpp"), "q.folded"), "app::main;app::io::read 5\napp::main;net::send 7\n")
    eq(rows(report_json(p, "--group-by", "module")), {"app": (None, 0, 12), "app::io": (None, 5, 5),
                                                       "net": (None, 7, 7)}, "qualified names")
    eq(rows(report_json(PLAIN, "--group-by", "file")), {"(unknown)": (None, 15, 15)}, "no locations")


@test
def verbose_levels_in_text():
    rc, out, _ = run("report", T1)
    eq(rc, 0, "rc")
    check(re.search(r"^\s+2\s+7\s+600 ns\s+60\.00%\s+600 ns\s+60\.00%\s+86 ns\s+fib$", out, re.M), "fib line: " + out)
    check("(src/math.c:5)" not in out, "no locations without -vv")
    rc, out, _ = run("report", T1, "-v")
    check(re.search(r"^\s+1\s+1\s+1000\s+100\.00%\s+100\s+10\.00%\s+1000\s+main$", out, re.M), "-v exact: " + out)
    rc, out, _ = run("report", T1, "-vv")
    check(re.search(r"fib  \(src/math\.c:5\)$", out, re.M), "-vv location: " + out)
    rc, out, _ = run("report", T1, "-vvv")
    check(re.search(r"^\s+400  main \(src/main\.c:1\);fib \(src/math\.c:5\);fib \(src/math\.c:5\);fib \(src/math\.c:5\)$",
                    out, re.M), "-vvv stacks: " + out)
    d = report_json(T1, "-vvv", "--filter", "fib")
    eq(d["rows"][0]["stacks"][0]["value"], 400, "JSON stacks, biggest first")
    eq(len(d["rows"][0]["stacks"]), 3, "fib's stacks")


@test
def plain_flamegraph_pl_file():
    d = report_json(PLAIN)
    eq(rows(d), {"a": (None, 0, 15), "b": (None, 3, 13), "c": (None, 10, 10), "d": (None, 2, 2)}, "rows")
    eq(d["kind"], "folded", "kind")
    eq(d["totals"]["stacks"], 3, "duplicate stacks merged")


@test
def removals():
    eq(rows(report_json(T1, "--remove", "load")),
       {"main": (1, 100, 800), "read": (4, 100, 100), "fib": (7, 600, 600)}, "remove load (children move up)")
    eq(rows(report_json(T1, "--remove-tree", "load")),
       {"main": (1, 100, 700), "fib": (7, 600, 600)}, "remove load with children")
    eq(rows(report_json(T1, "--remove-tree", "lo*")), rows(report_json(T1, "--remove-tree", "load")), "glob")
    eq(rows(report_json(T1, "--remove-tree", "load (src/io.c:10)")),
       rows(report_json(T1, "--remove-tree", "load")), "exact frame with location")
    eq(rows(report_json(T1, "--remove", "fib", "--remove", "read")),
       {"main": (1, 100, 300), "load": (2, 200, 200)}, "two removals")
    d = report_json(T1, "--remove-tree", "load")
    eq(d["filters"]["remove"], [{"pattern": "load", "with_children": True}], "removals in JSON")


# ---------------------------------------------------------------- memory

@test
def memory_summary_exact():
    d = report_json(M1)
    eq(rows(d), {"alloc_big": (10, 40960, 40960), "alloc_small": (12, 768, 768), "parse": (3, 300, 428),
                 "main": (0, 0, 42028)}, "rows")
    eq(d["totals"], {"value": 42028, "count": 25, "stacks": 4, "rows": 4, "allocations": 25, "deallocations": 23,
                     "bytes": 42028, "peak": 41000, "current": 164}, "totals")
    eq(names(d), ["alloc_big", "alloc_small", "parse", "main"], "memory default order: bytes")
    eq([r["average"] for r in d["rows"][:3]], [4096, 64, 100], "average sizes")
    rc, out, _ = run("report", M1, "-v")
    check("Totals: allocations=25  deallocations=23  bytes=42028  peak=41000  current=164" in out, out)


@test
def memory_detail_counts_from_size_frames():
    d = report_json(MD)
    eq(rows(d), {"alloc_big": (10, 40960, 40960), "alloc_small": (12, 768, 768), "parse": (3, 300, 428),
                 "main": (0, 0, 42028)}, "detail rows, size frames stripped")
    eq(d["kind"], "memory detail", "kind")


@test
def memory_without_metadata():
    p = write(os.path.join(work_dir("memplain"), "x-20260101-000000-memory.folded"), "main;f 10\nmain;g 30\n")
    d = report_json(p)
    eq(d["totals"], {"value": 40, "count": None, "stacks": 2, "rows": 3, "allocations": None, "deallocations": None,
                     "bytes": 40, "peak": None, "current": None}, "totals computed")
    eq(d["unit"], "bytes", "unit from the name")


# ---------------------------------------------------------------- compare

@test
def compare_memory_sites():
    rc, d = compare_json(M1, M2)
    eq(rc, 0, "no gate: exit 0")
    got = {s["name"]: (s["status"], s["base_count"], s["current_count"], s["base_value"], s["current_value"])
           for s in d["sites"]}
    eq(got, {"alloc_small": ("grown", 12, 20, 768, 1280), "parse": ("shrunk", 3, 2, 300, 200),
             "newsite": ("added", 0, 1, 0, 50), "alloc_big": ("same", 10, 10, 40960, 40960)}, "sites")
    eq([s["name"] for s in d["sites"]], ["alloc_small", "parse", "newsite", "alloc_big"], "order: biggest change")
    eq((d["totals"]["base_value"], d["totals"]["current_value"], d["totals"]["delta_count"]), (42028, 42490, 8),
       "totals")
    rc, d = compare_json(T1, T2)
    got = {s["name"]: s["status"] for s in d["sites"]}
    eq(got, {"fib": "grown", "load": "shrunk", "read": "removed", "print": "added", "main": "same"}, "time sites")


@test
def compare_exit_statuses():
    eq(run("compare", M1, M2, "--max-increase", "50")[0], 1, "alloc_small +66.7% > 50%")
    eq(run("compare", M1, M2, "--max-increase", "100")[0], 1, "an added site is an unbounded increase")
    eq(run("compare", M1, M2, "--max-increase", "70", "--filter", "alloc")[0], 0, "filtered: +66.7% <= 70%")
    eq(run("compare", M1, M2, "--max-increase", "60", "--filter", "alloc")[0], 1, "filtered: +66.7% > 60%")
    eq(run("compare", M1, M1, "--max-increase", "0")[0], 0, "same profile")
    eq(run("compare", M2, M1, "--max-increase", "0", "--filter", "alloc")[0], 0, "only shrinking")
    eq(run("compare", M2, M1, "--max-increase", "49")[0], 1, "parse grows by 50% the other way")
    rc, out, _ = run("compare", M1, M2, "--max-increase", "50")
    check("FAIL alloc_small value grew +66.7% (limit +50%)" in out, out)
    check("FAIL newsite value grew new" in out, out)
    rc, d = compare_json(M1, M2, "--max-increase", "50")
    eq((rc, d["failed"], d["max_increase"]), (1, True, 50), "JSON gate")
    eq(run("compare", M1, T1)[0], 2, "units differ")
    eq(run("compare", M1)[0], 2, "missing argument")
    eq(run("compare", M1, "/nonexistent.folded")[0], 2, "missing file")


@test
def compare_filters_apply_to_both_sides():
    rc, d = compare_json(M1, M2, "--threshold-bytes", "250")
    got = {s["name"]: (s["status"], s["base_value"], s["current_value"]) for s in d["sites"]}
    # parse is 300 B before (kept) and 200 B after (below the threshold): shown as shrunk, not removed.
    eq(got, {"alloc_small": ("grown", 768, 1280), "parse": ("shrunk", 300, 200), "alloc_big": ("same", 40960, 40960)},
       "threshold on both sides")
    rc, d = compare_json(M1, M2, "--min-count", "11")
    eq({s["name"]: s["status"] for s in d["sites"]}, {"alloc_small": "grown"}, "min-count on both sides")


@test
def baselines():
    d = work_dir("baseline")
    base = os.path.join(d, "base.json")
    rc, out, err = run("report", M1, "--save", base, "--limit", "1", "--filter", "big")
    eq(rc, 0, "save: " + err)
    doc = json.load(open(base))
    check(not schema_check.check(REPORT_SCHEMA, doc), "baseline matches the report schema")
    eq(len(doc["rows"]), 4, "the baseline keeps every row (no filter, no limit)")
    eq(run("compare", base, M1, "--max-increase", "0")[0], 0, "baseline vs its own profile")
    rc, c = compare_json(base, M2)
    eq({s["name"]: s["status"] for s in c["sites"]},
       {"alloc_small": "grown", "parse": "shrunk", "newsite": "added", "alloc_big": "same"}, "baseline vs profile")
    cur = os.path.join(d, "cur.json")
    run("report", M2, "--save", cur)
    rc2, c2 = compare_json(base, cur)
    eq(c2["sites"], c["sites"], "baseline vs baseline = baseline vs profile")
    eq(run("compare", base, M2, "--max-increase", "50")[0], 1, "gate against a baseline")
    eq(run("compare", base, M2, "--group-by", "file")[0], 2, "a baseline grouped otherwise")
    bad = write(os.path.join(d, "bad.json"), '{"schema": "thag-analyze/report", "rows": [1, }')
    rc, out, err = run("compare", bad, M2)
    eq(rc, 2, "bad JSON")
    check("invalid JSON at byte" in err, err)
    other = write(os.path.join(d, "other.json"), '{"hello": 1}')
    rc, out, err = run("compare", other, M2)
    eq(rc, 2, "not a baseline")
    check("not a thag-analyze baseline" in err, err)


# ---------------------------------------------------------------- hostile input

@test
def malformed_lines_reported_and_skipped():
    p = write(os.path.join(work_dir("bad"), "bad.folded"), "a;b 5\nno count here\na;c x12\n\n# comment 12\na;d 7\n")
    rc, out, err = run("report", p, "--format", "json")
    eq(rc, 0, "rc")
    check(re.search(r"bad\.folded:2: ", err) and re.search(r"bad\.folded:3: ", err), "line numbers: " + err)
    eq(json.loads(out)["totals"]["value"], 12, "valid lines kept")


@test
def binary_truncated_empty_missing():
    d = work_dir("hostile")
    b = write(os.path.join(d, "bin.folded"), b"\x7fELF\x02\x01\x01\x00\x00\x00a;b 1\n", "wb")
    rc, out, err = run("report", b)
    eq(rc, 2, "binary")
    check("binary" in err, err)
    t = write(os.path.join(d, "trunc.folded"), "a;b 5\na;c 1")
    rc, out, err = run("report", t, "--format", "json")
    eq(rc, 0, "truncated but readable")
    check("truncated" in err, err)
    t2 = write(os.path.join(d, "trunc2.folded"), "a;b 5\na;c")
    rc, out, err = run("report", t2, "--format", "json")
    eq((rc, json.loads(out)["totals"]["value"]), (0, 5), "cut in the middle of a line")
    check("trunc2.folded:2:" in err, err)
    e = write(os.path.join(d, "empty.folded"), "")
    rc, out, err = run("report", e)
    eq(rc, 2, "empty")
    check("no valid stack lines" in err, err)
    junk = write(os.path.join(d, "junk.folded"), "just words\nmore words\n")
    rc, out, err = run("report", junk)
    eq(rc, 2, "only malformed lines")
    rc, out, err = run("report", os.path.join(d, "missing.folded"))
    eq(rc, 2, "missing")
    check("No such file" in err, err)
    eq(run("report", d)[0], 2, "a directory")


@test
def bad_options():
    for args in (["report"], ["report", T1, "--sort-by", "speed"], ["report", T1, "--limit", "x"],
                 ["report", T1, "--group-by", "line"], ["report", T1, "--format", "xml"], ["report", T1, "--bogus"],
                 ["report", T1, "-o"], ["report", T1, "-o", "/nonexistent-dir/r.txt"],
                 ["report", T1, "--min-count"], ["report", T1, T2], ["-x"]):
        rc, out, err = run(*args)
        eq(rc, 2, "exit status for %s" % args)
        check(err.strip(), "a message for %s" % args)
    eq(run("--help")[0], 0, "help")


@test
def output_file_and_format():
    # -o names the output file in every tool; --format picks text or json.
    d = work_dir("output")
    out = os.path.join(d, "r.json")
    rc, so, err = run("report", T1, "--format", "json", "-o", out)
    eq((rc, so, err), (0, "", ""), "report to a file: status, stdout, stderr")
    with open(out) as f:
        eq(json.load(f), report_json(T1), "the file holds the report")
    # The old spelling of the format still works, and says so once.
    rc, so, err = run("report", T1, "-o", "json")
    eq(rc, 0, "-o json")
    eq(json.loads(so), report_json(T1), "-o json is --format json")
    eq(err.count("\n"), 1, "one note")
    check("--format json" in err, err)


@test
def odd_bytes_give_valid_json():
    p = write(os.path.join(work_dir("bytes"), "b.folded"),
              b"main;caf\xe9 \"q\" \\ \x01;\xe2\x82\xac 3\nmain;\xff\xfe 4\n", "wb")
    d = report_json(p)
    eq(sorted(r["self"] for r in d["rows"]), [0, 0, 3, 4], "values")
    long_frame = "f" * 200000
    p = write(os.path.join(work_dir("long"), "l.folded"), "main;%s 9\n" % long_frame)
    eq(rows(report_json(p))[long_frame], (None, 9, 9), "a 200 kB frame")


@test
def frames_ending_in_numbers():
    # "stack a b" is not a differential line for thag-analyze: the frame is "leaf 12".
    p = write(os.path.join(work_dir("digits"), "w.folded"), "main;worker 3;leaf 12 5\nmain;x 7 2\nmain;x 7 1\n")
    eq(rows(report_json(p)), {"main": (None, 0, 8), "worker 3": (None, 0, 5), "leaf 12": (None, 5, 5),
                              "x 7": (None, 3, 3)}, "rows")


@test
def million_lines():
    p = os.path.join(work_dir("big"), "big-20260101-000000.folded")
    with open(p, "w") as f:
        f.write("# thag_profiler 0.1.0: kind=time program=big unit=ns\n")
        for i in range(1000000):
            f.write("main;worker %d;step %d;leaf %d %d\n" % (i % 7, i % 100, i % 1000, i % 10 + 1))
    t0 = time.time()
    d = report_json(p, "--limit", "3")
    took = time.time() - t0
    eq(d["totals"]["value"], 5500000, "total of 1M lines")
    eq(d["totals"]["stacks"], 7000, "distinct stacks (frames ending in numbers kept whole)")
    eq(d["rows"][0], dict(d["rows"][0], name="main", total=5500000), "main's total")
    print("    (1,000,000 lines in %.2f s)" % took)


# ---------------------------------------------------------------- the library's real output

MEMPROG = r"""
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include <stdlib.h>
void *keep[8];
int nkeep;
__attribute__((noinline)) static void leaker(void) { THAG_PROFILE(leaker); keep[nkeep++] = malloc(1000); }
__attribute__((noinline)) static void *maker(size_t n) { THAG_PROFILE(maker); return malloc(n); }
__attribute__((noinline)) static void freer(void *p) { THAG_PROFILE(freer); free(p); }
int main(void)
{
    THAG_ENABLE_PROFILING(runtime);
    int i;
    for (i = 0; i < 4; i++) { void *p = maker(64); freer(p); }
    for (i = 0; i < 3; i++) leaker();
    { void *q = maker(200); free(q); }
    return 0;
}
"""
_memprog = []


def real_memory_run(name, mode):
    """Runs a small program built with -DTHAG_FULL_PROFILING (memory profiling, mode '' =
    summary or 'true' = detail) and returns its output directory. Known result: leaker
    allocates 3 x 1000 B, all live at exit; maker 5 blocks (4 x 64 + 200 = 456 B), freed by
    freer (256 B) and by main (200 B)."""
    if not _memprog:
        d = work_dir("memprog")
        src = os.path.join(d, "memprog.c")
        write(src, MEMPROG)
        exe = os.path.join(d, "memprog")
        root = os.path.dirname(os.path.dirname(HERE))
        p = subprocess.run(["gcc", "-std=c11", "-O1", "-g", "-fno-omit-frame-pointer", "-rdynamic",
                            "-DTHAG_FULL_PROFILING", "-I" + root, "-o", exe, src, "-lmimalloc", "-pthread", "-ldl",
                            "-lm"], capture_output=True, text=True)
        check(p.returncode == 0, "building the memory program (needs libmimalloc-dev): " + p.stderr)
        _memprog.append(exe)
    out = work_dir(name)
    p = subprocess.run([_memprog[0]], env=dict(os.environ, THAG_PROFILER="memory,%s,,%s" % (out, mode)),
                       capture_output=True, text=True)
    eq(p.returncode, 0, "memory program: " + p.stderr)
    return out


def one(d, suffix):
    m = [f for f in os.listdir(d) if f.endswith(suffix)]
    eq(len(m), 1, "files ending in " + suffix)
    return os.path.join(d, m[0])


@test
def real_detail_counts_and_leaks():
    d = real_memory_run("realdetail", "true")
    doc = report_json(one(d, "-memory_detail.folded"))
    got = {n: v[:2] for n, v in rows(doc).items()}
    check(got["leaker"] == (3, 3000) and got["maker"] == (5, 456), got)
    # the deallocating stacks (main 200 B, freer 256 B) are not mixed in
    eq((doc["totals"]["value"], doc["totals"]["count"]), (3456, 8), "totals")
    check("freer" not in got, got)
    # interactive: detail file listed with its siblings, leaks and sizes from the detail profile
    rc, out, err = run(d, env=session_env(d), stdin="3\n2\n3\n4\n8\n3\n1\n3\n8\n8\n")
    eq(rc, 0, "rc: " + err)
    check("+memory_detail_calls +memory_detail_live" in out and "+memory_calls" in out, out)
    check("(other folded files)" not in out, out)
    check(out.count("Live at exit (leaks): 2.9 KiB in 1 stack ") == 2, out)
    check(re.search(r"^\s+2\.9 KiB  main;leaker$", out, re.M), out)
    check("main;maker" not in out.split("Live at exit (leaks)")[1], "maker's blocks were freed: " + out)
    check("approximate: each stack's allocations counted at its average size" in out, out)
    check(re.search(r"^\s+64 - 127\s+#{40}\s+5\s+456 B$", out, re.M), "maker bucket: " + out)
    check(re.search(r"^\s+512 - 1023\s+#{24}\s+3\s+2\.9 KiB$", out, re.M), "leaker bucket: " + out)


@test
def real_summary_leaks_from_memory_live():
    d = real_memory_run("realsummary", "")
    rc, out, err = run(d, env=session_env(d), stdin="3\n1\n3\n8\n8\n")
    eq(rc, 0, "rc: " + err)
    check("Live at exit (leaks): 2.9 KiB in 1 stack (per allocating stack, from the -memory_live file)" in out, out)
    check(re.search(r"^\s+2\.9 KiB  main;leaker$", out, re.M), out)
    doc = report_json(one(d, "-memory.folded"))
    eq({n: v[0] for n, v in rows(doc).items()}, {"leaker": 3, "maker": 5, "main": 0}, "counts")


@test
def inclusive_primary_uses_exclusive_sibling():
    incl = os.path.join(FIX, "demo-20261122-002055-inclusive.folded")
    rc, out, err = run("report", incl, "--format", "json")
    eq(rc, 0, "rc: " + err)
    check("holds inclusive time; reading its exclusive sibling" in err, err)
    eq(rows(json.loads(out)), rows(report_json(T1)), "same rows as the exclusive file")
    d = work_dir("lonelyincl")
    shutil.copy(incl, d)
    rc, out, err = run("report", os.path.join(d, os.path.basename(incl)))
    eq(rc, 2, "rc without the exclusive file")
    check("exclusive sibling" in err and "is missing" in err, err)
    odd = write(os.path.join(d, "odd.folded"),
                "# thag_profiler 0.1.0: kind=time_inclusive unit=ns\nmain 10\nmain;f 7\n")
    rc, out, err = run("report", odd)
    eq(rc, 2, "rc for an inclusive file by metadata")
    check("holds inclusive time" in err, err)


@test
def file_argument_is_a_report():
    rc, out, err = run(T1)
    eq(rc, 0, "rc: " + err)
    eq(out, run("report", T1)[1], "the report")
    check("is a file, not a directory" in err, err)


@test
def terminal_output_is_sanitised():
    d = work_dir("sanitise")
    p = write(os.path.join(d, "x.folded"),
              b"main;ev\x1b[31mil\x07;bad\xff\xfe\xc2\x9b 5\nmain;h\xc3\xa9llo 3\n", mode="wb")
    for args in (["report", p, "-vvv"], ["compare", p, p]):
        out = subprocess.run([TOOL] + args, capture_output=True).stdout
        for bad in (b"\x1b", b"\x07", b"\xff", b"\xc2\x9b"):
            check(bad not in out, "%r in %r" % (bad, out))
        check("\ufffd".encode() in out and "h\u00e9llo".encode() in out, out)
    doc = json.loads(subprocess.run([TOOL, "report", p, "--format", "json"], capture_output=True).stdout.decode("utf-8",
                                                                                                      "replace"))
    check(any(r["name"].startswith("ev\x1b[31mil") for r in doc["rows"]), "JSON keeps the name, escaped")


# ---------------------------------------------------------------- interactive, plain prompts

def fixture_dir(name):
    d = work_dir(name)
    for f in os.listdir(FIX):
        shutil.copy(os.path.join(FIX, f), d)
    return d


def fake_flamegraph(d):
    """A stand-in flamegraph tool for when build/flamegraph does not exist."""
    p = os.path.join(d, "fake-flamegraph")
    write(p, "#!/bin/sh\necho \"$@\" > \"$(dirname \"$0\")/fg-args\"\n"
             "echo '<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"></svg>'\n")
    os.chmod(p, 0o755)
    return p


def recorder(d):
    p = os.path.join(d, "browser")
    write(p, "#!/bin/sh\necho \"$1\" >> \"%s/opened\"\n" % d)
    os.chmod(p, 0o755)
    return p


def session_env(d):
    return {"THAG_BROWSER": recorder(d), "XDG_CONFIG_HOME": os.path.join(d, "config"),
            "THAG_FLAMEGRAPH": fake_flamegraph(d), "TMPDIR": d, "TERM": "xterm"}


@test
def interactive_plain_prompts():
    d = fixture_dir("plain")
    # Time profile -> second (older) demo profile -> statistics by calls, 2 rows -> back -> quit.
    script = "1\n2\n1\n3\n2\n6\n8\n"
    rc, out, err = run(d, env=session_env(d), stdin=script)
    eq(rc, 0, "rc: " + err)
    check(re.search(r"^demo$", out, re.M) and "memory summary" in out and "+calls +inclusive +timeline" in out,
          "listing: " + out)
    check(re.search(r"^\s+1\s+7\s+600 ns\s+60\.00%.*fib$", out, re.M), "stats: " + out)
    check(re.search(r"^\s+2\s+4\s+100 ns.*read$", out, re.M), "stats second row: " + out)
    check("(2 of 4 functions shown)" in out, out)
    check("\033[" not in out, "no colours when stdout is not a terminal")
    # The listing filter, and end of input in the middle of a menu ends the session cleanly.
    rc, out, err = run(d, env=session_env(d), stdin="6\nmemdemo\n1\n")
    eq(rc, 0, "rc")
    check("No time profiles match the filter" in out, out)


@test
def interactive_memory_views_plain():
    d = fixture_dir("plainmem")
    script = "3\n2\n3\n4\n8\n8\n"
    rc, out, err = run(d, env=session_env(d), stdin=script)
    eq(rc, 0, "rc: " + err)
    check("Live at exit (leaks): 164 B in 2 stacks" in out, out)
    check(re.search(r"^\s+100 B  main;parse$", out, re.M) and re.search(r"^\s+64 B  main;parse;alloc_small$", out, re.M),
          "leak stacks: " + out)
    check("exact, from the size frames of the detail file" in out, out)
    check(re.search(r"^\s+64 - 127\s+#{40}\s+15\s+1\.0 KiB$", out, re.M), "64-127 bucket: " + out)
    check(re.search(r"^\s+4K - 8K\s+#{27}\s+10\s+40\.0 KiB$", out, re.M), "4K-8K bucket: " + out)


@test
def interactive_before_after_plain():
    d = fixture_dir("beforeafter")
    env = session_env(d)
    # Memory before/after: before = the older memdemo (2), after = the newer (1); statistics, 0 = all rows.
    script = "4\n2\n1\n1\n0\n2\n5\n8\n"
    rc, out, err = run(d, env=env, stdin=script)
    eq(rc, 0, "rc: " + err)
    check(re.search(r"^grown\s+12 -> 20\s+\+8\s+768 B -> 1\.2 KiB\s+512 B\s+\+66\.7%\s+alloc_small$", out, re.M), out)
    check(re.search(r"^added\s+0 -> 1\s+\+1\s+0 B -> 50 B\s+50 B\s+new\s+newsite$", out, re.M), out)
    m = re.findall(r"SVG written to (\S+\.svg)", out)
    eq(len(m), 1, "one differential graph")
    check(os.path.basename(m[0]).startswith("memdemo-20261122-010000-memory-diff"), m[0])
    eq(open(os.path.join(d, "opened")).read().split(), m, "opened by the browser command")
    if not os.path.exists(os.path.join(os.path.dirname(TOOL), "flamegraph")):
        args = open(os.path.join(d, "fg-args")).read()
        check(args.startswith("--diff --countname bytes --title"), args)
        check(args.rstrip().endswith("memdemo-20261122-010000-memory.folded %s/memdemo-20261122-020000-memory.folded" % d),
              args)


@test
def interactive_no_browser_prints_path():
    d = fixture_dir("nobrowser")
    env = session_env(d)
    env["THAG_BROWSER"] = ""
    env["DISPLAY"] = ""
    env["WAYLAND_DISPLAY"] = ""
    env["PATH"] = "/nonexistent"
    rc, out, err = run(d, env=env, stdin="1\n2\n2\n6\n8\n")
    eq(rc, 0, "rc: " + err)
    m = re.search(r"SVG written to (\S+\.svg)", out)
    check(m and os.path.exists(m.group(1)), out)
    check("No browser available" in out, out)


# ---------------------------------------------------------------- interactive, real terminal

class Tmux:
    """A detached tmux session (own server socket) running cmd in a 160x50 terminal."""
    def __init__(self, name, cmd, env):
        self.name = name
        self.sock = ["tmux", "-L", "thag-analyze-test-%d" % os.getpid(), "-f", "/dev/null"]
        os.environ.setdefault("TERM", "xterm")
        subprocess.run(self.sock + ["kill-session", "-t", name], capture_output=True)
        exports = " ".join("%s='%s'" % (k, v) for k, v in env.items())
        subprocess.run(self.sock + ["new-session", "-d", "-s", name, "-x", "160", "-y", "50",
                                    "env %s %s; echo THAG-EXIT=$?; sleep 60" % (exports, cmd)], check=True)
        subprocess.run(self.sock + ["set-option", "-t", name, "history-limit", "10000"], capture_output=True)

    def keys(self, *keys):
        subprocess.run(self.sock + ["send-keys", "-t", self.name] + list(keys), check=True)

    def screen(self):
        p = subprocess.run(self.sock + ["capture-pane", "-p", "-e", "-S", "-10000", "-t", self.name],
                           capture_output=True, text=True)
        return p.stdout

    def wait_for(self, pattern, after=0, timeout=30):
        """Waits until pattern appears in the pane text after offset `after`; returns the
        position just past the match (the timeout only guards against a hung test)."""
        end = time.time() + timeout
        while time.time() < end:
            text = strip_ansi(self.screen())
            m = re.compile(pattern, re.M).search(text, after)
            if m:
                return m.end()
            time.sleep(0.1)
        raise AssertionError("timed out waiting for %r; screen:\n%s" % (pattern, strip_ansi(self.screen())))

    def close(self):
        subprocess.run(self.sock + ["kill-server"], capture_output=True)


def strip_ansi(s):
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", s)


@test
def interactive_tmux_end_to_end():
    if not shutil.which("tmux"):
        raise AssertionError("tmux is not installed (mk/analyze.deps lists it)")
    d = fixture_dir("tmux")
    env = session_env(d)
    real = os.path.join(os.path.dirname(TOOL), "flamegraph")
    t = Tmux("analyze", "%s %s" % (TOOL, d), env)
    try:
        pos = t.wait_for(r"Choice \(arrows/number")
        raw = t.screen()
        check("\x1b[" in raw, "colours in a terminal")
        check(re.search(r"^memdemo$", strip_ansi(raw), re.M), "listing grouped by program")
        # Time profile; the arrow keys move to the second profile (the older demo).
        t.keys("Down", "Enter")     # the arrow moves to item 2 of the main menu: before/after
        pos = t.wait_for(r"Before", pos)
        t.keys("q")                 # q backs out of the "Before" picker
        pos = t.wait_for(r"Choice \(arrows", pos)
        t.keys("1", "Enter")
        pos = t.wait_for(r"Time profile", pos)
        t.keys("Down", "Enter")
        pos = t.wait_for(r"demo-20261122-002055\.folded\n.*Statistics", pos)
        t.keys("1", "Enter")        # statistics
        pos = t.wait_for(r"Sort by", pos)
        t.keys("Down", "Down", "Enter")   # calls
        pos = t.wait_for(r"Rows to show", pos)
        t.keys("3", "Enter")
        pos = t.wait_for(r"\(3 of 4 functions shown\)", pos)
        text = strip_ansi(t.screen())
        check(re.search(r"^\s+1\s+7\s+600 ns\s+60\.00%.*fib$", text, re.M), "stats by calls:\n" + text)
        check(re.search(r"^\s+3\s+2\s+300 ns.*load$", text, re.M), "third row:\n" + text)
        # Remove `load` with its children, then the statistics no longer show it.
        t.keys("4", "Enter")
        pos = t.wait_for(r"to remove:", pos)
        t.keys("load", "Enter")
        pos = t.wait_for(r"Choice \(arrows", pos)
        t.keys("2", "Enter")
        pos = t.wait_for(r"load  \(with everything it calls\)", pos)
        t.keys("1", "Enter")
        pos = t.wait_for(r"Sort by", pos)
        t.keys("Enter")
        pos = t.wait_for(r"Rows to show", pos)
        t.keys("Enter")
        pos = t.wait_for(r"Total: 700 ns in 4 stacks, 2 functions", pos)
        # Flamegraph of the filtered profile, opened by the recorder.
        t.keys("2", "Enter")
        pos = t.wait_for(r"Opened in the browser", pos)
        opened = open(os.path.join(d, "opened")).read().split()
        eq(len(opened), 1, "one SVG opened")
        svg = open(opened[0]).read()
        check("<svg" in svg, "an SVG was written")
        check("load" not in svg or not os.path.exists(real), "the removed function is not in the graph")
        # Flamechart from the timeline file.
        t.keys("3", "Enter")
        pos = t.wait_for(r"Opened in the browser", pos)
        eq(len(open(os.path.join(d, "opened")).read().split()), 2, "flamechart opened")
        t.keys("5", "Enter")         # clear removals
        pos = t.wait_for(r"Removals cleared", pos)
        t.keys("6", "Enter")         # back to the main menu
        pos = t.wait_for(r"Choice \(arrows", pos)
        # Memory profile: the older memdemo, size distribution.
        t.keys("3", "Enter")
        pos = t.wait_for(r"Memory profile", pos)
        t.keys("2", "Enter")
        pos = t.wait_for(r"Allocation size distribution", pos)
        t.keys("4", "Enter")
        pos = t.wait_for(r"4K - 8K\s+#+\s+10\s+40\.0 KiB", pos)
        text = strip_ansi(t.screen())
        check(re.search(r"^\s+64 - 127\s+#{40}\s+15\s+1\.0 KiB$", text, re.M), "distribution:\n" + text)
        t.keys("8", "Enter")
        pos = t.wait_for(r"Choice \(arrows", pos)
        # Colour scheme, remembered in the config directory.
        t.keys("7", "Enter")
        pos = t.wait_for(r"Colour scheme for graphs", pos)
        t.keys("Down", "Enter")
        pos = t.wait_for(r"Colour scheme 'mem' saved", pos)
        conf = open(os.path.join(d, "config", "thag", "analyze.conf")).read()
        check("colors=mem" in conf, conf)
        t.keys("8", "Enter")
        t.wait_for(r"THAG-EXIT=0", pos)
    finally:
        t.close()
    # A new session starts with the remembered scheme and passes it to the flamegraph tool.
    rc, out, err = run(d, env=env, stdin="1\n1\n2\n6\n8\n")
    check("Colour scheme (now: mem)" in out, out)
    if not os.path.exists(real):
        check("--colors mem" in open(os.path.join(d, "fg-args")).read(), "scheme passed on")


@test
def colours_only_in_a_terminal():
    if not shutil.which("tmux"):
        raise AssertionError("tmux is not installed (mk/analyze.deps lists it)")
    for no_color, want in (("", True), ("1", False)):
        t = Tmux("colours", "%s report %s" % (TOOL, T1), {"NO_COLOR": no_color, "TERM": "xterm"})
        try:
            t.wait_for(r"THAG-EXIT=0")
            eq("\x1b[1m" in t.screen(), want, "bold in a terminal with NO_COLOR=%r" % no_color)
        finally:
            t.close()
    eq("\x1b[" in run("report", T1)[1], False, "no colours in a pipe")


def main():
    os.makedirs(WORK, exist_ok=True)
    failed = 0
    only = os.environ.get("ANALYZE_TEST")
    for fn in TESTS:
        if only and only not in fn.__name__:
            continue
        try:
            fn()
            print("ok   %s" % fn.__name__)
        except Exception as e:  # noqa: BLE001 - report every failure, keep going
            failed += 1
            print("FAIL %s: %s" % (fn.__name__, e))
    total = sum(1 for fn in TESTS if not only or only in fn.__name__)
    print("test-analyze: %d of %d tests failed" % (failed, total) if failed else
          "test-analyze: all %d tests passed" % total)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
