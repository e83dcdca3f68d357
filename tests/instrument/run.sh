#!/bin/bash
# Tests for thag-instrument / thag-remove (tools/instrument.c).
# usage: tests/instrument/run.sh [BUILD_DIR]   (default: build; run from anywhere)
#
#  1. golden hostile cases: cases/X -> cases/X.expected, stderr == cases/X.err
#     (or empty), idempotence, round trip, and the instrumented case compiles
#     (gcc -fsyntax-only, off and time mode)
#  2. options: options/N.args (input, then arguments) -> options/N.expected
#  3. malformed input: errors/N.bad -> exit 1, empty stdout, stderr == errors/N.err
#  3b. every 5th-byte prefix of some hostile cases: exit 0 with a round trip,
#     or exit 1 with nothing written; never a crash
#  4. I/O safety: same-file refusal, --in-place with backups, usage errors
#  5. round trip remove(instrument(x)) == x and idempotence over every .c/.h
#     file of the repository
#  6. a multi-file program (prog/) instrumented, built with -Werror (gcc and
#     clang, off and time mode) and run: exact call counts per stack
#  7. the examples: hand instrumentation stripped (remove --all), instrumented
#     again, built with -Werror, run: every hand-profiled function is profiled
#  8. multi/: several programs and #ifdef'd test mains (one implementation
#     each, notes with file:line, --impl)
#  9. prune/: the second pass (--prune) on a fixed run and on a real one
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
TI=$BUILD/thag-instrument
TR=$BUILD/thag-remove
T=$BUILD/instrument/test
rm -rf "$T" && mkdir -p "$T"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION COMMAND...: the command must succeed
    local what=$1
    shift
    if "$@"; then ok; else bad "$what"; fi
}
WFLAGS="-Wall -Wextra -Wshadow -Werror"
HAVE_HEADER=0
[ -f "$ROOT/thag_profiler.h" ] && HAVE_HEADER=1

golden_cases() {
    local f out
    for f in "$HERE"/cases/*.c "$HERE"/cases/*.h; do
        out=$T/$(basename "$f")
        "$TI" < "$f" > "$out" 2> "$out.err"
        check "instrument $f (exit status)" test $? -eq 0
        check "instrument $f == $f.expected" cmp -s "$out" "$f.expected"
        if [ -f "$f.err" ]; then
            check "instrument $f: stderr == $f.err" cmp -s "$out.err" "$f.err"
        else
            check "instrument $f: nothing on stderr" test ! -s "$out.err"
        fi
        check "idempotent on $f.expected" cmp -s <("$TI" < "$f.expected" 2> /dev/null) "$f.expected"
        check "remove($f.expected) == $f" cmp -s <("$TR" < "$f.expected") "$f"
        [ $HAVE_HEADER = 1 ] || continue
        cp "$out" "$T/syntax.c"
        for mode in "" -DTHAG_TIME_PROFILING; do
            check "instrumented $f compiles ($mode)" \
                gcc -std=gnu2x -fsyntax-only -w $mode -I"$ROOT" -I"$HERE/cases" "$T/syntax.c"
        done
    done
}

option_cases() {
    local a in exp args
    for a in "$HERE"/options/*.args; do
        read -r in args < "$a"
        exp=${a%.args}.expected
        # shellcheck disable=SC2086
        check "$(basename "$a"): output" cmp -s <(cd "$HERE" && "$TI" $args < "$in") "$exp"
        case $args in
            remove*) ;;
            *) check "$(basename "$a"): round trip" cmp -s <("$TR" < "$exp") "$HERE/$in" ;;
        esac
    done
}

error_cases() {
    local f
    for f in "$HERE"/errors/*.bad; do
        "$TI" < "$f" > "$T/err.out" 2> "$T/err.err"
        check "$f: exit status 1" test $? -eq 1
        check "$f: nothing on stdout" test ! -s "$T/err.out"
        check "$f: message" cmp -s "$T/err.err" "${f%.bad}.err"
    done
    printf 'int f(void) {\n  /* no end\n' > "$T/lexerr.c"
    "$TR" < "$T/lexerr.c" > "$T/err.out" 2> "$T/err.err"
    check "remove: unterminated comment is an error" test $? -eq 1 -a ! -s "$T/err.out"
    check "remove: error names the line" grep -q '<stdin>:2: error: unterminated comment' "$T/err.err"
}

prefixes() {
    local f n k rc errs
    for f in preproc.c comments_strings.c bodies.c filescope.c knr.c crlf.c; do
        f=$HERE/cases/$f
        n=$(wc -c < "$f")
        errs=0
        for ((k = 0; k <= n; k += 5)); do
            head -c $k "$f" > "$T/cut.c"
            "$TI" < "$T/cut.c" > "$T/cut.out" 2> /dev/null
            rc=$?
            if [ $rc -eq 0 ]; then
                cmp -s <("$TR" < "$T/cut.out") "$T/cut.c" || { errs=1; bad "prefix $k of $f: round trip"; }
            elif [ $rc -ne 1 ] || [ -s "$T/cut.out" ]; then
                errs=1
                bad "prefix $k of $f: exit status $rc, $(wc -c < "$T/cut.out") bytes written"
            fi
        done
        [ $errs = 0 ] && ok
    done
}

io_cases() {
    local c=$HERE/cases/bodies.c
    cp "$c" "$T/same.c"
    "$TI" < "$T/same.c" >> "$T/same.c" 2> "$T/same.err"
    check "same input and output file: exit 2" test $? -eq 2
    check "same input and output file: untouched" cmp -s "$T/same.c" "$c"
    "$TI" "$T/same.c" >> "$T/same.c" 2> /dev/null
    check "same file given by name: exit 2" test $? -eq 2
    cp "$c" "$T/inpl.c"
    check "--in-place runs" "$TI" --in-place "$T/inpl.c"
    check "--in-place result" cmp -s "$T/inpl.c" "$c.expected"
    check "--in-place backup" cmp -s "$T/inpl.c.orig" "$c"
    check "thag-remove --in-place=bak" "$TR" --in-place=bak "$T/inpl.c"
    check "thag-remove --in-place result" cmp -s "$T/inpl.c" "$c"
    check "thag-remove --in-place backup" cmp -s "$T/inpl.c.bak" "$c.expected"
    cp "$c.expected" "$T/done.c"
    check "--in-place on an instrumented file" "$TI" -i "$T/done.c"
    check "unchanged file: no backup" test ! -e "$T/done.c.orig"
    check "subcommand remove" cmp -s <("$TI" remove < "$c.expected") "$c"
    check "subcommand instrument" cmp -s <("$TR" instrument < "$c") "$c.expected"
    "$TI" --enable=sometimes < "$c" > /dev/null 2>&1
    check "bad --enable value: exit 2" test $? -eq 2
    "$TI" --frobnicate < "$c" > /dev/null 2>&1
    check "unknown option: exit 2" test $? -eq 2
    "$TI" "$T/does-not-exist.c" > /dev/null 2>&1
    check "missing file: exit 1" test $? -eq 1
    check "empty input" test -z "$("$TI" < /dev/null)"
    # --in-place over several files: one it cannot read is left untouched and named,
    # the others are still rewritten, and the status says something failed.
    mkdir -p "$T/many"
    cp "$c" "$T/many/a.c"; cp "$HERE/errors/unclosed_brace.bad" "$T/many/b.c"; cp "$c" "$T/many/c.c"
    "$TI" -i "$T/many/a.c" "$T/many/b.c" "$T/many/c.c" 2> "$T/many.err"
    check "--in-place, one bad file among three: exit 1" test $? -eq 1
    check "--in-place, one bad file among three: the one before rewritten" cmp -s "$T/many/a.c" "$c.expected"
    check "--in-place, one bad file among three: the one after rewritten" cmp -s "$T/many/c.c" "$c.expected"
    check "--in-place, one bad file among three: it is untouched" cmp -s "$T/many/b.c" "$HERE/errors/unclosed_brace.bad"
    check "--in-place, one bad file among three: named" grep -q "b.c:.*never closed" "$T/many.err"
    check "--in-place, one bad file among three: counted" grep -q "1 of 3 files left untouched" "$T/many.err"
}

# Every C source of the repository (not the fuzz inputs under tests/fuzz/: they start with an
# option byte and need not be C).
repo_files() {
    (cd "$ROOT" && {
        git ls-files '*.c' '*.h' 2> /dev/null
        find tools tests examples bench \( -name '*.c' -o -name '*.h' \) -type f 2> /dev/null
        ls ./*.c ./*.h 2> /dev/null
    } | sed 's|^\./||' | grep -v -e '^build/' -e 'node_modules/' -e '^tests/fuzz/corpus/' -e '^tests/fuzz/regress/' | sort -u)
}

round_trip_repo() {
    local f n=0
    while read -r f; do
        [ -f "$ROOT/$f" ] || continue
        n=$((n + 1))
        if ! "$TI" < "$ROOT/$f" > "$T/rt.c" 2> "$T/rt.err"; then
            bad "instrument $f: $(cat "$T/rt.err")"
            continue
        fi
        if ! cmp -s <("$TR" < "$T/rt.c") "$ROOT/$f"; then bad "round trip $f"; else ok; fi
        if ! cmp -s <("$TI" < "$T/rt.c" 2> /dev/null) "$T/rt.c"; then bad "idempotence $f"; else ok; fi
        if ! "$TR" --all < "$ROOT/$f" > /dev/null 2>&1; then bad "remove --all $f"; else ok; fi
    done < <(repo_files)
    echo "round trip: $n repository files"
    check "round trip saw the repository's files" test "$n" -ge 10
}

# reports and documentation: a header without a name is reported; every
# option of --help is in docs/instrument.md and the README's chapter.
report_cases() {
    local o
    printf 'int a;\n__attribute__((constructor)) {\n}\nint f(void) { return 0; }\n' |
        "$TI" > "$T/noname.out" 2> "$T/noname.err"
    check "no name: exit 0" test $? -eq 0
    check "no name: reported with its line" test "$(cat "$T/noname.err")" = \
        "thag-instrument: <stdin>:2: not instrumented: no function name found in the header before this '{'"
    check "no name: the rest is instrumented" grep -q 'THAG_PROFILE(f)' "$T/noname.out"
    for o in $("$TI" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
        check "$o in docs/instrument.md" grep -q -- "\`$o" "$ROOT/docs/instrument.md"
    done
}

# build_prog OUT_DIR CC MODE FILES...: compile instrumented sources
build_prog() {
    local out=$1 cc=$2 mode=$3
    shift 3
    $cc -std=gnu11 -O1 $WFLAGS $mode -I"$ROOT" -I"$(dirname "$1")" "$@" -o "$out" -pthread -lm ${EXTRA_LIBS:-}
}

# calls_of DIR: the stacks and counts of the calls file in DIR, sorted
calls_of() { grep -hv '^#' "$1"/*-calls.folded 2> /dev/null | sort; }

prog_case() {
    local d=$T/prog f cc
    mkdir -p "$d/src" "$d/out"
    for f in "$HERE"/prog/*; do "$TI" < "$f" > "$d/src/$(basename "$f")"; done
    printf '%s\n' 'main 1' 'main;compute 1' 'main;compute;accumulate 5' \
        'main;compute;square 5' 'main;compute;twice 1' 'main;report 1' > "$d/want"
    for cc in gcc clang; do
        check "prog builds ($cc, off)" build_prog "$d/off-$cc" $cc "" "$d"/src/*.c
        check "prog off output ($cc)" test "$("$d/off-$cc")" = "total=110"
        check "prog builds ($cc, time)" build_prog "$d/time-$cc" $cc -DTHAG_TIME_PROFILING "$d"/src/*.c
        rm -rf "$d/out" && mkdir -p "$d/out"
        check "prog time output ($cc)" test "$(THAG_PROFILER="time,$d/out" "$d/time-$cc")" = "total=110"
        check "prog calls per stack ($cc)" cmp -s <(calls_of "$d/out") "$d/want"
        check "prog time stacks ($cc)" cmp -s \
            <(grep -hv '^#' "$d"/out/*[0-9].folded | sed 's/ [0-9]*$//' | sort) \
            <(sed 's/ [0-9]*$//' "$d/want")
    done
}

# multi/: two programs and two #ifdef'd test mains (the Redis layout). Each
# program must get exactly one implementation: they link (no "multiple
# definition of thag__enter"), run and profile; the guarded mains are
# reported with file and line; --impl gives a test program its own.
multi_case() {
    local d=$T/multi cc f
    rm -rf "$d" && cp -r "$HERE/multi" "$d"
    (cd "$d" && "$TI" -i server.c cli.c ziplist.c util.c 2> notes)
    check "multi: guarded mains reported with file:line" cmp -s "$d/notes" "$HERE/multi/notes.expected"
    check "multi: the implementation in server.c and cli.c only" \
        test "$(cd "$d" && grep -l '^#define THAG_PROFILER_IMPLEMENTATION' ./*.c | tr '\n' ' ')" = "./cli.c ./server.c "
    for f in server.c cli.c ziplist.c util.c; do
        check "multi: round trip $f" cmp -s <("$TR" < "$d/$f") "$HERE/multi/$f"
    done
    for cc in gcc clang; do
        check "multi: server links ($cc, time)" build_prog "$d/server-$cc" $cc -DTHAG_TIME_PROFILING \
            "$d/server.c" "$d/ziplist.c" "$d/util.c"
        check "multi: cli links ($cc, time)" build_prog "$d/cli-$cc" $cc -DTHAG_TIME_PROFILING "$d/cli.c" "$d/util.c"
        check "multi: server links ($cc, off)" build_prog "$d/off-$cc" $cc "" "$d/server.c" "$d/ziplist.c" "$d/util.c"
        rm -rf "$d/out" && mkdir -p "$d/out"
        check "multi: server runs ($cc)" test "$(THAG_PROFILER="time,$d/out" "$d/server-$cc")" = "server 6 193485963"
        check "multi: server's calls ($cc)" cmp -s <(calls_of "$d/out") \
            <(printf '%s\n' 'main 1' 'main;util_hash 1' 'main;zl_len 1' 'main;zl_len;zl_entry 3')
    done
    # The test program the note warns about: without an implementation it
    # cannot link; --impl=ziplist.c (on the instrumented file) gives it one.
    check "multi: ziplist test without --impl does not link" \
        test -n "$(build_prog "$d/zt" gcc "-DTHAG_TIME_PROFILING -DZIPLIST_TEST_MAIN" "$d/ziplist.c" "$d/util.c" 2>&1 |
            grep 'undefined reference to .thag__')"
    (cd "$d" && "$TI" -i --impl=ziplist.c ziplist.c util.c 2> impl.err)
    check "multi: --impl: nothing on stderr" test ! -s "$d/impl.err"
    check "multi: --impl: ziplist test links" build_prog "$d/zt" gcc "-DTHAG_TIME_PROFILING -DZIPLIST_TEST_MAIN" \
        "$d/ziplist.c" "$d/util.c"
    rm -rf "$d/out" && mkdir -p "$d/out"
    check "multi: ziplist test runs" test "$(THAG_PROFILER="time,$d/out" "$d/zt")" = "ziplist test 12"
    check "multi: ziplist test's calls" cmp -s <(calls_of "$d/out") \
        <(printf '%s\n' 'main 1' 'main;zl_len 1' 'main;zl_len;zl_entry 4')
    check "multi: --impl: round trip" cmp -s <("$TR" < "$d/ziplist.c") "$HERE/multi/ziplist.c"
    check "multi: --impl=another file takes an inserted define out" test -z \
        "$(cd "$d" && "$TI" --impl=ziplist.c < server.c | grep THAG_PROFILER_IMPLEMENTATION)"
    check "multi: --no-impl takes an inserted define out" test -z \
        "$(cd "$d" && "$TI" --no-impl < server.c | grep THAG_PROFILER_IMPLEMENTATION)"
    check "multi: --no-impl: round trip" cmp -s \
        <(cd "$d" && "$TI" --no-impl < server.c | "$TR") "$HERE/multi/server.c"
    "$TI" --impl=a.c --no-impl < "$d/util.c" > /dev/null 2> "$d/both.err"
    check "--impl with --no-impl: exit 2" test $? -eq 2
}

# prune/: the second pass. On a fixed run (run/, two runs: the newest by
# modification time is chosen), from the original and from the fully
# instrumented file: the same bytes, the same report; thag-remove restores
# the original. Then on a real run of prune/spin.c.
prune_case() {
    local d=$T/prune r=prune/run/hot-20260101-120000
    rm -rf "$d" && mkdir -p "$d"
    touch -d '2025-01-01 12:00' "$HERE"/prune/run/hot-2025*
    touch -d '2026-01-01 12:00' "$HERE"/prune/run/hot-2026*
    "$TI" < "$HERE/prune/hot.c" > "$d/full.c"
    (cd "$HERE" && "$TI" --prune=prune/run prune/hot.c > "$d/p1.c" 2> "$d/p1.err")
    check "prune: output" cmp -s "$d/p1.c" "$HERE/prune/hot.c.expected"
    check "prune: report" cmp -s "$d/p1.err" "$HERE/prune/hot.err"
    (cd "$HERE" && "$TI" --prune=prune/run < "$d/full.c" > "$d/p2.c" 2> "$d/p2.err")
    check "prune of the instrumented file: same output" cmp -s "$d/p2.c" "$HERE/prune/hot.c.expected"
    check "prune of the instrumented file: same report" cmp -s "$d/p2.err" "$HERE/prune/hot.err"
    check "prune: round trip" cmp -s <("$TR" < "$d/p1.c") "$HERE/prune/hot.c"
    check "prune: idempotent" cmp -s <(cd "$HERE" && "$TI" --prune=prune/run < "$d/p1.c" 2> /dev/null) "$d/p1.c"
    check "prune: run given by a file" cmp -s \
        <(cd "$HERE" && "$TI" --prune=$r-inclusive.folded prune/hot.c 2> /dev/null) "$d/p1.c"
    check "prune: run given by its prefix" cmp -s \
        <(cd "$HERE" && "$TI" --prune=$r prune/hot.c 2> /dev/null) "$d/p1.c"
    # A third pass (a new run, without figures for what pass 2 left out):
    # it only takes out; here report, the one function of the older run.
    (cd "$HERE" && "$TI" --prune=prune/run/hot-20250101-120000 < "$d/p1.c" > "$d/p3.c" 2> /dev/null)
    check "prune pass 3: adds nothing, takes report out" test \
        "$(grep -o 'THAG_[A-Z_]*([a-z0-9]*)' "$d/p3.c" | tr '\n' ' ')" = \
        "THAG_PROFILE(emit) THAG_PROFILE(compress) THAG_ENABLE_PROFILING(runtime) "
    check "prune pass 3: round trip" cmp -s <("$TR" < "$d/p3.c") "$HERE/prune/hot.c"
    (cd "$HERE" && "$TI" --prune=$r --scope-ns=20 --budget=1 prune/hot.c > "$d/b.c" 2> "$d/b.err")
    check "prune --budget: output" cmp -s "$d/b.c" "$HERE/prune/budget.expected"
    check "prune --budget: report" cmp -s "$d/b.err" "$HERE/prune/budget.err"
    check "prune --budget: round trip" cmp -s <("$TR" < "$d/b.c") "$HERE/prune/hot.c"
    check "--exclude on an instrumented file == on the original" cmp -s \
        <(cd "$HERE" && "$TI" -x 'op_*' --exclude get_ops < cases/filescope.c.expected) "$HERE/options/exclude.expected"
    (cd "$HERE" && "$TI" --prune=prune/run --keep='ha*' prune/hot.c > "$d/k.c" 2> /dev/null)
    check "prune --keep: hash stays, read32 and write16 go" test \
        "$(grep -o 'THAG_[A-Z_]*([a-z0-9]*)' "$d/k.c" | tr '\n' ' ')" = \
        "THAG_PROFILE(hash) THAG_PROFILE(emit) THAG_PROFILE(compress) THAG_PROFILE(report) THAG_ENABLE_PROFILING(runtime) "
    prune_errors "$d"
    prune_real "$d"
}

# prune_errors DIR: bad runs and bad numbers
prune_errors() {
    local d=$1
    printf '# meta unit=calls\nmain 1\nmain;f\n' > "$d/bad-calls.folded"
    cp "$HERE/prune/run/hot-20260101-120000-inclusive.folded" "$d/bad-inclusive.folded"
    "$TI" --prune="$d/bad" "$HERE/prune/hot.c" > "$d/e.out" 2> "$d/e.err"
    check "prune: malformed line: exit 1" test $? -eq 1 -a ! -s "$d/e.out"
    check "prune: malformed line: message with its line" test "$(cat "$d/e.err")" = \
        "thag-instrument: --prune: $d/bad-calls.folded:3: not a folded line 'frame;frame value'"
    "$TI" --prune="$d/none" "$HERE/prune/hot.c" > "$d/e.out" 2> "$d/e.err"
    check "prune: missing run: exit 1" test $? -eq 1 -a ! -s "$d/e.out"
    check "prune: missing run: message" grep -q "none-calls.folded: No such file" "$d/e.err"
    mkdir -p "$d/empty"
    "$TI" --prune="$d/empty" "$HERE/prune/hot.c" > /dev/null 2> "$d/e.err"
    check "prune: directory without a run: exit 1" test $? -eq 1
    check "prune: directory without a run: message" grep -q "no \*-calls.folded file in directory" "$d/e.err"
    "$TI" --prune=x --min-ns=abc "$HERE/prune/hot.c" > /dev/null 2> "$d/e.err"
    check "prune: bad --min-ns: exit 2" test $? -eq 2
    "$TR" --prune=x "$HERE/prune/hot.c" > /dev/null 2>&1
    check "thag-remove --prune: exit 2" test $? -eq 2
}

# prune_real DIR: a real first run of spin.c; the per-byte helper goes, the
# function doing the work stays, and the second build still profiles it.
prune_real() {
    local d=$1/real
    mkdir -p "$d"
    "$TI" < "$HERE/prune/spin.c" > "$d/spin.c"
    check "prune real: builds" build_prog "$d/spin" gcc -DTHAG_TIME_PROFILING "$d/spin.c"
    (cd "$d" && THAG_PROFILER="time,$d/run1" ./spin > /dev/null)
    (cd "$d" && "$TI" -i --prune=run1 --scope-ns=20 --min-ns=1000 spin.c 2> prune.err)
    check "prune real: mix reported" grep -q '^thag-instrument: --prune: not profiled: mix (819200 calls, ' "$d/prune.err"
    check "prune real: mix unprofiled" test -z "$(grep 'THAG_PROFILE(mix)' "$d/spin.c")"
    check "prune real: digest kept" grep -q 'THAG_PROFILE(digest)' "$d/spin.c"
    check "prune real: round trip" cmp -s <("$TR" < "$d/spin.c") "$HERE/prune/spin.c"
    check "prune real: builds again" build_prog "$d/spin" gcc -DTHAG_TIME_PROFILING "$d/spin.c"
    (cd "$d" && THAG_PROFILER="time,$d/run2" ./spin > /dev/null)
    check "prune real: second run's calls" cmp -s <(calls_of "$d/run2") <(printf '%s\n' 'main 1' 'main;digest 200')
}

example_case() { # example_case FILE
    local ex=$1 name d fn
    name=$(basename "$ex" .c)
    d=$T/ex-$name
    mkdir -p "$d/out"
    "$TR" --all < "$ex" > "$d/stripped.c"
    check "$name: stripped of THAG_ macros" test -z "$(grep -E 'THAG_(PROFILE|SECTION|END|ENABLE_PROFILING)\(' "$d/stripped.c")"
    "$TI" --enable=yes < "$d/stripped.c" > "$d/$name.c"
    EXTRA_LIBS=""; grep -q '<uv.h>' "$ex" && EXTRA_LIBS=-luv # the libuv example
    check "$name: builds (off)" build_prog "$d/off" gcc "" "$d/$name.c"
    check "$name: builds (time)" build_prog "$d/time" gcc -DTHAG_TIME_PROFILING "$d/$name.c"
    (cd "$d" && THAG_PROFILER="time,$d/out" ./time > /dev/null 2>&1)
    check "$name: runs and writes calls" test -n "$(calls_of "$d/out" | grep '^main')"
    for fn in $(grep -oE 'THAG_PROFILE\([A-Za-z_0-9]+' "$ex" | sed 's/.*(//' | sort -u); do
        check "$name: $fn is profiled" test -n "$(calls_of "$d/out" | grep -E "(^|;)$fn( |;)")"
    done
}

golden_cases
option_cases
error_cases
prefixes
io_cases
report_cases
round_trip_repo
if [ $HAVE_HEADER = 1 ]; then
    prog_case
    multi_case
    prune_case
    for ex in "$ROOT"/examples/*.c; do [ -f "$ex" ] && example_case "$ex"; done
else
    echo "SKIP: thag_profiler.h not found: compile-and-run tests not run"
fi
echo "test-instrument: $pass passed, $fail failed"
[ $fail -eq 0 ]
