/* analyze_json.h: the small JSON writer and reader used by thag-analyze (tools/analyze.c).
 * Internal header, included once by analyze.c; every function is static.
 * The reader only needs to load baselines that thag-analyze itself wrote, but it accepts
 * any valid JSON document and reports the byte offset of the first syntax error. */
#ifndef THAG_ANALYZE_JSON_H
#define THAG_ANALYZE_JSON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folded.h" /* folded_utf8 */

/* ---- writer ---- */

/* Writes s (n bytes) as a JSON string literal. Bytes that are not valid UTF-8 are written
 * as \u00XX (their Latin-1 reading), so the output is always valid JSON. */
static void aj_string(FILE *o, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, k;
    fputc('"', o);
    while (i < n) {
        unsigned char c = u[i];
        if (c == '"' || c == '\\') { fputc('\\', o); fputc(c, o); i++; continue; }
        if (c == '\n') { fputs("\\n", o); i++; continue; }
        if (c == '\t') { fputs("\\t", o); i++; continue; }
        if (c < 0x20 || c == 0x7F) { fprintf(o, "\\u%04x", c); i++; continue; }
        k = folded_utf8(u + i, n - i, NULL);
        if (k == 0) { fprintf(o, "\\u%04x", c); i++; continue; }
        fwrite(u + i, 1, k, o);
        i += k;
    }
    fputc('"', o);
}

static void aj_cstring(FILE *o, const char *s)
{
    if (!s) fputs("null", o);
    else aj_string(o, s, strlen(s));
}

/* Writes a number: integers exactly, others with enough digits to read back; NaN and the
 * infinities (not representable in JSON) as null. */
static void aj_number(FILE *o, double v)
{
    if (v != v || v - v != 0) fputs("null", o);
    /* the range first: casting a larger v to long long is undefined (found by tests/fuzz) */
    else if (v < 9e15 && v > -9e15 && v == (double)(long long)v) fprintf(o, "%lld", (long long)v);
    else fprintf(o, "%.17g", v);
}

/* ---- reader ---- */

enum { AJ_NULL, AJ_BOOL, AJ_NUM, AJ_STR, AJ_ARR, AJ_OBJ };

typedef struct aj_value {
    int type;
    double num;               /* AJ_NUM, AJ_BOOL (0/1) */
    char *str;                /* AJ_STR (NUL-terminated, may contain no NUL) */
    struct aj_value *items;   /* AJ_ARR, AJ_OBJ */
    char **keys;              /* AJ_OBJ */
    size_t n;
} aj_value;

typedef struct {
    const char *s, *end, *start;
    const char *err;
    size_t err_at;
    int depth;
} aj_parser;

static int aj_parse_value(aj_parser *p, aj_value *out);

static void aj_ws(aj_parser *p)
{
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')) p->s++;
}

static int aj_fail(aj_parser *p, const char *msg)
{
    if (!p->err) { p->err = msg; p->err_at = (size_t)(p->s - p->start); }
    return -1;
}

static void aj_put_utf8(char *d, size_t *k, unsigned cp)
{
    if (cp < 0x80) d[(*k)++] = (char)cp;
    else if (cp < 0x800) { d[(*k)++] = (char)(0xC0 | (cp >> 6)); d[(*k)++] = (char)(0x80 | (cp & 0x3F)); }
    else { d[(*k)++] = (char)(0xE0 | (cp >> 12)); d[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
           d[(*k)++] = (char)(0x80 | (cp & 0x3F)); }
}

/* Parses a string literal at p->s (which is at the opening quote) into a malloc'd buffer.
 * \u escapes become UTF-8, except \u0080-\u00FF which become the single byte (the writer's
 * encoding of bytes that were not UTF-8), so names round-trip byte for byte. */
static int aj_parse_string(aj_parser *p, char **out)
{
    const char *q = ++p->s;
    char *d;
    size_t k = 0;
    while (q < p->end && *q != '"') { if (*q == '\\') q++; q++; }
    if (q >= p->end) return aj_fail(p, "unterminated string");
    d = malloc((size_t)(q - p->s) * 3 + 1);
    if (!d) return aj_fail(p, "out of memory");
    while (*p->s != '"') {
        char c = *p->s++;
        if ((unsigned char)c < 0x20) { free(d); return aj_fail(p, "control character in string"); }
        if (c != '\\') { d[k++] = c; continue; }
        c = *p->s++;
        switch (c) {
        case '"': case '\\': case '/': d[k++] = c; break;
        case 'n': d[k++] = '\n'; break;
        case 't': d[k++] = '\t'; break;
        case 'r': d[k++] = '\r'; break;
        case 'b': d[k++] = '\b'; break;
        case 'f': d[k++] = '\f'; break;
        case 'u': {
            unsigned cp = 0; int i;
            for (i = 0; i < 4; i++) {
                char h = p->s < p->end ? *p->s++ : 0;
                cp <<= 4;
                if (h >= '0' && h <= '9') cp |= (unsigned)(h - '0');
                else if (h >= 'a' && h <= 'f') cp |= (unsigned)(h - 'a' + 10);
                else if (h >= 'A' && h <= 'F') cp |= (unsigned)(h - 'A' + 10);
                else { free(d); return aj_fail(p, "bad \\u escape"); }
            }
            if (cp >= 0x80 && cp <= 0xFF) d[k++] = (char)cp;
            else aj_put_utf8(d, &k, cp);
            break;
        }
        default: free(d); return aj_fail(p, "bad escape");
        }
    }
    p->s++;
    d[k] = 0;
    *out = d;
    return 0;
}

static int aj_parse_container(aj_parser *p, aj_value *out, int obj)
{
    size_t cap = 0;
    char close = obj ? '}' : ']';
    out->type = obj ? AJ_OBJ : AJ_ARR;
    if (++p->depth > 64) return aj_fail(p, "nesting too deep");
    p->s++;
    aj_ws(p);
    if (p->s < p->end && *p->s == close) { p->s++; p->depth--; return 0; }
    for (;;) {
        char *key = NULL;
        aj_ws(p);
        if (obj) {
            if (p->s >= p->end || *p->s != '"') return aj_fail(p, "expected a key");
            if (aj_parse_string(p, &key)) return -1;
            aj_ws(p);
            if (p->s >= p->end || *p->s != ':') { free(key); return aj_fail(p, "expected ':'"); }
            p->s++;
        }
        if (out->n == cap) {
            cap = cap ? cap * 2 : 8;
            out->items = realloc(out->items, cap * sizeof *out->items);
            if (obj) out->keys = realloc(out->keys, cap * sizeof *out->keys);
            if (!out->items || (obj && !out->keys)) { free(key); return aj_fail(p, "out of memory"); }
        }
        memset(&out->items[out->n], 0, sizeof out->items[0]);
        if (obj) out->keys[out->n] = key;
        out->n++;
        if (aj_parse_value(p, &out->items[out->n - 1])) return -1;
        aj_ws(p);
        if (p->s < p->end && *p->s == ',') { p->s++; continue; }
        if (p->s < p->end && *p->s == close) { p->s++; p->depth--; return 0; }
        return aj_fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int aj_parse_value(aj_parser *p, aj_value *out)
{
    aj_ws(p);
    if (p->s >= p->end) return aj_fail(p, "unexpected end of input");
    switch (*p->s) {
    case '{': return aj_parse_container(p, out, 1);
    case '[': return aj_parse_container(p, out, 0);
    case '"': out->type = AJ_STR; return aj_parse_string(p, &out->str);
    case 't': if (p->end - p->s >= 4 && !memcmp(p->s, "true", 4)) { out->type = AJ_BOOL; out->num = 1; p->s += 4; return 0; } break;
    case 'f': if (p->end - p->s >= 5 && !memcmp(p->s, "false", 5)) { out->type = AJ_BOOL; p->s += 5; return 0; } break;
    case 'n': if (p->end - p->s >= 4 && !memcmp(p->s, "null", 4)) { out->type = AJ_NULL; p->s += 4; return 0; } break;
    default: {
        char buf[64], *e;
        size_t n = 0;
        while (p->s + n < p->end && n < sizeof buf - 1 && strchr("+-0123456789.eE", p->s[n])) { buf[n] = p->s[n]; n++; }
        buf[n] = 0;
        if (n == 0) break;
        out->type = AJ_NUM;
        out->num = strtod(buf, &e);
        if (*e) return aj_fail(p, "bad number");
        p->s += n;
        return 0;
    }
    }
    return aj_fail(p, "unexpected character");
}

static void aj_free(aj_value *v)
{
    size_t i;
    free(v->str);
    for (i = 0; i < v->n; i++) {
        aj_free(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    memset(v, 0, sizeof *v);
}

/* Parses the whole buffer. 0 on success; -1 with *err and *err_at (byte offset) set. */
static int aj_parse(const char *s, size_t n, aj_value *out, const char **err, size_t *err_at)
{
    aj_parser p;
    memset(&p, 0, sizeof p);
    memset(out, 0, sizeof *out);
    p.s = p.start = s;
    p.end = s + n;
    if (aj_parse_value(&p, out) == 0) {
        aj_ws(&p);
        if (p.s != p.end) aj_fail(&p, "trailing characters after the document");
    }
    if (p.err) { *err = p.err; *err_at = p.err_at; aj_free(out); return -1; }
    return 0;
}

static const aj_value *aj_get(const aj_value *o, const char *key)
{
    size_t i;
    if (!o || o->type != AJ_OBJ) return NULL;
    for (i = 0; i < o->n; i++)
        if (!strcmp(o->keys[i], key)) return &o->items[i];
    return NULL;
}

#endif
