# memcached (Debian source package memcached): a server with an event loop
# (libevent), worker threads and maintenance threads; autotools. Sourced by
# tests/realcode/run.sh.
# Workload: tests/realcode/mcclient.py, MC_CONNS connections in parallel, each
# MC_N set + MC_N get over TCP, then the ascii "shutdown" command (-A), which
# makes memcached leave its event loop and return from main: the profile is
# written then. A second run stops the server with SIGTERM instead (memcached
# catches it and also returns from main).
MC_N=${MC_N:-1000}
MC_CONNS=${MC_CONNS:-4}
# memcached names every thread it starts (thread_setname: pthread_setname_np
# from the creating thread, right after pthread_create): no thread-N root.
MC_ROOTS='main|mc-[a-z-]+'
MC_WORKER='^mc-worker;worker_libevent;event_handler;drive_machine;'

# mc_build DIR KIND LOG: configure and make, as a user would for each kind.
mc_build() {
    local d=$1 kind=$2 log=$3 impl
    case $kind in
    plain) (cd "$d" && ./configure -q --disable-dependency-tracking && make -j"$JOBS" memcached) ;;
    inst)  (cd "$d" && ./configure -q --disable-dependency-tracking CPPFLAGS="$PROF_CPPFLAGS" LIBS="$PROF_LIBS" &&
                make -j"$JOBS" memcached) ;;
    # Diagnostic only, after the build with the project's flags failed: the
    # same with its -Werror turned off, so that the later checks still run.
    inst-nowerror) (cd "$d" && make -j"$JOBS" memcached CFLAGS="$(sed -n 's/^CFLAGS = //p' Makefile) -Wno-error") ;;
    auto)  impl=$(auto_impl) || return 1
           (cd "$d" && ./configure -q --disable-dependency-tracking CC="$CC -finstrument-functions" \
                CPPFLAGS="$PROF_CPPFLAGS" LIBS="$impl $PROF_LIBS" && make -j"$JOBS" memcached) ;;
    esac > "$log" 2>&1
}

# mc_run BIN OUT [WRAPPER...]: the server (under WRAPPER) and the client;
# OUT/output is the client's report, OUT/*.rc the statuses, OUT/time the
# server's times, OUT/threads its thread count during the workload.
mc_run() {
    local bin=$1 od=$2 port spid i; shift 2
    rm -rf "$od"; mkdir -p "$od/prof"
    port=$(free_port)
    local user=(); [ "$(id -u)" = 0 ] && user=(-u root)
    THAG_PROFILER="time,$od/prof" timeout -s KILL 120 /usr/bin/time -o "$od/time" -f '%e %U %S %M' \
        "$@" "$bin" -A "${user[@]}" -l 127.0.0.1 -p "$port" -U 0 -t 4 -P "$od/pid" \
        > "$od/server.out" 2> "$od/server.err" &
    spid=$!
    python3 "$HERE/mcclient.py" "$port" "$MC_N" "$MC_CONNS" > "$od/output" 2> "$od/client.err"
    echo $? > "$od/client.rc"
    awk '/^Threads:/ {print $2}' "/proc/$(cat "$od/pid" 2>/dev/null)/status" > "$od/threads" 2>/dev/null
    if [ "${MC_STOP:-shutdown}" = shutdown ]; then
        python3 "$HERE/mcclient.py" "$port" 0 0 --shutdown >> "$od/client.err" 2>&1
    else
        kill -TERM "$(cat "$od/pid")"
    fi
    # a server that does not stop is a failure, not a hang: 30 s, then killed
    local i=0
    while kill -0 "$spid" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    if kill -0 "$spid" 2>/dev/null; then
        echo "realcode: memcached did not stop within 30 s: killed" >&2
        kill -KILL "$(cat "$od/pid" 2>/dev/null)" "$spid" 2>/dev/null
    fi
    wait "$spid"; echo $? > "$od/server.rc"
}

# mc_profile NAME PROFDIR: the checks of a time profile of the workload.
mc_profile() {
    local name=$1 prof=$2 f n=$((MC_N * MC_CONNS))
    f=$(prim "$prof") || { bad "$name: one time profile written at exit" "$(ls -la "$prof")"; return 1; }
    ok "$name: one time profile written at exit"
    check "$name: main's own stacks" stack_has "$f" '^main;(server_sockets|memcached_thread_init|slabs_init) '
    check "$name: worker stacks reach process_update_command" stack_has "$f" "$MC_WORKER.*process_update_command"
    check "$name: worker stacks reach process_get_command" stack_has "$f" "$MC_WORKER.*process_get_command"
    f=$(one "$prof/*-calls.folded") || { bad "$name: calls file"; return 1; }
    # the calls file has every stack (the time file leaves out zero-time ones)
    check "$name: roots are main and memcached's thread names (mc-*)" roots_only "$f" "$MC_ROOTS"
    check "$name: process_update_command called once per set ($n)" eq "$(calls_of "$f" process_update_command)" "$n"
    check "$name: process_get_command called once per get ($n)" eq "$(calls_of "$f" process_get_command)" "$n"
}

mc_same_output() {
    local name=$1 od=$2 plain=$3
    check "$name: client got every reply" eq "$(cat "$od/client.rc")" 0
    check "$name: server returned 0 from main" eq "$(cat "$od/server.rc")" 0
    check "$name: same client output as the plain build" diff "$plain/output" "$od/output"
}

project_memcached() {
    local r=$RC/memcached srcs impl pt
    # plain: the reference
    variant memcached plain
    if ! mc_build "$r/plain" plain "$r/plain.log"; then bad "memcached: plain build" "$(tail -20 "$r/plain.log")"; return; fi
    ok "memcached: plain build"
    # The program's sources: one object memcached-X.o per X.c (automake).
    srcs=$(cd "$r/plain" && ls memcached-*.o | sed 's/^memcached-//; s/\.o$/.c/' | sort)
    record "memcached sources $(echo $srcs | wc -w)"
    mc_run "$r/plain/memcached" "$r/run-plain"
    check "memcached plain: client got every reply" eq "$(cat "$r/run-plain/client.rc")" 0
    check "memcached plain: server returned 0" eq "$(cat "$r/run-plain/server.rc")" 0
    record "memcached plain $(sumtimes "$r/run-plain/time") 0 0"
    pt=$(sumtimes "$r/run-plain/time")

    # thag-instrument, build with the project's flags
    variant memcached inst
    check "memcached: thag-instrument every source file of the program" instrument_tree "$r/inst" $srcs
    check "memcached: every function of the program is profiled (nm of the plain objects)" covered memcached "$r/plain" "$r/inst" "memcached-*.o" "$srcs"
    record "memcached profiled_functions $(cat $(printf "$r/inst/%s " $srcs) | grep -c 'THAG_PROFILE(.*thag-instrument')"
    if mc_build "$r/inst" inst "$r/inst.log"; then
        ok "memcached: instrumented build with its own flags (-Werror -pedantic -Wmissing-prototypes -Wmissing-declarations -Wredundant-decls)"
    else
        bad "memcached: instrumented build with its own flags (-Werror -pedantic -Wmissing-prototypes -Wmissing-declarations -Wredundant-decls)" \
            "$(grep -E ': (error|warning):' "$r/inst.log" | head -8)"
        mc_build "$r/inst" inst-nowerror "$r/inst-nowerror.log" ||
            { bad "memcached: instrumented build with -Wno-error (diagnostic)" "$(tail -20 "$r/inst-nowerror.log")"; return; }
        echo "memcached: continuing with the -Wno-error build (diagnostic)"
    fi
    check "memcached: thag_profiler.h adds no warning under the project's flags" no_header_warning "$r/inst.log"
    mc_run "$r/inst/memcached" "$r/run-inst"
    mc_same_output "memcached instrumented" "$r/run-inst" "$r/run-plain"
    mc_profile "memcached instrumented" "$r/run-inst/prof"
    record "memcached instrumented $(sumtimes "$r/run-inst/time") $(dir_bytes "$r/run-inst/prof") $(timeline_bytes "$r/run-inst/prof")"
    graphs "memcached instrumented" "$r/run-inst/prof" "$r/run-inst" drive_machine
    bounds "memcached instrumented" "$r/run-inst/prof" "$(echo "$pt" | cut -d' ' -f4)" \
        "$(cut -d' ' -f4 < "$r/run-inst/time")" "$(cat "$r/run-inst/threads" 2>/dev/null || echo 12)"
    # the cost of the scopes alone: the same run without the timeline
    THAG_TIMELINE_EVENTS=0 mc_run "$r/inst/memcached" "$r/run-inst-notl"
    mc_same_output "memcached instrumented, no timeline" "$r/run-inst-notl" "$r/run-plain"
    record "memcached instrumented,THAG_TIMELINE_EVENTS=0 $(sumtimes "$r/run-inst-notl/time") $(dir_bytes "$r/run-inst-notl/prof") 0"
    # the same binary stopped by SIGTERM (memcached catches it and returns from main)
    MC_STOP=term MC_N=200 mc_run "$r/inst/memcached" "$r/run-term"
    check "memcached SIGTERM: server returned 0" eq "$(cat "$r/run-term/server.rc")" 0
    check "memcached SIGTERM: profile written" bash -c "ls '$r/run-term/prof/'*[0-9].folded"
    check "memcached SIGTERM: gets counted" eq "$(calls_of "$(one "$r/run-term/prof/*-calls.folded")" process_get_command)" $((200 * MC_CONNS))
    # thag-remove restores every file
    check "memcached: thag-remove restores every source byte for byte" restored "$r/inst" "$r/pristine" $srcs

    # automatic mode
    variant memcached auto
    if mc_build "$r/auto" auto "$r/auto.log"; then
        ok "memcached: automatic-mode build (-finstrument-functions)"
        mc_run "$r/auto/memcached" "$r/run-auto"
        mc_same_output "memcached automatic" "$r/run-auto" "$r/run-plain"
        mc_profile "memcached automatic" "$r/run-auto/prof"
        record "memcached automatic $(sumtimes "$r/run-auto/time") $(dir_bytes "$r/run-auto/prof") $(timeline_bytes "$r/run-auto/prof")"
        graphs "memcached automatic" "$r/run-auto/prof" "$r/run-auto" drive_machine
    else
        bad "memcached: automatic-mode build (-finstrument-functions)" "$(grep -E ': error:' "$r/auto.log" | head)"
    fi

    # thag-run: memory of the unmodified plain build
    mc_run "$r/plain/memcached" "$r/run-thagrun" "$TRUN" -q -d "$r/run-thagrun/run" --
    mc_same_output "memcached thag-run" "$r/run-thagrun" "$r/run-plain"
    check "memcached thag-run: report of one process" grep -q '1 process, exit status 0' "$r/run-thagrun/run/report.txt"
    check "memcached thag-run: memcached's allocation sites" grep -Eq ' (conn_new|memory_allocate|memcached_thread_init)$' "$r/run-thagrun/run/report.txt"
    record "memcached thag-run $(sumtimes "$r/run-thagrun/time") $(dir_bytes "$r/run-thagrun/run") 0"
}
