# lua5.4 (Debian source package lua5.4): an interpreter, a library (liblua.a)
# and two programs (lua, luac); upstream's plain Makefile (`make linux`,
# user additions in MYCFLAGS / MYLIBS as its Makefile says). Debian's patches
# replace that build system by one driven by debian/rules (libtool, a C++
# copy of the library), so the upstream tree is used: dpkg-source
# --skip-patches. Sourced by tests/realcode/run.sh.
# Workload: tests/realcode/workload.lua (calls, tables, sort, strings,
# patterns, coroutines, load, the collector), deterministic output.
LUA_SCRIPT=$HERE/workload.lua
LUA5_4_UNPACK_OPTS=--skip-patches

lua_build() {
    local d=$1 kind=$2 log=$3 impl
    case $kind in
    plain) (cd "$d" && make -j"$JOBS" linux) ;;
    inst)  (cd "$d" && make -j"$JOBS" linux MYCFLAGS="$PROF_CPPFLAGS" MYLIBS="$PROF_LIBS") ;;
    auto)  impl=$(auto_impl) || return 1
           (cd "$d" && make -j"$JOBS" linux MYCFLAGS="-finstrument-functions $PROF_CPPFLAGS" MYLIBS="$impl $PROF_LIBS") ;;
    esac > "$log" 2>&1
}

lua_run() {
    local bin=$1 od=$2; shift 2
    rm -rf "$od"; mkdir -p "$od/prof"
    (cd "$od" && THAG_PROFILER="time,$od/prof" timeout -s KILL 120 /usr/bin/time -o "$od/time" -f '%e %U %S %M' \
        "$@" "$bin" "$LUA_SCRIPT" > "$od/output" 2> "$od/stderr"; echo $? > "$od/rc")
}

lua_same_output() {
    local name=$1 od=$2 plain=$3
    check "$name: exit 0" eq "$(cat "$od/rc")" 0
    check "$name: same output as the plain build" diff "$plain/output" "$od/output"
}

lua_profile() {
    local name=$1 prof=$2 f
    f=$(prim "$prof") || { bad "$name: one time profile written at exit" "$(ls -la "$prof")"; return 1; }
    ok "$name: one time profile written at exit"
    check "$name: main is the only root" roots_only "$f" main
    check "$name: the script runs in luaV_execute under pmain" stack_has "$f" '^main;(.*;)?pmain;(.*;)?luaV_execute[; ]'
    check "$name: table.sort's auxsort under luaV_execute" stack_has "$f" ';luaV_execute;(.*;)?auxsort[; ]'
    check "$name: load() parses with luaY_parser" stack_has "$f" ';luaY_parser[; ]'
    check "$name: collectgarbage() runs luaC_fullgc" stack_has "$f" ';luaC_fullgc[; ]'
}

project_lua5.4() {
    local r=$RC/lua5.4 srcs
    variant lua5.4 plain
    if ! lua_build "$r/plain" plain "$r/plain.log"; then bad "lua5.4: plain build" "$(tail -20 "$r/plain.log")"; return; fi
    ok "lua5.4: plain build"
    # The programs' sources: every src/*.o of `make linux` (liblua.a, lua, luac).
    srcs=$(cd "$r/plain" && ls src/*.o | sed 's/\.o$/.c/')
    record "lua5.4 sources $(echo $srcs | wc -w)"
    lua_run "$r/plain/src/lua" "$r/run-plain"
    check "lua5.4 plain: exit 0" eq "$(cat "$r/run-plain/rc")" 0
    record "lua5.4 plain $(sumtimes "$r/run-plain/time") 0 0"

    variant lua5.4 inst
    check "lua5.4: thag-instrument every source file of the programs" instrument_tree "$r/inst" $srcs
    check "lua5.4: every function of the program is profiled (nm of the plain objects)" covered lua5.4 "$r/plain" "$r/inst" "src/*.o" "$srcs"
    record "lua5.4 profiled_functions $(cat $(printf "$r/inst/%s " $srcs) | grep -c 'THAG_PROFILE(.*thag-instrument')"
    if lua_build "$r/inst" inst "$r/inst.log"; then
        ok "lua5.4: instrumented build with its own flags"
        check "lua5.4: thag_profiler.h adds no warning under the project's flags" no_header_warning "$r/inst.log"
        lua_run "$r/inst/src/lua" "$r/run-inst"
        lua_same_output "lua5.4 instrumented" "$r/run-inst" "$r/run-plain"
        lua_profile "lua5.4 instrumented" "$r/run-inst/prof"
        record "lua5.4 instrumented $(sumtimes "$r/run-inst/time") $(dir_bytes "$r/run-inst/prof") $(timeline_bytes "$r/run-inst/prof")"
        graphs "lua5.4 instrumented" "$r/run-inst/prof" "$r/run-inst" luaV_execute
        bounds "lua5.4 instrumented" "$r/run-inst/prof" "$(cut -d' ' -f4 < "$r/run-plain/time")" \
            "$(cut -d' ' -f4 < "$r/run-inst/time")" 1
        THAG_TIMELINE_EVENTS=0 lua_run "$r/inst/src/lua" "$r/run-inst-notl"
        lua_same_output "lua5.4 instrumented, no timeline" "$r/run-inst-notl" "$r/run-plain"
        record "lua5.4 instrumented,THAG_TIMELINE_EVENTS=0 $(sumtimes "$r/run-inst-notl/time") $(dir_bytes "$r/run-inst-notl/prof") 0"
    else
        bad "lua5.4: instrumented build with its own flags" "$(grep -E ': error:' "$r/inst.log" | head)"
    fi
    check "lua5.4: thag-remove restores every source byte for byte" restored "$r/inst" "$r/pristine" $srcs

    variant lua5.4 auto
    if lua_build "$r/auto" auto "$r/auto.log"; then
        ok "lua5.4: automatic-mode build (-finstrument-functions)"
        lua_run "$r/auto/src/lua" "$r/run-auto"
        lua_same_output "lua5.4 automatic" "$r/run-auto" "$r/run-plain"
        lua_profile "lua5.4 automatic" "$r/run-auto/prof"
        record "lua5.4 automatic $(sumtimes "$r/run-auto/time") $(dir_bytes "$r/run-auto/prof") $(timeline_bytes "$r/run-auto/prof")"
        graphs "lua5.4 automatic" "$r/run-auto/prof" "$r/run-auto" luaV_execute
    else
        bad "lua5.4: automatic-mode build (-finstrument-functions)" "$(grep -E ': error:' "$r/auto.log" | head)"
    fi

    lua_run "$r/plain/src/lua" "$r/run-thagrun" "$TRUN" -q -d "$r/run-thagrun/run" --
    lua_same_output "lua5.4 thag-run" "$r/run-thagrun" "$r/run-plain"
    check "lua5.4 thag-run: report of one process" grep -q '1 process, exit status 0' "$r/run-thagrun/run/report.txt"
    check "lua5.4 thag-run: the interpreter's allocation sites" grep -Eq ' (l_alloc|luaM_malloc_|luaM_realloc_)$' "$r/run-thagrun/run/report.txt"
    record "lua5.4 thag-run $(sumtimes "$r/run-thagrun/time") $(dir_bytes "$r/run-thagrun/run") 0"
}
