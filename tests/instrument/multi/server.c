/* multi/: two programs from four files, with test mains under #ifdef as in
   Redis. server = server.c ziplist.c util.c; cli = cli.c util.c;
   ziplist's own test = ziplist.c util.c with -DZIPLIST_TEST_MAIN. */
#include <stdio.h>
#include "multi.h"

int main(void)
{
    printf("server %d %u\n", zl_len(3), util_hash("abc"));
    return 0;
}
