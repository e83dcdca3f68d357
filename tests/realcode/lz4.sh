# lz4 (Debian source package lz4): a compression library and its command-line
# program; plain Makefiles (make lz4 builds lib/liblz4.a, then programs/lz4
# from lib/*.c and programs/*.c). Sourced by tests/realcode/run.sh.
# Workload: compress a generated 4 MiB text file and decompress it again
# (two processes, so two profiles); the round trip must be identical and the
# compressed file the same as the plain build's.
LZ4_MIB=${LZ4_MIB:-4}

# lz4_build DIR KIND LOG: the project's own top-level target, with the
# user's additions in the environment (the Makefiles append to CPPFLAGS).
lz4_build() {
    local d=$1 kind=$2 log=$3 impl
    case $kind in
    plain) (cd "$d" && make -j"$JOBS" lz4) ;;
    inst)  (cd "$d" && CPPFLAGS="$PROF_CPPFLAGS" LDLIBS="$PROF_LIBS" make -j"$JOBS" lz4) ;;
    # memory profiling: the full switch and mimalloc (docs/usage.md: build switches)
    full)  (cd "$d" && CPPFLAGS="-DTHAG_FULL_PROFILING -I$REPO" LDLIBS="$PROF_LIBS -lmimalloc" make -j"$JOBS" lz4) ;;
    auto)  impl=$(auto_impl) || return 1
           (cd "$d" && CC="$CC -finstrument-functions" CPPFLAGS="$PROF_CPPFLAGS" LDLIBS="$impl $PROF_LIBS" make -j"$JOBS" lz4) ;;
    esac > "$log" 2>&1
}

lz4_input() {
    python3 - "$1" "$LZ4_MIB" <<'PY'
import random, sys
r = random.Random(42)
words = [''.join(r.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(r.randint(2, 10))) for _ in range(2000)]
size = int(sys.argv[2]) << 20
out, n = [], 0
while n < size:
    line = ' '.join(r.choice(words) for _ in range(r.randint(3, 15))) + ' %d\n' % r.randint(0, 10**6)
    out.append(line); n += len(line)
open(sys.argv[1], 'w').write(''.join(out)[:size])
PY
}

# lz4_run BIN OUT [WRAPPER...]: compress then decompress; profiles in
# OUT/prof-c and OUT/prof-d (WRAPPER: thag-run, given its -d DIR by us).
lz4_run() {
    local bin=$1 od=$2 in=$RC/lz4/input.txt; shift 2
    rm -rf "$od"; mkdir -p "$od/prof-c" "$od/prof-d"
    local wrc=() wrd=()
    [ $# -gt 0 ] && { wrc=("$@" -d "$od/run-c" --); wrd=("$@" -d "$od/run-d" --); }
    THAG_PROFILER="${THAG_PROFILER_TYPE:-time},$od/prof-c" timeout -s KILL 120 /usr/bin/time -o "$od/time-c" -f '%e %U %S %M' \
        "${wrc[@]}" "$bin" -q -f "$in" "$od/out.lz4" > "$od/c.out" 2>&1
    echo $? > "$od/c.rc"
    THAG_PROFILER="${THAG_PROFILER_TYPE:-time},$od/prof-d" timeout -s KILL 120 /usr/bin/time -o "$od/time-d" -f '%e %U %S %M' \
        "${wrd[@]}" "$bin" -q -d -f "$od/out.lz4" "$od/out.back" > "$od/d.out" 2>&1
    echo $? > "$od/d.rc"
}

lz4_same_output() {
    local name=$1 od=$2 plain=$3
    check "$name: compress and decompress exit 0" eq "$(cat "$od/c.rc") $(cat "$od/d.rc")" "0 0"
    check "$name: round trip identical" cmp "$RC/lz4/input.txt" "$od/out.back"
    check "$name: compressed file identical to the plain build's" cmp "$plain/out.lz4" "$od/out.lz4"
}

lz4_profile() {
    local name=$1 od=$2 f
    f=$(prim "$od/prof-c") || { bad "$name: compression profile written at exit" "$(ls -la "$od/prof-c")"; return 1; }
    ok "$name: compression profile written at exit"
    check "$name: compression: main is the only root" roots_only "$f" main
    check "$name: compression: LZ4_compress_generic under main;...;LZ4IO_compressFilename" \
        stack_has "$f" '^main;(.*;)?LZ4IO_compressFilename;(.*;)?LZ4_compress_generic[;_ ]'
    check "$name: compression: LZ4IO_compressFilename called once" \
        eq "$(calls_of "$(one "$od/prof-c/*-calls.folded")" LZ4IO_compressFilename)" 1
    f=$(prim "$od/prof-d") || { bad "$name: decompression profile written at exit"; return 1; }
    ok "$name: decompression profile written at exit"
    check "$name: decompression: main is the only root" roots_only "$f" main
    check "$name: decompression: LZ4_decompress_generic under main;...;LZ4IO_decompressFilename" \
        stack_has "$f" '^main;(.*;)?LZ4IO_decompressFilename;(.*;)?LZ4_decompress_generic[; ]'
}

# total_calls DIR: the profiled calls of a run (the sum of its calls file).
total_calls() { data "$(one "$1/*-calls.folded")" | awk '{ s += $NF } END { print s + 0 }'; }

# lz4_pruned R "SRCS": the recommended workflow of docs/instrument.md, a
# second pass that leaves out the functions the first run (compression)
# shows to be too cheap to measure; the profile keeps the pipeline, the
# profiled calls drop by more than 10 times, thag-remove still restores.
lz4_pruned() {
    local r=$1 srcs=$2 before after
    variant lz4 pruned
    instrument_tree "$r/pruned" $srcs > /dev/null
    if ! (cd "$r/pruned" && "$TI" -i --prune="$r/run-inst/prof-c" $srcs) 2> "$r/prune.err"; then
        bad "lz4: thag-instrument --prune on the first run" "$(cat "$r/prune.err")"; return
    fi
    check "lz4: --prune says what it left out" grep -q 'not profiled: ' "$r/prune.err"
    if ! lz4_build "$r/pruned" inst "$r/pruned.log"; then bad "lz4: pruned build" "$(grep -E ': error:' "$r/pruned.log" | head)"; return; fi
    lz4_run "$r/pruned/programs/lz4" "$r/run-pruned"
    lz4_same_output "lz4 pruned" "$r/run-pruned" "$r/run-plain"
    check "lz4 pruned: the pipeline is still there" \
        stack_has "$(prim "$r/run-pruned/prof-c")" '^main;(.*;)?LZ4IO_compressFilename'
    before=$(total_calls "$r/run-inst/prof-c"); after=$(total_calls "$r/run-pruned/prof-c")
    check "lz4 pruned: profiled calls down more than 10 times ($before -> $after)" test $((after * 10)) -lt "$before"
    record "lz4 pruned(2nd_pass) $(sumtimes "$r/run-pruned/time-c" "$r/run-pruned/time-d") $(dir_bytes "$r/run-pruned") $(timeline_bytes "$r/run-pruned")"
    check "lz4 pruned: thag-remove restores every source byte for byte" restored "$r/pruned" "$r/pristine" $srcs
}

project_lz4() {
    local r=$RC/lz4 srcs
    lz4_input "$r/input.txt" || { bad "lz4: generate the input"; return; }
    variant lz4 plain
    if ! lz4_build "$r/plain" plain "$r/plain.log"; then bad "lz4: plain build" "$(tail -20 "$r/plain.log")"; return; fi
    ok "lz4: plain build"
    # The program's sources: programs/Makefile's SRCFILES (lib/*.c and programs/*.c).
    srcs=$(cd "$r/plain" && ls lib/*.c programs/*.c)
    record "lz4 sources $(echo $srcs | wc -w)"
    lz4_run "$r/plain/programs/lz4" "$r/run-plain"
    check "lz4 plain: round trip identical" cmp "$r/input.txt" "$r/run-plain/out.back"
    record "lz4 plain $(sumtimes "$r/run-plain/time-c" "$r/run-plain/time-d") 0 0"

    variant lz4 inst
    check "lz4: thag-instrument every source file of the program" instrument_tree "$r/inst" $srcs
    check "lz4: every function of the program is profiled (nm of the plain objects)" covered lz4 "$r/plain" "$r/inst" "lib/*.o programs/*.o" "$srcs" 's/^LZ4_XXH/XXH/'
    record "lz4 profiled_functions $(cat $(printf "$r/inst/%s " $srcs) | grep -c 'THAG_PROFILE(.*thag-instrument')"
    if lz4_build "$r/inst" inst "$r/inst.log"; then
        ok "lz4: instrumented build with its own flags"
        check "lz4: thag_profiler.h adds no warning under the project's flags (-Wdeclaration-after-statement ...)" no_header_warning "$r/inst.log"
        lz4_run "$r/inst/programs/lz4" "$r/run-inst"
        lz4_same_output "lz4 instrumented" "$r/run-inst" "$r/run-plain"
        lz4_profile "lz4 instrumented" "$r/run-inst"
        record "lz4 instrumented $(sumtimes "$r/run-inst/time-c" "$r/run-inst/time-d") $(dir_bytes "$r/run-inst") $(timeline_bytes "$r/run-inst")"
        graphs "lz4 instrumented (compression)" "$r/run-inst/prof-c" "$r/run-inst" LZ4_compress_generic
        bounds "lz4 instrumented" "$r/run-inst/prof-c $r/run-inst/prof-d" \
            "$(sumtimes "$r/run-plain/time-c" "$r/run-plain/time-d" | cut -d' ' -f4)" \
            "$(sumtimes "$r/run-inst/time-c" "$r/run-inst/time-d" | cut -d' ' -f4)" 1
        # the cost of the scopes alone: the same runs without the timeline
        THAG_TIMELINE_EVENTS=0 lz4_run "$r/inst/programs/lz4" "$r/run-inst-notl"
        lz4_same_output "lz4 instrumented, no timeline" "$r/run-inst-notl" "$r/run-plain"
        record "lz4 instrumented,THAG_TIMELINE_EVENTS=0 $(sumtimes "$r/run-inst-notl/time-c" "$r/run-inst-notl/time-d") $(dir_bytes "$r/run-inst-notl") 0"
    else
        bad "lz4: instrumented build with its own flags" "$(grep -E ': error:' "$r/inst.log" | head)"
    fi
    check "lz4: thag-remove restores every source byte for byte" restored "$r/inst" "$r/pristine" $srcs
    [ -d "$r/run-inst/prof-c" ] && lz4_pruned "$r" "$srcs"

    variant lz4 auto
    if lz4_build "$r/auto" auto "$r/auto.log"; then
        ok "lz4: automatic-mode build (-finstrument-functions)"
        lz4_run "$r/auto/programs/lz4" "$r/run-auto"
        lz4_same_output "lz4 automatic" "$r/run-auto" "$r/run-plain"
        lz4_profile "lz4 automatic" "$r/run-auto"
        record "lz4 automatic $(sumtimes "$r/run-auto/time-c" "$r/run-auto/time-d") $(dir_bytes "$r/run-auto") $(timeline_bytes "$r/run-auto")"
        graphs "lz4 automatic (compression)" "$r/run-auto/prof-c" "$r/run-auto" LZ4_compress_generic
    else
        bad "lz4: automatic-mode build (-finstrument-functions)" "$(grep -E ': error:' "$r/auto.log" | head)"
    fi

    lz4_run "$r/plain/programs/lz4" "$r/run-thagrun" "$TRUN" -q
    lz4_same_output "lz4 thag-run" "$r/run-thagrun" "$r/run-plain"
    check "lz4 thag-run: report of one process" grep -q '1 process, exit status 0' "$r/run-thagrun/run-c/report.txt"
    check "lz4 thag-run: lz4's allocation sites" grep -Eq ' LZ4IO_createCResources$' "$r/run-thagrun/run-c/report.txt"
    record "lz4 thag-run $(sumtimes "$r/run-thagrun/time-c" "$r/run-thagrun/time-d") $(dir_bytes "$r/run-thagrun") 0"

    # memory profiling of the instrumented sources (-DTHAG_FULL_PROFILING),
    # whose totals must equal thag-run's of the plain build
    variant lz4 full
    instrument_tree "$r/full" $srcs > /dev/null
    if lz4_build "$r/full" full "$r/full.log"; then
        ok "lz4: instrumented build with -DTHAG_FULL_PROFILING -lmimalloc"
        check "lz4: thag_profiler.h adds no warning under the project's flags (full switch)" no_header_warning "$r/full.log"
        THAG_PROFILER_TYPE=memory lz4_run "$r/full/programs/lz4" "$r/run-full"
        lz4_same_output "lz4 memory" "$r/run-full" "$r/run-plain"
        local mf tf
        if mf=$(one "$r/run-full/prof-c/*-memory.folded"); then
            ok "lz4 memory: memory profile written"
            check "lz4 memory: the 2 x 4 MiB buffers charged to main;LZ4IO_compressFilename;LZ4IO_createCResources" \
                bash -c "grep -v '^#' '$mf' | awk '\$1 == \"main;LZ4IO_compressFilename;LZ4IO_createCResources\" && \$2 >= 8388608 {f = 1} END {exit !f}'"
            tf=$(one "$r/run-thagrun/run-c/*/*-memory.folded")
            check "lz4 memory: allocations and bytes equal thag-run's on the plain build" \
                eq "$(meta "$mf" | grep -o 'allocations=[0-9]* deallocations=[0-9]* bytes=[0-9]*')" \
                   "$(meta "$tf" | grep -o 'allocations=[0-9]* deallocations=[0-9]* bytes=[0-9]*')"
        else
            bad "lz4 memory: memory profile written" "$(ls -la "$r/run-full/prof-c")"
        fi
        record "lz4 memory(THAG_PROFILER=memory) $(sumtimes "$r/run-full/time-c" "$r/run-full/time-d") $(dir_bytes "$r/run-full") 0"
    else
        bad "lz4: instrumented build with -DTHAG_FULL_PROFILING -lmimalloc" "$(grep -E ': error:' "$r/full.log" | head)"
    fi
}
