/* Test program for thag-instrument: the work, with a static helper, a
 * K&R-free but otherwise ordinary mix of layouts. */
#include "work.h"

static int square(int x) { return x * x; }

static int
accumulate(int acc, int v)
{
	return acc + v;
}

int compute(int n)
{
    int total = 0;
    for (int i = 1; i <= n; i++) {
        total = accumulate(total, square(i));
    }
    return twice(total);
}
