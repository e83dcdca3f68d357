/* autoprog: output. */
#include <stdio.h>
#include "autoprog.h"

void report(const char *what, long value)
{
    printf("%s=%ld\n", what, value);
}
