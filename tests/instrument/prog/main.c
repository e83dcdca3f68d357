/* Test program for thag-instrument: main. Calls compute(5) (square and
 * accumulate 5 times each, twice once) and report once. */
#include <stdlib.h>
#include "work.h"

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 5;
    (void)argv;
    report(compute(n));
    return 0;
}
