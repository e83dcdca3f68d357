/* longjmp out of profiled scopes: later stacks must stay right. */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include "common.h"
#include <setjmp.h>

static jmp_buf env;

__attribute__((noinline)) static void thrower(int depth) {
    THAG_PROFILE(thrower);
    THAG_SECTION(inside);
    if (depth > 0) thrower(depth - 1);
    else if (e2e_sink >= 0) longjmp(env, 1);
}

__attribute__((noinline)) static void catcher(void) {
    THAG_PROFILE(catcher);
    volatile int i;
    for (i = 0; i < 3; i++) {
        if (setjmp(env) == 0) thrower(2);
        else leaf();
    }
    leaf();
}

int main(void) {
    THAG_ENABLE_PROFILING(time);
    catcher();
    leaf();
    return 0;
}
