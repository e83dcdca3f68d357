#!/bin/bash
# Async benchmark: ns per fiber switch and per task resume (enter + leave),
# printed next to the cost of an empty profiled scope (enter + exit) from
# the same run, each minus the same loop compiled without profiling. Best
# of 5 interleaved runs (noisy shared machines). Not a test: it prints.
set -eu
cd "$(dirname "$0")/.."
B=${BUILD:-build}/async; mkdir -p "$B"
N=${BENCH_CALLS:-10000000}
cc -O2 -I. bench/async.c -o "$B/bench-off" -pthread
cc -O2 -I. -DTHAG_TIME_PROFILING bench/async.c -o "$B/bench-time" -pthread
out=$(mktemp -d "${TMPDIR:-/tmp}/thag-bench-async.XXXXXX")
trap 'rm -rf "$out"' EXIT
declare -A r
for i in 1 2 3 4 5; do
    for v in off time notl; do
        case $v in
        off) line=$("$B/bench-off" "$N");;
        time) line=$(cd "$out" && THAG_PROFILER=time,$out "$OLDPWD/$B/bench-time" "$N");;
        notl) line=$(cd "$out" && THAG_TIMELINE_EVENTS=0 THAG_PROFILER=time,$out "$OLDPWD/$B/bench-time" "$N");;
        esac
        set -- $line
        r[$v-scope]+="$1 "; r[$v-switch]+="$2 "; r[$v-resume]+="$3 "; r[$v-begin]+="$4 "
    done
done
best() { echo ${r[$1]} | tr ' ' '\n' | grep . | sort -n | head -1; }
cost() { awk -v a="$(best "$1-$2")" -v b="$(best "off-$2")" 'BEGIN{printf "%.2f", a-b}'; }
echo "async benchmark: $N ops, best of 5 (ns per op, minus the same loop without profiling)"
printf '%-44s %10s %14s\n' "" "timeline" "no timeline"
for op in scope switch resume begin; do
    case $op in
    scope) name="profiled scope (enter + exit)";;
    switch) name="fiber switch (THAG_FIBER_SWITCH)";;
    resume) name="task resume (THAG_TASK_RESUME enter + leave)";;
    begin) name="task begin + end (not on the hot path)";;
    esac
    printf '%-44s %10s %14s\n' "$name" "$(cost time $op)" "$(cost notl $op)"
done
for op in switch resume; do
    printf 'ratio %s / scope: %s (timeline), %s (no timeline); the goal is <= 1\n' "$op" \
        "$(awk -v a="$(cost time $op)" -v b="$(cost time scope)" 'BEGIN{printf "%.2f", a/b}')" \
        "$(awk -v a="$(cost notl $op)" -v b="$(cost notl scope)" 'BEGIN{printf "%.2f", a/b}')"
done
