#!/usr/bin/env bash
# run.sh - tests for build/thag-export (tools/export.c), each format read by its real
# consumer: pprof by Debian's `go tool pprof` (-raw per stack, -top totals, exactly equal to
# the folded files); Trace Event JSON and speedscope JSON loaded into speedscope (npm, its
# release build) in headless chromium, per-thread totals equal to the timeline's; speedscope
# JSON validated with ajv against the file-format-schema.json speedscope ships; and bad input
# (foreign, non-additive, truncated, missing timeline, garbage): a one-line error, exit 1,
# no file. Usage (from the repository root): make test-export, or
#   EXP=build/thag-export BUILD=build WORK=build/export.work bash tests/export/run.sh
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
EXP=${EXP:-build/thag-export}
B=${BUILD:-build}
WORK=${WORK:-$B/export.work}
T=tests/export
W=$WORK/t
rm -rf "$W"
mkdir -p "$W"
export LC_ALL=C
# go tool pprof: its cache and home in the work directory, no network, no telemetry (HOME
# is changed for go only: npm and chromium keep theirs).
export GOCACHE=$PWD/$WORK/go-cache GOHOME=$PWD/$WORK/home GOPATH=$PWD/$WORK/gopath GOTOOLCHAIN=local \
       GOPROXY=off GOFLAGS=-mod=mod GOTELEMETRY=off
mkdir -p "$GOCACHE" "$GOHOME"

# xp NAME ARGS...: runs thag-export; stdout in $W/NAME.out, stderr in $W/NAME.err; echoes the status
xp() { local n=$1; shift; "$EXP" "$@" >"$W/$n.out" 2>"$W/$n.err"; echo $?; }
# fails NAME STATUS PATTERN ARGS...: exits STATUS, its error (matching PATTERN) on stderr
fails() {
    local n=$1 want=$2 pat=$3 rc; shift 3
    rc=$(xp "$n" "$@")
    check "$n: exit $want" test "$rc" = "$want"
    # the error is the last line; before it at most folded.h's report of the first bad line
    # and its count
    check "$n: the error on stderr" bash -c "test \$(grep -vc '^Try \|^thag-export: note: ' '$W/$n.err') -le 3 &&
        grep -v '^Try ' '$W/$n.err' | tail -1 | grep -q '^thag-export: '"
    check "$n: says why" grep -q -- "$pat" "$W/$n.err"
}
# profile DIR TYPE DETAIL BIN [ARGS...]: runs BIN in DIR (created) with THAG_PROFILER=TYPE,DIR,,DETAIL
# (THAG_LINES=true: detail stacks get file:line); prints the run's stem (its exclusive file
# without .folded)
profile() {
    local d=$PWD/$1 type=$2 detail=$3 bin=$4; shift 4
    mkdir -p "$d"
    (cd "$d" && THAG_PROFILER="$type,$d,,$detail" THAG_LINES=true "$bin" "$@" >/dev/null 2>"$d/stderr")
    ls "$d"/*.folded | grep -E -- '-[0-9]{8}-[0-9]{6}(-[0-9]+)?\.folded$' | sed 's/\.folded$//'
}
pprof() { HOME=$GOHOME go tool pprof "$@" 2>/dev/null; }
export -f pprof
tag() { basename "$(dirname "$1")"; } # a run's short name: its directory (wf, dt, wk...)

echo "== builds"
for c in gcc clang; do check "warning-free with $c" test -x "$WORK/thag-export-$c"; done
cc -O2 -g -DTHAG_TIME_PROFILING -I. examples/coro.c -o "$W/coro" -pthread || bad "build coro"
cc -O2 -g -DTHAG_TIME_PROFILING -I. examples/uvserver.c -o "$W/uvserver" -pthread -luv || bad "build uvserver"
cc -O2 -g -DTHAG_TIME_PROFILING -I. -Itests/e2e tests/e2e/sections.c -o "$W/sections" -pthread || bad "build sections"
cc -O2 -g -DTHAG_TIME_PROFILING -I. tests/async/fibers.c -o "$W/fibers" -pthread || bad "build fibers"
cc -O0 -g -fno-omit-frame-pointer -DTHAG_FULL_PROFILING -I. $T/leak.c -o "$W/leak" -pthread -lmimalloc || bad "build leak"

echo "== runs"
WF=$(profile "$W/wf" both false "$PWD/$B/examples/full/wordfreq" "$PWD/README.md")
DT=$(profile "$W/dt" both true "$PWD/$B/examples/full/wordfreq" "$PWD/README.md")
WK=$(profile "$W/wk" time false "$PWD/$B/examples/time/workers")
CO=$(profile "$W/co" time false "$PWD/$W/coro")
UV=$(profile "$W/uv" time false "$PWD/$W/uvserver")
SE=$(profile "$W/se" time false "$PWD/$W/sections")
FI=$(profile "$W/fi" time false "$PWD/$W/fibers")
LK=$(THAG_SAMPLE_BYTES=1 profile "$W/lk" both false "$PWD/$W/leak")
LS=$(profile "$W/ls" both false "$PWD/$W/leak")
LD=$(profile "$W/ld" both true "$PWD/$W/leak")
SA=$(THAG_SAMPLE_BYTES=1024 profile "$W/sa" both false "$PWD/$B/examples/full/wordfreq" "$PWD/README.md")
MT=$(THAG_MERGE_THREADS=true profile "$W/mt" time false "$PWD/$B/examples/time/workers")
for s in "$WF" "$DT" "$WK" "$CO" "$UV" "$SE" "$SA" "$MT" "$FI" "$LK" "$LS" "$LD"; do check "run written: $s" test -s "$s.folded" -a -s "$s-timeline.txt"; done
check "detail run has file:line" grep -q ' (.*:[0-9]*)' "$DT-memory_detail.folded"
check "uvserver run has tasks" test -s "$UV-wall.folded"
check "coro's timeline marks its 2 fiber roots (F lines)" test "$(grep -c '^F ' "$CO-timeline.txt")" = 2

echo "== pprof: go tool pprof -raw and -top equal the folded files"
# pprof_case STEM TYPE=SUFFIX...: exports the run (named by its -calls file, so RUN need not
# be the main file), then compares every sample type per stack and in total.
pprof_case() {
    local s=$1 n=$(tag $1) pair pairs=() t suf unit; shift
    check "$n: pprof exit 0" test "$(xp "$n-pprof" -f pprof -o "$W/$n.pb" "$s-calls.folded")" = 0
    pprof -raw "$W/$n.pb" >"$W/$n.raw"
    for pair in "$@"; do pairs+=("${pair%%=*}=$s${pair#*=}.folded"); done
    check "$n: pprof -raw per stack" python3 $T/check.py pprof "$W/$n.raw" "${pairs[@]}"
    for pair in "$@"; do
        t=${pair%%=*} suf=${pair#*=}
        case $t in wall) unit=-unit=ns;; *space) unit=-unit=B;; *) unit=;; esac
        pprof -top $unit -sample_index="$t" "$W/$n.pb" >"$W/$n-$t.top"
        check "$n: pprof -top total $t" python3 $T/check.py total "$W/$n-$t.top" "$s$suf.folded"
    done
}
pprof_case "$WF" wall= calls=-calls alloc_space=-memory alloc_objects=-memory_calls inuse_space=-memory_live \
    inuse_objects=-memory_live_calls
pprof_case "$DT" wall= calls=-calls alloc_space=-memory_detail alloc_objects=-memory_detail_calls \
    inuse_space=-memory_detail_live free_space=-memory_detail_dealloc inuse_objects=-memory_detail_live_calls
pprof_case "$WK" wall= calls=-calls
pprof_case "$UV" wall= calls=-calls
pprof_case "$SE" wall= calls=-calls
pprof_case "$SA" wall= calls=-calls alloc_space=-memory_detail alloc_objects=-memory_detail_calls \
    inuse_space=-memory_detail_live inuse_objects=-memory_detail_live_calls
pprof_case "$LK" wall= calls=-calls alloc_space=-memory_detail alloc_objects=-memory_detail_calls \
    inuse_space=-memory_detail_live inuse_objects=-memory_detail_live_calls
pprof_case "$LS" wall= calls=-calls alloc_space=-memory alloc_objects=-memory_calls inuse_space=-memory_live \
    inuse_objects=-memory_live_calls
pprof_case "$LD" wall= calls=-calls alloc_space=-memory_detail alloc_objects=-memory_detail_calls \
    inuse_space=-memory_detail_live inuse_objects=-memory_detail_live_calls
pprof_case "$MT" wall= calls=-calls
check "sampled run: no free_space (no deallocation file)" bash -c "! grep -q free_space '$W/sa.raw'"
# Live blocks per stack: leak.c leaves 37 blocks in f, 5 in g, none in h. Summary and detail
# modes count them exactly; sampled mode estimates them from its live samples, and
# THAG_SAMPLE_BYTES=1 samples each block with weight 1, so its counts are exact too.
check "leak: live blocks per stack, exactly (main;f 37, main;g 5; file:line left out)" \
    test "$(sed 's/ ([^)]*)//g' "$LK-memory_detail_live_calls.folded" | tr '\n' ,)" = "main;f 37,main;g 5,"
check "leak: live blocks in the manifest (unit allocations, additive)" bash -c \
    "grep -q '^file=${LK##*/}-memory_detail_live_calls.folded kind=memory_detail_live_calls unit=allocations additive=yes ' '$LK-manifest.txt'"
check "leak: pprof -top -sample_index=inuse_objects: f 37, g 5, of 42" bash -c \
    "grep -q 'of 42 total' '$W/lk-inuse_objects.top' && grep -Eq '^ +37 .* f\$' '$W/lk-inuse_objects.top' && grep -Eq '^ +5 .* g\$' '$W/lk-inuse_objects.top'"
check "leak, summary mode: live blocks per scope, exactly (main 42: f and g are not profiled scopes)" \
    test "$(tr '\n' , < "$LS-memory_live_calls.folded")" = "main 42,"
check "leak, detail mode: live blocks per stack, exactly (main;f 37, main;g 5)" \
    test "$(sed 's/ ([^)]*)//g' "$LD-memory_detail_live_calls.folded" | tr '\n' ,)" = "main;f 37,main;g 5,"
check "leak, ls: pprof -top -sample_index=inuse_objects: main 42" grep -q 'of 42 total' "$W/ls-inuse_objects.top"
for r in ld; do
    check "leak, $r: pprof -top -sample_index=inuse_objects: f 37, g 5, of 42" bash -c \
        "grep -q 'of 42 total' '$W/$r-inuse_objects.top' && grep -Eq '^ +37 .* f\$' '$W/$r-inuse_objects.top' && grep -Eq '^ +5 .* g\$' '$W/$r-inuse_objects.top'"
done
check "merged threads: no thread label" bash -c "! grep -q 'thread:' '$W/mt.raw'"
check "allocations in metadata = alloc_objects total" grep -q "of $(meta "$WF-memory.folded" | sed 's/.* allocations=\([0-9]*\).*/\1/') total" "$W/$(tag $WF)-alloc_objects.top"
check "threads as a label" bash -c "pprof -raw '$W/$(tag $WK).pb' | grep -c 'thread:\[worker-[0-3]\]' | grep -qx 12"
check "file:line in locations" bash -c "pprof -raw '$W/$(tag $DT).pb' | grep -q 'main .*examples/wordfreq.c:[0-9][0-9]* s=0'"
check "the run's metadata as comments" bash -c "pprof -raw '$W/$(tag $WF).pb' | grep -qx 'Comment: peak=[0-9]*'"
check "pprof on stdout = with -o" bash -c "'$EXP' -q -f pprof '$WK.folded' | cmp - '$W/$(tag $WK).pb'"

echo "== a large generated profile: every stack exact (frames shared with the line before)"
cc -std=c99 -O2 -o "$W/gen" bench/flamegraph/gen.c || bad "build gen"
"$W/gen" 20000 2000 7 >"$W/gen.folded"
sort "$W/gen.folded" >"$W/gen-sorted.folded"  # long common prefixes between lines
for g in gen gen-sorted; do
    "$EXP" -q -f pprof -o "$W/$g.pb" "$W/$g.folded" || bad "$g: pprof"
    pprof -raw "$W/$g.pb" >"$W/$g.raw"
    check "$g: pprof -raw per stack (20,000 lines)" python3 $T/check.py pprof "$W/$g.raw" "samples=$W/$g.folded"
    "$EXP" -q -f speedscope -o "$W/$g.speedscope.json" "$W/$g.folded" || bad "$g: speedscope"
    check "$g: speedscope stacks" python3 $T/check.py ssfile "$W/$g.speedscope.json" "$W/$g.folded"
done

echo "== trace: Trace Event JSON"
for s in "$WF" "$WK" "$CO" "$UV" "$SE" "$FI"; do
    check "$(tag $s): trace exit 0" test "$(xp "$(tag $s)-trace" -f trace -o "$W/$(tag $s).trace.json" "$s-inclusive.folded")" = 0
    check "$(tag $s): trace is JSON" python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$W/$(tag $s).trace.json"
done
check "threads named (thread_name metadata), one per thread of the timeline" test \
    "$(grep -c '"name":"thread_name"' "$W/$(tag $WK).trace.json")" = "$(grep -c '^T ' "$WK-timeline.txt")"
check "B and E balance" python3 - "$W/$(tag $SE).trace.json" <<'EOF'
import json, sys
ev = json.load(open(sys.argv[1]))['traceEvents']
stacks = {}
for e in ev:
    if e['ph'] == 'B': stacks.setdefault(e['tid'], []).append(e['name'])
    elif e['ph'] == 'E': assert stacks[e['tid']].pop() == e['name'], e
assert all(not s for s in stacks.values())
EOF
# Each thread's first and last event at its place on the common clock (T start + the
# intervals before), so the workers lie inside main's span, not end to end.
check "threads on the common clock (workers)" python3 - "$W/$(tag $WK).trace.json" "$WK-timeline.txt" <<'EOF'
import json, sys
ev = json.load(open(sys.argv[1]))['traceEvents']
names = {e['tid']: e['args']['name'] for e in ev if e['ph'] == 'M' and e['name'] == 'thread_name'}
span = {}
for e in ev:
    if e['ph'] in 'BE':
        ns = round(e['ts'] * 1000)
        a, b = span.get(names[e['tid']], (ns, ns))
        span[names[e['tid']]] = (min(a, ns), max(b, ns))
want, t, name = {}, 0, None
for line in open(sys.argv[2]):
    f = line.split()
    if not f or f[0] in ('#', 'S'):
        continue
    if f[0] == 'T':
        name, t = line.split(' ', 3)[3].strip(), int(f[2])
        continue
    if f[0] != '0':
        a, b = want.get(name, (t, t + int(f[1])))
        want[name] = (min(a, t), max(b, t + int(f[1])))
    t += int(f[1])
assert span == want, (span, want)
m = span['main']
assert all(m[0] <= a and b <= m[1] for n, (a, b) in span.items()), span
EOF
check "task tracks (uvserver)" grep -q '"name":"main: task conn"' "$W/$(tag $UV).trace.json"
# tracks NAME: the trace's track names (thread_name metadata), sorted, each followed by ","
tracks() {
    python3 -c "import json,sys; print(''.join(n + ',' for n in sorted(e['args']['name'] for e in json.load(open(sys.argv[1]))['traceEvents'] if e['ph'] == 'M' and e['name'] == 'thread_name')))" "$W/$1.trace.json"
}
check "fiber tracks (coro): the thread and its two fibers" test "$(tracks co)" = "main,main: fiber consumer,main: fiber producer,"
check "fiber tracks (fibers.c): a fiber resumed on another thread has a track there" \
    test "$(tracks fi)" = "main,main: fiber mover,main: fiber stuck,other,other: fiber mover,"
for s in "$WF" "$WK" "$CO" "$UV" "$SE" "$FI"; do
    n=$(tag $s); wall=; [ -e "$s-wall.folded" ] && wall=$s-wall.folded
    check "$n: trace's own B/E: busy time per track = timeline, to the ns" python3 $T/check.py tracejson "$W/$n.trace.json" "$s-timeline.txt" $wall
done
# No fiber's frame on its thread's track: the thread's track has only main and run (coro's
# scheduler), and each fiber's track only its own frames.
check "coro: fiber frames only on fiber tracks" python3 - "$W/co.trace.json" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))['traceEvents']
names = {e['tid']: e['args']['name'] for e in ev if e['ph'] == 'M' and e['name'] == 'thread_name'}
seen = {}
for e in ev:
    if e['ph'] == 'B':
        seen.setdefault(names[e['tid']], set()).add(e['name'])
assert seen['main'] == {'main', 'run'}, seen['main']
assert seen['main: fiber producer'] == {'producer', 'produce', 'make_item'}, seen
assert seen['main: fiber consumer'] == {'consumer', 'consume', 'use_item', 'starved'}, seen
PY
# A timeline written before fibers were marked (format=timeline-1, no F lines) still exports:
# the fibers' frames then stay on their thread's track.
mkdir -p "$W/tl1" && C1=$W/tl1/${CO##*/}
sed -e 's/ format=timeline-2 / format=timeline-1 /' -e '/^F /d' "$CO-timeline.txt" >"$C1-timeline.txt"
check "timeline-1 (no F lines): trace exit 0" test "$(xp tl1 -f trace -o "$W/tl1.trace.json" "$C1-timeline.txt")" = 0
check "timeline-1: no fiber tracks" test "$(tracks tl1)" = "main,"
check "timeline-1: busy time = timeline" python3 $T/check.py tracejson "$W/tl1.trace.json" "$C1-timeline.txt"
# The other readers skip F lines: tools/folded.h (flamegraph --flamechart, thag-analyze) and
# tests/lib.sh's tl_data read the timeline-2 file as its timeline-1 copy, nothing malformed.
cc -std=c11 -Wall -Wextra -Werror -Itools -o "$W/tlread" $T/tlread.c || bad "build tlread"
check "folded.h: timeline-2 with F lines = its timeline-1 copy, no malformed line" bash -c \
    "'$W/tlread' '$CO-timeline.txt' >'$W/tl2.read' && '$W/tlread' '$C1-timeline.txt' | cmp - '$W/tl2.read' &&
     tail -1 '$W/tl2.read' | grep -qx 'malformed 0' && test \$(wc -l <'$W/tl2.read') -gt 10"
check "lib.sh tl_data: the same intervals as folded.h" bash -c \
    ". tests/lib.sh; tl_data '$CO-timeline.txt' | cmp - <(sed '\$d' '$W/tl2.read')"

echo "== speedscope JSON"
for s in "$WF" "$DT" "$WK" "$UV"; do
    check "$(tag $s): speedscope exit 0" test "$(xp "$(tag $s)-ss" -f speedscope -o "$W/$(tag $s).speedscope.json" "$s-timeline.txt")" = 0
done
if [ ! -d $T/node_modules/speedscope ] || [ ! -d $T/node_modules/ajv ] || [ ! -d $T/node_modules/playwright-core ]; then
    (cd $T && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null 2>&1) || bad "npm ci in $T"
fi
check "ajv: valid against speedscope's file-format-schema.json" node $T/validate.mjs "$W"/*.speedscope.json

echo "== speedscope in chromium: the trace, the speedscope files and the pprof files import"
L=()
for s in "$WF" "$WK" "$CO" "$UV" "$SE" "$FI"; do L+=("$W/$(tag $s).trace.json"); done
for s in "$WF" "$DT" "$WK" "$UV"; do L+=("$W/$(tag $s).speedscope.json"); done
L+=("$W/$(tag $WF).pb" "$W/$(tag $WK).pb")
node $T/speedscope.mjs "$W" "${L[@]}" >"$W/speedscope.jsonl" 2>"$W/speedscope.err" || true
for f in "${L[@]}"; do grep -F "\"file\":\"$f\"" "$W/speedscope.jsonl" >"$W/${f##*/}.result" || true; done
for s in "$WF" "$WK" "$CO" "$UV" "$SE" "$FI"; do
    n=$(tag $s); wall=; [ -e "$s-wall.folded" ] && wall=$s-wall.folded
    check "$n: trace in speedscope, one profile per track, busy time per track = timeline" \
        python3 $T/check.py trace "$W/$n.trace.json.result" "$s-timeline.txt" $wall
done
for s in "$WF" "$DT" "$WK" "$UV"; do
    check "$(tag $s): speedscope file in speedscope, every profile's total" \
        python3 $T/check.py speedscope "$W/$(tag $s).speedscope.json.result" "$s"
done
for s in "$WF" "$WK"; do
    check "$(tag $s): pprof in speedscope, total = the exclusive file's" python3 -c "
import json, sys
r = json.loads(open(sys.argv[1]).read()); want = sum(int(l.rsplit(' ', 1)[1]) for l in open(sys.argv[2]) if not l.startswith('#'))
assert r['ok'] and len(r['profiles']) == 1 and r['profiles'][0]['busy'] == want, (r, want)" "$W/$(tag $s).pb.result" "$s.folded"
done

echo "== non-additive files are never exported as additive"
mkdir -p "$W/na"
cp "$WK-inclusive.folded" "$W/na/"
fails incl-only 1 "inclusive time, which is not additive: export the run's exclusive file .*${WK##*/}.folded (missing)" -f pprof "$W/na/${WK##*/}-inclusive.folded"
mkdir -p "$W/nw" && cp "$UV-wall.folded" "$W/nw/"
fails wall-only 1 "wall time, which is not additive.*${UV##*/}.folded" -f speedscope "$W/nw/${UV##*/}-wall.folded"
# A file of an older run, its metadata on its first line, under a name that does not say "inclusive".
{ echo "# thag_profiler 0.1.0: kind=time_inclusive program=workers unit=ns"; cat "$WK-inclusive.folded"; } >"$W/renamed.folded"
fails incl-renamed 1 "inclusive time, which is not additive" -f pprof "$W/renamed.folded"
check "RUN = the run's manifest: the same pprof" bash -c "'$EXP' -q -f pprof '$WK-manifest.txt' | cmp - '$W/$(tag $WK).pb'"
check "RUN = the inclusive file exports the exclusive values" bash -c "'$EXP' -q -f pprof '$WK-inclusive.folded' | cmp - '$W/$(tag $WK).pb'"

echo "== runs stamped with a pid (<p>-<ts>-<pid>: two runs in the same second)"
mkdir -p "$W/pid"
for f in "$WK"*; do b=${f##*/}; s=${WK##*/}; cp "$f" "$W/pid/$s-4242${b#$s}"; done
sed -i "s/^file=$s/file=$s-4242/" "$W/pid/$s-4242-manifest.txt" # the manifest names its files
check "pid stamp: the same pprof from any file of the run" bash -c \
    "'$EXP' -q -f pprof '$W/pid/${WK##*/}-4242-timeline.txt' | cmp - '$W/$(tag $WK).pb'"
check "pid stamp: the same trace" bash -c "'$EXP' -q -f trace '$W/pid/${WK##*/}-4242.folded' | cmp - '$W/$(tag $WK).trace.json'"
mkdir -p "$W/tlonly" && cp "$WK-timeline.txt" "$W/tlonly/"
check "a run with only its timeline: speedscope exports its threads" bash -c \
    "'$EXP' -q -f speedscope '$W/tlonly/${WK##*/}-timeline.txt' | python3 -c \"import json,sys; d=json.load(sys.stdin); assert d['name'] == 'workers' and len(d['profiles']) == \$(grep -c '^T ' '$WK-timeline.txt'), d['name']\""
fails tlonly-pprof 1 "no additive profile in this run (only a timeline: use --format trace)" -f pprof "$W/tlonly/${WK##*/}-timeline.txt"

echo "== hostile frame names: quotes, backslashes, control bytes, invalid UTF-8 give valid JSON"
printf 'main;say "hi"\\n 3\nmain;\001ctl;caf\303\251 4\nmain;bad\377byte 5\n' >"$W/names.folded"
printf '# thag_profiler 0.1.0: kind=timeline program=n format=timeline-1 unit=ns\nS 1 0 main\nS 2 1 say "hi"\\n\nS 3 1 bad\377\001\nT 0 5 main\n1 10\n2 20\n3 30\n0 5\n' \
    >"$W/names-20260101-120000-timeline.txt"
"$EXP" -q -f speedscope -o "$W/names.speedscope.json" "$W/names.folded" || bad "names: speedscope"
"$EXP" -q -f trace -o "$W/names.trace.json" "$W/names-20260101-120000-timeline.txt" || bad "names: trace"
check "names: speedscope JSON parses, names escaped" python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
names = [f['name'] for f in d['shared']['frames']]
assert names == ['main', 'say \"hi\"\\\\n', '\x01ctl', 'caf\u00e9', 'bad\ufffdbyte'], names" "$W/names.speedscope.json"
check "names: speedscope schema" node $T/validate.mjs "$W/names.speedscope.json"
check "names: trace JSON parses, names escaped" python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
names = [e['name'] for e in d['traceEvents'] if e['ph'] == 'B']
assert names == ['main', 'say \"hi\"\\\\n', 'bad\ufffd\x01'], names" "$W/names.trace.json"

echo "== bad input"
printf 'main;a 10\nmain;a;b 5\nmain 1\n' >"$W/foreign.folded"
check "foreign folded file: exit 0" test "$(xp foreign -f pprof -o "$W/foreign.pb" "$W/foreign.folded")" = 0
check "foreign folded file: says so" grep -q "no thag_profiler metadata: exported as generic samples, unit unknown" "$W/foreign.err"
pprof -raw "$W/foreign.pb" >"$W/foreign.raw"
check "foreign folded file: samples exact" python3 $T/check.py pprof "$W/foreign.raw" "samples=$W/foreign.folded"
check "foreign folded file: speedscope unit none" bash -c "'$EXP' -q -f speedscope '$W/foreign.folded' | grep -q '\"unit\":\"none\"'"
fails foreign-trace 1 "not a thag_profiler timeline" -f trace "$W/foreign.folded"
printf 'main;a 1.5\n' >"$W/decimal.folded"
fails decimal 1 "is not an integer: pprof values are integers" -f pprof "$W/decimal.folded"
head -c 4096 /dev/urandom >"$W/garbage.folded"; printf '\n' >>"$W/garbage.folded"
fails garbage 1 "not a valid profile" -f pprof -o "$W/garbage.pb" "$W/garbage.folded"
check "garbage: no output file" bash -c "! ls '$W'/garbage.pb* 2>/dev/null"
fails garbage-ss 1 "not a valid profile" -f speedscope "$W/garbage.folded"
mkdir -p "$W/tr" && cp "$WK"* "$W/tr/" && S=$W/tr/${WK##*/}
head -c 200 "$WK-calls.folded" >"$S-calls.folded"
fails truncated-file 1 "ends in the middle of a line: truncated" -f pprof -o "$W/tr.pb" "$S.folded"
check "truncated: no output file" bash -c "! ls '$W'/tr.pb* 2>/dev/null"
rm "$S-calls.folded" "$S.folded"
cp "$WK-calls.folded" "$S-calls.folded"
fails truncated-run 1 "${WK##*/}.folded is missing (its -calls file is there): a truncated run" -f pprof "$S-calls.folded"
: >"$S.folded"
check "an empty file: no stacks, exported" bash -c "'$EXP' -q -f speedscope '$S-calls.folded' | python3 -c \"import json,sys; p=json.load(sys.stdin)['profiles']; assert p[0]['samples'] == [] and p[0]['endValue'] == 0 and p[1]['samples']\""
head -c 300 "$WK-timeline.txt" >"$S-timeline.txt"
fails truncated-timeline 1 "truncated" -f trace "$S-timeline.txt"
printf '# thag_profiler 0.1.0: kind=timeline program=x format=timeline-1 unit=ns\nS 1 0 main\nT 0 5 main\n7 100\n' >"$W/tl-x-20260101-120000-timeline.txt"
fails bad-timeline 1 "unknown stack id" -f trace "$W/tl-x-20260101-120000-timeline.txt"
printf '# thag_profiler 0.1.0: kind=timeline program=x format=timeline-1 unit=ns\nS 1 0 main\nT 0 5 main\n1 10 junk\n' >"$W/tl-y-20260101-120000-timeline.txt"
fails bad-timeline-line 1 "malformed timeline line" -f trace "$W/tl-y-20260101-120000-timeline.txt"
printf '# thag_profiler 0.1.0: kind=timeline program=x format=timeline-2 unit=ns\nS 1 0 main\nS 2 1 f\nF 1\nT 0 5 main\n2 10\n' >"$W/tl-f-20260101-120000-timeline.txt"
fails bad-fiber-line 1 "malformed fiber line" -f trace "$W/tl-f-20260101-120000-timeline.txt"
printf '# thag_profiler 0.1.0: kind=timeline program=x format=timeline-3 unit=ns\nS 1 0 main\nT 0 5 main\n1 10\n' >"$W/tl-z-20260101-120000-timeline.txt"
fails future-timeline 1 "a timeline in a format this reader does not know" -f trace "$W/tl-z-20260101-120000-timeline.txt"
mkdir -p "$W/nt" && cp "$WK.folded" "$WK-calls.folded" "$W/nt/"
fails no-timeline 1 "the run has no timeline" -f trace -o "$W/nt.json" "$W/nt/${WK##*/}.folded"
check "no timeline: no output file" bash -c "! ls '$W'/nt.json* 2>/dev/null"
mkdir -p "$W/us" && U=$W/us/p-20260101-120000
printf '# thag_profiler 0.1.0: kind=time program=p unit=ns\nmain;b 1\nmain;a 2\n' >"$U.folded"
printf '# thag_profiler 0.1.0: kind=calls program=p unit=calls\nmain;b 1\nmain;a 1\n' >"$U-calls.folded"
fails unsorted 1 "stacks out of order" -f pprof "$U.folded"
fails missing 1 "No such file" -f pprof "$W/nothing.folded"
fails unknown-option 2 "unknown option: --frmat" --frmat pprof x
check "unknown option: hint" grep -qx "Try 'thag-export --help'." "$W/unknown-option.err"
fails unknown-format 2 "unknown format: svg" -f svg x
fails no-format 2 "format pprof|trace|speedscope is required" x
check "--help exit 0" test "$(xp help --help)" = 0
check "--help: usage" grep -q '^Usage: thag-export --format pprof|trace|speedscope \[-o FILE\] RUN' "$W/help.out"
check "--version" grep -qx 'thag-export [0-9.]*' <("$EXP" --version)
fails bad-out 1 "No such file or directory" -f pprof -o /nonexistent/dir/x.pb "$WK.folded"

echo "== ASan + UBSan: every format on every run and bad input, no report"
if cc -std=c11 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -o "$W/export-asan" tools/export.c; then
    for f in "$WF.folded" "$DT-memory_detail.folded" "$UV-wall.folded" "$CO-timeline.txt" "$SE-calls.folded" \
             "$W/gen-sorted.folded" "$W/garbage.folded" "$W/foreign.folded" "$W/decimal.folded" \
             "$W/tl-x-20260101-120000-timeline.txt" "$S-calls.folded" "$U.folded"; do
        for fmt in pprof trace speedscope; do
            "$W/export-asan" -q -f $fmt "$f" >/dev/null 2>"$W/asan.err"
            check "ASan+UBSan: $fmt ${f##*/}" bash -c "! grep -q 'Sanitizer\|runtime error' '$W/asan.err' || { cat '$W/asan.err'; exit 1; }"
        done
    done
else
    bad "ASan build"
fi

summary "export tests"
