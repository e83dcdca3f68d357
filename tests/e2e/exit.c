/* exit() from deep inside profiled scopes: output written exactly once,
   the exit status unchanged. A flush before it is replaced by the final
   write. */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include "common.h"
#include <stdlib.h>

static void deep(void) {
    THAG_PROFILE(deep);
    leaf();
    thag_flush();
    exit(3);
}

static void middle(void) {
    THAG_PROFILE(middle);
    THAG_SECTION(sec);
    deep();
}

int main(void) {
    THAG_ENABLE_PROFILING(time);
    middle();
    return 0;
}
