/* A test main inside #ifdef, as Redis has five (REDIS_TEST_MAIN): the file
   is also linked into a program whose main is elsewhere, so it must not
   get the implementation (one per program); the tool says so on stderr. */
#include <stdio.h>

static int helper(int x) { return x + 1; }

#ifdef REDIS_TEST_MAIN
int main(int argc, char **argv)
{
    (void)argv;
    return helper(argc);
}
#endif
