/* bench/auto: the cost of one call of an instrumented function. Built three
   ways by bench/auto.sh from this unchanged source: without instrumentation
   (the baseline), with -finstrument-functions and libc's empty hooks (the
   binary uftrace records), and with -finstrument-functions plus the
   thag_profiler implementation (bench/auto_impl.c, automatic mode).
   Prints the nanoseconds per call of the loop. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

__attribute__((noinline)) static void empty(void)
{
    sink++;
}

__attribute__((noinline)) static void loop(long calls)
{
    long i;
    for (i = 0; i < calls; i++) empty();
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    long calls = argc > 1 ? atol(argv[1]) : 10000000;
    double t0;
    loop(1000); /* warm up: sites, tree and buffers exist */
    t0 = now_s();
    loop(calls);
    printf("%.3f\n", (now_s() - t0) * 1e9 / (double)calls);
    return 0;
}
