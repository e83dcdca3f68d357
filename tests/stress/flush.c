/* Flushes racing the threads they read: two threads call thag_flush
   FLUSHES times each while rounds of workers start, run profiled scopes, a
   fiber and a task, and exit (at least MIN_ROUNDS rounds, and until the
   flushes end). Run under ThreadSanitizer, with the default timeline,
   with a small one (its chunks change hands all the time) and without one.
   A worker names itself after its first scope; one more thread does so and
   is still running when main returns (its frame must carry that name).
   Usage: flush [FLUSHES] (or FLUSHES in the environment; default 100). Prints the number of rounds: the calls file must
   show exactly that many (tests/stress/run.sh). */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define WORKERS 4
#define INNER 50
/* Enough rounds that a 5000-event timeline reuses its chunks even when the
   flushes end at once (a fast, idle machine). */
#define MIN_ROUNDS 30

static int flushers_left = 2;
static unsigned sink;

static void leaf(unsigned i) {
    THAG_PROFILE(leaf);
    __atomic_fetch_add(&sink, i, __ATOMIC_RELAXED);
}

static void in_fiber(void) {
    THAG_PROFILE(in_fiber);
    leaf(1);
}

static void request(thag_task t) {
    THAG_TASK_RESUME(t);
    THAG_TASK_SECTION(t, parse);
    leaf(2);
    THAG_TASK_SECTION_END(t, parse);
}

/* A fiber's bookkeeping without a machine stack switch: the profiler only
   sees the switch calls, and ThreadSanitizer does not follow swapcontext. */
static void fiber_round(void) {
    thag_fiber f;
    THAG_FIBER_NEW(f, "fib");
    THAG_FIBER_SWITCH(f);
    in_fiber();
    THAG_FIBER_SWITCH(0);
    THAG_FIBER_SWITCH(f);
    in_fiber();
    THAG_FIBER_SWITCH(0);
    THAG_FIBER_END(f);
}

static void *worker(void *arg) {
    THAG_PROFILE(worker);
    thag_task t;
    unsigned i;
    (void)arg;
    pthread_setname_np(pthread_self(), "stress-w");
    for (i = 0; i < INNER; i++) leaf(i);
    fiber_round();
    THAG_TASK_BEGIN(t, "req");
    request(t);
    request(t);
    THAG_TASK_END(t);
    return NULL;
}

static void *flusher(void *arg) {
    int i, n = *(const int *)arg;
    for (i = 0; i < n; i++) thag_flush();
    __atomic_fetch_sub(&flushers_left, 1, __ATOMIC_RELEASE);
    return NULL;
}

static pthread_mutex_t lm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t lc = PTHREAD_COND_INITIALIZER;
static int named;

/* Enters its scope, then names itself, and never exits. */
static void *lingering(void *arg) {
    THAG_PROFILE(lingering);
    (void)arg;
    pthread_setname_np(pthread_self(), "late-name");
    pthread_mutex_lock(&lm);
    named = 1;
    pthread_cond_broadcast(&lc);
    for (;;) pthread_cond_wait(&lc, &lm);
    return NULL;
}

int main(int argc, char **argv) {
    THAG_ENABLE_PROFILING(yes);
    pthread_t fl[2], w[WORKERS], l;
    const char *fe = getenv("FLUSHES");
    int flushes = argc > 1 ? atoi(argv[1]) : fe ? atoi(fe) : 100, rounds = 0, i;
    for (i = 0; i < 2; i++) pthread_create(&fl[i], NULL, flusher, &flushes);
    do {
        for (i = 0; i < WORKERS; i++) pthread_create(&w[i], NULL, worker, NULL);
        for (i = 0; i < WORKERS; i++) pthread_join(w[i], NULL);
        rounds++;
    } while (rounds < MIN_ROUNDS || __atomic_load_n(&flushers_left, __ATOMIC_ACQUIRE));
    for (i = 0; i < 2; i++) pthread_join(fl[i], NULL);
    pthread_create(&l, NULL, lingering, NULL);
    pthread_mutex_lock(&lm);
    while (!named) pthread_cond_wait(&lc, &lm);
    pthread_mutex_unlock(&lm);
    printf("%d rounds\n", rounds);
    return 0;
}
