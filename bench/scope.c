/* bench/scope: the cost of an empty profiled scope (enter + exit) against
   the same loop uninstrumented, for 1 and 2 threads, and the memory growth
   per scope. Built twice by bench/run.sh: with -DTHAG_TIME_PROFILING, and
   without it (the baseline, same source, macros compiled out). */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile unsigned long sink;

__attribute__((noinline)) static void empty(void) {
    THAG_PROFILE(empty);
    sink++;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long calls;

static void *loop(void *arg) {
    long i;
    (void)arg;
    THAG_PROFILE(loop);
    for (i = 0; i < calls; i++) empty();
    return NULL;
}

/* Resident set size in KiB, from /proc/self/statm. */
static long rss_kib(void) {
    long pages = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
        fclose(f);
    }
    return res * 4;
}

static double run(int threads) {
    pthread_t t[2];
    double t0 = now_s();
    int i;
    for (i = 0; i < threads; i++) pthread_create(&t[i], NULL, loop, NULL);
    for (i = 0; i < threads; i++) pthread_join(t[i], NULL);
    return (now_s() - t0) * 1e9 / (double)calls;
}

int main(int argc, char **argv) {
    THAG_ENABLE_PROFILING(time);
    long rss0, rss1;
    double one, two;
    calls = argc > 1 ? atol(argv[1]) : 20000000;
    loop(NULL); /* warm up: the tree exists, the timeline fills */
    rss0 = rss_kib();
    one = run(1);
    two = run(2);
    rss1 = rss_kib();
    printf("%.3f %.3f %ld\n", one, two, rss1 - rss0);
    return 0;
}
