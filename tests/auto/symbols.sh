# Symbolisation checks; sourced by tests/auto/run.sh (uses its helpers).

# Not a PIE: no load bias.
if build_auto "$T/nopie" gcc -O2 -no-pie -fno-pie; then
    rc=$(runs "$T/nopie-out" "$T/nopie")
    check "symbols: non-PIE program" same_calls "$T/nopie-out" "$HERE/autoprog.expected"
else bad "build non-PIE" "$(cat "$T/nopie.err")"; fi

# A shared library's functions, static ones included (its own .symtab).
if gcc -O2 -g $AUTO $STRICT -fPIC -shared $APP/stats.c -o "$T/libstats.so" 2> "$T/so.err" &&
    gcc -O2 -g $AUTO -I. -Wall -Wextra -Werror -c "$APP/thag_impl.c" -o "$T/so-impl.o" 2>> "$T/so.err" &&
    gcc -O2 $AUTO $APP/main.c $APP/words.c $APP/report.c "$T/so-impl.o" -L"$T" -lstats -Wl,-rpath,"$T" \
        -o "$T/so-app" -pthread 2>> "$T/so.err"; then
    rc=$(runs "$T/so-out" "$T/so-app")
    check "symbols: functions of a shared library, static ones too" same_calls "$T/so-out" "$HERE/autoprog.expected"
else bad "build with a shared library" "$(cat "$T/so.err")"; fi

# Stripped: no .symtab. With -rdynamic the exported functions are still
# named from .dynsym; the others (and everything without -rdynamic) become
# <program>+0x<offset>, never a crash or an empty frame.
stripped_names() { # DIR PROGRAM: every frame is a name or PROGRAM+0x<hex>
    local bad_frames
    bad_frames=$(calls "$1" | sed 's/ [0-9]*$//' | tr ';' '\n' | sort -u |
        grep -Ev "^($2\+0x[0-9a-f]+|main|fib|count_words|report|apply|square)$")
    [ -z "$bad_frames" ] || { echo "unexpected frames: $bad_frames"; return 1; }
}
if build_auto "$T/strip-dyn" gcc -O2 -rdynamic && strip "$T/strip-dyn"; then
    rc=$(runs "$T/strip-dyn-out" "$T/strip-dyn")
    check "symbols: stripped, -rdynamic: exported names kept" \
        grep -qx 'main;fib;fib 2' <(calls "$T/strip-dyn-out")
    check "symbols: stripped, -rdynamic: static functions as program+offset" \
        grep -qE '^main;count_words;strip-dyn\+0x[0-9a-f]+ 43$' <(calls "$T/strip-dyn-out")
    check "symbols: stripped, -rdynamic: only names and offsets" stripped_names "$T/strip-dyn-out" strip-dyn
else bad "build stripped -rdynamic" "$(cat "$T/strip-dyn.err")"; fi
# named NM_OF_PROGRAM PROGRAM: the calls with PROGRAM+0x<off> replaced by
# the names nm gives for those offsets in the unstripped copy.
named() {
    nm "$1" | awk -v p="$2" '$2 ~ /^[tT]$/ { a = $1; sub(/^0+/, "", a); print "s/" p "\\+0x" a "( |;|$)/" $3 "\\1/g" }' > "$T/names.sed"
    calls "$T/strip-out" | sed -E -f "$T/names.sed" | sed -E -f "$T/names.sed" | sort
}
if build_auto "$T/strip" gcc -O2 && cp "$T/strip" "$T/strip.full" && strip "$T/strip"; then
    rc=$(runs "$T/strip-out" "$T/strip")
    check "symbols: stripped: program+offset frames, at the functions' offsets" \
        diff <(named "$T/strip.full" strip) <(sort "$HERE/autoprog.expected")
    check "symbols: stripped: only offsets" stripped_names "$T/strip-out" strip
else bad "build stripped" "$(cat "$T/strip.err")"; fi
