/* The allocator hooks behave like glibc's where programs depend on it:
   errno, realloc(p, 0), free(NULL), bad alignments, huge sizes, alignment
   of every call; allocations before main and after exit; fork while
   threads allocate; dlopen. Built with -fno-builtin, so that the compiler
   does not fold calls whose results it assumes (clang folds
   realloc(p, 0) == NULL). Exits 0 when every check passes, else prints
   the failures and exits 1. */
/* The implementation is in mem_impl.c: hooks in another file, as in real programs. */
#include "thag_profiler.h"
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAILED %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)
#define ALIGNED(p, a) (((uintptr_t)(p) & ((a) - 1)) == 0)

static void *early;
__attribute__((constructor)) static void before_main(void) { early = malloc(33); }
static void after_exit(void) {
    void *p = malloc(77);
    free(p);
    free(early);
}

static void semantics(void) {
    THAG_PROFILE(semantics);
    void *p;
    volatile size_t big = (size_t)1 << 40;
    volatile size_t three = 3; /* not a constant: compilers reject it */
    errno = 0;
    p = malloc(1);
    CHECK(p && errno == 0);
    free(p);
    free(NULL);
    CHECK(errno == 0);
    p = malloc(8);
    errno = 0;
    CHECK(realloc(p, 0) == NULL); /* glibc: frees p */
    p = malloc((size_t)-1 / 2);
    CHECK(p == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(calloc(big, big) == NULL && errno == ENOMEM);
    CHECK(reallocarray(NULL, big, big) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(aligned_alloc(three, 16) == NULL && errno == EINVAL);
    CHECK(posix_memalign(&p, three, 16) == EINVAL);
    CHECK(posix_memalign(&p, 2, 16) == EINVAL); /* less than sizeof(void *) */
    p = calloc(100, 1);
    CHECK(p && ((char *)p)[0] == 0 && ((char *)p)[99] == 0);
    CHECK(malloc_usable_size(p) >= 100);
    free(p);
}

/* realloc keeps the contents, growing and shrinking (a sampled block may
   move to an aligned one). */
static void contents(void) {
    THAG_PROFILE(contents);
    size_t sizes[] = {10, 100, 5000, 64, 100000, 3, 70000, 200};
    size_t i, k, have = 0;
    unsigned char *p = NULL;
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t keep = have < sizes[i] ? have : sizes[i];
        p = (unsigned char *)realloc(p, sizes[i]);
        CHECK(p != NULL && ((uintptr_t)p & 15) == 0);
        if (!p) return;
        for (k = 0; k < keep; k++)
            if (p[k] != (unsigned char)(k * 7)) { CHECK(!"realloc kept the contents"); break; }
        for (k = 0; k < sizes[i]; k++) p[k] = (unsigned char)(k * 7);
        have = sizes[i];
    }
    free(p);
}

static void alignment(void) {
    THAG_PROFILE(alignment);
    size_t a;
    void *p = NULL;
    for (a = 8; a <= 8192; a *= 2) {
        CHECK(posix_memalign(&p, a, 24) == 0 && ALIGNED(p, a));
        free(p);
        p = aligned_alloc(a, 3 * a);
        CHECK(p && ALIGNED(p, a));
        p = realloc(p, 10 * a); /* may move; glibc keeps only 16-alignment */
        CHECK(p && ALIGNED(p, 16));
        free(p);
        p = memalign(a, 5);
        CHECK(p && ALIGNED(p, a) && malloc_usable_size(p) >= 5);
        free(p);
    }
    p = valloc(10);
    CHECK(p && ALIGNED(p, 4096));
    free(p);
    p = pvalloc(10);
    CHECK(p && ALIGNED(p, 4096) && malloc_usable_size(p) >= 4096);
    free(p);
    for (a = 1; a < 300; a += 7) {
        p = malloc(a);
        CHECK(p && ALIGNED(p, 16));
        memset(p, 1, a);
        free(p);
    }
    {   /* many live blocks of every small size, 0 included: not only a reused one */
        static void *live[65][40];
        size_t k;
        for (a = 0; a <= 64; a++)
            for (k = 0; k < 40; k++) {
                live[a][k] = malloc(a);
                CHECK(live[a][k] && ALIGNED(live[a][k], 16));
            }
        for (a = 0; a <= 64; a++)
            for (k = 0; k < 40; k++) free(live[a][k]);
    }
}

static volatile int stop;
static void *churn(void *arg) {
    (void)arg;
    while (!stop) free(malloc(64));
    return NULL;
}

static void forking(void) {
    THAG_PROFILE(forking);
    pthread_t t[2];
    int i, status;
    for (i = 0; i < 2; i++) pthread_create(&t[i], NULL, churn, NULL);
    for (i = 0; i < 20; i++) {
        pid_t pid = fork();
        if (pid == 0) { free(malloc(100)); _exit(0); }
        CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    stop = 1;
    for (i = 0; i < 2; i++) pthread_join(t[i], NULL);
}

static void loading(void) {
    THAG_PROFILE(loading);
    void *h = dlopen("libz.so.1", RTLD_NOW);
    if (!h) h = dlopen("libm.so.6", RTLD_NOW);
    CHECK(h != NULL);
    if (h) dlclose(h);
}

int main(void) {
    THAG_ENABLE_PROFILING(memory);
    CHECK(early != NULL);
    atexit(after_exit);
    semantics();
    contents();
    alignment();
    forking();
    loading();
    return failures ? 1 : 0;
}
