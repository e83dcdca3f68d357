#!/bin/bash
# make demo: profiles the examples, writes their folded files and SVG
# flamegraphs into build/demo, and prints where they are and the hottest
# stacks. Run through `make demo` (which builds everything first).
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/build/demo
FG=$PWD/build/flamegraph
rm -rf "$OUT"; mkdir -p "$OUT"

run() { # NAME ARGS...: runs build/examples/full/NAME, time and memory, into $OUT
    local name=$1; shift
    echo "== $name $*"
    (cd "$OUT" && THAG_PROFILER="both,$OUT" "$ROOT/build/examples/full/$name" "$@" | sed 's/^/   /')
}
run wordfreq "$ROOT/thag_profiler.h" "$ROOT"/examples/*.c "$ROOT"/tools/*.c
run recurse 10
run workers
for async in coro uvserver; do # async examples (time): coroutines, a libuv server
    echo "== $async"
    (cd "$OUT" && THAG_PROFILER="time,$OUT" "$ROOT/build/async/$async" | sed 's/^/   /')
done

hottest() { # FILE SCALE UNIT: the five stacks with the largest values
    grep -v '^#' "$1" | awk -v k="$2" -v u="$3" '{ v = $NF; $NF = ""; printf "%14.3f %s  %s\n", v / k, u, $0 }' | sort -rn | head -5
}
totals() { # FILE: the memory totals of its entry in the run's manifest (<p>-<ts>-manifest.txt)
    grep "^file=$(basename "$1") " "${1%-*}-manifest.txt" | tr ' ' '\n' |
        grep -E '^(allocations|deallocations|bytes|peak|current)=' | tr '\n' ' '
}
echo
for f in "$OUT"/*[0-9].folded; do
    base=${f%.folded}
    echo "== $(basename "$base"): hottest stacks (exclusive time)"
    hottest "$f" 1e6 ms
    if [ -e "$base-memory.folded" ]; then
        echo "   memory: $(totals "$base-memory.folded")"
        hottest "$base-memory.folded" 1024 KiB
    fi
    if [ -x "$FG" ]; then
        "$FG" --title "$(basename "$base") (exclusive time)" "$f" > "$base.svg"
        "$FG" --flamechart --title "$(basename "$base") (timeline)" "$base-timeline.txt" > "$base-flamechart.svg"
        echo "   flamegraph: $base.svg"
        echo "   flamechart: $base-flamechart.svg"
        if [ -e "$base-memory.folded" ]; then
            "$FG" --colors mem --title "$(basename "$base") (bytes allocated)" "$base-memory.folded" > "$base-memory.svg"
            echo "   memory flamegraph: $base-memory.svg"
        fi
    fi
done
echo
echo "folded files and SVGs are in $OUT:"
ls -1 "$OUT" | sed 's/^/   /'
[ -x "$FG" ] || echo "(build/flamegraph is not built: no SVGs; run make first)"
