/* coro: coroutines on ucontext (makecontext/swapcontext), profiled with the
   fiber API. Three coroutines (two "producer"s and one "consumer") take
   turns inside profiled functions: each one yields in the middle of a
   scope, and another runs. Without the fiber calls their frames would pile
   up on one stack (`main;run;produce;consume;...`); with them every
   coroutine keeps its own stack, rooted where the scheduler first ran it:
       main;run;producer;produce;make_item
       main;run;consumer;consume;use_item
   and time spent while a coroutine is suspended is not charged to it.

   Build: cc -O2 -DTHAG_TIME_PROFILING -pthread -I. examples/coro.c -o coro
   Run:   ./coro            (writes coro-<stamp>*.folded) */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"

#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>

#define NCORO 3
#define ITEMS 4
#define STACK_SIZE (64 * 1024)

typedef struct coro {
    ucontext_t ctx;
    thag_fiber fiber; /* the profiler's handle for this coroutine */
    int id, done;
    void (*fn)(struct coro *);
} coro;

static ucontext_t scheduler;
static coro coros[NCORO];
static coro *current;
static long queue[ITEMS * 2], total;
static int head, tail;
static volatile unsigned long sink;

/* Back to the scheduler. The profiler is told first, next to the switch. */
static void yield(void) {
    coro *c = current;
    THAG_FIBER_SWITCH(0);
    swapcontext(&c->ctx, &scheduler);
}

__attribute__((noinline)) static long make_item(int id, int i) {
    THAG_PROFILE(make_item);
    unsigned long k;
    for (k = 0; k < 40000; k++) sink += k ^ (unsigned long)i;
    return id * 100 + i;
}

__attribute__((noinline)) static void use_item(long v) {
    THAG_PROFILE(use_item);
    unsigned long k;
    for (k = 0; k < 5000; k++) sink += k;
    total += v;
}

/* Makes ITEMS/2 items, yielding inside its profiled scope after each one. */
static void produce(coro *c) {
    THAG_PROFILE(produce);
    int i;
    for (i = 0; i < ITEMS; i++) {
        queue[tail++] = make_item(c->id, i);
        yield();
    }
}

/* Uses every item; waits (yields) while the queue is empty. */
static void consume(coro *c) {
    THAG_PROFILE(consume);
    int used = 0;
    (void)c;
    while (used < ITEMS * 2) {
        if (head == tail) {
            THAG_SECTION(starved);
            yield();
            continue;
        }
        use_item(queue[head++]);
        used++;
    }
}

/* The coroutine's body; tells the profiler when it is finished. */
static void trampoline(int id) {
    coro *c = &coros[id];
    c->fn(c);
    c->done = 1;
    THAG_FIBER_END(c->fiber);
}

static void spawn(int id, const char *name, void (*fn)(coro *), char *stack) {
    coro *c = &coros[id];
    (void)name;
    c->id = id;
    c->fn = fn;
    THAG_FIBER_NEW(c->fiber, name);
    getcontext(&c->ctx);
    c->ctx.uc_stack.ss_sp = stack;
    c->ctx.uc_stack.ss_size = STACK_SIZE;
    c->ctx.uc_link = &scheduler;
    makecontext(&c->ctx, (void (*)(void))trampoline, 1, id);
}

/* Round-robin until every coroutine is done. */
static int run(void) {
    THAG_PROFILE(run);
    int live = NCORO, i, rounds = 0;
    while (live) {
        for (live = 0, i = 0; i < NCORO; i++) {
            if (coros[i].done) continue;
            current = &coros[i];
            THAG_FIBER_SWITCH(coros[i].fiber);
            swapcontext(&scheduler, &coros[i].ctx);
            live += !coros[i].done;
        }
        rounds++;
    }
    return rounds;
}

int main(void) {
    THAG_ENABLE_PROFILING(yes);
    static char stacks[NCORO][STACK_SIZE];
    int rounds;
    spawn(0, "consumer", consume, stacks[0]);
    spawn(1, "producer", produce, stacks[1]);
    spawn(2, "producer", produce, stacks[2]);
    rounds = run();
    printf("coro: %d rounds, total %ld\n", rounds, total);
    return total == 1212 ? 0 : 1; /* 100..103 + 200..203 */
}
