/* THAG_ALLOC_LIMIT refuses a single allocation above the limit (NULL,
   ENOMEM, a message naming where it came from); THAG_GROWTH_REPORT writes
   snapshots while live memory grows. */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include <errno.h>
#include <stdlib.h>
#include <time.h>

__attribute__((noinline)) void *greedy(size_t n) { return malloc(n); }

__attribute__((noinline)) void grow(void) {
    THAG_PROFILE(grow);
    int i;
    for (i = 0; i < 40; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        void *p = malloc(1 << 20);
        if (p) ((char *)p)[0] = 1; /* kept: live memory grows 40 MiB in 0.4 s */
        nanosleep(&ts, NULL);
    }
}

int main(void) {
    THAG_ENABLE_PROFILING(memory);
    void *small, *big;
    errno = 0;
    small = greedy(1000);
    big = greedy(100 * 1000 * 1000);
    if (!small || big || errno != ENOMEM) return 1;
    grow();
    free(small);
    return 0;
}
