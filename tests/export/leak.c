/* leak.c - a known number of blocks left live per function, for the live-blocks file
   (-memory_detail_live_calls.folded) and pprof's inuse_objects: f leaves 37 blocks of 100
   bytes, g allocates 9 and frees 4 (5 live), h frees all it allocates (none live). Run in
   sampled mode with THAG_SAMPLE_BYTES=1: every block of 41 bytes or more is then sampled
   with weight 1, so the estimates are exact (tests/export/run.sh).
   Build: cc -O0 -g -fno-omit-frame-pointer -DTHAG_FULL_PROFILING -I. tests/export/leak.c -lmimalloc */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include <stdlib.h>

static void *volatile keep[64];

__attribute__((noinline)) static void f(void) {
    int i;
    for (i = 0; i < 37; i++) keep[i] = malloc(100);
}

__attribute__((noinline)) static void g(void) {
    void *p[9];
    int i;
    for (i = 0; i < 9; i++) p[i] = malloc(200);
    for (i = 0; i < 4; i++) free(p[i]);
    for (i = 4; i < 9; i++) keep[37 + i] = p[i];
}

__attribute__((noinline)) static void h(void) {
    int i;
    for (i = 0; i < 11; i++) {
        keep[63] = malloc(300); /* through a volatile: the compiler may not elide the pair */
        free(keep[63]);
    }
}

int main(void) {
    THAG_ENABLE_PROFILING(both);
    f();
    g();
    h();
    return 0;
}
