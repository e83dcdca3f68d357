/* The sample program that every build recipe of docs/projects.md builds. */
#define THAG_PROFILER_IMPLEMENTATION /* in exactly one file */
#include "thag_profiler.h"

#include <stdio.h>

#include "work.h"

int main(void) {
    THAG_ENABLE_PROFILING(yes);
    printf("%lu\n", work(300000));
    return 0;
}
