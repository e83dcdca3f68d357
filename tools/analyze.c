/* thag-analyze: statistics, reports, baselines, comparisons and flamegraphs for the folded
 * profiles written by thag_profiler.h (and any standard folded file).
 *   thag-analyze [DIR]                      interactive: pick profiles, statistics, graphs
 *   thag-analyze FILE                       the same as `report FILE`
 *   thag-analyze report FILE [options]      scripted report (text or JSON), --save baseline
 *   thag-analyze compare BASE CUR [options] per-site deltas; exit 1 past --max-increase
 * The user manual is docs/analyze.md.
 * Build: cc -std=c11 -O2 -Wall -Wextra -o build/thag-analyze tools/analyze.c -lm
 * (or `make thag-analyze`). Reads folded files through the shared parser tools/folded.h. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "folded.h"
#include "analyze_json.h"
#include "analyze_term.h"

#define ANALYZE_VERSION "0.1.0"
#define SCHEMA_VERSION 1
#define EXIT_GATE 1
#define EXIT_ERR 2

/* ======================================================================== utilities */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) { fprintf(stderr, "thag-analyze: out of memory\n"); exit(EXIT_ERR); }
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) { fprintf(stderr, "thag-analyze: out of memory\n"); exit(EXIT_ERR); }
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

static char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

/* snprintf that may truncate on purpose (paths longer than PATH_MAX are not supported). */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void bfmt(char *out, size_t n, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    vsnprintf(out, n, f, ap);
    va_end(ap);
}

/* Length of the valid UTF-8 sequence at s (n bytes left) that is printable (not C0, DEL or
 * C1 controls); 0 when it is not one. */
static size_t utf8_ok(const unsigned char *s, size_t n)
{
    uint32_t cp;
    size_t len = folded_utf8(s, n, &cp);
    if (!len || cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
    return len;
}

/* s made safe for a terminal: control bytes and invalid UTF-8 become U+FFFD. The result
 * lives in one of 8 rotating buffers: valid until 8 more calls. */
static const char *tx(const char *s)
{
    static char *buf[8];
    static size_t cap[8];
    static int next;
    size_t n = strlen(s), i = 0, o = 0, k;
    int b = next++ & 7;
    if (cap[b] < 3 * n + 1) { cap[b] = 3 * n + 1; buf[b] = realloc(buf[b], cap[b]); }
    if (!buf[b]) { fprintf(stderr, "thag-analyze: out of memory\n"); exit(2); }
    while (i < n) {
        k = utf8_ok((const unsigned char *)s + i, n - i);
        if (k) { memcpy(buf[b] + o, s + i, k); o += k; i += k; }
        else { memcpy(buf[b] + o, "\xef\xbf\xbd", 3); o += 3; i++; }
    }
    buf[b][o] = 0;
    return buf[b];
}

static int has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    size_t i;
    for (i = 0; i < n; i++) { h ^= (unsigned char)s[i]; h *= 1099511628211ULL; }
    return h;
}

/* Arena for strings that live as long as the program: one malloc per 1 MiB, not per string.
 * Each chunk starts with a pointer to the one before, so that every chunk stays reachable
 * (LeakSanitizer reported the older ones as leaks) and can be freed (tests/fuzz does). */
static char *arena_cur, *arena_end;
static void **arena_chunks;
static char *arena_copy(const char *s, size_t n)
{
    char *d;
    if ((size_t)(arena_end - arena_cur) < n + 1) {
        size_t sz = n + 1 > (1u << 20) ? n + 1 : (1u << 20);
        void **c = xmalloc(sizeof *c + sz);
        *c = arena_chunks;
        arena_chunks = c;
        arena_cur = (char *)(c + 1);
        arena_end = arena_cur + sz;
    }
    d = arena_cur;
    memcpy(d, s, n);
    d[n] = 0;
    arena_cur += n + 1;
    return d;
}

/* ======================================================================== string table */

/* Interns strings: each distinct string gets a dense index 0..n-1. Strings live in the arena. */
typedef struct {
    char **str;
    size_t *len;
    uint64_t *hash;
    size_t n, cap;
    uint32_t *slot;          /* index+1, 0 = empty */
    size_t nslot;
} strtab;

static void strtab_grow_slots(strtab *t)
{
    size_t i, ns = t->nslot ? t->nslot * 2 : 1024;
    uint32_t *s = calloc(ns, sizeof *s);
    if (!s) { fprintf(stderr, "thag-analyze: out of memory\n"); exit(EXIT_ERR); }
    for (i = 0; i < t->n; i++) {
        size_t j = (size_t)t->hash[i] & (ns - 1);
        while (s[j]) j = (j + 1) & (ns - 1);
        s[j] = (uint32_t)(i + 1);
    }
    free(t->slot);
    t->slot = s;
    t->nslot = ns;
}

/* Returns the index of s (n bytes); inserts it when absent and insert is set, else -1. */
static long strtab_get(strtab *t, const char *s, size_t n, int insert)
{
    uint64_t h = hash_bytes(s, n);
    size_t j;
    if (!t->nslot) strtab_grow_slots(t);
    j = (size_t)h & (t->nslot - 1);
    while (t->slot[j]) {
        size_t i = t->slot[j] - 1;
        if (t->hash[i] == h && t->len[i] == n && !memcmp(t->str[i], s, n)) return (long)i;
        j = (j + 1) & (t->nslot - 1);
    }
    if (!insert) return -1;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 256;
        t->str = xrealloc(t->str, t->cap * sizeof *t->str);
        t->len = xrealloc(t->len, t->cap * sizeof *t->len);
        t->hash = xrealloc(t->hash, t->cap * sizeof *t->hash);
    }
    t->str[t->n] = arena_copy(s, n);
    t->len[t->n] = n;
    t->hash[t->n] = h;
    t->slot[j] = (uint32_t)(t->n + 1);
    t->n++;
    if (t->n * 2 > t->nslot) strtab_grow_slots(t);
    return (long)(t->n - 1);
}

static void strtab_free(strtab *t)
{
    free(t->str); free(t->len); free(t->hash); free(t->slot);
    memset(t, 0, sizeof *t);
}

/* ======================================================================== profiles */

/* The library's file kinds: file name suffix, label, and the kind= of the metadata line. */
enum { K_TIME, K_INCL, K_CALLS, K_TIMELINE, K_MEM, K_MEMCALLS, K_DETAIL, K_DEALLOC, K_DCALLS, K_LIVE, K_DLIVE,
       K_LIVEN, K_DLIVEN, K_PEAK, K_TEMP, K_WALL, K_OTHER };
static const char *const kind_suffix[] = {
    "", "-inclusive", "-calls", "-timeline", "-memory", "-memory_calls", "-memory_detail",
    "-memory_detail_dealloc", "-memory_detail_calls", "-memory_live", "-memory_detail_live",
    "-memory_live_calls", "-memory_detail_live_calls", "-memory_peak",
    "-memory_temp", "-wall", NULL };
static const char *const kind_label[] = {
    "time", "time inclusive", "time calls", "timeline", "memory summary", "memory calls",
    "memory detail", "deallocations", "memory det. calls", "memory live", "memory det. live",
    "live blocks", "det. live blocks", "memory peak",
    "memory temp.", "wall time", "folded" };
static const char *const kind_meta[] = {
    "time", "time_inclusive", "calls", "timeline", "memory", "memory_calls", "memory_detail",
    "memory_detail_dealloc", "memory_detail_calls", "memory_live", "memory_detail_live",
    "memory_live_calls", "memory_detail_live_calls", "memory_peak",
    "memory_temp", "wall", NULL };

/* Per-stack value arrays of a profile (F_LIVE: bytes live at exit, from the -live file). */
enum { F_SELF, F_INCL, F_COUNT, F_LIVE, F_NFIELDS };

#define NBUCKETS 64
typedef struct { char *k, *v; } kv;

/* A loaded profile: the primary file plus whatever sibling files add (inclusive values,
 * call or allocation counts, deallocations). Owns everything it points to. */
typedef struct {
    char *path, *base;           /* path of the primary file; base = path without kind suffix */
    int kind;                    /* K_* of the primary */
    char unit[16];
    kv *meta;
    size_t nmeta;
    strtab stacks;
    double *f[F_NFIELDS];
    size_t fcap;
    int has[F_NFIELDS];
    int size_frames;             /* detail stacks ended in a size frame (stripped) */
    int live_file;               /* a -memory_live / -memory_detail_live sibling was read */
    double bucket_count[NBUCKETS], bucket_bytes[NBUCKETS];
    unsigned long malformed;
    unsigned long lines;
} profile;

static int is_memory_kind(int k) { return k >= K_MEM && k <= K_TEMP; }

/* Kind from the file name's suffix (`-memory.folded`...), K_TIME for a plain name matching
 * the library's `<program>-<yyyymmdd>-<HHMMSS>.folded`, K_OTHER otherwise. */
/* The length of a profile file's extension: ".folded", or ".txt" for the library's compact
 * timeline (<p>-<ts>-timeline.txt); 0 for other names. */
static size_t ext_len(const char *name)
{
    if (has_suffix(name, ".folded")) return 7;
    return has_suffix(name, "-timeline.txt") ? 4 : 0;
}

static int kind_from_name(const char *path)
{
    const char *b = strrchr(path, '/');
    size_t n;
    int k, best = -1;
    b = b ? b + 1 : path;
    if (!ext_len(b)) return K_OTHER;
    n = strlen(b) - ext_len(b);
    for (k = 1; kind_suffix[k]; k++) {
        size_t sl = strlen(kind_suffix[k]);
        if (n >= sl && !memcmp(b + n - sl, kind_suffix[k], sl) &&
            (best < 0 || sl > strlen(kind_suffix[best]))) best = k;
    }
    if (best >= 0) return best;
    if (n >= 16 && b[n - 7] == '-' && b[n - 16] == '-') return K_TIME;
    return K_OTHER;
}

static const char *meta_get(const profile *p, const char *key)
{
    size_t i;
    for (i = 0; i < p->nmeta; i++)
        if (!strcmp(p->meta[i].k, key)) return p->meta[i].v;
    return NULL;
}

/* Adds the key=value tokens after the colon of a metadata line to p. */
static void meta_tokens(profile *p, char *line)
{
    char *colon = strchr(line, ':'), *tok, *save = NULL;
    if (!colon) return;
    for (tok = strtok_r(colon + 1, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq || eq == tok) continue;
        p->meta = xrealloc(p->meta, (p->nmeta + 1) * sizeof *p->meta);
        p->meta[p->nmeta].k = xstrndup(tok, (size_t)(eq - tok));
        p->meta[p->nmeta].v = xstrdup(eq + 1);
        p->nmeta++;
    }
}

/* Reads the file's metadata: its run's manifest entry (tools/folded.h finds it from the
 * name; the reader notes a missing or truncated manifest once, when the file is loaded), or
 * the first line `# thag_profiler VERSION: key=value ...` of a file written before
 * manifests. Also rejects files that are clearly binary. Returns 0, or -1 (with a message
 * when report). */
static int read_metadata(profile *p, FILE *f, const char *path, int report)
{
    char buf[4096], note[4352];
    size_t n = fread(buf, 1, sizeof buf - 1, f), i;
    char *line;
    buf[n] = 0;
    if (ferror(f)) {
        if (report) fprintf(stderr, "thag-analyze: %s: read error: %s\n", path, strerror(errno));
        return -1;
    }
    for (i = 0; i < n; i++)
        if (buf[i] == 0) {
            if (report) fprintf(stderr, "thag-analyze: %s: binary data (a NUL byte at offset %zu): not a folded file\n", path, i);
            return -1;
        }
    rewind(f);
    if (strncmp(buf, "# thag_profiler", 15)) {
        if ((line = folded_manifest_meta(path, note, sizeof note)) != NULL) meta_tokens(p, line);
        free(line);
        return 0;
    }
    buf[strcspn(buf, "\r\n")] = 0;
    meta_tokens(p, buf);
    return 0;
}

static void profile_reserve(profile *p, size_t n)
{
    int i;
    if (n <= p->fcap) return;
    p->fcap = p->fcap ? p->fcap * 2 : 1024;
    if (p->fcap < n) p->fcap = n;
    for (i = 0; i < F_NFIELDS; i++) p->f[i] = xrealloc(p->f[i], p->fcap * sizeof(double));
}

/* Adds value v to field fld of stack s (n bytes), creating the stack (zeroed) when new. */
static size_t profile_add(profile *p, const char *s, size_t n, int fld, double v)
{
    size_t before = p->stacks.n;
    long i = strtab_get(&p->stacks, s, n, 1);
    if (p->stacks.n != before) {
        int k;
        profile_reserve(p, p->stacks.n);
        for (k = 0; k < F_NFIELDS; k++) p->f[k][i] = 0;
    }
    p->f[fld][i] += v;
    return (size_t)i;
}

static const char *last_sep(const char *s, size_t n, char c)
{
    while (n--) if (s[n] == c) return s + n;
    return NULL;
}

/* Size of an allocation-size frame (`64 B`, `64B`, `[64 bytes]`, `size=64`, `size:64`), the
 * last frame of a memory detail stack; 0 when the frame is not one. */
static double size_frame_value(const char *s, size_t n)
{
    char buf[64], *e;
    size_t i = 0;
    double v;
    if (n == 0 || n >= sizeof buf) return 0;
    memcpy(buf, s, n);
    buf[n] = 0;
    if (buf[0] == '[' && buf[n - 1] == ']') { buf[n - 1] = 0; i = 1; }
    if (!strncmp(buf + i, "size=", 5) || !strncmp(buf + i, "size:", 5)) i += 5;
    if (!isdigit((unsigned char)buf[i])) return 0;
    v = strtod(buf + i, &e);
    while (*e == ' ') e++;
    if (*e == 0 && i > 0 && (buf[0] == '[' || i >= 5)) return v;
    if (!strcmp(e, "B") || !strcmp(e, "bytes") || !strcmp(e, "b")) return v;
    return 0;
}

static int bucket_of(double size)
{
    int b = 0;
    while (size >= 2 && b < NBUCKETS - 1) { size /= 2; b++; }
    return b;
}

/* Checks that the file ends with a newline; a missing one usually means a truncated write. */
static void warn_if_truncated(FILE *f, const char *path)
{
    long pos = ftell(f);
    int c;
    if (pos < 0 || fseek(f, -1, SEEK_END) != 0) return;
    c = fgetc(f);
    if (c != '\n' && c != EOF)
        fprintf(stderr, "thag-analyze: %s: warning: the last line has no newline (file truncated?)\n", path);
    fseek(f, pos, SEEK_SET);
}

/* Loads one folded file into field fld of p. strip_size: the last frame of each stack may be
 * an allocation size (memory detail): strip it, count allocations, fill the distribution
 * (only when fld is F_SELF). want_meta: 1 keeps this file's metadata line in p; 2 (a
 * sibling that may be empty, like a live-at-exit file without leaks) accepts no lines.
 * Returns 0, or -1 (message printed) when the file cannot be read or holds no valid line. */
static void profile_free(profile *p);

static int load_into(profile *p, const char *path, int fld, int strip_size, int want_meta)
{
    FILE *f = fopen(path, "rb");
    folded_reader *r;
    folded_line ln;
    int rc;
    unsigned long lines = 0, bad;
    profile junk;
    if (!f) { fprintf(stderr, "thag-analyze: %s: %s\n", path, strerror(errno)); return -1; }
    memset(&junk, 0, sizeof junk);
    if (read_metadata(want_meta == 1 ? p : &junk, f, path, 1)) { fclose(f); return -1; }
    warn_if_truncated(f, path);
    r = folded_open(f, path);
    while ((rc = folded_next(r, &ln)) == 1) {
        size_t n;
        double size = 0;
        folded_one_count(&ln); /* never differential input */
        n = ln.stack_len;
        lines++;
        if (strip_size) {
            const char *semi = last_sep(ln.stack, n, ';');
            size_t off = semi ? (size_t)(semi - ln.stack) + 1 : 0;
            size = size_frame_value(ln.stack + off, n - off);
            if (size > 0) n = semi ? off - 1 : 0;
        }
        profile_add(p, ln.stack, n, fld, ln.value);
        if (size > 0 && fld == F_SELF) {
            int b = bucket_of(size);
            p->size_frames = 1;
            profile_add(p, ln.stack, n, F_COUNT, ln.value / size);
            p->bucket_count[b] += ln.value / size;
            p->bucket_bytes[b] += ln.value;
        }
    }
    bad = folded_malformed(r);
    p->malformed += bad;
    if (rc < 0) fprintf(stderr, "thag-analyze: %s: %s\n", path, folded_error(r));
    folded_close(r);
    fclose(f);
    profile_free(&junk); /* a sibling's metadata: its keys and values too (found by tests/fuzz) */
    if (rc < 0) return -1;
    if (lines == 0 && want_meta == 2 && !bad) return 0;
    if (lines == 0) {
        fprintf(stderr, "thag-analyze: %s: no valid stack lines%s\n", path,
                p->malformed ? " (every line was malformed)" : " (empty profile)");
        return -1;
    }
    p->lines += lines;
    p->has[fld] = 1;
    return 0;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* path of a sibling: base + suffix + ".folded" (malloc'd). */
static char *sibling(const char *base, const char *suffix)
{
    size_t n = strlen(base) + strlen(suffix) + 8;
    char *s = xmalloc(n);
    snprintf(s, n, "%s%s.folded", base, suffix);
    return s;
}

/* Adds the sibling base+suffix+".folded" to field fld when it exists; 1 when read. An empty
 * sibling counts as read when may_be_empty. */
static int try_sibling(profile *p, const char *suffix, int fld, int strip, int may_be_empty)
{
    char *s = sibling(p->base, suffix);
    int rc = 0;
    if (file_exists(s)) rc = load_into(p, s, fld, strip, may_be_empty ? 2 : 0) == 0;
    free(s);
    return rc;
}

static void profile_free(profile *p)
{
    size_t i;
    int k;
    for (i = 0; i < p->nmeta; i++) { free(p->meta[i].k); free(p->meta[i].v); }
    free(p->meta);
    for (k = 0; k < F_NFIELDS; k++) free(p->f[k]);
    strtab_free(&p->stacks);
    free(p->path);
    free(p->base);
    memset(p, 0, sizeof *p);
}

/* path without ".folded" and its kind suffix (malloc'd): the stem shared by sibling files. */
static char *path_base(const char *path)
{
    int k = kind_from_name(path);
    return xstrndup(path, strlen(path) - ext_len(path)
                    - (k == K_OTHER ? 0 : strlen(kind_suffix[k])));
}

/* The kind the metadata line names, when the file name (kind k) tells none, or only the
 * plain time name (a file renamed to <p>-<ts>.folded); else k. */
static int kind_from_meta(const profile *p, int k)
{
    const char *m = meta_get(p, "kind");
    int i;
    if (!m || (k != K_OTHER && k != K_TIME)) return k;
    for (i = 0; kind_meta[i]; i++)
        if (!strcmp(m, kind_meta[i])) return i;
    return k;
}

/* An inclusive time file given as the primary: its values are not exclusive, so the profile
 * is its exclusive sibling, with a note on stderr: the file its manifest entry names
 * (instead=, in the same directory), else base.folded. NULL (message printed) when that file
 * does not exist. Returns the path to load (malloc'd). */
static char *exclusive_for(const char *path, const char *base, const char *instead)
{
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
    char *x;
    if (instead && *instead && !strchr(instead, '/')) {
        x = xmalloc(dlen + strlen(instead) + 1);
        memcpy(x, path, dlen);
        strcpy(x + dlen, instead);
    } else {
        x = sibling(base, "");
    }
    if (strcmp(x, path) != 0 && file_exists(x)) {
        fprintf(stderr, "thag-analyze: note: %s holds inclusive time; reading its exclusive sibling %s "
                "(the inclusive values are used as totals)\n", path, x);
        return x;
    }
    fprintf(stderr, "thag-analyze: %s holds inclusive time, and its exclusive sibling %s is missing: "
            "give the exclusive file <program>-<stamp>.folded\n", path, x);
    free(x);
    return NULL;
}

/* The primary path's kind, from its metadata when it has some, else its name; and the file
 * to read instead (instead= of its manifest entry; malloc'd, or NULL). */
static int peek_kind(const char *path, char **instead)
{
    profile tmp;
    FILE *f = fopen(path, "rb");
    int k = kind_from_name(path);
    *instead = NULL;
    if (!f) return k;
    memset(&tmp, 0, sizeof tmp);
    if (read_metadata(&tmp, f, path, 0) == 0) { /* the load says what is wrong */
        k = kind_from_meta(&tmp, k);
        if (meta_get(&tmp, "instead")) *instead = xstrdup(meta_get(&tmp, "instead"));
    }
    fclose(f);
    profile_free(&tmp);
    return k;
}

/* A wall time file (kind wall, additive=no in its manifest entry) is read as it is, but its
 * values overlap (a task's wall time holds its sections' and child tasks'): a note says which
 * columns mean what, and names the file whose times add up. */
static void wall_note(const profile *p, int k)
{
    const char *add = meta_get(p, "additive"), *instead = meta_get(p, "instead");
    if (k != K_WALL && !(add && !strcmp(add, "no"))) return;
    fprintf(stderr, "thag-analyze: note: %s holds wall time, which does not add up along stacks: Self is each "
            "stack's own elapsed time; Total and the total add up overlapping times (the active time that "
            "adds up is in %s)\n", p->path, instead ? instead : "the exclusive time file <program>-<stamp>.folded");
}

/* Loads the siblings that complete a primary file of kind k. */
static void load_siblings(profile *p, int k)
{
    if (k == K_TIME) { try_sibling(p, "-inclusive", F_INCL, 0, 0); try_sibling(p, "-calls", F_COUNT, 0, 0); }
    if (k == K_MEM) {
        try_sibling(p, "-memory_calls", F_COUNT, 0, 0);
        p->live_file = try_sibling(p, "-memory_live", F_LIVE, 0, 1);
    }
    if (k == K_DETAIL) {
        if (!p->size_frames) try_sibling(p, "-memory_detail_calls", F_COUNT, 0, 0);
        p->live_file = try_sibling(p, "-memory_detail_live", F_LIVE, 1, 1);
    }
}

/* Loads the profile whose primary file is path, with its siblings:
 *   time: -inclusive (inclusive values), -calls (call counts);
 *   memory summary: -memory_calls (allocation counts), -memory_live (live at exit);
 *   memory detail: -memory_detail_calls (or size frames: counts, distribution),
 *   -memory_detail_live (live at exit). The -memory_detail_dealloc file is charged to the
 *   stacks that free, not to those that allocate: it is only read as a primary.
 * An inclusive time primary is replaced by its exclusive sibling (exclusive_for).
 * Returns 0, or -1 (message printed; p freed). */
static int profile_load(profile *p, const char *path)
{
    char *instead = NULL, *excl = NULL;
    int k = peek_kind(path, &instead);
    const char *u;
    memset(p, 0, sizeof *p);
    if (k == K_INCL) {
        char *b = path_base(path);
        excl = exclusive_for(path, b, instead);
        free(b);
        free(instead);
        if (!excl) return -1;
        path = excl;
        k = K_TIME;
    } else {
        free(instead);
    }
    p->path = xstrdup(path);
    free(excl);
    p->base = path_base(p->path);
    if (load_into(p, p->path, F_SELF, k == K_DETAIL || k == K_DEALLOC || k == K_DLIVE, 1)) {
        profile_free(p);
        return -1;
    }
    p->kind = k = kind_from_meta(p, k);
    wall_note(p, k);
    load_siblings(p, k);
    if (p->size_frames) p->has[F_COUNT] = 1;
    u = meta_get(p, "unit");
    if (!u) u = k == K_CALLS || k == K_MEMCALLS || k == K_DCALLS ? "calls" : is_memory_kind(k) ? "bytes"
              : k == K_OTHER ? "samples" : "ns";
    snprintf(p->unit, sizeof p->unit, "%s", u);
    return 0;
}

/* ======================================================================== frames, grouping */

enum { G_FUNC, G_FILE, G_MODULE };
static const char *const group_names[] = { "function", "file", "module", NULL };

typedef struct {
    const char *name; size_t name_len;   /* the frame without its source location */
    const char *file; size_t file_len;   /* NULL when the frame has no location */
    long line;                           /* 0 when unknown */
} frame_info;

/* Splits a frame like `parse (src/parse.c:42)` into name, file and line. A trailing
 * parenthesised part counts as a location when it holds `path:line`, or a path with a '/'
 * or a '.'; anything else (e.g. `operator()`) is part of the name. */
static void parse_frame(const char *s, size_t n, frame_info *fi)
{
    size_t i;
    fi->name = s; fi->name_len = n; fi->file = NULL; fi->file_len = 0; fi->line = 0;
    if (n < 4 || s[n - 1] != ')') return;
    for (i = n - 1; i > 0; i--)
        if (s[i] == '(' && s[i - 1] == ' ') break;
    if (i == 0 || i + 1 >= n - 1) return;
    {
        const char *loc = s + i + 1;
        size_t ll = n - 1 - (i + 1), c = ll, d;
        while (c > 0 && loc[c - 1] != ':') c--;
        if (c > 0 && c < ll) {
            for (d = c; d < ll && isdigit((unsigned char)loc[d]); d++) ;
            if (d == ll) {
                fi->line = strtol(loc + c, NULL, 10);
                ll = c - 1;
            }
        }
        if (!fi->line && !memchr(loc, '/', ll) && !memchr(loc, '.', ll)) return;
        if (ll == 0) return;
        fi->file = loc; fi->file_len = ll;
        fi->name_len = i - 1;
    }
}

/* The grouping key of a frame: function name, source file, or module (the part before the
 * last `::` of a qualified name, else the source file's base name without extension). */
static void frame_key(const frame_info *fi, int group_by, const char **k, size_t *kn)
{
    static const char unknown[] = "(unknown)";
    size_t i;
    *k = unknown; *kn = sizeof unknown - 1;
    if (group_by == G_FUNC) { *k = fi->name; *kn = fi->name_len; return; }
    if (group_by == G_MODULE && fi->name_len > 2) {
        for (i = fi->name_len - 1; i > 0; i--)
            if (fi->name[i] == ':' && fi->name[i - 1] == ':' && i >= 2) { *k = fi->name; *kn = i - 1; return; }
    }
    if (!fi->file) return;
    *k = fi->file; *kn = fi->file_len;
    if (group_by == G_MODULE) {
        const char *sl = last_sep(fi->file, fi->file_len, '/'), *dot;
        size_t start = sl ? (size_t)(sl - fi->file) + 1 : 0;
        *k = fi->file + start;
        *kn = fi->file_len - start;
        dot = last_sep(*k, *kn, '.');
        if (dot && dot != *k) *kn = (size_t)(dot - *k);
    }
}

/* ======================================================================== removal filters */

typedef struct { char *pat; int with_children; } removal;

static int glob_chars(const char *p) { return strpbrk(p, "*?[") != NULL; }

/* Does frame s (n bytes) match pattern pat? Exact names compare with the whole frame or its
 * name without location; patterns with * ? [ are shell globs (fnmatch) on the same two. */
static int frame_matches(const char *s, size_t n, const char *pat)
{
    char buf[1024];
    frame_info fi;
    size_t m = n < sizeof buf - 1 ? n : sizeof buf - 1;
    parse_frame(s, n, &fi);
    if (!glob_chars(pat)) {
        size_t pl = strlen(pat);
        return (pl == n && !memcmp(s, pat, n)) || (pl == fi.name_len && !memcmp(fi.name, pat, pl));
    }
    memcpy(buf, s, m);
    buf[m] = 0;
    if (fnmatch(pat, buf, 0) == 0) return 1;
    if (fi.name_len < m) buf[fi.name_len] = 0;
    return fnmatch(pat, buf, 0) == 0;
}

/* Rewrites stack s (n bytes) into out (room for n+1 bytes) with the removals applied:
 * a frame matching a with-children removal drops the whole stack (returns 0); a frame
 * matching a plain removal is cut out and its children attach to its parent; when the
 * innermost frame is cut, the stack's own value goes with it (returns 0). Returns 1 when the
 * rewritten stack (in out, *outn bytes) is kept. */
static int rewrite_stack(const char *s, size_t n, const removal *rm, size_t nrm, char *out, size_t *outn)
{
    size_t pos = 0, o = 0, j;
    int leaf_cut = 0;
    while (pos <= n) {
        const char *semi = memchr(s + pos, ';', n - pos);
        size_t end = semi ? (size_t)(semi - s) : n, fl = end - pos;
        int cut = 0;
        for (j = 0; j < nrm; j++)
            if (frame_matches(s + pos, fl, rm[j].pat)) {
                if (rm[j].with_children) return 0;
                cut = 1;
            }
        if (!cut) {
            if (o) out[o++] = ';';
            memcpy(out + o, s + pos, fl);
            o += fl;
        }
        leaf_cut = cut;
        pos = end + 1;
    }
    out[o] = 0;
    *outn = o;
    return !leaf_cut && o > 0;
}

/* A new profile: src with the removals applied (stacks re-merged). Inclusive values are
 * dropped (totals are then derived from the exclusive values, which is exact). */
static void apply_removals(profile *dst, const profile *src, const removal *rm, size_t nrm)
{
    size_t i, cap = 256, on;
    char *buf = xmalloc(cap);
    int k;
    memset(dst, 0, sizeof *dst);
    dst->path = xstrdup(src->path);
    dst->base = xstrdup(src->base);
    dst->kind = src->kind;
    memcpy(dst->unit, src->unit, sizeof dst->unit);
    dst->meta = xmalloc((src->nmeta + 1) * sizeof *dst->meta);
    for (i = 0; i < src->nmeta; i++) { dst->meta[i].k = xstrdup(src->meta[i].k); dst->meta[i].v = xstrdup(src->meta[i].v); }
    dst->nmeta = src->nmeta;
    dst->size_frames = src->size_frames;
    memcpy(dst->bucket_count, src->bucket_count, sizeof dst->bucket_count);
    memcpy(dst->bucket_bytes, src->bucket_bytes, sizeof dst->bucket_bytes);
    for (k = 0; k < F_NFIELDS; k++) dst->has[k] = src->has[k];
    dst->has[F_INCL] = 0;
    dst->lines = src->lines;
    for (i = 0; i < src->stacks.n; i++) {
        size_t n = src->stacks.len[i], idx;
        if (n + 1 > cap) { cap = n + 1; buf = xrealloc(buf, cap); }
        if (!rewrite_stack(src->stacks.str[i], n, rm, nrm, buf, &on)) continue;
        idx = profile_add(dst, buf, on, F_SELF, src->f[F_SELF][i]);
        for (k = F_COUNT; k < F_NFIELDS; k++) dst->f[k][idx] += src->f[k][i];
    }
    free(buf);
}

/* ======================================================================== aggregation */

/* One row of a report: a function (or file, or module) aggregated over every stack. */
typedef struct {
    const char *name;            /* interned in the table's keys */
    const char *file;            /* first source location seen (arena), or NULL */
    long line;
    double self, total, count, live;
    int keep;                    /* passes the report filters */
} row;

typedef struct {
    strtab keys;
    row *rows;
    size_t n;
    int group_by, counts_known, incl_used;
    double grand_self, grand_count, grand_live;
    uint32_t *leaf_of;           /* per stack of the profile: row index of its innermost frame */
    size_t nstacks, rows_cap;
} table;

static size_t table_row(table *t, const char *k, size_t kn, const frame_info *fi)
{
    size_t before = t->keys.n;
    long id = strtab_get(&t->keys, k, kn, 1);
    if (t->keys.n != before) {
        row *r;
        if (t->rows_cap != t->keys.cap) {
            t->rows_cap = t->keys.cap;
            t->rows = xrealloc(t->rows, t->rows_cap * sizeof *t->rows);
        }
        r = &t->rows[id];
        memset(r, 0, sizeof *r);
        r->name = t->keys.str[id];
        if (fi->file && t->group_by == G_FUNC) { r->file = arena_copy(fi->file, fi->file_len); r->line = fi->line; }
        t->n = t->keys.n;
    } else if (!t->rows[id].file && fi->file && t->group_by == G_FUNC) {
        t->rows[id].file = arena_copy(fi->file, fi->file_len);
        t->rows[id].line = fi->line;
    }
    return (size_t)id;
}

/* Aggregates p by group_by. Per row: self = the values of stacks whose innermost frame has
 * the key; count = their call (allocation) counts; total = time (bytes) with the key anywhere
 * on the stack, counted once per stack so recursion is not double counted: from the
 * inclusive file (outermost occurrence only) when present, else the exclusive values of every
 * stack holding the key, which is the same number. */
static void aggregate(table *t, const profile *p, int group_by)
{
    size_t i, *stamp = NULL, stcap = 0;
    memset(t, 0, sizeof *t);
    t->group_by = group_by;
    t->counts_known = p->has[F_COUNT];
    t->incl_used = p->has[F_INCL];
    t->leaf_of = xmalloc((p->stacks.n + 1) * sizeof *t->leaf_of);
    t->nstacks = p->stacks.n;
    for (i = 0; i < p->stacks.n; i++) {
        const char *s = p->stacks.str[i];
        size_t n = p->stacks.len[i], pos = 0, leaf = 0;
        int leaf_dup = 0;
        double self = p->f[F_SELF][i];
        while (pos <= n) {
            const char *semi = memchr(s + pos, ';', n - pos), *k;
            size_t end = semi ? (size_t)(semi - s) : n, kn, id;
            frame_info fi;
            parse_frame(s + pos, end - pos, &fi);
            frame_key(&fi, group_by, &k, &kn);
            id = table_row(t, k, kn, &fi);
            if (id >= stcap) { size_t o = stcap; stcap = t->keys.cap; stamp = xrealloc(stamp, stcap * sizeof *stamp);
                               memset(stamp + o, 0, (stcap - o) * sizeof *stamp); }
            leaf_dup = stamp[id] == i + 1;
            if (!leaf_dup) { stamp[id] = i + 1; if (!t->incl_used) t->rows[id].total += self; }
            leaf = id;
            pos = end + 1;
        }
        t->leaf_of[i] = (uint32_t)leaf;
        t->rows[leaf].self += self;
        t->rows[leaf].count += p->f[F_COUNT][i];
        t->rows[leaf].live += p->f[F_LIVE][i];
        if (t->incl_used && !leaf_dup) t->rows[leaf].total += p->f[F_INCL][i];
        t->grand_self += self;
        t->grand_count += p->f[F_COUNT][i];
        t->grand_live += p->f[F_LIVE][i];
    }
    free(stamp);
    for (i = 0; i < t->n; i++) t->rows[i].keep = 1;
}

static void table_free(table *t)
{
    strtab_free(&t->keys);
    free(t->rows);
    free(t->leaf_of);
    memset(t, 0, sizeof *t);
}

/* ======================================================================== sorting, filters */

enum { S_TOTAL, S_SELF, S_COUNT, S_NAME };
static int g_sort;

static int cmp_double_desc(double a, double b) { return a < b ? 1 : a > b ? -1 : 0; }

static int row_cmp(const void *a, const void *b)
{
    const row *x = a, *y = b;
    int c = 0;
    if (g_sort == S_TOTAL) c = cmp_double_desc(x->total, y->total);
    else if (g_sort == S_SELF) c = cmp_double_desc(x->self, y->self);
    else if (g_sort == S_COUNT) c = cmp_double_desc(x->count, y->count);
    if (!c && g_sort != S_NAME) c = cmp_double_desc(x->self, y->self);
    return c ? c : strcmp(x->name, y->name);
}

/* Report options shared by report, compare and the interactive statistics. */
typedef struct {
    int sort, sort_given, group_by, verbose, json, limit;
    double min_count, threshold;       /* < 0: not given */
    const char *filter, *save;
    removal *rm;
    size_t nrm;
    double max_increase;               /* < 0: not given */
} options;

/* Does a row with these values pass --filter, --min-count and --threshold-bytes? */
static int passes(const options *o, const char *name, double count, double self, int counts_known)
{
    if (o->filter && !strstr(name, o->filter)) return 0;
    if (o->min_count >= 0 && counts_known && count < o->min_count) return 0;
    if (o->threshold >= 0 && self < o->threshold) return 0;
    return 1;
}

/* Sorts t's rows (leaf_of is remapped) and marks the rows that pass the filters. */
static void table_sort_filter(table *t, const options *o)
{
    size_t i, *where = xmalloc((t->n + 1) * sizeof *where);
    for (i = 0; i < t->n; i++) t->rows[i].keep = (int)i;
    g_sort = o->sort;
    if (t->n > 1) qsort(t->rows, t->n, sizeof *t->rows, row_cmp); /* rows is NULL when n is 0 */
    for (i = 0; i < t->n; i++) where[t->rows[i].keep] = i;
    for (i = 0; i < t->n; i++)
        t->rows[i].keep = passes(o, t->rows[i].name, t->rows[i].count, t->rows[i].self, t->counts_known);
    for (i = 0; i < t->nstacks; i++) t->leaf_of[i] = (uint32_t)where[t->leaf_of[i]];
    free(where);
}

/* ======================================================================== text formatting */

static int g_raw;   /* -v: exact integers instead of human units */

/* Formats v in unit (ns: ns/us/ms/s; bytes: B/KiB/MiB/GiB; else plain) into a static ring. */
static const char *fmt_value(double v, const char *unit)
{
    static char ring[8][48];
    static int k;
    char *b = ring[k++ & 7];
    double a = fabs(v);
    if (g_raw || (strcmp(unit, "ns") && strcmp(unit, "bytes"))) {
        if (v == floor(v) && a < 1e18) snprintf(b, 48, "%.0f", v);
        else snprintf(b, 48, "%.2f", v);
    } else if (!strcmp(unit, "ns")) {
        if (a < 1e3) snprintf(b, 48, "%.0f ns", v);
        else if (a < 1e6) snprintf(b, 48, "%.2f us", v / 1e3);
        else if (a < 1e9) snprintf(b, 48, "%.2f ms", v / 1e6);
        else snprintf(b, 48, "%.3f s", v / 1e9);
    } else {
        if (a < 1024) snprintf(b, 48, "%.0f B", v);
        else if (a < 1048576.0) snprintf(b, 48, "%.1f KiB", v / 1024);
        else if (a < 1073741824.0) snprintf(b, 48, "%.1f MiB", v / 1048576.0);
        else snprintf(b, 48, "%.2f GiB", v / 1073741824.0);
    }
    return b;
}

static const char *fmt_count(double v, int known)
{
    static char ring[4][32];
    static int k;
    char *b = ring[k++ & 3];
    if (!known) return "-";
    snprintf(b, 32, "%.0f", v);
    return b;
}

static double pct(double part, double whole) { return whole > 0 ? 100.0 * part / whole : 0; }

/* Prints the metadata tokens and the totals line of a profile. */
static void print_header(const profile *p, const table *t, FILE *o)
{
    size_t i;
    int mem = is_memory_kind(p->kind);
    fprintf(o, "%sProfile:%s %s (%s, unit %s)\n", AT_BOLD, AT_RESET, tx(p->path), kind_label[p->kind], tx(p->unit));
    if (p->nmeta) {
        fprintf(o, "%s", AT_DIM);
        for (i = 0; i < p->nmeta; i++) fprintf(o, "%s%s=%s", i ? " " : "  ", tx(p->meta[i].k), tx(p->meta[i].v));
        fprintf(o, "%s\n", AT_RESET);
    }
    fprintf(o, "Total: %s%s%s in %zu stacks, %zu %ss, %s %s\n", AT_BOLD, fmt_value(t->grand_self, p->unit),
            AT_RESET, p->stacks.n, t->n, group_names[t->group_by],
            fmt_count(t->grand_count, t->counts_known), mem ? "allocations" : "calls");
    if (!t->counts_known)
        fprintf(o, "%s  (no %s file: counts unknown)%s\n", AT_DIM, mem ? "-memory_calls" : "-calls", AT_RESET);
    if (mem) {
        static const char *const keys[] = { "allocations", "deallocations", "bytes", "peak", "current", NULL };
        int any = 0;
        for (i = 0; keys[i]; i++) {
            const char *v = meta_get(p, keys[i]);
            if (!v) continue;
            fprintf(o, "%s%s=%s", any ? "  " : "Totals: ", keys[i],
                    strcmp(keys[i], "allocations") && strcmp(keys[i], "deallocations") && !g_raw
                        ? fmt_value(atof(v), "bytes") : tx(v));
            any = 1;
        }
        if (any) fprintf(o, "\n");
    }
}

/* Collects, for every kept row among the first limit rows, its biggest stacks (for -vvv). */
static size_t **top_stacks(const profile *p, const table *t, size_t nshow, size_t per)
{
    size_t **top = xmalloc((nshow + 1) * sizeof *top), i, j;
    for (i = 0; i < nshow; i++) { top[i] = xmalloc((per + 1) * sizeof **top); top[i][0] = 0; }
    for (i = 0; i < p->stacks.n; i++) {
        size_t r = t->leaf_of[i], *l, k;
        if (r >= nshow) continue;
        l = top[r];
        k = l[0];
        if (k < per) l[++k] = i, l[0] = k;
        else if (p->f[F_SELF][i] > p->f[F_SELF][l[k]]) l[k] = i;
        else continue;
        for (j = k; j > 1 && p->f[F_SELF][l[j]] > p->f[F_SELF][l[j - 1]]; j--) {
            size_t x = l[j]; l[j] = l[j - 1]; l[j - 1] = x;
        }
    }
    return top;
}

/* Number of rows shown: kept rows, at most limit (0 = all). Rows past the last shown are
 * not shown; returns the index bound nshow (rows[0..nshow) hold every shown row). */
static size_t shown_bound(const table *t, int limit, size_t *nshown)
{
    size_t i, k = 0;
    for (i = 0; i < t->n; i++) {
        if (!t->rows[i].keep) continue;
        if (limit > 0 && k == (size_t)limit) break;
        k++;
    }
    *nshown = k;
    return i;
}

static void print_row_text(const profile *p, const table *t, const row *r, size_t rank, const options *o, FILE *out)
{
    int mem = is_memory_kind(p->kind);
    double avg = r->count > 0 ? (mem ? r->self : r->total) / r->count : 0;
    fprintf(out, "%4zu %10s %12s %7.2f%% %12s %7.2f%% %12s  %s%s%s", rank, fmt_count(r->count, t->counts_known),
            fmt_value(mem ? r->self : r->total, p->unit), pct(mem ? r->self : r->total, t->grand_self),
            fmt_value(mem ? r->total : r->self, p->unit), pct(mem ? r->total : r->self, t->grand_self),
            t->counts_known && r->count > 0 ? fmt_value(avg, p->unit) : "-", AT_CYAN, tx(r->name), AT_RESET);
    if (o->verbose >= 2 && r->file) {
        if (r->line) fprintf(out, "  %s(%s:%ld)%s", AT_DIM, tx(r->file), r->line, AT_RESET);
        else fprintf(out, "  %s(%s)%s", AT_DIM, tx(r->file), AT_RESET);
    }
    fputc('\n', out);
}

/* The text report: header, then one line per shown row; -vvv adds the biggest stacks. */
static void report_text(const profile *p, const table *t, const options *o, FILE *out)
{
    int mem = is_memory_kind(p->kind);
    size_t i, rank = 0, nshown, bound = shown_bound(t, o->limit, &nshown), **top = NULL;
    print_header(p, t, out);
    if (o->verbose >= 3) top = top_stacks(p, t, bound, 5);
    fprintf(out, "\n%s%4s %10s %12s %8s %12s %8s %12s  %s%s\n", AT_BOLD, "#", mem ? "Allocs" : "Calls",
            mem ? "Bytes" : "Total", mem ? "Bytes%" : "Total%", mem ? "Incl" : "Self",
            mem ? "Incl%" : "Self%", mem ? "Avg size" : "Avg/call", group_names[t->group_by], AT_RESET);
    for (i = 0; i < bound; i++) {
        const row *r = &t->rows[i];
        size_t j;
        if (!r->keep) continue;
        print_row_text(p, t, r, ++rank, o, out);
        for (j = 1; top && j <= top[i][0]; j++) {
            size_t s = top[i][j];
            fprintf(out, "       %s%12s%s  %s\n", AT_DIM, fmt_value(p->f[F_SELF][s], p->unit), AT_RESET,
                    tx(p->stacks.str[s]));
        }
    }
    if (nshown < t->n)
        fprintf(out, "%s(%zu of %zu %ss shown)%s\n", AT_DIM, nshown, t->n, group_names[t->group_by], AT_RESET);
    if (top) { for (i = 0; i < bound; i++) free(top[i]); free(top); }
}

/* ======================================================================== JSON report */

static void json_meta_number(FILE *o, const profile *p, const char *key, int have, double fallback)
{
    const char *v = meta_get(p, key);
    char *e;
    double d;
    fprintf(o, ",\n    \"%s\": ", key);
    if (v) { d = strtod(v, &e); if (*e == 0 && e != v) { aj_number(o, d); return; } }
    if (have) aj_number(o, fallback);
    else fputs("null", o);
}

/* The totals object: value (sum of the profile's values), count, stacks, rows, and the
 * memory totals from the metadata line (computed from the data where possible, else null). */
static void json_totals(FILE *o, const profile *p, const table *t)
{
    int mem = is_memory_kind(p->kind);
    fputs("  \"totals\": {\n    \"value\": ", o);
    aj_number(o, t->grand_self);
    fputs(",\n    \"count\": ", o);
    if (t->counts_known) aj_number(o, t->grand_count); else fputs("null", o);
    fprintf(o, ",\n    \"stacks\": %zu,\n    \"rows\": %zu", p->stacks.n, t->n);
    json_meta_number(o, p, "allocations", mem && t->counts_known, t->grand_count);
    json_meta_number(o, p, "deallocations", 0, 0);
    json_meta_number(o, p, "bytes", mem, t->grand_self);
    json_meta_number(o, p, "peak", 0, 0);
    json_meta_number(o, p, "current", 0, 0);
    fputs("\n  },\n", o);
}

static void json_row(FILE *o, const profile *p, const table *t, const row *r, size_t **top, size_t i)
{
    int mem = is_memory_kind(p->kind);
    size_t j;
    fputs("    {\"name\": ", o);
    aj_cstring(o, r->name);
    fputs(", \"file\": ", o);
    aj_cstring(o, r->file);
    fputs(", \"line\": ", o);
    if (r->line) fprintf(o, "%ld", r->line); else fputs("null", o);
    fputs(", \"count\": ", o);
    if (t->counts_known) aj_number(o, r->count); else fputs("null", o);
    fputs(", \"self\": ", o); aj_number(o, r->self);
    fputs(", \"total\": ", o); aj_number(o, r->total);
    fputs(", \"average\": ", o);
    if (t->counts_known && r->count > 0) aj_number(o, (mem ? r->self : r->total) / r->count);
    else fputs("null", o);
    fputs(", \"self_percent\": ", o); aj_number(o, pct(r->self, t->grand_self));
    fputs(", \"total_percent\": ", o); aj_number(o, pct(r->total, t->grand_self));
    if (top) {
        fputs(", \"stacks\": [", o);
        for (j = 1; j <= top[i][0]; j++) {
            size_t s = top[i][j];
            fputs(j > 1 ? ", {\"stack\": " : "{\"stack\": ", o);
            aj_string(o, p->stacks.str[s], p->stacks.len[s]);
            fputs(", \"value\": ", o);
            aj_number(o, p->f[F_SELF][s]);
            fputs("}", o);
        }
        fputs("]", o);
    }
    fputs("}", o);
}

static void json_filters(FILE *o, const options *opt)
{
    size_t i;
    fputs("  \"filters\": {\"filter\": ", o);
    aj_cstring(o, opt->filter);
    fputs(", \"min_count\": ", o);
    if (opt->min_count >= 0) aj_number(o, opt->min_count); else fputs("null", o);
    fputs(", \"threshold_bytes\": ", o);
    if (opt->threshold >= 0) aj_number(o, opt->threshold); else fputs("null", o);
    fputs(", \"limit\": ", o);
    if (opt->limit > 0) fprintf(o, "%d", opt->limit); else fputs("null", o);
    fputs(", \"remove\": [", o);
    for (i = 0; i < opt->nrm; i++) {
        fputs(i ? ", {\"pattern\": " : "{\"pattern\": ", o);
        aj_cstring(o, opt->rm[i].pat);
        fprintf(o, ", \"with_children\": %s}", opt->rm[i].with_children ? "true" : "false");
    }
    fputs("]},\n", o);
}

static const char *const sort_names[] = { "total", "self", "count", "name", NULL };

/* The JSON report (schema in docs/analyze.md and tests/analyze/report.schema.json). */
static void report_json(const profile *p, const table *t, const options *o, FILE *out)
{
    size_t i, nshown, bound = shown_bound(t, o->limit, &nshown), **top = NULL, k = 0;
    fprintf(out, "{\n  \"schema\": \"thag-analyze/report\",\n  \"version\": %d,\n  \"tool_version\": \"%s\",\n",
            SCHEMA_VERSION, ANALYZE_VERSION);
    fputs("  \"file\": ", out); aj_cstring(out, p->path);
    fprintf(out, ",\n  \"kind\": \"%s\",\n  \"unit\": ", kind_label[p->kind]);
    aj_cstring(out, p->unit);
    fprintf(out, ",\n  \"group_by\": \"%s\",\n  \"sort_by\": \"%s\",\n  \"counts_known\": %s,\n",
            group_names[t->group_by], sort_names[o->sort], t->counts_known ? "true" : "false");
    fputs("  \"metadata\": {", out);
    for (i = 0; i < p->nmeta; i++) {
        fputs(i ? ", " : "", out);
        aj_cstring(out, p->meta[i].k); fputs(": ", out); aj_cstring(out, p->meta[i].v);
    }
    fputs("},\n", out);
    json_totals(out, p, t);
    json_filters(out, o);
    if (o->verbose >= 3) top = top_stacks(p, t, bound, 5);
    fputs("  \"rows\": [", out);
    for (i = 0; i < bound; i++) {
        if (!t->rows[i].keep) continue;
        fputs(k++ ? ",\n" : "\n", out);
        json_row(out, p, t, &t->rows[i], top, i);
    }
    fputs(k ? "\n  ]\n}\n" : "]\n}\n", out);
    if (top) { for (i = 0; i < bound; i++) free(top[i]); free(top); }
}

/* ======================================================================== options */

static void usage(FILE *o)
{
    fputs("usage: thag-analyze [DIR]                       interactive (default: current directory)\n"
          "       thag-analyze FILE                        the same as: thag-analyze report FILE\n"
          "       thag-analyze report FILE [options]       statistics of one profile\n"
          "       thag-analyze compare BASE CUR [options]  per-site deltas (profiles or baselines)\n"
          "       thag-analyze chart MASSIF [--svg OUT]    memory over time (<p>-<ts>-massif.out)\n"
          "options:\n"
          "  --sort-by time|size|count|name|self|total   order of the rows\n"
          "  --group-by function|file|module             what a row is (default function)\n"
          "  --min-count N          drop rows called/allocating fewer than N times\n"
          "  --threshold-bytes N    drop rows whose own value (bytes, ns) is below N\n"
          "  --limit N              show the first N rows\n"
          "  --filter STR           keep rows whose name contains STR\n"
          "  --remove PAT           cut matching frames out of every stack (children kept)\n"
          "  --remove-tree PAT      drop matching frames with everything they called\n"
          "  -v, -vv, -vvv          exact values; + source locations; + biggest stacks\n"
          "  --format text|json     output format (default text)\n"
          "  -o, --output FILE      write to FILE, not stdout\n"
          "  --save FILE            report: also save every row as a JSON baseline\n"
          "  --max-increase PCT     compare: exit 1 if a site or the total grew more than PCT%\n"
          "  -h, --help, --version\n"
          "See docs/analyze.md for the details and the JSON schema.\n", o);
}

static int lookup(const char *const *names, const char *s)
{
    int i;
    for (i = 0; names[i]; i++)
        if (!strcmp(names[i], s)) return i;
    return -1;
}

static double parse_number(const char *opt, const char *s)
{
    char *e;
    double v;
    errno = 0;
    v = s ? strtod(s, &e) : -1;
    if (!s || e == s || *e || errno || v < 0 || v != v) {
        fprintf(stderr, "thag-analyze: %s needs a number >= 0 (got '%s')\n", opt, s ? s : "");
        exit(EXIT_ERR);
    }
    return v;
}

/* A row count: a number >= 0; counts beyond INT_MAX mean "all of them" (a cast of a bigger
   double to int would be undefined). */
static int parse_count(const char *opt, const char *s)
{
    double v = parse_number(opt, s);
    return v >= (double)INT_MAX ? INT_MAX : (int)v;
}

static int parse_sort(const char *s)
{
    static const char *const names[] = { "time", "size", "count", "name", "self", "total", "bytes", NULL };
    static const int map[] = { S_TOTAL, S_SELF, S_COUNT, S_NAME, S_SELF, S_TOTAL, S_SELF };
    int i = s ? lookup(names, s) : -1;
    if (i < 0) { fprintf(stderr, "thag-analyze: --sort-by takes time, size, count, name, self or total\n"); exit(EXIT_ERR); }
    return map[i];
}

static void add_removal(options *o, const char *pat, int with_children)
{
    if (!pat || !*pat) { fprintf(stderr, "thag-analyze: --remove needs a name or pattern\n"); exit(EXIT_ERR); }
    o->rm = xrealloc(o->rm, (o->nrm + 1) * sizeof *o->rm);
    o->rm[o->nrm].pat = xstrdup(pat);
    o->rm[o->nrm].with_children = with_children;
    o->nrm++;
}

static void options_init(options *o)
{
    memset(o, 0, sizeof *o);
    o->min_count = o->threshold = o->max_increase = -1;
    o->sort = S_TOTAL;
    o->group_by = -1;
}

/* --format text|json: 1 for json. */
static int parse_format(const char *opt, const char *v)
{
    if (!v || (strcmp(v, "json") && strcmp(v, "text"))) {
        fprintf(stderr, "thag-analyze: %s takes text or json\n", opt);
        exit(EXIT_ERR);
    }
    return !strcmp(v, "json");
}

/* -o FILE: the report goes to FILE, as -o means in every tool. "-o text" and "-o json" were
 * the format once and still are, with a note (a file of that name: -o ./json). */
static void output_to(options *o, const char *opt, const char *v)
{
    if (v && (!strcmp(v, "json") || !strcmp(v, "text"))) {
        fprintf(stderr, "thag-analyze: note: '%s %s' is the old spelling of --format %s; %s names "
                "the output file (./%s for a file of that name)\n", opt, v, v, opt, v);
        o->json = !strcmp(v, "json");
        return;
    }
    if (!v || !*v) { fprintf(stderr, "thag-analyze: %s needs a file name\n", opt); exit(EXIT_ERR); }
    if (!freopen(v, "w", stdout)) {
        fprintf(stderr, "thag-analyze: cannot write %s: %s\n", v, strerror(errno));
        exit(EXIT_ERR);
    }
}

/* Parses argv[i..]: options anywhere, other words into pos (at most maxpos). Exits with 2 on
 * a usage error. Returns the number of positional arguments. */
static int parse_options(int argc, char **argv, int i, options *o, char **pos, int maxpos)
{
    int np = 0;
    for (; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) o->verbose++;
        else if (!strcmp(a, "-vv")) o->verbose += 2;
        else if (!strcmp(a, "-vvv")) o->verbose += 3;
        else if (!strcmp(a, "--sort-by")) { o->sort = parse_sort(v); o->sort_given = 1; i++; }
        else if (!strcmp(a, "--group-by")) {
            if ((o->group_by = v ? lookup(group_names, v) : -1) < 0) {
                fprintf(stderr, "thag-analyze: --group-by takes function, file or module\n"); exit(EXIT_ERR); }
            i++;
        }
        else if (!strcmp(a, "--min-count")) { o->min_count = parse_number(a, v); i++; }
        else if (!strcmp(a, "--threshold-bytes")) { o->threshold = parse_number(a, v); i++; }
        else if (!strcmp(a, "--limit")) { o->limit = parse_count(a, v); i++; }
        else if (!strcmp(a, "--max-increase")) { o->max_increase = parse_number(a, v); i++; }
        else if (!strcmp(a, "--filter")) { if (!v) { usage(stderr); exit(EXIT_ERR); } o->filter = v; i++; }
        else if (!strcmp(a, "--save")) { if (!v) { usage(stderr); exit(EXIT_ERR); } o->save = v; i++; }
        else if (!strcmp(a, "--remove")) { add_removal(o, v, 0); i++; }
        else if (!strcmp(a, "--remove-tree")) { add_removal(o, v, 1); i++; }
        else if (!strcmp(a, "--format")) { o->json = parse_format(a, v); i++; }
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) { output_to(o, a, v); i++; }
        else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "thag-analyze: unknown option: %s\nTry 'thag-analyze --help'.\n", a);
            exit(EXIT_ERR);
        }
        else if (np < maxpos) pos[np++] = argv[i];
        else { fprintf(stderr, "thag-analyze: unexpected argument %s\n", a); usage(stderr); exit(EXIT_ERR); }
    }
    return np;
}

/* Loads path and applies the removals; 0 or -1. */
static int load_filtered(profile *p, const char *path, const options *o)
{
    profile raw;
    if (profile_load(&raw, path)) return -1;
    if (!o->nrm) { *p = raw; return 0; }
    apply_removals(p, &raw, o->rm, o->nrm);
    profile_free(&raw);
    return 0;
}

/* Writes the baseline: the JSON report of every row (no filter or limit), to path. */
static int save_baseline(const profile *p, const table *t, const options *o, const char *path)
{
    options all = *o;
    table copy = *t;
    FILE *f = fopen(path, "w");
    size_t i;
    if (!f) { fprintf(stderr, "thag-analyze: cannot write %s: %s\n", path, strerror(errno)); return -1; }
    all.filter = NULL; all.min_count = all.threshold = -1; all.limit = 0; all.verbose = 0;
    copy.rows = xmalloc((t->n + 1) * sizeof *copy.rows);
    if (t->n) memcpy(copy.rows, t->rows, t->n * sizeof *copy.rows);
    for (i = 0; i < t->n; i++) copy.rows[i].keep = 1;
    report_json(p, &copy, &all, f);
    free(copy.rows);
    if (fclose(f) != 0) { fprintf(stderr, "thag-analyze: cannot write %s\n", path); return -1; }
    return 0;
}

static int cmd_report(int argc, char **argv)
{
    options o;
    char *pos[1];
    profile p;
    table t;
    int rc = 0;
    options_init(&o);
    if (parse_options(argc, argv, 2, &o, pos, 1) != 1) { usage(stderr); return EXIT_ERR; }
    g_raw = o.verbose >= 1;
    if (load_filtered(&p, pos[0], &o)) return EXIT_ERR;
    if (!o.sort_given && is_memory_kind(p.kind)) o.sort = S_SELF;
    if (o.group_by < 0) o.group_by = G_FUNC;
    aggregate(&t, &p, o.group_by);
    if (o.min_count >= 0 && !t.counts_known)
        fprintf(stderr, "thag-analyze: warning: --min-count ignored: %s has no counts file\n", p.path);
    table_sort_filter(&t, &o);
    if (o.json) report_json(&p, &t, &o, stdout); else report_text(&p, &t, &o, stdout);
    if (o.save && save_baseline(&p, &t, &o, o.save)) rc = EXIT_ERR;
    table_free(&t);
    profile_free(&p);
    return rc;
}

/* ======================================================================== compare */

typedef struct { const char *name; double count, value; } site;

/* One side of a comparison: the sites (rows) of a profile or of a saved baseline. */
typedef struct {
    char *label;
    site *s;
    size_t n;
    int counts_known, group_by, memory;
    char unit[16];
} siteset;

static char *read_whole(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, len = 0, got;
    if (!f) { fprintf(stderr, "thag-analyze: %s: %s\n", path, strerror(errno)); return NULL; }
    do {
        if (cap - len < 65536) { cap = cap ? cap * 2 : 65536 * 2; buf = xrealloc(buf, cap); }
        got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
    } while (got > 0);
    fclose(f);
    buf[len] = 0;
    *n = len;
    return buf;
}

/* A baseline is a JSON object: '{' then '"' or '}' (blanks aside). A folded file may start
 * with '{' too (a frame "{closure};main 5", found by tests/fuzz): it is read as a profile. */
static int is_baseline(const char *path)
{
    FILE *f = fopen(path, "rb");
    int c, c2 = 0;
    if (!f) return 0;
    do c = fgetc(f); while (c == ' ' || c == '\n' || c == '\t' || c == '\r');
    if (c == '{') do c2 = fgetc(f); while (c2 == ' ' || c2 == '\n' || c2 == '\t' || c2 == '\r');
    fclose(f);
    return c == '{' && (c2 == '"' || c2 == '}');
}

static int baseline_fail(const char *path, const char *what)
{
    fprintf(stderr, "thag-analyze: %s: not a thag-analyze baseline (%s)\n", path, what);
    return -1;
}

/* Loads a baseline written by --save into ss. 0, or -1 with a message. */
static int load_baseline(siteset *ss, const char *path)
{
    size_t n, i, at;
    char *text = read_whole(path, &n);
    const char *err;
    aj_value doc;
    const aj_value *rows, *v, *u, *g, *k;
    if (!text) return -1;
    if (aj_parse(text, n, &doc, &err, &at)) {
        fprintf(stderr, "thag-analyze: %s: invalid JSON at byte %zu: %s\n", path, at, err);
        free(text);
        return -1;
    }
    free(text);
    v = aj_get(&doc, "schema");
    rows = aj_get(&doc, "rows");
    u = aj_get(&doc, "unit");
    g = aj_get(&doc, "group_by");
    k = aj_get(&doc, "kind");
    if (!v || v->type != AJ_STR || strcmp(v->str, "thag-analyze/report")) { aj_free(&doc); return baseline_fail(path, "no \"schema\": \"thag-analyze/report\""); }
    v = aj_get(&doc, "version");
    if (!v || v->type != AJ_NUM || v->num > SCHEMA_VERSION) { aj_free(&doc); return baseline_fail(path, "unsupported version"); }
    if (!rows || rows->type != AJ_ARR || !u || u->type != AJ_STR || !g || g->type != AJ_STR || lookup(group_names, g->str) < 0) {
        aj_free(&doc); return baseline_fail(path, "missing rows, unit or group_by"); }
    ss->label = xstrdup(path);
    snprintf(ss->unit, sizeof ss->unit, "%s", u->str);
    ss->group_by = lookup(group_names, g->str);
    ss->memory = k && k->type == AJ_STR && (!strncmp(k->str, "memory", 6) || !strcmp(k->str, "deallocations"));
    ss->counts_known = 1;
    ss->s = xmalloc((rows->n + 1) * sizeof *ss->s);
    for (i = 0; i < rows->n; i++) {
        const aj_value *nm = aj_get(&rows->items[i], "name"), *c = aj_get(&rows->items[i], "count"),
                       *sv = aj_get(&rows->items[i], "self");
        if (!nm || nm->type != AJ_STR || !sv || sv->type != AJ_NUM) {
            aj_free(&doc); free(ss->s); free(ss->label); ss->s = NULL; ss->label = NULL;
            return baseline_fail(path, "a row lacks name or self");
        }
        ss->s[i].name = arena_copy(nm->str, strlen(nm->str));
        ss->s[i].value = sv->num;
        ss->s[i].count = c && c->type == AJ_NUM ? c->num : 0;
        if (!c || c->type != AJ_NUM) ss->counts_known = 0;
    }
    ss->n = rows->n;
    aj_free(&doc);
    return 0;
}

/* Loads one side of a comparison: a baseline, or a profile aggregated by group_by. */
static int load_side(siteset *ss, const char *path, const options *o, int group_by)
{
    profile p;
    table t;
    size_t i;
    memset(ss, 0, sizeof *ss);
    if (is_baseline(path)) return load_baseline(ss, path);
    if (load_filtered(&p, path, o)) return -1;
    aggregate(&t, &p, group_by);
    ss->label = xstrdup(path);
    ss->group_by = group_by;
    ss->counts_known = t.counts_known;
    ss->memory = is_memory_kind(p.kind);
    memcpy(ss->unit, p.unit, sizeof ss->unit);
    ss->s = xmalloc((t.n + 1) * sizeof *ss->s);
    for (i = 0; i < t.n; i++) {
        ss->s[i].name = t.rows[i].name;      /* interned in the arena: outlives the table */
        ss->s[i].count = t.rows[i].count;
        ss->s[i].value = t.rows[i].self;
    }
    ss->n = t.n;
    table_free(&t);
    profile_free(&p);
    return 0;
}

typedef struct { const char *name; double bc, bv, cc, cv; int in_base, in_cur; } delta;

static int delta_cmp(const void *a, const void *b)
{
    const delta *x = a, *y = b;
    int c = cmp_double_desc(fabs(x->cv - x->bv), fabs(y->cv - y->bv));
    return c ? c : strcmp(x->name, y->name);
}

/* Growth in percent from a to b (infinite when a is 0 and b is not). */
static double growth(double a, double b)
{
    if (a == 0) return b > 0 ? INFINITY : 0;
    return 100.0 * (b - a) / a;
}

/* Joins the two sides by name, keeps the sites where either side passes the filters (so a
 * site filtered out on one side only is shown with both values, never as added/removed).
 * Rows with nothing of their own on either side (callers only: zero value and count) are
 * not sites and are left out. */
static delta *join_sites(const siteset *b, const siteset *c, const options *o, int counts, size_t *nd)
{
    strtab names;
    delta *d = NULL;
    size_t i, n = 0, k;
    memset(&names, 0, sizeof names);
    d = xmalloc((b->n + c->n + 1) * sizeof *d);
    for (k = 0; k < 2; k++) {
        const siteset *s = k ? c : b;
        for (i = 0; i < s->n; i++) {
            long id = strtab_get(&names, s->s[i].name, strlen(s->s[i].name), 1);
            if ((size_t)id == n) { memset(&d[n], 0, sizeof d[n]); d[n].name = s->s[i].name; n++; }
            if (k) { d[id].cc += s->s[i].count; d[id].cv += s->s[i].value; d[id].in_cur = 1; }
            else { d[id].bc += s->s[i].count; d[id].bv += s->s[i].value; d[id].in_base = 1; }
        }
    }
    strtab_free(&names);
    for (i = k = 0; i < n; i++)
        if ((d[i].bv != 0 || d[i].cv != 0 || d[i].bc != 0 || d[i].cc != 0) &&
            (passes(o, d[i].name, d[i].bc, d[i].bv, counts) || passes(o, d[i].name, d[i].cc, d[i].cv, counts)))
            d[k++] = d[i];
    qsort(d, k, sizeof *d, delta_cmp);
    *nd = k;
    return d;
}

static const char *status_of(const delta *d)
{
    if (!d->in_base) return "added";
    if (!d->in_cur) return "removed";
    return d->cv > d->bv ? "grown" : d->cv < d->bv ? "shrunk" : "same";
}

static const char *fmt_change(double g)
{
    static char ring[4][32];
    static int k;
    char *b = ring[k++ & 3];
    if (isinf(g)) return "new";
    snprintf(b, 32, "%+.1f%%", g);
    return b;
}

/* Checks the --max-increase gate; prints each violation (text mode) and returns 1 if any. */
static int gate(const delta *d, size_t n, const delta *tot, const options *o, int counts, FILE *out)
{
    size_t i;
    int failed = 0, k;
    if (o->max_increase < 0) return 0;
    for (i = 0; i <= n; i++) {
        const delta *x = i < n ? &d[i] : tot;
        for (k = 0; k < 1 + counts; k++) {
            double g = k ? growth(x->bc, x->cc) : growth(x->bv, x->cv);
            if (g <= o->max_increase) continue;
            failed = 1;
            if (out) fprintf(out, "%sFAIL%s %s %s grew %s (limit +%g%%)\n", AT_RED, AT_RESET,
                             i < n ? tx(x->name) : "(total)", k ? "count" : "value", fmt_change(g), o->max_increase);
        }
    }
    return failed;
}

static void compare_text(const siteset *b, const siteset *c, const delta *d, size_t n, const delta *tot,
                         const options *o, int counts, FILE *out)
{
    size_t i;
    const char *u = c->unit;
    fprintf(out, "%sBase:%s    %s\n%sCurrent:%s %s\n(unit %s, grouped by %s)\n\n", AT_BOLD, AT_RESET, tx(b->label),
            AT_BOLD, AT_RESET, tx(c->label), tx(u), group_names[c->group_by]);
    fprintf(out, "%s%-8s %21s %9s %27s %13s %8s  %s%s\n", AT_BOLD, "Status", "Count base -> cur", "delta",
            "Value base -> cur", "delta", "change", "Name", AT_RESET);
    for (i = 0; i < n && (o->limit <= 0 || i < (size_t)o->limit); i++) {
        const delta *x = &d[i];
        const char *col = x->cv > x->bv ? AT_RED : x->cv < x->bv ? AT_GREEN : "";
        fprintf(out, "%s%-8s %10s -> %-7s %+9.0f %12s -> %-11s %13s %8s%s  %s\n", col, status_of(x),
                fmt_count(x->bc, counts), fmt_count(x->cc, counts), counts ? x->cc - x->bc : 0,
                fmt_value(x->bv, u), fmt_value(x->cv, u), fmt_value(x->cv - x->bv, u),
                fmt_change(growth(x->bv, x->cv)), AT_RESET, tx(x->name));
    }
    if (o->limit > 0 && n > (size_t)o->limit) fprintf(out, "%s(%d of %zu sites shown)%s\n", AT_DIM, o->limit, n, AT_RESET);
    fprintf(out, "%s%-8s %10s -> %-7s %+9.0f %12s -> %-11s %13s %8s%s\n", tot->cv > tot->bv ? AT_RED : AT_GREEN, "TOTAL",
            fmt_count(tot->bc, counts), fmt_count(tot->cc, counts), counts ? tot->cc - tot->bc : 0,
            fmt_value(tot->bv, u), fmt_value(tot->cv, u), fmt_value(tot->cv - tot->bv, u),
            fmt_change(growth(tot->bv, tot->cv)), AT_RESET);
}

static void json_delta(FILE *out, const delta *x, int counts, const char *status)
{
    fputs("\"status\": ", out); aj_cstring(out, status);
    fputs(", \"base_count\": ", out); if (counts) aj_number(out, x->bc); else fputs("null", out);
    fputs(", \"current_count\": ", out); if (counts) aj_number(out, x->cc); else fputs("null", out);
    fputs(", \"delta_count\": ", out); if (counts) aj_number(out, x->cc - x->bc); else fputs("null", out);
    fputs(", \"base_value\": ", out); aj_number(out, x->bv);
    fputs(", \"current_value\": ", out); aj_number(out, x->cv);
    fputs(", \"delta_value\": ", out); aj_number(out, x->cv - x->bv);
    fputs(", \"percent\": ", out); aj_number(out, growth(x->bv, x->cv));
}

static void compare_json(const siteset *b, const siteset *c, const delta *d, size_t n, const delta *tot,
                         const options *o, int counts, int failed, FILE *out)
{
    size_t i;
    fprintf(out, "{\n  \"schema\": \"thag-analyze/compare\",\n  \"version\": %d,\n  \"base\": ", SCHEMA_VERSION);
    aj_cstring(out, b->label);
    fputs(",\n  \"current\": ", out); aj_cstring(out, c->label);
    fputs(",\n  \"unit\": ", out); aj_cstring(out, c->unit);
    fprintf(out, ",\n  \"group_by\": \"%s\",\n  \"counts_known\": %s,\n  \"max_increase\": ", group_names[c->group_by],
            counts ? "true" : "false");
    if (o->max_increase >= 0) aj_number(out, o->max_increase); else fputs("null", out);
    fprintf(out, ",\n  \"failed\": %s,\n  \"totals\": {", failed ? "true" : "false");
    json_delta(out, tot, counts, tot->cv > tot->bv ? "grown" : tot->cv < tot->bv ? "shrunk" : "same");
    fputs("},\n  \"sites\": [", out);
    for (i = 0; i < n && (o->limit <= 0 || i < (size_t)o->limit); i++) {
        fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", out);
        aj_cstring(out, d[i].name);
        fputs(", ", out);
        json_delta(out, &d[i], counts, status_of(&d[i]));
        fputs("}", out);
    }
    fputs(i ? "\n  ]\n}\n" : "]\n}\n", out);
}

/* Compares BASE and CUR (profiles or baselines) under o; prints the result. Returns 0,
 * EXIT_GATE when --max-increase is exceeded, EXIT_ERR when an input cannot be used. */
static int compare_run(const char *bpath, const char *cpath, const options *o)
{
    siteset b, c;
    delta *d, tot;
    size_t n, i;
    int counts, failed, gb = o->group_by < 0 ? G_FUNC : o->group_by;
    if (load_side(&b, bpath, o, gb)) return EXIT_ERR;
    if (o->group_by < 0) gb = b.group_by;
    if (load_side(&c, cpath, o, gb)) { free(b.s); free(b.label); return EXIT_ERR; }
    if (b.group_by != c.group_by || strcmp(b.unit, c.unit)) {
        if (b.group_by != c.group_by)
            fprintf(stderr, "thag-analyze: cannot compare rows grouped by %s with rows grouped by %s\n",
                    group_names[b.group_by], group_names[c.group_by]);
        else
            fprintf(stderr, "thag-analyze: cannot compare %s (unit %s) with %s (unit %s)\n", b.label, b.unit, c.label, c.unit);
        free(b.s); free(c.s); free(b.label); free(c.label);
        return EXIT_ERR;
    }
    counts = b.counts_known && c.counts_known;
    d = join_sites(&b, &c, o, counts, &n);
    memset(&tot, 0, sizeof tot);
    for (i = 0; i < n; i++) { tot.bc += d[i].bc; tot.bv += d[i].bv; tot.cc += d[i].cc; tot.cv += d[i].cv; }
    failed = gate(d, n, &tot, o, counts, NULL);
    if (o->json) compare_json(&b, &c, d, n, &tot, o, counts, failed, stdout);
    else {
        compare_text(&b, &c, d, n, &tot, o, counts, stdout);
        gate(d, n, &tot, o, counts, stdout);
        if (o->max_increase >= 0)
            printf("%s%s%s\n", failed ? AT_RED : AT_GREEN, failed ? "Regression beyond the limit." : "Within the limit.", AT_RESET);
    }
    free(d); free(b.s); free(c.s); free(b.label); free(c.label);
    return failed ? EXIT_GATE : 0;
}

static int cmd_compare(int argc, char **argv)
{
    options o;
    char *pos[2];
    options_init(&o);
    if (parse_options(argc, argv, 2, &o, pos, 2) != 2) { usage(stderr); return EXIT_ERR; }
    g_raw = o.verbose >= 1;
    return compare_run(pos[0], pos[1], &o);
}

/* ======================================================================== profile listing */

/* A profile file found in the directory. */
typedef struct {
    char *path, *file, *program, *stamp;   /* stamp: yyyymmdd-HHMMSS, or the mtime so formatted */
    int kind;
    long long size;
    char tags[64];                         /* sibling files: +inclusive +calls ... */
} entry;

typedef struct { entry *e; size_t n; } listing;

static int str_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static const char other_program[] = "(other folded files)";

/* Programs in name order (other files last); newest first within a program. */
static int entry_cmp(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    int c = (x->program == other_program) - (y->program == other_program);
    if (!c) c = strcmp(x->program, y->program);
    if (!c) c = -strcmp(x->stamp, y->stamp);
    if (!c) c = x->kind - y->kind;
    return c ? c : strcmp(x->file, y->file);
}

/* Splits `<program>-<yyyymmdd>-<HHMMSS>[-<kind>].folded`; 0 when name does not follow it. */
static int split_name(const char *name, int kind, char **program, char **stamp)
{
    size_t n = strlen(name) - ext_len(name) - (kind == K_OTHER ? 0 : strlen(kind_suffix[kind])), i;
    if (kind == K_OTHER || n < 17 || name[n - 7] != '-' || name[n - 16] != '-') return 0;
    for (i = n - 15; i < n; i++)
        if (i != n - 7 && !isdigit((unsigned char)name[i])) return 0;
    *program = xstrndup(name, n - 16);
    *stamp = xstrndup(name + n - 15, 15);
    return 1;
}

static void add_tag(listing *l, const char *name, int kind)
{
    char *prog, *stamp;
    size_t i;
    if (!split_name(name, kind, &prog, &stamp)) return;
    for (i = 0; i < l->n; i++) {
        entry *e = &l->e[i];
        int owner = kind == K_MEMCALLS || kind == K_LIVE || kind == K_LIVEN || kind == K_PEAK || kind == K_TEMP ? K_MEM
                  : kind == K_DCALLS || kind == K_DLIVE || kind == K_DLIVEN ? K_DETAIL : K_TIME;
        if (!strcmp(e->program, prog) && !strcmp(e->stamp, stamp) && e->kind == owner) {
            size_t k = strlen(e->tags);
            snprintf(e->tags + k, sizeof e->tags - k, " +%s", kind_suffix[kind] + 1);
        }
    }
    free(prog); free(stamp);
}

static void list_add(listing *l, const char *dir, const char *name, const struct stat *st)
{
    int kind = kind_from_name(name);
    entry *e;
    char buf[32];
    l->e = xrealloc(l->e, (l->n + 1) * sizeof *l->e);
    e = &l->e[l->n++];
    memset(e, 0, sizeof *e);
    e->file = xstrdup(name);
    e->path = xmalloc(strlen(dir) + strlen(name) + 2);
    sprintf(e->path, "%s/%s", dir, name);
    e->kind = kind;
    e->size = (long long)st->st_size;
    if (!split_name(name, kind, &e->program, &e->stamp)) {
        struct tm tm;
        localtime_r(&st->st_mtime, &tm);
        strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
        e->program = (char *)other_program;
        e->stamp = xstrdup(buf);
        e->kind = K_OTHER;
    }
}

/* Reads DIR's folded files: primary files become entries, sibling files become their tags. */
static int list_dir(listing *l, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **aux = NULL;
    size_t naux = 0, i;
    memset(l, 0, sizeof *l);
    if (!d) { fprintf(stderr, "thag-analyze: %s: %s\n", dir, strerror(errno)); return -1; }
    while ((de = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;
        int k;
        if (!ext_len(de->d_name)) continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (stat(path, &st) || !S_ISREG(st.st_mode)) continue;
        k = kind_from_name(de->d_name);
        if (k == K_INCL || k == K_CALLS || k == K_TIMELINE || k == K_MEMCALLS || k == K_DCALLS || k == K_LIVE ||
            k == K_DLIVE || k == K_LIVEN || k == K_DLIVEN || k == K_PEAK || k == K_TEMP) { /* memory_peak, memory_temp: tags of the run's memory file */
            aux = xrealloc(aux, (naux + 1) * sizeof *aux);
            aux[naux++] = xstrdup(de->d_name);
        } else list_add(l, dir, de->d_name, &st);
    }
    closedir(d);
    qsort(aux, naux, sizeof *aux, str_cmp);
    for (i = 0; i < naux; i++) { add_tag(l, aux[i], kind_from_name(aux[i])); free(aux[i]); }
    free(aux);
    qsort(l->e, l->n, sizeof *l->e, entry_cmp);
    return 0;
}

static void list_free(listing *l)
{
    size_t i;
    for (i = 0; i < l->n; i++) {
        free(l->e[i].path); free(l->e[i].file); free(l->e[i].stamp);
        if (l->e[i].program != other_program) free(l->e[i].program);
    }
    free(l->e);
    memset(l, 0, sizeof *l);
}

static const char *fmt_size(long long n)
{
    static char b[32];
    if (n < 1024) snprintf(b, sizeof b, "%lld B", n);
    else if (n < 1048576) snprintf(b, sizeof b, "%.1f KiB", (double)n / 1024);
    else snprintf(b, sizeof b, "%.1f MiB", (double)n / 1048576);
    return b;
}

/* One line describing an entry (malloc'd). */
static char *entry_label(const entry *e)
{
    char *b = xmalloc(512);
    const char *s = e->stamp;
    snprintf(b, 512, "%s  %.4s-%.2s-%.2s %.2s:%.2s:%.2s  %-15s %10s  %s%s", tx(e->program), s, s + 4, s + 6, s + 9,
             s + 11, s + 13, kind_label[e->kind], fmt_size(e->size), tx(e->file), e->tags);
    return b;
}

/* Kind classes for the menus: 1 time, 2 memory. */
static int entry_class(const entry *e)
{
    if (e->kind == K_TIME || e->kind == K_WALL || e->kind == K_OTHER) return 1;
    if (e->kind == K_MEM || e->kind == K_DETAIL || e->kind == K_DEALLOC) return 2;
    return 0;
}

static int entry_visible(const entry *e, const char *filter, int cls)
{
    if (cls && entry_class(e) != cls) return 0;
    return !filter || !*filter || strstr(e->file, filter) != NULL;
}

/* Prints the listing grouped by program (newest first within a program). */
static void print_listing(const listing *l, const char *dir, const char *filter)
{
    size_t i, shown = 0;
    const char *prev = NULL;
    printf("%sProfiles in %s%s%s%s%s\n", AT_BOLD, tx(dir), filter && *filter ? " matching \"" : "",
           filter && *filter ? tx(filter) : "", filter && *filter ? "\"" : "", AT_RESET);
    for (i = 0; i < l->n; i++) {
        const entry *e = &l->e[i];
        const char *s = e->stamp;
        if (!entry_visible(e, filter, 0)) continue;
        if (!prev || strcmp(prev, e->program)) printf("%s%s%s\n", AT_CYAN, tx(e->program), AT_RESET);
        prev = e->program;
        printf("  %.4s-%.2s-%.2s %.2s:%.2s:%.2s  %-15s %10s  %s%s%s%s\n", s, s + 4, s + 6, s + 9, s + 11, s + 13,
               kind_label[e->kind], fmt_size(e->size), tx(e->file), AT_DIM, tx(e->tags), AT_RESET);
        shown++;
    }
    if (!shown) printf("  (no profiles%s)\n", filter && *filter ? " match the filter" : "");
}

/* ======================================================================== graphs, browser */

static const char *const schemes[] = { "hot", "mem", "io", "wakeup", "red", "green", "blue", "aqua", "yellow", "purple",
                                       "orange", NULL };

/* Interactive session state. */
typedef struct {
    const char *dir;
    listing list;
    char filter[256];
    char colors[32];          /* "" = the flamegraph tool's default for the profile */
    char tmpdir[4096];        /* where SVGs and filtered inputs go (created on first use) */
    options o;                /* removals and report options */
    int nsvg;
} session;

static void config_path(char *out, size_t n)
{
    const char *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");
    if (x && *x) snprintf(out, n, "%s/thag/analyze.conf", x);
    else snprintf(out, n, "%s/.config/thag/analyze.conf", h && *h ? h : ".");
}

static void config_load(session *s)
{
    char path[4096], line[256];
    FILE *f;
    config_path(path, sizeof path);
    if (!(f = fopen(path, "r"))) return;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!strncmp(line, "colors=", 7) && lookup(schemes, line + 7) >= 0)
            bfmt(s->colors, sizeof s->colors, "%s", line + 7);
    }
    fclose(f);
}

/* Creates the directories of path (mkdir -p of its parent). */
static void mkdirs_for(char *path)
{
    char *p;
    for (p = path + 1; *p; p++)
        if (*p == '/') { *p = 0; mkdir(path, 0755); *p = '/'; }
}

static void config_save(const session *s)
{
    char path[4096];
    FILE *f;
    config_path(path, sizeof path);
    mkdirs_for(path);
    if (!(f = fopen(path, "w"))) { printf("Cannot save %s: %s\n", path, strerror(errno)); return; }
    fprintf(f, "# thag-analyze settings\ncolors=%s\n", s->colors);
    fclose(f);
    printf("Colour scheme '%s' saved in %s\n", s->colors, path);
}

static int is_exec(const char *p) { return access(p, X_OK) == 0 && file_exists(p); }

/* The flamegraph tool: next to this executable, then $THAG_FLAMEGRAPH, then PATH. */
static int find_flamegraph(char *out, size_t n)
{
    char self[4096];
    const char *env = getenv("THAG_FLAMEGRAPH"), *path = getenv("PATH");
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    if (k > 0) {
        char *sl;
        self[k] = 0;
        if ((sl = strrchr(self, '/')) != NULL) { *sl = 0; bfmt(out, n, "%s/flamegraph", self); if (is_exec(out)) return 0; }
    }
    if (env && *env && is_exec(env)) { snprintf(out, n, "%s", env); return 0; }
    while (path && *path) {
        size_t l = strcspn(path, ":");
        snprintf(out, n, "%.*s/flamegraph", (int)l, path);
        if (l && is_exec(out)) return 0;
        path += l + (path[l] == ':');
    }
    return -1;
}

static int in_path(const char *prog)
{
    const char *path = getenv("PATH");
    char buf[4096];
    while (path && *path) {
        size_t l = strcspn(path, ":");
        snprintf(buf, sizeof buf, "%.*s/%s", (int)l, path, prog);
        if (l && is_exec(buf)) return 1;
        path += l + (path[l] == ':');
    }
    return 0;
}

/* Runs argv with stdin from /dev/null and stdout to out_path (or /dev/null); waits.
 * Returns the exit status, or -1 if it could not run. */
static int run(char *const *argv, const char *out_path)
{
    pid_t pid;
    int st;
    fflush(stdout);
    pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY), out = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0) _exit(127);
        dup2(in, 0); dup2(out, 1);
        if (!out_path) dup2(out, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    if (waitpid(pid, &st, 0) < 0) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Opens path in the browser: $THAG_BROWSER (a command, given the path as its argument), else
 * `open` (macOS) or `xdg-open` (when a display is set); otherwise just says where it is. */
static void open_in_browser(const char *path)
{
    const char *b = getenv("THAG_BROWSER");
    char *argv[6];
    printf("SVG written to %s\n", path);
    if (b && *b) {
        argv[0] = "/bin/sh"; argv[1] = "-c"; argv[2] = "exec $THAG_BROWSER \"$1\""; argv[3] = "sh";
        argv[4] = (char *)path; argv[5] = NULL;
    } else if (in_path("open") && !in_path("xdg-open")) {
        argv[0] = "open"; argv[1] = (char *)path; argv[2] = NULL;
    } else if (in_path("xdg-open") && (getenv("DISPLAY") || getenv("WAYLAND_DISPLAY"))) {
        argv[0] = "xdg-open"; argv[1] = (char *)path; argv[2] = NULL;
    } else {
        printf("No browser available: open the file above yourself.\n");
        return;
    }
    if (run(argv, NULL) != 0) printf("Could not start the browser (%s): open the file above yourself.\n", argv[0]);
    else printf("Opened in the browser.\n");
}

static int ensure_tmpdir(session *s)
{
    const char *t = getenv("TMPDIR");
    if (s->tmpdir[0]) return 0;
    snprintf(s->tmpdir, sizeof s->tmpdir, "%s/thag-analyze-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(s->tmpdir)) { printf("Cannot create a temporary directory: %s\n", strerror(errno)); s->tmpdir[0] = 0; return -1; }
    return 0;
}

/* Writes p's stacks as a folded file (the input of the flamegraph tool). */
static int write_folded(const profile *p, const char *path)
{
    FILE *f = fopen(path, "w");
    size_t i;
    if (!f) { printf("Cannot write %s: %s\n", path, strerror(errno)); return -1; }
    fprintf(f, "# thag_profiler %s: kind=filtered unit=%s\n", ANALYZE_VERSION, p->unit);
    for (i = 0; i < p->stacks.n; i++) {
        if (p->f[F_SELF][i] <= 0) continue;
        fwrite(p->stacks.str[i], 1, p->stacks.len[i], f);
        fprintf(f, " %.0f\n", p->f[F_SELF][i]);
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* Streams a timeline (chronological) file through the removals, keeping the line order. */
static int write_timeline(const char *src, const char *dst, const options *o)
{
    FILE *in = fopen(src, "rb"), *out;
    folded_reader *r;
    folded_line ln;
    char *buf = NULL;
    size_t cap = 0, on;
    if (!in) { printf("Cannot read %s: %s\n", src, strerror(errno)); return -1; }
    if (!(out = fopen(dst, "w"))) { fclose(in); printf("Cannot write %s\n", dst); return -1; }
    r = folded_open(in, src);
    while (folded_next(r, &ln) == 1) {
        folded_one_count(&ln); /* never differential input */
        if (ln.stack_len + 1 > cap) { cap = ln.stack_len + 1; buf = xrealloc(buf, cap); }
        if (!rewrite_stack(ln.stack, ln.stack_len, o->rm, o->nrm, buf, &on)) continue;
        fwrite(buf, 1, on, out);
        fprintf(out, " %.0f\n", ln.value);
    }
    folded_close(r);
    fclose(in);
    free(buf);
    return fclose(out) == 0 ? 0 : -1;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* The input the flamegraph tool gets for path: the file itself, or (with removals) a
 * filtered copy in the session's temporary directory. chart: the timeline sibling instead. */
static int graph_input(session *s, const char *path, int chart, char *out, size_t n)
{
    profile p;
    int rc;
    const char *src = path;
    char *tl = NULL;
    if (chart) {
        char *base = path_base(path);
        tl = sibling(base, "-timeline");
        if (!file_exists(tl)) { free(tl); tl = xmalloc(strlen(base) + 16); sprintf(tl, "%s-timeline.txt", base); }
        free(base);
        if (!file_exists(tl)) { printf("No timeline file (%s): a flamechart needs it.\n", tl); free(tl); return -1; }
        src = tl;
    }
    if (!s->o.nrm) { snprintf(out, n, "%s", src); free(tl); return 0; }
    if (ensure_tmpdir(s)) { free(tl); return -1; }
    bfmt(out, n, "%s/filtered-%d-%s", s->tmpdir, ++s->nsvg, base_name(src));
    if (chart) rc = write_timeline(src, out, &s->o);
    else if ((rc = load_filtered(&p, path, &s->o)) == 0) { rc = write_folded(&p, out); profile_free(&p); }
    free(tl);
    return rc;
}

/* Renders with the flamegraph tool and opens the SVG. mode: 0 graph, 1 chart, 2 diff
 * (path2 = the "after" profile). */
static void render(session *s, const char *path, const char *path2, int mode, const char *unit)
{
    char fg[4096], in1[4096], in2[4096], svg[4096], title[512];
    char *argv[16];
    int a = 0, rc;
    static const char *const what[] = { "flamegraph", "flamechart", "diff" };
    if (find_flamegraph(fg, sizeof fg)) { printf("The flamegraph tool was not found (next to thag-analyze, $THAG_FLAMEGRAPH, PATH).\n"); return; }
    if (graph_input(s, path, mode == 1, in1, sizeof in1)) return;
    if (mode == 2 && graph_input(s, path2, 0, in2, sizeof in2)) return;
    if (ensure_tmpdir(s)) return;
    bfmt(svg, sizeof svg, "%s/%.*s-%s-%d.svg", s->tmpdir, (int)(strlen(base_name(path)) - 7), base_name(path),
             what[mode], ++s->nsvg);
    if (mode == 2) snprintf(title, sizeof title, "%s -> %s", base_name(path), base_name(path2));
    else snprintf(title, sizeof title, "%s", base_name(path));
    argv[a++] = fg;
    if (mode == 1) argv[a++] = "--flamechart";
    if (mode == 2) argv[a++] = "--diff";
    if (s->colors[0]) { argv[a++] = "--colors"; argv[a++] = s->colors; }
    if (!strcmp(unit, "ns") || !strcmp(unit, "bytes") || !strcmp(unit, "calls")) { argv[a++] = "--countname"; argv[a++] = (char *)unit; }
    argv[a++] = "--title"; argv[a++] = title;
    argv[a++] = in1;
    if (mode == 2) argv[a++] = in2;
    argv[a] = NULL;
    rc = run(argv, svg);
    if (rc != 0) { printf("The flamegraph tool failed (status %d).\n", rc); return; }
    open_in_browser(svg);
}

/* ======================================================================== memory views */

/* The memory detail profile belonging to p: p itself when it is one, else its
 * -memory_detail sibling loaded into *tmp. NULL when there is none. */
static const profile *detail_of(const profile *p, profile *tmp, const options *o)
{
    char *d;
    const profile *r = NULL;
    if (p->kind == K_DETAIL) return p;
    d = sibling(p->base, "-memory_detail");
    if (file_exists(d) && load_filtered(tmp, d, o) == 0) r = tmp;
    free(d);
    return r;
}

static void bucket_label(int b, char *out, size_t n)
{
    double lo = b ? ldexp(1, b) : 0, hi = ldexp(1, b + 1) - 1;
    char l[24], h[24];
    if (lo >= 1048576) snprintf(l, sizeof l, "%.0fM", lo / 1048576); else if (lo >= 1024) snprintf(l, sizeof l, "%.0fK", lo / 1024); else snprintf(l, sizeof l, "%.0f", lo);
    if (hi >= 1048576) snprintf(h, sizeof h, "%.0fM", (hi + 1) / 1048576); else if (hi >= 1024) snprintf(h, sizeof h, "%.0fK", (hi + 1) / 1024); else snprintf(h, sizeof h, "%.0f", hi);
    bfmt(out, n, "%6s - %-6s", l, h);
}

/* Allocation size distribution in log2 buckets [2^b, 2^(b+1)), count and bytes, as bars.
 * Exact from the size frames of a detail file; otherwise each stack's allocations are put
 * in the bucket of its average size (bytes / count), which is approximate. */
static void print_distribution(const profile *p, const profile *detail)
{
    double cnt[NBUCKETS], byt[NBUCKETS], maxc = 0;
    int b, lo = NBUCKETS, hi = -1, exact = detail && detail->size_frames;
    size_t i;
    memset(cnt, 0, sizeof cnt); memset(byt, 0, sizeof byt);
    if (!exact && detail && detail->has[F_COUNT]) p = detail;
    if (exact) { memcpy(cnt, detail->bucket_count, sizeof cnt); memcpy(byt, detail->bucket_bytes, sizeof byt); }
    else if (!p->has[F_COUNT]) { printf("No allocation counts (no -memory_calls or -memory_detail_calls file): no size distribution.\n"); return; }
    else for (i = 0; i < p->stacks.n; i++) {
        double c = p->f[F_COUNT][i];
        if (c <= 0) continue;
        b = bucket_of(p->f[F_SELF][i] / c);
        cnt[b] += c; byt[b] += p->f[F_SELF][i];
    }
    for (b = 0; b < NBUCKETS; b++) if (cnt[b] > 0) { if (b < lo) lo = b; hi = b; if (cnt[b] > maxc) maxc = cnt[b]; }
    printf("%sAllocation size distribution%s (%s)\n", AT_BOLD, AT_RESET,
           exact ? "exact, from the size frames of the detail file"
                 : "approximate: each stack's allocations counted at its average size, bytes / count");
    if (hi < 0) { printf("  (no allocations)\n"); return; }
    printf("%s  %-15s %-40s %10s %12s%s\n", AT_BOLD, "size (bytes)", "allocations", "count", "bytes", AT_RESET);
    for (b = lo; b <= hi; b++) {
        char lab[48], bar[48];
        int w = maxc > 0 ? (int)(40.0 * cnt[b] / maxc + 0.5) : 0;
        if (cnt[b] > 0 && w == 0) w = 1;
        memset(bar, '#', (size_t)w); bar[w] = 0;
        bucket_label(b, lab, sizeof lab);
        printf("  %-15s %s%-40s%s %10.0f %12s\n", lab, AT_GREEN, bar, AT_RESET, cnt[b], fmt_value(byt[b], "bytes"));
    }
}

static int live_cmp_desc(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return cmp_double_desc(x[0], y[0]);
}

/* What was still allocated at exit, per allocating stack, biggest first: the library's
 * live-at-exit file (-memory_detail_live when the detail profile has one, else
 * -memory_live); else the metadata's current value alone. */
static void print_leaks(const profile *p, const profile *detail, int limit)
{
    const char *cur = meta_get(p, "current");
    double *pairs, total = 0;
    size_t i, n = 0;
    if (cur) printf("Live at exit (metadata current): %s\n", fmt_value(atof(cur), "bytes"));
    if (detail && detail->live_file) p = detail;
    if (!p->live_file) {
        printf("No -memory_live or -memory_detail_live file: the stacks of live memory are unknown.\n");
        return;
    }
    pairs = xmalloc((p->stacks.n + 1) * 2 * sizeof *pairs);
    for (i = 0; i < p->stacks.n; i++) {
        double live = p->f[F_LIVE][i];
        if (live <= 0) continue;
        pairs[2 * n] = live; pairs[2 * n + 1] = (double)i; n++;
        total += live;
    }
    qsort(pairs, n, 2 * sizeof *pairs, live_cmp_desc);
    printf("%sLive at exit (leaks): %s in %zu stack%s%s (per allocating stack, from the %s file)\n", AT_BOLD,
           fmt_value(total, "bytes"), n, n == 1 ? "" : "s", AT_RESET,
           p->kind == K_DETAIL ? "-memory_detail_live" : "-memory_live");
    for (i = 0; i < n && (limit <= 0 || i < (size_t)limit); i++) {
        size_t s = (size_t)pairs[2 * i + 1];
        printf("  %s%12s%s  %s\n", AT_RED, fmt_value(pairs[2 * i], "bytes"), AT_RESET, tx(p->stacks.str[s]));
    }
    free(pairs);
}

/* ======================================================================== interactive */

/* Lets the user pick a profile of class cls (1 time, 2 memory) among the listed ones that
 * match the session filter. Returns the path (owned by the listing) or NULL. */
static const char *pick_profile(session *s, int cls, const char *title)
{
    const char **items = xmalloc((s->list.n + 1) * sizeof *items);
    size_t *idx = xmalloc((s->list.n + 1) * sizeof *idx), i;
    int n = 0, c;
    const char *r = NULL;
    for (i = 0; i < s->list.n; i++)
        if (entry_visible(&s->list.e[i], s->filter, cls)) { items[n] = entry_label(&s->list.e[i]); idx[n++] = i; }
    if (n == 0) printf("No %s profiles%s in %s.\n", cls == 1 ? "time" : "memory", s->filter[0] ? " match the filter" : "", s->dir);
    else if ((c = at_menu(title, items, n)) >= 0) r = s->list.e[idx[c]].path;
    for (c = 0; c < n; c++) free((char *)items[c]);
    free(items);
    free(idx);
    return r;
}

/* Asks for the rows to show: number, or empty for the default. -1 at end of input. */
static int ask_limit(int def)
{
    char buf[64];
    int v;
    printf("Rows to show [%d, 0 = all]: ", def);
    if (at_read_line(buf, sizeof buf)) return -1;
    if (!buf[0]) return def;
    v = at_parse_int(buf);
    return v < 0 ? def : v;
}

/* Statistics of one profile: asks for the order and the number of rows, prints the report. */
static void show_stats(session *s, const char *path, int mem)
{
    static const char *const ti[] = { "total time", "self time", "calls", "name" };
    static const char *const mi[] = { "bytes allocated at the site", "inclusive bytes", "allocation count", "name" };
    static const int tmap[] = { S_TOTAL, S_SELF, S_COUNT, S_NAME }, mmap[] = { S_SELF, S_TOTAL, S_COUNT, S_NAME };
    int c = at_menu("Sort by", mem ? mi : ti, 4), lim;
    profile p;
    table t;
    options o = s->o;
    if (c < 0 || (lim = ask_limit(20)) < 0) return;
    o.sort = (mem ? mmap : tmap)[c];
    o.limit = lim;
    o.group_by = G_FUNC;
    if (load_filtered(&p, path, &o)) return;
    aggregate(&t, &p, G_FUNC);
    table_sort_filter(&t, &o);
    report_text(&p, &t, &o, stdout);
    table_free(&t);
    profile_free(&p);
}

static void print_removals(const session *s)
{
    size_t i;
    if (!s->o.nrm) { printf("No functions removed.\n"); return; }
    printf("Removed from statistics and graphs:\n");
    for (i = 0; i < s->o.nrm; i++)
        printf("  %s%s\n", s->o.rm[i].pat, s->o.rm[i].with_children ? "  (with everything it calls)" : "  (its callees move up)");
}

static void ask_removal(session *s)
{
    static const char *const items[] = { "the function only (what it calls moves up to its caller)",
                                         "the function and everything it calls" };
    char buf[512];
    int c;
    if (at_prompt("Function name or pattern (* ? [...]) to remove: ", buf, sizeof buf) || !buf[0]) return;
    if ((c = at_menu("Remove", items, 2)) < 0) return;
    add_removal(&s->o, buf, c);
    print_removals(s);
}

static void clear_removals(session *s)
{
    size_t i;
    for (i = 0; i < s->o.nrm; i++) free(s->o.rm[i].pat);
    s->o.nrm = 0;
    printf("Removals cleared.\n");
}

static void time_single(session *s)
{
    static const char *const items[] = { "Statistics", "Flamegraph", "Flamechart (chronological)",
                                         "Remove functions", "Clear removals", "Back" };
    const char *path = pick_profile(s, 1, "Time profile");
    int c;
    if (!path) return;
    while ((c = at_menu(tx(base_name(path)), items, 6)) >= 0 && c != 5) {
        if (c == 0) show_stats(s, path, 0);
        else if (c == 1 || c == 2) render(s, path, NULL, c - 1, "ns");
        else if (c == 3) ask_removal(s);
        else clear_removals(s);
    }
}

/* Totals, top sites, leaks and the size distribution of a memory profile. */
static void memory_view(session *s, const char *path, int what)
{
    profile p, dtmp;
    const profile *d;
    table t;
    options o = s->o;
    memset(&dtmp, 0, sizeof dtmp);
    if (load_filtered(&p, path, &o)) return;
    d = what == 0 ? NULL : detail_of(&p, &dtmp, &o);
    if (what == 0) {
        o.sort = S_SELF; o.limit = 10; o.group_by = G_FUNC;
        aggregate(&t, &p, G_FUNC);
        table_sort_filter(&t, &o);
        report_text(&p, &t, &o, stdout);
        table_free(&t);
    } else if (what == 1) print_leaks(&p, d, 20);
    else print_distribution(&p, d);
    if (d == &dtmp) profile_free(&dtmp);
    profile_free(&p);
}

static void memory_single(session *s)
{
    static const char *const items[] = { "Summary (totals, top 10 sites)", "Top allocation sites", "Live at exit (leaks)",
                                         "Allocation size distribution", "Flamegraph", "Remove functions",
                                         "Clear removals", "Back" };
    const char *path = pick_profile(s, 2, "Memory profile");
    int c;
    if (!path) return;
    while ((c = at_menu(tx(base_name(path)), items, 8)) >= 0 && c != 7) {
        if (c == 0) memory_view(s, path, 0);
        else if (c == 1) show_stats(s, path, 1);
        else if (c == 2) memory_view(s, path, 1);
        else if (c == 3) memory_view(s, path, 2);
        else if (c == 4) render(s, path, NULL, 0, "bytes");
        else if (c == 5) ask_removal(s);
        else clear_removals(s);
    }
}

static void before_after(session *s, int cls)
{
    static const char *const items[] = { "Comparison statistics", "Differential flamegraph", "Remove functions",
                                         "Clear removals", "Back" };
    const char *a = pick_profile(s, cls, "Before"), *b;
    int c, lim;
    if (!a || !(b = pick_profile(s, cls, "After"))) return;
    while ((c = at_menu("Before/after", items, 5)) >= 0 && c != 4) {
        if (c == 0) {
            options o = s->o;
            if ((lim = ask_limit(20)) < 0) return;
            o.limit = lim;
            o.group_by = G_FUNC;
            compare_run(a, b, &o);
        } else if (c == 1) render(s, a, b, 2, cls == 1 ? "ns" : "bytes");
        else if (c == 2) ask_removal(s);
        else clear_removals(s);
    }
}

static void choose_colors(session *s)
{
    int n = 0, c;
    while (schemes[n]) n++;
    if ((c = at_menu("Colour scheme for graphs", schemes, n)) < 0) return;
    snprintf(s->colors, sizeof s->colors, "%s", schemes[c]);
    config_save(s);
}

static void main_menu(session *s)
{
    char title[300], fl[300], cl[64];
    const char *items[8];
    int c;
    for (;;) {
        snprintf(title, sizeof title, "thag-analyze: %s", tx(s->dir));
        snprintf(fl, sizeof fl, "Filter the profiles by name (now: %s)", s->filter[0] ? s->filter : "none");
        snprintf(cl, sizeof cl, "Colour scheme (now: %s)", s->colors[0] ? s->colors : "default");
        items[0] = "Time profile: statistics, flamegraph, flamechart";
        items[1] = "Time: before/after comparison";
        items[2] = "Memory profile: summary, sites, leaks, sizes, flamegraph";
        items[3] = "Memory: before/after comparison";
        items[4] = "List the profiles";
        items[5] = fl; items[6] = cl; items[7] = "Quit";
        c = at_menu(title, items, 8);
        if (c < 0 || c == 7) return;
        if (c == 0) time_single(s);
        else if (c == 1) before_after(s, 1);
        else if (c == 2) memory_single(s);
        else if (c == 3) before_after(s, 2);
        else if (c == 4) print_listing(&s->list, s->dir, s->filter);
        else if (c == 5) {
            if (at_prompt("Show profiles whose name contains (empty = all): ", s->filter, sizeof s->filter)) return;
            print_listing(&s->list, s->dir, s->filter);
        } else choose_colors(s);
    }
}

static int cmd_interactive(const char *dir)
{
    session s;
    memset(&s, 0, sizeof s);
    options_init(&s.o);
    s.dir = dir;
    at_tty_in = isatty(0);
    config_load(&s);
    if (list_dir(&s.list, dir)) return EXIT_ERR;
    print_listing(&s.list, dir, "");
    main_menu(&s);
    list_free(&s.list);
    printf("Bye.\n");
    return 0;
}

/* ======================================================================== chart: memory over time */

/* A massif file (<p>-<ts>-massif.out from thag_profiler.h, or valgrind's own): the points
 * (time, heap bytes, allocations so far when the `# t_ns= allocations=` comment of thag_profiler
 * gives them), the peak snapshot and the largest entries at its top level. */
typedef struct { double t, tns, bytes, allocs; long num; int kind; } mpoint; /* kind: 0 empty, 1 detailed, 2 peak */
typedef struct { char *name; double bytes; } mtop;
typedef struct {
    char *cmd, unit[16];
    mpoint *p;
    size_t n, cap;
    long peak;          /* index of the peak point */
    int ns;             /* every point has t_ns: t is in ms from it */
    mtop *top;
    size_t ntop;
} mseries;

static void mseries_free(mseries *m)
{
    size_t i;
    for (i = 0; i < m->ntop; i++) free(m->top[i].name);
    free(m->top);
    free(m->p);
    free(m->cmd);
}

static int chart_fail(const char *path, unsigned long line, const char *what)
{
    fprintf(stderr, "thag-analyze: %s:%lu: %s (not a massif file?)\n", path, line, what);
    return -1;
}

/* The value of `key=` at the start of line s, as a number; -1 when s is not that line. */
static int chart_field(const char *s, const char *key, double *v)
{
    size_t k = strlen(key);
    char *e;
    if (strncmp(s, key, k) || s[k] != '=') return -1;
    errno = 0;
    *v = strtod(s + k + 1, &e);
    while (*e == ' ' || *e == '\t' || *e == '\r' || *e == '\n') e++;
    return e == s + k + 1 || *e || errno || *v < 0 ? -2 : 0;
}

/* A heap tree line `n<children>: <bytes> <name>` at depth 1 of the peak snapshot. */
static void chart_top_line(mseries *m, const char *s)
{
    const char *q = s;
    double b;
    char *e;
    while (*q == ' ') q++;
    if (q - s != 1 || *q != 'n' || !(q = strchr(q, ':'))) return;
    b = strtod(q + 1, &e);
    while (*e == ' ') e++;
    m->top = xrealloc(m->top, (m->ntop + 1) * sizeof *m->top);
    m->top[m->ntop].name = xstrndup(e, strcspn(e, "\r\n"));
    m->top[m->ntop++].bytes = b;
}

/* One line of the snapshot list; 0, or -1 with a message. */
static int chart_line(mseries *m, const char *path, unsigned long ln, char *s, int *in_peak)
{
    static const char *const keys[] = { "time", "mem_heap_B", "mem_heap_extra_B", "mem_stacks_B", NULL };
    mpoint *p = m->n ? &m->p[m->n - 1] : NULL;
    double v;
    const char *a;
    int i, r;
    if (s[0] == '#') {
        if (p && !strncmp(s, "# t_ns=", 7)) {
            p->tns = strtod(s + 7, NULL);
            if ((a = strstr(s, "allocations=")) != NULL) p->allocs = strtod(a + 12, NULL);
        }
        return 0;
    }
    if (!chart_field(s, "snapshot", &v)) {
        if (m->n == m->cap) m->p = xrealloc(m->p, (m->cap = m->cap ? 2 * m->cap : 64) * sizeof *m->p);
        memset(&m->p[m->n], 0, sizeof *m->p);
        m->p[m->n].num = (long)v;
        m->p[m->n].tns = -1;
        m->p[m->n++].allocs = -1;
        *in_peak = 0;
        return 0;
    }
    if (!p) return chart_fail(path, ln, "expected snapshot=N");
    if (!strncmp(s, "heap_tree=", 10)) {
        p->kind = !strncmp(s + 10, "peak", 4) ? 2 : !strncmp(s + 10, "detailed", 8);
        *in_peak = p->kind == 2;
        return 0;
    }
    if (*in_peak) { chart_top_line(m, s); return 0; }
    if (s[strspn(s, " ")] == 'n') return 0; /* a detailed tree's line */
    for (i = 0; keys[i]; i++) {
        if ((r = chart_field(s, keys[i], &v)) == -1) continue;
        if (r) return chart_fail(path, ln, "expected a number >= 0 after '='");
        if (i) p->bytes += v; else p->t = v;
        return 0;
    }
    return chart_fail(path, ln, "unexpected line");
}

/* The header: desc: lines, cmd:, time_unit:. Returns the lines read, or -1. */
static int chart_header(mseries *m, FILE *f, const char *path, unsigned long *ln)
{
    char *line = NULL;
    size_t cap = 0;
    int state = 0; /* 0: desc, 1: cmd read, 2: time_unit read */
    while (state < 2 && getline(&line, &cap, f) > 0) {
        ++*ln;
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] == '#' || !line[0]) continue;
        if (!state && !strncmp(line, "desc:", 5)) continue;
        if (!state && !strncmp(line, "cmd:", 4)) { m->cmd = xstrdup(line + 4 + strspn(line + 4, " ")); state = 1; }
        else if (state == 1 && !strncmp(line, "time_unit:", 10)) {
            snprintf(m->unit, sizeof m->unit, "%s", line + 10 + strspn(line + 10, " "));
            state = 2;
        } else break;
    }
    free(line);
    if (state < 2) return chart_fail(path, *ln, state ? "expected time_unit:" : "expected desc: or cmd:");
    return 0;
}

static int chart_load(mseries *m, const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, i;
    unsigned long ln = 0;
    int rc = 0, in_peak = 0;
    memset(m, 0, sizeof *m);
    if (!f) { fprintf(stderr, "thag-analyze: cannot open %s: %s\n", path, strerror(errno)); return -1; }
    if (chart_header(m, f, path, &ln)) rc = -1;
    while (!rc && getline(&line, &cap, f) > 0) {
        ln++;
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] && chart_line(m, path, ln, line, &in_peak)) rc = -1;
    }
    free(line);
    fclose(f);
    if (!rc && !m->n) rc = chart_fail(path, ln, "no snapshot");
    if (rc) { mseries_free(m); return -1; }
    m->ns = 1;
    m->peak = 0;
    for (i = 0; i < m->n; i++)
        if (m->p[i].tns < 0) m->ns = 0;
    for (i = 0; m->ns && i < m->n; i++) m->p[i].t = m->p[i].tns / 1e6;
    if (m->ns) snprintf(m->unit, sizeof m->unit, "ms");
    for (i = 0; i < m->n; i++) { /* the peak snapshot, else the largest */
        if (m->p[i].kind == 2) { m->peak = (long)i; break; }
        if (m->p[i].bytes > m->p[m->peak].bytes) m->peak = (long)i;
    }
    return 0;
}

/* Bytes for people: 4.0 MiB. */
static const char *chart_bytes(double b, char *out, size_t n)
{
    static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    int i = 0;
    while (b >= 1024 && i < 4) { b /= 1024; i++; }
    if (i) snprintf(out, n, "%.1f %s", b, u[i]);
    else snprintf(out, n, "%.0f B", b);
    return out;
}

/* The column of time t on a w-column axis ending at end. */
static int chart_col(double t, double end, int w)
{
    int x = end > 0 ? (int)(t / end * (w - 1) + 0.5) : 0;
    return x < 0 ? 0 : x >= w ? w - 1 : x;
}

#define CHART_W 72
#define CHART_H 16

/* The terminal chart: one column per time slot, the highest point of the slot, held until
 * the next point (live memory stays where it is between points); the peak's column is '#'. */
static void chart_text(const mseries *m, const char *path, FILE *o)
{
    double col[CHART_W], last[CHART_W], top = m->p[m->peak].bytes, end = m->p[m->n - 1].t;
    int has[CHART_W] = { 0 }, peak_x = chart_col(m->p[m->peak].t, end, CHART_W), x, y;
    char b1[32], b2[32];
    size_t i;
    for (i = 0; i < m->n; i++) {
        x = chart_col(m->p[i].t, end, CHART_W);
        if (!has[x] || m->p[i].bytes > col[x]) col[x] = m->p[i].bytes;
        last[x] = m->p[i].bytes;
        has[x] = 1;
    }
    for (x = 1; x < CHART_W; x++)
        if (!has[x]) col[x] = last[x] = last[x - 1];
    if (top <= 0) top = 1;
    fprintf(o, "Memory over time: %s (%s)\n", tx(base_name(path)), tx(m->cmd));
    for (y = CHART_H; y >= 1; y--) {
        fprintf(o, "%10s %c", y == CHART_H ? chart_bytes(top, b1, sizeof b1) : "", y == CHART_H ? '^' : '|');
        for (x = 0; x < CHART_W; x++)
            fputc(col[x] >= top * (y - 0.5) / CHART_H ? (x == peak_x ? '#' : ':') : ' ', o);
        fputc('\n', o);
    }
    fprintf(o, "%10s +", "0");
    for (x = 0; x < CHART_W; x++) fputc('-', o);
    fprintf(o, "> %s\n%10s  0%*.*g\n", m->unit, "", CHART_W - 1, 4, end);
    fprintf(o, "peak: %.0f bytes (%s) at %.3f %s, point %ld of %zu", m->p[m->peak].bytes,
            chart_bytes(m->p[m->peak].bytes, b2, sizeof b2), m->p[m->peak].t, m->unit, m->peak, m->n);
    if (m->p[m->peak].allocs >= 0) fprintf(o, ", %.0f allocations so far", m->p[m->peak].allocs);
    fputc('\n', o);
    if (m->ntop) fprintf(o, "at the peak:\n");
    for (i = 0; i < m->ntop && i < 10; i++)
        fprintf(o, "  %5.1f%%  %14.0f  %s\n", pct(m->top[i].bytes, m->p[m->peak].bytes), m->top[i].bytes,
                tx(m->top[i].name));
}

static void xml_put(FILE *o, const char *s)
{
    for (s = tx(s); *s; s++) {
        if (*s == '<') fputs("&lt;", o);
        else if (*s == '>') fputs("&gt;", o);
        else if (*s == '&') fputs("&amp;", o);
        else if (*s == '"') fputs("&quot;", o);
        else fputc(*s, o);
    }
}

/* The SVG chart: a step line through the points, a circle per point (its time, bytes and
 * allocations as data- attributes and a tooltip) and the peak marked and labelled. */
static void chart_svg(const mseries *m, const char *path, FILE *o)
{
    const double W = 800, H = 400, L = 80, R = 20, T = 40, B = 50;
    double top = m->p[m->peak].bytes > 0 ? m->p[m->peak].bytes : 1, end = m->p[m->n - 1].t > 0 ? m->p[m->n - 1].t : 1;
    char b[32];
    size_t i;
#define CX(t) (L + (t) / end * (W - L - R))
#define CY(v) (H - B - (v) / top * (H - T - B))
    fprintf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
               "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
            W, H, W, H);
    fputs("<title>Memory over time: ", o);
    xml_put(o, base_name(path));
    fputs("</title>\n<style>.pt{fill:#3465a4}.pt:hover{r:5}.peak{fill:#cc0000}"
          ".series{fill:none;stroke:#3465a4;stroke-width:1.5}.axis{stroke:#555}</style>\n", o);
    fprintf(o, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n<text x=\"%.0f\" y=\"20\" font-size=\"15\">"
               "Memory over time: ", L);
    xml_put(o, m->cmd);
    fputs("</text>\n", o);
    fprintf(o, "<line class=\"axis\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>\n", L, H - B, W - R, H - B);
    fprintf(o, "<line class=\"axis\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>\n", L, T, L, H - B);
    fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%s</text>\n", L - 6, T + 4, chart_bytes(top, b, sizeof b));
    fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">0</text>\n", L - 6, H - B + 4);
    fprintf(o, "<text x=\"%.0f\" y=\"%.0f\">0</text>\n", L, H - B + 18);
    fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%.4g %s</text>\n", W - R, H - B + 18, end, m->unit);
    fputs("<polyline class=\"series\" points=\"", o);
    for (i = 0; i < m->n; i++) {
        if (i) fprintf(o, " %.1f,%.1f", CX(m->p[i].t), CY(m->p[i - 1].bytes));
        fprintf(o, "%s%.1f,%.1f", i ? " " : "", CX(m->p[i].t), CY(m->p[i].bytes));
    }
    fputs("\"/>\n<g id=\"points\">\n", o);
    for (i = 0; i < m->n; i++) {
        fprintf(o, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" data-time=\"%.6g\" data-bytes=\"%.0f\" "
                   "data-allocations=\"%.0f\"><title>%.6g %s: %.0f bytes",
                (long)i == m->peak ? "pt peak" : "pt", CX(m->p[i].t), CY(m->p[i].bytes), (long)i == m->peak ? 6 : 3,
                m->p[i].t, m->p[i].bytes, m->p[i].allocs, m->p[i].t, m->unit, m->p[i].bytes);
        if (m->p[i].allocs >= 0) fprintf(o, ", %.0f allocations so far", m->p[i].allocs);
        fputs("</title></circle>\n", o);
    }
    fprintf(o, "</g>\n<text id=\"peak-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"#cc0000\">peak %s at "
               "%.4g %s</text>\n</svg>\n",
            CX(m->p[m->peak].t), CY(m->p[m->peak].bytes) - 10, CX(m->p[m->peak].t) > W / 2 ? "end" : "start",
            chart_bytes(m->p[m->peak].bytes, b, sizeof b), m->p[m->peak].t, m->unit);
#undef CX
#undef CY
}

/* thag-analyze chart FILE [--svg OUT]: memory over time from a massif file. */
static int cmd_chart(int argc, char **argv)
{
    const char *path = NULL, *svg = NULL;
    mseries m;
    int i;
    for (i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--svg")) {
            if (i + 1 >= argc) { fprintf(stderr, "thag-analyze: --svg needs a file name\n"); return EXIT_ERR; }
            svg = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "thag-analyze: unknown option: %s\nTry 'thag-analyze --help'.\n", argv[i]);
            return EXIT_ERR;
        } else if (!path) path = argv[i];
        else { fprintf(stderr, "thag-analyze: chart takes one file\n"); return EXIT_ERR; }
    }
    if (!path) { fprintf(stderr, "thag-analyze: chart needs a massif file (<p>-<ts>-massif.out)\n"); return EXIT_ERR; }
    if (chart_load(&m, path)) return EXIT_ERR;
    chart_text(&m, path, stdout);
    if (svg) {
        FILE *f = fopen(svg, "w");
        int bad = !f;
        if (f) { chart_svg(&m, path, f); bad = ferror(f) | (fclose(f) != 0); }
        if (bad) { fprintf(stderr, "thag-analyze: cannot write %s\n", svg); mseries_free(&m); return EXIT_ERR; }
        printf("SVG: %s\n", svg);
    }
    mseries_free(&m);
    return 0;
}

int main(int argc, char **argv)
{
    const char *nc = getenv("NO_COLOR");
    at_color = isatty(1) && !(nc && *nc);
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) { usage(stdout); return 0; }
    if (argc >= 2 && !strcmp(argv[1], "--version")) { printf("thag-analyze %s\n", ANALYZE_VERSION); return 0; }
    if (argc >= 2 && !strcmp(argv[1], "report")) return cmd_report(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "compare")) return cmd_compare(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "chart")) return cmd_chart(argc, argv);
    if (argc == 2 && argv[1][0] == '-') {
        fprintf(stderr, "thag-analyze: unknown option: %s\nTry 'thag-analyze --help'.\n", argv[1]);
        return EXIT_ERR;
    }
    if (argc > 2) { usage(stderr); return EXIT_ERR; }
    if (argc == 2 && file_exists(argv[1])) {
        char *rargv[3];
        fprintf(stderr, "thag-analyze: note: %s is a file, not a directory: showing `thag-analyze report %s`\n",
                argv[1], argv[1]);
        rargv[0] = argv[0]; rargv[1] = (char *)"report"; rargv[2] = argv[1];
        return cmd_report(3, rargv);
    }
    return cmd_interactive(argc == 2 ? argv[1] : ".");
}
