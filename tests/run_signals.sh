# THAG_SIGNALS: a profiled program stopped by SIGINT or SIGTERM writes its
# profile and dies by the signal (the same status as without the
# profiler); a handler of its own keeps working; THAG_SIGNALS=false and a
# malformed value. Sourced by tests/run.sh (uses its helpers).
S="$TMPROOT/sigloop"
build sigloop "$S" gcc -O2 -DTHAG_TIME_PROFILING && ok || bad "build sigloop" "$(cat "$S.err")"
build sigloop "$S-off" gcc -O2 || bad "build sigloop (off)" "$(cat "$S-off.err")"

# A program started in the background by a script may begin with SIGINT and
# SIGQUIT ignored (bash does so for background jobs without job control, and
# a harness may hand ignored signals down); the profiler leaves an ignored
# signal alone, as the program would, so the programs here start with the
# default actions, whatever this shell was given.
DEFSIG=(env --default-signal=HUP,INT,QUIT,TERM)

# reap PID: sets REAPED to its exit status; a program still running after
# 60 s is killed and REAPED is "hung" (a failed check, never a hung suite).
reap() {
    local i
    for i in $(seq 1 600); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$1" 2>/dev/null; then kill -KILL "$1"; wait "$1"; REAPED=hung; return; fi
    wait "$1"; REAPED=$?
}

# sig_run DIR BIN SIGNAL [ARG] [ENV...]: starts BIN in DIR, waits for "ready",
# sends SIGNAL, echoes the exit status as the shell sees it.
sig_run() {
    local d=$1 bin=$2 sig=$3 arg=${4:-}; shift 4
    local pid i
    rm -rf "$d"; mkdir -p "$d"
    (cd "$d" && exec "${DEFSIG[@]}" THAG_PROFILER="time,$d" "$@" "$bin" $arg >"$d/stdout" 2>"$d/stderr") &
    pid=$!
    for i in $(seq 1 500); do grep -q ready "$d/stdout" 2>/dev/null && break; sleep 0.02; done
    kill -"$sig" "$pid"
    reap "$pid"
    echo "$REAPED"
}

for sig in INT TERM; do
    want=$(sig_run "$TMPROOT/sig-off-$sig" "$S-off" "$sig" "")
    rc=$(sig_run "$TMPROOT/sig-$sig" "$S" "$sig" "")
    check "SIG$sig: the status is the one without the profiler ($want)" test "$rc" = "$want" -a "$rc" -gt 128
    check "SIG$sig: the profile is written" bash -c "grep -q '^main;step [0-9]' $TMPROOT/sig-$sig/*-calls.folded"
    check "SIG$sig: every file is complete" test "$(profiles "$TMPROOT/sig-$sig")" = 4 -a -z "$(ls "$TMPROOT/sig-$sig" | grep tmp)"
    check "SIG$sig: nothing on stderr" test ! -s "$TMPROOT/sig-$sig/stderr"
done
rc=$(sig_run "$TMPROOT/sig-list" "$S" HUP "" THAG_SIGNALS=sighup,Term)
check "THAG_SIGNALS=sighup,Term: SIGHUP writes the profile" bash -c "test '$rc' = 129 && ls $TMPROOT/sig-list/*-calls.folded"
rc=$(sig_run "$TMPROOT/sig-own" "$S" INT own)
check "a handler of the program's keeps working" bash -c "test '$rc' = 0 && grep -q 'own handler' $TMPROOT/sig-own/stdout"
check "... and the profile is written at the end of main" bash -c "grep -q '^main;step [0-9]' $TMPROOT/sig-own/*-calls.folded"
rc=$(sig_run "$TMPROOT/sig-false" "$S" TERM "" THAG_SIGNALS=false)
check "THAG_SIGNALS=false: killed without a profile" bash -c "test '$rc' = 143 && test $(profiles "$TMPROOT/sig-false") = 0"
rc=$(sig_run "$TMPROOT/sig-bad" "$S" TERM "" THAG_SIGNALS=INT,KILLME)
check "THAG_SIGNALS malformed: one clear message" \
    bash -c "test '$rc' = 143 && grep -q 'THAG_SIGNALS=\"INT,KILLME\" is malformed' $TMPROOT/sig-bad/stderr && test \$(wc -l < $TMPROOT/sig-bad/stderr) = 1"

# The libuv example, a server with an event loop and a thread pool, stopped
# in the middle of a long run.
U="$TMPROOT/uvserver"
if gcc -O2 $WARN -DTHAG_TIME_PROFILING -I. examples/uvserver.c -o "$U" -pthread -luv 2>"$U.err"; then
    for sig in INT TERM; do
        d="$TMPROOT/sig-uv-$sig"; mkdir -p "$d"
        (cd "$d" && exec "${DEFSIG[@]}" THAG_PROFILER="time,$d" "$U" 4 100000000 >"$d/stdout" 2>"$d/stderr") & pid=$!
        for i in $(seq 1 500); do [ -e "$d"/*-calls.folded ] 2>/dev/null && break; kill -0 $pid 2>/dev/null || break
            sleep 0.1; [ "$i" -ge 5 ] && { kill -"$sig" $pid; break; }; done
        reap $pid; rc=$REAPED
        want=$(( 128 + $(kill -l "$sig") ))
        check "uvserver, SIG$sig: dies by the signal ($want)" test "$rc" = "$want"
        check "uvserver, SIG$sig: tasks in the profile" bash -c "grep -q '^main;uv_run;conn;on_read' $d/*-calls.folded"
    done
else bad "build uvserver" "$(cat "$U.err")"; fi
