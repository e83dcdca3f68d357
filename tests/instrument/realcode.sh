#!/bin/bash
# shellcheck disable=SC2046 # the file lists $(P_files) are split on purpose
# The cost of thag-instrument on real programs, and of the two-pass workflow
# (docs/instrument.md, "Hot code"). Not part of test-instrument: it needs the
# Debian sources and takes minutes.
#
# usage: tests/instrument/realcode.sh [BUILD_DIR]
# env:   DEBSRC  where `apt-get source lz4 lua5.4` put the .orig tarballs
#                (default /work/cache/debsrc; only read)
#        WORK    scratch directory (default BUILD_DIR/instrument/realcode)
#        DATA    lz4's input (default: WORK/data.bin, the first 50 MB of the
#                files under /usr/share and /usr/lib, sorted by name)
#        REPS    timed runs per variant, the least CPU time is kept (default 5)
#        PROGS   programs to measure (default "lz4 lua")
#
# For each program: the upstream source (the .orig tarball) built with its
# own Makefile and flags, three ways:
#   plain   as is
#   full    every .c file through thag-instrument, -DTHAG_TIME_PROFILING
#   pruned  full, then thag-instrument --prune=<full's first run> (pass 2,
#           the defaults: threshold and a 5% budget)
#   pruned2 pruned, then --prune=<pruned's run> once more (pass 3), with
#           --scope-ns set to the cost pass 2 estimated (the recipe in
#           docs/instrument.md)
# Checked on the way: thag-remove of every instrumented and pruned file gives
# the original back, byte for byte. Profiled runs write time profiles with
# THAG_TIMELINE_EVENTS=0 (the aggregated files only).
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
TI=$BUILD/thag-instrument
TR=$BUILD/thag-remove
DEBSRC=${DEBSRC:-/work/cache/debsrc}
WORK=${WORK:-$BUILD/instrument/realcode}
REPS=${REPS:-5}
PROGS=${PROGS:-lz4 lua}
DATA=${DATA:-$WORK/data.bin}
PFLAGS="-DTHAG_TIME_PROFILING -I$ROOT"
mkdir -p "$WORK"
SUMMARY=$WORK/summary.txt
: > "$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }

# ---- the programs: source tarball, files to instrument, build, workload
lz4_tar() { echo "$DEBSRC"/lz4_*.orig.tar.gz; }
lz4_files() { echo lib/*.c programs/*.c; }
lz4_build() { # lz4_build CFLAGS LIBS (in the source directory)
    make -C programs clean > /dev/null && make -C programs lz4 MOREFLAGS="$1 $2"
}
lz4_cmd() { echo "./programs/lz4 -1 -f -q '$DATA' '$WORK/out.lz4'"; }

lua_tar() { echo "$DEBSRC"/lua5.4_*.orig.tar.gz; }
lua_files() { echo src/*.c; }
lua_build() {
    make -C src clean > /dev/null && make -C src linux MYCFLAGS="$1" MYLIBS="$2"
}
lua_cmd() { echo "./src/lua '$HERE/realcode/bench.lua'"; }

# build P DIR CFLAGS LIBS: build, the log in DIR.log; stop on failure
build() {
    (cd "$2" && "${1}_build" "$3" "$4") > "$2.build.log" 2>&1 ||
        { tail -20 "$2.build.log"; echo "FAIL: build $2"; exit 1; }
}

make_data() {
    [ -s "$DATA" ] && return
    find /usr/share /usr/lib -type f -size +1k 2> /dev/null | LC_ALL=C sort | head -20000 |
        xargs cat 2> /dev/null | head -c 50000000 > "$DATA" || true
}

# cpu_time P DIR [PROFDIR]: least user+sys seconds of REPS runs of P's workload
cpu_time() {
    local p=$1 dir=$2 prof=${3:-} best="" t i
    for ((i = 0; i < REPS; i++)); do
        rm -rf "$WORK/tmpprof"
        (cd "$dir" && THAG_PROFILER="time,${prof:-$WORK/tmpprof}" THAG_TIMELINE_EVENTS=0 \
            /usr/bin/time -f '%U %S' -o "$WORK/time.txt" sh -c "$(${p}_cmd)" > /dev/null)
        t=$(awk '{printf "%.2f", $1 + $2}' "$WORK/time.txt")
        prof=""
        if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    done
    echo "$best"
}

# round_trip P DIR: thag-remove of every file of DIR gives the original back
round_trip() {
    local p=$1 dir=$2 f n=0
    for f in $(cd "$WORK/$p/orig" && ${p}_files); do
        cmp -s <("$TR" < "$dir/$f") "$WORK/$p/orig/$f" || { echo "FAIL: round trip $dir/$f"; exit 1; }
        n=$((n + 1))
    done
    echo "round trip ok: $n files of $dir"
}

profiled() { grep -o 'THAG_PROFILE([A-Za-z_0-9]*); /\* thag-instrument' $(cd "$1" && ${2}_files | sed "s|[^ ]*|$1/&|g") | wc -l; }

# top DIR: the 8 frames with the most exclusive time in the run in DIR
top() {
    grep -hv '^#' "$1"/*[0-9].folded | awk '{n = split($1, a, ";"); s[a[n]] += $2; t += $2}
        END {for (k in s) printf "%6.1f%% %s\n", 100 * s[k] / t, k}' | sort -rn | head -8
}

measure() {
    local p=$1 w=$WORK/$1 v prev
    rm -rf "$w" && mkdir -p "$w/orig"
    tar -xzf "$(${p}_tar)" -C "$w/orig" --strip-components=1
    cp -a "$w/orig" "$w/plain"
    build "$p" "$w/plain" "" ""
    cp -a "$w/orig" "$w/full"
    (cd "$w/full" && "$TI" -i --in-place=pass0 $(${p}_files) 2> "$w/instrument.log")
    round_trip "$p" "$w/full"
    build "$p" "$w/full" "$PFLAGS" -pthread
    prev=full
    local scope=""
    for v in pruned pruned2; do
        rm -rf "$w/prof-$prev" && cpu_time "$p" "$w/$prev" "$w/prof-$prev" > /dev/null
        cp -a "$w/$prev" "$w/$v"
        (cd "$w/$v" && "$TI" -i --in-place=pass1 --prune="$w/prof-$prev" $scope $(${p}_files) 2> "$w/$v.log")
        scope=--scope-ns=$(sed -n 's/.*; scope cost \([0-9.]*\) ns.*/\1/p' "$w/$v.log" | head -1)
        round_trip "$p" "$w/$v"
        build "$p" "$w/$v" "$PFLAGS" -pthread
        prev=$v
    done
    rm -rf "$w/prof-pruned2" && cpu_time "$p" "$w/pruned2" "$w/prof-pruned2" > /dev/null
    local tp tf tq tq2
    tp=$(cpu_time "$p" "$w/plain")
    tf=$(cpu_time "$p" "$w/full")
    tq=$(cpu_time "$p" "$w/pruned")
    tq2=$(cpu_time "$p" "$w/pruned2")
    say "== $p: least user+sys CPU seconds of $REPS runs"
    say "plain $tp s; full $tf s ($(awk "BEGIN{printf \"%.1f\", $tf / $tp}")x, $(profiled "$w/full" "$p") functions);" \
        "pruned $tq s ($(awk "BEGIN{printf \"%.2f\", $tq / $tp}")x, $(profiled "$w/pruned" "$p") functions);" \
        "pruned2 $tq2 s ($(awk "BEGIN{printf \"%.2f\", $tq2 / $tp}")x, $(profiled "$w/pruned2" "$p") functions)"
    say "-- pass 2 chose:"; grep -v 'not profiled:' "$w/pruned.log" | tee -a "$SUMMARY"
    say "-- pass 3 chose:"; grep -v 'not profiled:' "$w/pruned2.log" | tee -a "$SUMMARY"
    for v in full pruned pruned2; do
        say "-- most exclusive time, $v:"; top "$w/prof-$v" | tee -a "$SUMMARY"
    done
}

make_data
for p in $PROGS; do measure "$p"; done
echo "summary: $SUMMARY"
