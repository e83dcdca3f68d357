/* fuzz_common.h - shared by the libFuzzer targets of tests/fuzz/ (see tests/fuzz/README.md).
 * Include it first: it includes <stdio.h> and then routes the code under test's stderr
 * to /dev/null (FUZZ_VERBOSE=1 in the environment keeps it), so that the fuzzer's own
 * output stays readable. */
#ifndef THAG_FUZZ_COMMON_H
#define THAG_FUZZ_COMMON_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *fz_err(void)
{
    static FILE *f;
    if (!f) {
        const char *v = getenv("FUZZ_VERBOSE");
        f = v && *v && *v != '0' ? stderr : fopen("/dev/null", "w");
        if (!f) f = stderr;
    }
    return f;
}

static FILE *fz_real_stderr(void) { return stderr; }

/* A failed property: says which, then aborts (libFuzzer saves the input). */
#define FZ_CHECK(cond, ...)                                                                   \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(fz_real_stderr(), "fuzz property failed: %s (%s:%d)\n", #cond, __FILE__,   \
                    __LINE__);                                                                \
            fprintf(fz_real_stderr(), __VA_ARGS__);                                           \
            fputc('\n', fz_real_stderr());                                                    \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

/* A FILE reading the n bytes at d (fmemopen refuses an empty buffer: one byte, read). */
__attribute__((unused)) static FILE *fz_memfile(const void *d, size_t n)
{
    static char empty[1];
    FILE *f = n ? fmemopen((void *)(uintptr_t)d, n, "rb") : fmemopen(empty, 1, "rb");
    if (!f) abort();
    if (!n) fgetc(f);
    return f;
}

/* For tools that refuse input with exit() (FZ_TRACK before the include): exit() becomes a
 * longjmp back into the target (fz_armed, fz_jmp, the status in fz_status), and the blocks
 * the tool holds are kept on a list (a header in front of each, through fz_realloc and
 * fz_free), so that fz_free_all() releases what a rejected input left behind. */
#ifdef FZ_TRACK
#include <setjmp.h>
static jmp_buf fz_jmp;
static int fz_armed, fz_status;

__attribute__((noreturn, unused)) static void fz_exit(int status)
{
    if (!fz_armed) abort();
    fz_status = status;
    longjmp(fz_jmp, 1);
}

typedef struct fz_blk {
    struct fz_blk *prev, *next;
} fz_blk;
static fz_blk fz_live = {&fz_live, &fz_live};

static void fz_link(fz_blk *b)
{
    b->next = fz_live.next;
    b->prev = &fz_live;
    fz_live.next->prev = b;
    fz_live.next = b;
}

__attribute__((unused)) static void *fz_realloc(void *p, size_t n)
{
    fz_blk *b = p ? (fz_blk *)p - 1 : NULL, *nb;
    if (b) b->prev->next = b->next, b->next->prev = b->prev;
    nb = (fz_blk *)realloc(b, sizeof *nb + n);
    if (!nb) {
        if (b) fz_link(b);
        return NULL;
    }
    fz_link(nb);
    return nb + 1;
}

static void fz_free(void *p)
{
    fz_blk *b = p ? (fz_blk *)p - 1 : NULL;
    if (!b) return;
    b->prev->next = b->next;
    b->next->prev = b->prev;
    free(b);
}

__attribute__((unused)) static void fz_free_all(void)
{
    while (fz_live.next != &fz_live) fz_free(fz_live.next + 1);
}
#endif

#undef stderr
#define stderr (fz_err())
#endif
