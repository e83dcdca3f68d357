/* Helpers shared by the end-to-end test programs. */
#ifndef E2E_COMMON_H
#define E2E_COMMON_H
#include <time.h>

/* Busy-waits for ms milliseconds of monotonic time. */
/* Spins for at least ms milliseconds of CLOCK_MONOTONIC (in nanoseconds:
   milliseconds computed per field end early when a second boundary is
   crossed, the negative nanosecond part being truncated towards zero). */
__attribute__((unused)) static void spin_ms(int ms) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    do clock_gettime(CLOCK_MONOTONIC, &b);
    while ((long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec) < (long long)ms * 1000000LL);
}

static volatile int e2e_sink;

/* Called from several threads by some tests: the count is atomic. */
__attribute__((noinline)) static void leaf(void) {
    THAG_PROFILE(leaf);
    __atomic_add_fetch(&e2e_sink, 1, __ATOMIC_RELAXED);
}
#endif
