/* Test program for thag-instrument: output. */
#include <stdio.h>
#include "work.h"

static const char *const labels[] = { "total", "{not a body}" };

void report(int total)
{
    printf("%s=%d\n", labels[0], total);
}
