/* workers: a multi-threaded worker pool.

   The main thread queues jobs (count the primes in a range, or checksum a
   buffer); four named worker threads take them from a mutex-protected
   queue. Each thread keeps its own call tree with no locks on the hot
   path; the output shows each worker as the root of its stacks
   (worker-0;run_job;count_primes) unless THAG_MERGE_THREADS=true merges
   them (run_job;count_primes).

   Build: cc -O2 -DTHAG_TIME_PROFILING -I.. workers.c -pthread -o workers */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define NWORKERS 4
#define NJOBS 64

typedef struct job { int kind; uint32_t arg; uint64_t result; } job;

static job jobs[NJOBS];
static int next_job;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t count_primes(uint32_t from, uint32_t to) {
    THAG_PROFILE(count_primes);
    uint64_t n = 0;
    uint32_t i, d;
    for (i = from < 2 ? 2 : from; i < to; i++) {
        for (d = 2; d * d <= i && i % d; d++) {}
        n += d * d > i;
    }
    return n;
}

static uint64_t checksum(uint32_t seed) {
    THAG_PROFILE(checksum);
    uint64_t h = seed;
    int i;
    for (i = 0; i < 2000000; i++) h = (h ^ (uint64_t)i) * 0x100000001b3ull;
    return h;
}

static void run_job(job *j) {
    THAG_PROFILE(run_job);
    if (j->kind == 0) j->result = count_primes(j->arg * 20000u, j->arg * 20000u + 20000u);
    else j->result = checksum(j->arg);
}

static job *take(void) {
    job *j = NULL;
    pthread_mutex_lock(&lock);
    if (next_job < NJOBS) j = &jobs[next_job++];
    pthread_mutex_unlock(&lock);
    return j;
}

static void *worker(void *arg) {
    char name[16];
    job *j;
    snprintf(name, sizeof name, "worker-%d", (int)(intptr_t)arg);
    thag_set_thread_name(name);
    while ((j = take()) != NULL) run_job(j);
    return NULL;
}

int main(void) {
    THAG_ENABLE_PROFILING(yes);
    pthread_t t[NWORKERS];
    uint64_t primes = 0;
    int i;
    for (i = 0; i < NJOBS; i++) { jobs[i].kind = i % 2; jobs[i].arg = (uint32_t)i; }
    for (i = 0; i < NWORKERS; i++) pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    for (i = 0; i < NWORKERS; i++) pthread_join(t[i], NULL);
    for (i = 0; i < NJOBS; i += 2) primes += jobs[i].result;
    printf("%d jobs done by %d workers; primes below %u: %llu\n", NJOBS, NWORKERS,
           (NJOBS / 2 - 1) * 2 * 20000u + 20000u, (unsigned long long)primes);
    return 0;
}
