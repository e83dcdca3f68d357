/* fuzz_flamegraph.c - libFuzzer target for tools/flamegraph.c (included, FLAMEGRAPH_NO_MAIN):
 * its input path (tools/folded.h, the metadata line and its unit, timeline files, one- and
 * two-count lines, --diff of two files), the tree, the layout and the SVG writer.
 * The tool's only harness (`make fuzz-flamegraph` runs it alone): options include --no-sort,
 * --strip-hex, --negate, --normalize, --factor, palettes, --minwidth in %, a title and notes
 * to escape.
 *
 * Input: bytes 0 and 1 pick the options; the rest is the input (split in two halves for
 * --diff). Properties: a successful run writes well-formed XML (libxml2) with no NaN or
 * infinite coordinate; a failed run writes nothing.
 * Build/run: make fuzz (all targets), or see mk/fuzz.mk. */
#include "fuzz_common.h"
#define FLAMEGRAPH_NO_MAIN
#define NAMES_BLOCK 256 /* small blocks: exercise their growth */
static size_t fz_chunk = 64;
#define FOLDED_CHUNK fz_chunk
#include "../../tools/flamegraph.c"

#include <libxml/parser.h>

static void no_xml_errors(void *ctx, const char *msg, ...) { (void)ctx, (void)msg; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const palettes[] = {"hot", "mem", "io", "wakeup", "red", "c", "aqua", "cpp"};
    static const char *const titles[] = {NULL, "<t&'\"\x01\xff>", "", "]]>--"};
    fg_options o;
    FILE *ins[2], *out;
    const char *names[2] = {"before.folded", "after.folded"};
    char *obuf = NULL;
    size_t olen = 0, half;
    int n, rc;
    unsigned f0, f1;
    if (size < 2) return 0;
    f0 = data[0], f1 = data[1];
    data += 2, size -= 2;
    default_options(&o);
    o.quiet = (f1 >> 7) & 1;
    o.flamechart = f0 & 1;
    o.reverse = (f0 >> 1) & 1;
    o.inverted = (f0 >> 2) & 1;
    o.random = (f0 >> 3) & 1;
    o.diff = (f0 >> 4) & 1;
    o.truncate_right = (f0 >> 5) & 1;
    if (f0 & 64) o.minwidth = 0;
    if (f0 & 128) o.minwidth = 5, o.minwidth_pct = 1;
    o.colors = palettes[f1 & 7];
    o.no_sort = (f1 >> 3) & 1;
    o.strip_hex = (f1 >> 4) & 1;
    o.negate = (f1 >> 5) & 1;
    o.normalize = (f1 >> 6) & 1;
    o.title = titles[(f0 ^ f1) & 3];
    o.notes = (f1 & 1) ? "a<b & c>d \"q\"" : NULL;
    if ((f0 ^ f1) & 4) o.factor = 0.5;
    if ((f0 ^ f1) & 8) o.bgcolors = (f1 & 2) ? "#12ab3f" : "grey";
    fz_chunk = (f0 ^ f1) & 16 ? 7 : 64;
    half = o.diff ? size / 2 : size;
    n = o.diff ? 2 : 1;
    ins[0] = fz_memfile(data, half);
    ins[1] = n == 2 ? fz_memfile(data + half, size - half) : NULL;
    out = open_memstream(&obuf, &olen);
    if (!out) abort();
    rc = fg_run(&o, ins, names, n, out);
    fclose(out);
    if (rc == 0) {
        xmlDocPtr doc;
        xmlSetGenericErrorFunc(NULL, no_xml_errors);
        doc = xmlReadMemory(obuf, (int)olen, "fuzz.svg", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (!doc) fwrite(obuf, 1, olen, fz_real_stderr());
        FZ_CHECK(doc != NULL, "the SVG is not well-formed XML");
        xmlFreeDoc(doc);
        FZ_CHECK(!memmem(obuf, olen, "=\"nan", 5) && !memmem(obuf, olen, "=\"-nan", 6) &&
                     !memmem(obuf, olen, "=\"inf", 5) && !memmem(obuf, olen, "=\"-inf", 6),
                 "a NaN or infinite attribute in the SVG");
    } else {
        FZ_CHECK(olen == 0, "status %d but %zu bytes of SVG written", rc, olen);
    }
    free(obuf);
    fclose(ins[0]);
    if (ins[1]) fclose(ins[1]);
    return 0;
}
