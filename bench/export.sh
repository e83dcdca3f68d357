#!/usr/bin/env bash
# export.sh - benchmark of build/thag-export against build/flamegraph on the same input, in
# the same run (a benchmark: prints figures and ratios, never fails on timing).
# Usage (from the repository root, normally via make bench-export):
#   EXP=build/thag-export FG=build/flamegraph WORK=build/export.work BENCH_LINES=1000000 bash bench/export.sh
# Inputs: the BENCH_LINES-line folded file of bench-flamegraph (bench/flamegraph/gen.c: stacks
# 10 to 60 frames deep over 20,000 C++-style names, about 1.2 GiB for 1,000,000 lines), and a
# timeline of BENCH_LINES intervals over 4 threads (bench/export_tl.py). Each command runs
# three times; the best CPU time (user + sys) is compared, with its peak RSS.
set -u
cd "$(dirname "$0")/.."
EXP=${EXP:-build/thag-export}
FG=${FG:-build/flamegraph}
WORK=${WORK:-build/export.work}
LINES=${BENCH_LINES:-1000000}
mkdir -p "$WORK"
GEN=$WORK/gen
IN=$WORK/bench-$LINES.folded
TL=$WORK/bench-$LINES-20260101-120000-timeline.txt
[ -x "$GEN" ] || cc -std=c99 -O2 -o "$GEN" bench/flamegraph/gen.c || exit 1
if [ ! -s "$IN" ]; then
    echo "generating $IN ($LINES lines)..."
    "$GEN" "$LINES" >"$IN.tmp" && mv "$IN.tmp" "$IN" || exit 1
fi
if [ ! -s "$TL" ]; then
    python3 bench/export_tl.py "$LINES" >"$TL.tmp" && mv "$TL.tmp" "$TL" || exit 1
fi

# best LABEL OUT CMD...: the best of three runs of CMD > OUT under GNU time; sets CPU (s), RSS (KiB)
best() {
    local label=$1 out=$2 run u s r c
    shift 2
    CPU= RSS=
    for run in 1 2 3; do
        /usr/bin/time -f '%U %S %M' -o "$WORK/time.txt" "$@" >"$out" 2>"$WORK/bench.err" || {
            echo "$label failed: $(tail -3 "$WORK/bench.err")"; return 1; }
        read -r u s r <"$WORK/time.txt"
        c=$(echo "$u + $s" | bc)
        if [ -z "$CPU" ] || [ "$(echo "$c < $CPU" | bc)" = 1 ]; then CPU=$c RSS=$r; fi
    done
    printf '%-40s CPU %7.2f s  peak RSS %6d MiB  output %6d MiB\n' "$label" "$CPU" $((RSS / 1024)) \
        $(($(wc -c <"$out") / 1048576))
}
ratio() { echo "scale=2; $1 / $2" | bc | sed 's/^\./0./'; }

echo "input: $IN: $LINES lines, $(($(wc -c <"$IN") / 1048576)) MiB; $TL: $LINES intervals"
best "flamegraph (folded -> SVG)" "$WORK/bench.svg" "$FG" "$IN" || exit 1
FGC=$CPU
for f in pprof speedscope; do
    best "thag-export --format $f" "$WORK/bench.$f" "$EXP" -q --format $f "$IN" || exit 1
    echo "  $f: CPU ratio to flamegraph $(ratio "$CPU" "$FGC"); peak RSS under 1 GiB: $([ "$RSS" -lt 1048576 ] && echo yes || echo NO)"
done
best "flamegraph --flamechart (timeline)" "$WORK/bench-tl.svg" "$FG" --flamechart "$TL" || exit 1
FGC=$CPU
for f in trace speedscope; do
    best "thag-export --format $f (timeline)" "$WORK/bench-tl.$f" "$EXP" -q --format $f "$TL" || exit 1
    echo "  $f: CPU ratio to flamegraph --flamechart $(ratio "$CPU" "$FGC"); peak RSS under 1 GiB: $([ "$RSS" -lt 1048576 ] && echo yes || echo NO)"
done
