#!/bin/bash
# Tests of thag-run (tools/run.c) and libthag_preload.so (tools/preload.c):
# exact totals and sites of a known program, every option, exit statuses and
# signals passed through, exec/_exit/children, malformed input, and the
# allocation counts of real programs (sort, python3, gcc) against heaptrack's.
# Run from the repository root: BUILD=build tests/run/test.sh (make test-run).
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
B=${BUILD:-build}
RUN=$B/thag-run
ALLOCS=$TMPROOT/allocs
export LC_ALL=C

cc -O0 -g -fno-builtin -Wall -Wextra -Werror tests/run/allocs.c -o "$ALLOCS" || { echo "cannot build allocs.c"; exit 1; }
cc -O0 -g -fno-builtin -fno-omit-frame-pointer tests/run/allocs.c -o "$ALLOCS-fp"

# json FILE EXPR: evaluates a python expression on the parsed report `d`
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
# runq DIR ARGS...: thag-run quietly into DIR; prints the exit status
runq() { local d=$1; shift; "$RUN" -q -d "$d" "$@" >"$d.out" 2>"$d.err"; echo $?; }

TOTALS='{"total_allocations": 108, "total_deallocations": 67, "total_bytes_allocated": 5304, "peak_memory": 3200, "current_memory": 2280}'
sites() { json "$1" "' '.join('%s:%d:%d:%d' % (s['site'], s['count'], s['total_bytes'], s['live_bytes']) for s in d['allocations'])"; }

# --- the known program: totals and sites, exactly ---------------------------
for lib in "$B/libthag_preload.so" "$B/run/libthag_preload-clang.so"; do
    d=$TMPROOT/known-${lib##*/}
    rc=$(THAG_PRELOAD=$lib runq "$d" --format json -- "$ALLOCS")
    check "known ($lib): exit status 0" test "$rc" = 0
    check "known ($lib): program output passes through" test "$(cat "$d.out")" = done
    check "known ($lib): summary exact" test "$(json "$d/report.json" "json.dumps(d['summary'])")" = "$TOTALS"
    check "known ($lib): sites exact" test "$(sites "$d/report.json")" = \
        "make_node:100:3200:1280 grow:4:240:0 aligned:3:864:0 zeroed:1:1000:1000"
done
d=$TMPROOT/known-fp; rc=$(runq "$d" --format json --stack fp -- "$ALLOCS-fp")
check "--stack fp: same sites" test "$(sites "$d/report.json")" = "make_node:100:3200:1280 grow:4:240:0 aligned:3:864:0 zeroed:1:1000:1000"
K=$TMPROOT/known-libthag_preload.so
check "report.json written in the directory, stderr quiet" test -s "$K/report.json" -a ! -s "$K.err"
# detail mode: no -memory_live.folded (the library leaves it to -memory_detail_live.folded)
check "one pid directory with the 9 detail-mode files" test "$(ls "$K"/[0-9]*/ | sed -n 's/^allocs-[0-9]*-[0-9]*-\(.*\)\.folded$/\1/p' | sort | tr '\n' ' ')" = \
    "memory memory_calls memory_detail memory_detail_calls memory_detail_dealloc memory_detail_live memory_detail_live_calls memory_peak memory_temp "

# --- text report and options (on the same files, --from) --------------------
t=$("$RUN" --from "$K" 2>&1)
for line in "total allocations:      108" "total deallocations:    67" "total bytes allocated:  5304" \
    "peak memory:            3200" "current memory:         2280 (live at exit)" \
    "Top allocation sites by count (4 of 4 shown)"; do
    check "text: $line" grep -qF "$line" <<<"$t"
done
check "text: site row" grep -qE '^ +100 +3200 +32 +1280  make_node$' <<<"$t"
from() { "$RUN" --from "$K" --format json "$@" >"$TMPROOT/from.json" && sites "$TMPROOT/from.json"; }
check "--sort-by bytes" test "$(from --sort-by bytes)" = "make_node:100:3200:1280 zeroed:1:1000:1000 aligned:3:864:0 grow:4:240:0"
check "--sort-by live" test "$(from --sort-by live)" = "make_node:100:3200:1280 zeroed:1:1000:1000 grow:4:240:0 aligned:3:864:0"
check "--limit 2" test "$(from --limit 2)" = "make_node:100:3200:1280 grow:4:240:0"
check "--min-count 2" test "$(from --min-count=2)" = "make_node:100:3200:1280 grow:4:240:0 aligned:3:864:0"
check "--threshold-bytes 1000" test "$(from --threshold-bytes 1000)" = "make_node:100:3200:1280 zeroed:1:1000:1000"
check "--frames 2" test "$(from --frames 2 --limit 1)" = "main;make_node:100:3200:1280"
check "--full-stack ends with main;make_node" bash -c "[[ '$(from --full-stack --limit 1)' == *main\;make_node:100:3200:1280 ]]"
check "--skip make_node names the caller" test "$(from --skip make_node --limit 1)" = "main:100:3200:1280"
check "--skip prefix*" test "$(from --skip 'make_*' --skip 'gr*' --limit 2)" = "main:104:3440:1280 aligned:3:864:0"
check "json: backtrace innermost first" test "$(json "$TMPROOT/from.json" "d['allocations'][0]['backtrace'][:2]")" = "['main']"
"$RUN" --from "$K" --format json --frames 2 --limit 1 >"$TMPROOT/bt.json"
check "json: backtrace of 2 frames" test "$(json "$TMPROOT/bt.json" "d['allocations'][0]['backtrace']")" = "['make_node', 'main']"
"$RUN" --from "$K" --report-file "$TMPROOT/rep.txt" 2>"$TMPROOT/rep.err"
check "--report-file: file written, stderr silent" bash -c "grep -q 'total allocations:      108' $TMPROOT/rep.txt && test ! -s $TMPROOT/rep.err"
check "--report-file -: stdout" bash -c "'$RUN' --from '$K' --report-file - 2>/dev/null | grep -q 'peak memory:            3200'"
"$RUN" --from "$K" -o "$TMPROOT/rep-o.txt" 2>"$TMPROOT/rep-o.err"
check "-o FILE: the report file, stderr silent" bash -c "cmp -s $TMPROOT/rep.txt $TMPROOT/rep-o.txt && test ! -s $TMPROOT/rep-o.err"
"$RUN" --from "$K" -o json >"$TMPROOT/rep-oj.json" 2>"$TMPROOT/rep-oj.err"
check "-o json (the old spelling): JSON, one note" bash -c "python3 -c 'import json,sys; json.load(open(sys.argv[1]))' $TMPROOT/rep-oj.json && test \$(wc -l < $TMPROOT/rep-oj.err) = 1 && grep -q -- '--format json' $TMPROOT/rep-oj.err"

# --- modes -------------------------------------------------------------------
d=$TMPROOT/summary; rc=$(runq "$d" --format json --mode summary -- "$ALLOCS")
check "summary mode: exact totals" test "$(json "$d/report.json" "json.dumps(d['summary'])")" = "$TOTALS"
check "summary mode: no sites" test "$(json "$d/report.json" "len(d['allocations'])")" = 0
d=$TMPROOT/sampled; rc=$(runq "$d" --format json --sample-bytes 1 -- "$ALLOCS")
check "sampled mode (1 byte): exact totals" test "$(json "$d/report.json" "json.dumps(d['summary'])")" = "$TOTALS"
check "sampled mode (1 byte): every block sampled" test "$(json "$d/report.json" "[s['total_bytes'] for s in d['allocations'] if s['site'] == 'make_node']")" = "[3200]"

# --- exit statuses, signals, _exit, closed stderr ------------------------------
d=$TMPROOT/exit7; rc=$(runq "$d" -- "$ALLOCS" exit 7)
check "exit status 7 passes through" test "$rc" = 7
check "exit 7: report written" grep -q "exit status 7" "$d/report.txt"
d=$TMPROOT/uexit; rc=$(runq "$d" --format json -- "$ALLOCS" _exit 3)
check "_exit(3): status passes through" test "$rc" = 3
check "_exit(3): profile written by the _exit hook" test "$(json "$d/report.json" "d['summary']['total_allocations']")" = 108
d=$TMPROOT/sig; rc=$(runq "$d" -- "$ALLOCS" signal)
check "SIGTERM: thag-run dies the same way (shell sees 143)" test "$rc" = 143
check "SIGTERM: report says so" grep -q "killed by signal 15" "$d/report.txt"
d=$TMPROOT/sig2; rc=$(runq "$d" --format json --signals -- "$ALLOCS" signal)
check "--signals: status still 143" test "$rc" = 143
check "--signals: the profile is written" test "$(json "$d/report.json" "d['summary']['total_allocations']")" = 108
d=$TMPROOT/closed; "$RUN" -d "$d" -- "$ALLOCS" close-stderr >/dev/null 2>"$d.err"
check "stderr closed by the program: report still on stderr" grep -q "total allocations:      108" "$d.err"
d=$TMPROOT/nostart; rc=$(runq "$d" -- /nonexistent/prog)
check "missing program: 127" test "$rc" = 127
check "missing program: says why" grep -q "cannot run /nonexistent/prog: No such file" "$d.err"
check "missing program: the -d directory it created is removed" test ! -e "$d"
check "missing program: nothing but the exec error" test "$(wc -l <"$d.err")" = 1
mkdir -p "$TMPROOT/auto"; (cd "$TMPROOT/auto" && "$OLDPWD/$RUN" -q -- ./nonexist >/dev/null 2>&1)
check "missing program: no thag-run-nonexist-* directory left" test -z "$(ls -A "$TMPROOT/auto")"
d=$TMPROOT/keepdir; mkdir -p "$d"; rc=$(runq "$d" -- /nonexistent/prog)
check "missing program: an existing -d directory is kept" test "$rc" = 127 -a -d "$d"
d=$TMPROOT/emptyfrom; mkdir -p "$d"; "$RUN" --from "$d" >"$d.out" 2>"$d.err"; rc=$?
check "--from a directory without a profile: exit 1" test "$rc" = 1
check "--from a directory without a profile: says so, no report" test ! -s "$d.out" -a "$(cat "$d.err")" = \
    "thag-run: no profile in $d (no *-memory_calls.folded file in it or in its subdirectories)"
d=$TMPROOT/sampledbig; rc=$(runq "$d" --sample-bytes 1000000000 -- "$ALLOCS")
check "sampled, nothing sampled: says why" grep -qx "No allocation was sampled: the mean sampling interval, 1000000000 bytes, is too large for this run; try a smaller --sample-bytes." "$d/report.txt"
check "sampled: the totals are said to be estimates" grep -qx "Summary (sampled: estimates from the samples)" "$d/report.txt"
check "sampled, nothing sampled: estimated totals are 0" grep -qx "  total allocations:      0" "$d/report.txt"

# --- exec and child processes -------------------------------------------------
d=$TMPROOT/exec; rc=$(runq "$d" --format json -- sh -c "exec '$ALLOCS'")
check "exec: sh and allocs in one pid directory" test "$(ls "$d"/[0-9]*/ | grep -c memory_calls)" = 2
check "exec: allocs counted" test "$(json "$d/report.json" "[p['total_allocations'] for p in d['processes'] if p['program']=='allocs']")" = "[108]"
d=$TMPROOT/execself; rc=$(runq "$d" --format json -- "$ALLOCS" exec true)
check "exec from the program: its profile written before exec" test "$(json "$d/report.json" "sorted((p['program'], p['total_allocations']) for p in d['processes'])")" = "[('allocs', 108), ('true', 0)]"
d=$TMPROOT/children; rc=$(runq "$d" --format json -- sh -c "'$ALLOCS'; '$ALLOCS'")
check "children: two allocs processes" test "$(json "$d/report.json" "[p['total_allocations'] for p in d['processes'] if p['program']=='allocs']")" = "[108, 108]"
check "children: sites summed" test "$(json "$d/report.json" "d['allocations'][0]['count']")" = 200
check "text: process table" bash -c "'$RUN' --from '$d' 2>&1 | grep -q '^Processes'"
d=$TMPROOT/passthru; sort -n /etc/services >"$d.plain" 2>/dev/null
"$RUN" -q -d "$d" -- sort -n /etc/services >"$d.prof" 2>/dev/null
check "sort: output identical under thag-run" cmp "$d.plain" "$d.prof"

# --- bad input ----------------------------------------------------------------
bad_opt() { "$RUN" "$@" >/dev/null 2>"$TMPROOT/bad.err"; local rc=$?; [ $rc = 125 ] && [ -s "$TMPROOT/bad.err" ]; }
check "unknown option: 125" bad_opt --bogus -- true
check "--limit x: 125" bad_opt --limit x -- true
check "--sort-by size: 125" bad_opt --sort-by size -- true
check "--mode: missing value" bad_opt --mode
check "no program: 125" bad_opt
check "--from missing dir: 125" bad_opt --from "$TMPROOT/none"
d=$TMPROOT/hostile; mkdir -p "$d/1"
printf '# thag_profiler 0.1.0: kind=memory_calls program=x pid=1 mode=detail allocations=3 deallocations=1 bytes=30 peak=20 current=10 unit=allocations\nmain 3\n' >"$d/1/x-1-memory_calls.folded"
printf '# meta\nmain;f 2\nmain;g notanumber\nmain;h\n\xff\xfe;\x01 1\n' >"$d/1/x-1-memory_detail_calls.folded"
printf 'garbage\n' >"$d/1/y-memory_calls.folded"
hjson=$("$RUN" --from "$d" --format json 2>"$d.err"); rc=$?
check "hostile files: no crash, exit 0" test "$rc" = 0
check "hostile files: line numbers reported" grep -q "memory_detail_calls.folded:3" "$d.err"
check "hostile files: missing metadata reported" grep -q "y-memory_calls.folded:1: no thag_profiler metadata" "$d.err"
check "hostile files: valid JSON with escapes" python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d['summary']['total_allocations']==3; assert any(s['site']=='\x01' for s in d['allocations'])" "$hjson"

# --- stack capture: THAG_STACK=unwind (cached rules) against libgcc ---------------
# stacks.c has no frame pointers; every unwinder must give the same stacks,
# and the known ones exactly (see its comment).
STACKS=$TMPROOT/stacks
cc -O2 -g -fomit-frame-pointer -fno-optimize-sibling-calls -pthread -Wall -Wextra -Werror tests/run/stacks.c -o "$STACKS" ||
    bad "build stacks.c"
calls_of() { grep -hv '^#' "$1"/[0-9]*/*-memory_detail_calls.folded | sort; }
for st in unwind libgcc; do
    rc=$(runq "$TMPROOT/st-$st" --stack $st -- "$STACKS")
    check "stacks.c --stack $st: exit 0, nothing on stderr" test "$rc" = 0 -a ! -s "$TMPROOT/st-$st.err"
    calls_of "$TMPROOT/st-$st" >"$TMPROOT/st-$st.txt"
done
for st in unwind libgcc; do # a deadlock in a child would hang: bounded (not a timing check)
    timeout 300 "$RUN" -q -d "$TMPROOT/fork-$st" --stack $st -- "$STACKS" fork >"$TMPROOT/fork-$st.out" 2>"$TMPROOT/fork-$st.err"
    rc=$?
    check "stacks.c fork --stack $st: 20 children forked while 2 threads allocate, all exit 0" \
        test "$rc" = 0 -a "$(cat "$TMPROOT/fork-$st.out")" = "forked 20"
done
check "stacks.c: unwind's stacks equal libgcc's" cmp "$TMPROOT/st-unwind.txt" "$TMPROOT/st-libgcc.txt"
S=$TMPROOT/st-unwind.txt
for line in "main;via_a;leaf 1000" "main;via_b;leaf 1000" "thread-1;worker;leaf 500" "thread-2;worker;leaf 500" "thread-3;worker;leaf 500"; do
    check "stacks.c: $line" grep -qxF "$line" "$S"
done
check "stacks.c: 50 allocations 100 calls deep, cut at 64 frames" test "$(awk '/^deep;/ { n += $2; d = split($1, f, ";") } END { print n, d }' "$S")" = "50 64"
check "stacks.c: from a signal handler, through the signal frame" grep -qE '^main;.*;handler 10$' "$S"
compares=$(sed -n 's/^compares //p' "$TMPROOT/st-unwind.out")
check "stacks.c: one allocation per qsort compare ($compares), every stack through libc's qsort_r" test \
    "$(awk '/;cmp_alloc / { n += $NF; if ($0 !~ /^main;qsort_r;/) bad++ } END { print n + 0, bad + 0 }' "$S")" = "$compares 0"
# dlclose: the rules cached for a library's return addresses are dropped when
# it is unloaded (the header's dlclose hook). dlreuse.c loads libdla.so,
# allocates through it, closes it and loads libdlb.so: the same code layout
# with larger frames (see dlreuse_lib.c), so where B lands on A's addresses,
# A's rules would misread B's stack. Frames are named at the output, when
# B is loaded: A's stack reads main;via_a;b_outer;b_alloc (docs/run.md).
DL=$TMPROOT/dl; mkdir -p "$DL"
DLF="-O2 -g -fPIC -shared -fomit-frame-pointer -fno-stack-protector -fcf-protection=none -Wall -Wextra -Werror"
if cc $DLF -DP=a -DPAD=200 tests/run/dlreuse_lib.c -o "$DL/libdla.so" && cc $DLF -DP=b -DPAD=1000 tests/run/dlreuse_lib.c -o "$DL/libdlb.so" &&
    cc -O2 -g -Wall -Wextra -Werror tests/run/dlreuse.c -o "$DL/dlreuse" -ldl; then
    check "dlreuse_lib.c: A and B have their functions at the same offsets" test \
        "$(nm "$DL/libdla.so" | sed -n 's/ T a_/ T x_/p')" = "$(nm "$DL/libdlb.so" | sed -n 's/ T b_/ T x_/p')"
    for st in unwind libgcc; do
        rc=$(runq "$DL/$st" --stack $st -- "$DL/dlreuse" "$DL/libdla.so" "$DL/libdlb.so")
        check "dlreuse --stack $st: exit 0, nothing on stderr" test "$rc" = 0 -a ! -s "$DL/$st.err"
        calls_of "$DL/$st" | grep ';via_' >"$DL/$st.txt"
    done
    if [ "$(cat "$DL/unwind.out")" = "same base" ]; then
        check "dlreuse: B's stacks name B's functions, exactly (B loaded at A's address)" \
            grep -qxF "main;via_b;b_outer;b_alloc 70" "$DL/unwind.txt"
        check "dlreuse: A's 100 allocations through main;via_a" test "$(awk '/^main;via_a;/ { n += $NF } END { print n + 0 }' "$DL/unwind.txt")" = 100
        check "dlreuse: unwind's stacks equal libgcc's" cmp "$DL/unwind.txt" "$DL/libgcc.txt"
    else
        echo "SKIP: dlreuse: the loader put libdlb.so elsewhere than libdla.so ($(cat "$DL/unwind.out")): nothing to test"
    fi
else bad "build dlreuse.c and its libraries"; fi
# Real programs without frame pointers: gcc (the driver, cc1 with thousands
# of functions, as) and python3, the same stacks under unwind and libgcc
# (without address randomization and with a fixed hash seed: two runs then
# allocate alike).
printf 'int f(int x) { return x * 2; }\n' >"$TMPROOT/f.c"
for st in unwind libgcc; do
    (cd "$TMPROOT" && "$OLDPWD/$RUN" -q -d "$TMPROOT/gcc-$st" --stack $st -- setarch "$(uname -m)" -R gcc -O2 -c f.c -o "f-$st.o" >/dev/null 2>&1)
    calls_of "$TMPROOT/gcc-$st" >"$TMPROOT/gcc-$st.txt"
    PYTHONHASHSEED=0 "$RUN" -q -d "$TMPROOT/py-$st" --stack $st -- setarch "$(uname -m)" -R /usr/bin/python3 -c 'import json; print(len(json.dumps(list(range(10000)))))' >/dev/null 2>&1
    calls_of "$TMPROOT/py-$st" >"$TMPROOT/py-$st.txt"
done
check "gcc -O2 -c: setarch, gcc, cc1 and as profiled" \
    test "$(ls "$TMPROOT"/gcc-unwind/[0-9]*/ | sed -n 's/-[0-9]*-[0-9]*-memory_calls.folded$//p' | sort | tr '\n' ' ')" = "as cc1 gcc setarch "
check "gcc -O2 -c: unwind's stacks equal libgcc's" cmp "$TMPROOT/gcc-unwind.txt" "$TMPROOT/gcc-libgcc.txt"
check "python3 -c 'import json...': unwind's stacks equal libgcc's" cmp "$TMPROOT/py-unwind.txt" "$TMPROOT/py-libgcc.txt"
check "default --stack is unwind" bash -c "'$RUN' --help 2>&1 | grep -q 'default unwind'"

# --- real programs against heaptrack ------------------------------------------
# heaptrack's count minus the allocation its own libstdc++ makes at load time
# (in a constructor, under _dl_init) when the program does not load libstdc++.
heaptrack_count() { # DIR ARGS...: the adjusted count of heaptrack's run
    local d=$1 exe; shift
    exe=$(command -v "$1")
    heaptrack -o "$d/ht" "$@" >/dev/null 2>&1
    heaptrack_print -f "$d/ht.zst" --flamegraph-cost-type allocations -F "$d/ht.folded" >/dev/null 2>&1
    if readelf -d "$exe" | grep -q 'libstdc++'; then awk '{s += $NF} END {print s + 0}' "$d/ht.folded"
    else awk '{s += $NF} /_dl_init/ {s -= $NF} END {print s + 0}' "$d/ht.folded"; fi
}
versus() { # NAME PROGRAM-IN-REPORT ARGS...
    local name=$1 prog=$2 d=$TMPROOT/ht-$1; shift 2 # ours, theirs: left for the caller
    mkdir -p "$d"
    (cd "$d" && "$OLDPWD/$RUN" -q -d "$d/thag" --format json -- "$@" >/dev/null 2>&1)
    ours=$(json "$d/thag/report.json" "sum(p['total_allocations'] for p in d['processes'] if p['program']=='$prog')")
    theirs=$(cd "$d" && heaptrack_count "$d" "$@")
    echo "heaptrack comparison: $name: thag-run $ours, heaptrack $theirs (difference $((ours - theirs)))"
    check "$name: allocation count within 1% of heaptrack's ($ours vs $theirs)" \
        awk -v a="$ours" -v b="$theirs" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b > 0 && d <= b / 100) }'
}
if command -v heaptrack >/dev/null && command -v heaptrack_print >/dev/null; then
    seq 1 20000 | awk '{print ($1 * 7919) % 20011}' >"$TMPROOT/numbers.txt"
    versus sort sort sort -n "$TMPROOT/numbers.txt"
    versus python3 python3 /usr/bin/python3 -c 'import json; print(len(json.dumps(list(range(10000)))))'
    printf '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n' >"$TMPROOT/hello.c"
    versus gcc gcc gcc -c "$TMPROOT/hello.c" -o "$TMPROOT/hello.o"
    # C++: libstdc++'s constructor allocates its exception pool before the
    # preload library's constructor runs; profiling starts at the first
    # allocation, so it is counted too (exactly heaptrack's count).
    printf '#include <string>\n#include <vector>\nint main() { std::vector<std::string> v;\n for (int i = 0; i < 50; i++) v.push_back(std::string(40, 120));\n return 0; }\n' >"$TMPROOT/strings.cpp"
    if g++ -O1 "$TMPROOT/strings.cpp" -o "$TMPROOT/strings"; then
        versus c++ strings "$TMPROOT/strings"
        check "c++: the same count as heaptrack, exactly" test "$ours" = "$theirs"
    else bad "build the C++ comparison program"; fi

    # Interpreters built without frame pointers (Debian's lua5.4 and python3),
    # default mode: per stack and per site against heaptrack (libunwind).
    # sites.py compares the counts as multisets (the tools name frames apart).
    sites_vs() { # NAME ARGS...: runs both, prints sites.py's line
        local name=$1 d=$TMPROOT/hs-$1; shift
        mkdir -p "$d"
        (cd "$d" && "$OLDPWD/$RUN" -q -d "$d/thag" -- "$@" >/dev/null 2>&1)
        (cd "$d" && heaptrack -o "$d/ht" "$@" >/dev/null 2>&1)
        heaptrack_print -f "$d/ht.zst" --flamegraph-cost-type allocations -F "$d/ht.folded" >/dev/null 2>&1
        python3 tests/run/sites.py "$(ls "$d"/thag/[0-9]*/*-memory_detail_calls.folded | paste -sd,)" "$d/ht.folded"
    }
    field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
    if command -v lua5.4 >/dev/null; then
        r=$(sites_vs lua lua5.4 "$PWD/bench/run/strtab.lua" 2000)
        echo "heaptrack comparison: lua5.4 strtab.lua 2000: $r"
        check "lua5.4: the same allocation count as heaptrack, exactly ($r)" test "$(field ours "$r")" = "$(field heaptrack "$r")" -a "$(field ours "$r")" -gt 100000
        check "lua5.4: the same counts per stack as heaptrack" test "$(field stacks_equal "$r")" = 1
        check "lua5.4: the same counts per site as heaptrack" test "$(field sites_equal "$r")" = 1
        f=$(ls "$TMPROOT"/hs-lua/thag/[0-9]*/*-memory_detail_calls.folded)
        check "lua5.4: complete stacks (_start, libc's __libc_start_main, the interpreter's lua_pcallk)" \
            test "$(awk '/^[^;]*;__libc_start_main;.*;lua_pcallk;/ { n += $NF } END { print n + 0 }' "$f")" -gt 100000
    else
        bad "lua5.4 is not installed (apt-get install lua5.4)"
    fi
    r=$(PYTHONMALLOC=malloc sites_vs python3dict /usr/bin/python3 -c 'd = {i: [i, str(i), [i]] for i in range(20000)}')
    echo "heaptrack comparison: python3 dict of 20000 lists (PYTHONMALLOC=malloc): $r"
    check "python3 dict: allocation count within 0.1% of heaptrack's ($r)" \
        awk -v a="$(field ours "$r")" -v b="$(field heaptrack "$r")" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b > 100000 && d * 1000 <= b) }'
    check "python3 dict: per-site agreement with heaptrack at least 99.9%" awk -v p="$(field agreement "$r")" 'BEGIN { exit !(p >= 99.9) }'
    f=$(ls "$TMPROOT"/hs-python3dict/thag/[0-9]*/*-memory_detail_calls.folded)
    check "python3 dict: complete stacks through the interpreter (Py_BytesMain;...;_PyEval_EvalFrameDefault;PyList_New)" \
        test "$(awk '/^Py_BytesMain;.*;_PyEval_EvalFrameDefault;PyList_New / { n += $NF } END { print n + 0 }' "$f")" -ge 40000
    # malloc_usable_size under thag-run is mimalloc's (docs/run.md): a program
    # that grows its buffers by it (as Redis's sds) reallocates a different
    # number of times than under glibc; each tool counts exactly the calls
    # the program made under it (+1: stdout's buffer).
    USABLE=$TMPROOT/usable
    if cc -O2 -g -Wall -Wextra -Werror tests/run/usable.c -o "$USABLE"; then
        ncalls() { sed -n 's/^2000 strings, \([0-9]*\) allocation calls.*/\1/p' "$1"; }
        "$USABLE" >"$TMPROOT/usable-plain.out"
        d=$TMPROOT/usable-run; rc=$(runq "$d" --format json -- "$USABLE")
        glibc=$(ncalls "$TMPROOT/usable-plain.out"); mi=$(ncalls "$d.out")
        echo "malloc_usable_size comparison: usable.c makes $glibc allocation calls under glibc, $mi under thag-run"
        check "usable.c: thag-run counts the calls the program made under it ($mi + 1)" \
            test -n "$mi" -a "$(json "$d/report.json" "d['summary']['total_allocations']")" = "$((mi + 1))"
        mkdir -p "$TMPROOT/usable-ht"
        ht=$(cd "$TMPROOT/usable-ht" && heaptrack_count "$TMPROOT/usable-ht" "$USABLE")
        check "usable.c: heaptrack counts the calls it made under glibc ($glibc + 1)" test -n "$glibc" -a "$ht" = "$((glibc + 1))"
        check "usable.c: the counts differ (mimalloc's size classes are not glibc's)" test "$mi" != "$glibc"
        ps=$("$USABLE" sizes); ts=$("$RUN" -q -d "$TMPROOT/usable-sizes" -- "$USABLE" sizes 2>/dev/null)
        echo "malloc_usable_size(malloc(n)) n:size: glibc $ps; thag-run $ts"
        check "usable.c sizes: under thag-run at least the size asked for, and not glibc's" \
            awk -v t="$ts" -v p="$ps" 'BEGIN { n = split(t, a, " "); for (i = 1; i <= n; i++) { split(a[i], f, ":"); if (f[2] < f[1]) exit 1 } exit !(n == 5 && t != p) }'
    else bad "build usable.c"; fi
else
    bad "heaptrack is not installed (apt-get install heaptrack)"
fi

summary "test-run"
