/* export.c - thag-export: a thag_profiler run as pprof, Trace Event JSON or speedscope JSON.
 *   thag-export --format pprof|trace|speedscope [-o FILE] RUN
 * RUN names any file of a run (<program>-<YYYYMMDD-HHMMSS>[-<pid>][-<kind>].folded,
 * -timeline.txt or -manifest.txt); the run's other files are found from that stamp. Output goes to stdout, or
 * to FILE (written as FILE.tmp and renamed only when complete). Every format streams: the
 * input is read line by line; what is kept is one entry per distinct frame name.
 *   pprof       google/pprof profile.proto, uncompressed (go tool pprof, Pyroscope, Parca
 *               read it; gzip it for servers that want .pb.gz). One sample per stack with
 *               every additive file's value: calls + wall ns, and memory as alloc_objects,
 *               alloc_space, inuse_space, inuse_objects (+ free_space in detail mode).
 *   trace       Trace Event Format JSON from the timeline: one track per thread on the
 *               common clock; tasks (from the -wall file) and fibers (the timeline's F
 *               lines) on tracks of their own.
 *   speedscope  speedscope's file format: every additive file as a sampled profile, every
 *               thread of the timeline as an evented profile.
 * Never exports a non-additive file (-inclusive, -wall) as values. The manual is
 * docs/export.md. Build: cc -std=c11 -O2 -o build/thag-export tools/export.c (make thag-export).
 * Metadata (kinds, units, threads) is read only through tools/folded.h's folded_meta_value. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "folded.h"

#define EXPORT_VERSION "0.1.0"
#define EXIT_BAD 1   /* bad input: nothing (or a removed partial file) written */
#define EXIT_USAGE 2

/* ======================================================================== errors, memory */

static char *g_tmp;      /* -o FILE's temporary, removed on failure */
static int g_quiet;

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
    va_list ap;
    fputs("thag-export: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (g_tmp) unlink(g_tmp);
    exit(EXIT_BAD);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    va_list ap;
    if (g_quiet) return;
    fputs("thag-export: note: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void *xrealloc(void *p, size_t n)
{
    if (!(p = realloc(p, n ? n : 1))) die("out of memory");
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xrealloc(NULL, n), s, n);
}

static char *cat3(const char *a, const char *b, const char *c)
{
    size_t x = strlen(a), y = strlen(b), z = strlen(c);
    char *p = xrealloc(NULL, x + y + z + 1);
    memcpy(p, a, x);
    memcpy(p + x, b, y);
    memcpy(p + x + y, c, z + 1);
    return p;
}

/* Grows *p (of *cap elements of size sz) to hold at least need elements. */
static void grow(void *pp, size_t *cap, size_t need, size_t sz)
{
    size_t n = *cap ? *cap : 16;
    if (need <= *cap) return;
    while (n < need) n *= 2;
    *(void **)pp = xrealloc(*(void **)pp, n * sz);
    *cap = n;
}

/* ======================================================================== interning */

/* A set of byte strings, each given a dense id from 1 in order of first sight. Open
 * addressing on an FNV-1a hash; keys live in one growing buffer. */
typedef struct {
    uint64_t *slot;            /* id (low 32 bits, 0: empty) | its hash's high 32 bits */
    size_t nslot, n, cap;
    uint64_t *hash;            /* per id (index id-1) */
    size_t *off, *len;
    char *keys;
    size_t klen, kcap;
} strset;

/* A hash of n bytes, eight at a time (frame names are long: a byte-wise FNV was half the
 * export's time on the benchmark). */
static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL ^ n, w;
    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 29;
    }
    if (n) {
        w = 0;
        memcpy(&w, s, n);
        h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
    }
    h ^= h >> 32;
    return h * 0xBF58476D1CE4E5B9ULL;
}

static void set_rehash(strset *t)
{
    size_t ns = t->nslot ? t->nslot * 2 : 1024, i;
    free(t->slot);
    t->slot = calloc(ns, sizeof *t->slot);
    if (!t->slot) die("out of memory");
    t->nslot = ns;
    for (i = 0; i < t->n; i++) {
        size_t s = (size_t)t->hash[i] & (ns - 1);
        while (t->slot[s]) s = (s + 1) & (ns - 1);
        t->slot[s] = (t->hash[i] & 0xFFFFFFFF00000000ULL) | (i + 1);
    }
}

/* The id of s[0..n); *isnew says whether it was added now. */
static uint32_t set_id(strset *t, const char *s, size_t n, int *isnew)
{
    uint64_t h = fnv(s, n), tag = h & 0xFFFFFFFF00000000ULL;
    size_t i;
    if ((t->n + 1) * 2 > t->nslot) set_rehash(t);
    for (i = (size_t)h & (t->nslot - 1); t->slot[i]; i = (i + 1) & (t->nslot - 1)) {
        size_t k = (uint32_t)t->slot[i] - 1;
        if ((t->slot[i] & 0xFFFFFFFF00000000ULL) == tag && t->len[k] == n &&
            !memcmp(t->keys + t->off[k], s, n)) {
            if (isnew) *isnew = 0;
            return (uint32_t)(k + 1);
        }
    }
    if (t->n >= UINT32_MAX - 1) die("more than 4 billion distinct names");
    grow(&t->hash, &t->cap, t->n + 1, sizeof *t->hash);
    t->off = xrealloc(t->off, t->cap * sizeof *t->off);
    t->len = xrealloc(t->len, t->cap * sizeof *t->len);
    grow(&t->keys, &t->kcap, t->klen + n + 1, 1);
    memcpy(t->keys + t->klen, s, n);
    t->keys[t->klen + n] = 0;
    t->hash[t->n] = h;
    t->off[t->n] = t->klen;
    t->len[t->n] = n;
    t->klen += n + 1;
    t->slot[i] = tag | ++t->n;
    if (isnew) *isnew = 1;
    return (uint32_t)t->n;
}

/* The id of s[0..n), 0 if absent. */
static uint32_t set_find(const strset *t, const char *s, size_t n)
{
    uint64_t h = fnv(s, n);
    size_t i;
    if (!t->nslot) return 0;
    for (i = (size_t)h & (t->nslot - 1); t->slot[i]; i = (i + 1) & (t->nslot - 1)) {
        size_t k = (uint32_t)t->slot[i] - 1;
        if (t->hash[k] == h && t->len[k] == n && !memcmp(t->keys + t->off[k], s, n)) return (uint32_t)(k + 1);
    }
    return 0;
}

static void set_free(strset *t)
{
    free(t->slot); free(t->hash); free(t->off); free(t->len); free(t->keys);
}

static const char *set_key(const strset *t, uint32_t id) { return t->keys + t->off[id - 1]; }
static size_t set_len(const strset *t, uint32_t id) { return t->len[id - 1]; }

/* A frame "name (file:line)" (THAG_LINES) split into its parts; file NULL when it has none. */
typedef struct { const char *name, *file; size_t name_len, file_len; unsigned long line; } frame_parts;

static frame_parts split_frame(const char *s, size_t n)
{
    frame_parts f = {s, NULL, n, 0, 0};
    size_t i = n, colon;
    unsigned long line = 0, mul = 1;
    if (n < 6 || s[n - 1] != ')') return f;
    for (i = n - 1; i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9'; i--) {
        line += (unsigned long)(s[i - 1] - '0') * mul;
        mul *= 10;
    }
    if (i == n - 1 || i < 2 || s[i - 1] != ':' || mul > 10000000000UL) return f;
    colon = i - 1;
    for (i = colon; i > 1 && !(s[i - 1] == '(' && s[i - 2] == ' '); i--) {}
    if (i <= 1 || i == colon) return f;
    f.name_len = i - 2;
    f.file = s + i;
    f.file_len = colon - i;
    f.line = line;
    return f;
}

/* The frames of consecutive stacks, cut at ';', each turned into an id by a lookup. The ids
 * of the frames a stack shares with the one before (a common prefix, frequent in sorted
 * files) are reused without a lookup. */
typedef struct {
    char *prev;                /* the stack before */
    size_t prev_len, prev_cap;
    uint32_t *ids;             /* its frames' ids */
    size_t *ends;              /* and where each frame ends in it */
    size_t n, cap;
} frame_cache;

typedef uint32_t (*frame_lookup)(void *ctx, const char *frame, size_t len);

/* Fills c->ids[0..c->n) with the ids of stack's frames, root first. */
static void split_stack(frame_cache *c, const char *stack, size_t len, frame_lookup look, void *ctx)
{
    size_t same = 0, k = 0, a, i, lim = len < c->prev_len ? len : c->prev_len;
    while (same + 8 <= lim && !memcmp(stack + same, c->prev + same, 8)) same += 8;
    while (same < lim && stack[same] == c->prev[same]) same++;
    /* Frame k of the stack before is the same here if its bytes are in the common prefix and
     * a frame ends at the same place here: before the prefix's end (the ';' matched), or at
     * it, where this stack ends or has a ';'. */
    while (k < c->n && (c->ends[k] < same || (c->ends[k] == same && (same == len || stack[same] == ';'))))
        k++;
    a = k ? c->ends[k - 1] + 1 : 0;
    for (i = a; i <= len; i++) {
        const char *semi = i < len ? memchr(stack + i, ';', len - i) : NULL;
        i = semi ? (size_t)(semi - stack) : len;
        if (k >= c->cap) {
            grow(&c->ids, &c->cap, k + 1, sizeof *c->ids);
            c->ends = xrealloc(c->ends, c->cap * sizeof *c->ends);
        }
        c->ids[k] = look(ctx, stack + a, i - a);
        c->ends[k++] = i;
        a = i + 1;
    }
    c->n = k;
    grow(&c->prev, &c->prev_cap, len + 1, 1);
    memcpy(c->prev, stack, len);
    c->prev_len = len;
}

/* ======================================================================== output */

/* A growing byte buffer (protobuf messages, escaped JSON names). */
typedef struct { unsigned char *p; size_t n, cap; } pbuf;

static void pb_put(pbuf *b, const void *p, size_t n)
{
    if (!n) return; /* p may be NULL then (an empty buffer's) */
    grow(&b->p, &b->cap, b->n + n, 1);
    memcpy(b->p + b->n, p, n);
    b->n += n;
}


/* The output, through a buffer of our own: most writes are a few bytes (a varint, a frame
 * index), and stdio's per-call locking cost more than the writes. */
static FILE *g_out;
static char g_buf[1 << 16];
static size_t g_len;

static void out_flush(void)
{
    if (g_len && fwrite(g_buf, 1, g_len, g_out) != g_len) die("write error: %s", strerror(errno));
    g_len = 0;
}

static void out(const void *p, size_t n)
{
    if (!n) return;
    if (g_len + n > sizeof g_buf) {
        out_flush();
        if (n > sizeof g_buf) {
            if (fwrite(p, 1, n, g_out) != n) die("write error: %s", strerror(errno));
            return;
        }
    }
    memcpy(g_buf + g_len, p, n);
    g_len += n;
}
static void outs(const char *s) { out(s, strlen(s)); }

static void outf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void outf(const char *fmt, ...)
{
    char t[512];
    int n;
    va_list ap;
    va_start(ap, fmt);
    n = vsnprintf(t, sizeof t, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof t) die("internal error: a formatted output over 511 bytes");
    out(t, (size_t)n);
}

/* An unsigned decimal, with a separator before it when sep is not 0. */
static void out_u64(uint64_t v, char sep)
{
    char t[24], *p = t + sizeof t;
    do *--p = (char)('0' + v % 10); while (v /= 10);
    if (sep) *--p = sep;
    out(p, (size_t)(t + sizeof t - p));
}

/* A JSON string appended to b: quotes, escapes, control characters as \u00XX, and each byte
 * that is not valid UTF-8 as U+FFFD (JSON text must be UTF-8). */
static void json_buf(pbuf *b, const char *s, size_t n)
{
    size_t i = 0, run = 0;
    pb_put(b, "\"", 1);
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t k = folded_utf8((const unsigned char *)s + i, n - i, NULL);
        if (k && c >= 0x20 && c != '"' && c != '\\') { i += k; run += k; continue; }
        pb_put(b, s + i - run, run);
        run = 0;
        if (c == '"' || c == '\\') { char e[2] = {'\\', (char)c}; pb_put(b, e, 2); }
        else if (k) { char e[8]; snprintf(e, sizeof e, "\\u%04x", c); pb_put(b, e, 6); }
        else pb_put(b, "\\ufffd", 6);
        i++;
    }
    pb_put(b, s + i - run, run);
    pb_put(b, "\"", 1);
}

static pbuf g_jstr; /* json_str's buffer, kept between calls (tests/fuzz resets it) */

static void json_str(const char *s, size_t n)
{
    g_jstr.n = 0;
    json_buf(&g_jstr, s, n);
    out(g_jstr.p, g_jstr.n);
}

/* ns as microseconds with three decimals, exactly (Trace Event timestamps are in us). */
static void out_us(uint64_t ns)
{
    char t[4] = {'.', (char)('0' + ns / 100 % 10), (char)('0' + ns / 10 % 10), (char)('0' + ns % 10)};
    out_u64(ns / 1000, 0);
    out(t, 4);
}

/* ======================================================================== runs and files */

/* The kinds of file a run writes. The additive ones come first (values that add up per
 * stack); -inclusive and -wall are not additive, the timeline is chronological. */
enum { K_TIME, K_CALLS, K_MEM, K_MEMC, K_MEML, K_MEMLC, K_MD, K_MDC, K_MDL, K_MDD, K_MDLC, K_NADD = K_MDLC + 1,
       K_INCL = K_NADD, K_WALL, K_TL, K_NKINDS, K_FOREIGN = K_NKINDS };

static const char *const kind_suffix[K_NKINDS] = {
    "", "-calls", "-memory", "-memory_calls", "-memory_live", "-memory_live_calls", "-memory_detail",
    "-memory_detail_calls", "-memory_detail_live", "-memory_detail_dealloc",
    "-memory_detail_live_calls", "-inclusive",
    "-wall", "-timeline"};
static const char *const kind_meta[K_NKINDS] = {
    "time", "calls", "memory", "memory_calls", "memory_live", "memory_live_calls", "memory_detail",
    "memory_detail_calls", "memory_detail_live", "memory_detail_dealloc",
    "memory_detail_live_calls", "time_inclusive",
    "wall", "timeline"};
/* pprof sample type and unit, speedscope unit, per additive kind */
static const char *const kind_ptype[K_NADD] = {
    "wall", "calls", "alloc_space", "alloc_objects", "inuse_space", "inuse_objects", "alloc_space",
    "alloc_objects", "inuse_space", "free_space", "inuse_objects"};
static const char *const kind_punit[K_NADD] = {
    "nanoseconds", "count", "bytes", "count", "bytes", "count", "bytes", "count", "bytes", "bytes", "count"};
static const char *const kind_sunit[K_NADD] = {
    "nanoseconds", "none", "bytes", "none", "bytes", "none", "bytes", "none", "bytes", "bytes", "none"};

typedef struct {
    char *stem;              /* path without kind and extension; NULL for a foreign file */
    char *given;             /* RUN as given */
    char *path[K_NKINDS];    /* the run's files that exist */
} run_files;

static int has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return n > 0;
}

/* Whether the file name stem (no directory) ends with the library's stamp:
 * -YYYYMMDD-HHMMSS, optionally followed by -PID. */
static int has_stamp(const char *stem)
{
    const char *b = strrchr(stem, '/');
    size_t n;
    b = b ? b + 1 : stem;
    n = strlen(b);
    for (int pid = 0; pid < 2; pid++) {
        if (n >= 17 && b[n - 16] == '-' && digits(b + n - 15, 8) && b[n - 7] == '-' &&
            digits(b + n - 6, 6))
            return 1;
        if (pid) break;
        while (n > 0 && b[n - 1] >= '0' && b[n - 1] <= '9') n--; /* drop -PID, try again */
        if (n == 0 || b[n - 1] != '-') return 0;
        n--;
    }
    return 0;
}

/* The stem and kind of a file name; stem NULL when the name is not one of a run's. */
static char *stem_of(const char *path, int *kind)
{
    size_t n = strlen(path), ext, best = 0;
    int k, bk = K_TIME;
    char *stem;
    int whole = 1; /* the name is the stem plus a fixed suffix (no kind to look for) */
    if (has_suffix(path, "-timeline.txt")) {
        ext = n - 13;
        bk = K_TL;
    } else if (has_suffix(path, "-manifest.txt")) {
        ext = n - 13; /* the run's manifest names the run, as its exclusive file would */
    } else if (has_suffix(path, ".folded")) {
        ext = n - 7;
        whole = 0;
    } else {
        return NULL;
    }
    for (k = 1; !whole && k < K_NKINDS; k++) {
        size_t sl = strlen(kind_suffix[k]);
        if (k != K_TL && ext >= sl && sl > best && !memcmp(path + ext - sl, kind_suffix[k], sl)) {
            best = sl;
            bk = k;
        }
    }
    if (!(stem = strndup(path, ext - best))) die("out of memory");
    if (!has_stamp(stem)) { free(stem); return NULL; }
    *kind = bk;
    return stem;
}

static void find_run(run_files *r, const char *given)
{
    int k, kind = K_FOREIGN;
    memset(r, 0, sizeof *r);
    r->given = xstrdup(given);
    errno = 0;
    if (!file_exists(given)) die("%s: %s", given, errno ? strerror(errno) : "not a regular file");
    if (!(r->stem = stem_of(given, &kind))) return;
    for (k = 0; k < K_NKINDS; k++) {
        char *p = cat3(r->stem, kind_suffix[k], k == K_TL ? ".txt" : ".folded");
        if (file_exists(p)) r->path[k] = p;
        else free(p);
    }
}

/* ======================================================================== cursors over folded files */

/* One input file read line by line, with its metadata. */
typedef struct {
    FILE *f;
    folded_reader *r;
    folded_line l;
    int have, kind;          /* have: l holds a line */
    const char *path;
    char *prev;              /* the stack before l (merge order check) */
    size_t prev_cap, prev_len;
} cursor;

/* A file cut short (the library always ends with a newline) is a truncated run. An empty
 * file has no stacks (a run's metadata may live elsewhere than in its files). */
static void check_complete(FILE *f, const char *path)
{
    int c;
    if (fseek(f, 0, SEEK_END) != 0 || ftell(f) < 0) die("%s: cannot seek: %s", path, strerror(errno));
    if (ftell(f) == 0) return;
    if (fseek(f, -1, SEEK_END) != 0 || (c = fgetc(f)) == EOF) die("%s: read error", path);
    if (c != '\n') die("%s: ends in the middle of a line: truncated (not exported)", path);
    rewind(f);
}

static int cur_next(cursor *c)
{
    int rc = folded_next(c->r, &c->l);
    if (rc < 0) die("%s", folded_error(c->r));
    if (folded_malformed(c->r)) /* folded.h has just reported it with its line number */
        die("%s: not a valid profile (the line reported above): nothing exported", c->path);
    if (rc == 1) folded_one_count(&c->l); /* a frame may end in a number ("worker 3") */
    return c->have = rc == 1;
}

static void meta(const cursor *c, const char *key, char *out_, size_t n)
{
    folded_meta_value(c->r, key, out_, n);
}

/* Opens path, reads its first line (and so its metadata), and checks that its kind is the
 * one expected (want: a kind, or K_FOREIGN for "whatever it says"). Returns the kind. */
static int cur_open(cursor *c, const char *path, int want)
{
    char kind[64];
    int k;
    memset(c, 0, sizeof *c);
    c->path = path;
    if (!(c->f = fopen(path, "rb"))) die("%s: %s", path, strerror(errno));
    check_complete(c->f, path);
    if (!(c->r = folded_open(c->f, path))) die("out of memory");
    folded_set_report(c->r, 1); /* the first malformed line, and we stop there */
    cur_next(c);
    meta(c, "kind", kind, sizeof kind);
    if (!kind[0]) return c->kind = K_FOREIGN;
    for (k = 0; k < K_NKINDS && strcmp(kind, kind_meta[k]); k++) {}
    if (k == K_NKINDS) die("%s: unknown kind=%s in its metadata", path, kind);
    if (want != K_FOREIGN && k != want)
        die("%s: its metadata says kind=%s, its name says %s: renamed file?", path, kind, kind_meta[want]);
    return c->kind = k;
}

static void cur_close(cursor *c)
{
    folded_close(c->r);
    if (c->f) fclose(c->f);
    free(c->prev);
    c->f = NULL;
}

/* Stack order of the library's files: frame by frame, each frame by bytes (children sorted
 * by name under their parent), a prefix first. So ';' sorts before every other byte. */
static int stack_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i, n = an < bn ? an : bn;
    for (i = 0; i < n && a[i] == b[i]; i++) {}
    if (i == n) return an < bn ? -1 : an > bn;
    if (a[i] == ';') return -1;
    if (b[i] == ';') return 1;
    return (unsigned char)a[i] < (unsigned char)b[i] ? -1 : 1;
}

/* Remembers the current stack, then reads the next; dies if the file is out of order. */
static void cur_advance(cursor *c)
{
    grow(&c->prev, &c->prev_cap, c->l.stack_len + 1, 1);
    memcpy(c->prev, c->l.stack, c->l.stack_len);
    c->prev_len = c->l.stack_len;
    if (cur_next(c) && stack_cmp(c->prev, c->prev_len, c->l.stack, c->l.stack_len) >= 0)
        die("%s:%lu: stacks out of order (or repeated): the run's files are joined by stack, "
            "which needs them sorted as thag_profiler writes them", c->path, c->l.lineno);
}

/* An additive value as a pprof integer; dies on a decimal count. */
static int64_t int_value(const cursor *c)
{
    double v = c->l.value;
    if (v != (double)(int64_t)v || v > 9.2e18)
        die("%s:%lu: count %.17g is not an integer: pprof values are integers", c->path,
            c->l.lineno, v);
    return (int64_t)v;
}

/* The additive files to export and their cursors (opened in order of kind). */
typedef struct {
    run_files files;
    cursor cur[K_NADD];
    int kinds[K_NADD], n;
    char program[256], threads[32];
} input;

static void refuse_nonadditive(const char *path, int kind, const char *stem)
{
    if (kind == K_INCL)
        die("%s holds inclusive time, which is not additive: export the run's exclusive "
            "file %s.folded%s", path, stem ? stem : "<program>-<stamp>", stem ? " (missing)" : "");
    if (kind == K_WALL)
        die("%s holds tasks' wall time, which is not additive (a request's time is counted again "
            "under its connection): export the run's exclusive file %s.folded%s", path,
            stem ? stem : "<program>-<stamp>", stem ? " (missing)" : "");
}

/* Which additive files a run contributes: time and calls; the memory detail files when the
 * run has them (real call stacks), else the summary files. A companion without its main
 * file is a truncated run. */
static void pick_additive(input *in)
{
    const run_files *r = &in->files;
    int detail = r->path[K_MD] || r->path[K_MDC] || r->path[K_MDL] || r->path[K_MDD] || r->path[K_MDLC];
    if (r->path[K_CALLS] && !r->path[K_TIME]) die("%s.folded is missing (its -calls file is there): a truncated run", r->stem);
    if (detail && !r->path[K_MD]) die("%s-memory_detail.folded is missing: a truncated run", r->stem);
    if (!detail && (r->path[K_MEMC] || r->path[K_MEML] || r->path[K_MEMLC]) && !r->path[K_MEM])
        die("%s-memory.folded is missing: a truncated run", r->stem);
    for (int k = 0; k < K_NADD; k++) {
        if (!r->path[k]) continue;
        if (detail && k >= K_MEM && k <= K_MEMLC) continue;
        in->kinds[in->n++] = k;
    }
}

/* Opens the input: the run's additive files, or the one foreign file. timeline_ok: a run
 * with only a timeline is fine (speedscope exports its threads). */
static void open_input(input *in, const char *given, int timeline_ok)
{
    find_run(&in->files, given);
    if (!in->files.stem) {
        int k = cur_open(&in->cur[0], given, K_FOREIGN);
        if (k == K_INCL || k == K_WALL) refuse_nonadditive(given, k, NULL);
        if (k == K_FOREIGN) {
            note("%s has no thag_profiler metadata: exported as generic samples, unit unknown", given);
            k = K_NADD; /* generic */
        } else if (k == K_TL) {
            k = K_TIME; /* its intervals add up to exclusive time */
        }
        in->kinds[0] = k;
        in->n = 1;
    } else {
        pick_additive(in);
        if (in->n == 0 && !(timeline_ok && in->files.path[K_TL])) {
            for (int k = K_INCL; k <= K_WALL; k++)
                if (in->files.path[k]) refuse_nonadditive(in->files.path[k], k, in->files.stem);
            die("%s: no additive profile in this run (only a timeline: use --format trace)", given);
        }
        for (int i = 0; i < in->n; i++) cur_open(&in->cur[i], in->files.path[in->kinds[i]], in->kinds[i]);
    }
    if (in->n == 0) return;
    meta(&in->cur[0], "program", in->program, sizeof in->program);
    meta(&in->cur[0], "threads", in->threads, sizeof in->threads);
}

static void close_input(input *in)
{
    for (int i = 0; i < in->n; i++) cur_close(&in->cur[i]);
    for (int k = 0; k < K_NKINDS; k++) free(in->files.path[k]);
    free(in->files.stem);
    free(in->files.given);
}

/* ======================================================================== pprof */

static void pb_varint(pbuf *b, uint64_t v)
{
    unsigned char *p;
    if (b->n + 10 > b->cap) grow(&b->p, &b->cap, b->n + 10, 1);
    p = b->p + b->n;
    while (v > 0x7f) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    b->n = (size_t)(p - b->p);
}

static void pb_uint(pbuf *b, unsigned field, uint64_t v)
{
    if (!v) return; /* proto3: zero is the default, not written */
    pb_varint(b, (uint64_t)field << 3);
    pb_varint(b, v);
}

static void pb_bytes(pbuf *b, unsigned field, const void *p, size_t n)
{
    pb_varint(b, (uint64_t)field << 3 | 2);
    pb_varint(b, n);
    pb_put(b, p, n);
}

/* Writes a top-level Profile field that is a message or bytes, and empties the buffer. */
static void pb_emit(unsigned field, pbuf *b)
{
    unsigned char h[20], *p = h;
    uint64_t v = (uint64_t)field << 3 | 2;
    for (int k = 0; k < 2; k++, v = b->n) {
        while (v > 0x7f) {
            *p++ = (unsigned char)(v | 0x80);
            v >>= 7;
        }
        *p++ = (unsigned char)v;
    }
    out(h, (size_t)(p - h));
    out(b->p, b->n);
    b->n = 0;
}

typedef struct {
    strset str, loc, fn;     /* string table (id-1 = index), locations, functions (name\x1ffile) */
    uint32_t *loc_fn;        /* per location: its function */
    unsigned long *loc_line;
    uint32_t *fn_name, *fn_file;
    size_t loc_cap, fn_cap;
    frame_cache frames;      /* the current sample's locations */
    pbuf sample, locs, vals, label;
    uint32_t thread_key;
    int thread_label;
} pprof_state;

static uint32_t pp_str(pprof_state *s, const char *p, size_t n) { return set_id(&s->str, p, n, NULL) - 1; }

static uint32_t pp_location(pprof_state *s, const char *frame, size_t n)
{
    int isnew;
    uint32_t id = set_id(&s->loc, frame, n, &isnew), fid;
    frame_parts f;
    char *key;
    if (!isnew) return id;
    f = split_frame(frame, n);
    key = xrealloc(NULL, f.name_len + f.file_len + 2);
    memcpy(key, f.name, f.name_len);
    key[f.name_len] = 0x1f;
    if (f.file) memcpy(key + f.name_len + 1, f.file, f.file_len);
    fid = set_id(&s->fn, key, f.name_len + 1 + f.file_len, &isnew);
    free(key);
    if (isnew) {
        grow(&s->fn_name, &s->fn_cap, fid + 1, sizeof *s->fn_name);
        s->fn_file = xrealloc(s->fn_file, s->fn_cap * sizeof *s->fn_file);
        s->fn_name[fid] = pp_str(s, f.name, f.name_len);
        s->fn_file[fid] = f.file ? pp_str(s, f.file, f.file_len) : 0;
    }
    grow(&s->loc_fn, &s->loc_cap, id + 1, sizeof *s->loc_fn);
    s->loc_line = xrealloc(s->loc_line, s->loc_cap * sizeof *s->loc_line);
    s->loc_fn[id] = fid;
    s->loc_line[id] = f.line;
    return id;
}

/* One Sample: the stack's locations leaf first, its values, its thread (the root frame of a
 * stack of profiled scopes under threads=separate; real call stacks of the detail files do
 * not start with a thread). */
static uint32_t pp_look(void *ctx, const char *frame, size_t len) { return pp_location(ctx, frame, len); }

static void pp_sample(pprof_state *s, const char *stack, size_t len, const int64_t *v, int nv, int scope)
{
    size_t n, i;
    split_stack(&s->frames, stack, len, pp_look, s);
    s->locs.n = s->vals.n = s->label.n = 0;
    for (n = s->frames.n; n;) pb_varint(&s->locs, s->frames.ids[--n]);
    for (i = 0; i < (size_t)nv; i++) pb_varint(&s->vals, (uint64_t)v[i]);
    pb_bytes(&s->sample, 1, s->locs.p, s->locs.n);
    pb_bytes(&s->sample, 2, s->vals.p, s->vals.n);
    if (s->thread_label && scope) {
        size_t root = strcspn(stack, ";");
        pb_uint(&s->label, 1, s->thread_key);
        pb_uint(&s->label, 2, pp_str(s, stack, root < len ? root : len));
        pb_bytes(&s->sample, 3, s->label.p, s->label.n);
    }
    pb_emit(2, &s->sample);
}

/* Joins the input's files by stack (each is sorted) and writes one sample per stack. */
static unsigned long pp_samples(pprof_state *s, input *in)
{
    int64_t v[K_NADD];
    int at[K_NADD];            /* whether file i has this stack */
    int scope;                 /* the stack is one of profiled scopes (a thread's root first) */
    unsigned long n = 0;
    for (;;) {
        int i, lo = -1;
        for (i = 0; i < in->n; i++)
            if (in->cur[i].have && (lo < 0 || stack_cmp(in->cur[i].l.stack, in->cur[i].l.stack_len,
                                                          in->cur[lo].l.stack, in->cur[lo].l.stack_len) < 0))
                lo = i;
        if (lo < 0) return n;
        for (i = 0; i < in->n; i++) {
            at[i] = i == lo || (in->cur[i].have && !stack_cmp(in->cur[i].l.stack, in->cur[i].l.stack_len,
                                                              in->cur[lo].l.stack, in->cur[lo].l.stack_len));
            v[i] = at[i] ? int_value(&in->cur[i]) : 0;
        }
        for (i = 0, scope = 0; i < in->n; i++) scope |= at[i] && in->kinds[i] <= K_MEMLC;
        pp_sample(s, in->cur[lo].l.stack, in->cur[lo].l.stack_len, v, in->n, scope);
        n++;
        for (i = 0; i < in->n; i++) {
            if (!at[i]) continue;
            if (in->n == 1) cur_next(&in->cur[i]); /* one file: no join, no order needed */
            else cur_advance(&in->cur[i]);
        }
    }
}

/* The sample types, string table, functions, locations and comments, after the samples. */
static void pp_tables(pprof_state *s, input *in)
{
    pbuf b = {0}, l = {0};
    uint32_t i;
    int k;
    for (k = 0; k < in->n; k++) {
        int kind = in->kinds[k];
        pb_uint(&b, 1, pp_str(s, kind < K_NADD ? kind_ptype[kind] : "samples", kind < K_NADD ? strlen(kind_ptype[kind]) : 7));
        pb_uint(&b, 2, pp_str(s, kind < K_NADD ? kind_punit[kind] : "count", kind < K_NADD ? strlen(kind_punit[kind]) : 5));
        pb_emit(1, &b);
    }
    for (i = 1; i <= s->fn.n; i++) {
        pb_uint(&b, 1, i);
        pb_uint(&b, 2, s->fn_name[i]);
        pb_uint(&b, 3, s->fn_name[i]);
        pb_uint(&b, 4, s->fn_file[i]);
        pb_emit(5, &b);
    }
    for (i = 1; i <= s->loc.n; i++) {
        pb_uint(&b, 1, i);
        l.n = 0;
        pb_uint(&l, 1, s->loc_fn[i]);
        pb_uint(&l, 2, s->loc_line[i]);
        pb_bytes(&b, 4, l.p, l.n);
        pb_emit(4, &b);
    }
    free(l.p);
    free(b.p);
}

/* Comments (the run's metadata) and the default sample type; strings must exist before the
 * string table is written, so this comes first. */
static void pp_comments(pprof_state *s, input *in)
{
    static const char *const keys[] = {"program", "pid", "started", "clock", "threads", "mode",
                                       "allocations", "bytes", "peak", "current", NULL};
    pbuf b = {0};
    char val[256], line[320];
    for (int i = 0; keys[i]; i++) {
        for (int c = 0; c < in->n; c++) {
            meta(&in->cur[c], keys[i], val, sizeof val);
            if (!val[0]) continue;
            snprintf(line, sizeof line, "%s=%s", keys[i], val);
            pb_uint(&b, 13, pp_str(s, line, strlen(line)));
            break;
        }
    }
    if (in->kinds[0] == K_TIME) {
        for (int c = 0; c < in->n; c++)
            if (in->kinds[c] == K_TIME) pb_uint(&b, 14, pp_str(s, "wall", 4));
    } else if (in->kinds[0] < K_NADD) {
        pb_uint(&b, 14, pp_str(s, kind_ptype[in->kinds[0]], strlen(kind_ptype[in->kinds[0]])));
    }
    out(b.p, b.n);
    free(b.p);
}

static void pp_strings(pprof_state *s)
{
    pbuf b = {0};
    for (uint32_t i = 1; i <= s->str.n; i++) {
        pb_bytes(&b, 6, set_key(&s->str, i), set_len(&s->str, i));
        out(b.p, b.n);
        b.n = 0;
    }
    free(b.p);
}

static void export_pprof(const char *given)
{
    input in = {0};
    pprof_state s = {0};
    unsigned long n;
    open_input(&in, given, 0);
    pp_str(&s, "", 0); /* string_table[0] must be "" */
    s.thread_label = !strcmp(in.threads, "separate");
    s.thread_key = pp_str(&s, "thread", 6);
    n = pp_samples(&s, &in);
    pp_tables(&s, &in);
    pp_comments(&s, &in);
    pp_strings(&s);
    note("pprof: %lu samples, %zu locations, %d sample type%s", n, s.loc.n, in.n, in.n == 1 ? "" : "s");
    close_input(&in);
    set_free(&s.str); set_free(&s.loc); set_free(&s.fn);
    free(s.loc_fn); free(s.loc_line); free(s.fn_name); free(s.fn_file);
    free(s.frames.prev); free(s.frames.ids); free(s.frames.ends);
    free(s.sample.p); free(s.locs.p); free(s.vals.p); free(s.label.p);
}

/* ======================================================================== speedscope (sampled) */

typedef struct {
    strset frames;           /* speedscope frame index = id - 1 */
    frame_cache cache;
    int nprof;
} ss_state;

static uint32_t ss_frame(ss_state *s, const char *p, size_t n) { return set_id(&s->frames, p, n, NULL) - 1; }
static uint32_t ss_look(void *ctx, const char *p, size_t n) { return ss_frame(ctx, p, n); }

static void out_value(double v)
{
    if (v == (double)(uint64_t)v && v < 1.8e19) outf("%llu", (unsigned long long)v);
    else outf("%.17g", v);
}

/* One additive file as a sampled profile. Samples stream to the output; the weights go to a
 * temporary file and follow them (JSON has the two arrays apart). */
static void ss_sampled(ss_state *s, cursor *c, int kind, const char *label)
{
    FILE *w = tmpfile();
    double total = 0;
    char buf[1 << 16];
    size_t n;
    unsigned long count = 0;
    if (!w) die("cannot create a temporary file: %s", strerror(errno));
    outs(s->nprof++ ? ",\n{" : "\n{");
    outs("\"type\":\"sampled\",\"name\":");
    json_str(label, strlen(label));
    outf(",\"unit\":\"%s\",\"samples\":[", kind < K_NADD ? kind_sunit[kind] : "none");
    for (; c->have; cur_next(c)) {
        size_t i;
        split_stack(&s->cache, c->l.stack, c->l.stack_len, ss_look, s);
        outs(count ? ",[" : "[");
        for (i = 0; i < s->cache.n; i++) out_u64(s->cache.ids[i], i ? ',' : 0);
        out("]", 1);
        if (c->l.value == (double)(uint64_t)c->l.value && c->l.value < 1.8e19) {
            char t[24], *p = t + sizeof t;
            uint64_t v = (uint64_t)c->l.value;
            do *--p = (char)('0' + v % 10); while (v /= 10);
            if (count) *--p = ',';
            if (fwrite(p, 1, (size_t)(t + sizeof t - p), w) != (size_t)(t + sizeof t - p)) die("temporary file: write error");
        } else if (fprintf(w, count ? ",%.17g" : "%.17g", c->l.value) < 0) {
            die("temporary file: write error");
        }
        total += c->l.value;
        count++;
    }
    outs("],\"weights\":[");
    rewind(w);
    while ((n = fread(buf, 1, sizeof buf, w)) > 0) out(buf, n);
    if (ferror(w)) die("temporary file: read error");
    fclose(w);
    outs("],\"startValue\":0,\"endValue\":");
    out_value(total);
    out("}", 1);
}

static void ss_frames(ss_state *s)
{
    outs("],\"shared\":{\"frames\":[");
    for (uint32_t i = 1; i <= s->frames.n; i++) {
        const char *k = set_key(&s->frames, i);
        frame_parts f = split_frame(k, set_len(&s->frames, i));
        outs(i > 1 ? ",\n{\"name\":" : "\n{\"name\":");
        json_str(f.name, f.name_len);
        if (f.file) {
            outs(",\"file\":");
            json_str(f.file, f.file_len);
            outf(",\"line\":%lu", f.line);
        }
        out("}", 1);
    }
    outs("]}}\n");
}

/* ======================================================================== timeline */

/* The timeline's stack table, and the walk of each thread's intervals. */
typedef struct {
    size_t n, cap;
    size_t *parent, *depth, *name_off, *task;  /* per id (0: none); task: its track's root, the
                                                  outermost task or fiber root above it */
    unsigned char *fiber;               /* per id: 1 when it is a fiber's root (an F line) */
    size_t *jname, *jlen;               /* per id: its name as JSON in jbuf (offset + 1; 0: not yet) */
    uint32_t *frame;                    /* per id: its speedscope frame + 1 (0: not yet) */
    pbuf jbuf;
    char *names;
    size_t names_len, names_cap;
    strset tasks;                       /* stacks of the -wall file (tasks, async sections) */
    char *path;                         /* scratch: a stack's text */
    size_t path_cap;
} tl_table;

static const char *tl_name(const tl_table *t, size_t id) { return t->names + t->name_off[id]; }

/* The stack text of id into t->path; its length. */
static size_t tl_path(tl_table *t, size_t id)
{
    size_t len = 0, pos, i;
    for (i = id; i; i = t->parent[i]) len += strlen(tl_name(t, i)) + 1;
    grow(&t->path, &t->path_cap, len + 1, 1);
    pos = len - 1;
    t->path[pos] = 0;
    for (i = id; i; i = t->parent[i]) {
        size_t k = strlen(tl_name(t, i));
        pos -= k;
        memcpy(t->path + pos, tl_name(t, i), k);
        if (pos) t->path[--pos] = ';';
    }
    return len - 1;
}

static int parse_u64(const char **p, uint64_t *v)
{
    const char *s = *p;
    uint64_t x = 0;
    if (*s < '0' || *s > '9') return 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (x > (UINT64_MAX - 9) / 10) return 0;
        x = x * 10 + (uint64_t)(*s - '0');
    }
    *p = s;
    *v = x;
    return 1;
}

/* "S id parent frame". 0 if malformed. */
static int tl_define(tl_table *t, const char *p)
{
    uint64_t id, parent;
    size_t k;
    if (!parse_u64(&p, &id) || *p++ != ' ' || !parse_u64(&p, &parent) || *p++ != ' ' || !*p) return 0;
    if (id != t->n + 1 || parent >= id) return 0;
    grow(&t->parent, &t->cap, (size_t)id + 1, sizeof(size_t));
    t->depth = xrealloc(t->depth, t->cap * sizeof(size_t));
    t->name_off = xrealloc(t->name_off, t->cap * sizeof(size_t));
    t->task = xrealloc(t->task, t->cap * sizeof(size_t));
    t->jname = xrealloc(t->jname, t->cap * sizeof(size_t));
    t->jlen = xrealloc(t->jlen, t->cap * sizeof(size_t));
    t->frame = xrealloc(t->frame, t->cap * sizeof(uint32_t));
    t->fiber = xrealloc(t->fiber, t->cap);
    k = strlen(p);
    grow(&t->names, &t->names_cap, t->names_len + k + 1, 1);
    memcpy(t->names + t->names_len, p, k + 1);
    t->n = (size_t)id;
    t->parent[id] = (size_t)parent;
    t->depth[id] = parent ? t->depth[parent] + 1 : 1;
    t->name_off[id] = t->names_len;
    t->names_len += k + 1;
    t->task[id] = parent ? t->task[parent] : 0;
    t->jname[id] = 0;
    t->frame[id] = 0;
    t->fiber[id] = 0;
    if (!t->task[id] && t->tasks.n && set_find(&t->tasks, t->path, tl_path(t, (size_t)id)))
        t->task[id] = (size_t)id;
    return 1;
}

/* "F id": the stack just defined is a fiber's root frame (timeline-2); its frames and those
 * under it go to the fiber's track unless an outer task or fiber already has them. 0 if
 * malformed (not the stack of the S line before it). */
static int tl_fiber(tl_table *t, const char *p)
{
    uint64_t id;
    if (!parse_u64(&p, &id) || *p || id == 0 || id != t->n) return 0;
    t->fiber[id] = 1;
    if (!t->task[id]) t->task[id] = (size_t)id;
    return 1;
}

/* Writes the frame name of id as a JSON string (escaped once, then copied). */
static void tl_out_name(tl_table *t, size_t id)
{
    if (!t->jname[id]) {
        size_t off = t->jbuf.n;
        const char *name = tl_name(t, id);
        json_buf(&t->jbuf, name, strlen(name));
        t->jname[id] = off + 1;
        t->jlen[id] = t->jbuf.n - off;
    }
    out(t->jbuf.p + t->jname[id] - 1, t->jlen[id]);
}

/* What a walk of the timeline does at each event. track: 0 the thread's, else a task's or a
 * fiber's track (the id of its root stack). */
typedef struct tl_sink {
    void (*thread)(struct tl_sink *, unsigned long index, const char *name, uint64_t start);
    void (*open)(struct tl_sink *, size_t track, size_t id, uint64_t t);
    void (*close)(struct tl_sink *, size_t track, size_t id, uint64_t t);
    void (*thread_end)(struct tl_sink *, uint64_t start, uint64_t end);
    tl_table *tab;
    int split_tasks;
} tl_sink;

typedef struct {
    size_t *open, n, cap;    /* the thread track's open frames, outermost first */
    size_t *kopen, kn, kcap; /* the current task track's */
    size_t task;             /* its root id, 0: none */
    size_t *want, wcap;
    char *thread;            /* the thread's name */
} tl_walk;

/* Closes the track's frames beyond keep, deepest first. */
static void tl_close_to(tl_sink *s, size_t track, size_t *open, size_t *n, size_t keep, uint64_t t)
{
    while (*n > keep) s->close(s, track, open[--*n], t);
}

/* Moves a track from its open frames to want[0..wn). */
static void tl_move(tl_sink *s, size_t track, size_t **open, size_t *n, size_t *cap,
                    const size_t *want, size_t wn, uint64_t t)
{
    size_t common = 0;
    while (common < *n && common < wn && (*open)[common] == want[common]) common++;
    tl_close_to(s, track, *open, n, common, t);
    grow(open, cap, wn, sizeof **open);
    for (; *n < wn; (*n)++) {
        (*open)[*n] = want[*n];
        s->open(s, track, want[*n], t);
    }
}

/* The stack on top becomes id at time t. */
static void tl_switch(tl_sink *s, tl_walk *w, size_t id, uint64_t t)
{
    tl_table *tab = s->tab;
    size_t d = id ? tab->depth[id] : 0, i, split = d, task = 0;
    grow(&w->want, &w->wcap, d + 1, sizeof *w->want);
    for (i = id; i; i = tab->parent[i]) w->want[tab->depth[i] - 1] = i;
    if (s->split_tasks && id && (task = tab->task[id]) != 0) {
        /* The frames above a task or fiber are the thread's own when the stack starts at the
         * thread's root (a task resumed on the thread that began it, a fiber on the thread it
         * first ran on); on another thread they are a copy of its path, not the thread's,
         * and the thread's track shows nothing meanwhile. */
        split = strcmp(tl_name(tab, w->want[0]), w->thread) ? 0 : tab->depth[task] - 1;
    }
    tl_move(s, 0, &w->open, &w->n, &w->cap, w->want, split, t);
    if (w->task && w->task != task) tl_close_to(s, w->task, w->kopen, &w->kn, 0, t);
    w->task = task;
    if (task) tl_move(s, task, &w->kopen, &w->kn, &w->kcap, w->want + split, d - split, t);
}

/* Reads a timeline file (its metadata line already checked) and walks it. */
static void tl_walk_file(tl_sink *s, FILE *f, const char *path)
{
    tl_walk w = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned long lineno = 0, threads = 0;
    uint64_t t = 0, start = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        const char *p = line;
        uint64_t id, ns, idx;
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if (len == 0 || line[0] == '#') continue;
        if (line[0] == 'S' && line[1] == ' ') {
            if (!tl_define(s->tab, line + 2)) die("%s:%lu: malformed stack definition", path, lineno);
            continue;
        }
        if (line[0] == 'F' && line[1] == ' ') {
            if (!tl_fiber(s->tab, line + 2))
                die("%s:%lu: malformed fiber line (F <id> follows that stack's S line)", path, lineno);
            continue;
        }
        if (line[0] == 'T' && line[1] == ' ') {
            p = line + 2;
            if (!parse_u64(&p, &idx) || *p++ != ' ' || !parse_u64(&p, &start) || *p++ != ' ' || !*p)
                die("%s:%lu: malformed thread line", path, lineno);
            if (threads++) { tl_switch(s, &w, 0, t); s->thread_end(s, start, t); }
            free(w.thread);
            w.thread = xstrdup(p);
            s->thread(s, (unsigned long)idx, p, t = start);
            continue;
        }
        if (!parse_u64(&p, &id) || *p++ != ' ' || !parse_u64(&p, &ns) || *p)
            die("%s:%lu: malformed timeline line", path, lineno);
        if (id > s->tab->n) die("%s:%lu: unknown stack id %llu", path, lineno, (unsigned long long)id);
        if (!threads) die("%s:%lu: an interval before any thread line", path, lineno);
        tl_switch(s, &w, (size_t)id, t);
        t += ns;
    }
    if (ferror(f)) die("%s: read error", path);
    if (threads) { tl_switch(s, &w, 0, t); s->thread_end(s, start, t); }
    else die("%s: no thread in this timeline (the run recorded no events)", path);
    free(line);
    free(w.thread);
    free(w.open);
    free(w.kopen);
    free(w.want);
}

/* The run's timeline path and metadata (dies when there is none). */
static char *tl_find(run_files *r, const char *given, char *program, size_t psize, char *pid, size_t pidsize)
{
    cursor c;
    char fmt[64], dropped[32];
    const char *path = r->stem ? r->path[K_TL] : given;
    if (!path)
        die("%s: the run has no timeline (%s-timeline.txt is missing: THAG_TIMELINE_EVENTS=0, "
            "or no time profiling): trace export needs it", given, r->stem);
    cur_open(&c, path, r->stem ? K_TL : K_FOREIGN);
    meta(&c, "format", fmt, sizeof fmt);
    if (strcmp(fmt, "timeline-1") && strcmp(fmt, "timeline-2"))
        die("%s is not a thag_profiler timeline (format=timeline-2 or timeline-1): trace export "
            "needs the run's <program>-<stamp>-timeline.txt", path);
    meta(&c, "program", program, psize);
    meta(&c, "pid", pid, pidsize);
    meta(&c, "dropped", dropped, sizeof dropped);
    static int told;
    if (dropped[0] && strcmp(dropped, "0") && !told++)
        note("%s: %s events were dropped (THAG_TIMELINE_EVENTS): the timeline is the run's last window", path, dropped);
    cur_close(&c);
    return xstrdup(path);
}

/* The -wall file's stacks: the tasks and async sections, whose frames get tracks of their own. */
static void tl_load_tasks(tl_table *tab, run_files *r)
{
    cursor c;
    if (!r->stem || !r->path[K_WALL]) return;
    for (cur_open(&c, r->path[K_WALL], K_WALL); c.have; cur_next(&c)) set_id(&tab->tasks, c.l.stack, c.l.stack_len, NULL);
    cur_close(&c);
}

static void tl_free(tl_table *t)
{
    free(t->parent); free(t->depth); free(t->name_off); free(t->task); free(t->fiber);
    free(t->jname); free(t->jlen); free(t->frame); free(t->jbuf.p);
    free(t->names); free(t->path);
    set_free(&t->tasks);
}

/* ======================================================================== Trace Event JSON */

typedef struct {
    tl_sink sink;
    unsigned long pid, tid, index, nev;
    char *thread;                        /* the current thread's name */
    size_t *task_root, *task_tid, ntask, task_cap;  /* this thread's task tracks */
    unsigned long next_task_tid;
} trace_sink;

static void tr_meta(trace_sink *s, unsigned long tid, const char *what, const char *name, unsigned long sort)
{
    outf("%s{\"ph\":\"M\",\"pid\":%lu,\"tid\":%lu,\"name\":\"%s\",\"args\":{\"name\":", s->nev++ ? ",\n" : "\n",
         s->pid, tid, what);
    json_str(name, strlen(name));
    outf("}},\n{\"ph\":\"M\",\"pid\":%lu,\"tid\":%lu,\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":%lu}}",
         s->pid, tid, sort);
}

static void tr_thread(tl_sink *k, unsigned long index, const char *name, uint64_t start)
{
    trace_sink *s = (trace_sink *)k;
    (void)start;
    free(s->thread);
    s->thread = xstrdup(name);
    s->index = index;
    s->tid = index + 1;
    s->ntask = 0;
    tr_meta(s, s->tid, "thread_name", name, index * 1000);
}

/* The tid of the current thread's track for the task or fiber rooted at stack id root. */
static unsigned long tr_task_tid(trace_sink *s, size_t root)
{
    size_t i;
    char *name;
    for (i = 0; i < s->ntask; i++)
        if (s->task_root[i] == root) return s->task_tid[i];
    grow(&s->task_root, &s->task_cap, s->ntask + 1, sizeof(size_t));
    s->task_tid = xrealloc(s->task_tid, s->task_cap * sizeof(size_t));
    s->task_root[s->ntask] = root;
    s->task_tid[s->ntask] = s->next_task_tid++;
    name = cat3(s->thread, s->sink.tab->fiber[root] ? ": fiber " : ": task ", tl_name(s->sink.tab, root));
    tr_meta(s, s->task_tid[s->ntask], "thread_name", name, s->index * 1000 + s->ntask + 1);
    free(name);
    return s->task_tid[s->ntask++];
}

static void tr_event(tl_sink *k, size_t track, size_t id, uint64_t t, char ph)
{
    trace_sink *s = (trace_sink *)k;
    unsigned long tid = track ? tr_task_tid(s, track) : s->tid;
    outs(ph == 'B' ? ",\n{\"ph\":\"B\",\"pid\":" : ",\n{\"ph\":\"E\",\"pid\":");
    s->nev++;
    out_u64(s->pid, 0);
    outs(",\"tid\":");
    out_u64(tid, 0);
    outs(",\"ts\":");
    out_us(t);
    outs(",\"name\":");
    tl_out_name(k->tab, id);
    out("}", 1);
}

static void tr_open(tl_sink *k, size_t track, size_t id, uint64_t t) { tr_event(k, track, id, t, 'B'); }
static void tr_close(tl_sink *k, size_t track, size_t id, uint64_t t) { tr_event(k, track, id, t, 'E'); }
static void tr_end(tl_sink *k, uint64_t start, uint64_t end) { (void)k; (void)start; (void)end; }

static void export_trace(const char *given)
{
    run_files r;
    tl_table tab = {0};
    trace_sink s = {{tr_thread, tr_open, tr_close, tr_end, &tab, 1}, 0, 0, 0, 0, NULL, NULL, NULL, 0, 0, 1u << 20};
    char program[256], pid[32], *path;
    FILE *f;
    find_run(&r, given);
    path = tl_find(&r, given, program, sizeof program, pid, sizeof pid);
    tl_load_tasks(&tab, &r);
    s.pid = strtoul(pid, NULL, 10);
    if (!s.pid) s.pid = 1;
    outs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"exporter\":\"thag-export " EXPORT_VERSION "\",\"program\":");
    json_str(program, strlen(program));
    outs("},\"traceEvents\":[");
    outf("\n{\"ph\":\"M\",\"pid\":%lu,\"tid\":0,\"name\":\"process_name\",\"args\":{\"name\":", s.pid);
    json_str(program[0] ? program : "program", strlen(program[0] ? program : "program"));
    outs("}}");
    s.nev = 1;
    if (!(f = fopen(path, "rb"))) die("%s: %s", path, strerror(errno));
    tl_walk_file(&s.sink, f, path);
    fclose(f);
    outs("\n]}\n");
    {
        size_t i, nf = 0;
        for (i = 1; i <= tab.n; i++) nf += tab.fiber[i];
        note("trace: %lu events, %zu task stacks, %zu fiber roots", s.nev, tab.tasks.n, nf);
    }
    free(s.thread); free(s.task_root); free(s.task_tid); free(path);
    tl_free(&tab);
    for (int k = 0; k < K_NKINDS; k++) free(r.path[k]);
    free(r.stem); free(r.given);
}

/* ======================================================================== speedscope */

typedef struct {
    tl_sink sink;
    ss_state *ss;
    unsigned long nev;
} ss_sink;

static void sse_thread(tl_sink *k, unsigned long index, const char *name, uint64_t start)
{
    ss_sink *s = (ss_sink *)k;
    char label[300];
    snprintf(label, sizeof label, "timeline: thread %s", name);
    (void)index;
    outs(s->ss->nprof++ ? ",\n{" : "\n{");
    outs("\"type\":\"evented\",\"name\":");
    json_str(label, strlen(label));
    outf(",\"unit\":\"nanoseconds\",\"startValue\":%llu,\"events\":[", (unsigned long long)start);
    s->nev = 0;
}

static void sse_event(tl_sink *k, size_t id, uint64_t t, char type)
{
    ss_sink *s = (ss_sink *)k;
    tl_table *tab = k->tab;
    if (!tab->frame[id]) {
        const char *name = tl_name(tab, id);
        tab->frame[id] = ss_frame(s->ss, name, strlen(name)) + 1;
    }
    outs(type == 'O' ? (s->nev++ ? ",{\"type\":\"O\",\"frame\":" : "{\"type\":\"O\",\"frame\":")
                     : (s->nev++ ? ",{\"type\":\"C\",\"frame\":" : "{\"type\":\"C\",\"frame\":"));
    out_u64(tab->frame[id] - 1, 0);
    outs(",\"at\":");
    out_u64(t, 0);
    out("}", 1);
}

static void sse_open(tl_sink *k, size_t track, size_t id, uint64_t t) { (void)track; sse_event(k, id, t, 'O'); }
static void sse_close(tl_sink *k, size_t track, size_t id, uint64_t t) { (void)track; sse_event(k, id, t, 'C'); }
static void sse_end(tl_sink *k, uint64_t start, uint64_t end)
{
    (void)k; (void)start;
    outf("],\"endValue\":%llu}", (unsigned long long)end);
}

static void export_speedscope(const char *given)
{
    input in = {0};
    ss_state ss = {0};
    char label[600], name[300];
    int i;
    open_input(&in, given, 1);
    if (!in.program[0] && in.files.stem && in.files.path[K_TL]) {
        char pid[32];
        free(tl_find(&in.files, given, in.program, sizeof in.program, pid, sizeof pid));
    }
    outs("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\"exporter\":\"thag-export "
         EXPORT_VERSION "\",\"name\":");
    json_str(in.program[0] ? in.program : given, strlen(in.program[0] ? in.program : given));
    outs(",\"activeProfileIndex\":0,\"profiles\":[");
    for (i = 0; i < in.n; i++) {
        const char *b = strrchr(in.cur[i].path, '/');
        int k = in.kinds[i];
        snprintf(label, sizeof label, "%s: %s", k < K_NADD ? kind_meta[k] : "samples", b ? b + 1 : in.cur[i].path);
        ss_sampled(&ss, &in.cur[i], k, label);
    }
    if (in.files.stem && in.files.path[K_TL]) {
        tl_table tab = {0};
        ss_sink s = {{sse_thread, sse_open, sse_close, sse_end, &tab, 0}, &ss, 0};
        char pid[32], *path = tl_find(&in.files, given, name, sizeof name, pid, sizeof pid);
        FILE *f = fopen(path, "rb");
        if (!f) die("%s: %s", path, strerror(errno));
        tl_walk_file(&s.sink, f, path);
        fclose(f);
        free(path);
        tl_free(&tab);
    }
    ss_frames(&ss);
    note("speedscope: %d profiles, %zu frames", ss.nprof, ss.frames.n);
    close_input(&in);
    set_free(&ss.frames);
    free(ss.cache.prev); free(ss.cache.ids); free(ss.cache.ends);
}

/* ======================================================================== command line */

static const char usage_text[] =
    "Usage: thag-export --format pprof|trace|speedscope [-o FILE] RUN\n"
    "Exports a thag_profiler run. RUN is any file of the run (<program>-<stamp>[-kind].folded,\n"
    "-timeline.txt); its other files are found from the stamp. A folded file from another\n"
    "tool is exported alone, as generic samples.\n"
    "  -f, --format FMT   pprof       profile.proto (go tool pprof, Pyroscope, Parca, Grafana)\n"
    "                     trace       Trace Event JSON from the timeline (Perfetto, chrome://tracing)\n"
    "                     speedscope  speedscope JSON: every profile of the run, with units\n"
    "  -o, --output FILE  write FILE (complete or not at all) instead of stdout\n"
    "  -q, --quiet        no notes on stderr\n"
    "  -h, --help, --version\n"
    "Exit status: 0 exported, 1 bad or incomplete input (nothing exported), 2 usage.\n"
    "Manual: docs/export.md\n";

static void usage_error(const char *fmt, const char *arg)
{
    fputs("thag-export: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'thag-export --help'.\n", stderr);
    exit(EXIT_USAGE);
}

/* The value of an option given as "--opt V", "--opt=V" or "-o V"; advances *i. */
static const char *opt_value(int argc, char **argv, int *i, const char *longname, const char *shortname)
{
    const char *a = argv[*i];
    size_t n = strlen(longname);
    if (!strncmp(a, longname, n) && a[n] == '=') return a + n + 1;
    if (strcmp(a, longname) && strcmp(a, shortname)) return NULL;
    if (*i + 1 >= argc) usage_error("%s needs a value", a);
    return argv[++*i];
}

int main(int argc, char **argv)
{
    const char *format = NULL, *output = NULL, *runpath = NULL, *v;
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return fputs(usage_text, stdout), 0;
        if (!strcmp(a, "--version")) return puts("thag-export " EXPORT_VERSION), 0;
        if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) { g_quiet = 1; continue; }
        if ((v = opt_value(argc, argv, &i, "--format", "-f"))) { format = v; continue; }
        if ((v = opt_value(argc, argv, &i, "--output", "-o"))) { output = v; continue; }
        if (a[0] == '-' && a[1]) usage_error("unknown option: %s", a);
        if (runpath) usage_error("one RUN only (%s is a second one)", a);
        runpath = a;
    }
    if (!format) usage_error("%s", "--format pprof|trace|speedscope is required");
    if (strcmp(format, "pprof") && strcmp(format, "trace") && strcmp(format, "speedscope"))
        usage_error("unknown format: %s (pprof, trace or speedscope)", format);
    if (!runpath) usage_error("%s", "no RUN given (any file of a run, e.g. prog-20260101-120000.folded)");
    g_out = stdout;
    if (output) {
        size_t n = strlen(output) + 32;
        g_tmp = xrealloc(NULL, n);
        snprintf(g_tmp, n, "%s.tmp%ld", output, (long)getpid());
        if (!(g_out = fopen(g_tmp, "wb"))) { char *t = g_tmp; g_tmp = NULL; die("%s: %s", t, strerror(errno)); }
    }
    setvbuf(g_out, NULL, _IOFBF, 1 << 20);
    if (!strcmp(format, "pprof")) export_pprof(runpath);
    else if (!strcmp(format, "trace")) export_trace(runpath);
    else export_speedscope(runpath);
    out_flush();
    if (fflush(g_out) != 0 || ferror(g_out)) die("write error: %s", strerror(errno));
    if (output) {
        if (fclose(g_out) != 0) die("%s: %s", output, strerror(errno));
        if (rename(g_tmp, output) != 0) die("%s: %s", output, strerror(errno));
        free(g_tmp);
        g_tmp = NULL;
    }
    return 0;
}
