/* Blocks allocated in a profiled scope and freed by a thread that has
   never allocated nor entered a scope: its frees count like any other
   (the live bytes of f go down), so f leaves exactly 400 blocks live. */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include <pthread.h>
#include <stdlib.h>

#define N 1000
#define FREED 600
static void *blocks[N];

static void *freer(void *arg) {
    (void)arg;
    for (int i = 0; i < FREED; i++) free(blocks[i]);
    return NULL;
}

static void f(void) {
    THAG_PROFILE(f);
    for (int i = 0; i < N; i++) blocks[i] = malloc(100);
}

int main(void) {
    THAG_ENABLE_PROFILING(both);
    pthread_t t;
    f();
    if (pthread_create(&t, NULL, freer, NULL) != 0) return 1;
    pthread_join(t, NULL);
    return 0;
}
