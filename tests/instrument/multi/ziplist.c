#include <stdio.h>
#include "multi.h"

static int zl_entry(int i)
{
    return i * 2;
}

int zl_len(int n)
{
    int t = 0;
    for (int i = 0; i < n; i++) t += zl_entry(i);
    return t;
}

#ifdef ZIPLIST_TEST_MAIN
int main(void)
{
    printf("ziplist test %d\n", zl_len(4));
    return 0;
}
#endif
