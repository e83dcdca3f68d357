# Memory profiling tests (THAG_FULL_PROFILING): exact bytes, counts, live
# bytes and totals; detail and sampled stacks; C++; the hook hazards.
# Sourced by tests/run.sh. Built with -fno-builtin: compilers may elide
# malloc/free pairs, legally, and then the exact counts would be the
# optimiser's, not the program's.
MEMLIBS="-pthread -lmimalloc -ldl"

# mem_build NAME OUT COMPILER... : tests/e2e/NAME.c or .cpp with FULL
mem_build() {
    local name=$1 out=$2 src; shift 2
    src=tests/e2e/$name.c; [ -e "$src" ] || src=tests/e2e/$name.cpp
    "$@" -g $WARN -fno-builtin -DTHAG_FULL_PROFILING -I. -Itests/e2e "$src" -o "$out" $MEMLIBS 2>"$out.err"
}

# expect_kind, expect_totals and mem_case are in tests/lib.sh (tests/portab uses them too).

for cc in "gcc -O2" "gcc -O0" "clang -O2" "g++ -x c++ -O2" "clang++ -x c++ -O2"; do
    for p in mem_exact mem_threads mem_freer; do
        bin="$TMPROOT/mem-${cc// /_}-$p"; tag="$p ($cc)"
        if ! mem_build "$p" "$bin" $cc; then bad "build $tag" "$(cat "$bin.err")"; continue; fi
        d="$TMPROOT/memout-${cc// /_}-$p"; rc=$(run_in "$d" "$bin")
        check "$tag: exit status" test "$rc" = 0
        check "$tag: quiet" test ! -s "$d/stderr"
        mem_case "$p" "$tag" "$d"
    done
done
# 3 time files, the timeline, 6 memory files (memory_peak and memory_temp: tests/memtime)
check "mem_exact: time files too (both)" test "$(profiles "$TMPROOT/memout-gcc_-O2-mem_exact")" = 10

for cxx in g++ clang++; do
    bin="$TMPROOT/mem-$cxx-cpp"
    if mem_build mem_cpp "$bin" $cxx -O2; then
        d="$TMPROOT/memout-$cxx-cpp"; rc=$(run_in "$d" "$bin")
        check "mem_cpp ($cxx): exit status" test "$rc" = 0
        mem_case mem_cpp "mem_cpp ($cxx)" "$d"
    else bad "build mem_cpp ($cxx)" "$(cat "$bin.err")"; fi
done

# Memory profiling switched off and on at run time, in summary and detail
# modes: the hooks' fast paths follow the switch (exact counts of the "on"
# windows only; detail stacks are the real ones, main;churn here).
bin="$TMPROOT/mem-toggle"
if mem_build mem_toggle "$bin" gcc -O2 -fno-omit-frame-pointer; then
    for mode in memory memory,,,true; do
        d="$TMPROOT/memout-toggle-$mode"; rc=$(run_in "$d" "$bin" THAG_PROFILER=$mode)
        check "mem_toggle ($mode): exit status" test "$rc" = 0
        check "mem_toggle ($mode): quiet" test ! -s "$d/stderr"
        mem_case mem_toggle "mem_toggle ($mode)" "$d"
    done
    check "mem_toggle (detail): stacks" expect_kind "$d" memory_detail tests/e2e/mem_toggle.memory.expected
    check "mem_toggle (detail): calls" expect_kind "$d" memory_detail_calls tests/e2e/mem_toggle.memory_calls.expected
else bad "build mem_toggle" "$(cat "$bin.err")"; fi

# Hook semantics and hazards, implementation in its own file.
for cc in gcc clang; do
    bin="$TMPROOT/hazards-$cc"
    if $cc -O2 -fno-builtin -g $WARN -DTHAG_FULL_PROFILING -I. tests/e2e/mem_hazards.c tests/e2e/mem_impl.c \
        -o "$bin" $MEMLIBS 2>"$bin.err"; then
        d="$TMPROOT/hazards-out-$cc"; rc=$(run_in "$d" "$bin")
        check "hazards ($cc): every check passes" test "$rc" = 0 -a ! -s "$d/stderr"
        check "hazards ($cc): profile written" test -n "$(ls "$d" | grep memory_calls)"
        # sampled mode has no block header: the same semantics, every
        # block sampled (1) or some (4096)
        for sb in 1 4096; do
            d="$TMPROOT/hazards-out-$cc-$sb"; rc=$(run_in "$d" "$bin" THAG_SAMPLE_BYTES=$sb)
            check "hazards, sampled every $sb bytes ($cc): every check passes" test "$rc" = 0 -a ! -s "$d/stderr"
        done
    else bad "build hazards ($cc)" "$(cat "$bin.err")"; fi
done

# Detail mode: real stacks by frame pointers, deallocation stacks, live.
for cc in "gcc -O0" "gcc -O2" "clang -O0" "clang -O2"; do
    bin="$TMPROOT/detail-${cc// /_}"
    if mem_build mem_detail "$bin" $cc -fno-omit-frame-pointer -rdynamic; then
        d="$TMPROOT/detail-out-${cc// /_}"; mkdir -p "$d"
        rc=$(cd "$d" && THAG_PROFILER="memory,$d,,true" "$bin" >/dev/null 2>"$d/stderr"; echo $?)
        check "detail ($cc): exit status" test "$rc" = 0
        mem_case mem_detail "detail ($cc)" "$d"
    else bad "build detail ($cc)" "$(cat "$bin.err")"; fi
done
# The same program as C++: its names are demangled (the C++ runtime's
# __cxa_demangle), so the stacks are the C ones with their parameter lists.
for cc in "g++ -x c++ -O2" "clang++ -x c++ -O2"; do
    bin="$TMPROOT/detail-${cc// /_}"; d="$TMPROOT/detail-out-${cc// /_}"; mkdir -p "$d"
    if mem_build mem_detail "$bin" $cc -fno-omit-frame-pointer; then
        rc=$(cd "$d" && THAG_PROFILER="memory,$d,,true" "$bin" >/dev/null 2>"$d/stderr"; echo $?)
        check "detail ($cc): exit status" test "$rc" = 0
        for k in memory_detail memory_detail_calls memory_detail_dealloc; do
            sed -e 's/inner/inner(int)/; s/outer/outer()/; s/big/big()/; s/grow/grow()/; s/release_half/release_half()/' \
                "tests/e2e/mem_detail.$k.expected" >"$d/$k.expected"
            check "detail ($cc): $k stacks, demangled" expect_kind "$d" "$k" "$d/$k.expected"
        done
    else bad "build detail ($cc)" "$(cat "$bin.err")"; fi
done
d="$TMPROOT/detail-lines"; mkdir -p "$d"
(cd "$d" && THAG_LINES=true THAG_PROFILER="memory,$d,,true" "$TMPROOT/detail-gcc_-O0" >/dev/null 2>&1)
check "THAG_LINES=true: file:line in detail stacks" grep -q \
    'main (.*tests/e2e/mem_detail.c:[0-9]*);outer (.*mem_detail.c:[0-9]*);inner (.*mem_detail.c:[0-9]*) 100000' \
    "$d"/*-memory_detail.folded
d="$TMPROOT/detail-thr"; mkdir -p "$d"
(cd "$d" && THAG_SIZE_TRACKING_THRESHOLD=1000 THAG_PROFILER="memory,$d,,true" "$TMPROOT/detail-gcc_-O0" >/dev/null 2>&1)
check "THAG_SIZE_TRACKING_THRESHOLD: small blocks get no stack" \
    bash -c "grep -v '^#' $d/*-memory_detail.folded | grep -qx 'main;big 1048576' && ! grep -q inner $d/*-memory_detail.folded"

# Threads in detail and sampled modes: each thread's real stacks under its
# own thread frame (the same frames on four threads: four stacks). With
# THAG_SAMPLE_BYTES=1 every 64-byte block is sampled with weight exactly 1
# (p = 1 - e^-64): the estimates are the exact figures.
bin="$TMPROOT/threads-modes"
if mem_build mem_threads "$bin" gcc -O2 -fno-omit-frame-pointer; then
    for m in detail sampled; do
        d="$TMPROOT/threads-$m"
        if [ $m = detail ]; then rc=$(run_in "$d" "$bin" THAG_PROFILER="memory,$d,,true")
        else rc=$(run_in "$d" "$bin" THAG_PROFILER="memory,$d" THAG_SAMPLE_BYTES=1); fi
        check "threads, $m: exit status" test "$rc" = 0 -a ! -s "$d/stderr"
        check "threads, $m: per-scope bytes" expect_kind "$d" memory tests/e2e/mem_threads.memory.expected '^main'
        check "threads, $m: live bytes per thread" test "$(data "$d"/*-memory_detail_live.folded |
            awk '$1 ~ /^worker-[0-3];/ && $NF == 32000 { n++ } END { print n + 0 }')" = 4
        check "threads, $m: peak counts every thread's blocks" \
            test "$(meta "$(one "$d/*-memory_detail.folded")" | tr ' ' '\n' | sed -n 's/^peak=//p')" -ge 256000
    done
else bad "build threads-modes" "$(cat "$bin.err")"; fi

# Sampled mode: unbiased estimates within 10% (about 3000 samples).
bin="$TMPROOT/sampled"
if mem_build mem_sampled "$bin" gcc -O0 -fno-omit-frame-pointer -rdynamic; then
    d="$TMPROOT/sampled-out"; rc=$(run_in "$d" "$bin" THAG_SAMPLE_BYTES=32768)
    sampled_ok() {
        local f; f=$(one "$d/*-memory_detail.folded") || return 1
        awk -v a="$(value "$f" 'main;two_thirds;churn')" -v b="$(value "$f" 'main;one_third;churn')" \
            'BEGIN { exit !(a > 0.9 * 67108864 && a < 1.1 * 67108864 && b > 0.9 * 33554432 && b < 1.1 * 33554432) }' ||
            { data "$f"; return 1; }
    }
    check "sampled: estimates within 10% of the truth" sampled_ok
    sampled_totals() { # estimates within 10%: allocations, deallocations, bytes
        local f; f=$(one "$d/*-memory_detail.folded") || return 1
        meta "$f" | tr ' ' '\n' | awk -F= '
            $1 == "allocations" || $1 == "deallocations" { n++; if ($2 < 0.9 * 98304 || $2 > 1.1 * 98304) bad = 1 }
            $1 == "bytes" { n++; if ($2 < 0.9 * 100663296 || $2 > 1.1 * 100663296) bad = 1 }
            END { exit !(n == 3 && !bad) }' || { meta "$f"; return 1; }
    }
    check "sampled: estimated totals within 10%" sampled_totals
    check "sampled: every sampled block freed: nothing live (scaled exactly both ways)" \
        test -z "$(data "$d"/*-memory_detail_live.folded)"
    check "sampled: per-scope bytes estimated within 10%" \
        awk '$1 == "main" { found = 1; if ($2 < 0.9 * 100663296 || $2 > 1.1 * 100663296) exit 1 } END { exit !found }' \
        <(data "$d"/*-memory.folded)
    check "sampled: no per-scope live file (the stacks own the blocks)" test -z "$(ls "$d" | grep -- '-memory_live')"
else bad "build sampled" "$(cat "$bin.err")"; fi

# A time-only build asked for memory says so, once, and still profiles time.
d="$TMPROOT/mem-in-time"; rc=$(run_in "$d" "$TMPROOT/bin-gcc_-O2-runtime" THAG_PROFILER=both)
check "memory in a time build: notice" grep -q 'memory profiling needs the THAG_FULL_PROFILING build switch' "$d/stderr"
check "memory in a time build: time written" test "$(profiles "$d")" = 4

# UBSan with the hooks (ASan and TSan replace malloc themselves: they
# cannot run with THAG_FULL_PROFILING).
bin="$TMPROOT/mem-ubsan"
if mem_build mem_exact "$bin" gcc -O1 -fsanitize=undefined -fno-sanitize-recover=all; then
    d="$TMPROOT/mem-ubsan-out"; rc=$(run_in "$d" "$bin")
    check "UBSan mem_exact: clean" test "$rc" = 0 -a ! -s "$d/stderr"
    mem_case mem_exact "UBSan mem_exact" "$d"
else bad "build UBSan mem_exact" "$(cat "$bin.err")"; fi

# The allocation guard and the growth report.
bin="$TMPROOT/watch"
if mem_build mem_watch "$bin" gcc -O0 -fno-omit-frame-pointer; then
    d="$TMPROOT/watch-out"; rc=$(run_in "$d" "$bin" THAG_PROFILER=memory THAG_ALLOC_LIMIT=50000000 THAG_GROWTH_REPORT=50)
    check "THAG_ALLOC_LIMIT: NULL and ENOMEM, program goes on" test "$rc" = 0
    check "THAG_ALLOC_LIMIT: says where" grep -q 'refused an allocation of 100000000 bytes (THAG_ALLOC_LIMIT=50000000), from greedy < main' "$d/stderr"
    check "THAG_GROWTH_REPORT: snapshots while growing" test "$(grep -c 'snapshot written' "$d/stderr")" -ge 2
    check "THAG_GROWTH_REPORT: final profile complete" grep -qx 'main;grow 41943040' <(data "$d"/*-memory.folded)
    d="$TMPROOT/watch-off"; rc=$(run_in "$d" "$bin" THAG_PROFILER=memory)
    check "no limit: the big allocation succeeds (status 1 from the test)" test "$rc" = 1
else bad "build mem_watch" "$(cat "$bin.err")"; fi
