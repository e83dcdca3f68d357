/* Memory summary mode: exact bytes and counts per profiled scope, the
   totals, and what is still live at exit. No output before main returns
   (stdio would allocate its buffer). */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include <stdlib.h>
#include <string.h>

static void *keep[1000];

static void f(void) {
    THAG_PROFILE(f);
    int i;
    for (i = 0; i < 1000; i++) keep[i] = malloc(100);
}

static void g(void) {
    THAG_PROFILE(g, mem_summary);
    int i;
    for (i = 0; i < 1000; i++) free(keep[i]);
}

static void empty(void) {
    THAG_PROFILE(empty);
}

static char *h(void) {
    THAG_PROFILE(h);
    char *s = strdup("hello world");      /* 12 bytes, made by libc */
    char *c = (char *)calloc(10, 10);      /* 100 */
    char *r = (char *)malloc(10);          /* 10 */
    r = (char *)realloc(r, 1000);          /* 1000: one allocation, one free */
    free(c);
    r[0] = s[0];
    free(s);
    return r;                              /* 1000 bytes live at exit */
}

int main(void) {
    THAG_ENABLE_PROFILING(both);
    f();
    g();
    empty();
    return h() ? 0 : 1;
}
