/* Memory profiling switched off and on at run time (thag_enable_profiling):
   only the allocations made while it is on are counted, and a block
   allocated while it is off is not counted when it is freed while it is
   on. The hooks' fast paths follow the switch (thag__hot). */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include <stdlib.h>

static void *volatile sink;

__attribute__((noinline)) static void churn(int n, size_t size) {
    THAG_PROFILE(churn);
    int i;
    for (i = 0; i < n; i++) {
        sink = malloc(size);
        free(sink);
    }
}

int main(void) {
    THAG_ENABLE_PROFILING(runtime); /* THAG_PROFILER=memory[,,,true] */
    void *kept;
    churn(100, 100); /* counted: 100 blocks, 10000 bytes */
    thag_enable_profiling(0, THAG_TYPE_MEMORY);
    churn(1000, 50); /* not counted */
    kept = malloc(40); /* not counted, nor its free below */
    thag_enable_profiling(1, THAG_TYPE_MEMORY);
    churn(10, 30); /* counted: 10 blocks, 300 bytes */
    free(kept);
    sink = malloc(24); /* counted, live at exit */
    return 0;
}
