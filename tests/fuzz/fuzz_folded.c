/* fuzz_folded.c - libFuzzer target for tools/folded.h: the folded line parser, the metadata
 * line (folded_meta_value) and the compact timeline format (format=timeline-1).
 *
 * The first input byte picks the buffer size of the second read and a small line limit;
 * the rest is the file. Properties (each failure aborts with a message):
 *   - chunking: reading with a buffer of 1..4096 bytes (grown by doubling) gives exactly the
 *     lines, values, line numbers, malformed count and metadata of a read with one big buffer;
 *   - every line: stack_len == strlen(stack) > 0, value >= 0 and finite, line numbers rising
 *     and within the input; for a plain folded file the stack is the start of its input line
 *     (NUL bytes read as 0x1A) followed by blanks and one or two numbers;
 *   - a small FOLDED_MAX_LINE only drops lines: what is left is a subsequence of the full read
 *     (when both reads saw the same metadata line);
 *   - folded_meta_value NUL-terminates within the size given, for sizes 1..64.
 * Build/run: make fuzz (all targets), or see mk/fuzz.mk. */
#include "fuzz_common.h"

static size_t fz_chunk = 64, fz_maxline = (size_t)1 << 30;
#define FOLDED_CHUNK fz_chunk
#define FOLDED_MAX_LINE fz_maxline
#include "../../tools/folded.h"

typedef struct {
    char *stack;
    size_t len;
    double v, v2;
    int two;
    unsigned long lineno;
} rec;

typedef struct {
    rec *v;
    size_t n, cap;
    unsigned long malformed;
    char *meta;
    int rc;
} result;

static void result_free(result *r)
{
    for (size_t i = 0; i < r->n; i++) free(r->v[i].stack);
    free(r->v);
    free(r->meta);
    memset(r, 0, sizeof *r);
}

static void read_all(const uint8_t *d, size_t n, size_t chunk, size_t maxline, result *res)
{
    FILE *f = fz_memfile(d, n);
    folded_reader *r;
    folded_line l;
    int rc;
    fz_chunk = chunk;
    fz_maxline = maxline;
    memset(res, 0, sizeof *res);
    r = folded_open(f, "fuzz");
    if (!r) abort();
    folded_set_report(r, 3);
    while ((rc = folded_next(r, &l)) == 1) {
        rec *x;
        if (res->n == res->cap) {
            res->cap = res->cap ? res->cap * 2 : 16;
            res->v = realloc(res->v, res->cap * sizeof *res->v);
            if (!res->v) abort();
        }
        x = &res->v[res->n++];
        FZ_CHECK(l.stack_len > 0 && strlen(l.stack) == l.stack_len, "line %lu: stack_len %zu, strlen %zu",
                 l.lineno, l.stack_len, strlen(l.stack));
        FZ_CHECK(l.value >= 0 && l.value < 1.9e19, "line %lu: value %g", l.lineno, l.value);
        FZ_CHECK(!l.has_two || (l.value2 >= 0 && l.value2 < 1.9e19), "line %lu: value2 %g", l.lineno, l.value2);
        x->stack = malloc(l.stack_len + 1);
        if (!x->stack) abort();
        memcpy(x->stack, l.stack, l.stack_len + 1);
        x->len = l.stack_len;
        x->v = l.value;
        x->v2 = l.has_two ? l.value2 : 0;
        x->two = l.has_two;
        x->lineno = l.lineno;
    }
    res->rc = rc;
    res->malformed = folded_malformed(r);
    if (folded_meta(r)) {
        const char *m = folded_meta(r);
        static const char *const keys[] = {"kind", "unit", "format", "", "=", "thag_profiler", "x"};
        char out[64];
        res->meta = strdup(m);
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
            for (size_t sz = 1; sz <= sizeof out; sz += 9) {
                memset(out, 'Z', sizeof out);
                folded_meta_value(r, keys[k], out, sz);
                FZ_CHECK(memchr(out, 0, sz) != NULL, "meta value %s not terminated in %zu", keys[k], sz);
            }
    }
    folded_close(r);
    fclose(f);
}

static int same_rec(const rec *a, const rec *b)
{
    return a->len == b->len && !memcmp(a->stack, b->stack, a->len) && a->v == b->v && a->v2 == b->v2 &&
           a->two == b->two && a->lineno == b->lineno;
}

/* The input line number k (1-based) in [*s, *s + *n), without its trailing \r, blanks. */
static int input_line(const uint8_t *d, size_t n, unsigned long k, const uint8_t **s, size_t *len)
{
    size_t i = 0;
    for (unsigned long line = 1; line < k; line++) {
        const uint8_t *nl = memchr(d + i, '\n', n - i);
        if (!nl) return 0;
        i = (size_t)(nl - d) + 1;
    }
    if (i > n) return 0;
    *s = d + i;
    {
        const uint8_t *nl = memchr(d + i, '\n', n - i);
        *len = nl ? (size_t)(nl - (d + i)) : n - i;
    }
    return 1;
}

static int is_num(const uint8_t *s, size_t n)
{
    size_t i = 0, dots = 0;
    if (!n || s[0] < '0' || s[0] > '9') return 0;
    for (; i < n; i++) {
        if (s[i] == '.') dots++;
        else if (s[i] < '0' || s[i] > '9') return 0;
    }
    return dots <= 1;
}

/* The text after a plain folded line's stack: blanks, a number, and maybe blanks and a number. */
static int valid_tail(const uint8_t *s, size_t n, int two)
{
    size_t i = 0, a;
    int nums = 0;
    while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    while (i < n) {
        if (s[i] != ' ' && s[i] != '\t') return 0;
        while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
        a = i;
        while (i < n && s[i] != ' ' && s[i] != '\t') i++;
        if (!is_num(s + a, i - a)) return 0;
        nums++;
    }
    return nums == (two ? 2 : 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t chunks[] = {1, 2, 3, 5, 8, 13, 64, 4096};
    static const size_t limits[] = {8, 16, 33, 100};
    result big, small, lim;
    unsigned long prev = 0;
    size_t lines;
    if (size < 1) return 0;
    unsigned flags = data[0];
    data++, size--;
    lines = 1;
    for (size_t i = 0; i < size; i++) lines += data[i] == '\n';

    read_all(data, size, (size_t)1 << 20, (size_t)1 << 30, &big);
    FZ_CHECK(big.rc == 0, "read error");
    for (size_t i = 0; i < big.n; i++) {
        const rec *x = &big.v[i];
        const uint8_t *s;
        size_t len;
        FZ_CHECK(x->lineno > prev && x->lineno <= lines, "line number %lu after %lu (of %zu)", x->lineno, prev,
                 lines);
        prev = x->lineno;
        if (big.meta && strstr(big.meta, " format=timeline-1 ")) continue;
        FZ_CHECK(input_line(data, size, x->lineno, &s, &len), "no input line %lu", x->lineno);
        FZ_CHECK(len >= x->len, "line %lu: stack longer than the line", x->lineno);
        for (size_t k = 0; k < x->len; k++)
            FZ_CHECK((s[k] ? s[k] : 0x1A) == (uint8_t)x->stack[k], "line %lu: stack differs at byte %zu",
                     x->lineno, k);
        FZ_CHECK(valid_tail(s + x->len, len - x->len, x->two), "line %lu: the text after the stack is not "
                 "its count(s)", x->lineno);
    }

    read_all(data, size, chunks[flags & 7], (size_t)1 << 30, &small);
    FZ_CHECK(small.n == big.n, "chunk %zu: %zu lines, one buffer: %zu", chunks[flags & 7], small.n, big.n);
    for (size_t i = 0; i < big.n; i++)
        FZ_CHECK(same_rec(&small.v[i], &big.v[i]), "chunk %zu: line %zu differs", chunks[flags & 7], i);
    FZ_CHECK(small.malformed == big.malformed, "chunk %zu: malformed %lu vs %lu", chunks[flags & 7],
             small.malformed, big.malformed);
    FZ_CHECK((!small.meta && !big.meta) || (small.meta && big.meta && !strcmp(small.meta, big.meta)),
             "metadata differs");

    read_all(data, size, 1 + ((flags >> 3) & 7), limits[(flags >> 6) & 3], &lim);
    if ((!lim.meta && !big.meta) || (lim.meta && big.meta && !strcmp(lim.meta, big.meta))) {
        size_t j = 0;
        for (size_t i = 0; i < lim.n; i++) {
            while (j < big.n && !same_rec(&lim.v[i], &big.v[j])) j++;
            FZ_CHECK(j < big.n, "line limit %zu: line %lu is not in the full read", limits[(flags >> 6) & 3],
                     lim.v[i].lineno);
            j++;
        }
    }
    result_free(&big);
    result_free(&small);
    result_free(&lim);
    return 0;
}
