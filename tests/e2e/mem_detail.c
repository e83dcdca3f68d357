/* Memory detail mode: the real call stack of each allocation (frame
   pointers), and of each deallocation. Built with -fno-omit-frame-pointer
   at -O0 and -O2 (no call here is a tail call: a function that ends by
   calling malloc has no frame of its own left to find). The hooks are
   defined in this file: they must not be inlined into their callers. */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include <stdlib.h>

void *keep[1000];

__attribute__((noinline)) void inner(int i) { keep[i] = malloc(100); }

__attribute__((noinline)) void outer(void) {
    int i;
    for (i = 0; i < 1000; i++) inner(i);
}

__attribute__((noinline)) static void release_half(void) {
    int i;
    for (i = 0; i < 500; i++) free(keep[i]);
}

void *volatile sink;

__attribute__((noinline)) static void *big(void) {
    void *p = calloc(1, 1 << 20);
    sink = p;
    return p;
}

/* realloc growth: each step frees the old block and allocates a new one. */
__attribute__((noinline)) static void grow(void) {
    char *p = NULL;
    size_t i;
    for (i = 1; i <= 10; i++) p = (char *)realloc(p, i * 100);
    sink = p;
}

int main(void) {
    THAG_ENABLE_PROFILING(memory);
    void *b;
    outer();
    release_half();
    b = big();
    free(b);
    grow();
    free(sink);
    return 0;
}
