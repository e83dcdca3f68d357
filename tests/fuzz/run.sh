#!/bin/bash
# tests/fuzz/run.sh MODE DIR RUNS TARGET...: runs the libFuzzer targets built in DIR
# (DIR/fuzz_<target>, see mk/fuzz.mk).
#   regress  each target once over tests/fuzz/corpus/<t> and tests/fuzz/regress/<t> (make test)
#   pending  the same over tests/fuzz/pending/<t>: known bugs in code this suite does not own
#   fuzz     each target for RUNS executions, from those inputs plus DIR/corpus/<t> (where new
#            inputs go); findings (crash-*, leak-*, timeout-*...) go to DIR/artifacts/
# Prints "fuzz (MODE): N passed, M failed": in regress, one check per target's seed corpus and
# one per regression input; in pending, one per input; in fuzz, one per target.
set -u
cd "$(dirname "$0")/../.."
mode=$1 dir=$2 runs=$3; shift 3
PASS=0 FAIL=0 FAILED=""
opts=(-rss_limit_mb=2048 -timeout=20)
# make_seeds T: writes DIR/seeds/T/ from tests/fuzz/seeds.txt (prefix bytes + a file of the
# repository), so that the seed corpus holds no copy of a file kept elsewhere.
make_seeds() {
    local t=$1 tt hex src
    rm -rf "$dir/seeds/$t"; mkdir -p "$dir/seeds/$t"
    while read -r tt hex src; do
        [ "$tt" = "$t" ] || continue
        { printf "$(printf '%s' "$hex" | sed 's/\(..\)/\\x\1/g')"; cat "$src"; } >"$dir/seeds/$t/seed-${src##*/}"
    done < <(grep -v '^#' tests/fuzz/seeds.txt)
}
maxlen() { case $1 in instrument|analyze) echo 8192;; *) echo 4096;; esac; }

inputs() { # the committed input files of target $1 for this mode
    local d
    if [ "$mode" = pending ]; then d="tests/fuzz/pending/$1"; [ -d "$d" ] && find "$d" -type f ! -name '.*' | sort; return 0; fi
    for d in "tests/fuzz/corpus/$1" "tests/fuzz/regress/$1"; do [ -d "$d" ] && find "$d" -type f ! -name '.*' | sort; done
    return 0
}

for t in "$@"; do
    make_seeds "$t"
    bin="$dir/fuzz_$t"
    [ -x "$bin" ] || { FAIL=$((FAIL + 1)); FAILED="$FAILED\n  $t: $bin not built"; continue; }
    if [ "$mode" = fuzz ]; then
        mkdir -p "$dir/corpus/$t" "$dir/artifacts"
        log="$dir/fuzz-$t.log"
        dirs=("$dir/corpus/$t" "tests/fuzz/corpus/$t" "$dir/seeds/$t")
        [ -d "tests/fuzz/regress/$t" ] && dirs+=("tests/fuzz/regress/$t")
        "$bin" "${opts[@]}" -runs="$runs" -max_len="$(maxlen "$t")" -print_final_stats=1 \
            -artifact_prefix="$dir/artifacts/$t-" "${dirs[@]}" >"$log" 2>&1
        rc=$?
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        corpus=$(ls "$dir/corpus/$t" | wc -l)
        if [ "$rc" = 0 ]; then
            PASS=$((PASS + 1)); echo "$t: ${execs:-?} executions, no finding ($corpus new corpus inputs in $dir/corpus/$t)"
        else
            FAIL=$((FAIL + 1)); art=$(grep -a -o "Test unit written to .*" "$log" | tail -1)
            FAILED="$FAILED\n  $t: finding after ${execs:-?} executions: ${art:-see $log}"
            echo "$t: FINDING after ${execs:-?} executions (log: $log)"; grep -a -m5 'ERROR\|runtime error\|property failed' "$log"
        fi
        continue
    fi
    # The seed corpus: one check per target; each regression (or pending) input: one check.
    # One run over the files; on a failure, one run per file to name each failing input.
    groups=()
    if [ "$mode" = pending ]; then mapfile -t files < <(inputs "$t"); groups=("${files[@]}")
    else
        [ -d "tests/fuzz/corpus/$t" ] && groups+=("tests/fuzz/corpus/$t")
        [ -n "$(ls "$dir/seeds/$t")" ] && groups+=("$dir/seeds/$t")
        [ -d "tests/fuzz/regress/$t" ] && mapfile -t -O "${#groups[@]}" groups < <(find "tests/fuzz/regress/$t" -type f ! -name '.*' | sort)
    fi
    for g in "${groups[@]}"; do
        if [ -d "$g" ]; then mapfile -t files < <(find "$g" -type f ! -name '.*' | sort); else files=("$g"); fi
        [ "${#files[@]}" -gt 0 ] || continue
        if "$bin" "${opts[@]}" "${files[@]}" >"$dir/$mode-$t.log" 2>&1; then PASS=$((PASS + 1)); continue; fi
        FAIL=$((FAIL + 1))
        for f in "${files[@]}"; do
            "$bin" "${opts[@]}" "$f" >"$dir/$mode-$t.one.log" 2>&1 && continue
            FAILED="$FAILED\n  $t: $f"
            grep -a -m3 'ERROR\|runtime error\|property failed' "$dir/$mode-$t.one.log" | sed 's/^/    /' >&2
        done
    done
done
echo "fuzz ($mode): $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ] || { printf "failed:$FAILED\n" >&2; exit 1; }
