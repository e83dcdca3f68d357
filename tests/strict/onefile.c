/* The implementation and the user code in one file (the only way to use
   THAG_PROFILER_STATIC): the header first, as the doc block says. */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include "user.c"
