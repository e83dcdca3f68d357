/* uvserver: a libuv echo-style server on loopback, profiled with tasks.
   Each connection is a task ("conn"): its callbacks (reads, a computation
   on libuv's thread pool with uv_queue_work, writes, close) run at
   different turns of the loop, interleaved with the other connections',
   yet they all appear under the task:
       main;uv_run;conn;on_read;parse_request
       main;uv_run;conn;compute            (ran on a pool thread)
       main;uv_run;conn;on_write
   and each request is an async section opened when it is parsed and ended
   when its answer is written, so its latency (wall file) and the time the
   connection was really working on it (inclusive file) are both there.
   The clients are in the same process and loop, tasks too ("client").
   A one-shot timer starts them.

   Build: cc -O2 -DTHAG_TIME_PROFILING -pthread -I. examples/uvserver.c -o uvserver -luv
   Run:   ./uvserver [clients [requests]]   (default 4 clients, 2 requests each) */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

typedef struct conn {
    uv_tcp_t tcp;
    uv_work_t work;
    uv_write_t wreq;
    thag_task task;
    char rbuf[256], wbuf[64];
    size_t rlen;
    unsigned long arg, result;
} conn;

typedef struct client {
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t wreq;
    thag_task task;
    char rbuf[256], wbuf[64];
    size_t rlen;
    int id, sent;
} client;

static uv_loop_t *loop;
static uv_tcp_t server;
static uv_timer_t starter;
static struct sockaddr_in addr;
static int nclients = 4, nrequests = 2, open_conns, closed_clients;
static unsigned long checksum;

/* --- server side: one task per connection -------------------------------- */

__attribute__((noinline)) static unsigned long fib(unsigned long n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/* On a pool thread: attributed to the connection, not to the thread. */
static void compute(uv_work_t *w) {
    conn *c = (conn *)w->data;
    THAG_TASK_RESUME(c->task);
    THAG_PROFILE(compute);
    c->result = fib(18 + c->arg % 4);
}

static void on_close(uv_handle_t *h) {
    conn *c = (conn *)h->data;
    THAG_TASK_RESUME(c->task);
    THAG_PROFILE(on_close);
    THAG_TASK_END(c->task);
    free(c);
    if (--open_conns == 0 && closed_clients == nclients) uv_close((uv_handle_t *)&server, NULL);
}

static void on_write(uv_write_t *req, int status) {
    conn *c = (conn *)req->data;
    THAG_TASK_RESUME(c->task);
    THAG_PROFILE(on_write);
    THAG_TASK_SECTION_END(c->task, request);
    (void)c; /* used by the macros only */
    if (status < 0) fprintf(stderr, "uvserver: write: %s\n", uv_strerror(status));
}

static void after_compute(uv_work_t *w, int status) {
    conn *c = (conn *)w->data;
    THAG_TASK_RESUME(c->task);
    THAG_PROFILE(after_compute);
    uv_buf_t buf;
    (void)status;
    buf = uv_buf_init(c->wbuf, (unsigned)snprintf(c->wbuf, sizeof c->wbuf, "OK %lu\n", c->result));
    c->wreq.data = c;
    uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &buf, 1, on_write);
}

/* "GET <n>\n" -> n; the answer is computed on the pool. */
static void parse_request(conn *c, const char *line) {
    THAG_PROFILE(parse_request);
    c->arg = strtoul(line + 4, NULL, 10);
    c->work.data = c;
    uv_queue_work(loop, &c->work, compute, after_compute);
}

static void srv_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    conn *c = (conn *)h->data;
    (void)suggested;
    *buf = uv_buf_init(c->rbuf + c->rlen, (unsigned)(sizeof c->rbuf - c->rlen));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
    conn *c = (conn *)s->data;
    THAG_TASK_RESUME(c->task);
    THAG_PROFILE(on_read);
    char *nl;
    (void)buf;
    if (n < 0) {
        uv_close((uv_handle_t *)s, on_close);
        return;
    }
    c->rlen += (size_t)n;
    while ((nl = (char *)memchr(c->rbuf, '\n', c->rlen)) != NULL) {
        *nl = 0;
        THAG_TASK_SECTION(c->task, request);
        parse_request(c, c->rbuf);
        c->rlen -= (size_t)(nl + 1 - c->rbuf);
        memmove(c->rbuf, nl + 1, c->rlen);
    }
}

static void on_connection(uv_stream_t *srv, int status) {
    THAG_PROFILE(on_connection);
    conn *c;
    if (status < 0 || !(c = (conn *)calloc(1, sizeof *c))) return;
    uv_tcp_init(loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(srv, (uv_stream_t *)&c->tcp) != 0) { uv_close((uv_handle_t *)&c->tcp, NULL); return; }
    open_conns++;
    THAG_TASK_BEGIN(c->task, "conn");
    uv_read_start((uv_stream_t *)&c->tcp, srv_alloc, on_read);
}

/* --- client side: one task per client ------------------------------------ */

static void client_send(client *cl);

static void client_closed(uv_handle_t *h) {
    client *cl = (client *)h->data;
    THAG_TASK_RESUME(cl->task);
    THAG_TASK_END(cl->task);
    (void)cl; /* used by the macros only */
    if (++closed_clients == nclients && open_conns == 0) uv_close((uv_handle_t *)&server, NULL);
}

static void client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
    client *cl = (client *)s->data;
    THAG_TASK_RESUME(cl->task);
    THAG_PROFILE(client_read);
    char *nl;
    (void)buf;
    if (n < 0) { uv_close((uv_handle_t *)s, client_closed); return; }
    cl->rlen += (size_t)n;
    while ((nl = (char *)memchr(cl->rbuf, '\n', cl->rlen)) != NULL) {
        checksum += strtoul(cl->rbuf + 3, NULL, 10);
        cl->rlen -= (size_t)(nl + 1 - cl->rbuf);
        memmove(cl->rbuf, nl + 1, cl->rlen);
        if (cl->sent < nrequests) client_send(cl);
        else uv_close((uv_handle_t *)s, client_closed);
    }
}

static void cli_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    client *cl = (client *)h->data;
    (void)suggested;
    *buf = uv_buf_init(cl->rbuf + cl->rlen, (unsigned)(sizeof cl->rbuf - cl->rlen));
}

static void client_send(client *cl) {
    uv_buf_t buf = uv_buf_init(cl->wbuf, (unsigned)snprintf(cl->wbuf, sizeof cl->wbuf, "GET %d\n", cl->id + cl->sent));
    cl->sent++;
    uv_write(&cl->wreq, (uv_stream_t *)&cl->tcp, &buf, 1, NULL);
}

static void client_connected(uv_connect_t *req, int status) {
    client *cl = (client *)req->data;
    THAG_TASK_RESUME(cl->task);
    THAG_PROFILE(client_connected);
    if (status < 0) { fprintf(stderr, "uvserver: connect: %s\n", uv_strerror(status)); exit(1); }
    uv_read_start((uv_stream_t *)&cl->tcp, cli_alloc, client_read);
    client_send(cl);
}

static void start_clients(uv_timer_t *t) {
    THAG_PROFILE(start_clients);
    static client *cls;
    int i;
    (void)t;
    cls = (client *)calloc((size_t)nclients, sizeof *cls);
    for (i = 0; cls && i < nclients; i++) {
        client *cl = &cls[i];
        cl->id = i;
        THAG_TASK_BEGIN(cl->task, "client");
        uv_tcp_init(loop, &cl->tcp);
        cl->tcp.data = cl;
        cl->connect.data = cl;
        uv_tcp_connect(&cl->connect, &cl->tcp, (const struct sockaddr *)&addr, client_connected);
    }
}

static int run_loop(void) {
    THAG_SECTION(uv_run);
    return uv_run(loop, UV_RUN_DEFAULT);
}

int main(int argc, char **argv) {
    THAG_ENABLE_PROFILING(yes);
    int len = sizeof addr;
    if (argc > 1) nclients = atoi(argv[1]);
    if (argc > 2) nrequests = atoi(argv[2]);
    if (nclients < 1 || nrequests < 1) { fprintf(stderr, "usage: uvserver [clients [requests]]\n"); return 2; }
    loop = uv_default_loop();
    uv_tcp_init(loop, &server);
    uv_ip4_addr("127.0.0.1", 0, &addr);
    if (uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0) || uv_listen((uv_stream_t *)&server, 64, on_connection) ||
        uv_tcp_getsockname(&server, (struct sockaddr *)&addr, &len)) {
        fprintf(stderr, "uvserver: cannot listen on 127.0.0.1\n");
        return 1;
    }
    uv_timer_init(loop, &starter);
    uv_timer_start(&starter, start_clients, 1, 0);
    run_loop();
    uv_close((uv_handle_t *)&starter, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    printf("uvserver: %d clients x %d requests, checksum %lu\n", nclients, nrequests, checksum);
    uv_loop_close(loop);
    return 0;
}
