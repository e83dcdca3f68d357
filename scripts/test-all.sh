#!/bin/bash
# make test: runs every test suite (make targets), even after a failure,
# and ends with the total of the "N passed, M failed" lines they print.
# Each suite reads /dev/null (a test must never wait on the caller's terminal
# or pipe), says how long it took, and is stopped after THAG_SUITE_TIMEOUT
# seconds (default 1800) so that a hang is a failure that names its suite,
# not a CI run that never ends.
set -u
limit=${THAG_SUITE_TIMEOUT:-1800}
cd "$(dirname "$0")/.."
log=$(mktemp); flag=""; trap 'rm -f "$log" $flag' EXIT
pass=0; fail=0; broken=""

# procs: every process of the machine with its state, what it waits in and its
# command line, read from /proc (a machine without procps has no ps).
procs() {
    local d cmd
    for d in /proc/[0-9]*; do
        cmd=$(tr '\0' ' ' < "$d/cmdline" 2>/dev/null | cut -c1-200)
        [ -n "$cmd" ] || continue  # kernel threads, processes gone
        printf '%7s %s %-24s %s\n' "${d#/proc/}" "$(cut -d' ' -f3-4 "$d/stat" 2>/dev/null)" \
            "$(cat "$d/wchan" 2>/dev/null)" "$cmd"
    done | sort -n
}

# watchdog SECONDS FLAG: shows what is running when a suite is about to be
# stopped, so that a hang names its test; ends within a second once FLAG is
# removed (a sleep left behind would hold the output open).
watchdog() {
    local i
    for ((i = 0; i < $1; i++)); do sleep 1; [ -e "$2" ] || return 0; done
    echo "== still running after $1 s (pid, state, parent, waiting in, command):"
    procs
}

for target in "$@"; do
    echo "== $target"
    start=$SECONDS
    flag=$(mktemp); watchdog $((limit * 19 / 20)) "$flag" & dog=$!
    timeout --kill-after=30 "$limit" make --no-print-directory "$target" </dev/null 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    rm -f "$flag"; wait $dog
    [ "$rc" != 124 ] && [ "$rc" != 137 ] || echo "FAIL: $target stopped after $limit s (THAG_SUITE_TIMEOUT)"
    echo "== $target: $((SECONDS - start)) s"
    read -r p f < <(sed -n 's/.* \([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed.*/\1 \2/p' "$log" | tail -1)
    [ -n "${p:-}" ] || read -r p f < <(sed -n 's/.*all \([0-9][0-9]*\) tests passed.*/\1 0/p' "$log" | tail -1)
    pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
    if [ "$rc" != 0 ]; then broken="$broken $target"; [ "${f:-0}" = 0 ] && fail=$((fail + 1)); fi
    p=""; f=""
done
[ -z "$broken" ] || echo "failed suites:$broken"
echo "total: $pass passed, $fail failed"
[ -z "$broken" ]
