# The run manifest (<p>-<ts>-manifest.txt) and what it makes possible: folded
# files that Brendan Gregg's flamegraph.pl and difffolded.pl read with no
# warning, kinds and units known to our tools by file name, by stdin redirect,
# from files written before manifests; non-additive files refused. Sourced by
# tests/run.sh after tests/run_memory.sh (uses its outputs and helpers).
MT="$TMPROOT/manifest"; mkdir -p "$MT"
FGB="$MT/flamegraph"; AN="$MT/thag-analyze"
TOOLW="-std=c11 -O1 -Wall -Wextra -Wshadow -Wundef -Wconversion -Wmissing-prototypes -Wstrict-prototypes -Werror"
gcc $TOOLW tools/flamegraph.c -o "$FGB" -lm 2>"$MT/err" || bad "build flamegraph" "$(cat "$MT/err")"
gcc $TOOLW tools/analyze.c -o "$AN" -lm 2>"$MT/err" || bad "build thag-analyze" "$(cat "$MT/err")"

# A run with tasks, for a wall file: a connection task, two request tasks.
cat > "$MT/wall.c" <<'CEOF'
#include "thag_profiler.h"
#include <time.h>
static void nap(void) { struct timespec t = {0, 2000000}; nanosleep(&t, NULL); }
static void on_request(thag_task t) { THAG_TASK_RESUME(t); THAG_PROFILE(on_request); nap(); }
int main(void) {
    thag_task conn, req[2];
    THAG_ENABLE_PROFILING(yes);
    THAG_TASK_BEGIN(conn, "conn");
    for (int i = 0; i < 2; i++) { THAG_TASK_BEGIN(req[i], "request"); on_request(req[i]); THAG_TASK_END(req[i]); }
    THAG_TASK_END(conn);
    return 0;
}
CEOF
WALLD="$MT/wall-out"
if gcc -O2 -DTHAG_TIME_PROFILING -DTHAG_PROFILER_IMPLEMENTATION -I. "$MT/wall.c" -o "$MT/wall" -pthread 2>"$MT/err"; then
    rc=$(run_in "$WALLD" "$MT/wall"); check "wall program: exit 0, quiet" test "$rc" = 0 -a ! -s "$WALLD/stderr"
else bad "build the wall program" "$(cat "$MT/err")"; fi

# Runs of every kind: time with sections, threads, memory summary (both),
# memory detail, tasks (wall).
RUNS="$O-sections $O-threads $TMPROOT/memout-gcc_-O2-mem_exact $TMPROOT/detail-out-gcc_-O2 $WALLD"

# One manifest per run; it lists exactly the profile files of the directory,
# each with kind, unit and additive=; its last line counts them; it was
# written last (no file is newer) and nothing .tmp is left.
manifest_lists() {
    local d=$1 m listed present
    m=$(one "$d/*-manifest.txt") || { echo "no single manifest in $d: $(ls "$d")"; return 1; }
    listed=$(sed -n 's/^file=\([^ ]*\) kind=[a-z_]* unit=[a-z]* additive=\(yes\|no\)\( .*\)\{0,1\}$/\1/p' "$m" | sort)
    present=$(cd "$d" && ls | grep '\.folded$\|-timeline\.txt$\|-massif\.out$' | sort)
    [ -n "$listed" ] && [ "$listed" = "$present" ] || { echo "listed: $listed"; echo "present: $present"; cat "$m"; return 1; }
    [ "$(tail -1 "$m")" = "end=$(grep -c '^file=' "$m")" ] || { echo "last line: $(tail -1 "$m")"; return 1; }
    [ -z "$(find "$d" -newer "$m" -name '*.folded')" ] || { echo "newer than the manifest: $(find "$d" -newer "$m")"; return 1; }
    [ -z "$(ls "$d" | grep '\.tmp$')" ]
}
for d in $RUNS; do check "manifest lists every file: ${d##*/}" manifest_lists "$d"; done

# The kinds, units and additivity of a time run and of a memory run, exactly.
kinds_of() { sed -n 's/^file=[^ ]*-[0-9]\{6\}\(-[a-z_]*\)\{0,1\}\.[a-z]* kind=\([a-z_]*\) unit=\([a-z]*\) additive=\([a-z]*\).*/\1 \2 \3 \4/p' "$(one "$1/*-manifest.txt")" | LC_ALL=C sort; }
check "time run: kinds, units, additivity" diff <(kinds_of "$O-sections") - <<'KEOF'
 time ns yes
-calls calls calls yes
-inclusive time_inclusive ns no
-timeline timeline ns yes
KEOF
check "memory run (both): kinds, units, additivity" diff <(kinds_of "$TMPROOT/memout-gcc_-O2-mem_exact") - <<'KEOF'
 time ns yes
-calls calls calls yes
-inclusive time_inclusive ns no
-massif massif bytes no
-memory memory bytes yes
-memory_calls memory_calls allocations yes
-memory_live memory_live bytes yes
-memory_live_calls memory_live_calls allocations yes
-memory_peak memory_peak bytes yes
-memory_temp memory_temp allocations yes
-timeline timeline ns yes
KEOF
check "wall file: not additive, names the exclusive file" has_meta "$(one "$WALLD/*-wall.folded")" \
    " kind=wall unit=ns additive=no instead=$(basename "$(one "$WALLD/*[0-9].folded")") tasks_begun=3 tasks_ended=3 stale_ends=0$"
check "run keys: program, pid, clock, threads, type" has_meta "$(one "$O-sections/*-calls.folded")" \
    "^# thag_profiler=0.1.0 manifest=1 program=$SEC pid=[1-9][0-9]* started=[0-9]\{8\}-[0-9]\{6\}\(-[0-9]*\)\{0,1\} start_unix_ns=[1-9][0-9]* elapsed=[1-9][0-9]* clock=[a-z]* threads=separate type=time file="

# Threads: one line each, named as the root frames of the stacks, started
# no later than their first timeline event, ended (workers) after they started.
manifest_threads() {
    local d=$O-threads m tl roots
    m=$(one "$d/*-manifest.txt") && tl=$(one "$d/*-timeline.txt") || return 1
    roots=$(data "$(one "$d/*-calls.folded")" | cut -d';' -f1 | sed 's/ [0-9]*$//' | sort -u)
    diff <(sed -n 's/^thread=[0-9]* .* name=//p' "$m" | sort) <(echo "$roots") || return 1
    awk -v want="$(echo "$roots" | wc -l)" 'FNR == NR { if ($1 == "T") first[$2] = $3; next }
         /^thread=/ { split($1, i, "="); split($2, s, "="); n++
                      if (!(i[2] in first) || s[2] > first[i[2]]) { print "start after the first event: " $0; bad = 1 }
                      if ($3 ~ /^end=/) { split($3, e, "="); ends++; if (e[2] < s[2]) { print "ends before it starts: " $0; bad = 1 } } }
         END { if (n != want || ends != want - 1) print n " threads, " ends " ended"; exit bad || n != want || ends != want - 1 }' "$tl" "$m" || { cat "$m"; grep '^T' "$tl"; return 1; }
}
check "manifest threads: names, starts on the timeline's clock, ends" manifest_threads

# Every folded file of every run: the real flamegraph.pl draws it with an
# empty stderr, and difffolded.pl's parsing (its regex, under perl -w, where
# a line it cannot parse warns "Use of uninitialized value" and adds an
# empty stack) reads every line.
FGPL=/usr/share/perl5/Devel/NYTProf/flamegraph.pl
difffolded_parse() { # FILE: difffolded.pl's loop over one file, any warning fatal
    perl -we 'local $SIG{__WARN__} = sub { die "line $.: warning: $_[0]" };
        my %seen; while (<>) { chomp;
            my ($stack, $count) = (/^(.*)\s+?(\d+(?:\.\d*)?)$/);
            die "line $.: not a stack line: $_\n" unless defined $stack;
            die "line $.: empty stack\n" if $stack eq "";
            die "line $.: its output line \"$stack 0 $count\" would not read back\n"
                unless "$stack 0 $count" =~ /^(.*)\s+?(\d+(?:\.\d*)?)\s+?(\d+(?:\.\d*)?)$/ && $1 eq $stack;
            $seen{$stack} += $count; }' "$1"
}
every_file() { # DIR: both readers on each folded file
    local f err n=0
    for f in "$1"/*.folded; do
        if [ -e "$FGPL" ]; then
            err=$(perl "$FGPL" "$f" 2>&1 >"$f.pl.svg") || { echo "$f: flamegraph.pl failed: $err"; return 1; }
            [ -z "$err" ] || { echo "$f: flamegraph.pl said: $err"; return 1; }
        fi
        difffolded_parse "$f" || { echo "$f: difffolded.pl would warn"; return 1; }
        n=$((n + 1))
    done
    [ "$n" -gt 0 ]
}
[ -e "$FGPL" ] || bad "flamegraph.pl missing (libdevel-nytprof-perl)"
for d in $RUNS; do check "flamegraph.pl and difffolded.pl read every file, no warning: ${d##*/}" every_file "$d"; done
old_line_warns() { # the check checks: an in-file metadata line is what made difffolded.pl warn
    printf '# thag_profiler 0.1.0: kind=time unit=ns\nmain 1\n' > "$MT/old-style.folded"
    ! difffolded_parse "$MT/old-style.folded" 2>/dev/null
}
check "difffolded.pl's parsing fails on an old in-file metadata line" old_line_warns

# flamegraph refuses files that do not add up, by name and by stdin redirect.
refuses() { # FILE HOW WANT_MESSAGE
    local rc err
    if [ "$2" = name ]; then err=$("$FGB" "$1" 2>&1 >/dev/null); rc=$?
    else err=$("$FGB" < "$1" 2>&1 >/dev/null); rc=$?; fi
    [ "$rc" = 1 ] && [ "$err" = "$3" ] || { echo "status $rc, stderr: $err"; echo "want: $3"; return 1; }
}
inc=$(one "$O-sections/*-inclusive.folded"); exc=$(one "$O-sections/*[0-9].folded")
check "flamegraph refuses -inclusive by name" refuses "$inc" name \
    "flamegraph: $inc holds inclusive time (kind time_inclusive), which does not add up along stacks (a frame would count its children again): draw $exc instead"
check "flamegraph refuses -inclusive on stdin" refuses "$inc" stdin \
    "flamegraph: <stdin> holds inclusive time (kind time_inclusive), which does not add up along stacks (a frame would count its children again): draw $(basename "$exc") instead"
wall=$(one "$WALLD/*-wall.folded"); wexc=$(one "$WALLD/*[0-9].folded")
check "flamegraph refuses -wall by name" refuses "$wall" name \
    "flamegraph: $wall holds wall time (kind wall: a task's time again under its parent), which does not add up along stacks (a frame would count its children again): draw $wexc instead"
check "flamegraph refuses -wall on stdin" refuses "$wall" stdin \
    "flamegraph: <stdin> holds wall time (kind wall: a task's time again under its parent), which does not add up along stacks (a frame would count its children again): draw $(basename "$wexc") instead"

# Units on stdin by redirect (the reader finds the file's name from its
# descriptor), none through a pipe, and no note either way.
unit_svg() { # WANT_UNIT FGARGS...: the SVG's unit, stderr empty
    local want=$1 out; shift
    out=$("$@" 2>"$MT/fg.err") && [ ! -s "$MT/fg.err" ] && grep -q "u:\"$want\"" <<<"$out" ||
        { echo "stderr: $(cat "$MT/fg.err")"; grep -o 'u:"[a-z]*"' <<<"$out"; return 1; }
}
check "flamegraph < exclusive file: ns" unit_svg ns sh -c "'$FGB' < '$exc'"
check "flamegraph < memory file: bytes" unit_svg bytes sh -c "'$FGB' < '$(one "$TMPROOT/memout-gcc_-O2-mem_exact/*-memory.folded")'"
check "flamegraph < memory detail file: bytes" unit_svg bytes sh -c "'$FGB' < '$(one "$TMPROOT/detail-out-gcc_-O2/*-memory_detail.folded")'"
check "cat exclusive file | flamegraph: no unit, no note" unit_svg "" sh -c "cat '$exc' | '$FGB'"

# Files written before manifests (metadata as their first line) read as before.
OLD="$MT/old"; mkdir -p "$OLD"
{ echo "# thag_profiler 0.1.0: kind=memory program=x started=20261203-120000 pid=1 clock=tsc threads=separate mode=summary allocations=2 deallocations=0 bytes=96 peak=96 current=96 unit=bytes"
  echo "main;f 64"; echo "main 32"; } > "$OLD/x-20261203-120000-memory.folded"
{ echo "# thag_profiler 0.1.0: kind=time_inclusive program=x started=20261203-120000 pid=1 clock=tsc threads=separate unit=ns"
  echo "main 10"; echo "main;f 7"; } > "$OLD/x-20261203-120000-inclusive.folded"
printf 'main 3\nmain;f 7\n' > "$OLD/x-20261203-120000.folded"
check "old file: units by name" unit_svg bytes "$FGB" "$OLD/x-20261203-120000-memory.folded"
check "old file: units on stdin" unit_svg bytes sh -c "'$FGB' < '$OLD/x-20261203-120000-memory.folded'"
check "old file: inclusive refused" refuses "$OLD/x-20261203-120000-inclusive.folded" name \
    "flamegraph: $OLD/x-20261203-120000-inclusive.folded holds inclusive time (kind time_inclusive), which does not add up along stacks (a frame would count its children again): draw $OLD/x-20261203-120000.folded instead"
check "old file: thag-analyze reads its totals" bash -c "'$AN' report '$OLD/x-20261203-120000-memory.folded' 2>&1 | grep -q 'Totals: allocations=2  deallocations=0  bytes=96 B'"

# thag-analyze uses the manifest: an inclusive file is read through the
# exclusive file its entry names; memory totals come from the entry.
check "thag-analyze: -inclusive read through its manifest's instead=" bash -c \
    "'$AN' report '$inc' 2>&1 >/dev/null | grep -qx 'thag-analyze: note: $inc holds inclusive time; reading its exclusive sibling $(dirname "$inc")/$(basename "$exc") (the inclusive values are used as totals)'"
check "thag-analyze: a wall file is read with a note naming the file that adds up" bash -c \
    "'$AN' report '$wall' 2>&1 >/dev/null | grep -qx 'thag-analyze: note: $wall holds wall time, which does not add up along stacks: Self is each stack.s own elapsed time; Total and the total add up overlapping times (the active time that adds up is in $(basename "$wexc"))'"
memf=$(one "$TMPROOT/memout-gcc_-O2-mem_exact/*-memory.folded")
check "thag-analyze: memory totals from the manifest" bash -c \
    "'$AN' report '$memf' 2>&1 | grep -q '^Totals: allocations=1004  deallocations=1003 '"

# A missing or truncated manifest: no metadata, a one-line note, no crash.
BROKEN="$MT/broken"; rm -rf "$BROKEN"; cp -r "$O-sections" "$BROKEN"; bm=$(one "$BROKEN/*-manifest.txt")
bcalls=$(one "$BROKEN/*-calls.folded"); bexc=$(one "$BROKEN/*[0-9].folded")
note_only() { # WANT_NOTE_REGEX CMD...: exit 0, stderr is exactly one line matching
    local want=$1 n; shift
    "$@" >"$MT/out" 2>"$MT/err" || { echo "status $?: $(cat "$MT/err")"; return 1; }
    n=$(wc -l < "$MT/err")
    [ "$n" = 1 ] && grep -q -- "$want" "$MT/err" || { echo "stderr ($n lines): $(cat "$MT/err")"; return 1; }
}
head -c $(( $(wc -c < "$bm") / 2 )) "$bm" > "$bm.half" && mv "$bm.half" "$bm"
check "truncated manifest: flamegraph notes it, draws with no unit" \
    note_only "^$bexc: no metadata: its run manifest $bm is truncated or damaged (.*no end= line)$" "$FGB" "$bexc"
check "truncated manifest: no unit in the SVG" grep -q 'u:""' "$MT/out"
check "truncated manifest: stdin redirect notes it too" \
    note_only "^<stdin>: no metadata: its run manifest $bm is truncated" sh -c "'$FGB' < '$bexc'"
sed -i '$d' "$bm" 2>/dev/null; printf 'end=99\n' >> "$bm"
check "manifest whose end= does not count its files: one note" \
    note_only "is truncated or damaged (.* its end= line does not count them)$" "$FGB" "$bcalls"
rm -f "$bm"
check "missing manifest: flamegraph notes it" \
    note_only "^$bcalls: no metadata: its run manifest $bm cannot be read (No such file or directory)$" "$FGB" "$bcalls"
binc=$(one "$BROKEN/*-inclusive.folded")
check "missing manifest: -inclusive still refused by its name (after the note)" refuses "$binc" name \
    "$binc: no metadata: its run manifest $bm cannot be read (No such file or directory)
flamegraph: $binc holds inclusive time (kind time_inclusive), which does not add up along stacks (a frame would count its children again): draw $bexc instead"
check "missing manifest: thag-analyze reads the profile, notes only" bash -c \
    "'$AN' report '$bexc' >'$MT/an.out' 2>'$MT/an.err' && grep -q '^Profile: ' '$MT/an.out' && ! grep -v 'no metadata: its run manifest .* cannot be read' '$MT/an.err'"
printf 'main;f 2\nmain 1\n' > "$MT/plain.folded"
check "a file named like no run: no metadata, no note" unit_svg "" "$FGB" "$MT/plain.folded"
