/* Sections: nested, overlapping, left open, in loops, reused, ended twice,
   left by goto; and a recursive profiled function. */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include "common.h"

static void nested(void) {
    THAG_PROFILE(nested);
    THAG_SECTION(outer);
    THAG_SECTION(inner);
    leaf();
    THAG_END(inner);
    leaf();
    THAG_END(outer);
}

/* a opens, b opens, a ends first: each keeps its own time. */
static void overlap(void) {
    THAG_PROFILE(overlap);
    THAG_SECTION(a);
    spin_ms(4);
    THAG_SECTION(b);
    spin_ms(4);
    THAG_END(a);
    spin_ms(4);
    leaf();
    THAG_END(b);
    spin_ms(4);
    leaf();
}

static void no_end(void) {
    THAG_PROFILE(no_end);
    THAG_SECTION(open_only);
    leaf();
}

static void loop(void) {
    THAG_PROFILE(loop);
    int i;
    for (i = 0; i < 10; i++) {
        THAG_SECTION(iter);
        leaf();
    }
}

static void reuse(void) {
    THAG_PROFILE(reuse);
    {
        THAG_SECTION(phase);
        leaf();
    }
    {
        THAG_SECTION(phase);
        leaf();
        leaf();
        THAG_END(phase);
    }
}

static void twice(void) {
    THAG_PROFILE(twice);
    THAG_SECTION(once);
    THAG_END(once);
    THAG_END(once);
    leaf();
}

static void jump(void) {
    THAG_PROFILE(jump);
    for (;;) {
        THAG_SECTION(g);
        leaf();
        goto out;
    }
out:
    leaf();
}

/* Named after itself. */
static void by_func(void) {
    THAG_PROFILE_FUNC();
    leaf();
}

static int rec(int n) {
    THAG_PROFILE(rec);
    return n ? 1 + rec(n - 1) : 0;
}

int main(void) {
    THAG_ENABLE_PROFILING(time);
    nested();
    overlap();
    no_end();
    loop();
    reuse();
    twice();
    jump();
    by_func();
    return rec(3) == 3 ? 0 : 1;
}
