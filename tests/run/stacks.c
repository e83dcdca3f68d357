/* stacks.c: known call stacks without frame pointers, for the unwinders of
   thag-run (THAG_STACK=unwind and libgcc must agree exactly).
   Build: cc -O2 -g -fomit-frame-pointer -fno-optimize-sibling-calls -pthread
   Allocations, by stack (outermost first):
     main;via_a;leaf 1000 and main;via_b;leaf 1000: alternating call sites
       with the same frame sizes (a walk that reused the last stack's outer
       frames without checking them would mix them up);
     main;deep;deep;...: 50 allocations 100 calls deep (cut at 64 frames);
     ...;qsort...;cmp_alloc: one per comparison (printed: "compares N");
     ...;handler: 10, from a SIGUSR1 handler (through the signal frame);
     worker;leaf 500 on each of 3 threads, running with main's loops (they
       fill the shared table of rules at the same time).
   No stdio before the end (it would allocate).
   "stacks fork": 20 children forked while 2 threads allocate, each child
   allocating through leaf() before _exit(0) (a fork may come while another
   thread is inside the unwinder); prints "forked 20". */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))
void *volatile sink;
static long compares;

NOINLINE void *leaf(size_t n) {
    void *p = malloc(n);
    sink = p;
    return p;
}

NOINLINE void via_a(void) { free(leaf(16)); sink = 0; }
NOINLINE void via_b(void) { free(leaf(16)); sink = 0; }

NOINLINE int deep(int d) {
    int r;
    if (!d) { free(leaf(8)); return 0; }
    r = deep(d - 1);
    sink = &r;
    return r + 1;
}

NOINLINE int cmp_alloc(const void *a, const void *b) {
    void *p = malloc(4);
    sink = p;
    free(p);
    compares++;
    return *(const int *)a - *(const int *)b;
}

NOINLINE void handler(int sig) {
    void *p = malloc((size_t)sig);
    sink = p;
    free(p);
}

NOINLINE void *worker(void *arg) {
    int i;
    for (i = 0; i < 500; i++) free(leaf(32));
    return arg;
}

static volatile int stop;

NOINLINE void *spinner(void *arg) {
    while (!stop) free(leaf(24));
    return arg;
}

static int forks(void) {
    pthread_t t[2];
    int i, ok = 0, st;
    for (i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, spinner, NULL)) return 1;
    for (i = 0; i < 20; i++) {
        pid_t p = fork();
        if (p == 0) {
            int k;
            for (k = 0; k < 100; k++) free(leaf(40));
            _exit(0);
        }
        if (p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0) ok++;
    }
    stop = 1;
    for (i = 0; i < 2; i++) pthread_join(t[i], NULL);
    printf("forked %d\n", ok);
    return ok != 20;
}

int main(int argc, char **argv) {
    int i, v[64];
    if (argc > 1 && !strcmp(argv[1], "fork")) return forks();
    pthread_t t[3];
    for (i = 0; i < 3; i++)
        if (pthread_create(&t[i], NULL, worker, NULL)) return 1;
    for (i = 0; i < 1000; i++) { via_a(); via_b(); }
    for (i = 0; i < 50; i++) deep(100);
    for (i = 0; i < 64; i++) v[i] = (i * 37) % 64;
    qsort(v, 64, sizeof v[0], cmp_alloc);
    signal(SIGUSR1, handler);
    for (i = 0; i < 10; i++) raise(SIGUSR1);
    for (i = 0; i < 3; i++)
        if (pthread_join(t[i], NULL)) return 1;
    printf("compares %ld\n", compares);
    return 0;
}
