/* A peak the snapshots miss, within their documented bound: the first free
   takes a snapshot at 1 MiB + 16 bytes (`big` and `small` live); `extra`
   then reaches the run's peak, 1 MiB + 8000 bytes, which is less than 1%
   above that snapshot, so its free takes none. The peak file shows the
   snapshot (1,048,592 bytes), 7,984 bytes (0.76%) below the peak. */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include <stdlib.h>
#include <string.h>

void *volatile sink;

__attribute__((noinline)) static void *base(void) { THAG_PROFILE(base); return malloc(1 << 20); }
__attribute__((noinline)) static void *small(void) { THAG_PROFILE(small); return malloc(32); }
__attribute__((noinline)) static void *extra(void) { THAG_PROFILE(extra); return malloc(8000); }

int main(void) {
    THAG_ENABLE_PROFILING(memory);
    void *b = base(), *s = small(), *e;
    sink = small();
    free(sink); /* the first free: a snapshot with b, s and this block */
    sink = e = extra();
    free(e);
    free(s);
    free(b);
    return 0;
}
