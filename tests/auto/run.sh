#!/bin/bash
# Automatic instrumentation (-finstrument-functions + THAG_AUTO_INSTRUMENT)
# and symbolisation. Usage: tests/auto/run.sh [BUILD_DIR]
#  1. examples/autoprog (4 files, unchanged) built with -finstrument-functions
#     and one implementation file: gcc and clang, -O0, -O2, -O3: exact stacks
#     and call counts (static functions, recursion, a call through a
#     pointer, a static inline function of a header), 4 files, quiet
#  2. the same program instrumented with thag-instrument: the same stacks
#  3. exclusion: -finstrument-functions-exclude-file-list (gcc), or the file
#     built without -finstrument-functions (both compilers)
#  4. configuration: THAG_PROFILER unset (nothing written), THAG_AUTO_OPTION
#  5. tests/auto/edge.c: constructor, longjmp, sections, threads, recursion
#     200 deep, exit() from deep inside: exact stacks
#  6. symbols: PIE and non-PIE, a shared library's static functions, a
#     stripped program (.dynsym with -rdynamic; else lib+offset names)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
. tests/lib.sh
BUILD=$(mkdir -p "${1:-build}" && cd "${1:-build}" && pwd)
T=$BUILD/auto/test
rm -rf "$T" && mkdir -p "$T"
APP=examples/autoprog
APP_SRC="$APP/main.c $APP/words.c $APP/stats.c $APP/report.c"
STRICT="-Wall -Wextra -Wshadow -Wundef -Wconversion -Wmissing-prototypes -Wstrict-prototypes -Werror"
AUTO="-finstrument-functions -DTHAG_TIME_PROFILING"

# calls DIR: the calls file of DIR without its metadata line, sorted.
calls() { local f; f=$(one "$1/*-calls.folded") || { echo "no single calls file in $1: $(ls "$1")"; return 1; }; data "$f" | sort; }

# runs DIR CMD...: runs CMD in a fresh DIR with THAG_PROFILER=time,DIR; prints the exit status.
runs() {
    local d=$1; shift
    rm -rf "$d" && mkdir -p "$d"
    (cd "$d" && THAG_PROFILER="time,$d" "$@" > "$d/stdout" 2> "$d/stderr"; echo $?)
}

same_calls() { diff <(calls "$1") <(sort "$2"); }

# build_auto OUT CC OPT [EXTRA...]: the program, its files compiled with
# strict warnings, the implementation file with the header's own.
build_auto() {
    local out=$1 cc=$2 opt=$3; shift 3
    $cc $opt -g $AUTO -I. -Wall -Wextra -Werror -c "$APP/thag_impl.c" -o "$out-impl.o" 2> "$out.err" &&
        $cc $opt -g $AUTO $STRICT "$@" $APP_SRC "$out-impl.o" -o "$out" -pthread 2>> "$out.err"
}

# --- 1. automatic mode, every compiler and level
for cc in gcc clang; do
    for opt in -O0 -O2 -O3; do
        tag="autoprog ($cc $opt)"; bin=$T/app-$cc$opt
        if ! build_auto "$bin" $cc $opt; then bad "build $tag" "$(cat "$bin.err")"; continue; fi
        rc=$(runs "$T/out-$cc$opt" "$bin")
        check "$tag exit status" test "$rc" = 0
        check "$tag output unchanged" test "$(cat "$T/out-$cc$opt/stdout")" = "$(printf 'words=9\nfib=8\nsquares=28')"
        check "$tag stacks and call counts" same_calls "$T/out-$cc$opt" "$HERE/autoprog.expected"
        check "$tag time stacks" diff <(data "$T/out-$cc$opt"/*[0-9].folded | sed 's/ [0-9]*$//' | sort) \
            <(sed 's/ [0-9]*$//' "$HERE/autoprog.expected" | sort)
        check "$tag four files" test "$(profiles "$T/out-$cc$opt")" = 4
        check "$tag quiet" test ! -s "$T/out-$cc$opt/stderr"
    done
done

# --- 2. the same program through thag-instrument
TI=$BUILD/auto/thag-instrument
if cc -std=c99 -O2 -o "$TI" tools/instrument.c 2> "$T/ti.err"; then
    mkdir -p "$T/inst"
    for f in $APP/*.c $APP/*.h; do
        [ "$(basename "$f")" = thag_impl.c ] || "$TI" < "$f" > "$T/inst/$(basename "$f")"
    done
    for cc in gcc clang; do
        if $cc -O2 -DTHAG_TIME_PROFILING -I. -Wall -Wextra -Werror "$T"/inst/*.c -o "$T/inst-$cc" -pthread 2> "$T/inst.err"; then
            rc=$(runs "$T/inst-out-$cc" "$T/inst-$cc")
            check "thag-instrument ($cc): same stacks as automatic mode" same_calls "$T/inst-out-$cc" "$HERE/autoprog.expected"
        else bad "thag-instrument build ($cc)" "$(cat "$T/inst.err")"; fi
    done
else bad "build thag-instrument" "$(cat "$T/ti.err")"; fi

# --- 3. excluding files
if build_auto "$T/excl" gcc -O2 -finstrument-functions-exclude-file-list=stats.c; then
    rc=$(runs "$T/excl-out" "$T/excl")
    check "exclude-file-list=stats.c (gcc)" same_calls "$T/excl-out" "$HERE/exclude.expected"
else bad "build exclude-file-list" "$(cat "$T/excl.err")"; fi
for cc in gcc clang; do
    $cc -O2 -DTHAG_TIME_PROFILING $STRICT -c $APP/stats.c -o "$T/stats-plain-$cc.o" &&
    $cc -O2 -g $AUTO -I. -Wall -Wextra -Werror -c "$APP/thag_impl.c" -o "$T/impl-$cc.o" &&
        $cc -O2 $AUTO $STRICT $APP/main.c $APP/words.c $APP/report.c "$T/stats-plain-$cc.o" "$T/impl-$cc.o" \
            -o "$T/excl2-$cc" -pthread 2> "$T/excl2.err"
    rc=$(runs "$T/excl2-out-$cc" "$T/excl2-$cc")
    check "stats.c built without -finstrument-functions ($cc)" same_calls "$T/excl2-out-$cc" "$HERE/exclude.expected"
done

# --- 4. configuration
B=$T/app-gcc-O2
d=$T/unset; rm -rf "$d"; mkdir -p "$d"
(cd "$d" && env -u THAG_PROFILER "$B" > stdout 2> stderr)
check "THAG_PROFILER unset: nothing written, quiet" test -z "$(ls "$d" | grep folded)" -a ! -s "$d/stderr"
check "THAG_PROFILER unset: program output" test "$(head -1 "$d/stdout")" = words=9
if gcc -O2 $AUTO -I. -DTHAG_AUTO_OPTION=yes -DTHAG_AUTO_INSTRUMENT -DTHAG_PROFILER_IMPLEMENTATION -x c thag_profiler.h \
        -c -o "$T/impl-yes.o" 2> "$T/yes.err" && gcc -O2 $AUTO $APP_SRC "$T/impl-yes.o" -o "$T/app-yes" -pthread 2>> "$T/yes.err"; then
    d=$T/yes; rm -rf "$d"; mkdir -p "$d"
    (cd "$d" && env -u THAG_PROFILER "$T/app-yes" > stdout 2> stderr)
    check "THAG_AUTO_OPTION=yes: profiles without THAG_PROFILER" same_calls "$d" "$HERE/autoprog.expected"
else bad "build THAG_AUTO_OPTION=yes" "$(cat "$T/yes.err")"; fi

# --- 5. the hard cases
for cc in gcc clang; do
    for opt in -O0 -O2; do
        tag="edge ($cc $opt)"; bin=$T/edge-$cc$opt
        if ! $cc $opt -g $AUTO -I. -Wall -Wextra -Werror tests/auto/edge.c tests/auto/impl.c -o "$bin" -pthread 2> "$bin.err"; then
            bad "build $tag" "$(cat "$bin.err")"; continue; fi
        rc=$(runs "$T/edge-out-$cc$opt" "$bin")
        check "$tag exit status" test "$rc" = 0
        check "$tag stacks and call counts" same_calls "$T/edge-out-$cc$opt" "$HERE/edge.expected"
        check "$tag quiet" test ! -s "$T/edge-out-$cc$opt/stderr"
        rc=$(runs "$T/edgex-$cc$opt" "$bin" exit)
        check "$tag exit(4) from deep inside: status" test "$rc" = 4
        check "$tag exit(4) from deep inside: stacks" same_calls "$T/edgex-$cc$opt" \
            <(cat "$HERE/edge.expected"; printf '%s\n' 'main;deep_exit 1' 'main;deep_exit;deep_exit 1' 'main;deep_exit;deep_exit;deep_exit 1')
    done
done

# --- 6. symbols
. "$HERE/symbols.sh"
summary auto
