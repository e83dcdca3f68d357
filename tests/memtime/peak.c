/* Peak attribution: scope hold_a holds 3 MiB and hold_b 1 MiB at the run's
   peak (4 MiB); later_c allocates 2 MiB after hold_a's blocks are freed
   (3 MiB live then, below the peak): it must not be in the peak file.
   Profiled scopes and real frames have the same names, so the expected
   peak file is the same in summary, detail and sampled modes. */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include <stdlib.h>
#include <string.h>

#define MIB ((size_t)1 << 20)
static void *a[3], *b, *c[2];

__attribute__((noinline)) static void hold_a(void) {
    THAG_PROFILE(hold_a);
    int i;
    for (i = 0; i < 3; i++) memset(a[i] = malloc(MIB), 1, MIB);
}

__attribute__((noinline)) static void hold_b(void) {
    THAG_PROFILE(hold_b);
    memset(b = malloc(MIB), 2, MIB);
}

__attribute__((noinline)) static void free_a(void) {
    THAG_PROFILE(free_a);
    int i;
    for (i = 0; i < 3; i++) free(a[i]);
}

__attribute__((noinline)) static void later_c(void) {
    THAG_PROFILE(later_c);
    int i;
    for (i = 0; i < 2; i++) memset(c[i] = malloc(MIB), 3, MIB);
}

int main(void) {
    THAG_ENABLE_PROFILING(memory);
    hold_a();
    hold_b();
    free_a();
    later_c();
    free(b);
    free(c[0]);
    free(c[1]);
    return 0;
}
