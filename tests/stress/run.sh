#!/bin/bash
# The flush race (tests/stress/flush.c) under ThreadSanitizer, gcc and
# clang: with the default timeline, with a small one whose chunks change
# hands all the time, and without one. Each run's calls must be exactly
# what its rounds (printed by the program) make.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
FLUSHES=${STRESS_FLUSHES:-100}   # per flushing thread: 200 flushes a run

expected() { # ROUNDS: the calls file a run of that many rounds writes
    local r=$1 w=$(($1 * 4))
    printf '%s\n' "late-name;lingering 1" "main 1" "stress-w;worker $w" "stress-w;worker;fib $w" \
        "stress-w;worker;fib;in_fiber $((2 * w))" "stress-w;worker;fib;in_fiber;leaf $((2 * w))" \
        "stress-w;worker;leaf $((50 * w))" "stress-w;worker;req $((2 * w))" "stress-w;worker;req;leaf $((2 * w))" \
        "stress-w;worker;req;parse $((2 * w))"
}

# Every stack of the timeline is a stack of the calls file.
known_stacks() {
    local tl=$1 calls=$2
    tl_data "$tl" | sed 's/ [0-9]*$//' | sort -u | while read -r s; do
        grep -q "^$s [0-9]*\$" "$calls" || { echo "unknown: $s"; exit 1; }
    done
}

for cc in gcc clang; do
    bin="$TMPROOT/flush-$cc"
    if ! $cc -O1 -g -fsanitize=thread -Wall -Wextra -Werror -DTHAG_TIME_PROFILING -I. tests/stress/flush.c \
            -o "$bin" -pthread 2>"$bin.err"; then bad "TSan build ($cc)" "$(cat "$bin.err")"; continue; fi
    for tl in default 5000 0; do
        tag="flush race ($cc, timeline $tl)"
        d="$TMPROOT/out-$cc-$tl"
        env=(TSAN_OPTIONS=halt_on_error=1)
        [ "$tl" = default ] || env+=(THAG_TIMELINE_EVENTS=$tl)
        rc=$(run_in "$d" "$bin" "${env[@]}" FLUSHES="$FLUSHES")
        check "$tag: no race, exit 0" bash -c "test '$rc' = 0 -a ! -s '$d/stderr' || { head -40 '$d/stderr'; exit 1; }"
        rounds=$(sed -n 's/^\([0-9]*\) rounds$/\1/p' "$d/stdout")
        calls=$(one "$d/*-calls.folded")
        check "$tag: exact calls for its $rounds rounds" diff <(data "$calls") <(expected "${rounds:-0}")
        case $tl in
        0) check "$tag: no timeline" test -z "$(ls "$d" | grep timeline)" ;;
        *) check "$tag: timeline stacks are known stacks" known_stacks "$(one "$d/*-timeline.txt")" "$calls" ;;
        esac
        [ "$tl" = 5000 ] && check "$tag: chunks were reused" grep -q ' dropped=[1-9]' "$d"/*-timeline.txt
    done
done
summary stress
