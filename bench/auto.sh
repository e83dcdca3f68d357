#!/bin/bash
# Automatic-mode benchmark: the cost of one instrumented call (enter and
# exit hooks) with thag_profiler, against the same program without
# instrumentation and against uftrace recording the -finstrument-functions
# build of it. Interleaved runs, best of 5; prints ns per call and the ratio
# of the costs. Not a test. Usage: bench/auto.sh [BUILD_DIR]
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}/auto/bench; mkdir -p "$B"
CALLS=${BENCH_CALLS:-2000000}
CC=${CC:-cc}
$CC -O2 bench/auto.c -o "$B/plain"
$CC -O2 -finstrument-functions bench/auto.c -o "$B/hooks"
$CC -O2 -finstrument-functions -DTHAG_TIME_PROFILING -I. bench/auto.c bench/auto_impl.c -o "$B/thag" -pthread
have_uftrace=0; command -v uftrace > /dev/null && have_uftrace=1
declare -A r
for i in 1 2 3 4 5; do
    r[plain]+="$("$B/plain" "$CALLS") "
    r[hooks]+="$("$B/hooks" "$CALLS") "
    r[thag]+="$(cd "$B" && rm -rf out && THAG_PROFILER=time,out ./thag "$CALLS") "
    r[notl]+="$(cd "$B" && rm -rf out && THAG_TIMELINE_EVENTS=0 THAG_PROFILER=time,out ./thag "$CALLS") "
    if [ $have_uftrace = 1 ]; then
        r[uftrace]+="$(cd "$B" && rm -rf uftrace.data && uftrace record --no-pager ./hooks "$CALLS" 2> /dev/null | tail -1) "
    fi
done
rm -rf "$B/out" "$B/uftrace.data"
best() { echo ${r[$1]} | tr ' ' '\n' | grep . | sort -n | head -1; }
echo "automatic mode (-finstrument-functions): $CALLS calls, best of 5, ns per call"
printf '%-52s %8.2f\n' "not instrumented" "$(best plain)"
printf '%-52s %8.2f\n' "instrumented, libc's empty hooks" "$(best hooks)"
printf '%-52s %8.2f\n' "thag_profiler (timeline on)" "$(best thag)"
printf '%-52s %8.2f\n' "thag_profiler (THAG_TIMELINE_EVENTS=0)" "$(best notl)"
cost() { awk -v a="$(best "$1")" -v b="$(best plain)" 'BEGIN { printf "%.2f", a - b }'; }
printf '%-52s %8s\n' "cost per call: thag_profiler" "$(cost thag)"
printf '%-52s %8s\n' "cost per call: thag_profiler, no timeline" "$(cost notl)"
if [ $have_uftrace = 1 ]; then
    printf '%-52s %8.2f\n' "uftrace record" "$(best uftrace)"
    printf '%-52s %8s\n' "cost per call: uftrace" "$(cost uftrace)"
    awk -v t="$(cost thag)" -v u="$(cost uftrace)" \
        'BEGIN { printf "thag_profiler / uftrace cost per call: %.2f (target: at most 0.50)\n", t / u }'
else
    echo "uftrace not installed (Debian package uftrace): no comparison"
fi
