/* #if 1 and the #else of #if 0 are always compiled: a main there gets the
   implementation. */
#include <stdio.h>

#if 1
static int one(void) { return 1; }
#endif

#if 0
int main(void) { return 9; }
#else
int main(void)
{
    return one() - 1;
}
#endif
