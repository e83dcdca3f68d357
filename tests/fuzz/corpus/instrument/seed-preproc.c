/* Preprocessor conditionals around function headers, skipped groups,
 * multi-line function-like macros with braces. */
#include <stddef.h>

#define SWAP(a, b) do { \
        int t_ = (a);   \
        (a) = (b);      \
        (b) = t_;       \
    } while (0)

#define MAKE_GETTER(name) static int get_##name(void) { return name; }

#if 0
This group is never compiled: it's prose with an apostrophe and a { brace
int dead(void) {
#endif

#if defined(USE_LONG)
long pick(long x)
#else
int pick(int x)
#endif
{
    return x + 1;
}

#ifdef _WIN32
int sleep_for(int ms) {
    return ms;
#else
int sleep_for(int ms)
{
    int y = ms;
#endif
    return ms;
}

#if 1
int live(void)
{
    return 1;
}
#else
int unused(void) { this group is dead: ' unbalanced { ( 
#endif

int with_inner_if(int v)
{
#ifdef DEBUG
    v++;
#endif
    if (v) {
#if defined(A)
    } else if (v > 2) {
#endif
    }
    return v;
}
