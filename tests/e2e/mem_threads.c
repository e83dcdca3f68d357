/* Memory across threads: 4 workers allocate, main frees their blocks
   (frees on another thread than the allocation). */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NT 4
#define NB 1000
static void *blocks[NT][NB];

static void fill(int k) {
    THAG_PROFILE(fill);
    int i;
    for (i = 0; i < NB; i++) blocks[k][i] = malloc(64);
}

static void *worker(void *arg) {
    char name[16];
    snprintf(name, sizeof name, "worker-%d", (int)(long)arg);
    thag_set_thread_name(name);
    fill((int)(long)arg);
    return NULL;
}

static void drain(void) {
    THAG_PROFILE(drain);
    int k, i;
    for (k = 0; k < NT; k++)
        for (i = 0; i < NB / 2; i++) free(blocks[k][i]);
}

int main(void) {
    THAG_ENABLE_PROFILING(memory);
    pthread_t t[NT];
    long k;
    for (k = 0; k < NT; k++) pthread_create(&t[k], NULL, worker, (void *)k);
    for (k = 0; k < NT; k++) pthread_join(t[k], NULL);
    drain();
    return 0;
}
