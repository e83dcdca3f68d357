#!/bin/bash
# Redis, instrumented by the README's recipe, links: one implementation per
# program (redis-server, redis-cli, redis-benchmark), none in the files whose
# test mains are under #ifdef (five of them, each reported with file:line);
# a test program built from one of those mains links with --impl. Not part
# of test-instrument: it needs the Debian source and builds Redis (minutes).
#
# usage: tests/instrument/redis_link.sh [BUILD_DIR]
# env:   DEBSRC (default /work/cache/debsrc, only read: redis_*.orig.tar.gz)
#        WORK   (default BUILD_DIR/instrument/redis)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
TI=$BUILD/thag-instrument
TR=$BUILD/thag-remove
DEBSRC=${DEBSRC:-/work/cache/debsrc}
WORK=${WORK:-$BUILD/instrument/redis}
PFLAGS="-DTHAG_TIME_PROFILING -I$ROOT"
fail() { echo "FAIL: $*"; exit 1; }

rm -rf "$WORK" && mkdir -p "$WORK/orig"
tar -xzf "$(echo "$DEBSRC"/redis_*.orig.tar.gz)" -C "$WORK/orig" --strip-components=1
cp -a "$WORK/orig" "$WORK/inst"
cd "$WORK/inst/src"
"$TI" -i --in-place=pass0 ./*.c 2> "$WORK/notes.txt"
cat "$WORK/notes.txt"
n=$(grep -c ': main is inside ' "$WORK/notes.txt")
[ "$n" = 5 ] || fail "$n guarded mains reported, want 5"
impl=$(grep -l '^#define THAG_PROFILER_IMPLEMENTATION' ./*.c | tr '\n' ' ')
[ "$impl" = "./redis-benchmark.c ./redis-cli.c ./server.c " ] || fail "implementation in: $impl"
for f in ./*.c; do
    cmp -s <("$TR" < "$f") "$WORK/orig/src/$f" || fail "round trip $f"
done
echo "round trip ok: $(ls ./*.c | wc -l) files"
make -j2 MALLOC=libc REDIS_CFLAGS="$PFLAGS" REDIS_LDFLAGS=-pthread > "$WORK/build.log" 2>&1 ||
    { grep -E 'multiple definition|undefined reference|error' "$WORK/build.log" | head; fail "Redis build"; }
if grep -q 'multiple definition' "$WORK/build.log"; then fail "multiple definitions"; fi
for p in redis-server redis-cli redis-benchmark; do
    rm -rf "$WORK/out-$p"
    THAG_PROFILER="time,$WORK/out-$p" "./$p" --version > /dev/null
    ls "$WORK/out-$p"/"$p"-*-calls.folded > /dev/null || fail "$p wrote no profile"
    echo "$p: links, runs, profiles: $(grep -hv '^#' "$WORK/out-$p"/*-calls.folded | head -3 | tr '\n' ' ')"
done
# mt19937-64.c's own test program (MT19937_64_MAIN): --impl gives it the
# implementation; it links alone and profiles.
"$TI" -i --impl=mt19937-64.c mt19937-64.c
cc -O2 -DMT19937_64_MAIN $PFLAGS mt19937-64.c -o mt-test -pthread || fail "mt19937-64 test does not link"
rm -rf "$WORK/out-mt"
THAG_PROFILER="time,$WORK/out-mt" ./mt-test > /dev/null
echo "mt-test: links, runs, profiles: $(grep -hv '^#' "$WORK/out-mt"/*-calls.folded | tr '\n' ' ')"
cmp -s <("$TR" < mt19937-64.c) "$WORK/orig/src/mt19937-64.c" || fail "round trip mt19937-64.c after --impl"
echo "redis_link: ok"
