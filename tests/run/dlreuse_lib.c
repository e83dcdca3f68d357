/* A library built twice (tests/run/test.sh): -DP=a -DPAD=200 as libdla.so,
   -DP=b -DPAD=1000 as libdlb.so. The code is the same length at the same
   offsets (both frame sizes take 32-bit immediates, the names the same
   length), so B loaded where A was has its return addresses where A's
   were, but its frames are larger: an unwinder keeping A's rules for them
   reads B's stack wrongly. */
#include <stdlib.h>

#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define NAME(x) CAT(P, x)

void *volatile NAME(sink);
void *NAME(alloc)(size_t n);
void NAME(outer)(int k, void **out);

__attribute__((noinline)) void *NAME(alloc)(size_t n) {
    volatile char buf[PAD];
    void *p;
    buf[0] = (char)n;
    p = malloc(n);
    buf[PAD - 1] = 1;
    NAME(sink) = (char *)p + buf[PAD - 1] - 1; /* p: the frame stays */
    return p;
}

__attribute__((noinline)) void NAME(outer)(int k, void **out) {
    volatile char buf[PAD];
    int i;
    buf[0] = 1;
    for (i = 0; i < k; i++) out[i] = NAME(alloc)((size_t)(16 + 8 * (PAD / 1000)));
    buf[PAD - 1] = 1;
    NAME(sink) = (char *)out[0] + buf[PAD - 1] - 1;
}
