# Checks beyond exact stacks; sourced by tests/run.sh (uses its helpers).
B="$TMPROOT/bin-gcc_-O2"
SEC=bin-gcc_-O2-sections  # the program name in output file names
O="$TMPROOT/out-gcc_-O2"

# value FILE STACK: the value of one stack line.
value() { data "$1" | awk -v s="$2" '{ v = $NF; $NF = ""; sub(/ $/, ""); if ($0 == s) print v }'; }
sum() { data "$1" | awk '{ s += $NF } END { print s + 0 }'; }
lines() { data "$1" | wc -l; }

# Exclusive times add up to main's inclusive time, and so does the timeline
# (each interval is charged to exactly one stack); rounding: 1 ns a line.
consistent() {
    local d=$1 ex inc tl main n
    ex=$(one "$d/*[0-9].folded") && inc=$(one "$d/*-inclusive.folded") && tl=$(one "$d/*-timeline.txt") || return 1
    main=$(value "$inc" main); n=$(( $(lines "$ex") + $(grep -vc '^[#ST]' "$tl") ))
    tls=$(tl_data "$tl" | awk '{ s += $NF } END { print s + 0 }')
    awk -v a="$(sum "$ex")" -v b="$main" -v c="$tls" -v n="$n" \
        'BEGIN { d1 = a - b; d2 = c - a; if (d1 < 0) d1 = -d1; if (d2 < 0) d2 = -d2; exit !(d1 <= n && d2 <= n && b > 0) }' ||
        { echo "exclusive sum $(sum "$ex"), main inclusive $main, timeline sum $tls"; return 1; }
}
check "exclusive times add up to main (sections)" consistent "$O-sections"
check "exclusive times add up to main (longjmp)" consistent "$O-longjmp"

# Overlapping sections: a (8 ms spun inside) ended before b (12 ms after b began).
overlap() {
    local ex inc
    ex=$(one "$O-sections/*[0-9].folded"); inc=$(one "$O-sections/*-inclusive.folded")
    awk -v a="$(value "$inc" 'main;overlap;a')" -v b="$(value "$inc" 'main;overlap;a;b')" \
        -v xa="$(value "$ex" 'main;overlap;a')" -v xb="$(value "$ex" 'main;overlap;a;b')" \
        -v xo="$(value "$ex" 'main;overlap')" \
        'BEGIN { exit !(a >= 8e6 && b >= 8e6 && xa >= 4e6 && xb >= 8e6 && xo >= 4e6) }' ||
        { echo "overlap times: $(data "$inc" | grep overlap) / $(data "$ex" | grep overlap)"; return 1; }
}
check "overlapping sections keep their own times" overlap

# Every file loads in flamegraph.pl: its exact line regex parses each stack
# line with the right value; no line is metadata (that is in the manifest).
flamegraph_pl_parse() {
    local f
    for f in "$1"/*.folded; do
        perl -ne 'chomp; my ($stack, $samples) = (/^(.*)\s+?(\d+(?:\.\d*)?)$/);
            die "a metadata line in a folded file: $_\n" if /^#/;
            die "not parsed: $_\n" unless defined $samples and defined $stack;
            my @f = split / /; die "wrong value: $_\n" unless $samples eq $f[-1];' "$f" || return 1
    done
}
check "flamegraph.pl parses every line (sections)" flamegraph_pl_parse "$O-sections"

# And the real flamegraph.pl (Debian ships a copy with Devel::NYTProf)
# draws every file, with no warning (tests/run_manifest.sh: every kind).
FGPL=/usr/share/perl5/Devel/NYTProf/flamegraph.pl
real_flamegraph_pl() {
    local f err
    for f in "$1"/*.folded; do
        err=$(perl "$FGPL" "$f" 2>&1 >"$f.svg") || { echo "$f: $err"; return 1; }
        [ -z "$err" ] || { echo "$f: $err"; return 1; }
        grep -q 'main' "$f.svg" || { echo "$f: no main frame"; return 1; }
    done
}
if [ -e "$FGPL" ]; then check "the real flamegraph.pl draws every file" real_flamegraph_pl "$O-sections"; fi
check "flamegraph.pl parses every line (threads)" flamegraph_pl_parse "$O-threads"

# Timeline order: execution order, first main, then nested first.
timeline_order() {
    local got
    got=$(tl_data "$(one "$O-sections/*-timeline.txt")" | awk '{print $1}' | uniq | head -4 | tr '\n' ' ')
    [ "$got" = "main main;nested main;nested;outer main;nested;outer;inner " ] || { echo "got: $got"; return 1; }
}
check "timeline follows execution order" timeline_order

# Threads merged into one tree.
d="$TMPROOT/merged"; rc=$(run_in "$d" "$B-threads" THAG_MERGE_THREADS=true)
check "THAG_MERGE_THREADS=true merges threads" expect_calls "$d" tests/e2e/threads-merged.expected
check "metadata says threads=merged" grep -qx 'threads=merged' "$(manifest "$(one "$d/*-calls.folded")")"

# THAG_PROFILER under runtime: unset, none, case, empty fields, malformed.
runtime_case() { # NAME VALUE WANT_FILES STDERR_PATTERN
    local d="$TMPROOT/rt-$1" rc n
    mkdir -p "$d"
    rc=$(cd "$d" && if [ "$2" = UNSET ]; then env -u THAG_PROFILER "$B-runtime" >/dev/null 2>stderr; else
        THAG_PROFILER="$2" "$B-runtime" >/dev/null 2>stderr; fi; echo $?)
    n=$(profiles "$d")
    [ "$rc" = 7 ] || { echo "exit status $rc"; return 1; }
    [ "$n" = "$3" ] || { echo "$n files, want $3: $(ls "$d")"; return 1; }
    if [ -n "$4" ]; then grep -q -- "$4" "$d/stderr" || { echo "stderr: $(cat "$d/stderr")"; return 1; }
        [ "$(wc -l < "$d/stderr")" = 1 ] || { echo "more than one message: $(cat "$d/stderr")"; return 1; }
    else [ ! -s "$d/stderr" ] || { echo "stderr: $(cat "$d/stderr")"; return 1; }; fi
}
check "runtime: THAG_PROFILER unset: nothing" runtime_case unset UNSET 0 ""
check "runtime: none" runtime_case none "none" 0 ""
check "runtime: TIME (case-insensitive)" runtime_case upper "TIME" 4 ""
check "runtime: time,,, (empty fields)" runtime_case empty "time,,," 4 ""
check "runtime: ,, (empty type: build default)" runtime_case default ",," 4 ""
check "runtime: malformed type" runtime_case bad1 "fast" 0 'THAG_PROFILER="fast" is malformed (unknown profile type). Accepted: THAG_PROFILER=<time|memory|both|none>'
check "runtime: malformed debug" runtime_case bad2 "time,,loud" 0 'unknown debug level'
check "runtime: too many fields" runtime_case bad3 "time,.,none,false,x" 0 'too many fields'
check "runtime: memory,,,true is valid" runtime_case memdetail "memory,,,true" 0 'memory profiling needs the THAG_FULL_PROFILING build switch'

# Output directory: created when missing; unwritable: a message, same status.
d="$TMPROOT/made/deep/dir"; rc=$(run_in "$TMPROOT/made" "$B-exit" THAG_PROFILER="time,$d")
check "output directory is created" test "$(profiles "$d")" = 4
d="$TMPROOT/unwritable"; mkdir -p "$d"
rc=$(cd "$d" && THAG_PROFILER=time,/proc/self/none "$B-sections" >/dev/null 2>stderr; echo $?)
check "unwritable directory: exit status unchanged" test "$rc" = 0
check "unwritable directory: clear message" grep -q 'cannot create the output directory /proc/self/none' "$d/stderr"

# A full disk: the output files are links to /dev/full for the next seconds.
d="$TMPROOT/full"; mkdir -p "$d"
for s in 0 1 2 3 4; do st=$(date -d "+$s sec" +%Y%m%d-%H%M%S)
    for k in "" -inclusive -calls; do ln -sf /dev/full "$d/$SEC-$st$k.folded.tmp"; done
    ln -sf /dev/full "$d/$SEC-$st-timeline.txt.tmp"; ln -sf /dev/full "$d/$SEC-$st-manifest.txt.tmp"; done
rc=$(cd "$d" && THAG_PROFILER=time,. "$B-sections" >/dev/null 2>stderr; echo $?)
check "full disk: exit status unchanged" test "$rc" = 0
check "full disk: clear message" grep -q 'No space left on device; this profile is not written' "$d/stderr"
check "full disk: no partial file left" test -z "$(ls "$d" | grep -v stderr | grep -v '\.tmp$')"

# Two runs of one program in the same second: the second does not
# overwrite the first (its stamp gets the pid).
d="$TMPROOT/samesecond"; mkdir -p "$d"
(cd "$d" && for i in 1 2 3; do THAG_PROFILER=time,. "$B-sections" >/dev/null 2>&1; done)
check "runs in the same second keep their own files" test "$(ls "$d" | grep -c '[0-9]-calls.folded$')" -ge 2

# A frame name ending in a number is not read as a count.
check "a frame name ending in ' <number>' is written with '_'" \
    bash -c "! grep -E '(^|;)[^;]* [0-9]+ [0-9]+\$' $O-sections/*.folded"

# Debug log: announce prints its path; the log says what was written.
d="$TMPROOT/dbg"; mkdir -p "$d"
(cd "$d" && TMPDIR="$d" THAG_PROFILER="time,.,announce" "$B-sections" >/dev/null 2>stderr)
check "debug log announced" grep -q "thag_profiler: debug log: $d/thag_profiler-$SEC-" "$d/stderr"
check "debug log written" grep -q 'wrote ./'$SEC "$d"/thag_profiler-$SEC-*.log
d="$TMPROOT/dbgq"; mkdir -p "$d"
(cd "$d" && TMPDIR="$d" THAG_PROFILER="time,.,quiet" "$B-sections" >/dev/null 2>stderr)
check "debug log quiet: silent, log present" bash -c "[ ! -s $d/stderr ] && ls $d/thag_profiler-$SEC-*.log"

# Timeline bound; clock choice.
# The bound keeps the most recent events: the bounded timeline's stacks are
# the last ones of the unbounded timeline of the same program.
d="$TMPROOT/tl10"; rc=$(run_in "$d" "$B-sections" THAG_TIMELINE_EVENTS=10)
check "timeline bound: dropped= counts the older events" grep -q ' bound=10 dropped=[1-9]' "$d"/*-timeline.txt
check "timeline bound: aggregates complete" expect_calls "$d" tests/e2e/sections.expected
check "timeline bound: at most 9 intervals" test "$(grep -c '^[1-9][0-9]* ' "$d"/*-timeline.txt)" -le 9
# The two runs are separate, so an interval under 1 ns (left out of the file)
# may be in one and not the other: the bounded stacks must equal a tail of
# the full ones (of up to 2 more lines) once each side keeps only the stacks
# the other side has.
tl_tail() {
    local got full n k a b
    got=$(tl_data "$(one "$d/*-timeline.txt")" | awk '{ print $1 }')
    full=$(tl_data "$(one "$O-sections/*-timeline.txt")" | awk '{ print $1 }')
    n=$(echo "$got" | wc -l)
    [ -n "$got" ] || { echo "bounded: empty"; return 1; }
    for k in $n $((n + 1)) $((n + 2)); do
        b=$(echo "$full" | tail -n "$k")
        a=$(grep -Fxf <(echo "$b") <<<"$got")
        [ "$a" = "$(grep -Fxf <(echo "$got") <<<"$b")" ] && [ "$(echo "$a" | wc -l)" -ge $((n - 1)) ] && return 0
    done
    echo "bounded: $got"; echo "tail of full: $(echo "$full" | tail -n "$n")"; return 1
}
check "timeline bound: keeps the most recent window" tl_tail
d="$TMPROOT/tl0"; rc=$(run_in "$d" "$B-sections" THAG_TIMELINE_EVENTS=0)
check "THAG_TIMELINE_EVENTS=0: no timeline" test "$(profiles "$d")" = 3
d="$TMPROOT/mono"; rc=$(run_in "$d" "$B-sections" THAG_CLOCK=monotonic)
check "THAG_CLOCK=monotonic" grep -qx 'clock=monotonic' "$(manifest "$(one "$d/*-calls.folded")")"
check "THAG_CLOCK=monotonic: same stacks" expect_calls "$d" tests/e2e/sections.expected
check "THAG_CLOCK=monotonic: consistent" consistent "$d"
d="$TMPROOT/badclock"; rc=$(run_in "$d" "$B-sections" THAG_CLOCK=sundial)
check "THAG_CLOCK malformed: message" grep -q 'THAG_CLOCK="sundial" is not one of auto|tsc|monotonic' "$d/stderr"

