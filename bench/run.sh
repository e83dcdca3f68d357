#!/bin/bash
# Scope-cost benchmark: prints ns per call with and without profiling, and
# their difference (the cost of one empty profiled scope), from runs made
# now, interleaved, best of 5 (these machines are noisy). Not a test.
set -eu
cd "$(dirname "$0")/.."
B=build/bench; mkdir -p $B
CALLS=${BENCH_CALLS:-20000000}
cc -O2 -I. bench/scope.c -o $B/scope-off -pthread
cc -O2 -I. -DTHAG_TIME_PROFILING bench/scope.c -o $B/scope-time -pthread
best() { sort -n | head -1; }
declare -A r
for i in 1 2 3 4 5; do
    for v in off time time-notl; do
        case $v in
        off) out=$($B/scope-off "$CALLS");;
        time) out=$(cd $B && THAG_PROFILER=time,/tmp/thag-bench $PWD/scope-time "$CALLS");;
        time-notl) out=$(cd $B && THAG_TIMELINE_EVENTS=0 THAG_PROFILER=time,/tmp/thag-bench $PWD/scope-time "$CALLS");;
        esac
        r[$v-1]+="$(echo "$out" | awk '{print $1}') "; r[$v-2]+="$(echo "$out" | awk '{print $2}') "
        r[$v-rss]+="$(echo "$out" | awk '{print $3}') "
    done
done
rm -rf /tmp/thag-bench
pick() { echo ${r[$1]} | tr ' ' '\n' | grep . | best; }
echo "scope benchmark: $CALLS calls per thread, best of 5 (thread CPU ns per call, averaged over the threads)"
printf '%-34s %10s %10s\n' "" "1 thread" "2 threads"
for v in off time time-notl; do
    printf '%-34s %10.2f %10.2f\n' "$v" "$(pick $v-1)" "$(pick $v-2)"
done
for v in time time-notl; do
    printf '%-34s %10.2f %10.2f\n' "cost of a profiled scope ($v)" \
        "$(awk -v a="$(pick $v-1)" -v b="$(pick off-1)" 'BEGIN{print a-b}')" \
        "$(awk -v a="$(pick $v-2)" -v b="$(pick off-2)" 'BEGIN{print a-b}')"
done
for v in time time-notl; do
    printf 'memory growth over %d calls after warm-up (%s): %s KiB (%.4f bytes/call)\n' $((CALLS * 3)) "$v" \
        "$(pick $v-rss)" "$(awk -v k="$(pick $v-rss)" -v n=$((CALLS * 3)) 'BEGIN{print k*1024/n}')"
done
