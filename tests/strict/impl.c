/* The implementation file, as the doc block says: the header first. Then
   the feature-test macros a project may define for code that follows: the
   header must have left none of them defined that it defined itself, so
   none of these is "redefined". tests/strict/run.sh builds it in every
   mode and standard; with -DSTRICT_LATE it includes a system header first
   (fine under -std=gnuNN; under -std=cNN the header must stop with an
   #error saying what to do); with -D_GNU_SOURCE -DSTRICT_USER_GNU the
   project asked for GNU itself. */
#ifdef STRICT_LATE
#include <stdio.h>
#endif
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"

#if !defined(STRICT_LATE) && !defined(STRICT_USER_GNU) && !defined(__cplusplus)
#ifdef _GNU_SOURCE
#error "the implementation left _GNU_SOURCE defined"
#endif
#define _GNU_SOURCE
#define _DEFAULT_SOURCE
#define _LARGEFILE_SOURCE
#define _LARGEFILE64_SOURCE
#define _POSIX_SOURCE
#define _POSIX_C_SOURCE 200112L
#define _XOPEN_SOURCE 600
#define _XOPEN_SOURCE_EXTENDED
#define _ISOC99_SOURCE
#define _ISOC11_SOURCE
#define _ATFILE_SOURCE
#endif

int thag_strict_impl_unit(void);
int thag_strict_impl_unit(void) { return 0; }
