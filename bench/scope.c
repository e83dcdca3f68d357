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

static long calls;
static double cpu_ns[2]; /* each thread's CPU time per call: robust to a busy machine */

static double thread_cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *loop(void *arg) {
    long i;
    double t0 = thread_cpu_s();
    THAG_PROFILE(loop);
    for (i = 0; i < calls; i++) empty();
    if (arg) *(double *)arg = (thread_cpu_s() - t0) * 1e9 / (double)calls;
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

/* CPU ns per call, averaged over the threads. */
static double run(int threads) {
    pthread_t t[2];
    double sum = 0;
    int i;
    for (i = 0; i < threads; i++) pthread_create(&t[i], NULL, loop, &cpu_ns[i]);
    for (i = 0; i < threads; i++) pthread_join(t[i], NULL);
    for (i = 0; i < threads; i++) sum += cpu_ns[i];
    return sum / threads;
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
