# Build modes: off (zero cost), =0, examples in every mode, sanitizers.
# Sourced by tests/run.sh.

# Off: no files, no symbol of the library, defined or referenced.
for v in "" "-DTHAG_TIME_PROFILING=0" "-DTHAG_FULL_PROFILING=0"; do
    bin="$TMPROOT/off$v"
    if build sections "$bin" gcc -O2 $v; then
        rc=$(run_in "$TMPROOT/offrun$v" "$bin")
        check "off ($v): status" test "$rc" = 0
        check "off ($v): no files" test -z "$(ls "$TMPROOT/offrun$v" | grep folded)"
        check "off ($v): no thag symbol" bash -c "! nm '$bin' | grep -i thag"
    else bad "off build ($v)" "$(cat "$bin.err")"; fi
done

# Zero cost: each function's machine code is identical with the macros (off)
# and with the macro lines deleted, at -O2 and -O0, gcc and clang.
for cc in gcc clang; do for opt in -O2 -O0; do
    check "zero cost when off ($cc $opt)" zero_cost $cc $opt examples/recurse.c examples/wordfreq.c \
        examples/coro.c tests/e2e/sections.c
done; done

# The examples compile cleanly in every mode, C and C++, gcc and clang.
for cc in gcc clang "g++ -x c++" "clang++ -x c++"; do
    for mode in "" -DTHAG_TIME_PROFILING -DTHAG_FULL_PROFILING "-DTHAG_TIME_PROFILING -DTHAG_PROFILER_STATIC"; do
        for ex in examples/*.c; do
            libs=-pthread; case $mode in *FULL*) libs="-pthread -lmimalloc";; esac
            grep -q '<uv.h>' "$ex" && libs="$libs -luv"
            check "build $ex ($cc $mode)" $cc -O2 -Wall -Wextra -Wshadow -Werror $mode -I. "$ex" -o "$TMPROOT/ex" $libs
        done
    done
done
for std in c99 c11 gnu99; do
    check "header as -std=$std -pedantic" gcc -std=$std -pedantic -O2 -Wall -Wextra -Werror -DTHAG_TIME_PROFILING -I. examples/recurse.c -o "$TMPROOT/ex" -pthread
done
check "header as C++11" g++ -std=c++11 -x c++ -O2 -Wall -Wextra -Werror -DTHAG_TIME_PROFILING -I. examples/recurse.c -o "$TMPROOT/ex" -pthread
check "header included twice with the implementation" bash -c "printf '#define THAG_PROFILER_IMPLEMENTATION\n#include \"thag_profiler.h\"\n#include \"thag_profiler.h\"\n#define THAG_PROFILER_IMPLEMENTATION\n#include \"thag_profiler.h\"\nint main(void) { THAG_ENABLE_PROFILING(no); return 0; }\n' | gcc -DTHAG_TIME_PROFILING -Wall -Wextra -Werror -I. -x c - -o $TMPROOT/twice -pthread"

# Sanitizers: every e2e program under ASan+UBSan; threads under TSan.
for p in $E2E; do
    bin="$TMPROOT/asan-$p"
    if build "$p" "$bin" gcc -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -DTHAG_TIME_PROFILING; then
        asan_case "$p" "$TMPROOT/asan-out-$p" "$bin" "tests/e2e/$p.expected"
    else bad "ASan build $p" "$(cat "$bin.err")"; fi
done
# A program that forks at once, 30 times under ASan: the child's exit must
# not hang in the leak check (the profiler's signal thread was still starting
# inside ASan at the fork; 5% of runs hung). A hung child is killed here.
fork_hangs() {
    local i n=0 rc
    for i in $(seq 1 30); do
        rc=$(RUN_LIMIT=20 run_in "$TMPROOT/asan-forks" "$1")
        [ "$rc" = 0 ] || { n=$((n + 1)); pkill -KILL -f "^$1\$"; }
    done
    [ "$n" = 0 ] || { echo "$n of 30 runs did not end (or failed)"; return 1; }
}
[ -x "$TMPROOT/asan-fork" ] && check "ASan fork: 30 runs, none hangs" fork_hangs "$TMPROOT/asan-fork"
for cc in gcc clang; do
    bin="$TMPROOT/tsan-$cc"
    if build threads "$bin" $cc -O1 -fsanitize=thread -DTHAG_TIME_PROFILING; then
        tsan_case "threads ($cc)" "$TMPROOT/tsan-out-$cc" "$bin" tests/e2e/threads.expected
    else bad "TSan build ($cc)" "$(cat "$bin.err")"; fi
done
if gcc -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -DTHAG_TIME_PROFILING tests/unit.c -o "$TMPROOT/unit-asan" -pthread -lcmocka 2>"$TMPROOT/err"; then
    check "unit tests under ASan+UBSan" "$TMPROOT/unit-asan"
else bad "unit ASan build" "$(cat "$TMPROOT/err")"; fi

# The implementation compiles under strict warnings (Lua's set), as C and C++.
strict() { # CC SWITCH C|C++
    local extra="-Wmissing-prototypes -Wstrict-prototypes -x c"
    [ "$3" = C++ ] && extra="-x c++"
    printf '#define THAG_PROFILER_IMPLEMENTATION\n#include "thag_profiler.h"\n' |
        $1 -c -O2 -Wall -Wextra -Wshadow -Wconversion -Wundef -Werror $extra -I. -D$2 - -o /dev/null
}
for sw in THAG_TIME_PROFILING THAG_FULL_PROFILING; do
    check "strict warnings, gcc C ($sw)" strict gcc $sw C
    check "strict warnings, clang C ($sw)" strict clang $sw C
    check "strict warnings, g++ ($sw)" strict g++ $sw C++
done
