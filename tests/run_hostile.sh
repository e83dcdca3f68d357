# Hostile environments; sourced by tests/run.sh (uses its helpers and build()).
# tests/e2e/hostile.c does what each case needs (its mode is argv[1]). In every
# case: no crash, the program's own exit status, and anything lost is said on
# stderr in one line.
H="$TMPROOT/hostile"
if ! build hostile "$H" gcc -O2 -DTHAG_TIME_PROFILING; then bad "build hostile" "$(cat "$H.err")"; return 0; fi
# host_run DIR ENV... -- ARGS...: runs the program in DIR (created) with ENV; status in $rc.
host_run() {
    local d=$1 env=(); shift
    while [ "$1" != -- ]; do env+=("$1"); shift; done; shift
    mkdir -p "$d"
    rc=$(cd "$d" && env "${env[@]}" "$H" "$@" >stdout 2>stderr; echo $?)
}
one_line() { # FILE PATTERN: FILE is one line matching PATTERN
    [ "$(wc -l < "$1")" = 1 ] && grep -q -- "$2" "$1" || { echo "stderr: $(cat "$1")"; return 1; }
}
no_tmp() { ! find "$1" -name '*.tmp' | grep -q .; }
calls_are() { # DIR EXPECTED-TEXT: the calls file holds exactly these stacks
    local f=("$1"/*-calls.folded) # (not one(): the path may hold blanks)
    [ "${#f[@]}" = 1 ] && [ -e "${f[0]}" ] || { echo "no single calls file: $(ls "$1")"; return 1; }
    diff <(data "${f[0]}") <(printf '%s\n' "$2")
}

# Output directory read-only (as an unprivileged user: root writes anywhere).
d="$TMPROOT/h-ro"; mkdir -p "$d/out"; cp "$H" "$d/"; chmod 755 "$TMPROOT" "$d"; chmod 555 "$d/out"
rc=$(cd "$d" && setpriv --reuid=65534 --regid=65534 --clear-groups env THAG_PROFILER="time,$d/out" ./hostile plain \
     >/dev/null 2>"$TMPROOT/h-ro.err"; echo $?)
check "read-only directory: exit status unchanged" test "$rc" = 0
check "read-only directory: one line says the profile is lost" one_line "$TMPROOT/h-ro.err" \
    "cannot write $d/out/hostile-.*: Permission denied; this profile is not written"
check "read-only directory: nothing written" test -z "$(ls "$d/out")"
chmod 700 "$TMPROOT"

# Missing: created (with its parents); uncreatable (a file where a directory should be).
d="$TMPROOT/h-missing"; host_run "$d" THAG_PROFILER="time,$d/a/b/c" -- plain
check "missing directory: created, profile written" test "$rc" = 0 -a "$(profiles "$d/a/b/c")" = 4
d="$TMPROOT/h-notdir"; mkdir -p "$d"; : > "$d/file"; host_run "$d" THAG_PROFILER="time,$d/file/sub" -- plain
check "directory under a file: exit status unchanged" test "$rc" = 0
check "directory under a file: one line" one_line "$d/stderr" "cannot create the output directory $d/file/sub: Not a directory"

# Spaces and a newline in the directory's path.
d="$TMPROOT/h-odd"; odd="$d/a dir/with
newline"; host_run "$d" THAG_PROFILER="time,$odd" -- plain
check "spaces and newline in the path: written there" test "$rc" = 0 -a "$(profiles "$odd")" = 4 -a ! -s "$d/stderr"
check "spaces and newline in the path: stacks" calls_are "$odd" "main 1
main;f 1"

# EMFILE: every descriptor the soft limit allows taken when main returns. The
# output raises the soft limit for itself: the whole profile is written.
d="$TMPROOT/h-emfile"; mkdir -p "$d"
rc=$(cd "$d" && ulimit -Sn 256 && THAG_PROFILER="time,." "$H" emfile >stdout 2>stderr; echo $?)
check "EMFILE: exit status unchanged" test "$rc" = 0
check "EMFILE under the soft limit: the profile is written, nothing said" test "$(profiles "$d")" = 4 -a ! -s "$d/stderr"
check "EMFILE under the soft limit: stacks" calls_are "$d" "main 1
main;f 1"
# With soft = hard limit (ulimit -n sets both) there is no room: one line says the profile is lost.
d="$TMPROOT/h-emfile-hard"; mkdir -p "$d"
rc=$(cd "$d" && ulimit -n 64 && THAG_PROFILER="time,." "$H" emfile >stdout 2>stderr; echo $?)
check "EMFILE at the hard limit: exit status unchanged" test "$rc" = 0
check "EMFILE at the hard limit: one line says the profile is lost" one_line "$d/stderr" "Too many open files; this profile is not written"
check "EMFILE at the hard limit: no partial file" no_tmp "$d"

# ENOSPC: every output file is a link to /dev/full (for the next seconds' stamps).
d="$TMPROOT/h-full"; mkdir -p "$d"
for s in 0 1 2 3 4; do st=$(date -d "+$s sec" +%Y%m%d-%H%M%S)
    for k in "" -inclusive -calls; do ln -sf /dev/full "$d/hostile-$st$k.folded.tmp"; done
    ln -sf /dev/full "$d/hostile-$st-timeline.txt.tmp"; done
host_run "$d" THAG_PROFILER="time,." -- plain
check "ENOSPC: exit status unchanged" test "$rc" = 0
check "ENOSPC: one line says the profile is lost" one_line "$d/stderr" "No space left on device; this profile is not written"
check "ENOSPC: no file left" test -z "$(ls "$d" | grep -v 'stdout\|stderr\|\.tmp$')"

# Recursion 100,000 deep: exact calls, bounded output (frames deeper than 1000
# are charged to the frame at depth 1000, said in one line).
d="$TMPROOT/h-deep"; host_run "$d" THAG_PROFILER="time,." -- recurse 100000
check "recursion 100000: exit status unchanged" test "$rc" = 0
check "recursion 100000: calls of rec = 100000" test "$(data "$(one "$d/*-calls.folded")" |
    awk '{ n = split($1, a, ";"); if (a[n] == "rec") s += $NF } END { print s + 0 }')" = 100000
check "recursion 100000: output bounded (< 16 MB)" test "$(du -sk "$d" | cut -f1)" -lt 16384
check "recursion 100000: one line says the stacks are cut" one_line "$d/stderr" \
    "99001 stacks are deeper than 1000 frames: each is charged to its frame at depth 1000"
tl_vs_excl() { # the timeline's intervals add up to the exclusive times (1 ns a line)
    local ex tl n
    ex=$(data "$(one "$1/*[0-9].folded")" | awk '{ s += $NF } END { print s + 0 }')
    tl=$(tl_data "$(one "$1/*-timeline.txt")" | awk '{ s += $NF } END { print s + 0 }')
    n=$(cat "$1"/*.folded "$1"/*-timeline.txt | wc -l)
    awk -v a="$ex" -v b="$tl" -v n="$n" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= n && a > 0) }' ||
        { echo "exclusive sum $ex, timeline sum $tl"; return 1; }
}
check "recursion 100000: the timeline adds up to the exclusive times" tl_vs_excl "$d"

# 1,000 threads alive at once, each named "hostile", each calling f once.
d="$TMPROOT/h-threads"; host_run "$d" THAG_PROFILER="time,." -- threads 1000
check "1000 threads: exit status unchanged, quiet" test "$rc" = 0 -a ! -s "$d/stderr"
check "1000 threads: stacks" calls_are "$d" "hostile;f 1000
main 1"

# Fork storms: 200 children (exit() and _exit()), and 200 that exec: only the
# parent writes a profile, complete.
for m in forks forkexec; do
    d="$TMPROOT/h-$m"; host_run "$d" THAG_PROFILER="time,." -- $m 200
    check "fork storm ($m): exit status unchanged, quiet" test "$rc" = 0 -a ! -s "$d/stderr"
    check "fork storm ($m): only the parent's profile" test "$(profiles "$d")" = 4
    check "fork storm ($m): stacks" calls_are "$d" "main 1
main;f 2"
done

# All descriptors closed before exit (stderr too): the profile is still written.
d="$TMPROOT/h-closeall"; host_run "$d" THAG_PROFILER="time,." -- closeall
check "all fds closed: exit status unchanged, profile written" test "$rc" = 0 -a "$(profiles "$d")" = 4
check "all fds closed: stacks" calls_are "$d" "main 1
main;f 1"

# chdir("/") before exit with a relative output directory: written where asked.
d="$TMPROOT/h-chdir"; host_run "$d" THAG_PROFILER="time,rel dir" -- chdir
check "chdir before exit: exit status unchanged" test "$rc" = 0
check "chdir before exit: relative directory kept" test "$(profiles "$d/rel dir")" = 4
if [ -d "/rel dir" ]; then bad "chdir before exit: written under /rel dir"; rm -rf "/rel dir"; fi
d="$TMPROOT/h-chdir-dot"; host_run "$d" THAG_PROFILER="time,." -- chdir
check "chdir before exit (dir .): written in the start directory" test "$(profiles "$d")" = 4

# The run says where it wrote: one line at exit when stderr is a terminal
# (tests/tty_run.c gives the program one), nothing when it is a file, every
# file under announce, nothing under quiet even on a terminal.
T="$TMPROOT/tty_run"
gcc -O1 $WARN tests/tty_run.c -o "$T" 2>"$T.err" || bad "build tests/tty_run.c" "$(cat "$T.err")"
d="$TMPROOT/h-say"; mkdir -p "$d"
(cd "$d" && THAG_PROFILER="time,." "$T" 60 "$H" plain >tty.out 2>&1)
n=$(ls "$d" | grep -c '^hostile-.*\.folded$\|timeline')
check "terminal: one line names the files" grep -q "^thag_profiler: $n profile files: \./hostile-[0-9]*-[0-9]*\*" "$d/tty.out"
d="$TMPROOT/h-say-quiet"; mkdir -p "$d"
(cd "$d" && THAG_PROFILER="time,.,quiet" TMPDIR="$d" "$T" 60 "$H" plain >tty.out 2>&1)
check "terminal, quiet: nothing said" test ! -s "$d/tty.out"
d="$TMPROOT/h-say-ann"; host_run "$d" THAG_PROFILER="time,.,announce" TMPDIR="$TMPROOT/h-say-ann" -- plain
check "announce: the log and every file, one line each" diff <(sed 's/^thag_profiler: //' "$d/stderr" | sort) \
    <( (echo "debug log: $(ls "$d"/thag_profiler-hostile-*.log)"; ls "$d" | grep '^hostile-' | sed 's|^|wrote ./|') | sort)

