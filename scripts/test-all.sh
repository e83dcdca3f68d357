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
log=$(mktemp); trap 'rm -f "$log"' EXIT
pass=0; fail=0; broken=""
for target in "$@"; do
    echo "== $target"
    start=$SECONDS
    timeout --kill-after=30 "$limit" make --no-print-directory "$target" </dev/null 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
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
