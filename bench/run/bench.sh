#!/bin/bash
# bench-run: an allocation-heavy program (bench/run/churn.c) run plain, under
# thag-run (summary, detail with each stack capture, sampled) and under
# heaptrack: CPU-time ratios against the plain run, and how well thag-run's
# per-site allocation counts agree with heaptrack's. Then two interpreters
# built without frame pointers (Debian's python3 and lua5.4), plain, under
# thag-run's default and under heaptrack, in the same run: the CPU ratio
# thag-run/heaptrack and the per-stack and per-site agreement (sites.py).
# No thresholds: it prints numbers. Run from the repository root.
# SCALE (churn), PY_N (python3's dict), LUA_N (strtab.lua's rounds) scale it.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
RUN=$B/thag-run
T=$(mktemp -d "${TMPDIR:-/tmp}/thag-bench-run.XXXXXX")
trap 'rm -rf "$T"' EXIT
SCALE=${SCALE:-20000}
cc -O2 -g -fno-builtin -fno-omit-frame-pointer bench/run/churn.c -o "$T/churn" || exit 1

# cpu CMD...: user+sys seconds of CMD and its children
cpu() { local s; s=$( { TIMEFORMAT='%3U %3S'; time "$@" >/dev/null 2>&1; } 2>&1 | tail -1); awk -v s="$s" 'BEGIN { split(s, a, " "); printf "%.3f", a[1] + a[2] }'; }
best() { local b=999999 i v; for i in 1 2 3; do v=$(cpu "$@"); b=$(awk -v a="$b" -v v="$v" 'BEGIN { print (v < a ? v : a) }'); done; echo "$b"; }
n=0
th() { n=$((n + 1)); rm -rf "$T/r$n"; "$RUN" -q -d "$T/r$n" "$@" -- "$T/churn" "$SCALE"; }
thr() { n=$((n + 1)); rm -rf "$T/r$n"; "$RUN" -q -d "$T/r$n" -- "$@"; } # thag-run's defaults

base=$(best "$T/churn" "$SCALE")
echo "bench-run: churn $SCALE ($(( SCALE * 50 + SCALE * 100 + SCALE * 5 * 9 )) allocations), CPU seconds (best of 3; libgcc: one run) and ratio to the plain run"
printf "  %-40s %8s %8s\n" "run" "cpu s" "ratio"
printf "  %-40s %8s %8s\n" "plain" "$base" "1.00"
for mode in "--mode summary" "--mode detail --stack unwind" "--mode detail --stack libgcc" "--mode detail --stack fp" "--mode sampled"; do
    if [ "$mode" = "--mode detail --stack libgcc" ]; then t=$(cpu th $mode); else t=$(best th $mode); fi
    printf "  %-40s %8s %8s\n" "thag-run $mode" "$t" "$(awk -v a="$t" -v b="$base" 'BEGIN { printf "%.2f", a / b }')"
done
t=$(best heaptrack -o "$T/ht" "$T/churn" "$SCALE")
printf "  %-40s %8s %8s\n" "heaptrack (recording only)" "$t" "$(awk -v a="$t" -v b="$base" 'BEGIN { printf "%.2f", a / b }')"

# Per-site agreement: innermost function counts, thag-run detail vs heaptrack.
"$RUN" -q -d "$T/sites" --format json --limit 0 -- "$T/churn" "$SCALE"
rm -f "$T"/ht*.zst
heaptrack -o "$T/ht" "$T/churn" "$SCALE" >/dev/null 2>&1
heaptrack_print -f "$T/ht.zst" --flamegraph-cost-type allocations -F "$T/ht.folded" >/dev/null 2>&1
python3 - "$T/sites/report.json" "$T/ht.folded" <<'PY'
import json, sys, collections
ours = {s['site']: s['count'] for s in json.load(open(sys.argv[1]))['allocations']}
theirs = collections.Counter()
for line in open(sys.argv[2]):
    stack, _, v = line.rstrip('\n').rpartition(' ')
    if '_dl_init' in stack: continue  # heaptrack's own libstdc++ loading
    inner = stack.rstrip(';').split(';')[-1].split(' (')[0]
    theirs[inner] += int(v)
print("per-site allocation counts (innermost function): thag-run detail vs heaptrack")
agree = 0
for k in sorted(set(ours) | set(theirs), key=lambda k: -max(ours.get(k, 0), theirs.get(k, 0)))[:8]:
    a, b = ours.get(k, 0), theirs.get(k, 0)
    print("  %-28s %10d %10d  %s" % (k[:28], a, b, "equal" if a == b else "differs by %d" % (a - b)))
total_a, total_b = sum(ours.values()), sum(theirs.values())
common = sum(min(ours.get(k, 0), theirs.get(k, 0)) for k in set(ours) | set(theirs))
print("  totals: thag-run %d, heaptrack %d; agreement %.4f%% (sum of per-site minimums / heaptrack's total)"
      % (total_a, total_b, 100.0 * common / max(total_b, 1)))
PY

# The interpreters: thag-run's default (detail, --stack unwind) against heaptrack.
PY_N=${PY_N:-100000}
LUA_N=${LUA_N:-92000}
LUA=$PWD/bench/run/strtab.lua
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (b < a ? b : a) }'; }
interp() { # TAG NAME ARGS...: plain, thag-run and heaptrack CPU; per-stack agreement
    local tag=$1 name=$2 p r h i d=$T/$1 files; shift 2
    mkdir -p "$d"
    p=999999 r=999999 h=999999
    for i in 1 2 3; do # interleaved, so that a change of the machine's load hits all three alike
        p=$(min "$p" "$(cpu "$@")")
        r=$(min "$r" "$(cpu thr "$@")")
        h=$(min "$h" "$(cd "$d" && cpu heaptrack -o "$d/ht" "$@")")
    done
    printf "  %-34s %8s %8s %10s %10s\n" "$name" "$p" "$r" "$h" "$(ratio "$r" "$h")"
    rm -rf "$d/thag" "$d"/ht*
    (cd "$d" && "$OLDPWD/$RUN" -q -d "$d/thag" -- "$@" >/dev/null 2>&1 && heaptrack -o "$d/ht" "$@" >/dev/null 2>&1)
    heaptrack_print -f "$d/ht.zst" --flamegraph-cost-type allocations -F "$d/ht.folded" >/dev/null 2>&1
    files=$(ls "$d"/thag/[0-9]*/*-memory_detail_calls.folded | paste -sd,)
    echo "  $tag: $(python3 tests/run/sites.py "$files" "$d/ht.folded")" >>"$T/agree"
}
echo
echo "interpreters without frame pointers: CPU seconds (best of 3, interleaved), thag-run default (detail, --stack unwind) vs heaptrack"
printf "  %-34s %8s %8s %10s %10s\n" "program" "plain" "thag-run" "heaptrack" "ratio"
: >"$T/agree"
PYTHONMALLOC=malloc interp py "python3 dict of $PY_N lists" /usr/bin/python3 -c "d = {i: [i, str(i), [i]] for i in range($PY_N)}"
interp lua "lua5.4 strtab.lua $LUA_N" lua5.4 "$LUA" "$LUA_N"
echo "allocation counts against heaptrack's (less its own libstdc++'s pool), as multisets of counts per stack and per site:"
cat "$T/agree"
