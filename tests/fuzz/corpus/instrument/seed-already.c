%/* Already instrumented by hand: nothing must change. */
#include <stdio.h>
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"

static int work(int n)
{
    THAG_PROFILE(work);
    int s = 0;
    THAG_SECTION(loop);
    for (int i = 0; i < n; i++) s += i;
    THAG_END(loop);
    return s;
}

static int detail(int n) { THAG_PROFILE(detail, mem_detail); return n; }

int main(void)
{
    THAG_ENABLE_PROFILING(time);
    printf("%d\n", work(10) + detail(1));
    return 0;
}
