/* A user file that uses every public macro and function of thag_profiler.h,
   in the ways its doc block allows. tests/strict/run.sh compiles it in every
   build mode, as C (C99 to C2x) and C++ (C++11 to C++20), gcc and clang,
   under a strict warning set with -Werror: the header must add no warning.
   Valid C and C++ alike; it includes no system header of its own. */
#include "thag_profiler.h"

/* The header must leave the feature-test macros as it found them (g++
   and clang++ predefine _GNU_SOURCE themselves). */
#if (defined(_GNU_SOURCE) || defined(_DEFAULT_SOURCE)) && !defined(__cplusplus)
#error "thag_profiler.h defined a feature-test macro in a user file"
#endif

typedef struct conn {
    thag_task task;   /* the handles are declared in every mode */
    thag_fiber fiber;
    int n;
} conn;

static int work(int n);
static int work_func(int n);
static void callback(conn *c);
static void with_sections(void);
static void coroutine(void);
static void reuse(void);

/* THAG_PROFILE as first statement, declarations after it. */
static int work(int n) {
    THAG_PROFILE(work);
    int i, sum = 0;
    for (i = 0; i < n; i++) sum += i;
    return sum;
}

/* THAG_PROFILE_FUNC: the frame is the function's own name. */
static int work_func(int n) {
    THAG_PROFILE_FUNC();
    int k = n + 1;
    return k;
}

/* THAG_PROFILE with a kind; THAG_TASK_RESUME first, then declarations. */
static void callback(conn *c) {
    THAG_TASK_RESUME(c->task);
    THAG_PROFILE(callback, both);
    int k = work(c->n);
    THAG_TASK_SECTION(c->task, parse);
    c->n = k;
    THAG_TASK_SECTION_END(c->task, parse);
}

/* Sections: nested, overlapping, named by a string, reused in a new block. */
static void with_sections(void) {
    THAG_PROFILE(with_sections, time);
    int a = 0;
    THAG_SECTION(outer);
    int b = 1;
    THAG_SECTION(inner);
    THAG_SECTION_NAMED(odd, "a frame; with any text");
    a += work(b);
    THAG_END(outer); /* out of order */
    THAG_END(inner);
    THAG_END(odd);
    THAG_END(odd); /* twice is harmless */
    (void)a;
}

/* A name reused in sibling blocks (in nested ones it would shadow, and
   -Wshadow warns, as for any variable). */
static void reuse(void) {
    int i;
    for (i = 0; i < 2; i++) {
        THAG_SECTION(step);
        (void)work(i);
    }
    {
        THAG_SECTION(step);
        (void)work(2);
    }
}

/* The known case: a handle used only by the macros must not be "unused"
   when they are compiled out. */
static void coroutine(void) {
    thag_fiber f;
    THAG_FIBER_NEW(f, "x");
    THAG_FIBER_SWITCH(f);
    THAG_FIBER_SWITCH(0);
}

/* Each macro that takes a handle is somewhere its only reader... */
static void fiber_switch(thag_fiber f) {
    THAG_FIBER_SWITCH(f);
}
static void fiber_end(thag_fiber f) {
    THAG_FIBER_END(f);
}
static void task_end(thag_task t) {
    THAG_TASK_END(t);
}
static void task_resume(thag_task t) {
    THAG_TASK_RESUME(t);
}
static void task_section(thag_task t) {
    THAG_TASK_SECTION(t, s);
}
static void task_section_end(thag_task t) {
    THAG_TASK_SECTION_END(t, s);
}

/* ... and, compiled out, each setter its only user (enabled, a handle only
   set would be "set but not used", rightly). */
#if !THAG__ENABLED
static void setters(void);
static void setters(void) {
    thag_fiber f;
    thag_task t, u;
    THAG_FIBER_NEW(f, "f");
    THAG_TASK_BEGIN(t, "t");
    THAG_TASK_BEGIN_APART(u, "u");
}
#endif

int main(void) {
    THAG_ENABLE_PROFILING(yes); /* first statement: declarations follow */
    conn c;
    thag_task apart;
    thag_fiber g;
    const char *msg;
    int on;
    c.n = work_func(2);
    c.fiber = 0;
    THAG_TASK_BEGIN(c.task, "request");
    THAG_TASK_BEGIN_APART(apart, "job");
    callback(&c);
    THAG_TASK_END(c.task);
    THAG_TASK_END(apart);
    with_sections();
    coroutine();
    fiber_switch(0);
    fiber_end(thag_fiber_new("e"));
    task_resume(c.task);
    task_section(c.task);
    task_section_end(c.task);
    task_end(thag_task_begin("e", 0));
#if !THAG__ENABLED
    setters();
#endif
    reuse();
    g = thag_fiber_new("fn");
    thag_fiber_switch(g);
    thag_fiber_switch(0);
    thag_fiber_end(g);
    thag_task_end(thag_task_begin("t", 1));
    thag_set_thread_name("main thread");
    on = thag_is_profiling_enabled();
    msg = thag_result_string(thag_enable_profiling(on, THAG_TYPE_TIME));
    (void)thag_enable_profiling(1, THAG_TYPE_BOTH);
    (void)thag_flush();
    (void)thag_enable_profiling(0, THAG_TYPE_NONE);
    (void)thag_enable_profiling(1, THAG_TYPE_MEMORY);
    return msg[0] == '\0';
}
