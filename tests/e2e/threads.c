/* 8 threads x 100,000 profiled calls: exact call counts per thread. */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include "common.h"
#include <pthread.h>
#include <stdio.h>

#define NTHREADS 8
#define NCALLS 100000

__attribute__((noinline)) static void work(void) {
    THAG_PROFILE(work);
    __atomic_add_fetch(&e2e_sink, 1, __ATOMIC_RELAXED);
}

static void *worker(void *arg) {
    char name[16];
    int i;
    snprintf(name, sizeof name, "worker-%d", (int)(long)arg);
    thag_set_thread_name(name);
    {
        THAG_PROFILE(worker);
        for (i = 0; i < NCALLS; i++) work();
    }
    return NULL;
}

int main(void) {
    THAG_ENABLE_PROFILING(time);
    pthread_t t[NTHREADS];
    long i;
    for (i = 0; i < NTHREADS; i++) pthread_create(&t[i], NULL, worker, (void *)i);
    thag_flush(); /* a snapshot while the workers run: must be race-free */
    for (i = 0; i < NTHREADS; i++) pthread_join(t[i], NULL);
    leaf();
    return 0;
}
