#!/bin/bash
# tests/fuzz/args.sh DIR: every command-line option of every tool, with hostile values.
# The tools are built with ASan and UBSan (clang, no recovery) into DIR; each option the
# tool's --help lists is given each value of VALUES (and no value at all), before and after
# a real input file. A run passes when the tool exits by itself (no signal, no timeout) and
# no sanitizer spoke: a huge --limit once went through a double-to-int cast (undefined).
# Prints "fuzz (args): N passed, M failed"; one check per tool and option.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
dir=$(mkdir -p "$1" && cd "$1" && pwd)
mkdir -p "$TMPROOT/cwd" # options that name files (--output, --dir, --save) write there
VALUES=("" "-1" "0" "1e999" "1e300" "99999999999999999999" "-99999999999999999999" "nan" "inf" "0x7fffffff"
        "2147483648" "%" "5%" "abc" "," "=" "$(printf 'a\001\377')")
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -g -O1"
declare -A SRC=([flamegraph]="tools/flamegraph.c -lm" [thag-analyze]="tools/analyze.c -lm"
                [thag-instrument]="tools/instrument.c" [thag-run]="tools/run.c" [thag-export]="tools/export.c -lm")
in="$TMPROOT/in.folded" src="$TMPROOT/in.c"
printf 'main 10\nmain;f 5\nmain;f;g 7\n' >"$in"
printf 'int f(void) { return 1; }\nint main(void) { return f(); }\n' >"$src"
export ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1

# try TOOL ARGS...: the tool's status, or "signal"/"timeout", and any sanitizer report.
try() {
    local t=$1 rc; shift
    (cd "$TMPROOT/cwd" && exec timeout 20 "$dir/$t" "$@") </dev/null >/dev/null 2>"$TMPROOT/err"; rc=$?
    if [ $rc = 124 ]; then echo "timeout: $t $*"; return 1; fi
    if [ $rc -ge 128 ] || grep -q 'runtime error\|AddressSanitizer\|UndefinedBehaviorSanitizer' "$TMPROOT/err"; then
        echo "status $rc: $t $*"; head -5 "$TMPROOT/err"; return 1
    fi
}

# every_value TOOL OPT INPUT...: the option with each value, then alone.
every_value() {
    local t=$1 o=$2 v; shift 2
    for v in "${VALUES[@]}"; do try "$t" "$o" "$v" "$@" || return 1; try "$t" "$@" "$o" "$v" || return 1; done
    try "$t" "$@" "$o"
}

for t in flamegraph thag-analyze thag-instrument thag-run thag-export; do
    if ! clang -std=c11 $SAN -Itools ${SRC[$t]} -o "$dir/$t" 2>"$TMPROOT/build.err"; then
        bad "$t builds with ASan and UBSan" "$(cat "$TMPROOT/build.err")"; continue
    fi
    case $t in
    thag-analyze) args=(report "$in") ;;
    thag-instrument) args=("$src") ;;
    thag-run) args=(true) ;;
    *) args=("$in") ;;
    esac
    opts=$("$dir/$t" --help 2>&1 | grep -o -- '--[a-z][a-z-]*' | sort -u)
    [ -n "$opts" ] || bad "$t: --help lists its options"
    for o in $opts; do
        [ "$t" = thag-instrument ] && [ "$o" = --in-place ] && continue # would rewrite its input
        check "$t $o: hostile values" every_value "$t" "$o" "${args[@]}"
    done
done
summary "fuzz (args)"
