/* Memory sampled mode: 96 MiB allocated in 1 KiB blocks by two functions
   in a 2:1 ratio, sampled every 256 KiB on average. The estimates must be
   near the truth (about 400 samples: a few percent of error). */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include <stdlib.h>

__attribute__((noinline)) void churn(int blocks) {
    int i;
    for (i = 0; i < blocks; i++) free(malloc(1024));
}

__attribute__((noinline)) void two_thirds(void) { churn(65536); }
__attribute__((noinline)) void one_third(void) { churn(32768); }

int main(void) {
    THAG_ENABLE_PROFILING(memory);
    two_thirds();
    one_third();
    return 0;
}
