#!/bin/bash
# The core test suite: unit tests, end-to-end tests of the header in every
# build mode and compiler, robustness, zero cost when off, sanitizers.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
ROOT=$PWD
E2E="sections longjmp threads exit runtime fork"
WARN="-Wall -Wextra -Werror"

# --- unit tests (cmocka), gcc and clang
for cc in gcc clang; do
    if $cc -O1 -g $WARN -DTHAG_TIME_PROFILING tests/unit.c -o "$TMPROOT/unit-$cc" -pthread -lcmocka 2>"$TMPROOT/err"; then
        check "unit tests ($cc)" "$TMPROOT/unit-$cc"
    else bad "unit tests build ($cc)" "$(cat "$TMPROOT/err")"; fi
done

# build NAME OUT COMPILER...: compiles tests/e2e/NAME.c
build() {
    local name=$1 out=$2; shift 2
    "$@" -g $WARN -I. -Itests/e2e "tests/e2e/$name.c" -o "$out" -pthread 2>"$out.err"
}

# --- every e2e program, every compiler and language, optimised and not
for cc in "gcc -O2" "gcc -O0" "clang -O2" "clang -O0" "g++ -x c++ -O2" "clang++ -x c++ -O2"; do
    for p in $E2E; do
        tag="$p ($cc)"
        bin="$TMPROOT/bin-${cc// /_}-$p"
        if ! build "$p" "$bin" $cc -DTHAG_TIME_PROFILING; then bad "build $tag" "$(cat "$bin.err")"; continue; fi
        dir="$TMPROOT/out-${cc// /_}-$p"
        rc=$(run_in "$dir" "$bin")
        case $p in exit) want=3;; runtime) want=7;; *) want=0;; esac
        [ "$rc" = "$want" ] && ok "$tag exit status" || bad "$tag exit status $rc, want $want" "$(cat "$dir/stderr")"
        check "$tag stacks and call counts" expect_calls "$dir" "tests/e2e/$p.expected"
        [ -s "$dir/stderr" ] && bad "$tag wrote to stderr" "$(cat "$dir/stderr")" || ok "$tag quiet"
    done
done
for part in tests/run_checks.sh tests/run_modes.sh tests/run_memory.sh tests/run_manifest.sh tests/run_signals.sh tests/run_hostile.sh; do
    . "$part" || bad "$part did not run to its end"
done
summary core
