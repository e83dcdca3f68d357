/* bench/alloc: an allocation-heavy workload for the memory-profiling
   benchmark. Small-block churn (16-256 bytes) from several call sites at
   several depths, a mixed phase with realloc growth and large blocks, and
   a 2-thread churn. Built without a switch (plain mimalloc: the baseline)
   and with THAG_FULL_PROFILING (summary, detail, sampled by environment). */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long rounds;
static void *volatile sink;

__attribute__((noinline)) static void churn_leaf(unsigned seed, int n) {
    THAG_PROFILE(churn_leaf);
    void *live[64] = {0};
    int i;
    for (i = 0; i < n; i++) {
        unsigned k = (seed = seed * 1103515245u + 12345u) >> 16;
        free(live[k & 63]);
        live[k & 63] = malloc(16 + (k % 241));
    }
    for (i = 0; i < 64; i++) free(live[i]);
}

__attribute__((noinline)) static void churn_mid(unsigned seed, int n) {
    THAG_PROFILE(churn_mid);
    churn_leaf(seed, n / 2);
    sink = malloc(48);
    free(sink);
    churn_leaf(seed + 1, n / 2);
}

__attribute__((noinline)) static void churn(unsigned seed) {
    THAG_PROFILE(churn);
    churn_mid(seed, 2000);
    churn_leaf(seed + 7, 1000);
}

__attribute__((noinline)) static void mixed(unsigned seed) {
    THAG_PROFILE(mixed);
    size_t cap = 16, i;
    char *buf = (char *)malloc(cap), *big;
    for (i = 0; i < 4000; i++) {
        if (i + 1 >= cap) buf = (char *)realloc(buf, cap *= 2);
        buf[i] = (char)seed;
    }
    big = (char *)malloc(1 << 20);
    memset(big, 1, 4096);
    free(big);
    free(buf);
}

static void *thread_churn(void *arg) {
    long r;
    for (r = 0; r < rounds; r++) churn((unsigned)(long)arg + (unsigned)r);
    return NULL;
}

int main(int argc, char **argv) {
    THAG_ENABLE_PROFILING(runtime); /* THAG_PROFILER says which mode */
    pthread_t t[2];
    long r;
    int i;
    rounds = argc > 1 ? atol(argv[1]) : 400;
    for (r = 0; r < rounds; r++) churn((unsigned)r);
    for (r = 0; r < rounds; r++) mixed((unsigned)r);
    for (i = 0; i < 2; i++) pthread_create(&t[i], NULL, thread_churn, (void *)(long)i);
    for (i = 0; i < 2; i++) pthread_join(t[i], NULL);
    return 0;
}
