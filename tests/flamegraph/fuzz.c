/* fuzz.c - libFuzzer target for tools/flamegraph.c: the folded parser, the tree, the layout and
 * the SVG writer, with the output checked by libxml2 (any SVG written must be well-formed XML).
 *
 * The first input byte selects options (flame chart, reverse, inverted, random colours,
 * differential with the rest split in two halves, right truncation, no pruning, cpp palette);
 * the rest is the folded input.
 *
 * Build and run: make fuzz-flamegraph FUZZ_SECONDS=60
 *   (clang -fsanitize=fuzzer,address,undefined -I/usr/include/libxml2 tests/flamegraph/fuzz.c -lxml2 -lm)
 */
#define FLAMEGRAPH_NO_MAIN
#define FOLDED_CHUNK 64 /* small buffers: exercise the growth paths, run faster under ASan */
#define NAMES_BLOCK 256
#include "../../tools/flamegraph.c"

#include <libxml/parser.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void options_from(fg_options *o, unsigned flags)
{
    default_options(o);
    o->quiet = 1;
    o->flamechart = flags & 1;
    o->reverse = (flags >> 1) & 1;
    o->inverted = (flags >> 2) & 1;
    o->random = (flags >> 3) & 1;
    o->diff = (flags >> 4) & 1;
    o->truncate_right = (flags >> 5) & 1;
    if (flags & 64) o->minwidth = 0;
    if (flags & 128) o->colors = "cpp";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fg_options o;
    FILE *ins[2], *out;
    const char *names[2] = {"before", "after"};
    char *obuf = NULL;
    size_t olen = 0, half;
    int n, rc;
    static char empty[1];
    if (size < 1) return 0;
    options_from(&o, data[0]);
    data++, size--;
    half = o.diff ? size / 2 : size;
    n = o.diff ? 2 : 1;
    /* fmemopen refuses a zero size: an empty input is an empty buffer of one byte read as 0 */
    ins[0] = half ? fmemopen((void *)(uintptr_t)data, half, "rb") : fmemopen(empty, 1, "r");
    if (ins[0] && !half) fgetc(ins[0]);
    ins[1] = n == 2 ? (size - half ? fmemopen((void *)(uintptr_t)(data + half), size - half, "rb")
                                   : fmemopen(empty, 1, "r"))
                    : NULL;
    if (ins[1] && size == half) fgetc(ins[1]);
    out = open_memstream(&obuf, &olen);
    if (!ins[0] || (n == 2 && !ins[1]) || !out) abort();
    rc = fg_run(&o, ins, names, n, out);
    fclose(out);
    if (rc == 0) {
        xmlDocPtr doc = xmlReadMemory(obuf, (int)olen, "fuzz.svg", NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (!doc) {
            fwrite(obuf, 1, olen, stderr);
            abort(); /* the SVG is not well-formed XML */
        }
        xmlFreeDoc(doc);
    }
    free(obuf);
    fclose(ins[0]);
    if (ins[1]) fclose(ins[1]);
    return 0;
}
