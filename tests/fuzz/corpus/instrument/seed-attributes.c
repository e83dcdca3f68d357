J/* Attributes before and after declarators, C23 attributes, function
 * pointers, functions returning function pointers. */
#include <stdlib.h>

__attribute__((noinline)) static int a1(int x)
{
    return x;
}

static int __attribute__((unused, format(printf, 1, 2))) a2(const char *f, ...)
{
    return f != NULL;
}

[[nodiscard]] int a3(void)
{
    return 3;
}

static void (*signal_like(int sig, void (*handler)(int)))(int)
{
    (void)sig;
    return handler;
}

__attribute__((constructor)) static void early(void) {}

struct pt { int x, y; } __attribute__((packed));

struct __attribute__((aligned(8))) al { int v; };

struct pt make_pt(int x) {
    struct pt p = { .x = x, .y = 0 };
    return p;
}

void noret(void) __attribute__((noreturn));
void noret(void) { abort(); }
