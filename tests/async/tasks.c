/* Tasks across callbacks of a small event loop, without a library: three
   "request" tasks (aggregated) and two "conn" tasks kept apart (conn#1,
   conn#2), each handled by several callbacks on the loop thread and one on
   a pool thread; an async section opened in one callback and ended in a
   later one; a task ended twice, one never ended, a callback of an ended
   task, a nested resume of the same task. Exact stacks in tasks.expected;
   tests/async/run.sh also checks the wall file. */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include "../e2e/common.h"
#include <pthread.h>
#include <stdlib.h>

#define NREQ 5

typedef struct req {
    thag_task task;
    int id, step;
} req;

typedef void (*callback)(req *);
typedef struct event { callback fn; req *r; } event;

/* The loop's queue; the pool thread posts completions into it. */
static event queue[256];
static int qhead, qtail;
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcond = PTHREAD_COND_INITIALIZER;
static req *job;      /* the pool's single job slot */
static int pool_quit;
static req reqs[NREQ];

static void post(callback fn, req *r) {
    pthread_mutex_lock(&qlock);
    queue[qtail++ % 256] = (event){fn, r};
    pthread_cond_broadcast(&qcond);
    pthread_mutex_unlock(&qlock);
}

__attribute__((noinline)) static void parse(void) {
    THAG_PROFILE(parse);
    __atomic_add_fetch(&e2e_sink, 1, __ATOMIC_RELAXED); /* leaf() adds on the pool thread */
}

static void on_done(req *r);
static void on_late(req *r);

/* Runs on the pool thread: attributed to the task, not to the pool. */
static void do_work(req *r) {
    THAG_TASK_RESUME(r->task);
    THAG_PROFILE(work);
    (void)r;
    leaf();
}

static void *pool(void *arg) {
    (void)arg;
    thag_set_thread_name("pool-1");
    THAG_PROFILE(pool_main);
    pthread_mutex_lock(&qlock);
    for (;;) {
        while (!job && !pool_quit) pthread_cond_wait(&qcond, &qlock);
        if (!job) break;
        req *r = job;
        job = NULL;
        pthread_mutex_unlock(&qlock);
        do_work(r);
        post(on_done, r);
        pthread_mutex_lock(&qlock);
    }
    pthread_mutex_unlock(&qlock);
    return NULL;
}

/* Two reads per request; the second hands the request to the pool. */
static void on_read(req *r) {
    THAG_TASK_RESUME(r->task);
    THAG_PROFILE(on_read);
    parse();
    if (++r->step == 1) {
        THAG_TASK_SECTION(r->task, wait_body);
        post(on_read, r);
        return;
    }
    pthread_mutex_lock(&qlock);
    while (job) pthread_cond_wait(&qcond, &qlock);
    job = r;
    pthread_cond_broadcast(&qcond);
    pthread_mutex_unlock(&qlock);
}

static void respond(req *r) {
    THAG_TASK_RESUME(r->task); /* nested resume of the same task: no new frame */
    THAG_PROFILE(respond);
    (void)r;
    leaf();
}

static void on_done(req *r) {
    THAG_TASK_RESUME(r->task);
    THAG_PROFILE(on_done);
    THAG_TASK_SECTION_END(r->task, wait_body);
    THAG_TASK_SECTION_END(r->task, wait_body); /* ended twice: ignored */
    respond(r);
    if (r->id != 4) THAG_TASK_END(r->task);   /* request 4 is never ended */
    if (r->id == 0) THAG_TASK_END(r->task);   /* ended twice: ignored */
    if (r->id == 0) post(on_late, r);
}

/* A callback of a task already ended: its scopes go under the loop. */
static void on_late(req *r) {
    THAG_TASK_RESUME(r->task);
    THAG_PROFILE(on_late);
    (void)r;
    leaf();
}

static void on_accept(req *r) {
    THAG_PROFILE(on_accept);
    if (r->id < 3) THAG_TASK_BEGIN(r->task, "request");
    else THAG_TASK_BEGIN_APART(r->task, "conn");
    post(on_read, r);
}

static void loop(void) {
    THAG_PROFILE(loop);
    int done = 0;
    while (done < NREQ * 4 + 1) {
        pthread_mutex_lock(&qlock);
        while (qhead == qtail) pthread_cond_wait(&qcond, &qlock);
        event e = queue[qhead++ % 256];
        pthread_mutex_unlock(&qlock);
        e.fn(e.r);
        done++;
        if (done == 2 * NREQ) {
            THAG_SECTION(idle); /* the loop waits; no task is charged */
            spin_ms(20);
        }
    }
}

int main(void) {
    THAG_ENABLE_PROFILING(time);
    pthread_t th;
    int i;
    pthread_create(&th, NULL, pool, NULL);
    for (i = 0; i < NREQ; i++) {
        reqs[i].id = i;
        post(on_accept, &reqs[i]);
    }
    loop();
    pthread_mutex_lock(&qlock);
    pool_quit = 1;
    pthread_cond_broadcast(&qcond);
    pthread_mutex_unlock(&qlock);
    pthread_join(th, NULL);
    return 0;
}
