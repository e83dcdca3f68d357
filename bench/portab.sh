#!/bin/bash
# The scope benchmark (bench/scope.c) cross-built for aarch64 and run under
# qemu-aarch64-static: ns per empty profiled scope with the virtual counter
# (THAG_CLOCK=counter, CNTVCT_EL0) and with clock_gettime
# (THAG_CLOCK=monotonic), each minus the uninstrumented loop, from runs made
# now, interleaved, best of 5, and their ratio. Under qemu both clocks are
# emulated (a counter read is a helper call; clock_gettime a system call,
# qemu 7.2 has no vDSO for the guest): the ratio is qemu's, not a real
# arm64 CPU's, where clock_gettime reads the same counter through the vDSO
# and adds its conversion. Not a test. BENCH_CALLS_QEMU: calls per thread.
set -eu
cd "$(dirname "$0")/.."
B=build/bench/portab; mkdir -p $B
CALLS=${BENCH_CALLS_QEMU:-1000000}
XCC=aarch64-linux-gnu-gcc
if [ -e /lib/ld-linux-aarch64.so.1 ]; then QPREFIX=/; else QPREFIX=/usr/aarch64-linux-gnu; fi # tests/portab/run.sh says why
$XCC -O2 -I. bench/scope.c -o $B/scope-off -pthread
$XCC -O2 -I. -DTHAG_TIME_PROFILING bench/scope.c -o $B/scope-time -pthread
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
q() { qemu-aarch64-static -L $QPREFIX "$@"; }
declare -A r
for i in 1 2 3 4 5; do
    for v in off counter monotonic; do
        case $v in
        off) o=$(q $B/scope-off "$CALLS");;
        *) o=$(THAG_CLOCK=$v THAG_PROFILER=time,$out q $B/scope-time "$CALLS")
           grep -qx "clock=$([ $v = counter ] && echo cntvct || echo monotonic)" "$out"/scope-time-*-manifest.txt ||
               { echo "bench-portab: THAG_CLOCK=$v did not give the expected clock" >&2; exit 1; }
           rm -f "$out"/*;;
        esac
        r[$v-1]+="$(echo "$o" | awk '{print $1}') "; r[$v-2]+="$(echo "$o" | awk '{print $2}') "
    done
done
pick() { echo ${r[$1]} | tr ' ' '\n' | grep . | sort -n | head -1; }
cost() { awk -v a="$(pick $1-$2)" -v b="$(pick off-$2)" 'BEGIN { printf "%.2f", a - b }'; }
echo "scope benchmark on aarch64 under qemu ($(qemu-aarch64-static --version | head -1 | awk '{print $3}')): $CALLS calls per thread, best of 5 (thread CPU ns per call)"
printf '%-40s %10s %10s\n' "" "1 thread" "2 threads"
for v in off counter monotonic; do printf '%-40s %10.2f %10.2f\n' "$v" "$(pick $v-1)" "$(pick $v-2)"; done
for v in counter monotonic; do printf '%-40s %10s %10s\n' "cost of a profiled scope ($v)" "$(cost $v 1)" "$(cost $v 2)"; done
printf '%-40s %10s %10s\n' "ratio counter / monotonic" \
    "$(awk -v a="$(cost counter 1)" -v b="$(cost monotonic 1)" 'BEGIN { printf "%.3f", a / b }')" \
    "$(awk -v a="$(cost counter 2)" -v b="$(cost monotonic 2)" 'BEGIN { printf "%.3f", a / b }')"
