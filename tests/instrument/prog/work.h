/* Test program for thag-instrument: declarations shared by main.c,
 * work.c and report.c. */
#ifndef WORK_H
#define WORK_H

static inline int twice(int x)
{
    return 2 * x;
}

int compute(int n);
void report(int total);

#endif
