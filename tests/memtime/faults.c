/* Faults the program survives alone must not crash it under the profiler:
   free(NULL) and realloc(NULL, n); blocks from glibc's own allocator
   (__libc_malloc: they never passed through the hooks) freed and
   reallocated with free and realloc; allocations made by signal handlers,
   from a timer (interrupting code that does not allocate) and from raise.
   Prints the number of counted allocations it made, for the test to
   compare with the profile: 1 (realloc(NULL)) + 2 per timer signal + 1
   per raise. glibc's blocks are not counted; glibc's realloc keeps their
   contents (mimalloc's lost them: it does not know their size). */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

void *__libc_malloc(size_t n);

void *volatile sink;
static void *kept[64];
static volatile sig_atomic_t ticks, raised;

static void on_alarm(int sig) {
    void *p = malloc(64), *q = malloc(200);
    (void)sig;
    sink = p;
    free(p);
    if (ticks < 64) kept[ticks] = q;
    else free(q);
    ticks++;
}

static void on_usr1(int sig) {
    (void)sig;
    sink = malloc(1000);
    raised++;
}

__attribute__((noinline)) static void foreign(void) {
    THAG_PROFILE(foreign);
    char *p = (char *)__libc_malloc(100), *q = (char *)__libc_malloc(50);
    memset(p, 1, 100);
    free(p);
    memset(q, 3, 50);
    q = (char *)realloc(q, 5000); /* glibc's realloc: the 50 bytes are kept */
    for (int i = 0; i < 50; i++)
        if (q[i] != 3) { fprintf(stderr, "realloc lost the block's contents\n"); exit(3); }
    memset(q, 2, 5000);
    free(q);
    free(NULL);
    free(realloc(NULL, 10));
}

__attribute__((noinline)) static double spin(void) {
    THAG_PROFILE(spin);
    struct itimerval it = {{0, 1000}, {0, 1000}};
    double x = 0;
    long i = 0;
    signal(SIGALRM, on_alarm);
    setitimer(ITIMER_REAL, &it, NULL);
    while (ticks < 20) x += (double)(++i % 7);
    memset(&it, 0, sizeof it);
    setitimer(ITIMER_REAL, &it, NULL);
    return x;
}

int main(void) {
    THAG_ENABLE_PROFILING(memory);
    int i, n;
    foreign();
    sink = (void *)(long)spin();
    signal(SIGUSR1, on_usr1);
    for (i = 0; i < 3; i++) raise(SIGUSR1);
    n = ticks;
    for (i = 0; i < n && i < 64; i++) free(kept[i]);
    {
        char line[64]; /* not printf: stdout's buffer would be one more allocation */
        int k = snprintf(line, sizeof line, "allocations=%d\n", 1 + 2 * n + raised);
        if (write(1, line, (size_t)k) != k) return 1;
    }
    return 0;
}
