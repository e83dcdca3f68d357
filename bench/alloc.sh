#!/bin/bash
# Memory-profiling benchmark: CPU time (user+sys, children included) of an
# allocation-heavy workload, plain mimalloc against each mode and against
# heaptrack, best of $BENCH_ALLOC_REPS (3) runs each, interleaved. Ratios are to plain in the
# same run, and of summary and detail to their floors. Not a test.
# BENCH_ALLOC_CALLGRIND=1 also counts instructions (valgrind's callgrind,
# the same whatever the machine's load) per malloc+free pair above plain,
# on BENCH_ALLOC_ROUNDS/10 rounds; the pairs are the allocations summary
# mode counted (its memory_calls.folded).
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
# A run is stopped after BENCH_RUN_LIMIT seconds (default 120), and said so
# on stderr: Debian's mimalloc 2.0.9 can spin for ever in its thread-exit
# destructor (upstream microsoft/mimalloc#759; seen once here, in the plain
# build, without the profiler). Its time then is the limit, never the best.
LIMIT=${BENCH_RUN_LIMIT:-120}
cpu() { # the CPU seconds of a command, children included
    local s
    s=$( { TIMEFORMAT='%U %S'; time { timeout -k 5 "$LIMIT" "$@" >/dev/null 2>&1; echo $? >"$OUT/rc"; }; } 2>&1 | tail -1)
    case $(cat "$OUT/rc") in 124|137) echo "bench/alloc.sh: stopped after $LIMIT s: $*" >&2;; esac
    awk -v s="$s" 'BEGIN { split(s, a, " "); printf "%.3f", a[1] + a[2] }'
}
cmd() { # the command of a mode ($2: its output directory)
    case $1 in
    plain) echo $B/alloc-plain;;
    forward) echo $B/alloc-floor0;;
    header) echo $B/alloc-floor1;;
    walk) echo $B/alloc-floorwalk;;
    hooks) echo env THAG_PROFILER=none,$2 $B/alloc-full;;
    summary) echo env THAG_PROFILER=memory,$2 $B/alloc-full;;
    detail) echo env THAG_PROFILER=memory,$2,,true $B/alloc-full;;
    sampled) echo env THAG_SAMPLE_BYTES=524288 THAG_PROFILER=memory,$2 $B/alloc-full;;
    heaptrack) echo heaptrack -o $2/ht $B/alloc-plain;;
    esac
}
run() { cpu $(cmd "$1" "$OUT") "$ROUNDS"; }
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
ratio() { awk -v a="${best[$1]}" -v b="${best[$2]}" 'BEGIN{printf "%.2f", a/b}'; }
echo "summary / header floor: $(ratio summary header)x; detail / walk floor: $(ratio detail walk)x"
if [ -n "${best[heaptrack]:-}" ]; then
    printf 'heaptrack / detail: %.1fx\n' "$(awk -v a="${best[heaptrack]}" -v b="${best[detail]}" 'BEGIN{print a/b}')"
fi

if [ "${BENCH_ALLOC_CALLGRIND:-0}" = 1 ] && command -v valgrind >/dev/null; then
    callgrind() { # the instructions of a command run with $1 rounds (its env assignments outside valgrind)
        local r=$1 pre=(); shift
        if [ "$1" = env ]; then shift; while [[ "$1" == *=* ]]; do pre+=("$1"); shift; done; fi
        env "${pre[@]}" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" "$r" 2>&1 |
            sed -n 's/.*Collected : *//p'
    }
    # Each mode at R and R/2 rounds: the difference leaves out what does
    # not grow with the rounds (start-up, writing the profile).
    R=$((ROUNDS / 10)); H=$((R / 2))
    declare -A ir
    for m in plain forward header walk hooks summary detail sampled; do
        for r in $R $H; do
            d="$OUT/cg-$m-$r"; mkdir -p "$d"
            ir[$m-$r]=$(callgrind "$r" $(cmd $m "$d"))
        done
    done
    calls() { cat "$OUT"/cg-summary-$1/*-memory_calls.folded | awk '{n += $NF} END {print n}'; }
    pairs=$(( $(calls $R) - $(calls $H) ))
    echo "instructions per malloc+free pair above plain (callgrind, $R rounds less $H: $pairs pairs):"
    for m in forward header walk hooks summary detail sampled; do
        printf '%-10s %8.1f\n' "$m" "$(awk -v a="${ir[$m-$R]}" -v b="${ir[$m-$H]}" -v c="${ir[plain-$R]}" \
            -v e="${ir[plain-$H]}" -v n="$pairs" 'BEGIN{print ((a-b)-(c-e))/n}')"
    done
fi
