/* Hostile environments (tests/run_hostile.sh): one program, the mode in argv[1].
   Whatever happens at output, the exit status is the program's own: 0.
     plain           one profiled call
     emfile          opens files until EMFILE before returning from main
     recurse N       a profiled function recursing N levels (on a thread with a big stack)
     threads N       N threads at once, each named "hostile" and calling f once
     forks N         N children that call f and exit (half with exit(), half with _exit())
     forkexec N      N children that exec /bin/true
     closeall        closes every file descriptor before returning from main
     chdir           changes to / before returning from main (relative output directory) */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int sink;

__attribute__((noinline)) static void f(void) {
    THAG_PROFILE(f);
    sink++;
}

__attribute__((noinline)) static int rec(int n) {
    THAG_PROFILE(rec);
    return n <= 1 ? 1 : 1 + rec(n - 1);
}

static void *recurse_thread(void *arg) {
    thag_set_thread_name("deep");
    return (void *)(long)rec((int)(long)arg);
}

static pthread_barrier_t barrier;

static void *thread_main(void *arg) {
    (void)arg;
    thag_set_thread_name("hostile");
    pthread_barrier_wait(&barrier); /* all N alive at once */
    f();
    return NULL;
}

int main(int argc, char **argv) {
    THAG_ENABLE_PROFILING(time);
    const char *mode = argc > 1 ? argv[1] : "plain";
    long n = argc > 2 ? atol(argv[2]) : 0, i;
    if (!strcmp(mode, "plain")) {
        f();
    } else if (!strcmp(mode, "emfile")) {
        f();
        while (open("/dev/null", O_RDONLY) >= 0) {}
    } else if (!strcmp(mode, "recurse")) {
        pthread_attr_t a;
        pthread_t t;
        void *r;
        pthread_attr_init(&a);
        pthread_attr_setstacksize(&a, (size_t)1 << 30); /* 1 GiB: deep enough with any optimisation */
        if (pthread_create(&t, &a, recurse_thread, (void *)n) != 0) return 9;
        pthread_join(t, &r);
        if ((long)r != n) return 8;
    } else if (!strcmp(mode, "threads")) {
        pthread_t *t = calloc((size_t)n, sizeof *t);
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setstacksize(&a, 64 * 1024);
        pthread_barrier_init(&barrier, NULL, (unsigned)n);
        for (i = 0; i < n; i++)
            if (pthread_create(&t[i], &a, thread_main, NULL) != 0) return 9;
        for (i = 0; i < n; i++) pthread_join(t[i], NULL);
        free(t);
    } else if (!strcmp(mode, "forks") || !strcmp(mode, "forkexec")) {
        int ex = !strcmp(mode, "forkexec"), bad = 0, st;
        f();
        for (i = 0; i < n; i++) {
            pid_t p = fork();
            if (p < 0) return 9;
            if (p == 0) {
                f();
                if (ex) { execl("/bin/true", "true", (char *)NULL); _exit(7); }
                if (i % 2) _exit(0);
                exit(0);
            }
        }
        for (i = 0; i < n; i++) if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) bad++;
        f();
        if (bad) return 8;
    } else if (!strcmp(mode, "closeall")) {
        f();
        for (i = 0; i < 1024; i++) close((int)i);
    } else if (!strcmp(mode, "chdir")) {
        f();
        if (chdir("/") != 0) return 9;
    } else {
        return 2;
    }
    return 0;
}
