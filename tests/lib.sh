# Shared helpers for the shell test suites: counting checks, temp dirs.
PASS=0
FAIL=0
FAILED=""
TMPROOT=$(mktemp -d "${TMPDIR:-/tmp}/thag-test.XXXXXX")
trap 'rm -rf "$TMPROOT"' EXIT

ok() { PASS=$((PASS + 1)); [ -n "${VERBOSE:-}" ] && echo "ok: $1"; return 0; }
bad() { FAIL=$((FAIL + 1)); FAILED="$FAILED\n  $1"; echo "FAIL: $1" >&2; [ -n "${2:-}" ] && printf '%s\n' "$2" | head -20 >&2; return 0; }

# check NAME COMMAND...: passes when the command succeeds.
check() { local name=$1 out; shift; if out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$out"; fi; }

# data FILE: the lines of a folded file without its metadata (files from
# before manifests began with a '#' line).
data() { grep -v '^#' "$1"; }

# manifest FILE: the manifest of the run that wrote FILE, <p>-<ts>-manifest.txt
# (the name up to its stamp -yyyymmdd-HHMMSS[-pid]).
manifest() {
    echo "$(dirname "$1")/$(basename "$1" | sed -E 's/^(.*-[0-9]{8}-[0-9]{6}(-[0-9]+)?)([-.].*)?$/\1/')-manifest.txt"
}

# meta FILE: the metadata of a run's file on one line, as tools/folded.h
# gives it: the run's key=value records, then the file's manifest entry (its
# kind, unit, totals...); the file's own first line for files that have one
# (the timeline, files from before manifests). Fails if the manifest does not
# list the file or lacks its last line (end=).
meta() {
    local b
    if head -1 "$1" | grep -q '^# thag_profiler'; then head -1 "$1"; return; fi
    b=$(basename "$1")
    awk -v b="$b" '$1 == "file=" b { e = $0; next } /^(file|thread)=/ { next } /^end=/ { end = 1; next }
                   { r = r " " $0 } END { if (e == "" || !end) exit 1; print "#" r " " e }' "$(manifest "$1")"
}

# tl_data FILE: a timeline file (<p>-<ts>-timeline.txt) as chronological
# folded lines, the way tools/folded.h reads it (intervals without a stack
# are left out).
tl_data() {
    awk '/^#/ { next } $1 == "S" { f = $0; sub(/^S [0-9]+ [0-9]+ /, "", f); p[$2] = ($3 == 0 ? f : p[$3] ";" f); next }
         $1 == "T" || $1 == "F" { next } $1 != 0 { print p[$1], $2 }' "$1"
}

# profiles DIR: how many profile files DIR holds (folded files and the timeline).
profiles() { ls "$1" | grep -c '\.folded$\|-timeline\.txt$'; }

# one GLOB: the single file matching, or fails.
one() { set -- $1; [ $# -eq 1 ] && [ -e "$1" ] && echo "$1"; }

# run_in DIR BIN [ENV...]: runs BIN in a fresh DIR with THAG_PROFILER=time,DIR
# (ENV may override it); stdout and stderr go to DIR; echoes the status. A
# program still running after $RUN_LIMIT s (default 300) is stopped (status
# 124, said on its stderr): a hang fails its checks, not the whole suite.
RUN_LIMIT=${RUN_LIMIT:-300}
run_in() {
    local dir=$1 bin=$2 rc; shift 2
    rm -rf "$dir"; mkdir -p "$dir"
    rc=$(cd "$dir" && timeout -k 10 "$RUN_LIMIT" env THAG_PROFILER="time,$dir" "$@" "$bin" >"$dir/stdout" 2>"$dir/stderr"; echo $?)
    [ "$rc" != 124 ] && [ "$rc" != 137 ] || echo "run_in: $bin stopped after $RUN_LIMIT s" >>"$dir/stderr"
    echo "$rc"
}

# has_meta FILE REGEX: the metadata of FILE (meta) matches REGEX.
has_meta() { local m; m=$(meta "$1") || { echo "$1: no manifest entry"; return 1; }; grep -q -- "$2" <<<"$m" || { echo "$m"; return 1; }; }

# expect_calls DIR EXPECTED: the calls file equals the expected stacks.
expect_calls() {
    local f
    f=$(one "$1/*-calls.folded") || { echo "no single calls file in $1: $(ls "$1")"; return 1; }
    diff <(data "$f") "$2"
}

# asan_case TAG DIR BIN EXPECTED [ENV...]: a build with ASan+UBSan runs
# with no report and the expected stacks.
asan_case() {
    local tag=$1 dir=$2 bin=$3 want=$4; shift 4
    run_in "$dir" "$bin" "$@" >/dev/null
    check "ASan+UBSan $tag: no report" bash -c "! grep -q 'runtime error\|AddressSanitizer' '$dir/stderr'"
    check "ASan+UBSan $tag: stacks" expect_calls "$dir" "$want"
}

# tsan_case TAG DIR BIN EXPECTED: a build with TSan exits 0 with no report
# (shown when there is one) and the expected stacks.
tsan_case() {
    local tag=$1 dir=$2 bin=$3 want=$4 rc
    rc=$(run_in "$dir" "$bin" TSAN_OPTIONS=halt_on_error=1)
    check "TSan $tag: no race" bash -c "test '$rc' = 0 -a ! -s '$dir/stderr' || { head -40 '$dir/stderr'; exit 1; }"
    check "TSan $tag: stacks" expect_calls "$dir" "$want"
}

# zero_cost CC OPT FILE...: each file's machine code is identical with the
# macros (no build switch) and with the macro lines deleted.
zero_cost() {
    local cc=$1 opt=$2 d="$TMPROOT/zc" src b k
    shift 2
    mkdir -p "$d"
    for src in "$@"; do
        b=$(basename "$src" .c)
        sed '/THAG_\(PROFILE\|SECTION\|END\|ENABLE_PROFILING\|FIBER_[A-Z]*\|TASK_[A-Z_]*\)(/d' "$src" > "$d/$b-stripped.c"
        cp "$src" "$d/$b-macros.c"
        for k in macros stripped; do
            $cc $opt -I. -Itests/e2e -c "$d/$b-$k.c" -o "$d/$b-$k.o" || return 1
            objdump -d --no-show-raw-insn "$d/$b-$k.o" | sed 1,3d > "$d/$b-$k.dis"
        done
        cmp -s "$d/$b-macros.dis" "$d/$b-stripped.dis" || { diff "$d/$b-macros.dis" "$d/$b-stripped.dis" | head; return 1; }
    done
}

# expect_kind DIR KIND EXPECTED [FILTER]: one file's stacks equal EXPECTED
expect_kind() {
    local f
    f=$(one "$1/*-$2.folded") || { echo "no single $2 file in $1: $(ls "$1")"; return 1; }
    diff <(data "$f" | grep -v "${4:-^$}") "$3"
}

# expect_totals DIR KIND TOTALS: the metadata has every key=value of TOTALS
expect_totals() {
    local f tok
    f=$(one "$1/*-$2.folded") || return 1
    for tok in $(cat "$3"); do
        meta "$f" | tr ' ' '\n' | grep -qx -- "$tok" || { echo "missing $tok in: $(meta "$f")"; return 1; }
    done
}

# mem_case NAME TAG DIR: every expected file of tests/e2e/NAME (memory tests)
mem_case() {
    local name=$1 tag=$2 d=$3 e k filter=""
    [ "$name" = mem_threads ] && filter="^main"
    [ "$name" = mem_freer ] && filter="^main "  # the C library's own blocks for the thread
    for e in tests/e2e/$name.*.expected; do
        k=${e#tests/e2e/$name.}; k=${k%.expected}
        check "$tag: $k stacks" expect_kind "$d" "$k" "$e" "$filter"
    done
    [ -e "tests/e2e/$name.totals" ] && check "$tag: totals" expect_totals "$d" "${k%%_*}" "tests/e2e/$name.totals"
}

summary() {
    echo "$1: $PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ] || { printf "failed:$FAILED\n" >&2; return 1; }
}
