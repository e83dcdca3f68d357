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

run() { # NAME ARGS...: runs build/examples/time/NAME with profiling into $OUT
    local name=$1; shift
    echo "== $name $*"
    (cd "$OUT" && THAG_PROFILER="time,$OUT" "$ROOT/build/examples/time/$name" "$@" | sed 's/^/   /')
}
run wordfreq "$ROOT/thag_profiler.h" "$ROOT"/examples/*.c "$ROOT"/tools/*.c
run recurse 10
run workers

hottest() { # FILE: the five stacks with the most exclusive time
    grep -v '^#' "$1" | awk '{ v = $NF; $NF = ""; printf "%14.3f ms  %s\n", v / 1e6, $0 }' | sort -rn | head -5
}
echo
for f in "$OUT"/*[0-9].folded; do
    base=${f%.folded}
    echo "== $(basename "$base"): hottest stacks (exclusive time)"
    hottest "$f"
    if [ -x "$FG" ]; then
        "$FG" --title "$(basename "$base") (exclusive time)" "$f" > "$base.svg"
        "$FG" --flamechart --title "$(basename "$base") (timeline)" "$base-timeline.folded" > "$base-flamechart.svg"
        echo "   flamegraph: $base.svg"
        echo "   flamechart: $base-flamechart.svg"
    fi
done
echo
echo "folded files and SVGs are in $OUT:"
ls -1 "$OUT" | sed 's/^/   /'
[ -x "$FG" ] || echo "(build/flamegraph is not built: no SVGs; run make first)"
