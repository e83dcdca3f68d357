#!/bin/bash
# Async support (fibers, tasks): the e2e programs and examples with exact
# stacks and call counts (tests/async/*.expected), in every compiler and
# language; the wall file; suspended time not charged; off mode (no
# symbol, zero cost); ASan+UBSan and TSan. Usage: tests/async/run.sh
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
WARN="-Wall -Wextra -Wshadow -Werror"
B=${BUILD:-build}/async
mkdir -p "$B"

# src NAME: the source of an async e2e program (examples double as tests).
src() { case $1 in coro|uvserver) echo "examples/$1.c";; *) echo "tests/async/$1.c";; esac; }
# libs NAME FLAGS...: the libraries it links.
libs() { local n=$1; shift; [ "$n" = uvserver ] && echo "-luv"; case "$*" in *FULL*) echo "-lmimalloc";; esac; }

# build NAME OUT COMPILER...
build() {
    local name=$1 out=$2; shift 2
    "$@" -g $WARN -I. "$(src "$name")" -o "$out" -pthread $(libs "$name" "$@") 2>"$out.err"
}

# value FILE STACK: the value of one stack in a folded file (0 if absent).
value() { awk -v s="$2" '$0 !~ /^#/ { v = $NF; sub(/ [0-9]+$/, ""); if ($0 == s) { print v; f = 1 } } END { if (!f) print 0 }' "$1"; }

PROGS="coro fibers tasks uvserver"
for cc in "gcc -O2" "gcc -O0" "clang -O2" "clang -O0" "g++ -x c++ -O2" "clang++ -x c++ -O2"; do
    progs=$PROGS
    case $cc in *-O0) progs="fibers tasks";; esac # longjmp and frame addresses at -O0
    for p in $progs; do
        tag="$p ($cc)"
        bin="$TMPROOT/bin-${cc// /_}-$p"
        if ! build "$p" "$bin" $cc -DTHAG_TIME_PROFILING; then bad "build $tag" "$(cat "$bin.err")"; continue; fi
        dir="$TMPROOT/out-${cc// /_}-$p"
        rc=$(run_in "$dir" "$bin")
        [ "$rc" = 0 ] && ok "$tag exit status" || bad "$tag exit status $rc" "$(cat "$dir/stderr")"
        check "$tag stacks and call counts" expect_calls "$dir" "tests/async/$p.expected"
        [ -s "$dir/stderr" ] && bad "$tag wrote to stderr" "$(cat "$dir/stderr")" || ok "$tag quiet"
    done
done

# The files of the gcc -O2 runs: semantics beyond the call counts.
d="$TMPROOT/out-gcc_-O2"
incl() { value "$(one "$d-$1/*-inclusive.folded")" "$2"; }
wall() { value "$(one "$d-$1/*-wall.folded")" "$2"; }
# coro: consume waits (suspended) while producers work; it is not charged.
check "coro: a suspended coroutine is not charged" \
    test "$(incl coro 'main;run;consumer;consume')" -lt "$(incl coro 'main;run;producer;produce;make_item')"
check "coro: no wall file without tasks" bash -c "! ls $d-coro | grep -q wall"
# tasks: wall file stacks; the loop's 20 ms idle is in the wall time only.
wf=$(one "$d-tasks/*-wall.folded")
check "tasks: wall file stacks" diff <(data "$wf" | sed 's/ [0-9]*$//') - <<'EOF'
main;loop;conn#1
main;loop;conn#1;wait_body
main;loop;conn#2;wait_body
main;loop;request
main;loop;request;wait_body
EOF
check "tasks: wall metadata" has_meta "$wf" ' kind=wall unit=ns additive=no instead=[^ ]*[0-9].folded tasks_begun=5 tasks_ended=4 stale_ends=1$'
check "tasks: section wall time includes the idle loop" test "$(wall tasks 'main;loop;request;wait_body')" -ge 60000000
check "tasks: section active time excludes it" \
    test "$(incl tasks 'main;loop;request;wait_body')" -lt "$(incl tasks 'main;loop;idle')"
check "tasks: exclusive times never mention the pool under a task" bash -c "! grep -q '^pool-1;.*request' $d-tasks/*[0-9].folded"
check "uvserver: request latency in the wall file" test "$(wall uvserver 'main;uv_run;conn;request')" -gt 0
check "uvserver: output" grep -q 'uvserver: 4 clients x 2 requests, checksum' "$d-uvserver/stdout"

# Timeline: consecutive lines never put one coroutine's frame under another's.
check "coro: timeline stacks are all known stacks" bash -c \
    ". tests/lib.sh; tl_data $d-coro/*-timeline.txt | sed 's/ [0-9]*$//' | sort -u | while read -r s; do grep -qx \"\$s [0-9]*\" <(data $d-coro/*-calls.folded) || { echo \"unknown: \$s\"; exit 1; }; done"

# Off: no files, no thag symbol; zero cost: identical code with the macro
# lines deleted (the pattern of tests/run_modes.sh plus the async macros).
for p in $PROGS; do
    bin="$TMPROOT/off-$p"
    if build "$p" "$bin" gcc -O2; then
        dir="$TMPROOT/offrun-$p"; rc=$(run_in "$dir" "$bin")
        check "off $p: status" test "$rc" = 0
        check "off $p: no files" test -z "$(ls "$dir" | grep folded)"
        check "off $p: no thag symbol" bash -c "! nm '$bin' | grep -i thag"
    else bad "off build $p" "$(cat "$bin.err")"; fi
done
for cc in gcc clang; do for opt in -O2 -O0; do
    check "async examples: zero cost when off ($cc $opt)" zero_cost $cc $opt examples/coro.c examples/uvserver.c
done; done
for mode in -DTHAG_FULL_PROFILING "-DTHAG_TIME_PROFILING -DTHAG_PROFILER_STATIC" "-std=c99 -pedantic -DTHAG_TIME_PROFILING"; do
    for p in coro tasks; do
        check "build $p ($mode)" build "$p" "$TMPROOT/mode-$p" gcc -O2 $mode
    done
done

# Memory (THAG_FULL_PROFILING): an allocation made while a fiber runs is
# charged to the fiber's current scope.
bin="$TMPROOT/full-fibers"
if build fibers "$bin" gcc -O2 -DTHAG_FULL_PROFILING; then
    dir="$TMPROOT/full-out-fibers"; rc=$(run_in "$dir" "$bin" THAG_PROFILER=both)
    check "memory in a fiber: status" test "$rc" = 0
    check "memory in a fiber: bytes" grep -qx 'main;run_a;mover;mover_body;step 1000' "$dir"/*-memory.folded
    check "memory in a fiber: stacks" expect_calls "$dir" tests/async/fibers.expected
else bad "full build fibers" "$(cat "$bin.err")"; fi

# Sanitizers.
for p in $PROGS; do
    bin="$TMPROOT/asan-$p"
    if build "$p" "$bin" gcc -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -DTHAG_TIME_PROFILING; then
        asan_case "$p" "$TMPROOT/asan-out-$p" "$bin" "tests/async/$p.expected" ASAN_OPTIONS=detect_stack_use_after_return=0
    else bad "ASan build $p" "$(cat "$bin.err")"; fi
done
for p in tasks uvserver; do
    bin="$TMPROOT/tsan-$p"
    if build "$p" "$bin" clang -O1 -fsanitize=thread -DTHAG_TIME_PROFILING; then
        tsan_case "$p" "$TMPROOT/tsan-out-$p" "$bin" "tests/async/$p.expected"
    else bad "TSan build $p" "$(cat "$bin.err")"; fi
done
summary async
