/* gen.c - deterministic generator of a large synthetic folded profile for bench-flamegraph.
 *
 * Writes LINES folded lines to stdout: stacks 10 to 60 frames deep drawn by random walks
 * through a synthetic program of NAMES (default 20,000) C++-style functions, each calling
 * 1 to 8 fixed callees; counts 1..100000. The same arguments always give the same bytes.
 * 1,000,000 lines are about 1.2 GiB (the benchmark input).
 *
 * Build: cc -std=c99 -O2 -o gen bench/flamegraph/gen.c
 * Usage: gen [LINES [NAMES [SEED]]] > big.folded
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t rng(void)
{
    uint64_t x = (rng_state += 0x9e3779b97f4a7c15ULL);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static unsigned pick(unsigned n) { return (unsigned)(rng() % n); }

static const char *const NS[] = {"app", "net", "db", "ui", "core", "io", "util", "gfx", "sched",
                                 "json", "http", "codec", "store", "cache", "auth", "rpc"};
static const char *const CLS[] = {"Engine", "Conn", "Parser", "Buffer", "Worker", "Session",
                                  "Widget", "Index", "Table", "Stream", "Queue", "Sched",
                                  "Encoder", "Decoder", "Alloc", "Req", "Reply", "Pool"};
static const char *const MTH[] = {"run", "process", "handle", "flush", "read_some", "write_all",
                                  "lookup", "insert", "update", "compute", "dispatch", "serialize",
                                  "parse", "emplace", "resize", "operator()"};
static const char *const ARG[] = {"int", "std::string const&", "unsigned long", "double",
                                  "char const*", "void*", "bool", "long"};
static const char *const TPL[] = {"<int>", "<std::string>", "<char>", "<double>", "", "", "", ""};

/* Makes the name of function i (distinct for every i: it ends with a unique suffix). */
static char *make_name(unsigned i)
{
    char buf[256];
    int n = snprintf(buf, sizeof buf, "%s::%s%s::%s_%u(%s)", NS[pick(16)], CLS[pick(18)],
                     TPL[pick(8)], MTH[pick(16)], i, ARG[pick(8)]);
    char *s = malloc((size_t)n + 1);
    if (!s) exit(1);
    memcpy(s, buf, (size_t)n + 1);
    return s;
}

int main(int argc, char **argv)
{
    unsigned long lines = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    unsigned names = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 20000;
    rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 42;
    if (names < 2) names = 2;
    char **name = malloc(names * sizeof *name);
    unsigned *fan = malloc(names * sizeof *fan), (*callee)[8] = malloc(names * sizeof *callee);
    static char out[1 << 16];
    if (!name || !fan || !callee) return 1;
    setvbuf(stdout, out, _IOFBF, sizeof out);
    name[0] = "main";
    for (unsigned i = 1; i < names; i++) name[i] = make_name(i);
    for (unsigned i = 0; i < names; i++) {
        fan[i] = 1 + pick(8);
        for (unsigned k = 0; k < 8; k++) callee[i][k] = 1 + pick(names - 1);
    }
    for (unsigned long l = 0; l < lines; l++) {
        unsigned depth = 10 + pick(51), f = 0;
        fputs(name[0], stdout);
        for (unsigned d = 1; d < depth; d++) {
            /* skewed choice: the first callee is the hot one */
            unsigned k = pick(4) ? 0 : pick(fan[f]);
            f = callee[f][k];
            putchar(';');
            fputs(name[f], stdout);
        }
        printf(" %u\n", 1 + pick(100000));
    }
    return fflush(stdout) != 0;
}
