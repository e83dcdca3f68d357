/* flamegraph.c - folded stacks to an interactive, self-contained SVG flame graph.
 *
 * Part of thag_profiler for C. Reads folded stack lines ("frame;frame;frame count") from
 * files or stdin, merges them frame by frame into a prefix tree and writes an SVG with
 * embedded JavaScript (hover details, click to zoom, regex search, URL state). Also draws
 * icicle graphs, flame charts (input order kept) and differential flame graphs.
 * See docs/flamegraph.md for the options.
 *
 * Build: cc -std=c99 -O2 -o flamegraph tools/flamegraph.c -lm
 * (or `make flamegraph`, which writes build/flamegraph).
 *
 * Memory: the input is streamed (tools/folded.h); frame names are interned; while reading,
 * the tree keeps 24 bytes per node (32 in differential mode) plus a 16-byte-per-slot hash
 * index of the children that are not a first child; the index is freed before layout.
 * Nodes narrower than --minwidth are pruned at output. About 350 MiB and 4 s of CPU for the
 * 1,000,000-line, 1.28 GiB benchmark input (make bench-flamegraph).
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folded.h"

#define FG_VERSION "0.1.0"
#define MAX_DEPTH 8192            /* deeper stacks are truncated (with a warning) */
#define MAX_NAME ((size_t)65536)  /* longer frame names are truncated (with a warning) */
#define NAME_ROOT 0u              /* the "all" frame */
#define NAME_GAP 1u               /* flame charts: self time laid out between children */
#define NONE UINT32_MAX
#ifndef NAMES_BLOCK
#define NAMES_BLOCK ((size_t)1 << 20) /* name storage is allocated in blocks of this size */
#endif

/* ------------------------------------------------------------------ options */

typedef struct {
    const char *title, *subtitle, *countname, *nametype, *fonttype, *notes;
    const char *colors, *bgcolors, *search_color, *palfile, *output;
    double width, height, fontsize, fontwidth, minwidth, factor, total;
    int minwidth_pct, reverse, inverted, flamechart, negate, diff, normalize, strip_hex;
    int random, no_sort, truncate_right, quiet;
    const char **files;
    int nfiles;
} fg_options;

/* ------------------------------------------------------------------ memory */

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "flamegraph: out of memory (%zu bytes)\n", n);
        exit(1);
    }
    return q;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "flamegraph: out of memory\n");
        exit(1);
    }
    return p;
}

/* Grows *p (elements of size esz, capacity *cap) to hold at least need elements. */
static void grow(void **p, size_t *cap, size_t need, size_t esz)
{
    size_t c = *cap ? *cap : 64;
    if (need <= *cap) return;
    while (c < need) c += c / 2 + 64;
    *p = xrealloc(*p, c * esz);
    *cap = c;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

#define HASH_SEED 0x9e3779b97f4a7c15ULL
#define HASH_STEP(h, w) ((((h) << 5 | (h) >> 59) ^ (w)) * 0x9e3779b97f4a7c15ULL)
#define HASH_END(h, tail, n) mix64((h) ^ mix64((tail) + (n)))

/* A fast 64-bit hash of n bytes, 8 at a time (split_frames() computes the same one). */
static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = HASH_SEED, w;
    size_t len = n;
    while (n >= 8) {
        memcpy(&w, s, 8);
        h = HASH_STEP(h, w);
        s += 8;
        n -= 8;
    }
    w = 0;
    memcpy(&w, s, n);
    return HASH_END(h, w, len);
}

/* ------------------------------------------------------------------ interned names */

typedef struct {
    const char *s;
    uint32_t len;
} fg_name;

typedef struct {
    fg_name *v;
    size_t n, cap;
    uint64_t *slots; /* (hash >> 32) << 32 | (id + 1); 0 = empty */
    size_t mask;
    char **blocks;
    size_t nblocks, bcap, left;
    char *cur;
} fg_names;

static const char *names_store(fg_names *t, const char *s, size_t len)
{
    char *p;
    if (len + 1 > t->left) {
        size_t sz = len + 1 > NAMES_BLOCK ? len + 1 : NAMES_BLOCK;
        grow((void **)&t->blocks, &t->bcap, t->nblocks + 1, sizeof *t->blocks);
        t->cur = t->blocks[t->nblocks++] = (char *)xrealloc(NULL, sz);
        t->left = sz;
    }
    p = t->cur;
    memcpy(p, s, len);
    p[len] = 0;
    t->cur += len + 1;
    t->left -= len + 1;
    return p;
}

/* Adds a name without hashing it (the reserved ids). */
static uint32_t names_add(fg_names *t, const char *s, size_t len)
{
    grow((void **)&t->v, &t->cap, t->n + 1, sizeof *t->v);
    t->v[t->n].s = names_store(t, s, len);
    t->v[t->n].len = (uint32_t)len;
    return (uint32_t)t->n++;
}

static void names_rehash(fg_names *t, size_t nslots)
{
    uint64_t *ns = (uint64_t *)xcalloc(nslots, sizeof *ns);
    size_t m = nslots - 1;
    for (size_t i = 0; t->slots && i <= t->mask; i++) {
        uint64_t s = t->slots[i];
        if (!s) continue;
        uint32_t id = (uint32_t)s - 1;
        size_t j = (size_t)hash_bytes(t->v[id].s, t->v[id].len) & m;
        while (ns[j]) j = (j + 1) & m;
        ns[j] = s;
    }
    free(t->slots);
    t->slots = ns;
    t->mask = m;
}

/* memcmp(a, b, n) == 0 for the short strings of frame names, without a call. */
static int same_bytes(const char *a, const char *b, size_t n)
{
    uint64_t x, y;
    for (; n >= 8; n -= 8, a += 8, b += 8) {
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y) return 0;
    }
    while (n--)
        if (*a++ != *b++) return 0;
    return 1;
}

/* Returns the id of the name s[0..len) whose hash_bytes() is h, adding it if new. */
static uint32_t names_intern_h(fg_names *t, const char *s, size_t len, uint64_t h)
{
    uint64_t hi = h >> 32;
    size_t i;
    if ((t->n + 1) * 4 >= (t->mask + 1) * 3) names_rehash(t, (t->mask + 1) * 2);
    for (i = (size_t)h & t->mask; t->slots[i]; i = (i + 1) & t->mask) {
        uint64_t sl = t->slots[i];
        const fg_name *nm = &t->v[(uint32_t)sl - 1];
        if ((sl >> 32) == hi && nm->len == len && same_bytes(nm->s, s, len))
            return (uint32_t)sl - 1;
    }
    uint32_t id = names_add(t, s, len);
    t->slots[i] = (hi << 32) | ((uint64_t)id + 1);
    return id;
}

static uint32_t names_intern(fg_names *t, const char *s, size_t len)
{
    return names_intern_h(t, s, len, hash_bytes(s, len));
}

static void names_init(fg_names *t)
{
    memset(t, 0, sizeof *t);
    names_rehash(t, 1024);
    names_add(t, "all", 3);
    names_add(t, "", 0); /* NAME_GAP, never looked up by content */
}

static void names_free(fg_names *t)
{
    for (size_t i = 0; i < t->nblocks; i++) free(t->blocks[i]);
    free(t->blocks);
    free(t->v);
    free(t->slots);
}

/* ------------------------------------------------------------------ the prefix tree */

/* A hash index slot: the key is stored so that a lookup touches one cache line. */
typedef struct {
    uint64_t key;
    uint64_t node; /* 0 = empty (node 0, the root, is never indexed) */
} fg_slot;

/* Node 0 is the root. key[i] = parent << 32 | name; val[i] is the self value while reading
   and the inclusive value after tree_finish(); val2 is the "before" value of diffs. In tree
   mode a node's first child is kept in fc[] and its other children in a hash index (so the
   long chains of new frames cost no hash work); in flame chart mode only the parent's last
   child can be merged with. */
typedef struct {
    uint64_t *key;
    double *val, *val2;
    uint32_t *last; /* flame chart: last child */
    uint64_t *fc;   /* tree mode: first child, name << 32 | node (not in the hash index) */
    size_t n, cap;
    fg_slot *slots;  /* the index of the children that are not a first child */
    size_t mask, nidx;
    uint32_t *off, *kids; /* after tree_children(): kids[off[i] .. off[i+1]) */
} fg_tree;

static uint32_t node_parent(const fg_tree *t, uint32_t i) { return (uint32_t)(t->key[i] >> 32); }
static uint32_t node_name(const fg_tree *t, uint32_t i) { return (uint32_t)t->key[i]; }

/* Rebuilds the hash index with nslots slots, walking the nodes in order (sequential reads). */
static void tree_rehash(fg_tree *t, size_t nslots)
{
    fg_slot *ns = (fg_slot *)xcalloc(nslots, sizeof *ns);
    size_t m = nslots - 1;
    for (size_t i = 1; t->slots && i < t->n; i++) {
        size_t j = (size_t)mix64(t->key[i]) & m;
        if ((uint32_t)t->fc[node_parent(t, (uint32_t)i)] == i) continue;
        while (ns[j].node) j = (j + 1) & m;
        ns[j].key = t->key[i];
        ns[j].node = i;
    }
    free(t->slots);
    t->slots = ns;
    t->mask = m;
}

static uint32_t tree_new(fg_tree *t, uint64_t key)
{
    if (t->n >= (size_t)NONE - 1) {
        fprintf(stderr, "flamegraph: more than 4 billion distinct frames\n");
        exit(1);
    }
    if (t->n == t->cap) {
        grow((void **)&t->key, &t->cap, t->n + 1, sizeof *t->key);
        t->val = (double *)xrealloc(t->val, t->cap * sizeof *t->val);
        if (t->val2) t->val2 = (double *)xrealloc(t->val2, t->cap * sizeof *t->val2);
        if (t->last) t->last = (uint32_t *)xrealloc(t->last, t->cap * sizeof *t->last);
        if (t->fc) t->fc = (uint64_t *)xrealloc(t->fc, t->cap * sizeof *t->fc);
    }
    t->key[t->n] = key;
    t->val[t->n] = 0;
    if (t->val2) t->val2[t->n] = 0;
    if (t->last) t->last[t->n] = NONE;
    if (t->fc) t->fc[t->n] = NONE;
    return (uint32_t)t->n++;
}

/* Tree mode: the child of parent named name, created if missing. */
static uint32_t tree_child(fg_tree *t, uint32_t parent, uint32_t name)
{
    uint64_t key = (uint64_t)parent << 32 | name;
    uint64_t fc = t->fc[parent];
    uint32_t c = (uint32_t)fc;
    size_t i;
    if (c == NONE) {
        c = tree_new(t, key); /* may move t->fc */
        t->fc[parent] = (uint64_t)name << 32 | c;
        return c;
    }
    if ((uint32_t)(fc >> 32) == name) return c;
    if ((t->nidx + 1) * 10 >= (t->mask + 1) * 7) tree_rehash(t, (t->mask + 1) * 2);
    for (i = (size_t)mix64(key) & t->mask; t->slots[i].node; i = (i + 1) & t->mask)
        if (t->slots[i].key == key) return (uint32_t)t->slots[i].node;
    uint32_t id = tree_new(t, key);
    t->slots[i].key = key;
    t->slots[i].node = id;
    t->nidx++;
    return id;
}

/* Flame chart mode: merges only with the parent's last child. Self time the parent got
   before this child is first moved into a gap child, so it keeps its place in time. */
static uint32_t chart_child(fg_tree *t, uint32_t parent, uint32_t name)
{
    uint32_t last = t->last[parent];
    if (t->val[parent] != 0 || (t->val2 && t->val2[parent] != 0)) {
        if (last == NONE || node_name(t, last) != NAME_GAP) {
            last = tree_new(t, (uint64_t)parent << 32 | NAME_GAP);
            t->last[parent] = last;
        }
        t->val[last] += t->val[parent];
        t->val[parent] = 0;
        if (t->val2) {
            t->val2[last] += t->val2[parent];
            t->val2[parent] = 0;
        }
    }
    if (last != NONE && node_name(t, last) == name) return last;
    last = tree_new(t, (uint64_t)parent << 32 | name);
    t->last[parent] = last;
    return last;
}

static void tree_init(fg_tree *t, int chart)
{
    memset(t, 0, sizeof *t);
    if (chart) {
        t->last = (uint32_t *)xrealloc(NULL, sizeof *t->last);
    } else {
        t->fc = (uint64_t *)xrealloc(NULL, sizeof *t->fc);
        tree_rehash(t, 1024);
    }
    tree_new(t, (uint64_t)NONE << 32 | NAME_ROOT);
}

/* Starts keeping "before" values; existing nodes get before = after (lines with one count). */
static void tree_enable_diff(fg_tree *t)
{
    if (t->val2) return;
    t->val2 = (double *)xrealloc(NULL, (t->cap ? t->cap : 1) * sizeof *t->val2);
    memcpy(t->val2, t->val, t->n * sizeof *t->val);
}

static void tree_free(fg_tree *t)
{
    free(t->key);
    free(t->val);
    free(t->val2);
    free(t->last);
    free(t->fc);
    free(t->slots);
    free(t->off);
    free(t->kids);
}

/* Turns self values into inclusive ones (parents have lower ids than children) and frees
   the child index. */
static void tree_finish(fg_tree *t)
{
    for (size_t i = t->n; i-- > 1;) {
        uint32_t p = node_parent(t, (uint32_t)i);
        t->val[p] += t->val[i];
        if (t->val2) t->val2[p] += t->val2[i];
    }
    free(t->slots);
    t->slots = NULL;
    free(t->last);
    t->last = NULL;
    free(t->fc);
    t->fc = NULL;
}

/* Builds the child lists (insertion order) kids[off[i] .. off[i+1]) of the nodes at least
   minv wide: layout() visits no other node, and most nodes of a big profile are narrower. */
static void tree_children(fg_tree *t, double minv)
{
    size_t n = t->n, m = 0;
    t->off = (uint32_t *)xcalloc(n + 2, sizeof *t->off);
    for (size_t i = 1; i < n; i++) {
        uint32_t p = node_parent(t, (uint32_t)i);
        if (t->val[p] >= minv) {
            t->off[p + 2]++;
            m++;
        }
    }
    for (size_t i = 2; i < n + 2; i++) t->off[i] += t->off[i - 1];
    t->kids = (uint32_t *)xcalloc(m, sizeof *t->kids);
    for (size_t i = 1; i < n; i++) {
        uint32_t p = node_parent(t, (uint32_t)i);
        if (t->val[p] >= minv) t->kids[t->off[p + 1]++] = (uint32_t)i;
    }
}

/* ------------------------------------------------------------------ reading */

typedef struct {
    const fg_options *o;
    fg_names names;
    fg_tree tree;
    size_t *starts, *ends;      /* frames of the current line */
    uint64_t *hashes;           /* their hash_bytes() */
    uint32_t *path;             /* path[k] = node of the first k frames; path[0] = root */
    size_t pnf;                 /* frames of the previous line (its nodes are in path) */
    int have_prev;
    char *hexbuf;
    size_t hexcap;
    unsigned long lines, malformed;
    int warned_depth, warned_name;
    char unit[32];              /* from a "# thag_profiler ... unit=" line */
    const char *first_file;     /* --diff: the "before" file */
    int dmode;                  /* DM_*: how a line with two counts ("stack a b") is read */
    FILE *spool;                /* DM_SPOOL: the two-count lines read so far (fg_spooled) */
    char *rbuf;                 /* a line read back from the spool */
    size_t rcap;
    const char *one_file, *two_file; /* the first line with one count, with two counts */
    unsigned long one_line, two_line;
    int warned_mix;
} fg_ctx;

/* Two-count lines are differential only if every line of every input has two counts and no
   input is a thag_profiler file (whose frame names may end in " <number>"): until a line
   with one count is seen they are spooled (DM_SPOOL), then read back with one count
   (DM_SINGLE) or, at the end of the input, as differential lines (DM_DIFF). */
enum { DM_UNDECIDED, DM_SPOOL, DM_SINGLE, DM_DIFF };

typedef struct {
    const char *file;
    unsigned long lineno;
    size_t len, stack_len; /* the text with one count, and the stack of a differential line */
    double value, value2;
} fg_spooled;

static void ctx_init(fg_ctx *c, const fg_options *o)
{
    memset(c, 0, sizeof *c);
    c->o = o;
    names_init(&c->names);
    tree_init(&c->tree, o->flamechart);
    c->starts = (size_t *)xcalloc(MAX_DEPTH, sizeof *c->starts);
    c->ends = (size_t *)xcalloc(MAX_DEPTH, sizeof *c->ends);
    c->hashes = (uint64_t *)xcalloc(MAX_DEPTH, sizeof *c->hashes);
    c->path = (uint32_t *)xcalloc(MAX_DEPTH + 1, sizeof *c->path);
    if (o->diff) tree_enable_diff(&c->tree);
}

static void ctx_free(fg_ctx *c)
{
    names_free(&c->names);
    tree_free(&c->tree);
    free(c->starts);
    free(c->ends);
    free(c->hashes);
    free(c->path);
    free(c->hexbuf);
    free(c->rbuf);
    if (c->spool) fclose(c->spool);
}

/* The end of the frame starting at s[pos] (the next ';' or len) and, in *hash, its
   hash_bytes(). Scans 8 bytes at a time on little-endian machines, hashing as it goes. */
static size_t frame_end(const char *s, size_t pos, size_t len, uint64_t *hash)
{
    uint64_t h = HASH_SEED, w = 0;
    size_t e = pos;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; e + 8 <= len; e += 8) {
        uint64_t v, z;
        memcpy(&w, s + e, 8);
        v = w ^ 0x3b3b3b3b3b3b3b3bULL; /* a zero byte where w has ';' */
        z = (v - 0x0101010101010101ULL) & ~v & 0x8080808080808080ULL;
        if (z) {
            unsigned k = 0;
            while (!(z & 0x80)) z >>= 8, k++; /* the lowest ';' */
            w = k ? w & (~0ULL >> (64 - 8 * k)) : 0;
            e += k;
            *hash = HASH_END(h, w, e - pos);
            return e;
        }
        h = HASH_STEP(h, w);
    }
#endif
    while (e < len && s[e] != ';') e++;
    *hash = hash_bytes(s + pos, e - pos);
    (void)h;
    (void)w;
    return e;
}

/* Splits s[0..len) at ';' into c->starts/ends/hashes; returns the number of frames (at most
   MAX_DEPTH; a deeper stack is truncated with a warning). */
static size_t split_frames(fg_ctx *c, const char *s, size_t len, const char *file,
                           unsigned long lineno)
{
    size_t nf = 0, pos = 0;
    for (;;) {
        size_t e;
        if (nf == MAX_DEPTH) {
            if (!c->warned_depth++ && !c->o->quiet)
                fprintf(stderr, "%s:%lu: stack deeper than %d frames truncated\n", file, lineno,
                        MAX_DEPTH);
            break;
        }
        e = frame_end(s, pos, len, &c->hashes[nf]);
        c->starts[nf] = pos;
        c->ends[nf++] = e;
        if (e == len) break;
        pos = e + 1;
    }
    return nf;
}

/* Number of leading frames (of nf, split into c->starts/ends) this line shares with the
   previous one: frames whose bytes equal the name of the previous line's node at the same
   depth (still in c->path). No copy of the previous line is needed. */
static size_t shared_frames(const fg_ctx *c, const char *s, size_t nf)
{
    size_t k = 0;
    if (!c->have_prev) return 0;
    for (; k < nf && k < c->pnf; k++) {
        const fg_name *nm = &c->names.v[node_name(&c->tree, c->path[k + 1])];
        size_t flen = c->ends[k] - c->starts[k];
        if (nm->len != flen || !same_bytes(nm->s, s + c->starts[k], flen)) break;
    }
    return k;
}

/* Merges one stack into the tree: after/before are its values. */
static void add_stack(fg_ctx *c, const char *s, size_t len, double after, double before,
                      const char *file, unsigned long lineno)
{
    size_t nf = split_frames(c, s, len, file, lineno), k = 0;
    fg_tree *t = &c->tree;
    if (c->o->reverse) {
        for (size_t i = 0, j = nf - 1; i < j; i++, j--) {
            size_t a = c->starts[i], b = c->ends[i];
            uint64_t h = c->hashes[i];
            c->starts[i] = c->starts[j];
            c->ends[i] = c->ends[j];
            c->hashes[i] = c->hashes[j];
            c->starts[j] = a;
            c->ends[j] = b;
            c->hashes[j] = h;
        }
    }
    k = shared_frames(c, s, nf);
    uint32_t node = c->path[k];
    for (; k < nf; k++) {
        size_t flen = c->ends[k] - c->starts[k];
        if (flen > MAX_NAME) {
            if (!c->warned_name++ && !c->o->quiet)
                fprintf(stderr, "%s:%lu: frame name longer than %zu bytes truncated\n", file,
                        lineno, MAX_NAME);
            flen = MAX_NAME;
        }
        if (t->fc && (uint32_t)t->fc[node] != NONE) { /* fast path: the first child */
            const fg_name *fn = &c->names.v[t->fc[node] >> 32];
            if (fn->len == flen && same_bytes(fn->s, s + c->starts[k], flen)) {
                node = (uint32_t)t->fc[node];
                c->path[k + 1] = node;
                continue;
            }
        }
        uint32_t nm = flen == c->ends[k] - c->starts[k]
                          ? names_intern_h(&c->names, s + c->starts[k], flen, c->hashes[k])
                          : names_intern(&c->names, s + c->starts[k], flen);
        node = t->last ? chart_child(t, node, nm) : tree_child(t, node, nm);
        c->path[k + 1] = node;
    }
    t->val[node] += after;
    if (t->val2) t->val2[node] += before;
    c->pnf = nf;
    c->have_prev = 1;
}

/* --strip-hex: returns s with every 0x<hexdigits> replaced by "0x..." (difffolded.pl -s). */
static const char *strip_hex(fg_ctx *c, const char *s, size_t *len)
{
    size_t n = *len, j = 0;
    grow((void **)&c->hexbuf, &c->hexcap, n + 8, 1);
    for (size_t i = 0; i < n;) {
        if (s[i] == '0' && i + 2 < n + 0 && s[i + 1] == 'x' && isxdigit((unsigned char)s[i + 2])) {
            grow((void **)&c->hexbuf, &c->hexcap, j + 6 + (n - i), 1);
            memcpy(c->hexbuf + j, "0x...", 5);
            j += 5;
            for (i += 2; i < n && isxdigit((unsigned char)s[i]); i++) {}
        } else {
            c->hexbuf[j++] = s[i++];
        }
    }
    *len = j;
    return c->hexbuf;
}

/* Adds one line with its values (before == after for a line with one count). which: as
   read_input(). */
static void take_line(fg_ctx *c, const char *s, size_t len, double after, double before,
                      int which, const char *file, unsigned long lineno)
{
    double fac = c->o->factor;
    if (which == 1) before = after, after = 0;
    else if (which == 2) before = 0;
    if (c->o->strip_hex) s = strip_hex(c, s, &len);
    add_stack(c, s, len, after * fac, before * fac, file, lineno);
    c->lines++;
}

/* Remembers the first line with one and with two counts; warns once when both exist. */
static void note_counts(fg_ctx *c, int two, const char *file, unsigned long lineno)
{
    if (two && !c->two_file) c->two_file = file, c->two_line = lineno;
    if (!two && !c->one_file) c->one_file = file, c->one_line = lineno;
    if (c->one_file && c->two_file && !c->warned_mix++ && !c->o->quiet)
        fprintf(stderr,
                "flamegraph: %s:%lu has two counts but %s:%lu has one: not a differential "
                "input; every line is read with one count (a number before it is part of the "
                "last frame's name)\n",
                c->two_file, c->two_line, c->one_file, c->one_line);
}

/* Keeps a two-count line until the input is known to be differential or not. */
static void spool_line(fg_ctx *c, folded_line *l, const char *file)
{
    fg_spooled h;
    if (!c->spool && !(c->spool = tmpfile())) {
        fprintf(stderr, "flamegraph: cannot create a temporary file: %s\n", strerror(errno));
        exit(1);
    }
    h.file = file;
    h.lineno = l->lineno;
    h.stack_len = l->stack_len;
    h.value = l->value;
    h.value2 = l->value2;
    folded_one_count(l);
    h.len = l->stack_len;
    if (fwrite(&h, sizeof h, 1, c->spool) != 1 || fwrite(l->stack, 1, h.len, c->spool) != h.len) {
        fprintf(stderr, "flamegraph: cannot write a temporary file: %s\n", strerror(errno));
        exit(1);
    }
}

/* Adds the spooled lines, as differential lines (diff) or with one count, and ends spooling. */
static void spool_replay(fg_ctx *c, int diff)
{
    fg_spooled h;
    if (!c->spool) return;
    rewind(c->spool);
    c->have_prev = 0;
    while (fread(&h, sizeof h, 1, c->spool) == 1) {
        grow((void **)&c->rbuf, &c->rcap, h.len + 1, 1);
        if (fread(c->rbuf, 1, h.len, c->spool) != h.len) break;
        if (diff) take_line(c, c->rbuf, h.stack_len, h.value, h.value2, 0, h.file, h.lineno);
        else take_line(c, c->rbuf, h.len, h.value, h.value, 0, h.file, h.lineno);
    }
    if (ferror(c->spool)) {
        fprintf(stderr, "flamegraph: cannot read a temporary file\n");
        exit(1);
    }
    fclose(c->spool);
    c->spool = NULL;
}

/* Handles one line of a plain input (not --diff) per the DM_* rules. */
static void plain_line(fg_ctx *c, folded_line *l, const char *file)
{
    note_counts(c, l->has_two, file, l->lineno);
    if (c->dmode == DM_UNDECIDED) c->dmode = l->has_two ? DM_SPOOL : DM_SINGLE;
    if (l->has_two && c->dmode == DM_SPOOL) {
        spool_line(c, l, file);
        return;
    }
    if (c->dmode == DM_SPOOL) {
        spool_replay(c, 0);
        c->dmode = DM_SINGLE;
    }
    folded_one_count(l);
    take_line(c, l->stack, l->stack_len, l->value, l->value, 0, file, l->lineno);
}

/* Ends the input: spooled lines (every line had two counts) become a differential graph. */
static void end_inputs(fg_ctx *c)
{
    if (c->dmode != DM_SPOOL) return;
    tree_enable_diff(&c->tree);
    spool_replay(c, 1);
    c->dmode = DM_DIFF;
}

/* Refuses --diff of two thag_profiler files with different units. Returns 0 if comparable. */
static int check_units(fg_ctx *c, folded_reader *r, const char *file, int which)
{
    char unit[32];
    folded_meta_value(r, "unit", unit, sizeof unit);
    if (which == 2 && c->unit[0] && unit[0] && strcmp(c->unit, unit) != 0) {
        fprintf(stderr, "flamegraph: cannot compare %s (unit %s) with %s (unit %s)\n",
                c->first_file ? c->first_file : "the first file", c->unit, file, unit);
        return -1;
    }
    if (!c->unit[0]) memcpy(c->unit, unit, sizeof unit);
    if (which == 1) c->first_file = file;
    return 0;
}

/* Most lines malformed (more than parse): not a folded file (a binary file, most likely). */
static int check_binary(folded_reader *r, const char *file, unsigned long nlines)
{
    unsigned long bad = folded_malformed(r);
    if (bad == 0 || bad <= nlines) return 0;
    fprintf(stderr,
            "flamegraph: %s is not a folded stack file (%lu of its %lu lines are malformed: "
            "a binary file?)\n",
            file, bad, bad + nlines);
    return -1;
}

/* Whether a file without metadata is named as a run's -inclusive or -wall file (its manifest
   is missing): its kind, or "" for any other name. */
static const char *kind_by_name(const char *file)
{
    const char *slash = strrchr(file, '/'), *base = slash ? slash + 1 : file;
    size_t end = folded_stamp_end(base);
    if (!end) return "";
    if (!strcmp(base + end, "-inclusive.folded")) return "time_inclusive";
    return strcmp(base + end, "-wall.folded") ? "" : "wall";
}

/* Refuses a file whose values do not add up along stacks (its metadata says additive=no, or
   it is an old file of kind time_inclusive or wall, or it has no metadata and such a name):
   drawn, every frame would count its children's time again (a frame is the sum of the stacks
   under it). Names the file to draw: the manifest's instead=, in the same directory; else
   the name without -inclusive/-wall. */
static int check_kind(folded_reader *r, const char *file)
{
    char kind[64], instead[1024] = "";
    const char *slash = strrchr(file, '/'), *suffix;
    size_t dlen = slash ? (size_t)(slash - file) + 1 : 0, n = strlen(file);
    int add = folded_additive(r);
    if (add < 0) snprintf(kind, sizeof kind, "%s", kind_by_name(file));
    else folded_meta_value(r, "kind", kind, sizeof kind);
    if (add > 0 || (add < 0 && !kind[0])) return 0;
    suffix = !strcmp(kind, "wall") ? "-wall.folded" : "-inclusive.folded";
    if (folded_meta_value(r, "instead", instead + dlen, sizeof instead - dlen) && dlen < sizeof instead / 2)
        memcpy(instead, file, dlen);
    else if (n > strlen(suffix) && !strcmp(file + n - strlen(suffix), suffix) && n < sizeof instead)
        snprintf(instead, sizeof instead, "%.*s.folded", (int)(n - strlen(suffix)), file);
    else
        snprintf(instead, sizeof instead, "the run's exclusive time file <p>-<ts>.folded");
    fprintf(stderr, "flamegraph: %s holds %s, which does not add up along stacks (a frame would count "
            "its children again): draw %s instead\n", file,
            !strcmp(kind, "wall") ? "wall time (kind wall: a task's time again under its parent)"
                                  : "inclusive time (kind time_inclusive)", instead);
    return -1;
}

/* Reads one input. which: 0 plain or differential lines, 1 --diff "before" file,
   2 --diff "after" file (these, like thag_profiler files, always have one count per line).
   Returns 0; -1 on a read error or a file that is not folded stacks; -2 if --diff files
   have different units (reported). */
static int read_input(fg_ctx *c, FILE *f, const char *file, int which)
{
    folded_reader *r = folded_open(f, file);
    folded_line l;
    int rc, thag = 0;
    unsigned long nlines = 0;
    if (!r) {
        fprintf(stderr, "flamegraph: out of memory\n");
        return -1;
    }
    if (c->o->quiet) folded_set_report(r, -1);
    while ((rc = folded_next(r, &l)) == 1) {
        if (nlines++ == 0 && check_kind(r, file) < 0) { rc = -3; break; }
        if (nlines == 1) thag = folded_meta(r) != NULL;
        if (which || thag) folded_one_count(&l);
        if (which) take_line(c, l.stack, l.stack_len, l.value, l.value, which, file, l.lineno);
        else plain_line(c, &l, file);
    }
    c->malformed += folded_malformed(r);
    if (rc == 0 && nlines == 0 && check_kind(r, file) < 0) rc = -3;
    if (rc == -3) rc = -1; /* reported */
    else if (rc < 0) fprintf(stderr, "flamegraph: %s\n", folded_error(r));
    else if (check_units(c, r, file, which) < 0) rc = -2;
    else if (check_binary(r, file, nlines) < 0) rc = -1;
    folded_close(r);
    return rc;
}

/* ------------------------------------------------------------------ layout */

typedef struct {
    uint32_t node, depth;
    double x; /* left edge in value units */
} fg_frame;

typedef struct {
    fg_frame *v;
    size_t n, cap;
    uint32_t maxdepth;
} fg_layout;

static const fg_ctx *sort_ctx; /* for cmp_kids (qsort has no context argument) */

static int cmp_kids(const void *a, const void *b)
{
    const fg_names *nm = &sort_ctx->names;
    const fg_name *x = &nm->v[node_name(&sort_ctx->tree, *(const uint32_t *)a)];
    const fg_name *y = &nm->v[node_name(&sort_ctx->tree, *(const uint32_t *)b)];
    size_t m = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->s, y->s, m);
    if (r) return r;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* Lays out the frames at least minv wide, in pre-order (so x never decreases), children
   sorted by name unless sorted is 0 (then in input order). Uses an explicit stack. */
static void layout(const fg_ctx *c, double minv, int sorted, fg_layout *L)
{
    const fg_tree *t = &c->tree;
    fg_frame *stack = NULL, *tmp = NULL;
    uint32_t *kids = NULL;
    size_t sn = 0, scap = 0, tcap = 0, kcap = 0;
    grow((void **)&stack, &scap, 1, sizeof *stack);
    stack[sn++] = (fg_frame){0, 0, 0.0};
    sort_ctx = c;
    while (sn) {
        fg_frame f = stack[--sn];
        uint32_t a = t->off[f.node], b = t->off[f.node + 1];
        grow((void **)&L->v, &L->cap, L->n + 1, sizeof *L->v);
        L->v[L->n++] = f;
        if (f.depth > L->maxdepth) L->maxdepth = f.depth;
        grow((void **)&kids, &kcap, b - a, sizeof *kids);
        grow((void **)&tmp, &tcap, b - a, sizeof *tmp);
        if (b > a) memcpy(kids, t->kids + a, (b - a) * sizeof *kids); /* kids is NULL in a bare root */
        if (sorted && b - a > 1) qsort(kids, b - a, sizeof *kids, cmp_kids);
        double x = f.x;
        size_t nt = 0;
        for (uint32_t i = 0; i < b - a; i++) {
            uint32_t k = kids[i];
            if (t->val[k] >= minv && t->val[k] > 0 && node_name(t, k) != NAME_GAP &&
                f.depth + 1 <= MAX_DEPTH)
                tmp[nt++] = (fg_frame){k, f.depth + 1, x};
            x += t->val[k];
        }
        grow((void **)&stack, &scap, sn + nt, sizeof *stack);
        while (nt) stack[sn++] = tmp[--nt];
    }
    free(stack);
    free(tmp);
    free(kids);
}

/* ------------------------------------------------------------------ text */

/* Returns a valid UTF-8 copy of s[0..n): invalid sequences, control characters, C1 controls
   and U+FFFE/U+FFFF become U+FFFD. *olen gets its length, *ncp its code point count. */
static char *utf8_clean(const char *s, size_t n, size_t *olen, size_t *ncp)
{
    char *o = (char *)xrealloc(NULL, n * 3 + 1);
    size_t j = 0, cps = 0;
    for (size_t i = 0; i < n; cps++) {
        uint32_t cp = 0;
        size_t len = folded_utf8((const unsigned char *)s + i, n - i, &cp);
        int ok = len > 0 && cp != 0xFFFE && cp != 0xFFFF && cp >= 0x20 && !(cp >= 0x7F && cp <= 0x9F);
        if (!ok) {
            memcpy(o + j, "\xEF\xBF\xBD", 3);
            j += 3;
            i++;
        } else {
            memcpy(o + j, s + i, len);
            j += len;
            i += len;
        }
    }
    o[j] = 0;
    *olen = j;
    if (ncp) *ncp = cps;
    return o;
}

/* Byte offset of code point number cp in the valid UTF-8 string s[0..n). */
static size_t utf8_offset(const char *s, size_t n, size_t cp)
{
    size_t i = 0;
    while (i < n && cp) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
        cp--;
    }
    return i;
}

/* ------------------------------------------------------------------ buffered output */

typedef struct {
    FILE *f;
    char *b;
    size_t n, cap;
    int err;
} fg_out;

static void out_flush(fg_out *w)
{
    if (w->n && fwrite(w->b, 1, w->n, w->f) != w->n) w->err = 1;
    w->n = 0;
}

static void out_mem(fg_out *w, const char *s, size_t n)
{
    if (w->n + n > w->cap) {
        out_flush(w);
        if (n > w->cap) {
            if (fwrite(s, 1, n, w->f) != n) w->err = 1;
            return;
        }
    }
    memcpy(w->b + w->n, s, n);
    w->n += n;
}

static void out_str(fg_out *w, const char *s) { out_mem(w, s, strlen(s)); }

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static void out_fmt(fg_out *w, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) out_mem(w, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A number for the embedded data, exact: the shortest of %.15g and %.17g that reads back. */
static void out_num(fg_out *w, double v)
{
    char tmp[40];
    if (v == floor(v) && fabs(v) < 9e15) {
        out_fmt(w, "%.0f", v);
        return;
    }
    snprintf(tmp, sizeof tmp, "%.15g", v);
    if (strtod(tmp, NULL) != v) snprintf(tmp, sizeof tmp, "%.17g", v);
    out_str(w, tmp);
}

/* XML-escapes the valid UTF-8 text s[0..n). */
static void out_xml(fg_out *w, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep;
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: continue;
        }
        out_mem(w, s + start, i - start);
        out_str(w, rep);
        start = i + 1;
    }
    out_mem(w, s + start, n - start);
}

/* Sanitises and XML-escapes any byte string (option values). */
static void out_xml_any(fg_out *w, const char *s)
{
    size_t n;
    char *t = utf8_clean(s, strlen(s), &n, NULL);
    out_xml(w, t, n);
    free(t);
}

/* Writes a JavaScript string literal "..." of the valid UTF-8 text s[0..n); safe inside
   CDATA and <script> (no '<', '>', '&' appear literally). */
static void out_js(fg_out *w, const char *s, size_t n)
{
    size_t start = 0;
    out_mem(w, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        const char *rep = NULL;
        char u[8];
        if (ch == '"') rep = "\\\"";
        else if (ch == '\\') rep = "\\\\";
        else if (ch == '<' || ch == '>' || ch == '&') {
            snprintf(u, sizeof u, "\\u%04x", ch);
            rep = u;
        } else if (ch == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
                   ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9)) {
            out_mem(w, s + start, i - start);
            out_str(w, (unsigned char)s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
            i += 2;
            start = i + 1;
            continue;
        }
        if (!rep) continue;
        out_mem(w, s + start, i - start);
        out_str(w, rep);
        start = i + 1;
    }
    out_mem(w, s + start, n - start);
    out_mem(w, "\"", 1);
}

static void out_js_any(fg_out *w, const char *s)
{
    size_t n;
    char *t = utf8_clean(s, strlen(s), &n, NULL);
    out_js(w, t, n);
    free(t);
}

/* ------------------------------------------------------------------ colours */

static uint32_t rgb(double r, double g, double b)
{
    return (uint32_t)r << 16 | (uint32_t)g << 8 | (uint32_t)b;
}

/* Library frames for the c/cpp palettes: shared objects, reserved or runtime names. */
static int is_library(const char *s, size_t n, int cpp)
{
    static const char *const pre[] = {"_", "lib", "std::", "boost::", "operator new",
                                      "operator delete", "pthread_", "thag_", "[", NULL};
    static const char *const libc[] = {"malloc", "free", "calloc", "realloc", "memcpy", "memmove",
                                       "memset", "memcmp", "strlen", "strcmp", "strcpy", "printf",
                                       "fprintf", "snprintf", "qsort", "read", "write", NULL};
    for (int i = 0; pre[i]; i++)
        if (n >= strlen(pre[i]) && memcmp(s, pre[i], strlen(pre[i])) == 0) return 1;
    for (size_t i = 0; i + 3 <= n; i++)
        if (memcmp(s + i, ".so", 3) == 0 || (i + 4 <= n && memcmp(s + i, "@plt", 4) == 0)) return 1;
    (void)cpp;
    for (int i = 0; libc[i]; i++)
        if (strlen(libc[i]) == n && memcmp(s, libc[i], n) == 0) return 1;
    return 0;
}

static int is_kernel(const char *s, size_t n)
{
    return (n >= 4 && memcmp(s + n - 4, "_[k]", 4) == 0) ||
           (n >= 7 && memcmp(s, "[kernel", 7) == 0);
}

/* The colour of a frame name in palette pal; v[0..2] are in [0,1) (hash or random). */
static uint32_t palette_color(const char *pal, const char *s, size_t n, const double *v)
{
    double v1 = v[0], v2 = v[1], v3 = v[2];
    if (!strcmp(pal, "c") || !strcmp(pal, "cpp")) {
        if (is_kernel(s, n)) pal = "orange";
        else if (is_library(s, n, pal[1] == 'p')) pal = "aqua";
        else pal = "hot";
    }
    if (!strcmp(pal, "mem")) return rgb(0, 190 + 50 * v2, 210 * v1);
    if (!strcmp(pal, "io")) return rgb(80 + 60 * v1, 80 + 60 * v1, 190 + 55 * v2);
    if (!strcmp(pal, "red")) return rgb(200 + 55 * v1, 50 + 80 * v1, 50 + 80 * v1);
    if (!strcmp(pal, "green")) return rgb(50 + 60 * v1, 200 + 55 * v1, 50 + 60 * v1);
    if (!strcmp(pal, "blue")) return rgb(80 + 60 * v1, 80 + 60 * v1, 205 + 50 * v1);
    if (!strcmp(pal, "yellow")) return rgb(175 + 55 * v1, 175 + 55 * v1, 50 + 20 * v1);
    if (!strcmp(pal, "purple")) return rgb(190 + 65 * v1, 80 + 60 * v1, 190 + 65 * v1);
    if (!strcmp(pal, "aqua") || !strcmp(pal, "wakeup"))
        return rgb(50 + 60 * v1, 165 + 55 * v1, 165 + 55 * v1);
    if (!strcmp(pal, "orange")) return rgb(190 + 65 * v1, 90 + 65 * v1, 0);
    return rgb(205 + 50 * v3, 230 * v1, 55 * v2); /* hot */
}

static const char *const PALETTES[] = {"hot", "mem", "io", "wakeup", "red", "green", "blue",
                                       "aqua", "yellow", "purple", "orange", "c", "cpp", NULL};

/* Background gradient (top, bottom) for a --bgcolors value, or 0 if unknown. */
static int bg_colors(const char *bg, char top[8], char bottom[8])
{
    static const char *const tab[][3] = {{"yellow", "#eeeeee", "#eeeeb0"},
                                         {"blue", "#eeeeee", "#e0e0ff"},
                                         {"green", "#eef2ee", "#e0ffe0"},
                                         {"grey", "#f8f8f8", "#e8e8e8"},
                                         {"gray", "#f8f8f8", "#e8e8e8"}};
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (!strcmp(bg, tab[i][0])) {
            memcpy(top, tab[i][1], 8);
            memcpy(bottom, tab[i][2], 8);
            return 1;
        }
    if (bg[0] == '#' && strlen(bg) == 7 && strspn(bg + 1, "0123456789abcdefABCDEF") == 6) {
        memcpy(top, bg, 8);
        memcpy(bottom, bg, 8);
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ palette map (--cp) */

/* Loads "name->rgb(r,g,b)" lines into pal[] (indexed by name id, NONE = unset). A missing
   file is not an error. Returns the (possibly grown) array. */
static uint32_t *palette_load(fg_ctx *c, const char *file, uint32_t *pal, size_t *npal)
{
    FILE *f = fopen(file, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    if (!f) return pal;
    while ((len = getline(&line, &cap, f)) > 0) {
        char *arrow = NULL;
        unsigned r, g, b;
        for (char *p = line; (p = strstr(p, "->")) != NULL; p += 2) arrow = p;
        if (!arrow || sscanf(arrow + 2, "rgb(%u,%u,%u)", &r, &g, &b) != 3 || r > 255 ||
            g > 255 || b > 255)
            continue;
        uint32_t id = names_intern(&c->names, line, (size_t)(arrow - line));
        if (id >= *npal) {
            size_t old = *npal;
            grow((void **)&pal, npal, (size_t)id + 1, sizeof *pal);
            for (size_t i = old; i < *npal; i++) pal[i] = NONE;
        }
        pal[id] = r << 16 | g << 8 | b;
    }
    free(line);
    fclose(f);
    return pal;
}

static const fg_names *pal_names;
static int cmp_name_ids(const void *a, const void *b)
{
    const fg_name *x = &pal_names->v[*(const uint32_t *)a], *y = &pal_names->v[*(const uint32_t *)b];
    size_t m = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->s, y->s, m);
    return r ? r : (x->len > y->len) - (x->len < y->len);
}

/* Writes every name with a colour to file, sorted by name. Returns 0 or -1 (reported). */
static int palette_save(const fg_ctx *c, const char *file, const uint32_t *pal, size_t npal)
{
    uint32_t *ids = (uint32_t *)xcalloc(npal, sizeof *ids);
    size_t n = 0;
    FILE *f;
    for (size_t i = 2; i < npal; i++)
        if (pal[i] != NONE) ids[n++] = (uint32_t)i;
    pal_names = &c->names;
    qsort(ids, n, sizeof *ids, cmp_name_ids);
    f = fopen(file, "w");
    if (!f) {
        fprintf(stderr, "flamegraph: cannot write %s: %s\n", file, strerror(errno));
        free(ids);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const fg_name *nm = &c->names.v[ids[i]];
        uint32_t col = pal[ids[i]];
        fwrite(nm->s, 1, nm->len, f);
        fprintf(f, "->rgb(%u,%u,%u)\n", col >> 16, (col >> 8) & 255, col & 255);
    }
    free(ids);
    if (fclose(f) != 0) {
        fprintf(stderr, "flamegraph: cannot write %s\n", file);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ the SVG */

/* The embedded script. Data: N = frame names, D = per frame [name, depth, x, width
   (, before)] in value units, in document order; C = configuration. Events are delegated
   to the frames group; titles are created lazily on hover. */
static const char FG_JS[] =
    "(function(){\"use strict\";\n"
    "var d=document,fr=d.getElementById(\"frames\"),G=fr.children,n=G.length,S=C.S,\n"
    "det=d.getElementById(\"details\"),unz=d.getElementById(\"unzoom\"),sb=d.getElementById(\"search\"),\n"
    "icb=d.getElementById(\"ignorecase\"),mt=d.getElementById(\"matched\"),NS=\"http://www.w3.org/2000/svg\",\n"
    "eps=C.t*1e-9,zoomed=-1,term=null,ic=false,fills=null,j;\n"
    "for(j=0;j<n;j++)G[j]._i=j;\n"
    "function grp(v){var s=Math.round(v)===v?String(v):v.toFixed(2),p=s.split(\".\");"
    "p[0]=p[0].replace(/\\B(?=(\\d{3})+(?!\\d))/g,\",\");return p.join(\".\");}\n"
    "function sig(v){return v===0?\"0\":v>=100?v.toFixed(0):v>=10?v.toFixed(1):v.toFixed(2);}\n"
    "function hum(v){var u=C.u,a=Math.abs(v),k,m;\n"
    " if(u===\"bytes\"){m=[\"B\",\"KiB\",\"MiB\",\"GiB\",\"TiB\",\"PiB\"];for(k=0;a>=1024&&k<5;k++)a/=1024;"
    "return (k?sig(a):grp(a))+\" \"+m[k];}\n"
    " if(u){a*={ns:1,us:1e3,ms:1e6,s:1e9}[u];m=[[1e9,\"s\"],[1e6,\"ms\"],[1e3,\"\\u00b5s\"],[1,\"ns\"]];"
    "for(k=0;k<3&&a<m[k][0];k++);return sig(a/m[k][0])+\" \"+m[k][1];}\n"
    " return grp(a)+\" \"+C.cn;}\n"
    "function pc(v){return (100*v/C.t).toFixed(2);}\n"
    "function info(i){var o=i*S,v=D[o+3],s=C.nt+\" \"+N[D[o]]+\" (\"+hum(v)+\", \"+pc(v)+\"%\";\n"
    " if(C.d){var b=D[o+4],dl=v-b;s+=\"; before \"+hum(b)+\", after \"+hum(v)+\", change \"+(dl<0?\"-\":\"+\")+hum(dl)"
    "+(b>0?\" (\"+(dl<0?\"\":\"+\")+(100*dl/b).toFixed(2)+\"%)\":\"\");}\n"
    " return s+\")\";}\n"
    "function fit(nm,w){var c=Math.floor(w/(C.fs*C.fw));if(c<3)return \"\";if(nm.length<=c)return nm;"
    "return C.tr?nm.slice(0,c-2)+\"..\":\"..\"+nm.slice(nm.length-c+2);}\n"
    "function place(i,x,w){var g=G[i],r=g.firstElementChild,t=r.nextElementSibling,s=fit(N[D[i*S]],w);\n"
    " r.setAttribute(\"x\",x.toFixed(1));r.setAttribute(\"width\",w.toFixed(1));\n"
    " if(t&&t.tagName!==\"text\")t=null;\n"
    " if(!t){if(!s)return;t=d.createElementNS(NS,\"text\");t.setAttribute(\"y\",(+r.getAttribute(\"y\")+C.ty).toFixed(1));"
    "g.insertBefore(t,r.nextSibling);}\n"
    " t.setAttribute(\"x\",(x+3).toFixed(1));t.textContent=s;}\n"
    "function zoom(i){var o=i*S,x0=D[o+2],w0=D[o+3],d0=D[o+1],W=C.w-2*C.xp,sc=W/w0,p,x,w,cl;\n"
    " for(j=0;j<n;j++){p=j*S;x=D[p+2];w=D[p+3];cl=G[j].classList;\n"
    "  if(D[p+1]<d0?(x<=x0+eps&&x+w>=x0+w0-eps):(x>=x0-eps&&x+w<=x0+w0+eps)){cl.remove(\"hide\");\n"
    "   if(D[p+1]<d0){cl.add(\"parent\");place(j,C.xp,W);}else{cl.remove(\"parent\");place(j,C.xp+(x-x0)*sc,w*sc);}}\n"
    "  else cl.add(\"hide\");}\n"
    " zoomed=i;unz.classList.remove(\"hide\");save();}\n"
    "function unzoom(){var sc=(C.w-2*C.xp)/C.t,p;for(j=0;j<n;j++){p=j*S;G[j].classList.remove(\"hide\",\"parent\");"
    "place(j,C.xp+D[p+2]*sc,D[p+3]*sc);}\n"
    " zoomed=-1;unz.classList.add(\"hide\");save();}\n"
    "function search(t){var re,p,r,cov=-Infinity,sum=0;\n"
    " if(fills===null){fills=[];for(j=0;j<n;j++)fills.push(G[j].firstElementChild.getAttribute(\"fill\"));}\n"
    " if(t===null||t===\"\"){term=null;for(j=0;j<n;j++)G[j].firstElementChild.setAttribute(\"fill\",fills[j]);\n"
    "  sb.textContent=\"Search\";sb.classList.remove(\"show\");mt.textContent=\" \";save();return;}\n"
    " try{re=new RegExp(t,ic?\"i\":\"\");}catch(e){mt.textContent=\"Invalid regular expression\";return;}\n"
    " term=t;\n"
    " for(j=0;j<n;j++){p=j*S;r=G[j].firstElementChild;\n"
    "  if(re.test(N[D[p]])){r.setAttribute(\"fill\",C.sc);if(D[p+2]>=cov-eps){sum+=D[p+3];cov=D[p+2]+D[p+3];}}\n"
    "  else r.setAttribute(\"fill\",fills[j]);}\n"
    " sb.textContent=\"Reset Search\";sb.classList.add(\"show\");\n"
    " mt.textContent=\"Matched: \"+(100*sum/C.t).toFixed(1)+\"%\";save();}\n"
    "function ask(){var t=prompt(\"Enter a search term (regular expression allowed, e.g. ^std::)\","
    "term===null?\"\":term);if(t!==null)search(t);}\n"
    "function save(){var p=[];if(zoomed>=0)p.push(\"f=\"+zoomed);if(term!==null)p.push(\"s=\"+encodeURIComponent(term));\n"
    " if(ic)p.push(\"i=1\");\n"
    " try{history.replaceState(null,\"\",location.href.split(/[?#]/)[0]+(p.length?\"?\"+p.join(\"&\"):\"\"));}catch(e){}}\n"
    "function frame(e){var g=e.target.parentNode;return g&&g.parentNode===fr?g:null;}\n"
    "fr.addEventListener(\"mouseover\",function(e){var g=frame(e),s;if(!g)return;s=info(g._i);det.textContent=s;\n"
    " if(!g._t){var t=d.createElementNS(NS,\"title\");t.textContent=s;g.appendChild(t);g._t=1;}});\n"
    "fr.addEventListener(\"mouseout\",function(){det.textContent=\" \";});\n"
    "fr.addEventListener(\"click\",function(e){var g=frame(e);if(g)zoom(g._i);});\n"
    "unz.addEventListener(\"click\",unzoom);\n"
    "sb.addEventListener(\"click\",function(){if(term!==null)search(null);else ask();});\n"
    "icb.addEventListener(\"click\",function(){ic=!ic;icb.classList.toggle(\"show\",ic);"
    "if(term!==null)search(term);else save();});\n"
    "window.addEventListener(\"keydown\",function(e){if((e.ctrlKey||e.metaKey)&&(e.key===\"f\"||e.key===\"F\"))"
    "{e.preventDefault();ask();}else if(e.key===\"Escape\"&&term!==null)search(null);});\n"
    "(function(){var q=location.search.slice(1).split(\"&\"),f=-1,s=null,k,kv;\n"
    " for(k=0;k<q.length;k++){kv=q[k].split(\"=\");\n"
    "  try{if(kv[0]===\"f\")f=parseInt(kv[1],10);else if(kv[0]===\"s\")s=decodeURIComponent(kv[1]||\"\");"
    "else if(kv[0]===\"i\")ic=kv[1]===\"1\";}catch(e){}}\n"
    " icb.classList.toggle(\"show\",ic);if(f>=0&&f<n)zoom(f);if(s!==null)search(s);})();\n"
    "})();\n";

static const char FG_CSS[] =
    "#frames>g>rect{stroke-width:0.5}#frames>g:hover>rect{stroke:#000}#frames{cursor:pointer}"
    "#frames text{pointer-events:none}.hide{display:none}.parent{opacity:0.5}"
    "#unzoom,#search,#ignorecase{cursor:pointer}#search,#ignorecase{opacity:0.1}"
    "#search:hover,#ignorecase:hover,#search.show,#ignorecase.show{opacity:1}";

typedef struct {
    const fg_ctx *c;
    const fg_options *o;
    fg_layout L;
    fg_out w;
    double W, H, fs, fw, xpad, ypad1, ypad2, imgh, wpt, total, maxdelta;
    char **clean;             /* per name id: sanitised UTF-8, lazily */
    uint32_t *cleanlen, *cleancp, *outidx, *outnames;
    size_t nout;
    uint32_t *pal;            /* --cp: colour per name id */
    size_t npal;
    uint64_t rnd;
    const char *unit, *countname;
} fg_svg;

static const char *clean_name(fg_svg *s, uint32_t id)
{
    if (!s->clean[id]) {
        size_t len, cps;
        const fg_name *nm = &s->c->names.v[id];
        s->clean[id] = utf8_clean(nm->s, nm->len, &len, &cps);
        s->cleanlen[id] = (uint32_t)len;
        s->cleancp[id] = (uint32_t)cps;
    }
    return s->clean[id];
}

/* Three numbers in [0,1) from a name: FNV-1a, fixed forever so that a function keeps its
   colour across graphs and versions (the interning hash may change). */
static void hash3(const char *str, size_t n, double v[3])
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)str[i]) * 0x100000001b3ULL;
    h = mix64(h);
    for (int i = 0; i < 3; i++) v[i] = (double)((h >> (i * 21)) & 0x1FFFFF) / 2097152.0;
}

static uint32_t frame_color(fg_svg *s, const fg_frame *f)
{
    const fg_tree *t = &s->c->tree;
    uint32_t id = node_name(t, f->node);
    const fg_name *nm = &s->c->names.v[id];
    double v[3];
    if (t->val2) {
        /* scaled by the largest change below the root; the root's may be larger: clamp */
        double delta = t->val[f->node] - t->val2[f->node], m = s->maxdelta, k;
        if (s->o->negate) delta = -delta;
        if (delta == 0 || !(m > 0)) return rgb(250, 250, 250);
        k = 210 * (1 - fmin(fabs(delta) / m, 1));
        return delta > 0 ? rgb(255, k, k) : rgb(k, k, 255);
    }
    if (s->pal && id < s->npal && s->pal[id] != NONE) return s->pal[id];
    if ((nm->len == 1 && nm->s[0] == '-') || (nm->len == 2 && !memcmp(nm->s, "--", 2)))
        return rgb(160, 160, 160); /* stack separators, as flamegraph.pl */
    if (s->o->random) {
        for (int i = 0; i < 3; i++) {
            s->rnd = s->rnd * 6364136223846793005ULL + 1442695040888963407ULL;
            v[i] = (double)(s->rnd >> 43) / 2097152.0;
        }
    } else {
        hash3(nm->s, nm->len, v);
    }
    uint32_t col = palette_color(s->o->colors, nm->s, nm->len, v);
    if (s->pal) {
        if (id >= s->npal) {
            size_t old = s->npal;
            grow((void **)&s->pal, &s->npal, (size_t)id + 1, sizeof *s->pal);
            for (size_t i = old; i < s->npal; i++) s->pal[i] = NONE;
        }
        s->pal[id] = col;
    }
    return col;
}

/* The visible label of a frame pw pixels wide: writes it (escaped) or nothing. */
static void svg_label(fg_svg *s, uint32_t id, double px, double y, double pw)
{
    double cw = s->fs * s->fw;
    size_t fit = cw > 0 ? (size_t)(pw / cw) : 0, off = 0, n;
    const char *str;
    if (fit < 3) return;
    str = clean_name(s, id);
    n = s->cleanlen[id];
    out_fmt(&s->w, "<text x=\"%.1f\" y=\"%.1f\">", px + 3, y + (s->H - 1) / 2 + s->fs / 4);
    if (s->cleancp[id] <= fit) {
        out_xml(&s->w, str, n);
    } else if (s->o->truncate_right) {
        off = utf8_offset(str, n, fit - 2);
        out_xml(&s->w, str, off);
        out_str(&s->w, "..");
    } else {
        off = utf8_offset(str, n, s->cleancp[id] - (fit - 2));
        out_str(&s->w, "..");
        out_xml(&s->w, str + off, n - off);
    }
    out_str(&s->w, "</text>");
}

static void svg_frames(fg_svg *s)
{
    const fg_tree *t = &s->c->tree;
    for (size_t i = 0; i < s->L.n; i++) {
        const fg_frame *f = &s->L.v[i];
        uint32_t id = node_name(t, f->node);
        double px = s->xpad + f->x * s->wpt, pw = t->val[f->node] * s->wpt;
        double y = s->o->inverted ? s->ypad1 + f->depth * s->H
                                  : s->imgh - s->ypad2 - (f->depth + 1) * s->H;
        out_fmt(&s->w, "<g><rect x=\"%.1f\" y=\"%.6g\" width=\"%.1f\" height=\"%.6g\" fill=\"#%06x\"/>",
                px, y, pw, s->H - 1, (unsigned)frame_color(s, f));
        svg_label(s, id, px, y, pw);
        out_str(&s->w, "</g>\n");
        if (s->outidx[id] == NONE) {
            s->outidx[id] = (uint32_t)s->nout;
            s->outnames[s->nout++] = id;
        }
    }
}

static void svg_head(fg_svg *s, const char *title)
{
    fg_out *w = &s->w;
    const fg_options *o = s->o;
    char top[8], bot[8];
    const char *bg = o->bgcolors;
    if (!bg) bg = s->c->tree.val2 ? "grey" : !strcmp(o->colors, "mem") ? "green"
                : (!strcmp(o->colors, "io") || !strcmp(o->colors, "wakeup")) ? "blue" : "yellow";
    bg_colors(bg, top, bot);
    out_str(w, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n");
    out_fmt(w, "<svg version=\"1.1\" width=\"%.6g\" height=\"%.6g\" viewBox=\"0 0 %.6g %.6g\" "
               "xmlns=\"http://www.w3.org/2000/svg\">\n", s->W, s->imgh, s->W, s->imgh);
    if (o->notes) {
        out_str(w, "<desc>");
        out_xml_any(w, o->notes);
        out_str(w, "</desc>\n");
    }
    out_fmt(w, "<defs><linearGradient id=\"background\" y1=\"0\" y2=\"1\" x1=\"0\" x2=\"0\">"
               "<stop stop-color=\"%s\" offset=\"5%%\"/><stop stop-color=\"%s\" offset=\"95%%\"/>"
               "</linearGradient></defs>\n", top, bot);
    out_fmt(w, "<style type=\"text/css\"><![CDATA[%s]]></style>\n", FG_CSS);
    out_fmt(w, "<rect x=\"0\" y=\"0\" width=\"%.6g\" height=\"%.6g\" fill=\"url(#background)\"/>\n",
            s->W, s->imgh);
    out_str(w, "<g font-family=\"");
    out_xml_any(w, o->fonttype);
    out_fmt(w, "\" font-size=\"%.6g\">\n<text id=\"title\" x=\"%.6g\" y=\"%.6g\" text-anchor=\"middle\" "
               "font-size=\"%.6g\">", s->fs, s->W / 2, s->fs * 2, s->fs + 5);
    out_xml_any(w, title);
    out_str(w, "</text>\n");
    if (o->subtitle) {
        out_fmt(w, "<text id=\"subtitle\" x=\"%.6g\" y=\"%.6g\" text-anchor=\"middle\" fill=\"#a0a0a0\">",
                s->W / 2, s->fs * 4);
        out_xml_any(w, o->subtitle);
        out_str(w, "</text>\n");
    }
    out_fmt(w, "<text id=\"details\" x=\"%.6g\" y=\"%.6g\"> </text>\n", s->xpad, s->imgh - s->ypad2 / 2);
    out_fmt(w, "<text id=\"unzoom\" class=\"hide\" x=\"%.6g\" y=\"%.6g\">Reset Zoom</text>\n", s->xpad,
            s->fs * 2);
    out_fmt(w, "<text id=\"search\" x=\"%.6g\" y=\"%.6g\">Search</text>\n", s->W - s->xpad - 100,
            s->fs * 2);
    out_fmt(w, "<text id=\"ignorecase\" x=\"%.6g\" y=\"%.6g\">ic</text>\n", s->W - s->xpad - 16,
            s->fs * 2);
    out_fmt(w, "<text id=\"matched\" x=\"%.6g\" y=\"%.6g\"> </text>\n", s->W - s->xpad - 100,
            s->imgh - s->ypad2 / 2);
    out_str(w, "<g id=\"frames\">\n");
}

static void svg_script(fg_svg *s)
{
    fg_out *w = &s->w;
    const fg_tree *t = &s->c->tree;
    const fg_options *o = s->o;
    out_str(w, "</g>\n</g>\n<script type=\"text/ecmascript\"><![CDATA[\nvar N=[");
    for (size_t i = 0; i < s->nout; i++) {
        uint32_t id = s->outnames[i];
        const char *str = clean_name(s, id); /* sets cleanlen[id] */
        if (i) out_mem(w, ",", 1);
        out_js(w, str, s->cleanlen[id]);
    }
    out_str(w, "],\nD=[");
    for (size_t i = 0; i < s->L.n; i++) {
        const fg_frame *f = &s->L.v[i];
        out_fmt(w, "%s%u,%u,", i ? "," : "", s->outidx[node_name(t, f->node)], f->depth);
        out_num(w, f->x);
        out_mem(w, ",", 1);
        out_num(w, t->val[f->node]);
        if (t->val2) {
            out_mem(w, ",", 1);
            out_num(w, t->val2[f->node]);
        }
        if (i % 16 == 15) out_mem(w, "\n", 1);
    }
    out_fmt(w, "],\nC={S:%d,t:", t->val2 ? 5 : 4);
    out_num(w, s->total);
    out_fmt(w, ",w:%.6g,xp:%.6g,fs:%.6g,fw:%.6g,ty:%.6g,d:%d,tr:%d,u:", s->W, s->xpad, s->fs, s->fw,
            (s->H - 1) / 2 + s->fs / 4, t->val2 ? 1 : 0, o->truncate_right);
    out_js_any(w, s->unit);
    out_str(w, ",cn:");
    out_js_any(w, s->countname);
    out_str(w, ",nt:");
    out_js_any(w, o->nametype);
    out_str(w, ",sc:");
    out_js_any(w, o->search_color);
    out_str(w, "};\n");
    out_str(w, FG_JS);
    out_str(w, "]]></script>\n</svg>\n");
}

/* The unit the tooltips format values in ("ns", "us", "ms", "s", "bytes" or ""). */
static const char *unit_of(const char *countname)
{
    static const char *const units[] = {"ns", "us", "ms", "s", "bytes", NULL};
    for (int i = 0; units[i]; i++)
        if (!strcmp(countname, units[i])) return units[i];
    return "";
}

static double max_delta(const fg_svg *s)
{
    const fg_tree *t = &s->c->tree;
    double m = 0;
    for (size_t i = 0; t->val2 && i < s->L.n; i++) {
        uint32_t k = s->L.v[i].node;
        double d = fabs(t->val[k] - t->val2[k]);
        if (s->L.v[i].depth > 0 && d > m) m = d;
    }
    return m;
}

static const char *default_title(const fg_options *o, const fg_tree *t)
{
    if (o->title) return o->title;
    if (o->flamechart) return "Flame Chart";
    if (t->val2) return o->inverted ? "Differential Icicle Graph" : "Differential Flame Graph";
    return o->inverted ? "Icicle Graph" : "Flame Graph";
}

static void svg_setup(fg_svg *s, fg_ctx *c)
{
    const fg_options *o = c->o;
    double minv;
    s->c = c;
    s->o = o;
    s->W = o->width;
    s->H = o->height;
    s->fs = o->fontsize;
    s->fw = o->fontwidth;
    s->xpad = 10;
    s->total = c->tree.val[0] > o->total ? c->tree.val[0] : o->total;
    s->wpt = (s->W - 2 * s->xpad) / s->total;
    minv = o->minwidth_pct ? o->minwidth / 100 * s->total : o->minwidth / s->wpt;
    tree_children(&c->tree, minv);
    layout(c, minv, !o->flamechart && !o->no_sort, &s->L);
    s->maxdelta = max_delta(s);
    s->ypad1 = s->fs * 3 + (o->subtitle ? s->fs * 2 : 0);
    s->ypad2 = s->fs * 2 + 10;
    s->imgh = s->ypad1 + s->ypad2 + (s->L.maxdepth + 1) * s->H;
    s->countname = o->countname ? o->countname : c->unit[0] ? c->unit : "samples";
    s->unit = unit_of(s->countname);
    s->rnd = 0x853c49e6748fea9bULL;
}

/* Writes the SVG for the tree in c to out. Returns 0, or 1 after reporting an error. */
static int render(fg_ctx *c, FILE *out)
{
    fg_svg s;
    int rc = 0;
    memset(&s, 0, sizeof s);
    if (c->o->palfile) s.pal = palette_load(c, c->o->palfile, NULL, &s.npal);
    if (c->o->palfile && !s.pal) {
        s.npal = 1;
        s.pal = (uint32_t *)xcalloc(1, sizeof *s.pal);
        s.pal[0] = NONE;
    }
    svg_setup(&s, c);
    size_t nn = c->names.n;
    s.clean = (char **)xcalloc(nn, sizeof *s.clean);
    s.cleanlen = (uint32_t *)xcalloc(nn, sizeof *s.cleanlen);
    s.cleancp = (uint32_t *)xcalloc(nn, sizeof *s.cleancp);
    s.outnames = (uint32_t *)xcalloc(nn, sizeof *s.outnames);
    s.outidx = (uint32_t *)xrealloc(NULL, nn * sizeof *s.outidx);
    memset(s.outidx, 0xff, nn * sizeof *s.outidx);
    s.w.f = out;
    s.w.cap = (size_t)1 << 16;
    s.w.b = (char *)xrealloc(NULL, s.w.cap);
    svg_head(&s, default_title(c->o, &c->tree));
    svg_frames(&s);
    svg_script(&s);
    out_flush(&s.w);
    if (s.w.err || fflush(out) != 0 || ferror(out)) {
        fprintf(stderr, "flamegraph: write error: %s\n", strerror(errno));
        rc = 1;
    }
    if (c->o->palfile && palette_save(c, c->o->palfile, s.pal, s.npal) < 0) rc = 1;
    for (size_t i = 0; i < nn; i++) free(s.clean[i]);
    free(s.clean);
    free(s.cleanlen);
    free(s.cleancp);
    free(s.outnames);
    free(s.outidx);
    free(s.w.b);
    free(s.L.v);
    free(s.pal);
    return rc;
}

/* Reads the inputs (ins[i] named names[i]; with o->diff exactly two: before, after), then
   writes the SVG to out. Returns the exit status (0 ok, 1 error reported on stderr, 2 for
   --diff of profiles in different units). */
static int fg_run(const fg_options *o, FILE **ins, const char **names, int nin, FILE *out)
{
    fg_ctx c;
    int rc = 0;
    ctx_init(&c, o);
    for (int i = 0; i < nin && rc == 0; i++) {
        c.have_prev = 0;
        int r = read_input(&c, ins[i], names[i], o->diff ? i + 1 : 0);
        if (r < 0) rc = r == -2 ? 2 : 1;
    }
    if (rc == 0) end_inputs(&c);
    if (rc == 0 && c.lines == 0) {
        fprintf(stderr, "flamegraph: no stack lines in the input%s\n",
                c.malformed ? " (only malformed lines)" : " (empty input)");
        rc = 1;
    }
    if (rc == 0) {
        tree_finish(&c.tree);
        if (o->normalize && c.tree.val2 && c.tree.val2[0] > 0) {
            double k = c.tree.val[0] / c.tree.val2[0];
            for (size_t i = 0; i < c.tree.n; i++) c.tree.val2[i] *= k;
        }
        if (!(c.tree.val[0] > 0) || !isfinite(c.tree.val[0])) {
            fprintf(stderr, "flamegraph: the input has no samples (all counts are zero)\n");
            rc = 1;
        }
    }
    if (rc == 0) rc = render(&c, out);
    ctx_free(&c);
    return rc;
}

/* ------------------------------------------------------------------ command line */

static void default_options(fg_options *o)
{
    memset(o, 0, sizeof *o);
    o->nametype = "Function:";
    o->fonttype = "Verdana";
    o->colors = "hot";
    o->search_color = "#e600e6";
    o->width = 1200;
    o->height = 16;
    o->fontsize = 12;
    o->fontwidth = 0.59;
    o->minwidth = 0.1;
    o->factor = 1;
}

#ifndef FLAMEGRAPH_NO_MAIN
#include <stddef.h>

static const char USAGE[] =
    "usage: flamegraph [options] [file.folded ...] > out.svg\n"
    "       flamegraph [options] --diff before.folded after.folded > diff.svg\n"
    "Reads folded stacks (\"frame;frame;frame count\", or \"stack before after\") from the files\n"
    "(merged) or stdin and writes an interactive SVG flame graph.\n"
    "  --title TEXT        title (default \"Flame Graph\")     --subtitle TEXT\n"
    "  --width PX          image width (1200)                --height PX  frame height (16)\n"
    "  --image-width PX, --frame-height PX, --flame-chart: inferno's names of the same options\n"
    "  --minwidth PX|P%    omit frames narrower than this (0.1)\n"
    "  --fonttype NAME     (Verdana)   --fontsize PT (12)    --fontwidth F (0.59)\n"
    "  --countname NAME    samples, ns, us, ms, s, bytes, calls... (from '# thag_profiler' unit=)\n"
    "  --nametype TEXT     (\"Function:\")   --notes TEXT     --total N   --factor F\n"
    "  --colors PALETTE    hot mem io wakeup red green blue aqua yellow purple orange c cpp\n"
    "  --bgcolors COLOR    yellow blue green grey or #rrggbb  --search-color COLOR\n"
    "  --hash --deterministic  colour by name hash (default)   --random  random colours\n"
    "  --cp                keep colours in palette.map        --palfile FILE  (implies --cp)\n"
    "  --reverse           reverse stacks   --inverted  icicle graph   --flamechart  keep order\n"
    "  --no-sort           children in input order            --truncate-text-right\n"
    "  --diff A B          differential graph of two profiles  --normalize  --strip-hex  --negate\n"
    "  -o, --output FILE   write the SVG to FILE    --quiet  no warnings    --help  --version\n";

typedef struct {
    const char *name;
    char kind; /* s string, d number, f flag, m minwidth */
    size_t off;
    int value; /* for flags */
} fg_optdef;

#define OS(n, f) {n, 's', offsetof(fg_options, f), 0}
#define OD(n, f) {n, 'd', offsetof(fg_options, f), 0}
#define OF(n, f, v) {n, 'f', offsetof(fg_options, f), v}
static const fg_optdef OPTS[] = {
    OS("title", title), OS("subtitle", subtitle), OS("countname", countname),
    OS("nametype", nametype), OS("fonttype", fonttype), OS("notes", notes), OS("colors", colors),
    OS("color", colors), OS("bgcolors", bgcolors), OS("search-color", search_color),
    OS("palfile", palfile), OS("output", output), OD("width", width), OD("image-width", width),
    OD("height", height), OD("frame-height", height), OD("fontsize", fontsize),
    OD("fontwidth", fontwidth), OD("factor", factor), OD("total", total),
    {"minwidth", 'm', offsetof(fg_options, minwidth), 0}, OF("reverse", reverse, 1),
    OF("inverted", inverted, 1), OF("flamechart", flamechart, 1), OF("flame-chart", flamechart, 1),
    OF("negate", negate, 1), OF("diff", diff, 1), OF("normalize", normalize, 1),
    OF("strip-hex", strip_hex, 1), OF("random", random, 1), OF("hash", random, 0),
    OF("deterministic", random, 0), OF("no-sort", no_sort, 1),
    OF("truncate-text-right", truncate_right, 1), OF("quiet", quiet, 1), {NULL, 0, 0, 0}};

static int bad_option(const char *msg, const char *arg)
{
    fprintf(stderr, "flamegraph: %s%s%s\n%s", msg, arg ? ": " : "", arg ? arg : "",
            "Try 'flamegraph --help'.\n");
    return 2;
}

/* Sets one option from its definition and value text. Returns 0 or 2 (reported). */
static int set_option(fg_options *o, const fg_optdef *d, const char *val)
{
    char *end;
    double v;
    if (d->kind == 's') {
        *(const char **)(void *)((char *)o + d->off) = val;
        return 0;
    }
    errno = 0;
    v = strtod(val, &end);
    if (d->kind == 'm' && *end == '%') {
        o->minwidth_pct = 1;
        end++;
    }
    if (end == val || *end || errno || !isfinite(v) || v < 0)
        return bad_option("bad number for option", d->name);
    *(double *)(void *)((char *)o + d->off) = v;
    return 0;
}

/* Parses argv into o. Returns -1 to continue, or an exit status (0 after --help). */
static int parse_args(fg_options *o, int argc, char **argv)
{
    o->files = (const char **)xcalloc((size_t)argc, sizeof *o->files);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq, *val = NULL;
        const fg_optdef *d;
        size_t len;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return fputs(USAGE, stdout), 0;
        if (!strcmp(a, "--version")) return puts("flamegraph (thag_profiler) " FG_VERSION), 0;
        if (!strcmp(a, "--cp")) {
            if (!o->palfile) o->palfile = "palette.map";
            continue;
        }
        if (!strcmp(a, "-o")) a = "--output";
        if (a[0] != '-' || a[1] == 0) {
            o->files[o->nfiles++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            while (++i < argc) o->files[o->nfiles++] = argv[i];
            break;
        }
        if (a[1] != '-') return bad_option("unknown option", a);
        eq = strchr(a + 2, '=');
        len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        for (d = OPTS; d->name; d++)
            if (strlen(d->name) == len && !strncmp(d->name, a + 2, len)) break;
        if (!d->name) return bad_option("unknown option", a);
        if (d->kind == 'f') {
            if (eq) return bad_option("option takes no value", a);
            *(int *)(void *)((char *)o + d->off) = d->value;
            continue;
        }
        if (eq) val = eq + 1;
        else if (i + 1 < argc) val = argv[++i];
        else return bad_option("missing value for", a);
        if (set_option(o, d, val)) return 2;
    }
    return -1;
}

static int in_list(const char *s, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (!strcmp(s, list[i])) return 1;
    return 0;
}

/* Checks option values that reach the SVG as anything but escaped text. */
static int check_options(const fg_options *o)
{
    char t[8], b[8];
    const char *sc = o->search_color;
    if (!in_list(o->colors, PALETTES)) return bad_option("unknown --colors palette", o->colors);
    if (o->bgcolors && !bg_colors(o->bgcolors, t, b))
        return bad_option("--bgcolors must be yellow, blue, green, grey or #rrggbb", o->bgcolors);
    if (!(sc[0] == '#' && (strlen(sc) == 4 || strlen(sc) == 7) &&
          strspn(sc + 1, "0123456789abcdefABCDEF") == strlen(sc) - 1) &&
        !(strlen(sc) <= 30 && strspn(sc, "abcdefghijklmnopqrstuvwxyz") == strlen(sc) && sc[0]))
        return bad_option("--search-color must be #rgb, #rrggbb or a colour name", sc);
    if (o->width < 50 || o->width > 1e6) return bad_option("--width must be 50 to 1000000", NULL);
    if (o->height < 2 || o->height > 1000) return bad_option("--height must be 2 to 1000", NULL);
    if (o->fontsize <= 0 || o->fontsize > 500) return bad_option("--fontsize must be > 0", NULL);
    if (o->fontwidth <= 0 || o->fontwidth > 10) return bad_option("--fontwidth must be > 0", NULL);
    if (o->factor <= 0) return bad_option("--factor must be > 0", NULL);
    if (o->diff && o->nfiles != 2) return bad_option("--diff needs exactly two files", NULL);
    return 0;
}

/* Opens the inputs and output, runs, closes. */
static int run_files(const fg_options *o)
{
    int n = o->nfiles ? o->nfiles : 1, rc = 0;
    FILE **ins = (FILE **)xcalloc((size_t)n, sizeof *ins);
    const char **names = (const char **)xcalloc((size_t)n, sizeof *names);
    FILE *out = stdout;
    for (int i = 0; i < n && rc == 0; i++) {
        names[i] = o->nfiles && strcmp(o->files[i], "-") ? o->files[i] : "<stdin>";
        ins[i] = o->nfiles && strcmp(o->files[i], "-") ? fopen(o->files[i], "rb") : stdin;
        if (!ins[i]) {
            fprintf(stderr, "flamegraph: cannot open %s: %s\n", o->files[i], strerror(errno));
            rc = 1;
        }
    }
    if (rc == 0 && o->output && !(out = fopen(o->output, "wb"))) {
        fprintf(stderr, "flamegraph: cannot create %s: %s\n", o->output, strerror(errno));
        rc = 1;
    }
    if (rc == 0) rc = fg_run(o, ins, names, n, out);
    if (out != stdout && out && fclose(out) != 0 && rc == 0) {
        fprintf(stderr, "flamegraph: cannot write %s\n", o->output);
        rc = 1;
    }
    for (int i = 0; i < n; i++)
        if (ins[i] && ins[i] != stdin) fclose(ins[i]);
    free(ins);
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    fg_options o;
    int rc;
    default_options(&o);
    rc = parse_args(&o, argc, argv);
    if (rc < 0) {
        rc = check_options(&o);
        if (rc == 0) rc = run_files(&o);
    }
    free(o.files);
    return rc;
}
#endif /* FLAMEGRAPH_NO_MAIN */
