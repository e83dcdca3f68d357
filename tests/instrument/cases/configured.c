/* Braces that balance in one configuration only, as in dtoa.c (jq, Ruby):
   a block opened under the #else of Avoid_Underflow is closed under a later
   #ifndef Avoid_Underflow. Read as the file's own #defines configure it;
   the branch it does not take is reported, not instrumented. */
#include <stdio.h>

#define IEEE_Arith
#ifdef IEEE_Arith
#define Avoid_Underflow
#endif

double scale(double x, int e)
{
    if (e > 0) {
#ifdef Avoid_Underflow
        x *= 2.0;
#else
        if (x != 0.0) {
            x *= 4.0;
#endif
            x += 1.0;
#ifndef Avoid_Underflow
        }
#endif
    }
    return x;
}

#ifndef Avoid_Underflow
static double other_variant(double x) { return x; }
#endif

#if defined(IEEE_Arith) && !defined(NO_SCALE)
int twice(int a) { return 2 * a; }
#else
int twice(int a) { return a + a; }
#endif
