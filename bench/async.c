/* bench/async: the cost of a fiber switch and of a task resume (enter and
   leave of THAG_TASK_RESUME), next to the cost of an empty profiled scope,
   measured in the same run. Built twice by bench/async.sh: with
   -DTHAG_TIME_PROFILING and without (the baseline: same loops, macros
   compiled out). Prints "scope switch resume begin_end" in ns per op. */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;
static thag_fiber fiber __attribute__((unused));
static thag_task task __attribute__((unused));

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

__attribute__((noinline)) static void scope(void) {
    THAG_PROFILE(scope);
    sink++;
}

/* Two switches: to the fiber and back to the thread's own stack. */
__attribute__((noinline)) static void switch_pair(void) {
    THAG_FIBER_SWITCH(fiber);
    sink++;
    THAG_FIBER_SWITCH(0);
}

__attribute__((noinline)) static void resume(void) {
    THAG_TASK_RESUME(task);
    sink++;
}

__attribute__((noinline)) static void begin_end(void) {
    thag_task t = 0;
    THAG_TASK_BEGIN(t, "bench");
    THAG_TASK_END(t);
    sink += (unsigned long)t;
}

static double per_op(void (*fn)(void), long n, int ops) {
    double t0 = now_ns();
    long i;
    for (i = 0; i < n; i++) fn();
    return (now_ns() - t0) / (double)n / ops;
}

int main(int argc, char **argv) {
    THAG_ENABLE_PROFILING(time);
    long n = argc > 1 ? atol(argv[1]) : 10000000;
    double s, w, r, b;
    THAG_FIBER_NEW(fiber, "fiber");
    THAG_TASK_BEGIN(task, "task");
    THAG_PROFILE(loop); /* everything runs under one scope, as in a program */
    per_op(scope, n / 10, 1); /* warm up: the tree exists */
    per_op(switch_pair, n / 10, 2);
    per_op(resume, n / 10, 1);
    s = per_op(scope, n, 1);
    w = per_op(switch_pair, n, 2);
    r = per_op(resume, n, 1);
    b = per_op(begin_end, n / 10, 1);
    printf("%.3f %.3f %.3f %.3f\n", s, w, r, b);
    THAG_TASK_END(task);
    return 0;
}
