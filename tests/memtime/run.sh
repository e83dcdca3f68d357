#!/bin/bash
# Memory at the peak, memory over time and temporary allocations (issue 13):
# the peak file's exact composition in summary, detail and sampled modes,
# its documented bound, several threads; the massif file read by ms_print
# and charted by thag-analyze (terminal, SVG in chromium); exact counts of
# temporary allocations; faults the program alone survives.
# Run from the repository root: BUILD=build tests/memtime/run.sh (make test-memtime).
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
B=${BUILD:-build}
AN=$B/thag-analyze
T=$TMPROOT
export LC_ALL=C

for p in peak temp tempmany bound series threads faults; do
    gcc -O2 -g -fno-builtin -fno-omit-frame-pointer -Wall -Wextra -Werror -DTHAG_FULL_PROFILING -I. \
        tests/memtime/$p.c -o "$T/$p" -pthread -lmimalloc -ldl || { echo "cannot build tests/memtime/$p.c"; exit 1; }
done

# prof PROG MODE: runs PROG in a fresh directory $T/PROG-MODE; prints the exit status
prof() {
    local d=$T/$1-$2 e
    case $2 in
    summary) e="THAG_PROFILER=memory,$d";;
    detail) e="THAG_PROFILER=memory,$d,,true";;
    sampled) e="THAG_PROFILER=memory,$d THAG_SAMPLE_BYTES=65536";;
    esac
    rm -rf "$d"; mkdir -p "$d"
    env $e "$T/$1" >"$d.out" 2>"$d.err"; echo $?
}
# mval FILE KEY: a value of the file's metadata (its run's manifest entry: tests/lib.sh meta)
mval() { meta "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | tail -1; }
total() { data "$1" | awk '{ s += $NF } END { print s + 0 }'; }
file() { one "$T/$1/*-$2"; }

# --- 1. peak attribution -----------------------------------------------------
for m in summary detail sampled; do
    rc=$(prof peak $m); f=$(file peak-$m memory_peak.folded)
    check "peak ($m): exit 0, quiet" test "$rc" = 0 -a ! -s "$T/peak-$m.err"
    check "peak ($m): A 3 MiB and B 1 MiB, C absent" diff <(data "$f" | sort) <(printf 'main;hold_a 3145728\nmain;hold_b 1048576\n')
    check "peak ($m): metadata peak 4 MiB" test "$(mval "$f" peak)" = 4194304
    check "peak ($m): total equals the peak" test "$(total "$f")" = "$(mval "$f" peak_snapshot)" -a "$(total "$f")" = 4194304
done
check "peak: the other memory files carry peak_snapshot too" test "$(mval "$(file peak-summary memory.folded)" peak_snapshot)" = 4194304

# The bound: the first free takes a snapshot at 1 MiB + 64 bytes; the peak
# (1 MiB + 32 + 8000) is less than 1% above it, so no other is taken.
for m in summary detail; do
    rc=$(prof bound $m); f=$(file bound-$m memory_peak.folded)
    check "bound ($m): the snapshot, not the peak" diff <(data "$f" | sort) <(printf 'main;base 1048576\nmain;small 64\n')
    check "bound ($m): peak 1056608, snapshot 1048640 (7968 below: within 1%)" \
        test "$(mval "$f" peak)" = 1056608 -a "$(mval "$f" peak_snapshot)" = 1048640 -a "$(total "$f")" = 1048640
done

# Several threads: four threads hold 2 MiB each at once.
for m in summary detail; do
    rc=$(prof threads $m); f=$(file threads-$m memory_peak.folded)
    check "threads ($m): 2 MiB on each of 4 threads" test "$(data "$f" | grep -c '^thread-[0-9]*;.*hold 2097152$')" = 4
    check "threads ($m): total = peak_snapshot = peak" test "$(total "$f")" = "$(mval "$f" peak_snapshot)" -a \
        "$(mval "$f" peak)" = "$(mval "$f" peak_snapshot)"
done

# --- 2. memory over time: massif.out ----------------------------------------
for m in summary detail sampled; do
    f=$(file peak-$m massif.out)
    check "massif ($m): ms_print reads it" ms_print "$f"
    ms=$(ms_print "$f" 2>&1)
    check "massif ($m): graph with the peak column" bash -c 'grep -q "^ *4.000^.*#" <<<"$1" && grep -q ">ms$" <<<"$1"' _ "$ms"
    pk=$(grep -c '^heap_tree=peak' "$f")
    n=$(sed -n 's/^ Detailed snapshots: \[\([0-9]*\) (peak)\]$/\1/p' <<<"$ms")
    check "massif ($m): one peak snapshot, at 4,194,304 bytes" bash -c \
        "test '$pk' = 1 && grep -qE '^ +$n +[0-9,]+ +4,194,304 +4,194,304 ' <<<\"\$1\"" _ "$ms"
    check "massif ($m): heap tree at the peak" bash -c 'grep -qF -- "->75.00% (3,145,728B) hold_a" <<<"$1" && grep -qF -- "->25.00% (1,048,576B) hold_b" <<<"$1"' _ "$ms"
    check "massif ($m): cmd and time unit" test "$(sed -n 2,3p "$f" | tr '\n' ' ')" = "cmd: peak time_unit: ms "
done

# Bounded: 4000 rounds, 8000 publications of the live bytes.
for m in summary detail sampled; do
    rc=$(prof series $m); f=$(file series-$m massif.out); p=$(file series-$m memory_peak.folded)
    n=$(grep -c '^snapshot=' "$f")
    check "series ($m): 100 to 203 snapshots ($n)" test "$n" -ge 100 -a "$n" -le 203
    check "series ($m): numbered 0..n-1, times in order" bash -c "diff <(grep '^snapshot=' '$f' | cut -d= -f2) <(seq 0 $((n - 1))) &&
        sed -n 's/^# t_ns=\([0-9]*\) .*/\1/p' '$f' | sort -c -n"
    check "series ($m): ms_print reads it" ms_print "$f"
    check "series ($m): snapshot within 1% of the peak" awk -v p="$(mval "$p" peak)" -v s="$(total "$p")" \
        'BEGIN { exit !(s <= p && (p - s) * 100 < p) }'
done

# thag-analyze chart: the terminal and the SVG (chromium).
f=$(file peak-summary massif.out)
out=$("$AN" chart "$f" --svg "$T/chart.svg" 2>&1)
check "chart: exit 0" test $? = 0
check "chart: the peak line" grep -qE '^peak: 4194304 bytes \(4\.0 MiB\) at [0-9.]+ ms, point [0-9]+ of [0-9]+, 4 allocations so far$' <<<"$out"
check "chart: composition at the peak" bash -c 'grep -qE "^ +75\.0% +3145728  hold_a$" <<<"$1" && grep -qE "^ +25\.0% +1048576  hold_b$" <<<"$1"' _ "$out"
check "chart: the peak column" grep -qE '^ +4\.0 MiB \^ *:*#' <<<"$out"
check "chart: SVG is valid XML" xmllint --noout "$T/chart.svg"
check "chart: a real valgrind massif file" bash -c "cd $T && valgrind --tool=massif --massif-out-file=vg.out ./bound >/dev/null 2>&1 &&
    '$PWD/$AN' chart vg.out | grep -qE '^peak: [0-9]+ bytes'"
for bad in "notmassif:hello" "nocmd:desc: x" "badnum:desc: x\ncmd: y\ntime_unit: ms\nsnapshot=0\ntime=zz" "empty:desc: x\ncmd: y\ntime_unit: ms"; do
    printf "${bad#*:}\n" >"$T/${bad%%:*}.out"
    e=$("$AN" chart "$T/${bad%%:*}.out" 2>&1 >/dev/null); rc=$?
    check "chart: malformed (${bad%%:*}): exit 2, one line" test "$rc" = 2 -a "$(wc -l <<<"$e")" = 1
done
FGT=tests/flamegraph
if [ ! -d $FGT/node_modules/playwright-core ]; then
    (cd $FGT && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null 2>&1) || bad "npm ci in $FGT"
fi
check "chart: SVG in chromium (renders, every point, the peak marked)" \
    node tests/memtime/chart.mjs "$T/chart.svg" "$(grep -c '^snapshot=' "$f")" 4194304
"$AN" chart "$(file series-summary massif.out)" --svg "$T/series.svg" >/dev/null
check "chart: a long series in chromium" node tests/memtime/chart.mjs "$T/series.svg" \
    "$(grep -c '^snapshot=' "$(file series-summary massif.out)")" "$(total "$(file series-summary memory_peak.folded)")"

# --- 3. temporary allocations -------------------------------------------------
for m in summary detail; do
    rc=$(prof temp $m); f=$(file temp-$m memory_temp.folded)
    check "temp ($m): exit 0" test "$rc" = 0
    check "temp ($m): exact counts per stack" diff <(data "$f" | sed 's/^thread-[0-9]*;/thread;/' | sort) \
        <(printf 'main;grow 3\nmain;temps 100\nthread;worker 40\nthread;worker 40\n')
    check "temp ($m): total in the metadata" test "$(mval "$f" temporary)" = 183
    check "temp ($m): unit allocations" test "$(mval "$f" unit)" = allocations
done
# Sampled mode: THAG_SAMPLE_BYTES=1 samples every block (a seed fixed: a
# 10-byte block is missed with probability e^-10) with weight 1: exact.
d=$T/temp-sampled1; rm -rf "$d"; mkdir -p "$d"
THAG_SAMPLE_SEED=1 THAG_SAMPLE_BYTES=1 THAG_PROFILER=memory,$d "$T/temp" >"$d.out" 2>"$d.err"; rc=$?
f=$(one "$d/*-memory_temp.folded")
check "temp (sampled, 1 byte): exit 0, quiet" test "$rc" = 0 -a ! -s "$d.err"
check "temp (sampled, 1 byte): exact counts per stack" diff <(data "$f" | sed 's/^thread-[0-9]*;/thread;/' | sort) \
    <(printf 'main;grow 3\nmain;temps 100\nthread;worker 40\nthread;worker 40\n')
check "temp (sampled, 1 byte): total 183 in the metadata" test "$(mval "$f" temporary)" = 183 -a "$(mval "$f" mode)" = sampled
# An estimate: 100000 temporary blocks of 256 bytes at one sample per 4096
# bytes (about 6% sampled, each weighing 16.5): every sampled block of temps
# is temporary, so its estimate equals its allocations' exactly; none of
# pairs' and keeps' is, whichever are sampled.
d=$T/tempmany-sampled; rm -rf "$d"; mkdir -p "$d"
THAG_SAMPLE_SEED=1 THAG_SAMPLE_BYTES=4096 THAG_PROFILER=memory,$d "$T/tempmany" >"$d.out" 2>"$d.err"; rc=$?
f=$(one "$d/*-memory_temp.folded")
n=$(data "$f" | sed -n 's/^main;temps //p')
check "temp (sampled, estimate): exit 0, only temps" test "$rc" = 0 -a "$(data "$f" | cut -d' ' -f1)" = main\;temps
check "temp (sampled, estimate): temps' temporaries = its allocations" \
    test "$n" = "$(data "$(one "$d/*-memory_detail_calls.folded")" | sed -n 's/^main;temps //p')"
check "temp (sampled, estimate): within 5 percent of 100000 ($n)" test "$n" -ge 95000 -a "$n" -le 105000
check "temp (sampled, estimate): the manifest's total" test "$(mval "$f" temporary)" = "$n"
check "temp: thag-analyze report" bash -c "'$AN' report '$(file temp-summary memory_temp.folded)' | grep -qE '^ +[0-9]+ +- +100 +[0-9.]+% +100 .* temps$'"

# thag-run (an unmodified program, detail mode): the total in its summary,
# the counts per real stack in memory_temp.folded.
if [ -x "$B/thag-run" ] && [ -e "$B/libthag_preload.so" ]; then
    gcc -O2 -g -fno-builtin -I. tests/memtime/temp.c -o "$T/temp-plain" -pthread
    out=$("$B/thag-run" -d "$T/run" -- "$T/temp-plain" 2>&1)
    check "thag-run: temporary allocations in the summary" grep -qE "^  temporary allocations:  [0-9]+ \(freed" <<<"$out"
    n=$(sed -n 's/^  temporary allocations:  \([0-9]*\) .*/\1/p' <<<"$out")
    check "thag-run: per stack in memory_temp.folded" test "$(total "$(one "$T/run/*/*-memory_temp.folded")")" = "$n"
    check "thag-run: the program's own 183 per stack" test "$(data "$(one "$T/run/*/*-memory_temp.folded")" |
        awk '/;(temps|grow|worker) [0-9]+$/ { s += $NF } END { print s }')" = 183
    # heaptrack, per site of the program (its total also has two of libstdc++'s and the
    # threads' start, before and outside the program's code, where heaptrack's one event
    # stream for all threads decides: not comparable)
    if command -v heaptrack >/dev/null && command -v heaptrack_print >/dev/null; then
        heaptrack -o "$T/ht" "$T/temp-plain" >/dev/null 2>&1
        ht=$(heaptrack_print "$T/ht.zst" 2>/dev/null | awk '/^MOST TEMPORARY ALLOCATIONS/ { on = 1; next }
            /^[A-Z ]+$/ && on { on = 0 }
            on && /^[0-9]+ temporary allocations of .* from$/ { n = $1; getline f; if (f ~ /^(temps|grow|worker|pairs)$/) print f, n }' | sort)
        th=$(data "$(one "$T/run/*/*-memory_temp.folded")" | sed 's/^.*;//' | awk '{ s[$1] += $2 } END { for (k in s) print k, s[k] }' | sort)
        check "thag-run: the program's temporaries per site equal heaptrack's" test "$th" = "$ht" -a -n "$ht"
    fi
    out=$(THAG_SAMPLE_SEED=1 "$B/thag-run" -d "$T/runs" --sample-bytes 1 -- "$T/temp-plain" 2>&1)
    n=$(sed -n 's/^  temporary allocations:  \([0-9]*\) .*/\1/p' <<<"$out")
    check "thag-run (sampled, 1 byte): temporary allocations in the summary" test -n "$n"
    check "thag-run (sampled, 1 byte): per stack in memory_temp.folded" test "$(total "$(one "$T/runs/*/*-memory_temp.folded")")" = "$n"
    check "thag-run (sampled, 1 byte): the program's own 183 per stack" test "$(data "$(one "$T/runs/*/*-memory_temp.folded")" |
        awk '/;(temps|grow|worker) [0-9]+$/ { s += $NF } END { print s }')" = 183
    check "thag-run: the peak's stacks in memory_peak.folded" test "$(data "$(one "$T/run/*/*-memory_peak.folded")" | grep -c ';keeps ')" = 1
else
    bad "thag-run: $B/thag-run and $B/libthag_preload.so are not built (make thag-run)"
fi

# --- 4. faults the program alone survives ------------------------------------
for m in summary detail sampled; do
    rc=$(prof faults $m)
    check "faults ($m): exit 0, quiet" test "$rc" = 0 -a ! -s "$T/faults-$m.err"
done
for m in summary detail; do
    f=$(file faults-$m memory_calls.folded)
    check "faults ($m): allocations counted exactly (glibc's blocks not)" \
        test "$(sed -n 's/^allocations=//p' "$T/faults-$m.out")" = "$(mval "$f" allocations)"
    check "faults ($m): the signal handler's allocations in the interrupted scope" \
        test "$(data "$f" | sed -n 's/^main;spin //p')" -ge 40
done

summary "memtime"
