#!/usr/bin/env bash
# run.sh - tests for build/flamegraph: warning-free builds, golden SVGs, an independent
# reference for the frame set (ref.py), hostile inputs and options, determinism, and the
# browser tests (browser.mjs, Debian chromium + playwright-core).
# Usage (from the repository root): FG=build/flamegraph WORK=build/flamegraph.work bash tests/flamegraph/run.sh
# UPDATE=1 rewrites the golden files in tests/flamegraph/golden/ (check the diff before committing).
set -u
cd "$(dirname "$0")/../.."
FG=${FG:-build/flamegraph}
WORK=${WORK:-build/flamegraph.work}
T=tests/flamegraph
C=$T/cases
W=$WORK/t
rm -rf "$W"
mkdir -p "$W"
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check NAME COMMAND...: passes if the command succeeds
    local name=$1
    shift
    if "$@" >/dev/null 2>&1; then ok; else bad "$name"; fi
}
xml() { xmllint --noout "$1" 2>"$W/xmllint.err" || { cat "$W/xmllint.err"; return 1; }; }

# run NAME EXPECTED_STATUS [ARGS...] < input: output in $W/NAME.svg, stderr in $W/NAME.err;
# an SVG written with status 0 must be well-formed XML.
run() {
    local name=$1 want=$2 got
    shift 2
    "$FG" "$@" >"$W/$name.svg" 2>"$W/$name.err"
    got=$?
    if [ "$got" != "$want" ]; then
        bad "$name: exit status $got, expected $want ($(head -c 300 "$W/$name.err"))"
        return 1
    fi
    if [ "$got" = 0 ] && ! xml "$W/$name.svg"; then
        bad "$name: output is not well-formed XML"
        return 1
    fi
    if [ "$got" != 0 ] && [ ! -s "$W/$name.err" ]; then
        bad "$name: failed without a message"
        return 1
    fi
    ok
}
has() { grep -qF -- "$2" "$W/$1" || bad "$1 lacks: $2"; }      # has FILE TEXT
hasnt() { ! grep -qF -- "$2" "$W/$1" || bad "$1 contains: $2"; }

echo "== builds (gcc and clang, all warnings as errors)"
for cc in gcc clang; do
    command -v $cc >/dev/null || continue
    check "$cc build" $cc -std=c99 -O2 ${FG_WARN:--Wall -Wextra -Werror} -o "$W/fg-$cc" tools/flamegraph.c -lm
    check "$cc -std=c11 build" $cc -std=c11 -O0 ${FG_WARN:--Wall -Wextra -Werror} -fsyntax-only tools/flamegraph.c
done

echo "== tools/folded.h unit tests (address and undefined-behaviour sanitizers)"
if ${CC:-cc} -std=c99 ${FG_WARN:--Wall -Wextra -Werror} -fsanitize=address,undefined -o "$W/folded_test" $T/folded_test.c 2>"$W/folded_test.err" ||
    ${CC:-cc} -std=c99 ${FG_WARN:--Wall -Wextra -Werror} -o "$W/folded_test" $T/folded_test.c; then
    "$W/folded_test" >/dev/null 2>"$W/folded_test.out" && ok || { bad "folded.h unit tests"; cat "$W/folded_test.out"; }
else
    bad "folded_test build"
fi

echo "== the design's command: tools/flamegraph < in.folded > out.svg (a link made by make)"
if [ "$FG" = build/flamegraph ]; then
    tools/flamegraph < $C/basic.folded > "$W/design.svg" 2>"$W/design.err" && xml "$W/design.svg" &&
        cmp -s "$W/design.svg" <("$FG" < $C/basic.folded) && ok || bad "tools/flamegraph < in.folded > out.svg"
fi

echo "== golden SVGs"
printf 'ok;caf\xc3\xa9 \xe6\xbc\xa2\xe5\xad\x97 1\nbad;\xff\xfe utf8 \xc3( \xed\xa0\x80 2\nctl;tab\there\x01\x1b[31m 3\nnul;a\000b 4\n' >"$W/utf8.folded"
golden() { # golden NAME ARGS...: compares with $T/golden/NAME.svg
    local name=$1
    shift
    run "g-$name" 0 "$@" || return
    if [ "${UPDATE:-}" = 1 ]; then
        mkdir -p $T/golden
        cp "$W/g-$name.svg" "$T/golden/$name.svg"
    elif ! cmp -s "$W/g-$name.svg" "$T/golden/$name.svg"; then
        bad "golden $name differs: diff $W/g-$name.svg $T/golden/$name.svg"
    fi
}
golden basic $C/basic.folded
golden specials $C/specials.folded
golden utf8 "$W/utf8.folded"
golden inverted --inverted $C/basic.folded
golden reverse --reverse $C/basic.folded
golden chart --flamechart $C/chart.folded
# The library's compact timeline draws the same chart as the same intervals written as folded lines.
{ head -1 $C/chart-timeline.txt | sed "s/ format=timeline-1//"; cat $C/chart.folded; } > "$W/chart-meta.folded"
run chart-timeline 0 --flamechart $C/chart-timeline.txt && run chart-meta 0 --flamechart "$W/chart-meta.folded" &&
    { cmp -s "$W/chart-timeline.svg" "$W/chart-meta.svg" || bad "chart-timeline: differs from the same folded lines"; }
golden diff --diff $C/before.folded $C/after.folded
golden difffolded $C/difffolded.folded
golden cpp --colors cpp $C/cpp.folded
golden meta $C/meta.folded
golden options --width 600 --height 20 --fontsize 10 --fontwidth 0.6 --colors mem --bgcolors '#102030' \
    --countname bytes --nametype 'Func:' --title T --subtitle S --notes N --truncate-text-right \
    --minwidth 20% --search-color '#00ff00' $C/basic.folded

echo "== exact frames, widths and colours (hand-computed)"
# basic: total 20 over 1180 px: foo 15 -> 885 px at x 10+3*59; baz 3 -> 177; foo(int) 2 -> 118 at 1072.
has g-basic.svg '<g><rect x="187.0" y="52" width="885.0" height="15" fill="#'
has g-basic.svg '<g><rect x="10.0" y="52" width="177.0" height="15" fill="#'
has g-basic.svg '<g><rect x="1072.0" y="52" width="118.0" height="15" fill="#'
has g-basic.svg '<g><rect x="187.0" y="36" width="590.0" height="15" fill="#'
has g-basic.svg 'D=[0,0,0,20,1,1,0,20,2,2,0,3,3,2,3,15,4,3,3,10,5,2,18,2]'
[ "$(grep -c '>foo</text>' "$W/g-basic.svg")" = 1 ] && ok || bad "foo must be drawn once (foo and foo(int) are siblings)"
# The same function has the same colour in every graph (hash of its name).
c1=$(grep -o 'fill="#[0-9a-f]*"/><text[^>]*>main<' "$W/g-basic.svg")
c2=$(grep -o 'fill="#[0-9a-f]*"/><text[^>]*>main<' "$W/g-meta.svg")
[ -n "$c1" ] && [ "$c1" = "$c2" ] && ok || bad "main has different colours in two graphs: $c1 / $c2"
# inverted: root at the top (y = 3*12), children below
has g-inverted.svg '<g><rect x="10.0" y="36" width="1180.0" height="15"'
# diff: grow +20 is the largest change (pure red), shrink -10 half blue, same is white
has g-diff.svg '<rect x="10.0" y="52" width="571.0" height="15" fill="#ff0000"/><text x="13.0" y="62.5">grow</text>'
grep -q 'fill="#6969ff"/><text[^>]*>shrink<' "$W/g-diff.svg" && ok || bad "shrink must be rgb(105,105,255)"
grep -q 'fill="#fafafa"/><text[^>]*>same<' "$W/g-diff.svg" && ok || bad "unchanged frame must be white"
# difffolded-style input gives the same frames and colours as --diff
diff <(grep '<g><rect' "$W/g-diff.svg") <(grep '<g><rect' "$W/g-difffolded.svg") >/dev/null && ok || bad "difffolded input differs from --diff"
# parents show the change of their whole subtree: main before 49, after 62
has g-diff.svg 'D=[0,0,0,62,49,'
# flame chart: input order, adjacent merges only; parse drawn twice, main's self time in between
has g-chart.svg 'D=[0,0,0,23,1,1,0,23,2,2,5,5,3,3,8,2,4,2,14,6,2,2,20,1]'
# cpp palette: application frames warm, library frames aqua-like, kernel orange
grep -q 'fill="#[0-9a-f]*"/><text[^>]*>app::run()<' "$W/g-cpp.svg" && ok || bad "cpp: no app::run() frame"
# meta line: unit=ns becomes the countname; an explicit --countname wins
has g-meta.svg 'u:"ns",cn:"ns"'
run meta-override 0 --countname calls $C/meta.folded && has meta-override.svg 'u:"",cn:"calls"'
has g-options.svg 'u:"bytes",cn:"bytes",nt:"Func:",sc:"#00ff00"'
has g-options.svg '<stop stop-color="#102030" offset="5%"/>'
# CRLF input gives the same SVG as LF input
sed 's/$/\r/' $C/specials.folded >"$W/crlf.folded"
run crlf 0 "$W/crlf.folded" && cmp -s "$W/crlf.svg" "$W/g-specials.svg" && ok || bad "CRLF input differs from LF"
# invalid UTF-8, controls and NUL become U+FFFD; valid UTF-8 is kept
has g-utf8.svg 'café 漢字'
has g-utf8.svg 'a�b'
hasnt g-utf8.svg $'\x01'

echo "== differential and ordering options"
run normalize 0 --diff --normalize $C/before.folded $C/after.folded && has normalize.svg 'D=[0,0,0,62,62,'
printf 'main;func+0x1a2b;leaf 5\nmain;func+0xffee;leaf 3\n' >"$W/hex.folded"
run strip-hex 0 --strip-hex "$W/hex.folded" && has strip-hex.svg '"func+0x..."' && has strip-hex.svg 'D=[0,0,0,8,1,1,0,8,2,2,0,8,3,3,0,8]'
run negate 0 --negate --diff $C/before.folded $C/after.folded &&
    grep -q 'fill="#0000ff"/><text[^>]*>grow<' "$W/negate.svg" && ok || bad "--negate must draw growth blue"
run no-sort 0 --no-sort $C/basic.folded && has no-sort.svg 'D=[0,0,0,20,1,1,0,20,2,2,0,15,3,3,0,10,4,2,15,3,5,2,18,2]'
run random1 0 --random $C/basic.folded && run random2 0 --random $C/basic.folded &&
    cmp -s "$W/random1.svg" "$W/random2.svg" && ! cmp -s "$W/random1.svg" "$W/g-basic.svg" && ok || bad "--random must be reproducible and differ from the hash colours"
printf 'main;-;kernel 1\n' | run separator 0 && grep -q 'fill="#a0a0a0"/><text[^>]*>-<' "$W/separator.svg" && ok || bad "'-' frames must be grey"

echo "== independent reference (ref.py) on generated inputs"
GEN=$W/gen
cc -std=c99 -O2 -o "$GEN" bench/flamegraph/gen.c || bad "gen build"
"$GEN" 3000 300 7 >"$W/r1.folded"
"$GEN" 2000 300 8 >"$W/r2.folded"
sort "$W/r1.folded" >"$W/r1s.folded"
refcheck() { # refcheck NAME MODE FILES -- ARGS
    local name=$1 mode=$2 files=()
    shift 2
    while [ "$1" != -- ]; do files+=("$1"); shift; done
    shift
    run "$name" 0 --minwidth 0 "$@" "${files[@]}" || return
    python3 $T/ref.py "$mode" "$W/$name.svg" "${files[@]}" >"$W/$name.ref" && ok || { bad "$name reference"; head -5 "$W/$name.ref"; }
}
refcheck ref-tree tree "$W/r1.folded" --
refcheck ref-sorted-merged tree "$W/r1s.folded" "$W/r2.folded" --
refcheck ref-reverse rtree "$W/r1.folded" -- --reverse
refcheck ref-chart chart "$W/r1.folded" -- --flamechart
refcheck ref-diff diff "$W/r1.folded" "$W/r2.folded" -- --diff
refcheck ref-basic tree $C/basic.folded --
refcheck ref-chart-small chart $C/chart.folded -- --flamechart

echo "== determinism and merging"
run det1 0 "$W/r1.folded" && run det2 0 "$W/r1.folded" && cmp -s "$W/det1.svg" "$W/det2.svg" && ok || bad "output not deterministic"
cat "$W/r1.folded" "$W/r2.folded" | "$FG" >"$W/cat.svg" 2>/dev/null
run merged 0 "$W/r1.folded" "$W/r2.folded" && cmp -s "$W/cat.svg" "$W/merged.svg" && ok || bad "several files differ from their concatenation"
run stdin-dash 0 - <$C/basic.folded && cmp -s "$W/stdin-dash.svg" "$W/g-basic.svg" && ok || bad "'-' is not stdin"

echo "== hostile inputs"
: >"$W/empty.folded"
run empty 1 "$W/empty.folded" && has empty.err 'no stack lines in the input (empty input)'
printf '# only a comment\n\n' | run comments 1 && has comments.err 'no stack lines'
# a few bad lines among more good ones: skipped with a warning, the rest is drawn
printf 'x\ny 1 2 3\n;a\n 5\nz -3\nfoo 1\nw 1e5\nq 12a\nf1 1\nf2 1\nf3 1\nf4 1\nf5 1\n' | run malformed 0 && {
    has malformed.err '<stdin>:1: no count at end of line'
    has malformed.err '<stdin>:4: empty stack'
    has malformed.err '<stdin>:5: no count'
    hasnt malformed.err '<stdin>:6:'
    has malformed.err '<stdin>: 6 malformed lines skipped'
}
printf 'a;b 5\na;c 99999999999999999999999\na;d 18446744073709551615\n' | run overflow 0 && {
    has overflow.err '<stdin>:2: count overflows 64 bits'
    has overflow.svg 'D=[0,0,0,1.8446744073709552e+19,1,1,0,1.8446744073709552e+19,'
}
printf 'a;b 5\na;c' | run truncated 0 && has truncated.err '<stdin>:2: no count at end of line'
printf 'a;b 5\na;c 7' | run unterminated 0 && has unterminated.svg 'D=[0,0,0,12,'
# binary files (more malformed than valid lines) are refused, not drawn
run binary 1 "$FG" && has binary.err "flamegraph: $FG is not a folded stack file ("
head -c 2000000 /dev/urandom >"$W/urandom.bin"
run urandom 1 "$W/urandom.bin" && has urandom.err 'lines are malformed: a binary file?)'
printf 'x\ny\na 1\n' | run mostly-bad 1 && has mostly-bad.err '<stdin> is not a folded stack file (2 of its 3 lines are malformed'
printf 'x\na 1\n' | run half-bad 0 && has half-bad.err '<stdin>: 1 malformed line skipped'
head -c 2000000 /dev/urandom | tr -d '\n' | fold -w 300 | sed 's/$/ 1/' >"$W/random.folded"
run random-bytes 0 "$W/random.folded"
python3 -c "import sys; sys.stdout.write('a;' * 50000000 + 'end 1\n')" >"$W/long.folded"
run long-line 0 "$W/long.folded" && has long-line.err 'stack deeper than 8192 frames truncated'
python3 -c "import sys; sys.stdout.write('x' * 100000000 + ' 1\nmain 1\n')" >"$W/long-name.folded"
run long-name 0 "$W/long-name.folded" && has long-name.err 'frame name longer than 65536 bytes truncated'
python3 -c "import sys; sys.stdout.write('y' * 100000000 + '\nmain 1\n')" | run long-nocount 0 && has long-nocount.err '<stdin>:1: no count'
rm -f "$W/long.folded" "$W/long-name.folded"
# found by the fuzzer: tabs in the metadata line (used to hang), a root change larger than
# any frame's (used to give negative colour values)
printf '# thag_profiler 0.1.0:\tkind=time \t unit=bytes\nmain 1\n' | timeout 20 "$FG" >"$W/meta-tab.svg" 2>&1 && has meta-tab.svg 'u:"bytes"'
printf 'a;x 1 6\nb;y 1 6\n' | run diff-root 0 && has diff-root.svg 'fill="#ff0000"/><text x="13.0" y="78.5">all<'
echo "== two counts per line: differential only if every line has two, never for thag_profiler files"
# a thag_profiler frame name ending in a number is a name, not a first count
printf '# thag_profiler 0.1.0: kind=time program=x unit=ns\nmain;trailing number 42 1234\nmain 5\n' |
    run thag-number 0 && {
    has thag-number.svg '>trailing number 42</text>'
    has thag-number.svg 'D=[0,0,0,1239,1,1,0,1239,2,2,0,1234]'
    [ ! -s "$W/thag-number.err" ] && ok || bad "thag-number: unexpected warning"
}
printf '# thag_profiler 0.1.0: kind=time program=x unit=ns\nmain;a 1 2\nmain;b 3 4\n' | run thag-all-two 0 &&
    has thag-all-two.svg 'D=[0,0,0,6,1,1,0,6,2,2,0,2,3,2,2,4]' && hasnt thag-all-two.svg 'fill="#ff'
# a mixture: read with one count, warned with the first line of each kind
printf 'main;a 1 2\nmain;b 3\nmain;c 4 5\n' | run mixed 0 && {
    has mixed.err 'flamegraph: <stdin>:1 has two counts but <stdin>:2 has one: not a differential input'
    has mixed.svg 'D=[0,0,0,10,1,1,0,10,2,2,0,2,3,2,2,3,4,2,5,5]'
    has mixed.svg '>a 1</text>'
}
printf 'main;b 3\nmain;a 1 2\n' | run mixed2 0 && has mixed2.err '<stdin>:2 has two counts but <stdin>:1 has one'
printf 'main;a 1 2\nmain;b 3\n' | run mixed-quiet 0 --quiet && [ ! -s "$W/mixed-quiet.err" ] && ok || bad "--quiet must hide the mixture warning"
# every line with two counts: differential (before 1+4, after 2+5)
printf 'main;a 1 2\nmain;b 4 5\n' | run all-two 0 && has all-two.svg 'D=[0,0,0,7,5,1,1,0,7,5,'
# --diff of two profiles in different units is refused (exit 2)
printf '# thag_profiler 0.1.0: kind=time program=x unit=ns\nmain 1\n' >"$W/u-ns.folded"
printf '# thag_profiler 0.1.0: kind=memory program=x unit=bytes\nmain 1\n' >"$W/u-bytes.folded"
run diff-units 2 --diff "$W/u-ns.folded" "$W/u-bytes.folded" &&
    has diff-units.err "flamegraph: cannot compare $W/u-ns.folded (unit ns) with $W/u-bytes.folded (unit bytes)"
run diff-same-unit 0 --diff "$W/u-ns.folded" "$W/u-ns.folded"
run diff-one-unit 0 --diff "$W/u-ns.folded" $C/before.folded

printf 'a;b 0\n' | run zero 1 && has zero.err 'no samples'
printf 'a;b 1\n' | run factor 0 --factor 2.5 && has factor.svg 'D=[0,0,0,2.5,'
printf 'a;b 1\n' | run total 0 --total 4 && has total.svg '<rect x="10.0" y="52" width="295.0"'

echo "== hostile options"
EVIL='"><script>alert(1)</script><![CDATA[ ]]> &amp; '$'\xff\x01'
printf 'a;b 1\n' | run evil 0 --title "$EVIL" --subtitle "$EVIL" --countname "$EVIL" --nametype "$EVIL" \
    --notes "$EVIL" --fonttype "$EVIL" && {
    [ "$(grep -c '<script' "$W/evil.svg")" = 1 ] && ok || bad "option injected a script element"
}
run bad-colors 2 --colors nope $C/basic.folded
run bad-bg 2 --bgcolors 'red"' $C/basic.folded
run bad-search 2 --search-color 'red;x' $C/basic.folded
run bad-width 2 --width abc $C/basic.folded
run bad-minwidth 2 --minwidth -1 $C/basic.folded
run bad-option 2 --frobnicate $C/basic.folded
run bad-diff 2 --diff $C/basic.folded
run directory 1 "$W" && has directory.err 'read error: Is a directory'
if [ -w /dev/full ]; then
    "$FG" $C/basic.folded >/dev/full 2>"$W/full.err"
    [ $? = 1 ] && has full.err 'write error' && ok || bad "a write error must exit 1 with a message"
fi
run missing-file 1 "$W/does-not-exist.folded" && has missing-file.err 'cannot open'
"$FG" --help >"$W/help.txt" && has help.txt 'usage: flamegraph' && ok

echo "== palette file (--palfile / --cp)"
run pal1 0 --palfile "$W/pal.map" $C/basic.folded && grep -q '^foo->rgb(' "$W/pal.map" && ok || bad "palette not written"
sed -i 's/^foo->.*/foo->rgb(1,2,3)/' "$W/pal.map"
run pal2 0 --palfile "$W/pal.map" $C/basic.folded && has pal2.svg 'fill="#010203"/><text x="190.0" y="62.5">foo<'

echo "== browser tests (chromium + playwright-core)"
FG_BIN=$FG
printf 'main;foo;bar 10\nmain;foo 5\nmain;baz 3\nmain;foo(int) 2\n' | "$FG_BIN" >"$W/b-basic.svg"
"$FG_BIN" $C/meta.folded >/dev/null 2>&1
printf '# thag_profiler 0.1.0: kind=time program=demo unit=ns\nmain;work 12300000\nmain 200000\n' | "$FG_BIN" >"$W/b-ns.svg"
printf 'main;alloc 4300000\nmain 1000\n' | "$FG_BIN" --countname bytes >"$W/b-bytes.svg"
printf 'main;grow 10\nmain;shrink 30\n' >"$W/bb.folded"
printf 'main;grow 30\nmain;shrink 20\n' >"$W/ba.folded"
"$FG_BIN" --diff "$W/bb.folded" "$W/ba.folded" >"$W/b-diff.svg"
printf 'a;b 1\n' | "$FG_BIN" --title '</text><script>alert(1)</script>' >"$W/b-hostile.svg"
if [ ! -d $T/node_modules/playwright-core ]; then
    (cd $T && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null 2>&1) || bad "npm ci in $T"
fi
if node $T/browser.mjs "$W"; then ok; else bad "browser tests"; fi

echo "flamegraph tests: $pass passed, $fail failed"
[ "$fail" = 0 ]
