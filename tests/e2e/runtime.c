/* THAG_ENABLE_PROFILING(runtime): THAG_PROFILER decides; also the
   programmatic switches. Exits with status 7 to check it is kept. */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include "common.h"

int main(void) {
    THAG_ENABLE_PROFILING(runtime);
    leaf();
    if (thag_is_profiling_enabled()) {
        thag_enable_profiling(0, THAG_TYPE_TIME);
        leaf(); /* not recorded */
        thag_enable_profiling(1, THAG_TYPE_TIME);
    }
    leaf();
    return 7;
}
