#include <stdlib.h>

#include "thag_profiler.h"
#include "work.h"

/* A profiled function that takes some time and allocates n words. */
unsigned long work(unsigned n) {
    THAG_PROFILE(work);
    unsigned long *v = malloc(n * sizeof *v), sum = 0;
    if (!v) return 0;
    for (unsigned i = 0; i < n; i++) v[i] = (unsigned long)i * i % 7919;
    for (unsigned i = 0; i < n; i++) sum += v[i];
    free(v);
    return sum;
}
