/* Peak attribution with several threads: four threads each hold 2 MiB in
   scope `hold` at the same time (a barrier), then free them: the peak is
   8 MiB, 2 MiB on each thread's stack. */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_barrier_t all_hold;

__attribute__((noinline)) static void *hold(void) {
    THAG_PROFILE(hold);
    void *p = malloc(2 << 20);
    memset(p, 1, 2 << 20);
    return p;
}

static void *worker(void *arg) {
    void *p = hold();
    (void)arg;
    pthread_barrier_wait(&all_hold);
    free(p);
    return NULL;
}

int main(void) {
    THAG_ENABLE_PROFILING(memory);
    pthread_t t[4];
    int i;
    pthread_barrier_init(&all_hold, NULL, 4);
    for (i = 0; i < 4; i++) pthread_create(&t[i], NULL, worker, NULL);
    for (i = 0; i < 4; i++) pthread_join(t[i], NULL);
    pthread_barrier_destroy(&all_hold);
    return 0;
}
