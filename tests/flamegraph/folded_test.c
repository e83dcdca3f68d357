/* folded_test.c - unit tests of tools/folded.h, the folded-stack reader shared by the tools.
 * Small buffers (FOLDED_CHUNK) and a small line limit (FOLDED_MAX_LINE) exercise the growth
 * and overlong-line paths. Run by tests/flamegraph/run.sh.
 * Build: cc -std=c99 -Wall -Wextra -o folded_test tests/flamegraph/folded_test.c
 */
#define _POSIX_C_SOURCE 200809L
#define FOLDED_CHUNK 16
#define FOLDED_MAX_LINE 64
#include "../../tools/folded.h"

static int failures;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "folded_test.c:%d: FAIL %s\n", __LINE__, #cond);        \
            failures++;                                                             \
        }                                                                           \
    } while (0)

/* A reader over the n bytes of text; *f gets the memory stream to close afterwards. */
static folded_reader *open_text(const char *text, size_t n, FILE **f)
{
    *f = fmemopen((void *)(uintptr_t)text, n, "rb");
    return folded_open(*f, "t");
}

static void test_basic(void)
{
    static const char in[] = "# thag_profiler 0.1.0: kind=time\tpid=1 unit=ns\n"
                             "main;foo 12\r\n\n# comment 5\nmain;a b;c d 3.25\n"
                             "main 1 2\nmain;x\t7";
    FILE *f;
    folded_reader *r = open_text(in, sizeof in - 1, &f);
    folded_line l;
    char unit[8], pid[4];
    CHECK(folded_next(r, &l) == 1);
    CHECK(strcmp(l.stack, "main;foo") == 0 && l.stack_len == 8 && l.value == 12);
    CHECK(l.lineno == 2 && !l.has_two);
    CHECK(folded_meta_value(r, "unit", unit, sizeof unit) && strcmp(unit, "ns") == 0);
    CHECK(folded_meta_value(r, "pid", pid, sizeof pid) && strcmp(pid, "1") == 0);
    CHECK(!folded_meta_value(r, "program", unit, sizeof unit) && unit[0] == 0);
    CHECK(folded_next(r, &l) == 1);
    CHECK(strcmp(l.stack, "main;a b;c d") == 0 && l.value == 3.25 && l.lineno == 5);
    CHECK(folded_next(r, &l) == 1);
    CHECK(strcmp(l.stack, "main") == 0 && l.has_two && l.value2 == 1 && l.value == 2);
    CHECK(folded_next(r, &l) == 1); /* last line without a newline */
    CHECK(strcmp(l.stack, "main;x") == 0 && l.value == 7 && l.lineno == 7 && l.value2 == 0);
    CHECK(folded_next(r, &l) == 0);
    CHECK(folded_malformed(r) == 0 && folded_error(r) == NULL);
    folded_close(r);
    fclose(f);
}

static void test_malformed(void)
{
    static const char in[] = "nocount\n 5\nx 99999999999999999999999\nx 1.2.3\n"
                             "a\0b 4\n"
                             "this line is longer than the sixty-four byte limit of this test 1\n"
                             "ok 18446744073709551615\n";
    FILE *f;
    folded_reader *r = open_text(in, sizeof in - 1, &f);
    folded_line l;
    folded_set_report(r, 0); /* quiet: only the counts are checked */
    CHECK(folded_next(r, &l) == 1);
    CHECK(l.lineno == 5 && l.stack_len == 3 && memcmp(l.stack, "a\x1a" "b", 3) == 0);
    CHECK(folded_next(r, &l) == 1);
    CHECK(l.lineno == 7 && strcmp(l.stack, "ok") == 0 && l.value == 18446744073709551615.0);
    CHECK(folded_next(r, &l) == 0);
    CHECK(folded_malformed(r) == 5);
    CHECK(folded_meta(r) == NULL);
    folded_close(r);
    fclose(f);
}

/* The library's compact timeline: stacks defined once, intervals by id, in order. */
static void test_timeline(void)
{
    static const char in[] = "# thag_profiler 0.1.0: format=timeline-1 unit=ns\n"
                             "S 1 0 main\nS 2 1 parse\nS 3 2 lex; x\nS 4 0 worker 1\n"
                             "T 0 12 main\n1 5\n3 7\n0 9\n2 1\nT 1 40 worker 1\n4 3\n";
    FILE *f;
    folded_reader *r = open_text(in, sizeof in - 1, &f);
    folded_line l;
    CHECK(folded_next(r, &l) == 1 && strcmp(l.stack, "main") == 0 && l.value == 5 && l.lineno == 7);
    CHECK(folded_next(r, &l) == 1 && strcmp(l.stack, "main;parse;lex; x") == 0 && l.value == 7);
    CHECK(folded_next(r, &l) == 1 && strcmp(l.stack, "main;parse") == 0 && l.value == 1); /* id 0 skipped */
    CHECK(folded_next(r, &l) == 1 && strcmp(l.stack, "worker 1") == 0 && l.value == 3 && !l.has_two);
    CHECK(folded_next(r, &l) == 0 && folded_malformed(r) == 0);
    folded_close(r);
    fclose(f);
}

/* Hostile timelines: ids out of order, unknown ids, a parent after its child, junk. */
static void test_timeline_bad(void)
{
    static const char in[] = "# thag_profiler 0.1.0: format=timeline-1 unit=ns\n"
                             "S 1 0 a\nS 3 1 skipped\nS 2 2 self\nS 2 5 fwd\nS x 0 y\nS 2 1\n"
                             "9 4\n1\n1 x\n-1 3\n1 18446744073709551615\nS 2 1 b\n2 6\n";
    FILE *f;
    folded_reader *r = open_text(in, sizeof in - 1, &f);
    folded_line l;
    folded_set_report(r, 0);
    CHECK(folded_next(r, &l) == 1 && strcmp(l.stack, "a") == 0 && l.value == 18446744073709551615.0);
    CHECK(folded_next(r, &l) == 1 && strcmp(l.stack, "a;b") == 0 && l.value == 6);
    CHECK(folded_next(r, &l) == 0);
    CHECK(folded_malformed(r) == 9);
    folded_close(r);
    fclose(f);
}

/* Writes text to dir/name. */
static void put(const char *dir, const char *name, const char *text)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* Reads dir/name to its end as a reader named shown (the metadata comes from the descriptor's
   path whatever the name); returns the reader for its metadata. */
static folded_reader *read_all(const char *dir, const char *name, const char *shown, FILE **f)
{
    char path[512];
    folded_reader *r;
    folded_line l;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    *f = fopen(path, "rb");
    if (!*f) return NULL;
    r = folded_open(*f, shown ? shown : path);
    while (folded_next(r, &l) == 1) {}
    return r;
}

static void test_manifest(void)
{
    static const char man[] =
        "thag_profiler=0.1.0\nmanifest=1\nprogram=p-1\npid=42\nstarted=20261204-101500-42\nclock=tsc\n"
        "threads=separate\n"
        "file=p-1-20261204-101500-42.folded kind=time unit=ns additive=yes\n"
        "file=p-1-20261204-101500-42-inclusive.folded kind=time_inclusive unit=ns additive=no "
        "instead=p-1-20261204-101500-42.folded\n"
        "file=p-1-20261204-101500-42-memory.folded kind=memory unit=bytes additive=yes mode=summary peak=96\n"
        "thread=0 start=5 name=main thread\nend=3\n";
    char dir[] = "/tmp/folded_test.XXXXXX", v[64];
    FILE *f;
    folded_reader *r;
    CHECK(folded_stamp_end("p-1-20261204-101500-42-memory.folded") == 22);
    CHECK(folded_stamp_end("p-20261204-101500.folded") == 17);
    CHECK(folded_stamp_end("x-20261204-101500-20261205-101500-calls.folded") == 33);
    CHECK(folded_stamp_end("20261204-101500.folded") == 0 && folded_stamp_end("p.folded") == 0);
    if (!mkdtemp(dir)) { CHECK(0); return; }
    put(dir, "p-1-20261204-101500-42-manifest.txt", man);
    put(dir, "p-1-20261204-101500-42-memory.folded", "main 96\n");
    put(dir, "p-1-20261204-101500-42-inclusive.folded", "main 9\nmain;f 4\n");
    put(dir, "p-1-20261204-101500-42-calls.folded", "main 1\n");
    put(dir, "p-1-20261204-101500-42.folded", "");
    r = read_all(dir, "p-1-20261204-101500-42-memory.folded", "<stdin>", &f);
    CHECK(r && folded_meta(r) && strcmp(folded_meta(r), "thag_profiler 0.1.0: kind=memory program=p-1 pid=42 "
          "started=20261204-101500-42 clock=tsc threads=separate additive=yes mode=summary peak=96 unit=bytes") == 0);
    CHECK(r && folded_meta_value(r, "peak", v, sizeof v) && strcmp(v, "96") == 0 && folded_additive(r) == 1);
    folded_close(r); fclose(f);
    r = read_all(dir, "p-1-20261204-101500-42-inclusive.folded", NULL, &f);
    CHECK(r && folded_additive(r) == 0 && folded_meta_value(r, "instead", v, sizeof v) &&
          strcmp(v, "p-1-20261204-101500-42.folded") == 0);
    folded_close(r); fclose(f);
    r = read_all(dir, "p-1-20261204-101500-42.folded", NULL, &f); /* empty: looked up at the end */
    CHECK(r && folded_meta_value(r, "unit", v, sizeof v) && strcmp(v, "ns") == 0);
    folded_close(r); fclose(f);
    r = read_all(dir, "p-1-20261204-101500-42-calls.folded", NULL, &f); /* not listed */
    CHECK(r && folded_meta(r) == NULL && folded_additive(r) == -1);
    folded_close(r); fclose(f);
    put(dir, "p-1-20261204-101500-42-manifest.txt", "thag_profiler=0.1.0\nfile=p-1-20261204-101500-42.folded ki");
    r = read_all(dir, "p-1-20261204-101500-42.folded", NULL, &f); /* truncated */
    CHECK(r && folded_meta(r) == NULL);
    folded_close(r); fclose(f);
    put(dir, "p-1-20261204-101500-42-manifest.txt", "");
    r = read_all(dir, "p-1-20261204-101500-42.folded", NULL, &f); /* empty manifest */
    CHECK(r && folded_meta(r) == NULL);
    folded_close(r); fclose(f);
    put(dir, "p-1-20261204-101500-42-memory.folded", "# thag_profiler 0.1.0: kind=memory unit=bytes\nmain 1\n");
    r = read_all(dir, "p-1-20261204-101500-42-memory.folded", NULL, &f); /* old style wins */
    CHECK(r && folded_meta_value(r, "unit", v, sizeof v) && strcmp(v, "bytes") == 0);
    folded_close(r); fclose(f);
    {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        CHECK(system(cmd) == 0);
    }
}

int main(void)
{
    test_basic();
    test_malformed();
    test_timeline();
    test_timeline_bad();
    test_manifest();
    if (failures) return 1;
    puts("folded.h tests passed");
    return 0;
}
