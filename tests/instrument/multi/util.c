#include "multi.h"

unsigned util_hash(const char *s)
{
    unsigned h = 5381;
    while (*s) h = h * 33 + (unsigned char)*s++;
    return h;
}

#if defined(UTIL_TEST_MAIN) && !defined(NO_TESTS)
#include <stdio.h>
int main(void)
{
    printf("util test %u\n", util_hash(""));
    return 0;
}
#endif
