#include <stdio.h>
#include "multi.h"

static void usage(void)
{
    puts("cli");
}

int main(void)
{
    usage();
    printf("cli %u\n", util_hash("x"));
    return 0;
}
