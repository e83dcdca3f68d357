/* folded.h - streaming reader for folded stack files (internal to tools/, header-only).
 *
 * Shared by tools/flamegraph.c and tools/analyze.c. Every function is static; include it in
 * one C file per tool. Reads "frame;frame;frame count" lines (and "stack count1 count2"
 * differential lines) from a FILE* without ever holding the whole input: one line at a time,
 * in a buffer that grows to the longest line (up to FOLDED_MAX_LINE bytes).
 *
 *   folded_reader *r = folded_open(stdin, "<stdin>");
 *   folded_line l;
 *   int rc;
 *   while ((rc = folded_next(r, &l)) == 1) use(l.stack, l.stack_len, l.value);
 *   if (rc < 0) fprintf(stderr, "%s\n", folded_error(r));
 *   folded_close(r);
 *
 * Rules: lines starting with '#' and blank lines are skipped silently.
 * CRLF and LF line ends; integer or decimal counts ("12", "12.5", "12."), separated from the
 * stack by spaces or tabs. If the stack itself ends in whitespace and a number, the line is a
 * differential line: value2 is that first number, value the last one (as flamegraph.pl).
 * NUL bytes inside the stack are replaced by 0x1A (SUB), so the stack is a C string; other
 * bytes (invalid UTF-8, control characters) are passed through unchanged.
 * Malformed lines (no count, bad count, count above 2^64, empty stack, overlong line) are
 * skipped and counted; the first FOLDED_REPORT_MAX are reported on stderr as
 * "name:LINE: reason", and at the end of input a summary line gives the total.
 *
 * A thag_profiler timeline file (metadata "format=timeline-2", or timeline-1 from before
 * fibers were marked; <p>-<ts>-timeline.txt) is read the same way: its compact lines
 * ("S id parent frame" defines a stack once, "F id" marks it a fiber's root, "T index start
 * name" starts a thread, "id ns" is an interval) come out as the folded lines
 * "frame;...;frame ns", in order; intervals with no stack on top (id 0) are skipped.
 *
 * Metadata (folded_meta, folded_meta_value): a run's folded files hold only stack lines; their
 * metadata is in the run's manifest, <p>-<ts>-manifest.txt next to them (docs/output.md), whose
 * "file=NAME kind= unit= additive= ..." entry for the file, with the run's keys (program,
 * pid, clock, threads...), is returned as if it were the old first line:
 * "thag_profiler 0.1.0: kind=time program=... additive=yes unit=ns". The file is found from
 * the reader's descriptor (readlink /proc/self/fd/N: `flamegraph < run-...-calls.folded`
 * finds it too; a pipe has no metadata), else from the name given to folded_open. Its run is
 * the part of its name up to the stamp (-yyyymmdd-HHMMSS, and -pid if any). Files written
 * before the manifest existed carry that line in the file ("# thag_profiler ...", first line):
 * it is used as it is, and so is the timeline's, which keeps it. A name with a stamp whose
 * manifest is missing, truncated (no last "end=N" line counting N files) or does not list
 * it gives a one-line note on stderr, and no metadata; any other name, no note.
 */
#ifndef THAG_FOLDED_H
#define THAG_FOLDED_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FOLDED_MAX_LINE
#define FOLDED_MAX_LINE ((size_t)1 << 30) /* longer lines are skipped as malformed */
#endif
#ifndef FOLDED_REPORT_MAX
#define FOLDED_REPORT_MAX 5 /* malformed lines reported individually */
#endif
#ifndef FOLDED_CHUNK
#define FOLDED_CHUNK ((size_t)1 << 20) /* initial buffer; grows to the longest line */
#endif

/* Every function is static; unused ones must not warn in a tool that includes this header. */
#if defined(__GNUC__) || defined(__clang__)
#define FOLDED_FN static __attribute__((unused))
#else
#define FOLDED_FN static
#endif

typedef struct folded_reader {
    FILE *f;
    char *name;
    char *buf;          /* buf[pos..end) is unread data; one spare byte for a NUL */
    size_t cap, pos, end;
    int eof, skipping;  /* skipping: discarding the rest of an overlong line */
    int report_max;
    unsigned long lineno, malformed;
    char *meta;         /* the metadata line, without "# " (first line, or from the manifest) */
    int meta_looked;    /* the manifest was looked up */
    char err[256];
    /* A timeline file: its stack table, and the stack of the line read. */
    int tl;             /* 1: a timeline file (format=timeline-1 or -2); -1: a timeline of an unknown format */
    size_t tl_n, tl_cap;          /* stacks defined; ids are 1..tl_n */
    size_t *tl_parent, *tl_off;   /* per id: its parent's id, its frame in tl_names */
    char *tl_names, *tl_stack;
    size_t tl_names_len, tl_names_cap, tl_stack_cap;
} folded_reader;

typedef struct {
    char *stack;          /* the stack text, NUL-terminated, writable, valid until the next call */
    size_t stack_len;
    double value;         /* the last number on the line */
    double value2;        /* the first of two numbers (differential input "stack a b"); has_two says */
    int has_two;
    unsigned long lineno; /* 1-based line number in its file */
} folded_line;

/* Creates a reader on f (not owned: folded_close does not fclose it). name is copied and used
   in messages. Returns NULL only if memory is exhausted. */
FOLDED_FN folded_reader *folded_open(FILE *f, const char *name)
{
    folded_reader *r = (folded_reader *)calloc(1, sizeof *r);
    if (!r) return NULL;
    r->f = f;
    r->cap = FOLDED_CHUNK;
    r->buf = (char *)malloc(r->cap + 1);
    r->name = (char *)malloc(strlen(name) + 1);
    if (!r->buf || !r->name) {
        free(r->buf);
        free(r->name);
        free(r);
        return NULL;
    }
    memcpy(r->name, name, strlen(name) + 1);
    r->report_max = FOLDED_REPORT_MAX;
    return r;
}

/* How many malformed lines to report one by one (0: none; the end summary is still printed
   unless max < 0). */
FOLDED_FN void folded_set_report(folded_reader *r, int max) { r->report_max = max; }

FOLDED_FN unsigned long folded_malformed(const folded_reader *r) { return r->malformed; }

FOLDED_FN const char *folded_error(const folded_reader *r) { return r->err[0] ? r->err : NULL; }

/* The metadata line ("thag_profiler 0.1.0: kind=time ... unit=ns"), from the run's manifest or
   the input's first line, else NULL. Known only after the first folded_next() call. */
FOLDED_FN const char *folded_meta(const folded_reader *r) { return r->meta; }

/* Copies the value of "key=" in the metadata line into out (at most size-1 bytes).
   Returns 1 if found, 0 if not (out is then ""). */
FOLDED_FN int folded_meta_value(const folded_reader *r, const char *key, char *out, size_t size)
{
    const char *p = r->meta;
    size_t klen = strlen(key);
    if (size) out[0] = 0;
    if (!p || !size) return 0;
    p = strchr(p, ':');
    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == ':') p++;
        if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t n = strcspn(p + klen + 1, " \t");
            if (n > size - 1) n = size - 1;
            memcpy(out, p + klen + 1, n);
            out[n] = 0;
            return 1;
        }
        p += strcspn(p, " \t"); /* to the next separator (or the end) */
    }
    return 0;
}

/* Whether the file's values add up along stacks (a frame is the sum of the stacks under it):
   1 yes, 0 no (inclusive time, wall time: the key "instead" names the file to draw), -1 not
   known (no metadata). Files from before the manifest tell it by their kind. */
FOLDED_FN int folded_additive(const folded_reader *r)
{
    char v[32];
    if (folded_meta_value(r, "additive", v, sizeof v)) return strcmp(v, "no") != 0;
    if (!folded_meta_value(r, "kind", v, sizeof v)) return -1;
    return strcmp(v, "time_inclusive") != 0 && strcmp(v, "wall") != 0;
}

/* Whether a metadata line (or a format= value) is a timeline's, in a format this reader
   knows: timeline-2 (F lines mark fibers' root frames) or timeline-1 (before them). */
FOLDED_FN int folded_is_timeline(const char *meta)
{
    const char *p = meta ? strstr(meta, "format=timeline-") : NULL;
    if (!p || (p != meta && p[-1] != ' ')) return 0;
    p += 16;
    return (*p == '1' || *p == '2') && (p[1] == ' ' || p[1] == 0);
}

/* Where the run part of a file's base name ends: after its stamp "-yyyymmdd-HHMMSS" (the last
   one: a program name may hold another) and its "-pid" if any; 0 if it has no stamp. */
FOLDED_FN size_t folded_stamp_end(const char *b)
{
    size_t n = strlen(b), i, k, end = 0;
    for (i = 1; i + 16 <= n; i++) {
        if (b[i] != '-' || b[i + 9] != '-') continue;
        for (k = 1; k < 16 && (k == 9 || (b[i + k] >= '0' && b[i + k] <= '9')); k++) {}
        if (k == 16 && (b[i + 16] == 0 || b[i + 16] == '-' || b[i + 16] == '.')) end = i + 16;
    }
    if (end && b[end] == '-') { /* the pid a run adds when another one took the same second */
        for (k = end + 1; b[k] >= '0' && b[k] <= '9'; k++) {}
        if (k > end + 1 && (b[k] == 0 || b[k] == '-' || b[k] == '.')) end = k;
    }
    return end;
}

/* Appends " " and the n bytes at s to the string *out (allocated); -1 if memory runs out. */
FOLDED_FN int folded__cat(char **out, size_t *len, const char *s, size_t n)
{
    char *p = (char *)realloc(*out, *len + n + 2);
    if (!p) return -1;
    if (*len) p[(*len)++] = ' ';
    memcpy(p + *len, s, n);
    *len += n;
    p[*len] = 0;
    *out = p;
    return 0;
}

/* The metadata line built from a manifest: "thag_profiler V: kind=K", the run's keys, the
   entry's other keys, "unit=U" last (as the in-file line had it). NULL if out of memory. */
FOLDED_FN char *folded__meta_line(const char *version, const char *run, size_t runlen, const char *entry)
{
    char *out = NULL, kind[64] = "", unit[64] = "", head[64];
    size_t len = 0;
    const char *p = entry, *t;
    int ok = folded__cat(&out, &len, head, (size_t)snprintf(head, sizeof head, "thag_profiler %.31s:", version)) == 0;
    for (t = p; ok && *t; t = p) { /* kind and unit first: their places are fixed */
        size_t n = strcspn(t, " ");
        char *dst = !strncmp(t, "kind=", 5) ? kind : !strncmp(t, "unit=", 5) ? unit : NULL;
        if (dst && n < 64) memcpy(dst, t, n), dst[n] = 0;
        p = t + n + (t[n] == ' ');
    }
    ok = ok && folded__cat(&out, &len, kind, strlen(kind)) == 0 && (!runlen || folded__cat(&out, &len, run, runlen) == 0);
    for (p = entry, t = p; ok && *t; t = p) {
        size_t n = strcspn(t, " ");
        if (n && strncmp(t, "file=", 5) && strncmp(t, "kind=", 5) && strncmp(t, "unit=", 5))
            ok = folded__cat(&out, &len, t, n) == 0;
        p = t + n + (t[n] == ' ');
    }
    if (ok && unit[0]) ok = folded__cat(&out, &len, unit, strlen(unit)) == 0;
    if (!ok) { free(out); return NULL; }
    return out;
}

/* Reads the manifest at mpath: the run's keys (one "key=value" a line before the files, in
   *run), the entry "file=base ..." (returned, allocated), and checks the last line "end=N"
   counts the files. NULL with a reason in note when there is no such entry. */
FOLDED_FN char *folded__manifest_entry(FILE *m, const char *base, char **run, size_t *runlen,
                                       char *version, char *note, size_t nsize)
{
    char *line = NULL, *entry = NULL;
    size_t cap = 0, blen = strlen(base);
    ssize_t n;
    long files = 0, count = -1;
    while ((n = getline(&line, &cap, m)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if (count >= 0) count = -2; /* a line after end=: not what the header writes */
        if (!strncmp(line, "file=", 5)) {
            files++;
            if (!entry && !strncmp(line + 5, base, blen) && (line[5 + blen] == ' ' || !line[5 + blen]))
                entry = strdup(line);
        } else if (!strncmp(line, "end=", 4)) {
            count = strtol(line + 4, NULL, 10);
        } else if (!strncmp(line, "thag_profiler=", 14)) {
            snprintf(version, 32, "%.31s", line + 14);
        } else if (!files && strchr(line, '=') && !strchr(line, ' ') && strncmp(line, "manifest=", 9)) {
            folded__cat(run, runlen, line, (size_t)n);
        }
    }
    free(line);
    if (count != files || !version[0]) {
        snprintf(note, nsize, "is truncated or damaged (%ld file entries, %s)", files,
                 count == -1 ? "no end= line" : "its end= line does not count them");
        free(entry);
        return NULL;
    }
    if (!entry) snprintf(note, nsize, "does not list it");
    return entry;
}

/* The metadata of the run file at path, from its run's manifest (see the top of this file),
   as an allocated "thag_profiler V: kind=... unit=U" line; NULL if there is none. Then note
   says why in one line when the name has a stamp (a manifest was expected), else is "". */
FOLDED_FN char *folded_manifest_meta(const char *path, char *note, size_t nsize)
{
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    size_t dlen = (size_t)(base - path), end = folded_stamp_end(base), runlen = 0;
    char *mpath, *run = NULL, *entry, *out = NULL, version[32] = "", why[160] = "";
    FILE *m;
    if (nsize) note[0] = 0;
    if (!end || !(mpath = (char *)malloc(dlen + end + 16))) return NULL;
    memcpy(mpath, path, dlen + end);
    memcpy(mpath + dlen + end, "-manifest.txt", 14);
    if (!(m = fopen(mpath, "r"))) {
        snprintf(note, nsize, "no metadata: its run manifest %s cannot be read (%s)", mpath, strerror(errno));
        free(mpath);
        return NULL;
    }
    entry = folded__manifest_entry(m, base, &run, &runlen, version, why, sizeof why);
    fclose(m);
    if (entry) out = folded__meta_line(version, run, runlen, entry);
    else snprintf(note, nsize, "no metadata: its run manifest %s %s", mpath, why);
    free(entry);
    free(run);
    free(mpath);
    return out;
}

/* Looks up the metadata of the reader's file in its run's manifest (once, at its first line
   or at the end of an empty input). The file's real path comes from its descriptor, so that
   standard input redirected from a run file works; a pipe or a socket has none. */
FOLDED_FN void folded__find_meta(folded_reader *r)
{
    char link[64], path[4096], note[4096 + 256];
    ssize_t n = -1;
    int fd = r->f ? fileno(r->f) : -1;
    r->meta_looked = 1;
    if (fd >= 0) {
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        n = readlink(link, path, sizeof path - 1);
    }
    if (n > 0) {
        path[n] = 0;
        if (path[0] != '/') return; /* pipe:[...], socket:[...] */
    } else if (r->name[0] && r->name[0] != '<' && strlen(r->name) < sizeof path) {
        memcpy(path, r->name, strlen(r->name) + 1);
    } else {
        return;
    }
    r->meta = folded_manifest_meta(path, note, sizeof note);
    if (note[0] && r->report_max >= 0) fprintf(stderr, "%s: %s\n", r->name, note);
}

FOLDED_FN void folded_close(folded_reader *r)
{
    if (!r) return;
    free(r->buf);
    free(r->name);
    free(r->meta);
    free(r->tl_parent);
    free(r->tl_off);
    free(r->tl_names);
    free(r->tl_stack);
    free(r);
}

FOLDED_FN void folded__bad(folded_reader *r, const char *reason)
{
    r->malformed++;
    if (r->report_max > 0 && r->malformed <= (unsigned long)r->report_max)
        fprintf(stderr, "%s:%lu: %s (line skipped)\n", r->name, r->lineno, reason);
}

/* Refills the buffer keeping buf[pos..end). Grows it when it is full of one line.
   Returns 0 ok, -1 error (message set). Sets eof when nothing more can be read. */
FOLDED_FN int folded__fill(folded_reader *r)
{
    size_t n;
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
        r->end -= r->pos;
        r->pos = 0;
    }
    if (r->end == r->cap) {
        if (r->cap >= FOLDED_MAX_LINE) { /* overlong line: drop what we have, skip to '\n' */
            r->skipping = 1;
            r->end = 0;
        } else {
            size_t ncap = r->cap * 2;
            char *nb = (char *)realloc(r->buf, ncap + 1);
            if (!nb) {
                snprintf(r->err, sizeof r->err, "%s:%lu: out of memory for a line", r->name,
                         r->lineno + 1);
                return -1;
            }
            r->buf = nb;
            r->cap = ncap;
        }
    }
    n = fread(r->buf + r->end, 1, r->cap - r->end, r->f);
    r->end += n;
    if (n == 0) {
        if (ferror(r->f)) {
            snprintf(r->err, sizeof r->err, "%s: read error: %s", r->name, strerror(errno));
            return -1;
        }
        r->eof = 1;
    }
    return 0;
}

/* Parses an unsigned decimal "123", "12.5" or "12." in [s, e). Returns 1 and *v on success,
   0 if not a number, -1 if the integer part does not fit in 64 bits. */
FOLDED_FN int folded__number(const char *s, const char *e, double *v)
{
    uint64_t ip = 0;
    double frac = 0, scale = 1;
    const char *p = s;
    if (p == e || *p < '0' || *p > '9') return 0;
    for (; p < e && *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (ip > (UINT64_MAX - d) / 10) return -1;
        ip = ip * 10 + d;
    }
    if (p < e && *p == '.') {
        for (p++; p < e && *p >= '0' && *p <= '9'; p++) {
            scale /= 10;
            frac += (*p - '0') * scale;
        }
    }
    if (p != e) return 0;
    *v = (double)ip + frac;
    return 1;
}

/* Finds a trailing whitespace-separated number in line[0..*len). On success (1) stores it in
   *v and shrinks *len to the text before it, trailing whitespace removed. 0: no number,
   -1: number too large. */
FOLDED_FN int folded__tail_number(const char *line, size_t *len, double *v)
{
    size_t e = *len, s;
    int rc;
    s = e;
    while (s > 0 && ((line[s - 1] >= '0' && line[s - 1] <= '9') || line[s - 1] == '.')) s--;
    if (s == e || s == 0 || (line[s - 1] != ' ' && line[s - 1] != '\t')) return 0;
    rc = folded__number(line + s, line + e, v);
    if (rc <= 0) return rc;
    while (s > 0 && (line[s - 1] == ' ' || line[s - 1] == '\t')) s--;
    *len = s;
    return 1;
}

FOLDED_FN int folded__grow(void *pp, size_t *cap, size_t need, size_t size)
{
    size_t n = *cap ? *cap : 64;
    void *p;
    if (need <= *cap) return 0;
    while (n < need) n *= 2;
    if (!(p = realloc(*(void **)pp, n * size))) return -1;
    *(void **)pp = p;
    *cap = n;
    return 0;
}

/* Parses a decimal id at *s up to a space or the end; advances *s past one space. An id that
   does not fit in a size_t is malformed (it used to go through a double, whose conversion
   back overflowed: undefined behaviour, found by tests/fuzz/fuzz_folded.c). */
FOLDED_FN int folded__id(const char **s, const char *e, size_t *v)
{
    const char *p = *s;
    size_t x = 0;
    if (p == e || *p == ' ') return 0;
    for (; p < e && *p != ' '; p++) {
        size_t d = (size_t)(*p - '0');
        if (*p < '0' || *p > '9' || x > (SIZE_MAX - d) / 10) return 0;
        x = x * 10 + d;
    }
    *v = x;
    *s = p < e ? p + 1 : p;
    return 1;
}

/* "S id parent frame": the next stack of the table. */
FOLDED_FN void folded__tl_define(folded_reader *r, const char *p, const char *e)
{
    size_t id, parent, n, k;
    if (!folded__id(&p, e, &id) || !folded__id(&p, e, &parent) || p >= e) {
        folded__bad(r, "malformed stack definition");
        return;
    }
    if (id != r->tl_n + 1 || parent >= id) {
        folded__bad(r, "stack id out of order");
        return;
    }
    n = (size_t)(e - p);
    k = r->tl_n + 1;
    if (folded__grow(&r->tl_parent, &r->tl_cap, k + 1, sizeof(size_t)) ||
        (r->tl_off = (size_t *)realloc(r->tl_off, r->tl_cap * sizeof(size_t))) == NULL ||
        folded__grow(&r->tl_names, &r->tl_names_cap, r->tl_names_len + n + 1, 1)) {
        folded__bad(r, "out of memory for the stack table");
        return;
    }
    r->tl_parent[k] = parent;
    r->tl_off[k] = r->tl_names_len;
    memcpy(r->tl_names + r->tl_names_len, p, n);
    r->tl_names[r->tl_names_len + n] = 0;
    r->tl_names_len += n + 1;
    r->tl_n = k;
}

/* The folded stack of id, in tl_stack; its length, or 0 on failure. */
FOLDED_FN size_t folded__tl_path(folded_reader *r, size_t id)
{
    size_t len = 0, i, pos;
    for (i = id; i; i = r->tl_parent[i]) len += strlen(r->tl_names + r->tl_off[i]) + 1;
    if (folded__grow(&r->tl_stack, &r->tl_stack_cap, len, 1)) return 0;
    pos = len - 1;
    r->tl_stack[pos] = 0;
    for (i = id; i; i = r->tl_parent[i]) {
        size_t k = strlen(r->tl_names + r->tl_off[i]);
        pos -= k;
        memcpy(r->tl_stack + pos, r->tl_names + r->tl_off[i], k);
        if (pos) r->tl_stack[--pos] = ';';
    }
    return len - 1;
}

/* One line of a timeline file; 1 for an interval with a stack. */
FOLDED_FN int folded__tl_parse(folded_reader *r, char *line, size_t len, folded_line *out)
{
    const char *p = line, *e = line + len;
    size_t id;
    if (len >= 2 && line[1] == ' ' && line[0] == 'S') { folded__tl_define(r, line + 2, e); return 0; }
    if (len >= 2 && line[1] == ' ' && (line[0] == 'T' || line[0] == 'F')) return 0;
    if (!folded__id(&p, e, &id) || folded__number(p, e, &out->value) != 1) {
        folded__bad(r, "malformed timeline line");
        return 0;
    }
    if (id == 0) return 0;
    if (id > r->tl_n) { folded__bad(r, "unknown stack id"); return 0; }
    if (!(out->stack_len = folded__tl_path(r, id))) { folded__bad(r, "out of memory for a stack"); return 0; }
    out->stack = r->tl_stack;
    out->has_two = 0;
    out->value2 = 0;
    out->lineno = r->lineno;
    return 1;
}

/* The valid UTF-8 sequence at s (n bytes available): its length, 1 to 4, and its code point
   in *cp (if cp is not NULL); 0 when the bytes are not valid UTF-8 (overlong forms, surrogates
   and code points above U+10FFFF are not). The one validator of the tools. */
FOLDED_FN size_t folded_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
    static const uint32_t minv[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t len, i;
    uint32_t c;
    if (!n) return 0;
    len = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
        : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
    if (!len || n < len) return 0;
    c = len == 1 ? s[0] : len == 2 ? s[0] & 0x1Fu : len == 3 ? s[0] & 0x0Fu : s[0] & 0x07u;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        c = c << 6 | (s[i] & 0x3Fu);
    }
    if (c < minv[len] || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) return 0;
    if (cp) *cp = c;
    return len;
}

/* Reads a two-count line "stack a b" as the stack "stack a" with the count b, for a reader
   that takes no differential input (a thag_profiler frame may end in a number: "worker 3").
   folded__parse left the rest of the line after the NUL that replaced the blank before "a". */
FOLDED_FN void folded_one_count(folded_line *l)
{
    size_t n = l->stack_len + 1;
    if (!l->has_two) return;
    while (l->stack[n] == ' ' || l->stack[n] == '\t') n++;
    while ((l->stack[n] >= '0' && l->stack[n] <= '9') || l->stack[n] == '.') n++;
    l->stack[l->stack_len] = ' ';
    l->stack[n] = 0;
    l->stack_len = n;
    l->has_two = 0;
}

/* Parses one complete line (NUL-terminated at line[len]); 1 if it is a stack line. */
FOLDED_FN int folded__parse(folded_reader *r, char *line, size_t len, folded_line *out)
{
    int rc;
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    if (r->lineno == 1 && !r->meta_looked && strncmp(line, "# thag_profiler", 15) != 0) folded__find_meta(r);
    if (len == 0) return 0;
    if (line[0] == '#') {
        if (r->lineno == 1 && !r->meta && strncmp(line, "# thag_profiler", 15) == 0) {
            r->meta = (char *)malloc(len - 1);
            if (r->meta) {
                memcpy(r->meta, line + 2, len - 2);
                r->meta[len - 2] = 0;
                r->tl = folded_is_timeline(r->meta) ? 1 : strstr(r->meta, " format=timeline-") ? -1 : 0;
            }
        }
        return 0;
    }
    if (r->tl < 0) { /* every line: nothing of it is read as folded */
        folded__bad(r, "a timeline in a format this reader does not know (from a newer thag_profiler?)");
        return 0;
    }
    if (r->tl) return folded__tl_parse(r, line, len, out);
    if (memchr(line, 0, len)) {
        for (size_t i = 0; i < len; i++)
            if (line[i] == 0) line[i] = 0x1A;
    }
    rc = folded__tail_number(line, &len, &out->value);
    if (rc <= 0) {
        folded__bad(r, rc < 0 ? "count overflows 64 bits" : "no count at end of line");
        return 0;
    }
    out->has_two = 0;
    out->value2 = 0;
    rc = folded__tail_number(line, &len, &out->value2);
    if (rc < 0) {
        folded__bad(r, "count overflows 64 bits");
        return 0;
    }
    out->has_two = rc;
    if (len == 0) {
        folded__bad(r, "empty stack");
        return 0;
    }
    line[len] = 0;
    out->stack = line;
    out->stack_len = len;
    out->lineno = r->lineno;
    return 1;
}

/* 1: a line in *out; 0: end of input; -1: I/O error (message in folded_error()).
   Malformed lines are skipped, counted, and the first few reported on stderr. */
FOLDED_FN int folded_next(folded_reader *r, folded_line *out)
{
    for (;;) {
        char *line = r->buf + r->pos, *nl;
        size_t avail = r->end - r->pos, len;
        nl = avail ? (char *)memchr(line, '\n', avail) : NULL;
        if (!nl && !r->eof) {
            if (folded__fill(r) < 0) return -1;
            continue;
        }
        if (!nl && avail == 0) { /* end of input */
            if (!r->meta_looked && r->lineno == 0) folded__find_meta(r);
            if (r->skipping) {
                r->skipping = 0;
                r->lineno++;
                folded__bad(r, "line too long");
            }
            if (r->malformed > 0 && r->report_max >= 0)
                fprintf(stderr, "%s: %lu malformed line%s skipped\n", r->name, r->malformed,
                        r->malformed == 1 ? "" : "s");
            r->report_max = -1; /* summary once */
            return 0;
        }
        len = nl ? (size_t)(nl - line) : avail;
        r->pos += nl ? len + 1 : len;
        r->lineno++;
        if (r->skipping) {
            r->skipping = 0;
            folded__bad(r, "line too long");
            continue;
        }
        line[len] = 0; /* the spare byte covers the unterminated last line */
        if (folded__parse(r, line, len, out)) return 1;
    }
}

#endif /* THAG_FOLDED_H */
