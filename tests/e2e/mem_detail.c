/* Memory detail mode: the real call stack of each allocation (frame
   pointers), and of each deallocation. Built with -O0
   -fno-omit-frame-pointer so every frame is there. */
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

__attribute__((noinline)) static void *big(void) { return calloc(1, 1 << 20); }

int main(void) {
    THAG_ENABLE_PROFILING(memory);
    void *b;
    outer();
    release_half();
    b = big();
    free(b);
    return 0;
}
