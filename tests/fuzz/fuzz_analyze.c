/* fuzz_analyze.c - libFuzzer target for thag-analyze (tools/analyze.c, included with its main
 * renamed): file loading (tools/folded.h through load_into, the metadata line, kinds from
 * names and metadata, sibling files, allocation-size frames), removals, aggregation and
 * grouping, the text and JSON reports, baselines (the JSON reader of analyze_json.h) and
 * compare.
 *
 * Input: byte 0 picks the primary file's name (its kind), JSON or text, group-by, -v and
 * removals; byte 1 picks the mode (report, compare with its own baseline, memory views, the
 * primary read as a baseline). The rest is split at lines "@@": the primary file, then the
 * siblings -inclusive, -calls, -memory_calls, -memory_live, -memory_detail_calls,
 * -memory_detail_live, -memory_detail (written next to it in a private temporary directory).
 * Properties:
 *   - the JSON report is valid JSON (analyze_json.h's reader) with the report schema;
 *   - a baseline saved from a loaded profile loads back with as many rows as the table;
 *   - compare of that baseline with the same profile never fails to load (status 0 or 1).
 * Build/run: make fuzz (all targets), or see mk/fuzz.mk. */
#include "fuzz_common.h"
#undef _DEFAULT_SOURCE /* analyze.c defines it */
#define main thag_analyze_main
#include "../../tools/analyze.c"
#undef main

int LLVMFuzzerInitialize(int *argc, char ***argv);

static char fz_dir[256];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *t = getenv("TMPDIR");
    (void)argc, (void)argv;
    snprintf(fz_dir, sizeof fz_dir, "%s/thag-fuzz-analyze.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(fz_dir)) abort();
    if (!freopen("/dev/null", "w", stdout)) abort(); /* reports written to stdout */
    return 0;
}

static const char *const sib_suffix[] = {"-inclusive", "-calls", "-memory_calls", "-memory_live",
                                         "-memory_detail_calls", "-memory_detail_live", "-memory_detail"};
#define NSIB (sizeof sib_suffix / sizeof *sib_suffix)
#define STEM "prog-20261204-120000"

static char fz_paths[NSIB + 3][512];
static size_t fz_npaths;

static void put(const char *name, const void *d, size_t n)
{
    char *p = fz_paths[fz_npaths++];
    FILE *f;
    snprintf(p, 512, "%s/%s", fz_dir, name);
    if (!(f = fopen(p, "wb")) || fwrite(d, 1, n, f) != n || fclose(f)) abort();
}

static void cleanup(void)
{
    char p[600];
    for (size_t i = 0; i < fz_npaths; i++) unlink(fz_paths[i]);
    fz_npaths = 0;
    snprintf(p, sizeof p, "%s/baseline.json", fz_dir);
    unlink(p);
    while (arena_chunks) { /* the tool's string arena lives as long as a run of the tool */
        void **c = arena_chunks;
        arena_chunks = (void **)*c;
        free(c);
    }
    arena_cur = arena_end = NULL;
}

/* The JSON report of p must parse and say its schema. */
static void check_json(const profile *p, const table *t, const options *o)
{
    char *buf = NULL, *err_text = NULL;
    size_t len = 0, at = 0;
    const char *err = NULL;
    aj_value doc;
    const aj_value *v;
    FILE *m = open_memstream(&buf, &len);
    if (!m) abort();
    report_json(p, t, o, m);
    fclose(m);
    if (aj_parse(buf, len, &doc, &err, &at)) {
        err_text = buf;
        fprintf(fz_real_stderr(), "%.*s\n", (int)len, err_text);
        FZ_CHECK(0, "the JSON report is invalid at byte %zu: %s", at, err);
    }
    v = aj_get(&doc, "schema");
    FZ_CHECK(v && v->type == AJ_STR && !strcmp(v->str, "thag-analyze/report"), "no schema in the report");
    v = aj_get(&doc, "rows");
    FZ_CHECK(v && v->type == AJ_ARR, "no rows in the report");
    aj_free(&doc);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int groups[] = {G_FUNC, G_FILE, G_MODULE, -1};
    char name[128], base[600];
    const uint8_t *d, *end;
    size_t part = 0;
    unsigned f0, f1;
    int k;
    options o;
    profile p;
    table t;
    if (size < 2) return 0;
    f0 = data[0], f1 = data[1];
    d = data + 2, end = data + size;
    /* primary file name: one of the kinds (13 and up: an unknown name, a timeline .txt) */
    k = (int)(f0 & 15);
    if (k < K_OTHER) snprintf(name, sizeof name, STEM "%s%s", kind_suffix[k], k == K_TIMELINE ? ".txt" : ".folded");
    else snprintf(name, sizeof name, k == K_OTHER ? "other.folded" : k == 13 ? "x.txt" : "p-1-2.folded");
    while (d <= end) {
        const uint8_t *sep = (const uint8_t *)memmem(d, (size_t)(end - d), "\n@@\n", 4);
        const uint8_t *e = sep ? sep + 1 : end;
        char sname[128];
        if (part == 0) put(name, d, (size_t)(e - d));
        else if (part <= NSIB) {
            snprintf(sname, sizeof sname, STEM "%s.folded", sib_suffix[part - 1]);
            put(sname, d, (size_t)(e - d));
        }
        part++;
        if (!sep) break;
        d = sep + 4;
    }
    options_init(&o);
    o.json = (f0 >> 4) & 1;
    o.verbose = (f0 >> 5) & 1;
    g_raw = o.verbose;
    o.group_by = groups[(f0 >> 6) & 3];
    if (f1 & 4) { o.rm = (removal[]){{(char *)"main", 0}, {(char *)"*a*", 1}}; o.nrm = 2; }
    if (f1 & 8) o.limit = 3;
    if (f1 & 16) o.threshold = 10;
    if (f1 & 32) o.filter = "a";
    if (f1 & 64) o.min_count = 2;
    o.sort = (f1 >> 7) ? S_NAME : S_TOTAL;
    snprintf(base, sizeof base, "%s/baseline.json", fz_dir);

    switch (f1 & 3) {
    case 0: /* report, baseline, compare with it */
        if (load_filtered(&p, fz_paths[0], &o)) break;
        aggregate(&t, &p, o.group_by < 0 ? G_FUNC : o.group_by);
        table_sort_filter(&t, &o);
        report_text(&p, &t, &o, stdout);
        check_json(&p, &t, &o);
        if (save_baseline(&p, &t, &o, base) == 0) {
            siteset ss;
            size_t n = t.n;
            int rc;
            memset(&ss, 0, sizeof ss);
            FZ_CHECK(load_baseline(&ss, base) == 0, "a saved baseline does not load");
            FZ_CHECK(ss.n == n, "baseline rows %zu, table rows %zu", ss.n, n);
            free(ss.s);
            free(ss.label);
            rc = compare_run(base, fz_paths[0], &o);
            /* (a profile that starts like a JSON object, {", is read as a baseline: skipped) */
            FZ_CHECK(rc == 0 || rc == EXIT_GATE || is_baseline(fz_paths[0]),
                     "compare with its own baseline: status %d", rc);
        }
        table_free(&t);
        profile_free(&p);
        break;
    case 1: /* compare the primary with the first sibling file (any kind) */
        if (fz_npaths > 1) (void)compare_run(fz_paths[0], fz_paths[1], &o);
        break;
    case 2: { /* memory views: leaks and the size distribution */
        profile dtmp;
        const profile *det;
        memset(&dtmp, 0, sizeof dtmp);
        if (load_filtered(&p, fz_paths[0], &o)) break;
        det = detail_of(&p, &dtmp, &o);
        print_leaks(&p, det, 5);
        print_distribution(&p, det);
        if (det == &dtmp) profile_free(&dtmp);
        profile_free(&p);
        break;
    }
    case 3: { /* the primary as a baseline (JSON) */
        siteset ss;
        memset(&ss, 0, sizeof ss);
        if (load_baseline(&ss, fz_paths[0]) == 0) { free(ss.s); free(ss.label); }
        break;
    }
    }
    cleanup();
    return 0;
}
