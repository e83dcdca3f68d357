/* fuzz_export.c - libFuzzer target for tools/export.c (thag-export), built by including the
 * unmodified tool with its main renamed: its input path (tools/folded.h on the run's folded
 * files, the timeline-1 format, the run's manifest), the run discovery from the stamp, and the
 * three writers. The tool refuses bad input with exit(): here exit() is a longjmp back, and the
 * blocks and files it held are freed and closed then (it allocates through malloc, calloc,
 * realloc, strdup, strndup and getline, and opens files with fopen and tmpfile).
 *
 * Input: byte 0 picks the format (pprof, trace, speedscope) and which file is RUN; the rest,
 * cut at the first two bytes 0xFF 0xFE, is three files of one run in a private directory: the
 * exclusive time file p-20260101-000000.folded, the timeline p-20260101-000000-timeline.txt
 * and the manifest p-20260101-000000-manifest.txt (missing cuts: empty files). Properties: a run the tool accepts gives output (trace and speedscope:
 * one valid JSON document, checked with tools/analyze_json.h's reader); no sanitizer report.
 * Build/run: make fuzz (all targets), or see mk/fuzz.mk. */
#define FZ_TRACK /* exit() is a longjmp back; the tool's blocks are tracked */
#include "fuzz_common.h"
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *fz_malloc(size_t n) { return fz_realloc(NULL, n); }

static void *fz_calloc(size_t k, size_t n)
{
    void *p = n && k > SIZE_MAX / n ? NULL : fz_realloc(NULL, k * n);
    if (p) memset(p, 0, k * n);
    return p;
}

static char *fz_strndup(const char *s, size_t n)
{
    size_t k = strnlen(s, n);
    char *d = (char *)fz_realloc(NULL, k + 1);
    if (d) memcpy(d, s, k), d[k] = 0;
    return d;
}

static char *fz_strdup(const char *s) { return fz_strndup(s, SIZE_MAX); }

/* getline on the tracked blocks (glibc's would allocate with its own malloc). */
static ssize_t fz_getline(char **lp, size_t *cap, FILE *f)
{
    size_t n = 0;
    int c;
    while ((c = fgetc(f)) != EOF) {
        if (n + 2 > *cap || !*lp) {
            size_t nc = *cap * 2 + 64;
            char *p = (char *)fz_realloc(*lp, nc);
            if (!p) return -1;
            *lp = p, *cap = nc;
        }
        (*lp)[n++] = (char)c;
        if (c == '\n') break;
    }
    if (!n) return -1;
    (*lp)[n] = 0;
    return (ssize_t)n;
}

/* Every file the tool holds open. */
#define FZ_FILES 64
static FILE *fz_files[FZ_FILES];

static FILE *fz_track(FILE *f)
{
    int i;
    for (i = 0; f && i < FZ_FILES; i++)
        if (!fz_files[i]) { fz_files[i] = f; return f; }
    if (f) abort(); /* more than FZ_FILES open: raise it */
    return f;
}

static FILE *fz_fopen(const char *path, const char *mode) { return fz_track(fopen(path, mode)); }
static FILE *fz_tmpfile(void) { return fz_track(tmpfile()); }

static int fz_fclose(FILE *f)
{
    int i;
    for (i = 0; i < FZ_FILES; i++)
        if (fz_files[i] == f) fz_files[i] = NULL;
    return fclose(f);
}

static void fz_release(void)
{
    int i;
    for (i = 0; i < FZ_FILES; i++)
        if (fz_files[i]) fclose(fz_files[i]), fz_files[i] = NULL;
    fz_free_all();
}

static FILE *fz_out; /* the tool's stdout: a memory stream per input */

#define main thag_export_main
#define exit fz_exit
#define malloc fz_malloc
#define calloc fz_calloc
#define realloc fz_realloc
#define free fz_free
#define strdup fz_strdup
#define strndup fz_strndup
#define getline fz_getline
#define fopen fz_fopen
#define fclose fz_fclose
#define tmpfile fz_tmpfile
#undef stdout
#define stdout fz_out
#include "../../tools/export.c"
#undef main
#undef exit
#undef malloc
#undef calloc
#undef realloc
#undef free
#undef strdup
#undef strndup
#undef getline
#undef fopen
#undef fclose
#undef tmpfile

/* After the tool: folded.h (which it includes too) must see the tracking macros. */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wunused-function" /* only its reader is used here */
#include "../../tools/analyze_json.h"
#pragma clang diagnostic pop

static char fz_dir[64];

static void fz_write(const char *name, const uint8_t *d, size_t n)
{
    char path[160];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", fz_dir, name);
    if (!(f = fopen(path, "wb"))) abort();
    if (n && fwrite(d, 1, n, f) != n) abort();
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const formats[] = {"pprof", "trace", "speedscope"};
    static const char *const names[] = {"p-20260101-000000.folded", "p-20260101-000000-timeline.txt",
                                        "p-20260101-000000-manifest.txt"};
    char run[160], *obuf = NULL;
    const char *format, *p, *e, *cut;
    char *argv[6];
    size_t olen = 0;
    int rc, i;
    if (size < 1) return 0;
    if (!fz_dir[0]) {
        snprintf(fz_dir, sizeof fz_dir, "/tmp/fuzz-export.XXXXXX");
        if (!mkdtemp(fz_dir)) abort();
    }
    format = formats[data[0] % 3];
    p = (const char *)data + 1, e = (const char *)data + size;
    for (i = 0; i < 3; i++) {
        cut = i < 2 ? memmem(p, (size_t)(e - p), "\xff\xfe", 2) : NULL;
        fz_write(names[i], (const uint8_t *)p, (size_t)((cut ? cut : e) - p));
        p = cut ? cut + 2 : e;
    }
    snprintf(run, sizeof run, "%s/%s", fz_dir, names[(data[0] / 3) % 3]);
    argv[0] = (char *)"thag-export", argv[1] = (char *)"-q", argv[2] = (char *)"--format";
    argv[3] = (char *)format, argv[4] = run, argv[5] = NULL;
    if (!(fz_out = open_memstream(&obuf, &olen))) abort();
    g_tmp = NULL, g_quiet = 0, g_len = 0, g_out = NULL;
    memset(&g_jstr, 0, sizeof g_jstr); /* its block was freed with the last run's */
    fz_armed = 1;
    if (setjmp(fz_jmp) == 0) rc = thag_export_main(5, argv);
    else rc = fz_status ? fz_status : -1;
    fz_armed = 0;
    fclose(fz_out);
    fz_release();
    if (rc == 0) {
        FZ_CHECK(olen > 0, "exit 0 but no output");
        if (strcmp(format, "pprof")) {
            aj_value doc;
            const char *err;
            size_t at;
            int bad = aj_parse(obuf, olen, &doc, &err, &at);
            if (bad) fwrite(obuf, 1, olen, fz_real_stderr());
            FZ_CHECK(!bad, "%s output is not JSON (%s at byte %zu)", format, err, at);
            aj_free(&doc);
        }
    }
    free(obuf);
    return 0;
}
