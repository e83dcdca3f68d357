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

#undef stderr
#define stderr (fz_err())
#endif
