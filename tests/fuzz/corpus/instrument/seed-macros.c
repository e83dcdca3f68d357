¼/* Function-like macros at file scope. */
#define DECLARE(x) extern int x
#define TEST(name) void test_##name(void)
#define EXPORT(t) t
#define DEPRECATED(msg) __attribute__((deprecated(msg)))
#define REGISTER(f) static int reg_##f = 0;

DECLARE(counter);
REGISTER(a)

TEST(addition) {
    int x = 1;
    (void)x;
}

EXPORT(int) exported(void)
{
    return 1;
}

int old_api(void) DEPRECATED("use new_api");
int old_api(void)
{
    return 0;
}

REGISTER(b)
int after_macro(void)
{
    return 2;
}
