/* autoprog: a small multi-file C program with nothing about profiling in
   it, profiled two ways in docs/auto.md: with thag-instrument (macros
   added to the sources) and with -finstrument-functions (no change). */
#ifndef AUTOPROG_H
#define AUTOPROG_H

/* words.c */
int count_words(const char *text);

/* stats.c */
long fib(int n);
long apply(long (*fn)(long), const long *v, int n);
long square(long x);

/* report.c */
void report(const char *what, long value);

static inline long twice(long x)
{
    return 2 * x;
}

#endif
