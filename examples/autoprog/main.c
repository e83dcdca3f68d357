/* autoprog: counts the words of a text, computes a few numbers, prints
   them. Usage: autoprog [N] (fib(N), default 6). */
#include <stdlib.h>
#include "autoprog.h"

static const char text[] = "the quick brown fox jumps over the lazy dog";

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 6;
    long v[3] = {1, 2, 3};
    report("words", count_words(text));
    report("fib", fib(n));
    report("squares", twice(apply(square, v, 3)));
    return 0;
}
