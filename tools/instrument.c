/* thag-instrument / thag-remove: add or remove thag_profiler macros in C
 * sources without touching anything else.
 *
 * thag-instrument reads a C source (stdin or a file) and writes it to stdout
 * with `THAG_PROFILE(<name>);` as the first statement of every function
 * definition, `THAG_ENABLE_PROFILING(<opt>);` as the first statement of main,
 * and `#include "thag_profiler.h"` (preceded by
 * `#define THAG_PROFILER_IMPLEMENTATION` in a file whose main is always
 * compiled, or the one file --impl names) when the file lacks it. A main
 * inside #if..., and a definition whose name is not in the source (made by
 * a macro), are reported on stderr with their line, never passed over in
 * silence. With --prune=RUN (the second pass) it reads a profiled run's
 * -calls and -inclusive folded files and leaves out the functions too cheap
 * to measure (on an instrumented file: deletes their inserted statements). Every inserted piece ends with the marker comment
 * "thag-instrument" (MARK below), so thag-remove deletes exactly what was
 * inserted: thag-remove(thag-instrument(x)) == x byte for byte for every x
 * that does not contain the marker itself. With --all,
 * thag-remove also deletes hand-written THAG_PROFILE / THAG_SECTION /
 * THAG_END / THAG_ENABLE_PROFILING statements and thag include/define lines.
 *
 * One binary: it acts as thag-remove when invoked under that name (or with
 * the subcommand `remove`), as thag-instrument otherwise.
 *
 * How it works: a hand-written lexer (comments, strings, character
 * literals, line splices, preprocessor lines, `#if 0` groups) produces
 * tokens; a bracket-stack state machine finds function bodies at file scope
 * (`extern "C" {` is transparent). Each branch of a preprocessor conditional
 * starts from the state at its `#if`; after `#endif` parsing continues from
 * the end state of the first branch that is not `#if 0`. Every `{` token is
 * seen exactly once, so each body `{` is instrumented at most once. When
 * that reading does not balance (dtoa.c), the source is read again in the
 * configuration of its own #defines, without the branches it does not take
 * (read_source, "the file's own macros").
 *
 * Build: cc -std=c99 -O2 -o build/thag-instrument tools/instrument.c
 *        ln -sf thag-instrument build/thag-remove
 * SPDX-License-Identifier: MIT OR Apache-2.0
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define VERSION "0.1.0"
#define MARK " /* thag-instrument */"
#define NONE SIZE_MAX

/* ------------------------------------------------------------------ util */

static const char *g_prog = "thag-instrument";

static void oom(void)
{
    fprintf(stderr, "%s: out of memory\n", g_prog);
    exit(1);
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) oom();
    return q;
}

/* Grow array *pp of *cap elements of size sz so that it holds at least need. */
static void grow(void *pp, size_t *cap, size_t need, size_t sz)
{
    void **p = (void **)pp;
    if (need <= *cap) return;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    if (c > SIZE_MAX / sz) oom();
    *p = xrealloc(*p, c * sz);
    *cap = c;
}

static char *xstrndup(const char *s, size_t n)
{
    char *r = xrealloc(NULL, n + 1);
    memcpy(r, s, n);
    r[n] = 0;
    return r;
}

/* ---------------------------------------------------------------- source */

enum { T_IDENT, T_NUM, T_STR, T_CHAR, T_PUNCT, T_COND };
enum { C_IF, C_ELSE, C_ENDIF };        /* sub-kinds of T_COND */
enum { D_OTHER, D_INCLUDE, D_THAG_INCLUDE, D_THAG_DEFINE };

typedef struct {
    size_t pos, end;   /* bytes [pos, end) of the source */
    int kind;          /* T_* */
    int sub;           /* T_PUNCT: the character; T_COND: C_* */
    int skip;          /* T_COND: the branch starting here is skipped (#if 0) */
    int lit;           /* T_COND: the condition is the literal 1 (or #else) */
    int ev;            /* T_COND: the branch is taken in the file's own configuration
                          (1 yes, 0 no, -1 unknown; see "the file's own macros");
                          on C_ENDIF: that of the implicit empty #else, -2 if the
                          group has an #else */
} Tok;

typedef struct {
    size_t hash;       /* position of '#' */
    size_t bol;        /* start of the line holding '#' */
    size_t eol;        /* terminating newline (or end of input) */
    size_t next;       /* first byte after that newline */
    size_t inval;      /* #else/#elif/#endif that closes its group, or NONE */
    int kind;          /* D_* */
    int depth;         /* conditional nesting depth */
    int skipped;       /* inside a skipped group */
    size_t tok;        /* index of the first token after it */
    size_t brackets;   /* brackets open there, as the parser read it (an #include
                          inside an initializer is no place for ours) */
} Dir;

typedef struct {
    const char *name;  /* for messages */
    char *s;
    size_t n;
    size_t *lines;     /* start offset of each line */
    size_t nlines, caplines;
    Tok *tok;
    size_t ntok, captok;
    Dir *dir;
    size_t ndir, capdir;
    size_t first_item; /* first token or directive, NONE if none */
    int crlf;          /* the first line break is \r\n */
    int configured;    /* second reading: branches the file's macros do not take are skipped */
    size_t *unread;    /* configured: '#' of each group with a branch so skipped */
    size_t nunread, capunread;
    size_t bom;        /* 3 when the input starts with a UTF-8 byte order mark */
} Src;

/* 1-based line number of byte offset pos. */
static size_t line_of(const Src *S, size_t pos)
{
    size_t lo = 0, hi = S->nlines;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (S->lines[mid] <= pos) lo = mid; else hi = mid;
    }
    return lo + 1;
}

static size_t line_start(const Src *S, size_t pos)
{
    return S->lines[line_of(S, pos) - 1];
}

/* Report an error about the input at byte pos and exit with status 1;
 * nothing has been written to the output at that point. */
static void die_at(const Src *S, size_t pos, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: %s:%zu: error: ", g_prog, S->name, line_of(S, pos));
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("; nothing written\n", stderr);
    exit(1);
}

/* The bracket errors of the parser: in the first reading (g_soft) they only
 * mark it failed, and the source is read again in the file's configuration. */
static int g_soft, g_soft_failed;

static void parse_error(const Src *S, size_t pos, const char *fmt, int c, int o, size_t line)
{
    if (g_soft) {
        g_soft_failed = 1;
        return;
    }
    die_at(S, pos, fmt, c, o, line);
}

static void index_lines(Src *S)
{
    grow(&S->lines, &S->caplines, 1, sizeof *S->lines);
    S->lines[S->nlines++] = 0;
    for (size_t i = 0; i < S->n; i++) {
        if (S->s[i] != '\n') continue;
        if (S->nlines == 1) S->crlf = i > 0 && S->s[i - 1] == '\r';
        grow(&S->lines, &S->caplines, S->nlines + 1, sizeof *S->lines);
        S->lines[S->nlines++] = i + 1;
    }
}

/* ----------------------------------------------------------------- lexer */

/* First position at or after p that does not start a line splice. */
static size_t unsplice(const Src *S, size_t p)
{
    while (p < S->n && S->s[p] == '\\') {
        if (p + 1 < S->n && S->s[p + 1] == '\n') p += 2;
        else if (p + 2 < S->n && S->s[p + 1] == '\r' && S->s[p + 2] == '\n') p += 3;
        else break;
    }
    return p;
}

/* Logical character at *p (splices skipped, *p moved onto it), -1 at end. */
static int ch(const Src *S, size_t *p)
{
    *p = unsplice(S, *p);
    return *p < S->n ? (unsigned char)S->s[*p] : -1;
}

/* Logical character after the one at p. */
static int ch2(const Src *S, size_t p)
{
    size_t q = p + 1;
    return ch(S, &q);
}

static int is_idc(int c)
{
    return c == '_' || c == '$' || c >= 0x80 || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_hspace(int c)
{
    return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r';
}

/* p at "/ *": returns the position after the closing "* /". */
static size_t skip_block_comment(const Src *S, size_t p)
{
    size_t start = p;
    p = unsplice(S, p + 1) + 1;
    for (;;) {
        int c = ch(S, &p);
        if (c < 0) die_at(S, start, "unterminated comment");
        if (c == '*' && ch2(S, p) == '/') {
            p++;
            ch(S, &p);
            return p + 1;
        }
        p++;
    }
}

/* p at "//": returns the position of the newline that ends it (or end). */
static size_t skip_line_comment(const Src *S, size_t p)
{
    for (;;) {
        int c = ch(S, &p);
        if (c < 0 || c == '\n') return p;
        p++;
    }
}

/* p at a quote: returns the position after the closing quote. An
 * unterminated literal is an error unless tolerant (then it ends before
 * the newline). */
static size_t skip_literal(const Src *S, size_t p, int tolerant)
{
    size_t start = p;
    int q = S->s[p++];
    for (;;) {
        int c = ch(S, &p);
        if (c < 0 || c == '\n') {
            if (tolerant) return p;
            die_at(S, start, "unterminated %s literal",
                   q == '"' ? "string" : "character");
        }
        p++;
        if (c == q) return p;
        if (c == '\\' && ch(S, &p) >= 0 && S->s[p] != '\n') p++;
    }
}

/* p at the start of a preprocessing number: returns its end. */
static size_t skip_number(const Src *S, size_t p)
{
    for (;;) {
        int c = ch(S, &p);
        if ((c == 'e' || c == 'E' || c == 'p' || c == 'P') &&
            (ch2(S, p) == '+' || ch2(S, p) == '-')) {
            p++;
            ch(S, &p);
            p++;
        } else if (c == '\'' && is_idc(ch2(S, p))) {
            p++;   /* C23 digit separator */
        } else if (is_idc(c) || c == '.') {
            p++;
        } else {
            return p;
        }
    }
}

static void add_tok(Src *S, int kind, int sub, size_t pos, size_t end)
{
    grow(&S->tok, &S->captok, S->ntok + 1, sizeof *S->tok);
    Tok *t = &S->tok[S->ntok++];
    t->kind = kind;
    t->sub = sub;
    t->pos = pos;
    t->end = end;
    t->skip = 0;
    t->lit = 0;
}

/* The bracket spelled by the digraph c c2 (<% %> <: :>), or 0. */
static int digraph(int c, int c2)
{
    if (c == '<' && c2 == '%') return '{';
    if (c == '%' && c2 == '>') return '}';
    if (c == '<' && c2 == ':') return '[';
    if (c == ':' && c2 == '>') return ']';
    return 0;
}

/* Lex one token at p (not whitespace, comment or directive); returns its end. */
static size_t lex_token(Src *S, size_t p)
{
    int c = (unsigned char)S->s[p];
    size_t e;
    if (c == '"' || c == '\'') {
        e = skip_literal(S, p, 0);
        add_tok(S, c == '"' ? T_STR : T_CHAR, 0, p, e);
    } else if ((c >= '0' && c <= '9') || (c == '.' && ch2(S, p) >= '0' && ch2(S, p) <= '9')) {
        e = skip_number(S, p);
        add_tok(S, T_NUM, 0, p, e);
    } else if (is_idc(c)) {
        e = p;
        while (is_idc(ch(S, &e))) e++;
        add_tok(S, T_IDENT, 0, p, e);
    } else {
        int d = digraph(c, ch2(S, p));
        e = p + 1;
        if (d) {
            ch(S, &e);
            e++;
        }
        add_tok(S, T_PUNCT, d ? d : c, p, e);
    }
    return e;
}

/* Does the logical text of [a, b) (splices skipped) equal word? */
static int span_eq(const Src *S, size_t a, size_t b, const char *word)
{
    size_t p = a;
    for (; *word; word++, p++) {
        if (ch(S, &p) != (unsigned char)*word || p >= b) return 0;
    }
    return unsplice(S, p) >= b;
}

/* Does the raw text of [a, b) contain needle? */
static int span_has(const Src *S, size_t a, size_t b, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t p = a; p + k <= b; p++) {
        if (memcmp(S->s + p, needle, k) == 0) return 1;
    }
    return 0;
}

/* Skip horizontal space and comments inside a directive line. */
static size_t skip_dir_space(const Src *S, size_t p)
{
    for (;;) {
        int c = ch(S, &p);
        if (c >= 0 && c != '\n' && is_hspace(c)) p++;
        else if (c == '/' && ch2(S, p) == '*') p = skip_block_comment(S, p);
        else if (c == '/' && ch2(S, p) == '/') return skip_line_comment(S, p);
        else return p;
    }
}

static size_t skip_ident(const Src *S, size_t p)
{
    while (is_idc(ch(S, &p))) p++;
    return p;
}

/* p inside a directive: returns the position of the newline ending it. */
static size_t directive_end(const Src *S, size_t p)
{
    for (;;) {
        int c = ch(S, &p);
        if (c < 0 || c == '\n') return p;
        if (c == '/' && ch2(S, p) == '*') p = skip_block_comment(S, p);
        else if (c == '/' && ch2(S, p) == '/') return skip_line_comment(S, p);
        else if (c == '"' || c == '\'') p = skip_literal(S, p, 1);
        else p++;
    }
}

/* The condition of `#if` in [p, eol) if it is the literal 0 or 1, else -1. */
static int cond_literal(const Src *S, size_t p, size_t eol)
{
    size_t q = skip_dir_space(S, p);
    int c = ch(S, &q);
    if (q >= eol || c < '0' || c > '9') return -1;
    size_t e = skip_number(S, q);
    int v = span_eq(S, q, e, "0") ? 0 : span_eq(S, q, e, "1") ? 1 : -1;
    return skip_dir_space(S, e) >= eol ? v : -1;
}

/* ------------------------------------------------- the file's own macros
 * Which branch of a conditional the compiler takes matters when the
 * branches end at different brace depths, as in dtoa.c (jq, Python, Ruby):
 * `#ifdef Avoid_Underflow ... #else ... if (x) { #endif`, the brace closed
 * under a later `#ifndef Avoid_Underflow`. Such a file parses only in one
 * consistent configuration; the one chosen is the file's own: its #define
 * and #undef in the branches taken count, every other macro is undefined
 * except a few the compiler predefines, and `#if` is evaluated when it is
 * made of `defined` tests and single names (an undefined name is 0, as in
 * the preprocessor). Anything else is unknown (-1). */
typedef struct { char *name; int val; } Macro;   /* val: 1 defined, 0 not, -1 unknown */

typedef struct {
    size_t at, ndir;
    int outer, dead;
    int outer_act;     /* the enclosing branch is taken (1, 0, -1 unknown) */
    int done;          /* an earlier branch of the group is taken (1), may be (-1) */
    int had_else;
} LCond;
typedef struct {
    LCond *v;
    size_t n, cap;
    int skip;
    int act;           /* the current branch is taken in the file's configuration */
    Macro *mac;
    size_t nmac, capmac;
} Lex;
enum { K_IF, K_ELIF, K_ELSE, K_ENDIF, K_OTHER };

static void add_cond(Src *S, int sub, int skip, int lit, int ev, size_t at)
{
    add_tok(S, T_COND, sub, at, at + 1);
    S->tok[S->ntok - 1].skip = skip;
    S->tok[S->ntok - 1].lit = lit == 1;
    S->tok[S->ntok - 1].ev = ev;
}

static int macro_value(const Lex *L, const char *name);

/* The text of [a, b) without line splices (an identifier), allocated. */
static char *span_text(const Src *S, size_t a, size_t b)
{
    char *r = xrealloc(NULL, b - a + 1);
    size_t n = 0;
    for (size_t p = a; p < b; p++) {
        int c = ch(S, &p);
        if (p >= b) break;
        r[n++] = (char)c;
    }
    r[n] = 0;
    return r;
}

/* The value of the macro named by [a, b) (see macro_value). */
static int macro_at(const Lex *L, const Src *S, size_t a, size_t b)
{
    char *name = span_text(S, a, b);
    int v = macro_value(L, name);
    free(name);
    return v;
}

static int macro_value(const Lex *L, const char *name)
{
    static const char *const predefined[] = {
        "__STDC__", "__STDC_VERSION__", "__STDC_HOSTED__", "__GNUC__", "__GNUC_MINOR__",
        "__linux__", "__linux", "linux", "__unix__", "__unix", "unix", "__ELF__",
        "__x86_64__", "__LP64__", "_LP64", "__BYTE_ORDER__", "__ORDER_LITTLE_ENDIAN__"};
    for (size_t i = L->nmac; i-- > 0;) {
        if (!strcmp(L->mac[i].name, name)) return L->mac[i].val;
    }
    for (size_t i = 0; i < sizeof predefined / sizeof *predefined; i++) {
        if (!strcmp(predefined[i], name)) return 1;
    }
    return strcmp(name, "__clang__") ? 0 : -1;  /* gcc or clang: either */
}

/* #define (v 1) or #undef (v 0) of the identifier at a, in a branch whose
 * state is L->act: recorded as known only where the branch is known taken. */
static void macro_set(Lex *L, const Src *S, size_t a, int v)
{
    size_t b = skip_ident(S, a);
    if (L->act == 0 || b == a) return;
    grow(&L->mac, &L->capmac, L->nmac + 1, sizeof *L->mac);
    L->mac[L->nmac].name = span_text(S, a, b);
    L->mac[L->nmac++].val = L->act == 1 ? v : -1;
}

/* One term at *p: [!] defined(NAME), [!] defined NAME, [!] NAME. */
static int cond_term(const Src *S, const Lex *L, size_t *p, size_t eol)
{
    int neg = 0, v;
    size_t q = skip_dir_space(S, *p);
    while (ch(S, &q) == '!' && ch2(S, q) != '=') { neg = !neg; q = skip_dir_space(S, q + 1); }
    size_t e = skip_ident(S, q);
    if (e == q || q >= eol) return -2;
    if (span_eq(S, q, e, "defined")) {
        int paren;
        q = skip_dir_space(S, e);
        paren = ch(S, &q) == '(';
        if (paren) q = skip_dir_space(S, q + 1);
        e = skip_ident(S, q);
        if (e == q) return -2;
        v = macro_at(L, S, q, e);
        q = skip_dir_space(S, e);
        if (paren) {
            if (ch(S, &q) != ')') return -2;
            q = skip_dir_space(S, q + 1);
        }
    } else {
        v = macro_at(L, S, q, e) == 0 ? 0 : -1;  /* a defined name's value is not known */
        q = skip_dir_space(S, e);
    }
    *p = q;
    return v < 0 ? v : neg ? !v : v;
}

/* The value of a condition: `#ifdef`/`#ifndef` (which 1/2) or `#if`/`#elif`
 * (which 0) over [p, eol): 1, 0, or -1 when it cannot be known. */
static int cond_eval(const Src *S, const Lex *L, int which, size_t p, size_t eol)
{
    if (which) {
        size_t a = skip_dir_space(S, p), e = skip_ident(S, a);
        if (e == a) return -1;
        int v = macro_at(L, S, a, e);
        return v < 0 ? -1 : which == 1 ? v : !v;
    }
    int lit = cond_literal(S, p, eol);
    if (lit >= 0) return lit;
    int acc = -3, op = 0;  /* op: '&' or '|' once seen; mixing them is not evaluated */
    size_t q = p;
    for (;;) {
        int v = cond_term(S, L, &q, eol);
        if (v == -2) return -1;
        acc = acc == -3 ? v : op == '&' ? (acc == 0 || v == 0 ? 0 : acc < 0 || v < 0 ? -1 : 1)
                                        : (acc == 1 || v == 1 ? 1 : acc < 0 || v < 0 ? -1 : 0);
        if (q >= eol || ch(S, &q) == '\n') return acc;
        int c = ch(S, &q);
        if ((c != '&' && c != '|') || ch2(S, q) != c || (op && op != c)) return -1;
        op = c;
        q += 2;
    }
}

static int act_of(int outer, int v)
{
    return outer == 0 || v == 0 ? 0 : outer == 1 && v == 1 ? 1 : -1;
}

/* In the configured reading, is a branch of the group at hash left unread
 * (act 0: the file's macros do not take it)? Records the group once. */
static int unread(Src *S, const Lex *L, size_t hash, int act)
{
    if (!S->configured || act != 0 || L->skip) return 0;
    if (!S->nunread || S->unread[S->nunread - 1] != hash) {
        grow(&S->unread, &S->capunread, S->nunread + 1, sizeof *S->unread);
        S->unread[S->nunread++] = hash;
    }
    return 1;
}

/* Track #if/#elif/#else/#endif: nesting, skipped groups (literal 0/1
 * conditions), T_COND tokens for the parser, include-anchor invalidation. */
static void cond_directive(Src *S, Lex *L, int k, int lit, int v, size_t hash)
{
    if (k == K_IF) {
        grow(&L->v, &L->cap, L->n + 1, sizeof *L->v);
        L->v[L->n++] = (LCond){hash, S->ndir, L->skip, lit == 1, L->act, v == 1 ? 1 : v < 0 ? -1 : 0, 0};
        int sk = L->skip || lit == 0 || unread(S, L, hash, act_of(L->act, v));
        if (!L->skip) add_cond(S, C_IF, sk, lit, v, hash);
        L->skip = sk;
        L->act = act_of(L->act, v);
        return;
    }
    if (!L->n) die_at(S, hash, "#%s without #if", k == K_ENDIF ? "endif" : "else/#elif");
    LCond *c = &L->v[L->n - 1];
    for (size_t i = c->ndir; i < S->ndir; i++) {
        if (S->dir[i].inval == NONE) S->dir[i].inval = hash;
    }
    c->ndir = S->ndir;
    if (k == K_ENDIF) {
        L->n--;
        if (!c->outer) add_cond(S, C_ENDIF, 0, 0, c->had_else ? -2 : c->done == 1 ? 0 : c->done ? -1 : 1, hash);
        L->skip = c->outer;
        L->act = c->outer_act;
        return;
    }
    /* the branch is taken if its condition holds and no earlier one did */
    if (k == K_ELSE) v = 1, c->had_else = 1;
    v = c->done == 1 ? 0 : c->done < 0 && v != 0 ? -1 : v;
    if (v == 1) c->done = 1;
    else if (v < 0) c->done = -1;
    int sk = c->outer || c->dead || (k == K_ELIF && lit == 0) || unread(S, L, c->at, act_of(c->outer_act, v));
    if (k == K_ELSE || lit == 1) c->dead = 1;
    if (!c->outer) add_cond(S, C_ELSE, sk, k == K_ELSE ? 1 : lit, v, hash);
    L->skip = sk;
    L->act = act_of(c->outer_act, v);
}

/* The directive's kind; *which: 1 for #ifdef/#elifdef, 2 for #ifndef/#elifndef. */
static int directive_kind(const Src *S, size_t a, size_t b, int *which)
{
    static const char *const names[] = {"if", "ifdef", "ifndef", "elif", "elifdef",
                                        "elifndef", "else", "endif"};
    static const int kinds[] = {K_IF, K_IF, K_IF, K_ELIF, K_ELIF, K_ELIF, K_ELSE, K_ENDIF};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (span_eq(S, a, b, names[i])) {
            *which = i < 6 ? (int)(i % 3) : 0;
            return kinds[i];
        }
    }
    return K_OTHER;
}

static void add_dir(Src *S, const Lex *L, int kind, size_t hash, size_t eol)
{
    grow(&S->dir, &S->capdir, S->ndir + 1, sizeof *S->dir);
    Dir *d = &S->dir[S->ndir++];
    d->hash = hash;
    d->bol = line_start(S, hash);
    if (d->bol < S->bom) d->bol = S->bom;
    d->eol = eol;
    d->next = eol < S->n ? eol + 1 : eol;
    d->inval = NONE;
    d->kind = kind;
    d->depth = (int)L->n;
    d->skipped = L->skip;
    d->tok = S->ntok;
    d->brackets = 0;
}

/* p at a '#' that starts a directive: handle it, return its end of line. */
static size_t directive(Src *S, Lex *L, size_t p)
{
    size_t ns = skip_dir_space(S, p + 1), ne = skip_ident(S, ns);
    size_t eol = directive_end(S, ne);
    int which = 0, k = directive_kind(S, ns, ne, &which);
    if (k == K_IF || k == K_ELIF) {
        int lit = which ? -1 : cond_literal(S, ne, eol);
        /* the file's own configuration is needed only by the second reading */
        cond_directive(S, L, k, lit, S->configured ? cond_eval(S, L, which, ne, eol) : -1, p);
    } else if (k != K_OTHER) {
        cond_directive(S, L, k, -1, -1, p);
    } else if (span_eq(S, ns, ne, "define") || span_eq(S, ns, ne, "undef")) {
        int def = ch(S, &ns) == 'd';
        if (S->configured && !L->skip) macro_set(L, S, skip_dir_space(S, ne), def);
        if (def) {
            size_t a = skip_dir_space(S, ne), b = skip_ident(S, a);
            if (span_eq(S, a, b, "THAG_PROFILER_IMPLEMENTATION")) add_dir(S, L, D_THAG_DEFINE, p, eol);
        }
    } else if (span_eq(S, ns, ne, "include")) {
        add_dir(S, L, span_has(S, ne, eol, "thag_profiler.h") ? D_THAG_INCLUDE : D_INCLUDE, p, eol);
    }
    return eol;
}

/* Tokenise the whole source into S->tok (with T_COND markers) and S->dir. */
static void lex(Src *S)
{
    Lex L = {NULL, 0, 0, 0, 1, NULL, 0, 0};
    size_t p = S->bom = S->n >= 3 && memcmp(S->s, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    int bol = 1;
    S->first_item = NONE;
    for (;;) {
        int c = ch(S, &p);
        if (c < 0) break;
        if (c == '\n') {
            bol = 1;
            p++;
        } else if (is_hspace(c)) {
            p++;
        } else if (c == '/' && ch2(S, p) == '*') {
            p = skip_block_comment(S, p);
        } else if (c == '/' && ch2(S, p) == '/') {
            p = skip_line_comment(S, p);
        } else {
            if (S->first_item == NONE) S->first_item = p;
            if (c == '#' && bol) {
                p = directive(S, &L, p);
                continue;
            }
            bol = 0;
            if (!L.skip) p = lex_token(S, p);
            else p = (c == '"' || c == '\'') ? skip_literal(S, p, 1) : p + 1;
        }
    }
    if (L.n) die_at(S, L.v[L.n - 1].at, "#if without #endif");
    for (size_t i = 0; i < L.nmac; i++) free(L.mac[i].name);
    free(L.mac);
    free(L.v);
}

/* ---------------------------------------------------------------- parser */

enum { F_PAREN, F_BRACKET, F_BODY, F_EXTERN, F_BLOCK, F_FBLOCK };

typedef struct {
    int kind;          /* F_*: F_BODY function body, F_EXTERN extern "C" {,
                          F_FBLOCK file-scope initialiser/aggregate/other,
                          F_BLOCK a brace inside one of those */
    size_t tok;        /* the opening token */
    size_t fn;         /* F_BODY: index in Parser.fn */
} Frame;

typedef struct {
    Frame *fr;
    size_t nfr, capfr;
    size_t *decl;      /* token indices of the current file-scope declaration */
    size_t nd, capd;
    size_t seg;        /* decl index where the current ';'-segment starts */
    size_t knr;        /* decl index of a K&R declarator segment, or NONE */
    int inbody;        /* number of F_BODY/F_BLOCK/F_FBLOCK frames */
} PState;

typedef struct {
    char *name;
    size_t name_tok, hdr_first, open, close;   /* token indices; close NONE if unseen */
    size_t cond;       /* T_COND token of the innermost conditional branch that
                          holds the header and may be compiled out, or NONE */
    size_t group;      /* the #if token of cond's group */
    int nuncertain;    /* how many enclosing branches may be compiled out */
    int static_inline;
    int unknown;       /* U_*: why the name is not known (not instrumented) */
} Func;

enum { U_KNOWN, U_MACRO_HEADER, U_MACRO_NAME };

typedef struct {
    PState snap, chosen;   /* state at #if; end state of the preferred branch */
    PState taken;          /* end state of the branch the file's macros select */
    int have_chosen, cur_skip, have_taken, cur_ev;
    size_t end_nfr;        /* open brackets at the end of the first branch read */
    int have_end, ends_differ;
    size_t at;             /* T_COND token that starts the current branch */
    size_t group;          /* the group's #if token */
    int certain;           /* the current branch is always compiled (#if 1) */
    int all_skipped;       /* every earlier branch was skipped (#if 0) */
} PCond;

typedef struct {
    Src *S;
    PState st;
    PCond *cv;
    size_t ncv, capcv;
    Func *fn;
    size_t nfn, capfn;
    size_t *noname;    /* '{' tokens after a call-like header without a name */
    size_t nnoname, capnoname;
} Parser;

static int is_p(const Tok *t, int c)
{
    return t->kind == T_PUNCT && t->sub == c;
}

static int tok_is(const Src *S, const Tok *t, const char *word)
{
    return t->kind == T_IDENT && span_eq(S, t->pos, t->end, word);
}

static int tok_in(const Src *S, const Tok *t, const char *const *words)
{
    for (; *words; words++) {
        if (tok_is(S, t, *words)) return 1;
    }
    return 0;
}

static const char *const kw_attr[] = {"__attribute__", "__attribute", "__declspec",
                                      "alignas", "_Alignas", "__asm__", "__asm", "asm", NULL};
static const char *const kw_not_name[] = {
    "__attribute__", "__attribute", "__declspec", "alignas", "_Alignas", "__asm__",
    "__asm", "asm", "_Static_assert", "static_assert", "sizeof", "_Alignof", "alignof",
    "__alignof__", "typeof", "__typeof__", "__typeof", "typeof_unqual", "_Generic",
    "_Atomic", "__extension__", "void", "char", "short", "int", "long", "float",
    "double", "signed", "unsigned", "_Bool", "bool", "_Complex", "const", "volatile",
    "restrict", "__restrict", "__restrict__", "static", "extern", "inline", "__inline",
    "__inline__", "register", "auto", "typedef", "struct", "union", "enum", "return",
    "if", "else", "while", "for", "do", "switch", "case", "default", "goto", "break",
    "continue", "_Noreturn", "noreturn", "_Thread_local", "thread_local", "__thread",
    "constexpr", NULL};
static const char *const kw_storage[] = {"static", "extern", "inline", "__inline",
                                         "__inline__", NULL};

static Tok *DT(const Parser *P, size_t k)
{
    return &P->S->tok[P->st.decl[k]];
}

static void ps_assign(PState *d, const PState *s)
{
    grow(&d->fr, &d->capfr, s->nfr, sizeof *d->fr);
    grow(&d->decl, &d->capd, s->nd, sizeof *d->decl);
    if (s->nfr) memcpy(d->fr, s->fr, s->nfr * sizeof *d->fr);
    if (s->nd) memcpy(d->decl, s->decl, s->nd * sizeof *d->decl);
    d->nfr = s->nfr;
    d->nd = s->nd;
    d->seg = s->seg;
    d->knr = s->knr;
    d->inbody = s->inbody;
}

static void ps_free(PState *s)
{
    free(s->fr);
    free(s->decl);
    memset(s, 0, sizeof *s);
}

/* Append token i to the declaration. A declaration that grows past 8192
 * tokens (macro calls without ';') keeps only its last 4096, so that
 * copying the state at each #if stays cheap. */
static void decl_push(Parser *P, size_t i)
{
    PState *st = &P->st;
    if (st->nd >= 8192 && st->knr == NONE) {
        size_t cut = st->nd - 4096;
        memmove(st->decl, st->decl + cut, 4096 * sizeof *st->decl);
        st->nd = 4096;
        st->seg = st->seg > cut ? st->seg - cut : 0;
    }
    grow(&st->decl, &st->capd, st->nd + 1, sizeof *st->decl);
    st->decl[st->nd++] = i;
}

static void decl_reset(PState *st)
{
    st->nd = st->seg = 0;
    st->knr = NONE;
}

static void push_frame(Parser *P, int kind, size_t tok, size_t fn)
{
    PState *st = &P->st;
    grow(&st->fr, &st->capfr, st->nfr + 1, sizeof *st->fr);
    st->fr[st->nfr++] = (Frame){kind, tok, fn};
    if (kind == F_BODY || kind == F_BLOCK || kind == F_FBLOCK) st->inbody++;
}

static int top_is_paren(const Parser *P)
{
    const PState *st = &P->st;
    return st->nfr && (st->fr[st->nfr - 1].kind == F_PAREN || st->fr[st->nfr - 1].kind == F_BRACKET);
}

static int is_open(const Tok *t)
{
    return is_p(t, '(') || is_p(t, '[') || is_p(t, '{');
}

static int is_close(const Tok *t)
{
    return is_p(t, ')') || is_p(t, ']') || is_p(t, '}');
}

/* Index in [a, k] of the opener matching the closer at decl index k, or NONE. */
static size_t match_back(const Parser *P, size_t a, size_t k)
{
    int lvl = 0;
    for (size_t j = k + 1; j-- > a;) {
        if (is_close(DT(P, j))) lvl++;
        else if (is_open(DT(P, j)) && --lvl == 0) return j;
    }
    return NONE;
}

/* Is there an '=' outside brackets in decl [a, b)? */
static int has_eq(const Parser *P, size_t a, size_t b)
{
    int lvl = 0;
    for (size_t k = a; k < b; k++) {
        const Tok *t = DT(P, k);
        lvl += is_open(t) - is_close(t);
        if (lvl == 0 && is_p(t, '=')) return 1;
    }
    return 0;
}

/* Does decl [a, b) end like `struct|union|enum [attrs] [tag] [: type]`
 * (so the '{' that follows opens an aggregate body)? */
static int is_aggregate(const Parser *P, size_t a, size_t b)
{
    static const char *const tags[] = {"struct", "union", "enum", NULL};
    size_t k = b;
    while (k > a) {
        const Tok *t = DT(P, k - 1);
        if (tok_in(P->S, t, tags)) return 1;
        if (t->kind == T_IDENT || is_p(t, ':')) {
            k--;
            continue;
        }
        if (!is_p(t, ')') && !is_p(t, ']')) return 0;
        size_t o = match_back(P, a, k - 1);
        if (o == NONE) return 0;
        if (is_p(t, ']')) {
            if (o + 1 >= k - 1 || !is_p(DT(P, o + 1), '[')) return 0;  /* [[...]] */
            k = o;
        } else {
            if (o == a || !tok_in(P->S, DT(P, o - 1), kw_attr)) return 0;
            k = o - 1;
        }
    }
    return 0;
}

static int all_caps(const Src *S, const Tok *t)
{
    int letters = 0;
    for (size_t p = t->pos; p < t->end; p++) {
        int c = ch(S, &p);
        if (p >= t->end) break;
        if (c >= 'a' && c <= 'z') return 0;
        letters += c >= 'A' && c <= 'Z';
    }
    return letters > 0;
}

/* Is decl index k a name candidate: an identifier (not a keyword) followed
 * by a '(' group that does not start with '*' or '^'? Also true for a
 * parenthesised name `(name) (...)` (then *paren is set: k is inside one
 * more '(' than the declarator's level), unless that '(' follows an
 * ALL_CAPS identifier: `FN(foo)(int a)` is a macro call making the name. */
static int name_candidate(const Parser *P, size_t a, size_t k, size_t b, int *paren)
{
    const Tok *t = DT(P, k);
    size_t n = k + 1;
    *paren = 0;
    if (t->kind != T_IDENT || tok_in(P->S, t, kw_not_name) || n >= b) return 0;
    if (k > a && is_p(DT(P, k - 1), '(') && is_p(DT(P, n), ')') && n + 1 < b &&
        is_p(DT(P, n + 1), '(') &&
        !(k - 1 > a && DT(P, k - 2)->kind == T_IDENT && !tok_in(P->S, DT(P, k - 2), kw_not_name) &&
          all_caps(P->S, DT(P, k - 2)))) {
        *paren = 1;
        n++;
    }
    if (!is_p(DT(P, n), '(')) return 0;
    return !(n + 1 < b && (is_p(DT(P, n + 1), '*') || is_p(DT(P, n + 1), '^')));
}

/* The decl index of the declarator name in the header [a, b): see
 * name_candidate. The least nested one wins; among those the last that is
 * not ALL_CAPS (so `EXPORT(int) f(void)` and `int f(void) ATTR(x)` both
 * give f). NONE if none. */
static size_t find_name(const Parser *P, size_t a, size_t b)
{
    size_t best = NONE;
    int lvl = 0, best_lvl = INT_MAX, best_caps = 1, paren;
    for (size_t k = a; k < b; k++) {
        const Tok *t = DT(P, k);
        if (name_candidate(P, a, k, b, &paren)) {
            int caps = all_caps(P->S, t), l = lvl - paren;
            if (l < best_lvl || (l == best_lvl && (!caps || best_caps))) {
                best = k;
                best_lvl = l;
                best_caps = caps;
            }
        }
        lvl += is_open(t) - is_close(t);
    }
    return best;
}

/* Does the segment [a, b) hold a K&R declarator `name(id, id...)` followed
 * by a parameter declaration (`int f(a, b) int a;`)? */
static int knr_declarator(const Parser *P, size_t a, size_t b)
{
    const Src *S = P->S;
    for (size_t k = a; k + 3 < b; k++) {
        if (DT(P, k)->kind != T_IDENT || !is_p(DT(P, k + 1), '(')) continue;
        size_t m = k + 2;
        for (;;) {
            const Tok *t = DT(P, m);
            if (t->kind != T_IDENT || tok_in(S, t, kw_not_name) || m + 1 >= b) break;
            if (is_p(DT(P, m + 1), ')')) {
                const Tok *n = m + 2 < b ? DT(P, m + 2) : NULL;
                if (n && n->kind == T_IDENT && !tok_in(S, n, kw_attr)) return 1;
                break;
            }
            if (!is_p(DT(P, m + 1), ',') || m + 2 >= b) break;
            m += 2;
        }
    }
    return 0;
}

/* A ';' outside brackets at file scope: end of a declaration, unless it
 * ends a K&R parameter declaration (then the declaration goes on). */
static void end_segment(Parser *P, size_t i)
{
    PState *st = &P->st;
    size_t a = st->seg, b = st->nd;
    int keep;
    if (st->knr == NONE) {
        keep = knr_declarator(P, a, b);
        if (keep) st->knr = a;
    } else {
        keep = !has_eq(P, a, b);
        for (size_t k = a; keep && k < b; k++) keep = !is_p(DT(P, k), '{');
    }
    if (!keep) {
        decl_reset(st);
        return;
    }
    decl_push(P, i);
    st->seg = st->nd;
}

/* Is decl [a, nk) only storage-class keywords and macro calls `NAME(...)`?
 * Then an ALL_CAPS name at nk is a macro that expands to a header
 * (`TEST(x) {`), not a function name. */
static int only_macros_before(const Parser *P, size_t a, size_t nk)
{
    for (size_t k = a; k < nk; k++) {
        const Tok *t = DT(P, k);
        if (t->kind == T_IDENT && k + 1 < nk && is_p(DT(P, k + 1), '(')) {
            int lvl = 0;
            for (k++; k < nk; k++) {
                lvl += is_open(DT(P, k)) - is_close(DT(P, k));
                if (lvl == 0) break;
            }
        } else if (!tok_in(P->S, t, kw_storage)) {
            return 0;
        }
    }
    return 1;
}

/* Is the name at decl index nk a macro call that makes the name, as in
 * `int FN(foo)(int a) {` (its '(' group is followed by another '(')? */
static int name_from_macro(const Parser *P, size_t nk, size_t b)
{
    int lvl = 0;
    if (!is_p(DT(P, nk + 1), '(')) return 0;
    for (size_t k = nk + 1; k < b; k++) {
        lvl += is_open(DT(P, k)) - is_close(DT(P, k));
        if (lvl == 0) return k + 1 < b && is_p(DT(P, k + 1), '(');
    }
    return 0;
}

/* Record a function with name at decl index nk, header [a, b), body '{' i. */
static size_t add_func(Parser *P, size_t nk, size_t a, size_t b, size_t i)
{
    const Src *S = P->S;
    static const char *const inl[] = {"inline", "__inline", "__inline__", NULL};
    grow(&P->fn, &P->capfn, P->nfn + 1, sizeof *P->fn);
    Func *f = &P->fn[P->nfn];
    memset(f, 0, sizeof *f);
    f->name = span_text(S, DT(P, nk)->pos, DT(P, nk)->end);
    f->name_tok = P->st.decl[nk];
    f->hdr_first = P->st.decl[a];
    f->open = i;
    f->close = NONE;
    int st = 0, in = 0, lvl = 0;
    for (size_t k = a; k < b; k++) {
        const Tok *t = DT(P, k);
        if (lvl == 0) {
            st |= tok_is(S, t, "static");
            in |= tok_in(S, t, inl);
        }
        lvl += is_open(t) - is_close(t);
    }
    f->static_inline = st && in;
    f->cond = NONE;
    for (size_t c = P->ncv; c-- > 0;) {
        if (P->cv[c].certain) continue;
        if (f->cond == NONE) {
            f->cond = P->cv[c].at;
            f->group = P->cv[c].group;
        }
        f->nuncertain++;
    }
    if (all_caps(S, DT(P, nk)) && only_macros_before(P, a, nk)) f->unknown = U_MACRO_HEADER;
    else if (name_from_macro(P, nk, b)) f->unknown = U_MACRO_NAME;
    return P->nfn++;
}

/* Does decl [a, b) hold a '(' (a call-like header)? */
static int has_group(const Parser *P, size_t a, size_t b)
{
    for (size_t k = a; k < b; k++) {
        if (is_p(DT(P, k), '(')) return 1;
    }
    return 0;
}

/* A '{' at file scope outside brackets: classify what it opens. */
static void open_file_brace(Parser *P, size_t i)
{
    PState *st = &P->st;
    size_t a = st->seg, b = st->nd, ha = a, hb = b, nk = NONE;
    if (b - a >= 2 && DT(P, b - 1)->kind == T_STR && tok_is(P->S, DT(P, b - 2), "extern")) {
        push_frame(P, F_EXTERN, i, NONE);
        decl_reset(st);
        return;
    }
    if (a == b && st->knr != NONE) {
        ha = st->knr;
        for (hb = ha; hb < b && !is_p(DT(P, hb), ';'); hb++) {}
    }
    if (ha < hb && !has_eq(P, a, b) && !is_aggregate(P, a, b)) nk = find_name(P, ha, hb);
    if (nk == NONE && ha < hb && !has_eq(P, a, b) && !is_aggregate(P, a, b) && has_group(P, ha, hb)) {
        grow(&P->noname, &P->capnoname, P->nnoname + 1, sizeof *P->noname);
        P->noname[P->nnoname++] = i;
    }
    if (nk == NONE) {
        decl_push(P, i);
        push_frame(P, F_FBLOCK, i, NONE);
        return;
    }
    push_frame(P, F_BODY, i, add_func(P, nk, ha, hb, i));
}

static void open_bracket(Parser *P, size_t i)
{
    PState *st = &P->st;
    int c = P->S->tok[i].sub;
    if (c != '{') {
        if (!st->inbody) decl_push(P, i);
        push_frame(P, c == '(' ? F_PAREN : F_BRACKET, i, NONE);
    } else if (st->inbody) {
        push_frame(P, F_BLOCK, i, NONE);
    } else if (top_is_paren(P)) {
        decl_push(P, i);
        push_frame(P, F_FBLOCK, i, NONE);
    } else {
        open_file_brace(P, i);
    }
}

static void close_bracket(Parser *P, size_t i)
{
    PState *st = &P->st;
    const Src *S = P->S;
    int c = S->tok[i].sub;
    if (!st->nfr) {
        parse_error(S, S->tok[i].pos, "unmatched '%c'", c, 0, 0);
        return;
    }
    Frame f = st->fr[st->nfr - 1];
    int want = f.kind == F_PAREN ? ')' : f.kind == F_BRACKET ? ']' : '}';
    if (c != want) {
        parse_error(S, S->tok[i].pos, "'%c' does not match '%c' opened at line %zu", c,
                    S->tok[f.tok].sub, line_of(S, S->tok[f.tok].pos));
        return;
    }
    st->nfr--;
    if (f.kind == F_BODY || f.kind == F_BLOCK || f.kind == F_FBLOCK) st->inbody--;
    if (f.kind == F_BODY) P->fn[f.fn].close = i;
    if (f.kind == F_BODY || f.kind == F_EXTERN) decl_reset(st);
    else if (!st->inbody && f.kind != F_BLOCK) decl_push(P, i);
}

/* A branch of c ends in state st (ev: it is the branch the file's macros select). */
static void branch_end(PCond *c, const PState *st, int ev)
{
    if (!c->have_end) c->end_nfr = st->nfr, c->have_end = 1;
    else if (st->nfr != c->end_nfr) c->ends_differ = 1;
    if (ev == 1 && !c->have_taken) {
        ps_assign(&c->taken, st);
        c->have_taken = 1;
    }
}

/* #if / #else / #endif: each branch starts from the state at #if; after
 * #endif the end state of the first branch that is not skipped wins, unless
 * the branches end at different bracket depths: then the branch the file's
 * own macros select wins (see "the file's own macros"), when it is known. */
static void cond_token(Parser *P, size_t i)
{
    const Tok *t = &P->S->tok[i];
    if (t->sub == C_IF) {
        grow(&P->cv, &P->capcv, P->ncv + 1, sizeof *P->cv);
        PCond *c = &P->cv[P->ncv++];
        memset(c, 0, sizeof *c);
        ps_assign(&c->snap, &P->st);
        c->cur_skip = t->skip;
        c->cur_ev = t->ev;
        c->at = c->group = i;
        c->certain = t->lit;
        c->all_skipped = t->skip;
        return;
    }
    PCond *c = &P->cv[P->ncv - 1];
    if (!c->cur_skip) {
        branch_end(c, &P->st, c->cur_ev);
        if (!c->have_chosen) {
            ps_assign(&c->chosen, &P->st);
            c->have_chosen = 1;
        }
    }
    if (t->sub == C_ELSE) {
        ps_assign(&P->st, &c->snap);
        c->cur_skip = t->skip;
        c->cur_ev = t->ev;
        c->at = i;
        c->certain = c->all_skipped && t->lit;
        c->all_skipped &= t->skip;
        return;
    }
    if (t->ev != -2) branch_end(c, &c->snap, t->ev);  /* the empty #else */
    if (P->S->configured && c->ends_differ && c->have_taken) ps_assign(&P->st, &c->taken);
    else if (c->have_chosen) ps_assign(&P->st, &c->chosen);
    ps_free(&c->snap);
    ps_free(&c->chosen);
    ps_free(&c->taken);
    P->ncv--;
}

/* Run the state machine over all tokens; records functions in P->fn. */
static void parse(Parser *P)
{
    const Src *S = P->S;
    PState *st = &P->st;
    size_t di = 0;
    decl_reset(st);
    for (size_t i = 0; i < S->ntok && !g_soft_failed; i++) {
        const Tok *t = &S->tok[i];
        for (; di < S->ndir && S->dir[di].tok <= i; di++) P->S->dir[di].brackets = st->nfr;
        if (t->kind == T_COND) cond_token(P, i);
        else if (is_open(t)) open_bracket(P, i);
        else if (is_close(t)) close_bracket(P, i);
        else if (st->inbody) continue;
        else if (is_p(t, ';') && !top_is_paren(P)) end_segment(P, i);
        else decl_push(P, i);
    }
    if (st->nfr && !g_soft_failed) {
        const Tok *t = &S->tok[st->fr[st->nfr - 1].tok];
        parse_error(S, t->pos, "'%c' is never closed", t->sub, 0, 0);
    }
}

/* ----------------------------------------------------------------- edits */

typedef struct {
    const char *enable;    /* THAG_ENABLE_PROFILING option for main; NULL: none */
    const char *suffix;    /* --in-place backup suffix; NULL: write stdout */
    char **only, **excl;   /* name patterns (fnmatch) */
    size_t nonly, nexcl;
    long min_lines;
    const char *impl;      /* --impl=FILE: the one file that gets the implementation */
    char **drop;           /* --prune: names to leave unprofiled (exact) */
    size_t ndrop;
    int prune;             /* --prune given: an instrumented file only loses */
    int no_impl, skip_static_inline, all, remove;
} Opts;

typedef struct {
    size_t pos, len, seq;  /* insert text at pos, or delete [pos, pos+len) */
    char *text;
} Edit;

typedef struct {
    Edit *v;
    size_t n, cap;
} Edits;

typedef struct {
    char *s;
    size_t n, cap;
} Buf;

static void buf_add(Buf *b, const char *s, size_t n)
{
    grow(&b->s, &b->cap, b->n + n + 1, 1);
    memcpy(b->s + b->n, s, n);
    b->n += n;
}

static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    if (n < 0) oom();
    char *r = xrealloc(NULL, (size_t)n + 1);
    va_start(ap, f);
    vsnprintf(r, (size_t)n + 1, f, ap);
    va_end(ap);
    return r;
}

static void add_edit(Edits *E, size_t pos, size_t len, char *text)
{
    grow(&E->v, &E->cap, E->n + 1, sizeof *E->v);
    E->v[E->n] = (Edit){pos, len, E->n, text};
    E->n++;
}

static int edit_cmp(const void *a, const void *b)
{
    const Edit *x = a, *y = b;
    if (x->pos != y->pos) return x->pos < y->pos ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The source with all edits applied (overlapping deletions are merged). */
static void apply_edits(const Src *S, Edits *E, Buf *out)
{
    size_t p = 0;
    if (E->n) qsort(E->v, E->n, sizeof *E->v, edit_cmp);
    for (size_t i = 0; i < E->n; i++) {
        const Edit *e = &E->v[i];
        size_t at = e->pos > p ? e->pos : p;
        buf_add(out, S->s + p, at - p);
        p = at;
        if (e->text) buf_add(out, e->text, strlen(e->text));
        else if (e->pos + e->len > p) p = e->pos + e->len;
    }
    buf_add(out, S->s + p, S->n - p);
}

/* ------------------------------------------------------------ instrument */

static size_t stmt_end(const Src *S, size_t i);
static void remove_marked(const Src *S, size_t a, size_t m, Edits *E);
static int dir_line_is(const Src *S, const Dir *d, const char *text);

static int match_any(char *const *pats, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (fnmatch(pats[i], name, 0) == 0) return 1;
    }
    return 0;
}

/* Does the body already hold THAG_PROFILE or THAG_ENABLE_PROFILING? */
static int already_profiled(const Src *S, const Func *f)
{
    static const char *const m[] = {"THAG_PROFILE", "THAG_ENABLE_PROFILING", NULL};
    size_t end = f->close != NONE ? f->close : f->open + 2;
    for (size_t i = f->open + 1; i < end && i < S->ntok; i++) {
        if (tok_in(S, &S->tok[i], m)) return 1;
    }
    return 0;
}

/* Should f be instrumented? main takes THAG_ENABLE_PROFILING whatever the
 * filters say (a profile needs it), unless --no-enable. */
static int want_func(const Src *S, const Func *f, const Opts *O)
{
    if (O->enable && strcmp(f->name, "main") == 0) return 1;
    if (O->nonly && !match_any(O->only, O->nonly, f->name)) return 0;
    for (size_t i = 0; i < O->ndrop; i++) {
        if (strcmp(O->drop[i], f->name) == 0) return 0;
    }
    if (match_any(O->excl, O->nexcl, f->name)) return 0;
    if (O->skip_static_inline && f->static_inline) return 0;
    if (O->min_lines > 0 && f->close != NONE) {
        size_t n = line_of(S, S->tok[f->close].pos) - line_of(S, S->tok[f->name_tok].pos) + 1;
        if (n < (size_t)O->min_lines) return 0;
    }
    return 1;
}

/* If the rest of the line from p (just after a '{') holds only blanks and
 * comments that end on it, the position of its line break ('\r' of
 * "\r\n", or '\n'); otherwise NONE. */
static size_t brace_break(const Src *S, size_t p)
{
    const char *s = S->s;
    while (p < S->n) {
        if (s[p] == '\n' || (s[p] == '\r' && p + 1 < S->n && s[p + 1] == '\n')) return p;
        if (is_hspace((unsigned char)s[p])) {
            p++;
        } else if (s[p] == '/' && p + 1 < S->n && s[p + 1] == '*') {
            size_t q = p + 2;
            for (; q + 1 < S->n && !(s[q] == '*' && s[q + 1] == '/'); q++) {
                if (s[q] == '\n') return NONE;
            }
            p = q + 2;
        } else if (s[p] == '/' && p + 1 < S->n && s[p + 1] == '/') {
            size_t q = p;
            while (q < S->n && s[q] != '\n') q++;
            if (q == S->n) return NONE;
            if (s[q - 1] == '\r') q--;
            return s[q - 1] == '\\' ? NONE : q;
        } else {
            return NONE;
        }
    }
    return NONE;
}

static size_t indent_end(const Src *S, size_t p)
{
    while (p < S->n && (S->s[p] == ' ' || S->s[p] == '\t')) p++;
    return p;
}

/* Is the line at p a directive of kind k (K_*)? */
static int line_directive(const Src *S, size_t p)
{
    if (S->s[p] != '#') return -1;
    size_t ns = indent_end(S, p + 1);
    int which;
    return directive_kind(S, ns, skip_ident(S, ns), &which);
}

/* The first body line after the line break brk of function f: sets
 * [*a, *b) to its indentation and returns 1, or returns 0 when there is no
 * usable line (empty body). Lines of a #else/#elif branch that follows
 * are skipped (they hold an alternative header). */
static int body_indent(const Src *S, const Func *f, size_t brk, size_t *a, size_t *b)
{
    size_t stop = f->close != NONE ? S->tok[f->close].pos : S->n;
    int skipping = 0, nest = 0;
    for (size_t L = line_of(S, brk); L < S->nlines; L++) {
        size_t ls = S->lines[L], p = indent_end(S, ls);
        if (p >= stop) return 0;
        int k = line_directive(S, p);
        if (skipping) {
            nest += k == K_IF;
            if (k == K_ENDIF && nest == 0) skipping = 0;
            else if (k == K_ENDIF) nest--;
            continue;
        }
        skipping = k == K_ELSE || k == K_ELIF;
        if (k >= 0 || S->s[p] == '\n' || S->s[p] == '\r') continue;
        if (S->s[p] == '}') return 0;
        *a = ls;
        *b = p;
        return 1;
    }
    return 0;
}

/* The file's indentation unit: the first function body whose first line
 * is indented more than its closing brace tells; else a tab if some line
 * starts with one, else four spaces. */
static char *indent_unit(const Parser *P)
{
    const Src *S = P->S;
    for (size_t i = 0; i < P->nfn; i++) {
        const Func *f = &P->fn[i];
        size_t brk, a, b;
        if (f->close == NONE) continue;
        brk = brace_break(S, S->tok[f->open].end);
        if (brk == NONE || !body_indent(S, f, brk, &a, &b)) continue;
        size_t ca = line_start(S, S->tok[f->close].pos), cb = indent_end(S, ca);
        if (b - a > cb - ca && memcmp(S->s + a, S->s + ca, cb - ca) == 0) {
            return xstrndup(S->s + a + (cb - ca), (b - a) - (cb - ca));
        }
    }
    for (size_t L = 0; L < S->nlines; L++) {
        if (S->lines[L] < S->n && S->s[S->lines[L]] == '\t') return xstrndup("\t", 1);
    }
    return xstrndup("    ", 4);
}

/* Insert the profiling statement after the '{' of f. */
static void body_edit(const Parser *P, const Func *f, const Opts *O, Edits *E, char **unit)
{
    const Src *S = P->S;
    char *stmt = O->enable && strcmp(f->name, "main") == 0
                     ? fmt("THAG_ENABLE_PROFILING(%s);", O->enable)
                     : fmt("THAG_PROFILE(%s);", f->name);
    size_t bend = S->tok[f->open].end, brk = brace_break(S, bend), a, b;
    if (brk == NONE) {
        add_edit(E, bend, 0, fmt(" %s%s", stmt, MARK));
    } else if (body_indent(S, f, brk, &a, &b)) {
        add_edit(E, brk, 0, fmt("%s%.*s%s%s", S->s[brk] == '\r' ? "\r\n" : "\n",
                                (int)(b - a), S->s + a, stmt, MARK));
    } else {
        size_t ref = f->close != NONE ? f->close : f->name_tok;
        a = line_start(S, S->tok[ref].pos);
        b = indent_end(S, a);
        if (!*unit) *unit = indent_unit(P);
        add_edit(E, brk, 0, fmt("%s%.*s%s%s%s", S->s[brk] == '\r' ? "\r\n" : "\n",
                                (int)(b - a), S->s + a, *unit, stmt, MARK));
    }
    free(stmt);
}

/* Start of the first line that holds code or a directive (or 0 when a
 * comment ends on that line). */
static size_t first_line(const Src *S)
{
    size_t ls = line_start(S, S->first_item);
    if (ls < S->bom) ls = S->bom;
    return indent_end(S, ls) == S->first_item ? ls : S->bom;
}

/* Where to insert the include in a file without main: after the last
 * #include that precedes the first instrumented header (first) and whose
 * conditional group stays open past the last insertion (last); else
 * first_line(). Sets *present if such an include is thag_profiler.h. */
static size_t include_anchor(const Src *S, size_t first, size_t last, int *present)
{
    size_t best = NONE;
    *present = 0;
    for (size_t i = 0; i < S->ndir; i++) {
        const Dir *d = &S->dir[i];
        if (d->skipped || d->brackets || (d->kind != D_INCLUDE && d->kind != D_THAG_INCLUDE)) continue;
        if (d->next > first || (d->inval != NONE && d->inval < last)) continue;
        *present |= d->kind == D_THAG_INCLUDE;
        best = d->next;
    }
    return best != NONE ? best : first_line(S);
}

/* Where to insert define + include in the file that defines main: before
 * the first unconditional #include (the implementation wants to come
 * before system headers, after feature macros like _GNU_SOURCE); else
 * first_line(). */
static size_t impl_anchor(const Src *S, size_t first)
{
    for (size_t i = 0; i < S->ndir; i++) {
        const Dir *d = &S->dir[i];
        if (d->hash > first) break;
        if (!d->skipped && d->depth == 0 && !d->brackets && (d->kind == D_INCLUDE || d->kind == D_THAG_INCLUDE) &&
            indent_end(S, d->bol) == d->hash) {
            return d->bol;
        }
    }
    return first_line(S);
}

/* Print "prog: file:line: message" on stderr (a note; the run goes on). */
static void note_at(const Src *S, size_t pos, const char *fmt_, ...)
{
    va_list ap;
    fprintf(stderr, "%s: %s:%zu: ", g_prog, S->name, line_of(S, pos));
    va_start(ap, fmt_);
    vfprintf(stderr, fmt_, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Report a definition that is not instrumented because its name is unknown. */
static void report_unknown(const Src *S, const Func *f)
{
    const char *m = f->name;
    if (f->unknown == U_MACRO_HEADER) {
        note_at(S, S->tok[f->name_tok].pos,
                "not instrumented: %s(...) { looks like a macro that expands to the function "
                "header, so the function's name is unknown; add THAG_PROFILE(name); by hand", m);
    } else {
        note_at(S, S->tok[f->name_tok].pos,
                "not instrumented: the function's name is made by the macro %s(...), so it is "
                "unknown; add THAG_PROFILE(name); by hand", m);
    }
}

/* The text of the directive at byte hash, up to 60 bytes, for messages. */
static char *directive_text(const Src *S, size_t hash)
{
    size_t e = directive_end(S, hash + 1);
    while (e > hash && (S->s[e - 1] == '\r' || S->s[e - 1] == ' ' || S->s[e - 1] == '\t')) e--;
    if (e - hash > 60) return fmt("%.57s...", S->s + hash);
    return xstrndup(S->s + hash, e - hash);
}

static int is_main(const Func *f)
{
    return !f->unknown && strcmp(f->name, "main") == 0;
}

/* Is the input the file named by --impl? ("-" names standard input.) */
static int is_impl_file(const Src *S, const char *impl)
{
    struct stat a, b;
    if (strcmp(impl, "-") == 0) return strcmp(S->name, "<stdin>") == 0;
    if (strcmp(S->name, "<stdin>") == 0) return 0;
    if (stat(S->name, &a) == 0 && stat(impl, &b) == 0) return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
    return strcmp(S->name, impl) == 0;
}

/* Does this file get #define THAG_PROFILER_IMPLEMENTATION? With --impl,
 * only the named file; with --no-impl, none; else a file with a main that
 * is always compiled. A main inside a conditional group gets none, with a
 * note (report set) saying what to do. */
/* Is main f always compiled: outside conditionals, or in a group (itself
 * unconditional) that ends with #else and defines main in every branch,
 * like `#ifdef _WIN32 main... #else main... #endif`? */
static int main_always(const Parser *P, const Func *f)
{
    const Src *S = P->S;
    if (f->cond == NONE) return 1;
    if (f->nuncertain > 1) return 0;
    int depth = 0, found = 0, last_else = 0;
    for (size_t i = f->group; i < S->ntok; i++) {
        const Tok *t = &S->tok[i];
        if (t->kind != T_COND) continue;
        depth += t->sub == C_IF ? 1 : t->sub == C_ENDIF ? -1 : 0;
        if (depth == 0) return found && last_else;
        if (depth != 1 || t->sub == C_ENDIF) continue;
        if (t->sub == C_ELSE && !found) return 0;   /* the branch before had no main */
        found = 0;
        last_else = t->sub == C_ELSE && t->lit;
        for (size_t k = 0; k < P->nfn && !found; k++) {
            found = is_main(&P->fn[k]) && P->fn[k].cond == i && P->fn[k].nuncertain == 1;
        }
    }
    return 0;
}

static int wants_impl(const Parser *P, const Opts *O, int report)
{
    const Src *S = P->S;
    int yes = 0;
    if (O->impl) return is_impl_file(S, O->impl);
    if (O->no_impl) return 0;
    for (size_t i = 0; i < P->nfn; i++) yes |= is_main(&P->fn[i]) && main_always(P, &P->fn[i]);
    for (size_t i = 0; i < P->nfn && report && !yes; i++) {
        const Func *f = &P->fn[i];
        if (!is_main(f) || f->cond == NONE) continue;
        char *d = directive_text(S, S->tok[f->cond].pos), *g = directive_text(S, S->tok[f->group].pos);
        char *of = f->group == f->cond ? xstrndup("", 0)
                                       : fmt(" of '%s' (line %zu)", g, line_of(S, S->tok[f->group].pos));
        note_at(S, S->tok[f->name_tok].pos,
                "main is inside '%s' (line %zu)%s: no THAG_PROFILER_IMPLEMENTATION added; a "
                "program built with this main needs it in exactly one of its files: "
                "--impl=FILE, or '#define THAG_PROFILER_IMPLEMENTATION' before "
                "'#include \"thag_profiler.h\"' by hand", d, line_of(S, S->tok[f->cond].pos), of);
        free(d);
        free(g);
        free(of);
    }
    return yes;
}

/* End (after the marker) of an inserted `NAME(...); MARK` statement starting
 * at token i, or NONE. */
static size_t marked_end(const Src *S, size_t i)
{
    static const char *const marked[] = {"THAG_PROFILE", "THAG_ENABLE_PROFILING", NULL};
    size_t m = strlen(MARK), j;
    if (!tok_in(S, &S->tok[i], marked) || (j = stmt_end(S, i)) == NONE) return NONE;
    size_t e = S->tok[j].end;
    return e + m <= S->n && memcmp(S->s + e, MARK, m) == 0 ? e + m : NONE;
}

/* Delete the inserted statements in the body of f (a function the options
 * exclude, instrumented by an earlier run). */
static void unprofile(const Src *S, const Func *f, Edits *E)
{
    size_t end = f->close != NONE ? f->close : S->ntok, e;
    for (size_t i = f->open + 1; i < end; i++) {
        if ((e = marked_end(S, i)) != NONE) remove_marked(S, S->tok[i].pos, e, E);
    }
}

/* Delete the directive line d (with its line break). */
static void delete_dir(const Src *S, const Dir *d, Edits *E)
{
    size_t a = indent_end(S, d->bol) == d->hash ? d->bol : d->hash;
    add_edit(E, a, d->next - a, NULL);
}

/* With --impl or --no-impl, in a file that includes thag_profiler.h
 * already: make the implementation define agree with the option. Inserted
 * lines are moved or deleted; a hand-written include only gets a define
 * before it (in the file that --impl names). */
static void impl_fix(const Parser *P, const Opts *O, Edits *E, size_t first)
{
    const Src *S = P->S;
    const Dir *inc = NULL, *def = NULL;
    int impl = wants_impl(P, O, 0);
    for (size_t i = 0; i < S->ndir; i++) {
        const Dir *d = &S->dir[i];
        if (!d->skipped && d->kind == D_THAG_DEFINE && !def) def = d;
        if (!d->skipped && d->kind == D_THAG_INCLUDE && !inc) inc = d;
    }
    int mdef = def && dir_line_is(S, def, "#define THAG_PROFILER_IMPLEMENTATION");
    int minc = inc && dir_line_is(S, inc, "#include \"thag_profiler.h\"");
    const char *nl = S->crlf ? "\r\n" : "\n";
    if (!impl && mdef) delete_dir(S, def, E);
    if (!impl || def || !inc) return;
    if (minc) {
        delete_dir(S, inc, E);
        add_edit(E, impl_anchor(S, first), 0,
                 fmt("#define THAG_PROFILER_IMPLEMENTATION%s%s#include \"thag_profiler.h\"%s%s", MARK,
                     nl, MARK, nl));
    } else if (indent_end(S, inc->bol) == inc->hash) {
        add_edit(E, inc->bol, 0, fmt("#define THAG_PROFILER_IMPLEMENTATION%s%s", MARK, nl));
    }
}

/* Add define + include (impl) or the include alone, unless present. */
static void include_edit(const Parser *P, const Opts *O, Edits *E, size_t first, size_t last)
{
    const Src *S = P->S;
    const char *nl = S->crlf ? "\r\n" : "\n";
    int present, impl = wants_impl(P, O, 0), chosen = O->impl || O->no_impl;
    if (S->first_item == NONE || (first == NONE && !chosen)) return;
    size_t at = include_anchor(S, first == NONE ? S->n : first, last, &present);
    if (present && chosen) impl_fix(P, O, E, first == NONE ? S->n : first);
    if (present || (first == NONE && !impl)) return;
    if (wants_impl(P, O, 1)) {
        add_edit(E, impl_anchor(S, first == NONE ? S->n : first), 0,
                 fmt("#define THAG_PROFILER_IMPLEMENTATION%s%s#include \"thag_profiler.h\"%s%s", MARK,
                     nl, MARK, nl));
    } else {
        add_edit(E, at, 0, fmt("#include \"thag_profiler.h\"%s%s", MARK, nl));
    }
}

/* Has thag-instrument been over this file (a marked statement or line)? */
static int instrumented_before(const Src *S)
{
    for (size_t i = 0; i < S->ndir; i++) {
        if (dir_line_is(S, &S->dir[i], "#include \"thag_profiler.h\"") ||
            dir_line_is(S, &S->dir[i], "#define THAG_PROFILER_IMPLEMENTATION")) {
            return 1;
        }
    }
    for (size_t i = 0; i < S->ntok; i++) {
        if (marked_end(S, i) != NONE) return 1;
    }
    return 0;
}

/* Instrument: insert the statements and lines; with filters (or --prune)
 * on an instrumented file, delete the inserted statements of the functions
 * they exclude. A --prune pass over an instrumented file only deletes: a
 * function an earlier pass left out has no figures in the new run, and
 * stays out. */
static void plan_instrument(const Parser *P, const Opts *O, Edits *E)
{
    const Src *S = P->S;
    char *unit = NULL;
    size_t first = NONE, last = 0;
    int add = !(O->prune && instrumented_before(S));
    for (size_t i = 0; i < P->nnoname; i++) {
        note_at(S, S->tok[P->noname[i]].pos,
                "not instrumented: no function name found in the header before this '{'");
    }
    for (size_t i = 0; i < P->nfn; i++) {
        const Func *f = &P->fn[i];
        if (f->unknown) {
            report_unknown(S, f);
            continue;
        }
        int want = want_func(S, f, O);
        if (already_profiled(S, f)) {
            if (!want) unprofile(S, f, E);
            continue;
        }
        if (!want || !add) continue;
        body_edit(P, f, O, E, &unit);
        if (S->tok[f->hdr_first].pos < first) first = S->tok[f->hdr_first].pos;
        if (S->tok[f->open].pos > last) last = S->tok[f->open].pos;
    }
    free(unit);
    include_edit(P, O, E, first, last);
}

/* ---------------------------------------------------------------- remove */

/* Token index of the ';' ending the statement `NAME ( ... ) ;` that starts
 * at token i, or NONE. */
static size_t stmt_end(const Src *S, size_t i)
{
    int lvl = 0;
    if (i + 1 >= S->ntok || !is_p(&S->tok[i + 1], '(')) return NONE;
    for (size_t j = i + 1; j < S->ntok; j++) {
        const Tok *t = &S->tok[j];
        if (t->kind == T_COND) return NONE;
        lvl += is_open(t) - is_close(t);
        if (lvl == 0) return j + 1 < S->ntok && is_p(&S->tok[j + 1], ';') ? j + 1 : NONE;
    }
    return NONE;
}

static int at_line_break(const Src *S, size_t p)
{
    return p < S->n && (S->s[p] == '\n' || (S->s[p] == '\r' && p + 1 < S->n && S->s[p + 1] == '\n'));
}

/* Delete an inserted statement [a, m) (m: end of the marker) with the line
 * break before it (own-line form) or the space before it (inline form). */
static void remove_marked(const Src *S, size_t a, size_t m, Edits *E)
{
    size_t ls = line_start(S, a);
    if (indent_end(S, ls) == a && ls > 0 && at_line_break(S, m)) {
        size_t d = ls - 1;
        if (d > 0 && S->s[d - 1] == '\r') d--;
        add_edit(E, d, m - d, NULL);
    } else if (a > 0 && S->s[a - 1] == ' ') {
        add_edit(E, a - 1, m - a + 1, NULL);
    } else {
        add_edit(E, a, m - a, NULL);
    }
}

/* --all: delete a hand-written statement [a, e) starting at token i: its
 * whole line when it is alone on it, else the statement and the blanks on
 * one side. Statements that are not in statement position are kept. */
static void remove_hand(const Src *S, size_t i, size_t a, size_t e, Edits *E)
{
    size_t k = i;
    while (k > 0 && S->tok[k - 1].kind == T_COND) k--;
    if (k > 0 && !is_p(&S->tok[k - 1], '{') && !is_p(&S->tok[k - 1], '}') &&
        !is_p(&S->tok[k - 1], ';') && !is_p(&S->tok[k - 1], ':')) {
        fprintf(stderr, "%s: %s:%zu: warning: %.*s is not a statement of its own; kept\n", g_prog,
                S->name, line_of(S, a), (int)(S->tok[i].end - S->tok[i].pos), S->s + S->tok[i].pos);
        return;
    }
    size_t ls = line_start(S, a), q = e;
    while (q < S->n && (S->s[q] == ' ' || S->s[q] == '\t')) q++;
    int eol = q == S->n || at_line_break(S, q);
    if (indent_end(S, ls) == a && eol) {
        if (q < S->n) q += S->s[q] == '\r' ? 2 : 1;
        add_edit(E, ls, q - ls, NULL);
    } else if (eol) {
        size_t b = a;
        while (b > ls && (S->s[b - 1] == ' ' || S->s[b - 1] == '\t')) b--;
        add_edit(E, b, e - b, NULL);
    } else {
        add_edit(E, a, q - a, NULL);
    }
}

static int dir_line_is(const Src *S, const Dir *d, const char *text)
{
    size_t e = d->eol;
    if (e > d->bol && S->s[e - 1] == '\r') e--;
    size_t k = strlen(text), m = strlen(MARK);
    return e - d->bol == k + m && memcmp(S->s + d->bol, text, k) == 0 &&
           memcmp(S->s + d->bol + k, MARK, m) == 0;
}

static void remove_dir(const Src *S, const Dir *d, int all, Edits *E)
{
    if (d->skipped) return;
    if (dir_line_is(S, d, "#define THAG_PROFILER_IMPLEMENTATION") ||
        dir_line_is(S, d, "#include \"thag_profiler.h\"") ||
        (all && (d->kind == D_THAG_INCLUDE || d->kind == D_THAG_DEFINE))) {
        size_t a = indent_end(S, d->bol) == d->hash ? d->bol : d->hash;
        add_edit(E, a, d->next - a, NULL);
    }
}

static void plan_remove(const Src *S, const Opts *O, Edits *E)
{
    static const char *const marked[] = {"THAG_PROFILE", "THAG_ENABLE_PROFILING", NULL};
    static const char *const hand[] = {"THAG_PROFILE", "THAG_ENABLE_PROFILING", "THAG_SECTION",
                                       "THAG_END", NULL};
    size_t m = strlen(MARK);
    for (size_t i = 0; i < S->ntok; i++) {
        const Tok *t = &S->tok[i];
        if (!tok_in(S, t, hand)) continue;
        size_t j = stmt_end(S, i);
        if (j == NONE) continue;
        size_t e = S->tok[j].end;
        if (tok_in(S, t, marked) && e + m <= S->n && memcmp(S->s + e, MARK, m) == 0) {
            remove_marked(S, t->pos, e + m, E);
        } else if (O->all) {
            remove_hand(S, i, t->pos, e, E);
        }
    }
    for (size_t i = 0; i < S->ndir; i++) remove_dir(S, &S->dir[i], O->all, E);
}

/* ----------------------------------------------------------------- prune */

/* Per frame name, from a profiled run: calls and inclusive nanoseconds of
 * the stacks that end with it. */
typedef struct {
    char *name;
    double calls, ns;
    double adj;        /* ns without the scopes of dropped callees */
    int drop;          /* 1: under --min-ns; 2: over --budget */
    int inner;         /* calls other frames on some stack */
    int keep;          /* matches --keep: never dropped */
} Stat;

typedef struct {
    Stat *v;
    size_t n, cap;
    size_t *tab;       /* open addressing: index + 1 into v, 0 empty */
    size_t ntab;       /* a power of two */
    double roots_ns;   /* inclusive ns of the root frames: the profiled time */
    double calls;      /* all calls */
    size_t *path;      /* per line of the calls file: its frames (Stat indices), */
    size_t npath, cappath;  /* as [count, frame..., frame], one after another */
    double *pcalls;    /* per line: its calls */
    size_t nlines, caplines;
} Stats;

static size_t name_hash(const char *s, size_t n)
{
    size_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return h;
}

static void stats_rehash(Stats *T)
{
    free(T->tab);
    T->ntab = T->ntab ? T->ntab * 2 : 1024;
    T->tab = xrealloc(NULL, T->ntab * sizeof *T->tab);
    memset(T->tab, 0, T->ntab * sizeof *T->tab);
    for (size_t i = 0; i < T->n; i++) {
        size_t h = name_hash(T->v[i].name, strlen(T->v[i].name)) & (T->ntab - 1);
        while (T->tab[h]) h = (h + 1) & (T->ntab - 1);
        T->tab[h] = i + 1;
    }
}

/* The entry for name [s, s+n), created when missing. */
static Stat *stats_get(Stats *T, const char *s, size_t n)
{
    if (2 * (T->n + 1) > T->ntab) stats_rehash(T);
    size_t h = name_hash(s, n) & (T->ntab - 1);
    for (; T->tab[h]; h = (h + 1) & (T->ntab - 1)) {
        Stat *e = &T->v[T->tab[h] - 1];
        if (strlen(e->name) == n && memcmp(e->name, s, n) == 0) return e;
    }
    grow(&T->v, &T->cap, T->n + 1, sizeof *T->v);
    T->v[T->n] = (Stat){xstrndup(s, n), 0, 0, 0, 0, 0, 0};
    T->tab[h] = ++T->n;
    return &T->v[T->n - 1];
}

/* Record the frames of the calls-file stack [a, e) with its calls v. */
static void add_path(Stats *T, const char *a, const char *e, double v)
{
    size_t at = T->npath, k = 0;
    grow(&T->path, &T->cappath, T->npath + 1, sizeof *T->path);
    T->npath++;
    for (const char *p = a; p < e; k++) {
        const char *q = p;
        while (q < e && *q != ';') q++;
        size_t idx = (size_t)(stats_get(T, p, (size_t)(q - p)) - T->v);
        grow(&T->path, &T->cappath, T->npath + 1, sizeof *T->path);
        T->path[T->npath++] = idx;
        p = q + 1;
    }
    T->path[at] = k;
    grow(&T->pcalls, &T->caplines, T->nlines + 1, sizeof *T->pcalls);
    T->pcalls[T->nlines++] = v;
}

/* Add one folded file: calls (inclusive 0) or inclusive ns (1) per last
 * frame. A malformed line is an error naming its line (exit 1). */
static void read_folded(Stats *T, const char *path, int inclusive)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, no = 0;
    ssize_t len;
    if (!f) {
        fprintf(stderr, "%s: --prune: %s: %s\n", g_prog, path, strerror(errno));
        exit(1);
    }
    while ((len = getline(&line, &cap, f)) >= 0) {
        no++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if (len == 0 || line[0] == '#') continue;
        char *sp = strrchr(line, ' '), *end;
        double v = sp ? strtod(sp + 1, &end) : 0;
        if (!sp || sp == line || end == sp + 1 || *end || v < 0) {
            fprintf(stderr, "%s: --prune: %s:%zu: not a folded line 'frame;frame value'\n", g_prog,
                    path, no);
            exit(1);
        }
        char *semi = NULL;
        for (char *q = line; q < sp; q++) {
            if (*q == ';') semi = q;
        }
        const char *fr = semi ? semi + 1 : line;
        if (!inclusive) add_path(T, line, sp, v);
        Stat *e = stats_get(T, fr, (size_t)(sp - fr));
        if (inclusive) e->ns += v;
        else e->calls += v;
        if (inclusive && !semi) T->roots_ns += v;
        if (!inclusive) T->calls += v;
    }
    free(line);
    fclose(f);
}


/* Does s end with suffix? */
static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The newest (by modification time, then name) *-calls.folded in dir, or NULL. */
static char *newest_calls(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char *best = NULL;
    struct timespec bt = {0, 0};
    if (!d) return NULL;
    while ((e = readdir(d))) {
        struct stat st;
        if (!ends_with(e->d_name, "-calls.folded")) continue;
        char *p = fmt("%s/%s", dir, e->d_name);
        if (stat(p, &st) == 0 && (!best || st.st_mtim.tv_sec > bt.tv_sec ||
                                  (st.st_mtim.tv_sec == bt.tv_sec && (st.st_mtim.tv_nsec > bt.tv_nsec ||
                                   (st.st_mtim.tv_nsec == bt.tv_nsec && strcmp(p, best) > 0))))) {
            free(best);
            best = p;
            bt = st.st_mtim;
        } else {
            free(p);
        }
    }
    closedir(d);
    return best;
}

/* The prefix <dir>/<program>-<stamp> of the run that arg names: a
 * directory (its newest run), any file of the run, or the prefix itself. */
static char *run_prefix(const char *arg)
{
    static const char *const kinds[] = {"-calls", "-inclusive", "-timeline", "-wall", NULL};
    struct stat st;
    char *p;
    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
        p = newest_calls(arg);
        if (!p) {
            fprintf(stderr, "%s: --prune: no *-calls.folded file in directory %s\n", g_prog, arg);
            exit(1);
        }
    } else {
        p = xstrndup(arg, strlen(arg));
    }
    if (ends_with(p, ".folded")) p[strlen(p) - 7] = 0;
    for (const char *const *k = kinds; *k; k++) {
        if (ends_with(p, *k)) p[strlen(p) - strlen(*k)] = 0;
    }
    return p;
}

typedef struct {
    const char *run;       /* --prune: the first run (directory, file or prefix) */
    double min_ns;         /* --min-ns: drop functions faster than this per call;
                              < 0: 1.5 scope_ns */
    double scope_ns;       /* --scope-ns: the cost of one profiled scope; < 0:
                              estimated from the run (scope_estimate) */
    double budget;         /* --budget: percent of the run (default 5); 0: off */
    char **keep;           /* --keep: name patterns never left out */
    size_t nkeep;
} Prune;

#define SCOPE_NS_DEFAULT 20.0  /* bench/run.sh: 18-19 ns per empty scope */

/* The cost of one scope, estimated from the run: twice the smallest mean
 * inclusive time of a leaf frame called at least 1000 times (an empty
 * function measures about half of its scope: the clock reads sit inside
 * the scope), kept within [20, 100] ns; 20 when no frame qualifies. */
static double scope_estimate(const Stats *T)
{
    double best = -1;
    for (size_t i = 0; i < T->n; i++) {
        const Stat *e = &T->v[i];
        if (e->inner || e->calls < 1000) continue;
        if (best < 0 || e->ns / e->calls < best) best = e->ns / e->calls;
    }
    if (best < 0 || 2 * best < SCOPE_NS_DEFAULT) return SCOPE_NS_DEFAULT;
    return 2 * best > 5 * SCOPE_NS_DEFAULT ? 5 * SCOPE_NS_DEFAULT : 2 * best;
}

static double mean_adj(const Stat *e)
{
    return e->adj / e->calls;
}

static int by_mean(const void *a, const void *b)
{
    const Stat *x = *(Stat *const *)a, *y = *(Stat *const *)b;
    double mx = mean_adj(x), my = mean_adj(y);
    if (mx != my) return mx < my ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Set each frame's adj: its inclusive ns less scope_ns for every call of a
 * dropped frame below it (the scope it would no longer pay for). */
static void adjust(Stats *T, double scope_ns)
{
    for (size_t i = 0; i < T->n; i++) T->v[i].adj = T->v[i].ns;
    for (size_t p = 0, l = 0; p < T->npath; l++) {
        size_t k = T->path[p], leaf = T->path[p + k];
        if (T->v[leaf].drop) {
            for (size_t j = 1; j < k; j++) T->v[T->path[p + j]].adj -= T->pcalls[l] * scope_ns;
        for (size_t j = 1; j < k; j++) T->v[T->path[p + j]].inner = 1;
        }
        p += k + 1;
    }
}

/* Mark, in order of adjusted ns per call (v sorted), the frames under
 * min_ns, recomputing the adjustment until nothing changes. */
static void drop_cheap(Stats *T, Stat **v, size_t n, const Prune *R)
{
    int changed = 1;
    while (changed) {
        changed = 0;
        adjust(T, R->scope_ns);
        for (size_t i = 0; i < n; i++) {
            if (!v[i]->drop && !v[i]->keep && mean_adj(v[i]) < R->min_ns) v[i]->drop = changed = 1;
        }
    }
}

/* The run's own time: the profiled time less the cost of all its scopes
 * (at least 1% of the profiled time). */
static double own_ns(const Stats *T, Stat **v, size_t n, const Prune *R)
{
    double all = 0;
    for (size_t i = 0; i < n; i++) all += v[i]->calls * R->scope_ns;
    return T->roots_ns - all > T->roots_ns / 100 ? T->roots_ns - all : T->roots_ns / 100;
}

/* With a budget: drop the cheapest kept frames per call until the kept
 * scopes cost at most R->budget percent of the run's own time. The
 * frames --keep names are not counted: the budget is for the others. */
static void drop_budget(Stats *T, Stat **v, size_t n, const Prune *R)
{
    double kept = 0, limit = R->budget / 100 * own_ns(T, v, n, R);
    for (size_t i = 0; i < n; i++) kept += v[i]->drop || v[i]->keep ? 0 : v[i]->calls * R->scope_ns;
    for (size_t i = 0; i < n && R->budget > 0 && kept > limit; i++) {
        if (v[i]->drop || v[i]->keep) continue;
        v[i]->drop = 2;
        kept -= v[i]->calls * R->scope_ns;
    }
    adjust(T, R->scope_ns);
}

/* Print the choices and the estimated cost before and after. */
static void prune_report(Opts *O, Stats *T, Stat **v, size_t n, const Prune *R)
{
    double all = 0, kept = 0;
    for (size_t i = 0; i < n; i++) {
        Stat *e = v[i];
        all += e->calls * R->scope_ns;
        if (!e->drop) {
            kept += e->calls * R->scope_ns;
            continue;
        }
        O->drop = xrealloc(O->drop, (O->ndrop + 1) * sizeof *O->drop);
        O->drop[O->ndrop++] = e->name;
        fprintf(stderr, "%s: --prune: not profiled: %s (%.0f calls, %.1f ns/call", g_prog, e->name,
                e->calls, e->ns / e->calls);
        if (e->adj != e->ns) fprintf(stderr, ", %.1f without its unprofiled callees", mean_adj(e));
        if (e->drop == 1) fprintf(stderr, ": under %.1f ns/call)\n", R->min_ns);
        else fprintf(stderr, ": cheapest left over the %g%% budget)\n", R->budget);
    }
    double own = own_ns(T, v, n, R), pct = own > 0 ? 100 / own : 0;
    fprintf(stderr, "%s: --prune: %zu of %zu functions not profiled; estimated cost of the scopes "
            "at %.1f ns each, against the run's own %.3f s: %.3f s (%.1f%%) before, %.3f s (%.1f%%) "
            "after\n", g_prog, O->ndrop, n, R->scope_ns, own * 1e-9, all * 1e-9, all * pct,
            kept * 1e-9, kept * pct);
}

/* Choose the functions to leave unprofiled from the run R->run (see the
 * --prune help): those under R->min_ns per call once the scopes of their
 * own unprofiled callees are taken out, then, with a budget, the cheapest
 * per call until the estimated cost of the remaining scopes is within
 * R->budget percent of the run. The names go to O->drop; every choice is
 * printed on stderr with its figures. main is never dropped. */
static void prune_select(Opts *O, Stats *T, const Prune *o)
{
    const Prune *R = o;
    char *pre = run_prefix(R->run), *cf = fmt("%s-calls.folded", pre), *inf = fmt("%s-inclusive.folded", pre);
    read_folded(T, cf, 0);
    read_folded(T, inf, 1);
    Stat **v = xrealloc(NULL, (T->n + 1) * sizeof *v);
    size_t n = 0;
    Prune r = *R;
    adjust(T, 0);
    if (r.scope_ns < 0) r.scope_ns = scope_estimate(T);
    if (r.min_ns < 0) r.min_ns = 1.5 * r.scope_ns;
    R = &r;
    for (size_t i = 0; i < T->n; i++) {
        T->v[i].adj = T->v[i].ns;
        T->v[i].keep = match_any(R->keep, R->nkeep, T->v[i].name);
        if (T->v[i].calls > 0 && strcmp(T->v[i].name, "main") != 0) v[n++] = &T->v[i];
    }
    qsort(v, n, sizeof *v, by_mean);
    fprintf(stderr, "%s: --prune: run %s: %.0f calls, %.3f s profiled; scope cost %.1f ns%s, "
            "threshold %.1f ns/call, budget %g%%\n", g_prog, pre, T->calls, T->roots_ns * 1e-9,
            R->scope_ns, o->scope_ns < 0 ? " (estimated from the run)" : "", R->min_ns, R->budget);
    drop_cheap(T, v, n, R);
    qsort(v, n, sizeof *v, by_mean);
    drop_budget(T, v, n, R);
    prune_report(O, T, v, n, R);
    free(v);
    free(cf);
    free(inf);
    free(pre);
}

/* ------------------------------------------------------------------ main */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: thag-instrument [options] [FILE]      (or: thag-instrument instrument ...)\n"
            "       thag-remove [--all] [FILE]            (or: thag-instrument remove ...)\n"
            "Reads FILE (default: stdin) and writes the result to stdout.\n"
            "instrument options:\n"
            "  -e, --enable=OPT       THAG_ENABLE_PROFILING(OPT) in main: time, memory, both,\n"
            "                         no, yes or runtime (default runtime)\n"
            "      --no-enable        treat main like any other function\n"
            "      --no-impl          never add #define THAG_PROFILER_IMPLEMENTATION\n"
            "      --only=GLOB        instrument only functions matching GLOB (repeatable)\n"
            "  -x, --exclude=GLOB     skip functions matching GLOB (repeatable)\n"
            "      --skip-static-inline  skip static inline functions\n"
            "      --min-lines=N      skip functions shorter than N lines\n"
            "      --impl=FILE        put #define THAG_PROFILER_IMPLEMENTATION in FILE only\n"
            "                         ('-': standard input); default: in each file with a\n"
            "                         main that is always compiled (a main inside #if...\n"
            "                         is reported on stderr and gets none)\n"
            "second pass (after a time-profiled run of the instrumented program):\n"
            "      --prune=RUN        leave unprofiled the functions RUN shows too cheap\n"
            "                         to measure (in an instrumented file: take their\n"
            "                         THAG_PROFILE out, add nothing); RUN: the output\n"
            "                         directory (its newest run), one of the run's files,\n"
            "                         or DIR/PROG-YYYYMMDD-HHMMSS; reads RUN-calls.folded\n"
            "                         and RUN-inclusive.folded; each choice goes to stderr\n"
            "      --min-ns=N         leave out functions under N ns per call, inclusive,\n"
            "                         less the scopes of their left-out callees\n"
            "                         (default 1.5 x the scope cost)\n"
            "      --scope-ns=N       the cost of one profiled scope (default: estimated\n"
            "                         from RUN, 2 x its cheapest leaf with 1000+ calls,\n"
            "                         within 20..100)\n"
            "      --budget=PCT       then leave out the cheapest per call until the\n"
            "                         scopes cost at most PCT%% of the run (default 5;\n"
            "                         0: off)\n"
            "      --keep=GLOB        never leave out functions matching GLOB (repeatable)\n"
            "remove options:\n"
            "  -a, --all              also remove hand-written THAG_PROFILE, THAG_SECTION,\n"
            "                         THAG_END, THAG_ENABLE_PROFILING statements and\n"
            "                         thag_profiler.h include / implementation define lines\n"
            "common options:\n"
            "  -i, --in-place[=SUF]   rewrite each FILE, keeping the original as FILE.SUF\n"
            "                         (default SUF: orig); unchanged files are not touched\n"
            "  -h, --help, --version\n");
}

static char *read_fd(int fd, const char *name, size_t *n)
{
    char *s = NULL;
    size_t cap = 0;
    *n = 0;
    for (;;) {
        grow(&s, &cap, *n + 65536, 1);
        ssize_t r = read(fd, s + *n, cap - *n);
        if (r == 0) break;
        if (r < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "%s: %s: %s\n", g_prog, name, strerror(errno));
            exit(1);
        }
        *n += (size_t)r;
    }
    return s;
}

static int write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Lex, parse and edit the source text [s, n); returns the new text. */
static void parser_free(Parser *P)
{
    for (size_t i = 0; i < P->nfn; i++) free(P->fn[i].name);
    for (size_t i = 0; i < P->ncv; i++) {
        ps_free(&P->cv[i].snap);
        ps_free(&P->cv[i].chosen);
        ps_free(&P->cv[i].taken);
    }
    free(P->fn);
    free(P->cv);
    free(P->noname);
    ps_free(&P->st);
    memset(P, 0, sizeof *P);
}

/* Lex and parse. Every branch of a conditional is read; when the brackets
 * then do not balance (dtoa.c's braces opened under #ifdef X and closed
 * under #ifndef X), the source is read again in the configuration of its
 * own #defines, leaving out the branches that configuration does not take,
 * and the tool says which. */
static void read_source(Src *S, Parser *P, int quiet)
{
    g_soft = 1;
    g_soft_failed = 0;
    lex(S);
    P->S = S;
    parse(P);
    g_soft = 0;
    if (!g_soft_failed) return;
    parser_free(P);
    free(S->tok);
    free(S->dir);
    S->tok = NULL, S->dir = NULL;
    S->ntok = S->captok = S->ndir = S->capdir = 0;
    S->configured = 1;
    g_soft_failed = 0;
    lex(S);
    P->S = S;
    parse(P);
    if (!S->nunread || quiet) return;
    fprintf(stderr, "%s: %s:%zu: note: the braces balance only with some branches of "
            "conditionals left out: read as the file's own #defines configure it; the branches "
            "it does not take are not instrumented, in the groups at line%s",
            g_prog, S->name, line_of(S, S->unread[0]), S->nunread > 1 ? "s" : "");
    for (size_t i = 0; i < S->nunread && i < 8; i++)
        fprintf(stderr, "%s %zu", i ? "," : "", line_of(S, S->unread[i]));
    if (S->nunread > 8) fprintf(stderr, " and %zu more", S->nunread - 8);
    fputc('\n', stderr);
}

static Buf transform(const char *name, char *s, size_t n, const Opts *O)
{
    Src S;
    Parser P;
    Edits E = {NULL, 0, 0};
    Buf out = {NULL, 0, 0};
    memset(&S, 0, sizeof S);
    memset(&P, 0, sizeof P);
    S.name = name;
    S.s = s;
    S.n = n;
    index_lines(&S);
    read_source(&S, &P, O->remove);
    if (O->remove) plan_remove(&S, O, &E);
    else plan_instrument(&P, O, &E);
    apply_edits(&S, &E, &out);
    for (size_t i = 0; i < E.n; i++) free(E.v[i].text);
    free(E.v);
    parser_free(&P);
    free(S.lines);
    free(S.tok);
    free(S.dir);
    free(S.unread);
    return out;
}

static int same_file(int a, int b)
{
    struct stat x, y;
    return fstat(a, &x) == 0 && fstat(b, &y) == 0 && S_ISREG(x.st_mode) &&
           x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

static void write_file(const char *path, const char *s, size_t n, mode_t mode)
{
    char *tmp = fmt("%s.thagXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0 || write_all(fd, s, n) < 0 || fchmod(fd, mode & 07777) < 0 || close(fd) < 0 ||
        rename(tmp, path) < 0) {
        fprintf(stderr, "%s: %s: %s\n", g_prog, path, strerror(errno));
        if (fd >= 0) unlink(tmp);
        exit(1);
    }
    free(tmp);
}

/* --in-place: rewrite path when the result differs, keeping a backup. */
static void do_in_place(const char *path, const Opts *O)
{
    struct stat st;
    size_t n;
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) < 0) {
        fprintf(stderr, "%s: %s: %s\n", g_prog, path, strerror(errno));
        exit(1);
    }
    char *s = read_fd(fd, path, &n);
    close(fd);
    Buf out = transform(path, s, n, O);
    if (out.n != n || memcmp(out.s, s, n) != 0) {
        char *bak = fmt("%s.%s", path, O->suffix);
        write_file(bak, s, n, st.st_mode);
        write_file(path, out.s, out.n, st.st_mode);
        free(bak);
    }
    free(out.s);
    free(s);
}

static void do_stream(const char *path, const Opts *O)
{
    int fd = path ? open(path, O_RDONLY) : 0;
    size_t n;
    if (fd < 0) {
        fprintf(stderr, "%s: %s: %s\n", g_prog, path, strerror(errno));
        exit(1);
    }
    if (same_file(fd, 1)) {
        fprintf(stderr, "%s: input and output are the same file; use --in-place (keeps a backup)\n",
                g_prog);
        exit(2);
    }
    char *s = read_fd(fd, path ? path : "<stdin>", &n);
    if (path) close(fd);
    Buf out = transform(path ? path : "<stdin>", s, n, O);
    if (write_all(1, out.s ? out.s : "", out.n) < 0) {
        fprintf(stderr, "%s: write error: %s\n", g_prog, strerror(errno));
        exit(1);
    }
    free(out.s);
    free(s);
}

static void usage_error(const char *fmt_, const char *arg)
{
    fprintf(stderr, "%s: ", g_prog);
    fprintf(stderr, fmt_, arg);
    fprintf(stderr, "\nTry '%s --help'.\n", g_prog);
    exit(2);
}

/* If argv[*i] is option lng (--lng=V, --lng V) or sht (-x V, -xV), return
 * its value (advancing *i past a separate value); else NULL. */
static const char *opt_val(int argc, char **argv, int *i, const char *lng, int sht)
{
    const char *a = argv[*i];
    size_t k = strlen(lng);
    if (strncmp(a, "--", 2) == 0 && strncmp(a + 2, lng, k) == 0) {
        if (a[2 + k] == '=') return a + 3 + k;
        if (a[2 + k] != 0) return NULL;
    } else if (sht && a[0] == '-' && a[1] == sht) {
        if (a[2]) return a + 2;
    } else {
        return NULL;
    }
    if (*i + 1 >= argc) usage_error("option %s needs a value", a);
    return argv[++*i];
}

static void add_pat(char ***v, size_t *n, const char *p)
{
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = (char *)p;
}

static int parse_flag(const char *a, Opts *O)
{
    if (!strcmp(a, "--no-enable")) O->enable = NULL;
    else if (!strcmp(a, "--no-impl")) O->no_impl = 1;
    else if (!strcmp(a, "--skip-static-inline")) O->skip_static_inline = 1;
    else if (!strcmp(a, "--all") || !strcmp(a, "-a")) O->all = 1;
    else if (!strcmp(a, "--in-place") || !strcmp(a, "-i")) O->suffix = "orig";
    else if (!strncmp(a, "--in-place=", 11) && a[11]) O->suffix = a + 11;
    else return 0;
    return 1;
}

static void check_enable(const char *v)
{
    static const char *const ok[] = {"time", "memory", "both", "no", "yes", "runtime", NULL};
    for (const char *const *p = ok; *p; p++) {
        if (!strcmp(v, *p)) return;
    }
    usage_error("--enable: '%s' is not one of time, memory, both, no, yes, runtime", v);
}

/* The value of a numeric option: a number >= 0, else a usage error. */
static double num_opt(const char *name, const char *v)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || *end || end == v || !(d >= 0)) {
        fprintf(stderr, "%s: --%s: '%s' is not a number >= 0\nTry '%s --help'.\n", g_prog, name, v, g_prog);
        exit(2);
    }
    return d;
}

/* The options of the second pass (--prune and its numbers); 1 if a[i] was one. */
static int parse_prune(int argc, char **argv, int *i, Opts *O, Prune *R)
{
    const char *v;
    if ((v = opt_val(argc, argv, i, "impl", 0))) O->impl = v;
    else if ((v = opt_val(argc, argv, i, "prune", 0))) R->run = v;
    else if ((v = opt_val(argc, argv, i, "min-ns", 0))) R->min_ns = num_opt("min-ns", v);
    else if ((v = opt_val(argc, argv, i, "scope-ns", 0))) R->scope_ns = num_opt("scope-ns", v);
    else if ((v = opt_val(argc, argv, i, "budget", 0))) R->budget = num_opt("budget", v);
    else if ((v = opt_val(argc, argv, i, "keep", 0))) add_pat(&R->keep, &R->nkeep, v);
    else return 0;
    return 1;
}

/* Parse options into O; returns the index of the first file argument. */
static int parse_args(int argc, char **argv, int i, Opts *O, Prune *R)
{
    for (; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--")) return i + 1;
        if (a[0] != '-' || !a[1]) return i;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        }
        if (!strcmp(a, "--version")) {
            printf("%s %s\n", g_prog, VERSION);
            exit(0);
        }
        if (parse_flag(a, O) || parse_prune(argc, argv, &i, O, R)) continue;
        if ((v = opt_val(argc, argv, &i, "enable", 'e'))) {
            check_enable(v);
            O->enable = v;
        } else if ((v = opt_val(argc, argv, &i, "only", 0))) {
            add_pat(&O->only, &O->nonly, v);
        } else if ((v = opt_val(argc, argv, &i, "exclude", 'x'))) {
            add_pat(&O->excl, &O->nexcl, v);
        } else if ((v = opt_val(argc, argv, &i, "min-lines", 0))) {
            char *end;
            errno = 0;
            O->min_lines = strtol(v, &end, 10);
            if (errno || *end || end == v || O->min_lines < 0) usage_error("--min-lines: bad number '%s'", v);
        } else {
            usage_error("unknown option '%s'", a);
        }
    }
    return i;
}

/* --in-place over several files: each in a child process, so that a file the
 * tool cannot read or understand (reported, left untouched) does not stop
 * the others; the status is 1 if any failed. */
static void in_place_each(int n, char **paths, const Opts *O)
{
    int failed = 0;
    for (int k = 0; k < n; k++) {
        int status = 1;
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            do_in_place(paths[k], O);
            exit(0);
        }
        if (pid < 0) do_in_place(paths[k], O);  /* no process to spare: as with one file */
        else while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        failed += pid > 0 && status != 0;
    }
    if (!failed) return;
    fprintf(stderr, "%s: %d of %d files left untouched (see above)\n", g_prog, failed, n);
    exit(1);
}

int main(int argc, char **argv)
{
    Opts O;
    memset(&O, 0, sizeof O);
    O.enable = "runtime";
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    int i = 1;
    O.remove = strstr(base, "remove") != NULL;
    if (argc > 1 && (!strcmp(argv[1], "remove") || !strcmp(argv[1], "instrument"))) {
        O.remove = argv[1][0] == 'r';
        i = 2;
    }
    g_prog = O.remove ? "thag-remove" : "thag-instrument";
    Prune R = {NULL, -1, -1, 5, NULL, 0};
    Stats T;
    memset(&T, 0, sizeof T);
    i = parse_args(argc, argv, i, &O, &R);
    if (O.impl && O.no_impl) usage_error("%s: choose one", "--impl and --no-impl");
    if (R.run && O.remove) usage_error("%s is an instrument option", "--prune");
    if (R.run) prune_select(&O, &T, &R);
    O.prune = R.run != NULL;
    if (O.suffix) {
        if (i >= argc) usage_error("%s needs at least one FILE", "--in-place");
        if (argc - i == 1) do_in_place(argv[i], &O);
        else in_place_each(argc - i, argv + i, &O);
    } else {
        if (argc - i > 1) usage_error("more than one FILE given (%s ...); use --in-place", argv[i]);
        do_stream(i < argc ? argv[i] : NULL, &O);
    }
    for (size_t k = 0; k < T.n; k++) free(T.v[k].name);
    free(T.path);
    free(T.pcalls);
    free(T.v);
    free(T.tab);
    free(O.drop);
    free(R.keep);
    free(O.only);
    free(O.excl);
    return 0;
}
