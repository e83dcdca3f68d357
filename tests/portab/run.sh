#!/bin/bash
# Portability: the core end-to-end programs (tests/e2e, exact stacks, exit
# statuses, nothing on stderr) built with musl-gcc (dynamic and -static)
# and cross-built for aarch64 (aarch64-linux-gnu-gcc, run under
# qemu-aarch64-static). On aarch64 also the clock (the virtual counter,
# clock=cntvct, and THAG_CLOCK), and, with the arm64 mimalloc
# (tests/portab/setup.sh installs it, as root), the memory exactness test
# and detail mode's stack walks (frame records, pointer authentication,
# the unwinder). With musl, memory profiling must stop at
# compile time with an #error that says why.
# Builds are -O2 and run two at a time; each program runs once.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
E2E="sections longjmp threads exit runtime fork"
WARN="-Wall -Wextra -Werror"
QEMU=qemu-aarch64-static
XCC=aarch64-linux-gnu-gcc
T0=$(date +%s)

want_status() { case $1 in exit) echo 3;; runtime) echo 7;; *) echo 0;; esac; }

# The arm64 mimalloc (multiarch): installed by the setup step when missing.
if ! dpkg-query -W -f='${Status}' libmimalloc-dev:arm64 2>/dev/null | grep -q "install ok installed"; then
    tests/portab/setup.sh >&2 || echo "portab: the arm64 mimalloc could not be installed (tests/portab/setup.sh)" >&2
fi
ARM_MEM=0
dpkg-query -W -f='${Status}' libmimalloc-dev:arm64 2>/dev/null | grep -q "install ok installed" && ARM_MEM=1

# qemu's library prefix. With the multiarch libc6:arm64 (which the arm64
# mimalloc brings) the whole run must use it, its ld.so included: the
# cross toolchain's ld.so (/usr/aarch64-linux-gnu) with the multiarch
# libc.so found through it hangs in pthread_create (glibc's private ABI
# differs between the two builds).
if [ -e /lib/ld-linux-aarch64.so.1 ]; then QPREFIX=/; else QPREFIX=/usr/aarch64-linux-gnu; fi

# musl-gcc searches musl's headers only: stb_sprintf.h is found through
# the header's default <stb/stb_sprintf.h>, in a directory of its own.
MUSLINC="$TMPROOT/musl-inc"; mkdir -p "$MUSLINC"; ln -s /usr/include/stb "$MUSLINC/stb"

# --- builds, two at a time: job OUT COMMAND... (COMMAND's output to OUT.err)
job() {
    local out=$1; shift
    while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
    ( "$@" -o "$out" >"$out.err" 2>&1 || mv "$out.err" "$out.failed" ) &
}
ebuild() { # OUT NAME COMPILER...: tests/e2e/NAME.c, time profiling
    local out=$1 name=$2; shift 2
    job "$out" "$@" -O2 -g $WARN -DTHAG_TIME_PROFILING -I. -Itests/e2e "tests/e2e/$name.c" -pthread
}
mbuild() { # OUT NAME COMPILER...: tests/e2e/NAME.c, memory profiling
    local out=$1 name=$2; shift 2
    job "$out" "$@" -O2 -g $WARN -fno-builtin -DTHAG_FULL_PROFILING -I. -Itests/e2e "tests/e2e/$name.c" \
        -pthread -lmimalloc -ldl
}
built() { # TAG OUT: the build succeeded, or says why not
    if [ -e "$2.failed" ]; then bad "build $1" "$(cat "$2.failed")"; return 1; fi
    [ -x "$2" ] || { bad "build $1: no binary"; return 1; }
}

missing=""
for tool in musl-gcc $XCC $QEMU; do command -v $tool >/dev/null || missing="$missing $tool"; done
[ -z "$missing" ] || bad "tools missing:$missing (make deps installs mk/portab.deps)"

M="$TMPROOT/musl"; A="$TMPROOT/aarch64"; mkdir -p "$M" "$A"
for p in $E2E; do
    ebuild "$M/$p" "$p" musl-gcc -isystem "$MUSLINC"
    ebuild "$M/$p-static" "$p" musl-gcc -static -isystem "$MUSLINC"
    ebuild "$A/$p.elf" "$p" $XCC
done
if [ $ARM_MEM = 1 ]; then
    mbuild "$A/mem_exact.elf" mem_exact $XCC
    mbuild "$A/mem_detail.elf" mem_detail $XCC -fno-omit-frame-pointer -rdynamic
    mbuild "$A/mem_detail_pac.elf" mem_detail $XCC -fno-omit-frame-pointer -mbranch-protection=pac-ret
fi
# musl under strict ISO C: the implementation still finds its POSIX and
# GNU declarations (musl has no <features.h> state to read)
job "$M/sections-c99.o" musl-gcc -isystem "$MUSLINC" -c -std=c99 -Wpedantic $WARN -DTHAG_TIME_PROFILING \
    -I. -Itests/e2e tests/e2e/sections.c
# musl and memory profiling: an #error at compile time, saying why
job "$M/mem_exact" musl-gcc -isystem "$MUSLINC" -c -DTHAG_FULL_PROFILING -I. -Itests/e2e tests/e2e/mem_exact.c
wait

# qemu wrappers: run_in takes one program; the profiler names its files
# after the aarch64 binary (NAME.elf)
for elf in "$A"/*.elf; do
    [ -e "$elf" ] || continue
    printf '#!/bin/sh\nexec timeout -k 5 120 %s -L %s %s "$@"\n' "$QEMU" "$QPREFIX" "$elf" >"${elf%.elf}"
    chmod +x "${elf%.elf}"
done

# --- the e2e programs: musl dynamic, musl static, aarch64
# e2e TAG BIN NAME [ENV...]: exit status, exact stacks, quiet; the output dir is echoed
e2e() {
    local tag=$1 bin=$2 p=$3 d rc want; shift 3
    d="$TMPROOT/out/${tag//[^a-zA-Z0-9_.-]/_}"
    rc=$(run_in "$d" "$bin" "$@"); want=$(want_status "$p")
    [ "$rc" = "$want" ] && ok "$tag exit status" || bad "$tag exit status $rc, want $want" "$(cat "$d/stderr")"
    check "$tag stacks and call counts" expect_calls "$d" "tests/e2e/$p.expected"
    [ -s "$d/stderr" ] && bad "$tag wrote to stderr" "$(cat "$d/stderr")" || ok "$tag quiet"
}
for p in $E2E; do
    built "$p (musl-gcc)" "$M/$p" && e2e "$p (musl-gcc)" "$M/$p" "$p"
    built "$p (musl-gcc -static)" "$M/$p-static" && e2e "$p (musl-gcc -static)" "$M/$p-static" "$p"
    built "$p (aarch64)" "$A/$p.elf" && e2e "$p (aarch64, qemu)" "$A/$p" "$p"
done
check "musl: a static binary really is static" bash -c "! readelf -l '$M/sections-static' | grep -q 'program interpreter'"

[ -e "$M/sections-c99.o.failed" ] && bad "musl -std=c99 -Wpedantic build" "$(cat "$M/sections-c99.o.failed")" ||
    ok "musl -std=c99 -Wpedantic build"
musl_error() {
    [ -e "$M/mem_exact.failed" ] || { echo "THAG_FULL_PROFILING compiled with musl-gcc"; return 1; }
    grep -q '#error "thag_profiler: memory profiling (THAG_FULL_PROFILING) needs glibc.*musl' "$M/mem_exact.failed" ||
        { head -5 "$M/mem_exact.failed"; return 1; }
}
check "musl + THAG_FULL_PROFILING: #error naming the reason" musl_error

# --- aarch64: the clock. auto is the virtual counter (clock=cntvct),
# counter and tsc name it too, monotonic is clock_gettime; every one
# converts to ns: overlap's sections spin 16 ms of CLOCK_MONOTONIC in all.
clock_case() { # WANT [ENV...]: metadata clock=WANT, stacks, ns plausible
    local want=$1 d; shift
    d="$TMPROOT/out/clock-$want-${1:-auto}"; d=${d//[^a-zA-Z0-9_\/.-]/_}
    run_in "$d" "$A/sections" "$@" >/dev/null
    check "aarch64 ${1:-auto}: clock=$want" has_meta "$(one "$d/*-calls.folded")" " clock=$want "
    check "aarch64 ${1:-auto}: stacks" expect_calls "$d" tests/e2e/sections.expected
    check "aarch64 ${1:-auto}: overlap's 16 ms in ns" awk '$1 == "main;overlap" { v = $2 }
        END { if (v < 16000000 || v > 1000000000) { print "main;overlap " v " ns"; exit 1 } }' "$d"/*-inclusive.folded
}
if [ -x "$A/sections" ]; then
    clock_case cntvct
    clock_case cntvct THAG_CLOCK=counter
    clock_case cntvct THAG_CLOCK=tsc
    clock_case monotonic THAG_CLOCK=monotonic
fi

# --- aarch64: memory (summary exactness; detail by frame pointers and by the unwinder)
if [ $ARM_MEM = 1 ]; then
    if built "mem_exact (aarch64)" "$A/mem_exact.elf"; then
        d="$TMPROOT/out/mem_exact"; rc=$(run_in "$d" "$A/mem_exact")
        check "mem_exact (aarch64, qemu): exit status" test "$rc" = 0
        check "mem_exact (aarch64, qemu): quiet" test ! -s "$d/stderr"
        mem_case mem_exact "mem_exact (aarch64, qemu)" "$d"
    fi
    if built "mem_detail (aarch64)" "$A/mem_detail.elf"; then
        for st in fp unwind; do
            d="$TMPROOT/out/mem_detail-$st"
            rc=$(run_in "$d" "$A/mem_detail" THAG_PROFILER="memory,$d,,true" THAG_STACK=$st)
            check "mem_detail THAG_STACK=$st (aarch64, qemu): exit status, quiet" test "$rc" = 0 -a ! -s "$d/stderr"
            mem_case mem_detail "mem_detail THAG_STACK=$st (aarch64, qemu)" "$d"
        done
    fi
    # Return addresses signed by pointer authentication (qemu's default CPU
    # has PAC) are stripped by the walk; on a CPU without PAC the same code runs.
    if built "mem_detail -mbranch-protection=pac-ret (aarch64)" "$A/mem_detail_pac.elf"; then
        for cpu in max cortex-a57; do
            d="$TMPROOT/out/mem_detail-pac-$cpu"
            rc=$(run_in "$d" "$A/mem_detail_pac" THAG_PROFILER="memory,$d,,true" QEMU_CPU=$cpu)
            check "mem_detail pac-ret, -cpu $cpu (aarch64, qemu): exit status, quiet" test "$rc" = 0 -a ! -s "$d/stderr"
            check "mem_detail pac-ret, -cpu $cpu (aarch64, qemu): stacks" \
                expect_kind "$d" memory_detail tests/e2e/mem_detail.memory_detail.expected
        done
    fi
else
    echo "portab: SKIP aarch64 memory tests: libmimalloc-dev:arm64 is not installed (tests/portab/setup.sh, as root)" >&2
fi

echo "portab: $(( $(date +%s) - T0 )) s"
summary portab
