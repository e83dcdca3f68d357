/* Automatic mode, the hard cases: a constructor before main, longjmp out
   of hooked frames, sections inside hooked functions, named threads, deep
   recursion, exit() from deep inside. Built with -finstrument-functions
   -DTHAG_TIME_PROFILING and tests/auto/impl.c; `edge exit` ends by exit(4)
   from a nested call. The expected stacks are in edge.expected. */
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "thag_profiler.h"

static volatile int sink;
static jmp_buf env;

__attribute__((constructor)) static void early(void)
{
    sink++;
}

static void leaf(void)
{
    sink++;
}

/* A large frame: the frames a longjmp leaves behind are deeper than any
   later call from catcher, whatever the compiler makes of leaf. */
static void thrower(int depth)
{
    volatile char pad[512];
    pad[depth] = 1;
    if (depth > 0) thrower(depth - 1);
    else if (pad[0]) longjmp(env, 1);
}

static void catcher(void)
{
    volatile int i;
    for (i = 0; i < 3; i++) {
        if (setjmp(env) == 0) thrower(2);
        else leaf();
    }
    leaf();
}

static void sectioned(void)
{
    THAG_SECTION(part);
    leaf();
    THAG_END(part);
    leaf();
}

static void *worker(void *arg)
{
    char name[16];
    int i;
    snprintf(name, sizeof name, "worker-%d", (int)(long)arg);
    thag_set_thread_name(name);
    for (i = 0; i < 1000; i++) leaf();
    return NULL;
}

static void spawn(void)
{
    pthread_t t[2];
    long i;
    for (i = 0; i < 2; i++) pthread_create(&t[i], NULL, worker, (void *)i);
    for (i = 0; i < 2; i++) pthread_join(t[i], NULL);
}

static int rec(int n)
{
    return n ? 1 + rec(n - 1) : 0;
}

static void deep_exit(int n)
{
    if (n > 0) deep_exit(n - 1);
    else if (sink >= 0) exit(4);
}

int main(int argc, char **argv)
{
    catcher();
    sectioned();
    spawn();
    if (rec(200) != 200) return 1;
    leaf();
    if (argc > 1 && strcmp(argv[1], "exit") == 0) deep_exit(2);
    return 0;
}
