/* Temporary allocations (as heaptrack counts them: freed by their thread
   before it allocates or frees anything else), with known counts per scope:
     temps        100 blocks freed right away: 100 temporary
     keeps         50 blocks kept until release: none temporary
     pairs         30 times p, q then free(p), free(q): none (free(p)
                   comes between q and its free)
     grow          realloc(NULL, 10) then realloc to 20, 30, 40 (new
                   blocks: the old one is freed before the new is
                   counted): 3 temporary, the last block is freed later
     threads       2 threads x 40 temporaries, and a block allocated on
                   one thread and freed on the main thread: 80
   and 0 in release (each block freed there was followed by others):
   183. */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include <pthread.h>
#include <stdlib.h>

void *volatile sink;
static void *keep[50];
static void *handed;

__attribute__((noinline)) static void temps(void) {
    THAG_PROFILE(temps);
    int i;
    for (i = 0; i < 100; i++) {
        void *p = malloc(32);
        sink = p;
        free(p);
    }
}

__attribute__((noinline)) static void keeps(void) {
    THAG_PROFILE(keeps);
    int i;
    for (i = 0; i < 50; i++) keep[i] = malloc(64);
}

__attribute__((noinline)) static void pairs(void) {
    THAG_PROFILE(pairs);
    int i;
    for (i = 0; i < 30; i++) {
        void *p = malloc(16), *q = malloc(16);
        sink = p;
        sink = q;
        free(p);
        free(q);
    }
}

__attribute__((noinline)) static void grow(void) {
    THAG_PROFILE(grow);
    char *p = NULL;
    size_t n;
    for (n = 10; n <= 40; n += 10) {
        p = (char *)realloc(p, n);
        p[0] = 1;
    }
    sink = p;
}

__attribute__((noinline)) static void release(void) {
    THAG_PROFILE(release);
    int i;
    for (i = 0; i < 50; i++) free(keep[i]);
    free(sink);
    free(handed);
}

__attribute__((noinline)) static void *worker(void *arg) {
    THAG_PROFILE(worker);
    int i;
    (void)arg;
    for (i = 0; i < 40; i++) {
        void *p = malloc(48);
        sink = p;
        free(p);
    }
    return malloc(24); /* freed on the main thread: not temporary */
}

int main(void) {
    THAG_ENABLE_PROFILING(memory);
    pthread_t t[2];
    void *r[2];
    int i;
    temps();
    keeps();
    pairs();
    grow();
    for (i = 0; i < 2; i++) pthread_create(&t[i], NULL, worker, NULL);
    for (i = 0; i < 2; i++) pthread_join(t[i], &r[i]);
    free(r[0]);
    handed = r[1];
    release();
    return 0;
}
