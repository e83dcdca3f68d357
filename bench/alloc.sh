#!/bin/bash
# Memory-profiling benchmark: CPU time (user+sys, children included) of an
# allocation-heavy workload, plain mimalloc against each mode and against
# heaptrack, best of $BENCH_ALLOC_REPS (3) runs each, interleaved. Ratios are to plain in the
# same run. Not a test.
set -eu
cd "$(dirname "$0")/.."
B=build/bench; mkdir -p $B
ROUNDS=${BENCH_ALLOC_ROUNDS:-2000}
REPS=${BENCH_ALLOC_REPS:-3} # runs of each mode, interleaved; the best counts
OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT
cc -O2 -g -I. bench/alloc.c -o $B/alloc-plain -pthread -lmimalloc
cc -O2 -g -fno-omit-frame-pointer -DTHAG_FULL_PROFILING -I. bench/alloc.c -o $B/alloc-full -pthread -lmimalloc
for h in 0 1; do # the floors: a forwarding hook, and one with a header
    cc -O2 -g -I. -DFLOOR_HEADER=$h bench/alloc.c bench/alloc_floor.c -o $B/alloc-floor$h -pthread -lmimalloc
done
cc -O2 -g -fno-omit-frame-pointer -I. -DFLOOR_WALK=1 bench/alloc.c bench/alloc_floor.c -o $B/alloc-floorwalk \
    -pthread -lmimalloc
cpu() { # the CPU seconds of a command, children included
    local s; s=$( { TIMEFORMAT='%U %S'; time "$@" >/dev/null 2>&1; } 2>&1 | tail -1)
    awk -v s="$s" 'BEGIN { split(s, a, " "); printf "%.3f", a[1] + a[2] }'
}
run() {
    case $1 in
    plain) cpu $B/alloc-plain "$ROUNDS";;
    forward) cpu $B/alloc-floor0 "$ROUNDS";;
    header) cpu $B/alloc-floor1 "$ROUNDS";;
    walk) cpu $B/alloc-floorwalk "$ROUNDS";;
    hooks) cpu env THAG_PROFILER=none,$OUT $B/alloc-full "$ROUNDS";;
    summary) cpu env THAG_PROFILER=memory,$OUT $B/alloc-full "$ROUNDS";;
    detail) cpu env THAG_PROFILER=memory,$OUT,,true $B/alloc-full "$ROUNDS";;
    sampled) cpu env THAG_SAMPLE_BYTES=524288 THAG_PROFILER=memory,$OUT $B/alloc-full "$ROUNDS";;
    heaptrack) cpu heaptrack -o "$OUT/ht" $B/alloc-plain "$ROUNDS";;
    esac
}
# forward, header, walk: floors (bench/alloc_floor.c), a hook that only
# forwards to mimalloc; one that also writes and reads a 16-byte header (no
# exact per-block accounting can cost less: summary's floor); one that also
# walks the whole frame-pointer chain at every allocation and free (detail
# mode's floor).
# hooks: ours, profiling off.
MODES="plain forward header walk hooks summary detail sampled"
command -v heaptrack >/dev/null && MODES="$MODES heaptrack"
declare -A best
for i in $(seq "$REPS"); do
    for m in $MODES; do
        t=$(run $m)
        if [ -z "${best[$m]:-}" ] || awk -v a="$t" -v b="${best[$m]}" 'BEGIN{exit !(a<b)}'; then best[$m]=$t; fi
    done
done
echo "allocation benchmark: $ROUNDS rounds, CPU seconds (best of $REPS) and ratio to plain mimalloc"
for m in $MODES; do
    printf '%-10s %8.3f s  %6.2fx\n' "$m" "${best[$m]}" "$(awk -v a="${best[$m]}" -v b="${best[plain]}" 'BEGIN{print a/b}')"
done
if [ -n "${best[heaptrack]:-}" ]; then
    printf 'heaptrack / detail: %.1fx\n' "$(awk -v a="${best[heaptrack]}" -v b="${best[detail]}" 'BEGIN{print a/b}')"
fi
