/* Unit tests of the library's internals (cmocka). The implementation is
   included here, so its static functions can be called directly. */
#define THAG_PROFILER_IMPLEMENTATION
#include "../thag_profiler.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static void test_parse_env_valid(void **state) {
    thag__config c;
    const char *why = NULL;
    (void)state;
    assert_int_equal(thag__parse_env("time", &c, &why), 0);
    assert_true(c.has_type);
    assert_int_equal(c.type, THAG_TYPE_TIME);
    assert_int_equal(thag__parse_env("memory,,,true", &c, &why), 0);
    assert_int_equal(c.type, THAG_TYPE_MEMORY);
    assert_int_equal(c.detail, 1);
    assert_string_equal(c.dir, "");
    assert_int_equal(thag__parse_env(" BoTh , /tmp/x y , Quiet , FALSE ", &c, &why), 0);
    assert_int_equal(c.type, THAG_TYPE_BOTH);
    assert_string_equal(c.dir, "/tmp/x y");
    assert_int_equal(c.debug, THAG__DBG_QUIET);
    assert_int_equal(c.detail, 0);
    assert_int_equal(thag__parse_env(",out", &c, &why), 0);
    assert_false(c.has_type);
    assert_string_equal(c.dir, "out");
    assert_int_equal(thag__parse_env("none,,announce", &c, &why), 0);
    assert_int_equal(c.type, THAG_TYPE_NONE);
    assert_int_equal(c.debug, THAG__DBG_ANNOUNCE);
    assert_int_equal(thag__parse_env("", &c, &why), 0);
    assert_false(c.has_type);
}

static void test_parse_env_malformed(void **state) {
    static const char *bad[] = {"bogus", "time,,loud", "time,,,maybe", "time,a,none,true,extra",
                                "timex", "tim", "time;dir", "both,,,,"};
    static const char *reasons[] = {"unknown profile type", "unknown debug level",
                                    "detail must be true or false", "too many fields",
                                    "unknown profile type", "unknown profile type",
                                    "unknown profile type", "too many fields"};
    thag__config c;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *why = NULL;
        assert_int_equal(thag__parse_env(bad[i], &c, &why), -1);
        assert_string_equal(why, reasons[i]);
    }
}

static void test_type_of(void **state) {
    thag__config c;
    (void)state;
    memset(&c, 0, sizeof c);
    assert_int_equal(thag__type_of(THAG__OPT_yes, &c, 0), THAG_TYPE_TIME);
    assert_int_equal(thag__type_of(THAG__OPT_no, &c, 1), THAG_TYPE_NONE);
    assert_int_equal(thag__type_of(THAG__OPT_both, &c, 0), THAG_TYPE_BOTH);
    assert_int_equal(thag__type_of(THAG__OPT_runtime, &c, 0), THAG_TYPE_NONE); /* unset */
    assert_int_equal(thag__type_of(THAG__OPT_runtime, &c, 1), THAG_TYPE_TIME); /* type empty */
    c.has_type = 1;
    c.type = THAG_TYPE_MEMORY;
    assert_int_equal(thag__type_of(THAG__OPT_runtime, &c, 1), THAG_TYPE_MEMORY);
    assert_int_equal(thag__type_of(THAG__OPT_time, &c, 1), THAG_TYPE_TIME);
}

static void test_env_values(void **state) {
    (void)state;
    setenv("THAG_UNIT_B", " TRUE ", 1);
    assert_int_equal(thag__env_bool("THAG_UNIT_B", 0), 1);
    setenv("THAG_UNIT_B", "0", 1);
    assert_int_equal(thag__env_bool("THAG_UNIT_B", 1), 0);
    setenv("THAG_UNIT_B", "perhaps", 1);
    assert_int_equal(thag__env_bool("THAG_UNIT_B", 1), 1); /* malformed: default */
    setenv("THAG_UNIT_N", "123", 1);
    assert_int_equal(thag__env_count("THAG_UNIT_N", 5), 123);
    setenv("THAG_UNIT_N", "-4", 1);
    assert_int_equal(thag__env_count("THAG_UNIT_N", 5), 5);
    setenv("THAG_UNIT_N", "12x", 1);
    assert_int_equal(thag__env_count("THAG_UNIT_N", 5), 5);
    setenv("THAG_UNIT_N", "99999999999999999999999", 1);
    assert_int_equal(thag__env_count("THAG_UNIT_N", 5), 5);
}

static void test_path_sanitises(void **state) {
    char *p = NULL;
    size_t cap = 0;
    int n;
    (void)state;
    n = thag__path_add(&p, &cap, 0, "a;b");
    n = thag__path_add(&p, &cap, (size_t)n, "line\nbreak");
    assert_int_equal(n, 14);
    assert_memory_equal(p, "a_b;line_break", 14);
    munmap(p, cap);
}

static void test_frame_names(void **state) {
    static const char *in[] = {"a;b", "line\nbreak", "trailing number 42", "v 1.5", "x42", "42", " 7", "f(int) 3 x"};
    static const char *out[] = {"a_b", "line_break", "trailing number_42", "v_1.5", "x42", "42", "_7", "f(int) 3 x"};
    char buf[64];
    size_t i;
    (void)state;
    for (i = 0; i < sizeof in / sizeof *in; i++) {
        size_t n = strlen(in[i]);
        thag__frame_copy(buf, in[i], n);
        buf[n] = 0;
        assert_string_equal(buf, out[i]);
    }
}

static void test_writer_full_disk(void **state) {
    thag__writer *w = (thag__writer *)thag__pmap(sizeof *w);
    (void)state;
    w->fd = open("/dev/full", O_WRONLY);
    assert_true(w->fd >= 0);
    w->n = 0;
    w->err = 0;
    thag__wput(w, "main 1\n", 7);
    thag__wflush(w);
    assert_int_equal(w->err, ENOSPC);
    close(w->fd);
    munmap(w, sizeof *w);
}

static void test_mkdirs(void **state) {
    char dir[128];
    struct stat st;
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/thag-unit-%d/a/b/c", (int)getpid());
    assert_int_equal(thag__mkdirs(dir), 0);
    assert_int_equal(stat(dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(thag__mkdirs(dir), 0); /* exists: fine */
    assert_int_not_equal(thag__mkdirs("/proc/self/no/such"), 0);
}

/* The call tree, driven through the internal entry points: overlapping
   sections, a stale frame, and the exact shape that results. */
static const thag_site site_f = {"f", "unit.c", 1, THAG__KIND_time};
static const thag_site site_a = {"a", "unit.c", 2, THAG__KIND_section};
static const thag_site site_b = {"b", "unit.c", 3, THAG__KIND_section};

static void test_overlap_and_stale(void **state) {
    thag_scope gf, ga, gb, gx;
    thag__thread *t;
    char frame[64];
    (void)state;
    THAG__STORE(thag__g.active, 1);
    gf = thag__enter(&site_f, frame + 32, (void *)1, &gf);
    ga = thag__enter(&site_a, frame + 32, (void *)1, &ga);
    gb = thag__enter(&site_b, frame + 32, (void *)1, &gb);
    t = thag__self;
    assert_int_equal(t->sp, 3);
    thag__end(&ga); /* out of order: a is a tombstone under b */
    assert_int_equal(t->sp, 3);
    assert_int_equal(t->stack[1].live, 0);
    assert_ptr_equal(t->cur->site, &site_b);
    thag__end(&ga); /* twice: nothing */
    thag__leave(&gb); /* pops b and the tombstone */
    assert_int_equal(t->sp, 1);
    assert_ptr_equal(t->cur->site, &site_f);
    /* a deeper frame left without exit (longjmp) is popped by the next
       enter from a shallower function */
    gx = thag__enter(&site_a, frame + 8, (void *)2, &gx);
    assert_int_equal(t->sp, 2);
    gx = thag__enter(&site_b, frame + 32, (void *)1, &gb);
    assert_int_equal(t->sp, 2);
    assert_ptr_equal(t->stack[1].node->site, &site_b);
    thag__leave(&gx);
    thag__leave(&gf);
    assert_int_equal(t->sp, 0);
    assert_int_equal(t->root.child->calls, 1);
    THAG__STORE(thag__g.active, 0);
}

static void test_onode_path(void **state) {
    thag__obuf o;
    thag__onode *root, *a, *b;
    size_t len = 0;
    const char *p;
    (void)state;
    memset(&o, 0, sizeof o);
    root = (thag__onode *)thag__oalloc(&o, sizeof *root);
    a = thag__ochild(&o, root, "main");
    b = thag__ochild(&o, a, "x;y");
    assert_ptr_equal(thag__ochild(&o, a, "x;y"), b);
    p = thag__onode_path(&o, b, &len);
    assert_int_equal(len, 8);
    assert_string_equal(p, "main;x_y");
    thag__ofree(&o);
}

static void test_result_strings(void **state) {
    (void)state;
    assert_string_equal(thag_result_string(THAG_OK), "ok");
    assert_non_null(strstr(thag_result_string(THAG_ERR_IO), "written"));
    assert_string_equal(thag_result_string((thag_result)99), "unknown result");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_env_valid),   cmocka_unit_test(test_parse_env_malformed),
        cmocka_unit_test(test_type_of),           cmocka_unit_test(test_env_values),
        cmocka_unit_test(test_path_sanitises),    cmocka_unit_test(test_writer_full_disk),
        cmocka_unit_test(test_mkdirs),            cmocka_unit_test(test_overlap_and_stale),
        cmocka_unit_test(test_onode_path),        cmocka_unit_test(test_result_strings),
        cmocka_unit_test(test_frame_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
