/* Fiber edge cases on ucontext: a coroutine suspended on the main thread
   and resumed on another thread (its frames move to that thread's tree); a
   longjmp inside a coroutine over profiled scopes (recovered on the
   fiber's own stack); a snapshot (thag_flush) while a fiber runs; a fiber
   abandoned inside a scope and ended from outside; ended twice; a switch
   to a stale handle (back to the thread's own stack). Exact stacks in
   fibers.expected. */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include "../e2e/common.h"
#include <pthread.h>
#include <setjmp.h>
#include <stdlib.h>
#include <ucontext.h>

#define STACK (64 * 1024)

typedef struct coro {
    ucontext_t ctx, *back;
    thag_fiber fiber;
    int done;
} coro;

static coro mover, stuck;
static char stack1[STACK], stack2[STACK];
static jmp_buf jb;
static void *volatile keep;

static void yield(coro *c) {
    THAG_FIBER_SWITCH(0);
    swapcontext(&c->ctx, c->back);
}

static void resume(coro *c, ucontext_t *back) {
    c->back = back;
    THAG_FIBER_SWITCH(c->fiber);
    swapcontext(back, &c->ctx);
}

__attribute__((noinline)) static void deeper(void) {
    THAG_PROFILE(deeper);
    longjmp(jb, 1);
}

__attribute__((noinline)) static void deep(void) {
    THAG_PROFILE(deep);
    deeper();
}

__attribute__((noinline)) static void outer(void) {
    THAG_PROFILE(outer);
    if (!setjmp(jb)) deep();
    leaf(); /* main;run_a;mover;mover_body;outer;leaf: deep, deeper are dead */
}

__attribute__((noinline)) static void step(void) {
    THAG_PROFILE(step);
    keep = malloc(1000); /* memory goes to the fiber's scope */
    free(keep);
    yield(&mover); /* suspended on main, resumed on the other thread */
    leaf();
}

static void mover_body(void) {
    THAG_PROFILE(mover_body);
    outer();
    thag_flush(); /* a snapshot while this fiber runs */
    step();
    leaf();
}

static void mover_entry(void) {
    mover_body();
    mover.done = 1;
    THAG_FIBER_END(mover.fiber);
    setcontext(mover.back); /* back to whoever resumed it last */
}

static void stuck_entry(void) {
    THAG_PROFILE(stuck_body);
    THAG_SECTION(waiting);
    yield(&stuck); /* never resumed */
}

static void *other(void *arg) {
    ucontext_t here;
    (void)arg;
    thag_set_thread_name("other");
    THAG_PROFILE(resumer);
    resume(&mover, &here); /* runs the rest of mover here */
    leaf();
    return NULL;
}

static void make(coro *c, const char *name, void (*fn)(void), char *stack) {
    THAG_FIBER_NEW(c->fiber, name);
    (void)name;
    getcontext(&c->ctx);
    c->ctx.uc_stack.ss_sp = stack;
    c->ctx.uc_stack.ss_size = STACK;
    c->ctx.uc_link = NULL;
    makecontext(&c->ctx, fn, 0);
}

static void run_a(void) {
    THAG_PROFILE(run_a);
    ucontext_t here;
    pthread_t th;
    make(&mover, "mover", mover_entry, stack1);
    make(&stuck, "stuck", stuck_entry, stack2);
    resume(&mover, &here);
    resume(&stuck, &here);
    leaf();
    pthread_create(&th, NULL, other, NULL);
    pthread_join(th, NULL);
    THAG_FIBER_END(stuck.fiber); /* abandoned inside two scopes */
    THAG_FIBER_END(stuck.fiber); /* twice: ignored */
    THAG_FIBER_SWITCH(stuck.fiber); /* stale: the thread's own stack */
    leaf();
}

int main(void) {
    THAG_ENABLE_PROFILING(yes); /* both with THAG_FULL_PROFILING */
    run_a();
    leaf();
    return mover.done ? 0 : 1;
}
