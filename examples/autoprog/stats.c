/* autoprog: recursion, a function called through a pointer, and a static
   helper. */
#include "autoprog.h"

static long add(long a, long b)
{
    return a + b;
}

long fib(int n)
{
    return n < 2 ? n : add(fib(n - 1), fib(n - 2));
}

long square(long x)
{
    return x * x;
}

long apply(long (*fn)(long), const long *v, int n)
{
    long sum = 0;
    for (int i = 0; i < n; i++) sum = add(sum, fn(v[i]));
    return sum;
}
