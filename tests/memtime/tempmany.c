/* Temporary allocations in sampled mode, estimated from the samples
   (tests/memtime/run.sh runs it with THAG_SAMPLE_BYTES=4096 and a fixed
   THAG_SAMPLE_SEED): per scope
     temps   100000 blocks of 256 bytes freed right away: 100000 temporary
     pairs   100000 times p, q then free(p), free(q): none, whatever is
             sampled (q's malloc comes between p and its free, free(p)
             between q and its free: both on the hooks' fast paths)
     keeps   10000 blocks kept, then freed in reverse order: none. */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include <stdlib.h>

void *volatile sink;
static void *keep[10000];

__attribute__((noinline)) static void temps(void) {
    THAG_PROFILE(temps);
    int i;
    for (i = 0; i < 100000; i++) {
        void *p = malloc(256);
        sink = p;
        free(p);
    }
}

__attribute__((noinline)) static void pairs(void) {
    THAG_PROFILE(pairs);
    int i;
    for (i = 0; i < 100000; i++) {
        void *p = malloc(256), *q = malloc(256);
        sink = p;
        sink = q;
        free(p);
        free(q);
    }
}

__attribute__((noinline)) static void keeps(void) {
    THAG_PROFILE(keeps);
    int i;
    for (i = 0; i < 10000; i++) keep[i] = malloc(256);
    for (i = 9999; i >= 0; i--) free(keep[i]);
}

int main(void) {
    THAG_ENABLE_PROFILING(memory);
    temps();
    pairs();
    keeps();
    return 0;
}
