#!/bin/bash
# The strict suite: thag_profiler.h adds no warning to a project's strict
# build. Compiles the programs of tests/strict/ (a user file with every public
# macro, the implementation file, a file that defines feature-test macros
# after the include, both in one file) with -Werror under a strict warning
# set, in every build mode (off, time, full, static, auto), gcc and clang,
# C99 to C2x (strict ISO and GNU), C++11 to C++20; checks the enabled and
# disabled macro lists against each other and against user.c, the
# stb_sprintf lookup (three places and the #error), the #error of a late
# implementation include under -std=cNN, and that the disabled macros of
# user.c cost no code. Compile-only (-fsyntax-only) where linking adds
# nothing; two jobs at a time (JOBS=n to change). Prints "strict: N passed,
# M failed" (VERBOSE=1 lists every check).
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
T=tests/strict
JOBS=${JOBS:-2}

CWARN="-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wredundant-decls -Wnested-externs
 -Wdeclaration-after-statement -Wstrict-prototypes -Wmissing-prototypes -Wundef -Wcast-qual -Wcast-align
 -Wswitch-enum -Wformat=2 -Wwrite-strings -Wvla -Wc++-compat -Wstrict-aliasing=1 -Werror"
XWARN="-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wredundant-decls -Wundef -Wcast-qual
 -Wcast-align -Wswitch-enum -Wformat=2 -Wwrite-strings -Wvla -Wold-style-cast -Wzero-as-null-pointer-constant -Werror"
CWARN=$(echo $CWARN); XWARN=$(echo $XWARN)

# mode NAME: the build switches of a mode.
mode() {
    case $1 in
    off) echo "";;
    off0) echo "-DTHAG_TIME_PROFILING=0";;
    time) echo "-DTHAG_TIME_PROFILING";;
    full) echo "-DTHAG_FULL_PROFILING";;
    static) echo "-DTHAG_FULL_PROFILING -DTHAG_PROFILER_STATIC";;
    auto) echo "-DTHAG_TIME_PROFILING -DTHAG_AUTO_INSTRUMENT -finstrument-functions";;
    esac
}

# --- the job list: one line per compilation, "name<TAB>expect<TAB>command";
# expect is "ok" (status 0, no output at all), "error:TEXT" (fails, and
# its output contains TEXT) or "dep:FILE" (a -M run that lists FILE).
J="$TMPROOT/jobs"; mkdir -p "$J"
n=0
job() { n=$((n + 1)); printf '%s\t%s\t%s\n' "$1" "$2" "$3" > "$J/$n.job"; }

for cc in gcc clang; do
    for std in c99 gnu99 c11 gnu11 c17 gnu17 c2x gnu2x; do
        for m in off time full static auto; do
            # A user file alone cannot use the static mode (the functions are
            # static in the implementation file); both in one file, some standards.
            files="impl"; [ $m = static ] || files="user ftm $files"
            case $std in c99|gnu11|c2x) files="$files onefile";; esac
            for f in $files; do
                job "$f.c ($cc -std=$std, $m)" ok "$cc -std=$std $CWARN $(mode $m) -I. -fsyntax-only $T/$f.c"
            done
        done
        # The implementation after a system header: fine under GNU, a clear #error under ISO C.
        case $std in
        gnu*) job "implementation after <stdio.h> ($cc -std=$std)" ok \
                  "$cc -std=$std $CWARN -DTHAG_FULL_PROFILING -DSTRICT_LATE -I. -fsyntax-only $T/impl.c";;
        *) job "implementation after <stdio.h>: #error ($cc -std=$std)" "error:before any system header" \
               "$cc -std=$std $CWARN -DTHAG_FULL_PROFILING -DSTRICT_LATE -I. -fsyntax-only $T/impl.c";;
        esac
    done
    for std in c11 gnu11; do
        job "impl.c, the project's own -D_GNU_SOURCE ($cc -std=$std, full)" ok \
            "$cc -std=$std $CWARN -D_GNU_SOURCE -DSTRICT_USER_GNU $(mode full) -I. -fsyntax-only $T/impl.c"
    done
    job "user.c ($cc -std=c99, off0)" ok "$cc -std=c99 $CWARN $(mode off0) -I. -fsyntax-only $T/user.c"
    # Optimised builds: the warnings of the middle end (GCC's -Wstringop-*, -Wformat-truncation...).
    for m in time full auto; do
        job "impl.c optimised ($cc -O2 -std=c99, $m)" ok "$cc -O2 -std=c99 $CWARN $(mode $m) -I. -c $T/impl.c -o /dev/null"
    done
    job "onefile.c optimised ($cc -O2 -std=gnu17, full)" ok "$cc -O2 -std=gnu17 $CWARN $(mode full) -I. -c $T/onefile.c -o /dev/null"
done
for cxx in g++ clang++; do
    extra=""; [ $cxx = g++ ] && extra="-Wuseless-cast"
    for std in c++11 c++14 c++17 c++20; do
        for m in off time full static auto; do
            files=""; [ $m = static ] || files="user"
            case $std in c++11|c++20) files="$files impl onefile";; esac
            for f in $files; do
                job "$f.c as C++ ($cxx -std=$std, $m)" ok "$cxx -x c++ -std=$std $XWARN $extra $(mode $m) -I. -fsyntax-only $T/$f.c"
            done
        done
    done
    job "onefile.c as C++ optimised ($cxx -O2, full)" ok "$cxx -x c++ -O2 -std=c++17 $XWARN $extra $(mode full) -I. -c $T/onefile.c -o /dev/null"
done

# --- stb_sprintf: a copy of the system include tree without stb/ stands for a
# machine without Debian's libstb-dev; the header then takes <stb_sprintf.h>
# (vcpkg, Conan) or THAG_STB_SPRINTF_H, and says what to install otherwise.
STB=/usr/include/stb/stb_sprintf.h
if [ -f $STB ]; then
    inc="$TMPROOT/include"; mkdir -p "$inc" "$TMPROOT/plain" "$TMPROOT/custom"
    for e in /usr/include/*; do [ "$e" = /usr/include/stb ] || ln -s "$e" "$inc/"; done
    cp $STB "$TMPROOT/plain/stb_sprintf.h"; cp $STB "$TMPROOT/custom/my_sprintf.h"
    for cc in gcc clang; do
        # the compiler's own search list, with /usr/include replaced by the copy
        sys=$($cc -xc -E -v /dev/null 2>&1 | sed -n '/search starts here:/,/End of search/p' | sed -n 's/^ \(\/.*\)/\1/p' |
              sed "s|^/usr/include\$|$inc|" | sed 's/^/-isystem /' | tr '\n' ' ')
        base="$cc -std=c11 $CWARN -DTHAG_TIME_PROFILING -I. -nostdinc $sys"
        job "stb_sprintf from <stb/stb_sprintf.h> ($cc)" "dep:$STB" "$cc -std=c11 $CWARN -DTHAG_TIME_PROFILING -I. -M $T/impl.c"
        job "stb_sprintf from <stb_sprintf.h> ($cc)" "dep:$TMPROOT/plain/stb_sprintf.h" "$base -I$TMPROOT/plain -M $T/impl.c"
        job "stb_sprintf from <stb_sprintf.h>, no warning ($cc)" ok "$base -I$TMPROOT/plain -fsyntax-only $T/impl.c"
        job "stb_sprintf from THAG_STB_SPRINTF_H ($cc)" "dep:$TMPROOT/custom/my_sprintf.h" \
            "$base -DTHAG_STB_SPRINTF_H='\"$TMPROOT/custom/my_sprintf.h\"' -M $T/impl.c"
        job "stb_sprintf from THAG_STB_SPRINTF_H, no warning ($cc)" ok \
            "$base -DTHAG_STB_SPRINTF_H='\"$TMPROOT/custom/my_sprintf.h\"' -fsyntax-only $T/impl.c"
        job "stb_sprintf missing: #error names the package ($cc)" "error:install libstb-dev" "$base -fsyntax-only $T/impl.c"
    done
else bad "stb_sprintf checks need $STB (libstb-dev)"; fi

# --- run the jobs, JOBS at a time
ls "$J"/*.job | xargs -P "$JOBS" -n 1 bash -c '
    IFS=$(printf "\t") read -r name expect cmd < "$0"
    eval "$cmd" > "${0%.job}.out" 2>&1; echo $? > "${0%.job}.rc"'
for f in $(ls "$J" | grep '\.job$' | sort -n); do
    f="$J/$f"
    IFS=$'\t' read -r name expect cmd < "$f"
    out="${f%.job}.out"; rc=$(cat "${f%.job}.rc" 2>/dev/null || echo none)
    case $expect in
    ok) [ "$rc" = 0 ] && [ ! -s "$out" ] && ok "$name" || bad "$name" "$cmd
$(head -c 3000 "$out")";;
    error:*) [ "$rc" != 0 ] && grep -qF "${expect#error:}" "$out" && ok "$name" || bad "$name" "$cmd
status $rc; want an error with: ${expect#error:}
$(head -c 3000 "$out")";;
    dep:*) [ "$rc" = 0 ] && tr -d '\\\n' < "$out" | tr ' ' '\n' | grep -qxF "${expect#dep:}" && ok "$name" || bad "$name" "$cmd
status $rc; want a dependency on ${expect#dep:}
$(head -c 3000 "$out")";;
    esac
done

# --- the public macros: the enabled and disabled lists are the same, and
# user.c uses every one (Tracy's lists drifted apart unnoticed).
decls=$(sed -n '/^#ifndef THAG_PROFILER_H/,/^#endif \/\* THAG_PROFILER_H/p' thag_profiler.h)
on=$(echo "$decls" | sed -n '/^#if THAG__ENABLED/,/^#else \/\* !THAG__ENABLED/p' | sed -n 's/^#define \(THAG_[A-Z][A-Z_]*\)(.*/\1/p' | sort -u)
off=$(echo "$decls" | sed -n '/^#else \/\* !THAG__ENABLED/,/^#endif \/\* THAG__ENABLED/p' | sed -n 's/^#define \(THAG_[A-Z][A-Z_]*\)(.*/\1/p' | sort -u)
check "enabled and disabled macro lists are equal" diff <(echo "$on") <(echo "$off")
check "at least 14 public macros found" test "$(echo "$on" | wc -l)" -ge 14
for mac in $on; do
    grep -q "\b$mac(" $T/user.c && ok "user.c uses $mac" || bad "user.c does not use $mac"
done

# --- zero cost: the disabled macros of user.c (handles only named inside
# sizeof, typedefs instead of guards) generate no code.
for cc in gcc clang; do for opt in -O0 -O2; do
    check "user.c: zero cost when off ($cc $opt)" zero_cost $cc $opt $T/user.c
done; done

# --- linked and run: the one-file program under strict ISO C (the header's
# own _GNU_SOURCE for its includes), and the feature-test file with the
# implementation linked in.
for cc in gcc clang; do
    bin="$TMPROOT/onefile-$cc"
    if $cc -std=c99 -O1 $CWARN -DTHAG_TIME_PROFILING -I. $T/onefile.c -o "$bin" -pthread 2>"$bin.err"; then
        rc=$(run_in "$TMPROOT/run-$cc" "$bin")
        check "onefile.c -std=c99 runs ($cc)" test "$rc" = 0
        check "onefile.c -std=c99 wrote its profile ($cc)" bash -c "grep -q '^main;with_sections;outer' $TMPROOT/run-$cc/*-calls.folded"
    else bad "onefile.c -std=c99 build ($cc)" "$(cat "$bin.err")"; fi
done

summary strict
