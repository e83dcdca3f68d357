#!/bin/bash
# The whole user workflow on real C projects that nobody here wrote, taken
# from Debian source packages (see docs/realcode.md):
#   thag-instrument over every .c file of the program, build with the
#   project's own build system and flags (plus -DTHAG_TIME_PROFILING -I<repo>
#   and -pthread, as a user adds them), the project's workload with the same
#   output as the plain build, the folded files (main as root, the expected
#   functions), flamegraph and flamechart SVGs valid for xmllint, thag-analyze,
#   thag-remove restoring every file byte for byte, automatic mode
#   (-finstrument-functions), and thag-run on the unmodified program; profile
#   sizes, peak RSS and plain/profiled times go to build/realcode/results.txt.
#
# Usage: tests/realcode/run.sh BUILD [PROJECT...]   (default: memcached lz4 lua5.4)
# Environment:
#   THAG_REALCODE_CACHE    downloaded source packages (default ~/.cache/thag-realcode),
#                          kept across `make clean`
#   THAG_REALCODE_MAX_PROFILE_MB   expected bound of one run's profile files (64)
#   MAKE_JOBS              parallel jobs of the projects' builds (2)
set -u
cd "$(dirname "$0")/../.."
REPO=$PWD
BUILD=${1:-build}; shift || true
mkdir -p "$BUILD"; BUILD=$(cd "$BUILD" && pwd)
. tests/lib.sh
HERE=$REPO/tests/realcode
RC=$BUILD/realcode
CACHE=${THAG_REALCODE_CACHE:-$HOME/.cache/thag-realcode}
JOBS=${MAKE_JOBS:-2}
MAX_PROFILE_MB=${THAG_REALCODE_MAX_PROFILE_MB:-64}
TI=$BUILD/thag-instrument TRM=$BUILD/thag-remove FG=$BUILD/flamegraph
TA=$BUILD/thag-analyze TRUN=$BUILD/thag-run
CC=${CC:-cc}
export CC
RESULTS=$RC/results.txt
PROJECTS=${*:-memcached lz4 lua5.4}
# What a user adds to a project's build to profile it.
PROF_CPPFLAGS="-DTHAG_TIME_PROFILING -I$REPO"
PROF_LIBS="-pthread"

mkdir -p "$RC"
for t in "$TI" "$TRM" "$FG" "$TA" "$TRUN" "$BUILD/libthag_preload.so"; do
    [ -x "$t" ] || [ -f "$t" ] || { echo "realcode: $t is missing (make thag-instrument flamegraph thag-analyze thag-run)" >&2; exit 1; }
done
for c in dpkg-source python3 /usr/bin/time make; do
    command -v "$c" >/dev/null || { echo "realcode: $c is missing (scripts/deps.sh mk/realcode.deps)" >&2; exit 1; }
done
HAVE_XMLLINT=0; command -v xmllint >/dev/null && HAVE_XMLLINT=1

# ---------------------------------------------------------------- helpers

# timed TIMEFILE CMD...: runs CMD under /usr/bin/time (wall, user, sys, max RSS in KiB).
timed() { local f=$1; shift; /usr/bin/time -o "$f" -f '%e %U %S %M' "$@"; }

# sumtimes FILE...: wall user sys summed, RSS the maximum.
sumtimes() {
    tail -qn1 "$@" | awk '{w+=$1; u+=$2; s+=$3; if ($4>m) m=$4} END {printf "%.2f %.2f %.2f %d\n", w, u, s, m}'
}

# record PROJECT KEY VALUE...: a line of the results file.
record() { echo "$*" >> "$RESULTS"; }

# prim DIR: the exclusive time file of the single run in DIR.
prim() { one "$1/*[0-9].folded"; }

# stack_has FILE ERE: some stack of FILE matches.
stack_has() { data "$1" | grep -Eq -- "$2" || { echo "no stack matches /$2/ in $1"; data "$1" | head -5; return 1; }; }

# roots_only FILE ERE: every stack's root frame matches ERE.
roots_only() {
    local bad
    bad=$(data "$1" | cut -d';' -f1 | sed 's/ [0-9]*$//' | sort -u | grep -Ev -- "^($2)\$")
    [ -z "$bad" ] || { echo "unexpected root frames in $1:"; echo "$bad" | head; return 1; }
}

# calls_of FILE FUNC: the calls of every stack whose last frame is FUNC.
calls_of() { data "$1" | awk -v f="$2" '{ n = $NF; sub(/ [0-9]+$/, ""); k = split($0, a, ";"); if (a[k] == f) s += n } END { print s + 0 }'; }

# eq A B: A equals B (names the two in the message).
eq() { [ "$1" = "$2" ] || { echo "got '$1', want '$2'"; return 1; }; }

# svg_ok SVG: valid XML (xmllint when installed, else a closing tag).
svg_ok() {
    [ -s "$1" ] || { echo "$1 is empty"; return 1; }
    if [ "$HAVE_XMLLINT" = 1 ]; then xmllint --noout "$1"; else tail -c 20 "$1" | grep -q '</svg>'; fi
}

# no_header_warning LOG: the build log has no diagnostic located in thag_profiler.h.
no_header_warning() {
    local hits
    hits=$(grep -E 'thag_profiler\.h:[0-9]+:[0-9]+: (warning|error)' "$1" | sort | uniq -c)
    [ -z "$hits" ] || { echo "diagnostics in thag_profiler.h under the project's flags:"; echo "$hits" | head; return 1; }
}

# free_port: a TCP port nobody listens on now.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# instrument_tree DIR FILE...: thag-instrument --in-place on each file (relative to DIR).
instrument_tree() {
    local d=$1 f rc=0; shift
    for f in "$@"; do
        (cd "$d" && "$TI" -i "$f") || { echo "thag-instrument failed on $f"; rc=1; }
    done
    return $rc
}

# covered NAME PLAIN INST "OBJS" "SRCS" [SED]: every function the plain build
# defines (nm: T and t symbols of OBJS, clone suffixes removed, then SED, for
# names a macro renames) is profiled under its name in the instrumented SRCS;
# except main (it gets the enable macro) and functions defined in the
# project's headers (the suite instruments .c files; thag-instrument run on
# the headers says which functions they define).
covered() {
    local name=$1 plain=$2 inst=$3 objs=$4 srcs=$5 sedx=${6:-} w=$RC/$1 missing
    (cd "$plain" && nm --defined-only $objs) | awk 'NF == 3 && $2 ~ /^[Tt]$/ {print $3}' |
        sed -e 's/\..*//' ${sedx:+-e "$sedx"} | sort -u > "$w/functions.defined"
    (cd "$inst" && cat $srcs) | grep -o 'THAG_PROFILE([A-Za-z_0-9]*' | sed 's/THAG_PROFILE(//' | sort -u > "$w/functions.profiled"
    (cd "$RC/$name/pristine" && find . -name '*.h' -exec "$TI" {} \; 2>/dev/null) |
        grep -o 'THAG_PROFILE([A-Za-z_0-9]*' | sed 's/THAG_PROFILE(//' | sort -u > "$w/functions.headers"
    missing=$(sort -u "$w/functions.profiled" "$w/functions.headers" | comm -23 "$w/functions.defined" - | grep -vx main)
    [ -n "$(cat "$w/functions.defined")" ] || { echo "nm found no function in $objs"; return 1; }
    [ -z "$missing" ] || { echo "$(echo "$missing" | wc -l) of $(wc -l < "$w/functions.defined") functions not profiled:"; echo "$missing" | head -20; return 1; }
}

# restored DIR PRISTINE FILE...: thag-remove --in-place, then each file equals the pristine copy.
restored() {
    local d=$1 p=$2 f diffs=""; shift 2
    (cd "$d" && "$TRM" -i "$@") || { echo "thag-remove failed"; return 1; }
    for f in "$@"; do cmp -s "$d/$f" "$p/$f" || diffs="$diffs $f"; done
    [ -z "$diffs" ] || { echo "differ from the pristine source after thag-remove:$diffs"; diff "$p/${diffs# }" "$d/${diffs# }" | head; return 1; }
}

# profile_bytes DIR...: total size of the folded files.
profile_bytes() { cat "$@" /dev/null 2>/dev/null | wc -c; }
dir_bytes() { find "$@" \( -name '*.folded' -o -name '*-timeline.txt' \) -type f -printf '%s\n' 2>/dev/null | awk '{s+=$1} END {print s+0}'; }
timeline_bytes() { find "$@" -name '*-timeline.txt' -type f -printf '%s\n' 2>/dev/null | awk '{s+=$1} END {print s+0}'; }

# graphs NAME PROFDIR WORK FUNC: flamegraph of the time file and flamechart of the timeline, both valid SVG; thag-analyze reads it.
graphs() {
    local name=$1 prof=$2 w=$3 func=$4 f
    f=$(prim "$prof") || { bad "$name: flamegraph (no time file)"; return; }
    check "$name: flamegraph renders an SVG" "$FG" -o "$w/flame.svg" "$f"
    check "$name: flamegraph SVG is valid XML" svg_ok "$w/flame.svg"
    check "$name: flamegraph shows $func" grep -q -- "$func" "$w/flame.svg"
    f=$(one "$prof/*-timeline.txt") || { bad "$name: flamechart (no timeline file)"; return; }
    check "$name: flamechart of the timeline renders" "$FG" --flamechart -o "$w/chart.svg" "$f"
    check "$name: flamechart SVG is valid XML" svg_ok "$w/chart.svg"
    check "$name: thag-analyze reports the profile" bash -c "'$TA' report '$(prim "$prof")' --filter '$func' > '$w/report.txt' && grep -q -- '$func' '$w/report.txt'"
}

# bounds NAME PROFDIRS PLAIN_RSS_KB RSS_KB THREADS: the profile files and the
# profiler's memory stay within bounds with default settings, whatever the
# thread count (files: THAG_REALCODE_MAX_PROFILE_MB per process, 64 MiB by
# default; memory: the peak RSS grows by 96 MiB at most).
bounds() {
    local name=$1 dirs=$2 prss=$3 rss=$4 threads=$5 nproc bytes lim extra
    nproc=$(find $dirs -name '*[0-9].folded' | wc -l); [ "$nproc" -gt 0 ] || nproc=1
    bytes=$(dir_bytes $dirs)
    lim=$((MAX_PROFILE_MB * 1048576 * nproc))
    check "$name: profile files within $MAX_PROFILE_MB MiB per process" \
        bash -c "[ $bytes -le $lim ] || { echo 'profile files: $bytes bytes for $nproc process(es), timeline $(timeline_bytes $dirs) bytes'; exit 1; }"
    extra=$((96 * 1024))
    check "$name: peak RSS within plain + 96 MiB" \
        bash -c "[ $rss -le $((prss + extra)) ] || { echo 'peak RSS $rss KiB, plain $prss KiB, bound +$extra KiB ($threads threads)'; exit 1; }"
}

# unpack NAME DSC: DIR build/realcode/NAME/pristine, fresh.
unpack() {
    local name=$1 dsc=$2 d=$RC/$1
    rm -rf "$d"; mkdir -p "$d"
    local opts=${name//./_}; opts=${opts^^}_UNPACK_OPTS; opts=${!opts:-}
    dpkg-source --no-copy $opts -x "$dsc" "$d/pristine" > "$d/unpack.log" 2>&1 || { cat "$d/unpack.log"; return 1; }
}

# variant NAME KIND: a fresh copy of the pristine tree, build/realcode/NAME/KIND.
variant() { rm -rf "$RC/$1/$2"; cp -a "$RC/$1/pristine" "$RC/$1/$2"; }

# The implementation file of automatic mode (docs/auto.md: "Automatic mode"), compiled once.
auto_impl() {
    local o=$RC/thag_impl.o
    if [ ! -f "$o" ] || [ thag_profiler.h -nt "$o" ]; then
        printf '#define THAG_AUTO_INSTRUMENT\n#define THAG_PROFILER_IMPLEMENTATION\n#include "thag_profiler.h"\n' > "$RC/thag_impl.c"
        $CC -O2 -g -finstrument-functions $PROF_CPPFLAGS -c "$RC/thag_impl.c" -o "$o" || return 1
    fi
    echo "$o"
}

# ---------------------------------------------------------------- projects
. "$HERE/memcached.sh"
. "$HERE/lz4.sh"
. "$HERE/lua5.4.sh"

rm -f "$RESULTS"
record "# project variant wall_s user_s sys_s maxrss_kb profile_bytes timeline_bytes"
start_all=$(date +%s)
for p in $PROJECTS; do
    t0=$(date +%s)
    dsc=$("$HERE/fetch.sh" "$CACHE" "$p")
    if [ -z "$dsc" ]; then bad "$p: source package (apt-get source $p)"; continue; fi
    ok "$p: source package"
    if ! out=$(unpack "$p" "$dsc"); then bad "$p: dpkg-source -x $dsc" "$out"; continue; fi
    ok "$p: unpacked"
    "project_$p"
    echo "$p: $(( $(date +%s) - t0 )) s"
done
echo "realcode: $(( $(date +%s) - start_all )) s; results in $RESULTS"
column -t "$RESULTS" 2>/dev/null || cat "$RESULTS"
summary "realcode"
