/* fuzz_instrument.c - libFuzzer target for tools/instrument.c (thag-instrument / thag-remove),
 * built by including the unmodified tool: its entry point is transform(name, text, n, opts),
 * which lexes, parses and edits one buffer and returns the new text (main is renamed away).
 * The tool reports a rejected input (unbalanced brackets, #if without #endif...) with exit(1):
 * here exit() is a longjmp back into the target, and the blocks the tool had allocated
 * (it allocates only through realloc) are freed then, so that rejections do not leak.
 *
 * The first input byte picks the options: --enable value (or --no-enable), --no-impl,
 * --skip-static-inline, --min-lines=3, --only / --exclude patterns. The rest is the C source.
 * Properties, for every source the instrumenter accepts and that does not contain the
 * marker comment text "thag-instrument":
 *   - remove(instrument(x)) == x, byte for byte (thag-remove accepts instrument's output);
 *   - instrument(instrument(x)) == instrument(x) (idempotence, same options);
 *   - and when x holds no "THAG_" or "thag_profiler" text, remove --all(instrument(x)) == x.
 * Build/run: make fuzz (all targets), or see mk/fuzz.mk. */
#define FZ_TRACK /* exit() is a longjmp back; the tool's blocks are tracked */
#include "fuzz_common.h"
#include <stdlib.h>

#define main thag_instrument_main
#define exit fz_exit
#define realloc fz_realloc
#define free fz_free
#include "../../tools/instrument.c"
#undef main
#undef exit
#undef realloc
#undef free

/* Runs the tool on [s, s+n) into a plain malloc'd *out (length *outn). 0, or -1 when the tool
   rejected the input (exit status in fz_status). */
static int run_tool(const char *s, size_t n, const Opts *O, char **out, size_t *outn)
{
    char *in = malloc(n ? n : 1); /* exactly n bytes: ASan sees any read past the end */
    Buf b;
    if (!in) abort();
    memcpy(in, s, n);
    fz_armed = 1;
    if (setjmp(fz_jmp)) {
        fz_armed = 0;
        fz_free_all();
        free(in);
        return -1;
    }
    b = transform("fuzz.c", in, n, O);
    fz_armed = 0;
    *outn = b.n;
    *out = malloc(b.n + 1);
    if (!*out) abort();
    if (b.n) memcpy(*out, b.s, b.n);
    fz_free_all(); /* b.s, and anything the tool did not free */
    free(in);
    return 0;
}

static char *pats_only[] = {"m*", "*a*"};
static char *pats_excl[] = {"*_*", "f?"};

static void show(const char *what, const char *s, size_t n)
{
    fprintf(fz_real_stderr(), "---- %s (%zu bytes)\n%.*s\n----\n", what, n, (int)n, s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const enables[] = {"runtime", "time", "memory", "both", "no", "yes", NULL, "runtime"};
    Opts O, R;
    char *a, *b, *c;
    size_t an, bn, cn;
    if (size < 1) return 0;
    unsigned flags = data[0];
    const char *src = (const char *)data + 1;
    size_t n = size - 1;
    memset(&O, 0, sizeof O);
    O.enable = enables[flags & 7];
    O.no_impl = (flags >> 3) & 1;
    O.skip_static_inline = (flags >> 4) & 1;
    if ((flags >> 5) & 1) O.min_lines = 3;
    if ((flags >> 6) & 1) O.only = pats_only, O.nonly = 2;
    if ((flags >> 7) & 1) O.excl = pats_excl, O.nexcl = 2;
    memset(&R, 0, sizeof R);
    R.remove = 1;
    R.enable = "runtime";

    if (run_tool(src, n, &O, &a, &an)) return 0; /* rejected: fine, nothing written */
    if (memmem(src, n, "thag-instrument", 15)) { /* the properties need a marker-free input */
        free(a);
        return 0;
    }
    if (run_tool(a, an, &R, &b, &bn)) {
        show("input", src, n);
        show("instrumented", a, an);
        FZ_CHECK(0, "thag-remove rejected thag-instrument's output (exit %d)", fz_status);
    }
    if (bn != n || memcmp(b, src, n)) {
        show("input", src, n);
        show("instrumented", a, an);
        show("removed", b, bn);
        FZ_CHECK(0, "remove(instrument(x)) != x");
    }
    free(b);
    if (!memmem(src, n, "THAG_", 5) && !memmem(src, n, "thag_profiler", 13)) {
        /* nothing hand-written: thag-remove --all also gives back x */
        R.all = 1;
        if (run_tool(a, an, &R, &b, &bn) || bn != n || memcmp(b, src, n)) {
            show("input", src, n);
            show("instrumented", a, an);
            FZ_CHECK(0, "remove --all(instrument(x)) != x");
        }
        free(b);
    }
    if (run_tool(a, an, &O, &c, &cn)) {
        show("instrumented", a, an);
        FZ_CHECK(0, "thag-instrument rejected its own output (exit %d)", fz_status);
    }
    if (cn != an || memcmp(c, a, an)) {
        show("input", src, n);
        show("instrumented", a, an);
        show("instrumented twice", c, cn);
        FZ_CHECK(0, "instrument(instrument(x)) != instrument(x)");
    }
    free(a);
    free(c);
    return 0;
}
