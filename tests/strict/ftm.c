/* A user file that includes thag_profiler.h first and then asks for GNU
   declarations, before its first system header: that must still work (the
   header includes no system header outside the implementation), and its
   macros must not be "redefined". asprintf and program_invocation_short_name
   are declared by glibc only under _GNU_SOURCE. C only (g++ and clang++
   predefine _GNU_SOURCE). */
#include "thag_profiler.h"
#define _GNU_SOURCE
#define _DEFAULT_SOURCE
#define _LARGEFILE_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    THAG_ENABLE_PROFILING(yes);
    char *s = NULL;
    int n = asprintf(&s, "%s", program_invocation_short_name);
    free(s);
    return n < 0;
}
